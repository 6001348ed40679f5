//! Library-level tests of the ledger: append, reject, verify, redact, read-only.

use igl_ledger::testkit::Genesis;
use igl_ledger::{Ledger, LedgerError, PayloadState};
use igl_schema::*;

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn pid(s: &str) -> PersonId {
    PersonId::new(s).unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    admin: SigningKey,
    ig: SigningKey,
    next: u8,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let admin = key(1);
        let genesis = Genesis::new(LedgerId([9; 16]), t("2026-01-01T09:00:00Z"))
            .council("test-council", "Test Council")
            .sign(&admin);
        let (ledger, _) = Ledger::create(
            &dir.path().join("l"),
            &genesis,
            &admin,
            t("2026-01-01T09:00:01Z"),
        )
        .unwrap();
        let mut f = Fixture {
            _dir: dir,
            ledger,
            admin,
            ig: key(2),
            next: 1,
        };
        let enrol = f.sign(
            &f.admin.clone(),
            Event::KeyEnrolled(KeyEnrolled {
                key: public_key(&f.ig),
                person: pid("P2"),
                role: Role::IgOfficer,
                reason: None,
            }),
        );
        f.append(&[enrol], &f.admin.clone()).unwrap();
        f
    }

    fn sign(&mut self, author: &SigningKey, e: Event) -> Submission {
        self.next += 1;
        Submission::sign(
            LedgerId([9; 16]),
            e,
            t("2026-01-02T10:00:00Z"),
            EventId([self.next; 16]),
            [],
            author,
            Salt([self.next; 32]),
        )
        .unwrap()
    }

    fn append(
        &self,
        subs: &[Submission],
        appender: &SigningKey,
    ) -> Result<igl_ledger::AppendReceipt, LedgerError> {
        self.ledger
            .append(subs, appender, t("2026-01-02T12:00:00Z"))
    }

    fn person(&mut self, id: &str, name: &str) -> Submission {
        let ig = self.ig.clone();
        self.sign(
            &ig,
            Event::PersonEnrolled(PersonEnrolled {
                person: pid(id),
                name: Pii::new(name),
                job_title: Pii::new("Social Worker"),
                business_unit: "Adults".into(),
                organisation: OrgId::new("test-council").unwrap(),
                line_manager: None,
            }),
        )
    }
}

#[test]
fn append_then_verify() {
    let mut f = Fixture::new();
    let a = f.person("P10", "Ada Lovelace");
    let b = f.person("P11", "Grace Hopper");
    let ig = f.ig.clone();
    let r = f.append(&[a, b], &ig).unwrap();
    assert_eq!((r.first_seq, r.last_seq), (2, 3));
    let report = f.ledger.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.failure);
    assert_eq!(report.entries, 4);
    assert_eq!(report.seals, 3);
    let e = f.ledger.entry(2).unwrap().unwrap();
    assert_eq!(e.payload, PayloadState::Present);
    match &e.entry.event.body.event {
        Event::PersonEnrolled(p) => assert_eq!(p.name.value(), Some("Ada Lovelace")),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_bad_event_in_a_batch_writes_nothing() {
    let mut f = Fixture::new();
    let before = f.ledger.head().unwrap().unwrap();
    let good = f.person("P10", "Ada Lovelace");
    // Signed by a key nobody enrolled.
    let stranger = key(77);
    let bad = f.sign(
        &stranger,
        Event::EmploymentEnded(EmploymentEnded {
            person: pid("P10"),
            note: None,
        }),
    );
    let ig = f.ig.clone();
    let err = f.append(&[good, bad], &ig).unwrap_err();
    match err {
        LedgerError::Rejected { index, seq, .. } => {
            assert_eq!(index, 1);
            assert_eq!(seq, Some(before.seq + 2));
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(f.ledger.head().unwrap().unwrap(), before);
    assert!(f.ledger.entry(before.seq + 1).unwrap().is_none());
}

#[test]
fn roles_and_replays_are_enforced() {
    let mut f = Fixture::new();
    let ig = f.ig.clone();
    // An ig_officer may not enrol keys.
    let e = f.sign(
        &ig,
        Event::KeyEnrolled(KeyEnrolled {
            key: public_key(&key(50)),
            person: pid("P50"),
            role: Role::Admin,
            reason: None,
        }),
    );
    let msg = f.append(&[e], &ig).unwrap_err().to_string();
    assert!(msg.contains("may not write KeyEnrolled"), "{msg}");
    // The same signed event is accepted once.
    let p = f.person("P10", "Ada Lovelace");
    f.append(std::slice::from_ref(&p), &ig).unwrap();
    let msg = f.append(&[p], &ig).unwrap_err().to_string();
    assert!(msg.contains("already appended"), "{msg}");
}

#[test]
fn redaction_erases_the_payload_and_verify_still_passes() {
    let mut f = Fixture::new();
    let p = f.person("P10", "Ada Lovelace");
    let ig = f.ig.clone();
    let r = f.append(&[p], &ig).unwrap();
    let target = f.ledger.entry(r.last_seq).unwrap().unwrap();
    let red = f.sign(
        &ig,
        Event::Redacted(Redacted {
            seq: r.last_seq,
            entry_hash: target.hash,
            reason: "Erasure request SRR-1".into(),
            request: Some(RequestId::new("SRR-1").unwrap()),
        }),
    );
    let rr = f.append(&[red], &ig).unwrap();
    let after = f.ledger.entry(r.last_seq).unwrap().unwrap();
    assert_eq!(after.payload, PayloadState::Redacted { by: rr.last_seq });
    assert_eq!(after.hash, target.hash, "the entry itself is unchanged");
    match &after.entry.event.body.event {
        Event::PersonEnrolled(p) => assert_eq!(p.name.value(), None),
        other => panic!("unexpected {other:?}"),
    }
    let report = f.ledger.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.failure);
    assert_eq!(report.redacted, 1);
    assert!(report.unerased.is_empty());
    // Redacting twice is refused.
    let again = f.sign(
        &ig,
        Event::Redacted(Redacted {
            seq: r.last_seq,
            entry_hash: target.hash,
            reason: "again".into(),
            request: None,
        }),
    );
    let msg = f.append(&[again], &ig).unwrap_err().to_string();
    assert!(msg.contains("already redacted"), "{msg}");
}

#[test]
fn countersignature_must_name_a_declaration_and_be_the_managers_own() {
    let mut f = Fixture::new();
    let admin = f.admin.clone();
    let ig = f.ig.clone();
    let staff = key(30);
    let manager = key(31);
    let enrol = |f: &mut Fixture, k: &SigningKey, p: &str, role| {
        f.sign(
            &admin,
            Event::KeyEnrolled(KeyEnrolled {
                key: public_key(k),
                person: pid(p),
                role,
                reason: None,
            }),
        )
    };
    let a = enrol(&mut f, &staff, "P30", Role::Staff);
    let b = enrol(&mut f, &manager, "P31", Role::Manager);
    f.append(&[a, b], &admin).unwrap();
    let decl = f.sign(
        &staff,
        Event::DeclarationSigned(DeclarationSigned {
            person: pid("P30"),
            policy: PolicyId::new("mou").unwrap(),
            version: Version::new("1").unwrap(),
            confirms_training: true,
        }),
    );
    let r = f.append(&[decl], &ig).unwrap();
    let h = f.ledger.entry(r.last_seq).unwrap().unwrap().hash;
    // A declaration signed by someone else's key is refused.
    let forged = f.sign(
        &manager,
        Event::DeclarationSigned(DeclarationSigned {
            person: pid("P30"),
            policy: PolicyId::new("mou").unwrap(),
            version: Version::new("1").unwrap(),
            confirms_training: true,
        }),
    );
    let msg = f.append(&[forged], &ig).unwrap_err().to_string();
    assert!(msg.contains("own statement"), "{msg}");
    // A countersignature of a hash that is not a declaration is refused.
    let bogus = f.sign(
        &manager,
        Event::DeclarationCountersigned(DeclarationCountersigned {
            declaration: Hash32([7; 32]),
            person: pid("P30"),
            manager: pid("P31"),
            training_checked: true,
        }),
    );
    let msg = f.append(&[bogus], &ig).unwrap_err().to_string();
    assert!(msg.contains("not the hash of a DeclarationSigned"), "{msg}");
    let good = f.sign(
        &manager,
        Event::DeclarationCountersigned(DeclarationCountersigned {
            declaration: h,
            person: pid("P30"),
            manager: pid("P31"),
            training_checked: true,
        }),
    );
    f.append(&[good], &ig).unwrap();
    assert!(f.ledger.verify(&mut |_| {}).unwrap().ok());
}

#[test]
fn revoked_keys_cannot_sign_or_append() {
    let mut f = Fixture::new();
    let admin = f.admin.clone();
    let ig = f.ig.clone();
    let rev = f.sign(
        &admin,
        Event::KeyRevoked(KeyRevoked {
            key: public_key(&ig),
            person: pid("P2"),
            reason: Pii::new("Left the council"),
        }),
    );
    f.append(&[rev], &admin).unwrap();
    let p = f.person("P10", "Ada Lovelace"); // signed by the revoked ig key
    let msg = f
        .append(std::slice::from_ref(&p), &admin)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("revoked"), "{msg}");
    let ok = f.sign(
        &admin,
        Event::EmploymentEnded(EmploymentEnded {
            person: pid("P10"),
            note: None,
        }),
    );
    let msg = f.append(&[ok], &ig).unwrap_err().to_string();
    assert!(
        msg.contains("appending key") && msg.contains("revoked"),
        "{msg}"
    );
}

#[test]
fn read_only_handles_refuse_to_append_and_run_beside_a_writer() {
    let mut f = Fixture::new();
    let ro = Ledger::open_read_only(f.ledger.path()).unwrap();
    let p = f.person("P10", "Ada Lovelace");
    let ig = f.ig.clone();
    assert!(matches!(
        ro.append(&[p], &ig, t("2026-01-02T12:00:00Z")),
        Err(LedgerError::ReadOnly(_))
    ));
    assert!(ro.verify(&mut |_| {}).unwrap().ok());
    // A second writer is refused with a clear error.
    match Ledger::open(f.ledger.path()) {
        Err(LedgerError::Locked(_)) => {}
        Err(other) => panic!("unexpected {other}"),
        Ok(_) => panic!("a second writer opened the ledger"),
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn redact_then_compaction_leaves_no_trace_on_disk() {
    let mut f = Fixture::new();
    let ig = f.ig.clone();
    let secret = "Zebedee Quartermaine-Fotheringay";
    let other = "Wilhelmina Strudwick";
    let a = f.person("P10", secret);
    let b = f.person("P11", other);
    let r = f.append(&[a, b], &ig).unwrap();
    let target = r.first_seq;
    // Before: the name is on disk (write-ahead log or tables).
    f.ledger.compact().unwrap();
    let on_disk = |s: &str| {
        files(f.ledger.path())
            .iter()
            .any(|p| contains(&std::fs::read(p).unwrap(), s.as_bytes()))
    };
    assert!(on_disk(secret), "the test must see the name before erasure");
    f.ledger
        .redact(
            target,
            "Erasure request SRR-9".into(),
            Some(RequestId::new("SRR-9").unwrap()),
            &ig,
            EventId([200; 16]),
            t("2026-01-03T09:00:00Z"),
        )
        .unwrap();
    assert!(!on_disk(secret), "erased bytes remain in a ledger file");
    assert!(on_disk(other), "other people's data must remain");
    let report = f.ledger.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.failure);
    assert_eq!(report.redacted, 1);
}

#[test]
fn only_ig_officers_redact() {
    let mut f = Fixture::new();
    let ig = f.ig.clone();
    let admin = f.admin.clone();
    let p = f.person("P10", "Ada Lovelace");
    let r = f.append(&[p], &ig).unwrap();
    let err = f
        .ledger
        .redact(
            r.last_seq,
            "why".into(),
            None,
            &admin,
            EventId([201; 16]),
            t("2026-01-03T09:00:00Z"),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("may not write Redacted"), "{err}");
    assert_eq!(
        f.ledger.entry(r.last_seq).unwrap().unwrap().payload,
        PayloadState::Present
    );
}

#[test]
fn a_forged_payload_is_detected() {
    let mut f = Fixture::new();
    let ig = f.ig.clone();
    let p = f.person("P10", "Ada Lovelace");
    f.append(&[p], &ig).unwrap();
    // An attacker who restores (or invents) a payload cannot match the signed commitment.
    let forged = f.person("P10", "Someone Else");
    let forged_payload = forged.payload().unwrap();
    let mut e = f.ledger.entry(2).unwrap().unwrap().entry;
    let err = e.event.open(&forged_payload).unwrap_err().to_string();
    assert!(err.contains("commitment"), "{err}");
}

#[test]
fn parallel_verification_names_the_exact_entry_with_a_bad_signature() {
    // Enough entries for several chunks checked on every core.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let admin = key(1);
    let genesis = Genesis::new(LedgerId([9; 16]), t("2026-01-01T09:00:00Z"))
        .council("test-council", "Test Council")
        .sign(&admin);
    let n: u64 = 5_000;
    {
        let (l, _) = Ledger::create(&path, &genesis, &admin, t("2026-01-01T09:00:01Z")).unwrap();
        let subs: Vec<Submission> = (1..=n)
            .map(|i| {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&i.to_be_bytes());
                Submission::sign(
                    LedgerId([9; 16]),
                    Event::OrganisationRegistered(OrganisationRegistered {
                        organisation: OrgId::new(format!("org-{i}")).unwrap(),
                        name: format!("Partner {i}"),
                        kind: OrgKind::Partner,
                    }),
                    t("2026-01-01T10:00:00Z"),
                    EventId(id),
                    [],
                    &admin,
                    Salt([0; 32]),
                )
                .unwrap()
            })
            .collect();
        l.append(&subs, &admin, t("2026-01-01T10:00:01Z")).unwrap();
        let r = l.verify(&mut |_| {}).unwrap();
        assert!(r.ok(), "{:?}", r.failure);
        assert_eq!(r.entries, n + 1);
    }
    // Flip one bit of entry 4321's signature, in the stored bytes.
    let bad = 4321u64;
    {
        use igl_ledger::store::{cf, seq_key};
        let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), &path, cf::ALL).unwrap();
        let h = db.cf_handle(cf::ENTRIES).unwrap();
        let bytes = db.get_cf(h, seq_key(bad)).unwrap().unwrap();
        let mut e: Entry = igl_schema::codec::decode(&bytes).unwrap();
        e.event.signature.0[5] ^= 1;
        db.put_cf(h, seq_key(bad), e.encode()).unwrap();
    }
    let l = Ledger::open_read_only(&path).unwrap();
    let f = l.verify(&mut |_| {}).unwrap().failure.unwrap();
    assert_eq!(f.seq, bad);
    assert!(
        f.message.contains("signature does not verify"),
        "{}",
        f.message
    );
}

#[test]
fn a_writer_leaves_an_empty_write_ahead_log_when_it_closes() {
    // Read-only opens replay the write-ahead log into memory: a closed writer leaves none.
    let mut f = Fixture::new();
    let ig = f.ig.clone();
    for i in 0..20 {
        let p = f.person(&format!("P{}", 100 + i), "Ada Lovelace");
        f.append(&[p], &ig).unwrap();
    }
    let path = f.ledger.path().to_path_buf();
    let wal = |path: &std::path::Path| -> u64 {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    assert!(
        wal(&path) > 0,
        "appends are in the log while the writer is open"
    );
    let Fixture { _dir, ledger, .. } = f;
    drop(ledger);
    assert_eq!(wal(&path), 0);
    let l = Ledger::open_read_only(&path).unwrap();
    assert_eq!(l.head().unwrap().unwrap().seq, 21);
}

/// A record access by `feed`, with an event id unique to (thread, batch, item).
fn access(feed: &SigningKey, thread: u8, batch: u16, item: u8) -> Submission {
    let mut id = [0xa5; 16];
    id[0] = thread;
    id[1..3].copy_from_slice(&batch.to_be_bytes());
    id[3] = item;
    Submission::sign(
        LedgerId([9; 16]),
        Event::RecordAccessed(RecordAccessed {
            person: pid(&format!("P{thread}")),
            system: SystemId::new("Eclipse").unwrap(),
            record: RecordId::new(format!("SU-{batch:04}")).unwrap(),
            purpose: Pii::new("Care review"),
            device: None,
        }),
        t("2026-01-02T10:00:00Z"),
        EventId(id),
        [],
        feed,
        Salt(id.repeat(2).try_into().unwrap()),
    )
    .unwrap()
}

#[test]
fn concurrent_appenders_are_group_committed_and_each_acknowledged_batch_is_whole() {
    let mut f = Fixture::new();
    let feed = key(40);
    let enrol = f.sign(
        &f.admin.clone(),
        Event::KeyEnrolled(KeyEnrolled {
            key: public_key(&feed),
            person: pid("SYS-ECLIPSE"),
            role: Role::SystemFeed,
            reason: None,
        }),
    );
    f.append(&[enrol], &f.admin.clone()).unwrap();
    let before = f.ledger.head().unwrap().unwrap().seq;
    let syncs_before = f.ledger.wal_syncs();
    const THREADS: u8 = 6;
    const BATCHES: u16 = 20;
    let ledger = &f.ledger;
    let feed = &feed;
    // Every thread appends its own batches through the one shared handle.
    let receipts: Vec<(u8, u16, igl_ledger::AppendReceipt)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|th| {
                s.spawn(move || {
                    (0..BATCHES)
                        .map(|b| {
                            let subs: Vec<Submission> =
                                (0..3).map(|i| access(feed, th, b, i)).collect();
                            let r = ledger
                                .append(&subs, feed, t("2026-01-02T12:00:00Z"))
                                .unwrap();
                            (th, b, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let appends = u64::from(THREADS) * u64::from(BATCHES);
    assert_eq!(receipts.len() as u64, appends);
    // One fsync per batch at most (fewer when appenders overlapped).
    let syncs = f.ledger.wal_syncs() - syncs_before;
    eprintln!("{appends} concurrent appends, {syncs} write-ahead-log syncs");
    assert!(
        (1..=appends).contains(&syncs),
        "{syncs} syncs for {appends} appends"
    );
    // The batches tile the new entries: each is three consecutive entries, all its own, and its
    // receipt names the entry that ends it.
    let mut sorted: Vec<_> = receipts.iter().collect();
    sorted.sort_by_key(|(_, _, r)| r.first_seq);
    let mut next = before + 1;
    for (th, b, r) in sorted {
        assert_eq!((r.first_seq, r.last_seq), (next, next + 2));
        for (i, seq) in (r.first_seq..=r.last_seq).enumerate() {
            let e = f.ledger.entry(seq).unwrap().unwrap();
            assert_eq!(
                e.entry.event.body.event_id,
                access(feed, *th, *b, i as u8).event.body.event_id
            );
            if seq == r.last_seq {
                assert_eq!(e.hash, r.head_hash);
            }
        }
        next = r.last_seq + 1;
    }
    assert_eq!(f.ledger.head().unwrap().unwrap().seq, next - 1);
    let report = f.ledger.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.failure);
    assert_eq!(report.seals, 3 + appends);
}
