//! `igl import hr` and `igl import access` with the real binary: idempotent (the same and an
//! overlapping export append nothing twice), UK local times, malformed rows refused with
//! file:line:column and nothing written, dry runs, and an access import killed mid-way and run
//! again without duplicates.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::util::{Council, Key, enrol};

fn with_feed(c: &Council) -> Key {
    let feed = c.dir.new_key("feed.key");
    c.append(&c.admin, &[enrol(&feed, "SYS-HR", "system_feed")]);
    feed
}

const HR: &str = "\
person,name,job_title,business_unit,organisation,line_manager,change,effective,note
P200,Sam Jones,Team Manager,Adult Social Care North,test-council,,joiner,01/03/2026,
P201,Aisha Begum,Social Worker,Adult Social Care North,test-council,P200,New starter,02/03/2026 09:00,
P201,Aisha Begum,Senior Social Worker,Adult Social Care South,test-council,P200,mover,2026-07-01,
P201,,,,,,leaver,2026-08-14 17:00,Resigned
";

fn import(c: &Council, feed: &Key, what: &str, file: &str, extra: &[&str]) -> Value {
    c.igl()
        .args(["import", what, file, "--json", "--key"])
        .arg(&feed.path)
        .args(extra)
        .json()
}

/// `igl import WHAT FILE [EXTRA…] --key FEED`, which must fail with exit 2 and print nothing on
/// stdout; its stderr.
fn import_fails(c: &Council, feed: &Key, what: &str, file: &str, extra: &[&str]) -> String {
    let (out, err) = c
        .igl()
        .args(["import", what, file])
        .args(extra)
        .arg("--key")
        .arg(&feed.path)
        .fails(2);
    assert!(out.is_empty(), "{out}");
    err
}

#[test]
fn hr_import_is_idempotent_reads_uk_time_and_overlapping_exports_append_nothing_twice() {
    let c = Council::new();
    let feed = with_feed(&c);
    c.dir.write("hr.csv", HR);
    let (head, _) = c.head();
    // A dry run appends nothing.
    let dry = import(&c, &feed, "hr", "hr.csv", &["--dry-run"]);
    assert_eq!(dry["would_append"], 4, "{dry}");
    assert_eq!(c.head().0, head);
    let first = import(&c, &feed, "hr", "hr.csv", &[]);
    assert_eq!(first["appended"], 4, "{first}");
    assert_eq!(first["by_type"]["PersonEnrolled"], 3);
    assert_eq!(first["by_type"]["EmploymentEnded"], 1);
    // UK local time: 17:00 on 14 August is 16:00Z (BST); 02/03/2026 09:00 is 09:00Z (GMT).
    let ended = c.log(&["--type", "EmploymentEnded"]);
    assert_eq!(ended[0]["event"]["occurred_at"], "2026-08-14T16:00:00Z");
    assert_eq!(ended[0]["author_person"], "SYS-HR");
    let enrolled = c.log(&["--type", "PersonEnrolled", "--subject", "person:P201"]);
    assert_eq!(enrolled[0]["event"]["occurred_at"], "2026-03-02T09:00:00Z");
    // The same file again: nothing.
    let again = import(&c, &feed, "hr", "hr.csv", &[]);
    assert_eq!(again["appended"], 0, "{again}");
    assert_eq!(again["already_imported"], 4);
    // An overlapping export (two old rows, one new) appends only the new row.
    let lines: Vec<&str> = HR.lines().collect();
    let overlap = format!(
        "{}\n{}\n{}\nP202,Grace Hopper,Practitioner,Adult Social Care North,test-council,P200,joiner,2026-09-01,\n",
        lines[0], lines[2], lines[4]
    );
    c.dir.write("hr2.csv", overlap);
    let next = import(&c, &feed, "hr", "hr2.csv", &[]);
    assert_eq!(next["appended"], 1, "{next}");
    assert_eq!(next["already_imported"], 2);
    assert_eq!(c.log(&["--type", "PersonEnrolled"]).len(), 4);
    // A row repeated within one file is one event.
    let dup = format!(
        "{}\n{}\n{}\n",
        lines[0],
        "P203,Ada Byron,Analyst,Business Intelligence,test-council,P200,joiner,2026-10-01,",
        "P203,Ada Byron,Analyst,Business Intelligence,test-council,P200,joiner,2026-10-01,"
    );
    c.dir.write("hr3.csv", dup);
    let d = import(&c, &feed, "hr", "hr3.csv", &[]);
    assert_eq!(
        (d["appended"].as_u64(), d["duplicate_rows"].as_u64()),
        (Some(1), Some(1)),
        "{d}"
    );
    let v = c.verify();
    assert_eq!(v["ok"], true, "{v}");
}

/// A row dated in the future is deferred, not refused with the rest of the file; two different
/// changes for one person on one day are two events; a row of bare commas is skipped.
#[test]
fn future_rows_are_deferred_and_different_rows_on_one_day_are_both_kept() {
    let c = Council::new();
    let feed = with_feed(&c);
    c.dir.write(
        "hr.csv",
        "person,name,job_title,business_unit,organisation,line_manager,change,effective,note\n\
         P400,Ada Lovelace,Analyst,Business Intelligence,test-council,P10,mover,2026-04-01,\n\
         P400,Ada Lovelace,Senior Analyst,Business Intelligence,test-council,P10,mover,2026-04-01,\n\
         P401,Grace Hopper,Practitioner,Adult Social Care,test-council,P10,joiner,2099-01-04,\n\
         ,,,,,,,,\n",
    );
    let v = import(&c, &feed, "hr", "hr.csv", &[]);
    assert_eq!(v["appended"], 2, "{v}");
    assert_eq!(v["deferred"], 1, "{v}");
    assert_eq!(v["rows"], 3, "the row of bare commas is not a row: {v}");
    assert_eq!(c.log(&["--subject", "person:P401"]).len(), 0);
    // Two-digit years are refused rather than read as the year 26.
    c.dir
        .write("hr2.csv", "person,change,effective\nP400,leaver,14/08/26\n");
    let err = import_fails(&c, &feed, "hr", "hr2.csv", &[]);
    assert!(
        err.contains("hr2.csv:2:3 (effective)") && err.contains("four digits"),
        "{err}"
    );
}

#[test]
fn a_malformed_hr_row_is_named_by_file_line_and_column_and_nothing_is_written() {
    let c = Council::new();
    let feed = with_feed(&c);
    let (head, _) = c.head();
    for (csv, want) in [
        (
            HR.replace("02/03/2026 09:00", "31/02/2026"),
            "hr.csv:3:8 (effective): \"31/02/2026\" is not a date or time",
        ),
        (
            HR.replace(",mover,", ",promoted,"),
            "hr.csv:4:7 (change): \"promoted\" is not a change this mapping knows",
        ),
        (
            HR.replace(
                "P201,Aisha Begum,Social Worker",
                "P 201,Aisha Begum,Social Worker",
            ),
            "hr.csv:3:1 (person):",
        ),
        (
            HR.replace("Senior Social Worker,", "Senior Social Worker,,"),
            "hr.csv:4: has 10 fields; the header has 9",
        ),
        (
            // 01:30 on 29 March 2026 does not exist in the UK.
            HR.replace("01/03/2026,", "29/03/2026 01:30,"),
            "hr.csv:2:8 (effective): \"29/03/2026 01:30\" does not exist in UK time",
        ),
        (
            HR.replace(",test-council,,joiner", ",,,joiner"),
            "hr.csv:2:5 (organisation): is empty",
        ),
    ] {
        c.dir.write("hr.csv", &csv);
        let err = import_fails(&c, &feed, "hr", "hr.csv", &[]);
        assert!(err.contains(want), "want {want:?} in: {err}");
        assert!(err.contains("nothing was appended"), "{err}");
        assert_eq!(c.head().0, head, "{want}");
    }
    // A header without a required column names it and the mapping option.
    c.dir
        .write("hr.csv", "who,change,effective\nP1,joiner,2026-01-01\n");
    let err = import_fails(&c, &feed, "hr", "hr.csv", &[]);
    assert!(
        err.contains("no column \"person\"") && err.contains("--map"),
        "{err}"
    );
}

#[test]
fn a_mapping_file_names_the_hr_systems_own_columns_and_words() {
    let c = Council::new();
    let feed = with_feed(&c);
    c.dir.write(
        "map.toml",
        "person = \"Employee No\"\nname = \"Full Name\"\njob_title = \"Post\"\nbusiness_unit = \"Team\"\n\
         organisation = \"Employer\"\nline_manager = \"Manager No\"\nchange = \"Action\"\n\
         effective = \"Effective Date\"\njoiner = [\"NEW HIRE\"]\ndefault_time = \"09:00\"\n",
    );
    c.dir.write(
        "export.csv",
        "Employee No,Full Name,Post,Team,Employer,Manager No,Action,Effective Date\n\
         P300,Ada Lovelace,Analyst,Business Intelligence,test-council,P10,New Hire,05/01/2026\n",
    );
    let v = import(&c, &feed, "hr", "export.csv", &["--map", "map.toml"]);
    assert_eq!(v["appended"], 1, "{v}");
    let e = c.log(&["--type", "PersonEnrolled", "--subject", "person:P300"]);
    assert_eq!(e[0]["event"]["occurred_at"], "2026-01-05T09:00:00Z");
    assert_eq!(e[0]["event"]["line_manager"], "P10");
    // A column the mapping names must exist, even an optional one (a typo is not "no note").
    c.dir.write("typo.toml", "person = \"Employee No\"\nchange = \"Action\"\neffective = \"Effective Date\"\nnote = \"Notes\"\n");
    let err = import_fails(&c, &feed, "hr", "export.csv", &["--map", "typo.toml"]);
    assert!(err.contains("no column \"Notes\""), "{err}");
    // A mapping with an unknown key is refused.
    c.dir.write("bad.toml", "persn = \"Employee No\"\n");
    let err = import_fails(&c, &feed, "hr", "export.csv", &["--map", "bad.toml"]);
    assert!(err.contains("bad.toml: not a valid mapping"), "{err}");
}

fn access_csv(rows: usize) -> String {
    let mut s = String::from("user,record,accessed_at,purpose,device\n");
    for i in 0..rows {
        s.push_str(&format!(
            "P100,SU-{:06},2026-03-{:02} {:02}:{:02}:{:02},Case review,PCC-LT-{}\n",
            i % 997,
            1 + (i / 3000) % 28,
            8 + (i / 60) % 10,
            i % 60,
            (i / 600) % 60,
            i % 3
        ));
    }
    s
}

#[test]
fn access_import_streams_in_batches_and_is_idempotent() {
    let c = Council::new();
    let feed = with_feed(&c);
    c.dir.write("acc.csv", access_csv(1200));
    let v = import(
        &c,
        &feed,
        "access",
        "acc.csv",
        &["--system", "Eclipse", "--batch", "500"],
    );
    assert_eq!(v["appended"], 1200, "{v}");
    assert_eq!(v["batches"], 3);
    let again = import(&c, &feed, "access", "acc.csv", &["--system", "Eclipse"]);
    assert_eq!(again["appended"], 0, "{again}");
    assert_eq!(again["already_imported"], 1200);
    // A bad row part-way: the error names the row and says how to resume; after the fix the run
    // resumes.
    let mut bad = access_csv(1500);
    bad = bad.replacen("2026-03-01 08:40:00", "yesterday", 1);
    c.dir.write("acc2.csv", &bad);
    let err = import_fails(
        &c,
        &feed,
        "access",
        "acc2.csv",
        &["--system", "Eclipse", "--batch", "100"],
    );
    assert!(
        err.contains("acc2.csv:") && err.contains("(accessed_at): \"yesterday\""),
        "{err}"
    );
    assert!(err.contains("run the import again to resume"), "{err}");
    // Fixed, it resumes: the 1,200 rows imported before are skipped, the 300 new ones appended.
    c.dir.write("acc2.csv", access_csv(1500));
    let fixed = import(&c, &feed, "access", "acc2.csv", &["--system", "Eclipse"]);
    assert_eq!(fixed["appended"], 300, "{fixed}");
    assert_eq!(fixed["already_imported"], 1200, "{fixed}");
}

/// Killed at a random moment mid-import (SIGKILL), then run again: every row is in the ledger
/// exactly once and the ledger verifies.
#[test]
fn an_access_import_killed_mid_way_resumes_without_duplicates() {
    let c = Council::new();
    let feed = with_feed(&c);
    let rows = 6000;
    c.dir.write("acc.csv", access_csv(rows));
    let count = |c: &Council| c.log(&["--type", "RecordAccessed"]).len();
    let mut partial = None;
    for wait_ms in [150u64, 300, 500, 800, 1200, 2000] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_igl"))
            .current_dir(c.dir.path())
            .arg("--ledger")
            .arg(&c.ledger)
            .args([
                "import", "access", "acc.csv", "--system", "Eclipse", "--batch", "50", "--key",
            ])
            .arg(&feed.path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(wait_ms));
        let _ = child.kill();
        let _ = child.wait();
        let n = count(&c);
        if n > 0 && n < rows {
            partial = Some(n);
            break;
        }
        if n == rows {
            break; // the import finished before the kill: the expect below fails the test
        }
    }
    // The kill landed mid-import at least once (6,000 rows in batches of 50 take seconds in a
    // debug build; the waits cover that).
    let before = partial.expect("a kill that left some batches appended and some not");
    let v = import(&c, &feed, "access", "acc.csv", &["--system", "Eclipse"]);
    assert_eq!(
        v["appended"],
        rows as u64 - before as u64,
        "{v} after {before}"
    );
    let all = c.log(&["--type", "RecordAccessed"]);
    assert_eq!(all.len(), rows);
    let ids: BTreeSet<&str> = all
        .iter()
        .map(|e| e["event"]["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), rows, "no row twice");
    let ok = c.verify();
    assert_eq!(ok["ok"], true, "{ok}");
}

/// `igl reconcile`: the system's account list against the ledger's grants, each discrepancy
/// citing the CSV line and the entries that show it; exit 1 on any, 0 on none.
#[test]
fn reconcile_finds_orphans_leavers_missing_accounts_and_role_mismatches() {
    use crate::util::{at, grant, person};
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            person("P103", "Grace Hopper"),
            person("P104", "Alan Turing"),
            person("P105", "Mary Somerville"),
            grant("G-100", "P100", "Case work"),
            grant("G-103", "P103", "Case work"),
            grant("G-104", "P104", "Case work"),
            grant("G-105", "P105", "Case work"),
        ],
    );
    c.append(
        &c.ig,
        &[
            serde_json::json!({"type": "EmploymentEnded", "person": "P103", "note": "Left",
                             "occurred_at": at(20, 17)}),
        ],
    );
    c.dir.write(
        "accounts.csv",
        "account,person,role,enabled\n\
         ada,P100,Practitioner,yes\n\
         bob,P101,Practitioner,yes\n\
         svc-batch,,Administrator,yes\n\
         old,P102,Practitioner,disabled\n\
         grace,P103,Practitioner,yes\n\
         alan,P104,Team Manager,yes\n",
    );
    let (out, _) = c
        .igl()
        .args([
            "reconcile",
            "--system",
            "Eclipse",
            "accounts.csv",
            "--as-of",
            "2025-07-01",
            "--json",
        ])
        .fails(1);
    let lines = crate::util::parse_jsonl(&out);
    let found: Vec<(String, Option<String>)> = lines
        .iter()
        .filter(|v| v["record"] == "discrepancy")
        .map(|v| {
            (
                v["kind"].as_str().unwrap().to_string(),
                v["source"].as_str().map(str::to_string),
            )
        })
        .collect();
    let want: Vec<(String, Option<String>)> = [
        ("orphan", Some("accounts.csv:3")),
        ("orphan", Some("accounts.csv:4")),
        ("leaver", Some("accounts.csv:6")),
        ("no_account", None),
        ("role_mismatch", Some("accounts.csv:7")),
    ]
    .iter()
    .map(|(k, s)| (k.to_string(), s.map(str::to_string)))
    .collect();
    assert_eq!(found, want, "{out}");
    let summary = lines.last().unwrap();
    assert_eq!(summary["accounts"], 6);
    assert_eq!(summary["enabled_accounts"], 5);
    assert_eq!(summary["active_grants"], 4, "{summary}");
    // Each finding cites its evidence: the leaver's EmploymentEnded, the missing account's grant.
    let leaver = lines.iter().find(|v| v["kind"] == "leaver").unwrap();
    let ended = c.log(&["--type", "EmploymentEnded"])[0]["seq"].clone();
    assert_eq!(leaver["seqs"], serde_json::json!([ended]), "{leaver}");
    let missing = lines.iter().find(|v| v["kind"] == "no_account").unwrap();
    assert_eq!(missing["grant"], "G-105");
    // Before anyone left and with every account in place: clean, exit 0.
    c.dir.write(
        "clean.csv",
        "account,person,role\nada,P100,Practitioner\ngrace,P103,Practitioner\n\
         alan,P104,Practitioner\nmary,P105,Practitioner\n",
    );
    let text = c
        .igl()
        .args([
            "reconcile",
            "--system",
            "Eclipse",
            "clean.csv",
            "--as-of",
            "2025-06-10",
        ])
        .ok();
    assert!(text.contains("✔ no discrepancies"), "{text}");
    // Suspended staff's enabled accounts.
    c.append(
        &c.ig,
        &[
            serde_json::json!({"type": "EmploymentSuspended", "person": "P104",
                             "occurred_at": at(21, 9)}),
        ],
    );
    let (out, _) = c
        .igl()
        .args([
            "reconcile",
            "--system",
            "Eclipse",
            "accounts.csv",
            "--as-of",
            "2025-07-01",
            "--json",
        ])
        .fails(1);
    assert!(
        crate::util::parse_jsonl(&out)
            .iter()
            .any(|v| v["kind"] == "suspended" && v["source"] == "accounts.csv:7"),
        "{out}"
    );
    // A system named as the ledger does not (a typo, another case) is refused, naming the real
    // ones, rather than reporting every account an orphan.
    let (_, err) = c
        .igl()
        .args(["reconcile", "--system", "eclipse", "accounts.csv"])
        .fails(2);
    assert!(
        err.contains("no grant to a system of that name") && err.contains("Eclipse"),
        "{err}"
    );
    // An enabled value that means neither is refused with its line and column.
    c.dir
        .write("odd.csv", "account,person,enabled\nada,P100,maybe\n");
    let (_, err) = c
        .igl()
        .args(["reconcile", "--system", "Eclipse", "odd.csv"])
        .fails(2);
    assert!(err.contains("odd.csv:2:3 (enabled): \"maybe\""), "{err}");
    // A malformed list is refused with its line.
    c.dir.write("bad.csv", "account,person\nada,P 100\n");
    let (_, err) = c
        .igl()
        .args(["reconcile", "--system", "Eclipse", "bad.csv"])
        .fails(2);
    assert!(err.contains("bad.csv:2:2 (person)"), "{err}");
}

/// README's "Walkthrough: from CSV to audit" on a demo ledger: the demo's own history came in
/// through the importers, the week after's `imports/` files go in the same way (idempotently),
/// reconciliation finds each planted discrepancy, and the HR export's leaver gets an R3 finding.
#[test]
fn the_demos_exports_go_in_through_the_importers_and_reach_the_audit() {
    let dir = crate::util::Dir::new();
    dir.igl()
        .args(["demo", "--people", "24", "--seed", "11", "--ledger", "D"])
        .ok();
    let d = dir.join("D");
    let igl = || dir.igl().arg("--ledger").arg(&d);
    let hr_key = d.join("keys/SYS-HR-system_feed.key");
    // The demo's own HR and Eclipse history came in through the importers, day by day: its
    // exports, imported again whole, are already in the ledger, row for row.
    let v = igl()
        .args(["import", "hr", "--json", "--dry-run", "--key"])
        .arg(&hr_key)
        .arg(d.join("imports/history/hr.csv"))
        .json();
    assert!(v["rows"].as_u64().unwrap() > 24, "{v}");
    assert_eq!(v["already_imported"], v["rows"], "{v}");
    let v = igl()
        .args([
            "import",
            "access",
            "--json",
            "--dry-run",
            "--system",
            "Eclipse",
            "--key",
        ])
        .arg(d.join("keys/SYS-ECLIPSE-system_feed.key"))
        .arg(d.join("imports/history/eclipse-audit.csv"))
        .json();
    assert!(v["rows"].as_u64().unwrap() > 500, "{v}");
    assert_eq!(v["already_imported"], v["rows"], "{v}");
    let types = igl()
        .args(["log", "--json", "--type", "RecordAccessed"])
        .json_lines();
    assert_eq!(types.len() as u64, v["rows"].as_u64().unwrap());
    let hr = d.join("imports/hr.csv");
    let first = igl()
        .args(["import", "hr", "--json", "--key"])
        .arg(&hr_key)
        .arg(&hr)
        .json();
    assert_eq!(first["appended"], 3, "{first}");
    let again = igl()
        .args(["import", "hr", "--json", "--key"])
        .arg(&hr_key)
        .arg(&hr)
        .json();
    assert_eq!(again["already_imported"], 3, "{again}");
    let acc = igl()
        .args(["import", "access", "--json", "--system", "Eclipse", "--key"])
        .arg(d.join("keys/SYS-ECLIPSE-system_feed.key"))
        .arg(d.join("imports/eclipse-audit.csv"))
        .json();
    assert_eq!(acc["appended"], 120, "{acc}");
    let (out, _) = igl()
        .args([
            "reconcile",
            "--system",
            "Eclipse",
            "--json",
            "--as-of",
            "2026-11-30",
        ])
        .arg(d.join("imports/eclipse-accounts.csv"))
        .fails(1);
    let kinds: BTreeSet<String> = crate::util::parse_jsonl(&out)
        .iter()
        .filter(|v| v["record"] == "discrepancy")
        .map(|v| v["kind"].as_str().unwrap().to_string())
        .collect();
    for k in ["orphan", "leaver", "no_account", "role_mismatch"] {
        assert!(kinds.contains(k), "{k} in {out}");
    }
    // The HR export's leaver: their grant outlived the SLA.
    let text = std::fs::read_to_string(&hr).unwrap();
    let leaver = text
        .lines()
        .find(|l| l.contains(",leaver,"))
        .and_then(|l| l.split(',').next())
        .unwrap()
        .to_string();
    let (audit, _) = igl()
        .args(["audit", "--rule", "R3", "--as-of", "2026-11-30", "--json"])
        .fails(1);
    assert!(
        crate::util::parse_jsonl(&audit)
            .iter()
            .any(|v| v["record"] == "finding" && v["person"] == leaver.as_str()),
        "{leaver}: {audit}"
    );
    let ok = igl().args(["verify", "--json"]).json();
    assert_eq!(ok["ok"], true, "{ok}");
}
