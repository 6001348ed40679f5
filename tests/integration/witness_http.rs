//! Witnessing over HTTP (C2SP tlog-witness) with the real binary on 127.0.0.1: `igl witness
//! serve` cosigns a council's checkpoints and `igl checkpoint --witness` records them; a forked or
//! rolled-back copy of the ledger gets no cosignature and records nothing; a witness killed right
//! after answering restarts on its state; the raw HTTP answers (400/403/404/405/409/413/422/431);
//! lying lengths, huge chunked bodies and stalled clients do not stop the witness; and
//! Cloudflare azul's `signed_note` reads the cosigned notes, and makes a cosignature igl accepts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ed25519_dalek::Signer as _;
use igl_schema::note::{Checkpoint, SignedCheckpoint, VerifierKey};
use igl_schema::{PublicKey, SigningKey, public_key};
use serde_json::Value;

use crate::util::{Council, Dir, Key, grant, person, training};

const WITNESS_NAME: &str = "partner.example/witness";

/// A running `igl witness serve`, killed (SIGKILL) when dropped.
pub(crate) struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
    /// The witness's verifier key, as it printed it.
    pub(crate) vkey: String,
    log: PathBuf,
}

impl Server {
    /// Starts a witness with `key` and `state` trusting each (origin, key) of `logs`.
    pub(crate) fn start(dir: &Dir, key: &Key, state: &Path, logs: &[(String, String)]) -> Server {
        let log = dir.join(&format!("witness-{}.log", unique()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_igl"));
        cmd.args([
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--name",
            WITNESS_NAME,
        ])
        .arg("--key")
        .arg(&key.path)
        .arg("--state")
        .arg(state)
        .args(["--threads", "2"])
        .env_remove("IGL_LEDGER")
        .env_remove("IGL_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
        for (origin, k) in logs {
            // A key given as `vkey:<the log's verifier key>` is passed as that vkey.
            match k.strip_prefix("vkey:") {
                Some(vkey) => cmd.arg("--log").arg(vkey),
                None => cmd.arg("--log").arg(format!("{origin}={k}")),
            };
        }
        let mut child = cmd.spawn().expect("start igl witness serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut line = || {
            lines.next().and_then(Result::ok).unwrap_or_else(|| {
                panic!("witness exited: {}", std::fs::read_to_string(&log).unwrap())
            })
        };
        let first = line();
        let url = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line {first:?}"))
            .to_string();
        let vkey = line();
        assert!(
            VerifierKey::parse(&vkey).is_ok(),
            "second line is the vkey: {vkey:?}"
        );
        Server {
            child,
            url,
            vkey,
            log,
        }
    }

    /// `127.0.0.1:PORT`
    fn addr(&self) -> &str {
        self.url.strip_prefix("http://").unwrap()
    }

    /// Its stderr so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// SIGKILL, and wait for it.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The council's origin line.
pub(crate) fn origin(c: &Council) -> String {
    format!("igledger/{}", c.ledger_id().to_hex())
}

/// The secret key in a plain key file.
fn signing_key(k: &Key) -> SigningKey {
    let text = std::fs::read_to_string(&k.path).unwrap();
    let seed = text
        .lines()
        .find_map(|l| l.strip_prefix("igl-secret-key-v1:"))
        .expect("a plain key file");
    SigningKey::from_bytes(&hex::decode(seed).unwrap().try_into().unwrap())
}

/// A witness over the council's log (checkpoints signed by its ig_officer), its state in the
/// council's directory.
fn witness_for(c: &Council, state: &str) -> (Key, PathBuf, Server) {
    let key = c.dir.new_key(&format!("witness-{}.key", unique()));
    let state = c.dir.join(state);
    let s = Server::start(&c.dir, &key, &state, &[(origin(c), c.ig.public.clone())]);
    (key, state, s)
}

/// `igl checkpoint --json` on the ledger at `ledger`, asking `witnesses`: (exit code, JSON).
fn checkpoint_at(c: &Council, ledger: &Path, witnesses: &[&Server]) -> (i32, Value, String) {
    let mut cmd = c
        .dir
        .igl()
        .env("NO_PROXY", "127.0.0.1")
        .arg("--ledger")
        .arg(ledger)
        .args(["checkpoint", "--json", "--key"])
        .arg(&c.ig.path);
    for w in witnesses {
        cmd = cmd.args(["--witness", &w.vkey, &w.url]);
    }
    let o = cmd.output();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v = if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    (o.status.code().unwrap_or(-1), v, stderr)
}

/// A witnessed checkpoint that must be recorded: its JSON.
#[track_caller]
fn witnessed_checkpoint(c: &Council, w: &Server) -> Value {
    let (code, v, err) = checkpoint_at(c, &c.ledger, &[w]);
    assert_eq!(code, 0, "{err}\n{v}");
    assert_eq!(v["recorded"], true, "{v}");
    assert_eq!(v["cosigned_by"], serde_json::json!([WITNESS_NAME]), "{v}");
    v
}

/// The witness's state file for `origin` (the one file in the state directory ending in
/// `.checkpoint`).
fn state_note(state: &Path) -> SignedCheckpoint {
    let files: Vec<PathBuf> = std::fs::read_dir(state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "checkpoint"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    SignedCheckpoint::parse(&std::fs::read_to_string(&files[0]).unwrap()).unwrap()
}

/// Copies a (closed) ledger directory.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The tree size of the ledger at `ledger` (its entry count).
fn size_of(c: &Council, ledger: &Path) -> u64 {
    let v = c
        .dir
        .igl()
        .arg("--ledger")
        .arg(ledger)
        .args(["verify", "--json"])
        .json();
    assert_eq!(v["ok"], true, "{v}");
    v["entries"].as_u64().unwrap()
}

/// `igl append` to the ledger at `ledger`.
fn append_at(c: &Council, ledger: &Path, events: &[Value]) {
    let f = c
        .dir
        .write_events(&format!("batch-{}.jsonl", unique()), events);
    c.dir
        .igl()
        .arg("--ledger")
        .arg(ledger)
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg(f)
        .ok();
}

#[test]
fn a_partner_witness_cosigns_checkpoints_over_http_and_the_ledger_records_them() {
    let c = Council::new();
    // The partner council: its own ledger, and a witness of its own that also witnesses itself.
    let partner = Council::new();
    let key = partner.dir.new_key("witness.key");
    let state = partner.dir.join("witness-state");
    let w = Server::start(
        &partner.dir,
        &key,
        &state,
        &[
            (origin(&c), c.ig.public.clone()),
            (origin(&c), c.admin.public.clone()),
            (origin(&partner), partner.ig.public.clone()),
        ],
    );
    assert_eq!(
        w.vkey,
        VerifierKey::witness(WITNESS_NAME, PublicKey::from_hex(&key.public).unwrap()).to_vkey()
    );
    c.append(&c.ig, &[person("P100", "Ada Lovelace")]);

    let first = witnessed_checkpoint(&c, &w);
    let n1 = first["tree_size"].as_u64().unwrap();
    let note = first["note"].as_str().unwrap();
    assert!(note.contains(&format!("\n— {WITNESS_NAME} ")), "{note}");
    c.verify();
    // The published note carries the cosignature: `verify --against` takes the witness's vkey.
    let published = c.dir.write("published.txt", note);
    c.igl()
        .arg("verify")
        .arg("--against")
        .arg(&published)
        .args(["--witness", &w.vkey])
        .ok();
    // ... or NAME=HEXKEY; a witness that did not cosign fails it (exit 1), and --witness without
    // --against is a usage error.
    let by_name = format!("{WITNESS_NAME}={}", key.public);
    let out = c
        .igl()
        .arg("verify")
        .arg("--against")
        .arg(&published)
        .args(["--witness", &by_name])
        .ok();
    assert!(
        out.contains(&format!("cosigned by {WITNESS_NAME}")),
        "{out}"
    );
    let stranger = c.dir.new_key("stranger.key");
    let (out, _) = c
        .igl()
        .arg("verify")
        .arg("--against")
        .arg(&published)
        .args([
            "--witness",
            &format!("stranger.example={}", stranger.public),
        ])
        .fails(1);
    assert!(
        out.contains("no valid cosignature by stranger.example"),
        "{out}"
    );
    let (_, err) = c.igl().args(["verify", "--witness", &by_name]).fails(2);
    assert!(err.contains("--against"), "{err}");
    // The recorded checkpoint carries the cosignature (prove reads the note back from the
    // CheckpointRecorded entry).
    let p = c
        .igl()
        .args(["prove", "2", "--json", "--witness", &w.vkey])
        .json();
    assert_eq!(p["verified"], true, "{p}");
    assert_eq!(p["checkpoint"], first["note"], "{p}");
    assert_eq!(p["cosigned_by"], serde_json::json!([WITNESS_NAME]));
    assert!(w.log().contains("trusted on first use"), "{}", w.log());

    // More entries; the next request starts from the size last cosigned.
    c.append(
        &c.ig,
        &[grant("G-1", "P100", "Case work"), training("P100", 20)],
    );
    let second = witnessed_checkpoint(&c, &w);
    let n2 = second["tree_size"].as_u64().unwrap();
    assert!(w.log().contains(&format!(
        "consistent: {n2} entries extend the {n1} last cosigned"
    )));
    assert_eq!(state_note(&state).checkpoint.size, n2);
    c.verify();
    // The partner's own checkpoint goes through the same witness.
    witnessed_checkpoint(&partner, &w);

    // A checkpoint recorded without the witness: prove --witness passes over it to the latest
    // cosigned one, and refuses it when asked for it by size.
    c.igl().args(["checkpoint", "--key"]).arg(&c.ig.path).ok();
    let p = c
        .igl()
        .args(["prove", "3", "--json", "--witness", &w.vkey])
        .json();
    assert_eq!(p["tree_size"].as_u64(), Some(n2), "{p}");
    let n3 = n2 + 1;
    let (_, err) = c
        .igl()
        .args([
            "prove",
            "3",
            "--size",
            &n3.to_string(),
            "--witness",
            &w.vkey,
        ])
        .fails(1);
    assert!(err.contains("fewer than the quorum"), "{err}");
    // The next witnessed checkpoint resumes from the last cosigned one (n2), not the last one.
    c.append(&c.ig, &[training("P100", 21)]);
    let fourth = witnessed_checkpoint(&c, &w);
    let n4 = fourth["tree_size"].as_u64().unwrap();
    assert!(
        w.log()
            .contains(&format!("{n4} entries extend the {n2} last cosigned"))
    );

    // A bundle carries the cosignature in its checkpoint note; verify-bundle checks it (and a
    // witness quorum is a trust anchor once --origin says which ledger: a witness cosigns many).
    // It is proved against a checkpoint signed right after another (its index checkpoint).
    let fifth = witnessed_checkpoint(&c, &w);
    let bundle = c.dir.join("bundle.json");
    c.igl().args(["bundle", "--out"]).arg(&bundle).ok();
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    assert_eq!(b["checkpoint"], fifth["note"]);
    let (out, _) = c
        .dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--witness", &w.vkey])
        .fails(1);
    assert!(out.contains("--origin"), "{out}");
    let (out, _) = c
        .dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--witness", &w.vkey, "--origin", &origin(&partner)])
        .fails(1);
    assert!(out.contains("not of the ledger asked for"), "{out}");
    let v = c
        .dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--json", "--witness", &w.vkey, "--origin", &origin(&c)])
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["trust_anchor"], true, "{v}");
    assert_eq!(v["cosigned_by"], serde_json::json!([WITNESS_NAME]));
    // Another witness key did not cosign it: exit 1.
    let other = c.dir.new_key("other-witness.key");
    let other_vkey = VerifierKey::witness(
        "other.example/w",
        PublicKey::from_hex(&other.public).unwrap(),
    )
    .to_vkey();
    let (out, _) = c
        .dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--witness", &w.vkey, "--witness", &other_vkey])
        .args(["--origin", &origin(&c)])
        .fails(1);
    assert!(out.contains("1 of the 2"), "{out}");
    c.dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args([
            "--witness",
            &w.vkey,
            "--witness",
            &other_vkey,
            "--quorum",
            "1",
            "--origin",
            &origin(&c),
        ])
        .ok();
    // A SAR pack's bundle carries it too.
    let pack = c.dir.join("pack");
    c.igl()
        .args(["sar", "person:P100", "--pack"])
        .arg(&pack)
        .ok();
    let v = c
        .dir
        .igl()
        .arg("verify-bundle")
        .arg(&pack)
        .args(["--json", "--witness", &w.vkey, "--origin", &origin(&c)])
        .json();
    assert_eq!(v["cosigned_by"], serde_json::json!([WITNESS_NAME]), "{v}");
    // A log's key is not a witness key.
    let (_, err) = c
        .dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args([
            "--witness",
            &VerifierKey::log(&origin(&c), PublicKey::from_hex(&c.ig.public).unwrap()).to_vkey(),
        ])
        .fails(2);
    assert!(err.contains("not a witness"), "{err}");
}

#[test]
fn a_forked_or_rolled_back_copy_gets_no_cosignature_and_records_nothing() {
    let c = Council::new();
    let (_key, _state, w) = witness_for(&c, "witness-state");
    witnessed_checkpoint(&c, &w);
    // Copies of the ledger after that checkpoint: an old backup, and two forks.
    let backup = c.dir.join("backup");
    let same_size_fork = c.dir.join("fork-a");
    let longer_fork = c.dir.join("fork-b");
    for d in [&backup, &same_size_fork, &longer_fork] {
        copy_dir(&c.ledger, d);
    }
    // The real ledger moves on and is witnessed.
    append_at(&c, &c.ledger, &[person("P100", "Ada Lovelace")]);
    let real = witnessed_checkpoint(&c, &w);
    let n = real["tree_size"].as_u64().unwrap();

    // A fork of the same size: the witness answers 409 (it is at n), then 422 from n.
    append_at(&c, &same_size_fork, &[person("P100", "Someone Else")]);
    // A longer fork: 409, then the consistency proof from n does not verify (422).
    append_at(
        &c,
        &longer_fork,
        &[person("P100", "Someone Else"), training("P100", 3)],
    );
    for fork in [&same_size_fork, &longer_fork] {
        let before = size_of(&c, fork);
        let (code, v, err) = checkpoint_at(&c, fork, &[&w]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("ALARM") && err.contains("422") && err.contains("NOT recorded"),
            "{err}"
        );
        assert_eq!(
            (v["recorded"].clone(), v["alarm"].clone()),
            (Value::Bool(false), Value::Bool(true))
        );
        assert_eq!(v["witnesses"][0]["status"], 422, "{v}");
        assert_eq!(size_of(&c, fork), before, "nothing was recorded");
    }
    // The old backup: the witness has cosigned more entries than it holds (409 with n).
    let before = size_of(&c, &backup);
    assert!(before < n);
    let (code, v, err) = checkpoint_at(&c, &backup, &[&w]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("ALARM") && err.contains(&format!("{n} entries")),
        "{err}"
    );
    assert_eq!(v["witnesses"][0]["status"], 409, "{v}");
    assert_eq!(size_of(&c, &backup), before, "nothing was recorded");
    // The witness still holds the real ledger's checkpoint, and the real ledger goes on.
    assert!(w.log().contains("FORK"), "{}", w.log());
    append_at(&c, &c.ledger, &[training("P100", 4)]);
    witnessed_checkpoint(&c, &w);

    // A quorum of 1 of 2 witnesses, one unreachable: recorded; a quorum of 2: not.
    let dead = {
        let (_k, _s, d) = witness_for(&c, "dead-witness-state");
        let (vkey, url) = (d.vkey.clone(), d.url.clone());
        d.kill();
        (vkey, url)
    };
    append_at(&c, &c.ledger, &[training("P100", 5)]);
    let before = size_of(&c, &c.ledger);
    let (_, err) = c
        .igl()
        .env("NO_PROXY", "127.0.0.1")
        .args(["checkpoint", "--key"])
        .arg(&c.ig.path)
        .args(["--witness", &w.vkey, &w.url, "--witness", &dead.0, &dead.1])
        .fails(1);
    assert!(
        err.contains("1 of 2 witnesses cosigned, the quorum is 2"),
        "{err}"
    );
    assert_eq!(size_of(&c, &c.ledger), before);
    c.igl()
        .env("NO_PROXY", "127.0.0.1")
        .args(["checkpoint", "--key"])
        .arg(&c.ig.path)
        .args(["--witness", &w.vkey, &w.url, "--witness", &dead.0, &dead.1])
        .args(["--quorum", "1"])
        .ok();
    assert_eq!(size_of(&c, &c.ledger), before + 1);
}

#[test]
fn a_witness_killed_right_after_answering_restarts_on_its_state() {
    let c = Council::new();
    let key = c.dir.new_key("witness.key");
    let state = c.dir.join("witness-state");
    let logs = [(origin(&c), c.ig.public.clone())];
    let mut w = Server::start(&c.dir, &key, &state, &logs);
    // One witness per state directory.
    let (_, err) = c
        .dir
        .igl()
        .args(["witness", "serve", "--listen", "127.0.0.1:0", "--key"])
        .arg(&key.path)
        .arg("--state")
        .arg(&state)
        .args(["--log", &format!("{}={}", logs[0].0, logs[0].1)])
        .fails(2);
    assert!(err.contains("in use by another witness process"), "{err}");
    for round in 0..3 {
        c.append(&c.ig, &[training("P100", 10 + round)]);
        let v = witnessed_checkpoint(&c, &w);
        w.kill();
        // The state holds exactly the checkpoint whose cosignature was returned.
        let kept = state_note(&state);
        let recorded = SignedCheckpoint::parse(v["note"].as_str().unwrap()).unwrap();
        assert_eq!(kept.checkpoint, recorded.checkpoint);
        let vkey = VerifierKey::parse(&w_vkey(&key)).unwrap();
        assert_eq!(kept.cosignature_by(&vkey), recorded.cosignature_by(&vkey));
        w = Server::start(&c.dir, &key, &state, &logs);
    }
    c.verify();
}

/// A witness whose state was lost (deleted, or restored from an old backup) would trust the next
/// checkpoint on first use again; the log sees it (the witness's 409 names a size below the one
/// this ledger records its cosignature on) and raises an alarm instead of counting it.
#[test]
fn a_witness_that_lost_its_state_is_an_alarm_not_a_cosignature() {
    let c = Council::new();
    c.append(&c.ig, &[person("P100", "Ada Lovelace")]);
    let (key, state, w) = witness_for(&c, "lost-state");
    witnessed_checkpoint(&c, &w);
    w.kill();
    for f in std::fs::read_dir(&state).unwrap() {
        let p = f.unwrap().path();
        if p.to_string_lossy().ends_with(".checkpoint") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let w = Server::start(&c.dir, &key, &state, &[(origin(&c), c.ig.public.clone())]);
    c.append(&c.ig, &[training("P100", 20)]);
    let before = size_of(&c, &c.ledger);
    let (code, v, err) = checkpoint_at(&c, &c.ledger, &[&w]);
    assert_eq!(code, 1, "{v}\n{err}");
    let all = format!("{v}{err}");
    assert!(all.contains("lost or rolled back its state"), "{all}");
    assert_eq!(size_of(&c, &c.ledger), before, "nothing recorded");
    c.verify();
}

/// A body that never finishes arriving is answered 408 after the body timeout (30 s), and the
/// witness goes on serving.
#[test]
fn a_body_that_never_arrives_gets_408() {
    let c = Council::new();
    c.append(&c.ig, &[person("P100", "Ada Lovelace")]);
    let (_key, _state, w) = witness_for(&c, "slow-state");
    let mut s = TcpStream::connect(w.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    s.write_all(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nold 0\n")
        .unwrap();
    let started = std::time::Instant::now();
    let (status, _, _) = read_response(&mut s);
    assert_eq!(status, 408);
    assert!(
        started.elapsed() >= Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
    witnessed_checkpoint(&c, &w);
}

/// The witness vkey of `key` under [`WITNESS_NAME`].
fn w_vkey(key: &Key) -> String {
    VerifierKey::witness(WITNESS_NAME, PublicKey::from_hex(&key.public).unwrap()).to_vkey()
}

/// One HTTP/1.1 exchange on a new connection: (status, headers in lowercase, body).
fn http(addr: &str, head: &str, body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> (u16, String, String) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(
            s.read(&mut byte).unwrap(),
            1,
            "connection closed in the headers"
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap().to_ascii_lowercase();
    let status: u16 = head[9..12].parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; len];
    s.read_exact(&mut body).unwrap();
    (status, head, String::from_utf8(body).unwrap())
}

fn post(addr: &str, body: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ),
        body.as_bytes(),
    )
}

/// A checkpoint note of `cp` signed as the log with `key`.
fn note(cp: &Checkpoint, key: &SigningKey) -> SignedCheckpoint {
    SignedCheckpoint::new(cp.clone(), cp.sign(key), &public_key(key))
}

#[test]
fn raw_http_requests_get_the_tlog_witness_statuses() {
    let c = Council::new();
    let (_key, _state, w) = witness_for(&c, "witness-state");
    let addr = w.addr().to_string();
    let (status, head, _) = http(
        &addr,
        "GET /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(status, 405);
    assert!(head.contains("allow: post"), "{head}");
    let (status, _, _) = http(
        &addr,
        "PUT /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(status, 405);
    let (status, _, _) = http(
        &addr,
        "POST /checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(status, 404);
    assert_eq!(post(&addr, "hello\n").0, 400);

    // A real checkpoint of the council (recorded without a witness).
    let (code, v, err) = checkpoint_at(&c, &c.ledger, &[]);
    assert_eq!(code, 0, "{err}");
    let signed = SignedCheckpoint::parse(v["note"].as_str().unwrap()).unwrap();
    let cp = signed.checkpoint.clone();
    let n = cp.size;
    let ig = signing_key(&c.ig);
    let text = signed.to_text();

    // 404: an origin the witness does not know.
    let mut stranger = cp.clone();
    stranger.origin = "igledger/00000000000000000000000000000000".into();
    let (status, _, body) = post(
        &addr,
        &format!("old 0\n\n{}", note(&stranger, &ig).to_text()),
    );
    assert_eq!(status, 404, "{body}");
    // 403: signed by a key the witness does not trust for it; a trusted key's bad signature.
    let staff = note(&cp, &signing_key(&c.staff)).to_text();
    assert_eq!(post(&addr, &format!("old 0\n\n{staff}")).0, 403);
    let mut broken = signed.clone();
    broken.signatures[0].data[5] ^= 0x40;
    assert_eq!(
        post(&addr, &format!("old 0\n\n{}", broken.to_text())).0,
        403
    );
    // 400: old size larger than the checkpoint's.
    assert_eq!(post(&addr, &format!("old {}\n\n{text}", n + 1)).0, 400);
    // 409: nothing cosigned yet.
    let (status, head, body) = post(&addr, &format!("old 3\n\n{text}"));
    assert_eq!((status, body.as_str()), (409, "0\n"));
    assert!(head.contains("content-type: text/x.tlog.size"), "{head}");
    // 422: old 0 with a proof.
    let some_hash = igl_schema::note::hash_to_base64(&igl_schema::Hash32([1; 32]));
    assert_eq!(post(&addr, &format!("old 0\n{some_hash}\n\n{text}")).0, 422);
    // 200: the cosignature line.
    let (status, head, body) = post(&addr, &format!("old 0\n\n{text}"));
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert!(body.starts_with(&format!("— {WITNESS_NAME} ")) && body.ends_with('\n'));
    assert_eq!(body.lines().count(), 1);
    let cosigned = SignedCheckpoint::parse(&format!("{}\n{body}", cp.body())).unwrap();
    let vkey = VerifierKey::parse(&w.vkey).unwrap();
    let time = cosigned
        .cosignature_by(&vkey)
        .expect("a valid cosignature")
        .time;
    assert!(time > 1_700_000_000);
    // 409 with the size now cosigned.
    let (status, _, body) = post(&addr, &format!("old 0\n\n{text}"));
    assert_eq!((status, body.as_str()), (409, format!("{n}\n").as_str()));
    // 422: the same size with another root.
    let mut other = cp.clone();
    other.root = igl_schema::Hash32([9; 32]);
    let (status, _, body) = post(
        &addr,
        &format!("old {n}\n\n{}", note(&other, &ig).to_text()),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("FORK"), "{body}");
    // The same checkpoint again from its size: cosigned again.
    assert_eq!(post(&addr, &format!("old {n}\n\n{text}")).0, 200);

    // 413: a declared body over 64 KiB (not read), and a chunked one.
    let (status, _, _) = {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(
            b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        read_response(&mut s)
    };
    assert_eq!(status, 413);
    let mut chunked = Vec::new();
    for _ in 0..70 {
        chunked.extend_from_slice(b"3e8\r\n");
        chunked.extend_from_slice(&[b'a'; 1000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, _, _) = http(
        &addr,
        "POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        &chunked,
    );
    assert_eq!(status, 413);
    // 431: more than 16 KiB of request line and headers.
    let big_header = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "a".repeat(20_000)
    );
    let (status, _, _) = http(&addr, &big_header, b"");
    assert_eq!(status, 431);

    // The log's client starts from nothing recorded (old 0), gets 409 with n, and retries from
    // n with a consistency proof.
    c.append(&c.ig, &[training("P100", 7)]);
    let v = witnessed_checkpoint(&c, &w);
    assert!(v["tree_size"].as_u64().unwrap() > n);
    assert!(
        w.log().contains(&format!("extend the {n} last cosigned")),
        "{}",
        w.log()
    );
}

/// What a raw request written to a new connection gets: the status, or `None` when the
/// connection is closed without an answer. `write` writes the request (errors allowed: the
/// witness may close the connection before all of it is sent); then the write side is shut.
fn status_or_closed(addr: &str, write: impl FnOnce(&mut TcpStream)) -> Option<u16> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write(&mut s);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    (head.len() >= 12).then(|| String::from_utf8_lossy(&head[9..12]).parse().unwrap())
}

/// The witness still runs, and cosigns a new checkpoint of the council (after one more entry,
/// on day `day` of May) for `igl checkpoint --witness`.
#[track_caller]
fn still_cosigns(c: &Council, w: &mut Server, day: u32) {
    assert!(w.child.try_wait().unwrap().is_none(), "{}", w.log());
    c.append(&c.ig, &[training("P100", day)]);
    witnessed_checkpoint(c, w);
}

#[test]
fn lying_lengths_huge_chunked_bodies_and_stalled_clients_do_not_stop_the_witness() {
    let c = Council::new();
    let (_key, _state, mut w) = witness_for(&c, "witness-state");
    let addr = w.addr().to_string();

    // (1) A Content-Length of 99999999999999 with 10 bytes sent: 413 without reading the body
    // (tiny_http allocated the declared length to discard it, and aborted).
    let status = status_or_closed(&addr, |s| {
        s.write_all(
            b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n0123456789",
        )
        .unwrap();
    });
    assert_eq!(status, Some(413), "{}", w.log());
    still_cosigns(&c, &mut w, 10);

    // (2) Chunked bodies past 64 KiB: 200 KiB in chunks of 1000 bytes, and one chunk declaring
    // 2^48 bytes of which 100 KB are sent. Both are cut off at the cap and answered 413.
    let mut chunked = Vec::new();
    for _ in 0..200 {
        chunked.extend_from_slice(b"3e8\r\n");
        chunked.extend_from_slice(&[b'a'; 1000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let mut huge_chunk = b"1000000000000\r\n".to_vec();
    huge_chunk.extend_from_slice(&[b'b'; 100_000]);
    for body in [chunked, huge_chunk] {
        let status = status_or_closed(&addr, |s| {
            s.write_all(
                b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            )
            .unwrap();
            // The witness may answer and close before the whole body is sent.
            let _ = s.write_all(&body);
        });
        assert_eq!(status, Some(413), "{}", w.log());
    }
    still_cosigns(&c, &mut w, 11);

    // (3) Clients that send half a request line and stall do not keep others waiting; the
    // witness closes them once the header timeout (10 s) has passed, without an answer.
    let stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"POST /add-chec").unwrap();
            s
        })
        .collect();
    let started = std::time::Instant::now();
    let (status, head, _) = http(
        &addr,
        "GET /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(status, 405, "{head}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    still_cosigns(&c, &mut w, 12);
    for mut s in stalled {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut rest = Vec::new();
        let r = s.read_to_end(&mut rest);
        assert!(
            matches!(r, Ok(0)),
            "{r:?} {}",
            String::from_utf8_lossy(&rest)
        );
    }
    let waited = started.elapsed();
    assert!(
        Duration::from_secs(9) <= waited && waited < Duration::from_secs(40),
        "{waited:?}"
    );
    still_cosigns(&c, &mut w, 13);
}

/// A `cosignature/v1` verifier for azul's `signed_note` (it has none built in).
struct CosignatureV1Verifier {
    name: String,
    key: ed25519_dalek::VerifyingKey,
}

impl signed_note::Verifier for CosignatureV1Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        let mut k = vec![0x04];
        k.extend_from_slice(self.key.as_bytes());
        signed_note::key_id(&self.name, &k)
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 72]>::try_from(sig) else {
            return false;
        };
        let time = u64::from_be_bytes(sig[..8].try_into().unwrap());
        let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
        m.extend_from_slice(msg);
        let s = ed25519_dalek::Signature::from_bytes(&sig[8..].try_into().unwrap());
        self.key.verify_strict(&m, &s).is_ok()
    }
}

/// A `cosignature/v1` signer for azul's `signed_note`, at a fixed time.
struct CosignatureV1Signer {
    name: String,
    key: ed25519_dalek::SigningKey,
    time: u64,
}

impl signed_note::Signer for CosignatureV1Signer {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        let mut k = vec![0x04];
        k.extend_from_slice(self.key.verifying_key().as_bytes());
        signed_note::key_id(&self.name, &k)
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek_2::SignatureError> {
        let mut m = format!("cosignature/v1\ntime {}\n", self.time).into_bytes();
        m.extend_from_slice(msg);
        let mut out = self.time.to_be_bytes().to_vec();
        out.extend_from_slice(&self.key.sign(&m).to_bytes());
        Ok(out)
    }
}

#[test]
fn azul_signed_note_reads_igl_cosigned_checkpoints_and_igl_reads_azul_cosignatures() {
    let c = Council::new();
    let (wkey, _state, w) = witness_for(&c, "witness-state");
    // An earlier checkpoint: the bundle below holds the entries before it (its index checkpoint).
    c.igl().args(["checkpoint", "--key"]).arg(&c.ig.path).ok();
    let v = witnessed_checkpoint(&c, &w);
    let text = v["note"].as_str().unwrap();
    let ig_pk = PublicKey::from_hex(&c.ig.public).unwrap();
    let log_vkey = VerifierKey::log(&origin(&c), ig_pk).to_vkey();

    // azul parses the note and verifies the log's signature and the witness's cosignature.
    let n = signed_note::Note::from_bytes(text.as_bytes()).expect("azul parses the note");
    let witness_pk =
        ed25519_dalek::VerifyingKey::from_bytes(&PublicKey::from_hex(&wkey.public).unwrap().0)
            .unwrap();
    let verifiers = signed_note::VerifierList::new(vec![
        Box::new(signed_note::StandardVerifier::new(&log_vkey).expect("azul reads igl's log vkey")),
        Box::new(CosignatureV1Verifier {
            name: WITNESS_NAME.into(),
            key: witness_pk,
        }),
    ]);
    let (verified, unverified) = n.verify(&verifiers).expect("both signatures verify");
    assert_eq!(verified.len(), 2, "{verified:?}");
    assert!(unverified.is_empty());
    assert_eq!(
        n.to_bytes(),
        text.as_bytes(),
        "azul writes the same note back"
    );
    // The witness's vkey, as azul computes the key id.
    let (name, rest) = w.vkey.split_once('+').unwrap();
    let mut material = vec![0x04];
    material.extend_from_slice(witness_pk.as_bytes());
    assert_eq!(
        format!("{:08x}", signed_note::key_id(name, &material)),
        rest.split_once('+').unwrap().0
    );

    // Conversely: azul cosigns the note with a cosignature/v1 signer, and igl accepts it.
    let azul_key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let mut n = signed_note::Note::from_bytes(text.as_bytes()).unwrap();
    n.add_sigs(&[&CosignatureV1Signer {
        name: "azul.example/w".into(),
        key: azul_key.clone(),
        time: 1_800_000_000,
    }])
    .unwrap();
    let azul_text = String::from_utf8(n.to_bytes()).unwrap();
    let parsed = SignedCheckpoint::parse(&azul_text).expect("igl parses azul's note");
    let azul_pk = PublicKey(azul_key.verifying_key().to_bytes());
    let azul_vkey = VerifierKey::witness("azul.example/w", azul_pk);
    assert_eq!(
        parsed.cosignature_by(&azul_vkey).map(|c| c.time),
        Some(1_800_000_000)
    );
    assert!(parsed.verify(&ig_pk));
    // Through the binary: verify-bundle against that note requires both witnesses.
    let note_file = c.dir.write("azul-cosigned.txt", &azul_text);
    let bundle = c.dir.join("bundle.json");
    c.igl().args(["bundle", "--out"]).arg(&bundle).ok();
    let v = c
        .dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .arg("--checkpoint")
        .arg(&note_file)
        .args([
            "--json",
            "--witness",
            &w.vkey,
            "--witness",
            &azul_vkey.to_vkey(),
        ])
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        v["cosigned_by"],
        serde_json::json!([WITNESS_NAME, "azul.example/w"])
    );
    // A changed byte in azul's cosignature: it no longer counts.
    let forged = azul_text.replace("— azul.example/w ", "— azul.example/x ");
    let forged_file = c.dir.write("forged.txt", &forged);
    c.dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .arg("--checkpoint")
        .arg(&forged_file)
        .args(["--witness", &azul_vkey.to_vkey()])
        .fails(1);
}
