//! Golden vectors: rebuilds every vector of `schema/FORMAT.md` from its fixed inputs and checks the
//! document's hex, so the document and the code cannot drift apart. The checks on the document's
//! bytes (decoding, signatures, hashes, commitments) are written against the primitives directly
//! (ed25519, blake3, little-endian integers), as an independent verifier would.
//!
//! When a vector legitimately changes (it never should for a released format), the failure message
//! prints the blocks as they are now computed.

use std::collections::BTreeSet;

use ed25519_dalek::{Signature, Signer, VerifyingKey};
use igl_schema::codec::{
    self, CONTEXT_ENTRY_HASH, CONTEXT_KEY_HISTORY, MAX_ENCODED_LEN, PII_PREFIX, SIG_PREFIX_EVENT,
    SIG_PREFIX_SEAL,
};
use igl_schema::json::{self, Line};
use igl_schema::note;
use igl_schema::*;

// ---------------------------------------------------------------------------------------------
// The fixed inputs (FORMAT.md, "Golden vectors").

fn key() -> SigningKey {
    SigningKey::from_bytes(&[0x01; 32])
}
const SALT: Salt = Salt([0x02; 32]);
const EVENT_ID: EventId = EventId([0x03; 16]);
const LEDGER_ID: LedgerId = LedgerId([0x04; 16]);
const PREV_HASH: Hash32 = Hash32([0x05; 32]);
const SEQ: u64 = 7;
const OCCURRED_AT: &str = "2026-03-05T09:00:00Z";
const RECORDED_AT: &str = "2026-03-05T09:30:00.123456Z";
const SEALED_AT: &str = "2026-03-05T09:30:00.2Z";
const BUSINESS_NEED: &str = "Case work for Adult Social Care North";

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}
fn person(s: &str) -> PersonId {
    PersonId::new(s).unwrap()
}

fn access_granted_event() -> Event {
    Event::AccessGranted(AccessGranted {
        grant: GrantId::new("G-2026-0042").unwrap(),
        person: person("P00107"),
        system: SystemId::new("Eclipse").unwrap(),
        role: "Practitioner".into(),
        business_need: Pii::new(BUSINESS_NEED),
        mfa_required: true,
        approver: person("P00012"),
        sponsor: Some(person("P00003")),
    })
}

fn access_granted() -> Submission {
    Submission::sign(
        LEDGER_ID,
        access_granted_event(),
        ts(OCCURRED_AT),
        EVENT_ID,
        [],
        &key(),
        SALT,
    )
    .unwrap()
}

fn entry() -> Entry {
    Entry {
        seq: SEQ,
        prev_hash: PREV_HASH,
        recorded_at: ts(RECORDED_AT),
        event: access_granted().event,
    }
}

fn seal_body() -> SealBody {
    SealBody {
        ledger_id: LEDGER_ID,
        first_seq: SEQ,
        last_seq: SEQ,
        head_hash: entry().hash(),
        sealed_at: ts(SEALED_AT),
        appender: public_key(&key()),
    }
}

fn record_accessed() -> Submission {
    Submission::sign(
        LEDGER_ID,
        Event::RecordAccessed(RecordAccessed {
            person: person("P00107"),
            system: SystemId::new("Eclipse").unwrap(),
            record: RecordId::new("SU-000142").unwrap(),
            purpose: Pii::new("Weekly visit notes"),
            device: None,
        }),
        ts(OCCURRED_AT),
        EVENT_ID,
        [],
        &key(),
        SALT,
    )
    .unwrap()
}

fn person_enrolled() -> Submission {
    Submission::sign(
        LEDGER_ID,
        Event::PersonEnrolled(PersonEnrolled {
            person: person("P00107"),
            name: Pii::new("Aisha Begum"),
            job_title: Pii::new("Social Worker"),
            business_unit: "Adult Social Care North".into(),
            organisation: OrgId::new("plymouth-city-council").unwrap(),
            line_manager: Some(person("P00012")),
        }),
        ts(OCCURRED_AT),
        EVENT_ID,
        [],
        &key(),
        SALT,
    )
    .unwrap()
}

fn training_completed() -> Event {
    Event::TrainingCompleted(TrainingCompleted {
        person: person("P00107"),
        course: CourseId::new("protecting-information").unwrap(),
        completed_on: Date::ymd(2026, 3, 1).unwrap(),
        expires_on: Some(Date::ymd(2027, 3, 1).unwrap()),
    })
}

fn checkpoint() -> note::SignedCheckpoint {
    let cp = note::Checkpoint {
        origin: note::origin(&LEDGER_ID),
        size: 8,
        root: Hash32([0x06; 32]),
    };
    let sig = cp.sign(&key());
    note::SignedCheckpoint::new(cp, sig, &public_key(&key()))
}

/// Every golden block of FORMAT.md, as computed by this build: (marker, content).
fn vectors() -> Vec<(&'static str, String)> {
    let sub = access_granted();
    let entry = entry();
    let seal = seal_body().sign(&key());
    let payload = sub.payload().unwrap();
    let pe = person_enrolled();
    let pe_pii = pe.event.body.event.pii();
    let json_line = serde_json::to_string(&json::submission_json(&sub)).unwrap();
    vec![
        ("context_entry_hash", hex::encode(CONTEXT_ENTRY_HASH)),
        ("sig_prefix_event", hex::encode(SIG_PREFIX_EVENT)),
        ("sig_prefix_seal", hex::encode(SIG_PREFIX_SEAL)),
        ("pii_prefix", hex::encode(PII_PREFIX)),
        ("context_key_history", hex::encode(CONTEXT_KEY_HISTORY)),
        (
            "key_history_step",
            key_history_step(&Hash32::ZERO, SEQ, &public_key(&key()), &PREV_HASH).to_hex(),
        ),
        ("public_key", public_key(&key()).to_hex()),
        (
            "access_granted_commitment",
            sub.event.body.event.pii()[0].commitment().to_hex(),
        ),
        (
            "access_granted_body",
            hex::encode(codec::encode(&sub.event.body)),
        ),
        (
            "access_granted_body_annotated",
            hex::encode(codec::encode(&sub.event.body)),
        ),
        ("access_granted_signature", sub.event.signature.to_hex()),
        ("access_granted_json", json_line),
        ("entry", hex::encode(entry.encode())),
        ("entry_hash", entry.hash().to_hex()),
        ("seal_body", hex::encode(codec::encode(&seal.body))),
        ("seal_signature", seal.signature.to_hex()),
        ("seal", hex::encode(codec::encode(&seal))),
        ("payload", hex::encode(codec::encode(&payload))),
        (
            "record_accessed_body",
            hex::encode(codec::encode(&record_accessed().event.body)),
        ),
        (
            "person_enrolled_body",
            hex::encode(codec::encode(&pe.event.body)),
        ),
        (
            "person_enrolled_commitment_0",
            pe_pii[0].commitment().to_hex(),
        ),
        (
            "person_enrolled_commitment_1",
            pe_pii[1].commitment().to_hex(),
        ),
        (
            "training_completed_event",
            hex::encode(codec::encode(&training_completed())),
        ),
        (
            "checkpoint_note",
            checkpoint().to_text().trim_end().to_string(),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Reading FORMAT.md.

fn format_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The markers of every golden block in the document, in order.
fn markers(doc: &str) -> Vec<String> {
    doc.lines()
        .filter_map(|l| l.trim().strip_prefix("<!-- golden:"))
        .filter_map(|l| l.strip_suffix("-->"))
        .map(|l| l.trim().to_string())
        .collect()
}

/// The raw content of the fenced block after `<!-- golden:NAME -->`.
fn block(doc: &str, name: &str) -> Option<String> {
    let marker = format!("<!-- golden:{name} -->");
    let mut lines = doc.lines().skip_while(|l| l.trim() != marker).skip(1);
    let fence = lines.next()?;
    if !fence.trim_start().starts_with("```") {
        panic!("golden:{name}: the marker must be followed directly by a fenced block");
    }
    let body: Vec<&str> = lines
        .take_while(|l| !l.trim_start().starts_with("```"))
        .collect();
    Some(body.join("\n"))
}

/// A hex block's digits: `#` starts a comment; whitespace is ignored.
fn hex_digits(content: &str) -> String {
    content
        .lines()
        .map(|l| l.split('#').next().unwrap())
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

/// Whether a golden block is text (JSON, a signed note) rather than hex.
fn is_text(name: &str) -> bool {
    name.ends_with("_json") || name.ends_with("_note")
}

/// The normalised content of a golden block: hex digits for hex blocks, trimmed text otherwise.
fn golden(doc: &str, name: &str) -> String {
    let content = block(doc, name).unwrap_or_else(|| panic!("FORMAT.md has no golden:{name}"));
    if is_text(name) {
        content.trim().to_string()
    } else {
        hex_digits(&content)
    }
}

fn golden_bytes(doc: &str, name: &str) -> Vec<u8> {
    hex::decode(golden(doc, name)).unwrap_or_else(|e| panic!("golden:{name} is not hex: {e}"))
}

/// Wraps hex at 64 digits a line, as the document writes it.
fn wrap(hex: &str) -> String {
    hex.as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// The document matches the code.

#[test]
fn format_md_vectors_match_the_code() {
    let doc = format_md();
    let mut wrong = Vec::new();
    for (name, computed) in vectors() {
        let documented = block(&doc, name).map(|_| golden(&doc, name));
        if documented.as_deref() != Some(computed.as_str()) {
            wrong.push((name, computed));
        }
    }
    if !wrong.is_empty() && std::env::var_os("IGL_BLESS").is_some() {
        // `IGL_BLESS=1` rewrites the differing blocks in place (annotated blocks by hand).
        let mut doc = doc.clone();
        for (name, computed) in &wrong {
            if name.ends_with("_annotated") {
                continue;
            }
            let marker = format!("<!-- golden:{name} -->\n");
            let at = doc.find(&marker).expect("marker") + marker.len();
            let open = doc[at..].find('\n').unwrap() + at + 1;
            let close = open + doc[open..].find("```").unwrap();
            let shown = if is_text(name) {
                computed.clone()
            } else {
                wrap(computed)
            };
            doc.replace_range(open..close, &format!("{shown}\n"));
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md");
        std::fs::write(path, doc).unwrap();
        return;
    }
    if !wrong.is_empty() {
        let mut msg =
            String::from("FORMAT.md golden vectors differ from the code. Computed now:\n");
        for (name, computed) in &wrong {
            let shown = if is_text(name) {
                computed.clone()
            } else {
                wrap(computed)
            };
            msg += &format!("\n<!-- golden:{name} -->\n```\n{shown}\n```\n");
        }
        panic!("{msg}");
    }
}

#[test]
fn every_golden_block_in_format_md_is_checked() {
    let doc = format_md();
    let known: BTreeSet<&str> = vectors().iter().map(|(n, _)| *n).collect();
    let found = markers(&doc);
    for m in &found {
        assert!(
            known.contains(m.as_str()),
            "FORMAT.md has golden:{m}, which no test checks"
        );
    }
    let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(
        found.len(),
        markers(&doc).len(),
        "a golden marker is repeated"
    );
}

// ---------------------------------------------------------------------------------------------
// The documented bytes, checked the way an independent verifier would.

/// Decodes canonical bytes, checks they re-encode identically, and returns the value.
fn roundtrip<T: bincode::Decode<()> + bincode::Encode>(bytes: &[u8]) -> T {
    let value: T = codec::decode(bytes).expect("golden bytes decode");
    assert_eq!(
        codec::encode(&value),
        bytes,
        "golden bytes re-encode identically"
    );
    // Trailing bytes are refused.
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(matches!(
        codec::decode::<T>(&longer),
        Err(CodecError::Trailing(1))
    ));
    value
}

#[test]
fn golden_bytes_decode_and_reencode_identically() {
    let doc = format_md();
    let body_bytes = golden_bytes(&doc, "access_granted_body");
    assert_eq!(body_bytes.len(), 270);
    let body: EventBody = roundtrip(&body_bytes);
    assert_eq!(body.format, FORMAT_VERSION);
    assert_eq!(body.ledger_id, LEDGER_ID);
    assert_eq!(body.event_id, EVENT_ID);
    assert_eq!(body.occurred_at, ts(OCCURRED_AT));
    assert_eq!(body.author, public_key(&key()));
    assert_eq!(body.event.type_name(), "AccessGranted");
    body.validate().unwrap();

    let entry: Entry = roundtrip(&golden_bytes(&doc, "entry"));
    assert_eq!(entry.seq, SEQ);
    assert_eq!(entry.prev_hash, PREV_HASH);
    assert_eq!(entry.recorded_at, ts(RECORDED_AT));
    assert_eq!(entry.event.body, body);

    assert_eq!(golden_bytes(&doc, "seal_body").len(), 104);
    assert_eq!(golden_bytes(&doc, "seal").len(), 168);
    let seal_body: SealBody = roundtrip(&golden_bytes(&doc, "seal_body"));
    assert_eq!(seal_body, self::seal_body());
    let seal: Seal = roundtrip(&golden_bytes(&doc, "seal"));
    assert_eq!(seal.body, seal_body);

    let payload: Payload = roundtrip(&golden_bytes(&doc, "payload"));
    assert_eq!(payload.salt, SALT);
    assert_eq!(payload.values, vec![BUSINESS_NEED.to_string()]);

    let ra: EventBody = roundtrip(&golden_bytes(&doc, "record_accessed_body"));
    assert_eq!(
        ra.subjects,
        vec![
            Subject::Person(person("P00107")),
            Subject::ServiceUser(RecordId::new("SU-000142").unwrap())
        ]
    );
    let pe: EventBody = roundtrip(&golden_bytes(&doc, "person_enrolled_body"));
    assert_eq!(pe.event.type_name(), "PersonEnrolled");
    let tc: Event = roundtrip(&golden_bytes(&doc, "training_completed_event"));
    assert_eq!(tc, training_completed());

    // The envelope: a seal and a signed event are their body followed by the 64-byte signature.
    let seal_bytes = golden_bytes(&doc, "seal");
    assert_eq!(
        seal_bytes,
        [
            golden_bytes(&doc, "seal_body"),
            golden_bytes(&doc, "seal_signature")
        ]
        .concat()
    );
    let entry_bytes = golden_bytes(&doc, "entry");
    let mut expected = Vec::new();
    expected.extend_from_slice(&SEQ.to_le_bytes());
    expected.extend_from_slice(&PREV_HASH.0);
    expected.extend_from_slice(&ts(RECORDED_AT).micros().to_le_bytes());
    expected.extend_from_slice(&golden_bytes(&doc, "access_granted_body"));
    expected.extend_from_slice(&golden_bytes(&doc, "access_granted_signature"));
    assert_eq!(entry_bytes, expected);
}

#[test]
fn golden_signatures_verify_strictly() {
    let doc = format_md();
    let pk: [u8; 32] = golden_bytes(&doc, "public_key").try_into().unwrap();
    let vk = VerifyingKey::from_bytes(&pk).unwrap();
    assert_eq!(vk, key().verifying_key());

    // Event signature: over SIG_PREFIX_EVENT || canonical EventBody.
    let body = golden_bytes(&doc, "access_granted_body");
    let sig: [u8; 64] = golden_bytes(&doc, "access_granted_signature")
        .try_into()
        .unwrap();
    let msg = [golden_bytes(&doc, "sig_prefix_event"), body.clone()].concat();
    vk.verify_strict(&msg, &Signature::from_bytes(&sig))
        .unwrap();
    // ed25519 signatures are deterministic: the same key signs the same message identically.
    assert_eq!(key().sign(&msg).to_bytes(), sig);
    // The body alone, or under the seal prefix, does not verify.
    assert!(
        vk.verify_strict(&body, &Signature::from_bytes(&sig))
            .is_err()
    );
    let wrong = [SIG_PREFIX_SEAL, &body].concat();
    assert!(
        vk.verify_strict(&wrong, &Signature::from_bytes(&sig))
            .is_err()
    );
    // Through the crate.
    let entry: Entry = codec::decode(&golden_bytes(&doc, "entry")).unwrap();
    entry.event.verify_signature().unwrap();

    // Seal signature: over SIG_PREFIX_SEAL || canonical SealBody.
    let seal_body = golden_bytes(&doc, "seal_body");
    let seal_sig: [u8; 64] = golden_bytes(&doc, "seal_signature").try_into().unwrap();
    let msg = [golden_bytes(&doc, "sig_prefix_seal"), seal_body].concat();
    vk.verify_strict(&msg, &Signature::from_bytes(&seal_sig))
        .unwrap();
    let seal: Seal = codec::decode(&golden_bytes(&doc, "seal")).unwrap();
    assert!(seal.verify_signature());
}

#[test]
fn golden_entry_hash_and_seal_head() {
    let doc = format_md();
    let context = String::from_utf8(golden_bytes(&doc, "context_entry_hash")).unwrap();
    let entry_bytes = golden_bytes(&doc, "entry");
    let hash = blake3::derive_key(&context, &entry_bytes);
    assert_eq!(hash.to_vec(), golden_bytes(&doc, "entry_hash"));
    assert_eq!(entry_hash(&entry_bytes).0, hash);
    // The seal's head_hash is the entry hash: ledger_id (16) + first_seq (8) + last_seq (8).
    let seal_body = golden_bytes(&doc, "seal_body");
    assert_eq!(&seal_body[..16], &LEDGER_ID.0);
    assert_eq!(&seal_body[32..64], &hash);
}

#[test]
fn golden_commitments() {
    let doc = format_md();
    let prefix = golden_bytes(&doc, "pii_prefix");
    let commit = |index: u32, value: &str| {
        let input = [&prefix[..], &index.to_le_bytes(), value.as_bytes()].concat();
        blake3::keyed_hash(&SALT.0, &input).as_bytes().to_vec()
    };
    let c = golden_bytes(&doc, "access_granted_commitment");
    assert_eq!(c, commit(0, BUSINESS_NEED));
    // The commitment sits in the body where the business_need field is, and nowhere is the value.
    let body = golden_bytes(&doc, "access_granted_body");
    assert!(body.windows(32).any(|w| w == c));
    assert!(
        !body
            .windows(BUSINESS_NEED.len())
            .any(|w| w == BUSINESS_NEED.as_bytes())
    );

    assert_eq!(
        golden_bytes(&doc, "person_enrolled_commitment_0"),
        commit(0, "Aisha Begum")
    );
    assert_eq!(
        golden_bytes(&doc, "person_enrolled_commitment_1"),
        commit(1, "Social Worker")
    );

    // Opening the documented entry with the documented payload restores the value.
    let mut entry: Entry = codec::decode(&golden_bytes(&doc, "entry")).unwrap();
    let payload: Payload = codec::decode(&golden_bytes(&doc, "payload")).unwrap();
    assert_eq!(entry.event.body.event.pii()[0].value(), None);
    entry.event.open(&payload).unwrap();
    assert_eq!(entry.event.body.event.pii()[0].value(), Some(BUSINESS_NEED));
    // A payload with another value does not open it.
    let forged = Payload {
        salt: SALT,
        values: vec!["Something else".into()],
    };
    let mut entry: Entry = codec::decode(&golden_bytes(&doc, "entry")).unwrap();
    assert!(entry.event.open(&forged).is_err());
}

#[test]
fn golden_json_line_parses_to_the_golden_body() {
    let doc = format_md();
    let line = golden(&doc, "access_granted_json");
    let Line::Signed(sub) = json::parse_line(&line).unwrap() else {
        panic!("a signed line parses as Line::Signed");
    };
    assert_eq!(
        codec::encode(&sub.event.body),
        golden_bytes(&doc, "access_granted_body")
    );
    assert_eq!(
        sub.event.signature.0.to_vec(),
        golden_bytes(&doc, "access_granted_signature")
    );
    assert_eq!(sub.salt, Some(SALT));
}

#[test]
fn golden_primitives() {
    // Spot checks of the primitive encodings the document describes.
    assert_eq!(codec::encode(&1u16), [1, 0]);
    assert_eq!(codec::encode(&-1i64), [0xff; 8]);
    assert_eq!(codec::encode(&true), [1]);
    assert_eq!(codec::encode(&Some(5u8)), [1, 5]);
    assert_eq!(codec::encode(&None::<u8>), [0]);
    assert_eq!(
        codec::encode(&"ab".to_string()),
        [2, 0, 0, 0, 0, 0, 0, 0, b'a', b'b']
    );
    assert_eq!(codec::encode(&vec![7u8]), [1, 0, 0, 0, 0, 0, 0, 0, 7]);
    assert_eq!(codec::encode(&Hash32([9; 32])), [9; 32]);
    assert_eq!(
        codec::encode(&Timestamp::from_micros(-1).unwrap()),
        (-1i64).to_le_bytes()
    );
    assert_eq!(
        codec::encode(&Date::ymd(1969, 12, 31).unwrap()),
        (-1i32).to_le_bytes()
    );
    assert_eq!(codec::encode(&Date::ymd(1970, 1, 1).unwrap()), [0; 4]);
    assert_eq!(
        codec::encode(&Subject::ServiceUser(RecordId::new("S").unwrap())),
        [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, b'S']
    );
    assert_eq!(codec::encode(&Role::SystemFeed), 4u32.to_le_bytes());
    assert_eq!(MAX_ENCODED_LEN, 1 << 20);
    // The inputs table of FORMAT.md.
    assert_eq!(ts(OCCURRED_AT).micros(), 1_772_701_200_000_000);
    assert_eq!(ts(RECORDED_AT).micros(), 1_772_703_000_123_456);
    assert_eq!(ts(SEALED_AT).micros(), 1_772_703_000_200_000);
    assert_eq!(Date::ymd(2026, 3, 1).unwrap().days(), 20513);
    assert_eq!(Date::ymd(2027, 3, 1).unwrap().days(), 20878);
    // Non-canonical values are refused: a bool other than 0/1, an Option tag other than 0/1.
    assert!(codec::decode::<bool>(&[2]).is_err());
    assert!(codec::decode::<Option<u8>>(&[2, 0]).is_err());
}

#[test]
fn golden_checkpoint_note() {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    let doc = format_md();
    let text = golden(&doc, "checkpoint_note");
    let pk = public_key(&key());
    let (body, sigs) = text.split_once("\n\n").unwrap();
    let body = format!("{body}\n");
    let origin = body.lines().next().unwrap();
    assert_eq!(origin, format!("igledger/{}", LEDGER_ID.to_hex()));
    // One signature line: "— origin base64(key hash ‖ signature)".
    let (name, b64) = sigs
        .trim_end()
        .strip_prefix("\u{2014} ")
        .unwrap()
        .rsplit_once(' ')
        .unwrap();
    assert_eq!(name, origin);
    let blob = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(blob.len(), 4 + 64);
    let key_hash = Sha256::digest([origin.as_bytes(), b"\n", &[0x01], &pk.0].concat());
    assert_eq!(blob[..4], key_hash[..4]);
    let sig: [u8; 64] = blob[4..].try_into().unwrap();
    let vk = VerifyingKey::from_bytes(&pk.0).unwrap();
    vk.verify_strict(body.as_bytes(), &Signature::from_bytes(&sig))
        .unwrap();
    // Through the crate.
    let sc = note::SignedCheckpoint::parse(&format!("{text}\n")).unwrap();
    assert!(sc.verify(&pk));
    assert_eq!(sc.checkpoint.size, 8);
    assert_eq!(sc.checkpoint.root, Hash32([0x06; 32]));
}

// ---------------------------------------------------------------------------------------------
// The catalogue and enum tables of FORMAT.md match the code.

/// Rows `| a | b | c |` of the markdown table that follows `<!-- table:NAME -->`, as cells.
fn table(doc: &str, name: &str) -> Vec<Vec<String>> {
    let marker = format!("<!-- table:{name} -->");
    let rows: Vec<Vec<String>> = doc
        .lines()
        .skip_while(|l| l.trim() != marker)
        .skip(1)
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            let l = l.trim().trim_start_matches('|').trim_end_matches('|');
            l.split('|').map(|c| c.trim().to_string()).collect()
        })
        .collect();
    assert!(rows.len() > 2, "FORMAT.md has no table:{name}");
    rows.into_iter().skip(2).collect() // header and separator
}

/// The identifiers written in backquotes in a cell, each up to its first `:` if any.
fn quoted_names(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(|s| s.split(':').next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn format_md_event_table_matches_the_catalogue() {
    let doc = format_md();
    let rows = table(&doc, "events");
    let documented: Vec<&str> = rows.iter().map(|r| r[1].trim_matches('`')).collect();
    assert_eq!(documented, Event::TYPES, "event types and tags");
    for (tag, row) in rows.iter().enumerate() {
        assert_eq!(row[0], tag.to_string(), "tag of {}", row[1]);
        let ty = row[1].trim_matches('`');
        assert_eq!(
            quoted_names(&row[2]),
            Event::field_names(ty).unwrap(),
            "fields of {ty}"
        );
    }
}

#[test]
fn format_md_enum_tables_match_the_code() {
    fn names<T: std::fmt::Display>(all: &[T]) -> Vec<String> {
        all.iter().map(|v| v.to_string()).collect()
    }
    let doc = format_md();
    let rows = table(&doc, "enums");
    let code: Vec<(&str, Vec<String>)> = vec![
        ("Role", names(Role::ALL)),
        ("OrgKind", names(OrgKind::ALL)),
        ("AgreementKind", names(AgreementKind::ALL)),
        ("Scheme", names(Scheme::ALL)),
        ("RevocationReason", names(RevocationReason::ALL)),
        ("BreachKind", names(BreachKind::ALL)),
        ("Right", names(Right::ALL)),
        ("ReviewDecision", names(ReviewDecision::ALL)),
    ];
    let documented: Vec<(String, Vec<String>)> = rows
        .iter()
        .map(|r| {
            let variants = r[1]
                .split(',')
                .map(|v| {
                    let (i, name) = v.trim().split_once(' ').unwrap();
                    (i.to_string(), name.trim_matches('`').to_string())
                })
                .collect::<Vec<_>>();
            for (n, (i, _)) in variants.iter().enumerate() {
                assert_eq!(*i, n.to_string(), "index in {}", r[0]);
            }
            (
                r[0].trim_matches('`').to_string(),
                variants.into_iter().map(|(_, n)| n).collect(),
            )
        })
        .collect();
    let code: Vec<(String, Vec<String>)> =
        code.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
    assert_eq!(documented, code);
    // Each is encoded as its u32 index.
    for (i, r) in Role::ALL.iter().enumerate() {
        assert_eq!(codec::encode(r), (i as u32).to_le_bytes());
    }
    for (i, r) in Right::ALL.iter().enumerate() {
        assert_eq!(codec::encode(r), (i as u32).to_le_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// The role table of FORMAT.md ("Roles: who may sign what") matches `Event::allowed_roles`.

/// One event of each type, as JSON (`"type"` and the required fields; optional fields left out).
/// Only `allowed_roles` is read from them, which depends on the type alone.
fn one_event_of_each_type() -> Vec<Event> {
    const KEY: &str = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    const HASH: &str = "0606060606060606060606060606060606060606060606060606060606060606";
    let sig = "07".repeat(64);
    let samples = [
        serde_json::json!({"type": "LedgerCreated", "ledger_id": "04040404040404040404040404040404",
            "organisation": "o1", "organisation_name": "Org", "admin_key": KEY, "admin_person": "P1"}),
        serde_json::json!({"type": "OrganisationRegistered", "organisation": "o1", "name": "Org",
            "kind": "partner"}),
        serde_json::json!({"type": "KeyEnrolled", "key": KEY, "person": "P1", "role": "staff"}),
        serde_json::json!({"type": "KeyRevoked", "key": KEY, "person": "P1", "reason": "left"}),
        serde_json::json!({"type": "PersonEnrolled", "person": "P1", "name": "A", "job_title": "B",
            "business_unit": "C", "organisation": "o1"}),
        serde_json::json!({"type": "PolicyPublished", "policy": "p", "version": "1", "title": "T",
            "text_blake3": HASH}),
        serde_json::json!({"type": "DeclarationSigned", "person": "P1", "policy": "p", "version": "1",
            "confirms_training": true}),
        serde_json::json!({"type": "DeclarationCountersigned", "declaration": HASH, "person": "P1",
            "manager": "P2", "training_checked": true}),
        serde_json::json!({"type": "TrainingCompleted", "person": "P1", "course": "c",
            "completed_on": "2026-03-01"}),
        serde_json::json!({"type": "AgreementSigned", "organisation": "o1", "kind": "isa",
            "reference": "R", "valid_from": "2026-03-01"}),
        serde_json::json!({"type": "AccreditationRecorded", "organisation": "o1", "scheme": "nhs_dspt",
            "reference": "R", "awarded_on": "2026-03-01", "valid_until": "2027-03-01"}),
        serde_json::json!({"type": "DeviceAttested", "person": "P1", "device": "D", "council_provided": true,
            "not_shared": true, "os_supported": true, "patched": true, "antivirus_current": true}),
        serde_json::json!({"type": "AccessGranted", "grant": "G", "person": "P1", "system": "S",
            "role": "R", "business_need": "N", "mfa_required": true, "approver": "P2"}),
        serde_json::json!({"type": "AccessReviewed", "grant": "G", "person": "P1", "reviewer": "P2",
            "still_needed": true}),
        serde_json::json!({"type": "AccessRevoked", "grant": "G", "person": "P1", "reason": "leaver"}),
        serde_json::json!({"type": "EmploymentEnded", "person": "P1"}),
        serde_json::json!({"type": "EmploymentSuspended", "person": "P1"}),
        serde_json::json!({"type": "EmploymentReinstated", "person": "P1"}),
        serde_json::json!({"type": "RecordAccessed", "person": "P1", "system": "S", "record": "SU1",
            "purpose": "P"}),
        serde_json::json!({"type": "BreachReported", "breach": "B", "reported_by": "P1",
            "aware_at": OCCURRED_AT, "kind": "loss", "description": "D"}),
        serde_json::json!({"type": "BreachUpdated", "breach": "B", "note": "N"}),
        serde_json::json!({"type": "BreachIcoDecision", "breach": "B", "notified": true}),
        serde_json::json!({"type": "BreachClosed", "breach": "B"}),
        serde_json::json!({"type": "SubjectRightsRequestReceived", "request": "Q", "right": "access",
            "data_subject": "person:P1"}),
        serde_json::json!({"type": "SubjectRightsIdentityVerified", "request": "Q",
            "data_subject": "person:P1"}),
        serde_json::json!({"type": "SubjectRightsRequestExtended", "request": "Q",
            "data_subject": "person:P1", "reason": "R"}),
        serde_json::json!({"type": "SubjectRightsRequestFulfilled", "request": "Q",
            "data_subject": "person:P1"}),
        serde_json::json!({"type": "SubjectRightsRequestRefused", "request": "Q",
            "data_subject": "person:P1", "reason": "R"}),
        serde_json::json!({"type": "Redacted", "seq": 1, "entry_hash": HASH, "reason": "R"}),
        serde_json::json!({"type": "CheckpointRecorded", "tree_size": 1, "root": HASH,
            "time": OCCURRED_AT, "note_signature": sig, "cosignatures": [], "key_history": HASH,
            "subject_map_size": 3, "subject_map_root": HASH}),
        serde_json::json!({"type": "SubjectRightsClarificationRequested", "request": "Q",
            "data_subject": "person:P1", "asked": "A"}),
        serde_json::json!({"type": "SubjectRightsClarificationReceived", "request": "Q",
            "data_subject": "person:P1"}),
        serde_json::json!({"type": "ReviewCampaignOpened", "campaign": "C", "title": "T",
            "system": "S", "organisation": "O", "reports_of": "P2", "reviewer": "P3",
            "owner": "P4", "due": "2026-12-31", "default_decision": "revoke"}),
        serde_json::json!({"type": "ReviewDecisionRecorded", "campaign": "C", "grant": "G",
            "person": "P1", "reviewer": "P3", "decision": "change", "new_role": "R",
            "justification": "J"}),
    ];
    samples
        .into_iter()
        .map(|mut v| {
            let ty = v["type"].as_str().unwrap().to_string();
            let fields = Event::field_names(&ty)
                .unwrap_or_else(|| panic!("{ty} is not an event type of this build"));
            // A sample key the type no longer has is dropped; a field it gained fails below.
            v.as_object_mut()
                .unwrap()
                .retain(|k, _| k == "type" || fields.contains(&k.as_str()));
            serde_json::from_value::<Event>(v)
                .unwrap_or_else(|e| panic!("the test's sample {ty} is out of date: {e}"))
        })
        .collect()
}

/// The rows of the table that directly follows `<!-- roles-table -->`: (event, roles).
fn roles_table(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut lines = doc
        .lines()
        .skip_while(|l| l.trim() != "<!-- roles-table -->")
        .skip(1);
    let cells = |l: &str| -> Vec<String> {
        l.trim()
            .trim_start_matches('|')
            .trim_end_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let header = lines
        .next()
        .expect("FORMAT.md has no <!-- roles-table --> marker followed by a table");
    assert_eq!(
        cells(header),
        ["event", "roles"],
        "the line after <!-- roles-table --> must be the table's header"
    );
    let separator = lines.next().expect("the roles table has a separator line");
    assert!(
        cells(separator)
            .iter()
            .all(|c| c.trim_matches(['-', ':']).is_empty()),
        "the roles table's second line must be its separator"
    );
    lines
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            let row = cells(l);
            assert_eq!(row.len(), 2, "roles table row {l:?} must have two cells");
            let event = row[0].trim_matches('`').to_string();
            // No role (the genesis rule applies) is written `—`.
            let roles = if row[1] == "—" {
                Vec::new()
            } else {
                row[1]
                    .split(',')
                    .map(|r| r.trim().trim_matches('`').to_string())
                    .collect()
            };
            (event, roles)
        })
        .collect()
}

#[test]
fn format_md_role_table_matches_allowed_roles() {
    let doc = format_md();
    let documented = roles_table(&doc);
    let events = one_event_of_each_type();
    let sampled: Vec<&str> = events.iter().map(Event::type_name).collect();
    assert_eq!(
        sampled,
        Event::TYPES,
        "the test has one sample per event type, in tag order"
    );
    let code: Vec<(String, Vec<String>)> = events
        .iter()
        .map(|e| {
            let roles = e.allowed_roles().iter().map(|r| r.to_string()).collect();
            (e.type_name().to_string(), roles)
        })
        .collect();
    // Every event type once, in catalogue order, each with exactly its roles in the code's order.
    let documented_types: Vec<&str> = documented.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        documented_types,
        Event::TYPES,
        "the roles table must list every event type once, in catalogue (tag) order"
    );
    for ((ty, doc_roles), (_, code_roles)) in documented.iter().zip(&code) {
        assert_eq!(
            doc_roles, code_roles,
            "roles of {ty} in FORMAT.md's roles table"
        );
    }
}
