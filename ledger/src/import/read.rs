//! The readers: an HR export as people and employment events ([`read_hr`]), a case system's audit export as record accesses ([`read_access`]).

use super::*;

/// Reads an HR export: every row, checked, as the event it records, in file order. Stops at the
/// first bad row (nothing is appended from a file with one).
pub fn read_hr<R: Read>(
    file: &str,
    input: R,
    mapping: &HrMapping,
    ledger: LedgerId,
) -> Result<Vec<Row>, ImportError> {
    let mut csv = Csv::open(file, input)?;
    let person = csv.column(&mapping.person, true)?.expect("required");
    let change = csv.column(&mapping.change, true)?.expect("required");
    let effective = csv.column(&mapping.effective, true)?.expect("required");
    let d = HrMapping::default();
    let name = csv.optional(&mapping.name, &d.name)?;
    let job_title = csv.optional(&mapping.job_title, &d.job_title)?;
    let business_unit = csv.optional(&mapping.business_unit, &d.business_unit)?;
    let organisation = csv.optional(&mapping.organisation, &d.organisation)?;
    let line_manager = csv.optional(&mapping.line_manager, &d.line_manager)?;
    let note = csv.optional(&mapping.note, &d.note)?;
    let default_time = NaiveTime::parse_from_str(&mapping.default_time, "%H:%M").map_err(|_| {
        ImportError::File {
            file: file.into(),
            message: format!("default_time {:?} is not HH:MM", mapping.default_time),
        }
    })?;
    let words = [
        (Change::Joiner, &mapping.joiner),
        (Change::Mover, &mapping.mover),
        (Change::Leaver, &mapping.leaver),
        (Change::Suspended, &mapping.suspended),
        (Change::Reinstated, &mapping.reinstated),
    ];
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    while let Some((line, byte)) = read_record(&mut csv, &mut rec)? {
        let r = csv.rec(line, &rec);
        let who = r.parse(person, |s| PersonId::new(s))?;
        let kind = r.parse(change, |s| {
            let s = s.trim();
            words
                .iter()
                .find(|(_, ws)| ws.iter().any(|w| w.trim().eq_ignore_ascii_case(s)))
                .map(|(k, _)| *k)
                .ok_or_else(|| {
                    format!(
                        "{s:?} is not a change this mapping knows ({})",
                        words
                            .iter()
                            .flat_map(|(_, ws)| ws.iter().map(String::as_str))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        })?;
        let at = r.parse(effective, |s| {
            parse_local_instant(s, &mapping.date_formats, default_time)
        })?;
        let text = |c: Option<usize>| r.get(c).map(|s| s.to_string());
        let need = |c: Option<usize>, what: &str| -> Result<String, ImportError> {
            match c {
                None => Err(r.err(None, format!("a {} row needs a {what} column", kind.tag()))),
                Some(i) => Ok(r.required(i)?.to_string()),
            }
        };
        let event = match kind {
            Change::Joiner | Change::Mover => {
                let org = need(organisation, "organisation")?;
                let org = OrgId::new(&org).map_err(|e| r.err(organisation, e))?;
                let manager = match r.get(line_manager) {
                    None => None,
                    Some(m) => Some(PersonId::new(m).map_err(|e| r.err(line_manager, e))?),
                };
                Event::PersonEnrolled(PersonEnrolled {
                    person: who.clone(),
                    name: Pii::new(need(name, "name")?),
                    job_title: Pii::new(need(job_title, "job_title")?),
                    business_unit: need(business_unit, "business_unit")?,
                    organisation: org,
                    line_manager: manager,
                })
            }
            Change::Leaver => Event::EmploymentEnded(EmploymentEnded {
                person: who.clone(),
                note: text(note).map(Pii::new),
            }),
            Change::Suspended => Event::EmploymentSuspended(EmploymentSuspended {
                person: who.clone(),
                note: text(note).map(Pii::new),
            }),
            Change::Reinstated => Event::EmploymentReinstated(EmploymentReinstated {
                person: who.clone(),
            }),
        };
        event
            .validate()
            .map_err(|e| r.err(None, format!("{}: {e}", event.type_name())))?;
        let micros = at.micros().to_le_bytes();
        let event_id = row_event_id(
            HR_CONTEXT,
            ledger,
            &[kind.tag().as_bytes(), &event_json(&event), &micros],
        );
        out.push(Row {
            line,
            byte,
            event_id,
            occurred_at: at,
            event,
        });
    }
    Ok(out)
}

/// Reads a case system's audit export as `RecordAccessed` rows, streaming: `each` gets every row
/// in file order and may stop the read by returning an error.
pub fn read_access<R: Read, E: From<ImportError>>(
    file: &str,
    input: R,
    mapping: &AccessMapping,
    system: &SystemId,
    ledger: LedgerId,
    mut each: impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    let mut csv = Csv::open(file, input)?;
    let person = csv.column(&mapping.person, true)?.expect("required");
    let record = csv.column(&mapping.record, true)?.expect("required");
    let at = csv.column(&mapping.at, true)?.expect("required");
    let d = AccessMapping::default();
    let purpose = csv.optional(&mapping.purpose, &d.purpose)?;
    let device = csv.optional(&mapping.device, &d.device)?;
    let midnight = NaiveTime::from_hms_opt(0, 0, 0).expect("midnight");
    let mut rec = csv::StringRecord::new();
    while let Some((line, byte)) = read_record(&mut csv, &mut rec)? {
        let r = csv.rec(line, &rec);
        let who = r.parse(person, |s| PersonId::new(s))?;
        let what = r.parse(record, |s| RecordId::new(s))?;
        let when = r.parse(at, |s| {
            parse_local_instant(s, &mapping.date_formats, midnight)
        })?;
        let why = r.get(purpose).map_or_else(
            || "Not recorded by the case system".to_string(),
            str::to_string,
        );
        let dev = match r.get(device) {
            None => None,
            Some(d) => Some(DeviceId::new(d).map_err(|e| r.err(device, e))?),
        };
        let event = Event::RecordAccessed(RecordAccessed {
            person: who.clone(),
            system: system.clone(),
            record: what.clone(),
            purpose: Pii::new(why),
            device: dev.clone(),
        });
        event
            .validate()
            .map_err(|e| r.err(None, format!("RecordAccessed: {e}")))?;
        let micros = when.micros().to_le_bytes();
        let event_id = row_event_id(ACCESS_CONTEXT, ledger, &[&event_json(&event), &micros]);
        each(Row {
            line,
            byte,
            event_id,
            occurred_at: when,
            event,
        })?;
    }
    Ok(())
}
