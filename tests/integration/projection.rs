//! `igl status` and `igl org` answer from the per-entity history (`compliance::scope`), folding
//! only the entries that concern the person or organisation. This checks, for every person and
//! every organisation of a demo ledger at several instants, that what they show — and every
//! finding about them — equals the full replay of the whole log.

use igl_ledger::Ledger;
use igl_ledger::compliance::{self, Config, State, scope};
use igl_schema::{OrgId, PersonId, Timestamp};
use serde_json::{Value, json};

use crate::util::Dir;

/// What `igl status P` reads from a state.
fn person_slice(s: &State, p: &PersonId, c: &Config) -> Value {
    let now = s.now();
    let findings: Vec<_> = compliance::audit(s, c, None)
        .into_iter()
        .filter(|f| f.person.as_ref() == Some(p))
        .collect();
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
        "findings": findings,
    })
}

/// What `igl org O` reads from a state.
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
        "own": findings.iter().filter(|f| matches!(&f.subject, compliance::Concerns::Org { org } if org == o)).collect::<Vec<_>>(),
        "people_findings": findings.iter().filter(|f| f.org.as_ref() == Some(o) && !matches!(f.subject, compliance::Concerns::Org { .. })).collect::<Vec<_>>(),
    })
}

#[test]
fn status_and_org_from_the_projection_equal_the_full_replay() {
    let dir = Dir::new();
    dir.igl()
        .args(["demo", "--people", "24", "--ledger", "D"])
        .ok();
    let ledger = Ledger::open_read_only(&dir.join("D")).unwrap();
    let c = Config::default();
    let mut checked = 0;
    for t in [
        "2025-10-01T12:00:00Z",
        "2026-02-15T09:00:00Z",
        "2026-06-30T23:59:59Z",
        "2026-08-20T10:00:00Z",
        "2030-01-01T00:00:00Z",
    ] {
        let t = Timestamp::parse(t).unwrap();
        let full = compliance::load(&ledger, Some(t)).unwrap();
        for p in full.people.keys() {
            let scoped = scope::person_state(&ledger, p, t).unwrap();
            assert!(
                scoped.entries < full.entries || full.entries < 50,
                "the scope of {p} folded every entry"
            );
            assert_eq!(
                person_slice(&scoped, p, &c),
                person_slice(&full, p, &c),
                "person {p} as of {t}"
            );
            checked += 1;
        }
        for o in full.orgs.keys() {
            let scoped = scope::org_state(&ledger, o, t).unwrap();
            assert_eq!(
                org_slice(&scoped, o, &c),
                org_slice(&full, o, &c),
                "organisation {o} as of {t}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} checks");
}
