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
