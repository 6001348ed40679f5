//! Damaged files: a ledger built with the CLI and closed (so its data is in table files), then
//! its RocksDB files truncated, corrupted or deleted behind igl's back; and a ledger whose last
//! appends are still only in the write-ahead log, with that log torn or corrupted.
//!
//! `igl verify`, `igl log` and `igl append` must each give a clear error naming the damage, with
//! exit 2 (or exit 1 from verify when the record is provably wrong): never exit 0 with wrong
//! data, never a panic.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use igl_ledger::{Ledger, keys};
use igl_schema::{
    CourseId, Date, Event, EventId, PersonId, Salt, Submission, Timestamp, TrainingCompleted,
};
use rocksdb::{DB, Options};

use crate::util::{Council, grant, person, training};

/// The base ledger: the council, then two more batches through the CLI; closed.
fn base() -> Council {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            person("P101", "Grace Hopper"),
        ],
    );
    c.append(
        &c.ig,
        &[grant("G-1", "P100", "Case work"), training("P100", 20)],
    );
    assert_eq!(c.head().0, 8);
    c
}

/// The live table files of the ledger: (column family, file path, size).
fn tables(ledger: &Path) -> Vec<(String, PathBuf, u64)> {
    let names = DB::list_cf(&Options::default(), ledger).expect("list column families");
    let db = DB::open_cf_for_read_only(&Options::default(), ledger, &names, false)
        .expect("open the ledger's RocksDB");
    let files = db.live_files().expect("live files");
    files
        .into_iter()
        .map(|f| {
            let p = ledger.join(f.name.trim_start_matches('/'));
            (f.column_family_name, p, f.size as u64)
        })
        .collect()
}

/// The table file of the `entries` column family that holds entry `seq`.
fn entries_table(ledger: &Path, seq: u64) -> PathBuf {
    let names = DB::list_cf(&Options::default(), ledger).expect("list column families");
    let db = DB::open_cf_for_read_only(&Options::default(), ledger, &names, false)
        .expect("open the ledger's RocksDB");
    let files = db.live_files().expect("live files");
    let key = seq.to_be_bytes().to_vec();
    let f = files
        .iter()
        .find(|f| {
            f.column_family_name == "entries"
                && f.start_key.as_ref().is_some_and(|k| *k <= key)
                && f.end_key.as_ref().is_some_and(|k| *k >= key)
        })
        .unwrap_or_else(|| panic!("no entries table file holds seq {seq}"));
    ledger.join(f.name.trim_start_matches('/'))
}

/// Files in the ledger directory whose name starts with `prefix` and ends with `suffix`.
fn files(ledger: &Path, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(ledger)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(prefix) && n.ends_with(suffix)
        })
        .collect();
    v.sort();
    v
}

fn truncate(path: &Path, len: u64) {
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// XORs `n` bytes from `at` with 0xff.
fn flip(path: &Path, at: u64, n: usize) {
    let mut b = std::fs::read(path).unwrap();
    for x in &mut b[at as usize..at as usize + n] {
        *x ^= 0xff;
    }
    std::fs::write(path, b).unwrap();
}

/// Every command refuses the damaged ledger with exit 2 (verify may say exit 1 when the record
/// itself is provably wrong), a message naming the damage and what to do, and no panic; and
/// nothing is appended.
#[track_caller]
fn refused(c: &Council, needle: &str) {
    refused_by(c, needle, &["verify", "log", "append"]);
}

#[track_caller]
fn refused_by(c: &Council, needle: &str, commands: &[&str]) {
    let events = c.dir.write_events("more.jsonl", &[training("P100", 22)]);
    for &what in commands {
        let o = match what {
            "append" => c
                .igl()
                .arg("append")
                .arg("--key")
                .arg(&c.ig.path)
                .arg(&events)
                .output(),
            _ => c.igl().arg(what).output(),
        };
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let code = o.status.code();
        assert!(
            !stderr.contains("panicked"),
            "igl {what} panicked:\n{stderr}"
        );
        if what == "verify" && code == Some(1) {
            assert!(stdout.contains("FAILED"), "igl verify exit 1:\n{stdout}");
            continue;
        }
        assert_eq!(
            code,
            Some(2),
            "igl {what}: expected exit 2\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        assert!(
            stderr.contains("damaged") && stderr.contains("restore"),
            "igl {what}: the error must say the ledger is damaged and what to do:\n{stderr}"
        );
        assert!(
            stderr.contains(needle),
            "igl {what}: the error must name {needle:?}:\n{stderr}"
        );
        assert!(
            stderr.lines().count() <= 4,
            "igl {what}: a short message, not pages of text:\n{stderr}"
        );
    }
}

#[test]
fn a_truncated_table_file_is_refused() {
    let c = base();
    let t = entries_table(&c.ledger, 0);
    let len = std::fs::metadata(&t).unwrap().len();
    truncate(&t, len / 2);
    refused(&c, &file_name(&t));
}

#[test]
fn a_table_file_cut_to_nothing_is_refused() {
    let c = base();
    let t = entries_table(&c.ledger, 0);
    truncate(&t, 0);
    refused(&c, &file_name(&t));
}

#[test]
fn flipped_bytes_in_a_data_block_are_refused() {
    // The block holding the head entry, which every command reads (append checks that the
    // head record names it).
    let c = base();
    let t = entries_table(&c.ledger, 8);
    flip(&t, 100, 8);
    refused(&c, &file_name(&t));
}

#[test]
fn flipped_bytes_in_an_old_data_block_are_found_by_verify_and_log() {
    // An append reads only the head and what its events refer to, so it does not notice
    // damage to an old block (RocksDB's checksums catch it whenever the block is read, and
    // a compaction reads every block). Verify and log read everything and refuse.
    let c = base();
    let t = entries_table(&c.ledger, 0);
    flip(&t, 100, 8);
    refused_by(&c, &file_name(&t), &["verify", "log"]);
    // What the append writes is right, and the damage is still reported afterwards.
    c.append(&c.ig, &[training("P100", 22)]);
    refused_by(&c, &file_name(&t), &["verify", "log"]);
}

#[test]
fn flipped_bytes_in_every_table_file_are_refused() {
    let c = base();
    for (_, t, _) in tables(&c.ledger) {
        flip(&t, 40, 4);
    }
    refused(&c, ".sst");
}

#[test]
fn a_deleted_table_file_is_refused() {
    let c = base();
    let t = entries_table(&c.ledger, 0);
    std::fs::remove_file(&t).unwrap();
    refused(&c, &file_name(&t));
}

#[test]
fn a_corrupted_manifest_is_refused() {
    let c = base();
    let m = files(&c.ledger, "MANIFEST-", "");
    assert_eq!(m.len(), 1, "{m:?}");
    let len = std::fs::metadata(&m[0]).unwrap().len();
    flip(&m[0], len / 2, 16);
    refused(&c, "MANIFEST");
}

#[test]
fn a_truncated_manifest_is_refused() {
    let c = base();
    let m = files(&c.ledger, "MANIFEST-", "");
    let len = std::fs::metadata(&m[0]).unwrap().len();
    truncate(&m[0], len / 2);
    refused(&c, "MANIFEST");
}

#[test]
fn a_corrupted_current_file_is_refused() {
    let c = base();
    std::fs::write(c.ledger.join("CURRENT"), "MANIFEST-9999\n").unwrap();
    refused(&c, "MANIFEST-9999");
    std::fs::write(c.ledger.join("CURRENT"), "garbage without a newline").unwrap();
    refused(&c, "CURRENT");
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

// --- the write-ahead log -----------------------------------------------------------------------

/// A ledger whose last three appends (seqs 5..=7, 8..=10, 11..=13: three entries each) are only
/// in the write-ahead log: the base council, then three appends through the library, and the
/// directory copied while the writer still had it open (as a power cut would leave it).
/// Returns the council pointed at the copy, and the newest log file.
fn unflushed() -> (Council, PathBuf) {
    let mut c = Council::new();
    let ig = keys::load(&c.ig.path).unwrap();
    let ledger = Ledger::open(&c.ledger).unwrap();
    let lid = ledger.ledger_id().unwrap();
    for b in 0..3u32 {
        let batch: Vec<Submission> = (0..3u32)
            .map(|i| {
                Submission::sign(
                    lid,
                    Event::TrainingCompleted(TrainingCompleted {
                        person: PersonId::new(format!("P{}", 100 + b * 3 + i)).unwrap(),
                        course: CourseId::new("protecting-information").unwrap(),
                        completed_on: Date::parse("2025-05-01").unwrap(),
                        expires_on: None,
                    }),
                    Timestamp::parse("2025-06-04T09:00:00Z").unwrap(),
                    EventId(keys::random_bytes().unwrap()),
                    [],
                    &ig,
                    Salt([0; 32]),
                )
                .unwrap()
            })
            .collect();
        ledger.append(&batch, &ig, Timestamp::now()).unwrap();
    }
    let copy = c.dir.join("copy");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(&c.ledger).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    drop(ledger);
    c.ledger = copy;
    let logs = files(&c.ledger, "", ".log");
    let logs: Vec<_> = logs.into_iter().filter(|p| file_name(p) != "LOG").collect();
    let wal = logs.last().expect("a write-ahead log").clone();
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the appends are in the log"
    );
    (c, wal)
}

#[test]
fn appends_only_in_the_log_are_recovered() {
    let (c, _) = unflushed();
    assert_eq!(c.head().0, 13);
    assert_eq!(c.log(&[]).len(), 14);
}

#[test]
fn a_torn_log_tail_drops_only_the_unfinished_write() {
    // The last record cut short: the write that was in progress when the power went. It was
    // never acknowledged (its fsync had not returned), so recovery drops it; everything before
    // it is kept, and the ledger verifies and takes new appends.
    let (c, wal) = unflushed();
    let len = std::fs::metadata(&wal).unwrap().len();
    truncate(&wal, len - 20);
    assert_eq!(c.head().0, 10);
    c.append(&c.ig, &[training("P100", 23)]);
    assert_eq!(c.head().0, 11);
}

#[test]
fn garbage_after_the_log_tail_loses_nothing() {
    // Bytes after the last record that do not make a whole record (here: a header claiming
    // more bytes than follow) read as a torn tail: dropped, and every record before it kept.
    let (c, wal) = unflushed();
    let mut f = OpenOptions::new().append(true).open(&wal).unwrap();
    f.write_all(&[0x5a; 300]).unwrap();
    drop(f);
    assert_eq!(c.head().0, 13);
    c.append(&c.ig, &[training("P100", 23)]);
    assert_eq!(c.head().0, 14);
}

#[test]
fn corruption_before_the_log_tail_is_refused() {
    // A record in the middle of the log is damaged and acknowledged records follow it:
    // recovering up to the damage would silently drop acknowledged entries.
    let (c, wal) = unflushed();
    // The log's first record (the first batch) starts at offset 0 with a 7-byte header.
    flip(&wal, 40, 4);
    refused(&c, "write-ahead log");
}
