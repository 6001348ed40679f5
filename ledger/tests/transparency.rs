//! Transparency: checkpoints, proofs, witnesses and bundles against rollback, fork and rewrite.

use igl_ledger::bundle::{self, Trust};
use igl_ledger::testkit::Genesis;
use igl_ledger::transparency::{Against, check_against};
use igl_ledger::witness;
use igl_ledger::{Ledger, Remedy, merkle};
use igl_schema::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn genesis(admin: &SigningKey) -> Submission {
    Genesis::new(LedgerId([9; 16]), t("2026-01-01T09:00:00Z"))
        .council("test-council", "Test Council")
        .sign(admin)
}

fn org(admin: &SigningKey, i: u8, name: &str) -> Submission {
    Submission::sign(
        LedgerId([9; 16]),
        Event::OrganisationRegistered(OrganisationRegistered {
            organisation: OrgId::new(format!("org-{i}")).unwrap(),
            name: name.into(),
            kind: OrgKind::Partner,
        }),
        t("2026-01-02T09:00:00Z"),
        EventId([i; 16]),
        [],
        admin,
        Salt([i; 32]),
    )
    .unwrap()
}

/// A ledger of genesis + `names.len()` organisations, one batch each, all by `admin`.
/// The admin's checkpoint of the whole of `l`, on 3 January.
fn checkpoint(l: &Ledger, admin: &SigningKey) -> note::SignedCheckpoint {
    l.checkpoint(admin, t("2026-01-03T09:00:00Z"), EventId([200; 16]))
        .unwrap()
}

/// [`checkpoint`], then one more, which bundles are proved against: a bundle's entries lie
/// before the checkpoint just before its own (its *index checkpoint*).
fn bundle_checkpoint(l: &Ledger, admin: &SigningKey) -> note::SignedCheckpoint {
    checkpoint(l, admin);
    l.checkpoint(admin, t("2026-01-03T09:00:01Z"), EventId([199; 16]))
        .unwrap()
}

fn build(dir: &std::path::Path, admin: &SigningKey, names: &[&str]) -> Ledger {
    let (l, _) = Ledger::create(dir, &genesis(admin), admin, t("2026-01-01T09:00:01Z")).unwrap();
    for (i, n) in names.iter().enumerate() {
        l.append(
            &[org(admin, i as u8 + 1, n)],
            admin,
            t("2026-01-02T10:00:00Z"),
        )
        .unwrap();
    }
    l
}

const NAMES: &[&str] = &[
    "Livewell",
    "Caring Hands",
    "Westcountry",
    "Harbour",
    "Moorview",
    "Tamar",
];

#[test]
fn a_rewrite_with_a_stolen_admin_key_fails_against_a_witnessed_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let admin = SigningKey::from_bytes(&[1; 32]);
    let witness = SigningKey::from_bytes(&[3; 32]);
    let real = build(&tmp.path().join("real"), &admin, NAMES);
    let mut cp = checkpoint(&real, &admin);
    assert!(witness::decide(None, 0, &cp.checkpoint, &[]).is_ok());
    cp.cosign("partner-witness", &witness, 1_800_000_000);

    // The thief rewrites entry 3 and rebuilds everything after it with the stolen key: same
    // genesis, same ledger id, every hash, seal and checkpoint recomputed and re-signed.
    let mut forged_names = NAMES.to_vec();
    forged_names[2] = "Westcountry (forged)";
    let forged = build(&tmp.path().join("forged"), &admin, &forged_names);
    let forged_cp = checkpoint(&forged, &admin);
    let report = forged
        .verify_capturing(&mut |_| {}, &[cp.checkpoint.size])
        .unwrap();
    assert!(
        report.ok(),
        "the forgery is internally consistent: {:?}",
        report.failure
    );

    // Only the checkpoint kept elsewhere catches it.
    match check_against(&forged, &report, &cp).unwrap() {
        Against::Inconsistent(m) => assert!(m.contains("FORK"), "{m}"),
        other => panic!("not caught: {other:?}"),
    }
    // And the witness refuses to cosign the forged history.
    let why = witness::decide(
        Some(&cp.checkpoint),
        cp.checkpoint.size,
        &forged_cp.checkpoint,
        &[],
    )
    .unwrap_err()
    .message();
    assert!(why.contains("FORK"), "{why}");
    // The real ledger extends its checkpoint.
    let real_report = real
        .verify_capturing(&mut |_| {}, &[cp.checkpoint.size])
        .unwrap();
    assert!(matches!(
        check_against(&real, &real_report, &cp).unwrap(),
        Against::Consistent { .. }
    ));
    let pk = PublicKey(witness.verifying_key().to_bytes());
    assert!(cp.cosigned_by("partner-witness", &pk).is_some());
}

#[test]
fn rollback_is_caught_by_an_older_checkpoint_and_the_witness() {
    let tmp = tempfile::tempdir().unwrap();
    let admin = SigningKey::from_bytes(&[1; 32]);
    let full = build(&tmp.path().join("full"), &admin, NAMES);
    let cp = checkpoint(&full, &admin);
    let short = build(&tmp.path().join("short"), &admin, &NAMES[..3]);
    let report = short
        .verify_capturing(&mut |_| {}, &[cp.checkpoint.size])
        .unwrap();
    assert!(report.ok());
    match check_against(&short, &report, &cp).unwrap() {
        Against::Inconsistent(m) => assert!(m.contains("ROLLBACK"), "{m}"),
        other => panic!("not caught: {other:?}"),
    }
    let short_cp = short
        .checkpoint(&admin, t("2026-01-03T09:00:00Z"), EventId([201; 16]))
        .unwrap();
    let why = witness::decide(
        Some(&cp.checkpoint),
        cp.checkpoint.size,
        &short_cp.checkpoint,
        &[],
    )
    .unwrap_err()
    .message();
    assert!(why.contains("ROLLBACK"), "{why}");
}

#[test]
fn proofs_from_the_store_verify_and_checkpoints_must_be_truthful() {
    let tmp = tempfile::tempdir().unwrap();
    let admin = SigningKey::from_bytes(&[1; 32]);
    let l = build(&tmp.path().join("l"), &admin, NAMES);
    let n = l.tree_size().unwrap();
    for size in 1..=n {
        let root = l.merkle_root(size).unwrap();
        for seq in 0..size {
            let h = l.entry(seq).unwrap().unwrap().hash;
            let p = l.inclusion_proof(seq, size).unwrap();
            assert!(merkle::verify_inclusion(
                seq,
                size,
                &merkle::leaf_hash(&h),
                &p,
                &root
            ));
        }
        let c = l.consistency_proof(size, n).unwrap();
        assert!(merkle::verify_consistency(
            size,
            n,
            &root,
            &l.merkle_root(n).unwrap(),
            &c
        ));
    }
    // A checkpoint entry that lies about the root is refused at append.
    let cp = igl_schema::note::Checkpoint {
        origin: l.origin().unwrap(),
        size: n,
        root: Hash32([7; 32]),
    };
    let lie = Submission::sign(
        LedgerId([9; 16]),
        Event::CheckpointRecorded(CheckpointRecorded {
            tree_size: n,
            root: cp.root,
            time: t("2026-01-03T09:00:00Z"),
            note_signature: Signature64(cp.sign(&admin)),
            cosignatures: Vec::new(),
            key_history: Hash32::ZERO,
            subject_map_size: 0,
            subject_map_root: Hash32::ZERO,
        }),
        t("2026-01-03T09:00:00Z"),
        EventId([99; 16]),
        [],
        &admin,
        Salt([0; 32]),
    )
    .unwrap();
    let err = l
        .append(&[lie], &admin, t("2026-01-03T09:00:01Z"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not the Merkle root"), "{err}");
}

#[test]
fn bundles_verify_offline_and_fail_when_any_byte_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let admin = SigningKey::from_bytes(&[1; 32]);
    let l = build(&tmp.path().join("l"), &admin, NAMES);
    let cp = bundle_checkpoint(&l, &admin);
    let b = bundle::make(&l, &cp, bundle::Claim::Selection, &[2, 4]).unwrap();
    let text = b.to_text();
    let pk = public_key(&admin);
    let r = bundle::verify(&text, Trust::Key(&pk)).unwrap();
    assert_eq!((r.entries, r.tree_size), (2, cp.checkpoint.size));
    bundle::verify(&text, Trust::Checkpoint(&cp)).unwrap();
    bundle::verify(&text, Trust::BundleOnly).unwrap();
    let other = PublicKey(SigningKey::from_bytes(&[5; 32]).verifying_key().to_bytes());
    assert!(bundle::verify(&text, Trust::Key(&other)).is_err());

    // Change every byte position in turn (to another printable character).
    let bytes = text.as_bytes();
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] = if bytes[i] == b'0' {
            b'1'
        } else if bytes[i] == b'"' {
            b'x'
        } else {
            b'0'
        };
        if changed[i] == bytes[i] || !bytes[i].is_ascii() {
            continue;
        }
        let s = String::from_utf8(changed).unwrap();
        assert!(
            bundle::verify(&s, Trust::Key(&pk)).is_err(),
            "a change at byte {i} ({:?}) went unnoticed",
            bytes[i] as char
        );
    }
    // A checkpoint of a different tree is not accepted as the trust anchor.
    let newer = l
        .checkpoint(&admin, t("2026-01-04T09:00:00Z"), EventId([201; 16]))
        .unwrap();
    let err = bundle::verify(&text, Trust::Checkpoint(&newer)).unwrap_err();
    assert!(err.to_string().contains("not the trusted one"), "{err}");
}

/// A selective bundle (as a SAR pack uses): some entries in full, some by hash only, a cut-down
/// key history. Every byte counts; an auditor's bundle keeps its old form (no `hash_only`).
#[test]
fn selective_bundles_prove_hash_only_entries_and_fail_when_any_byte_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let admin = SigningKey::from_bytes(&[1; 32]);
    let l = build(&tmp.path().join("l"), &admin, NAMES);
    let cp = bundle_checkpoint(&l, &admin);
    assert!(
        !bundle::make(&l, &cp, bundle::Claim::Selection, &[2])
            .unwrap()
            .to_text()
            .contains("hash_only")
    );

    let b = bundle::make_selective(&l, &cp, &[(1, false), (4, true)], &[2, 3], &[]).unwrap();
    assert!(
        b.keys.is_empty(),
        "the genesis admin key needs no enrolment entry"
    );
    let text = b.to_text();
    let pk = public_key(&admin);
    let v = bundle::verify_detailed(&text, Trust::Key(&pk)).unwrap();
    assert_eq!((v.report.entries, v.report.hash_only), (2, 2));
    assert_eq!(
        v.hash_only.get(&2),
        Some(&l.entry(2).unwrap().unwrap().hash)
    );
    let bytes = text.as_bytes();
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        if !bytes[i].is_ascii() || bytes[i] == b'"' {
            continue;
        }
        let s = String::from_utf8(changed).unwrap();
        assert!(
            bundle::verify(&s, Trust::Key(&pk)).is_err(),
            "a change at byte {i} ({:?}) went unnoticed",
            bytes[i] as char
        );
    }

    // The same seq in full and by hash, or hash-only entries out of order, are refused.
    let mut reversed = b.clone();
    reversed.hash_only.reverse();
    let err = bundle::verify(&reversed.to_text(), Trust::Key(&pk)).unwrap_err();
    assert!(err.to_string().contains("order"), "{err}");
    let mut both = b.clone();
    both.hash_only[1].seq = 4;
    both.hash_only[1].entry_hash = l.entry(4).unwrap().unwrap().hash;
    both.hash_only[1].proof = l.inclusion_proof(4, cp.checkpoint.size).unwrap();
    let err = bundle::verify(&both.to_text(), Trust::Key(&pk)).unwrap_err();
    assert!(
        err.to_string().contains("both in full and by hash"),
        "{err}"
    );
    // A seq past the checkpoint cannot be proved.
    let err = bundle::make_selective(&l, &cp, &[], &[cp.checkpoint.size], &[]).unwrap_err();
    assert!(err.to_string().contains("sign a newer checkpoint"), "{err}");
    assert_eq!(err.remedy(), Some((Remedy::Checkpoint, None)), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Bundles cannot be trimmed.

fn signed(key: &SigningKey, event: Event, i: u8) -> Submission {
    Submission::sign(
        LedgerId([9; 16]),
        event,
        t("2026-01-02T09:00:00Z"),
        EventId([100 + i; 16]),
        [],
        key,
        Salt([i; 32]),
    )
    .unwrap()
}

/// A ledger with key events, personal data and an erasure:
///
/// ```text
/// 0 LedgerCreated (admin)    1 KeyEnrolled ig          2 KeyEnrolled ig2     3 org-1
/// 4 PersonEnrolled P100 (ig) 5 PersonEnrolled P101 (ig2) 6 KeyRevoked ig2    7 org-2
/// 8 Redacted 4 (ig)          9 CheckpointRecorded (admin)
/// ```
fn trimmable(dir: &std::path::Path) -> (Ledger, SigningKey, note::SignedCheckpoint) {
    let admin = SigningKey::from_bytes(&[1; 32]);
    let ig = SigningKey::from_bytes(&[2; 32]);
    let ig2 = SigningKey::from_bytes(&[4; 32]);
    let (l, _) = Ledger::create(dir, &genesis(&admin), &admin, t("2026-01-01T09:00:01Z")).unwrap();
    let enrol = |k: &SigningKey, p: &str, i| {
        signed(
            &admin,
            Event::KeyEnrolled(KeyEnrolled {
                key: public_key(k),
                person: PersonId::new(p).unwrap(),
                role: Role::IgOfficer,
                reason: Some(Pii::new("Onboarding")),
            }),
            i,
        )
    };
    let person = |by: &SigningKey, p: &str, name: &str, i| {
        signed(
            by,
            Event::PersonEnrolled(PersonEnrolled {
                person: PersonId::new(p).unwrap(),
                name: Pii::new(name),
                job_title: Pii::new("Social Worker"),
                business_unit: "Adults".into(),
                organisation: OrgId::new("test-council").unwrap(),
                line_manager: None,
            }),
            i,
        )
    };
    let now = t("2026-01-02T10:00:00Z");
    l.append(
        &[
            enrol(&ig, "P2", 1),
            enrol(&ig2, "P3", 2),
            org(&admin, 3, "Livewell"),
        ],
        &admin,
        now,
    )
    .unwrap();
    l.append(&[person(&ig, "P100", "Ada Lovelace", 4)], &ig, now)
        .unwrap();
    l.append(&[person(&ig2, "P101", "Grace Hopper", 5)], &ig2, now)
        .unwrap();
    let revoke = signed(
        &admin,
        Event::KeyRevoked(KeyRevoked {
            key: public_key(&ig2),
            person: PersonId::new("P3").unwrap(),
            reason: Pii::new("Left"),
        }),
        6,
    );
    l.append(&[revoke, org(&admin, 7, "Harbour")], &admin, now)
        .unwrap();
    l.redact(
        4,
        "Erasure request".into(),
        None,
        &ig,
        EventId([108; 16]),
        now,
    )
    .unwrap();
    let cp = bundle_checkpoint(&l, &admin);
    assert_eq!(cp.checkpoint.size, 10);
    (l, admin, cp)
}

/// The range bundle of seqs 3 to 7 of the [`trimmable`] ledger.
fn range_3_to_7(l: &Ledger, cp: &note::SignedCheckpoint) -> bundle::Bundle {
    bundle::make(
        l,
        cp,
        bundle::Claim::Range { from: 3, to: 7 },
        &[3, 4, 5, 6, 7],
    )
    .unwrap()
}

/// The error `verify` gives for `b` changed by `f`.
#[track_caller]
fn refused(b: &bundle::Bundle, pk: &PublicKey, f: impl FnOnce(&mut bundle::Bundle)) -> String {
    let mut b = b.clone();
    f(&mut b);
    match bundle::verify(&b.to_text(), Trust::Key(pk)) {
        Ok(r) => panic!("a trimmed bundle verified: {r:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_range_bundle_with_any_entry_key_event_or_erasure_left_out_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let (l, admin, cp) = trimmable(&tmp.path().join("l"));
    let pk = public_key(&admin);
    let b = range_3_to_7(&l, &cp);
    assert_eq!(b.keys.len(), 3, "every key event before the checkpoint");
    assert_eq!(b.erasures.iter().map(|e| e.seq).collect::<Vec<_>>(), [8]);
    let r = bundle::verify(&b.to_text(), Trust::Key(&pk)).unwrap();
    assert_eq!(r.claim, bundle::Claim::Range { from: 3, to: 7 });
    assert_eq!(
        (r.entries, r.erased, r.key_events, r.key_events_in_full),
        (5, 1, 3, 3)
    );
    // The batches wholly inside 3..=7: [4] by ig, [5] by ig2 (revoked later, at 6), [6, 7].
    assert_eq!(r.seals, 3);
    bundle::verify(&b.to_text(), Trust::BundleOnly).unwrap();
    // A seal changed, or moved to another batch, fails.
    let err = refused(&b, &pk, |b| {
        let mut v = hex::decode(&b.seals[1]).unwrap();
        let last = v.len() - 1;
        v[last] ^= 1;
        b.seals[1] = hex::encode(v);
    });
    assert!(err.contains("not signed by a key entitled"), "{err}");
    let err = refused(&b, &pk, |b| b.seals.swap(0, 1));
    assert!(err.contains("after the previous seal"), "{err}");

    for i in [0, 2, 4] {
        let err = refused(&b, &pk, |b| {
            b.entries.remove(i);
        });
        assert!(err.contains("was left out"), "entry {i}: {err}");
    }
    // The KeyRevoked of ig2 (seq 6) dropped from the key history, or withheld.
    let err = refused(&b, &pk, |b| b.keys.retain(|k| k.seq != 6));
    assert!(err.contains("key history is incomplete"), "{err}");
    let err = refused(&b, &pk, |b| {
        b.keys[2].entry = None;
        b.keys[2].proof.clear();
    });
    assert!(err.contains("withheld from the key history"), "{err}");
    // A key event carried in full must be in the signed log itself.
    let err = refused(&b, &pk, |b| b.keys[1].proof[0].0[0] ^= 1);
    assert!(err.contains("inclusion proof"), "{err}");
    let err = refused(&b, &pk, |b| b.keys[2].entry = None);
    assert!(err.contains("a proof without its entry"), "{err}");
    // Personal data dropped with no erasure to account for it; the erasure dropped.
    let err = refused(&b, &pk, |b| b.entries[2].payload = None);
    assert!(err.contains("carries no Redacted entry"), "{err}");
    let err = refused(&b, &pk, |b| b.erasures.clear());
    assert!(err.contains("carries no Redacted entry"), "{err}");
    // The checkpoint's event swapped for another signed event.
    let other = l.entry(3).unwrap().unwrap().entry.event;
    let err = refused(&b, &pk, |b| {
        b.checkpoint_event = hex::encode(codec::encode(&other))
    });
    assert!(err.contains("checkpoint event"), "{err}");
    // A claim edited to match a trimmed bundle verifies, and says so: the reader sees the range.
    let mut trimmed = b.clone();
    trimmed.entries.remove(0);
    trimmed.claim = bundle::Claim::Range { from: 4, to: 7 };
    let r = bundle::verify(&trimmed.to_text(), Trust::Key(&pk)).unwrap();
    assert_eq!(r.claim.to_string(), "every entry from seq 4 to seq 7");
}

#[test]
fn a_selective_bundle_carries_every_key_event_of_the_keys_it_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let (l, admin, cp) = trimmable(&tmp.path().join("l"));
    let pk = public_key(&admin);
    // Seq 5 is by ig2 (revoked at 6): its enrolment and revocation are carried in full; ig's
    // enrolment (seq 1) only by seq, key and hash.
    let b = bundle::make_selective(&l, &cp, &[(5, false)], &[4], &[]).unwrap();
    let full: Vec<(u64, bool)> = b.keys.iter().map(|k| (k.seq, k.entry.is_some())).collect();
    assert_eq!(full, [(1, false), (2, true), (6, true)]);
    let v = bundle::verify_detailed(&b.to_text(), Trust::Key(&pk)).unwrap();
    assert_eq!(
        v.keys[&public_key(&SigningKey::from_bytes(&[4; 32]))].revoked_seq,
        Some(6)
    );
    let err = refused(&b, &pk, |b| {
        b.keys[2].entry = None;
        b.keys[2].proof.clear();
    });
    assert!(err.contains("withheld from the key history"), "{err}");
    let err = refused(&b, &pk, |b| {
        b.keys.remove(2);
    });
    assert!(err.contains("key history is incomplete"), "{err}");
    // A selection may carry an entry without its personal data (a pack withholds it).
    assert!(b.entries[0].payload.is_none());
}

/// The golden bundle of `schema/FORMAT.md` (*The golden bundle*): rebuilt from fixed inputs, it
/// must equal `schema/golden/bundle-v3.json` byte for byte (run with `IGL_BLESS=1` to rewrite the
/// file after a deliberate format change), verify against the documented key, and fail when
/// trimmed.
#[test]
fn the_golden_bundle_is_rebuilt_byte_for_byte_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let (l, admin, cp) = trimmable(&tmp.path().join("l"));
    let b = range_3_to_7(&l, &cp);
    let text = b.to_text();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/golden/bundle-v3.json"
    );
    if std::env::var_os("IGL_BLESS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(path).unwrap();
    assert!(
        golden == text,
        "{path} differs from the bundle built now (IGL_BLESS=1 rewrites it)"
    );
    let documented = include_str!("../../schema/FORMAT.md");
    let key = public_key(&admin).to_hex();
    assert!(
        documented.contains(&format!("`{key}`")),
        "FORMAT.md names the key {key}"
    );
    let pk = public_key(&admin);
    let r = bundle::verify(&golden, Trust::Key(&pk)).unwrap();
    assert_eq!((r.entries, r.erased, r.key_events), (5, 1, 3));
    let b: bundle::Bundle = serde_json::from_str(&golden).unwrap();
    refused(&b, &pk, |b| {
        b.entries.remove(1);
    });
    refused(&b, &pk, |b| {
        b.keys.remove(2);
    });
    refused(&b, &pk, |b| b.entries[2].payload = None);
    refused(&b, &pk, |b| b.erasures.clear());
    // One form per bundle: uppercase hex, or the note with CRLF line ends, is refused.
    let err = refused(&b, &pk, |b| {
        b.entries[0].entry = b.entries[0].entry.to_uppercase()
    });
    assert!(err.contains("lowercase hex"), "{err}");
    let err = refused(&b, &pk, |b| {
        b.checkpoint = b.checkpoint.replace('\n', "\r\n")
    });
    assert!(err.contains("control character '\\r'"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Robustness: the proptest version of the `bundle` fuzz target. Arbitrary text and damaged valid
// bundles never panic `bundle::verify`, and no damaged bundle verifies.

mod robustness {
    use super::*;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    struct Fixture {
        pk: PublicKey,
        full: bundle::Bundle,
        selective: bundle::Bundle,
    }

    /// Two bundles of one small ledger (built once for every case).
    static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
        let tmp = tempfile::tempdir().unwrap();
        let admin = SigningKey::from_bytes(&[1; 32]);
        let l = build(&tmp.path().join("l"), &admin, NAMES);
        let cp = bundle_checkpoint(&l, &admin);
        Fixture {
            pk: public_key(&admin),
            full: bundle::make(
                &l,
                &cp,
                bundle::Claim::Range { from: 1, to: 4 },
                &[1, 2, 3, 4],
            )
            .unwrap(),
            selective: bundle::make_selective(&l, &cp, &[(1, false), (4, true)], &[2, 3], &[])
                .unwrap(),
        }
    });

    /// A structural change to a valid bundle, each of which must make it fail.
    #[derive(Clone, Debug)]
    enum Change {
        Seq(prop::sample::Index, u64),
        EntryByte(prop::sample::Index, prop::sample::Index, u8),
        ProofHash(prop::sample::Index, prop::sample::Index, u8),
        ProofCut(prop::sample::Index),
        ProofExtend(prop::sample::Index, [u8; 32]),
        Duplicate(prop::sample::Index),
        Swap,
        Checkpoint(prop::sample::Index),
        Genesis(prop::sample::Index, u8),
        HashOnly(prop::sample::Index, u8),
        /// An entry dropped (a range bundle claims every one).
        Drop(prop::sample::Index),
        CheckpointEntry(prop::sample::Index, u8),
    }

    fn change() -> impl Strategy<Value = Change> {
        use prop::sample::Index;
        prop_oneof![
            (any::<Index>(), 0u64..20).prop_map(|(i, s)| Change::Seq(i, s)),
            (any::<Index>(), any::<Index>(), 1u8..=255)
                .prop_map(|(i, j, x)| Change::EntryByte(i, j, x)),
            (any::<Index>(), any::<Index>(), 1u8..=255)
                .prop_map(|(i, j, x)| Change::ProofHash(i, j, x)),
            any::<Index>().prop_map(Change::ProofCut),
            (any::<Index>(), any::<[u8; 32]>()).prop_map(|(i, h)| Change::ProofExtend(i, h)),
            any::<Index>().prop_map(Change::Duplicate),
            Just(Change::Swap),
            any::<Index>().prop_map(Change::Checkpoint),
            (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Change::Genesis(i, x)),
            (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Change::HashOnly(i, x)),
            any::<Index>().prop_map(Change::Drop),
            (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Change::CheckpointEntry(i, x)),
        ]
    }

    /// Flips bits of one hex digit's value, keeping it a lowercase hex digit.
    fn flip_hex(s: &mut String, at: usize, x: u8) {
        let mut b = std::mem::take(s).into_bytes();
        let i = at % b.len();
        let v = (b[i] as char).to_digit(16).unwrap_or(0) as u8;
        let w = (v ^ (x % 15 + 1)) & 0xf;
        b[i] = char::from_digit(w as u32, 16).unwrap() as u8;
        *s = String::from_utf8(b).unwrap();
    }

    /// Applies `c`; false when it does not apply to this bundle (nothing changed).
    fn apply(b: &mut bundle::Bundle, c: &Change) -> bool {
        let n = b.entries.len();
        match c {
            Change::Seq(i, s) => {
                let e = &mut b.entries[i.index(n)];
                if e.seq == *s {
                    return false;
                }
                e.seq = *s;
            }
            Change::EntryByte(i, j, x) => {
                let e = &mut b.entries[i.index(n)];
                let at = j.index(e.entry.len());
                flip_hex(&mut e.entry, at, *x);
            }
            Change::ProofHash(i, j, x) => {
                let p = &mut b.entries[i.index(n)].proof;
                if p.is_empty() {
                    return false;
                }
                let k = j.index(p.len());
                p[k].0[(*x as usize) % 32] ^= x;
            }
            Change::ProofCut(i) => {
                if b.entries[i.index(n)].proof.pop().is_none() {
                    return false;
                }
            }
            Change::ProofExtend(i, h) => b.entries[i.index(n)].proof.push(Hash32(*h)),
            Change::Duplicate(i) => {
                let e = b.entries[i.index(n)].clone();
                b.entries.insert(i.index(n), e);
            }
            Change::Swap => {
                if n < 2 {
                    return false;
                }
                b.entries.swap(0, n - 1);
            }
            Change::Checkpoint(i) => {
                // Another tree size under the same signature.
                let text = b.checkpoint.clone();
                let lines: Vec<&str> = text.lines().collect();
                let size: u64 = lines[1].parse().unwrap();
                let other = size + 1 + i.index(5) as u64;
                b.checkpoint = text.replacen(&format!("\n{size}\n"), &format!("\n{other}\n"), 1);
            }
            Change::Genesis(i, x) => {
                let at = i.index(b.genesis.entry.len());
                flip_hex(&mut b.genesis.entry, at, *x);
            }
            Change::HashOnly(i, x) => {
                if b.hash_only.is_empty() {
                    return false;
                }
                let k = i.index(b.hash_only.len());
                b.hash_only[k].entry_hash.0[(*x as usize) % 32] ^= x;
            }
            Change::Drop(i) => {
                // Leaving an entry out of a selection is what a selection may do (a SAR pack's
                // report must then not list it: `pack` checks that).
                if b.claim == bundle::Claim::Selection {
                    return false;
                }
                b.entries.remove(i.index(n));
            }
            Change::CheckpointEntry(i, x) => {
                let at = i.index(b.checkpoint_event.len());
                flip_hex(&mut b.checkpoint_event, at, *x);
            }
        }
        true
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics_bundle_verification(
            text in "\\PC{0,300}",
            seq in any::<u64>(),
            hex in "[0-9a-f]{0,200}",
        ) {
            let pk = FIXTURE.pk;
            prop_assert!(bundle::verify(&text, Trust::BundleOnly).is_err());
            prop_assert!(bundle::verify(&text, Trust::Key(&pk)).is_err());
            // Bundle-shaped JSON with arbitrary values, in canonical form.
            let mut b = FIXTURE.full.clone();
            b.entries[0].seq = seq;
            b.entries[1].entry = hex.clone();
            b.entries[2].payload = Some(hex);
            b.checkpoint = text;
            prop_assert!(bundle::verify(&b.to_text(), Trust::BundleOnly).is_err());
        }

        #[test]
        fn damaged_bundle_text_never_verifies(
            selective in any::<bool>(),
            at in any::<prop::sample::Index>(),
            bytes in proptest::collection::vec(any::<u8>(), 0..4),
            cut in any::<bool>(),
        ) {
            let f = &*FIXTURE;
            let text = if selective { f.selective.to_text() } else { f.full.to_text() };
            let mut b = text.clone().into_bytes();
            let i = at.index(b.len());
            if cut {
                b.truncate(i);
            } else {
                b.splice(i..(i + bytes.len()).min(b.len()), bytes.iter().copied());
            }
            let damaged = String::from_utf8_lossy(&b).into_owned();
            prop_assume!(damaged != text);
            prop_assert!(bundle::verify(&damaged, Trust::Key(&f.pk)).is_err());
            let _ = bundle::verify(&damaged, Trust::BundleOnly);
        }

        #[test]
        fn structurally_damaged_bundles_never_verify(
            selective in any::<bool>(),
            changes in proptest::collection::vec(change(), 1..3),
        ) {
            let f = &*FIXTURE;
            let original = if selective { &f.selective } else { &f.full };
            let mut b = original.clone();
            let mut changed = false;
            for c in &changes {
                changed |= apply(&mut b, c);
            }
            prop_assume!(changed && b != *original);
            let text = b.to_text();
            let r = bundle::verify(&text, Trust::Key(&f.pk));
            prop_assert!(r.is_err(), "{changes:?} went unnoticed");
            prop_assert!(bundle::verify(&text, Trust::BundleOnly).is_err(), "{changes:?}");
        }

        #[test]
        fn stored_records_decode_canonically_or_not_at_all(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(k) = codec::decode::<igl_ledger::KeyRecord>(&bytes) {
                prop_assert_eq!(codec::encode(&k), bytes.clone());
            }
            if let Ok(h) = codec::decode::<igl_ledger::Head>(&bytes) {
                prop_assert_eq!(codec::encode(&h), bytes.clone());
            }
        }
    }
}

#[test]
fn a_prepared_checkpoint_is_recorded_with_its_cosignatures_unless_the_ledger_moved() {
    let tmp = tempfile::tempdir().unwrap();
    let admin = SigningKey::from_bytes(&[1; 32]);
    let witness = SigningKey::from_bytes(&[3; 32]);
    let vkey = note::VerifierKey::witness("partner.example/w", public_key(&witness));
    let l = build(&tmp.path().join("l"), &admin, &NAMES[..2]);
    assert_eq!(l.latest_cosigned_by(&vkey).unwrap(), None);

    // Prepared (verified and signed), nothing written; then the ledger moves on: refused.
    let stale = l.prepare_checkpoint(&admin, &mut |_| {}).unwrap();
    assert_eq!(l.tree_size().unwrap(), stale.note.checkpoint.size);
    l.append(
        &[org(&admin, 50, "Late")],
        &admin,
        t("2026-01-02T12:00:00Z"),
    )
    .unwrap();
    let err = l
        .record_checkpoint(
            &stale,
            &admin,
            t("2026-01-03T09:00:00Z"),
            EventId([201; 16]),
            &[],
        )
        .unwrap_err();
    assert!(err.to_string().contains("sign a new one"), "{err}");

    // Prepared again, cosigned, recorded: the recorded note carries the cosignature.
    let p = l.prepare_checkpoint(&admin, &mut |_| {}).unwrap();
    let mut cosigned = p.note.clone();
    cosigned.cosign("partner.example/w", &witness, 1_800_000_000);
    let c = cosigned.cosignature_by(&vkey).unwrap();
    // Only by the key that signed it.
    let other = SigningKey::from_bytes(&[4; 32]);
    assert!(
        l.record_checkpoint(
            &p,
            &other,
            t("2026-01-03T09:00:00Z"),
            EventId([202; 16]),
            &[]
        )
        .is_err()
    );
    // A cosignature that does not verify with the witness key given with it is refused.
    let mut forged = c.clone();
    forged.time += 1;
    let err = l
        .record_checkpoint(
            &p,
            &admin,
            t("2026-01-03T09:00:00Z"),
            EventId([203; 16]),
            &[(vkey.clone(), forged)],
        )
        .unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
    let recorded = l
        .record_checkpoint(
            &p,
            &admin,
            t("2026-01-03T09:00:00Z"),
            EventId([203; 16]),
            &[(vkey.clone(), c.clone())],
        )
        .unwrap();
    assert_eq!(recorded, cosigned);
    let size = p.note.checkpoint.size;
    assert_eq!(l.recorded_checkpoint(size).unwrap(), Some(cosigned.clone()));
    assert_eq!(l.latest_cosigned_by(&vkey).unwrap(), Some(cosigned));
    assert!(l.verify(&mut |_| {}).unwrap().ok());

    // A later checkpoint without the witness: the latest cosigned one is still that one.
    l.checkpoint(&admin, t("2026-01-04T09:00:00Z"), EventId([204; 16]))
        .unwrap();
    assert_eq!(
        l.latest_cosigned_by(&vkey)
            .unwrap()
            .map(|c| c.checkpoint.size),
        Some(size)
    );
}

/// A bundle judges its entries' authors by the key history up to its index checkpoint, the
/// checkpoint entry just before its own (the only commitment bound to its tree), so every entry
/// it carries lies before that one; and the maker cannot put an older (genuine, proved)
/// checkpoint entry in its place.
#[test]
fn a_bundle_refuses_entries_at_or_after_its_index_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let (l, admin, _) = trimmable(&tmp.path().join("l"));
    let cp = l
        .checkpoint(&admin, t("2026-01-03T09:00:02Z"), EventId([198; 16]))
        .unwrap();
    let size = cp.checkpoint.size;
    let pk = public_key(&admin);
    assert_eq!(bundle::index_checkpoint(&l, size).unwrap(), 10);
    let b = bundle::make(
        &l,
        &cp,
        bundle::Claim::Range { from: 3, to: 9 },
        &[3, 4, 5, 6, 7, 8, 9],
    )
    .unwrap();
    bundle::verify(&b.to_text(), Trust::Key(&pk)).unwrap();
    // An older checkpoint entry as the index checkpoint.
    let err = refused(&b, &pk, |b| {
        let ic = b.index_checkpoint.as_mut().unwrap();
        ic.entry = hex::encode(l.entry(9).unwrap().unwrap().entry.encode());
        ic.seq = 9;
        ic.proof = l.inclusion_proof(9, size).unwrap();
    });
    assert!(err.contains("not the entry just before"), "{err}");
    // The range extended to the index checkpoint's own entry.
    let err = refused(&b, &pk, |b| {
        b.claim = bundle::Claim::Range { from: 3, to: 10 };
        b.entries.push(bundle::BundleEntry {
            seq: 10,
            entry: hex::encode(l.entry(10).unwrap().unwrap().entry.encode()),
            payload: None,
            proof: l.inclusion_proof(10, size).unwrap(),
        });
    });
    assert!(
        err.contains("not before the index checkpoint (seq 10)"),
        "{err}"
    );
    // And `make` refuses to write one; nor is there a bundle against a checkpoint that does not
    // directly follow another.
    let err = bundle::make(
        &l,
        &cp,
        bundle::Claim::Range { from: 3, to: 10 },
        &[3, 4, 5, 6, 7, 8, 9, 10],
    )
    .unwrap_err();
    assert!(err.to_string().contains("sign"), "{err}");
    assert_eq!(err.remedy(), Some((Remedy::Checkpoint, None)), "{err}");
    // (The checkpoint of 9 entries follows a Redacted entry, not a checkpoint.)
    let err = bundle::index_checkpoint(&l, 9).unwrap_err();
    assert!(
        err.to_string().contains("two checkpoints in a row"),
        "{err}"
    );
}
