//! Governance truth: what the ledger says about the world at an instant, and whether that world
//! complies with the Eclipse MoU and the Mosaic security policy.
//!
//! - [`state`] — the projection: a pure fold over entries in `occurred_at` order (ties by seq)
//!   into people, keys, declarations, training, grants, organisations, devices, record accesses,
//!   breaches, subject-rights requests and access-review campaigns, with their histories.
//! - [`rules`] — R1–R18, each a named function with its policy source, turning a state into
//!   [`Finding`]s: what is wrong, about whom, since when, how overdue, and the seqs that prove it.
//! - [`profile`] — one person's or one organisation's profile as of an instant (`igl status`,
//!   `igl org`), and findings counted by status.
//! - [`crate::time`] — calendar months, working days (England and Wales bank holidays) and spans.
//!
//! **As of T** means the state of the world at instant T as the ledger *now* knows it: every
//! entry with `occurred_at <= T`, whenever it was recorded. A fact recorded late (a training
//! completion entered a week after the course) counts from when it happened; an entry recorded
//! before T about something that happens after T does not count yet.
//!
//! A rule is about what happened, never a reason to refuse an event: the chain rules decide what
//! may be appended; these rules only report.

pub mod accesses;
pub mod campaign;
pub mod profile;
pub mod rules;
pub mod scope;
pub mod state;

use std::fmt;

use igl_schema::{OrgId, PersonId, PublicKey, Subject, Timestamp};
use serde::Serialize;

pub use crate::time::Calendar;
use crate::{Ledger, Result, StoredEntry};
pub use rules::{RULES, Rule};
pub use state::{Fact, State};

/// How the rules are configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Config {
    /// R3 and R13: access and keys must be removed by the end of this many working days after
    /// employment ends or is suspended.
    pub sla_working_days: u32,
    /// Which days are working days.
    pub calendar: Calendar,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sla_working_days: 1,
            calendar: Calendar::default(),
        }
    }
}

/// Where a finding stands at the as-of instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Still non-compliant at the as-of instant.
    Open,
    /// Was non-compliant, and was put right (late) at `until`.
    Resolved,
    /// Something that should not have happened did (an access without a grant); nothing left
    /// to put right.
    Occurred,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Resolved => "resolved",
            Status::Occurred => "occurred",
        }
    }
    /// ✘ open, ⚠ resolved late, ✘ occurred.
    pub fn symbol(&self) -> &'static str {
        match self {
            Status::Open | Status::Occurred => "✘",
            Status::Resolved => "⚠",
        }
    }
}

/// What a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Concerns {
    Person {
        person: PersonId,
    },
    Grant {
        grant: igl_schema::GrantId,
        person: PersonId,
        system: igl_schema::SystemId,
    },
    Org {
        org: OrgId,
    },
    Breach {
        breach: igl_schema::BreachId,
    },
    Request {
        request: igl_schema::RequestId,
        data_subject: Subject,
    },
    Key {
        key: PublicKey,
        person: PersonId,
    },
    Declaration {
        seq: u64,
        person: PersonId,
    },
}

impl fmt::Display for Concerns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Concerns::Person { person } => write!(f, "person {person}"),
            Concerns::Grant {
                grant,
                person,
                system,
            } => write!(f, "grant {grant} ({person}, {system})"),
            Concerns::Org { org } => write!(f, "organisation {org}"),
            Concerns::Breach { breach } => write!(f, "breach {breach}"),
            Concerns::Request {
                request,
                data_subject,
            } => write!(f, "request {request} ({data_subject})"),
            Concerns::Key { key, person } => write!(f, "key {} ({person})", key.short()),
            Concerns::Declaration { seq, person } => {
                write!(f, "declaration at seq {seq} ({person})")
            }
        }
    }
}

/// One breach of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `R1` … `R18`.
    pub rule: &'static str,
    pub title: &'static str,
    pub subject: Concerns,
    /// The member of staff concerned, if any.
    pub person: Option<PersonId>,
    /// The organisation concerned (the person's, or the partner's).
    pub org: Option<OrgId>,
    pub status: Status,
    /// The first instant of non-compliance (for deadline rules, one microsecond after `due`).
    pub since: Timestamp,
    /// The last instant that would have been on time, for rules with a deadline.
    pub due: Option<Timestamp>,
    /// When it was put right (`resolved`), or the last occurrence (`occurred`, several).
    pub until: Option<Timestamp>,
    /// How long past the deadline (or, for rules without one, how long non-compliant), up to
    /// `until` or the as-of instant. `None` for one-off occurrences.
    pub overdue_seconds: Option<i64>,
    /// What happened, in a sentence.
    pub detail: String,
    /// The entries that prove it, in seq order.
    pub seqs: Vec<u64>,
}

impl Finding {
    /// `overdue_seconds` for humans (`3d 4h`).
    pub fn overdue_text(&self) -> Option<String> {
        self.overdue_seconds
            .map(|s| crate::time::fmt_duration(s.saturating_mul(1_000_000)))
    }
}

/// Every finding of every rule (or only `only`), in rule order, then by `since`.
pub fn audit(state: &State, config: &Config, only: Option<&Rule>) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in RULES {
        if only.is_some_and(|o| o.id != r.id) {
            continue;
        }
        let mut f = (r.check)(state, config);
        f.sort_by(|a, b| (a.since, &a.subject).cmp(&(b.since, &b.subject)));
        out.extend(f);
    }
    out
}

/// The fact view of a stored entry.
pub fn fact(e: &StoredEntry) -> Fact<'_> {
    Fact {
        seq: e.entry.seq,
        hash: e.hash,
        occurred_at: e.entry.event.body.occurred_at,
        author: e.entry.event.body.author,
        event: &e.entry.event.body.event,
    }
}

/// Builds the state as of `as_of` (`None`: everything) from every entry of `ledger`, in memory
/// that does not grow with the record accesses: every other entry is read (through the type
/// index) and folded first, then the accesses stream past one at a time and are judged
/// against the result ([`accesses`]).
pub fn load(ledger: &Ledger, as_of: Option<Timestamp>) -> Result<State> {
    let access = crate::rows::index::type_tag("RecordAccessed").expect("a catalogue type");
    let mut seqs = Vec::new();
    for (tag, name) in igl_schema::Event::TYPES.iter().enumerate() {
        if tag as u32 != access {
            seqs.extend(ledger.type_entries(name)?);
        }
    }
    seqs.sort_unstable();
    let entries = ledger.entries_at(seqs).collect::<Result<Vec<_>>>()?;
    let mut state = State::build(as_of, entries.iter().map(fact));
    drop(entries);
    // One sequential pass (faster than a point read per access from the type index).
    for e in ledger.entries(0) {
        let e = e?;
        if matches!(
            e.entry.event.body.event,
            igl_schema::Event::RecordAccessed(_)
        ) {
            state.observe_access(&fact(&e));
        }
    }
    Ok(state)
}
