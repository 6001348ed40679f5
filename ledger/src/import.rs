//! Imports from the systems a council already runs, as CSV: the HR system's export of joiners,
//! movers, leavers and suspensions (`igl import hr`), a case system's audit export of who opened
//! which record (`igl import access`), and a case system's account list (read for
//! `igl reconcile`, never appended).
//!
//! **Idempotent.** Every source row has a stable identity: the event id of the entry it becomes
//! is derived from the ledger id and what the row says happened (`row_event_id`), never from
//! its position in the file. Importing the same file again, or an export that overlaps one
//! already imported, appends nothing twice: a row whose event id is already in the ledger is
//! skipped (the `by_event_id` index answers, one lookup per row).
//!
//! **Times.** HR and case systems export UK local times. A time without an offset is read as
//! Europe/London (`compliance::time::ZONE`) and stored in UTC; a date alone is the mapping's
//! `default_time` on that day (00:00 unless changed). In the October hour that happens twice,
//! the earlier instant (BST) is taken; a time inside the March gap does not exist and is refused.
//! A time with an offset (RFC 3339, `2026-03-02T09:00:00Z`) is taken as written.
//!
//! **Errors** name the file, the line and the column (`hr.csv:12:8 (effective): …`). The HR
//! import reads and checks every row before it appends anything (all or nothing); the access
//! import appends in batches, each atomic, and a run stopped at any moment is resumed by running
//! it again (rows already appended are skipped).

use std::io::Read;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use igl_schema::{
    DeviceId, EmploymentEnded, EmploymentReinstated, EmploymentSuspended, Event, EventId, LedgerId,
    OrgId, PersonEnrolled, PersonId, Pii, RecordAccessed, RecordId, SystemId, Timestamp,
};
use serde::Deserialize;

use crate::time::ZONE;

/// A row that cannot be imported, or a file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// `file:line:column (field): message`.
    #[error("{file}:{line}{}: {message}", column.as_ref().map_or_else(String::new, |(n, name)| format!(":{n} ({name})")))]
    Row {
        file: String,
        line: u64,
        /// The 1-based column and its header.
        column: Option<(usize, String)>,
        message: String,
    },
    /// The file as a whole (unreadable, no header, a mapping naming a missing column).
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

/// What an HR row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// A new member of staff: `PersonEnrolled`.
    Joiner,
    /// A change of line manager, business unit, job or organisation: `PersonEnrolled` again.
    Mover,
    /// Employment ended: `EmploymentEnded`.
    Leaver,
    /// `EmploymentSuspended`.
    Suspended,
    /// A suspension lifted: `EmploymentReinstated`.
    Reinstated,
}

impl Change {
    fn tag(self) -> &'static str {
        match self {
            Change::Joiner => "joiner",
            Change::Mover => "mover",
            Change::Leaver => "leaver",
            Change::Suspended => "suspended",
            Change::Reinstated => "reinstated",
        }
    }
}

/// Which column holds each field of an HR export, what the `change` column's values mean, and
/// how its dates are written. Every key is optional in the TOML file; the defaults are the
/// column names `igl import hr` documents.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HrMapping {
    pub person: String,
    pub name: String,
    pub job_title: String,
    pub business_unit: String,
    pub organisation: String,
    pub line_manager: String,
    pub change: String,
    pub effective: String,
    pub note: String,
    /// Values of the `change` column meaning each change (compared ignoring case and spaces at
    /// either end).
    pub joiner: Vec<String>,
    pub mover: Vec<String>,
    pub leaver: Vec<String>,
    pub suspended: Vec<String>,
    pub reinstated: Vec<String>,
    /// `chrono` formats tried in order for the `effective` column, after RFC 3339.
    pub date_formats: Vec<String>,
    /// The time of day, UK time, of a date given without one (`HH:MM`).
    pub default_time: String,
}

impl Default for HrMapping {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect();
        HrMapping {
            person: "person".into(),
            name: "name".into(),
            job_title: "job_title".into(),
            business_unit: "business_unit".into(),
            organisation: "organisation".into(),
            line_manager: "line_manager".into(),
            change: "change".into(),
            effective: "effective".into(),
            note: "note".into(),
            joiner: v(&["joiner", "new starter", "starter", "hire"]),
            mover: v(&["mover", "change", "transfer"]),
            leaver: v(&["leaver", "termination", "left"]),
            suspended: v(&["suspended", "suspension"]),
            reinstated: v(&["reinstated", "reinstatement", "return"]),
            date_formats: default_date_formats(),
            default_time: "00:00".into(),
        }
    }
}

fn default_date_formats() -> Vec<String> {
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%Y-%m-%d",
        "%d/%m/%Y",
        "%d-%m-%Y",
        "%d %b %Y",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The columns of a case system's audit export, and how its times are written.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessMapping {
    pub person: String,
    pub record: String,
    pub at: String,
    pub purpose: String,
    pub device: String,
    pub date_formats: Vec<String>,
}

impl Default for AccessMapping {
    fn default() -> Self {
        AccessMapping {
            person: "user".into(),
            record: "record".into(),
            at: "accessed_at".into(),
            purpose: "purpose".into(),
            device: "device".into(),
            date_formats: default_date_formats(),
        }
    }
}

/// Reads a mapping from TOML text (`file` names it in errors).
pub fn parse_mapping<M: for<'de> Deserialize<'de>>(
    file: &str,
    text: &str,
) -> Result<M, ImportError> {
    toml::from_str(text).map_err(|e| ImportError::File {
        file: file.into(),
        message: format!("not a valid mapping: {e}"),
    })
}

/// An instant as an HR or case system writes it: RFC 3339 as written, else UK local time by
/// the formats in order, a date alone at `default_time`.
pub fn parse_local_instant(
    s: &str,
    formats: &[String],
    default_time: NaiveTime,
) -> Result<Timestamp, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Timestamp::truncate(t.with_timezone(&chrono::Utc)));
    }
    for f in formats {
        let local = match NaiveDateTime::parse_from_str(s, f) {
            Ok(dt) => dt,
            Err(_) => match NaiveDate::parse_from_str(s, f) {
                Ok(d) => d.and_time(default_time),
                Err(_) => continue,
            },
        };
        if chrono::Datelike::year(&local) < 1900 {
            return Err(format!(
                "{s:?} reads as the year {}: write the year in four digits",
                chrono::Datelike::year(&local)
            ));
        }
        return match ZONE.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                Ok(Timestamp::truncate(t.with_timezone(&chrono::Utc)))
            }
            chrono::LocalResult::None => Err(format!(
                "{s:?} does not exist in UK time (the clocks went forward over it)"
            )),
        };
    }
    Err(format!(
        "{s:?} is not a date or time in any of the formats {} (UK local time) or RFC 3339",
        formats.join(", ")
    ))
}

/// The event id of the entry a source row becomes: `blake3::derive_key(context, ledger_id ‖
/// parts…)`, each part length-prefixed, truncated to 16 bytes. The same row always gets the
/// same id, in this ledger only.
pub fn row_event_id(context: &str, ledger: LedgerId, parts: &[&[u8]]) -> EventId {
    let mut h = blake3::Hasher::new_derive_key(context);
    h.update(&ledger.0);
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    EventId(id)
}

/// An event as compact JSON (`{"type": …, fields in catalogue order}`, personal data as its
/// text): what a row says happened, for its id.
pub fn event_json(event: &Event) -> Vec<u8> {
    serde_json::to_vec(event).expect("an event serialises")
}

/// The context of HR row ids.
pub const HR_CONTEXT: &str = "igledger 2026 import hr row";
/// The context of access row ids.
pub const ACCESS_CONTEXT: &str = "igledger 2026 import access row";

/// One row turned into an event, with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The line of the file (1 is the header).
    pub line: u64,
    /// The byte offset of the row in the file (for progress).
    pub byte: u64,
    pub event_id: EventId,
    pub occurred_at: Timestamp,
    pub event: Event,
}

/// The header and records of a CSV file.
pub(crate) struct Csv<R: Read> {
    file: String,
    header: Vec<String>,
    reader: csv::Reader<R>,
}

impl<R: Read> Csv<R> {
    pub(crate) fn open(file: &str, input: R) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|e| ImportError::File {
                file: file.into(),
                message: format!("cannot read the header line: {e}"),
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        Ok(Csv {
            file: file.into(),
            header,
            reader,
        })
    }

    /// The record just read at `line`, for errors that point at its columns.
    pub(crate) fn rec<'a>(&'a self, line: u64, rec: &'a csv::StringRecord) -> Rec<'a> {
        Rec {
            file: &self.file,
            header: &self.header,
            line,
            rec,
        }
    }

    /// The index of a column the mapping names; `required` columns must exist.
    /// An optional column: absent is fine under its default name, but a column the mapping
    /// names (another name than the default) must exist, so a typo in a mapping is not
    /// silently read as "no such column" (which would also change the rows' ids).
    fn optional(&self, name: &str, default: &str) -> Result<Option<usize>, ImportError> {
        self.column(name, name != default)
    }

    pub(crate) fn column(&self, name: &str, required: bool) -> Result<Option<usize>, ImportError> {
        match self
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
        {
            Some(i) => Ok(Some(i)),
            None if required => Err(ImportError::File {
                file: self.file.clone(),
                message: format!(
                    "no column {name:?} in the header ({}); name it in a mapping file (--map)",
                    self.header.join(", ")
                ),
            }),
            None => Ok(None),
        }
    }
}

/// A record being read: errors point at its line and columns.
pub(crate) struct Rec<'a> {
    file: &'a str,
    header: &'a [String],
    line: u64,
    rec: &'a csv::StringRecord,
}

impl Rec<'_> {
    pub(crate) fn err(&self, col: Option<usize>, message: impl Into<String>) -> ImportError {
        ImportError::Row {
            file: self.file.into(),
            line: self.line,
            column: col.map(|i| (i + 1, self.header[i].clone())),
            message: message.into(),
        }
    }
    pub(crate) fn get(&self, col: Option<usize>) -> Option<&str> {
        col.and_then(|i| self.rec.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    pub(crate) fn required(&self, col: usize) -> Result<&str, ImportError> {
        self.get(Some(col))
            .ok_or_else(|| self.err(Some(col), "is empty"))
    }
    fn parse<T>(
        &self,
        col: usize,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ImportError> {
        let v = self.required(col)?;
        f(v).map_err(|e| self.err(Some(col), e))
    }
}

/// The next record that is not empty (spreadsheets export trailing rows of bare commas), with
/// its line and byte offset.
pub(crate) fn read_record<R: Read>(
    csv: &mut Csv<R>,
    rec: &mut csv::StringRecord,
) -> Result<Option<(u64, u64)>, ImportError> {
    loop {
        match read_one(csv, rec)? {
            Some(_) if rec.iter().all(|f| f.trim().is_empty()) => continue,
            other => return Ok(other),
        }
    }
}

fn read_one<R: Read>(
    csv: &mut Csv<R>,
    rec: &mut csv::StringRecord,
) -> Result<Option<(u64, u64)>, ImportError> {
    match csv.reader.read_record(rec) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(
            rec.position().map_or((0, 0), |p| (p.line(), p.byte())),
        )),
        Err(e) => {
            let line = e.position().map_or(0, |p| p.line());
            Err(ImportError::Row {
                file: csv.file.clone(),
                line,
                column: None,
                message: match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("has {len} fields; the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".into(),
                    _ => e.to_string(),
                },
            })
        }
    }
}

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

/// What an import did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Rows read.
    pub rows: usize,
    /// Rows appended (with `dry_run`: that would be).
    pub new: usize,
    /// Rows whose event the ledger already held (imported before).
    pub already_imported: usize,
    /// Rows identical to an earlier row of the file (within a batch, for access imports).
    pub duplicate_rows: usize,
    /// Rows dated in the future (a starter next month, a leaver serving notice): not appended
    /// now, since an event cannot be recorded before it happens; importing the same export
    /// again once the date has passed appends them.
    pub deferred: usize,
    /// New rows per event type.
    pub by_type: std::collections::BTreeMap<String, usize>,
    /// Sealed batches appended.
    pub batches: usize,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub dry_run: bool,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// A row or the file is wrong; `report` says what had been appended before it.
    #[error("{error}")]
    Input {
        error: ImportError,
        report: Box<ImportReport>,
    },
    /// The ledger refused a row (`line` of the file) or could not be written.
    #[error("{}{error}", line.map_or_else(String::new, |l| format!("{file}:{l}: ")))]
    Ledger {
        file: String,
        line: Option<u64>,
        error: crate::LedgerError,
        report: Box<ImportReport>,
    },
}

impl ImportFailure {
    /// What had been appended before the failure.
    pub fn report(&self) -> &ImportReport {
        match self {
            ImportFailure::Input { report, .. } | ImportFailure::Ledger { report, .. } => report,
        }
    }
}

/// The latest `occurred_at` the ledger accepts when recording at `now` (its clock-skew allowance).
fn future_limit(now: Timestamp) -> Timestamp {
    Timestamp::from_micros(
        now.micros()
            .saturating_add(crate::rules::MAX_CLOCK_SKEW_SECS * 1_000_000),
    )
    .unwrap_or(now)
}

/// Where the personal-data salts of imported entries come from.
pub enum Salts<'a> {
    /// The operating system's random generator: every real import.
    Random,
    /// A deterministic source: `igl demo`, whose synthetic ledger is the same for the same seed.
    From(&'a mut dyn FnMut() -> [u8; 32]),
}

impl Salts<'_> {
    fn next(&mut self) -> Result<[u8; 32], crate::keys::KeyFileError> {
        match self {
            Salts::Random => crate::keys::random_bytes(),
            Salts::From(f) => Ok(f()),
        }
    }
}

/// Signs `rows` as `key`'s events, each with its stable event id, and appends them as one
/// sealed batch. A refused row is named by its line.
fn append_rows(
    ledger: &crate::Ledger,
    ledger_id: LedgerId,
    rows: &[Row],
    key: &igl_schema::SigningKey,
    now: Timestamp,
    salts: &mut Salts,
) -> Result<crate::AppendReceipt, (Option<u64>, crate::LedgerError)> {
    let mut subs = Vec::with_capacity(rows.len());
    for (index, r) in rows.iter().enumerate() {
        let salt = salts.next().map_err(|e| (Some(r.line), e.into()))?;
        let sub = igl_schema::Submission::sign(
            ledger_id,
            r.event.clone(),
            r.occurred_at,
            r.event_id,
            [],
            key,
            igl_schema::Salt(salt),
        )
        .map_err(|e| {
            (
                Some(r.line),
                crate::LedgerError::Rejected {
                    index,
                    seq: None,
                    event_type: r.event.type_name(),
                    message: e.to_string(),
                },
            )
        })?;
        subs.push(sub);
    }
    ledger.append(&subs, key, now).map_err(|e| match e {
        crate::LedgerError::Rejected { index, .. } => (rows.get(index).map(|r| r.line), e),
        e => (None, e),
    })
}

/// `igl import hr`: reads and checks every row, skips those already imported, and appends the
/// rest as one sealed batch signed by `key` (all or nothing).
#[allow(clippy::too_many_arguments)]
pub fn import_hr<R: Read>(
    ledger: &crate::Ledger,
    file: &str,
    input: R,
    mapping: &HrMapping,
    key: &igl_schema::SigningKey,
    dry_run: bool,
    now: Timestamp,
    salts: &mut Salts,
) -> Result<ImportReport, ImportFailure> {
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let ledger_err = |report: &ImportReport, line, error| ImportFailure::Ledger {
        file: file.into(),
        line,
        error,
        report: Box::new(report.clone()),
    };
    let ledger_id = ledger
        .ledger_id()
        .map_err(|e| ledger_err(&report, None, e))?;
    let rows = read_hr(file, input, mapping, ledger_id).map_err(|error| ImportFailure::Input {
        error,
        report: Box::new(report.clone()),
    })?;
    report.rows = rows.len();
    let mut seen = std::collections::BTreeSet::new();
    let mut new_rows = Vec::new();
    let latest = future_limit(now);
    for r in rows {
        if r.occurred_at > latest {
            report.deferred += 1;
        } else if !seen.insert(r.event_id) {
            report.duplicate_rows += 1;
        } else if ledger
            .event_seq(&r.event_id)
            .map_err(|e| ledger_err(&report, Some(r.line), e))?
            .is_some()
        {
            report.already_imported += 1;
        } else {
            *report
                .by_type
                .entry(r.event.type_name().to_string())
                .or_default() += 1;
            new_rows.push(r);
        }
    }
    report.new = new_rows.len();
    if !dry_run && !new_rows.is_empty() {
        let receipt =
            append_rows(ledger, ledger_id, &new_rows, key, now, salts).map_err(|(line, e)| {
                // Nothing was appended: the batch is atomic.
                let none = ImportReport {
                    new: 0,
                    by_type: Default::default(),
                    ..report.clone()
                };
                ledger_err(&none, line, e)
            })?;
        report.batches = 1;
        report.first_seq = Some(receipt.first_seq);
        report.last_seq = Some(receipt.last_seq);
    }
    Ok(report)
}

/// `igl import access`: streams the rows in sealed batches of `batch`, skipping those already
/// imported; memory stays that of one batch. `progress` gets each row's byte offset. Stopped at
/// any point, it is resumed by running it again. `recorded_at` is the recording time of every
/// batch (`None`: the clock when each is appended); rows dated after it (or after the start),
/// beyond the clock-skew allowance, are deferred.
#[allow(clippy::too_many_arguments)]
pub fn import_access<R: Read>(
    ledger: &crate::Ledger,
    file: &str,
    input: R,
    mapping: &AccessMapping,
    system: &SystemId,
    key: &igl_schema::SigningKey,
    batch: usize,
    dry_run: bool,
    recorded_at: Option<Timestamp>,
    salts: &mut Salts,
    mut progress: impl FnMut(u64),
) -> Result<ImportReport, ImportFailure> {
    let batch = batch.max(1);
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let ledger_id = ledger.ledger_id().map_err(|error| ImportFailure::Ledger {
        file: file.into(),
        line: None,
        error,
        report: Box::new(report.clone()),
    })?;
    let latest = future_limit(recorded_at.unwrap_or_else(Timestamp::now));
    let mut pending: Vec<Row> = Vec::with_capacity(batch.min(1 << 16));
    let mut in_batch = std::collections::HashSet::with_capacity(batch.min(1 << 16));
    let mut flush = |pending: &mut Vec<Row>,
                     in_batch: &mut std::collections::HashSet<EventId>,
                     report: &mut ImportReport|
     -> Result<(), ImportFailure> {
        if pending.is_empty() {
            return Ok(());
        }
        if !dry_run {
            let at = recorded_at.unwrap_or_else(Timestamp::now);
            let r = append_rows(ledger, ledger_id, pending, key, at, salts).map_err(
                |(line, error)| ImportFailure::Ledger {
                    file: file.into(),
                    line,
                    error,
                    report: Box::new(report.clone()),
                },
            )?;
            report.first_seq.get_or_insert(r.first_seq);
            report.last_seq = Some(r.last_seq);
            report.batches += 1;
        }
        report.new += pending.len();
        *report
            .by_type
            .entry("RecordAccessed".to_string())
            .or_default() += pending.len();
        pending.clear();
        in_batch.clear();
        Ok(())
    };
    let read = read_access(file, input, mapping, system, ledger_id, |row| {
        report.rows += 1;
        progress(row.byte);
        if row.occurred_at > latest {
            report.deferred += 1;
        } else if in_batch.contains(&row.event_id) {
            report.duplicate_rows += 1;
        } else if ledger
            .event_seq(&row.event_id)
            .map_err(|error| ImportFailure::Ledger {
                file: file.into(),
                line: Some(row.line),
                error,
                report: Box::new(report.clone()),
            })?
            .is_some()
        {
            report.already_imported += 1;
        } else {
            in_batch.insert(row.event_id);
            pending.push(row);
            if pending.len() >= batch {
                flush(&mut pending, &mut in_batch, &mut report)?;
            }
        }
        Ok::<(), ImportFailure>(())
    });
    match read {
        Ok(()) => {}
        Err(ImportFailure::Input { error, .. }) => {
            return Err(ImportFailure::Input {
                error,
                report: Box::new(report),
            });
        }
        Err(e) => return Err(e),
    }
    flush(&mut pending, &mut in_batch, &mut report)?;
    Ok(report)
}

impl From<ImportError> for ImportFailure {
    fn from(error: ImportError) -> Self {
        ImportFailure::Input {
            error,
            report: Box::default(),
        }
    }
}

/// The columns of a case system's account list (`igl reconcile`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountMapping {
    /// The account's own name in the system (a login).
    pub account: String,
    /// The person id the account belongs to (the HR number igl knows them by).
    pub person: String,
    /// The role the account has in the system (optional column).
    pub role: String,
    /// Whether the account is enabled (optional column; absent means enabled). Enabled:
    /// `enabled`, `active`, `yes`, `y`, `true`, `1`; disabled: `disabled`, `inactive`,
    /// `locked`, `suspended`, `expired`, `deleted`, `no`, `n`, `false`, `0`; anything else is
    /// refused.
    pub enabled: String,
}

impl Default for AccountMapping {
    fn default() -> Self {
        AccountMapping {
            account: "account".into(),
            person: "person".into(),
            role: "role".into(),
            enabled: "enabled".into(),
        }
    }
}

/// One account of a case system's account list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub line: u64,
    pub account: String,
    /// `None` when the row names no person (a service or shared account).
    pub person: Option<PersonId>,
    pub role: Option<String>,
    pub enabled: bool,
}

/// Reads an account list (every row, checked; the first bad row stops it).
pub fn read_accounts<R: Read>(
    file: &str,
    input: R,
    mapping: &AccountMapping,
) -> Result<Vec<Account>, ImportError> {
    let mut csv = Csv::open(file, input)?;
    let account = csv.column(&mapping.account, true)?.expect("required");
    let person = csv.column(&mapping.person, true)?.expect("required");
    let d = AccountMapping::default();
    let role = csv.optional(&mapping.role, &d.role)?;
    let enabled = csv.optional(&mapping.enabled, &d.enabled)?;
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    while let Some((line, _)) = read_record(&mut csv, &mut rec)? {
        let r = csv.rec(line, &rec);
        let name = r.required(account)?.to_string();
        let who = match r.get(Some(person)) {
            None => None,
            Some(p) => Some(PersonId::new(p).map_err(|e| r.err(Some(person), e))?),
        };
        let on = match r.get(enabled) {
            None => true,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "enabled" | "active" | "yes" | "y" | "true" | "1" => true,
                "disabled" | "inactive" | "locked" | "suspended" | "expired" | "deleted" | "no"
                | "n" | "false" | "0" => false,
                _ => {
                    return Err(r.err(
                        enabled,
                        format!(
                            "{v:?} is neither enabled (enabled, active, yes, y, true, 1) nor disabled (disabled, inactive, locked, suspended, expired, deleted, no, n, false, 0)"
                        ),
                    ));
                }
            },
        };
        out.push(Account {
            line,
            account: name,
            person: who,
            role: r.get(role).map(str::to_string),
            enabled: on,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn local_times_are_uk_time() {
        let f = default_date_formats();
        let midnight = NaiveTime::from_hms_opt(0, 0, 0).unwrap();
        let p = |s: &str| parse_local_instant(s, &f, midnight);
        assert_eq!(p("2026-08-14 17:00"), Ok(t("2026-08-14T16:00:00Z")));
        assert_eq!(p("14/08/2026 17:00"), Ok(t("2026-08-14T16:00:00Z")));
        assert_eq!(p("14/01/2026 17:00"), Ok(t("2026-01-14T17:00:00Z")));
        assert_eq!(p("14/08/2026"), Ok(t("2026-08-13T23:00:00Z")));
        assert_eq!(p("14 Aug 2026"), Ok(t("2026-08-13T23:00:00Z")));
        assert_eq!(
            p("2026-08-14T17:00:00+02:00"),
            Ok(t("2026-08-14T15:00:00Z"))
        );
        // The October hour that happens twice: the first (BST) is taken.
        assert_eq!(p("25/10/2026 01:30"), Ok(t("2026-10-25T00:30:00Z")));
        // The March gap does not exist.
        assert!(
            p("29/03/2026 01:30")
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(p("31/02/2026").is_err());
        assert!(p("").is_err());
    }

    /// The golden row ids of FORMAT.md, *Imported rows*, computed independently (Python's
    /// `blake3` package over the JSON below).
    #[test]
    fn golden_row_ids() {
        let lid = LedgerId([1; 16]);
        let ended = Event::EmploymentEnded(EmploymentEnded {
            person: PersonId::new("P201").unwrap(),
            note: Some(Pii::new("Resigned")),
        });
        assert_eq!(
            String::from_utf8(event_json(&ended)).unwrap(),
            r#"{"type":"EmploymentEnded","person":"P201","note":"Resigned"}"#
        );
        let at = t("2026-08-14T16:00:00Z").micros().to_le_bytes();
        assert_eq!(
            hex::encode(row_event_id(HR_CONTEXT, lid, &[b"leaver", &event_json(&ended), &at]).0),
            "37e1590a61e724bf3012914b920f4a1e"
        );
        let access = Event::RecordAccessed(RecordAccessed {
            person: PersonId::new("P100").unwrap(),
            system: SystemId::new("Eclipse").unwrap(),
            record: RecordId::new("SU-000142").unwrap(),
            purpose: Pii::new("Case review"),
            device: Some(DeviceId::new("PCC-LT-1").unwrap()),
        });
        assert_eq!(
            String::from_utf8(event_json(&access)).unwrap(),
            r#"{"type":"RecordAccessed","person":"P100","system":"Eclipse","record":"SU-000142","purpose":"Case review","device":"PCC-LT-1"}"#
        );
        let at = t("2026-03-02T09:14:00Z").micros().to_le_bytes();
        assert_eq!(
            hex::encode(row_event_id(ACCESS_CONTEXT, lid, &[&event_json(&access), &at]).0),
            "2bc189bd011cd8ddc04ebbe343f5e452"
        );
    }

    #[test]
    fn a_row_has_the_same_id_every_time_and_only_in_its_ledger() {
        let a = row_event_id(HR_CONTEXT, LedgerId([1; 16]), &[b"joiner", b"P1", &[0; 8]]);
        assert_eq!(
            a,
            row_event_id(HR_CONTEXT, LedgerId([1; 16]), &[b"joiner", b"P1", &[0; 8]])
        );
        assert_ne!(
            a,
            row_event_id(HR_CONTEXT, LedgerId([2; 16]), &[b"joiner", b"P1", &[0; 8]])
        );
        // Parts are length-prefixed: moving a byte between parts changes the id.
        assert_ne!(
            row_event_id(ACCESS_CONTEXT, LedgerId([1; 16]), &[b"ab", b"c"]),
            row_event_id(ACCESS_CONTEXT, LedgerId([1; 16]), &[b"a", b"bc"])
        );
    }
}
