//! Living with other processes: the single-writer lock, and readers that stop reading.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{Council, Dir, jsonl, training};

#[test]
fn append_fails_while_another_process_holds_the_ledger() {
    let c = Council::new();
    c.dir.write("events.jsonl", jsonl(&[training("P100", 20)]));
    let head = c.head();
    {
        let _writer = igl_ledger::Ledger::open(&c.ledger).expect("open read-write");
        let (_, err) = c
            .igl()
            .args(["append", "--key"])
            .arg(&c.ig.path)
            .arg("events.jsonl")
            .fails(2);
        assert!(err.contains("locked by another process"), "{err}");
        let (_, err) = c
            .igl()
            .args(["redact", "3", "--reason", "x", "--key"])
            .arg(&c.ig.path)
            .fails(2);
        assert!(err.contains("locked by another process"), "{err}");
        // Readers take no lock.
        assert_eq!(c.head(), head);
        c.igl().arg("log").ok();
    }
    // Once the other process lets go, the append goes through.
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("events.jsonl")
        .ok();
    assert_eq!(c.head().0, head.0 + 1);
}

#[test]
fn a_reader_that_stops_reading_is_not_an_error() {
    let dir = Dir::new();
    dir.igl()
        .args(["demo", "--people", "24", "--ledger", "D"])
        .ok();
    for args in [&["log"][..], &["log", "--json"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_igl"))
            .current_dir(dir.path())
            .env_remove("IGL_LEDGER")
            .args(["--ledger", "D"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "igl {args:?} printed nothing");
        drop(out); // `igl log | head -1`
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "igl {args:?}: {stderr}");
        assert!(stderr.is_empty(), "igl {args:?}: {stderr}");
    }
}

/// Readers beside a writer: 100 `igl verify` runs while `igl append` processes write
/// continuously. Every verify exits 0 and reports a head that the finished ledger still has
/// (a prefix of it: the same hash at that seq); `log` and `audit` run between them with no error.
#[test]
fn verify_beside_continuous_appends_never_raises_a_false_alarm() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let c = Council::new();
    let stop = AtomicBool::new(false);
    let mut heads: Vec<(u64, String)> = Vec::new();
    /// Stops the writer however the readers' loop ends (a failed assertion included).
    struct StopOnDrop<'a>(&'a AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let appended = std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        let writer = s.spawn(|| {
            let mut n = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let f = c.dir.write(
                    &format!("w{}.jsonl", n % 2),
                    jsonl(&[training("P100", 1 + n % 28), training("P101", 1 + n % 28)]),
                );
                c.igl()
                    .args(["append", "--key"])
                    .arg(&c.ig.path)
                    .arg(f)
                    .ok();
                n += 1;
            }
            n
        });
        for i in 0..100 {
            let out = c.igl().args(["verify", "--json"]).output();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "verify {i} beside a writer: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["ok"], true, "{v}");
            heads.push((
                v["head_seq"].as_u64().unwrap(),
                v["head_hash"].as_str().unwrap().to_string(),
            ));
            if i % 10 == 0 {
                c.igl().args(["log", "--json"]).ok();
                let out = c.igl().args(["audit", "--json"]).output();
                assert!(
                    matches!(out.status.code(), Some(0 | 1)),
                    "audit beside a writer: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap()
    });
    assert!(appended > 0, "the writer appended while the readers ran");
    let log = c.log(&[]);
    c.verify();
    for (seq, hash) in &heads {
        assert_eq!(
            log[*seq as usize]["hash"].as_str(),
            Some(hash.as_str()),
            "a verified head is an entry of the finished ledger"
        );
    }
    assert!(
        heads.windows(2).all(|w| w[0].0 <= w[1].0),
        "heads never go back"
    );
}
