//! The subject and type indexes, and subject access (`igl sar`) on top of them.
//!
//! - On random ledgers built through `Ledger::append` (seeded, with keys enrolled and used in the
//!   same batch), the stored `by_subject` and `by_type` rows are exactly what a brute-force scan
//!   of the entries says they should be.
//! - A subject access reads only the entries about the subject: proved by RocksDB's own
//!   per-thread read counters (no timing).
//! - The third-party rule.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use igl_ledger::Ledger;
use igl_ledger::index;
use igl_ledger::rows::index::{AUTHOR, NAMED, subject_key, type_key, type_tag};
use igl_ledger::store::cf;
use igl_ledger::subject::sar::{self, ERASED, PersonalData, THIRD_PARTY, WITHHELD};
use igl_ledger::testkit::{Genesis, numbered};
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
        let genesis = Genesis::new(LedgerId([7; 16]), t(WHEN))
            .council(org().as_str(), "Test Council")
            .sign(&admin);
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
        let (id, salt) = numbered(self.next);
        Submission::sign(LedgerId([7; 16]), e, t(WHEN), id, extra, author, salt).unwrap()
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
    random_ledger_with(seed, events, false)
}

/// [`random_ledger`], with a checkpoint signed after some batches when `checkpoints` is set.
fn random_ledger_with(seed: u64, events: usize, checkpoints: bool) -> L {
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
        if checkpoints && rng.chance(20) {
            l.next += 1;
            let id = EventId(l.next.to_le_bytes().repeat(2).try_into().unwrap());
            l.ledger.checkpoint(&l.admin, t(NOW), id).unwrap();
        }
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
            let tag = type_tag(e.entry.event.body.event.type_name()).unwrap();
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
    let key = subject_key(&victim, first);
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
        let planted = subject_key(&su("SU-999"), 3);
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
        let planted = subject_key(&su("SU-999"), 3);
        db.delete_cf(db.cf_handle(cf::BY_SUBJECT).unwrap(), planted)
            .unwrap();
        db.delete_cf(db.cf_handle(cf::BY_TYPE).unwrap(), type_key(0, 0))
            .unwrap();
    });
    let f = check().expect("a missing type row is found");
    assert_eq!(f.seq, 0);
    assert!(f.message.contains("type index"), "{}", f.message);
    drop(dir);
}

// --- The subject index: provably complete answers --------------------------------------------

/// The subject index computed from `schema/FORMAT.md` alone, with `blake3` and `sha2` directly:
/// none of igl's own code (an independent implementation for the tests to compare with).
mod reference {
    use sha2::{Digest, Sha256};

    pub type H = [u8; 32];

    pub fn map_key(ledger_id: &[u8; 16], name: &str) -> H {
        let mut h = blake3::Hasher::new_derive_key("igledger 2026-12-02 subject map key v1");
        h.update(ledger_id);
        h.update(name.as_bytes());
        *h.finalize().as_bytes()
    }
    pub fn step(prev: &H, seq: u64, entry_hash: &H) -> H {
        let mut h = blake3::Hasher::new_derive_key("igledger 2026-12-02 subject chain v1");
        h.update(prev);
        h.update(&seq.to_le_bytes());
        h.update(entry_hash);
        *h.finalize().as_bytes()
    }
    pub fn head(list: &[(u64, H)]) -> H {
        list.iter().fold([0; 32], |h, (seq, e)| step(&h, *seq, e))
    }
    pub fn leaf(key: &H, head: &H) -> H {
        Sha256::new()
            .chain_update([0u8])
            .chain_update(key)
            .chain_update(head)
            .finalize()
            .into()
    }
    fn node(l: &H, r: &H) -> H {
        Sha256::new()
            .chain_update([1u8])
            .chain_update(l)
            .chain_update(r)
            .finalize()
            .into()
    }
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }
    /// RFC 6962 MTH over leaf hashes.
    pub fn mth(d: &[H]) -> H {
        match d.len() {
            0 => Sha256::digest([]).into(),
            1 => d[0],
            n => {
                let k = split(n);
                node(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }
    /// RFC 6962 PATH(m, D).
    pub fn path(m: usize, d: &[H]) -> Vec<H> {
        if d.len() <= 1 {
            return Vec::new();
        }
        let k = split(d.len());
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }
}

/// Every subject's list of (seq, entry hash) before `size`, by the rules of FORMAT.md, from the
/// entries alone (the author's person from the ledger's own key events).
fn reference_lists(ledger: &Ledger, size: u64) -> BTreeMap<String, Vec<(u64, [u8; 32])>> {
    let mut people: BTreeMap<PublicKey, PersonId> = BTreeMap::new();
    let mut lists: BTreeMap<String, Vec<(u64, [u8; 32])>> = BTreeMap::new();
    for e in ledger.entries(0) {
        let e = e.unwrap();
        if e.entry.seq >= size {
            break;
        }
        let body = &e.entry.event.body;
        let mut names: BTreeSet<String> = body.subjects.iter().map(|s| s.to_string()).collect();
        match &body.event {
            Event::LedgerCreated(x) => {
                people.insert(x.admin_key, x.admin_person.clone());
                names.insert(format!("key:{}", x.admin_key.to_hex()));
            }
            Event::KeyEnrolled(x) => {
                people.insert(x.key, x.person.clone());
                names.insert(format!("key:{}", x.key.to_hex()));
            }
            Event::KeyRevoked(x) => {
                names.insert(format!("key:{}", x.key.to_hex()));
            }
            _ => {}
        }
        if let Some(p) = people.get(&body.author) {
            names.insert(format!("person:{p}"));
        }
        for n in names {
            lists.entry(n).or_default().push((e.entry.seq, e.hash.0));
        }
    }
    lists
}

/// A map's leaves: (map key, list head), in key order.
type Leaves = Vec<([u8; 32], [u8; 32])>;

/// The reference map of those lists: its leaves and its root.
fn reference_map(
    id: &LedgerId,
    lists: &BTreeMap<String, Vec<(u64, [u8; 32])>>,
) -> (Leaves, [u8; 32]) {
    let mut leaves: Vec<([u8; 32], [u8; 32])> = lists
        .iter()
        .map(|(n, l)| (reference::map_key(&id.0, n), reference::head(l)))
        .collect();
    leaves.sort();
    let hashes: Vec<[u8; 32]> = leaves.iter().map(|(k, h)| reference::leaf(k, h)).collect();
    let root = reference::mth(&hashes);
    (leaves, root)
}

/// Every `CheckpointRecorded` entry: (seq, its subject-map commitment).
fn recorded_maps(ledger: &Ledger) -> Vec<(u64, u64, Hash32)> {
    ledger
        .type_entries("CheckpointRecorded")
        .unwrap()
        .into_iter()
        .map(|seq| {
            let e = ledger.entry(seq).unwrap().unwrap();
            let Event::CheckpointRecorded(c) = &e.entry.event.body.event else {
                unreachable!()
            };
            (seq, c.subject_map_size, c.subject_map_root)
        })
        .collect()
}

#[test]
fn every_checkpoint_commits_to_the_subject_index_an_independent_recomputation_gives() {
    for seed in [3u64, 11, 2026] {
        let l = random_ledger_with(seed, 160, true);
        let id = l.ledger.ledger_id().unwrap();
        let maps = recorded_maps(&l.ledger);
        assert!(maps.len() >= 2, "seed {seed}: a few checkpoints");
        for (n, size, root) in maps {
            let lists = reference_lists(&l.ledger, n);
            let (leaves, want) = reference_map(&id, &lists);
            assert_eq!(
                (size, root.0),
                (leaves.len() as u64, want),
                "seed {seed}: checkpoint {n}"
            );
            // The heads read back from the store at that size are the reference's.
            let stored: Vec<([u8; 32], [u8; 32])> = l
                .ledger
                .subject_map_leaves(n)
                .unwrap()
                .into_iter()
                .map(|(k, h)| (k.0, h.0))
                .collect();
            assert_eq!(stored, leaves, "seed {seed}: leaves at {n}");
        }
        assert!(l.ledger.verify(&mut |_| {}).unwrap().ok());
    }
}

/// A random ledger with a key revoked, checkpointed at its end (and at random points before).
fn checkpointed(seed: u64) -> (L, note::SignedCheckpoint) {
    let mut l = random_ledger_with(seed, 120, true);
    let k = key_for(&format!("revoked/{seed}"));
    let enrol = l.enrol(&k, "P12", Role::Staff);
    let admin = l.admin.clone();
    let revoke = l.sign(
        Event::KeyRevoked(KeyRevoked {
            key: public_key(&k),
            person: pid("P12"),
            reason: Pii::new("Left"),
        }),
        &admin,
    );
    l.append(&[enrol]);
    l.append(&[revoke]);
    // Two checkpoints: bundles are proved against the second, and prove lists complete up to
    // the first (recorded inside the second's tree).
    l.ledger
        .checkpoint(&l.admin, t(NOW), EventId([0xcb; 16]))
        .unwrap();
    let cp = l
        .ledger
        .checkpoint(&l.admin, t(NOW), EventId([0xcc; 16]))
        .unwrap();
    (l, cp)
}

/// The seq of the checkpoint a bundle proved against `cp` proves lists complete up to.
fn index_at(l: &L, cp: &note::SignedCheckpoint) -> u64 {
    igl_ledger::bundle::index_checkpoint(&l.ledger, cp.checkpoint.size).unwrap()
}

fn subject_bundle(l: &L, cp: &note::SignedCheckpoint, name: &str) -> igl_ledger::bundle::Bundle {
    let named = igl_ledger::subject_map::Named::parse(name).unwrap();
    let seqs = l.ledger.subject_list(&named, index_at(l, cp)).unwrap();
    igl_ledger::bundle::make(
        &l.ledger,
        cp,
        igl_ledger::bundle::Claim::Subject {
            subjects: vec![name.to_string()],
        },
        &seqs,
    )
    .unwrap()
}

fn check_bundle(
    b: &igl_ledger::bundle::Bundle,
    admin: &PublicKey,
) -> Result<igl_ledger::bundle::BundleReport, String> {
    igl_ledger::bundle::verify(&b.to_text(), igl_ledger::bundle::Trust::Key(admin))
        .map_err(|e| e.to_string())
}

#[test]
fn every_subject_bundle_proves_complete_and_any_entry_left_out_or_forged_head_fails() {
    for seed in [5u64, 19] {
        let (l, cp) = checkpointed(seed);
        let admin = public_key(&l.admin);
        let size = cp.checkpoint.size;
        let at = index_at(&l, &cp);
        assert_eq!(at, size - 1, "the checkpoint just before");
        let lists = reference_lists(&l.ledger, at);
        let mut names: Vec<String> = lists.keys().cloned().collect();
        // Never named: absence proofs.
        names.extend([
            "person:P99".to_string(),
            "service-user:SU-999".to_string(),
            format!("key:{}", "ab".repeat(32)),
        ]);
        for name in &names {
            let b = subject_bundle(&l, &cp, name);
            let want: Vec<u64> = lists
                .get(name)
                .map(|v| v.iter().map(|(s, _)| *s).collect())
                .unwrap_or_default();
            let r = check_bundle(&b, &admin).unwrap_or_else(|e| panic!("seed {seed} {name}: {e}"));
            assert_eq!(r.complete.len(), 1);
            assert_eq!(r.complete[0].subject.to_string(), *name);
            assert_eq!(r.complete[0].seqs, want, "seed {seed} {name}");

            // Trimmed: each entry left out of the bundle, with and without its seq in the list.
            for i in 0..b.entries.len().min(4) {
                let mut t1 = b.clone();
                let gone = t1.entries.remove(i).seq;
                let e = check_bundle(&t1, &admin).unwrap_err();
                assert!(
                    e.contains("left out") || e.contains("not in the bundle"),
                    "{name}: {e}"
                );
                t1.subject_index[0].seqs.retain(|s| *s != gone);
                let e = check_bundle(&t1, &admin).unwrap_err();
                assert!(e.contains("subject index of"), "{name}: {e}");
            }
            // A forged list: claim the subject has no entry, with the neighbours of another.
            if !want.is_empty() {
                let mut t2 = b.clone();
                t2.entries.clear();
                t2.subject_index[0].seqs.clear();
                t2.subject_index[0].proof.clear();
                assert!(check_bundle(&t2, &admin).is_err(), "{name}: absence forged");
                // The proof moved to another position.
                let mut t3 = b.clone();
                t3.subject_index[0].position ^= 1;
                assert!(check_bundle(&t3, &admin).is_err(), "{name}: position");
            } else {
                // An absent subject said to be somewhere else.
                let mut t4 = b.clone();
                let p = &mut t4.subject_index[0];
                if p.left.is_some() && p.right.is_some() {
                    std::mem::swap(&mut p.left, &mut p.right);
                    assert!(check_bundle(&t4, &admin).is_err(), "{name}: swapped");
                }
            }
        }
        // An absence proof for a listed subject, made of two genuine adjacent leaves elsewhere
        // in the map: its key is not between them.
        let listed = lists.keys().find(|n| n.starts_with("person:")).unwrap();
        let absent = subject_bundle(&l, &cp, "person:P99").subject_index[0].clone();
        let mut fake = subject_bundle(&l, &cp, listed);
        fake.entries.clear();
        fake.subject_index[0] = igl_ledger::subject_map::SubjectProof {
            subject: listed.clone(),
            seqs: vec![],
            ..absent
        };
        let e = check_bundle(&fake, &admin).unwrap_err();
        assert!(e.contains("not on that side of its key"), "{e}");

        // A checkpoint entry signed by the council but never recorded, committing to a map
        // that leaves an entry out: it is not in the signed tree, so it is refused.
        let mut forged = subject_bundle(&l, &cp, listed);
        let ic = forged.index_checkpoint.clone().unwrap();
        let mut entry: Entry = codec::decode(&hex::decode(&ic.entry).unwrap()).unwrap();
        let Event::CheckpointRecorded(mut c) = entry.event.body.event.clone() else {
            unreachable!()
        };
        c.subject_map_root = Hash32([0x42; 32]);
        let resigned = Submission::sign(
            entry.event.body.ledger_id,
            Event::CheckpointRecorded(c),
            entry.event.body.occurred_at,
            entry.event.body.event_id,
            [],
            &l.admin,
            Salt([0; 32]),
        )
        .unwrap();
        entry.event = resigned.event;
        forged.index_checkpoint = Some(igl_ledger::bundle::BundleEntry {
            entry: hex::encode(entry.encode()),
            ..ic
        });
        let e = check_bundle(&forged, &admin).unwrap_err();
        assert!(
            e.contains("index checkpoint") && e.contains("inclusion proof"),
            "{e}"
        );

        // A subject claim whose proof is dropped, or proves another subject, is refused.
        let name = lists
            .keys()
            .find(|n| n.starts_with("service-user:"))
            .unwrap();
        let mut b = subject_bundle(&l, &cp, name);
        let other = subject_bundle(&l, &cp, "person:P99");
        b.subject_index = other.subject_index.clone();
        assert!(check_bundle(&b, &admin).is_err());
        b.subject_index.clear();
        let e = check_bundle(&b, &admin).unwrap_err();
        assert!(e.contains("proves the lists of none"), "{e}");
        // Every bundle carries its index checkpoint.
        b.index_checkpoint = None;
        let e = check_bundle(&b, &admin).unwrap_err();
        assert!(e.contains("carries no index checkpoint"), "{e}");
    }
}

#[test]
fn every_sar_pack_proves_its_subject_complete_and_a_pack_that_leaves_an_entry_out_fails() {
    use igl_ledger::subject::pack::{self, BUNDLE_JSON, PackReport, REPORT_JSON, REPORT_MD};
    let (l, cp) = checkpointed(23);
    let admin = public_key(&l.admin);
    let lists = reference_lists(&l.ledger, index_at(&l, &cp));
    let out = tempfile::tempdir().unwrap();
    let read = |d: &Path| {
        (
            std::fs::read_to_string(d.join(REPORT_JSON)).unwrap(),
            std::fs::read_to_string(d.join(REPORT_MD)).unwrap(),
            std::fs::read_to_string(d.join(BUNDLE_JSON)).unwrap(),
        )
    };
    let check = |(j, m, b): &(String, String, String)| {
        pack::verify_pack(j, m, b, igl_ledger::bundle::Trust::Key(&admin)).map_err(|e| e.0)
    };
    let mut tried = 0;
    for (name, list) in lists.iter().filter(|(n, _)| !n.starts_with("key:")) {
        let subject = Subject::parse(name).unwrap();
        let dir = out.path().join(format!("p{tried}"));
        pack::write_pack(&l.ledger, &subject, None, &dir, t(NOW)).unwrap();
        let files = read(&dir);
        let r = check(&files).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.subject_entries, list.len(), "{name}");
        assert!(r.after_held_at.is_empty());
        tried += 1;

        // Leave the last entry out of all three files, consistently: only the subject index
        // can tell.
        let mut report: PackReport = serde_json::from_str(&files.0).unwrap();
        let mut bundle: igl_ledger::bundle::Bundle = serde_json::from_str(&files.2).unwrap();
        // (The last entry before the index checkpoint: entries after it are listed, but only a
        // later checkpoint proves that none of them was left out.)
        let upto = index_at(&l, &cp);
        let at = report.entries.iter().rposition(|e| e.seq < upto).unwrap();
        let gone = report.entries.remove(at).seq;
        report.summary = pack::counts(&report.entries);
        bundle.entries.retain(|e| e.seq != gone);
        bundle.hash_only.retain(|e| e.seq != gone);
        let trimmed = (
            report.to_text(),
            pack::render_markdown(&report),
            bundle.to_text(),
        );
        let e = check(&trimmed).unwrap_err();
        assert!(e.contains(&format!("seq {gone}")), "{name}: {e}");
        // And out of the subject index's list too: the list no longer folds to the head.
        bundle.subject_index[0].seqs.retain(|s| *s != gone);
        let e = check(&(trimmed.0, trimmed.1, bundle.to_text())).unwrap_err();
        assert!(
            e.contains("not the list the checkpoint commits to"),
            "{name}: {e}"
        );

        // Padded instead: someone else's entry, by hash only, listed as the requester's.
        let mut report: PackReport = serde_json::from_str(&files.0).unwrap();
        let mut bundle: igl_ledger::bundle::Bundle = serde_json::from_str(&files.2).unwrap();
        let size = cp.checkpoint.size;
        let other = (1..index_at(&l, &cp))
            .find(|s| !list.iter().any(|(x, _)| x == s))
            .unwrap();
        let stored = l.ledger.entry(other).unwrap().unwrap();
        let mut fake = report.entries[0].clone();
        fake.seq = other;
        fake.entry_hash = stored.hash;
        fake.proof = pack::Proof::HashOnly;
        fake.erasure = None;
        report.entries.push(fake);
        report.entries.sort_by_key(|e| e.seq);
        report.summary = pack::counts(&report.entries);
        bundle.hash_only.push(igl_ledger::bundle::HashOnlyEntry {
            seq: other,
            entry_hash: stored.hash,
            proof: l.ledger.inclusion_proof(other, size).unwrap(),
        });
        bundle.hash_only.sort_by_key(|e| e.seq);
        let padded = (
            report.to_text(),
            pack::render_markdown(&report),
            bundle.to_text(),
        );
        let e = check(&padded).unwrap_err();
        assert!(
            e.contains(&format!(
                "seq {other}: report.json lists it, but it is not about"
            )),
            "{name}: {e}"
        );
    }
    assert!(tried > 8);
}

fn report_refused(
    report: &igl_ledger::subject::pack::PackReport,
    bundle: &str,
    admin: &PublicKey,
) -> String {
    use igl_ledger::subject::pack;
    pack::verify_pack(
        &report.to_text(),
        &pack::render_markdown(report),
        bundle,
        igl_ledger::bundle::Trust::Key(admin),
    )
    .unwrap_err()
    .0
}

#[test]
fn a_pack_held_at_an_earlier_instant_accounts_for_the_entries_recorded_since() {
    use igl_ledger::subject::pack::{self, BUNDLE_JSON, REPORT_JSON, REPORT_MD};
    let mut l = random_ledger(29, 60);
    // Two more entries about SU-100, recorded a day later, then a checkpoint.
    let later = "2026-03-03T12:00:00Z";
    let feed = l.feed.clone();
    let a = l.sign(access("P10", "SU-100", "Visit"), &feed);
    let b = l.sign(access("P11", "SU-100", "Visit"), &feed);
    let last = l.ledger.append(&[a, b], &l.ig, t(later)).unwrap().last_seq;
    for id in [0xdd, 0xde] {
        l.ledger
            .checkpoint(&l.admin, t(later), EventId([id; 16]))
            .unwrap();
    }
    let admin = public_key(&l.admin);
    // A report edited (its summary recounted, its markdown re-rendered) and a bundle: the
    // verifier's refusal.
    let refused = |report: &pack::PackReport, bundle: &str| -> String {
        report_refused(report, bundle, &admin)
    };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pack");
    pack::write_pack(&l.ledger, &su("SU-100"), Some(t(NOW)), &p, t(later)).unwrap();
    let read = |n: &str| std::fs::read_to_string(p.join(n)).unwrap();
    let (j, m, bj) = (read(REPORT_JSON), read(REPORT_MD), read(BUNDLE_JSON));
    let r = pack::verify_pack(&j, &m, &bj, igl_ledger::bundle::Trust::Key(&admin)).unwrap();
    assert_eq!(
        r.after_held_at,
        [(last - 1, true), (last, true)],
        "carried in full (no third party in them): their recording time is checked"
    );
    assert_eq!(r.subject_entries, r.counts.entries + 2);
    // For P10, the later access names a third party (SU-100): carried by hash only, its
    // recording time is the council's statement.
    let p10 = dir.path().join("p10");
    pack::write_pack(&l.ledger, &person("P10"), Some(t(NOW)), &p10, t(later)).unwrap();
    let read10 = |n: &str| std::fs::read_to_string(p10.join(n)).unwrap();
    let r10 = pack::verify_pack(
        &read10(REPORT_JSON),
        &read10(REPORT_MD),
        &read10(BUNDLE_JSON),
        igl_ledger::bundle::Trust::Key(&admin),
    )
    .unwrap();
    assert_eq!(r10.after_held_at, [(last - 1, false)]);
    // An entry by hash only cannot pass as recorded after held_at when the pack carries, in
    // full, a later entry recorded before it (recorded_at never goes back along the log).
    let report10: pack::PackReport = serde_json::from_str(&read10(REPORT_JSON)).unwrap();
    let last_full = report10
        .entries
        .iter()
        .filter(|e| e.proof == pack::Proof::Full)
        .map(|e| e.seq)
        .max()
        .unwrap();
    let hidden = report10
        .entries
        .iter()
        .find(|e| e.proof == pack::Proof::HashOnly && e.seq < last_full)
        .map(|e| e.seq)
        .expect("a hash-only entry before a full one");
    let mut edited = report10.clone();
    edited.entries.retain(|e| e.seq != hidden);
    edited.summary = pack::counts(&edited.entries);
    let e = refused(&edited, &read10(BUNDLE_JSON));
    assert!(
        e.contains(&format!(
            "seq {hidden} is about person:P10 and was recorded by"
        )),
        "{e}"
    );
    // An entry recorded before held_at and carried in full cannot pass as a later one.
    let mut report: pack::PackReport = serde_json::from_str(&j).unwrap();
    let at = report
        .entries
        .iter()
        .position(|e| e.proof == pack::Proof::Full && e.erasure.is_none())
        .unwrap();
    let gone = report.entries.remove(at).seq;
    report.summary = pack::counts(&report.entries);
    let e = refused(&report, &bj);
    assert!(
        e.contains(&format!(
            "seq {gone} is about service-user:SU-100 and was recorded by"
        )),
        "{e}"
    );
    // Without held_at, the same entries unlisted are an omission.
    let mut report: pack::PackReport = serde_json::from_str(&j).unwrap();
    report.held_at = None;
    let e = refused(&report, &bj);
    assert!(e.contains("leaves it out"), "{e}");
}

#[test]
fn verify_finds_a_missing_a_changed_and_a_planted_subject_index_row() {
    let l = random_ledger(31, 60);
    let path = l.path();
    let id = l.ledger.ledger_id().unwrap();
    let L { dir, ledger, .. } = l;
    drop(ledger);
    let key = igl_schema::subject_map_key(&id, "service-user:SU-101");
    let tamper = |f: &dyn Fn(&rocksdb::DB, &rocksdb::ColumnFamily)| {
        let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), &path, cf::ALL.iter()).unwrap();
        f(&db, db.cf_handle(cf::SUBJECT_CHAIN).unwrap());
    };
    let verify = || {
        Ledger::open_read_only(&path)
            .unwrap()
            .verify(&mut |_| {})
            .unwrap()
            .failure
    };
    assert_eq!(verify(), None);
    let first = {
        let ro = Ledger::open_read_only(&path).unwrap();
        let named = igl_ledger::subject_map::Named::parse("service-user:SU-101").unwrap();
        ro.subject_list(&named, u64::MAX).unwrap()[0]
    };
    let row = igl_ledger::subject_map::row_key(&key, first);
    let kept = std::cell::RefCell::new(Vec::new());
    tamper(&|db, h| {
        *kept.borrow_mut() = db.get_cf(h, row).unwrap().unwrap();
        db.delete_cf(h, row).unwrap()
    });
    let f = verify().expect("a missing row is found");
    assert_eq!(f.seq, first);
    assert!(f.message.contains("`subject_chain`"), "{}", f.message);
    tamper(&|db, h| db.put_cf(h, row, [7u8; 32]).unwrap());
    let f = verify().expect("a changed row is found");
    assert!(f.message.contains("list head"), "{}", f.message);
    tamper(&|db, h| db.put_cf(h, row, kept.borrow().as_slice()).unwrap());
    assert_eq!(verify(), None);
    tamper(&|db, h| {
        db.put_cf(
            h,
            igl_ledger::subject_map::row_key(&Hash32([9; 32]), 3),
            [1u8; 32],
        )
        .unwrap()
    });
    let f = verify().expect("a planted row is found");
    assert!(
        f.message.contains("rows but the entries imply"),
        "{}",
        f.message
    );
    drop(dir);
}

#[test]
fn a_checkpoint_with_a_false_subject_index_commitment_is_refused() {
    let l = random_ledger(37, 30);
    let size = l.ledger.tree_size().unwrap();
    let root = l.ledger.merkle_root(size).unwrap();
    let report = l.ledger.verify(&mut |_| {}).unwrap();
    let cp = note::Checkpoint {
        origin: l.ledger.origin().unwrap(),
        size,
        root,
    };
    for (n, map_root) in [
        (report.subject_map.0, Hash32([1; 32])),
        (report.subject_map.0 - 1, report.subject_map.1),
        (report.subject_map.0, report.subject_map.1),
    ] {
        let sub = Submission::sign(
            l.ledger.ledger_id().unwrap(),
            Event::CheckpointRecorded(CheckpointRecorded {
                tree_size: size,
                root,
                time: t(NOW),
                note_signature: Signature64(cp.sign(&l.admin)),
                cosignatures: Vec::new(),
                key_history: report.key_history,
                subject_map_size: n,
                subject_map_root: map_root,
            }),
            t(NOW),
            EventId([0xee; 16]),
            [],
            &l.admin,
            Salt([0; 32]),
        )
        .unwrap();
        let got = l.ledger.append(&[sub], &l.admin, t(NOW));
        if map_root == report.subject_map.1 && n == report.subject_map.0 {
            got.unwrap();
        } else {
            let e = got.unwrap_err().to_string();
            assert!(e.contains("subject-index commitment"), "{e}");
        }
    }
    assert!(l.ledger.verify(&mut |_| {}).unwrap().ok());
}

/// The golden vectors of FORMAT.md's *The subject index* (`<!-- golden-subject:NAME -->`
/// blocks), computed with the reference and checked against igl's code.
fn subject_vectors() -> Vec<(&'static str, String)> {
    use igl_ledger::subject_map::{MapAt, Named};
    let id = LedgerId([0x11; 16]);
    let p = "person:P00105";
    let list = [(3u64, [3u8; 32]), (9, [9u8; 32])];
    let lists: BTreeMap<String, Vec<(u64, [u8; 32])>> = [
        (p.to_string(), list.to_vec()),
        ("service-user:SU-1".to_string(), vec![(4, [4u8; 32])]),
        (format!("key:{}", "aa".repeat(32)), vec![(0, [0u8; 32])]),
    ]
    .into_iter()
    .collect();
    let (leaves, root) = reference_map(&id, &lists);
    let hashes: Vec<[u8; 32]> = leaves.iter().map(|(k, h)| reference::leaf(k, h)).collect();

    // igl's code agrees with the reference.
    let key = reference::map_key(&id.0, p);
    assert_eq!(Named::parse(p).unwrap().map_key(&id).0, key);
    let head = reference::head(&list);
    let mut h = Hash32::ZERO;
    for (seq, e) in list {
        h = igl_schema::subject_chain_step(&h, seq, &Hash32(e));
    }
    assert_eq!(h.0, head);
    let map = MapAt::new(
        leaves
            .iter()
            .map(|(k, h)| (Hash32(*k), Hash32(*h)))
            .collect(),
    );
    assert_eq!(map.commitment(), (3, Hash32(root)));
    let at = leaves.iter().position(|(k, _)| *k == key).unwrap();
    let proof = map.prove(&Named::parse(p).unwrap(), &Hash32(key), vec![3, 9]);
    assert_eq!(proof.position, at as u64);
    assert_eq!(
        proof.proof.iter().map(|x| x.0).collect::<Vec<_>>(),
        reference::path(at, &hashes)
    );
    let absent = Named::parse("person:P99").unwrap();
    let k99 = reference::map_key(&id.0, "person:P99");
    let absence = map.prove(&absent, &Hash32(k99), vec![]);
    let pos = leaves.iter().filter(|(k, _)| *k < k99).count();
    assert_eq!(absence.position, pos as u64);
    for (n, i) in [
        (&absence.left, pos.checked_sub(1)),
        (&absence.right, Some(pos)),
    ] {
        match (n, i.filter(|i| *i < leaves.len())) {
            (Some(n), Some(i)) => {
                assert_eq!((n.key.0, n.head.0), leaves[i]);
                assert_eq!(
                    n.proof.iter().map(|x| x.0).collect::<Vec<_>>(),
                    reference::path(i, &hashes)
                );
            }
            (None, None) => {}
            other => panic!("neighbour {other:?}"),
        }
    }
    let json = |p: &igl_ledger::subject_map::SubjectProof| serde_json::to_string_pretty(p).unwrap();
    vec![
        ("map_key_person_P00105", hex::encode(key)),
        ("head_after_3_and_9", hex::encode(head)),
        (
            "map_keys_in_order",
            leaves
                .iter()
                .map(|(k, _)| hex::encode(k))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("map_root_of_three", hex::encode(root)),
        ("proof_person_P00105", json(&proof)),
        ("absence_person_P99", json(&absence)),
    ]
}

fn golden_block(doc: &str, name: &str) -> Option<String> {
    common::golden_block(doc, "subject", name)
}

#[test]
fn subject_index_vectors_in_format_md_match_the_reference_and_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/FORMAT.md");
    let mut doc = std::fs::read_to_string(path).unwrap();
    let vectors = subject_vectors();
    let mut wrong = Vec::new();
    for (name, want) in &vectors {
        if golden_block(&doc, name).as_deref() != Some(want.as_str()) {
            wrong.push(*name);
        }
    }
    if !wrong.is_empty() && std::env::var_os("IGL_BLESS").is_some() {
        // Rewrite each differing block's body in place.
        for (name, want) in &vectors {
            let marker = format!("<!-- golden-subject:{name} -->\n");
            let at = doc.find(&marker).expect("marker") + marker.len();
            let open = at + doc[at..].find('\n').unwrap() + 1;
            let close = open + doc[open..].find("```").unwrap();
            doc.replace_range(open..close, &format!("{want}\n"));
        }
        std::fs::write(path, &doc).unwrap();
        return;
    }
    assert!(
        wrong.is_empty(),
        "FORMAT.md's blocks {wrong:?} differ from what the code computes (IGL_BLESS=1 rewrites them)"
    );
    assert_eq!(
        doc.matches("<!-- golden-subject:").count(),
        vectors.len(),
        "a golden-subject block no test checks"
    );
}
