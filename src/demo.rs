//! `igl demo`: a realistic synthetic council ledger, deterministic for a seed.
//!
//! A year in the life of Plymouth City Council's social-care information governance (1 Oct 2025
//! to 20 Nov 2026): partner organisations and their agreements, managers and staff onboarded with
//! declarations, countersignatures, training and device attestations, access grants and reviews,
//! record accesses from the Eclipse audit feed, leavers and a suspension, breaches and
//! subject-rights requests, access-review campaigns, and a few deliberate policy violations (one
//! or more for each rule R1–R18). Every event is signed by its author's own key and appended
//! through the same path `igl append` uses, one sealed batch per simulated day; the HR system's
//! and Eclipse's events come in as their CSV exports through the importers `igl import` uses.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use igl_ledger::{Ledger, keys};
use igl_schema::*;

use crate::{Outcome, out};

#[derive(Args)]
pub struct DemoArgs {
    /// How many members of staff (at least 24).
    #[arg(long, default_value_t = 48)]
    people: usize,
    /// Seed: the same seed builds the same ledger.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Replace an existing demo ledger at the same path.
    #[arg(long)]
    force: bool,
    /// Build a ledger of about this many entries (e.g. 1000000), by making each record-access
    /// visit in the Eclipse audit feed a burst of accesses. The planted violations stay the same.
    #[arg(long, value_name = "N")]
    entries: Option<u64>,
}

/// The default demo ledger directory.
pub const DEFAULT_DIR: &str = "demo-ledger";

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

struct Builder {
    rng: Rng,
    actors: Vec<Actor>,
    by_person: HashMap<PersonId, usize>,
    items: Vec<Item>,
    seed: u64,
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

pub fn run(a: DemoArgs, ledger: Option<PathBuf>) -> Result<Outcome> {
    if a.people < 24 {
        bail!("--people must be at least 24 (the demo plants one violation per rule among them)");
    }
    let dir = ledger.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    prepare_dir(&dir, a.force)?;
    let (mut b, admin, ig, end) = plan(&a, 1);
    if let Some(n) = a.entries {
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
            (b, ..) = plan(&a, per_visit);
        }
    }
    write_ledger(&dir, b, admin, ig, end)
}

/// Plans the demo's events (in `Builder::items`); every record-access visit is a burst of
/// `per_visit` accesses. Returns the builder, the admin's and the IG officer's actor indexes,
/// and the last day.
fn plan(a: &DemoArgs, per_visit: u64) -> (Builder, usize, usize, Date) {
    let mut b = Builder {
        rng: Rng::new(a.seed, "events"),
        actors: Vec::new(),
        by_person: HashMap::new(),
        items: Vec::new(),
        seed: a.seed,
    };
    let start = date(2025, 10, 1);
    let end = date(2026, 11, 20);

    // Day one: the council, its partners, keys for the IG team and the system feeds.
    let admin = b.actor("P00001", Role::Admin);
    let ig = b.actor("P00002", Role::IgOfficer);
    let auditor = b.actor("P00003", Role::Auditor);
    let hr = b.actor("SYS-HR", Role::SystemFeed);
    let lms = b.actor("SYS-LMS", Role::SystemFeed);
    let eclipse = b.actor("SYS-ECLIPSE", Role::SystemFeed);
    let head = b.actor("P00010", Role::Manager);
    let t0 = ts(start, 9, 5);
    for who in [ig, auditor, hr, lms, eclipse, head] {
        b.enrol_key(t0, admin, who);
    }
    for (org, name, kind) in [
        ("plymouth-cc", "Plymouth City Council", OrgKind::Council),
        ("livewell-sw", "Livewell Southwest CIC", OrgKind::Partner),
        (
            "caring-hands",
            "Caring Hands Home Care Ltd",
            OrgKind::Partner,
        ),
        (
            "westcountry-advocacy",
            "Westcountry Advocacy Trust",
            OrgKind::Partner,
        ),
    ] {
        let e = Event::OrganisationRegistered(OrganisationRegistered {
            organisation: id!(OrgId, "{org}"),
            name: name.into(),
            kind,
        });
        b.push(ts(start, 9, 40), admin, e);
    }
    let policy = id!(PolicyId, "eclipse-mou");
    let v_old = id!(Version, "2023.1");
    let v_new = id!(Version, "2026.1");
    for (at, v) in [
        (ts(start, 10, 0), &v_old),
        (ts(date(2026, 4, 1), 9, 0), &v_new),
    ] {
        let text = format!("Eclipse Memorandum of Understanding, version {v}");
        let e = Event::PolicyPublished(PolicyPublished {
            policy: policy.clone(),
            version: v.clone(),
            title: "Eclipse Memorandum of Understanding".into(),
            text_blake3: Hash32(*blake3::hash(text.as_bytes()).as_bytes()),
        });
        b.push(at, ig, e);
    }
    for (org, kind, reference, from, until) in [
        (
            "livewell-sw",
            AgreementKind::Isa,
            "ISA-2025-014",
            start,
            Some(date(2027, 9, 30)),
        ),
        (
            "livewell-sw",
            AgreementKind::Dpia,
            "DPIA-2025-031",
            start,
            None,
        ),
        (
            "caring-hands",
            AgreementKind::Isa,
            "ISA-2025-019",
            start,
            Some(date(2027, 9, 30)),
        ),
        (
            "westcountry-advocacy",
            AgreementKind::Isa,
            "ISA-2025-022",
            start,
            Some(date(2027, 9, 30)),
        ),
        (
            "westcountry-advocacy",
            AgreementKind::Dpia,
            "DPIA-2025-040",
            start,
            None,
        ),
    ] {
        let e = Event::AgreementSigned(AgreementSigned {
            organisation: id!(OrgId, "{org}"),
            kind,
            reference: reference.into(),
            valid_from: from,
            valid_until: until,
        });
        b.push(ts(start, 11, 0), ig, e);
    }
    for (org, scheme, reference, awarded, until, at) in [
        (
            "livewell-sw",
            Scheme::NhsDspt,
            "DSPT 8KM-2024/25",
            date(2025, 6, 24),
            date(2026, 6, 30),
            start,
        ),
        (
            "livewell-sw",
            Scheme::NhsDspt,
            "DSPT 8KM-2025/26",
            date(2026, 6, 18),
            date(2027, 6, 30),
            date(2026, 6, 19),
        ),
        (
            "westcountry-advocacy",
            Scheme::CyberEssentialsPlus,
            "CE+ IASME-CEP-011482",
            date(2025, 3, 1),
            date(2026, 3, 1),
            start,
        ),
    ] {
        let e = Event::AccreditationRecorded(AccreditationRecorded {
            organisation: id!(OrgId, "{org}"),
            scheme,
            reference: reference.into(),
            awarded_on: awarded,
            valid_until: until,
        });
        b.push(ts(at, 11, 30), ig, e);
    }

    // People: the head of service, one manager per team, then staff.
    let mut names = Rng::new(a.seed, "names");
    let mut person = |b: &mut Builder,
                      pid_s: &str,
                      title: &str,
                      team: &Team,
                      manager: Option<&PersonId>,
                      at: Timestamp| {
        let name = format!("{} {}", names.pick(FIRST), names.pick(LAST));
        let e = Event::PersonEnrolled(PersonEnrolled {
            person: pid(pid_s),
            name: Pii::new(name),
            job_title: Pii::new(title),
            business_unit: team.unit.into(),
            organisation: id!(OrgId, "{}", team.org),
            line_manager: manager.cloned(),
        });
        b.push(at, hr, e);
    };
    let head_pid = pid("P00010");
    person(
        &mut b,
        "P00010",
        "Head of Adult Social Care",
        &TEAMS[0],
        None,
        ts(start, 9, 20),
    );
    person(
        &mut b,
        "P00001",
        "IT Security Manager",
        &TEAMS[0],
        Some(&head_pid),
        ts(start, 9, 21),
    );
    person(
        &mut b,
        "P00002",
        "Information Governance Officer",
        &TEAMS[0],
        Some(&head_pid),
        ts(start, 9, 22),
    );
    person(
        &mut b,
        "P00003",
        "Internal Auditor",
        &TEAMS[0],
        Some(&head_pid),
        ts(start, 9, 23),
    );
    let mut managers = Vec::new();
    for (i, team) in TEAMS.iter().enumerate() {
        let p = format!("P{:05}", 11 + i);
        let m = b.actor(&p, Role::Manager);
        person(
            &mut b,
            &p,
            "Team Manager",
            team,
            Some(&head_pid),
            ts(add_days(start, 1), 9, 0),
        );
        b.enrol_key(ts(add_days(start, 1), 9, 30), admin, m);
        managers.push(m);
    }
    // The council employee who sponsors each partner team's access (Mosaic policy §3).
    let sponsor = b.actors[managers[2]].person.clone();

    let mut grants = 0u32;
    let mut leavers = Vec::new();
    // The grants in force when the access review opens, with their holder's index and team.
    let mut review_grants: Vec<(usize, GrantId, usize, PersonId)> = Vec::new();
    for s in 0..a.people {
        let team_ix = s % TEAMS.len();
        let team = &TEAMS[team_ix];
        let p = format!("P{:05}", 100 + s);
        let me = b.actor(&p, Role::Staff);
        let pers = pid(&p);
        let mut mgr = managers[team_ix];
        if s == planted::WRONG_COUNTERSIGNER {
            mgr = managers[(team_ix + 1) % TEAMS.len()];
        }
        let line_manager = b.actors[managers[team_ix]].person.clone();
        // Onboarding dates: the first dozen in autumn 2025, the rest through to summer 2026.
        let d0 = if s < 16 {
            add_days(start, 5 + 2 * s as i64)
        } else {
            add_days(start, 40 + b.rng.below(290) as i64)
        };
        let d0 = if s == planted::OLD_POLICY_VERSION {
            date(2026, 5, 11)
        } else {
            d0
        };
        let title = if team.council {
            "Social Worker"
        } else {
            "Care Coordinator"
        };
        person(&mut b, &p, title, team, Some(&line_manager), ts(d0, 9, 0));
        b.enrol_key(ts(d0, 9, 30), admin, me);

        // Devices.
        let council_device = team.council && s != planted::NO_MFA_OWN_DEVICE;
        let device = id!(
            DeviceId,
            "{}-LT-{:04}",
            if council_device { "PCC" } else { "BYOD" },
            100 + s
        );
        b.push(
            ts(d0, 10, 0),
            ig,
            Event::DeviceAttested(DeviceAttested {
                person: pers.clone(),
                device: device.clone(),
                council_provided: council_device,
                not_shared: true,
                os_supported: true,
                patched: true,
                antivirus_current: true,
            }),
        );
        let mut devices = vec![device];
        if s == planted::FAILED_DEVICE {
            let d = id!(DeviceId, "BYOD-TAB-{:04}", 100 + s);
            b.push(
                ts(add_days(d0, 30), 10, 0),
                ig,
                Event::DeviceAttested(DeviceAttested {
                    person: pers.clone(),
                    device: d.clone(),
                    council_provided: false,
                    not_shared: true,
                    os_supported: false,
                    patched: false,
                    antivirus_current: true,
                }),
            );
            devices.push(d);
        }

        // When (if ever) they stop.
        let left = match s {
            planted::LEAVER_REVOKED_LATE => {
                Some((date(2026, 8, 14), Some(date(2026, 8, 25)), true))
            }
            planted::LEAVER_NEVER_REVOKED => Some((date(2026, 9, 30), None, false)),
            planted::CLEAN_LEAVER => Some((date(2026, 5, 29), Some(date(2026, 5, 29)), true)),
            _ => None,
        };
        let stop = left.map_or(end, |(d, _, _)| d).min(end);
        // Revoked on review: no Eclipse work after the reviewer's decision.
        let stop = if s == planted::REVIEW_REVOKED {
            stop.min(date(2026, 10, 21))
        } else {
            stop
        };

        // Declaration, training, countersignature.
        let current = if d0 >= date(2026, 4, 1) && s != planted::OLD_POLICY_VERSION {
            &v_new
        } else {
            &v_old
        };
        let decl = b.push(
            ts(add_days(d0, 1), 10, 15),
            me,
            Event::DeclarationSigned(DeclarationSigned {
                person: pers.clone(),
                policy: policy.clone(),
                version: current.clone(),
                confirms_training: true,
            }),
        );
        let trained = add_days(d0, 1);
        b.push(
            ts(trained, 14, 0),
            lms,
            Event::TrainingCompleted(TrainingCompleted {
                person: pers.clone(),
                course: id!(CourseId, "protecting-information"),
                completed_on: trained,
                expires_on: Some(add_days(trained, 365)),
            }),
        );
        if add_days(trained, 350) < stop && s != planted::TRAINING_LAPSED {
            let renewed = add_days(trained, 350);
            b.push(
                ts(renewed, 14, 0),
                lms,
                Event::TrainingCompleted(TrainingCompleted {
                    person: pers.clone(),
                    course: id!(CourseId, "protecting-information"),
                    completed_on: renewed,
                    expires_on: Some(add_days(renewed, 365)),
                }),
            );
        }
        let countersigned = if s == planted::GRANT_BEFORE_COUNTERSIGN {
            add_days(d0, 6)
        } else {
            add_days(d0, 2)
        };
        let mgr_pid = b.actors[mgr].person.clone();
        b.push_with(
            ts(countersigned, 11, 0),
            mgr,
            Planned::Countersign {
                declaration: decl,
                person: pers.clone(),
                manager: mgr_pid.clone(),
            },
            vec![],
        );

        // The grant.
        grants += 1;
        let grant = id!(GrantId, "G-{:05}", grants);
        let granted = add_days(d0, 3);
        let partner_sponsor = if team.council || team_ix == 5 {
            None
        } else {
            Some(sponsor.clone())
        };
        b.push(
            ts(granted, 9, 0),
            ig,
            Event::AccessGranted(AccessGranted {
                grant: grant.clone(),
                person: pers.clone(),
                system: id!(SystemId, "Eclipse"),
                role: if team.council {
                    "Practitioner".into()
                } else {
                    "Partner read-only".into()
                },
                business_need: Pii::new(format!("Case work for {} service users", team.unit)),
                mfa_required: !council_device && s != planted::NO_MFA_OWN_DEVICE,
                approver: line_manager.clone(),
                sponsor: partner_sponsor,
            }),
        );

        if ![
            planted::CLEAN_LEAVER,
            planted::LEAVER_REVOKED_LATE,
            planted::SUSPENDED,
        ]
        .contains(&s)
        {
            review_grants.push((s, grant.clone(), team_ix, pers.clone()));
        }

        // Record accesses, from the Eclipse audit feed.
        let first_access = if s == planted::ACCESS_BEFORE_GRANT {
            add_days(granted, -1)
        } else {
            granted
        };
        let mut day = first_access;
        while day < stop {
            let suspended =
                s == planted::SUSPENDED && day >= date(2026, 3, 10) && day < date(2026, 4, 21);
            // The audit export never holds two identical rows (the importer would take them
            // for one access): a repeat within a visit is a second later.
            let mut seen = std::collections::HashSet::new();
            for _ in 0..if suspended { 0 } else { per_visit } {
                let record = id!(RecordId, "SU-{:06}", 100 + b.rng.below(300));
                let device = if s == planted::FAILED_DEVICE && day > add_days(d0, 30) {
                    devices[1].clone()
                } else {
                    devices[0].clone()
                };
                let purpose = b.rng.pick(PURPOSES).to_string();
                let mut at = ts(day, 9 + b.rng.below(8) as u32, b.rng.below(60) as u32);
                while !seen.insert((at, record.clone(), purpose.clone())) {
                    at = Timestamp::from_micros(at.micros() + 1_000_000).expect("in range");
                }
                b.push(
                    at,
                    eclipse,
                    Event::RecordAccessed(RecordAccessed {
                        person: pers.clone(),
                        system: id!(SystemId, "Eclipse"),
                        record,
                        purpose: Pii::new(purpose),
                        device: Some(device),
                    }),
                );
            }
            day = add_days(day, 4 + b.rng.below(9) as i64);
        }

        // Annual review (ISO 27001 A.5.18), except the one we forget.
        let review = add_days(granted, 300);
        if review < stop && s != planted::NOT_REVIEWED {
            b.push(
                ts(review, 15, 0),
                managers[team_ix],
                Event::AccessReviewed(AccessReviewed {
                    grant: grant.clone(),
                    person: pers.clone(),
                    reviewer: line_manager.clone(),
                    still_needed: true,
                    note: None,
                }),
            );
        }

        if s == planted::SUSPENDED {
            let susp = date(2026, 3, 10);
            b.push(
                ts(susp, 10, 0),
                hr,
                Event::EmploymentSuspended(EmploymentSuspended {
                    person: pers.clone(),
                    note: Some(Pii::new("Suspended pending a conduct investigation")),
                }),
            );
            b.push(
                ts(susp, 11, 30),
                ig,
                Event::AccessRevoked(AccessRevoked {
                    grant: grant.clone(),
                    person: pers.clone(),
                    reason: RevocationReason::Suspension,
                    note: None,
                }),
            );
            b.push(
                ts(date(2026, 4, 20), 9, 0),
                hr,
                Event::EmploymentReinstated(EmploymentReinstated {
                    person: pers.clone(),
                }),
            );
            grants += 1;
            review_grants.push((s, id!(GrantId, "G-{:05}", grants), team_ix, pers.clone()));
            b.push(
                ts(date(2026, 4, 21), 9, 0),
                ig,
                Event::AccessGranted(AccessGranted {
                    grant: id!(GrantId, "G-{:05}", grants),
                    person: pers.clone(),
                    system: id!(SystemId, "Eclipse"),
                    role: "Practitioner".into(),
                    business_need: Pii::new("Return to case work after reinstatement"),
                    mfa_required: false,
                    approver: line_manager.clone(),
                    sponsor: None,
                }),
            );
        }
        if let Some((ended, revoked, key_revoked)) = left {
            leavers.push(pers.clone());
            b.push(
                ts(ended, 17, 0),
                hr,
                Event::EmploymentEnded(EmploymentEnded {
                    person: pers.clone(),
                    note: Some(Pii::new("Resigned")),
                }),
            );
            if let Some(r) = revoked {
                b.push(
                    ts(r, 17, 30),
                    ig,
                    Event::AccessRevoked(AccessRevoked {
                        grant: grant.clone(),
                        person: pers.clone(),
                        reason: RevocationReason::Leaver,
                        note: None,
                    }),
                );
            }
            if key_revoked {
                let key = public_key(&b.actors[me].key);
                b.push(
                    ts(add_days(ended, 1), 9, 0),
                    admin,
                    Event::KeyRevoked(KeyRevoked {
                        key,
                        person: pers.clone(),
                        reason: Pii::new("Leaver"),
                    }),
                );
            }
        }
    }

    // The autumn access review of Eclipse (ISO/IEC 27001 A.5.18): every Eclipse grant in force
    // on 12 October, each for the grantee's line manager to decide by 6 November. Most are
    // kept; one is revoked and carried out the next morning; one is changed to read-only (a new
    // grant, then the old one revoked); a leaver's grant is decided "revoke" and nobody carries
    // it out (R17); one is decided late (R18, resolved); and the grant nobody reviewed all year
    // (R12) is not decided at all (R18).
    let review = id!(CampaignId, "AR-2026-Q4-ECLIPSE");
    let opened = ts(date(2026, 10, 12), 9, 0);
    b.push(
        opened,
        ig,
        Event::ReviewCampaignOpened(ReviewCampaignOpened {
            campaign: review.clone(),
            title: "Eclipse access review, autumn 2026".into(),
            system: Some(id!(SystemId, "Eclipse")),
            organisation: None,
            reports_of: None,
            reviewer: None,
            owner: pid("P00002"),
            due: date(2026, 11, 6),
            default_decision: None,
        }),
    );
    for (s, grant, team_ix, person) in &review_grants {
        let (s, team_ix) = (*s, *team_ix);
        if s == planted::NOT_REVIEWED {
            continue;
        }
        let manager = managers[team_ix];
        let reviewer = b.actors[manager].person.clone();
        let day = match s {
            planted::REVIEW_LATE => date(2026, 11, 10),
            planted::REVIEW_REVOKED => date(2026, 10, 20),
            // A working day between 13 October and 4 November.
            _ => {
                let d = add_days(date(2026, 10, 13), (s % 17) as i64);
                match chrono::Datelike::weekday(&d.0) {
                    chrono::Weekday::Sat => add_days(d, 2),
                    chrono::Weekday::Sun => add_days(d, 1),
                    _ => d,
                }
            }
        };
        let (decision, new_role, why) = match s {
            planted::LEAVER_NEVER_REVOKED => (
                ReviewDecision::Revoke,
                None,
                "Left the council on 30 September".to_string(),
            ),
            planted::REVIEW_REVOKED => (
                ReviewDecision::Revoke,
                None,
                "Moved to the contracts team: no longer works on Eclipse cases".to_string(),
            ),
            planted::REVIEW_CHANGED => (
                ReviewDecision::Change,
                Some("Read-only".to_string()),
                "Now quality-assures case files: needs to read them, not edit them".to_string(),
            ),
            _ => (
                ReviewDecision::Keep,
                None,
                format!("Active caseload in {}", TEAMS[team_ix].unit),
            ),
        };
        let at = ts(day, 14, 30);
        b.push(
            at,
            manager,
            Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
                campaign: review.clone(),
                grant: grant.clone(),
                person: person.clone(),
                reviewer: reviewer.clone(),
                decision,
                new_role: new_role.clone(),
                justification: Pii::new(why),
            }),
        );
        // IG carries the decisions out before work starts the next morning (08:00), except
        // the leaver's.
        let next = ts(add_days(day, 1), 8, 0);
        if s == planted::REVIEW_CHANGED {
            grants += 1;
            b.push(
                next,
                ig,
                Event::AccessGranted(AccessGranted {
                    grant: id!(GrantId, "G-{:05}", grants),
                    person: person.clone(),
                    system: id!(SystemId, "Eclipse"),
                    role: "Read-only".into(),
                    business_need: Pii::new("Quality assurance of case files (access review)"),
                    mfa_required: false,
                    approver: reviewer.clone(),
                    sponsor: None,
                }),
            );
        }
        if s == planted::REVIEW_CHANGED || s == planted::REVIEW_REVOKED {
            b.push(
                next,
                ig,
                Event::AccessRevoked(AccessRevoked {
                    grant: grant.clone(),
                    person: person.clone(),
                    reason: RevocationReason::Review,
                    note: Some(Pii::new(format!("Access review {review}"))),
                }),
            );
        }
    }

    // Livewell's staff reviewed by the council employee who sponsors their access (Mosaic
    // policy §3), with a default: whatever is undecided on 13 November is kept.
    let partners = id!(CampaignId, "AR-2026-LIVEWELL");
    b.push(
        ts(date(2026, 10, 26), 9, 0),
        ig,
        Event::ReviewCampaignOpened(ReviewCampaignOpened {
            campaign: partners.clone(),
            title: "Livewell Southwest staff on Eclipse, sponsor's review".into(),
            system: None,
            organisation: Some(id!(OrgId, "livewell-sw")),
            reports_of: None,
            reviewer: Some(sponsor.clone()),
            owner: pid("P00002"),
            due: date(2026, 11, 13),
            default_decision: Some(ReviewDecision::Keep),
        }),
    );
    if let Some((_, grant, _, person)) = review_grants
        .iter()
        .find(|(_, _, t, _)| TEAMS[*t].org == "livewell-sw")
    {
        b.push(
            ts(date(2026, 11, 2), 11, 0),
            managers[2],
            Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
                campaign: partners,
                grant: grant.clone(),
                person: person.clone(),
                reviewer: sponsor.clone(),
                decision: ReviewDecision::Keep,
                new_role: None,
                justification: Pii::new("Community nursing caseload shared with the council"),
            }),
        );
    }

    // Breaches: one handled well, one decided late, one still undecided.
    let reporter = b.by_person[&pid("P00104")];
    let breaches = [
        (
            "BR-2026-001",
            BreachKind::Loss,
            ts(date(2026, 2, 3), 8, 40),
            "Council laptop left on a train (encrypted)",
            Some((ts(date(2026, 2, 4), 15, 0), false)),
        ),
        (
            "BR-2026-002",
            BreachKind::UnauthorisedDisclosure,
            ts(date(2026, 6, 15), 10, 0),
            "Assessment emailed to the wrong family member",
            Some((ts(date(2026, 6, 19), 16, 0), true)),
        ),
        (
            "BR-2026-003",
            BreachKind::Theft,
            ts(date(2026, 11, 17), 11, 0),
            "Paper case files stolen from a car",
            None,
        ),
    ];
    for (id_s, kind, aware, what, decision) in breaches {
        let breach = id!(BreachId, "{id_s}");
        let su = id!(RecordId, "SU-{:06}", 100 + b.rng.below(300));
        b.push_with(
            Timestamp::from_micros(aware.micros() + 45 * 60 * 1_000_000).expect("in range"),
            reporter,
            Planned::Event(Event::BreachReported(BreachReported {
                breach: breach.clone(),
                reported_by: pid("P00104"),
                aware_at: aware,
                kind,
                description: Pii::new(what),
            })),
            vec![Subject::ServiceUser(su)],
        );
        if let Some((at, notified)) = decision {
            b.push(
                at,
                ig,
                Event::BreachIcoDecision(BreachIcoDecision {
                    breach: breach.clone(),
                    notified,
                    ico_reference: notified.then(|| "ICO-00981342".to_string()),
                    reason: (!notified)
                        .then(|| Pii::new("Device encrypted; no likely risk to individuals")),
                }),
            );
            b.push(
                Timestamp::from_micros(at.micros() + 86_400_000_000 * 20).expect("in range"),
                ig,
                Event::BreachClosed(BreachClosed {
                    breach,
                    note: Some(Pii::new("Lessons learned shared with the team")),
                }),
            );
        }
    }

    // Subject-rights requests.
    let former = leavers.first().cloned().unwrap_or_else(|| pid("P00105"));
    let srrs: [PlannedRequest; 5] = [
        (
            "SRR-2026-001",
            Right::Access,
            Subject::ServiceUser(id!(RecordId, "SU-000142")),
            date(2026, 1, 12),
            None,
            Some(date(2026, 2, 2)),
            "fulfilled",
        ),
        (
            "SRR-2026-002",
            Right::Access,
            Subject::Person(former),
            date(2026, 6, 1),
            Some(date(2026, 6, 20)),
            Some(date(2026, 8, 14)),
            "fulfilled",
        ),
        (
            "SRR-2026-003",
            Right::Rectification,
            Subject::ServiceUser(id!(RecordId, "SU-000201")),
            date(2026, 3, 2),
            None,
            Some(date(2026, 3, 20)),
            "refused",
        ),
        (
            "SRR-2026-004",
            Right::Access,
            Subject::ServiceUser(id!(RecordId, "SU-000377")),
            date(2026, 8, 20),
            None,
            None,
            "open",
        ),
        (
            "SRR-2026-005",
            Right::Erasure,
            Subject::ServiceUser(id!(RecordId, "SU-000318")),
            date(2026, 7, 1),
            None,
            None,
            "open",
        ),
    ];
    for (rid, right, subject, received, extended, closed, outcome) in srrs {
        let request = id!(RequestId, "{rid}");
        b.push(
            ts(received, 10, 0),
            ig,
            Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                request: request.clone(),
                right,
                data_subject: subject.clone(),
                details: Some(Pii::new(format!("{right} request received by letter"))),
            }),
        );
        b.push(
            ts(add_days(received, 3), 10, 0),
            ig,
            Event::SubjectRightsIdentityVerified(SubjectRightsIdentityVerified {
                request: request.clone(),
                data_subject: subject.clone(),
            }),
        );
        if rid == "SRR-2026-004" {
            // A broad request about years of records: the council asks which period and which
            // services it is about, and the clock stops until the answer arrives (UK GDPR
            // Art. 12A(5)).
            b.push(
                ts(add_days(received, 5), 11, 0),
                ig,
                Event::SubjectRightsClarificationRequested(SubjectRightsClarificationRequested {
                    request: request.clone(),
                    data_subject: subject.clone(),
                    asked: Pii::new("Asked which years and which services the request is about"),
                }),
            );
            b.push(
                ts(add_days(received, 12), 9, 30),
                ig,
                Event::SubjectRightsClarificationReceived(SubjectRightsClarificationReceived {
                    request: request.clone(),
                    data_subject: subject.clone(),
                }),
            );
        }
        if let Some(x) = extended {
            b.push(
                ts(x, 10, 0),
                ig,
                Event::SubjectRightsRequestExtended(SubjectRightsRequestExtended {
                    request: request.clone(),
                    data_subject: subject.clone(),
                    reason: Pii::new("Complex request spanning several systems; requester told"),
                }),
            );
        }
        if let Some(c) = closed {
            let e = if outcome == "refused" {
                Event::SubjectRightsRequestRefused(SubjectRightsRequestRefused {
                    request,
                    data_subject: subject,
                    reason: Pii::new(
                        "Records are accurate: the disputed note is a professional opinion, recorded as such",
                    ),
                })
            } else {
                Event::SubjectRightsRequestFulfilled(SubjectRightsRequestFulfilled {
                    request,
                    data_subject: subject,
                    note: Some(Pii::new(
                        "Response and copy of records sent by secure email",
                    )),
                })
            };
            b.push(ts(c, 16, 0), ig, e);
        }
    }
    (b, admin, ig, end)
}

/// Writes `imports/` beside the keys: what the council's systems export the week after the
/// demo ends, for `igl import` and `igl reconcile` (README, "Walkthrough: from CSV to audit").
/// Nothing in them is in the ledger yet.
/// - `hr.csv`: a joiner, a mover and a leaver (whose Eclipse access is then not removed);
/// - `eclipse-audit.csv`: that week's record accesses by people holding Eclipse grants;
/// - `eclipse-accounts.csv`: Eclipse's account list, with an agency account no grant stands
///   behind, a role changed in Eclipse only, a grant whose account was deleted, and the accounts
///   of the demo's leavers still enabled.
fn write_imports(dir: &Path, ledger: &Ledger, end: Date) -> Result<()> {
    use std::fmt::Write as _;
    // The state of people, grants and recent accesses only, from the `by_type` index: a demo
    // of a million entries need not replay them all to write these files.
    let mut seqs: Vec<u64> = Vec::new();
    for t in [
        "LedgerCreated",
        "OrganisationRegistered",
        "PersonEnrolled",
        "EmploymentEnded",
        "EmploymentSuspended",
        "EmploymentReinstated",
        "AccessGranted",
        "AccessRevoked",
    ] {
        seqs.extend(ledger.type_entries(t)?);
    }
    let accessed = ledger.type_entries("RecordAccessed")?;
    seqs.extend(accessed.iter().rev().take(2_000));
    let entries = ledger
        .entries_at(seqs)
        .collect::<igl_ledger::Result<Vec<_>>>()?;
    let state = igl_ledger::compliance::State::build(
        None,
        entries.iter().map(igl_ledger::compliance::fact),
    );
    let at = ts(end, 18, 0);
    let eclipse = id!(SystemId, "Eclipse");
    let active: Vec<&igl_ledger::compliance::state::Grant> = state
        .grants
        .iter()
        .filter(|g| g.system == eclipse && g.active_at(at))
        .collect();
    let council_active: Vec<&igl_ledger::compliance::state::Grant> = active
        .iter()
        .copied()
        .filter(|g| !g.third_party)
        .filter(|g| {
            state.person(&g.person).is_some_and(|p| {
                matches!(
                    p.employment_at(at),
                    igl_ledger::compliance::state::Employment::Active { .. }
                )
            })
        })
        .collect();
    let [mover, leaver, .., renamed, deleted] = council_active.as_slice() else {
        bail!("demo: too few people with Eclipse access to write the import examples");
    };
    let manager_of = |p: &PersonId| {
        state
            .person(p)
            .and_then(|x| x.line_manager.clone())
            .map_or_else(String::new, |m| m.to_string())
    };
    let person_row = |p: &PersonId| {
        let x = state.person(p);
        (
            x.and_then(|x| x.name.clone()).unwrap_or_default(),
            x.and_then(|x| x.job_title.clone()).unwrap_or_default(),
            x.and_then(|x| x.business_unit.clone()).unwrap_or_default(),
        )
    };
    let imports = dir.join("imports");
    std::fs::create_dir_all(&imports)?;

    let mut hr = String::from(
        "person,name,job_title,business_unit,organisation,line_manager,change,effective,note\n",
    );
    let day = |n: i64| add_days(end, n).0.format("%d/%m/%Y").to_string();
    writeln!(
        hr,
        "P00300,Nadia Shah,Social Worker,Adult Social Care North,plymouth-cc,{},joiner,{} 09:00,",
        manager_of(&mover.person),
        day(3)
    )?;
    let (name, title, _) = person_row(&mover.person);
    writeln!(
        hr,
        "{},{name},Senior {title},Adult Social Care South,plymouth-cc,{},mover,{},Promoted",
        mover.person,
        manager_of(&leaver.person),
        day(4)
    )?;
    writeln!(
        hr,
        "{},,,,,,leaver,{} 17:00,Resigned",
        leaver.person,
        day(5)
    )?;
    std::fs::write(imports.join("hr.csv"), hr)?;

    let mut audit = String::from("user,record,accessed_at,purpose,device\n");
    let records: Vec<&RecordId> = state
        .accesses
        .by_person
        .values()
        .flat_map(|t| t.records.iter())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for i in 0..120usize {
        let g = council_active[i % council_active.len()];
        let record = records[(i * 7) % records.len().max(1)];
        let when = add_days(end, 3 + (i / 40) as i64)
            .0
            .and_hms_opt(9 + (i % 8) as u32, (i * 7 % 60) as u32, 0)
            .expect("a time of day");
        // From the device they last used (attested, so the import plants no R10 finding).
        let device = state
            .accesses
            .by_person
            .get(&g.person)
            .and_then(|t| t.last_device.as_ref())
            .map_or_else(String::new, |d| d.to_string());
        writeln!(
            audit,
            "{},{record},{},Case work,{device}",
            g.person,
            when.format("%Y-%m-%d %H:%M:%S"),
        )?;
    }
    std::fs::write(imports.join("eclipse-audit.csv"), audit)?;

    let mut accounts = String::from("account,person,role,enabled\n");
    for g in &active {
        if g.id == deleted.id {
            continue; // deleted in Eclipse, grant still on record
        }
        let role = if g.id == renamed.id {
            "Team Manager".to_string() // changed in Eclipse only
        } else {
            g.role.clone()
        };
        writeln!(
            accounts,
            "{},{},{role},yes",
            g.person.as_str().to_lowercase(),
            g.person
        )?;
    }
    // The accounts of revoked grants are disabled (one per person).
    let mut disabled = std::collections::BTreeSet::new();
    for g in state.grants.iter().filter(|g| {
        g.system == eclipse && !g.active_at(at) && !active.iter().any(|a| a.person == g.person)
    }) {
        if !disabled.insert(g.person.clone()) {
            continue;
        }
        writeln!(
            accounts,
            "{},{},{},disabled",
            g.person.as_str().to_lowercase(),
            g.person,
            g.role
        )?;
    }
    writeln!(accounts, "agency.temp01,,Practitioner,yes")?;
    std::fs::write(imports.join("eclipse-accounts.csv"), accounts)?;
    Ok(())
}

fn prepare_dir(dir: &Path, force: bool) -> Result<()> {
    if !dir.exists() || std::fs::read_dir(dir)?.next().is_none() {
        return Ok(());
    }
    if !force {
        bail!(
            "{} already exists; pass --force to replace it, or choose another directory with --ledger DIR",
            dir.display()
        );
    }
    if !(dir.join("CURRENT").is_file() && dir.join("keys").is_dir()) {
        bail!(
            "{} does not look like a demo ledger (no CURRENT file and keys/ directory); refusing to delete it",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok(())
}

/// The demo's HR and Eclipse feeds: each day's rows written as the systems export them (UK local
/// times), appended to `imports/history/hr.csv` and `eclipse-audit.csv`, and loaded through
/// `import::import_hr` and `import::import_access`, the code `igl import` runs.
struct Feeds {
    hr: std::fs::File,
    access: std::fs::File,
}

impl Feeds {
    const HR_HEADER: &'static str =
        "person,name,job_title,business_unit,organisation,line_manager,change,effective,note\n";
    const ACCESS_HEADER: &'static str = "user,record,accessed_at,purpose,device\n";

    fn new(dir: &Path) -> Result<Feeds> {
        let mut hr = std::fs::File::create(dir.join("hr.csv"))?;
        hr.write_all(Self::HR_HEADER.as_bytes())?;
        let mut access = std::fs::File::create(dir.join("eclipse-audit.csv"))?;
        access.write_all(Self::ACCESS_HEADER.as_bytes())?;
        Ok(Feeds { hr, access })
    }

    /// Whether the HR export carries this event.
    fn is_hr(e: &Event) -> bool {
        matches!(
            e,
            Event::PersonEnrolled(_)
                | Event::EmploymentEnded(_)
                | Event::EmploymentSuspended(_)
                | Event::EmploymentReinstated(_)
        )
    }

    /// `14/03/2026 09:00`: UK local time, as HR systems export it.
    fn local(t: Timestamp) -> String {
        t.datetime()
            .with_timezone(&igl_ledger::compliance::time::ZONE)
            .format("%d/%m/%Y %H:%M")
            .to_string()
    }

    /// A CSV field, quoted when it must be.
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    /// Writes and imports one day's rows; returns the entries appended per type.
    #[allow(clippy::too_many_arguments)]
    fn import_day(
        &mut self,
        ledger: &Ledger,
        hr_rows: &[(Timestamp, Event)],
        access_rows: &[(Timestamp, RecordAccessed)],
        hr_key: &SigningKey,
        eclipse_key: &SigningKey,
        recorded: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<Vec<(&'static str, u64)>> {
        use igl_ledger::import;
        let mut out = Vec::new();
        let pii = |p: &Pii| p.value().map(Self::field).unwrap_or_default();
        if !hr_rows.is_empty() {
            let mut text = String::new();
            for (at, e) in hr_rows {
                let when = Self::local(*at);
                let row = match e {
                    Event::PersonEnrolled(p) => format!(
                        "{},{},{},{},{},{},{},{when},",
                        p.person,
                        pii(&p.name),
                        pii(&p.job_title),
                        Self::field(&p.business_unit),
                        p.organisation,
                        p.line_manager.as_ref().map_or("", |m| m.as_str()),
                        // The HR system knows a joiner from a mover; so does the ledger.
                        if ledger
                            .history(
                                igl_ledger::projection::Kind::Person,
                                p.person.as_str(),
                                None
                            )?
                            .iter()
                            .any(|r| r.tag
                                == igl_ledger::rows::index::type_tag("PersonEnrolled")
                                    .expect("a type"))
                        {
                            "mover"
                        } else {
                            "joiner"
                        },
                    ),
                    Event::EmploymentEnded(x) => format!(
                        "{},,,,,,leaver,{when},{}",
                        x.person,
                        x.note.as_ref().map(pii).unwrap_or_default()
                    ),
                    Event::EmploymentSuspended(x) => format!(
                        "{},,,,,,suspended,{when},{}",
                        x.person,
                        x.note.as_ref().map(pii).unwrap_or_default()
                    ),
                    Event::EmploymentReinstated(x) => {
                        format!("{},,,,,,reinstated,{when},", x.person)
                    }
                    other => bail!("demo: {} is not in the HR export", other.type_name()),
                };
                text.push_str(&row);
                text.push('\n');
            }
            self.hr.write_all(text.as_bytes())?;
            let csv = format!("{}{text}", Self::HR_HEADER);
            let r = import::import_hr(
                ledger,
                "imports/history/hr.csv",
                csv.as_bytes(),
                &import::HrMapping::default(),
                hr_key,
                false,
                recorded,
                &mut import::Salts::From(salt),
            )
            .map_err(|e| anyhow::anyhow!("demo: importing the HR rows: {e}"))?;
            if r.new != hr_rows.len() {
                bail!("demo: {} of {} HR rows imported", r.new, hr_rows.len());
            }
            for (t, n) in r.by_type {
                let t = Event::TYPES
                    .iter()
                    .find(|x| **x == t)
                    .context("an event type")?;
                out.push((*t, n as u64));
            }
        }
        if !access_rows.is_empty() {
            let mut text = String::new();
            for (at, a) in access_rows {
                text.push_str(&format!(
                    "{},{},{},{},{}\n",
                    a.person,
                    a.record,
                    at.datetime()
                        .with_timezone(&igl_ledger::compliance::time::ZONE)
                        .format("%Y-%m-%d %H:%M:%S"),
                    pii(&a.purpose),
                    a.device.as_ref().map_or("", |d| d.as_str())
                ));
            }
            self.access.write_all(text.as_bytes())?;
            let csv = format!("{}{text}", Self::ACCESS_HEADER);
            let system = access_rows[0].1.system.clone();
            let r = import::import_access(
                ledger,
                "imports/history/eclipse-audit.csv",
                csv.as_bytes(),
                &import::AccessMapping::default(),
                &system,
                eclipse_key,
                usize::MAX,
                false,
                Some(recorded),
                &mut import::Salts::From(salt),
                |_| {},
            )
            .map_err(|e| anyhow::anyhow!("demo: importing the Eclipse audit rows: {e}"))?;
            if r.new != access_rows.len() {
                bail!(
                    "demo: {} of {} Eclipse audit rows imported",
                    r.new,
                    access_rows.len()
                );
            }
            out.push(("RecordAccessed", r.new as u64));
        }
        Ok(out)
    }
}

fn write_ledger(dir: &Path, mut b: Builder, admin: usize, ig: usize, end: Date) -> Result<Outcome> {
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
    let pb = out::progress(days.len() as u64, "days");
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
                    let hash = *decl_hashes
                        .get(&declaration)
                        .context("demo plan: a countersignature precedes its declaration")?;
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
            let receipt = ledger
                .append(&subs, &b.actors[appender].key, recorded)
                .with_context(|| format!("demo: appending the batch of {day}"))?;
            for (i, id) in decls {
                let seq = receipt.first_seq + i as u64;
                let e = ledger
                    .entry(seq)?
                    .context("demo: reading back a declaration")?;
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
        pb.inc(1);
    }
    pb.finish_and_clear();

    // Key files, 0600, named after their owner.
    let key_dir = dir.join("keys");
    std::fs::create_dir_all(&key_dir)?;
    for a in &b.actors {
        let path = key_dir.join(format!("{}-{}.key", a.person, a.role));
        keys::write_new(&path, &a.key)?;
    }

    write_imports(dir, &ledger, end)?;

    let head = ledger.head()?.context("the demo ledger has entries")?;
    let mut o = out::stdout();
    let d = dir.display();
    writeln!(o, "Built a demo ledger for Plymouth City Council in {d}")?;
    writeln!(
        o,
        "  {} entries (1 Oct 2025 to {end}), {} keys in {d}/keys (mode 0600), head {}",
        head.seq + 1,
        b.actors.len(),
        head.hash
    )?;
    for (t, n) in &counts {
        writeln!(o, "  {n:>6}  {t}")?;
    }
    // Where this igl is, relative to here when it can be.
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().ok();
    let exe = match (&exe, &cwd) {
        (Some(e), Some(c)) => e.strip_prefix(c).unwrap_or(e).display().to_string(),
        (Some(e), None) => e.display().to_string(),
        _ => "igl".to_string(),
    };
    // The IG officer signs the checkpoints: the key a SAR pack's recipient checks it against.
    let ig_key = public_key(&b.actors[ig].key).to_hex();
    let hints = format!(
        "
It includes deliberate policy violations (a grant before the countersignature, lapsed
training, leavers whose access and keys outlived them, third-party access without a sponsor,
a breach decided after 72 hours, an overdue SAR, an access review with an item nobody decided
and a revocation nobody carried out, and more) for `igl audit` to find.

Try next (igl is {exe}; `cargo install --path .` puts it on your PATH):
  export IGL_LEDGER={d}
  igl tui                           # browse, verify, audit and look subjects up in a terminal UI
  igl verify                        # prove nothing was altered or forged (exit 0)
  igl audit --as-of 2026-11-20      # the compliance findings, rule by rule (exit 1: there are some)
  igl status P00105                 # everything about one member of staff
  igl org caring-hands              # a partner's agreements and accreditations
  igl requests                      # subject-rights requests and their statutory deadlines
  igl review show AR-2026-Q4-ECLIPSE   # an access review: who decided what, was it done (exit 1)
  igl review todo AR-2026-Q4-ECLIPSE --reviewer P00011 --worksheet P00011.csv
  igl sar P00105                    # everything the ledger holds about one person
  igl sar P00105 --pack sar-P00105 && igl verify-bundle sar-P00105 --trusted-key {ig_key}
  igl log --subject service-user:SU-000142
  igl show 1                        # one entry in full: author, hashes, signature, seal
  igl prove 1200                    # Merkle inclusion proof against the latest signed checkpoint
  igl import hr {d}/imports/hr.csv --key {d}/keys/SYS-HR-system_feed.key --dry-run
  igl import access {d}/imports/eclipse-audit.csv --system Eclipse --key {d}/keys/SYS-ECLIPSE-system_feed.key
  igl reconcile --system Eclipse {d}/imports/eclipse-accounts.csv   # accounts vs grants (exit 1)
  igl publish {d}-site              # the log as C2SP tlog-tiles static files (entry hashes only)
  igl verify-published {d}-site --trusted-key {ig_key}
  # a partner council's witness over HTTP: README, \"Walkthrough: witnessed, published, checked\"
"
    );
    write!(o, "{hints}")?;
    o.flush()?;
    Ok(Outcome::Ok)
}
