//! Every request's status at an instant (`igl requests`, `Ledger::requests`), and the one JSON form of a request ([`RequestLine`]).

use super::*;

/// An extension as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub on: Date,
    pub seq: u64,
    /// Notified on or before the end of the first month, pushed out by the pause (only then
    /// does it count).
    pub in_time: bool,
}

/// One request as of the instant asked about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestStatus {
    pub request: RequestId,
    pub right: Right,
    pub data_subject: Subject,
    pub received: Date,
    pub received_seq: u64,
    /// The day the identity was verified, and the entry that says so.
    pub verified: Option<(Date, u64)>,
    pub extensions: Vec<Extension>,
    /// `None` while awaiting identity.
    pub deadline: Option<Deadline>,
    pub outcome: Outcome,
    pub clock: Clock,
    /// Every entry about this request (in seq order), including `Redacted` entries naming it.
    pub seqs: Vec<u64>,
}

/// Every subject-rights request as of an instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestsReport {
    pub as_of: Timestamp,
    /// In request-id order.
    pub requests: Vec<RequestStatus>,
    /// Entries that name a request not received by then (kept, never dropped silently).
    pub notes: Vec<String>,
}

/// The event types a request's history is made of.
pub const REQUEST_TYPES: &[&str] = &[
    "SubjectRightsRequestReceived",
    "SubjectRightsIdentityVerified",
    "SubjectRightsClarificationRequested",
    "SubjectRightsClarificationReceived",
    "SubjectRightsRequestExtended",
    "SubjectRightsRequestFulfilled",
    "SubjectRightsRequestRefused",
    "Redacted",
];

impl Ledger {
    /// Every subject-rights request as the world stood at `as_of` (entries that occurred at or
    /// before it, including ones recorded later), found through the `by_type` index and folded
    /// by [`apply`], as the governance projection folds them.
    pub fn requests(&self, as_of: Timestamp) -> Result<RequestsReport> {
        let mut seqs: Vec<u64> = Vec::new();
        for t in REQUEST_TYPES {
            seqs.extend(self.type_entries(t)?);
        }
        let mut facts = Vec::new();
        for e in self.entries_at(seqs) {
            let e = e?;
            let at = e.entry.event.body.occurred_at;
            if at <= as_of {
                facts.push((at, e.entry.seq, e));
            }
        }
        // The order things happened in; ties in seq order.
        facts.sort_by_key(|(at, seq, _)| (*at, *seq));
        let mut requests = BTreeMap::new();
        let mut notes = Vec::new();
        for (at, seq, e) in &facts {
            if let Some(n) = apply(&mut requests, *seq, *at, &e.entry.event.body.event) {
                notes.push(format!("seq {seq}: {n}"));
            }
        }
        Ok(RequestsReport {
            as_of,
            requests: requests.values().map(|r| r.status(as_of)).collect(),
            notes,
        })
    }
}

/// A request as one JSON line of `igl requests --json` (schema/FORMAT.md, "`igl requests
/// --json`"): the [`RequestStatus`] flattened for readers, the clock's kind named in `status`
/// and its numbers in the keys that kind has. `igl status --json` lists a person's own requests
/// the same way.
#[derive(Serialize)]
pub struct RequestLine<'a> {
    record: &'static str,
    request: &'a RequestId,
    right: Right,
    data_subject: &'a Subject,
    received: Date,
    received_seq: u64,
    verified: Option<Date>,
    verified_seq: Option<u64>,
    extensions: &'a [Extension],
    clock_start: Option<Date>,
    notice_by: Option<Date>,
    clarifications: &'a [Pause],
    paused_days: i64,
    paused: bool,
    extended: bool,
    late_extension: Option<Date>,
    period_end: Option<Date>,
    due: Option<Date>,
    due_at: Option<Timestamp>,
    outcome: &'static str,
    answered_on: Option<Date>,
    answer_seq: Option<u64>,
    reason: Option<&'a str>,
    status: &'static str,
    seqs: &'a [u64],
    #[serde(skip_serializing_if = "Option::is_none")]
    paused_since: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days_left: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days_overdue: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days_late: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days_early: Option<i64>,
}

impl<'a> RequestLine<'a> {
    pub fn new(r: &'a RequestStatus) -> Self {
        let (outcome, answered_on, answer_seq, reason) = match &r.outcome {
            Outcome::Open => ("open", None, None, None),
            Outcome::Fulfilled { on, seq } => ("fulfilled", Some(*on), Some(*seq), None),
            Outcome::Refused { on, seq, reason } => {
                ("refused", Some(*on), Some(*seq), reason.as_deref())
            }
            Outcome::Erased { on, seq } => ("erased", Some(*on), Some(*seq), None),
        };
        let d = r.deadline.as_ref();
        let mut line = RequestLine {
            record: "request",
            request: &r.request,
            right: r.right,
            data_subject: &r.data_subject,
            received: r.received,
            received_seq: r.received_seq,
            verified: r.verified.map(|(d, _)| d),
            verified_seq: r.verified.map(|(_, s)| s),
            extensions: &r.extensions,
            clock_start: d.map(|d| d.start),
            notice_by: d.map(|d| d.notice_by),
            clarifications: d.map_or(&[][..], |d| &d.pauses),
            paused_days: d.map_or(0, |d| d.paused_days),
            paused: d.is_some_and(|d| d.paused),
            extended: d.is_some_and(|d| d.extended),
            late_extension: d.and_then(|d| d.late_extension),
            period_end: d.map(|d| d.period_end),
            due: d.map(|d| d.due),
            due_at: d.map(|d| d.due_at),
            outcome,
            answered_on,
            answer_seq,
            reason,
            status: r.clock.name(),
            seqs: &r.seqs,
            paused_since: None,
            days_left: None,
            days_overdue: None,
            days_late: None,
            days_early: None,
        };
        match r.clock {
            Clock::DaysLeft { days } => line.days_left = Some(days),
            Clock::Paused { since, days } => {
                line.paused_since = Some(since);
                line.days_left = Some(days);
            }
            Clock::Overdue { days } => line.days_overdue = Some(days),
            Clock::AnsweredLate { days } => line.days_late = Some(days),
            Clock::AnsweredInTime { days_early } => line.days_early = Some(days_early),
            Clock::AwaitingIdentity | Clock::AnsweredUnverified => {}
        }
        line
    }
}

pub(super) fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl RequestStatus {
    /// The request's status as a symbol (✔ ⚠ ✘) and words: `open, overdue 3 days`,
    /// `fulfilled 2026-03-02`, `refused 2026-03-02, 4 days late`. `igl requests` and the
    /// terminal UI both print this.
    pub fn status_text(&self) -> (char, String) {
        let answered = match &self.outcome {
            Outcome::Open => None,
            Outcome::Fulfilled { on, .. } => Some(format!("fulfilled {on}")),
            Outcome::Refused { on, .. } => Some(format!("refused {on}")),
            Outcome::Erased { on, .. } => Some(format!("erased {on} (Redacted)")),
        };
        match (self.clock, answered) {
            (Clock::AwaitingIdentity, _) => {
                ('⚠', "open, awaiting identity (clock not started)".into())
            }
            (Clock::Paused { since, days }, _) => (
                '⚠',
                format!(
                    "open, clock stopped since {since} awaiting clarification ({} left)",
                    plural(days, "day")
                ),
            ),
            (Clock::DaysLeft { days: 0 }, _) => ('⚠', "open, due today".into()),
            (Clock::DaysLeft { days }, _) => ('⚠', format!("open, {} left", plural(days, "day"))),
            (Clock::Overdue { days }, _) => ('✘', format!("open, overdue {}", plural(days, "day"))),
            (Clock::AnsweredInTime { .. }, Some(a)) => ('✔', a),
            (Clock::AnsweredLate { days }, Some(a)) => {
                ('✘', format!("{a}, {} late", plural(days, "day")))
            }
            (Clock::AnsweredUnverified, Some(a)) => ('✔', format!("{a} (identity never verified)")),
            (_, None) => ('⚠', "open".into()),
        }
    }

    /// The due date for a table: `2026-03-02`, with `(ext.)` when extended in time and
    /// `(+N paused)` when the clock stood still; `-` before the clock starts.
    pub fn due_text(&self) -> String {
        match &self.deadline {
            None => "-".into(),
            Some(d) => {
                let mut s = d.due.to_string();
                if d.extended {
                    s.push_str(" (ext.)");
                }
                if d.paused_days > 0 {
                    s.push_str(&format!(" (+{} paused)", d.paused_days));
                }
                s
            }
        }
    }
}
