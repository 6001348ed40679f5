//! The synthetic council (`igl_ledger::demo`), built in-process as `igl demo` builds it: it
//! verifies, the same seed gives the same ledger, and it plants at least one violation of every
//! rule R1–R18, as the demo says it does.

use std::collections::BTreeSet;

use igl_ledger::compliance::{self, Config, RULES};
use igl_ledger::demo::{self, DemoError, Options};
use igl_schema::Timestamp;

fn options(seed: u64) -> Options {
    Options {
        people: demo::MIN_PEOPLE,
        seed,
        entries: None,
    }
}

#[test]
fn the_demo_verifies_is_deterministic_and_breaks_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut days = (0, 0);
    let built = demo::build(&dir.path().join("a"), &options(7), &mut |d, n| {
        days = (d, n)
    })
    .unwrap();
    assert!(days.1 > 300 && days.0 == days.1, "progress: {days:?}");
    let report = built.ledger.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.failure);
    assert_eq!(report.entries, built.head.seq + 1);
    assert_eq!(
        built.counts.values().sum::<u64>(),
        report.entries - 1,
        "every entry but the genesis is counted by type"
    );
    // Its key files, one per actor, beside the ledger.
    let keys = std::fs::read_dir(dir.path().join("a/keys"))
        .unwrap()
        .count();
    assert_eq!(keys, built.keys);

    // Every rule has a finding as of the end of the storyline.
    let as_of = Timestamp::parse("2026-11-20T23:00:00Z").unwrap();
    let state = compliance::load(&built.ledger, Some(as_of)).unwrap();
    let found: BTreeSet<&str> = compliance::audit(&state, &Config::default(), None)
        .iter()
        .map(|f| f.rule)
        .collect();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !found.contains(id))
        .collect();
    assert!(missing.is_empty(), "no finding for {missing:?}");

    // The same seed builds the same ledger; another seed another.
    let again = demo::build(&dir.path().join("b"), &options(7), &mut |_, _| {}).unwrap();
    assert_eq!(again.head, built.head);
    let other = demo::build(&dir.path().join("c"), &options(8), &mut |_, _| {}).unwrap();
    assert_ne!(other.head.hash, built.head.hash);
}

#[test]
fn too_few_people_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    let o = Options {
        people: demo::MIN_PEOPLE - 1,
        ..options(7)
    };
    let err = demo::build(&path, &o, &mut |_, _| {}).err().unwrap();
    assert!(matches!(err, DemoError::TooFewPeople), "{err}");
    assert!(!path.exists());
}
