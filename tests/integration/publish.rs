//! `igl publish` and `igl verify-published`: the ledger as a C2SP tlog-tiles log, published to
//! a directory and checked from the directory or over HTTP; tampering with any file is found and
//! named; a directory holding another log is refused with nothing changed; the published files
//! carry no personal data. The interop test (another implementation reading igl's tiles) is
//! `interop_tiles.rs`.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::util::{Council, Dir, TestCommand, person, training};

/// Appends `n` TrainingCompleted entries (signed by the IG officer) in one batch.
fn grow(c: &Council, n: usize) {
    let events: Vec<Value> = (0..n)
        .map(|i| training("P100", 1 + (i % 28) as u32))
        .collect();
    c.append(&c.ig, &events);
}

/// A council ledger of at least `entries` entries (P100 enrolled), with no checkpoint yet.
fn council(entries: u64) -> Council {
    let c = Council::new();
    c.append(&c.ig, &[person("P100", "Ada Lovelace")]);
    let have = c.head().0 + 1;
    if entries > have {
        grow(&c, (entries - have) as usize);
    }
    c
}

/// `igl checkpoint --key ig.key`: returns the tree size.
fn checkpoint(c: &Council) -> u64 {
    let v = c
        .igl()
        .args(["checkpoint", "--json", "--key"])
        .arg(&c.ig.path)
        .json();
    v["tree_size"].as_u64().unwrap()
}

/// `igl publish DIR --json`.
fn publish(c: &Council, dir: &Path) -> Value {
    c.igl().arg("publish").arg(dir).arg("--json").json()
}

/// `igl verify-published SRC --trusted-key <ig> [args]`.
fn verify_published(c: &Council, src: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> TestCommand {
    c.dir
        .igl()
        .arg("verify-published")
        .arg(src)
        .args(["--trusted-key", &c.ig.public])
        .args(args)
}

/// Every file under `dir` with its bytes, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn restore(dir: &Path, snap: &BTreeMap<String, Vec<u8>>) {
    for (rel, b) in snap {
        fs::write(dir.join(rel), b).unwrap();
    }
}

fn flip(path: &Path, at: usize) {
    let mut b = fs::read(path).unwrap();
    b[at] ^= 0x01;
    fs::write(path, b).unwrap();
}

/// The (inode, mtime in ns) of a file: unchanged when publish leaves it alone.
fn identity(p: &Path) -> (u64, i64) {
    let m = fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.ino(), m.mtime() * 1_000_000_000 + m.mtime_nsec())
}

#[test]
fn publish_verifies_and_grows_incrementally() {
    let c = council(300);
    let size = checkpoint(&c);
    assert!(size > 256, "{size}");
    let out = c.dir.join("pub");
    let v = publish(&c, &out);
    assert_eq!(v["tree_size"], size);
    assert_eq!(v["old_tree_size"], Value::Null);
    assert_eq!(v["origin"], format!("igledger/{}", c.ledger_id()));
    // Level 0: one full tile and a partial; level 1: a partial of width 1.
    assert_eq!(v["tiles_written"], 3, "{v}");
    assert_eq!(v["bundles_written"], 2, "{v}");
    assert_eq!(v["checkpoint_written"], true);
    let w = size - 256;
    for p in [
        "checkpoint".to_string(),
        "tile/0/000".into(),
        format!("tile/0/001.p/{w}"),
        "tile/1/000.p/1".into(),
        "tile/entries/000".into(),
        format!("tile/entries/001.p/{w}"),
    ] {
        assert!(out.join(&p).is_file(), "{p}");
    }
    assert_eq!(fs::read(out.join("tile/0/000")).unwrap().len(), 8192);
    assert_eq!(
        fs::read(out.join("tile/entries/000")).unwrap().len(),
        256 * 34
    );
    assert_eq!(
        fs::read_to_string(out.join("checkpoint")).unwrap(),
        v["checkpoint"].as_str().unwrap()
    );

    let r = verify_published(&c, &out, &["--json"]).json();
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["tree_size"], size);
    assert_eq!(r["root"], v["root"]);
    assert_eq!(
        (r["bundles"].as_u64(), r["tiles"].as_u64()),
        (Some(2), Some(3))
    );
    let human = verify_published(&c, &out, &[]).ok();
    assert!(human.starts_with("✔ verified the published log"), "{human}");

    // Publishing the same checkpoint again writes nothing.
    let before: Vec<_> = [
        "tile/0/000",
        "tile/entries/000",
        "tile/1/000.p/1",
        "checkpoint",
    ]
    .iter()
    .map(|p| identity(&out.join(p)))
    .collect();
    let again = publish(&c, &out);
    assert_eq!(again["old_tree_size"], size);
    assert_eq!(
        (
            again["tiles_written"].as_u64(),
            again["bundles_written"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(again["checkpoint_written"], false);

    // More entries and a new checkpoint: only what is new is written; full tiles stay untouched.
    grow(&c, 20);
    let size2 = checkpoint(&c);
    let v2 = publish(&c, &out);
    assert_eq!(v2["old_tree_size"], size);
    assert_eq!(v2["tree_size"], size2);
    // tile/0/000 and tile/1/000.p/1 (still one full level-0 tile below level 1) stay.
    assert_eq!(v2["tiles_unchanged"], 2, "{v2}");
    assert_eq!(v2["tiles_written"], 1, "{v2}");
    assert_eq!(v2["bundles_unchanged"], 1, "{v2}");
    assert_eq!(v2["checkpoint_written"], true);
    let after: Vec<_> = [
        "tile/0/000",
        "tile/entries/000",
        "tile/1/000.p/1",
        "checkpoint",
    ]
    .iter()
    .map(|p| identity(&out.join(p)))
    .collect();
    assert_eq!(
        after[..3],
        before[..3],
        "published tiles are never rewritten"
    );
    assert_ne!(after[3], before[3], "the checkpoint is replaced");
    // The old partial tiles stay (their paths name their width), beside the new ones.
    assert!(out.join(format!("tile/0/001.p/{w}")).is_file());
    assert!(out.join(format!("tile/0/001.p/{}", size2 - 256)).is_file());
    let r = verify_published(&c, &out, &["--json"]).json();
    assert_eq!(r["tree_size"], size2);
    // No temporary file is left behind.
    assert!(
        snapshot(&out).keys().all(|k| !k.contains(".tmp")),
        "{:?}",
        snapshot(&out).keys()
    );
}

#[test]
fn tampered_publications_fail_naming_the_file() {
    let c = council(300);
    let size = checkpoint(&c);
    let out = c.dir.join("pub");
    publish(&c, &out);
    let pristine = snapshot(&out);
    let w = size - 256;

    let fails = |what: &str, path: &str, message: &str| {
        let (stdout, _) = verify_published(&c, &out, &["--json"]).fails(1);
        let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        assert_eq!(v["ok"], false, "{what}: {v}");
        assert_eq!(v["failure"]["path"], path, "{what}: {v}");
        let m = v["failure"]["message"].as_str().unwrap();
        assert!(m.contains(message), "{what}: {m}");
        let (human, _) = verify_published(&c, &out, &[]).fails(1);
        assert!(human.starts_with("✘ FAILED: "), "{human}");
        assert!(human.contains(&format!("pub/{path}: ")), "{what}: {human}");
        restore(&out, &pristine);
    };

    flip(&out.join("tile/0/000"), 100);
    fails("a level-0 tile", "tile/0/000", "hash 3 is");
    flip(&out.join("tile/entries/000"), 2 + 34 * 7 + 5);
    fails(
        "an entry bundle",
        "tile/0/000",
        "the leaf hash of entry 7 in tile/entries/000",
    );
    flip(&out.join(format!("tile/entries/001.p/{w}")), 0);
    fails(
        "a bundle's length prefix",
        &format!("tile/entries/001.p/{w}"),
        "entry 0 is 288 bytes",
    );
    flip(&out.join("tile/1/000.p/1"), 31);
    fails(
        "a level-1 tile",
        "tile/1/000.p/1",
        "the Merkle hash of tile/0/000",
    );
    fs::remove_file(out.join(format!("tile/0/001.p/{w}"))).unwrap();
    fails("a deleted tile", &format!("tile/0/001.p/{w}"), "missing");
    fs::remove_file(out.join("tile/entries/000")).unwrap();
    fails("a deleted bundle", "tile/entries/000", "missing");

    let note = String::from_utf8(pristine["checkpoint"].clone()).unwrap();
    let cut: String = note.split_inclusive('\n').take(2).collect();
    fs::write(out.join("checkpoint"), cut).unwrap();
    fails("a truncated checkpoint", "checkpoint", "checkpoint line");
    fs::write(
        out.join("checkpoint"),
        note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size - 1), 1),
    )
    .unwrap();
    fails(
        "an edited size",
        "checkpoint",
        "not signed by the trusted key",
    );
    fs::remove_file(out.join("checkpoint")).unwrap();
    fails("no checkpoint", "checkpoint", "missing");

    // The wrong key: exit 1, naming the checkpoint.
    let (stdout, _) = c
        .dir
        .igl()
        .arg("verify-published")
        .arg(&out)
        .args(["--trusted-key", &c.admin.public])
        .fails(1);
    assert!(
        stdout.contains("checkpoint: is not signed by the trusted key"),
        "{stdout}"
    );
    // A witness quorum that the (uncosigned) checkpoint does not meet: exit 1.
    let vkey = "partner+2f1a4c5e+BBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU";
    let (_, err) = verify_published(&c, &out, &["--witness", vkey]).fails(2);
    assert!(err.contains("--witness"), "{err}");

    // Usage errors: exit 2.
    let (_, err) = verify_published(&c, c.dir.join("nowhere"), &[]).fails(2);
    assert!(err.contains("no such directory"), "{err}");
    let (_, err) = verify_published(&c, &out, &["--quorum", "1"]).fails(2);
    assert!(err.contains("--witness"), "{err}");
    verify_published(&c, &out, &[]).ok();
}

#[test]
fn a_witness_quorum_is_checked() {
    let c = council(5);
    checkpoint(&c);
    let out = c.dir.join("pub");
    publish(&c, &out);
    // A witness key (type 0x04) that did not cosign: the quorum of 1 is not met.
    let witness = c.dir.new_key("witness.key");
    let vkey = vkey("partner", &witness.public);
    let (stdout, _) = verify_published(&c, &out, &["--witness", &vkey]).fails(1);
    assert!(
        stdout.contains("cosigned by 0 of the 1 witnesses given; 1 needed"),
        "{stdout}"
    );
    // A quorum of 0 would make --witness mean nothing: refused, as a usage error.
    let (_, err) = verify_published(&c, &out, &["--witness", &vkey, "--quorum", "0"]).fails(2);
    assert!(err.contains("--quorum"), "{err}");
    // --origin names the ledger the log must be of.
    let origin = format!("igledger/{}", c.ledger_id().to_hex());
    verify_published(&c, &out, &["--origin", &origin]).ok();
    let (stdout, _) = verify_published(
        &c,
        &out,
        &["--origin", "igledger/00000000000000000000000000000000"],
    )
    .fails(1);
    assert!(stdout.contains("not of the ledger asked for"), "{stdout}");
}

/// A witness's verifier key text: `name+keyid+base64(0x04 || key)`.
fn vkey(name: &str, public_hex: &str) -> String {
    let key = igl_schema::PublicKey::from_hex(public_hex).unwrap();
    igl_schema::note::VerifierKey::witness(name, key).to_vkey()
}

#[test]
fn publish_refuses_another_ledgers_directory_and_changes_nothing() {
    let a = council(5);
    let b = council(5);
    checkpoint(&a);
    checkpoint(&b);
    let out = a.dir.join("pub");
    publish(&a, &out);
    let before = snapshot(&out);
    let (_, err) = b.igl().arg("publish").arg(&out).fails(2);
    assert!(err.contains("another log"), "{err}");
    assert_eq!(snapshot(&out), before, "nothing changed");

    // While another publisher holds the directory (its flock), publish refuses and writes nothing.
    {
        use std::os::fd::AsRawFd;
        let held = fs::File::open(&out).unwrap();
        // SAFETY: flock on a descriptor this test owns.
        assert_eq!(
            unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
            0
        );
        let (_, err) = a.igl().arg("publish").arg(&out).fails(2);
        assert!(
            err.contains("another process is publishing to this directory"),
            "{err}"
        );
        assert_eq!(snapshot(&out), before, "nothing changed");
    }
    publish(&a, &out);

    // A directory holding other files and no checkpoint is refused too.
    let other = a.dir.join("website");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("index.html"), "<p>hello</p>").unwrap();
    let (_, err) = a.igl().arg("publish").arg(&other).fails(2);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(snapshot(&other).len(), 1);

    // A full tile that differs (a forked history published there): refused, nothing changed.
    let big = council(260);
    checkpoint(&big);
    let forked = big.dir.join("pub");
    publish(&big, &forked);
    flip(&forked.join("tile/entries/000"), 40);
    let before = snapshot(&forked);
    let (_, err) = big.igl().arg("publish").arg(&forked).fails(2);
    assert!(
        err.contains("tile/entries/000: already holds a different entry bundle"),
        "{err}"
    );
    assert!(err.contains("another log or a forked history"), "{err}");
    assert_eq!(snapshot(&forked), before);
}

#[test]
fn publish_needs_a_checkpoint_and_an_undamaged_ledger() {
    let c = council(5);
    let out = c.dir.join("pub");
    let (_, err) = c.igl().arg("publish").arg(&out).fails(2);
    assert!(err.contains("no recorded checkpoint"), "{err}");
    assert!(!out.exists(), "nothing was written");

    // Entry 2's stored bytes changed behind igl's back: the entries no longer give the signed
    // root, so nothing is published (exit 1) and the message says to run `igl verify`.
    checkpoint(&c);
    {
        let db = crate::util::open_raw(&c.ledger);
        let cf = db.cf_handle("entries").unwrap();
        let key = 2u64.to_be_bytes();
        let mut v = db.get_cf(cf, key).unwrap().unwrap();
        let last = v.len() - 1;
        v[last] ^= 1;
        db.put_cf(cf, key, v).unwrap();
    }
    let (_, err) = c.igl().arg("publish").arg(&out).fails(1);
    assert!(err.contains("igl verify"), "{err}");
    assert!(!out.exists(), "nothing was written");
}

#[test]
fn published_files_hold_no_personal_data() {
    let c = council(5);
    c.append(
        &c.ig,
        &[
            person("P777", "Zebedee Quartermaine"),
            crate::util::grant(
                "G-9",
                "P777",
                "Safeguarding casework for Quartermaine family",
            ),
        ],
    );
    checkpoint(&c);
    let out = c.dir.join("pub");
    publish(&c, &out);
    let files = snapshot(&out);
    // The checkpoint, one partial level-0 tile and one partial bundle.
    assert_eq!(files.len(), 3, "{:?}", files.keys());
    for (path, bytes) in &files {
        for needle in [
            "Quartermaine",
            "Zebedee",
            "Safeguarding",
            "P777",
            "Social Worker",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{path} holds {needle:?}"
            );
        }
    }
    // Each bundle entry is 0x0020 and a 32-byte entry hash: the hashes `igl log` shows.
    let bundle = files
        .iter()
        .find(|(p, _)| p.starts_with("tile/entries/"))
        .unwrap()
        .1;
    let hashes: Vec<String> = bundle
        .chunks(34)
        .map(|e| {
            assert_eq!(&e[..2], &[0x00, 0x20]);
            hex(&e[2..])
        })
        .collect();
    let log = c.log(&[]);
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(log[i]["hash"].as_str().unwrap(), h, "entry {i}");
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A static file server for a directory on 127.0.0.1 (an ephemeral port), stopped when dropped.
struct Server {
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
    url: String,
}

impl Server {
    fn serve(root: &Path) -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("listen"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let s = Arc::clone(&server);
        let root: PathBuf = root.to_path_buf();
        let thread = std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let rel = req.url().trim_start_matches('/').to_string();
                let resp = if rel.split('/').any(|p| p == "..") {
                    tiny_http::Response::from_data(Vec::new()).with_status_code(400)
                } else {
                    match fs::read(root.join(&rel)) {
                        Ok(b) => tiny_http::Response::from_data(b),
                        Err(_) => tiny_http::Response::from_data(Vec::new()).with_status_code(404),
                    }
                };
                let _ = req.respond(resp);
            }
        });
        Server {
            server,
            thread: Some(thread),
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn verify_published_over_http() {
    let c = council(300);
    let size = checkpoint(&c);
    let out = c.dir.join("pub");
    publish(&c, &out);
    let server = Server::serve(&out);
    let v = verify_published(&c, &server.url, &["--json"]).json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["tree_size"], size);
    assert_eq!(v["source"], server.url);
    // Without the trailing slash, the same.
    verify_published(&c, server.url.trim_end_matches('/'), &[]).ok();

    // A tile the server does not have (404) is a failure naming its URL.
    let w = size - 256;
    fs::remove_file(out.join(format!("tile/0/001.p/{w}"))).unwrap();
    let (stdout, _) = verify_published(&c, &server.url, &[]).fails(1);
    assert!(
        stdout.contains(&format!("{}tile/0/001.p/{w}: missing", server.url)),
        "{stdout}"
    );
    drop(server);

    // Nothing listening: an IO error, exit 2.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (stdout, err) = verify_published(&c, format!("http://127.0.0.1:{dead}/"), &[]).fails(2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(err.contains("checkpoint: cannot be read"), "{err}");
}

#[test]
fn publish_and_verify_published_help() {
    let dir = Dir::new();
    let out = dir.igl().args(["publish", "--help"]).ok();
    assert!(out.contains("DIR"), "{out}");
    let out = dir.igl().args(["verify-published", "--help"]).ok();
    assert!(
        out.contains("--trusted-key") && out.contains("--quorum"),
        "{out}"
    );
}
