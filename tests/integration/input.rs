//! Bad input: every refused append names the offending line, exits 2 and appends nothing.

use serde_json::{Value, json};

use crate::util::{Council, Key, at, enrol, grant, jsonl, training};

/// `igl append --key KEY FILE` with `contents` as FILE: must exit 2, say nothing was appended,
/// and leave the ledger exactly as it was. Returns stderr.
#[track_caller]
fn refused(c: &Council, key: &Key, file: &str, contents: &str) -> String {
    let before = c.head();
    c.dir.write(file, contents);
    let (out, err) = c
        .igl()
        .args(["append", "--key"])
        .arg(&key.path)
        .arg(file)
        .fails(2);
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("igl: error: "), "{err}");
    assert_eq!(c.head(), before, "nothing may be appended:\n{err}");
    err
}

#[track_caller]
fn contains(err: &str, what: &str) {
    assert!(err.contains(what), "expected {what:?} in:\n{err}");
}

#[test]
fn a_malformed_line_among_a_hundred_is_named_and_nothing_is_appended() {
    let c = Council::new();
    let mut lines: Vec<String> = (0..100).map(|_| training("P100", 20).to_string()).collect();
    lines[36] = r#"{"type": "TrainingCompleted", "person": "P100", "course": "#.into();
    let err = refused(&c, &c.ig, "hundred.jsonl", &(lines.join("\n") + "\n"));
    contains(&err, "hundred.jsonl:37: not valid JSON");
    contains(&err, "nothing was appended");
    assert_eq!(
        err.matches("hundred.jsonl:").count(),
        1,
        "only line 37:\n{err}"
    );

    // With line 37 fixed, the same file appends 100 entries in one sealed batch.
    lines[36] = training("P100", 21).to_string();
    c.dir.write("hundred.jsonl", lines.join("\n"));
    c.igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("hundred.jsonl")
        .ok();
    let v = c.verify();
    assert_eq!(v["head_seq"], 104);
    assert_eq!(v["seals"], 3);
}

#[test]
fn every_bad_line_is_listed() {
    let c = Council::new();
    let text = [
        training("P100", 20).to_string(),
        "not json".into(),
        training("P100", 21).to_string(),
        json!({"type": "TrainingCompleted", "person": "P100", "occurred_at": at(4, 9)}).to_string(),
    ]
    .join("\n");
    let err = refused(&c, &c.ig, "two.jsonl", &text);
    contains(&err, "two.jsonl:2: not valid JSON");
    contains(
        &err,
        "two.jsonl:4: TrainingCompleted: missing field `course`",
    );
    assert!(
        !err.contains("two.jsonl:1:") && !err.contains("two.jsonl:3:"),
        "{err}"
    );
}

#[test]
fn line_numbers_count_blank_and_comment_lines() {
    let c = Council::new();
    // Line 6 is valid JSON but refused by the chain rules (staff may not write AccessGranted).
    let staff_grant = c.sign(&c.staff, &[grant("G-1", "P100", "Case work")]);
    let text = format!(
        "# a batch\n\n{}\n   \n{}\n{}{}\n",
        training("P100", 20),
        training("P100", 21),
        staff_grant,
        training("P100", 22)
    );
    let err = refused(&c, &c.ig, "commented.jsonl", &text);
    contains(&err, "commented.jsonl:6: seq 7: AccessGranted: key ");
    contains(&err, "may not write AccessGranted");
}

#[test]
fn an_unknown_event_type_is_refused() {
    let c = Council::new();
    let mut e = grant("G-1", "P100", "Case work");
    e["type"] = json!("AccessGrant");
    let text = jsonl(&[training("P100", 20), e]);
    let err = refused(&c, &c.ig, "unknown.jsonl", &text);
    contains(&err, "unknown.jsonl:2: unknown event type \"AccessGrant\"");

    let text = jsonl(&[json!({"person": "P100", "occurred_at": at(4, 9)})]);
    let err = refused(&c, &c.ig, "untyped.jsonl", &text);
    contains(&err, "untyped.jsonl:1: missing field `type`");
}

#[test]
fn a_missing_field_is_refused() {
    let c = Council::new();
    let mut e = grant("G-1", "P100", "Case work");
    e.as_object_mut().unwrap().remove("approver");
    let err = refused(&c, &c.ig, "missing.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "missing.jsonl:1: AccessGranted: missing field `approver`",
    );
}

/// A missing personal-data field is named, not mistaken for a redacted (null) one.
#[test]
fn a_missing_personal_data_field_is_named() {
    let c = Council::new();
    let mut e = grant("G-1", "P100", "Case work");
    e.as_object_mut().unwrap().remove("business_need");
    let err = refused(&c, &c.ig, "missing.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "missing.jsonl:1: AccessGranted: missing field `business_need`",
    );
    assert!(!err.contains("redacted"), "{err}");
}

#[test]
fn an_unknown_field_or_a_wrong_type_is_refused() {
    let c = Council::new();
    let mut e = grant("G-1", "P100", "Case work");
    e["business_ned"] = json!("typo");
    let err = refused(&c, &c.ig, "typo.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "typo.jsonl:1: AccessGranted: unknown field `business_ned`",
    );

    let mut e = grant("G-1", "P100", "Case work");
    e["mfa_required"] = json!("yes");
    let err = refused(&c, &c.ig, "type.jsonl", &jsonl(&[e]));
    contains(&err, "type.jsonl:1: AccessGranted: ");
    contains(&err, "expected a boolean");

    let mut e = grant("G-1", "P100", "Case work");
    e["person"] = json!("P 100");
    let err = refused(&c, &c.ig, "id.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "id.jsonl:1: AccessGranted: person id \"P 100\" contains ' '",
    );
}

#[test]
fn an_empty_business_need_is_refused() {
    let c = Council::new();
    for need in ["", "   "] {
        let text = jsonl(&[training("P100", 20), grant("G-1", "P100", need)]);
        let err = refused(&c, &c.ig, "empty.jsonl", &text);
        contains(
            &err,
            "empty.jsonl:2: AccessGranted: business_need must not be empty",
        );
    }
    let mut e = grant("G-1", "P100", "x");
    e["business_need"] = Value::Null;
    let err = refused(&c, &c.ig, "null.jsonl", &jsonl(&[e]));
    contains(&err, "null.jsonl:1: AccessGranted: ");
}

#[test]
fn a_revoked_author_is_refused() {
    let c = Council::new();
    let leaver = c.dir.new_key("leaver.key");
    let ig2 = c.dir.new_key("ig2.key");
    c.append(
        &c.admin,
        &[
            enrol(&leaver, "P103", "staff"),
            enrol(&ig2, "P3", "ig_officer"),
        ],
    );
    // Signed while the key was still valid...
    let decl = c.sign(
        &leaver,
        &[
            json!({"type": "DeclarationSigned", "person": "P103", "policy": "eclipse-mou",
                 "version": "2025.1", "confirms_training": true, "occurred_at": at(2, 9)}),
        ],
    );
    c.append(
        &c.admin,
        &[
            json!({"type": "KeyRevoked", "key": leaver.public, "person": "P103",
                   "reason": "Leaver", "occurred_at": at(5, 9)}),
            json!({"type": "KeyRevoked", "key": ig2.public, "person": "P3",
                   "reason": "Leaver", "occurred_at": at(5, 9)}),
        ],
    );
    let keys = c.igl().args(["keys", "--json"]).json_lines();
    let revoked = keys
        .iter()
        .find(|k| k["public_key"] == leaver.public.as_str())
        .unwrap();
    assert_eq!(revoked["revoked_seq"], 7);

    // ...but appended after the revocation.
    let text = format!("{}{decl}", jsonl(&[training("P100", 20)]));
    let err = refused(&c, &c.ig, "revoked.jsonl", &text);
    contains(
        &err,
        "revoked.jsonl:2: seq 10: DeclarationSigned: author key ",
    );
    contains(&err, "was revoked before this entry");

    // A revoked ig_officer can neither author nor append.
    let err = refused(
        &c,
        &ig2,
        "by-revoked.jsonl",
        &jsonl(&[training("P100", 20)]),
    );
    contains(&err, "by-revoked.jsonl:1:");
    contains(&err, "revoked");
    let signed = c.sign(&c.ig, &[training("P100", 20)]);
    let err = refused(&c, &ig2, "sealed-by-revoked.jsonl", &signed);
    contains(&err, "appending key ");
    contains(&err, "is revoked");
}

#[test]
fn the_wrong_role_is_refused() {
    let c = Council::new();
    // A member of staff signs an access grant: the appender's ig_officer cannot make it valid.
    let signed = c.sign(&c.staff, &[grant("G-1", "P100", "Case work")]);
    let err = refused(&c, &c.ig, "staff-grant.jsonl", &signed);
    contains(&err, "staff-grant.jsonl:1: seq 5: AccessGranted: key ");
    contains(
        &err,
        "(staff P100, enrolled at seq 3) may not write AccessGranted",
    );

    // A staff key may author a breach report, but may not append (or seal) a batch.
    let breach = json!({"type": "BreachReported", "breach": "BR-1", "reported_by": "P100",
                        "aware_at": at(6, 8), "kind": "loss", "description": "Lost phone",
                        "occurred_at": at(6, 9)});
    let err = refused(
        &c,
        &c.staff,
        "staff-append.jsonl",
        &jsonl(std::slice::from_ref(&breach)),
    );
    contains(
        &err,
        "may not append; appending roles: admin, ig_officer, system_feed",
    );

    // A declaration is its declarant's own statement.
    let decl = json!({"type": "DeclarationSigned", "person": "P100", "policy": "eclipse-mou",
                      "version": "2025.1", "confirms_training": true, "occurred_at": at(2, 9)});
    let err = refused(&c, &c.ig, "not-own.jsonl", &jsonl(&[decl]));
    contains(&err, "not-own.jsonl:1: seq 5: DeclarationSigned: ");
    contains(&err, "must be signed with P100's key");

    // An unenrolled key.
    let stranger = c.dir.new_key("stranger.key");
    let signed = c.sign(&stranger, &[breach]);
    let err = refused(&c, &c.ig, "stranger.jsonl", &signed);
    contains(&err, "stranger.jsonl:1:");
    contains(&err, "is not enrolled in this ledger");
    let err = refused(
        &c,
        &stranger,
        "by-stranger.jsonl",
        &jsonl(&[training("P100", 1)]),
    );
    contains(&err, "is not enrolled in this ledger");
}

#[test]
fn a_bad_timestamp_is_refused() {
    let c = Council::new();
    for (ts, why) in [
        ("2025-02-30T09:00:00Z", "not an RFC 3339 time"),
        ("yesterday", "not an RFC 3339 time"),
        ("2025-06-01 09:00", "not an RFC 3339 time"),
        ("2025-06-01T09:00:00.0000001Z", "sub-microsecond"),
    ] {
        let mut e = training("P100", 20);
        e["occurred_at"] = json!(ts);
        let err = refused(&c, &c.ig, "ts.jsonl", &jsonl(&[training("P100", 21), e]));
        contains(&err, "ts.jsonl:2: TrainingCompleted: occurred_at: ");
        contains(&err, why);
    }

    let mut e = training("P100", 20);
    e.as_object_mut().unwrap().remove("occurred_at");
    let err = refused(&c, &c.ig, "no-ts.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "no-ts.jsonl:1: TrainingCompleted: missing field `occurred_at`",
    );

    // An event cannot be recorded before it happens.
    let mut e = training("P100", 20);
    e["occurred_at"] = json!("2999-01-01T00:00:00Z");
    let err = refused(&c, &c.ig, "future.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "future.jsonl:1: seq 5: TrainingCompleted: occurred_at 2999-01-01T00:00:00Z",
    );
    contains(&err, "cannot be recorded before it happens");

    // A date field is checked too.
    let mut e = training("P100", 20);
    e["completed_on"] = json!("2025-13-01");
    let err = refused(&c, &c.ig, "date.jsonl", &jsonl(&[e]));
    contains(&err, "date.jsonl:1: TrainingCompleted: ");
    contains(&err, "is not a date");
}

#[test]
fn an_empty_input_is_refused() {
    let c = Council::new();
    let err = refused(&c, &c.ig, "empty.jsonl", "# nothing\n\n");
    contains(&err, "empty.jsonl: no events found");
    let before = c.head();
    let (_, err) = c.igl().args(["append", "--key"]).arg(&c.ig.path).fails(2);
    contains(&err, "<stdin>: no events found");
    assert_eq!(c.head(), before);
}

#[test]
fn sign_names_bad_lines_and_signs_nothing() {
    let c = Council::new();
    let text = jsonl(&[
        training("P100", 20),
        json!({"type": "Nope", "occurred_at": at(1, 1)}),
    ]);
    let (out, err) = c
        .igl()
        .args(["sign", "--key"])
        .arg(&c.mgr.path)
        .stdin(text)
        .fails(2);
    assert!(out.is_empty(), "{out}");
    contains(&err, "<stdin>:2: unknown event type \"Nope\"");
    contains(&err, "nothing was signed");
}

/// An event too large to be read back (the canonical decoder refuses more than
/// `igl_schema::codec::MAX_ENCODED_LEN` bytes) must be refused on append, not stored.
#[test]
fn an_event_too_large_to_read_back_is_refused() {
    let c = Council::new();
    let subjects: Vec<String> = (0..16_000)
        .map(|i| format!("service-user:SU-{i:058}"))
        .collect();
    let mut e = training("P100", 20);
    e["subjects"] = json!(subjects);
    let line = jsonl(&[e]);
    assert!(line.len() > igl_schema::codec::MAX_ENCODED_LEN);
    let err = refused(&c, &c.ig, "huge.jsonl", &line);
    contains(&err, "huge.jsonl:1:");
    c.igl().arg("log").ok();

    // The largest event accepted is read back and verified.
    let mut n: u64 = 0;
    loop {
        let subjects: Vec<String> = (0..n).map(|i| format!("service-user:SU-{i:058}")).collect();
        let mut e = training("P100", 20);
        e["subjects"] = json!(subjects);
        c.dir.write("big.jsonl", jsonl(&[e]));
        let o = c
            .igl()
            .args(["append", "--key"])
            .arg(&c.ig.path)
            .arg("big.jsonl")
            .output();
        if !o.status.success() {
            let err = String::from_utf8_lossy(&o.stderr);
            contains(&err, "big.jsonl:1:");
            break;
        }
        n += 250;
    }
    assert!(n > 0, "an event with a few extra subjects is accepted");
    let v = c.verify();
    assert_eq!(v["head_seq"], 4 + n / 250);
    let last = c.log(&["--from", "5"]);
    assert_eq!(last.len() as u64, n / 250);
    assert_eq!(
        last.last().unwrap()["event"]["subjects"]
            .as_array()
            .unwrap()
            .len() as u64,
        n - 250 + 1
    );
}

#[test]
fn a_bad_or_duplicate_key_enrolment_is_refused() {
    let c = Council::new();
    let mut e = enrol(&c.ig, "P5", "staff");
    e["key"] = json!("00".repeat(32));
    let err = refused(&c, &c.admin, "weak.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "weak.jsonl:1: KeyEnrolled: key is a weak (small-order) ed25519 key",
    );

    let mut e = enrol(&c.ig, "P5", "staff");
    e["key"] = json!("ab".repeat(31));
    let err = refused(&c, &c.admin, "short.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "short.jsonl:1: KeyEnrolled: public key must be 64 hex digits",
    );

    let err = refused(
        &c,
        &c.admin,
        "again.jsonl",
        &jsonl(&[enrol(&c.staff, "P100", "staff")]),
    );
    contains(&err, "again.jsonl:1: seq 5: KeyEnrolled: key ");
    contains(&err, "is already enrolled");

    let mut e = enrol(&c.ig, "P5", "superuser");
    e["key"] = json!(c.dir.new_key("p5.key").public);
    let err = refused(&c, &c.admin, "role.jsonl", &jsonl(&[e]));
    contains(
        &err,
        "role.jsonl:1: KeyEnrolled: unknown variant `superuser`",
    );
}
