//! Secret key files: created 0600, never overwritten, refused when others can read them;
//! encrypted with a passphrase (`igl key new --encrypt`, `igl key encrypt|decrypt|passwd`); and
//! key rotation.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::json;

use crate::util::{Council, Dir, Key, TestCommand, at, enrol, jsonl, training};

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
    let (_, err) = c.igl().args(["sign", "--key"]).arg(&c.ig.path).fails(2);
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

// ---------------------------------------------------------------------------------------------
// Encrypted key files.

/// Cheap argon2id parameters (hidden flag, recorded in the file) so the tests stay fast; one test
/// below checks a file made without the flag has the strong defaults.
const FAST: &str = "m=256,t=1,p=1";
const PASS: &str = "correct horse battery staple";

/// `igl key encrypt KEY` with the cheap parameters and `IGL_PASSPHRASE`.
fn encrypt(dir: &Dir, key: &Key) {
    let out = dir
        .igl()
        .args(["key", "encrypt", "--kdf-params", FAST])
        .arg(&key.path)
        .env("IGL_PASSPHRASE", PASS)
        .ok();
    assert_eq!(
        out.trim(),
        key.public,
        "encrypt prints the (unchanged) public key"
    );
}

/// The key line of a key file.
fn key_line(p: &Path) -> String {
    fs::read_to_string(p)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("igl-secret-key-"))
        .expect("a key line")
        .to_string()
}

/// `igl append --key KEY events.jsonl` (one training entry), with extra settings.
fn append_one(c: &Council, key: &Key, f: impl FnOnce(TestCommand) -> TestCommand) -> TestCommand {
    c.dir.write("events.jsonl", jsonl(&[training("P100", 20)]));
    f(c.igl()
        .args(["append", "--key"])
        .arg(&key.path)
        .arg("events.jsonl"))
}

#[test]
fn key_new_encrypt_uses_the_strong_defaults_and_never_writes_the_seed() {
    let dir = Dir::new();
    let public = dir
        .igl()
        .args(["key", "new", "--out", "k", "--encrypt"])
        .env("IGL_PASSPHRASE", PASS)
        .ok()
        .trim()
        .to_string();
    assert_eq!(mode(&dir.join("k")), 0o600);
    let encrypted = fs::read_to_string(dir.join("k")).unwrap();
    let line = key_line(&dir.join("k"));
    assert!(
        line.starts_with(&format!(
            "igl-secret-key-v2:{public}:argon2id:m=65536,t=3,p=1:"
        )),
        "{line}"
    );
    assert!(line.contains(":xchacha20poly1305:"), "{line}");
    assert!(!encrypted.contains("igl-secret-key-v1"), "{encrypted}");

    let shown = dir
        .igl()
        .args(["key", "show", "k"])
        .env("IGL_PASSPHRASE", PASS)
        .ok();
    assert!(shown.contains(&format!("public key  {public}")), "{shown}");
    assert!(
        shown.contains(
            "protection  passphrase (argon2id m=65536 KiB, t=3, p=1; XChaCha20-Poly1305)"
        ),
        "{shown}"
    );
    let v = dir
        .igl()
        .args(["key", "show", "k", "--json"])
        .env("IGL_PASSPHRASE", PASS)
        .json();
    assert_eq!(v["encrypted"], true);
    assert_eq!(v["kdf"]["m_kib"], 65536);
    assert_eq!(v["public_key"], public.as_str());

    // Decrypted, it is a v1 file holding the same key, whose seed the encrypted file did not hold.
    let out = dir
        .igl()
        .args(["key", "decrypt", "k"])
        .env("IGL_PASSPHRASE", PASS)
        .ok();
    assert_eq!(out.trim(), public);
    assert_eq!(mode(&dir.join("k")), 0o600);
    let plain = key_line(&dir.join("k"));
    let seed = plain.strip_prefix("igl-secret-key-v1:").expect("a v1 line");
    assert_eq!(seed.len(), 64);
    assert!(
        !encrypted.contains(seed),
        "the seed was in the encrypted file"
    );
    let o = dir.igl().args(["key", "show", "k"]).output();
    assert!(o.status.success());
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(
        stdout.contains(&format!("public key  {public}")),
        "{stdout}"
    );
    assert!(stdout.contains("protection  none"), "{stdout}");
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(stderr.contains("is not encrypted"), "{stderr}");
}

#[test]
fn an_encrypted_key_appends_with_igl_passphrase_or_a_passphrase_file() {
    let c = Council::new();
    encrypt(&c.dir, &c.ig);
    assert_eq!(mode(&c.ig.path), 0o600);
    assert!(key_line(&c.ig.path).starts_with("igl-secret-key-v2:"));
    // The rewrite left no temporary file behind.
    let stray: Vec<String> = fs::read_dir(c.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("igl-tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");

    let head = c.head();
    append_one(&c, &c.ig, |t| t.env("IGL_PASSPHRASE", PASS)).ok();
    assert_eq!(c.head().0, head.0 + 1);

    // A passphrase file: its first line, checked like a key file.
    let pass = c
        .dir
        .write("pass.txt", format!("{PASS}\nignored second line\n"));
    chmod(&pass, 0o600);
    append_one(&c, &c.ig, |t| t.arg("--passphrase-file").arg(&pass)).ok();
    assert_eq!(c.head().0, head.0 + 2);
    // --passphrase-file comes before IGL_PASSPHRASE.
    append_one(&c, &c.ig, |t| {
        t.arg("--passphrase-file")
            .arg(&pass)
            .env("IGL_PASSPHRASE", "not the passphrase")
    })
    .ok();
    assert_eq!(c.head().0, head.0 + 3);
    chmod(&pass, 0o644);
    let (_, err) = append_one(&c, &c.ig, |t| t.arg("--passphrase-file").arg(&pass)).fails(2);
    assert!(err.contains("mode 0644"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
    assert_eq!(c.head().0, head.0 + 3);

    // Signing reads events from stdin; the passphrase never comes from there.
    let signed = c
        .igl()
        .args(["sign", "--key"])
        .arg(&c.ig.path)
        .env("IGL_PASSPHRASE", PASS)
        .stdin(jsonl(&[training("P100", 21)]))
        .ok();
    assert!(signed.contains("\"signature\""), "{signed}");
    // Checkpoints are signed with --key too.
    c.igl()
        .args(["checkpoint", "--key"])
        .arg(&c.ig.path)
        .env("IGL_PASSPHRASE", PASS)
        .ok();

    // Decrypted again, it appends with no passphrase at all.
    c.dir
        .igl()
        .args(["key", "decrypt"])
        .arg(&c.ig.path)
        .env("IGL_PASSPHRASE", PASS)
        .ok();
    assert!(key_line(&c.ig.path).starts_with("igl-secret-key-v1:"));
    let before = c.head();
    append_one(&c, &c.ig, |t| t).ok();
    assert_eq!(c.head().0, before.0 + 1);
    c.verify();
}

#[test]
fn a_wrong_passphrase_or_a_changed_byte_is_refused_and_nothing_is_appended() {
    let c = Council::new();
    encrypt(&c.dir, &c.ig);
    let head = c.head();
    let (out, err) = append_one(&c, &c.ig, |t| {
        t.env("IGL_PASSPHRASE", "correct horse battery stapler")
    })
    .fails(2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!(
            "{}: wrong passphrase or damaged key file",
            c.ig.path.display()
        )),
        "{err}"
    );
    assert_eq!(c.head(), head);

    // One changed character in each field of the key line: the salt, the KDF parameters, the
    // nonce, the ciphertext (and its tag), the public key. The AEAD refuses every one.
    let good = fs::read_to_string(&c.ig.path).unwrap();
    let line = key_line(&c.ig.path);
    let fields: Vec<&str> = line.split(':').collect();
    assert_eq!(fields.len(), 8, "{line}");
    let flip = |s: &str| -> String {
        let mut b = s.as_bytes().to_vec();
        b[0] = if b[0] == b'0' { b'1' } else { b'0' };
        String::from_utf8(b).unwrap()
    };
    for (i, what) in [(4, "salt"), (6, "nonce"), (7, "ciphertext")] {
        let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        f[i] = flip(&f[i]);
        fs::write(&c.ig.path, good.replace(&line, &f.join(":"))).unwrap();
        let (_, err) = append_one(&c, &c.ig, |t| t.env("IGL_PASSPHRASE", PASS)).fails(2);
        assert!(
            err.contains("wrong passphrase or damaged key file"),
            "{what}: {err}"
        );
    }
    for (from, to) in [
        (":m=256,t=1,p=1:", ":m=512,t=1,p=1:"),
        (":m=256,t=1,p=1:", ":m=256,t=2,p=1:"),
    ] {
        fs::write(&c.ig.path, good.replace(from, to)).unwrap();
        let (_, err) = append_one(&c, &c.ig, |t| t.env("IGL_PASSPHRASE", PASS)).fails(2);
        assert!(
            err.contains("wrong passphrase or damaged key file"),
            "{to}: {err}"
        );
    }
    // Another valid public key in place of the real one: refused too.
    let other = c.dir.new_key("other.key");
    fs::write(&c.ig.path, good.replace(&c.ig.public, &other.public)).unwrap();
    let (_, err) = append_one(&c, &c.ig, |t| t.env("IGL_PASSPHRASE", PASS)).fails(2);
    assert!(
        err.contains("wrong passphrase or damaged key file"),
        "{err}"
    );
    // A cut line, or absurd parameters, are damage, said as such.
    let cut = &line[..line.len() - 2];
    fs::write(&c.ig.path, good.replace(&line, cut)).unwrap();
    let (_, err) = append_one(&c, &c.ig, |t| t.env("IGL_PASSPHRASE", PASS)).fails(2);
    assert!(
        err.contains("damaged encrypted key file: bad ciphertext"),
        "{err}"
    );
    fs::write(&c.ig.path, good.replace(":m=256,", ":m=99999999,")).unwrap();
    let (_, err) = append_one(&c, &c.ig, |t| t.env("IGL_PASSPHRASE", PASS)).fails(2);
    assert!(err.contains("damaged encrypted key file"), "{err}");
    assert!(err.contains("1 GiB"), "{err}");
    assert_eq!(c.head(), head);

    // Restored, it works again.
    fs::write(&c.ig.path, &good).unwrap();
    append_one(&c, &c.ig, |t| t.env("IGL_PASSPHRASE", PASS)).ok();
    assert_eq!(c.head().0, head.0 + 1);
    c.verify();
}

#[test]
fn with_no_terminal_and_no_passphrase_given_the_error_says_how_to_give_one() {
    let c = Council::new();
    encrypt(&c.dir, &c.ig);
    let head = c.head();
    let (_, err) = append_one(&c, &c.ig, TestCommand::no_tty).fails(2);
    assert!(
        err.contains(&format!(
            "{}: encrypted with a passphrase, and there is no terminal to ask for it on",
            c.ig.path.display()
        )),
        "{err}"
    );
    assert!(err.contains("--passphrase-file FILE"), "{err}");
    assert!(err.contains("IGL_PASSPHRASE"), "{err}");
    assert_eq!(c.head(), head);

    for args in [
        &["key", "show"][..],
        &["key", "decrypt"],
        &["key", "passwd"],
    ] {
        let before = fs::read(&c.ig.path).unwrap();
        let (_, err) = c.dir.igl().args(args).arg(&c.ig.path).no_tty().fails(2);
        assert!(err.contains("no terminal"), "{args:?}: {err}");
        assert_eq!(fs::read(&c.ig.path).unwrap(), before, "{args:?}");
    }
    // Nor can a new passphrase be asked for: nothing is written.
    let (_, err) = c
        .dir
        .igl()
        .args(["key", "new", "--encrypt", "--out", "new.key"])
        .no_tty()
        .fails(2);
    assert!(
        err.contains("no terminal to ask for a new passphrase"),
        "{err}"
    );
    assert!(err.contains("IGL_PASSPHRASE"), "{err}");
    assert!(!c.dir.join("new.key").exists());
    let (_, err) = c
        .dir
        .igl()
        .args(["key", "encrypt"])
        .arg(&c.mgr.path)
        .no_tty()
        .fails(2);
    assert!(err.contains("no terminal"), "{err}");
    assert!(key_line(&c.mgr.path).starts_with("igl-secret-key-v1:"));
}

#[test]
fn encrypt_decrypt_and_passwd_refuse_what_they_cannot_do_and_change_nothing() {
    let dir = Dir::new();
    let k = dir.new_key("k");
    let plain = fs::read(&k.path).unwrap();
    // A passphrase too short is refused.
    let (_, err) = dir
        .igl()
        .args(["key", "encrypt", "k"])
        .env("IGL_PASSPHRASE", "short")
        .fails(2);
    assert!(err.contains("passphrase too short"), "{err}");
    assert_eq!(fs::read(&k.path).unwrap(), plain);
    let (_, err) = dir.igl().args(["key", "decrypt", "k"]).fails(2);
    assert!(err.contains("not encrypted"), "{err}");
    let (_, err) = dir
        .igl()
        .args(["key", "passwd", "k"])
        .env("IGL_PASSPHRASE", PASS)
        .fails(2);
    assert!(err.contains("igl key encrypt"), "{err}");
    assert_eq!(fs::read(&k.path).unwrap(), plain);
    // A key file others can read is refused before any rewrite.
    chmod(&k.path, 0o644);
    let (_, err) = dir
        .igl()
        .args(["key", "encrypt", "k"])
        .env("IGL_PASSPHRASE", PASS)
        .fails(2);
    assert!(err.contains("chmod 600"), "{err}");
    chmod(&k.path, 0o600);

    encrypt(&dir, &k);
    let encrypted = fs::read(&k.path).unwrap();
    let (_, err) = dir
        .igl()
        .args(["key", "encrypt", "k"])
        .env("IGL_PASSPHRASE", PASS)
        .fails(2);
    assert!(err.contains("already encrypted"), "{err}");
    assert_eq!(fs::read(&k.path).unwrap(), encrypted);

    // passwd: the current passphrase from IGL_PASSPHRASE, the new one from IGL_NEW_PASSPHRASE.
    let (_, err) = dir
        .igl()
        .args(["key", "passwd", "k", "--kdf-params", FAST])
        .env("IGL_PASSPHRASE", "not the passphrase")
        .env("IGL_NEW_PASSPHRASE", "a new passphrase")
        .fails(2);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(fs::read(&k.path).unwrap(), encrypted);
    let out = dir
        .igl()
        .args(["key", "passwd", "k", "--kdf-params", FAST])
        .env("IGL_PASSPHRASE", PASS)
        .env("IGL_NEW_PASSPHRASE", "a new passphrase")
        .ok();
    assert_eq!(out.trim(), k.public);
    let (_, err) = dir
        .igl()
        .args(["key", "show", "k"])
        .env("IGL_PASSPHRASE", PASS)
        .fails(2);
    assert!(err.contains("wrong passphrase"), "{err}");
    let shown = dir
        .igl()
        .args(["key", "show", "k"])
        .env("IGL_PASSPHRASE", "a new passphrase")
        .ok();
    assert!(shown.contains(&k.public), "{shown}");
}

/// Rotation: a person's new key is enrolled and the old one revoked. Everything the old key
/// signed before still verifies; nothing it signs afterwards (or signed beforehand and kept back)
/// is accepted; the new key carries on.
#[test]
fn key_rotation_keeps_old_entries_verifiable_and_refuses_the_old_key_afterwards() {
    let c = Council::new();
    let decl = |day: u32| {
        json!({"type": "DeclarationSigned", "person": "P100", "policy": "eclipse-mou",
               "version": "2025.1", "confirms_training": true, "occurred_at": at(day, 9)})
    };
    let append_signed = |name: &str, text: &str| {
        c.dir.write(name, text);
        c.igl().args(["append", "--key"]).arg(&c.ig.path).arg(name)
    };
    // The old key signs a declaration that is appended, and one that is kept back.
    append_signed("old.jsonl", &c.sign(&c.staff, &[decl(2)])).ok();
    let kept_back = c.sign(&c.staff, &[decl(3)]);

    // Rotation: the new key, encrypted, is enrolled and the old one revoked in one batch.
    let new = c.dir.new_key("staff-new.key");
    encrypt(&c.dir, &new);
    c.append(
        &c.admin,
        &[
            enrol(&new, "P100", "staff"),
            json!({"type": "KeyRevoked", "key": c.staff.public, "person": "P100",
                   "reason": "Key rotation", "occurred_at": at(5, 9)}),
        ],
    );
    let keys = c.igl().args(["keys", "--json"]).json_lines();
    let old = keys
        .iter()
        .find(|k| k["public_key"] == c.staff.public.as_str())
        .unwrap();
    assert!(old["revoked_seq"].is_u64(), "{old}");
    let fresh = keys
        .iter()
        .find(|k| k["public_key"] == new.public.as_str())
        .unwrap();
    assert_eq!(fresh["person"], "P100");
    assert_eq!(fresh["revoked_seq"], serde_json::Value::Null);

    // The new key signs; the entry is appended.
    let signed = c
        .igl()
        .args(["sign", "--key"])
        .arg(&new.path)
        .env("IGL_PASSPHRASE", PASS)
        .stdin(jsonl(&[decl(6)]))
        .ok();
    append_signed("new.jsonl", &signed).ok();

    // The old key's later signature, and the one it kept back, are refused.
    let head = c.head();
    for (name, text) in [
        ("late.jsonl", c.sign(&c.staff, &[decl(7)])),
        ("kept.jsonl", kept_back),
    ] {
        let (_, err) = append_signed(name, &text).fails(2);
        assert!(
            err.contains("was revoked before this entry"),
            "{name}: {err}"
        );
    }
    assert_eq!(c.head(), head);

    // The whole ledger verifies, the old key's declaration included.
    c.verify();
    let decls = c.log(&["--type", "DeclarationSigned"]);
    let authors: Vec<&str> = decls
        .iter()
        .map(|d| d["event"]["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors, [c.staff.public.as_str(), new.public.as_str()]);
    assert!(decls.iter().all(|d| d["author_person"] == "P100"));
}

/// Runs `igl ARGS` on a pseudo-terminal (util-linux `script`), typing `typed` into it; None when
/// `script` is not installed.
fn on_a_terminal(dir: &Dir, args: &str, typed: &str) -> Option<(i32, String)> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_igl"));
    let mut child = match Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir.path())
        .env_remove("IGL_PASSPHRASE")
        .env_remove("IGL_NEW_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("`script` (util-linux) is not installed: the terminal prompt is not tested");
            return None;
        }
        Err(e) => panic!("script: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n");
    Some((o.status.code().unwrap_or(-1), text))
}

#[test]
fn the_passphrase_is_asked_on_the_terminal() {
    // (Echo is off while igl reads, but the text is typed here before igl runs, so the terminal
    // echoes it on arrival: the echo cannot be checked this way.)
    let dir = Dir::new();
    // Asked twice for a new key; the two must agree.
    let Some((code, out)) = on_a_terminal(
        &dir,
        &format!("key new --encrypt --kdf-params {FAST} --out k"),
        "typed passphrase\ntyped passphrase\n",
    ) else {
        return;
    };
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("New passphrase for k: "), "{out}");
    assert!(out.contains("Repeat the passphrase: "), "{out}");
    assert!(key_line(&dir.join("k")).starts_with("igl-secret-key-v2:"));
    let (code, out) = on_a_terminal(&dir, "key show k", "typed passphrase\n").unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Passphrase for k: "), "{out}");
    assert!(out.contains("protection  passphrase"), "{out}");
    let (code, out) = on_a_terminal(&dir, "key show k", "mistyped passphrase\n").unwrap();
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("wrong passphrase or damaged key file"),
        "{out}"
    );
    let (code, out) = on_a_terminal(
        &dir,
        &format!("key new --encrypt --kdf-params {FAST} --out k2"),
        "one passphrase\nanother passphrase\n",
    )
    .unwrap();
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("the two passphrases differ"), "{out}");
    assert!(!dir.join("k2").exists());
}
