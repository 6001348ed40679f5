//! The storyline of `igl demo`, chapter by chapter: who the council and its partners are
//! ([`Story::cast`]), each member of staff's year ([`Story::staff`]), the access reviews, the
//! breaches and the subject-rights requests. Every chapter plans events into the [`Builder`];
//! nothing is signed or written here. The order of the chapters and of the draws from the
//! seeded generators is the demo's: change it and the seeded demo changes.

use super::*;

mod incidents;
mod reviews;
mod staff;

/// The cast and the running state of the storyline, shared by its chapters.
pub(super) struct Story {
    pub(super) b: Builder,
    start: Date,
    pub(super) end: Date,
    pub(super) admin: usize,
    pub(super) ig: usize,
    hr: usize,
    lms: usize,
    eclipse: usize,
    policy: PolicyId,
    v_old: Version,
    v_new: Version,
    /// The team managers' actors, one per team in [`TEAMS`] order.
    managers: Vec<usize>,
    /// The council employee who sponsors each partner team's access (Mosaic policy §3).
    sponsor: PersonId,
    /// Grants made so far (grant ids are `G-` and this count).
    grants: u32,
    /// The people who left.
    leavers: Vec<PersonId>,
    /// The grants in force when the access review opens, with their holder's index and team.
    review_grants: Vec<(usize, GrantId, usize, PersonId)>,
}

impl Story {
    /// Day one (the council, its partners, policies, agreements and accreditations, keys for
    /// the IG team and the system feeds), then the head of service, the IG team and one manager
    /// per team.
    pub(super) fn cast(a: &Options) -> Story {
        let mut b = Builder {
            rng: Rng::new(a.seed, "events"),
            actors: Vec::new(),
            by_person: HashMap::new(),
            items: Vec::new(),
            seed: a.seed,
            names: Rng::new(a.seed, "names"),
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
        let head_pid = pid("P00010");
        b.enrol_person(
            hr,
            "P00010",
            "Head of Adult Social Care",
            &TEAMS[0],
            None,
            ts(start, 9, 20),
        );
        b.enrol_person(
            hr,
            "P00001",
            "IT Security Manager",
            &TEAMS[0],
            Some(&head_pid),
            ts(start, 9, 21),
        );
        b.enrol_person(
            hr,
            "P00002",
            "Information Governance Officer",
            &TEAMS[0],
            Some(&head_pid),
            ts(start, 9, 22),
        );
        b.enrol_person(
            hr,
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
            b.enrol_person(
                hr,
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

        Story {
            b,
            start,
            end,
            admin,
            ig,
            hr,
            lms,
            eclipse,
            policy,
            v_old,
            v_new,
            managers,
            sponsor,
            grants: 0,
            leavers: Vec::new(),
            review_grants: Vec::new(),
        }
    }
}
