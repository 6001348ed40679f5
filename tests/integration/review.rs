//! `igl review`: a campaign opened by IG, a reviewer's worksheet filled in and signed offline
//! with the reviewer's own key, the decisions appended by IG, and the campaign shown; what is
//! refused (and that nothing is written then); and the demo's campaigns.

use serde_json::{Value, json};

use crate::util::{Council, Dir, at, grant, person};

/// P100 and P101 report to P10 (the council's manager key), each with an Eclipse grant.
fn council() -> Council {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            person("P101", "Alan Turing"),
            grant("G1", "P100", "Case work, Adult Social Care"),
            grant("G2", "P101", "Case work, Adult Social Care"),
            json!({"type": "PersonEnrolled", "person": "P2", "name": "Grace Hopper",
                   "job_title": "IG Officer", "business_unit": "IG",
                   "organisation": "test-council", "occurred_at": at(2, 9)}),
        ],
    );
    c
}

fn open_args() -> Vec<&'static str> {
    vec![
        "review",
        "open",
        "AR-1",
        "--title",
        "Eclipse review",
        "--owner",
        "P2",
        "--due",
        "2099-12-31",
        "--system",
        "Eclipse",
    ]
}

fn items(c: &Council) -> Vec<Value> {
    let lines = c
        .igl()
        .args(["review", "show", "AR-1", "--json"])
        .json_lines();
    assert_eq!(lines[0]["record"], "campaign");
    lines[1..].to_vec()
}

fn item<'a>(items: &'a [Value], grant: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["grant"] == grant)
        .unwrap_or_else(|| panic!("no item {grant} in {items:#?}"))
}

#[test]
fn a_reviewer_decides_offline_and_ig_appends_the_signed_decisions() {
    let c = council();
    let head = c.head().0;

    // A dry run writes nothing; refusals write nothing and say why.
    let out = c
        .igl()
        .args(open_args())
        .arg("--dry-run")
        .arg("--key")
        .arg(&c.ig.path)
        .ok();
    assert!(out.contains("would open campaign AR-1"), "{out}");
    assert!(out.contains("2 items for 1 reviewer"), "{out}");
    for (change, why) in [
        (("--owner", "P999"), "the ledger has no person P999"),
        (("--system", "Mosaic"), "no grant was ever made to Mosaic"),
        (("--due", "2020-01-01"), "is in the past"),
        (("--due", "31/12/2099"), "is not a date"),
    ] {
        let mut args = open_args();
        let i = args.iter().position(|a| *a == change.0).unwrap();
        args[i + 1] = change.1;
        let (_, err) = c.igl().args(args).arg("--key").arg(&c.ig.path).fails(2);
        assert!(err.contains(why), "{change:?}: {err}");
    }
    let (_, err) = c
        .igl()
        .args(open_args())
        .args(["--default", "change", "--key"])
        .arg(&c.ig.path)
        .fails(2);
    assert!(err.contains("write keep or revoke"), "{err}");
    assert_eq!(c.head().0, head, "nothing was written");

    let out = c.igl().args(open_args()).arg("--key").arg(&c.ig.path).ok();
    assert!(out.contains("opened campaign AR-1"), "{out}");
    assert!(out.contains("P10: 2 items"), "{out}");
    let (_, err) = c
        .igl()
        .args(open_args())
        .arg("--key")
        .arg(&c.ig.path)
        .fails(2);
    assert!(err.contains("already opened"), "{err}");

    // The reviewer's worksheet: their two reports, with names and business needs.
    let err = c
        .igl()
        .args([
            "review",
            "todo",
            "AR-1",
            "--reviewer",
            "P10",
            "--worksheet",
            "w.csv",
        ])
        .output();
    assert!(err.status.success());
    let hint = String::from_utf8_lossy(&err.stderr).to_string();
    let ledger_id = c.ledger_id().to_hex();
    assert!(hint.contains(&format!("--ledger-id {ledger_id}")), "{hint}");
    let sheet = std::fs::read_to_string(c.dir.join("w.csv")).unwrap();
    let lines: Vec<&str> = sheet.lines().collect();
    assert_eq!(
        lines[0],
        "campaign,grant,person,name,job_title,system,role,granted,business_need,reviewer,due,decision,new_role,justification"
    );
    assert_eq!(lines.len(), 3, "{sheet}");
    assert!(sheet.contains("Ada Lovelace") && sheet.contains("Case work, Adult Social Care"));
    let (_, err) = c
        .igl()
        .args(["review", "todo", "AR-1", "--reviewer", "P100"])
        .fails(2);
    assert!(
        err.contains("P100 reviews nothing in campaign AR-1"),
        "{err}"
    );

    // Filled in badly: each refused with its line and column, nothing signed.
    let fill = |g1: &str, g2: &str| {
        let mut out = vec![lines[0].to_string()];
        for (l, with) in lines[1..].iter().zip([g1, g2]) {
            out.push(format!(
                "{}{with}",
                l.strip_suffix(",,,").expect("three empty cells")
            ));
        }
        out.join("\n") + "\n"
    };
    for (name, g1, why) in [
        (
            "bad1.csv",
            ",maybe,,Still needed",
            "bad1.csv:2:12 (decision): \"maybe\" is not a decision",
        ),
        (
            "bad2.csv",
            ",keep,,",
            "bad2.csv:2:14 (justification): is empty",
        ),
        (
            "bad3.csv",
            ",change,,Needs less",
            "bad3.csv:2:13 (new_role): new_role is required",
        ),
        (
            "bad4.csv",
            ",keep,Read-only,Still needed",
            "new_role is only for a change decision",
        ),
        (
            "bad5.csv",
            ",,,Still needed",
            "bad5.csv:2:12 (decision): is empty, but the row has a justification",
        ),
    ] {
        c.dir.write(name, fill(g1, ",,,"));
        let (out, err) = c
            .dir
            .igl()
            .args(["review", "decide", name, "--key"])
            .arg(&c.mgr.path)
            .args(["--ledger-id", &ledger_id])
            .fails(2);
        assert!(err.contains(why), "{name}: {err}");
        assert!(err.contains("nothing was signed"), "{err}");
        assert!(out.is_empty(), "{out}");
    }

    // A row left blank stays undecided: the reviewer can sign what they have decided so far.
    c.dir
        .write("partial.csv", fill(",keep,,Active caseload", ",,,"));
    let out = c
        .dir
        .igl()
        .args(["review", "decide", "partial.csv", "--key"])
        .arg(&c.mgr.path)
        .args(["--ledger-id", &ledger_id])
        .output();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("signed 1 decision (1 row left undecided)"),
        "{err}"
    );
    c.dir.write("blank.csv", fill(",,,", ",,,"));
    let (_, err) = c
        .dir
        .igl()
        .args(["review", "decide", "blank.csv", "--key"])
        .arg(&c.mgr.path)
        .args(["--ledger-id", &ledger_id])
        .fails(2);
    assert!(
        err.contains("no row has a decision (2 left undecided)"),
        "{err}"
    );

    // Filled in well and signed offline (no ledger at hand: --ledger-id).
    c.dir.write(
        "filled.csv",
        fill(
            ",keep,,Active caseload",
            ",revoke,,Moved to the contracts team",
        ),
    );
    let signed = c
        .dir
        .igl()
        .args(["review", "decide", "filled.csv", "--key"])
        .arg(&c.mgr.path)
        .args(["--ledger-id", &ledger_id])
        .ok();
    assert_eq!(signed.lines().count(), 2, "{signed}");
    // The same decisions signed with someone else's key are refused on append.
    let forged = c
        .dir
        .igl()
        .args(["review", "decide", "filled.csv", "--key"])
        .arg(&c.staff.path)
        .args(["--ledger-id", &ledger_id])
        .ok();
    c.dir.write("forged.jsonl", &forged);
    let before = c.head().0;
    let (_, err) = c
        .igl()
        .args(["append", "forged.jsonl", "--key"])
        .arg(&c.ig.path)
        .fails(2);
    assert!(err.contains("P10's own statement"), "{err}");
    assert_eq!(c.head().0, before);

    c.dir.write("decisions.jsonl", &signed);
    c.igl()
        .args(["append", "decisions.jsonl", "--key"])
        .arg(&c.ig.path)
        .ok();
    let it = items(&c);
    assert_eq!(item(&it, "G1")["decision"], "keep");
    assert_eq!(item(&it, "G1")["justification"], "Active caseload");
    assert_eq!(item(&it, "G1")["execution"], "not_needed");
    assert_eq!(item(&it, "G2")["decision"], "revoke");
    assert_eq!(item(&it, "G2")["execution"], "awaiting");
    assert_eq!(item(&it, "G2")["reviewer"], "P10");
    let out = c
        .igl()
        .args(["review", "todo", "AR-1", "--reviewer", "P10"])
        .ok();
    assert!(out.contains("P10 has nothing left to decide"), "{out}");

    // IG carries the revoke out: the revocation is linked to the decision.
    c.append(
        &c.ig,
        &[
            json!({"type": "AccessRevoked", "grant": "G2", "person": "P101",
                 "reason": "review",
                 "occurred_at": igl_schema::Timestamp::now().to_string()}),
        ],
    );
    let it = items(&c);
    assert_eq!(item(&it, "G2")["execution"], "done");
    assert_eq!(item(&it, "G2")["late"], false);
    let out = c.igl().args(["review", "list"]).ok();
    assert!(
        out.contains("2 items: 2 decided (1 keep, 1 revoke, 0 change), 0 pending, 0 overdue; revocations: 1 carried out, 0 awaiting"),
        "{out}"
    );
    c.verify();
}

/// The demo's autumn review: the grant nobody reviewed is overdue (R18), a leaver's revoke
/// decision was never carried out (R17), and `igl review` and `igl audit` say so.
#[test]
fn the_demo_runs_an_access_review() {
    let dir = Dir::new();
    dir.igl()
        .args(["demo", "--ledger", "D", "--people", "24"])
        .ok();
    let lines = dir
        .igl()
        .args([
            "--ledger",
            "D",
            "review",
            "show",
            "AR-2026-Q4-ECLIPSE",
            "--as-of",
            "2026-11-20",
            "--json",
        ])
        .output();
    assert_eq!(lines.status.code(), Some(1), "an overdue item: exit 1");
    let lines: Vec<Value> = String::from_utf8_lossy(&lines.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let p = &lines[0]["progress"];
    assert_eq!(
        (p["overdue"].as_u64(), p["revocation_overdue"].as_u64()),
        (Some(1), Some(1))
    );
    let it = &lines[1..];
    assert_eq!(item(it, "G-00001")["state"], "overdue");
    assert_eq!(item(it, "G-00001")["reviewer"], "P00011");
    assert_eq!(item(it, "G-00007")["execution"], "awaiting");
    assert_eq!(item(it, "G-00007")["late"], true);
    let (out, _) = dir
        .igl()
        .args(["--ledger", "D", "audit", "--as-of", "2026-11-20", "--json"])
        .fails(1);
    let findings: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let about = |rule: &str, grant: &str| {
        findings
            .iter()
            .any(|f| f["rule"] == rule && f["subject"]["grant"] == grant && f["status"] == "open")
    };
    assert!(about("R18", "G-00001"));
    assert!(about("R17", "G-00007"));
    let summary = findings.last().unwrap();
    assert_eq!(
        summary["campaigns"].as_array().unwrap().len(),
        2,
        "{summary}"
    );
    // The default kept what the sponsor left undecided in the partner review.
    let lines = dir
        .igl()
        .args([
            "--ledger",
            "D",
            "review",
            "list",
            "--json",
            "--as-of",
            "2026-11-20",
        ])
        .output();
    let out = String::from_utf8_lossy(&lines.stdout).to_string();
    let livewell: Value = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["campaign"] == "AR-2026-LIVEWELL")
        .unwrap();
    assert_eq!(livewell["closed"], true);
    assert!(
        livewell["progress"]["by_default"].as_u64().unwrap() >= 1,
        "{livewell}"
    );
}

/// Nobody reviews their own access: a campaign whose owner would have to review their own grant
/// is refused, and nothing is written.
#[test]
fn a_campaign_whose_owner_would_review_their_own_grant_is_refused() {
    let c = council();
    c.append(&c.ig, &[grant("G3", "P2", "IG case audits")]);
    let head = c.head().0;
    let (_, err) = c
        .igl()
        .args(open_args())
        .args(["--reviewer", "P2", "--key"])
        .arg(&c.ig.path)
        .fails(2);
    assert!(err.contains("P2 would review their own grant G3"), "{err}");
    assert_eq!(c.head().0, head);
}
