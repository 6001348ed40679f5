//! Subject-rights requests and their deadlines (`Ledger::requests`, `igl requests`) on small
//! hand-built ledgers: one calendar month from identity verification, clamped to the month's
//! last day; three months when extended in time; an extension recorded late does not count.

use igl_ledger::Ledger;
use igl_ledger::requests::{self, Clock, Deadline, Outcome, RequestStatus};
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
        let genesis = Submission::sign(
            LedgerId([3; 16]),
            Event::LedgerCreated(LedgerCreated {
                ledger_id: LedgerId([3; 16]),
                organisation: OrgId::new("council").unwrap(),
                organisation_name: "Test Council".into(),
                admin_key: public_key(&admin),
                admin_person: PersonId::new("P1").unwrap(),
            }),
            t("2025-01-01T09:00:00Z"),
            EventId([0; 16]),
            [],
            &admin,
            Salt([0; 32]),
        )
        .unwrap();
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
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&self.next.to_le_bytes());
        let mut salt = [0u8; 32];
        salt[..8].copy_from_slice(&self.next.to_le_bytes());
        Submission::sign(
            LedgerId([3; 16]),
            e,
            t(at),
            EventId(id),
            [],
            author,
            Salt(salt),
        )
        .unwrap()
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
    assert_eq!(
        r.deadline,
        Some(Deadline {
            due: d("2026-02-28"),
            extended: false,
            late_extension: None
        })
    );
    assert_eq!(r.clock, Clock::DaysLeft { days: 27 });
    // The last instant of the due date is still in time; the next day is overdue.
    assert_eq!(
        l.one("SRR-1", "2026-02-28T23:59:59.999999Z").clock,
        Clock::DaysLeft { days: 0 }
    );
    assert_eq!(
        l.one("SRR-1", "2026-03-01T00:00:00Z").clock,
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
    assert_eq!(r.deadline.unwrap().due, d("2028-02-29"));
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
    let due = |id: &str| l.one(id, "2026-12-01T00:00:00Z").deadline.unwrap().due;
    assert_eq!(due("SRR-30"), d("2026-04-30"));
    assert_eq!(due("SRR-31"), d("2026-05-30"));
    assert_eq!(due("SRR-AUG"), d("2026-08-31"));
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
    assert_eq!(
        r.deadline,
        Some(Deadline {
            due: d("2026-04-01"),
            extended: true,
            late_extension: None
        })
    );
    assert!(r.extensions[0].in_time);
    assert_eq!(r.clock, Clock::DaysLeft { days: 17 });

    let r = l.one("SRR-D32", "2026-03-15T12:00:00Z");
    assert_eq!(
        r.deadline,
        Some(Deadline {
            due: d("2026-02-01"),
            extended: false,
            late_extension: Some(d("2026-02-02"))
        })
    );
    assert!(!r.extensions[0].in_time);
    assert_eq!(r.clock, Clock::Overdue { days: 42 });

    // Before the extension occurred, neither is extended.
    let r = l.one("SRR-D31", "2026-01-20T12:00:00Z");
    assert_eq!(r.deadline.unwrap().due, d("2026-02-01"));
    assert!(r.extensions.is_empty());
    assert_eq!(r.clock, Clock::DaysLeft { days: 12 });
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
    assert_eq!(fr.deadline.unwrap().due, d("2026-03-03"));
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
    assert_eq!(r.deadline.unwrap().due, d("2026-04-30"));
    assert_eq!(r.clock, Clock::AnsweredLate { days: 2 });

    let e = by("SRR-E");
    assert_eq!(
        e.outcome,
        Outcome::Erased {
            on: d("2026-06-10"),
            seq: red
        }
    );
    assert_eq!(e.deadline.unwrap().due, d("2026-06-30"));
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
