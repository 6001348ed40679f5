//! `json::parse_line` refuses what it must, with messages that name the problem.

use ed25519_dalek::Signer;
use igl_schema::json::{self, JsonError, Line, parse_line};
use igl_schema::*;
use serde_json::{Map, Value, json};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[0x01; 32])
}
fn person(s: &str) -> PersonId {
    PersonId::new(s).unwrap()
}
fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// A valid unsigned AccessGranted line, as a JSON object to edit.
fn access_granted() -> Map<String, Value> {
    let Value::Object(m) = json!({
        "type": "AccessGranted",
        "occurred_at": "2026-03-05T09:00:00Z",
        "grant": "G-2026-0042",
        "person": "P00107",
        "system": "Eclipse",
        "role": "Practitioner",
        "business_need": "Case work for Adult Social Care North",
        "mfa_required": true,
        "approver": "P00012"
    }) else {
        unreachable!()
    };
    m
}

fn line(m: &Map<String, Value>) -> String {
    Value::Object(m.clone()).to_string()
}

/// Parses a line that must be refused, and returns the error.
fn refused(line: &str) -> JsonError {
    match parse_line(line) {
        Ok(l) => panic!("accepted {line}\nas {l:?}"),
        Err(e) => e,
    }
}

/// Asserts the error is about `ty` and its message contains `needle`.
fn assert_refused(line: &str, ty: Option<&str>, needle: &str) {
    let e = refused(line);
    assert_eq!(e.event_type.as_deref(), ty, "event type of {e}");
    assert!(
        e.to_string().contains(needle),
        "error for {line}\nis {e:?}\nwhich does not contain {needle:?}"
    );
}

/// The signed JSON line (as `igl sign` writes it) of an event signed by `key()`.
fn signed(event: Event) -> Map<String, Value> {
    let sub = Submission::sign(
        LedgerId([0x04; 16]),
        event,
        ts("2026-03-05T09:00:00Z"),
        EventId([0x03; 16]),
        [],
        &key(),
        Salt([0x02; 32]),
    )
    .unwrap();
    json::submission_json(&sub)
}

fn access_granted_event() -> Event {
    Event::AccessGranted(AccessGranted {
        grant: GrantId::new("G-2026-0042").unwrap(),
        person: person("P00107"),
        system: SystemId::new("Eclipse").unwrap(),
        role: "Practitioner".into(),
        business_need: Pii::new("Case work for Adult Social Care North"),
        mfa_required: true,
        approver: person("P00012"),
        sponsor: None,
    })
}

#[test]
fn the_valid_lines_are_accepted() {
    assert!(matches!(
        parse_line(&line(&access_granted())),
        Ok(Line::Draft(_))
    ));
    assert!(matches!(
        parse_line(&line(&signed(access_granted_event()))),
        Ok(Line::Signed(_))
    ));
}

#[test]
fn malformed_json() {
    assert_refused(r#"{"type":"AccessGranted","#, None, "not valid JSON");
    assert_refused(
        r#"{"type":"AccessGranted" "person":"P1"}"#,
        None,
        "not valid JSON",
    );
    assert_refused("", None, "not valid JSON");
    assert_refused(r#"["AccessGranted"]"#, None, "must be a JSON object");
    assert_refused(r#""AccessGranted""#, None, "must be a JSON object");
    assert_refused(r#"{"person":"P1"}"#, None, "missing field `type`");
    assert_refused(r#"{"type":12}"#, None, "`type` must be a string");
}

#[test]
fn unknown_type() {
    let mut m = access_granted();
    m.insert("type".into(), "AccessGrantd".into());
    let e = refused(&line(&m));
    assert_eq!(e.event_type, None);
    let msg = e.to_string();
    assert!(
        msg.contains(r#"unknown event type "AccessGrantd""#),
        "{msg}"
    );
    assert!(
        msg.contains("AccessGranted"),
        "lists the known types: {msg}"
    );
}

#[test]
fn unknown_field() {
    let mut m = access_granted();
    m.insert("buisness_need".into(), "typo".into());
    assert_refused(
        &line(&m),
        Some("AccessGranted"),
        "unknown field `buisness_need`",
    );
}

#[test]
fn missing_business_need() {
    let mut m = access_granted();
    m.remove("business_need");
    let e = refused(&line(&m));
    assert_eq!(e.event_type.as_deref(), Some("AccessGranted"));
}

/// A missing personal-data field is reported as missing, by name (not as a redacted value).
#[test]
fn missing_business_need_is_named() {
    let mut m = access_granted();
    m.remove("business_need");
    assert_refused(&line(&m), Some("AccessGranted"), "business_need");
}

#[test]
fn null_business_need_is_refused_as_redacted() {
    let mut m = access_granted();
    m.insert("business_need".into(), Value::Null);
    assert_refused(&line(&m), Some("AccessGranted"), "redacted");
}

#[test]
fn empty_business_need() {
    for empty in ["", "   ", "\n\t"] {
        let mut m = access_granted();
        m.insert("business_need".into(), empty.into());
        let e = refused(&line(&m));
        assert_eq!(e.event_type.as_deref(), Some("AccessGranted"));
        assert!(
            e.to_string().contains("business_need must not be empty"),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "AccessGranted: business_need must not be empty"
        );
    }
}

#[test]
fn business_need_too_long_or_with_control_characters() {
    let mut m = access_granted();
    m.insert("business_need".into(), "x".repeat(4001).into());
    assert_refused(&line(&m), Some("AccessGranted"), "the limit is 4000");
    m.insert("business_need".into(), "x".repeat(4000).into());
    assert!(parse_line(&line(&m)).is_ok());
    m.insert("business_need".into(), "bell\u{7}".into());
    assert_refused(&line(&m), Some("AccessGranted"), "control character");
    // Plain text fields have a limit of 1000.
    m.insert("business_need".into(), "ok".into());
    m.insert("role".into(), "r".repeat(1001).into());
    assert_refused(&line(&m), Some("AccessGranted"), "role is 1001 bytes long");
}

#[test]
fn bad_identifiers() {
    let mut m = access_granted();
    m.insert("person".into(), "P 107".into());
    assert_refused(&line(&m), Some("AccessGranted"), "person id \"P 107\"");
    m.insert("person".into(), "".into());
    assert_refused(&line(&m), Some("AccessGranted"), "must not be empty");
    m.insert("person".into(), "P".repeat(65).into());
    assert_refused(&line(&m), Some("AccessGranted"), "the limit is 64");
}

#[test]
fn bad_timestamp() {
    let cases = [
        ("2026-13-01T09:00:00Z", "not an RFC 3339 time"),
        ("yesterday", "not an RFC 3339 time"),
        ("2026-03-05 09:00", "not an RFC 3339 time"),
        ("2026-03-05T09:00:00", "not an RFC 3339 time"), // no offset
        ("2026-03-05T09:00:00.0000001Z", "sub-microsecond precision"),
    ];
    for (bad, needle) in cases {
        let mut m = access_granted();
        m.insert("occurred_at".into(), bad.into());
        let e = refused(&line(&m));
        assert_eq!(e.event_type.as_deref(), Some("AccessGranted"));
        let msg = e.to_string();
        assert!(msg.contains("occurred_at"), "{msg}");
        assert!(msg.contains(needle), "{bad}: {msg}");
    }
    let mut m = access_granted();
    m.insert("occurred_at".into(), 1_772_701_200.into());
    assert_refused(&line(&m), Some("AccessGranted"), "occurred_at");
    m.remove("occurred_at");
    assert_refused(
        &line(&m),
        Some("AccessGranted"),
        "missing field `occurred_at`",
    );
    // Offsets are converted to UTC; microseconds are kept.
    m.insert(
        "occurred_at".into(),
        "2026-03-05T10:00:00.123456+01:00".into(),
    );
    let Ok(Line::Draft(d)) = parse_line(&line(&m)) else {
        panic!("an offset time is accepted")
    };
    assert_eq!(d.occurred_at, ts("2026-03-05T09:00:00.123456Z"));
}

#[test]
fn bad_dates() {
    let l = json!({
        "type": "TrainingCompleted", "occurred_at": "2026-03-05T09:00:00Z", "person": "P00107",
        "course": "protecting-information", "completed_on": "2026-02-30"
    });
    assert_refused(&l.to_string(), Some("TrainingCompleted"), "is not a date");
    let l = json!({
        "type": "TrainingCompleted", "occurred_at": "2026-03-05T09:00:00Z", "person": "P00107",
        "course": "protecting-information", "completed_on": "2026-03-01", "expires_on": "2026-03-01"
    });
    assert_refused(
        &l.to_string(),
        Some("TrainingCompleted"),
        "expires_on must be after completed_on",
    );
}

#[test]
fn signed_line_edited_after_signing() {
    let original = signed(access_granted_event());
    // The personal data: its commitment no longer matches the signed one.
    let mut m = original.clone();
    m.insert("business_need".into(), "Curiosity".into());
    assert_refused(
        &line(&m),
        Some("AccessGranted"),
        "signature does not verify",
    );
    // Any other field.
    let mut m = original.clone();
    m.insert("mfa_required".into(), false.into());
    assert_refused(
        &line(&m),
        Some("AccessGranted"),
        "signature does not verify",
    );
    // The envelope: the time, the event id, the salt (changes the commitments), the author.
    for (k, v) in [
        ("occurred_at", "2026-03-05T09:00:01Z".to_string()),
        ("event_id", "04".repeat(16)),
        ("salt", "07".repeat(32)),
        (
            "author",
            public_key(&SigningKey::from_bytes(&[9; 32])).to_hex(),
        ),
    ] {
        let mut m = original.clone();
        m.insert(k.into(), v.into());
        assert_refused(
            &line(&m),
            Some("AccessGranted"),
            "signature does not verify",
        );
    }
    // Extra subjects added after signing.
    let mut m = original.clone();
    m.insert(
        "subjects".into(),
        json!(["person:P00012", "person:P00107", "service-user:SU-1"]),
    );
    assert_refused(
        &line(&m),
        Some("AccessGranted"),
        "signature does not verify",
    );
    // The untouched line is fine.
    assert!(matches!(parse_line(&line(&original)), Ok(Line::Signed(_))));
}

#[test]
fn signed_line_envelope_must_be_complete() {
    let original = signed(access_granted_event());
    for (k, needle) in [
        ("event_id", "a signed line must carry `event_id`"),
        ("author", "a signed line must carry `author`"),
        ("subjects", "a signed line must carry `subjects`"),
        ("salt", "personal-data fields but no salt"),
    ] {
        let mut m = original.clone();
        m.remove(k);
        assert_refused(&line(&m), Some("AccessGranted"), needle);
    }
    // author or salt without a signature.
    let mut m = original.clone();
    m.remove("signature");
    assert_refused(&line(&m), Some("AccessGranted"), "without `signature`");
    // A salt on an event without personal data.
    let mut m = signed(Event::EmploymentReinstated(EmploymentReinstated {
        person: person("P00107"),
    }));
    m.insert("salt".into(), "02".repeat(32).into());
    assert_refused(
        &line(&m),
        Some("EmploymentReinstated"),
        "salt given but the event has no personal-data fields",
    );
    // A malformed signature.
    let mut m = original.clone();
    m.insert("signature".into(), "abcd".into());
    assert_refused(
        &line(&m),
        Some("AccessGranted"),
        "signature must be 128 hex digits",
    );
}

#[test]
fn breach_ico_decision_not_notified_needs_a_reason() {
    let base = json!({
        "type": "BreachIcoDecision", "occurred_at": "2026-03-05T09:00:00Z",
        "breach": "BR-2026-003", "notified": false
    });
    assert_refused(
        &base.to_string(),
        Some("BreachIcoDecision"),
        "reason is required when the ICO is not notified",
    );
    let mut with_null = base.clone();
    with_null["reason"] = Value::Null;
    assert_refused(
        &with_null.to_string(),
        Some("BreachIcoDecision"),
        "reason is required",
    );
    let mut with_reason = base.clone();
    with_reason["reason"] = "Encrypted laptop, no risk to individuals".into();
    assert!(matches!(
        parse_line(&with_reason.to_string()),
        Ok(Line::Draft(_))
    ));
    let mut empty_reason = base.clone();
    empty_reason["reason"] = "".into();
    assert_refused(
        &empty_reason.to_string(),
        Some("BreachIcoDecision"),
        "reason must not be empty",
    );
    let mut notified = base.clone();
    notified["notified"] = true.into();
    notified["ico_reference"] = "ICO-123".into();
    assert!(parse_line(&notified.to_string()).is_ok());
    // Signing refuses it too.
    let e = Submission::sign(
        LedgerId([0x04; 16]),
        Event::BreachIcoDecision(BreachIcoDecision {
            breach: BreachId::new("BR-2026-003").unwrap(),
            notified: false,
            ico_reference: None,
            reason: None,
        }),
        ts("2026-03-05T09:00:00Z"),
        EventId([3; 16]),
        [],
        &key(),
        Salt([2; 32]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("reason is required"), "{e}");
}

#[test]
fn signed_line_missing_a_derived_subject() {
    // A countersignature names the person and the manager; this one was signed (by the manager's
    // key) with a subject list that leaves the person out.
    let event = Event::DeclarationCountersigned(DeclarationCountersigned {
        declaration: Hash32([7; 32]),
        person: person("P00107"),
        manager: person("P00012"),
        training_checked: true,
    });
    let body = EventBody {
        format: FORMAT_VERSION,
        ledger_id: LedgerId([0x04; 16]),
        event_id: EventId([3; 16]),
        occurred_at: ts("2026-03-05T09:00:00Z"),
        author: public_key(&key()),
        subjects: vec![Subject::Person(person("P00012"))],
        event: event.clone(),
    };
    let signature = Signature64(key().sign(&body.signing_message()).to_bytes());
    let sub = Submission {
        event: SignedEvent { body, signature },
        salt: None,
    };
    sub.event.verify_signature().unwrap(); // the signature itself is good
    let l = line(&json::submission_json(&sub));
    assert_refused(
        &l,
        Some("DeclarationCountersigned"),
        "subjects must include person:P00107",
    );

    // The same by editing a correctly signed line.
    let mut m = signed(event);
    assert_eq!(m["subjects"], json!(["person:P00012", "person:P00107"]));
    m.insert("subjects".into(), json!(["person:P00012"]));
    assert_refused(
        &line(&m),
        Some("DeclarationCountersigned"),
        "subjects must include person:P00107",
    );
    // Out of order, or repeated.
    m.insert("subjects".into(), json!(["person:P00107", "person:P00012"]));
    assert_refused(
        &line(&m),
        Some("DeclarationCountersigned"),
        "subjects must be sorted without duplicates",
    );
    m.insert(
        "subjects".into(),
        json!(["person:P00012", "person:P00012", "person:P00107"]),
    );
    assert_refused(
        &line(&m),
        Some("DeclarationCountersigned"),
        "subjects must be sorted without duplicates",
    );
    // A subject that is not person:ID or service-user:ID.
    m.insert("subjects".into(), json!(["P00012", "person:P00107"]));
    assert_refused(
        &line(&m),
        Some("DeclarationCountersigned"),
        "must be written person:ID or service-user:ID",
    );
}

#[test]
fn draft_subjects_are_completed_not_required() {
    // In a draft, `subjects` are extra subjects: the derived ones are added when signing.
    let mut m = access_granted();
    m.insert("subjects".into(), json!(["service-user:SU-000142"]));
    let Ok(Line::Draft(d)) = parse_line(&line(&m)) else {
        panic!("a draft with extra subjects is accepted")
    };
    let sub = d
        .sign(
            LedgerId([0x04; 16]),
            &key(),
            EventId([3; 16]),
            Salt([2; 32]),
        )
        .unwrap();
    assert_eq!(
        sub.event.body.subjects,
        vec![
            Subject::Person(person("P00012")),
            Subject::Person(person("P00107")),
            Subject::ServiceUser(RecordId::new("SU-000142").unwrap()),
        ]
    );
}

#[test]
fn weak_keys_are_refused_in_events() {
    // The identity point (small order) as the key being enrolled.
    let mut weak = [0u8; 32];
    weak[0] = 1;
    let l = json!({
        "type": "KeyEnrolled", "occurred_at": "2026-03-05T09:00:00Z",
        "key": hex::encode(weak), "person": "P00107", "role": "staff"
    });
    assert_refused(&l.to_string(), Some("KeyEnrolled"), "weak (small-order)");
    let mut bad = l.clone();
    bad["role"] = "superuser".into();
    assert_refused(&bad.to_string(), Some("KeyEnrolled"), "unknown variant");
}

#[test]
fn leap_seconds_are_refused() {
    let err = igl_schema::Timestamp::parse("2016-12-31T23:59:60Z").unwrap_err();
    assert!(err.contains("leap second"), "{err}");
}

#[test]
fn too_many_subjects_are_refused() {
    let mut m = access_granted();
    let many: Vec<Value> = (0..1001)
        .map(|i| Value::String(format!("service-user:SU-{i:06}")))
        .collect();
    m.insert("subjects".into(), Value::Array(many));
    let key = igl_schema::SigningKey::from_bytes(&[1; 32]);
    let Ok(igl_schema::json::Line::Draft(d)) = igl_schema::json::parse_line(&line(&m)) else {
        panic!("a draft");
    };
    let err = d
        .sign(
            LedgerId([0x04; 16]),
            &key,
            igl_schema::EventId([1; 16]),
            igl_schema::Salt([2; 32]),
        )
        .unwrap_err();
    assert!(err.to_string().contains("the limit is 1000"), "{err}");
}

#[test]
fn cached_key_verification_agrees_with_verify_signature() {
    let good = Submission::sign(
        LedgerId([0x04; 16]),
        access_granted_event(),
        ts("2026-03-05T09:00:00Z"),
        EventId([0x03; 16]),
        [],
        &key(),
        Salt([0x02; 32]),
    )
    .unwrap()
    .event;
    let mut forged = good.clone();
    forged.signature.0[0] ^= 1;
    // Another author's key, valid as a point: the signature is not theirs.
    let mut other = good.clone();
    other.body.author = public_key(&SigningKey::from_bytes(&[0x09; 32]));
    // Not a point on the curve: the first small y with no x.
    let mut not_a_key = good.clone();
    not_a_key.body.author = (2u8..)
        .map(|y| {
            let mut b = [0u8; 32];
            b[0] = y;
            PublicKey(b)
        })
        .find(|k| ed25519_dalek::VerifyingKey::from_bytes(&k.0).is_err())
        .expect("half of all y have no point");
    let mut keys = VerifyingKeys::default();
    // Twice each, so the second check of each key comes from the cache.
    for _ in 0..2 {
        for e in [&good, &forged, &other, &not_a_key] {
            assert_eq!(
                e.verify_signature_cached(&mut keys),
                e.verify_signature(),
                "cached and uncached checks differ for author {:?}",
                e.body.author
            );
        }
    }
    assert!(good.verify_signature_cached(&mut keys).is_ok());
    assert_eq!(forged.verify_signature(), Err(EventError::BadSignature));
    assert_eq!(not_a_key.verify_signature(), Err(EventError::BadAuthorKey));

    // A full cache starts afresh rather than growing, and still answers correctly.
    let mut keys = VerifyingKeys::default();
    for i in 0..VerifyingKeys::MAX as u32 + 10 {
        let mut b = public_key(&key()).0;
        b[28..].copy_from_slice(&i.to_be_bytes());
        let _ = keys.get(&PublicKey(b));
    }
    assert!(good.verify_signature_cached(&mut keys).is_ok());
    assert_eq!(
        forged.verify_signature_cached(&mut keys),
        Err(EventError::BadSignature)
    );
}

#[test]
fn checkpoint_cosignatures_are_bounded_and_well_formed() {
    use igl_schema::note::Cosignature;
    let cosig = |name: &str, time: u64, id: u8| Cosignature {
        name: name.into(),
        key_id: KeyId([id; 4]),
        time,
        signature: Signature64([9; 64]),
    };
    let event = |cosignatures: Vec<Cosignature>| {
        Event::CheckpointRecorded(CheckpointRecorded {
            tree_size: 5,
            root: Hash32([1; 32]),
            time: ts("2026-03-05T09:00:00Z"),
            note_signature: Signature64([2; 64]),
            cosignatures,
            key_history: Hash32::ZERO,
            subject_map_size: 0,
            subject_map_root: Hash32::ZERO,
        })
    };
    assert!(
        event(vec![cosig("partner.example/w", 1_800_000_000, 1)])
            .validate()
            .is_ok()
    );
    let many: Vec<Cosignature> = (0..33).map(|i| cosig("w", 1, i)).collect();
    for (bad, why) in [
        (many, "at most 32"),
        (vec![cosig("two words", 1, 1)], "not a signed-note key name"),
        (vec![cosig("a+b", 1, 1)], "not a signed-note key name"),
        (vec![cosig("", 1, 1)], "not a signed-note key name"),
        (
            vec![cosig(&"w".repeat(256), 1, 1)],
            "not a signed-note key name",
        ),
        (vec![cosig("w", 0, 1)], "timestamp 0"),
        (vec![cosig("w", 1 << 63, 1)], "timestamp"),
        (
            vec![cosig("w", 1, 1), cosig("w", 2, 1)],
            "two cosignatures by w",
        ),
    ] {
        let err = event(bad).validate().unwrap_err();
        assert!(err.to_string().contains(why), "{why}: {err}");
    }
}
