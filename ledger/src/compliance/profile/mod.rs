//! Profiles: everything the governance state says about one member of staff
//! ([`PersonProfile`]) or one organisation ([`OrgProfile`]) as of an instant, with the
//! judgements a reader needs beside the facts (is this training valid, was this declaration
//! authorised, when is this grant's next review due, is this agreement in force or superseded).
//!
//! They are computed here once, from a [`State`] and its [`Finding`]s: `igl status` and `igl org`
//! render them as text, and serialise them as their `--json` output (schema/FORMAT.md, "JSON
//! outputs", gives the shapes). Fields marked `#[serde(skip)]` are what the text shows beyond the
//! documented JSON.

use igl_schema::{AgreementKind, Date, OrgId, OrgKind, PersonId, Timestamp};
use serde::{Serialize, Serializer};

use super::state::{
    Accreditation, Agreement, Attestation, Countersign, Declaration, Device, Employment,
    EmploymentChange, Grant, Key, Org, PROTECTING_INFORMATION, Person, Review, SponsorThen, State,
    Training,
};
use super::{Concerns, Finding, RULES, Status};
use crate::subject::requests::{RequestLine, RequestStatus};
use crate::time::{self, Stamp};

mod org;

pub use org::*;

/// A finding as a JSON line: `{"record": "finding", …the finding's fields…, "overdue"}`, where
/// `overdue` is [`Finding::overdue_text`]. `igl audit --json`, `igl status --json` and
/// `igl org --json` write findings this way.
#[derive(Serialize)]
pub struct FindingLine<'a> {
    record: &'static str,
    #[serde(flatten)]
    pub finding: &'a Finding,
    pub overdue: Option<String>,
}

impl<'a> FindingLine<'a> {
    pub fn new(finding: &'a Finding) -> Self {
        FindingLine {
            record: "finding",
            finding,
            overdue: finding.overdue_text(),
        }
    }
}

/// Findings counted by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub open: usize,
    pub resolved: usize,
    pub occurred: usize,
}

impl Counts {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.status {
                Status::Open => c.open += 1,
                Status::Resolved => c.resolved += 1,
                Status::Occurred => c.occurred += 1,
            }
        }
        c
    }
    pub fn total(&self) -> usize {
        self.open + self.resolved + self.occurred
    }
}

/// Each rule of [`RULES`] with the counts of its findings among `findings`, in rule order.
pub fn counts_by_rule<'a>(
    findings: impl IntoIterator<Item = &'a Finding> + Clone,
) -> Vec<(&'static super::Rule, Counts)> {
    RULES
        .iter()
        .map(|r| {
            let c = Counts::of(findings.clone().into_iter().filter(|f| f.rule == r.id));
            (r, c)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A person

/// Everything about one member of staff as of an instant (`igl status`).
#[derive(Serialize)]
pub struct PersonProfile<'a> {
    pub person: &'a PersonId,
    pub as_of: Timestamp,
    pub name: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub business_unit: Option<&'a str>,
    pub organisation: Option<&'a OrgId>,
    /// Whether [`Self::organisation`] is the council (not a third party).
    #[serde(skip)]
    pub organisation_is_council: bool,
    pub line_manager: Option<&'a PersonId>,
    /// The latest `PersonEnrolled`.
    pub enrolled: Option<Stamp>,
    pub employment: Employment,
    pub employment_history: Vec<EmploymentEvent>,
    /// The people whose line manager on record they are.
    pub manages: Vec<&'a PersonId>,
    pub keys: Vec<KeyView<'a>>,
    pub declarations: Vec<DeclarationView<'a>>,
    pub training: Vec<TrainingView<'a>>,
    /// No Protecting Information course on record at all.
    #[serde(skip)]
    pub no_protecting_information: bool,
    pub grants: Vec<GrantView<'a>>,
    pub devices: Vec<DeviceView<'a>>,
    pub record_accesses: AccessSummary,
    /// Their own subject-rights requests, by the one request model (`igl requests`), each
    /// serialised as its request line.
    #[serde(serialize_with = "request_lines")]
    pub requests: Vec<RequestStatus>,
    #[serde(serialize_with = "finding_lines")]
    pub findings: Vec<&'a Finding>,
}

/// One change of employment status.
#[derive(Serialize)]
pub struct EmploymentEvent {
    pub change: EmploymentChange,
    pub seq: u64,
    pub at: Timestamp,
}

/// An enrolled signing key.
#[derive(Serialize)]
pub struct KeyView<'a> {
    pub key: &'a igl_schema::PublicKey,
    pub role: igl_schema::Role,
    pub enrolled: Stamp,
    pub revoked: Option<Stamp>,
    pub active: bool,
    /// An open finding concerns it.
    #[serde(skip)]
    pub open_finding: bool,
}

/// A personal declaration and whether it authorises access.
#[derive(Serialize)]
pub struct DeclarationView<'a> {
    pub seq: u64,
    pub signed_at: Timestamp,
    pub policy: &'a igl_schema::PolicyId,
    pub version: &'a igl_schema::Version,
    pub current_version_then: Option<&'a igl_schema::Version>,
    pub confirms_training: bool,
    pub countersigned: bool,
    pub authorised: bool,
    pub countersigns: &'a [Countersign],
    #[serde(skip)]
    pub authorisation: Authorisation<'a>,
}

/// Who countersigned a declaration, and whether that authorises access: only the declarant's
/// line manager on record, who is not the declarant, does (Mosaic Annex A; rule R1).
#[derive(Clone, Copy)]
pub enum Authorisation<'a> {
    /// The first countersignature by the line manager on record.
    ByLineManager(&'a Countersign),
    /// Countersigned only by the declarant (the first such countersignature).
    OnlyByDeclarant(&'a Countersign),
    /// Countersigned only by someone who was not the line manager on record (the first).
    OnlyByOther(&'a Countersign),
    NotCountersigned,
}

impl<'a> Authorisation<'a> {
    pub fn of(d: &'a Declaration) -> Self {
        match (d.authorised(), d.countersigned()) {
            (Some(c), _) => Authorisation::ByLineManager(c),
            (None, Some(c)) if c.manager == d.person => Authorisation::OnlyByDeclarant(c),
            (None, Some(c)) => Authorisation::OnlyByOther(c),
            (None, None) => Authorisation::NotCountersigned,
        }
    }
}

/// A completed training course.
#[derive(Serialize)]
pub struct TrainingView<'a> {
    pub seq: u64,
    pub course: &'a str,
    pub completed_on: Date,
    pub expires_on: Option<Date>,
    /// Valid at the as-of instant.
    pub valid: bool,
    /// Expired on or before the as-of instant's UK date.
    #[serde(skip)]
    pub expired: bool,
    /// Not valid, but a later completion of the same course is.
    #[serde(skip)]
    pub renewed: bool,
}

/// A grant of access to a system.
#[derive(Serialize)]
pub struct GrantView<'a> {
    pub grant: &'a igl_schema::GrantId,
    pub system: &'a igl_schema::SystemId,
    pub role: &'a str,
    pub business_need: Option<&'a str>,
    pub granted: Stamp,
    pub approver: &'a PersonId,
    pub mfa_required: bool,
    #[serde(serialize_with = "sponsor_person")]
    pub sponsor: Option<&'a SponsorThen>,
    pub organisation: Option<&'a OrgId>,
    pub third_party: bool,
    pub reviews: &'a [Review],
    pub revoked: Option<&'a super::state::Revocation>,
    pub active: bool,
    /// R12's deadline for the next review; `None` once revoked.
    pub next_review_due: Option<Timestamp>,
    /// The last review at or before the as-of instant.
    #[serde(skip)]
    pub last_review: Option<&'a Review>,
    /// Revoked at or before the as-of instant.
    #[serde(skip)]
    pub revoked_by_then: bool,
    /// An open finding concerns it.
    #[serde(skip)]
    pub open_finding: bool,
}

/// A device the person attested.
#[derive(Serialize)]
pub struct DeviceView<'a> {
    pub device: &'a igl_schema::DeviceId,
    pub attestations: &'a [Attestation],
    /// Whether the latest attestation as of the instant passes (`None`: none by then).
    pub passes: Option<bool>,
    /// The checks the latest attestation fails.
    pub failures: Option<Vec<&'static str>>,
    #[serde(skip)]
    pub latest: Option<&'a Attestation>,
}

/// Their record accesses, counted.
#[derive(Serialize)]
pub struct AccessSummary {
    pub count: u64,
    pub first: Option<Stamp>,
    pub last: Option<Stamp>,
    /// Distinct records accessed.
    pub records: usize,
}

fn finding_lines<S: Serializer>(fs: &[&Finding], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(fs.iter().map(|f| FindingLine::new(f)))
}

fn request_lines<S: Serializer>(rs: &[RequestStatus], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rs.iter().map(RequestLine::new))
}

fn sponsor_person<S: Serializer>(sp: &Option<&SponsorThen>, s: S) -> Result<S::Ok, S::Error> {
    sp.map(|sp| &sp.person).serialize(s)
}

fn open_about(findings: &[&Finding], c: impl Fn(&Concerns) -> bool) -> bool {
    findings
        .iter()
        .any(|f| f.status == Status::Open && c(&f.subject))
}

impl<'a> PersonProfile<'a> {
    /// The profile of `id` in `state` (as of its instant), with `findings` (the state's, of
    /// every rule or some): `None` when the state does not know the person.
    pub fn build(state: &'a State, findings: &'a [Finding], id: &PersonId) -> Option<Self> {
        let now = state.now();
        let today = Date(time::uk_date(now));
        let p: &'a Person = state.person(id)?;
        // The state's own copy of the id, which lives as long as the state.
        let id = &p.id;
        let findings: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.person.as_ref() == Some(id))
            .collect();
        let keys = state
            .keys_of(id)
            .map(|k: &Key| KeyView {
                key: &k.key,
                role: k.role,
                enrolled: k.enrolled,
                revoked: k.revoked,
                active: k.revoked.is_none(),
                open_finding: open_about(
                    &findings,
                    |c| matches!(c, Concerns::Key { key, .. } if *key == k.key),
                ),
            })
            .collect();
        let declarations = state
            .declarations
            .iter()
            .filter(|d| d.person == *id)
            .map(|d| DeclarationView {
                seq: d.signed.seq,
                signed_at: d.signed.at,
                policy: &d.policy,
                version: &d.version,
                current_version_then: d.current_version_then.as_ref(),
                confirms_training: d.confirms_training,
                countersigned: d.countersigned().is_some(),
                authorised: d.authorised().is_some(),
                countersigns: &d.countersigns,
                authorisation: Authorisation::of(d),
            })
            .collect();
        let own_training: Vec<&Training> =
            state.training.iter().filter(|t| t.person == *id).collect();
        let training = own_training
            .iter()
            .map(|t| {
                let valid = t.valid_at(now);
                TrainingView {
                    seq: t.stamp.seq,
                    course: &t.course,
                    completed_on: t.completed_on,
                    expires_on: t.expires_on,
                    valid,
                    expired: t.expires_on.is_some_and(|e| e <= today),
                    renewed: !valid
                        && own_training.iter().any(|n| {
                            n.course == t.course
                                && n.completed_on > t.completed_on
                                && n.valid_at(now)
                        }),
                }
            })
            .collect();
        let grants = state
            .grants_of(id)
            .map(|g: &Grant| GrantView {
                grant: &g.id,
                system: &g.system,
                role: &g.role,
                business_need: g.business_need.as_deref(),
                granted: g.granted,
                approver: &g.approver,
                mfa_required: g.mfa_required,
                sponsor: g.sponsor.as_ref(),
                organisation: g.organisation.as_ref(),
                third_party: g.third_party,
                reviews: &g.reviews,
                revoked: g.revoked.as_ref(),
                active: g.active_at(now),
                next_review_due: g.next_review_due(now),
                last_review: g.last_review(now),
                revoked_by_then: g.revoked.as_ref().is_some_and(|r| r.stamp.at <= now),
                open_finding: open_about(
                    &findings,
                    |c| matches!(c, Concerns::Grant { grant, .. } if *grant == g.id),
                ),
            })
            .collect();
        let devices = state
            .devices
            .values()
            .filter(|d| d.attestations.iter().any(|a| a.person == *id))
            .map(|d: &Device| {
                let latest = d.attestation_at(now);
                DeviceView {
                    device: &d.id,
                    attestations: &d.attestations,
                    passes: latest.map(|a| a.passes()),
                    failures: latest.map(|a| a.failures()),
                    latest,
                }
            })
            .collect();
        let accesses = state.accesses.by_person.get(id);
        let record_accesses = AccessSummary {
            count: accesses.map_or(0, |a| a.count),
            first: accesses.and_then(|a| a.first),
            last: accesses.and_then(|a| a.last),
            records: accesses.map_or(0, |a| a.records.len()),
        };
        Some(PersonProfile {
            person: &p.id,
            as_of: now,
            name: p.name.as_deref(),
            job_title: p.job_title.as_deref(),
            business_unit: p.business_unit.as_deref(),
            organisation: p.organisation.as_ref(),
            organisation_is_council: p.organisation.as_ref().is_some_and(|o| state.is_council(o)),
            line_manager: p.line_manager.as_ref(),
            enrolled: p.enrolled,
            employment: p.employment_at(now),
            employment_history: p
                .employment
                .iter()
                .map(|(change, st)| EmploymentEvent {
                    change: *change,
                    seq: st.seq,
                    at: st.at,
                })
                .collect(),
            manages: state
                .people
                .values()
                .filter(|q| q.line_manager.as_ref() == Some(id))
                .map(|q| &q.id)
                .collect(),
            keys,
            declarations,
            no_protecting_information: !own_training
                .iter()
                .any(|t| t.course == PROTECTING_INFORMATION),
            training,
            grants,
            devices,
            record_accesses,
            requests: state
                .requests
                .values()
                .filter(|r| r.data_subject == igl_schema::Subject::Person(id.clone()))
                .map(|r| r.status(now))
                .collect(),
            findings,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// An organisation
