//! Property test of the persisted projection on random ledgers whose entries come in random
//! `occurred_at` order (so many are back-dated): for random instants T, what the per-entity
//! history answers about each person and organisation equals the full replay
//! (`State::build(Some(T), every entry)`) restricted to the same question; and `rebuild` gives
//! exactly the derived data the appends wrote.

mod common;

use common::harness::*;
use igl_ledger::compliance::{self, Concerns, Config, scope};
use proptest::prelude::*;
use serde_json::{Value, json};

fn person_slice(s: &State, p: &PersonId, c: &Config) -> Value {
    let now = s.now();
    json!({
        "person": s.person(p),
        "employment": s.person(p).map(|q| q.employment_at(now)),
        "council": s.person(p).and_then(|q| q.organisation.as_ref()).map(|o| s.is_council(o)),
        "keys": s.keys_of(p).collect::<Vec<_>>(),
        "declarations": s.declarations.iter().filter(|d| &d.person == p).collect::<Vec<_>>(),
        "training": s.training.iter().filter(|t| &t.person == p).collect::<Vec<_>>(),
        "grants": s.grants_of(p).collect::<Vec<_>>(),
        "devices": s.devices.values().filter(|d| d.attestations.iter().any(|a| &a.person == p)).collect::<Vec<_>>(),
        "accesses": s.accesses.by_person.get(p),
        "reports": s.people.values().filter(|q| q.line_manager.as_ref() == Some(p)).map(|q| &q.id).collect::<Vec<_>>(),
        "findings": compliance::audit(s, c, None).into_iter().filter(|f| f.person.as_ref() == Some(p)).collect::<Vec<_>>(),
    })
}

fn org_slice(s: &State, o: &OrgId, c: &Config) -> Value {
    let now = s.now();
    let findings = compliance::audit(s, c, None);
    let people: Vec<_> = s
        .people
        .values()
        .filter(|p| p.organisation.as_ref() == Some(o))
        .collect();
    json!({
        "org": s.orgs.get(o),
        "council": s.is_council(o),
        "people": people.iter().map(|p| &p.id).collect::<Vec<_>>(),
        "with_access": people.iter().filter(|p| s.grants_of(&p.id).any(|g| g.active_at(now))).map(|p| &p.id).collect::<Vec<_>>(),
        "own": findings.iter().filter(|f| matches!(&f.subject, Concerns::Org { org } if org == o)).collect::<Vec<_>>(),
        "people_findings": findings.iter().filter(|f| f.org.as_ref() == Some(o) && !matches!(f.subject, Concerns::Org { .. })).collect::<Vec<_>>(),
    })
}

/// `2026-MM-DDTHH:00:00Z` from a number of hours into the first half of 2026.
fn at(h: u16) -> String {
    let h = h as u32 % (28 * 6 * 24);
    let (m, rest) = (h / (28 * 24), h % (28 * 24));
    format!(
        "2026-{:02}-{:02}T{:02}:00:00Z",
        m + 1,
        rest / 24 + 1,
        rest % 24
    )
}

fn p(i: u8) -> String {
    format!("P{}", 10 + i % 4)
}

/// Appends one random event (in the order generated, each with its own random `occurred_at`).
fn apply(l: &mut Council, decls: &mut Vec<(u64, String)>, (op, a, b, h): (u8, u8, u8, u16)) {
    let t = at(h);
    let day = &t[..10];
    let orgs = ["council", "partner"];
    match op % 13 {
        0 => {
            let manager = (a % 4 != b % 4).then(|| p(b));
            l.person(&t, &p(a), orgs[b as usize % 2], manager.as_deref());
        }
        1 => {
            let sponsor = p(a + 1 + b % 3);
            l.grant(
                &t,
                &format!("G-{}", b % 3),
                &p(a),
                b % 2 == 0,
                Some(&sponsor),
            );
        }
        2 => {
            l.revoke(&t, &format!("G-{}", b % 3), &p(a));
        }
        3 => {
            l.review(&t, &format!("G-{}", b % 3), &p(a));
        }
        4 => {
            let seq = l.declare(&t, &p(a), if b % 2 == 0 { "1" } else { "2" });
            decls.push((seq, p(a)));
        }
        5 if !decls.is_empty() => {
            let (seq, who) = decls[b as usize % decls.len()].clone();
            l.countersign(&t, seq, &who, &p(a + 1));
        }
        6 => {
            let expires = format!("{}-{}", 2027 + (b % 2) as i32, &day[5..]);
            l.training(&p(a), day, Some(&expires));
        }
        7 => {
            l.ended(&t, &p(a));
        }
        8 => {
            l.device(&t, &p(a), &format!("D-{}", b % 2), b % 3 == 0, b % 5 != 0);
        }
        9 => {
            let d = format!("D-{}", b % 3);
            l.access(&t, &p(a), (b % 4 != 0).then_some(d.as_str()));
        }
        10 => {
            l.ev(
                &t,
                Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                    request: rid(&format!("SRR-{}", b % 2)),
                    right: Right::Access,
                    data_subject: Subject::Person(pid(&p(a))),
                    details: None,
                }),
            );
        }
        11 => {
            l.verified(&t, &format!("SRR-{}", b % 2));
        }
        _ => {
            l.policy(&t, if b % 2 == 0 { "1" } else { "2" });
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn as_of_answers_from_the_projection_equal_the_replay_and_rebuild_is_identical(
        ops in prop::collection::vec((0u8..13, 0u8..8, 0u8..8, 0u16..4032), 4..28),
        instants in prop::collection::vec(0u16..4200, 3),
    ) {
        let mut l = Council::new();
        let mut decls = Vec::new();
        for op in &ops {
            apply(&mut l, &mut decls, *op);
        }
        let c = Config::default();
        for h in instants.iter().copied().map(at).chain(["2031-01-01T00:00:00Z".to_string()]) {
            let t = Timestamp::parse(&h).unwrap();
            let full = compliance::load(&l.ledger, Some(t)).unwrap();
            for who in (0..4).map(p) {
                let who = pid(&who);
                let scoped = scope::person_state(&l.ledger, &who, t).unwrap();
                prop_assert_eq!(person_slice(&scoped, &who, &c), person_slice(&full, &who, &c), "person {} as of {}", who, h);
            }
            for o in ["council", "partner"] {
                let o = org(o);
                let scoped = scope::org_state(&l.ledger, &o, t).unwrap();
                prop_assert_eq!(org_slice(&scoped, &o, &c), org_slice(&full, &o, &c), "organisation {} as of {}", o, h);
            }
        }
        let before = l.ledger.dump_derived().unwrap();
        let report = l.ledger.rebuild(|_| {}).unwrap();
        prop_assert_eq!(report.entries, l.ledger.head().unwrap().unwrap().seq + 1);
        prop_assert!(before == l.ledger.dump_derived().unwrap(), "rebuild changed the derived data");
        let verified = l.ledger.verify(&mut |_| {}).unwrap();
        prop_assert!(verified.ok(), "verify after rebuild: {:?}", verified.failure);
    }
}
