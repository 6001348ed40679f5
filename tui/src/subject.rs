//! The subject screen's model: a subject-access lookup (everything the ledger holds about one
//! person or service user, through the subject index, with the third-party rule applied) and the
//! subject-rights requests with their statutory deadline clocks.
//!
//! With no subject chosen the screen lists every request (open ones first); Enter on one looks
//! its data subject up. With a subject chosen it lists that subject's entries; Enter opens one
//! in the timeline.

use igl_ledger::index::Resolution;
use igl_ledger::subject::requests::{RequestStatus, RequestsReport};
use igl_ledger::subject::sar::Disclosure;
use igl_schema::{Subject, Timestamp};

use crate::source::Source;

/// The subject screen's state.
#[derive(Default)]
pub struct SubjectView {
    /// The subject looked up, if any.
    pub subject: Option<Subject>,
    /// What the ledger holds about it, in seq order.
    pub entries: Vec<Disclosure>,
    /// Every request as of `as_of` (read when the screen is first shown).
    pub requests: Option<Result<RequestsReport, String>>,
    /// Why the lookup failed.
    pub error: Option<String>,
    /// The selected row of the list (requests with no subject, entries with one).
    pub sel: usize,
    /// The first visible row.
    pub offset: usize,
}

impl SubjectView {
    /// Reads the requests as of `as_of`, unless already read.
    pub fn load_requests(&mut self, source: &dyn Source, as_of: Timestamp) {
        if self.requests.is_none() {
            self.requests = Some(source.requests(as_of).map_err(|e| e.to_string()));
        }
    }

    /// Every request, open ones first (then by received date and id).
    pub fn all_requests(&self) -> Vec<&RequestStatus> {
        let mut v: Vec<&RequestStatus> = match &self.requests {
            Some(Ok(r)) => r.requests.iter().collect(),
            _ => Vec::new(),
        };
        v.sort_by_key(|r| (!r.outcome.is_open(), r.received, r.request.clone()));
        v
    }

    /// The requests about the chosen subject (every request when none is chosen).
    pub fn requests_shown(&self) -> Vec<&RequestStatus> {
        self.all_requests()
            .into_iter()
            .filter(|r| self.subject.as_ref().is_none_or(|s| &r.data_subject == s))
            .collect()
    }

    /// Rows in the selectable list.
    pub fn list_len(&self) -> usize {
        if self.subject.is_some() {
            self.entries.len()
        } else {
            self.all_requests().len()
        }
    }

    /// Looks `text` up by the library's one resolver: `person:ID`, `service-user:ID`, or a
    /// bare id. When a bare id names both a member of staff and a service user with entries,
    /// it asks which (they may be different people) rather than guess. Returns what to say.
    pub fn look_up(&mut self, source: &dyn Source, text: &str) -> Result<String, String> {
        let text = text.trim();
        let mut held = std::collections::BTreeMap::new();
        let resolution = igl_ledger::index::resolve_subject(text, |s| {
            let entries = source.subject_access(s)?;
            let n = entries.len();
            held.insert(s.clone(), entries);
            Ok::<usize, igl_ledger::LedgerError>(n)
        })
        .map_err(|e| e.to_string())?;
        let s = match resolution {
            Resolution::One(s) => s,
            Resolution::Nothing(all) => all.into_iter().next().expect("an id names a subject"),
            Resolution::Ambiguous(found) => {
                return Err(format!(
                    "{}: type the one you mean",
                    Resolution::question(text, &found)
                ));
            }
            Resolution::Invalid(_) => {
                return Err(format!(
                    "{text:?} is not a person id (P00106) or a service-user record id (SU-000142)"
                ));
            }
        };
        let entries = match held.remove(&s) {
            Some(e) => e,
            None => source.subject_access(&s).map_err(|e| e.to_string())?,
        };
        let n = entries.len();
        self.subject = Some(s.clone());
        self.entries = entries;
        self.error = None;
        self.sel = 0;
        self.offset = 0;
        Ok(if n == 0 {
            format!("⚠ the ledger holds nothing about {s}")
        } else {
            format!("✔ {s}: {n} entr{} held", if n == 1 { "y" } else { "ies" })
        })
    }

    /// Forgets the subject (back to the list of requests).
    pub fn clear(&mut self) {
        self.subject = None;
        self.entries.clear();
        self.sel = 0;
        self.offset = 0;
    }

    /// Moves the selection by `delta` (clamped).
    pub fn step(&mut self, delta: i64) {
        let last = self.list_len() as i64 - 1;
        self.sel = (self.sel as i64 + delta).clamp(0, last.max(0)) as usize;
    }

    /// Keeps the selection inside a window of `height` rows.
    pub fn scroll(&mut self, height: usize) {
        let h = height.max(1);
        if self.sel < self.offset {
            self.offset = self.sel;
        } else if self.sel >= self.offset + h {
            self.offset = self.sel + 1 - h;
        }
    }
}
