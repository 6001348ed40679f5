//! Subject-rights requests (UK GDPR Arts. 15–21) and their statutory deadlines, as of any
//! instant.
//!
//! [`Ledger::requests`] reads only the entries of the six event types involved
//! (`SubjectRightsRequestReceived`, `…IdentityVerified`, `…Extended`, `…Fulfilled`, `…Refused`,
//! and `Redacted`), found through the `by_type` index, and keeps those whose `occurred_at` is at
//! or before the instant asked about.
//!
//! **The deadline** (ICO guidance on Art. 12(3)): one calendar month from the day the
//! requester's identity was verified; when that month has no corresponding day, the last day of
//! the month (31 January → 28 February, or 29 February in a leap year). An extension by two
//! further months counts only when it was recorded on or before that one-month due date (the
//! requester must be told within the first month); the due date is then three calendar months
//! after verification, clamped the same way. A later extension does not extend anything and is
//! flagged. Until the identity is verified the clock has not started. Dates are UTC calendar
//! dates; a request is due by the end of its due date, and overdue from the day after.

use std::collections::BTreeMap;

use chrono::Months;
use igl_schema::{Date, Event, RequestId, Right, Subject, Timestamp};
use serde::Serialize;

use crate::error::Result;
use crate::store::{Ledger, PayloadState};

/// `d` plus `n` calendar months; when the target month has no such day, its last day
/// (2026-01-31 + 1 month = 2026-02-28; 2028-01-31 + 1 month = 2028-02-29).
pub fn add_months(d: Date, n: u32) -> Date {
    Date(
        d.0.checked_add_months(Months::new(n))
            .expect("dates stay in range"),
    )
}

/// The one-month due date of a request whose requester's identity was verified on `verified`.
pub fn one_month_due(verified: Date) -> Date {
    add_months(verified, 1)
}

/// The due date after an extension made in time: three calendar months after verification.
pub fn extended_due(verified: Date) -> Date {
    add_months(verified, 3)
}

/// Whether an extension recorded on `extended_on` counts: on or before the one-month due date.
pub fn extension_in_time(verified: Date, extended_on: Date) -> bool {
    extended_on <= one_month_due(verified)
}

/// A request's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The last day to answer.
    pub due: Date,
    /// An extension recorded in time moved it to three months.
    pub extended: bool,
    /// The first extension recorded after the one-month due date (which does not count).
    pub late_extension: Option<Date>,
}

/// The deadline of a request verified on `verified`, given the dates its extensions were
/// recorded on (in any order).
pub fn deadline(verified: Date, extensions: &[Date]) -> Deadline {
    let extended = extensions.iter().any(|&e| extension_in_time(verified, e));
    let late_extension = extensions
        .iter()
        .copied()
        .filter(|&e| !extension_in_time(verified, e))
        .min();
    Deadline {
        due: if extended {
            extended_due(verified)
        } else {
            one_month_due(verified)
        },
        extended,
        late_extension,
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    i64::from(to.days()) - i64::from(from.days())
}

/// Where a request stands on the clock at the instant asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Clock {
    /// The identity is not verified yet: the clock has not started.
    AwaitingIdentity,
    /// Open, due in `days` days (0: due today).
    DaysLeft { days: i64 },
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
    /// Neither fulfilled, refused nor erased.
    pub fn is_open(&self) -> bool {
        matches!(self, Outcome::Open)
    }
}

/// An extension as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub on: Date,
    pub seq: u64,
    /// Recorded on or before the one-month due date (only then does it count).
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
    /// The day the identity was verified (the clock starts), and the entry that says so.
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
    "SubjectRightsRequestExtended",
    "SubjectRightsRequestFulfilled",
    "SubjectRightsRequestRefused",
    "Redacted",
];

/// Where a request stands at `today`, given its deadline and outcome.
pub fn clock(deadline: Option<&Deadline>, outcome: &Outcome, today: Date) -> Clock {
    match (deadline, outcome.answered_on()) {
        (None, None) => Clock::AwaitingIdentity,
        (None, Some(_)) => Clock::AnsweredUnverified,
        (Some(d), Some(on)) if on <= d.due => Clock::AnsweredInTime {
            days_early: days_between(on, d.due),
        },
        (Some(d), Some(on)) => Clock::AnsweredLate {
            days: days_between(d.due, on),
        },
        (Some(d), None) if today <= d.due => Clock::DaysLeft {
            days: days_between(today, d.due),
        },
        (Some(d), None) => Clock::Overdue {
            days: days_between(d.due, today),
        },
    }
}

struct Building {
    status: RequestStatus,
    extension_days: Vec<(Date, u64)>,
    answers: Vec<(Date, u64, Outcome)>,
}

impl Ledger {
    /// Every subject-rights request as the world stood at `as_of` (entries that occurred at or
    /// before it, including ones recorded later), found through the `by_type` index.
    pub fn requests(&self, as_of: Timestamp) -> Result<RequestsReport> {
        let mut seqs: Vec<u64> = Vec::new();
        for t in REQUEST_TYPES {
            seqs.extend(self.type_entries(t)?);
        }
        let mut facts = Vec::new();
        for e in self.entries_at(seqs) {
            let e = e?;
            let body = &e.entry.event.body;
            if body.occurred_at <= as_of {
                facts.push((body.occurred_at, e.entry.seq, e));
            }
        }
        // The order things happened in; ties in seq order.
        facts.sort_by_key(|(at, seq, _)| (*at, *seq));

        let mut requests: BTreeMap<RequestId, Building> = BTreeMap::new();
        let mut notes = Vec::new();
        for (at, seq, e) in facts {
            let day = at.date();
            let ev = &e.entry.event.body.event;
            let (request, what) = match ev {
                Event::SubjectRightsRequestReceived(r) => {
                    requests.entry(r.request.clone()).or_insert(Building {
                        status: RequestStatus {
                            request: r.request.clone(),
                            right: r.right,
                            data_subject: r.data_subject.clone(),
                            received: day,
                            received_seq: seq,
                            verified: None,
                            extensions: Vec::new(),
                            deadline: None,
                            outcome: Outcome::Open,
                            clock: Clock::AwaitingIdentity,
                            seqs: Vec::new(),
                        },
                        extension_days: Vec::new(),
                        answers: Vec::new(),
                    });
                    (&r.request, None)
                }
                Event::SubjectRightsIdentityVerified(r) => (&r.request, Some(Fact::Verified)),
                Event::SubjectRightsRequestExtended(r) => (&r.request, Some(Fact::Extended)),
                Event::SubjectRightsRequestFulfilled(r) => (&r.request, Some(Fact::Fulfilled)),
                Event::SubjectRightsRequestRefused(r) => (
                    &r.request,
                    Some(Fact::Refused(match e.payload {
                        PayloadState::Redacted { .. } | PayloadState::Missing => None,
                        _ => r.reason.value().map(str::to_string),
                    })),
                ),
                Event::Redacted(r) => match &r.request {
                    Some(req) => (req, Some(Fact::Redacted)),
                    None => continue,
                },
                _ => continue,
            };
            let Some(b) = requests.get_mut(request) else {
                notes.push(format!(
                    "seq {seq}: {} names request {request}, which had not been received by then",
                    ev.type_name()
                ));
                continue;
            };
            b.status.seqs.push(seq);
            match what {
                None => {}
                Some(Fact::Verified) => {
                    b.status.verified.get_or_insert((day, seq));
                }
                Some(Fact::Extended) => b.extension_days.push((day, seq)),
                Some(Fact::Fulfilled) => {
                    b.answers
                        .push((day, seq, Outcome::Fulfilled { on: day, seq }))
                }
                Some(Fact::Refused(reason)) => b.answers.push((
                    day,
                    seq,
                    Outcome::Refused {
                        on: day,
                        seq,
                        reason,
                    },
                )),
                Some(Fact::Redacted) if b.status.right == Right::Erasure => {
                    b.answers.push((day, seq, Outcome::Erased { on: day, seq }))
                }
                Some(Fact::Redacted) => {}
            }
        }

        let today = as_of.date();
        let requests = requests
            .into_values()
            .map(|mut b| {
                let s = &mut b.status;
                s.seqs.sort_unstable();
                if let Some((v, _)) = s.verified {
                    let days: Vec<Date> = b.extension_days.iter().map(|(d, _)| *d).collect();
                    s.deadline = Some(deadline(v, &days));
                    s.extensions = b
                        .extension_days
                        .iter()
                        .map(|&(on, seq)| Extension {
                            on,
                            seq,
                            in_time: extension_in_time(v, on),
                        })
                        .collect();
                } else {
                    // No clock yet: an extension cannot be judged, so none counts.
                    s.extensions = b
                        .extension_days
                        .iter()
                        .map(|&(on, seq)| Extension {
                            on,
                            seq,
                            in_time: false,
                        })
                        .collect();
                }
                // The first answer (answers are already in the order they happened).
                if let Some((_, _, o)) = b.answers.into_iter().next() {
                    s.outcome = o;
                }
                s.clock = clock(s.deadline.as_ref(), &s.outcome, today);
                b.status
            })
            .collect();
        Ok(RequestsReport {
            as_of,
            requests,
            notes,
        })
    }
}

enum Fact {
    Verified,
    Extended,
    Fulfilled,
    Refused(Option<String>),
    Redacted,
}

fn plural(n: i64, one: &str) -> String {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn one_month_is_the_same_day_next_month() {
        assert_eq!(one_month_due(d("2026-03-15")), d("2026-04-15"));
        assert_eq!(one_month_due(d("2026-12-15")), d("2027-01-15"));
        // 30- and 31-day months
        assert_eq!(one_month_due(d("2026-04-30")), d("2026-05-30"));
        assert_eq!(one_month_due(d("2026-03-31")), d("2026-04-30"));
        assert_eq!(one_month_due(d("2026-05-31")), d("2026-06-30"));
        assert_eq!(one_month_due(d("2026-08-31")), d("2026-09-30"));
        assert_eq!(one_month_due(d("2026-07-31")), d("2026-08-31"));
    }

    #[test]
    fn the_31st_of_january_is_due_on_the_last_day_of_february() {
        assert_eq!(one_month_due(d("2026-01-31")), d("2026-02-28"));
        assert_eq!(one_month_due(d("2026-01-29")), d("2026-02-28"));
        assert_eq!(one_month_due(d("2026-01-28")), d("2026-02-28"));
        // leap years
        assert_eq!(one_month_due(d("2028-01-31")), d("2028-02-29"));
        assert_eq!(one_month_due(d("2028-01-30")), d("2028-02-29"));
        assert_eq!(one_month_due(d("2028-01-29")), d("2028-02-29"));
        assert_eq!(
            one_month_due(d("2100-01-31")),
            d("2100-02-28"),
            "not a leap year"
        );
        assert_eq!(
            one_month_due(d("2000-01-31")),
            d("2000-02-29"),
            "a leap year"
        );
    }

    #[test]
    fn three_months_clamp_the_same_way() {
        assert_eq!(extended_due(d("2026-01-15")), d("2026-04-15"));
        assert_eq!(extended_due(d("2026-11-30")), d("2027-02-28"));
        assert_eq!(extended_due(d("2027-11-30")), d("2028-02-29"));
        assert_eq!(extended_due(d("2026-03-31")), d("2026-06-30"));
        assert_eq!(extended_due(d("2026-05-31")), d("2026-08-31"));
    }

    #[test]
    fn an_extension_counts_only_on_or_before_the_one_month_due_date() {
        // Verified 1 January: January has 31 days, so due 1 February is day 31.
        let v = d("2026-01-01");
        assert_eq!(one_month_due(v), d("2026-02-01"));
        let day31 = deadline(v, &[d("2026-02-01")]);
        assert_eq!(
            day31,
            Deadline {
                due: d("2026-04-01"),
                extended: true,
                late_extension: None
            }
        );
        let day32 = deadline(v, &[d("2026-02-02")]);
        assert_eq!(
            day32,
            Deadline {
                due: d("2026-02-01"),
                extended: false,
                late_extension: Some(d("2026-02-02"))
            }
        );
        // Verified 31 January: the first month ends on 28 February.
        let v = d("2026-01-31");
        assert!(extension_in_time(v, d("2026-02-28")));
        assert!(!extension_in_time(v, d("2026-03-01")));
        assert_eq!(deadline(v, &[d("2026-02-28")]).due, d("2026-04-30"));
        // Same day as verification counts; a late one beside an in-time one is still flagged.
        let both = deadline(v, &[d("2026-03-03"), d("2026-01-31")]);
        assert!(both.extended);
        assert_eq!(both.due, d("2026-04-30"));
        assert_eq!(both.late_extension, Some(d("2026-03-03")));
        // No extension.
        assert_eq!(
            deadline(v, &[]),
            Deadline {
                due: d("2026-02-28"),
                extended: false,
                late_extension: None
            }
        );
    }

    #[test]
    fn the_clock_before_on_and_after_the_due_date() {
        let dl = deadline(d("2026-01-31"), &[]);
        let open = Outcome::Open;
        assert_eq!(
            clock(Some(&dl), &open, d("2026-02-20")),
            Clock::DaysLeft { days: 8 }
        );
        assert_eq!(
            clock(Some(&dl), &open, d("2026-02-28")),
            Clock::DaysLeft { days: 0 }
        );
        assert_eq!(
            clock(Some(&dl), &open, d("2026-03-01")),
            Clock::Overdue { days: 1 }
        );
        let on_due = Outcome::Fulfilled {
            on: d("2026-02-28"),
            seq: 9,
        };
        assert_eq!(
            clock(Some(&dl), &on_due, d("2026-06-01")),
            Clock::AnsweredInTime { days_early: 0 }
        );
        let late = Outcome::Refused {
            on: d("2026-03-02"),
            seq: 9,
            reason: None,
        };
        assert_eq!(
            clock(Some(&dl), &late, d("2026-06-01")),
            Clock::AnsweredLate { days: 2 }
        );
        assert_eq!(clock(None, &open, d("2026-06-01")), Clock::AwaitingIdentity);
        assert_eq!(
            clock(None, &late, d("2026-06-01")),
            Clock::AnsweredUnverified
        );
        assert!(Clock::Overdue { days: 1 }.is_overdue());
        assert!(!Clock::DaysLeft { days: 0 }.is_overdue());
    }

    #[test]
    fn days_between_counts_calendar_days() {
        assert_eq!(days_between(d("2026-02-28"), d("2026-03-01")), 1);
        assert_eq!(days_between(d("2028-02-28"), d("2028-03-01")), 2);
        assert_eq!(days_between(d("2026-03-01"), d("2026-02-28")), -1);
    }
}
