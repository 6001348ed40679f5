//! The organisation's profile (`igl org`): agreements and accreditations with their [`Validity`], its people, and the findings about it and them.

use super::*;

/// How a dated thing (an agreement, an accreditation) stands on the as-of instant's UK date.
/// Serialised as its [`Validity::state`] word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// Before its first day.
    NotYet,
    /// In force; `days_left` until its last day, when it has one.
    InForce { days_left: Option<i64> },
    /// Past its last day.
    Expired,
}

/// Days before its last day from which a thing in force is said to be expiring soon.
pub const EXPIRING_SOON_DAYS: i64 = 60;

impl Validity {
    pub fn on(from: Date, until: Option<Date>, today: Date) -> Self {
        if today < from {
            return Validity::NotYet;
        }
        match until {
            Some(u) if u < today => Validity::Expired,
            u => Validity::InForce {
                days_left: u.map(|u| (u.0 - today.0).num_days()),
            },
        }
    }
    /// `not_yet`, `in_force` or `expired`.
    pub fn state(&self) -> &'static str {
        match self {
            Validity::NotYet => "not_yet",
            Validity::InForce { .. } => "in_force",
            Validity::Expired => "expired",
        }
    }
    /// In force with at most [`EXPIRING_SOON_DAYS`] left.
    pub fn expiring_soon(&self) -> bool {
        matches!(self, Validity::InForce { days_left: Some(d) } if *d <= EXPIRING_SOON_DAYS)
    }
}

impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.state())
    }
}

/// Everything about one organisation as of an instant (`igl org`).
#[derive(Serialize)]
pub struct OrgProfile<'a> {
    pub organisation: &'a OrgId,
    pub as_of: Timestamp,
    pub name: Option<&'a str>,
    pub kind: Option<OrgKind>,
    /// The council itself (not a partner).
    pub council: bool,
    pub registered: Option<Stamp>,
    pub agreements: Vec<AgreementView<'a>>,
    pub accreditations: Vec<AccreditationView<'a>>,
    /// Its people (their organisation on record), in id order.
    pub people: Vec<&'a PersonId>,
    /// Those of them with a grant in force.
    pub people_with_access: Vec<&'a PersonId>,
    /// Findings about the organisation itself.
    #[serde(serialize_with = "finding_lines")]
    pub findings: Vec<&'a Finding>,
    /// Findings about its people (not about the organisation).
    pub findings_about_its_people: usize,
    /// Those, per rule with any, in rule order.
    #[serde(serialize_with = "rule_counts")]
    pub findings_about_its_people_by_rule: Vec<(&'static str, usize)>,
    /// A partner without an information-sharing agreement in force.
    #[serde(skip)]
    pub lacks_isa: bool,
    /// A partner without a summary (or full) DPIA in force.
    #[serde(skip)]
    pub lacks_dpia: bool,
}

/// An agreement with the organisation.
#[derive(Serialize)]
pub struct AgreementView<'a> {
    pub seq: u64,
    pub kind: AgreementKind,
    pub reference: &'a str,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
    pub state: Validity,
    /// When expired: the reference of an agreement of the same kind in force instead.
    #[serde(skip)]
    pub superseded_by: Option<&'a str>,
}

/// An accreditation of the organisation.
#[derive(Serialize)]
pub struct AccreditationView<'a> {
    pub seq: u64,
    pub scheme: igl_schema::Scheme,
    pub reference: &'a str,
    pub awarded_on: Date,
    pub valid_until: Date,
    /// The last day it counts ([`Accreditation::valid_through`]).
    pub valid_through: Date,
    pub state: Validity,
    /// When expired: the reference of an accreditation of the same scheme in force instead.
    #[serde(skip)]
    pub superseded_by: Option<&'a str>,
}

pub(super) fn rule_counts<S: Serializer>(
    counts: &[(&'static str, usize)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(counts.iter().map(|(r, n)| (*r, *n)))
}

impl<'a> OrgProfile<'a> {
    /// The profile of `id` in `state` (as of its instant), with `findings` (the state's):
    /// `None` when the state does not know the organisation.
    pub fn build(state: &'a State, findings: &'a [Finding], id: &OrgId) -> Option<Self> {
        let now = state.now();
        let today = Date(time::uk_date(now));
        let org: &Org = state.orgs.get(id)?;
        let council = state.is_council(id);
        let people: Vec<&PersonId> = state
            .people
            .values()
            .filter(|p| p.organisation.as_ref() == Some(id))
            .map(|p| &p.id)
            .collect();
        let people_with_access = people
            .iter()
            .copied()
            .filter(|p| state.grants_of(p).any(|g| g.active_at(now)))
            .collect();
        let about_org = |f: &Finding| matches!(&f.subject, Concerns::Org { org } if org == id);
        let about_people: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.org.as_ref() == Some(id) && !matches!(f.subject, Concerns::Org { .. }))
            .collect();
        let agreements = org
            .agreements
            .iter()
            .map(|g: &Agreement| {
                let state = Validity::on(g.valid_from, g.valid_until, today);
                AgreementView {
                    seq: g.stamp.seq,
                    kind: g.kind,
                    reference: &g.reference,
                    valid_from: g.valid_from,
                    valid_until: g.valid_until,
                    state,
                    superseded_by: (state == Validity::Expired)
                        .then(|| {
                            org.agreements
                                .iter()
                                .find(|n| n.kind == g.kind && n.in_force_on(today))
                                .map(|n| n.reference.as_str())
                        })
                        .flatten(),
                }
            })
            .collect();
        let accreditations = org
            .accreditations
            .iter()
            .map(|c: &Accreditation| {
                let state = Validity::on(c.awarded_on, Some(c.valid_through()), today);
                AccreditationView {
                    seq: c.stamp.seq,
                    scheme: c.scheme,
                    reference: &c.reference,
                    awarded_on: c.awarded_on,
                    valid_until: c.valid_until,
                    valid_through: c.valid_through(),
                    state,
                    superseded_by: (state == Validity::Expired)
                        .then(|| {
                            org.accreditations
                                .iter()
                                .find(|n| n.scheme == c.scheme && n.in_force_on(today))
                                .map(|n| n.reference.as_str())
                        })
                        .flatten(),
                }
            })
            .collect();
        let in_force = |kinds: &[AgreementKind]| {
            org.agreements
                .iter()
                .any(|g| kinds.contains(&g.kind) && g.in_force_on(today))
        };
        Some(OrgProfile {
            organisation: &org.id,
            as_of: now,
            name: org.name.as_deref(),
            kind: org.kind,
            council,
            registered: org.registered,
            agreements,
            accreditations,
            people_with_access,
            people,
            findings: findings.iter().filter(|f| about_org(f)).collect(),
            findings_about_its_people: about_people.len(),
            findings_about_its_people_by_rule: counts_by_rule(about_people.iter().copied())
                .into_iter()
                .filter(|(_, c)| c.total() > 0)
                .map(|(r, c)| (r.id, c.total()))
                .collect(),
            lacks_isa: !council && !in_force(&[AgreementKind::Isa]),
            lacks_dpia: !council && !in_force(&[AgreementKind::Dpia, AgreementKind::FullDpia]),
        })
    }
}
