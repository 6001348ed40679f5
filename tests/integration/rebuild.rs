//! `igl rebuild`: derived data is a pure function of the entries, so rewriting it from them
//! gives the same bytes; and a ledger whose derived data is missing or of an older layout says
//! so plainly and is put right by `igl rebuild`.

use std::path::Path;

use igl_ledger::Ledger;
use igl_ledger::store::cf;
use rocksdb::{ColumnFamilyDescriptor, DB, Options};

use crate::util::Dir;

use igl_ledger::store::DerivedDump as Dump;

/// Every row of every derived column family.
fn dump(path: &Path) -> Dump {
    Ledger::open_read_only(path)
        .unwrap()
        .dump_derived()
        .unwrap()
}

fn assert_same(a: &Dump, b: &Dump) {
    assert_eq!(a.len(), b.len());
    for ((name_a, rows_a), (name_b, rows_b)) in a.iter().zip(b) {
        assert_eq!(name_a, name_b);
        assert_eq!(
            rows_a.len(),
            rows_b.len(),
            "{name_a}: {} rows before, {} after",
            rows_a.len(),
            rows_b.len()
        );
        for (i, (x, y)) in rows_a.iter().zip(rows_b).enumerate() {
            assert_eq!(x, y, "{name_a}: row {i} differs");
        }
    }
}

/// A demo ledger (with checkpoints) plus a redaction, so every derived column family has rows.
fn varied_ledger(dir: &Dir) -> std::path::PathBuf {
    dir.igl()
        .args(["demo", "--people", "24", "--ledger", "D"])
        .ok();
    // Erase the personal data of the first PersonEnrolled (an ig_officer redacts).
    let enrolled = dir
        .igl()
        .args(["--ledger", "D", "log", "--type", "PersonEnrolled", "--json"])
        .json_lines();
    let seq = enrolled[0]["seq"].as_u64().unwrap();
    dir.igl()
        .args(["--ledger", "D", "redact", &seq.to_string()])
        .args([
            "--reason",
            "Erasure request SRR-T",
            "--key",
            "D/keys/P00002-ig_officer.key",
        ])
        .ok();
    let path = dir.join("D");
    for (name, rows) in dump(&path) {
        assert!(!rows.is_empty(), "{name} has no rows in the test ledger");
    }
    let types: Vec<String> = ["Redacted", "CheckpointRecorded"]
        .iter()
        .map(|t| {
            let n = dir
                .igl()
                .args(["--ledger", "D", "log", "--type", t, "--json"])
                .json_lines()
                .len();
            assert!(n > 0, "no {t} in the test ledger");
            t.to_string()
        })
        .collect();
    assert_eq!(types.len(), 2);
    path
}

#[test]
fn rebuild_gives_byte_identical_derived_data() {
    let dir = Dir::new();
    let path = varied_ledger(&dir);
    let before = dump(&path);
    let v = dir
        .igl()
        .args(["--ledger", "D", "rebuild", "--json"])
        .json();
    assert_eq!(v["ok"], true, "{v}");
    let head = dir.igl().args(["--ledger", "D", "verify", "--json"]).json();
    assert_eq!(v["entries"], head["entries"], "{v} {head}");
    assert_eq!(v["head_hash"], head["head_hash"]);
    let names: Vec<&str> = v["column_families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names, cf::DERIVED);
    assert_same(&before, &dump(&path));
}

/// Opens the ledger's RocksDB behind igl's back.
fn raw(path: &Path) -> DB {
    let opts = Options::default();
    let families = cf::ALL
        .iter()
        .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
    DB::open_cf_descriptors(&opts, path, families).unwrap()
}

#[test]
fn a_ledger_missing_a_derived_column_family_says_to_rebuild_and_rebuild_fixes_it() {
    let dir = Dir::new();
    let path = varied_ledger(&dir);
    let before = dump(&path);
    {
        let mut db = raw(&path);
        db.drop_cf(cf::BY_SUBJECT).unwrap();
    }
    // Read-only and read-write commands alike refuse, naming the directory and the fix.
    for args in [
        &["log", "--limit", "1"][..],
        &["sar", "P00105"],
        &["verify"],
        &[
            "redact",
            "5",
            "--reason",
            "x",
            "--key",
            "D/keys/P00002-ig_officer.key",
        ],
    ] {
        let (_, err) = dir.igl().args(["--ledger", "D"]).args(args).fails(2);
        assert!(
            err.contains("no `by_subject` column family"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("ledger D: ") && err.contains("run `igl rebuild --ledger D`"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("Column family not found"), "{err}");
    }
    let out = dir.igl().args(["--ledger", "D", "rebuild"]).ok();
    assert!(out.contains("rebuilt the derived data"), "{out}");
    assert_same(&before, &dump(&path));
    dir.igl().args(["--ledger", "D", "verify"]).ok();
    dir.igl().args(["--ledger", "D", "sar", "P00105"]).ok();
}

#[test]
fn a_ledger_without_a_derived_data_version_says_to_rebuild() {
    let dir = Dir::new();
    let path = varied_ledger(&dir);
    let before = dump(&path);
    {
        let db = raw(&path);
        db.delete_cf(db.cf_handle(cf::META).unwrap(), b"derived_version")
            .unwrap();
    }
    let (_, err) = dir
        .igl()
        .args(["--ledger", "D", "status", "P00105"])
        .fails(2);
    assert!(err.contains("records no derived-data version"), "{err}");
    assert!(err.contains("igl rebuild --ledger"), "{err}");
    dir.igl().args(["--ledger", "D", "rebuild"]).ok();
    assert_same(&before, &dump(&path));
    // A newer layout than this build's is refused, not rebuilt over silently.
    {
        let db = raw(&path);
        db.put_cf(
            db.cf_handle(cf::META).unwrap(),
            b"derived_version",
            igl_schema::codec::encode(&(igl_ledger::store::DERIVED_VERSION + 1)),
        )
        .unwrap();
    }
    let (_, err) = dir.igl().args(["--ledger", "D", "verify"]).fails(2);
    assert!(err.contains("written by a newer igl"), "{err}");
}

#[test]
fn rebuild_needs_the_ledger_to_itself() {
    let dir = Dir::new();
    let path = varied_ledger(&dir);
    let _writer = Ledger::open(&path).unwrap();
    let (_, err) = dir.igl().args(["--ledger", "D", "rebuild"]).fails(2);
    assert!(err.contains("locked by another process"), "{err}");
}

#[test]
fn rebuild_refuses_a_damaged_record_and_changes_nothing() {
    let dir = Dir::new();
    let path = varied_ledger(&dir);
    let before = dump(&path);
    // Flip one bit of entry 40's signature in the stored bytes.
    {
        use igl_ledger::store::seq_key;
        let db = raw(&path);
        let h = db.cf_handle(cf::ENTRIES).unwrap();
        let bytes = db.get_cf(h, seq_key(40)).unwrap().unwrap();
        let mut e: igl_schema::Entry = igl_schema::codec::decode(&bytes).unwrap();
        e.event.signature.0[9] ^= 1;
        db.put_cf(h, seq_key(40), e.encode()).unwrap();
    }
    let (_, err) = dir.igl().args(["--ledger", "D", "rebuild"]).fails(2);
    assert!(err.contains("seq 40"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    // The derived data is as it was, so verify still opens the ledger and names the entry.
    assert_same(&before, &dump(&path));
    let (out, _) = dir.igl().args(["--ledger", "D", "verify"]).fails(1);
    assert!(out.contains("seq 40"), "{out}");
}
