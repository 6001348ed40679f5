//! The timeline's model: what a row shows, the filters, and the view (every entry, or the
//! entries a filter has matched so far).
//!
//! Nothing here reads the ledger; the Timeline screen ([`crate::screen::timeline`]) reads rows
//! for the visible window only and feeds the filter scan in bounded steps.

use igl_ledger::view;
use igl_ledger::{KeyRecord, PayloadState, StoredEntry};
use igl_schema::Subject;

/// One timeline row.
#[derive(Clone, Debug)]
pub struct Row {
    pub seq: u64,
    pub recorded: String,
    pub recorded_secs: String,
    pub ty: &'static str,
    /// The author's person id (or the key, when it is not enrolled).
    pub author: String,
    /// The subjects' bare ids.
    pub subjects: Vec<String>,
    pub summary: String,
    pub payload: PayloadState,
    /// Why the entry could not be read.
    pub error: Option<String>,
}

impl Row {
    pub fn new(e: &StoredEntry, author: Option<&KeyRecord>) -> Row {
        let body = &e.entry.event.body;
        let subjects: Vec<String> = body.subjects.iter().map(|s| s.id().to_string()).collect();
        Row {
            seq: e.entry.seq,
            recorded: crate::text::time(&e.entry.recorded_at, false),
            recorded_secs: crate::text::time(&e.entry.recorded_at, true),
            ty: body.event.type_name(),
            author: view::author_name(author, body),
            summary: view::summary(&body.event, &subjects, usize::MAX),
            subjects,
            payload: e.payload,
            error: None,
        }
    }

    /// A row for an entry that could not be read.
    pub fn unreadable(seq: u64, why: String) -> Row {
        Row {
            seq,
            recorded: String::new(),
            recorded_secs: String::new(),
            ty: "",
            author: String::new(),
            subjects: Vec::new(),
            summary: String::new(),
            payload: PayloadState::None,
            error: Some(why),
        }
    }

    /// The subjects column: as many ids as fit in `width`, then `+N`.
    pub fn subjects_text(&self, width: usize) -> String {
        let mut out = String::new();
        for (i, s) in self.subjects.iter().enumerate() {
            let rest = self.subjects.len() - i - 1;
            let more = if rest > 0 {
                format!(" +{rest}")
            } else {
                String::new()
            };
            let sep = if out.is_empty() { "" } else { " " };
            if out.chars().count() + sep.len() + s.chars().count() + more.len() > width {
                if out.is_empty() {
                    return crate::text::fit(&format!("{s}{more}"), width);
                }
                return format!("{out} +{}", rest + 1);
            }
            out.push_str(sep);
            out.push_str(s);
        }
        out
    }

    /// The summary column, with the personal-data state up front when it is not the usual.
    pub fn summary_text(&self) -> String {
        match (&self.error, self.payload) {
            (Some(e), _) => format!("✘ unreadable: {e}"),
            (None, PayloadState::Redacted { by }) => {
                format!("⚠ redacted by {by} · {}", self.summary)
            }
            (None, PayloadState::Missing) => format!("✘ personal data missing · {}", self.summary),
            _ => self.summary.clone(),
        }
    }
}

/// What `/` searches: the type, the author, the subjects and every field value, lowercased.
pub fn haystack(e: &StoredEntry, author: Option<&KeyRecord>) -> String {
    let body = &e.entry.event.body;
    let mut h = String::new();
    h.push_str(body.event.type_name());
    h.push('\n');
    h.push_str(&view::author_name(author, body));
    for s in &body.subjects {
        h.push('\n');
        h.push_str(&s.to_string());
    }
    for (_, v) in view::fields(&body.event) {
        if let Some(s) = v {
            h.push('\n');
            h.push_str(&s);
        }
    }
    h.to_lowercase()
}

/// The timeline's filters (all must match).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// An event type name.
    pub ty: Option<&'static str>,
    /// `person:ID`, `service-user:ID`, or a bare id (either kind).
    pub subject: Option<String>,
    /// Exactly these entries (a finding's evidence, a subject's entries), with what they are;
    /// the seqs are sorted. Used on its own: choosing a type or subject filter replaces it.
    pub seqs: Option<(String, Vec<u64>)>,
    /// The author's person id (the person whose key signed the entry).
    pub author: Option<String>,
    /// Recorded on or after this day (UTC).
    pub from: Option<igl_schema::Date>,
    /// Recorded on or before this day (UTC).
    pub to: Option<igl_schema::Date>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.ty.is_none()
            && self.subject.is_none()
            && self.seqs.is_none()
            && self.author.is_none()
            && self.from.is_none()
            && self.to.is_none()
    }

    /// Parses a date range as typed: `FROM..TO`, `FROM..`, `..TO` or one day (`YYYY-MM-DD`).
    pub fn parse_dates(
        s: &str,
    ) -> Result<(Option<igl_schema::Date>, Option<igl_schema::Date>), String> {
        let day = |d: &str| -> Result<Option<igl_schema::Date>, String> {
            let d = d.trim();
            if d.is_empty() {
                Ok(None)
            } else {
                igl_schema::Date::parse(d)
                    .map(Some)
                    .map_err(|e| format!("{d:?}: {e}; write YYYY-MM-DD"))
            }
        };
        let (from, to) = match s.split_once("..") {
            Some((a, b)) => (day(a)?, day(b)?),
            None => {
                let d = day(s)?;
                (d, d)
            }
        };
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(format!("{f} is after {t}"));
        }
        Ok((from, to))
    }

    /// A filter showing exactly `seqs`, described as `label`.
    pub fn seqs(label: String, mut seqs: Vec<u64>) -> Filter {
        seqs.sort_unstable();
        seqs.dedup();
        Filter {
            seqs: Some((label, seqs)),
            ..Filter::default()
        }
    }

    /// Whether entry `e`, signed with the key whose record is `author`, passes.
    pub fn matches(&self, e: &StoredEntry, author: Option<&KeyRecord>) -> bool {
        let body = &e.entry.event.body;
        if let Some(a) = &self.author
            && author.is_none_or(|k| k.person.as_str() != a)
        {
            return false;
        }
        let day = e.entry.recorded_at.date();
        if self.from.is_some_and(|f| day < f) || self.to.is_some_and(|t| day > t) {
            return false;
        }
        if let Some((_, seqs)) = &self.seqs
            && seqs.binary_search(&e.entry.seq).is_err()
        {
            return false;
        }
        if self.ty.is_some_and(|t| t != body.event.type_name()) {
            return false;
        }
        match &self.subject {
            None => true,
            Some(f) if f.contains(':') => body.subjects.iter().any(|s| s.to_string() == *f),
            Some(f) => body.subjects.iter().any(|s| s.id() == f),
        }
    }

    /// `type AccessGranted · subject P00106`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((label, _)) = &self.seqs {
            parts.push(label.clone());
        }
        if let Some(t) = self.ty {
            parts.push(format!("type {t}"));
        }
        if let Some(s) = &self.subject {
            parts.push(format!("subject {s}"));
        }
        if let Some(a) = &self.author {
            parts.push(format!("author {a}"));
        }
        match (self.from, self.to) {
            (Some(f), Some(t)) if f == t => parts.push(format!("recorded {f}")),
            (None, None) => {}
            (f, t) => parts.push(format!(
                "recorded {}..{}",
                f.map(|d| d.to_string()).unwrap_or_default(),
                t.map(|d| d.to_string()).unwrap_or_default()
            )),
        }
        parts.join(" · ")
    }

    /// The subjects the subject filter names: the one written with its kind, or both kinds a
    /// bare id can name (`None` without a subject filter).
    pub fn subjects(&self) -> Option<Vec<Subject>> {
        let s = self.subject.as_deref()?;
        Some(if s.contains(':') {
            Subject::parse(s).into_iter().collect()
        } else {
            igl_ledger::index::subjects_for_id(s)
        })
    }

    /// Whether anything but the type and the subject filters (which the indexes answer).
    fn reads_entries(&self) -> bool {
        self.author.is_some() || self.from.is_some() || self.to.is_some()
    }

    /// Checks a subject filter as typed.
    pub fn parse_subject(s: &str) -> Result<String, String> {
        let s = s.trim();
        if s.contains(':') {
            Subject::parse(s).map(|v| v.to_string())
        } else if s.is_empty() || s.chars().any(char::is_whitespace) {
            Err(format!("{s:?} is not a subject id"))
        } else {
            Ok(s.to_string())
        }
    }
}

/// The rows the timeline lists, by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// Every entry: position = seq.
    All { count: u64 },
    /// The entries a filter matched, found by a forward scan (or, with `within`, by reading
    /// only those entries) that has reached `next`.
    Filtered {
        matches: Vec<u64>,
        next: u64,
        count: u64,
        /// The entries the indexes selected for the filter's type and subject, when the filter
        /// also needs each entry read (author, dates): only these are read.
        within: Option<Vec<u64>>,
    },
}

impl View {
    /// The view of `filter` over the first `count` entries. `indexed`: the entries the indexes
    /// select for its type and subject filters ([`Filter::subjects`]), when it has either: with
    /// nothing else to filter by they are the view, found without reading an entry; otherwise
    /// only they are read. Without it, a forward scan reads every entry.
    pub fn new(filter: &Filter, count: u64, indexed: Option<Vec<u64>>) -> View {
        if filter.is_empty() {
            View::All { count }
        } else if let Some((_, seqs)) = &filter.seqs {
            // The seqs filter is used on its own (see [`Filter::seqs`]).
            // Known already: no scan.
            View::Filtered {
                matches: seqs.iter().copied().filter(|s| *s < count).collect(),
                next: count,
                count,
                within: None,
            }
        } else if let Some(seqs) = indexed {
            let seqs: Vec<u64> = seqs.into_iter().filter(|s| *s < count).collect();
            if filter.reads_entries() {
                View::Filtered {
                    matches: Vec::new(),
                    next: 0,
                    count,
                    within: Some(seqs),
                }
            } else {
                View::Filtered {
                    matches: seqs,
                    next: count,
                    count,
                    within: None,
                }
            }
        } else {
            View::Filtered {
                matches: Vec::new(),
                next: 0,
                count,
                within: None,
            }
        }
    }

    /// Rows known so far.
    pub fn len(&self) -> u64 {
        match self {
            View::All { count } => *count,
            View::Filtered { matches, .. } => matches.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every row is known (the filter scan has finished).
    pub fn complete(&self) -> bool {
        match self {
            View::All { .. } => true,
            View::Filtered { next, count, .. } => next >= count,
        }
    }

    /// How far the filter scan has got, 0..=1.
    pub fn scanned(&self) -> f64 {
        match self {
            View::All { .. } => 1.0,
            View::Filtered { next, count, .. } if *count > 0 => *next as f64 / *count as f64,
            View::Filtered { .. } => 1.0,
        }
    }

    /// The seq at a position.
    pub fn seq_at(&self, pos: u64) -> Option<u64> {
        match self {
            View::All { count } => (pos < *count).then_some(pos),
            View::Filtered { matches, .. } => matches.get(pos as usize).copied(),
        }
    }

    /// The position of `seq`, or `Err` with the position of the first row after it.
    pub fn pos_of(&self, seq: u64) -> Result<u64, u64> {
        match self {
            View::All { count } if seq < *count => Ok(seq),
            View::All { count } => Err(*count),
            View::Filtered { matches, .. } => matches
                .binary_search(&seq)
                .map(|p| p as u64)
                .map_err(|p| p as u64),
        }
    }
}
