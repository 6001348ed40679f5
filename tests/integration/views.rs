//! The `--json` outputs of the views, pinned: `igl status`, `igl org`, `igl requests`,
//! `igl audit`'s summary line, `igl log`, `igl show`, `igl sar`, `igl keys`, `igl types` and
//! `igl reconcile` on the demo ledger (seed 7, 24 people, which is the same on
//! every run), as of one instant, compared key for key and in key order with the files in
//! `tests/golden/` (schema/FORMAT.md, "JSON outputs", specifies them). `IGL_BLESS=1` rewrites
//! the files after an intended change; review the diff.

use std::path::PathBuf;

use serde_json::Value;

use crate::util::Dir;

/// The instant every view is judged at: after the demo's last day.
const AS_OF: &str = "2026-11-21T12:00:00Z";

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// `lines` (one JSON value per line, as the command wrote them) pretty-printed, keys in the
/// order written, one value after another.
fn pretty(lines: &[Value]) -> String {
    let mut s = String::new();
    for v in lines {
        s.push_str(&serde_json::to_string_pretty(v).unwrap());
        s.push('\n');
    }
    s
}

#[test]
fn the_governance_views_json_is_as_pinned() {
    let dir = Dir::new();
    dir.igl()
        .args(["demo", "--people", "24", "--seed", "7", "--ledger", "D"])
        .ok();
    let run = |args: &[&str], code: i32| -> Vec<Value> {
        let out = dir
            .igl()
            .args(["--ledger", "D"])
            .args(args)
            .args(["--as-of", AS_OF, "--json"])
            .output();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
            .collect()
    };
    let entries = |args: &[&str]| -> Vec<Value> {
        let out = dir
            .igl()
            .args(["--ledger", "D"])
            .args(args)
            .arg("--json")
            .ok();
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
            .collect()
    };
    let audit = run(&["audit"], 1);
    let summary = audit.last().unwrap().clone();
    assert_eq!(summary["record"], "summary");
    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("status-P00105.json", run(&["status", "P00105"], 1)),
        ("status-P00102.json", run(&["status", "P00102"], 0)),
        ("org-caring-hands.json", run(&["org", "caring-hands"], 1)),
        ("org-livewell-sw.json", run(&["org", "livewell-sw"], 0)),
        ("requests.json", run(&["requests"], 1)),
        ("audit-summary.json", vec![summary]),
        (
            "log-grants.json",
            entries(&["log", "--type", "AccessGranted", "--limit", "2"]),
        ),
        ("show-0.json", entries(&["show", "0"])),
        ("show-40.json", entries(&["show", "40"])),
        (
            "sar-SU-000142.json",
            entries(&["sar", "service-user:SU-000142"]),
        ),
        ("keys.json", entries(&["keys"])),
        ("types.json", entries(&["types"])),
        (
            "reconcile.json",
            run(
                &[
                    "reconcile",
                    "--system",
                    "Eclipse",
                    "D/imports/eclipse-accounts.csv",
                ],
                1,
            ),
        ),
    ];
    let bless = std::env::var_os("IGL_BLESS").is_some();
    let mut wrong = Vec::new();
    for (name, lines) in cases {
        let got = pretty(&lines);
        let path = golden(name);
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            if bless {
                std::fs::write(&path, &got).unwrap();
            } else {
                wrong.push(format!(
                    "{name}: differs from {} (IGL_BLESS=1 rewrites it); got:\n{got}",
                    path.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The section of schema/FORMAT.md under the heading that starts with `heading`.
fn format_section(heading: &str) -> String {
    let doc =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/FORMAT.md"))
            .unwrap();
    let start = doc
        .find(&format!("\n### {heading}"))
        .unwrap_or_else(|| panic!("FORMAT.md has no section ### {heading}"));
    let rest = &doc[start + 1..];
    let end = rest[4..].find("\n#").map_or(rest.len(), |e| e + 4);
    rest[..end].to_string()
}

/// Every key of `line` is named, in backticks, in `section`.
fn documented(what: &str, line: &Value, section: &str) {
    let Value::Object(map) = line else {
        panic!("{what}: not a JSON object: {line}")
    };
    for k in map.keys() {
        assert!(
            section.contains(&format!("`{k}`")),
            "{what} prints `{k}`, which FORMAT.md does not name in its section"
        );
    }
}

/// The writing commands' `--json` lines name only keys FORMAT.md specifies for them, as do the
/// key commands'.
#[test]
fn the_writing_commands_print_only_documented_keys() {
    let writing = format_section("Writing commands");
    let keys = format_section("`igl keys --json`");
    let dir = Dir::new();
    dir.igl()
        .args(["demo", "--people", "24", "--seed", "7", "--ledger", "D"])
        .ok();
    let d = |args: &[&str]| -> Value {
        let out = dir
            .igl()
            .args(["--ledger", "D"])
            .args(args)
            .arg("--json")
            .ok();
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    };
    let hr = d(&[
        "import",
        "hr",
        "D/imports/hr.csv",
        "--key",
        "D/keys/SYS-HR-system_feed.key",
    ]);
    documented("igl import hr", &hr, &writing);
    assert_eq!(hr["appended"], 3, "{hr}");
    let access = d(&[
        "import",
        "access",
        "D/imports/eclipse-audit.csv",
        "--system",
        "Eclipse",
        "--key",
        "D/keys/SYS-ECLIPSE-system_feed.key",
    ]);
    documented("igl import access", &access, &writing);
    assert_eq!(access["system"], "Eclipse");
    // The first personal data the demo holds (a person's enrolment).
    let enrolled = dir
        .igl()
        .args([
            "--ledger",
            "D",
            "log",
            "--type",
            "PersonEnrolled",
            "--limit",
            "1",
            "--json",
        ])
        .json();
    let seq = enrolled["seq"].to_string();
    let redact = d(&[
        "redact",
        &seq,
        "--reason",
        "Erasure request",
        "--key",
        "D/keys/P00002-ig_officer.key",
    ]);
    documented("igl redact", &redact, &writing);
    let rebuild = d(&["rebuild"]);
    documented("igl rebuild", &rebuild, &writing);
    assert_eq!(rebuild["ok"], true);

    let new_key = |name: &str| -> Value {
        let out = dir.igl().args(["key", "new", "--out", name, "--json"]).ok();
        serde_json::from_str(out.trim()).unwrap()
    };
    let admin = new_key("admin.key");
    documented("igl key new", &admin, &keys);
    let shown = dir
        .igl()
        .args(["key", "show", "admin.key", "--json"])
        .json();
    documented("igl key show", &shown, &keys);
    let init = dir
        .igl()
        .args(["init", "--admin-key", "admin.key", "--org", "New Council"])
        .args(["--admin-person", "P1", "--ledger", "N", "--json"])
        .json();
    documented("igl init", &init, &writing);
    let events = dir.write(
        "org.jsonl",
        format!(
            "{}\n",
            serde_json::json!({"type": "OrganisationRegistered", "organisation": "partner",
                "name": "Partner Ltd", "kind": "partner", "occurred_at": "2026-01-01T09:00:00Z"})
        ),
    );
    let append = dir
        .igl()
        .args(["--ledger", "N", "append", "--key", "admin.key", "--json"])
        .arg(&events)
        .json();
    documented("igl append", &append, &writing);
    assert_eq!(append["entries"], 1);
}
