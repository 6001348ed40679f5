//! The `--json` outputs of the views, pinned: `igl status`, `igl org`, `igl requests`,
//! `igl audit`'s summary line, `igl log` and `igl show` on the demo ledger (seed 7, 24 people, which is the same on
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
