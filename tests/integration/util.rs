//! A tiny harness: temporary directories, the real `igl` binary, and a small council ledger.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

/// A temporary directory, deleted when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("igl-test-")
                .tempdir()
                .expect("create a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Writes `contents` to `name` in the directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(name);
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
        p
    }

    /// Writes events as JSON Lines.
    pub fn write_events(&self, name: &str, events: &[Value]) -> PathBuf {
        self.write(name, jsonl(events))
    }

    /// `igl` run in this directory.
    pub fn igl(&self) -> TestCommand {
        TestCommand::new(self.path())
    }

    /// `igl key new --out NAME`: a fresh secret key file and its public key.
    pub fn new_key(&self, name: &str) -> Key {
        let path = self.join(name);
        let out = self
            .igl()
            .arg("key")
            .arg("new")
            .arg("--out")
            .arg(&path)
            .ok();
        let public = out.trim().to_string();
        assert_eq!(
            public.len(),
            64,
            "`igl key new` prints a public key: {out:?}"
        );
        Key { path, public }
    }
}

/// A secret key file made by `igl key new`.
#[derive(Clone, Debug)]
pub struct Key {
    pub path: PathBuf,
    /// The public key, hex.
    pub public: String,
}

/// Joins events as JSON Lines.
pub fn jsonl(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

/// Parses JSON Lines output.
pub fn parse_jsonl(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}")))
        .collect()
}

/// One run of the `igl` binary.
pub struct TestCommand {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl TestCommand {
    pub fn new(cwd: &Path) -> TestCommand {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_igl"));
        cmd.current_dir(cwd)
            .env_remove("IGL_LEDGER")
            .env_remove("IGL_PASSPHRASE")
            .env_remove("IGL_NEW_PASSPHRASE");
        TestCommand { cmd, stdin: None }
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Runs in a new session, without a controlling terminal (so `/dev/tty` cannot be opened
    /// and nothing can be asked, even when the tests run in a terminal).
    pub fn no_tty(mut self) -> Self {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe, and this closure touches nothing else.
        unsafe {
            self.cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        self
    }

    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(a);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    fn describe(&self) -> String {
        let args: Vec<String> = self
            .cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        format!("igl {}", args.join(" "))
    }

    /// Runs to completion.
    pub fn output(mut self) -> Output {
        let what = self.describe();
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
        if let Some(input) = self.stdin.take() {
            let mut w = child.stdin.take().expect("piped stdin");
            w.write_all(&input).expect("writing stdin");
        }
        child.wait_with_output().expect("waiting for igl")
    }

    /// Runs, insists on exit 0, returns stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        let what = self.describe();
        let o = self.output();
        let (stdout, stderr) = text(&o);
        assert!(
            o.status.success(),
            "{what}: expected success, got {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            o.status.code()
        );
        stdout
    }

    /// Runs, insists on exit `code`, returns (stdout, stderr).
    #[track_caller]
    pub fn fails(self, code: i32) -> (String, String) {
        let what = self.describe();
        let o = self.output();
        let (stdout, stderr) = text(&o);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{what}: expected exit {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        assert!(
            !stderr.contains("panicked"),
            "{what}: igl panicked\n{stderr}"
        );
        (stdout, stderr)
    }

    /// Runs, insists on exit 0, parses stdout as one JSON value.
    #[track_caller]
    pub fn json(self) -> Value {
        let out = self.ok();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// Runs, insists on exit 0, parses stdout as JSON Lines.
    #[track_caller]
    pub fn json_lines(self) -> Vec<Value> {
        parse_jsonl(&self.ok())
    }
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A past instant on day `day` of 2025 (so never ahead of the clock).
pub fn at(day: u32, hour: u32) -> String {
    format!("2025-06-{day:02}T{hour:02}:00:00Z")
}

/// A small council ledger built with the CLI:
///
/// ```text
/// seq 0     LedgerCreated             (admin; init)
/// seq 1..=4 KeyEnrolled ig_officer P2, manager P10, staff P100; OrganisationRegistered
/// ```
pub struct Council {
    pub dir: Dir,
    pub ledger: PathBuf,
    pub admin: Key,
    pub ig: Key,
    pub mgr: Key,
    pub staff: Key,
}

impl Council {
    pub fn new() -> Council {
        let dir = Dir::new();
        let admin = dir.new_key("admin.key");
        let ig = dir.new_key("ig.key");
        let mgr = dir.new_key("mgr.key");
        let staff = dir.new_key("staff.key");
        let ledger = dir.join("ledger");
        dir.igl()
            .args(["init", "--admin-key"])
            .arg(&admin.path)
            .args(["--org", "Test Council", "--admin-person", "P1", "--ledger"])
            .arg(&ledger)
            .ok();
        let c = Council {
            dir,
            ledger,
            admin,
            ig,
            mgr,
            staff,
        };
        c.append(
            &c.admin,
            &[
                enrol(&c.ig, "P2", "ig_officer"),
                enrol(&c.mgr, "P10", "manager"),
                enrol(&c.staff, "P100", "staff"),
                json!({"type": "OrganisationRegistered", "organisation": "test-council",
                       "name": "Test Council", "kind": "council", "occurred_at": at(1, 9)}),
            ],
        );
        c
    }

    /// `igl --ledger LEDGER ...`
    pub fn igl(&self) -> TestCommand {
        self.dir.igl().arg("--ledger").arg(&self.ledger)
    }

    /// `igl append --key KEY FILE` with these events; must succeed.
    pub fn append(&self, key: &Key, events: &[Value]) -> String {
        let f = self.dir.write_events("batch.jsonl", events);
        self.igl()
            .arg("append")
            .arg("--key")
            .arg(&key.path)
            .arg(f)
            .ok()
    }

    /// `igl sign --key KEY --ledger LEDGER` of these events: the signed JSON Lines.
    pub fn sign(&self, key: &Key, events: &[Value]) -> String {
        self.igl()
            .args(["sign", "--key"])
            .arg(&key.path)
            .stdin(jsonl(events))
            .ok()
    }

    /// `igl verify --json`, which must exit 0.
    pub fn verify(&self) -> Value {
        let v = self.igl().args(["verify", "--json"]).json();
        assert_eq!(v["ok"], true, "verify: {v}");
        v
    }

    /// `igl verify --json` of a damaged ledger: exit 1; returns the failure's seq and message.
    #[track_caller]
    pub fn verify_fails(&self) -> (u64, String) {
        let (out, _) = self.igl().args(["verify", "--json"]).fails(1);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(v["ok"], false, "{v}");
        let f = &v["failure"];
        (
            f["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("no failure seq: {v}")),
            f["message"].as_str().expect("failure message").to_string(),
        )
    }

    /// The ledger's id (from `igl verify --json`).
    pub fn ledger_id(&self) -> igl_schema::LedgerId {
        let v = self.verify();
        igl_schema::LedgerId::from_hex(v["ledger_id"].as_str().expect("ledger_id")).unwrap()
    }

    /// The verified head: (seq, hash).
    pub fn head(&self) -> (u64, String) {
        let v = self.verify();
        (
            v["head_seq"].as_u64().expect("head_seq"),
            v["head_hash"].as_str().expect("head_hash").to_string(),
        )
    }

    /// `igl log --json` with extra arguments.
    pub fn log(&self, args: &[&str]) -> Vec<Value> {
        self.igl().args(["log", "--json"]).args(args).json_lines()
    }
}

/// The ledger's RocksDB opened directly, read-write, with every column family igl declares and
/// no background compaction: for tests that write behind igl's back.
pub fn open_raw(path: &Path) -> rocksdb::DB {
    let mut opts = rocksdb::Options::default();
    opts.set_disable_auto_compactions(true);
    let families = igl_ledger::store::cf::ALL
        .iter()
        .map(|name| rocksdb::ColumnFamilyDescriptor::new(*name, opts.clone()));
    rocksdb::DB::open_cf_descriptors(&opts, path, families).expect("open the ledger's RocksDB")
}

/// A KeyEnrolled event line.
pub fn enrol(key: &Key, person: &str, role: &str) -> Value {
    json!({"type": "KeyEnrolled", "key": key.public, "person": person, "role": role,
           "reason": "Onboarding", "occurred_at": at(1, 9)})
}

/// A PersonEnrolled event line (personal data: name, job title).
pub fn person(id: &str, name: &str) -> Value {
    json!({"type": "PersonEnrolled", "person": id, "name": name, "job_title": "Social Worker",
           "business_unit": "Adult Social Care", "organisation": "test-council",
           "line_manager": "P10", "occurred_at": at(2, 9)})
}

/// An AccessGranted event line (personal data: business_need).
pub fn grant(grant: &str, person: &str, need: &str) -> Value {
    json!({"type": "AccessGranted", "grant": grant, "person": person, "system": "Eclipse",
           "role": "Practitioner", "business_need": need, "mfa_required": true,
           "approver": "P10", "occurred_at": at(3, 9)})
}

/// A TrainingCompleted event line (no personal data).
pub fn training(person: &str, day: u32) -> Value {
    json!({"type": "TrainingCompleted", "person": person, "course": "protecting-information",
           "completed_on": format!("2025-05-{day:02}"), "expires_on": "2026-05-01",
           "occurred_at": at(4, 9)})
}
