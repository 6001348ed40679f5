//! [`Council`]: a ledger for one scenario, built through `Ledger::create` and `Ledger::append`
//! in a temporary directory, each event signed by a key whose role may write it.

use std::collections::HashMap;

use igl_schema::*;

use super::{Genesis, d, dev, gid, key_for, numbered, org, pid, rid, su, sys, t};
use crate::compliance::{self, Config, Finding, State, rules};
use crate::store::Ledger;

/// When every event of a [`Council`] is recorded (after all of them occurred).
pub const RECORDED: &str = "2030-01-01T00:00:00Z";
/// Before everything: when the council's keys, organisations and policy take effect.
pub const EARLY: &str = "2020-01-01T00:00:00Z";

/// A ledger for one scenario: a council (`council`) with one partner (`partner`), an IG
/// officer (`P2`) and a system feed, every event recorded at [`RECORDED`]; each person's key
/// enrolled on first use, with the role the event needs.
pub struct Council {
    pub _dir: tempfile::TempDir,
    pub ledger: Ledger,
    pub admin: SigningKey,
    pub ig: SigningKey,
    pub feed: SigningKey,
    pub keys: HashMap<(String, Role), SigningKey>,
    pub next: u64,
}

impl Default for Council {
    fn default() -> Council {
        Council::new()
    }
}

impl Council {
    /// A council (`council`) with one partner (`partner`), an IG officer and a system feed.
    pub fn new() -> Council {
        let dir = tempfile::tempdir().unwrap();
        let admin = key_for("admin");
        let ledger = Genesis::new(LedgerId([7; 16]), t(EARLY)).create(
            &dir.path().join("l"),
            &admin,
            t(RECORDED),
        );
        let mut l = Council {
            _dir: dir,
            ledger,
            ig: key_for("ig"),
            feed: key_for("feed"),
            admin,
            keys: HashMap::new(),
            next: 0,
        };
        // The admin appends the enrolment of the appending keys itself.
        for (k, p, role) in [
            (l.ig.clone(), "P2", Role::IgOfficer),
            (l.feed.clone(), "SYS-FEED", Role::SystemFeed),
        ] {
            let e = Event::KeyEnrolled(KeyEnrolled {
                key: public_key(&k),
                person: pid(p),
                role,
                reason: None,
            });
            let sub = l.sign(EARLY, e, &l.admin.clone());
            l.ledger
                .append(&[sub], &l.admin.clone(), t(RECORDED))
                .unwrap();
        }
        l.ev(
            EARLY,
            Event::OrganisationRegistered(OrganisationRegistered {
                organisation: org("partner"),
                name: "Partner Ltd".into(),
                kind: OrgKind::Partner,
            }),
        );
        l
    }

    pub fn sign(&mut self, at: &str, e: Event, author: &SigningKey) -> Submission {
        self.next += 1;
        let (id, salt) = numbered(self.next);
        Submission::sign(LedgerId([7; 16]), e, t(at), id, [], author, salt).unwrap()
    }

    /// The key of `person` with `role`, enrolled (by the admin) on first use.
    pub fn key(&mut self, person: &PersonId, role: Role) -> SigningKey {
        if let Some(k) = self.keys.get(&(person.to_string(), role)) {
            return k.clone();
        }
        let k = key_for(&format!("{person}/{role}"));
        self.keys.insert((person.to_string(), role), k.clone());
        self.ev(
            EARLY,
            Event::KeyEnrolled(KeyEnrolled {
                key: public_key(&k),
                person: person.clone(),
                role,
                reason: None,
            }),
        );
        k
    }

    /// Appends one event that occurred at `at`, signed by a key allowed to write it. Returns
    /// its seq.
    pub fn ev(&mut self, at: &str, e: Event) -> u64 {
        let author = match &e {
            Event::KeyEnrolled(_) | Event::KeyRevoked(_) | Event::OrganisationRegistered(_) => {
                self.admin.clone()
            }
            Event::DeclarationSigned(x) => {
                let p = x.person.clone();
                match self.keys.get(&(p.to_string(), Role::Manager)) {
                    Some(k) => k.clone(),
                    None => self.key(&p, Role::Staff),
                }
            }
            Event::DeclarationCountersigned(x) => {
                let m = x.manager.clone();
                self.key(&m, Role::Manager)
            }
            Event::RecordAccessed(_) => self.feed.clone(),
            Event::ReviewDecisionRecorded(x) => {
                let r = x.reviewer.clone();
                self.key(&r, Role::Manager)
            }
            _ => self.ig.clone(),
        };
        let sub = self.sign(at, e, &author);
        let ig = self.ig.clone();
        self.ledger
            .append(&[sub], &ig, t(RECORDED))
            .unwrap()
            .first_seq
    }

    pub fn state(&self, as_of: &str) -> State {
        compliance::load(&self.ledger, Some(t(as_of))).unwrap()
    }

    /// The findings of one rule as of an instant, with the default configuration.
    pub fn findings(&self, rule: &str, as_of: &str) -> Vec<Finding> {
        self.findings_with(rule, as_of, &Config::default())
    }

    pub fn findings_with(&self, rule: &str, as_of: &str, c: &Config) -> Vec<Finding> {
        let r = rules::rule(rule).unwrap();
        compliance::audit(&self.state(as_of), c, Some(r))
    }

    // --- the catalogue, briefly ---------------------------------------------------------

    pub fn person(&mut self, at: &str, p: &str, o: &str, manager: Option<&str>) -> u64 {
        self.ev(
            at,
            Event::PersonEnrolled(PersonEnrolled {
                person: pid(p),
                name: Pii::new(format!("Person {p}")),
                job_title: Pii::new("Social Worker"),
                business_unit: "Adults".into(),
                organisation: org(o),
                line_manager: manager.map(pid),
            }),
        )
    }
    pub fn policy(&mut self, at: &str, version: &str) -> u64 {
        self.ev(
            at,
            Event::PolicyPublished(PolicyPublished {
                policy: PolicyId::new("mou").unwrap(),
                version: Version::new(version).unwrap(),
                title: "MoU".into(),
                text_blake3: Hash32([1; 32]),
            }),
        )
    }
    pub fn declare(&mut self, at: &str, p: &str, version: &str) -> u64 {
        self.ev(
            at,
            Event::DeclarationSigned(DeclarationSigned {
                person: pid(p),
                policy: PolicyId::new("mou").unwrap(),
                version: Version::new(version).unwrap(),
                confirms_training: true,
            }),
        )
    }
    pub fn countersign(&mut self, at: &str, decl: u64, p: &str, manager: &str) -> u64 {
        let hash = self.ledger.entry(decl).unwrap().unwrap().hash;
        self.ev(
            at,
            Event::DeclarationCountersigned(DeclarationCountersigned {
                declaration: hash,
                person: pid(p),
                manager: pid(manager),
                training_checked: true,
            }),
        )
    }
    pub fn training(&mut self, p: &str, completed: &str, expires: Option<&str>) -> u64 {
        self.ev(
            &format!("{completed}T12:00:00Z"),
            Event::TrainingCompleted(TrainingCompleted {
                person: pid(p),
                course: CourseId::new("protecting-information").unwrap(),
                completed_on: d(completed),
                expires_on: expires.map(d),
            }),
        )
    }
    pub fn grant(&mut self, at: &str, g: &str, p: &str, mfa: bool, sponsor: Option<&str>) -> u64 {
        self.ev(
            at,
            Event::AccessGranted(AccessGranted {
                grant: gid(g),
                person: pid(p),
                system: sys(),
                role: "Practitioner".into(),
                business_need: Pii::new("Case work"),
                mfa_required: mfa,
                approver: pid("M1"),
                sponsor: sponsor.map(pid),
            }),
        )
    }
    pub fn revoke(&mut self, at: &str, g: &str, p: &str) -> u64 {
        self.ev(
            at,
            Event::AccessRevoked(AccessRevoked {
                grant: gid(g),
                person: pid(p),
                reason: RevocationReason::Leaver,
                note: None,
            }),
        )
    }
    pub fn review(&mut self, at: &str, g: &str, p: &str) -> u64 {
        self.ev(
            at,
            Event::AccessReviewed(AccessReviewed {
                grant: gid(g),
                person: pid(p),
                reviewer: pid("M1"),
                still_needed: true,
                note: None,
            }),
        )
    }
    pub fn ended(&mut self, at: &str, p: &str) -> u64 {
        self.ev(
            at,
            Event::EmploymentEnded(EmploymentEnded {
                person: pid(p),
                note: None,
            }),
        )
    }
    pub fn device(&mut self, at: &str, p: &str, device: &str, council: bool, passes: bool) -> u64 {
        self.ev(
            at,
            Event::DeviceAttested(DeviceAttested {
                person: pid(p),
                device: dev(device),
                council_provided: council,
                not_shared: true,
                os_supported: passes,
                patched: passes,
                antivirus_current: true,
            }),
        )
    }
    pub fn access(&mut self, at: &str, p: &str, device: Option<&str>) -> u64 {
        self.ev(
            at,
            Event::RecordAccessed(RecordAccessed {
                person: pid(p),
                system: sys(),
                record: RecordId::new("SU-1").unwrap(),
                purpose: Pii::new("Review"),
                device: device.map(dev),
            }),
        )
    }
    pub fn agreement(
        &mut self,
        o: &str,
        kind: AgreementKind,
        from: &str,
        until: Option<&str>,
    ) -> u64 {
        self.ev(
            &format!("{from}T08:00:00Z"),
            Event::AgreementSigned(AgreementSigned {
                organisation: org(o),
                kind,
                reference: format!("{kind}-1"),
                valid_from: d(from),
                valid_until: until.map(d),
            }),
        )
    }
    pub fn accreditation(&mut self, o: &str, scheme: Scheme, awarded: &str, until: &str) -> u64 {
        self.ev(
            &format!("{awarded}T08:00:00Z"),
            Event::AccreditationRecorded(AccreditationRecorded {
                organisation: org(o),
                scheme,
                reference: format!("{scheme}-1"),
                awarded_on: d(awarded),
                valid_until: d(until),
            }),
        )
    }
    pub fn request(&mut self, at: &str, id: &str, right: Right) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                request: rid(id),
                right,
                data_subject: su("SU-9"),
                details: Some(Pii::new("By letter")),
            }),
        )
    }
    pub fn verified(&mut self, at: &str, id: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsIdentityVerified(SubjectRightsIdentityVerified {
                request: rid(id),
                data_subject: su("SU-9"),
            }),
        )
    }
    pub fn extended(&mut self, at: &str, id: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsRequestExtended(SubjectRightsRequestExtended {
                request: rid(id),
                data_subject: su("SU-9"),
                reason: Pii::new("Complex"),
            }),
        )
    }
    pub fn fulfilled(&mut self, at: &str, id: &str) -> u64 {
        self.ev(
            at,
            Event::SubjectRightsRequestFulfilled(SubjectRightsRequestFulfilled {
                request: rid(id),
                data_subject: su("SU-9"),
                note: None,
            }),
        )
    }

    /// A council member of staff `p` (line manager M1) onboarded compliantly on 5 January 2026:
    /// declaration countersigned, training to 2027, a council device, grant `G-p` without MFA.
    pub fn onboard(&mut self, p: &str) -> u64 {
        self.onboard_in(p, "council", None)
    }

    pub fn onboard_in(&mut self, p: &str, o: &str, sponsor: Option<&str>) -> u64 {
        if !self.ledger.entries(0).any(|e| {
            matches!(
                &e.unwrap().entry.event.body.event,
                Event::PolicyPublished(_)
            )
        }) {
            self.policy(EARLY, "1");
            self.person(EARLY, "M1", "council", None);
            self.person(EARLY, "M2", "council", None);
        }
        self.person("2026-01-05T09:00:00Z", p, o, Some("M1"));
        let decl = self.declare("2026-01-05T10:00:00Z", p, "1");
        self.countersign("2026-01-05T11:00:00Z", decl, p, "M1");
        self.training(p, "2026-01-05", Some("2027-01-05"));
        self.device(
            "2026-01-05T12:00:00Z",
            p,
            &format!("PCC-{p}"),
            o == "council",
            true,
        );
        self.grant(
            "2026-01-06T09:00:00Z",
            &format!("G-{p}"),
            p,
            o != "council",
            sponsor,
        )
    }
}
