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
//! Europe/London (`time::ZONE`) and stored in UTC; a date alone is the mapping's
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

mod append;
mod read;
mod records;

pub use append::*;
pub use read::*;
pub(crate) use records::*;

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

#[cfg(test)]
mod tests;
