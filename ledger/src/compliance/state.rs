//! The governance projection: a pure fold over entries in `occurred_at` order (ties by seq)
//! that builds what the ledger says about the world at an instant.
//!
//! The state keeps *histories*, not just current values (every training record, every
//! employment change, every review of a grant, every attestation of a device), because the
//! rules must say since when something has been wrong, not only whether it is wrong now. Facts
//! that depend on the moment they happened are captured by the fold at that moment: a person's
//! organisation when a grant was made, their line manager when a declaration was countersigned,
//! the current policy version when a declaration was signed.
//!
//! The projection never refuses anything: an event that names something unknown (a review of a
//! grant never made) is kept as a [`Note`].

use std::collections::{BTreeMap, HashMap};

use igl_schema::{
    AgreementKind, BreachKind, Date, DeviceId, Event, Hash32, OrgId, OrgKind, PersonId, PolicyId,
    PublicKey, RequestId, RevocationReason, Role, Scheme, SystemId, Timestamp, Version,
};
use serde::Serialize;

use crate::time::Span;

/// The course whose completion the policies require (Mosaic policy §6).
pub const PROTECTING_INFORMATION: &str = "protecting-information";

pub use crate::time::Stamp;

/// One entry as the projection reads it.
#[derive(Clone, Copy, Debug)]
pub struct Fact<'a> {
    pub seq: u64,
    pub hash: Hash32,
    pub occurred_at: Timestamp,
    pub author: PublicKey,
    pub event: &'a Event,
}

impl Fact<'_> {
    fn stamp(&self) -> Stamp {
        Stamp {
            seq: self.seq,
            at: self.occurred_at,
        }
    }
}

fn pii(p: &igl_schema::Pii) -> Option<String> {
    p.value().map(str::to_string)
}

fn opt_pii(p: &Option<igl_schema::Pii>) -> Option<String> {
    p.as_ref().and_then(pii)
}

/// A change in someone's employment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentChange {
    /// Enrolled (or enrolled again, which ends an earlier departure).
    Enrolled,
    Suspended,
    Reinstated,
    Ended,
}

/// Employment status at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Employment {
    /// Not (yet) known to the ledger.
    Unknown,
    Active {
        since: Stamp,
    },
    Suspended {
        since: Stamp,
    },
    Ended {
        since: Stamp,
    },
}

/// A period in which someone should hold no access: from a suspension or the end of
/// employment until reinstatement or re-enrolment (`end`), or still.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Inactive {
    /// The suspension or ending that started it.
    pub start: Stamp,
    pub start_kind: EmploymentChange,
    /// When employment ended within the period (a suspension can end in departure).
    pub ended: Option<Stamp>,
    /// Reinstatement or re-enrolment.
    pub end: Option<Stamp>,
}

/// A member of staff, council or partner.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    pub id: PersonId,
    /// The (latest) PersonEnrolled; `None` if the ledger names the person without enrolling them.
    pub enrolled: Option<Stamp>,
    pub name: Option<String>,
    pub job_title: Option<String>,
    pub business_unit: Option<String>,
    pub organisation: Option<OrgId>,
    pub line_manager: Option<PersonId>,
    pub employment: Vec<(EmploymentChange, Stamp)>,
}

impl Person {
    fn new(id: PersonId) -> Self {
        Person {
            id,
            enrolled: None,
            name: None,
            job_title: None,
            business_unit: None,
            organisation: None,
            line_manager: None,
            employment: Vec::new(),
        }
    }

    /// Employment status after every change at or before `t`.
    pub fn employment_at(&self, t: Timestamp) -> Employment {
        let mut status = Employment::Unknown;
        for (c, s) in self.employment.iter().filter(|(_, s)| s.at <= t) {
            status = match (c, status) {
                (EmploymentChange::Enrolled, Employment::Suspended { .. }) => status,
                (EmploymentChange::Enrolled, Employment::Active { .. }) => status,
                (EmploymentChange::Enrolled, _) => Employment::Active { since: *s },
                (EmploymentChange::Suspended, Employment::Ended { .. }) => status,
                (EmploymentChange::Suspended, _) => Employment::Suspended { since: *s },
                (EmploymentChange::Reinstated, Employment::Suspended { .. }) => {
                    Employment::Active { since: *s }
                }
                (EmploymentChange::Reinstated, _) => status,
                (EmploymentChange::Ended, _) => Employment::Ended { since: *s },
            };
        }
        status
    }

    /// The periods in which the person should hold no access, in order.
    pub fn inactive_periods(&self) -> Vec<Inactive> {
        let mut out: Vec<Inactive> = Vec::new();
        let mut open: Option<Inactive> = None;
        for (c, s) in &self.employment {
            match (c, open.as_mut()) {
                (EmploymentChange::Suspended, None) | (EmploymentChange::Ended, None) => {
                    open = Some(Inactive {
                        start: *s,
                        start_kind: *c,
                        ended: (*c == EmploymentChange::Ended).then_some(*s),
                        end: None,
                    });
                }
                (EmploymentChange::Ended, Some(p)) => {
                    p.ended.get_or_insert(*s);
                }
                (EmploymentChange::Reinstated, Some(p)) if p.ended.is_none() => {
                    p.end = Some(*s);
                    out.extend(open.take());
                }
                (EmploymentChange::Enrolled, Some(p)) if p.ended.is_some() => {
                    p.end = Some(*s);
                    out.extend(open.take());
                }
                _ => {}
            }
        }
        out.extend(open);
        out
    }
}

/// An enrolled signing key.
#[derive(Clone, Debug, Serialize)]
pub struct Key {
    pub key: PublicKey,
    pub person: PersonId,
    pub role: Role,
    pub enrolled: Stamp,
    pub revoked: Option<Stamp>,
}

/// A published version of a policy.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyVersion {
    pub version: Version,
    pub title: String,
    pub published: Stamp,
}

/// A manager's countersignature of a declaration.
#[derive(Clone, Debug, Serialize)]
pub struct Countersign {
    pub stamp: Stamp,
    pub manager: PersonId,
    pub training_checked: bool,
    /// The declarant's line manager on record when the countersignature happened.
    pub line_manager_then: Option<PersonId>,
}

/// A personal declaration (Mosaic Annex A) and its countersignatures.
#[derive(Clone, Debug, Serialize)]
pub struct Declaration {
    pub signed: Stamp,
    pub hash: Hash32,
    pub person: PersonId,
    pub policy: PolicyId,
    pub version: Version,
    pub confirms_training: bool,
    /// The latest published version of the policy when the declaration was signed.
    pub current_version_then: Option<Version>,
    pub countersigns: Vec<Countersign>,
}

impl Countersign {
    /// Whether it authorises access (Mosaic Annex A: "To be countersigned by line manager, to
    /// authorise access"): made by the declarant's line manager on record at the time, who is
    /// not the declarant.
    pub fn authorises(&self, declarant: &PersonId) -> bool {
        &self.manager != declarant && self.line_manager_then.as_ref() == Some(&self.manager)
    }
}

impl Declaration {
    /// The first countersignature, if any.
    pub fn countersigned(&self) -> Option<&Countersign> {
        self.countersigns.iter().min_by_key(|c| c.stamp)
    }
    /// The first countersignature that authorises access (by the line manager on record), if
    /// any. Rule R1 and `igl status` both ask this.
    pub fn authorised(&self) -> Option<&Countersign> {
        self.countersigns
            .iter()
            .filter(|c| c.authorises(&self.person))
            .min_by_key(|c| c.stamp)
    }
}

/// A completed training course.
#[derive(Clone, Debug, Serialize)]
pub struct Training {
    pub stamp: Stamp,
    pub person: PersonId,
    pub course: String,
    pub completed_on: Date,
    pub expires_on: Option<Date>,
}

impl Training {
    /// Whether it is valid at the instant `t`.
    pub fn valid_at(&self, t: Timestamp) -> bool {
        let sp = self.valid_span();
        sp.start <= t.micros() && t.micros() < sp.end
    }
    /// The instants it is valid: from the start of `completed_on` to the start of `expires_on`
    /// (it has expired on its expiry date), UK days.
    pub fn valid_span(&self) -> Span {
        Span {
            start: crate::time::day_start(self.completed_on.0).micros(),
            end: self
                .expires_on
                .map_or(i64::MAX, |e| crate::time::day_start(e.0).micros()),
        }
    }
}

/// A review of a grant.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub stamp: Stamp,
    pub reviewer: PersonId,
    pub still_needed: bool,
    /// The campaign, when the review is a campaign decision (`ReviewDecisionRecorded`).
    pub campaign: Option<igl_schema::CampaignId>,
}

/// A revocation of a grant.
#[derive(Clone, Debug, Serialize)]
pub struct Revocation {
    pub stamp: Stamp,
    pub reason: RevocationReason,
}

/// What was known about the sponsor when a grant was made.
#[derive(Clone, Debug, Serialize)]
pub struct SponsorThen {
    pub person: PersonId,
    pub organisation: Option<OrgId>,
    pub council_employee: bool,
    pub employment: Employment,
}

/// Access to a system.
#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    pub id: igl_schema::GrantId,
    pub person: PersonId,
    pub system: SystemId,
    pub role: String,
    pub business_need: Option<String>,
    pub granted: Stamp,
    pub mfa_required: bool,
    pub approver: PersonId,
    pub sponsor: Option<SponsorThen>,
    /// The grantee's organisation when the grant was made.
    pub organisation: Option<OrgId>,
    /// Whether that organisation is a third party (not the council).
    pub third_party: bool,
    pub reviews: Vec<Review>,
    pub revoked: Option<Revocation>,
}

impl Grant {
    /// The instants the grant is in force: from the grant to its revocation.
    pub fn active_span(&self) -> Span {
        Span::new(self.granted.at, self.revoked.as_ref().map(|r| r.stamp.at))
    }
    /// Whether it is in force at `t`.
    pub fn active_at(&self, t: Timestamp) -> bool {
        self.granted.at <= t && self.revoked.as_ref().is_none_or(|r| t < r.stamp.at)
    }
    /// When the next review is due as of `now` (the end of the UK day 12 calendar months after
    /// the grant or its last review: R12's deadline), or `None` once revoked.
    pub fn next_review_due(&self, now: Timestamp) -> Option<Timestamp> {
        if self.revoked.as_ref().is_some_and(|r| r.stamp.at <= now) {
            return None;
        }
        let anchor = self
            .last_review(now)
            .map_or(self.granted.at, |r| r.stamp.at);
        Some(review_due(anchor))
    }
    /// The last review at or before `t`.
    pub fn last_review(&self, t: Timestamp) -> Option<&Review> {
        self.reviews
            .iter()
            .filter(|r| r.stamp.at <= t)
            .max_by_key(|r| r.stamp)
    }
}

/// The review deadline after a grant or review at `anchor` (ISO/IEC 27001 A.5.18, the
/// council's 12-month interval): the end of the UK day 12 calendar months later (29 February →
/// 28 February of the next year).
pub fn review_due(anchor: Timestamp) -> Timestamp {
    crate::time::day_end(crate::time::add_months(crate::time::uk_date(anchor), 12))
}

/// An agreement with an organisation.
#[derive(Clone, Debug, Serialize)]
pub struct Agreement {
    pub stamp: Stamp,
    pub kind: AgreementKind,
    pub reference: String,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
}

impl Agreement {
    /// In force from the start of `valid_from` to the end of `valid_until`.
    pub fn valid_span(&self) -> Span {
        Span::dates(self.valid_from.0, self.valid_until.map(|d| d.0))
    }
    pub fn in_force_on(&self, d: Date) -> bool {
        self.valid_from <= d && self.valid_until.is_none_or(|u| d <= u)
    }
}

/// An external accreditation.
#[derive(Clone, Debug, Serialize)]
pub struct Accreditation {
    pub stamp: Stamp,
    pub scheme: Scheme,
    pub reference: String,
    pub awarded_on: Date,
    pub valid_until: Date,
}

impl Accreditation {
    /// The last day it counts: its recorded `valid_until`, but never past what the scheme
    /// allows. A Cyber Essentials Plus certificate is valid for 12 months from its award; an NHS
    /// DSPT submission covers to 30 June of the year after it (submissions are due annually by
    /// 30 June, so one made in 2026 stands until the 2027 deadline). A recorded date beyond that (a typing error, a wishful expiry) does not extend
    /// cover.
    pub fn valid_through(&self) -> Date {
        let cap = match self.scheme {
            Scheme::CyberEssentialsPlus => crate::time::add_months(self.awarded_on.0, 12),
            Scheme::NhsDspt => chrono::NaiveDate::from_ymd_opt(
                chrono::Datelike::year(&self.awarded_on.0) + 1,
                6,
                30,
            )
            .expect("30 June exists"),
        };
        Date(self.valid_until.0.min(cap))
    }
    /// Valid from the start of `awarded_on` to the end of [`Self::valid_through`] (UK days).
    pub fn valid_span(&self) -> Span {
        Span::dates(self.awarded_on.0, Some(self.valid_through().0))
    }
    pub fn in_force_on(&self, d: Date) -> bool {
        self.awarded_on <= d && d <= self.valid_through()
    }
}

/// An organisation: the council or a partner.
#[derive(Clone, Debug, Serialize)]
pub struct Org {
    pub id: OrgId,
    pub name: Option<String>,
    /// `None` when the ledger names it without registering it.
    pub kind: Option<OrgKind>,
    pub registered: Option<Stamp>,
    pub agreements: Vec<Agreement>,
    pub accreditations: Vec<Accreditation>,
}

impl Org {
    fn new(id: OrgId) -> Self {
        Org {
            id,
            name: None,
            kind: None,
            registered: None,
            agreements: Vec::new(),
            accreditations: Vec::new(),
        }
    }
}

/// A device attestation against the Eclipse MoU device rules.
#[derive(Clone, Debug, Serialize)]
pub struct Attestation {
    pub stamp: Stamp,
    pub person: PersonId,
    pub council_provided: bool,
    pub not_shared: bool,
    pub os_supported: bool,
    pub patched: bool,
    pub antivirus_current: bool,
}

impl Attestation {
    /// The device checks that failed (empty: it passes).
    pub fn failures(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if !self.not_shared {
            v.push("shared device");
        }
        if !self.os_supported {
            v.push("operating system end of life");
        }
        if !self.patched {
            v.push("not fully patched");
        }
        if !self.antivirus_current {
            v.push("anti-virus not current");
        }
        v
    }
    pub fn passes(&self) -> bool {
        self.failures().is_empty()
    }
}

/// A device and its attestations.
#[derive(Clone, Debug, Serialize)]
pub struct Device {
    pub id: DeviceId,
    pub attestations: Vec<Attestation>,
}

impl Device {
    /// The latest attestation at or before `t`.
    pub fn attestation_at(&self, t: Timestamp) -> Option<&Attestation> {
        self.attestations
            .iter()
            .filter(|a| a.stamp.at <= t)
            .max_by_key(|a| a.stamp)
    }
}

/// The ICO notification decision on a breach.
#[derive(Clone, Debug, Serialize)]
pub struct IcoDecision {
    pub stamp: Stamp,
    pub notified: bool,
    pub ico_reference: Option<String>,
    /// Whether a reason was recorded (its text may since have been erased).
    pub reason_recorded: bool,
    pub reason: Option<String>,
}

/// A personal-data breach.
#[derive(Clone, Debug, Serialize)]
pub struct Breach {
    pub id: igl_schema::BreachId,
    pub reported: Stamp,
    pub reported_by: PersonId,
    pub aware_at: Timestamp,
    pub kind: BreachKind,
    pub description: Option<String>,
    pub updates: Vec<Stamp>,
    pub decisions: Vec<IcoDecision>,
    pub closed: Option<Stamp>,
}

impl Breach {
    /// The first ICO decision.
    pub fn decision(&self) -> Option<&IcoDecision> {
        self.decisions.iter().min_by_key(|d| d.stamp)
    }
}

pub use crate::subject::requests::{Answer, Request};

/// An event that names something the projection does not know (kept, never refused).
#[derive(Clone, Debug, Serialize)]
pub struct Note {
    pub seq: u64,
    pub message: String,
}

/// The governance state at an instant.
#[derive(Clone, Debug, Default, Serialize)]
pub struct State {
    /// The instant the state describes: facts with `occurred_at <= as_of`.
    pub as_of: Option<Timestamp>,
    /// Entries folded in.
    pub entries: u64,
    /// The highest seq folded in.
    pub last_seq: Option<u64>,
    /// The latest `occurred_at` folded in.
    pub latest: Option<Timestamp>,
    /// The council keeping the ledger (from the genesis entry).
    pub council: Option<OrgId>,
    pub people: BTreeMap<PersonId, Person>,
    pub keys: BTreeMap<PublicKey, Key>,
    pub orgs: BTreeMap<OrgId, Org>,
    pub policies: BTreeMap<PolicyId, Vec<PolicyVersion>>,
    pub declarations: Vec<Declaration>,
    pub training: Vec<Training>,
    pub grants: Vec<Grant>,
    pub devices: BTreeMap<DeviceId, Device>,
    /// The record accesses, judged one at a time against the rest and not kept
    /// ([`super::accesses`]).
    pub accesses: super::accesses::Accesses,
    pub breaches: BTreeMap<igl_schema::BreachId, Breach>,
    pub requests: BTreeMap<RequestId, Request>,
    pub campaigns: BTreeMap<igl_schema::CampaignId, super::campaign::Campaign>,
    pub notes: Vec<Note>,
    #[serde(skip)]
    grant_index: HashMap<igl_schema::GrantId, usize>,
    #[serde(skip)]
    grants_by_person: HashMap<PersonId, Vec<usize>>,
    #[serde(skip)]
    declaration_index: HashMap<Hash32, usize>,
    /// Countersignatures folded before their declaration (an earlier `occurred_at`).
    #[serde(skip)]
    early_countersigns: HashMap<Hash32, Vec<Countersign>>,
}

impl State {
    /// An empty state describing the instant `as_of` (`None`: everything).
    pub fn new(as_of: Option<Timestamp>) -> Self {
        State {
            as_of,
            ..State::default()
        }
    }

    /// Folds `facts` in `occurred_at` order (ties by seq), keeping those with
    /// `occurred_at <= as_of`; then judges the record accesses among them against the result
    /// ([`Self::observe_access`]).
    ///
    /// The council named by the genesis entry is the council from the beginning: history dated
    /// before the genesis (a ledger started with years of back-filled records) is judged with
    /// the council already known, so its staff are never taken for a third party.
    pub fn build<'a>(as_of: Option<Timestamp>, facts: impl IntoIterator<Item = Fact<'a>>) -> Self {
        let mut council = None;
        let mut accesses = Vec::new();
        let mut facts: Vec<Fact<'a>> = facts
            .into_iter()
            .inspect(|f| {
                if let Event::LedgerCreated(e) = f.event {
                    council.get_or_insert_with(|| e.organisation.clone());
                }
            })
            .filter(|f| as_of.is_none_or(|t| f.occurred_at <= t))
            .filter(|f| {
                let access = matches!(f.event, Event::RecordAccessed(_));
                if access {
                    accesses.push(*f);
                }
                !access
            })
            .collect();
        facts.sort_by_key(|f| (f.occurred_at, f.seq));
        let mut s = State::new(as_of);
        s.council = council;
        for f in &facts {
            s.apply(f);
        }
        for f in &accesses {
            s.observe_access(f);
        }
        s
    }

    /// Judges one record access against the state, which must hold every other fact up to
    /// `as_of` already (a state from [`Self::build`]); any order of accesses gives the same
    /// result. Other facts, and accesses after `as_of`, are ignored.
    pub fn observe_access(&mut self, f: &Fact) {
        let Event::RecordAccessed(a) = f.event else {
            return;
        };
        if self.as_of.is_some_and(|t| f.occurred_at > t) {
            return;
        }
        self.count(f);
        let mut acc = std::mem::take(&mut self.accesses);
        acc.observe(self, f.stamp(), a);
        self.accesses = acc;
    }

    fn count(&mut self, f: &Fact) {
        self.entries += 1;
        self.last_seq = Some(self.last_seq.map_or(f.seq, |s| s.max(f.seq)));
        self.latest = Some(self.latest.map_or(f.occurred_at, |l| l.max(f.occurred_at)));
    }

    /// The instant rules judge "now" at: `as_of`, or the latest fact folded.
    pub fn now(&self) -> Timestamp {
        self.as_of.unwrap_or_else(|| {
            self.latest
                .unwrap_or_else(|| Timestamp::from_micros(0).expect("epoch"))
        })
    }

    /// Whether the organisation is the council keeping the ledger (named by the genesis entry).
    /// Another organisation registered as a council is a partner like any other: its staff are
    /// a third party to this council's systems.
    pub fn is_council(&self, org: &OrgId) -> bool {
        self.council.as_ref() == Some(org)
    }

    /// A person's record.
    pub fn person(&self, id: &PersonId) -> Option<&Person> {
        self.people.get(id)
    }

    /// A grant by id.
    pub fn grant(&self, id: &igl_schema::GrantId) -> Option<&Grant> {
        self.grant_index.get(id).map(|&i| &self.grants[i])
    }

    pub(super) fn grant_by_id_mut(&mut self, id: &igl_schema::GrantId) -> Option<&mut Grant> {
        self.grant_index.get(id).map(|&i| &mut self.grants[i])
    }

    /// The grants made to a person, in order.
    pub fn grants_of<'a>(&'a self, p: &'a PersonId) -> impl Iterator<Item = &'a Grant> + 'a {
        self.grants_by_person
            .get(p)
            .into_iter()
            .flatten()
            .map(|&i| &self.grants[i])
    }

    /// The keys enrolled for a person.
    pub fn keys_of<'a>(&'a self, p: &'a PersonId) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys.values().filter(move |k| &k.person == p)
    }

    /// The latest published version of a policy at or before `t`.
    pub fn current_version(&self, policy: &PolicyId, t: Timestamp) -> Option<&PolicyVersion> {
        self.policies
            .get(policy)?
            .iter()
            .filter(|v| v.published.at <= t)
            .max_by_key(|v| v.published)
    }

    fn person_mut(&mut self, id: &PersonId) -> &mut Person {
        self.people
            .entry(id.clone())
            .or_insert_with(|| Person::new(id.clone()))
    }

    fn org_mut(&mut self, id: &OrgId) -> &mut Org {
        self.orgs
            .entry(id.clone())
            .or_insert_with(|| Org::new(id.clone()))
    }

    fn note(&mut self, seq: u64, message: String) {
        self.notes.push(Note { seq, message });
    }

    fn grant_mut(&mut self, f: &Fact, grant: &igl_schema::GrantId) -> Option<&mut Grant> {
        match self.grant_index.get(grant) {
            Some(&i) => Some(&mut self.grants[i]),
            None => {
                self.note(
                    f.seq,
                    format!(
                        "{} names grant {grant}, which had not been granted",
                        f.event.type_name()
                    ),
                );
                None
            }
        }
    }

    fn breach_mut(&mut self, f: &Fact, breach: &igl_schema::BreachId) -> Option<&mut Breach> {
        if !self.breaches.contains_key(breach) {
            self.note(
                f.seq,
                format!(
                    "{} names breach {breach}, which had not been reported",
                    f.event.type_name()
                ),
            );
        }
        self.breaches.get_mut(breach)
    }

    /// Folds one fact in. Facts must come in `occurred_at` order (ties by seq); record accesses
    /// are judged afterwards ([`Self::observe_access`]).
    fn apply(&mut self, f: &Fact) {
        let st = f.stamp();
        self.count(f);
        match f.event {
            Event::LedgerCreated(e) => {
                self.council = Some(e.organisation.clone());
                let o = self.org_mut(&e.organisation);
                o.name = Some(e.organisation_name.clone());
                o.kind = Some(OrgKind::Council);
                o.registered = Some(st);
                self.keys.insert(
                    e.admin_key,
                    Key {
                        key: e.admin_key,
                        person: e.admin_person.clone(),
                        role: Role::Admin,
                        enrolled: st,
                        revoked: None,
                    },
                );
            }
            Event::OrganisationRegistered(e) => {
                let o = self.org_mut(&e.organisation);
                o.name = Some(e.name.clone());
                o.kind = Some(e.kind);
                o.registered = Some(st);
            }
            Event::KeyEnrolled(e) => {
                self.keys.insert(
                    e.key,
                    Key {
                        key: e.key,
                        person: e.person.clone(),
                        role: e.role,
                        enrolled: st,
                        revoked: None,
                    },
                );
            }
            Event::KeyRevoked(e) => match self.keys.get_mut(&e.key) {
                Some(k) => {
                    k.revoked.get_or_insert(st);
                }
                None => self.note(
                    f.seq,
                    format!("KeyRevoked names key {}, not enrolled", e.key.short()),
                ),
            },
            Event::PersonEnrolled(e) => {
                let p = self.person_mut(&e.person);
                p.enrolled = Some(st);
                p.name = pii(&e.name);
                p.job_title = pii(&e.job_title);
                p.business_unit = Some(e.business_unit.clone());
                p.organisation = Some(e.organisation.clone());
                p.line_manager = e.line_manager.clone();
                p.employment.push((EmploymentChange::Enrolled, st));
                self.org_mut(&e.organisation);
            }
            Event::PolicyPublished(e) => {
                self.policies
                    .entry(e.policy.clone())
                    .or_default()
                    .push(PolicyVersion {
                        version: e.version.clone(),
                        title: e.title.clone(),
                        published: st,
                    });
            }
            Event::DeclarationSigned(e) => {
                let current = self
                    .current_version(&e.policy, f.occurred_at)
                    .map(|v| v.version.clone());
                let countersigns = self.early_countersigns.remove(&f.hash).unwrap_or_default();
                self.declaration_index
                    .insert(f.hash, self.declarations.len());
                self.declarations.push(Declaration {
                    signed: st,
                    hash: f.hash,
                    person: e.person.clone(),
                    policy: e.policy.clone(),
                    version: e.version.clone(),
                    confirms_training: e.confirms_training,
                    current_version_then: current,
                    countersigns,
                });
            }
            Event::DeclarationCountersigned(e) => {
                let c = Countersign {
                    stamp: st,
                    manager: e.manager.clone(),
                    training_checked: e.training_checked,
                    line_manager_then: self
                        .people
                        .get(&e.person)
                        .and_then(|p| p.line_manager.clone()),
                };
                match self.declaration_index.get(&e.declaration) {
                    Some(&i) => self.declarations[i].countersigns.push(c),
                    None => self
                        .early_countersigns
                        .entry(e.declaration)
                        .or_default()
                        .push(c),
                }
            }
            Event::TrainingCompleted(e) => self.training.push(Training {
                stamp: st,
                person: e.person.clone(),
                course: e.course.to_string(),
                completed_on: e.completed_on,
                expires_on: e.expires_on,
            }),
            Event::AgreementSigned(e) => self.org_mut(&e.organisation).agreements.push(Agreement {
                stamp: st,
                kind: e.kind,
                reference: e.reference.clone(),
                valid_from: e.valid_from,
                valid_until: e.valid_until,
            }),
            Event::AccreditationRecorded(e) => {
                self.org_mut(&e.organisation)
                    .accreditations
                    .push(Accreditation {
                        stamp: st,
                        scheme: e.scheme,
                        reference: e.reference.clone(),
                        awarded_on: e.awarded_on,
                        valid_until: e.valid_until,
                    })
            }
            Event::DeviceAttested(e) => self
                .devices
                .entry(e.device.clone())
                .or_insert_with(|| Device {
                    id: e.device.clone(),
                    attestations: Vec::new(),
                })
                .attestations
                .push(Attestation {
                    stamp: st,
                    person: e.person.clone(),
                    council_provided: e.council_provided,
                    not_shared: e.not_shared,
                    os_supported: e.os_supported,
                    patched: e.patched,
                    antivirus_current: e.antivirus_current,
                }),
            Event::AccessGranted(e) => {
                let organisation = self
                    .people
                    .get(&e.person)
                    .and_then(|p| p.organisation.clone());
                let third_party = organisation.as_ref().is_none_or(|o| !self.is_council(o));
                let sponsor = e.sponsor.as_ref().map(|sp| {
                    let p = self.people.get(sp);
                    let organisation = p.and_then(|p| p.organisation.clone());
                    let employment =
                        p.map_or(Employment::Unknown, |p| p.employment_at(f.occurred_at));
                    SponsorThen {
                        person: sp.clone(),
                        council_employee: organisation.as_ref().is_some_and(|o| self.is_council(o))
                            && matches!(employment, Employment::Active { .. }),
                        organisation,
                        employment,
                    }
                });
                self.grant_index.insert(e.grant.clone(), self.grants.len());
                self.grants_by_person
                    .entry(e.person.clone())
                    .or_default()
                    .push(self.grants.len());
                self.grants.push(Grant {
                    id: e.grant.clone(),
                    person: e.person.clone(),
                    system: e.system.clone(),
                    role: e.role.clone(),
                    business_need: pii(&e.business_need),
                    granted: st,
                    mfa_required: e.mfa_required,
                    approver: e.approver.clone(),
                    sponsor,
                    organisation,
                    third_party,
                    reviews: Vec::new(),
                    revoked: None,
                });
            }
            Event::AccessReviewed(e) => {
                if let Some(g) = self.grant_mut(f, &e.grant) {
                    g.reviews.push(Review {
                        stamp: st,
                        reviewer: e.reviewer.clone(),
                        still_needed: e.still_needed,
                        campaign: None,
                    });
                }
            }
            Event::AccessRevoked(e) => {
                if let Some(g) = self.grant_mut(f, &e.grant)
                    && g.revoked.is_none()
                {
                    g.revoked = Some(Revocation {
                        stamp: st,
                        reason: e.reason,
                    });
                }
            }
            Event::EmploymentEnded(e) => self
                .person_mut(&e.person)
                .employment
                .push((EmploymentChange::Ended, st)),
            Event::EmploymentSuspended(e) => self
                .person_mut(&e.person)
                .employment
                .push((EmploymentChange::Suspended, st)),
            Event::EmploymentReinstated(e) => self
                .person_mut(&e.person)
                .employment
                .push((EmploymentChange::Reinstated, st)),
            // Judged after the fold, against its result (`observe_access`).
            Event::RecordAccessed(_) => {}
            Event::BreachReported(e) => {
                self.breaches.entry(e.breach.clone()).or_insert(Breach {
                    id: e.breach.clone(),
                    reported: st,
                    reported_by: e.reported_by.clone(),
                    aware_at: e.aware_at,
                    kind: e.kind,
                    description: pii(&e.description),
                    updates: Vec::new(),
                    decisions: Vec::new(),
                    closed: None,
                });
            }
            Event::BreachUpdated(e) => {
                if let Some(b) = self.breach_mut(f, &e.breach) {
                    b.updates.push(st);
                }
            }
            Event::BreachIcoDecision(e) => {
                if let Some(b) = self.breach_mut(f, &e.breach) {
                    b.decisions.push(IcoDecision {
                        stamp: st,
                        notified: e.notified,
                        ico_reference: e.ico_reference.clone(),
                        reason_recorded: e.reason.is_some(),
                        reason: opt_pii(&e.reason),
                    });
                }
            }
            Event::BreachClosed(e) => {
                if let Some(b) = self.breach_mut(f, &e.breach) {
                    b.closed.get_or_insert(st);
                }
            }
            Event::SubjectRightsRequestReceived(_)
            | Event::SubjectRightsIdentityVerified(_)
            | Event::SubjectRightsClarificationRequested(_)
            | Event::SubjectRightsClarificationReceived(_)
            | Event::SubjectRightsRequestExtended(_)
            | Event::SubjectRightsRequestFulfilled(_)
            | Event::SubjectRightsRequestRefused(_)
            | Event::Redacted(_) => {
                // The one fold of a request's history (`crate::subject::requests`), shared with
                // `Ledger::requests`.
                if let Some(n) = crate::subject::requests::apply(
                    &mut self.requests,
                    f.seq,
                    f.occurred_at,
                    f.event,
                ) {
                    self.note(f.seq, n);
                }
            }
            Event::CheckpointRecorded(_) => {}
            Event::ReviewCampaignOpened(e) => {
                if let Some(n) = super::campaign::open(self, st, e) {
                    self.note(f.seq, n);
                }
            }
            Event::ReviewDecisionRecorded(e) => {
                if let Some(n) = super::campaign::decide(self, st, e) {
                    self.note(f.seq, n);
                }
            }
        }
    }
}
