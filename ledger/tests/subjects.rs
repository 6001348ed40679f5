//! The subject and type indexes, and subject access (`igl sar`) on top of them.
//!
//! - On random ledgers built through `Ledger::append` (seeded, with keys enrolled and used in the
//!   same batch), the stored `by_subject` and `by_type` rows are exactly what a brute-force scan
//!   of the entries says they should be.
//! - A subject access reads only the entries about the subject: proved by RocksDB's own
//!   per-thread read counters (no timing).
//! - The third-party rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use igl_ledger::Ledger;
use igl_ledger::index::{self, AUTHOR, NAMED};
use igl_ledger::sar::{self, ERASED, PersonalData, THIRD_PARTY, WITHHELD};
use igl_ledger::store::cf;
use igl_schema::*;
use rocksdb::perf::{PerfContext, PerfMetric, PerfStatsLevel, set_perf_stats};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}
fn pid(s: &str) -> PersonId {
    PersonId::new(s).unwrap()
}
fn rec(s: &str) -> RecordId {
    RecordId::new(s).unwrap()
}
fn person(s: &str) -> Subject {
    Subject::Person(pid(s))
}
fn su(s: &str) -> Subject {
    Subject::ServiceUser(rec(s))
}
fn org() -> OrgId {
    OrgId::new("council").unwrap()
}
fn key_for(label: &str) -> SigningKey {
    SigningKey::from_bytes(blake3::hash(label.as_bytes()).as_bytes())
}

const WHEN: &str = "2026-03-02T09:00:00Z";
const NOW: &str = "2026-03-02T12:00:00Z";

/// A small deterministic PRNG (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// A ledger with an admin (P1), an IG officer (P2) and a system feed (FEED).
struct L {
    dir: tempfile::TempDir,
    ledger: Ledger,
    admin: SigningKey,
    ig: SigningKey,
    feed: SigningKey,
    next: u64,
}

impl L {
    fn new() -> L {
        let dir = tempfile::tempdir().unwrap();
        let admin = key_for("admin");
        let genesis = Submission::sign(
            LedgerId([7; 16]),
            Event::LedgerCreated(LedgerCreated {
                ledger_id: LedgerId([7; 16]),
                organisation: org(),
                organisation_name: "Test Council".into(),
                admin_key: public_key(&admin),
                admin_person: pid("P1"),
            }),
            t(WHEN),
            EventId([0; 16]),
            [],
            &admin,
            Salt([0; 32]),
        )
        .unwrap();
        let (ledger, _) = Ledger::create(&dir.path().join("l"), &genesis, &admin, t(NOW)).unwrap();
        let mut l = L {
            dir,
            ledger,
            admin,
            ig: key_for("ig"),
            feed: key_for("feed"),
            next: 0,
        };
        let admin = l.admin.clone();
        let subs = vec![
            l.enrol(&l.ig.clone(), "P2", Role::IgOfficer),
            l.enrol(&l.feed.clone(), "FEED", Role::SystemFeed),
        ];
        l.ledger.append(&subs, &admin, t(NOW)).unwrap();
        l
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("l")
    }

    fn sign_with(&mut self, e: Event, author: &SigningKey, extra: Vec<Subject>) -> Submission {
        self.next += 1;
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&self.next.to_le_bytes());
        let mut salt = [0u8; 32];
        salt[..8].copy_from_slice(&self.next.to_le_bytes());
        Submission::sign(
            LedgerId([7; 16]),
            e,
            t(WHEN),
            EventId(id),
            extra,
            author,
            Salt(salt),
        )
        .unwrap()
    }

    fn sign(&mut self, e: Event, author: &SigningKey) -> Submission {
        self.sign_with(e, author, vec![])
    }

    fn enrol(&mut self, key: &SigningKey, who: &str, role: Role) -> Submission {
        let admin = self.admin.clone();
        self.sign(
            Event::KeyEnrolled(KeyEnrolled {
                key: public_key(key),
                person: pid(who),
                role,
                reason: Some(Pii::new("Joined")),
            }),
            &admin,
        )
    }

    fn append(&self, subs: &[Submission]) -> u64 {
        self.ledger.append(subs, &self.ig, t(NOW)).unwrap().last_seq
    }
}

fn person_enrolled(p: &str, name: &str, manager: Option<&str>) -> Event {
    Event::PersonEnrolled(PersonEnrolled {
        person: pid(p),
        name: Pii::new(name),
        job_title: Pii::new("Social Worker"),
        business_unit: "Adults".into(),
        organisation: org(),
        line_manager: manager.map(pid),
    })
}

fn access(p: &str, record: &str, purpose: &str) -> Event {
    Event::RecordAccessed(RecordAccessed {
        person: pid(p),
        system: SystemId::new("Eclipse").unwrap(),
        record: rec(record),
        purpose: Pii::new(purpose),
        device: None,
    })
}

fn grant(g: &str, p: &str, approver: &str, sponsor: Option<&str>) -> Event {
    Event::AccessGranted(AccessGranted {
        grant: GrantId::new(g).unwrap(),
        person: pid(p),
        system: SystemId::new("Eclipse").unwrap(),
        role: "Practitioner".into(),
        business_need: Pii::new("Case work"),
        mfa_required: true,
        approver: pid(approver),
        sponsor: sponsor.map(pid),
    })
}

/// The index rows a brute-force scan of every entry says there should be: (subject, seq) →
/// flags, from `body.subjects` and the author key's enrolled person.
fn brute_force(ledger: &Ledger) -> SubjectRows {
    let mut rows = BTreeMap::new();
    for e in ledger.entries(0) {
        let e = e.unwrap();
        let body = &e.entry.event.body;
        for s in &body.subjects {
            *rows.entry((s.to_string(), e.entry.seq)).or_default() |= NAMED;
        }
        let author = ledger
            .key(&body.author)
            .unwrap()
            .expect("authors are enrolled");
        *rows
            .entry((format!("person:{}", author.person), e.entry.seq))
            .or_default() |= AUTHOR;
    }
    rows
}

/// (subject, seq) → flags.
type SubjectRows = BTreeMap<(String, u64), u8>;
/// tag → seqs.
type TypeRows = BTreeMap<u32, Vec<u64>>;

/// Every row stored in `by_subject` and `by_type`, read straight from RocksDB.
fn stored_rows(path: &Path) -> (SubjectRows, TypeRows) {
    let db = rocksdb::DB::open_cf_for_read_only(
        &rocksdb::Options::default(),
        path,
        cf::ALL.iter(),
        false,
    )
    .unwrap();
    let mut subjects = BTreeMap::new();
    let it = db.iterator_cf(
        db.cf_handle(cf::BY_SUBJECT).unwrap(),
        rocksdb::IteratorMode::Start,
    );
    for r in it {
        let (k, v) = r.unwrap();
        if k.is_empty() {
            continue; // the "indexed from genesis" marker
        }
        let sep = k.iter().position(|b| *b == 0).expect("separator");
        let s = String::from_utf8(k[..sep].to_vec()).unwrap();
        let seq = u64::from_be_bytes(k[sep + 1..].try_into().unwrap());
        assert_eq!(v.len(), 1);
        assert!(subjects.insert((s, seq), v[0]).is_none());
    }
    let mut types = TypeRows::new();
    let it = db.iterator_cf(
        db.cf_handle(cf::BY_TYPE).unwrap(),
        rocksdb::IteratorMode::Start,
    );
    for r in it {
        let (k, v) = r.unwrap();
        assert_eq!(k.len(), 12);
        assert!(v.is_empty());
        let tag = u32::from_be_bytes(k[..4].try_into().unwrap());
        let seq = u64::from_be_bytes(k[4..].try_into().unwrap());
        types.entry(tag).or_default().push(seq);
    }
    (subjects, types)
}

/// Builds a random ledger: random batches of enrolments, grants, record accesses, declarations
/// signed with keys enrolled earlier in the same batch, breaches naming extra service users,
/// requests, leavers.
fn random_ledger(seed: u64, events: usize) -> L {
    let mut rng = Rng(seed);
    let mut l = L::new();
    let staff = |i: u64| format!("P{}", 10 + i);
    let sus = |i: u64| format!("SU-{}", 100 + i);
    let mut enrolled: Vec<(String, SigningKey)> = Vec::new();
    let mut n = 0;
    let mut batch_no = 0u64;
    while n < events {
        let size = 1 + rng.below(12) as usize;
        let mut batch = Vec::new();
        for _ in 0..size {
            let p = staff(rng.below(8));
            let q = staff(rng.below(8));
            let s = sus(rng.below(6));
            let (ig, feed) = (l.ig.clone(), l.feed.clone());
            let sub = match rng.below(9) {
                0 => {
                    let e = person_enrolled(&p, "Someone", rng.chance(50).then_some(q.as_str()));
                    l.sign(e, &ig)
                }
                1 => {
                    let g = format!("G-{}", l.next);
                    let sponsor = staff(rng.below(8));
                    let e = grant(&g, &p, &q, rng.chance(30).then_some(sponsor.as_str()));
                    l.sign(e, &ig)
                }
                2 | 3 => {
                    let extra = if rng.chance(30) {
                        vec![su(&sus(rng.below(6)))]
                    } else {
                        vec![]
                    };
                    l.sign_with(access(&p, &s, "Case review"), &feed, extra)
                }
                4 => {
                    // A key enrolled for a member of staff, used in the same batch.
                    let k = key_for(&format!("{seed}/{p}/{}", l.next));
                    let enrol = l.enrol(&k, &p, Role::Staff);
                    batch.push(enrol);
                    enrolled.push((p.clone(), k.clone()));
                    let e = Event::DeclarationSigned(DeclarationSigned {
                        person: pid(&p),
                        policy: PolicyId::new("mosaic").unwrap(),
                        version: Version::new("1").unwrap(),
                        confirms_training: true,
                    });
                    l.sign(e, &k)
                }
                5 if !enrolled.is_empty() => {
                    // An earlier-enrolled staff key reports a breach naming service users.
                    let (who, k) = enrolled[rng.below(enrolled.len() as u64) as usize].clone();
                    let e = Event::BreachReported(BreachReported {
                        breach: BreachId::new(format!("BR-{}", l.next)).unwrap(),
                        reported_by: pid(&who),
                        aware_at: t(WHEN),
                        kind: BreachKind::Loss,
                        description: Pii::new("Lost papers"),
                    });
                    l.sign_with(e, &k, vec![su(&s), su(&sus(rng.below(6)))])
                }
                6 => {
                    let subject = if rng.chance(50) { su(&s) } else { person(&p) };
                    let e = Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                        request: RequestId::new(format!("SRR-{}", l.next)).unwrap(),
                        right: Right::Access,
                        data_subject: subject,
                        details: None,
                    });
                    l.sign(e, &ig)
                }
                7 => l.sign(
                    Event::EmploymentEnded(EmploymentEnded {
                        person: pid(&p),
                        note: None,
                    }),
                    &ig,
                ),
                _ => l.sign(
                    Event::OrganisationRegistered(OrganisationRegistered {
                        organisation: OrgId::new(format!("org-{}", l.next)).unwrap(),
                        name: "Partner".into(),
                        kind: OrgKind::Partner,
                    }),
                    &l.admin.clone(),
                ),
            };
            batch.push(sub);
        }
        n += batch.len();
        // Alternate appenders: the index must not depend on who seals.
        let appender = if batch_no.is_multiple_of(3) {
            l.admin.clone()
        } else {
            l.ig.clone()
        };
        l.ledger.append(&batch, &appender, t(NOW)).unwrap();
        batch_no += 1;
    }
    l
}

#[test]
fn the_indexes_equal_a_brute_force_scan_on_random_ledgers() {
    for seed in [1u64, 2, 3, 42, 2026] {
        let l = random_ledger(seed, 150);
        let want = brute_force(&l.ledger);
        let (stored, types) = stored_rows(&l.path());
        assert_eq!(stored, want, "seed {seed}: by_subject rows");

        // The API answers every subject (and ones never mentioned) from the index alone.
        let mut subjects: BTreeSet<String> = want.keys().map(|(s, _)| s.clone()).collect();
        subjects.insert("person:P99".into());
        subjects.insert("service-user:SU-999".into());
        subjects.insert("person:P1".into());
        for s in &subjects {
            let subject = Subject::parse(s).unwrap();
            let got = l.ledger.subject_entries(&subject).unwrap();
            let expect: Vec<(u64, u8)> = want
                .iter()
                .filter(|((x, _), _)| x == s)
                .map(|((_, seq), f)| (*seq, *f))
                .collect();
            assert_eq!(got, expect, "seed {seed}: {s}");
        }

        // by_type: every entry once, under its catalogue tag.
        let mut by_type: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for e in l.ledger.entries(0) {
            let e = e.unwrap();
            let tag = index::type_tag(e.entry.event.body.event.type_name()).unwrap();
            by_type.entry(tag).or_default().push(e.entry.seq);
        }
        assert_eq!(types, by_type, "seed {seed}: by_type rows");
        for (i, name) in Event::TYPES.iter().enumerate() {
            assert_eq!(
                l.ledger.type_entries(name).unwrap(),
                by_type.get(&(i as u32)).cloned().unwrap_or_default(),
                "seed {seed}: {name}"
            );
        }
        assert!(l.ledger.type_entries("NoSuchType").unwrap().is_empty());
        assert!(l.ledger.verify(&mut |_| {}).unwrap().ok());
        assert_eq!(l.ledger.check_indexes().unwrap(), None, "seed {seed}");
    }
}

#[test]
fn a_key_enrolled_in_the_same_batch_is_indexed_as_the_author() {
    let mut l = L::new();
    let k = key_for("p10");
    let enrol = l.enrol(&k, "P10", Role::Staff);
    let decl = l.sign(
        Event::DeclarationSigned(DeclarationSigned {
            person: pid("P10"),
            policy: PolicyId::new("mosaic").unwrap(),
            version: Version::new("1").unwrap(),
            confirms_training: true,
        }),
        &k,
    );
    let report = l.sign_with(
        Event::BreachReported(BreachReported {
            breach: BreachId::new("BR-1").unwrap(),
            reported_by: pid("P10"),
            aware_at: t(WHEN),
            kind: BreachKind::Loss,
            description: Pii::new("Lost papers"),
        }),
        &k,
        vec![su("SU-1")],
    );
    let last = l.append(&[enrol, decl, report]);
    let (e, d, r) = (last - 2, last - 1, last);
    assert_eq!(
        l.ledger.subject_entries(&person("P10")).unwrap(),
        [(e, NAMED), (d, NAMED | AUTHOR), (r, NAMED | AUTHOR)]
    );
    // The admin enrolled the key; the genesis entry names the admin and is signed by them.
    let p1 = l.ledger.subject_entries(&person("P1")).unwrap();
    assert_eq!(p1[0], (0, NAMED | AUTHOR));
    assert!(p1.contains(&(e, AUTHOR)));
    assert_eq!(l.ledger.subject_entries(&su("SU-1")).unwrap(), [(r, NAMED)]);
    // A bare id is looked up as both kinds.
    assert_eq!(
        l.ledger
            .subjects_entries(&index::subjects_for_id("P10"))
            .unwrap()
            .len(),
        3
    );
    // The index survives reopening read-only.
    let ro = Ledger::open_read_only(&l.path()).unwrap();
    assert_eq!(ro.subject_entries(&person("P10")).unwrap().len(), 3);
    assert_eq!(ro.type_entries("DeclarationSigned").unwrap(), [d]);
}

#[test]
fn a_refused_batch_writes_no_index_rows() {
    let mut l = L::new();
    let before = l.ledger.subject_entries(&su("SU-1")).unwrap();
    let ok = l.sign(access("P10", "SU-1", "Visit"), &l.feed.clone());
    // The feed may not publish policies: the whole batch is refused.
    let bad = l.sign(
        Event::PolicyPublished(PolicyPublished {
            policy: PolicyId::new("mosaic").unwrap(),
            version: Version::new("2").unwrap(),
            title: "Mosaic security policy".into(),
            text_blake3: Hash32([1; 32]),
        }),
        &l.feed.clone(),
    );
    assert!(l.ledger.append(&[ok, bad], &l.ig, t(NOW)).is_err());
    assert_eq!(l.ledger.subject_entries(&su("SU-1")).unwrap(), before);
    assert!(l.ledger.type_entries("RecordAccessed").unwrap().is_empty());
}

/// What RocksDB did on this thread while a closure ran, from its per-thread perf context
/// (counts, no timing).
#[derive(Debug)]
struct Reads {
    /// Point lookups (`Get`): each looks in the one memtable first, so this is the number of
    /// lookups.
    gets: u64,
    /// Iterator seeks and steps.
    steps: u64,
    /// Bytes of the values the lookups returned.
    get_bytes: u64,
}

/// A counter from the perf context's report (`name = value, ...`); the report names counters
/// the C API has no accessor for.
fn counter(report: &str, name: &str) -> u64 {
    report
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .unwrap_or_else(|| panic!("the perf report has no {name}: {report}"))
        .1
        .trim()
        .parse()
        .unwrap()
}

fn reads<T>(f: impl FnOnce() -> T) -> (T, Reads) {
    set_perf_stats(PerfStatsLevel::EnableCount);
    let mut ctx = PerfContext::default();
    ctx.reset();
    let out = f();
    let report = ctx.report(false);
    let r = Reads {
        gets: ctx.metric(PerfMetric::GetFromMemtableCount),
        steps: counter(&report, "iter_next_count") + counter(&report, "iter_seek_count"),
        get_bytes: ctx.metric(PerfMetric::GetReadBytes),
    };
    set_perf_stats(PerfStatsLevel::Disable);
    (out, r)
}

#[test]
fn a_subject_access_reads_only_the_entries_about_the_subject() {
    let mut l = L::new();
    let feed = l.feed.clone();
    let mut mine = Vec::new();
    // 3,000 record accesses about other service users, with 6 about SU-7 scattered among them.
    for batch in 0..6 {
        let mut subs = Vec::new();
        for i in 0..500u32 {
            let other = format!("SU-{}", 1000 + (i * 7 + batch) % 400);
            subs.push(l.sign(access("P10", &other, "Routine review"), &feed));
            if i == 250 {
                subs.push(l.sign(access("P11", "SU-7", "Care plan review"), &feed));
            }
        }
        let last = l.ledger.append(&subs, &l.ig, t(NOW)).unwrap().last_seq;
        mine.push(last - 249);
    }
    let total = l.ledger.head().unwrap().unwrap().seq + 1;
    assert!(total > 3000);
    let k = mine.len() as u64;
    let entry_bytes: u64 = mine
        .iter()
        .map(|s| l.ledger.entry(*s).unwrap().unwrap().entry.encode().len() as u64)
        .sum();

    // Reopen read-only, as `igl sar` does.
    let ro = Ledger::open_read_only(&l.path()).unwrap();
    let (found, sar) = reads(|| sar::subject_access(&ro, &su("SU-7"), None).unwrap());
    let seqs: Vec<u64> = found.iter().map(|d| d.seq).collect();
    assert_eq!(seqs, mine);
    // k entries and their k payloads, the index marker, one author key record: 2k + 2 lookups.
    assert_eq!(sar.gets, 2 * k + 2, "{sar:?}");
    // One seek onto the first index row, k - 1 steps to the others, one step past them.
    assert_eq!(sar.steps, k + 1, "{sar:?}");
    assert!(sar.get_bytes >= entry_bytes, "{sar:?} vs {entry_bytes}");
    assert!(
        sar.get_bytes <= 2 * entry_bytes + 1024,
        "{sar:?} vs {entry_bytes}"
    );

    // The same counters do see a scan: one step per entry.
    let (n, scan) = reads(|| ro.entries(0).count());
    assert_eq!(n as u64, total);
    assert!(scan.steps >= total, "{scan:?}");

    // The index lookups alone read no entry at all.
    let (rows, index) = reads(|| ro.subject_entries(&su("SU-7")).unwrap());
    assert_eq!(rows.len() as u64, k);
    assert_eq!((index.gets, index.steps), (1, k + 1), "{index:?}");
    let (by_type, typed) = reads(|| ro.type_entries("RecordAccessed").unwrap());
    assert_eq!(by_type.len() as u64, total - 3);
    assert_eq!(typed.gets, 1, "{typed:?}");
}

#[test]
fn the_third_party_rule() {
    let mut l = L::new();
    let (ig, feed) = (l.ig.clone(), l.feed.clone());
    let subs = vec![
        l.sign(person_enrolled("P10", "Ada Lovelace", Some("P12")), &ig),
        l.sign(grant("G-1", "P10", "P12", Some("P13")), &ig),
        l.sign(access("P10", "SU-1", "Reviewed SU-1's care plan"), &feed),
        l.sign(access("P10", "SU-2", "Reviewed SU-2's care plan"), &feed),
        l.sign_with(
            Event::BreachReported(BreachReported {
                breach: BreachId::new("BR-1").unwrap(),
                reported_by: pid("P2"),
                aware_at: t(WHEN),
                kind: BreachKind::Loss,
                description: Pii::new("Letter about SU-1 and SU-2 lost"),
            }),
            &ig,
            vec![su("SU-1"), su("SU-2")],
        ),
        l.sign(
            Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                request: RequestId::new("SRR-1").unwrap(),
                right: Right::Access,
                data_subject: su("SU-1"),
                details: Some(Pii::new("Wants a copy of the case notes")),
            }),
            &ig,
        ),
    ];
    let last = l.append(&subs);
    let [enrolled, granted, acc1, acc2, breach, request] =
        std::array::from_fn(|i| last - 5 + i as u64);

    // The service user SU-1.
    let d = sar::subject_access(&l.ledger, &su("SU-1"), None).unwrap();
    let seqs: Vec<u64> = d.iter().map(|x| x.seq).collect();
    assert_eq!(seqs, [acc1, breach, request]);
    // Their record opened by P10: the member of staff acted professionally, shown with the
    // purpose.
    let a = &d[0];
    assert_eq!(a.fields["person"], "P10");
    assert_eq!(a.fields["record"], "SU-1");
    assert_eq!(a.fields["purpose"], "Reviewed SU-1's care plan");
    assert_eq!(a.author.as_deref(), Some("FEED"));
    assert_eq!(a.personal_data, PersonalData::Disclosed);
    assert!(a.withheld.is_empty());
    assert!(a.appears_as.subject && !a.appears_as.author);
    // A breach that also names SU-2: SU-2 is a third party and the description is withheld; the
    // reporting officer is shown.
    let b = &d[1];
    assert_eq!(b.subjects, ["person:P2", "service-user:SU-1", THIRD_PARTY]);
    assert_eq!(b.fields["reported_by"], "P2");
    assert_eq!(b.fields["description"], WITHHELD);
    assert_eq!(b.personal_data, PersonalData::Withheld);
    // Their own request: everything.
    assert_eq!(d[2].fields["details"], "Wants a copy of the case notes");
    assert_eq!(d[2].fields["data_subject"], "service-user:SU-1");

    // The line manager P12 (named on P10's enrolment and as approver of P10's grant).
    let d = sar::subject_access(&l.ledger, &person("P12"), None).unwrap();
    let seqs: Vec<u64> = d.iter().map(|x| x.seq).collect();
    assert_eq!(seqs, [enrolled, granted]);
    let e = &d[0];
    assert_eq!(e.fields["person"], THIRD_PARTY);
    assert_eq!(e.fields["line_manager"], "P12");
    assert_eq!(e.fields["name"], WITHHELD);
    assert_eq!(e.fields["job_title"], WITHHELD);
    assert_eq!(e.fields["business_unit"], "Adults");
    assert_eq!(e.subjects, [THIRD_PARTY, "person:P12"]);
    assert_eq!(e.withheld, ["person", "name", "job_title"]);
    let g = &d[1];
    assert_eq!(g.fields["person"], THIRD_PARTY);
    assert_eq!(g.fields["approver"], "P12");
    assert_eq!(g.fields["sponsor"], "P13", "a sponsor acts professionally");
    assert_eq!(g.fields["business_need"], WITHHELD);

    // The member of staff P10: their own enrolment and grant in full; the service users whose
    // records they opened are third parties, and so is the purpose.
    let d = sar::subject_access(&l.ledger, &person("P10"), None).unwrap();
    let seqs: Vec<u64> = d.iter().map(|x| x.seq).collect();
    assert_eq!(seqs, [enrolled, granted, acc1, acc2]);
    assert_eq!(d[0].fields["name"], "Ada Lovelace");
    assert_eq!(d[0].fields["line_manager"], "P12");
    assert_eq!(d[1].fields["business_need"], "Case work");
    assert_eq!(d[2].fields["record"], THIRD_PARTY);
    assert_eq!(d[2].fields["purpose"], WITHHELD);
    assert_eq!(d[2].subjects, ["person:P10", THIRD_PARTY]);

    // The IG officer P2 authored most of it: enrolment of another person shows no personal data.
    let d = sar::subject_access(&l.ledger, &person("P2"), None).unwrap();
    let e = d.iter().find(|x| x.seq == enrolled).unwrap();
    assert!(e.appears_as.author && !e.appears_as.subject);
    assert_eq!(e.fields["person"], THIRD_PARTY);
    assert_eq!(e.fields["name"], WITHHELD);
    assert_eq!(e.fields["line_manager"], "P12");
    let r = d.iter().find(|x| x.seq == request).unwrap();
    assert_eq!(r.fields["data_subject"], THIRD_PARTY);
    assert_eq!(r.fields["details"], WITHHELD);
    let b = d.iter().find(|x| x.seq == breach).unwrap();
    assert!(b.appears_as.author && b.appears_as.subject);
}

#[test]
fn erased_entries_show_as_erased_and_as_of_limits_to_what_was_held() {
    let mut l = L::new();
    let feed = l.feed.clone();
    let first = l.sign(access("P10", "SU-1", "Visit notes"), &feed);
    let seq = l.append(&[first]);
    let later = l.sign(access("P11", "SU-1", "Follow-up"), &feed);
    l.ledger
        .append(&[later], &l.ig, t("2026-03-05T12:00:00Z"))
        .unwrap();
    let r = l
        .ledger
        .redact(
            seq,
            "Erasure request SRR-9".into(),
            Some(RequestId::new("SRR-9").unwrap()),
            &l.ig,
            EventId([200; 16]),
            t("2026-03-06T12:00:00Z"),
        )
        .unwrap();
    let d = sar::subject_access(&l.ledger, &su("SU-1"), None).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].seq, seq);
    assert_eq!(d[0].personal_data, PersonalData::Erased { by: r.last_seq });
    assert_eq!(d[0].fields["purpose"], ERASED);
    assert_eq!(d[0].fields["person"], "P10");
    assert_eq!(d[1].fields["purpose"], "Follow-up");
    // As held at 3 March: only the first entry had been recorded.
    let d = sar::subject_access(&l.ledger, &su("SU-1"), Some(t("2026-03-03T00:00:00Z"))).unwrap();
    assert_eq!(d.len(), 1);
}

#[test]
fn check_indexes_finds_a_missing_a_changed_and_a_planted_row() {
    let l = random_ledger(7, 60);
    assert_eq!(l.ledger.check_indexes().unwrap(), None);
    let path = l.path();
    let L { dir, ledger, .. } = l;
    drop(ledger);
    let victim = su("SU-101");
    let tamper = |f: &dyn Fn(&rocksdb::DB)| {
        let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), &path, cf::ALL.iter()).unwrap();
        f(&db);
    };
    let check = || {
        Ledger::open_read_only(&path)
            .unwrap()
            .check_indexes()
            .unwrap()
    };

    let first = Ledger::open_read_only(&path)
        .unwrap()
        .subject_entries(&victim)
        .unwrap()[0]
        .0;
    let key = index::subject_key(&victim, first);
    // A deleted row: a subject access would silently miss the entry.
    tamper(&|db| {
        db.delete_cf(db.cf_handle(cf::BY_SUBJECT).unwrap(), &key)
            .unwrap()
    });
    let f = check().expect("a missing row is found");
    assert_eq!(f.seq, first);
    assert!(
        f.message.contains("no row for service-user:SU-101"),
        "{}",
        f.message
    );
    // Changed flags.
    tamper(&|db| {
        db.put_cf(db.cf_handle(cf::BY_SUBJECT).unwrap(), &key, [AUTHOR])
            .unwrap()
    });
    let f = check().expect("changed flags are found");
    assert!(f.message.contains("flags"), "{}", f.message);
    // Put right, then plant a row no entry implies.
    tamper(&|db| {
        db.put_cf(db.cf_handle(cf::BY_SUBJECT).unwrap(), &key, [NAMED])
            .unwrap()
    });
    assert_eq!(check(), None);
    tamper(&|db| {
        let planted = index::subject_key(&su("SU-999"), 3);
        db.put_cf(db.cf_handle(cf::BY_SUBJECT).unwrap(), planted, [NAMED])
            .unwrap()
    });
    let f = check().expect("a planted row is found");
    assert!(
        f.message.contains("rows but the entries imply"),
        "{}",
        f.message
    );
    // And in the type index.
    tamper(&|db| {
        let planted = index::subject_key(&su("SU-999"), 3);
        db.delete_cf(db.cf_handle(cf::BY_SUBJECT).unwrap(), planted)
            .unwrap();
        db.delete_cf(db.cf_handle(cf::BY_TYPE).unwrap(), index::type_key(0, 0))
            .unwrap();
    });
    let f = check().expect("a missing type row is found");
    assert_eq!(f.seq, 0);
    assert!(f.message.contains("type index"), "{}", f.message);
    drop(dir);
}
