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

mod fold;

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
