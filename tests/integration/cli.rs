//! The happy path, as a user runs it: keys, init, append, log, show, keys, verify, types, sign
//! elsewhere, redact, demo.

use serde_json::{Value, json};

use crate::util::{Council, Dir, at, enrol, grant, jsonl, parse_jsonl, person, training};

#[test]
fn init_append_then_verify() {
    let dir = Dir::new();
    dir.new_key("k");
    let out = dir
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
        .ok();
    assert!(out.contains("created ledger L"), "{out}");
    assert!(out.contains("entry 0 LedgerCreated"), "{out}");

    let ig = dir.new_key("ig.key");
    dir.write_events(
        "events.jsonl",
        &[
            enrol(&ig, "P2", "ig_officer"),
            json!({"type": "OrganisationRegistered", "organisation": "test-council",
                   "name": "Test Council", "kind": "council", "occurred_at": at(1, 9)}),
        ],
    );
    let out = dir
        .igl()
        .args(["append", "--key", "k", "events.jsonl", "--ledger", "L"])
        .ok();
    assert!(
        out.starts_with("appended seq 1..=2 (2 entries), head "),
        "{out}"
    );

    // The new ig_officer appends with their own key, through stdin.
    let lines = jsonl(&[
        person("P100", "Ada Lovelace"),
        json!({"type": "PolicyPublished", "policy": "eclipse-mou", "version": "2025.1",
               "title": "Eclipse MoU", "text_blake3": "ab".repeat(32), "occurred_at": at(2, 10)}),
        grant("G-1", "P100", "Case work in the North team"),
        training("P100", 20),
        json!({"type": "DeviceAttested", "person": "P100", "device": "PCC-LT-0192",
               "council_provided": true, "not_shared": true, "os_supported": true,
               "patched": true, "antivirus_current": true, "occurred_at": at(5, 9)}),
        json!({"type": "BreachReported", "breach": "BR-2025-001", "reported_by": "P100",
               "aware_at": at(6, 8), "kind": "loss", "description": "Laptop left on a train",
               "occurred_at": at(6, 9)}),
    ]);
    let receipt = dir
        .igl()
        .args(["--ledger", "L", "append", "--json", "--key", "ig.key", "-"])
        .stdin(lines)
        .json();
    assert_eq!(receipt["first_seq"], 3);
    assert_eq!(receipt["last_seq"], 8);
    assert_eq!(receipt["entries"], 6);

    let out = dir.igl().args(["--ledger", "L", "verify"]).ok();
    assert!(out.starts_with("✔ verified 9 entries"), "{out}");
    let v = dir.igl().args(["--ledger", "L", "verify", "--json"]).json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["entries"], 9);
    assert_eq!(v["head_seq"], 8);
    assert_eq!(v["head_hash"], receipt["head_hash"]);
    assert_eq!(v["seals"], 3, "init, and one seal per append");
    assert_eq!(v["keys"], 2);
    assert_eq!(v["failure"], Value::Null);
}

#[test]
fn log_lists_entries_as_text_and_json_lines() {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            person("P101", "Grace Hopper"),
            grant("G-1", "P100", "Case work"),
            grant("G-2", "P101", "Case work"),
            training("P100", 20),
        ],
    );

    let text = c.igl().arg("log").ok();
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(text.contains("LedgerCreated"), "{text}");
    let ada = text
        .lines()
        .find(|l| l.contains("P100") && l.contains("PersonEnrolled"));
    assert!(
        ada.is_some_and(|l| l.contains("P2")),
        "written by P2:\n{text}"
    );

    let all = c.log(&[]);
    assert_eq!(all.len(), 10);
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e["seq"], i as u64);
        assert_eq!(e["type"], e["event"]["type"]);
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
        if i > 0 {
            assert_eq!(
                e["prev_hash"],
                all[i - 1]["hash"],
                "entry {i} links to {}",
                i - 1
            );
        }
    }
    let p100 = &all[5];
    assert_eq!(p100["type"], "PersonEnrolled");
    assert_eq!(p100["author_person"], "P2");
    assert_eq!(p100["author_role"], "ig_officer");
    assert_eq!(p100["personal_data"], "present");
    assert_eq!(p100["event"]["name"], "Ada Lovelace");
    assert_eq!(all[9]["personal_data"], "none");

    // --type
    let grants = c.log(&["--type", "AccessGranted"]);
    let seqs: Vec<u64> = grants.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [7, 8]);
    assert_eq!(grants[1]["event"]["business_need"], "Case work");
    let (_, err) = c.igl().args(["log", "--type", "AccessGrantd"]).fails(2);
    assert!(err.contains("unknown event type"), "{err}");

    // --subject: a bare id or person:ID
    let seqs =
        |v: Vec<Value>| -> Vec<u64> { v.iter().map(|e| e["seq"].as_u64().unwrap()).collect() };
    assert_eq!(seqs(c.log(&["--subject", "P100"])), [3, 5, 7, 9]);
    assert_eq!(seqs(c.log(&["--subject", "person:P101"])), [6, 8]);
    assert_eq!(
        seqs(c.log(&["--subject", "service-user:P101"])),
        Vec::<u64>::new()
    );

    // --from, --to, --limit
    assert_eq!(seqs(c.log(&["--from", "4", "--to", "6"])), [4, 5, 6]);
    assert_eq!(seqs(c.log(&["--from", "2", "--limit", "3"])), [2, 3, 4]);
    assert_eq!(
        seqs(c.log(&["--type", "PersonEnrolled", "--limit", "1"])),
        [5]
    );
    assert_eq!(seqs(c.log(&["--from", "100"])), Vec::<u64>::new());
}

#[test]
fn show_prints_one_entry_in_full() {
    let c = Council::new();
    c.append(&c.ig, &[grant("G-1", "P100", "Reviewing care plans")]);

    let out = c.igl().args(["show", "5"]).ok();
    assert!(out.starts_with("seq 5  AccessGranted"), "{out}");
    assert!(out.contains("Reviewing care plans"), "{out}");
    assert!(out.contains("ig_officer P2"), "{out}");
    assert!(out.contains("✔ verifies"), "{out}");
    assert!(out.contains("sealed by"), "{out}");
    assert!(out.contains("matches the signed commitments"), "{out}");

    let v = c.igl().args(["show", "5", "--json"]).json();
    assert_eq!(v["seq"], 5);
    assert_eq!(v["type"], "AccessGranted");
    assert_eq!(v["signature_valid"], true);
    assert_eq!(v["event"]["business_need"], "Reviewing care plans");
    assert_eq!(v["event"]["author"], c.ig.public);
    assert_eq!(v["seal"]["first_seq"], 5);
    assert_eq!(v["seal"]["last_seq"], 5);
    assert_eq!(v["seal"]["appender"], c.ig.public);
    assert_eq!(v["seal"]["head_hash"], v["hash"]);

    // Entry 2 was sealed with the rest of its batch, 1..=4, by the admin.
    let v = c.igl().args(["show", "2", "--json"]).json();
    assert_eq!(v["seal"]["first_seq"], 1);
    assert_eq!(v["seal"]["last_seq"], 4);
    assert_eq!(v["seal"]["appender"], c.admin.public);

    let (_, err) = c.igl().args(["show", "6"]).fails(2);
    assert!(
        err.contains("no entry at seq 6 (the ledger has seq 0..=5)"),
        "{err}"
    );
}

#[test]
fn keys_lists_the_enrolled_keys() {
    let c = Council::new();
    let out = c.igl().arg("keys").ok();
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("manager") && l.contains("P10")),
        "{out}"
    );

    let keys = c.igl().args(["keys", "--json"]).json_lines();
    let found: Vec<(&str, &str, &str, u64)> = keys
        .iter()
        .map(|k| {
            (
                k["public_key"].as_str().unwrap(),
                k["person"].as_str().unwrap(),
                k["role"].as_str().unwrap(),
                k["enrolled_seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (c.admin.public.as_str(), "P1", "admin", 0),
            (c.ig.public.as_str(), "P2", "ig_officer", 1),
            (c.mgr.public.as_str(), "P10", "manager", 2),
            (c.staff.public.as_str(), "P100", "staff", 3),
        ]
    );
    assert!(keys.iter().all(|k| k["revoked_seq"].is_null()));

    // `igl key show` with a ledger says how the key is enrolled.
    let out = c.igl().args(["key", "show"]).arg(&c.mgr.path).ok();
    assert!(out.contains(&c.mgr.public), "{out}");
    assert!(out.contains("manager P10, enrolled at seq 2"), "{out}");
}

#[test]
fn types_lists_the_catalogue() {
    let dir = Dir::new();
    let out = dir.igl().arg("types").ok();
    assert_eq!(out.lines().count(), igl_schema::Event::TYPES.len());
    let line = out
        .lines()
        .find(|l| l.starts_with("AccessGranted "))
        .expect("AccessGranted");
    assert!(line.contains("business_need"), "{line}");

    let types = dir.igl().args(["types", "--json"]).json_lines();
    assert_eq!(types.len(), igl_schema::Event::TYPES.len());
    for (i, t) in types.iter().enumerate() {
        assert_eq!(t["tag"], i as u64);
        assert_eq!(t["type"], igl_schema::Event::TYPES[i]);
    }
    assert_eq!(types[0]["type"], "LedgerCreated");
}

/// A manager signs a countersignature on their own machine; an ig_officer appends it. The entry's
/// author is the manager, and the same signed line is accepted only once.
#[test]
fn signed_elsewhere_keeps_its_author_and_is_accepted_once() {
    let c = Council::new();
    // The member of staff signs their own declaration; the ig_officer appends it.
    let decl = c.sign(
        &c.staff,
        &[
            json!({"type": "DeclarationSigned", "person": "P100", "policy": "eclipse-mou",
                 "version": "2025.1", "confirms_training": true, "occurred_at": at(2, 9)}),
        ],
    );
    c.dir.write("decl.jsonl", &decl);
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("decl.jsonl")
        .ok();
    let decls = c.log(&["--type", "DeclarationSigned"]);
    assert_eq!(decls.len(), 1);
    assert_eq!(decls[0]["author_person"], "P100");
    let decl_hash = decls[0]["hash"].as_str().unwrap().to_string();

    // The manager countersigns it, elsewhere.
    c.dir.write_events(
        "events.jsonl",
        &[
            json!({"type": "DeclarationCountersigned", "declaration": decl_hash,
                 "person": "P100", "manager": "P10", "training_checked": true,
                 "occurred_at": at(3, 9)}),
        ],
    );
    let signed = c
        .igl()
        .args(["sign", "--key"])
        .arg(&c.mgr.path)
        .arg("events.jsonl")
        .ok();
    let lines = parse_jsonl(&signed);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["author"], c.mgr.public);
    assert_eq!(lines[0]["signature"].as_str().unwrap().len(), 128);
    c.dir.write("signed.jsonl", &signed);

    let (before, _) = c.head();
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("signed.jsonl")
        .ok();
    let entry = c
        .igl()
        .args(["show", "--json"])
        .arg((before + 1).to_string())
        .json();
    assert_eq!(entry["type"], "DeclarationCountersigned");
    assert_eq!(entry["author_person"], "P10");
    assert_eq!(entry["author_role"], "manager");
    assert_eq!(entry["event"]["author"], c.mgr.public);
    assert_eq!(entry["event"]["declaration"], decl_hash);
    assert_eq!(entry["seal"]["appender"], c.ig.public);

    // Replay: the same signed line again is refused, and nothing is appended.
    let head = c.head();
    let (_, err) = c
        .igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("signed.jsonl")
        .fails(2);
    assert!(err.contains("signed.jsonl:1:"), "{err}");
    assert!(err.contains("already appended"), "{err}");
    assert!(err.contains("nothing was appended"), "{err}");
    assert_eq!(c.head(), head);

    // ... also twice within one batch.
    let twice = format!("{signed}{signed}");
    c.dir.write("twice.jsonl", twice);
    let (_, err) = c
        .igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("twice.jsonl")
        .fails(2);
    assert!(err.contains("already appended"), "{err}");
    assert_eq!(c.head(), head);
}

#[test]
fn a_signed_line_that_was_edited_is_refused() {
    let c = Council::new();
    let signed = c.sign(&c.ig, &[grant("G-1", "P100", "Case work")]);
    let mut v: Value = serde_json::from_str(signed.trim()).unwrap();
    v["mfa_required"] = json!(false);
    c.dir.write_events("edited.jsonl", &[v]);
    let head = c.head();
    let (_, err) = c
        .igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("edited.jsonl")
        .fails(2);
    assert!(err.contains("edited.jsonl:1:"), "{err}");
    assert!(err.contains("signature does not verify"), "{err}");
    assert_eq!(c.head(), head);
}

#[test]
fn sign_refuses_lines_someone_already_signed() {
    let c = Council::new();
    let signed = c.sign(&c.ig, &[grant("G-1", "P100", "Case work")]);
    c.dir.write("signed.jsonl", &signed);
    let (out, err) = c
        .igl()
        .args(["sign", "--key"])
        .arg(&c.mgr.path)
        .arg("signed.jsonl")
        .fails(2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("signed.jsonl:1:"), "{err}");
    assert!(err.contains("already signed"), "{err}");
    assert!(err.contains("nothing was signed"), "{err}");
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_line() {
    let c = Council::new();
    let head = c.head();
    let text = format!("\u{feff}{}", jsonl(&[grant("G-9", "P100", "Case work")]));
    c.dir.write("bom.jsonl", text);
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("bom.jsonl")
        .ok();
    assert_eq!(c.head().0, head.0 + 1);
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let dir = Dir::new();
    dir.new_key("k");
    std::fs::create_dir(dir.join("L")).unwrap();
    dir.write("L/notes.txt", "keep me");
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
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("L/notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(std::fs::read_dir(dir.join("L")).unwrap().count(), 1);

    // An existing ledger is not empty either.
    let c = Council::new();
    let head = c.head();
    let (_, err) = c
        .igl()
        .args(["init", "--org", "Other Council", "--admin-key"])
        .arg(&c.admin.path)
        .fails(2);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(c.head(), head);
}

#[test]
fn no_ledger_given_is_a_usage_error() {
    let dir = Dir::new();
    let (_, err) = dir.igl().arg("verify").fails(2);
    assert!(err.contains("no ledger given"), "{err}");
    let (_, err) = dir.igl().args(["--ledger", "nowhere", "verify"]).fails(2);
    assert!(err.contains("no ledger at nowhere"), "{err}");
    let (_, err) = dir.igl().arg("frobnicate").fails(2);
    assert!(err.contains("frobnicate"), "{err}");
}

/// The library names what to do about an error as a kind of remedy, never as a command; the CLI
/// words it as an `igl` command line for the ledger concerned, on a line of its own.
#[test]
fn errors_end_with_what_to_do_as_an_igl_command() {
    let dir = Dir::new();
    let (_, err) = dir.igl().args(["--ledger", "nowhere", "verify"]).fails(2);
    assert!(
        err.contains(
            "\n  to fix: create one with `igl init --ledger nowhere`, or `igl demo --ledger nowhere` for a sample"
        ),
        "{err}"
    );
    // A proof the ledger cannot give yet (a SAR pack with no checkpoint): sign a checkpoint.
    let c = Council::new();
    let (_, err) = c.igl().args(["sar", "P100", "--pack", "pack"]).fails(2);
    assert!(
        err.contains("to fix: sign a checkpoint with `igl checkpoint --key FILE`"),
        "{err}"
    );
    // Nothing in what the library itself says names a command.
    let first = err.lines().next().unwrap();
    assert!(!first.contains("`igl "), "{first}");
}

#[test]
fn redact_erases_personal_data_and_the_ledger_still_verifies() {
    let c = Council::new();
    c.append(
        &c.ig,
        &[person("P100", "Ada Lovelace"), training("P100", 20)],
    );
    let out = c
        .igl()
        .args([
            "redact",
            "5",
            "--reason",
            "Erasure request SRR-1",
            "--request",
            "SRR-1",
        ])
        .arg("--key")
        .arg(&c.ig.path)
        .ok();
    assert!(out.contains("erased the personal data of seq 5"), "{out}");
    let v = c.verify();
    assert_eq!(v["redacted"], 1);
    assert_eq!(v["head_seq"], 7);

    let e = c.igl().args(["show", "5", "--json"]).json();
    assert_eq!(e["personal_data"], "redacted");
    assert_eq!(e["redacted_by"], 7);
    assert_eq!(e["event"]["name"], Value::Null);
    assert_eq!(e["event"]["person"], "P100", "plain fields stay");
    assert_eq!(e["signature_valid"], true);
    assert_eq!(e["redaction"]["reason"], "Erasure request SRR-1");

    // Only ig_officers redact; an entry without personal data cannot be redacted.
    let (_, err) = c
        .igl()
        .args(["redact", "6", "--reason", "x", "--key"])
        .arg(&c.ig.path)
        .fails(2);
    assert!(err.contains("no personal-data fields"), "{err}");
    let (_, err) = c
        .igl()
        .args(["redact", "5", "--reason", "again", "--key"])
        .arg(&c.ig.path)
        .fails(2);
    assert!(err.contains("already redacted"), "{err}");
    assert_eq!(c.head().0, 7);
}

fn demo(dir: &Dir, name: &str, seed: &str) -> Value {
    dir.igl()
        .args(["demo", "--people", "24", "--seed", seed, "--ledger", name])
        .ok();
    let v = dir
        .igl()
        .args(["--ledger", name, "verify", "--json"])
        .json();
    assert_eq!(v["ok"], true, "{v}");
    v
}

#[test]
fn demo_verifies_and_is_deterministic() {
    let dir = Dir::new();
    let out = dir
        .igl()
        .args(["demo", "--ledger", "D", "--people", "24"])
        .ok();
    assert!(out.contains("Built a demo ledger"), "{out}");
    dir.igl().args(["--ledger", "D", "verify"]).ok();
    // Its hints to publish the log and check the published log work as printed.
    for hint in ["igl publish ", "igl verify-published "] {
        let line = out
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(hint))
            .unwrap_or_else(|| panic!("no hint {hint:?} in {out}"));
        let words: Vec<&str> = line
            .split('#')
            .next()
            .unwrap()
            .split_whitespace()
            .skip(1)
            .collect();
        dir.igl().args(["--ledger", "D"]).args(&words).ok();
    }
    // The demo's keys are written 0600 beside the ledger.
    let key = std::fs::read_dir(dir.join("D/keys"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(key.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    // It refuses to overwrite without --force.
    let (_, err) = dir
        .igl()
        .args(["demo", "--ledger", "D", "--people", "24"])
        .fails(2);
    assert!(err.contains("--force"), "{err}");

    let a = demo(&dir, "A", "7");
    let b = demo(&dir, "B", "7");
    let c = demo(&dir, "C", "8");
    assert_eq!(a["head_hash"], b["head_hash"], "same seed, same ledger");
    assert_eq!(a["ledger_id"], b["ledger_id"]);
    assert_ne!(
        a["head_hash"], c["head_hash"],
        "another seed, another ledger"
    );
}

/// Personal data signed elsewhere travels with its salt, so the appender can store it and check
/// it against the signed commitments.
#[test]
fn personal_data_signed_elsewhere_is_stored_and_checked() {
    let c = Council::new();
    let breach = json!({"type": "BreachReported", "breach": "BR-1", "reported_by": "P100",
                        "aware_at": at(6, 8), "kind": "theft",
                        "description": "Paper case files stolen from a car",
                        "occurred_at": at(6, 9)});
    let signed = c.sign(&c.staff, &[breach]);
    let line: Value = serde_json::from_str(signed.trim()).unwrap();
    assert_eq!(line["salt"].as_str().unwrap().len(), 64);
    assert_eq!(line["description"], "Paper case files stolen from a car");

    // Without its salt, or with its personal data changed, the line is refused.
    let mut no_salt = line.clone();
    no_salt.as_object_mut().unwrap().remove("salt");
    let mut changed = line.clone();
    changed["description"] = json!("Nothing happened");
    for (name, bad, why) in [
        ("no-salt.jsonl", no_salt, "no salt"),
        ("changed.jsonl", changed, "signature does not verify"),
    ] {
        c.dir.write(name, jsonl(&[bad]));
        let (_, err) = c
            .igl()
            .args(["append", "--key"])
            .arg(&c.ig.path)
            .arg(name)
            .fails(2);
        assert!(
            err.contains(&format!("{name}:1: BreachReported: ")),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
    }
    assert_eq!(c.head().0, 4);

    c.dir.write("signed.jsonl", &signed);
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("signed.jsonl")
        .ok();
    let e = c.igl().args(["show", "5", "--json"]).json();
    assert_eq!(e["author_person"], "P100");
    assert_eq!(e["personal_data"], "present");
    assert_eq!(
        e["event"]["description"],
        "Paper case files stolen from a car"
    );
    assert!(e["event"].get("salt").is_none(), "the salt is never shown");
    c.verify();
}

#[test]
fn demo_refuses_to_replace_what_is_not_a_demo() {
    let dir = Dir::new();
    let (_, err) = dir
        .igl()
        .args(["demo", "--ledger", "D", "--people", "23"])
        .fails(2);
    assert!(err.contains("--people must be at least 24"), "{err}");
    assert!(!dir.join("D").exists());

    dir.write("notes.txt", "keep me");
    std::fs::create_dir(dir.join("X")).unwrap();
    dir.write("X/thesis.tex", "years of work");
    let (_, err) = dir
        .igl()
        .args(["demo", "--ledger", "X", "--people", "24", "--force"])
        .fails(2);
    assert!(err.contains("does not look like a demo ledger"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("X/thesis.tex")).unwrap(),
        "years of work"
    );
}

#[test]
fn demo_entries_scales_the_record_accesses_and_keeps_the_findings() {
    let dir = Dir::new();
    dir.igl()
        .args(["demo", "--ledger", "S", "--people", "24"])
        .ok();
    dir.igl()
        .args([
            "demo",
            "--ledger",
            "L",
            "--people",
            "24",
            "--entries",
            "6000",
        ])
        .ok();
    let count = |name: &str| {
        dir.igl()
            .args(["--ledger", name, "verify", "--json"])
            .json()["entries"]
            .as_u64()
            .unwrap()
    };
    let (small, large) = (count("S"), count("L"));
    assert!(small < 2_000, "{small}");
    // About 6,000: record-access visits become bursts of a whole number of accesses.
    assert!((5_400..6_600).contains(&large), "{large}");
    // The same planted violations under the same rules, whatever the volume.
    let summary = |name: &str| {
        let (out, _) = dir
            .igl()
            .args(["--ledger", name, "audit", "--as-of", "2026-11-20", "--json"])
            .fails(1);
        let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        assert_eq!(last["record"], "summary");
        last["rules"].clone()
    };
    assert_eq!(summary("S"), summary("L"));
}

/// Mosaic Annex A: only the line manager's countersignature authorises access. A declaration
/// countersigned by another manager shows in `igl status` as NOT authorised, in text and JSON,
/// and `igl audit` reports the grant (R1) besides the countersignature (R14); the line
/// manager's own countersignature then authorises it.
#[test]
fn status_shows_a_countersignature_by_someone_other_than_the_line_manager_as_not_authorised() {
    let c = Council::new();
    // P100's line manager on record is P11, not P10 (whose key the council enrolled).
    c.append(
        &c.ig,
        &[
            json!({"type": "PersonEnrolled", "person": "P100", "name": "Ada Lovelace",
                   "job_title": "Social Worker", "business_unit": "Adult Social Care",
                   "organisation": "test-council", "line_manager": "P11",
                   "occurred_at": at(2, 9)}),
            crate::util::training("P100", 1),
        ],
    );
    let decl = c.sign(
        &c.staff,
        &[
            json!({"type": "DeclarationSigned", "person": "P100", "policy": "mosaic-policy",
                 "version": "2025.1", "confirms_training": true, "occurred_at": at(2, 10)}),
        ],
    );
    c.dir.write("decl.jsonl", &decl);
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("decl.jsonl")
        .ok();
    let hash = c.log(&["--type", "DeclarationSigned"])[0]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let counter = c.sign(
        &c.mgr,
        &[
            json!({"type": "DeclarationCountersigned", "declaration": hash, "person": "P100",
                   "manager": "P10", "training_checked": true, "occurred_at": at(2, 11)}),
        ],
    );
    c.dir.write("counter.jsonl", &counter);
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("counter.jsonl")
        .ok();
    c.append(&c.ig, &[crate::util::grant("G-1", "P100", "Case work")]);

    let (text, _) = c.igl().args(["status", "P100"]).fails(1);
    assert!(
        text.contains("countersigned only by P10, not the line manager on record (P11)")
            && text.contains("NOT authorised"),
        "{text}"
    );
    let (json, _) = c.igl().args(["status", "P100", "--json"]).fails(1);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["declarations"][0]["countersigned"], true, "{v}");
    assert_eq!(v["declarations"][0]["authorised"], false, "{v}");
    let rules: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(
        rules.contains(&"R1".to_string()) && rules.contains(&"R14".to_string()),
        "{rules:?}"
    );
}

/// Shell completions and manual pages are generated from the clap definitions that parse the
/// command line, so every subcommand and flag is in them.
#[test]
fn completions_and_man_pages_come_from_the_command_line() {
    let dir = Dir::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = dir.igl().args(["completions", shell]).ok();
        for word in ["review", "reconcile", "verify-bundle", "--as-of"] {
            assert!(out.contains(word), "{shell}: {word}");
        }
    }
    let (_, err) = dir.igl().args(["completions", "tcsh"]).fails(2);
    assert!(err.contains("tcsh"), "{err}");
    let page = dir.igl().arg("man").ok();
    assert!(page.contains(".TH igl 1"), "{page}");
    assert!(page.contains("review"), "{page}");
    dir.igl().args(["man", "--dir", "pages"]).ok();
    let open = std::fs::read_to_string(dir.join("pages/igl-review-open.1")).unwrap();
    assert!(open.contains("\\-\\-due"), "{open}");
    assert!(dir.join("pages/igl.1").exists());
}
