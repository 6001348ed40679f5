//! The harness: a small deterministic ledger, a `Source` that counts reads, and rendering an
//! `App` into plain text with ratatui's `TestBackend`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use igl_ledger::testkit::Genesis;
use igl_ledger::{KeyRecord, Ledger, StoredEntry};
use igl_schema::note::SignedCheckpoint;
use igl_schema::*;
use igl_tui::source::VerifyJob;
use igl_tui::{App, LedgerSource, Source, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

pub fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// The test council's keys, fixed so that every hash and signature is the same on every run.
pub struct Keys {
    pub admin: SigningKey,
    pub ig: SigningKey,
    pub manager: SigningKey,
    pub staff: SigningKey,
    pub feed: SigningKey,
}

pub fn keys() -> Keys {
    Keys {
        admin: SigningKey::from_bytes(&[1; 32]),
        ig: SigningKey::from_bytes(&[2; 32]),
        manager: SigningKey::from_bytes(&[3; 32]),
        staff: SigningKey::from_bytes(&[4; 32]),
        feed: SigningKey::from_bytes(&[5; 32]),
    }
}

fn id(n: u64) -> EventId {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&n.to_le_bytes());
    EventId(b)
}

fn salt(n: u64) -> Salt {
    let mut b = [7u8; 32];
    b[..8].copy_from_slice(&n.to_le_bytes());
    Salt(b)
}

pub fn sign(n: u64, event: Event, occurred: &str, key: &SigningKey) -> Submission {
    Submission::sign(
        LedgerId([0x1d; 16]),
        event,
        t(occurred),
        id(n),
        [],
        key,
        salt(n),
    )
    .unwrap()
}

pub fn p(s: &str) -> PersonId {
    PersonId::new(s).unwrap()
}

fn genesis(admin: &SigningKey) -> Submission {
    Genesis::new(LedgerId([0x1d; 16]), t("2026-01-05T09:00:00Z"))
        .council("plymouth-cc", "Plymouth City Council")
        .admin("P00001")
        .event_id(id(0))
        .salt(salt(0))
        .sign(admin)
}

fn enrol(n: u64, key: &SigningKey, person: &str, role: Role, admin: &SigningKey) -> Submission {
    sign(
        n,
        Event::KeyEnrolled(KeyEnrolled {
            key: public_key(key),
            person: p(person),
            role,
            reason: Some(Pii::new(format!("Onboarding: {role} key"))),
        }),
        "2026-01-05T09:05:00Z",
        admin,
    )
}

fn person(n: u64, id: &str, name: &str, job: &str, feed: &SigningKey) -> Submission {
    sign(
        n,
        Event::PersonEnrolled(PersonEnrolled {
            person: p(id),
            name: Pii::new(name),
            job_title: Pii::new(job),
            business_unit: "Adult Social Care North".into(),
            organisation: OrgId::new("plymouth-cc").unwrap(),
            line_manager: Some(p("P00010")),
        }),
        "2026-01-06T09:30:00Z",
        feed,
    )
}

/// The small ledger every snapshot uses:
///
/// ```text
/// 0      LedgerCreated                         seal 0..=0   (admin)
/// 1..=4  KeyEnrolled ig P00002, manager P00010, staff P00100, feed SYS-HR
/// 5      OrganisationRegistered                seal 1..=5   (admin)
/// 6, 7   PersonEnrolled P00100 Ada Lovelace, P00101 Grace Hopper (by the feed)
/// 8      PolicyPublished
/// 9      DeclarationSigned P00100 (staff)      seal 6..=9   (ig)
/// 10     DeclarationCountersigned (manager)
/// 11     AccessGranted G-0001 to P00100
/// 12     RecordAccessed SU-000142 by P00100
/// 13     TrainingCompleted P00100              seal 10..=13 (ig)
/// 14     Redacted: seq 7's personal data       seal 14..=14 (ig)
/// 15     CheckpointRecorded (15 entries)       seal 15..=15 (ig)
/// 16     AccessReviewed G-0001                 seal 16..=16 (ig)
/// ```
pub fn small_ledger(dir: &Path) -> PathBuf {
    let k = keys();
    let path = dir.join("ledger");
    let (l, _) = Ledger::create(
        &path,
        &genesis(&k.admin),
        &k.admin,
        t("2026-01-05T09:00:01Z"),
    )
    .unwrap();
    l.append(
        &[
            enrol(1, &k.ig, "P00002", Role::IgOfficer, &k.admin),
            enrol(2, &k.manager, "P00010", Role::Manager, &k.admin),
            enrol(3, &k.staff, "P00100", Role::Staff, &k.admin),
            enrol(4, &k.feed, "SYS-HR", Role::SystemFeed, &k.admin),
            sign(
                5,
                Event::OrganisationRegistered(OrganisationRegistered {
                    organisation: OrgId::new("plymouth-cc").unwrap(),
                    name: "Plymouth City Council".into(),
                    kind: OrgKind::Council,
                }),
                "2026-01-05T09:06:00Z",
                &k.admin,
            ),
        ],
        &k.admin,
        t("2026-01-05T09:10:00Z"),
    )
    .unwrap();
    l.append(
        &[
            person(6, "P00100", "Ada Lovelace", "Social Worker", &k.feed),
            person(
                7,
                "P00101",
                "Grace Hopper",
                "Occupational Therapist",
                &k.feed,
            ),
            sign(
                8,
                Event::PolicyPublished(PolicyPublished {
                    policy: PolicyId::new("eclipse-mou").unwrap(),
                    version: Version::new("2025.1").unwrap(),
                    title: "Eclipse Memorandum of Understanding".into(),
                    text_blake3: Hash32([0xab; 32]),
                }),
                "2026-01-06T09:40:00Z",
                &k.ig,
            ),
            sign(
                9,
                Event::DeclarationSigned(DeclarationSigned {
                    person: p("P00100"),
                    policy: PolicyId::new("eclipse-mou").unwrap(),
                    version: Version::new("2025.1").unwrap(),
                    confirms_training: true,
                }),
                "2026-01-06T09:50:00Z",
                &k.staff,
            ),
        ],
        &k.ig,
        t("2026-01-06T10:00:00Z"),
    )
    .unwrap();
    let declaration = l.entry(9).unwrap().unwrap().hash;
    l.append(
        &[
            sign(
                10,
                Event::DeclarationCountersigned(DeclarationCountersigned {
                    declaration,
                    person: p("P00100"),
                    manager: p("P00010"),
                    training_checked: true,
                }),
                "2026-01-07T09:00:00Z",
                &k.manager,
            ),
            sign(
                11,
                Event::AccessGranted(AccessGranted {
                    grant: GrantId::new("G-0001").unwrap(),
                    person: p("P00100"),
                    system: SystemId::new("Eclipse").unwrap(),
                    role: "Practitioner".into(),
                    business_need: Pii::new("Case work for Adult Social Care North"),
                    mfa_required: true,
                    approver: p("P00010"),
                    sponsor: None,
                }),
                "2026-01-07T09:30:00Z",
                &k.ig,
            ),
            sign(
                12,
                Event::RecordAccessed(RecordAccessed {
                    person: p("P00100"),
                    system: SystemId::new("Eclipse").unwrap(),
                    record: RecordId::new("SU-000142").unwrap(),
                    purpose: Pii::new("Care review"),
                    device: None,
                }),
                "2026-01-07T10:15:00Z",
                &k.feed,
            ),
            sign(
                13,
                Event::TrainingCompleted(TrainingCompleted {
                    person: p("P00100"),
                    course: CourseId::new("protecting-information").unwrap(),
                    completed_on: Date::ymd(2026, 1, 6).unwrap(),
                    expires_on: Date::ymd(2027, 1, 6),
                }),
                "2026-01-07T10:30:00Z",
                &k.feed,
            ),
        ],
        &k.ig,
        t("2026-01-07T11:00:00Z"),
    )
    .unwrap();
    l.redact(
        7,
        "Erasure request: left before starting".into(),
        None,
        &k.ig,
        id(14),
        t("2026-01-08T09:00:00Z"),
    )
    .unwrap();
    l.checkpoint(&k.ig, t("2026-01-09T09:00:00Z"), id(15))
        .unwrap();
    l.append(
        &[sign(
            16,
            Event::AccessReviewed(AccessReviewed {
                grant: GrantId::new("G-0001").unwrap(),
                person: p("P00100"),
                reviewer: p("P00010"),
                still_needed: true,
                note: Some(Pii::new("Still needed for case work")),
            }),
            "2026-01-10T09:00:00Z",
            &k.ig,
        )],
        &k.ig,
        t("2026-01-10T09:05:00Z"),
    )
    .unwrap();
    path
}

/// A ledger of genesis and `n` OrganisationRegistered entries, appended in large batches.
pub fn big_ledger(dir: &Path, n: u64) -> PathBuf {
    let k = keys();
    let path = dir.join("big");
    let (l, _) = Ledger::create(
        &path,
        &genesis(&k.admin),
        &k.admin,
        t("2026-01-05T09:00:01Z"),
    )
    .unwrap();
    let mut i = 1;
    while i <= n {
        let batch: Vec<Submission> = (i..=(i + 9_999).min(n))
            .map(|j| {
                sign(
                    j,
                    Event::OrganisationRegistered(OrganisationRegistered {
                        organisation: OrgId::new(format!("org-{j}")).unwrap(),
                        name: format!("Partner {j}"),
                        kind: OrgKind::Partner,
                    }),
                    "2026-01-05T09:06:00Z",
                    &k.admin,
                )
            })
            .collect();
        i += batch.len() as u64;
        l.append(&batch, &k.admin, t("2026-01-05T09:10:00Z"))
            .unwrap();
    }
    path
}

/// Reads made through a [`Counting`] source.
#[derive(Default, Debug)]
pub struct Reads {
    /// `entry(seq)` calls.
    pub entry: AtomicU64,
    /// Entries returned by `scan`.
    pub scanned: AtomicU64,
    pub key: AtomicU64,
    /// Seals, checkpoints and proofs.
    pub other: AtomicU64,
}

impl Reads {
    pub fn entry(&self) -> u64 {
        self.entry.load(Ordering::SeqCst)
    }
    pub fn scanned(&self) -> u64 {
        self.scanned.load(Ordering::SeqCst)
    }
    pub fn key(&self) -> u64 {
        self.key.load(Ordering::SeqCst)
    }
}

/// A real ledger, with every read counted.
pub struct Counting {
    pub inner: LedgerSource,
    pub reads: Arc<Reads>,
}

impl Counting {
    pub fn open(path: &Path) -> (Counting, Arc<Reads>) {
        let reads = Arc::new(Reads::default());
        let c = Counting {
            inner: LedgerSource::open(path).unwrap(),
            reads: Arc::clone(&reads),
        };
        (c, reads)
    }
}

impl Source for Counting {
    fn name(&self) -> String {
        "test-ledger".into()
    }
    fn entry_count(&self) -> u64 {
        self.inner.entry_count()
    }
    fn entry(&self, seq: u64) -> igl_ledger::Result<Option<StoredEntry>> {
        self.reads.entry.fetch_add(1, Ordering::SeqCst);
        self.inner.entry(seq)
    }
    fn scan(&self, from: u64, max: usize) -> igl_ledger::Result<Vec<StoredEntry>> {
        let r = self.inner.scan(from, max)?;
        self.reads
            .scanned
            .fetch_add(r.len() as u64, Ordering::SeqCst);
        Ok(r)
    }
    fn key(&self, key: &PublicKey) -> igl_ledger::Result<Option<KeyRecord>> {
        self.reads.key.fetch_add(1, Ordering::SeqCst);
        self.inner.key(key)
    }
    fn seal_covering(&self, seq: u64) -> igl_ledger::Result<Option<Seal>> {
        self.reads.other.fetch_add(1, Ordering::SeqCst);
        self.inner.seal_covering(seq)
    }
    fn recorded_checkpoint(&self, seq: u64) -> igl_ledger::Result<Option<SignedCheckpoint>> {
        self.reads.other.fetch_add(1, Ordering::SeqCst);
        self.inner.recorded_checkpoint(seq)
    }
    fn inclusion_proof(&self, seq: u64, size: u64) -> igl_ledger::Result<Vec<Hash32>> {
        self.reads.other.fetch_add(1, Ordering::SeqCst);
        self.inner.inclusion_proof(seq, size)
    }
    fn verify_job(&self) -> VerifyJob {
        self.inner.verify_job()
    }
    fn audit_job(&self, as_of: Timestamp) -> igl_tui::source::AuditJob {
        self.inner.audit_job(as_of)
    }
    fn campaigns_job(&self, as_of: Timestamp) -> igl_tui::source::CampaignsJob {
        self.inner.campaigns_job(as_of)
    }
    fn select(
        &self,
        ty: Option<&str>,
        subjects: Option<&[igl_schema::Subject]>,
    ) -> igl_ledger::Result<Option<Vec<u64>>> {
        self.reads.other.fetch_add(1, Ordering::SeqCst);
        self.inner.select(ty, subjects)
    }
    fn subject_access(
        &self,
        subject: &igl_schema::Subject,
    ) -> igl_ledger::Result<Vec<igl_ledger::subject::sar::Disclosure>> {
        self.reads.other.fetch_add(1, Ordering::SeqCst);
        self.inner.subject_access(subject)
    }
    fn requests(
        &self,
        as_of: Timestamp,
    ) -> igl_ledger::Result<igl_ledger::subject::requests::RequestsReport> {
        self.reads.other.fetch_add(1, Ordering::SeqCst);
        self.inner.requests(as_of)
    }
    fn write_pack(
        &self,
        subject: &igl_schema::Subject,
        dir: &Path,
    ) -> igl_ledger::Result<igl_ledger::subject::pack::PackSummary> {
        self.inner.write_pack(subject, dir)
    }
    fn reload(&mut self) -> igl_ledger::Result<()> {
        self.inner.reload()
    }
}

/// An app over the small ledger (in `dir`), with its read counter.
pub fn small_app(dir: &Path) -> (App, Arc<Reads>) {
    let path = small_ledger(dir);
    let (src, reads) = Counting::open(&path);
    (App::new(Box::new(src), Theme::color()), reads)
}

/// One frame of `app` at `w`×`h`, as text (trailing spaces trimmed).
pub fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    app.prepare(Rect::new(0, 0, w, h));
    term.draw(|f| app.draw(f)).unwrap();
    buffer_text(term.backend().buffer())
}

/// The buffer as text, one line per row, trailing spaces trimmed.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

pub fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Presses each character of `s` in turn.
pub fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.handle(key(c));
    }
}

/// A reviewer's key (managers P00011 to P00017 sign their own review decisions).
pub fn reviewer_key(person: &str) -> SigningKey {
    let n: u8 = person[1..].parse().unwrap();
    SigningKey::from_bytes(&[n; 32])
}

/// A ledger with the demo's two access-review campaigns, small enough to read at a glance:
/// `igl demo`'s AR-2026-Q4-ECLIPSE and AR-2026-LIVEWELL with the same ids, dates, grants, people
/// and reviewers for the cases the demo plants (the TUI's tests cannot build the demo itself: it
/// lives in the `igl` binary), plus two cases the demo lacks (G-00009, revoked before anyone
/// decided; G-00021, revoked after its SLA). As of 2026-11-20:
///
/// ```text
/// AR-2026-Q4-ECLIPSE  opened 2026-10-12, system Eclipse, each grantee's line manager, due
///                     2026-11-06, no default
///   G-00001 P00100  P00011  undecided                            OVERDUE (R18)
///   G-00002 P00101  P00012  keep 2026-10-14
///   G-00005 P00104  P00015  keep 2026-10-19                      (livewell-sw)
///   G-00007 P00106  P00017  revoke 2026-10-19, never carried out NOT DONE (R17)
///   G-00009 P00108  P00012  revoked 2026-10-15 before a decision
///   G-00018 P00116  P00013  revoke 2026-10-20, revoked 2026-10-21
///   G-00019 P00117  P00014  change → Read-only 2026-10-13 (G-00050), revoked 2026-10-14
///   G-00020 P00118  P00015  keep 2026-11-10 (late, R18 put right) (livewell-sw)
///   G-00021 P00119  P00016  revoke 2026-10-22 (Thu), revoked LATE 2026-10-26 (due 10-23)
/// AR-2026-LIVEWELL    opened 2026-10-26, organisation livewell-sw, reviewer P00013, due
///                     2026-11-13, default keep
///   G-00005 P00104  keep 2026-11-02;  G-00020 P00118  keep by default 2026-11-13
/// ```
pub fn review_ledger(dir: &Path) -> PathBuf {
    let k = keys();
    let path = dir.join("reviews");
    let (l, _) = Ledger::create(
        &path,
        &genesis(&k.admin),
        &k.admin,
        t("2026-01-05T09:00:01Z"),
    )
    .unwrap();
    let managers = [
        "P00011", "P00012", "P00013", "P00014", "P00015", "P00016", "P00017",
    ];
    let org = |s: &str| OrgId::new(s).unwrap();
    let grant_id = |s: &str| GrantId::new(s).unwrap();
    let campaign = |s: &str| CampaignId::new(s).unwrap();
    let mut n = 100;
    let mut next = || {
        n += 1;
        n
    };
    // Keys and organisations.
    let mut batch = vec![
        enrol(next(), &k.ig, "P00002", Role::IgOfficer, &k.admin),
        enrol(next(), &k.feed, "SYS-HR", Role::SystemFeed, &k.admin),
    ];
    for m in managers {
        batch.push(enrol(next(), &reviewer_key(m), m, Role::Manager, &k.admin));
    }
    for (o, name, kind) in [
        ("plymouth-cc", "Plymouth City Council", OrgKind::Council),
        ("livewell-sw", "Livewell Southwest CIC", OrgKind::Partner),
    ] {
        batch.push(sign(
            next(),
            Event::OrganisationRegistered(OrganisationRegistered {
                organisation: org(o),
                name: name.into(),
                kind,
            }),
            "2026-01-05T09:06:00Z",
            &k.admin,
        ));
    }
    l.append(&batch, &k.admin, t("2026-01-05T09:10:00Z"))
        .unwrap();
    // The staff, and their grants to Eclipse.
    let staff = [
        ("G-00001", "P00100", "plymouth-cc", "P00011", "Practitioner"),
        ("G-00002", "P00101", "plymouth-cc", "P00012", "Practitioner"),
        (
            "G-00005",
            "P00104",
            "livewell-sw",
            "P00015",
            "Partner read-only",
        ),
        ("G-00007", "P00106", "plymouth-cc", "P00017", "Practitioner"),
        ("G-00009", "P00108", "plymouth-cc", "P00012", "Practitioner"),
        ("G-00018", "P00116", "plymouth-cc", "P00013", "Practitioner"),
        ("G-00019", "P00117", "plymouth-cc", "P00014", "Practitioner"),
        (
            "G-00020",
            "P00118",
            "livewell-sw",
            "P00015",
            "Partner read-only",
        ),
        ("G-00021", "P00119", "plymouth-cc", "P00016", "Practitioner"),
    ];
    let mut batch = Vec::new();
    for (_, person, o, manager, _) in staff {
        batch.push(sign(
            next(),
            Event::PersonEnrolled(PersonEnrolled {
                person: p(person),
                name: Pii::new(format!("Staff {person}")),
                job_title: Pii::new("Social Worker"),
                business_unit: "Adult Social Care North".into(),
                organisation: org(o),
                line_manager: Some(p(manager)),
            }),
            "2026-01-06T09:30:00Z",
            &k.feed,
        ));
    }
    for (grant, person, _, manager, role) in staff {
        batch.push(sign(
            next(),
            Event::AccessGranted(AccessGranted {
                grant: grant_id(grant),
                person: p(person),
                system: SystemId::new("Eclipse").unwrap(),
                role: role.into(),
                business_need: Pii::new("Case work"),
                mfa_required: true,
                approver: p(manager),
                sponsor: None,
            }),
            "2026-01-07T09:30:00Z",
            &k.ig,
        ));
    }
    l.append(&batch, &k.ig, t("2026-01-07T11:00:00Z")).unwrap();
    // What happens in the autumn, one sealed batch per day.
    let opened = |n,
                  id: &str,
                  title: &str,
                  organisation: Option<OrgId>,
                  reviewer,
                  due,
                  default,
                  at: &str| {
        sign(
            n,
            Event::ReviewCampaignOpened(ReviewCampaignOpened {
                campaign: campaign(id),
                title: title.into(),
                system: if organisation.is_none() {
                    Some(SystemId::new("Eclipse").unwrap())
                } else {
                    None
                },
                organisation,
                reports_of: None,
                reviewer,
                owner: p("P00002"),
                due,
                default_decision: default,
            }),
            at,
            &k.ig,
        )
    };
    let decide = |n, c: &str, grant: &str, person: &str, reviewer: &str, d, why: &str, at: &str| {
        let new_role = (d == ReviewDecision::Change).then(|| "Read-only".to_string());
        sign(
            n,
            Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
                campaign: campaign(c),
                grant: grant_id(grant),
                person: p(person),
                reviewer: p(reviewer),
                decision: d,
                new_role,
                justification: Pii::new(why),
            }),
            at,
            &reviewer_key(reviewer),
        )
    };
    let revoke = |n, grant: &str, person: &str, reason, at: &str| {
        sign(
            n,
            Event::AccessRevoked(AccessRevoked {
                grant: grant_id(grant),
                person: p(person),
                reason,
                note: None,
            }),
            at,
            &k.ig,
        )
    };
    let eclipse = "AR-2026-Q4-ECLIPSE";
    let livewell = "AR-2026-LIVEWELL";
    use ReviewDecision::{Change, Keep, Revoke};
    use RevocationReason::{NoLongerNeeded, Review};
    let days: Vec<(&str, Vec<Submission>)> = vec![
        (
            "2026-10-12",
            vec![opened(
                next(),
                eclipse,
                "Eclipse access review, autumn 2026",
                None,
                None,
                Date::ymd(2026, 11, 6).unwrap(),
                None,
                "2026-10-12T09:00:00Z",
            )],
        ),
        (
            "2026-10-13",
            vec![decide(
                next(),
                eclipse,
                "G-00019",
                "P00117",
                "P00014",
                Change,
                "Now quality-assures case files: needs to read them, not edit them",
                "2026-10-13T14:30:00Z",
            )],
        ),
        (
            "2026-10-14",
            vec![
                sign(
                    next(),
                    Event::AccessGranted(AccessGranted {
                        grant: grant_id("G-00050"),
                        person: p("P00117"),
                        system: SystemId::new("Eclipse").unwrap(),
                        role: "Read-only".into(),
                        business_need: Pii::new("Quality assurance of case files"),
                        mfa_required: true,
                        approver: p("P00014"),
                        sponsor: None,
                    }),
                    "2026-10-14T08:00:00Z",
                    &k.ig,
                ),
                revoke(next(), "G-00019", "P00117", Review, "2026-10-14T08:00:00Z"),
                decide(
                    next(),
                    eclipse,
                    "G-00002",
                    "P00101",
                    "P00012",
                    Keep,
                    "Active caseload",
                    "2026-10-14T14:30:00Z",
                ),
            ],
        ),
        (
            "2026-10-15",
            vec![revoke(
                next(),
                "G-00009",
                "P00108",
                NoLongerNeeded,
                "2026-10-15T08:00:00Z",
            )],
        ),
        (
            "2026-10-19",
            vec![
                decide(
                    next(),
                    eclipse,
                    "G-00005",
                    "P00104",
                    "P00015",
                    Keep,
                    "Community nursing caseload",
                    "2026-10-19T14:00:00Z",
                ),
                decide(
                    next(),
                    eclipse,
                    "G-00007",
                    "P00106",
                    "P00017",
                    Revoke,
                    "Left the council on 30 September",
                    "2026-10-19T14:30:00Z",
                ),
            ],
        ),
        (
            "2026-10-20",
            vec![decide(
                next(),
                eclipse,
                "G-00018",
                "P00116",
                "P00013",
                Revoke,
                "Moved to the contracts team",
                "2026-10-20T14:30:00Z",
            )],
        ),
        (
            "2026-10-21",
            vec![revoke(
                next(),
                "G-00018",
                "P00116",
                Review,
                "2026-10-21T08:00:00Z",
            )],
        ),
        (
            "2026-10-22",
            vec![decide(
                next(),
                eclipse,
                "G-00021",
                "P00119",
                "P00016",
                Revoke,
                "No Eclipse cases since the summer",
                "2026-10-22T14:30:00Z",
            )],
        ),
        (
            "2026-10-26",
            vec![
                revoke(next(), "G-00021", "P00119", Review, "2026-10-26T08:00:00Z"),
                opened(
                    next(),
                    livewell,
                    "Livewell Southwest staff on Eclipse, sponsor's review",
                    Some(org("livewell-sw")),
                    Some(p("P00013")),
                    Date::ymd(2026, 11, 13).unwrap(),
                    Some(Keep),
                    "2026-10-26T09:00:00Z",
                ),
            ],
        ),
        (
            "2026-11-02",
            vec![decide(
                next(),
                livewell,
                "G-00005",
                "P00104",
                "P00013",
                Keep,
                "Community nursing caseload shared with the council",
                "2026-11-02T11:00:00Z",
            )],
        ),
        (
            "2026-11-10",
            vec![decide(
                next(),
                eclipse,
                "G-00020",
                "P00118",
                "P00015",
                Keep,
                "Hospital discharge team",
                "2026-11-10T14:30:00Z",
            )],
        ),
    ];
    for (day, batch) in days {
        l.append(&batch, &k.ig, t(&format!("{day}T18:00:00Z")))
            .unwrap();
    }
    path
}

/// An app over [`review_ledger`], seen on 2026-11-20 (as the demo's `igl audit --as-of`).
pub fn review_app(dir: &Path) -> App {
    let path = review_ledger(dir);
    let (src, _) = Counting::open(&path);
    App::new(Box::new(src), Theme::color()).with_now(t("2026-11-20T12:00:00Z"))
}
