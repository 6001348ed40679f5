//! Secret key files: created 0600, never overwritten, refused when others can read them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{Council, Dir, jsonl, training};

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn key_new_writes_a_0600_file_and_key_show_prints_its_public_key() {
    let dir = Dir::new();
    let out = dir.igl().args(["key", "new", "--out", "k"]).output();
    assert!(out.status.success());
    let public = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(public.len(), 64);
    assert!(public.bytes().all(|b| b.is_ascii_hexdigit()), "{public}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("mode 0600"), "{stderr}");
    assert_eq!(mode(&dir.join("k")), 0o600);

    let shown = dir.igl().args(["key", "show", "k"]).ok();
    assert!(shown.contains(&format!("public key  {public}")), "{shown}");
    assert!(
        shown.contains(&format!("short id    {}", &public[..12])),
        "{shown}"
    );
    let v = dir.igl().args(["key", "show", "k", "--json"]).json();
    assert_eq!(v["public_key"], public.as_str());
    assert_eq!(v["enrolment"], serde_json::Value::Null);

    let v = dir
        .igl()
        .args(["key", "new", "--out", "k2", "--json"])
        .json();
    assert_eq!(v["file"], "k2");
    assert_ne!(v["public_key"], public.as_str(), "every key is fresh");
    assert_eq!(mode(&dir.join("k2")), 0o600);
}

#[test]
fn key_new_never_overwrites() {
    let dir = Dir::new();
    dir.new_key("k");
    let before = fs::read(dir.join("k")).unwrap();
    let (out, err) = dir.igl().args(["key", "new", "--out", "k"]).fails(2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(fs::read(dir.join("k")).unwrap(), before);
    assert_eq!(mode(&dir.join("k")), 0o600);

    // Nor any other file.
    dir.write("notes.txt", "keep me");
    dir.igl()
        .args(["key", "new", "--out", "notes.txt"])
        .fails(2);
    assert_eq!(
        fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    let c = Council::new();
    let head = c.head();
    chmod(&c.ig.path, 0o644);
    c.dir.write("events.jsonl", jsonl(&[training("P100", 20)]));
    let (_, err) = c
        .igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("events.jsonl")
        .fails(2);
    assert!(err.contains("mode 0644"), "{err}");
    assert!(
        err.contains(&format!("chmod 600 {}", c.ig.path.display())),
        "{err}"
    );
    assert_eq!(c.head(), head);

    for m in [0o640, 0o604, 0o660] {
        chmod(&c.ig.path, m);
        let (_, err) = c
            .igl()
            .args(["append", "--key"])
            .arg(&c.ig.path)
            .arg("events.jsonl")
            .fails(2);
        assert!(err.contains("chmod 600"), "mode {m:o}: {err}");
    }
    let (_, err) = c.dir.igl().args(["sign", "--key"]).arg(&c.ig.path).fails(2);
    assert!(err.contains("chmod 600"), "{err}");
    let (_, err) = c.dir.igl().args(["key", "show"]).arg(&c.ig.path).fails(2);
    assert!(err.contains("chmod 600"), "{err}");

    // Owner-only modes stricter than 0600 are fine.
    chmod(&c.ig.path, 0o400);
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("events.jsonl")
        .ok();
    assert_eq!(c.head().0, head.0 + 1);
}

#[test]
fn init_refuses_an_open_key_file_and_creates_nothing() {
    let dir = Dir::new();
    dir.new_key("k");
    chmod(&dir.join("k"), 0o644);
    let (_, err) = dir
        .igl()
        .args([
            "init",
            "--admin-key",
            "k",
            "--org",
            "Test Council",
            "--ledger",
            "L",
        ])
        .fails(2);
    assert!(err.contains("chmod 600 k"), "{err}");
    assert!(!dir.join("L").exists());
}

#[test]
fn a_file_that_is_not_a_key_is_refused() {
    let dir = Dir::new();
    let p = dir.write("k", "hello\n");
    chmod(&p, 0o600);
    let (_, err) = dir.igl().args(["key", "show", "k"]).fails(2);
    assert!(err.contains("not an igl secret key file"), "{err}");
    let (_, err) = dir.igl().args(["key", "show", "missing"]).fails(2);
    assert!(err.contains("missing"), "{err}");
}
