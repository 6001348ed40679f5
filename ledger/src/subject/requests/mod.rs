//! Subject-rights requests (UK GDPR Arts. 15–21) and their statutory deadlines, as of any
//! instant: **the one model** `igl requests`, the rules R11 and R15 (`igl audit`), `igl status`,
//! the terminal UI and the SAR pack all read.
//!
//! A request's history is folded by [`apply`] (the governance projection calls it for every
//! request event, [`Ledger::requests`] for the entries the `by_type` index finds) into a
//! [`Request`]; its deadline is [`Request::deadline`] and its answer [`Request::outcome`]. No
//! other code computes either.
//!
//! **The clock** (UK GDPR Art. 12A, inserted by the Data (Use and Access) Act 2025 s.76, in
//! force from 5 February 2026 (SI 2026/82); ICO guidance, *Right of access: what should we
//! consider when responding to a request?*, December 2025):
//! - It starts at *the relevant time* (Art. 12A(2)): the latest of the day the request was
//!   received and the day the information asked for to confirm the requester's identity
//!   (Art. 12(6)) arrived (`SubjectRightsIdentityVerified`). igl records no fees (Art. 12A(2)(c)):
//!   a council charging one records its receipt as the identity step's day or later. Until the
//!   identity is verified the clock has not started (Art. 12(6)(b): the controller may delay).
//! - It runs one month (Art. 12A(1)) to the same date of the next month; when that month has no
//!   such date, its last day (31 January → 28 February, or 29 in a leap year).
//! - **It stops for clarification** (Art. 12A(5)): for a right-of-access request (Art. 15), the
//!   period *beginning with* the day the council asks the requester for information it
//!   reasonably needs to identify what the request is about (`SubjectRightsClarificationRequested`)
//!   and *ending with* the day it arrives (`SubjectRightsClarificationReceived`) does not count,
//!   both days included. Each such day within the period pushes its end out by one day. While
//!   the answer is awaited, the clock stands still (the end is computed as if it arrived today).
//!   A clarification asked after the period has ended, for another right, or on a request
//!   received before 5 February 2026 (SI 2026/82 reg. 4) stops nothing, and is flagged.
//! - **An extension** by two further months (Art. 12A(3)) counts only when the requester was told
//!   before the end of the first month (Art. 12A(4)(a)), itself pushed out by the pause
//!   (Art. 12A(5)(b)(ii)); the period then ends three calendar months after the clock started
//!   (the ICO counts the extension "from the original start date"), clamped the same way and
//!   pushed out by the pause. A later extension extends nothing and is flagged.
//! - **The last day to answer** is the end of the period, moved to the next working day when it
//!   falls on a weekend or an England and Wales bank holiday (ICO: "If the date for responding
//!   falls on a weekend or is a public holiday, the deadline moves to the end of the next working
//!   day"). The notice of an extension is not moved (the Act, not the ICO, sets that limit).
//! - **Days are UK calendar days** (Europe/London): an entry at 23:30Z on 31 July happened on
//!   1 August. A request is answered in time when answered at or before the last instant of its
//!   last day in London ([`Deadline::due_at`], a UTC instant).
//!
//! **Where the law is unsettled** (README, *The SAR clock*): the ICO's count ("to the same date
//! in the following month") is one day more generous than the usual reading of "one month
//! beginning with"; igl follows the ICO. "Two further months" read literally from the end of
//! the first month can be a day or two shorter at month ends (31 January: 28 April against the
//! ICO's 30 April); igl follows the ICO.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use igl_schema::{Date, Event, RequestId, Right, Subject, Timestamp};
use serde::Serialize;

use crate::error::Result;
use crate::store::Ledger;
use crate::time::{Calendar, Stamp, add_months, day_end, uk_date};

mod report;

pub use report::*;

/// The day the Data (Use and Access) Act 2025's subject-rights time limits (UK GDPR Art. 12A)
/// came into force; they do not apply to a request received before it (SI 2026/82 reg. 4).
pub const ART_12A_IN_FORCE: NaiveDate = match NaiveDate::from_ymd_opt(2026, 2, 5) {
    Some(d) => d,
    None => panic!("a real date"),
};

fn next_day(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1))
        .expect("dates stay in range")
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    i64::from(to.days()) - i64::from(from.days())
}

/// A request for clarification (Art. 12A(5)) and its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Clarification {
    /// When the council asked.
    pub asked: Stamp,
    /// When the requester's answer arrived; `None` while awaited.
    pub received: Option<Stamp>,
}

/// How a request was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Fulfilled,
    Refused {
        /// The stated reason, unless it was erased.
        reason: Option<String>,
    },
    /// A `Redacted` entry made for an erasure request.
    Erased,
}

/// One request's history, folded in the order things happened (`occurred_at`, ties by seq).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    pub id: RequestId,
    pub right: Right,
    pub data_subject: Subject,
    pub received: Stamp,
    /// The first `SubjectRightsIdentityVerified`.
    pub identity_verified: Option<Stamp>,
    /// Every request for clarification, in order; a receipt answers every one awaited.
    pub clarifications: Vec<Clarification>,
    /// Every `SubjectRightsRequestExtended`, in order.
    pub extensions: Vec<Stamp>,
    /// Every answer, in order (the first one counts): fulfilled, refused, and for an erasure
    /// request each `Redacted` entry made for it.
    pub answers: Vec<(Stamp, Answer)>,
    /// Every `Redacted` entry made for this request (whatever its right).
    pub redactions: Vec<Stamp>,
    /// Every entry about this request, in seq order.
    pub seqs: Vec<u64>,
}

/// Folds one entry into `requests`. Returns what to note when the entry names a request not
/// received by then (kept, never dropped silently); entries of other types are ignored.
pub fn apply(
    requests: &mut BTreeMap<RequestId, Request>,
    seq: u64,
    at: Timestamp,
    event: &Event,
) -> Option<String> {
    let st = Stamp { at, seq };
    let request = match event {
        Event::SubjectRightsRequestReceived(e) => {
            let r = requests.entry(e.request.clone()).or_insert(Request {
                id: e.request.clone(),
                right: e.right,
                data_subject: e.data_subject.clone(),
                received: st,
                identity_verified: None,
                clarifications: Vec::new(),
                extensions: Vec::new(),
                answers: Vec::new(),
                redactions: Vec::new(),
                seqs: Vec::new(),
            });
            insert_seq(&mut r.seqs, seq);
            return None;
        }
        Event::SubjectRightsIdentityVerified(e) => &e.request,
        Event::SubjectRightsClarificationRequested(e) => &e.request,
        Event::SubjectRightsClarificationReceived(e) => &e.request,
        Event::SubjectRightsRequestExtended(e) => &e.request,
        Event::SubjectRightsRequestFulfilled(e) => &e.request,
        Event::SubjectRightsRequestRefused(e) => &e.request,
        Event::Redacted(e) => e.request.as_ref()?,
        _ => return None,
    };
    let Some(r) = requests.get_mut(request) else {
        return Some(format!(
            "{} names request {request}, which had not been received by then",
            event.type_name()
        ));
    };
    insert_seq(&mut r.seqs, seq);
    match event {
        Event::SubjectRightsIdentityVerified(_) => {
            r.identity_verified.get_or_insert(st);
        }
        Event::SubjectRightsClarificationRequested(_) => r.clarifications.push(Clarification {
            asked: st,
            received: None,
        }),
        Event::SubjectRightsClarificationReceived(_) => {
            // The requester's answer answers every question awaited (a council that asked
            // twice gets one reply): no clarification stays awaited for ever.
            let mut answered = false;
            for c in r.clarifications.iter_mut().filter(|c| c.received.is_none()) {
                c.received = Some(st);
                answered = true;
            }
            if !answered {
                return Some(format!(
                    "{} for request {request}, which had no clarification awaited",
                    event.type_name()
                ));
            }
        }
        Event::SubjectRightsRequestExtended(_) => r.extensions.push(st),
        Event::SubjectRightsRequestFulfilled(_) => r.answers.push((st, Answer::Fulfilled)),
        Event::SubjectRightsRequestRefused(e) => r.answers.push((
            st,
            Answer::Refused {
                reason: e.reason.value().map(str::to_string),
            },
        )),
        Event::Redacted(_) => {
            r.redactions.push(st);
            if r.right == Right::Erasure {
                r.answers.push((st, Answer::Erased));
            }
        }
        _ => {}
    }
    None
}

fn insert_seq(seqs: &mut Vec<u64>, seq: u64) {
    if let Err(i) = seqs.binary_search(&seq) {
        seqs.insert(i, seq);
    }
}

/// How a clarification counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseRule {
    /// It stopped the clock (Art. 12A(5)).
    Counted,
    /// Asked before the clock started: only its days from the start count.
    BeforeStart,
    /// Asked after the period had ended: it stops nothing.
    AfterDeadline,
    /// The right is not the right of access (Art. 15): Art. 12A(5) does not apply.
    NotAccess,
    /// The request was received before 5 February 2026 (SI 2026/82 reg. 4).
    BeforeTheAct,
    /// Asked after the request was answered.
    AfterAnswer,
}

/// A clarification as the clock judged it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub asked: Date,
    pub asked_seq: u64,
    /// When the answer arrived; `None` while awaited at the instant asked about.
    pub received: Option<Date>,
    pub received_seq: Option<u64>,
    /// The days it kept the clock stopped (0 when it stops nothing).
    pub days: i64,
    pub rule: PauseRule,
}

/// A request's deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The day the clock started (Art. 12A(2)): the later of receipt and identity verification.
    pub start: Date,
    /// The last day to give notice of an extension (Art. 12A(4)(a)): the end of the first
    /// month, pushed out by the pause.
    pub notice_by: Date,
    /// Every clarification, as the clock judged it.
    pub pauses: Vec<Pause>,
    /// Days the clock stood still in all.
    pub paused_days: i64,
    /// A clarification is awaited at the instant asked about: the clock is stopped.
    pub paused: bool,
    /// An extension was notified in time: the period is three months.
    pub extended: bool,
    /// The day the first extension recorded after `notice_by` (which extends nothing) was made.
    pub late_extension: Option<Date>,
    /// The last day of the period (before moving off a weekend or bank holiday).
    pub period_end: Date,
    /// The last day to answer: `period_end`, or the next working day when it is a weekend or an
    /// England and Wales bank holiday.
    pub due: Date,
    /// The last instant to answer: the end of `due` in London, as a UTC instant.
    pub due_at: Timestamp,
}

/// Where a request stands on the clock at the instant asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Clock {
    /// The identity is not verified yet: the clock has not started.
    AwaitingIdentity,
    /// Open, due in `days` days (0: due today).
    DaysLeft { days: i64 },
    /// Open with a clarification awaited since `since`: the clock is stopped with `days` days
    /// left to count once it arrives.
    Paused { since: Date, days: i64 },
    /// Open past its due date by `days` days.
    Overdue { days: i64 },
    /// Answered `days_early` days before the due date (0: on it).
    AnsweredInTime { days_early: i64 },
    /// Answered `days` days after the due date.
    AnsweredLate { days: i64 },
    /// Answered before the identity was verified (no clock to judge against).
    AnsweredUnverified,
}

impl Clock {
    /// Its JSON name: `awaiting_identity`, `open`, `paused`, `overdue`, `answered_in_time`,
    /// `answered_late` or `answered_unverified`.
    pub fn name(&self) -> &'static str {
        match self {
            Clock::AwaitingIdentity => "awaiting_identity",
            Clock::DaysLeft { .. } => "open",
            Clock::Paused { .. } => "paused",
            Clock::Overdue { .. } => "overdue",
            Clock::AnsweredInTime { .. } => "answered_in_time",
            Clock::AnsweredLate { .. } => "answered_late",
            Clock::AnsweredUnverified => "answered_unverified",
        }
    }
    /// Open past its due date.
    pub fn is_overdue(&self) -> bool {
        matches!(self, Clock::Overdue { .. })
    }
}

/// How a request was answered, as of the instant asked about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Neither fulfilled nor refused (nor, for erasure, erased).
    Open,
    Fulfilled {
        on: Date,
        seq: u64,
    },
    Refused {
        on: Date,
        seq: u64,
        /// The stated reason, unless it was itself erased.
        reason: Option<String>,
    },
    /// An erasure request done by a `Redacted` entry that names it.
    Erased {
        on: Date,
        seq: u64,
    },
}

impl Outcome {
    /// The day it was answered.
    pub fn answered_on(&self) -> Option<Date> {
        match self {
            Outcome::Open => None,
            Outcome::Fulfilled { on, .. }
            | Outcome::Refused { on, .. }
            | Outcome::Erased { on, .. } => Some(*on),
        }
    }
    /// The entry that answered it.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Outcome::Open => None,
            Outcome::Fulfilled { seq, .. }
            | Outcome::Refused { seq, .. }
            | Outcome::Erased { seq, .. } => Some(*seq),
        }
    }
    /// Neither fulfilled, refused nor erased.
    pub fn is_open(&self) -> bool {
        matches!(self, Outcome::Open)
    }
}

fn date(t: Timestamp) -> Date {
    Date(uk_date(t))
}

/// The period's end from `base`, pushed out one day for each stopped day up to it (the days
/// sorted and distinct): the day on which the period's count of days is complete, skipping them.
fn push_out(base: NaiveDate, stopped: &[NaiveDate]) -> NaiveDate {
    let mut end = base;
    for &d in stopped {
        if d <= end {
            end = next_day(end);
        }
    }
    end
}

impl Request {
    /// The first answer (fulfilled, refused, or for an erasure request, erased), if any.
    pub fn outcome(&self) -> Outcome {
        match self.answers.first() {
            None => Outcome::Open,
            Some((st, a)) => {
                let (on, seq) = (date(st.at), st.seq);
                match a {
                    Answer::Fulfilled => Outcome::Fulfilled { on, seq },
                    Answer::Refused { reason } => Outcome::Refused {
                        on,
                        seq,
                        reason: reason.clone(),
                    },
                    Answer::Erased => Outcome::Erased { on, seq },
                }
            }
        }
    }

    /// The day the clock started: the later of receipt and identity verification; `None`
    /// until the identity is verified.
    pub fn clock_start(&self) -> Option<Date> {
        let v = self.identity_verified?;
        Some(date(v.at).max(date(self.received.at)))
    }

    /// The deadline as of the UK date `today` (which only matters while a clarification is
    /// awaited: the clock stands still through today). `None` until the identity is verified.
    pub fn deadline(&self, today: Date) -> Option<Deadline> {
        let start = self.clock_start()?.0;
        let answer = self.answers.first().map(|(st, _)| *st);
        let answered = answer.map(|st| uk_date(st.at));
        let cal = Calendar::default();
        // Judge each clarification in order against the period as it stood when it was asked.
        let mut stopped: Vec<NaiveDate> = Vec::new();
        let mut pauses = Vec::new();
        let mut paused = false;
        // Extensions and clarifications interleave: the notice deadline moves with the pause,
        // and a clarification asked in months two and three of an extended period counts.
        let mut events: Vec<(Stamp, Option<&Clarification>)> =
            self.extensions.iter().map(|e| (*e, None)).collect();
        events.extend(self.clarifications.iter().map(|c| (c.asked, Some(c))));
        events.sort_by_key(|(st, _)| *st);
        let mut extended = false;
        let mut late_extension = None;
        for (st, c) in events {
            let on = uk_date(st.at);
            let notice_by = push_out(add_months(start, 1), &stopped);
            let Some(c) = c else {
                if on <= notice_by {
                    extended = true;
                } else if late_extension.is_none() {
                    late_extension = Some(Date(on));
                }
                continue;
            };
            let end_now = push_out(add_months(start, if extended { 3 } else { 1 }), &stopped);
            let received = c.received.map(|r| uk_date(r.at));
            let rule = if self.right != Right::Access {
                PauseRule::NotAccess
            } else if uk_date(self.received.at) < ART_12A_IN_FORCE {
                PauseRule::BeforeTheAct
            } else if answer.is_some_and(|a| a < c.asked) {
                PauseRule::AfterAnswer
            } else if on > end_now {
                PauseRule::AfterDeadline
            } else if on < start {
                PauseRule::BeforeStart
            } else {
                PauseRule::Counted
            };
            // The days stopped: from the asking day (or the clock's start) to the receipt day,
            // both included; while awaited, through the answer's day or today.
            let last = received.unwrap_or_else(|| answered.unwrap_or(today.0).min(today.0));
            let mut days = 0;
            if matches!(rule, PauseRule::Counted | PauseRule::BeforeStart) {
                if received.is_none() && answered.is_none() {
                    paused = true;
                }
                let mut d = on.max(start);
                while d <= last {
                    if let Err(i) = stopped.binary_search(&d) {
                        stopped.insert(i, d);
                        days += 1;
                    }
                    d = next_day(d);
                }
            }
            pauses.push(Pause {
                asked: Date(on),
                asked_seq: c.asked.seq,
                received: received.map(Date),
                received_seq: c.received.map(|r| r.seq),
                days,
                rule,
            });
        }
        let notice_by = push_out(add_months(start, 1), &stopped);
        let period_end = push_out(add_months(start, if extended { 3 } else { 1 }), &stopped);
        let due = cal.on_or_next_working_day(period_end);
        Some(Deadline {
            start: Date(start),
            notice_by: Date(notice_by),
            paused_days: stopped.len() as i64,
            pauses,
            paused,
            extended,
            late_extension,
            period_end: Date(period_end),
            due: Date(due),
            due_at: day_end(due),
        })
    }

    /// Where the request stands on the UK date `today`.
    pub fn clock(&self, today: Date) -> Clock {
        self.clock_of(self.deadline(today).as_ref(), &self.outcome(), today)
    }

    /// Where the request stands on `today`, given its deadline and outcome as of then.
    fn clock_of(&self, deadline: Option<&Deadline>, outcome: &Outcome, today: Date) -> Clock {
        match (deadline, outcome.answered_on()) {
            (None, None) => Clock::AwaitingIdentity,
            (None, Some(_)) => Clock::AnsweredUnverified,
            (Some(d), Some(on)) if on <= d.due => Clock::AnsweredInTime {
                days_early: days_between(on, d.due),
            },
            (Some(d), Some(on)) => Clock::AnsweredLate {
                days: days_between(d.due, on),
            },
            (Some(d), None) if d.paused => Clock::Paused {
                since: d
                    .pauses
                    .iter()
                    .filter(|p| p.received.is_none() && p.days > 0)
                    .map(|p| p.asked)
                    .min()
                    .unwrap_or(today),
                days: days_between(today, d.due),
            },
            (Some(d), None) if today <= d.due => Clock::DaysLeft {
                days: days_between(today, d.due),
            },
            (Some(d), None) => Clock::Overdue {
                days: days_between(d.due, today),
            },
        }
    }

    /// The request as reports show it at the instant `as_of`.
    pub fn status(&self, as_of: Timestamp) -> RequestStatus {
        let today = date(as_of);
        let deadline = self.deadline(today);
        let extensions = self
            .extensions
            .iter()
            .map(|e| Extension {
                on: date(e.at),
                seq: e.seq,
                // No clock yet: an extension cannot be judged, so none counts.
                in_time: deadline.as_ref().is_some_and(|d| date(e.at) <= d.notice_by),
            })
            .collect();
        let outcome = self.outcome();
        RequestStatus {
            request: self.id.clone(),
            right: self.right,
            data_subject: self.data_subject.clone(),
            received: date(self.received.at),
            received_seq: self.received.seq,
            verified: self.identity_verified.map(|v| (date(v.at), v.seq)),
            extensions,
            clock: self.clock_of(deadline.as_ref(), &outcome, today),
            outcome,
            deadline,
            seqs: self.seqs.clone(),
        }
    }
}
