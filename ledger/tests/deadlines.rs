//! Subject-rights requests and their deadlines (`Ledger::requests`, `igl requests`) on small
//! hand-built ledgers: one calendar month from the later of receipt and identity verification,
//! clamped to the month's last day; three months when extended in time; an extension notified
//! late does not count; for access requests the clarification days do not count (UK GDPR
//! Art. 12A(5)); a due date on a weekend or bank holiday moves to the next working day (ICO);
//! days are UK days. And the property that `igl requests` and R11/R15 agree on every request at
//! every instant.

use igl_ledger::Ledger;
use igl_ledger::compliance::{self, Concerns, Config, Status};
use igl_ledger::subject::requests::{self, Clock, Outcome, PauseRule, RequestStatus};
use igl_ledger::testkit::{Genesis, numbered};
use igl_schema::*;
use rocksdb::perf::{PerfContext, PerfMetric, PerfStatsLevel, set_perf_stats};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}
fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}
fn rid(s: &str) -> RequestId {
    RequestId::new(s).unwrap()
}
fn su(s: &str) -> Subject {
    Subject::ServiceUser(RecordId::new(s).unwrap())
}
fn key_for(label: &str) -> SigningKey {
    SigningKey::from_bytes(blake3::hash(label.as_bytes()).as_bytes())
}

/// Everything is appended at this time (facts may be recorded long after they occurred).
const NOW: &str = "2029-01-01T12:00:00Z";

struct L {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    ig: SigningKey,
    feed: SigningKey,
    next: u64,
}

impl L {
    fn new() -> L {
        let dir = tempfile::tempdir().unwrap();
        let admin = key_for("admin");
        let genesis = Genesis::new(LedgerId([3; 16]), t("2025-01-01T09:00:00Z")).sign(&admin);
        let (ledger, _) = Ledger::create(&dir.path().join("l"), &genesis, &admin, t(NOW)).unwrap();
        let ig = key_for("ig");
        let feed = key_for("feed");
        let mut l = L {
            _dir: dir,
            ledger,
            ig: ig.clone(),
            feed: feed.clone(),
            next: 0,
        };
        let subs: Vec<Submission> = [
            (ig, "P2", Role::IgOfficer),
            (feed, "FEED", Role::SystemFeed),
        ]
        .into_iter()
        .map(|(k, p, role)| {
            l.sign(
                "2025-01-01T09:00:00Z",
                Event::KeyEnrolled(KeyEnrolled {
                    key: public_key(&k),
                    person: PersonId::new(p).unwrap(),
                    role,
                    reason: None,
                }),
                &admin,
            )
        })
        .collect();
        l.ledger.append(&subs, &admin, t(NOW)).unwrap();
        l
    }

    fn sign(&mut self, at: &str, e: Event, author: &SigningKey) -> Submission {
        self.next += 1;
        let (id, salt) = numbered(self.next);
        Submission::sign(LedgerId([3; 16]), e, t(at), id, [], author, salt).unwrap()
    }

    /// Appends one event by the IG officer; returns its seq.
    fn ev(&mut self, at: &str, e: Event) -> u64 {
        let ig = self.ig.clone();
        let sub = self.sign(at, e, &ig);
        self.ledger.append(&[sub], &ig, t(NOW)).unwrap().last_seq
    }

    fn received(&mut self, id: &str, right: Right, who: &str, at: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                request: rid(id),
                right,
                data_subject: su(who),
                details: Some(Pii::new(format!("{right} request by letter"))),
            }),
        )
    }
    fn verified(&mut self, id: &str, who: &str, at: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsIdentityVerified(SubjectRightsIdentityVerified {
                request: rid(id),
                data_subject: su(who),
            }),
        )
    }
    fn extended(&mut self, id: &str, who: &str, at: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsRequestExtended(SubjectRightsRequestExtended {
                request: rid(id),
                data_subject: su(who),
                reason: Pii::new("Complex; requester told"),
            }),
        )
    }
    fn asked(&mut self, id: &str, who: &str, at: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsClarificationRequested(SubjectRightsClarificationRequested {
                request: rid(id),
                data_subject: su(who),
                asked: Pii::new("Which years?"),
            }),
        )
    }
    fn clarified(&mut self, id: &str, who: &str, at: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsClarificationReceived(SubjectRightsClarificationReceived {
                request: rid(id),
                data_subject: su(who),
            }),
        )
    }
    fn fulfilled(&mut self, id: &str, who: &str, at: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsRequestFulfilled(SubjectRightsRequestFulfilled {
                request: rid(id),
                data_subject: su(who),
                note: None,
            }),
        )
    }
    fn refused(&mut self, id: &str, who: &str, at: &str, why: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsRequestRefused(SubjectRightsRequestRefused {
                request: rid(id),
                data_subject: su(who),
                reason: Pii::new(why),
            }),
        )
    }

    fn at(&self, as_of: &str) -> Vec<RequestStatus> {
        self.ledger.requests(t(as_of)).unwrap().requests
    }
    fn one(&self, id: &str, as_of: &str) -> RequestStatus {
        self.at(as_of)
            .into_iter()
            .find(|r| r.request.as_str() == id)
            .unwrap_or_else(|| panic!("{id} not found as of {as_of}"))
    }
}

#[test]
fn verified_on_31_january_is_due_on_the_last_day_of_february() {
    let mut l = L::new();
    l.received("SRR-1", Right::Access, "SU-1", "2026-01-28T10:00:00Z");
    let v = l.verified("SRR-1", "SU-1", "2026-01-31T15:00:00Z");
    let r = l.one("SRR-1", "2026-02-01T00:00:00Z");
    assert_eq!(r.received, d("2026-01-28"));
    assert_eq!(r.verified, Some((d("2026-01-31"), v)));
    let dl = r.deadline.as_ref().unwrap();
    assert_eq!(dl.start, d("2026-01-31"));
    // 28 February 2026 is a Saturday: the ICO moves the deadline to the end of Monday 2 March.
    assert_eq!(dl.period_end, d("2026-02-28"));
    assert_eq!(dl.due, d("2026-03-02"));
    assert_eq!(dl.due_at, t("2026-03-02T23:59:59.999999Z"));
    assert!(!dl.extended && dl.late_extension.is_none() && dl.paused_days == 0);
    assert_eq!(r.clock, Clock::DaysLeft { days: 29 });
    // The last instant of the due date is still in time; the next day is overdue.
    assert_eq!(
        l.one("SRR-1", "2026-03-02T23:59:59.999999Z").clock,
        Clock::DaysLeft { days: 0 }
    );
    assert_eq!(
        l.one("SRR-1", "2026-03-03T00:00:00Z").clock,
        Clock::Overdue { days: 1 }
    );
    assert_eq!(r.outcome, Outcome::Open);
}

#[test]
fn in_a_leap_year_it_is_the_29th() {
    let mut l = L::new();
    l.received("SRR-2", Right::Access, "SU-2", "2028-01-20T10:00:00Z");
    l.verified("SRR-2", "SU-2", "2028-01-31T10:00:00Z");
    let r = l.one("SRR-2", "2028-02-29T12:00:00Z");
    assert_eq!(r.deadline.as_ref().unwrap().due, d("2028-02-29"));
    assert_eq!(r.clock, Clock::DaysLeft { days: 0 });
    assert_eq!(
        l.one("SRR-2", "2028-03-01T00:00:00Z").clock,
        Clock::Overdue { days: 1 }
    );
}

#[test]
fn thirty_and_thirty_one_day_months() {
    let mut l = L::new();
    l.received("SRR-30", Right::Access, "SU-3", "2026-03-30T10:00:00Z");
    l.verified("SRR-30", "SU-3", "2026-03-31T10:00:00Z"); // April has 30 days
    l.received("SRR-31", Right::Access, "SU-4", "2026-04-29T10:00:00Z");
    l.verified("SRR-31", "SU-4", "2026-04-30T10:00:00Z"); // May has 31
    l.received("SRR-AUG", Right::Access, "SU-5", "2026-07-30T10:00:00Z");
    l.verified("SRR-AUG", "SU-5", "2026-07-31T10:00:00Z"); // August has 31
    let due = |id: &str| {
        let dl = l.one(id, "2026-12-01T00:00:00Z").deadline.unwrap();
        (dl.period_end, dl.due)
    };
    assert_eq!(due("SRR-30"), (d("2026-04-30"), d("2026-04-30")));
    // 30 May 2026 is a Saturday: Monday 1 June.
    assert_eq!(due("SRR-31"), (d("2026-05-30"), d("2026-06-01")));
    // 31 August 2026 is the summer bank holiday: Tuesday 1 September.
    assert_eq!(due("SRR-AUG"), (d("2026-08-31"), d("2026-09-01")));
}

#[test]
fn an_extension_on_day_31_counts_and_on_day_32_does_not() {
    let mut l = L::new();
    // Verified 1 January: January has 31 days, so the first month ends on 1 February (day 31).
    for (id, who, ext) in [
        ("SRR-D31", "SU-31", "2026-02-01T17:00:00Z"),
        ("SRR-D32", "SU-32", "2026-02-02T09:00:00Z"),
    ] {
        l.received(id, Right::Access, who, "2025-12-30T10:00:00Z");
        l.verified(id, who, "2026-01-01T10:00:00Z");
        l.extended(id, who, ext);
    }
    let r = l.one("SRR-D31", "2026-03-15T12:00:00Z");
    let dl = r.deadline.as_ref().unwrap();
    assert_eq!(dl.notice_by, d("2026-02-01"));
    assert!(dl.extended);
    assert_eq!(dl.late_extension, None);
    assert_eq!(dl.due, d("2026-04-01"));
    assert!(r.extensions[0].in_time);
    assert_eq!(r.clock, Clock::DaysLeft { days: 17 });

    let r = l.one("SRR-D32", "2026-03-15T12:00:00Z");
    let dl = r.deadline.as_ref().unwrap();
    assert!(!dl.extended);
    assert_eq!(dl.late_extension, Some(d("2026-02-02")));
    // The period ends on Sunday 1 February; the answer may wait to Monday 2 February, but the
    // notice of an extension may not (Art. 12A(4)(a) sets that limit, not the ICO).
    assert_eq!(dl.period_end, d("2026-02-01"));
    assert_eq!(dl.due, d("2026-02-02"));
    assert!(!r.extensions[0].in_time);
    assert_eq!(r.clock, Clock::Overdue { days: 41 });

    // Before the extension occurred, neither is extended.
    let r = l.one("SRR-D31", "2026-01-20T12:00:00Z");
    assert_eq!(r.deadline.as_ref().unwrap().due, d("2026-02-02"));
    assert!(r.extensions.is_empty());
    assert_eq!(r.clock, Clock::DaysLeft { days: 13 });
}

#[test]
fn outcomes_awaiting_identity_and_as_of() {
    let mut l = L::new();
    // Awaiting identity: the clock has not started, however long ago it was received.
    l.received("SRR-A", Right::Access, "SU-1", "2026-01-05T10:00:00Z");
    // Fulfilled early.
    l.received("SRR-F", Right::Portability, "SU-2", "2026-02-02T10:00:00Z");
    l.verified("SRR-F", "SU-2", "2026-02-03T10:00:00Z");
    let f = l.fulfilled("SRR-F", "SU-2", "2026-02-20T16:00:00Z");
    // Refused two days late, with the reason.
    l.received(
        "SRR-R",
        Right::Rectification,
        "SU-3",
        "2026-03-30T10:00:00Z",
    );
    l.verified("SRR-R", "SU-3", "2026-03-31T10:00:00Z");
    let rf = l.refused(
        "SRR-R",
        "SU-3",
        "2026-05-02T10:00:00Z",
        "The record is accurate",
    );
    // Erasure done by a Redacted entry naming the request (no Fulfilled entry).
    let rec = l.received("SRR-E", Right::Erasure, "SU-4", "2026-05-29T10:00:00Z");
    l.verified("SRR-E", "SU-4", "2026-05-31T10:00:00Z");
    let ig = l.ig.clone();
    let red = l
        .ledger
        .redact(
            rec,
            "Erasure request SRR-E".into(),
            Some(rid("SRR-E")),
            &ig,
            EventId([99; 16]),
            t("2026-06-10T11:00:00Z"),
        )
        .unwrap()
        .last_seq;
    // A verification naming a request never received.
    let orphan = l.verified("SRR-X", "SU-9", "2026-04-01T10:00:00Z");

    let report = l.ledger.requests(t("2026-07-01T00:00:00Z")).unwrap();
    let ids: Vec<&str> = report.requests.iter().map(|r| r.request.as_str()).collect();
    assert_eq!(ids, ["SRR-A", "SRR-E", "SRR-F", "SRR-R"]);
    assert_eq!(report.notes.len(), 1);
    assert!(
        report.notes[0].starts_with(&format!(
            "seq {orphan}: SubjectRightsIdentityVerified names request SRR-X"
        )),
        "{:?}",
        report.notes
    );
    let by = |id: &str| {
        report
            .requests
            .iter()
            .find(|r| r.request.as_str() == id)
            .unwrap()
    };

    let a = by("SRR-A");
    assert_eq!(a.verified, None);
    assert_eq!(a.deadline, None);
    assert_eq!(a.clock, Clock::AwaitingIdentity);
    assert!(a.outcome.is_open());

    let fr = by("SRR-F");
    assert_eq!(
        fr.outcome,
        Outcome::Fulfilled {
            on: d("2026-02-20"),
            seq: f
        }
    );
    assert_eq!(fr.deadline.as_ref().unwrap().due, d("2026-03-03"));
    assert_eq!(fr.clock, Clock::AnsweredInTime { days_early: 11 });

    let r = by("SRR-R");
    assert_eq!(
        r.outcome,
        Outcome::Refused {
            on: d("2026-05-02"),
            seq: rf,
            reason: Some("The record is accurate".into())
        }
    );
    assert_eq!(r.deadline.as_ref().unwrap().due, d("2026-04-30"));
    assert_eq!(r.clock, Clock::AnsweredLate { days: 2 });

    let e = by("SRR-E");
    assert_eq!(
        e.outcome,
        Outcome::Erased {
            on: d("2026-06-10"),
            seq: red
        }
    );
    assert_eq!(e.deadline.as_ref().unwrap().due, d("2026-06-30"));
    assert_eq!(e.clock, Clock::AnsweredInTime { days_early: 20 });
    assert!(e.seqs.contains(&red));

    // As of before the answers: open; before receipt: absent.
    let before = l.at("2026-02-10T00:00:00Z");
    let ids: Vec<&str> = before.iter().map(|r| r.request.as_str()).collect();
    assert_eq!(ids, ["SRR-A", "SRR-F"]);
    assert_eq!(before[1].outcome, Outcome::Open);
    assert_eq!(before[1].clock, Clock::DaysLeft { days: 21 });
    let r = l.one("SRR-R", "2026-05-01T09:00:00Z");
    assert_eq!(r.outcome, Outcome::Open);
    assert_eq!(r.clock, Clock::Overdue { days: 1 });
}

#[test]
fn requests_are_found_through_the_type_index() {
    let mut l = L::new();
    l.received("SRR-1", Right::Access, "SU-1", "2026-01-05T10:00:00Z");
    l.verified("SRR-1", "SU-1", "2026-01-06T10:00:00Z");
    // 1,000 unrelated entries.
    let feed = l.feed.clone();
    let subs: Vec<Submission> = (0..1000)
        .map(|i| {
            l.sign(
                "2026-01-07T10:00:00Z",
                Event::RecordAccessed(RecordAccessed {
                    person: PersonId::new("P10").unwrap(),
                    system: SystemId::new("Eclipse").unwrap(),
                    record: RecordId::new(format!("SU-{i}")).unwrap(),
                    purpose: Pii::new("Review"),
                    device: None,
                }),
                &feed,
            )
        })
        .collect();
    l.ledger.append(&subs, &l.ig, t(NOW)).unwrap();
    l.fulfilled("SRR-1", "SU-1", "2026-01-20T10:00:00Z");

    set_perf_stats(PerfStatsLevel::EnableCount);
    let mut ctx = PerfContext::default();
    ctx.reset();
    let report = l.ledger.requests(t("2026-02-01T00:00:00Z")).unwrap();
    let gets = ctx.metric(PerfMetric::GetFromMemtableCount);
    set_perf_stats(PerfStatsLevel::Disable);
    assert_eq!(report.requests.len(), 1);
    // 3 entries and their payloads (at most 2 each), one index marker per type looked up.
    assert!(
        gets <= 3 * 2 + requests::REQUEST_TYPES.len() as u64,
        "{gets} lookups"
    );
}

/// One request received and verified on `day` (10:00 UTC); its deadline as of `as_of`.
fn due_of(l: &mut L, id: &str, who: &str, right: Right, day: &str) -> requests::Deadline {
    l.received(id, right, who, &format!("{day}T10:00:00Z"));
    l.verified(id, who, &format!("{day}T10:00:00Z"));
    l.one(id, "2029-01-01T00:00:00Z").deadline.unwrap()
}

#[test]
fn the_icos_worked_examples() {
    // ICO, "Right of access: what should we consider when responding to a request?" (December
    // 2025) and its earlier version.
    let mut l = L::new();
    // Received Monday 25 November 2024: due Wednesday 25 December, Christmas; 26 December is
    // Boxing Day: the end of Friday 27 December.
    let dl = due_of(&mut l, "ICO-1", "SU-1", Right::Access, "2024-11-25");
    assert_eq!((dl.period_end, dl.due), (d("2024-12-25"), d("2024-12-27")));
    // Received 31 January 2024 (a leap year): the end of 29 February.
    let dl = due_of(&mut l, "ICO-2", "SU-2", Right::Access, "2024-01-31");
    assert_eq!(dl.due, d("2024-02-29"));
    // Received 31 January 2026: 28 February is a Saturday, so the end of Monday 2 March.
    let dl = due_of(&mut l, "ICO-3", "SU-3", Right::Access, "2026-01-31");
    assert_eq!(dl.due, d("2026-03-02"));
    // Received 1 January 2024 (a bank holiday): the end of 1 February.
    let dl = due_of(&mut l, "ICO-4", "SU-4", Right::Access, "2024-01-01");
    assert_eq!(dl.due, d("2024-02-01"));
    // Received 3 September: 3 October; 31 March: 30 April (both working days in 2026).
    let dl = due_of(&mut l, "ICO-5", "SU-5", Right::Access, "2026-09-03");
    assert_eq!(dl.due, d("2026-10-05"), "3 October 2026 is a Saturday");
    let dl = due_of(&mut l, "ICO-6", "SU-6", Right::Access, "2025-09-03");
    assert_eq!(dl.due, d("2025-10-03"));
    let dl = due_of(&mut l, "ICO-7", "SU-7", Right::Access, "2026-03-31");
    assert_eq!(dl.due, d("2026-04-30"));
}

#[test]
fn a_verification_dated_before_its_request_is_noted_and_starts_no_clock() {
    let mut l = L::new();
    l.received("SRR-K", Right::Access, "SU-1", "2026-05-05T10:00:00Z");
    let v = l.verified("SRR-K", "SU-1", "2026-05-01T10:00:00Z");
    let report = l.ledger.requests(t("2026-06-01T00:00:00Z")).unwrap();
    assert_eq!(report.requests[0].clock, Clock::AwaitingIdentity);
    assert!(
        report.notes[0].starts_with(&format!("seq {v}: SubjectRightsIdentityVerified")),
        "{:?}",
        report.notes
    );
}

#[test]
fn clarification_stops_the_clock_from_the_day_asked_to_the_day_answered() {
    let mut l = L::new();
    // Clock starts Monday 2 March 2026: the period would end on 2 April.
    // Asked on 10 March, answered on 16 March: 7 days (both included) do not count, so the
    // period ends on 9 April (clear of Good Friday 3 April and Easter Monday 6 April).
    l.received("SRR-P", Right::Access, "SU-1", "2026-03-02T09:00:00Z");
    l.verified("SRR-P", "SU-1", "2026-03-02T09:30:00Z");
    let a = l.asked("SRR-P", "SU-1", "2026-03-10T11:00:00Z");
    // While the answer is awaited, the clock stands still.
    let r = l.one("SRR-P", "2026-03-12T12:00:00Z");
    let dl = r.deadline.as_ref().unwrap();
    assert!(dl.paused);
    assert_eq!(dl.paused_days, 3, "10, 11 and 12 March so far");
    // The period would end on Sunday 5 April; the answer is due after Easter Monday.
    assert_eq!(dl.period_end, d("2026-04-05"));
    assert_eq!(
        r.clock,
        Clock::Paused {
            since: d("2026-03-10"),
            days: 26
        }
    );
    // Days do not run down while the clock is stopped: two days on, the period ends two days
    // later.
    let later = l.one("SRR-P", "2026-03-14T12:00:00Z");
    let dl = later.deadline.as_ref().unwrap();
    assert_eq!(dl.period_end, d("2026-04-07"));
    assert!(matches!(later.clock, Clock::Paused { .. }));
    let b = l.clarified("SRR-P", "SU-1", "2026-03-16T15:00:00Z");
    let r = l.one("SRR-P", "2026-03-20T12:00:00Z");
    let dl = r.deadline.as_ref().unwrap();
    assert!(!dl.paused);
    assert_eq!(dl.paused_days, 7);
    assert_eq!(dl.pauses.len(), 1);
    assert_eq!(dl.pauses[0].asked_seq, a);
    assert_eq!(dl.pauses[0].received_seq, Some(b));
    assert_eq!(dl.pauses[0].rule, PauseRule::Counted);
    assert_eq!(dl.period_end, d("2026-04-09"));
    assert_eq!(dl.due, d("2026-04-09"));
    assert_eq!(dl.notice_by, d("2026-04-09"));
    assert_eq!(r.clock, Clock::DaysLeft { days: 20 });
    assert!(r.seqs.contains(&a) && r.seqs.contains(&b));

    // Asked and answered on the same day: that one day does not count, so the period ends on
    // Good Friday 3 April, and the answer is due on Tuesday 7 April.
    l.received("SRR-Q", Right::Access, "SU-2", "2026-03-02T09:00:00Z");
    l.verified("SRR-Q", "SU-2", "2026-03-02T09:30:00Z");
    l.asked("SRR-Q", "SU-2", "2026-03-10T09:00:00Z");
    l.clarified("SRR-Q", "SU-2", "2026-03-10T16:00:00Z");
    let dl = l.one("SRR-Q", "2026-03-20T12:00:00Z").deadline.unwrap();
    assert_eq!((dl.paused_days, dl.period_end), (1, d("2026-04-03")));
    assert_eq!(dl.due, d("2026-04-07"));
}

#[test]
fn the_pause_moves_the_notice_deadline_and_extends_the_three_months() {
    let mut l = L::new();
    // Clock starts 2 March; 7 days stopped in March: notice may be given up to 9 April.
    l.received("SRR-N", Right::Access, "SU-1", "2026-03-02T09:00:00Z");
    l.verified("SRR-N", "SU-1", "2026-03-02T09:30:00Z");
    l.asked("SRR-N", "SU-1", "2026-03-10T11:00:00Z");
    l.clarified("SRR-N", "SU-1", "2026-03-16T15:00:00Z");
    l.extended("SRR-N", "SU-1", "2026-04-08T10:00:00Z");
    let r = l.one("SRR-N", "2026-04-20T12:00:00Z");
    let dl = r.deadline.as_ref().unwrap();
    assert!(
        dl.extended,
        "notified on 8 April, within the paused first month"
    );
    assert!(r.extensions[0].in_time);
    // Three months from 2 March is 2 June, plus 7 days: 9 June (a Tuesday).
    assert_eq!(dl.due, d("2026-06-09"));
    // Without the pause the same notice would be late.
    l.received("SRR-M", Right::Access, "SU-2", "2026-03-02T09:00:00Z");
    l.verified("SRR-M", "SU-2", "2026-03-02T09:30:00Z");
    l.extended("SRR-M", "SU-2", "2026-04-08T10:00:00Z");
    let dl = l.one("SRR-M", "2026-04-20T12:00:00Z").deadline.unwrap();
    assert!(!dl.extended);
    assert_eq!(dl.late_extension, Some(d("2026-04-08")));
    assert_eq!(dl.due, d("2026-04-02"));
}

#[test]
fn clarifications_that_stop_nothing_are_flagged() {
    let mut l = L::new();
    // Another right: Art. 12A(5) is about requests under Art. 15 only.
    l.received("SRR-E", Right::Erasure, "SU-1", "2026-03-02T09:00:00Z");
    l.verified("SRR-E", "SU-1", "2026-03-02T09:30:00Z");
    l.asked("SRR-E", "SU-1", "2026-03-10T11:00:00Z");
    l.clarified("SRR-E", "SU-1", "2026-03-16T15:00:00Z");
    // Before the Act: received 4 February 2026 (SI 2026/82 reg. 4).
    l.received("SRR-OLD", Right::Access, "SU-2", "2026-02-04T09:00:00Z");
    l.verified("SRR-OLD", "SU-2", "2026-02-04T09:30:00Z");
    l.asked("SRR-OLD", "SU-2", "2026-02-10T11:00:00Z");
    l.clarified("SRR-OLD", "SU-2", "2026-02-16T15:00:00Z");
    // After the deadline: asked on 3 April for a period that ended on 2 April.
    l.received("SRR-LATE", Right::Access, "SU-3", "2026-03-02T09:00:00Z");
    l.verified("SRR-LATE", "SU-3", "2026-03-02T09:30:00Z");
    l.asked("SRR-LATE", "SU-3", "2026-04-03T11:00:00Z");
    let as_of = "2026-05-01T12:00:00Z";
    for (id, rule, due) in [
        ("SRR-E", PauseRule::NotAccess, "2026-04-02"),
        ("SRR-OLD", PauseRule::BeforeTheAct, "2026-03-04"),
        ("SRR-LATE", PauseRule::AfterDeadline, "2026-04-02"),
    ] {
        let r = l.one(id, as_of);
        let dl = r.deadline.as_ref().unwrap();
        assert_eq!(dl.pauses[0].rule, rule, "{id}");
        assert_eq!((dl.pauses[0].days, dl.paused_days), (0, 0), "{id}");
        assert!(!dl.paused, "{id}");
        assert_eq!(dl.due, d(due), "{id}");
        assert!(r.clock.is_overdue(), "{id}");
    }
}

#[test]
fn days_are_uk_days() {
    let mut l = L::new();
    // Verified at 23:30Z on 31 March 2026: 00:30 on 1 April in London (BST). The clock starts
    // on 1 April, so the answer is due on Friday 1 May, by 22:59:59.999999Z.
    l.received("SRR-BST", Right::Access, "SU-1", "2026-03-31T12:00:00Z");
    l.verified("SRR-BST", "SU-1", "2026-03-31T23:30:00Z");
    let r = l.one("SRR-BST", "2026-04-02T12:00:00Z");
    assert_eq!(r.verified.unwrap().0, d("2026-04-01"));
    let dl = r.deadline.as_ref().unwrap();
    assert_eq!(dl.start, d("2026-04-01"));
    assert_eq!(dl.due, d("2026-05-01"));
    assert_eq!(dl.due_at, t("2026-05-01T22:59:59.999999Z"));
    // An answer at 23:30Z on 1 May is on 2 May in London: a day late.
    l.fulfilled("SRR-BST", "SU-1", "2026-05-01T23:30:00Z");
    let r = l.one("SRR-BST", "2026-06-01T12:00:00Z");
    assert_eq!(r.outcome.answered_on(), Some(d("2026-05-02")));
    assert_eq!(r.clock, Clock::AnsweredLate { days: 1 });
    // And R11 says the same.
    let s = compliance::load(&l.ledger, Some(t("2026-06-01T12:00:00Z"))).unwrap();
    let f = compliance::audit(&s, &Config::default(), compliance::rules::rule("R11"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, Status::Resolved);
    assert_eq!(f[0].due, Some(t("2026-05-01T22:59:59.999999Z")));
}

#[test]
fn an_erasure_done_by_redaction_is_answered_everywhere() {
    let mut l = L::new();
    let rec = l.received("SRR-E", Right::Erasure, "SU-4", "2026-05-29T10:00:00Z");
    l.verified("SRR-E", "SU-4", "2026-05-31T10:00:00Z");
    let ig = l.ig.clone();
    l.ledger
        .redact(
            rec,
            "Erasure request SRR-E".into(),
            Some(rid("SRR-E")),
            &ig,
            EventId([99; 16]),
            t("2026-07-10T11:00:00Z"),
        )
        .unwrap();
    let as_of = t("2026-08-01T00:00:00Z");
    let r = l.one("SRR-E", "2026-08-01T00:00:00Z");
    assert_eq!(r.clock, Clock::AnsweredLate { days: 10 });
    let s = compliance::load(&l.ledger, Some(as_of)).unwrap();
    let f = compliance::audit(&s, &Config::default(), None);
    let about: Vec<_> = f
        .iter()
        .filter(|f| matches!(&f.subject, Concerns::Request { .. }))
        .collect();
    // One finding, R15's, resolved by the redaction: R11 leaves erasure requests to R15.
    assert_eq!(about.len(), 1, "{about:#?}");
    assert_eq!(about[0].rule, "R15");
    assert_eq!(about[0].status, Status::Resolved);
    assert_eq!(about[0].until, Some(t("2026-07-10T11:00:00Z")));
}

/// A small deterministic generator (splitmix64) for the property below.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn at_minutes(base: Timestamp, minutes: u64) -> String {
    Timestamp::from_micros(base.micros() + minutes as i64 * 60_000_000)
        .unwrap()
        .to_string()
}

/// `igl requests` (`Ledger::requests`) and `igl audit` (R11, R15) agree on every request at
/// every instant: a request is overdue in one exactly when the other has an open finding, answered
/// late exactly when resolved, and neither otherwise, with the same deadline instant. Random
/// histories (received; identity verified or not; clarifications asked and answered or not;
/// extensions in time and late; fulfilled, refused or erased) at random instants, each
/// request's deadline instant and the microsecond after it included.
#[test]
fn requests_and_the_rules_agree_on_random_histories() {
    let rights = [
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::Portability,
        Right::Objection,
    ];
    for seed in [1u64, 2, 3] {
        let mut rng = Rng(seed);
        let mut l = L::new();
        let base = t("2026-01-01T00:00:00Z");
        let day = 24 * 60;
        for i in 0..24 {
            let id = format!("SRR-{seed}-{i}");
            let who = format!("SU-{seed}-{i}");
            let right = rights[rng.below(6) as usize];
            let r0 = rng.below(330 * day);
            let rec = l.received(&id, right, &who, &at_minutes(base, r0));
            if rng.chance(15) {
                continue; // never verified
            }
            let v = r0 + rng.below(12 * day);
            l.verified(&id, &who, &at_minutes(base, v));
            let mut last = v;
            for _ in 0..rng.below(3) {
                let a = last + rng.below(40 * day);
                l.asked(&id, &who, &at_minutes(base, a));
                last = a;
                if rng.chance(80) {
                    let b = a + rng.below(15 * day);
                    l.clarified(&id, &who, &at_minutes(base, b));
                    last = b;
                }
            }
            if rng.chance(40) {
                let e = v + rng.below(45 * day);
                l.extended(&id, &who, &at_minutes(base, e));
            }
            if rng.chance(75) {
                let x = at_minutes(base, v + rng.below(110 * day));
                match (right, rng.below(3)) {
                    (Right::Erasure, 0) => {
                        let ig = l.ig.clone();
                        l.ledger
                            .redact(
                                rec,
                                format!("Erasure request {id}"),
                                Some(rid(&id)),
                                &ig,
                                EventId([i as u8; 16]),
                                t(&x),
                            )
                            .unwrap();
                    }
                    (_, 1) => {
                        l.refused(&id, &who, &x, "Manifestly unfounded");
                    }
                    _ => {
                        l.fulfilled(&id, &who, &x);
                    }
                }
            }
        }
        // Random instants, then each deadline instant and the microsecond after it.
        let mut instants: Vec<Timestamp> = (0..12)
            .map(|_| t(&at_minutes(base, rng.below(480 * day))))
            .collect();
        for r in l.at("2027-06-01T00:00:00Z") {
            if let Some(dl) = &r.deadline {
                instants.push(dl.due_at);
                instants.push(Timestamp::from_micros(dl.due_at.micros() + 1).unwrap());
            }
        }
        let mut checked = 0;
        for as_of in instants {
            let report = l.ledger.requests(as_of).unwrap();
            let state = compliance::load(&l.ledger, Some(as_of)).unwrap();
            let findings = compliance::audit(&state, &Config::default(), None);
            for r in &report.requests {
                let about: Vec<_> = findings
                    .iter()
                    .filter(|f| {
                        matches!(&f.subject, Concerns::Request { request, .. } if *request == r.request)
                    })
                    .collect();
                let rule = if r.right == Right::Erasure {
                    "R15"
                } else {
                    "R11"
                };
                let ctx = format!(
                    "seed {seed}, {} as of {as_of}: {r:#?} {about:#?}",
                    r.request
                );
                match r.clock {
                    Clock::Overdue { .. } => {
                        assert_eq!(about.len(), 1, "{ctx}");
                        assert_eq!(about[0].rule, rule, "{ctx}");
                        assert_eq!(about[0].status, Status::Open, "{ctx}");
                        assert_eq!(about[0].due, r.deadline.as_ref().map(|d| d.due_at), "{ctx}");
                        assert!(as_of > r.deadline.as_ref().unwrap().due_at, "{ctx}");
                    }
                    Clock::AnsweredLate { .. } => {
                        assert_eq!(about.len(), 1, "{ctx}");
                        assert_eq!(about[0].rule, rule, "{ctx}");
                        assert_eq!(about[0].status, Status::Resolved, "{ctx}");
                        assert_eq!(about[0].due, r.deadline.as_ref().map(|d| d.due_at), "{ctx}");
                        assert_eq!(
                            about[0].until.map(|u| Date(igl_ledger::time::uk_date(u))),
                            r.outcome.answered_on(),
                            "{ctx}"
                        );
                    }
                    _ => assert!(about.is_empty(), "{ctx}"),
                }
                checked += 1;
            }
            // No finding about a request `igl requests` does not list.
            for f in &findings {
                if let Concerns::Request { request, .. } = &f.subject {
                    assert!(report.requests.iter().any(|r| &r.request == request));
                }
            }
        }
        assert!(checked > 200, "{checked} request-instants checked");
    }
}
