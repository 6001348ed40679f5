//! Every stored byte is checked: for **every column family the store declares**
//! (`igl_ledger::store::cf::ALL`), a value flipped, a value cut short, a row deleted and a stray row inserted
//! through a second RocksDB client each make `igl verify` exit 1, naming the column family and a
//! seq. A column family added to the store is covered here without a change to this file, and
//! fails here until verify checks it.

use std::path::Path;

use igl_ledger::store::cf;
use rocksdb::{IteratorMode, Options};
use serde_json::{Value, json};

use crate::util::{Council, Dir, at, grant, open_raw, person, training};

/// A ledger in which every column family holds rows: people with personal data, grants, a
/// declaration, a redaction and a checkpoint.
fn full_ledger() -> Council {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            person("P101", "Grace Hopper"),
            grant("G-1", "P100", "Case work in the North team"),
            training("P100", 20),
        ],
    );
    let decl = c.sign(
        &c.staff,
        &[
            json!({"type": "DeclarationSigned", "person": "P100", "policy": "eclipse-mou",
                 "version": "2025.1", "confirms_training": true, "occurred_at": at(2, 9)}),
        ],
    );
    c.dir.write("decl.jsonl", &decl);
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("decl.jsonl")
        .ok();
    c.igl()
        .args(["redact", "6", "--reason", "Erasure request SRR-1", "--key"])
        .arg(&c.ig.path)
        .ok();
    c.igl().args(["checkpoint", "--key"]).arg(&c.ig.path).ok();
    c.append(&c.ig, &[grant("G-2", "P101", "Hospital discharge")]);
    c.verify();
    c
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Damage {
    /// The value's last byte flipped.
    Flip,
    /// The value's last byte removed: a row that no longer decodes.
    Truncate,
    Delete,
    Stray,
}

/// Applies `damage` to the middle row of column family `name` of the ledger at `path`; returns
/// that row's key read as a seq, when it is one.
fn damage(path: &Path, name: &str, damage: Damage) -> Option<u64> {
    let db = open_raw(path);
    let h = db.cf_handle(name).unwrap();
    let rows: Vec<igl_ledger::store::KvPair> = db
        .iterator_cf(h, IteratorMode::Start)
        .map(|r| r.unwrap())
        .collect();
    assert!(!rows.is_empty(), "column family {name} holds no row");
    let (k, v) = &rows[rows.len() / 2];
    match damage {
        Damage::Flip => {
            let mut v = v.to_vec();
            match v.last_mut() {
                Some(b) => *b ^= 0x01,
                None => v.push(0x01),
            }
            db.put_cf(h, k, v).unwrap();
        }
        Damage::Truncate => {
            let mut v = v.to_vec();
            if v.pop().is_none() {
                v.extend_from_slice(b"\x01\x02");
            }
            db.put_cf(h, k, v).unwrap();
        }
        Damage::Delete => db.delete_cf(h, k).unwrap(),
        Damage::Stray => {
            let mut k = k.to_vec();
            k.push(0xff);
            db.put_cf(h, k, v).unwrap();
        }
    }
    db.flush_cf(h).unwrap();
    igl_ledger::store::key_seq(k)
}

/// Whether a failure names the damaged column family: a derived one by name; the record by
/// what it holds, or (an entry) by failing at the damaged entry's seq.
fn names(name: &str, message: &str, failed_at: Option<u64>, row: Option<u64>) -> bool {
    match name {
        "entries" => message.contains("entr") || (row.is_some() && failed_at == row),
        "payloads" => message.contains("payload"),
        "seals" => message.contains("seal"),
        other => message.contains(&format!("`{other}`")),
    }
}

/// `igl verify --json` of the ledger at `copy`: exit code, stdout, stderr.
fn verify_copy(c: &Council, copy: &Path) -> (Option<i32>, String, String) {
    let out = c
        .dir
        .igl()
        .arg("--ledger")
        .arg(copy)
        .args(["verify", "--json"])
        .output();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_column_family_flipped_deleted_or_with_a_stray_row_fails_verify_naming_it() {
    let c = full_ledger();
    let scratch = Dir::new();
    let mut wrong = Vec::new();
    for (i, name) in cf::ALL.iter().enumerate() {
        for (j, d) in [
            Damage::Flip,
            Damage::Truncate,
            Damage::Delete,
            Damage::Stray,
        ]
        .into_iter()
        .enumerate()
        {
            let copy = scratch.join(&format!("l-{i}-{j}"));
            copy_dir(&c.ledger, &copy);
            let row = damage(&copy, name, d);
            let (code, stdout, stderr) = verify_copy(&c, &copy);
            let v: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
            let message = v["failure"]["message"].as_str().unwrap_or_default();
            let failed_at = v["failure"]["seq"].as_u64();
            let ok = code == Some(1)
                && v["ok"] == false
                && failed_at.is_some()
                && names(name, message, failed_at, row);
            if !ok {
                wrong.push(format!("{name} {d:?}: exit {code:?}: {stdout}{stderr}"));
            }
            std::fs::remove_dir_all(&copy).unwrap();
        }
    }
    assert!(
        wrong.is_empty(),
        "not caught as expected:\n{}",
        wrong.join("\n")
    );
}

/// Each key's record in turn made undecodable (its last byte cut): verify fails naming the
/// `keys` column family (exit 1), whichever key it is. The check of the indexes, which needs
/// each author's person, learns it from the entries that enrolled the keys, never from this
/// derived row (reading it there once made such damage an IO error, exit 2).
#[test]
fn each_key_record_cut_short_fails_verify_naming_the_keys_column_family() {
    let c = full_ledger();
    let scratch = Dir::new();
    let n = {
        let db = open_raw(&c.ledger);
        let h = db.cf_handle(cf::KEYS).unwrap();
        db.iterator_cf(h, IteratorMode::Start).count()
    };
    assert!(n >= 4, "the ledger has {n} keys");
    for i in 0..n {
        let copy = scratch.join(&format!("k-{i}"));
        copy_dir(&c.ledger, &copy);
        {
            let db = open_raw(&copy);
            let h = db.cf_handle(cf::KEYS).unwrap();
            let (k, v) = db
                .iterator_cf(h, IteratorMode::Start)
                .nth(i)
                .unwrap()
                .unwrap();
            db.put_cf(h, &k, &v[..v.len() - 1]).unwrap();
            db.flush_cf(h).unwrap();
        }
        let (code, stdout, stderr) = verify_copy(&c, &copy);
        assert_eq!(code, Some(1), "key row {i}: {stdout}{stderr}");
        assert!(stdout.contains("`keys`"), "key row {i}: {stdout}");
        std::fs::remove_dir_all(&copy).unwrap();
    }
}

/// Nothing is stored outside the column families igl declares: a row in RocksDB's `default`
/// column family, or a column family igl does not know, fails verify.
#[test]
fn a_row_in_the_default_column_family_or_an_unknown_column_family_fails_verify() {
    let c = full_ledger();
    let scratch = Dir::new();
    for (i, what) in ["default", "extra"].into_iter().enumerate() {
        let copy = scratch.join(&format!("o-{i}"));
        copy_dir(&c.ledger, &copy);
        {
            let mut db = open_raw(&copy);
            if what == "extra" {
                db.create_cf("extra", &Options::default()).unwrap();
                let h = db.cf_handle("extra").unwrap();
                db.put_cf(h, b"k", b"v").unwrap();
            } else {
                db.put(b"k", b"v").unwrap();
            }
            db.flush().unwrap();
            if what == "extra" {
                let h = db.cf_handle("extra").unwrap();
                db.flush_cf(h).unwrap();
            }
        }
        let (code, stdout, _) = verify_copy(&c, &copy);
        assert_eq!(code, Some(1), "{what}: {stdout}");
        assert!(stdout.contains(&format!("`{what}`")), "{what}: {stdout}");
    }
}
