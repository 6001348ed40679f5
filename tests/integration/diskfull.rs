//! A full disk: the ledger on a tiny tmpfs, mounted in a new user and mount namespace
//! (`unshare -rm`, which works as root and, on this kind of machine, as an unprivileged user).
//! An append that hits ENOSPC fails with a clear error and exit 2, writes nothing partial, and
//! the handle that failed refuses further writes until the ledger is reopened.
//!
//! There is no skipping: if `unshare` or the mount is unavailable the tests fail, loudly.

use std::path::Path;
use std::process::{Command, Output};

use igl_ledger::{AppendReceipt, Ledger, LedgerError, keys};
use igl_schema::{
    CourseId, Date, Event, EventId, LedgerId, PersonId, Salt, SigningKey, Submission, Timestamp,
    TrainingCompleted,
};
use serde_json::{Value, json};

use crate::util::{Council, at, parse_jsonl};

/// Runs `script` with `sh -eu` inside `unshare -rm` (a new user namespace mapped to root, and a
/// new mount namespace), with `vars` in its environment.
fn in_namespace(script: &str, vars: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new("unshare");
    cmd.args(["-rm", "sh", "-euc", script]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run `unshare` ({e}): the disk-full tests need util-linux's unshare and user \
             namespaces (they mount a tiny tmpfs); they are not skipped"
        )
    });
    assert!(
        out.status.success(),
        "the namespace script failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// 150 training records: one batch of about 100 KiB with its derived rows. (On this tmpfs it
/// is usually the open that runs out of space first: RocksDB writes an 80 KiB options file and
/// its own log there; the library test below makes the append's write fail.)
fn big_batch() -> Vec<Value> {
    (0..150)
        .map(|i| {
            json!({"type": "TrainingCompleted", "person": format!("P{}", 100 + i),
                   "course": "protecting-information", "completed_on": "2025-05-01",
                   "expires_on": "2026-05-01", "occurred_at": at(4, 9)})
        })
        .collect()
}

#[test]
fn igl_append_on_a_full_disk_fails_cleanly_and_keeps_every_acknowledged_append() {
    let c = Council::new();
    let before = c.head();
    let events = c.dir.write_events("big.jsonl", &big_batch());
    let mnt = c.dir.join("mnt");
    let out = c.dir.join("out");
    std::fs::create_dir(&mnt).unwrap();
    std::fs::create_dir(&out).unwrap();
    // Appends until one fails, then tries once more, then copies the ledger out as the full
    // disk left it.
    in_namespace(
        r#"
        mount -t tmpfs -o size=1536k tmpfs "$MNT"
        cp -a "$LEDGER" "$MNT/ledger"
        n=0
        while [ $n -lt 200 ]; do
            if "$IGL" --ledger "$MNT/ledger" append --json --key "$KEY" "$EVENTS" >>"$OUT/acks" 2>"$OUT/err"; then
                n=$((n + 1))
            else
                echo $? >"$OUT/code"
                break
            fi
        done
        "$IGL" --ledger "$MNT/ledger" append --json --key "$KEY" "$EVENTS" >>"$OUT/acks" 2>"$OUT/err2" || echo $? >"$OUT/code2"
        df -k "$MNT" >"$OUT/df"
        cp -a "$MNT/ledger" "$OUT/ledger"
        "#,
        &[
            ("MNT", &mnt),
            ("LEDGER", &c.ledger),
            ("OUT", &out),
            ("IGL", Path::new(env!("CARGO_BIN_EXE_igl"))),
            ("KEY", &c.ig.path),
            ("EVENTS", &events),
        ],
    );
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    let acks = parse_jsonl(&read("acks"));
    assert_eq!(
        read("code").trim(),
        "2",
        "an append must fail once the disk is full (after {} appends); df:\n{}",
        acks.len(),
        read("df")
    );
    // A second try may fail the same way, or succeed when the failed one freed what it had
    // begun to write (its ack is then with the others).
    let mut errors = vec![read("err")];
    if !read("code2").trim().is_empty() {
        assert_eq!(read("code2").trim(), "2");
        errors.push(read("err2"));
    }
    for err in errors {
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            err.contains("disk is full") && err.contains("free some space"),
            "the error must say the disk is full and what to do:\n{err}"
        );
        // The open may be what hits the full disk (RocksDB writes an options file and its
        // own log there), or the append's write.
        assert!(
            err.contains("nothing was appended") || err.contains("not acknowledged"),
            "{err}"
        );
    }

    // Off the full disk: the ledger verifies and holds exactly the acknowledged appends.
    let mut c = c;
    c.ledger = out.join("ledger");
    let (head, hash) = c.head();
    match acks.last() {
        Some(last) => {
            assert_eq!(head, last["last_seq"].as_u64().unwrap());
            assert_eq!(hash, last["head_hash"].as_str().unwrap());
        }
        None => assert_eq!((head, hash), before),
    }
    for a in &acks {
        let seq = a["last_seq"].as_u64().unwrap();
        let e = &c.log(&["--from", &seq.to_string(), "--limit", "1"])[0];
        assert_eq!(e["hash"], a["head_hash"]);
    }
    // And with space again it takes appends.
    c.append(&c.ig, &big_batch()[..1]);
    assert_eq!(c.head().0, head + 1);
}

/// One small batch of training records.
fn batch(lid: LedgerId, ig: &SigningKey, n: usize) -> Vec<Submission> {
    (0..n)
        .map(|i| {
            Submission::sign(
                lid,
                Event::TrainingCompleted(TrainingCompleted {
                    person: PersonId::new(format!("P{}", 100 + i)).unwrap(),
                    course: CourseId::new("protecting-information").unwrap(),
                    completed_on: Date::parse("2025-05-01").unwrap(),
                    expires_on: None,
                }),
                Timestamp::parse("2025-06-04T09:00:00Z").unwrap(),
                EventId(keys::random_bytes().unwrap()),
                [],
                ig,
                Salt([0; 32]),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn a_handle_that_hit_a_full_disk_refuses_writes_until_reopened() {
    let c = Council::new();
    let mnt = c.dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    // The child is this test binary, running the ignored `poisoned_handle_child` below inside
    // the namespace, on the ledger copied onto the tmpfs.
    let out = in_namespace(
        r#"
        mount -t tmpfs -o size=2m tmpfs "$MNT"
        cp -a "$LEDGER" "$MNT/ledger"
        IGL_DISKFULL_CHILD="$MNT" "$SELF" --exact diskfull::poisoned_handle_child --ignored --nocapture --test-threads=1
        "#,
        &[
            ("MNT", &mnt),
            ("LEDGER", &c.ledger),
            ("SELF", &std::env::current_exe().unwrap()),
            ("IGL_DISKFULL_CHILD_KEY", &c.ig.path),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("test diskfull::poisoned_handle_child ...")
            && stdout.contains("refused until reopened")
            && stdout.contains("test result: ok. 1 passed"),
        "the child must have run and passed:\n{stdout}"
    );
}

/// The child of [`a_handle_that_hit_a_full_disk_refuses_writes_until_reopened`], run inside the
/// namespace with the ledger at `$IGL_DISKFULL_CHILD/ledger` on a tiny tmpfs. Not a test by
/// itself: it refuses to run anywhere else.
#[test]
#[ignore = "run by a_handle_that_hit_a_full_disk_refuses_writes_until_reopened"]
fn poisoned_handle_child() {
    let mnt = std::env::var_os("IGL_DISKFULL_CHILD").expect(
        "run by a_handle_that_hit_a_full_disk_refuses_writes_until_reopened, inside its namespace",
    );
    let mnt = Path::new(&mnt);
    let ledger_dir = mnt.join("ledger");
    let ig = keys::load(Path::new(
        &std::env::var_os("IGL_DISKFULL_CHILD_KEY").expect("the key"),
    ))
    .unwrap();
    let ledger = Ledger::open(&ledger_dir).unwrap();
    let lid = ledger.ledger_id().unwrap();
    let start = ledger.head().unwrap().unwrap();

    // Fill the file system.
    let filler = mnt.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0x55u8; 16 * 1024];
        loop {
            match f.write_all(&chunk).and_then(|()| f.sync_data()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
    }

    // Append until the disk says no: the write-ahead log may have room preallocated.
    let mut acked: Vec<AppendReceipt> = Vec::new();
    let err = loop {
        match ledger.append(&batch(lid, &ig, 20), &ig, Timestamp::now()) {
            Ok(r) => acked.push(r),
            Err(e) => break e,
        }
        assert!(acked.len() < 10_000, "the disk never filled");
    };
    assert!(
        matches!(err, LedgerError::DiskFull { .. }),
        "a full disk must be reported as such: {err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("disk is full") && msg.contains("free some space"),
        "{msg}"
    );

    // The handle is done: refused, even once there is room again.
    let again = ledger.append(&batch(lid, &ig, 1), &ig, Timestamp::now());
    assert!(matches!(again, Err(LedgerError::Poisoned(_))), "{again:?}");
    std::fs::remove_file(&filler).unwrap();
    let again = ledger.append(&batch(lid, &ig, 1), &ig, Timestamp::now());
    assert!(matches!(again, Err(LedgerError::Poisoned(_))), "{again:?}");
    assert!(again.unwrap_err().to_string().contains("reopen the ledger"));
    drop(ledger);

    // Reopened: exactly the acknowledged appends, verified, and writable again.
    let ledger = Ledger::open(&ledger_dir).unwrap();
    let lid = ledger.ledger_id().unwrap();
    let report = ledger.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.failure);
    let head = report.head.unwrap();
    match acked.last() {
        Some(r) => assert_eq!((head.seq, head.hash), (r.last_seq, r.head_hash)),
        None => assert_eq!((head.seq, head.hash), (start.seq, start.hash)),
    }
    let r = ledger
        .append(&batch(lid, &ig, 1), &ig, Timestamp::now())
        .unwrap();
    assert_eq!(r.first_seq, head.seq + 1);
    println!(
        "disk full after {} appends; refused until reopened",
        acked.len()
    );
}
