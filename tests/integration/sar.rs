//! Subject access: `igl sar --pack`, `igl verify-bundle` on a pack, and what `--held-at` (sar)
//! and `--as-of` (requests) select.

use std::collections::BTreeSet;
use std::path::Path;

use igl_ledger::merkle;
use igl_ledger::subject::pack::{PackReport, Proof, render_markdown};
use igl_schema::Hash32;
use serde_json::{Value, json};

use crate::util::{Council, Dir, at};

/// A demo ledger in `dir/D`; returns `igl --ledger D` as a closure-friendly path.
fn demo(dir: &Dir) -> std::path::PathBuf {
    dir.igl()
        .args(["demo", "--people", "24", "--seed", "11", "--ledger", "D"])
        .ok();
    dir.join("D")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Names in a directory (to see that nothing, not even a temporary directory, was left).
fn names(p: &Path) -> BTreeSet<String> {
    std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Rewrites a pack's report.json (and report.md, rendered from it, as a careful forger would).
fn forge(pack: &Path, edit: impl FnOnce(&mut PackReport)) {
    let mut r: PackReport = serde_json::from_str(&read(&pack.join("report.json"))).unwrap();
    edit(&mut r);
    std::fs::write(pack.join("report.json"), r.to_text()).unwrap();
    std::fs::write(pack.join("report.md"), render_markdown(&r)).unwrap();
}

fn copy_pack(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for f in ["report.md", "report.json", "bundle.json"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

#[test]
fn sar_pack_lists_proves_and_discloses_no_more_than_the_report() {
    let dir = Dir::new();
    let ledger = demo(&dir);
    let igl = || dir.igl().arg("--ledger").arg(&ledger);
    let ig_key = ledger.join("keys/P00002-ig_officer.key");

    // A member of staff who opened service users' records.
    let ra = igl()
        .args(["log", "--type", "RecordAccessed", "--limit", "1", "--json"])
        .json_lines();
    let who = ra[0]["event"]["person"].as_str().unwrap().to_string();
    let subject = format!("person:{who}");
    // Erase the personal data of their enrolment.
    let enrolled = igl()
        .args([
            "log",
            "--type",
            "PersonEnrolled",
            "--subject",
            &subject,
            "--json",
        ])
        .json_lines()
        .into_iter()
        .find(|e| e["event"]["person"] == who.as_str())
        .expect("the person's enrolment");
    let enrol_seq = enrolled["seq"].as_u64().unwrap();
    let r = igl()
        .args([
            "redact",
            &enrol_seq.to_string(),
            "--reason",
            "Erasure request SRR-T",
        ])
        .args(["--request", "SRR-T", "--json", "--key"])
        .arg(&ig_key)
        .json();
    let redaction_seq = r["redaction_seq"].as_u64().unwrap();

    // The erasure is past the latest checkpoint: refused, naming it, nothing written.
    let out = dir.join("pack");
    let (_, err) = igl().args(["sar", &subject, "--pack"]).arg(&out).fails(2);
    assert!(err.contains(&redaction_seq.to_string()), "{err}");
    assert!(err.contains("igl checkpoint"), "{err}");
    assert!(!out.exists());
    let before = names(dir.path());
    assert!(!before.iter().any(|n| n.contains("igl-pack")), "{before:?}");

    // Two checkpoints: the pack's entries and erasures lie before the one recorded inside the
    // checkpoint it is proved against.
    igl().args(["checkpoint", "--key"]).arg(&ig_key).ok();
    let cp = dir.join("cp.txt");
    igl()
        .args(["checkpoint", "--key"])
        .arg(&ig_key)
        .arg("--out")
        .arg(&cp)
        .ok();

    // A non-empty OUT_DIR is refused and left as it was.
    let busy = dir.join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let (_, err) = igl().args(["sar", &subject, "--pack"]).arg(&busy).fails(2);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(names(&busy), BTreeSet::from(["notes.txt".to_string()]));
    assert_eq!(read(&busy.join("notes.txt")), "mine");

    // An empty OUT_DIR is fine.
    std::fs::create_dir(&out).unwrap();
    let summary = igl()
        .args(["sar", &subject, "--json", "--pack"])
        .arg(&out)
        .json();
    assert_eq!(
        names(&out),
        ["bundle.json", "report.json", "report.md"]
            .map(String::from)
            .into()
    );
    assert!(!names(dir.path()).iter().any(|n| n.contains("igl-pack")));

    // report.json lists exactly what `igl sar --json` lists.
    let report: PackReport = serde_json::from_str(&read(&out.join("report.json"))).unwrap();
    let listed: Vec<u64> = report.entries.iter().map(|e| e.seq).collect();
    let sar = igl().args(["sar", &subject, "--json"]).json_lines();
    let sar_seqs: Vec<u64> = sar
        .iter()
        .filter(|l| l["record"] == "entry")
        .map(|l| l["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, sar_seqs);
    assert!(listed.len() > 10, "{listed:?}");
    assert_eq!(summary["entries"], listed.len());
    assert_eq!(report.subject, subject);
    let full = report
        .entries
        .iter()
        .filter(|e| e.proof == Proof::Full)
        .count();
    assert!(full > 0 && full < listed.len(), "both kinds of proof occur");

    // The erased entry shows as erased, with when and why.
    let erased = report
        .entries
        .iter()
        .find(|e| e.seq == enrol_seq)
        .expect("the erased entry is listed");
    assert_eq!(erased.personal_data, "erased");
    let x = erased.erasure.as_ref().expect("erasure details");
    assert_eq!(x.by_seq, redaction_seq);
    assert_eq!(x.reason, "Erasure request SRR-T");
    assert_eq!(x.request.as_deref(), Some("SRR-T"));
    assert_eq!(erased.fields["name"], "[erased]");
    let md = read(&out.join("report.md"));
    assert!(
        md.contains(&format!("### seq {enrol_seq} — PersonEnrolled")),
        "{md}"
    );
    assert!(md.contains(&format!("by the Redacted entry at seq {redaction_seq}")));
    assert!(md.contains("## How to check this pack"));
    // What the pack cannot prove is said so: every entry carried by hash only is marked as not
    // checkable offline, and only those.
    let hash_only = report
        .entries
        .iter()
        .filter(|e| e.proof == igl_ledger::subject::pack::Proof::HashOnly)
        .count();
    assert!(
        hash_only > 0,
        "the test ledger has entries naming a third party"
    );
    assert_eq!(md.matches("**not checkable offline**").count(), hash_only);

    // Every listed entry's proof leads to the checkpoint's root (checked here independently).
    let bundle: Value = serde_json::from_str(&read(&out.join("bundle.json"))).unwrap();
    let size = report.checkpoint.tree_size;
    let mut proved = BTreeSet::new();
    for e in bundle["entries"].as_array().unwrap() {
        let bytes = hex::decode(e["entry"].as_str().unwrap()).unwrap();
        let h = igl_schema::entry_hash(&bytes);
        let proof: Vec<Hash32> = serde_json::from_value(e["proof"].clone()).unwrap();
        let seq = e["seq"].as_u64().unwrap();
        assert!(merkle::verify_inclusion(
            seq,
            size,
            &merkle::leaf_hash(&h),
            &proof,
            &report.checkpoint.root
        ));
        proved.insert((seq, h));
    }
    for e in bundle["hash_only"].as_array().unwrap() {
        let h: Hash32 = serde_json::from_value(e["entry_hash"].clone()).unwrap();
        let proof: Vec<Hash32> = serde_json::from_value(e["proof"].clone()).unwrap();
        let seq = e["seq"].as_u64().unwrap();
        assert!(merkle::verify_inclusion(
            seq,
            size,
            &merkle::leaf_hash(&h),
            &proof,
            &report.checkpoint.root
        ));
        proved.insert((seq, h));
    }
    for e in &report.entries {
        assert!(proved.contains(&(e.seq, e.entry_hash)), "seq {}", e.seq);
    }
    assert!(
        proved.iter().any(|p| p.0 == redaction_seq),
        "the Redacted entry that erased it is carried and proved"
    );

    // The bundle names none of the service users whose records the subject opened, and its key
    // history is cut down.
    let bundle_text = read(&out.join("bundle.json"));
    let records: BTreeSet<String> = igl()
        .args([
            "log",
            "--type",
            "RecordAccessed",
            "--subject",
            &subject,
            "--json",
        ])
        .json_lines()
        .iter()
        .map(|e| e["event"]["record"].as_str().unwrap().to_string())
        .collect();
    assert!(!records.is_empty());
    for r in &records {
        assert!(!bundle_text.contains(r.as_str()), "bundle.json names {r}");
        assert!(!read(&out.join("report.json")).contains(r.as_str()));
    }
    let key_events = igl()
        .args(["log", "--type", "KeyEnrolled", "--json"])
        .json_lines()
        .len();
    // Every key event is accounted for (the key-history commitment), but only the needed ones
    // are carried in full: the others show a seq, a public key and a hash, no person or role.
    let keys = bundle["keys"].as_array().unwrap();
    assert!(keys.len() >= key_events);
    let in_full = keys.iter().filter(|k| k.get("entry").is_some()).count();
    assert!(in_full < key_events / 2, "{in_full} of {key_events}");

    // The recipient's check passes against the checkpoint, and against its key.
    let v = dir
        .igl()
        .args(["verify-bundle", "--json", "--checkpoint"])
        .arg(&cp)
        .arg(&out)
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["entries"], listed.len());
    assert_eq!(v["erased"], 1);
    // Complete: the requester's whole list, proved against the checkpoint's subject index.
    assert_eq!(v["complete"], true, "{v}");
    assert_eq!(v["subject_entries"], listed.len(), "{v}");
    assert_eq!(v["after_held_at"], json!([]), "{v}");
    // Complete up to the checkpoint recorded inside the pack's (bound to the signed tree).
    let upto = v["complete_up_to"].as_u64().unwrap();
    assert!(upto < report.checkpoint.tree_size, "{v}");
    let text = dir
        .igl()
        .args(["verify-bundle", "--trusted-key"])
        .arg(report.checkpoint.signed_by.to_hex())
        .arg(&out)
        .ok();
    assert!(text.starts_with("✔"), "{text}");
    assert!(
        text.contains(&format!(
            "complete: every entry about {subject} up to checkpoint {upto} is listed ({} entries)",
            listed.len()
        )),
        "{text}"
    );

    // A subject bundle is complete too, and one for a subject nobody names proves that.
    let key = report.checkpoint.signed_by.to_hex();
    for (who, entries) in [
        (subject.as_str(), Some(listed.len())),
        ("person:P99999", None),
    ] {
        let file = dir.join(&format!("{}.bundle.json", who.replace(":", "-")));
        igl()
            .args(["bundle", "--subject", who, "--out"])
            .arg(&file)
            .ok();
        let v = dir
            .igl()
            .args(["verify-bundle", "--json", "--trusted-key", &key])
            .arg(&file)
            .json();
        assert_eq!(v["complete"], true, "{v}");
        assert_eq!(
            v["subjects_complete"],
            json!([{"subject": who, "entries": entries.unwrap_or(0), "up_to": upto}]),
            "{v}"
        );
        let text = dir
            .igl()
            .args(["verify-bundle", "--trusted-key", &key])
            .arg(&file)
            .ok();
        let line = match entries {
            Some(_) => format!("complete: every entry about {who} up to checkpoint"),
            None => format!("complete: no entry before checkpoint {upto} is about {who}"),
        };
        assert!(text.contains(&line), "{text}");
        // Leave one entry out of the subject bundle: refused.
        if entries.is_some() {
            let mut b: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            b["entries"].as_array_mut().unwrap().pop();
            let text = serde_json::to_string_pretty(&b).unwrap() + "\n";
            std::fs::write(&file, text).unwrap();
            let (out, _) = dir
                .igl()
                .args(["verify-bundle", "--trusted-key", &key])
                .arg(&file)
                .fails(1);
            assert!(out.contains("left out"), "{out}");
        }
    }

    // Tampering with one listed entry, however carefully, fails with exit 1.
    let full_seq = report
        .entries
        .iter()
        .find(|e| e.proof == Proof::Full && e.erasure.is_none() && e.fields.contains_key("person"))
        .map(|e| e.seq)
        .unwrap();
    let hash_seq = report
        .entries
        .iter()
        .find(|e| e.proof == Proof::HashOnly)
        .map(|e| e.seq)
        .unwrap();
    type Edit = Box<dyn FnOnce(&mut PackReport)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "a field of an entry proved in full",
            Box::new(move |r: &mut PackReport| {
                let e = r.entries.iter_mut().find(|e| e.seq == full_seq).unwrap();
                e.fields.insert("person".into(), json!("P99999"));
            }),
            "does not match the signed entry (fields differs)",
        ),
        (
            "the date of an entry",
            Box::new(move |r: &mut PackReport| {
                let e = r.entries.iter_mut().find(|e| e.seq == full_seq).unwrap();
                e.occurred_at = igl_schema::Timestamp::parse(&at(1, 9)).unwrap();
            }),
            "occurred_at differs",
        ),
        (
            "the hash of an entry proved by hash",
            Box::new(move |r: &mut PackReport| {
                let e = r.entries.iter_mut().find(|e| e.seq == hash_seq).unwrap();
                e.entry_hash.0[0] ^= 1;
            }),
            "has no proof of that entry",
        ),
        (
            "an erasure's reason",
            Box::new(move |r: &mut PackReport| {
                let e = r.entries.iter_mut().find(|e| e.seq == enrol_seq).unwrap();
                e.erasure.as_mut().unwrap().reason = "Routine tidy-up".into();
            }),
            "does not match the signed Redacted entry",
        ),
        (
            "an erasure made up for an entry whose personal data is carried",
            Box::new(move |r: &mut PackReport| {
                let x = r.entries.iter().find_map(|e| e.erasure.clone()).unwrap();
                let e = r.entries.iter_mut().find(|e| e.seq == full_seq).unwrap();
                e.erasure = Some(x);
                r.summary.erased += 1;
            }),
            "says its personal data was erased",
        ),
        (
            "the stated third-party rule",
            Box::new(move |r: &mut PackReport| {
                r.third_party_rule = "Everything is shown.".into();
            }),
            "third-party rule",
        ),
        (
            "the order of an entry's fields",
            Box::new(move |r: &mut PackReport| {
                let e = r.entries.iter_mut().find(|e| e.seq == full_seq).unwrap();
                let mut reversed = serde_json::Map::new();
                for (k, v) in e.fields.iter().rev() {
                    reversed.insert(k.clone(), v.clone());
                }
                e.fields = reversed;
            }),
            "another order",
        ),
        (
            "the checkpoint's time",
            Box::new(move |r: &mut PackReport| {
                r.checkpoint.time = Some(igl_schema::Timestamp::parse(&at(1, 9)).unwrap());
            }),
            "names a checkpoint",
        ),
        (
            "an entry left out",
            Box::new(move |r: &mut PackReport| {
                r.entries.retain(|e| e.seq != hash_seq);
                r.summary.entries -= 1;
                r.summary.proved_by_hash -= 1;
                r.summary.with_third_party_data_withheld -= 1;
            }),
            // The subject index the checkpoint commits to lists it.
            "the checkpoint's subject index lists it",
        ),
    ];
    for (i, (what, edit, expect)) in cases.into_iter().enumerate() {
        let t = dir.join(&format!("tampered-{i}"));
        copy_pack(&out, &t);
        forge(&t, edit);
        let (stdout, _) = dir.igl().arg("verify-bundle").arg(&t).fails(1);
        assert!(stdout.contains(expect), "{what}: {stdout}");
    }
    // Changed bytes of a listed entry inside bundle.json.
    let t = dir.join("tampered-bytes");
    copy_pack(&out, &t);
    let b: Value = serde_json::from_str(&bundle_text).unwrap();
    let hex_entry = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["seq"] == full_seq)
        .unwrap()["entry"]
        .as_str()
        .unwrap()
        .to_string();
    let mut changed = hex_entry.clone().into_bytes();
    let last = changed.len() - 1;
    changed[last] = if changed[last] == b'0' { b'1' } else { b'0' };
    let changed = String::from_utf8(changed).unwrap();
    std::fs::write(
        t.join("bundle.json"),
        bundle_text.replace(&hex_entry, &changed),
    )
    .unwrap();
    let (stdout, _) = dir.igl().arg("verify-bundle").arg(&t).fails(1);
    assert!(stdout.contains(&format!("seq {full_seq}")), "{stdout}");
    // An edited report.md alone.
    let t = dir.join("tampered-md");
    copy_pack(&out, &t);
    std::fs::write(t.join("report.md"), md.replace("[erased]", "Jane Doe")).unwrap();
    let (stdout, _) = dir.igl().arg("verify-bundle").arg(&t).fails(1);
    assert!(stdout.contains("report.md"), "{stdout}");
    // The untouched pack still verifies.
    dir.igl()
        .arg("verify-bundle")
        .arg(&out)
        .arg("--unanchored")
        .ok();
}

/// `igl sar --held-at T` lists what had been *recorded* by T; `igl requests --as-of T` judges
/// what had *occurred* by T, including facts recorded later. `igl sar --as-of` is refused with
/// the difference explained.
#[test]
fn sar_held_at_is_what_was_recorded_and_requests_as_of_is_what_occurred() {
    let c = Council::new();
    // Received in June 2025 (occurred_at), recorded now.
    c.append(
        &c.ig,
        &[
            json!({"type": "SubjectRightsRequestReceived", "request": "SRR-1", "right": "access",
                 "data_subject": "service-user:SU-1", "details": "Copy of my records",
                 "occurred_at": at(10, 9)}),
        ],
    );
    let t = "2025-07-01";
    let req = c.igl().args(["requests", "--as-of", t, "--json"]).output();
    let out = String::from_utf8_lossy(&req.stdout);
    assert!(
        out.contains("\"SRR-1\""),
        "occurred by T, so judged as of T: {out}"
    );

    let held = c
        .igl()
        .args(["sar", "service-user:SU-1", "--held-at", t, "--json"])
        .json_lines();
    assert_eq!(
        held.len(),
        1,
        "only the summary: recorded after T: {held:?}"
    );
    assert_eq!(held[0]["entries"], 0);
    let now = c
        .igl()
        .args(["sar", "service-user:SU-1", "--json"])
        .json_lines();
    assert_eq!(now.last().unwrap()["entries"], 1);

    let (_, err) = c
        .igl()
        .args(["sar", "service-user:SU-1", "--as-of", t])
        .fails(2);
    assert!(err.contains("--held-at"), "{err}");
    assert!(err.contains("occurred"), "{err}");
    let help = c.igl().args(["sar", "--help"]).ok();
    assert!(
        help.contains("--held-at") && help.contains("recorded"),
        "{help}"
    );
    let help = c.igl().args(["requests", "--help"]).ok();
    assert!(
        help.contains("occurred") && help.contains("--held-at"),
        "{help}"
    );
}

/// A bare id naming both a member of staff and a service user with entries is resolved one way
/// everywhere (the library's resolver): `igl sar`, `igl log --subject` and `igl bundle --subject`
/// all refuse it and ask which, naming both; with the kind written, each answers.
#[test]
fn an_ambiguous_bare_id_is_asked_about_never_guessed() {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            crate::util::person("AMB1", "Ada Lovelace"),
            json!({"type": "SubjectRightsRequestReceived", "request": "SRR-AMB", "right": "access",
                   "data_subject": "service-user:AMB1", "details": "By letter",
                   "occurred_at": at(5, 9)}),
        ],
    );
    for _ in 0..2 {
        c.igl().args(["checkpoint", "--key"]).arg(&c.ig.path).ok();
    }
    for args in [
        vec!["sar", "AMB1"],
        vec!["log", "--subject", "AMB1"],
        vec!["bundle", "--subject", "AMB1", "--out", "b.json"],
    ] {
        let (out, err) = c.igl().args(&args).fails(2);
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains("AMB1 names both person:AMB1 (")
                && err.contains("and service-user:AMB1 (")
                && err.contains("say which"),
            "{args:?}: {err}"
        );
    }
    assert!(!c.dir.join("b.json").exists());
    let sar = c.igl().args(["sar", "person:AMB1", "--json"]).json_lines();
    assert!(sar.len() > 1, "{sar:?}");
    let log = c.log(&["--subject", "service-user:AMB1"]);
    assert_eq!(log.len(), 1, "{log:?}");
}

/// A SAR pack shows the requester's requests with their statutory clocks, paused time included
/// (the demo's SRR-2026-004 waited 8 days for clarification), computed by the one request model
/// from the entries it lists; a report whose clocks were edited is refused.
#[test]
fn a_pack_shows_the_requesters_request_clocks_and_refuses_edited_ones() {
    let dir = Dir::new();
    let ledger = demo(&dir);
    let out = dir.join("pack-su377");
    dir.igl()
        .arg("--ledger")
        .arg(&ledger)
        .args(["sar", "service-user:SU-000377", "--pack"])
        .arg(&out)
        .ok();
    let r: PackReport = serde_json::from_str(&read(&out.join("report.json"))).unwrap();
    assert_eq!(r.requests.len(), 1, "{:?}", r.requests);
    let q = &r.requests[0];
    assert_eq!(q.request, "SRR-2026-004");
    assert_eq!(q.paused_days, 8);
    assert_eq!(q.due.map(|d| d.to_string()).as_deref(), Some("2026-10-01"));
    let md = read(&out.join("report.md"));
    assert!(
        md.contains("stopped 8 days awaiting clarification, due 2026-10-01"),
        "{md}"
    );
    let ok = dir
        .igl()
        .args(["verify-bundle", "--unanchored", "--json"])
        .arg(&out)
        .json();
    assert_eq!(ok["ok"], true, "{ok}");
    // Edited clocks, with report.md rendered to match, as a careful forger would.
    let t = dir.join("tampered-clock");
    copy_pack(&out, &t);
    forge(&t, |r| {
        r.requests[0].paused_days = 30;
    });
    let (stdout, _) = dir
        .igl()
        .args(["verify-bundle", "--unanchored"])
        .arg(&t)
        .fails(1);
    assert!(stdout.contains("its requests do not match"), "{stdout}");
    let t = dir.join("tampered-none");
    copy_pack(&out, &t);
    forge(&t, |r| r.requests.clear());
    let (stdout, _) = dir
        .igl()
        .args(["verify-bundle", "--unanchored"])
        .arg(&t)
        .fails(1);
    assert!(stdout.contains("its requests do not match"), "{stdout}");
}

/// An erasure request done by a redaction is answered in the pack as it is in `igl requests`:
/// the `Redacted` entry names no subject, but the pack carries it (it erased one of the listed
/// entries) and folds it. And the clocks are judged at the signed checkpoint's time, not at the
/// writer's `made_at`, which may not be earlier than that time.
#[test]
fn a_pack_answers_an_erasure_done_by_redaction_and_judges_clocks_at_the_signed_time() {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            json!({"type": "SubjectRightsRequestReceived", "request": "SRR-E", "right": "erasure",
                   "data_subject": "service-user:SU-7", "details": "Erase my contact details",
                   "occurred_at": at(5, 9)}),
            json!({"type": "SubjectRightsIdentityVerified", "request": "SRR-E",
                   "data_subject": "service-user:SU-7", "occurred_at": at(6, 9)}),
        ],
    );
    let received = c.log(&["--type", "SubjectRightsRequestReceived"])[0]["seq"]
        .as_u64()
        .unwrap();
    c.igl()
        .args([
            "redact",
            &received.to_string(),
            "--reason",
            "Erasure request SRR-E",
        ])
        .args(["--request", "SRR-E", "--key"])
        .arg(&c.ig.path)
        .ok();
    for _ in 0..2 {
        c.igl().args(["checkpoint", "--key"]).arg(&c.ig.path).ok();
    }
    let req = c.igl().args(["requests", "--json"]).json_lines();
    assert_eq!(req[0]["outcome"], "erased", "{req:?}");
    let out = c.dir.join("pack-su7");
    c.igl()
        .args(["sar", "service-user:SU-7", "--pack"])
        .arg(&out)
        .ok();
    let r: PackReport = serde_json::from_str(&read(&out.join("report.json"))).unwrap();
    assert_eq!(r.requests.len(), 1, "{:?}", r.requests);
    assert_eq!(r.requests[0].outcome, "erased", "{:?}", r.requests);
    // Redacted today, long after its 2025 deadline: answered, and late, as R15 says.
    assert!(
        r.requests[0].status.contains("erased") && r.requests[0].status.contains("late"),
        "{:?}",
        r.requests
    );
    let ok = c
        .igl()
        .args(["verify-bundle", "--unanchored", "--json"])
        .arg(&out)
        .json();
    assert_eq!(ok["ok"], true, "{ok}");
    // A made_at before the checkpoint is refused.
    let t = c.dir.join("tampered-made-at");
    copy_pack(&out, &t);
    forge(&t, |r| {
        r.made_at = igl_schema::Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
    });
    let (stdout, _) = c
        .igl()
        .args(["verify-bundle", "--unanchored"])
        .arg(&t)
        .fails(1);
    assert!(stdout.contains("before the checkpoint"), "{stdout}");
}
