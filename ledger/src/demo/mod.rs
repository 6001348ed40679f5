//! A realistic synthetic council ledger, deterministic for a seed: what `igl demo` builds, and
//! what tests and benchmarks can build in-process ([`build`]).
//!
//! A year in the life of Plymouth City Council's social-care information governance (1 Oct 2025
//! to 20 Nov 2026): partner organisations and their agreements, managers and staff onboarded with
//! declarations, countersignatures, training and device attestations, access grants and reviews,
//! record accesses from the Eclipse audit feed, leavers and a suspension, breaches and
//! subject-rights requests, access-review campaigns, and a few deliberate policy violations (one
//! or more for each rule R1–R18). Every event is signed by its author's own key and appended
//! through the same path `igl append` uses, one sealed batch per simulated day; the HR system's
//! and Eclipse's events come in as their CSV exports through the importers `igl import` uses.
//!
//! The storyline is planned first, chapter by chapter (`story`), then signed and written
//! ([`build`]); `feeds` turns the HR and Eclipse events into their CSV exports.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use igl_schema::*;

use crate::chain::Head;
use crate::error::LedgerError;
use crate::keys::{self, KeyFileError};
use crate::store::Ledger;

/// What to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Members of staff: at least [`MIN_PEOPLE`].
    pub people: usize,
    /// The same seed builds the same ledger, byte for byte.
    pub seed: u64,
    /// About this many entries, by making each record-access visit a burst of accesses (the
    /// planted violations stay the same); `None`: one access per visit.
    pub entries: Option<u64>,
}

/// The fewest members of staff the demo plants one violation per rule among.
pub const MIN_PEOPLE: usize = 24;

/// What [`build`] built.
pub struct Built {
    pub ledger: Ledger,
    pub head: Head,
    /// Key files written to `keys/` (one per actor).
    pub keys: usize,
    /// Entries appended, per event type.
    pub counts: BTreeMap<&'static str, u64>,
    /// The storyline's last day.
    pub end: Date,
    /// The IG officer's key, which signs the checkpoints (what a SAR pack's recipient checks).
    pub checkpoint_key: PublicKey,
}

/// Why the demo could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "--people must be at least {MIN_PEOPLE} (the demo plants one violation per rule among them)"
    )]
    TooFewPeople,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error("demo: {0}")]
    Io(#[from] std::io::Error),
    #[error("demo: {0}")]
    Plan(String),
}

impl From<std::fmt::Error> for DemoError {
    fn from(e: std::fmt::Error) -> DemoError {
        DemoError::Plan(e.to_string())
    }
}

impl From<igl_schema::EventError> for DemoError {
    fn from(e: igl_schema::EventError) -> DemoError {
        DemoError::Plan(e.to_string())
    }
}

type Result<T, E = DemoError> = std::result::Result<T, E>;

/// Builds the demo ledger in `dir` (new or empty): the ledger, `keys/` (one 0600 key file per
/// actor, named after its owner), `imports/history/` (the HR and Eclipse exports the ledger's
/// feed events came in as) and `imports/` (the exports of the week after, not yet imported).
/// `progress` is called with (days written, days) as the batches are appended.
pub fn build(dir: &Path, o: &Options, progress: &mut dyn FnMut(u64, u64)) -> Result<Built> {
    if o.people < MIN_PEOPLE {
        return Err(DemoError::TooFewPeople);
    }
    let (mut b, admin, ig, end) = plan(o, 1);
    if let Some(n) = o.entries {
        // Scale the record accesses (the bulk of a real ledger) to reach about n entries.
        let kept = b.items.iter().filter(|i| i.at.date() <= end);
        let (accesses, others) = kept.fold((0u64, 0u64), |(a, o), i| match &i.planned {
            Planned::Event(Event::RecordAccessed(_)) => (a + 1, o),
            _ => (a, o + 1),
        });
        // The nearest whole burst size.
        let want = n.saturating_sub(others);
        let per_visit = ((want + accesses / 2) / accesses.max(1)).max(1);
        if per_visit > 1 {
            (b, ..) = plan(o, per_visit);
        }
    }
    write_ledger(dir, b, admin, ig, end, progress)
}

/// Deterministic randomness: a blake3 output stream keyed by the seed.
struct Rng(blake3::OutputReader);

impl Rng {
    fn new(seed: u64, label: &str) -> Self {
        let mut h = blake3::Hasher::new_derive_key("igledger 2026-11-23 demo rng v1");
        h.update(&seed.to_le_bytes());
        h.update(label.as_bytes());
        Rng(h.finalize_xof())
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.0.fill(&mut b);
        b
    }
    fn below(&mut self, n: u64) -> u64 {
        u64::from_le_bytes(self.bytes()) % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Jack", "Sophie", "Noah", "Grace",
    "Leo", "Ruby", "Arthur", "Freya", "Oscar", "Evie", "Theo", "Poppy", "Alfie", "Zara", "Kwame",
    "Aisha", "Tomasz", "Niamh", "Rhys", "Priyanka", "Callum", "Fatima", "Ewan",
];
const LAST: &[&str] = &[
    "Trelawny",
    "Pascoe",
    "Jenkins",
    "Nankivell",
    "Carter",
    "Okonkwo",
    "Penrose",
    "Williams",
    "Kowalski",
    "Hughes",
    "Patel",
    "Rowe",
    "Bennett",
    "Chowdhury",
    "Tremayne",
    "Davies",
    "Evans",
    "Murphy",
    "Hosking",
    "Clarke",
    "Begum",
    "Stevens",
    "Ali",
    "Morgan",
];
const PURPOSES: &[&str] = &[
    "Review of care and support plan",
    "Safeguarding enquiry (Care Act s.42)",
    "Hospital discharge assessment",
    "Carer's assessment",
    "Case note after home visit",
    "Financial assessment for care charges",
    "Multi-agency meeting preparation",
    "Occupational therapy referral",
];

/// Someone with a key.
struct Actor {
    person: PersonId,
    role: Role,
    key: SigningKey,
}

/// A planned event; countersignatures name their declaration by event id until its entry hash
/// is known.
enum Planned {
    Event(Event),
    Countersign {
        declaration: EventId,
        person: PersonId,
        manager: PersonId,
    },
}

struct Item {
    at: Timestamp,
    author: usize,
    id: EventId,
    planned: Planned,
    extra: Vec<Subject>,
}

fn ts(d: Date, h: u32, m: u32) -> Timestamp {
    let dt = d.0.and_hms_opt(h, m, 0).expect("valid time").and_utc();
    Timestamp::truncate(dt)
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::ymd(y, m, d).expect("valid date")
}

fn add_days(d: Date, n: i64) -> Date {
    Date(d.0 + chrono::Duration::days(n))
}

fn pid(s: impl Into<String>) -> PersonId {
    PersonId::new(s).expect("demo ids are valid")
}

macro_rules! id {
    ($t:ident, $($a:tt)*) => { $t::new(format!($($a)*)).expect("demo ids are valid") };
}

// After `id!`, which the storyline uses.
mod feeds;
mod story;

use feeds::{Feeds, write_imports};
use story::Story;

struct Builder {
    rng: Rng,
    actors: Vec<Actor>,
    by_person: HashMap<PersonId, usize>,
    items: Vec<Item>,
    seed: u64,
    /// Draws the people's names (apart from `rng`, so names do not move when events do).
    names: Rng,
}

impl Builder {
    fn actor(&mut self, person: &str, role: Role) -> usize {
        let mut h = blake3::Hasher::new_derive_key("igledger 2026-11-23 demo key v1");
        h.update(&self.seed.to_le_bytes());
        h.update(person.as_bytes());
        let key = SigningKey::from_bytes(h.finalize().as_bytes());
        let i = self.actors.len();
        self.actors.push(Actor {
            person: pid(person),
            role,
            key,
        });
        self.by_person.insert(pid(person), i);
        i
    }
    fn push(&mut self, at: Timestamp, author: usize, e: Event) -> EventId {
        self.push_with(at, author, Planned::Event(e), vec![])
    }
    fn push_with(
        &mut self,
        at: Timestamp,
        author: usize,
        planned: Planned,
        extra: Vec<Subject>,
    ) -> EventId {
        let id = EventId(self.rng.bytes());
        self.items.push(Item {
            at,
            author,
            id,
            planned,
            extra,
        });
        id
    }
    /// Enrols a person through the HR feed `hr`, with a name drawn from `names`.
    fn enrol_person(
        &mut self,
        hr: usize,
        pid_s: &str,
        title: &str,
        team: &Team,
        manager: Option<&PersonId>,
        at: Timestamp,
    ) {
        let name = format!("{} {}", self.names.pick(FIRST), self.names.pick(LAST));
        let e = Event::PersonEnrolled(PersonEnrolled {
            person: pid(pid_s),
            name: Pii::new(name),
            job_title: Pii::new(title),
            business_unit: team.unit.into(),
            organisation: id!(OrgId, "{}", team.org),
            line_manager: manager.cloned(),
        });
        self.push(at, hr, e);
    }
    fn enrol_key(&mut self, at: Timestamp, admin: usize, who: usize) {
        let a = &self.actors[who];
        let e = Event::KeyEnrolled(KeyEnrolled {
            key: public_key(&a.key),
            person: a.person.clone(),
            role: a.role,
            reason: Some(Pii::new(format!("Onboarding: {} key", a.role))),
        });
        self.push(at, admin, e);
    }
}

/// A subject-rights request: id, right, data subject, received, extended, closed, outcome.
type PlannedRequest = (
    &'static str,
    Right,
    Subject,
    Date,
    Option<Date>,
    Option<Date>,
    &'static str,
);

struct Team {
    unit: &'static str,
    org: &'static str,
    council: bool,
}

const TEAMS: &[Team] = &[
    Team {
        unit: "Adult Social Care North",
        org: "plymouth-cc",
        council: true,
    },
    Team {
        unit: "Adult Social Care South",
        org: "plymouth-cc",
        council: true,
    },
    Team {
        unit: "Hospital Discharge Team",
        org: "plymouth-cc",
        council: true,
    },
    Team {
        unit: "Children's Safeguarding",
        org: "plymouth-cc",
        council: true,
    },
    Team {
        unit: "Livewell Community Nursing",
        org: "livewell-sw",
        council: false,
    },
    Team {
        unit: "Caring Hands Home Care",
        org: "caring-hands",
        council: false,
    },
    Team {
        unit: "Westcountry Advocacy",
        org: "westcountry-advocacy",
        council: false,
    },
];

/// Which member of staff (by index) carries which deliberate violation. R4, R8 and R9 come from the
/// organisations instead: Caring Hands' grants name no sponsor (R4), it has an ISA but no summary
/// DPIA (R8) and no DSPT or Cyber Essentials Plus (R9); Westcountry's CE+ lapses on 1 March 2026 (R9).
mod planted {
    pub const GRANT_BEFORE_COUNTERSIGN: usize = 3; // R1
    pub const TRAINING_LAPSED: usize = 1; // R2
    pub const LEAVER_REVOKED_LATE: usize = 5; // R3
    pub const LEAVER_NEVER_REVOKED: usize = 6; // R3, R13
    pub const CLEAN_LEAVER: usize = 7;
    pub const SUSPENDED: usize = 8;
    pub const ACCESS_BEFORE_GRANT: usize = 9; // R6
    pub const NO_MFA_OWN_DEVICE: usize = 10; // R7
    pub const FAILED_DEVICE: usize = 11; // R10
    pub const NOT_REVIEWED: usize = 0; // R12
    pub const WRONG_COUNTERSIGNER: usize = 12; // R14
    pub const OLD_POLICY_VERSION: usize = 13; // R16
    // The autumn access review (README, "Access reviews"): NOT_REVIEWED's grant stays undecided
    // (R18), LEAVER_NEVER_REVOKED's is decided "revoke" and not carried out (R17).
    pub const REVIEW_REVOKED: usize = 16; // revoked on review, carried out the next morning
    pub const REVIEW_CHANGED: usize = 17; // changed to read-only on review, carried out
    pub const REVIEW_LATE: usize = 18; // decided after the due date (R18, resolved)
}

/// Plans the demo's events (in `Builder::items`); every record-access visit is a burst of
/// `per_visit` accesses. Returns the builder, the admin's and the IG officer's actor indexes,
/// and the last day.
fn plan(a: &Options, per_visit: u64) -> (Builder, usize, usize, Date) {
    let mut story = Story::cast(a);
    story.staff(a, per_visit);
    story.access_reviews();
    story.breaches();
    story.requests();
    (story.b, story.admin, story.ig, story.end)
}

fn write_ledger(
    dir: &Path,
    mut b: Builder,
    admin: usize,
    ig: usize,
    end: Date,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Built> {
    b.items.sort_by_key(|i| i.at); // stable: same-instant events keep their planned order
    let genesis_at = ts(date(2025, 10, 1), 9, 0);
    let ledger_id = LedgerId(b.rng.bytes());
    let genesis = Submission::sign(
        ledger_id,
        Event::LedgerCreated(LedgerCreated {
            ledger_id,
            organisation: id!(OrgId, "plymouth-cc"),
            organisation_name: "Plymouth City Council".into(),
            admin_key: public_key(&b.actors[admin].key),
            admin_person: pid("P00001"),
        }),
        genesis_at,
        EventId(b.rng.bytes()),
        [],
        &b.actors[admin].key,
        Salt(b.rng.bytes()),
    )?;
    let (ledger, _) = Ledger::create(dir, &genesis, &b.actors[admin].key, genesis_at)?;

    // One batch per simulated day, appended at the end of that day.
    let mut days: BTreeMap<Date, Vec<Item>> = BTreeMap::new();
    for item in std::mem::take(&mut b.items) {
        if item.at.date() <= end {
            days.entry(item.at.date()).or_default().push(item);
        }
    }
    let total = days.len() as u64;
    let mut done = 0u64;
    // The HR system's and Eclipse's feeds come in as their exports, day by day, through the
    // importers `igl import hr` and `igl import access` use; the files are kept in
    // imports/history/.
    let history = dir.join("imports").join("history");
    std::fs::create_dir_all(&history)?;
    let mut feeds = Feeds::new(&history)?;
    let hr_feed = b.by_person[&pid("SYS-HR")];
    let eclipse_feed = b.by_person[&pid("SYS-ECLIPSE")];
    let mut decl_hashes: HashMap<EventId, Hash32> = HashMap::new();
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut first_day = true;
    let mut days = days.into_iter().peekable();
    while let Some((day, items)) = days.next() {
        let mut subs = Vec::with_capacity(items.len());
        let mut last = items.last().map_or(ts(day, 18, 0), |i| i.at);
        let mut decls = Vec::new();
        let mut hr_rows = Vec::new();
        let mut access_rows = Vec::new();
        for item in items.into_iter() {
            let event = match item.planned {
                Planned::Event(e) if item.author == hr_feed && Feeds::is_hr(&e) => {
                    hr_rows.push((item.at, e));
                    continue;
                }
                Planned::Event(Event::RecordAccessed(e)) if item.author == eclipse_feed => {
                    access_rows.push((item.at, e));
                    continue;
                }
                Planned::Event(e) => e,
                Planned::Countersign {
                    declaration,
                    person,
                    manager,
                } => {
                    let hash = *decl_hashes.get(&declaration).ok_or_else(|| {
                        DemoError::Plan("a countersignature precedes its declaration".into())
                    })?;
                    Event::DeclarationCountersigned(DeclarationCountersigned {
                        declaration: hash,
                        person,
                        manager,
                        training_checked: true,
                    })
                }
            };
            if matches!(event, Event::DeclarationSigned(_)) {
                decls.push((subs.len(), item.id));
            }
            *counts.entry(event.type_name()).or_default() += 1;
            let sub = Submission::sign(
                ledger_id,
                event,
                item.at,
                item.id,
                item.extra,
                &b.actors[item.author].key,
                Salt(b.rng.bytes()),
            )?;
            subs.push(sub);
            last = last.max(item.at);
        }
        for at in hr_rows
            .iter()
            .map(|(at, _)| at)
            .chain(access_rows.iter().map(|(at, _)| at))
        {
            last = last.max(*at);
        }
        let appender = if first_day { admin } else { ig };
        first_day = false;
        let recorded =
            Timestamp::from_micros(last.micros() + 7 * 60 * 1_000_000).expect("in range");
        if !subs.is_empty() {
            let receipt = ledger.append(&subs, &b.actors[appender].key, recorded)?;
            for (i, id) in decls {
                let seq = receipt.first_seq + i as u64;
                let e = ledger
                    .entry(seq)?
                    .ok_or_else(|| DemoError::Plan("a declaration did not read back".into()))?;
                decl_hashes.insert(id, e.hash);
            }
        }
        for (t, n) in feeds.import_day(
            &ledger,
            &hr_rows,
            &access_rows,
            &b.actors[hr_feed].key,
            &b.actors[eclipse_feed].key,
            recorded,
            &mut || b.rng.bytes(),
        )? {
            *counts.entry(t).or_default() += n;
        }
        // The IG officer signs and records a checkpoint at the end of every month.
        let month_ends = days.peek().is_none_or(|(next, _)| {
            next.0.format("%Y-%m").to_string() != day.0.format("%Y-%m").to_string()
        });
        if month_ends {
            let at = Timestamp::from_micros(recorded.micros() + 60_000_000).expect("in range");
            ledger.checkpoint(&b.actors[ig].key, at, EventId(b.rng.bytes()))?;
            *counts.entry("CheckpointRecorded").or_default() += 1;
            if days.peek().is_none() {
                // And one more, as an IG officer signs before answering a request: bundles
                // and SAR packs are proved against it and prove subject lists complete up to
                // the month-end one, which lies inside it.
                let at = Timestamp::from_micros(at.micros() + 60_000_000).expect("in range");
                ledger.checkpoint(&b.actors[ig].key, at, EventId(b.rng.bytes()))?;
                *counts.entry("CheckpointRecorded").or_default() += 1;
            }
        }
        done += 1;
        progress(done, total);
    }

    // Key files, 0600, named after their owner.
    let key_dir = dir.join("keys");
    std::fs::create_dir_all(&key_dir)?;
    for a in &b.actors {
        let path = key_dir.join(format!("{}-{}.key", a.person, a.role));
        keys::write_new(&path, &a.key)?;
    }

    write_imports(dir, &ledger, end)?;

    let head = ledger
        .head()?
        .ok_or_else(|| DemoError::Plan("the demo ledger has no entries".into()))?;
    Ok(Built {
        checkpoint_key: public_key(&b.actors[ig].key),
        ledger,
        head,
        keys: b.actors.len(),
        counts,
        end,
    })
}
