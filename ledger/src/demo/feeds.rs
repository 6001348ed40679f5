//! What the council's systems feed the demo: the HR system's and Eclipse's CSV exports, through
//! the importers `igl import` uses ([`Feeds`]), and the `imports/` files of the week after the
//! demo ends ([`write_imports`]).

use super::*;

/// Writes `imports/` beside the keys: what the council's systems export the week after the
/// demo ends, for `igl import` and `igl reconcile` (README, "Walkthrough: from CSV to audit").
/// Nothing in them is in the ledger yet.
/// - `hr.csv`: a joiner, a mover and a leaver (whose Eclipse access is then not removed);
/// - `eclipse-audit.csv`: that week's record accesses by people holding Eclipse grants;
/// - `eclipse-accounts.csv`: Eclipse's account list, with an agency account no grant stands
///   behind, a role changed in Eclipse only, a grant whose account was deleted, and the accounts
///   of the demo's leavers still enabled.
pub(super) fn write_imports(dir: &Path, ledger: &Ledger, end: Date) -> Result<()> {
    use std::fmt::Write as _;
    // The state of people, grants and recent accesses only, from the `by_type` index: a demo
    // of a million entries need not replay them all to write these files.
    let mut seqs: Vec<u64> = Vec::new();
    for t in [
        "LedgerCreated",
        "OrganisationRegistered",
        "PersonEnrolled",
        "EmploymentEnded",
        "EmploymentSuspended",
        "EmploymentReinstated",
        "AccessGranted",
        "AccessRevoked",
    ] {
        seqs.extend(ledger.type_entries(t)?);
    }
    let accessed = ledger.type_entries("RecordAccessed")?;
    seqs.extend(accessed.iter().rev().take(2_000));
    let entries = ledger.entries_at(seqs).collect::<crate::Result<Vec<_>>>()?;
    let state = crate::compliance::State::build(None, entries.iter().map(crate::compliance::fact));
    let at = ts(end, 18, 0);
    let eclipse = id!(SystemId, "Eclipse");
    let active: Vec<&crate::compliance::state::Grant> = state
        .grants
        .iter()
        .filter(|g| g.system == eclipse && g.active_at(at))
        .collect();
    let council_active: Vec<&crate::compliance::state::Grant> = active
        .iter()
        .copied()
        .filter(|g| !g.third_party)
        .filter(|g| {
            state.person(&g.person).is_some_and(|p| {
                matches!(
                    p.employment_at(at),
                    crate::compliance::state::Employment::Active { .. }
                )
            })
        })
        .collect();
    let [mover, leaver, .., renamed, deleted] = council_active.as_slice() else {
        return Err(DemoError::Plan(
            "too few people with Eclipse access to write the import examples".into(),
        ));
    };
    let manager_of = |p: &PersonId| {
        state
            .person(p)
            .and_then(|x| x.line_manager.clone())
            .map_or_else(String::new, |m| m.to_string())
    };
    let person_row = |p: &PersonId| {
        let x = state.person(p);
        (
            x.and_then(|x| x.name.clone()).unwrap_or_default(),
            x.and_then(|x| x.job_title.clone()).unwrap_or_default(),
            x.and_then(|x| x.business_unit.clone()).unwrap_or_default(),
        )
    };
    let imports = dir.join("imports");
    std::fs::create_dir_all(&imports)?;

    let mut hr = String::from(
        "person,name,job_title,business_unit,organisation,line_manager,change,effective,note\n",
    );
    let day = |n: i64| add_days(end, n).0.format("%d/%m/%Y").to_string();
    writeln!(
        hr,
        "P00300,Nadia Shah,Social Worker,Adult Social Care North,plymouth-cc,{},joiner,{} 09:00,",
        manager_of(&mover.person),
        day(3)
    )?;
    let (name, title, _) = person_row(&mover.person);
    writeln!(
        hr,
        "{},{name},Senior {title},Adult Social Care South,plymouth-cc,{},mover,{},Promoted",
        mover.person,
        manager_of(&leaver.person),
        day(4)
    )?;
    writeln!(
        hr,
        "{},,,,,,leaver,{} 17:00,Resigned",
        leaver.person,
        day(5)
    )?;
    std::fs::write(imports.join("hr.csv"), hr)?;

    let mut audit = String::from("user,record,accessed_at,purpose,device\n");
    let records: Vec<&RecordId> = state
        .accesses
        .by_person
        .values()
        .flat_map(|t| t.records.iter())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for i in 0..120usize {
        let g = council_active[i % council_active.len()];
        let record = records[(i * 7) % records.len().max(1)];
        let when = add_days(end, 3 + (i / 40) as i64)
            .0
            .and_hms_opt(9 + (i % 8) as u32, (i * 7 % 60) as u32, 0)
            .expect("a time of day");
        // From the device they last used (attested, so the import plants no R10 finding).
        let device = state
            .accesses
            .by_person
            .get(&g.person)
            .and_then(|t| t.last_device.as_ref())
            .map_or_else(String::new, |d| d.to_string());
        writeln!(
            audit,
            "{},{record},{},Case work,{device}",
            g.person,
            when.format("%Y-%m-%d %H:%M:%S"),
        )?;
    }
    std::fs::write(imports.join("eclipse-audit.csv"), audit)?;

    let mut accounts = String::from("account,person,role,enabled\n");
    for g in &active {
        if g.id == deleted.id {
            continue; // deleted in Eclipse, grant still on record
        }
        let role = if g.id == renamed.id {
            "Team Manager".to_string() // changed in Eclipse only
        } else {
            g.role.clone()
        };
        writeln!(
            accounts,
            "{},{},{role},yes",
            g.person.as_str().to_lowercase(),
            g.person
        )?;
    }
    // The accounts of revoked grants are disabled (one per person).
    let mut disabled = std::collections::BTreeSet::new();
    for g in state.grants.iter().filter(|g| {
        g.system == eclipse && !g.active_at(at) && !active.iter().any(|a| a.person == g.person)
    }) {
        if !disabled.insert(g.person.clone()) {
            continue;
        }
        writeln!(
            accounts,
            "{},{},{},disabled",
            g.person.as_str().to_lowercase(),
            g.person,
            g.role
        )?;
    }
    writeln!(accounts, "agency.temp01,,Practitioner,yes")?;
    std::fs::write(imports.join("eclipse-accounts.csv"), accounts)?;
    Ok(())
}

/// The demo's HR and Eclipse feeds: each day's rows written as the systems export them (UK local
/// times), appended to `imports/history/hr.csv` and `eclipse-audit.csv`, and loaded through
/// `import::import_hr` and `import::import_access`, the code `igl import` runs.
pub(super) struct Feeds {
    hr: std::fs::File,
    access: std::fs::File,
}

impl Feeds {
    const HR_HEADER: &'static str =
        "person,name,job_title,business_unit,organisation,line_manager,change,effective,note\n";
    const ACCESS_HEADER: &'static str = "user,record,accessed_at,purpose,device\n";

    pub(super) fn new(dir: &Path) -> Result<Feeds> {
        let mut hr = std::fs::File::create(dir.join("hr.csv"))?;
        hr.write_all(Self::HR_HEADER.as_bytes())?;
        let mut access = std::fs::File::create(dir.join("eclipse-audit.csv"))?;
        access.write_all(Self::ACCESS_HEADER.as_bytes())?;
        Ok(Feeds { hr, access })
    }

    /// Whether the HR export carries this event.
    pub(super) fn is_hr(e: &Event) -> bool {
        matches!(
            e,
            Event::PersonEnrolled(_)
                | Event::EmploymentEnded(_)
                | Event::EmploymentSuspended(_)
                | Event::EmploymentReinstated(_)
        )
    }

    /// `14/03/2026 09:00`: UK local time, as HR systems export it.
    fn local(t: Timestamp) -> String {
        t.datetime()
            .with_timezone(&crate::time::ZONE)
            .format("%d/%m/%Y %H:%M")
            .to_string()
    }

    /// A CSV field, quoted when it must be.
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    /// Writes and imports one day's rows; returns the entries appended per type.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn import_day(
        &mut self,
        ledger: &Ledger,
        hr_rows: &[(Timestamp, Event)],
        access_rows: &[(Timestamp, RecordAccessed)],
        hr_key: &SigningKey,
        eclipse_key: &SigningKey,
        recorded: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<Vec<(&'static str, u64)>> {
        use crate::import;
        let mut out = Vec::new();
        let pii = |p: &Pii| p.value().map(Self::field).unwrap_or_default();
        if !hr_rows.is_empty() {
            let mut text = String::new();
            for (at, e) in hr_rows {
                let when = Self::local(*at);
                let row = match e {
                    Event::PersonEnrolled(p) => format!(
                        "{},{},{},{},{},{},{},{when},",
                        p.person,
                        pii(&p.name),
                        pii(&p.job_title),
                        Self::field(&p.business_unit),
                        p.organisation,
                        p.line_manager.as_ref().map_or("", |m| m.as_str()),
                        // The HR system knows a joiner from a mover; so does the ledger.
                        if ledger
                            .history(crate::projection::Kind::Person, p.person.as_str(), None)?
                            .iter()
                            .any(|r| r.tag
                                == crate::rows::index::type_tag("PersonEnrolled").expect("a type"))
                        {
                            "mover"
                        } else {
                            "joiner"
                        },
                    ),
                    Event::EmploymentEnded(x) => format!(
                        "{},,,,,,leaver,{when},{}",
                        x.person,
                        x.note.as_ref().map(pii).unwrap_or_default()
                    ),
                    Event::EmploymentSuspended(x) => format!(
                        "{},,,,,,suspended,{when},{}",
                        x.person,
                        x.note.as_ref().map(pii).unwrap_or_default()
                    ),
                    Event::EmploymentReinstated(x) => {
                        format!("{},,,,,,reinstated,{when},", x.person)
                    }
                    other => {
                        return Err(DemoError::Plan(format!(
                            "{} is not in the HR export",
                            other.type_name()
                        )));
                    }
                };
                text.push_str(&row);
                text.push('\n');
            }
            self.hr.write_all(text.as_bytes())?;
            let csv = format!("{}{text}", Self::HR_HEADER);
            let r = import::import_hr(
                ledger,
                "imports/history/hr.csv",
                csv.as_bytes(),
                &import::HrMapping::default(),
                hr_key,
                false,
                recorded,
                &mut import::Salts::From(salt),
            )
            .map_err(|e| DemoError::Plan(format!("importing the HR rows: {e}")))?;
            if r.new != hr_rows.len() {
                return Err(DemoError::Plan(format!(
                    "{} of {} HR rows imported",
                    r.new,
                    hr_rows.len()
                )));
            }
            for (t, n) in r.by_type {
                let t = Event::TYPES
                    .iter()
                    .find(|x| **x == t)
                    .ok_or_else(|| DemoError::Plan(format!("{t} is not an event type")))?;
                out.push((*t, n as u64));
            }
        }
        if !access_rows.is_empty() {
            let mut text = String::new();
            for (at, a) in access_rows {
                text.push_str(&format!(
                    "{},{},{},{},{}\n",
                    a.person,
                    a.record,
                    at.datetime()
                        .with_timezone(&crate::time::ZONE)
                        .format("%Y-%m-%d %H:%M:%S"),
                    pii(&a.purpose),
                    a.device.as_ref().map_or("", |d| d.as_str())
                ));
            }
            self.access.write_all(text.as_bytes())?;
            let csv = format!("{}{text}", Self::ACCESS_HEADER);
            let system = access_rows[0].1.system.clone();
            let r = import::import_access(
                ledger,
                "imports/history/eclipse-audit.csv",
                csv.as_bytes(),
                &import::AccessMapping::default(),
                &system,
                eclipse_key,
                usize::MAX,
                false,
                Some(recorded),
                &mut import::Salts::From(salt),
                |_| {},
            )
            .map_err(|e| DemoError::Plan(format!("importing the Eclipse audit rows: {e}")))?;
            if r.new != access_rows.len() {
                return Err(DemoError::Plan(format!(
                    "{} of {} Eclipse audit rows imported",
                    r.new,
                    access_rows.len()
                )));
            }
            out.push(("RecordAccessed", r.new as u64));
        }
        Ok(out)
    }
}
