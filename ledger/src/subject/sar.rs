//! Subject access (UK GDPR Art. 15): everything the ledger holds about one member of staff or
//! service user, found through the `by_subject` index, with the third-party rule applied.
//!
//! [`RULE`] is the rule, in the words the CLI help and the README use. In short, an entry is
//! disclosed with:
//!
//! - the requester's own identifiers;
//! - the identifiers of staff acting in a professional capacity: the entry's author and the
//!   staff named in a role on it (approver, sponsor, reviewer, line manager, countersigning
//!   manager, breach reporter, the member of staff who opened a record, the first admin);
//! - every other individual — the person an entry is mainly about (the member of staff of a
//!   declaration, grant, training or enrolment; the service user whose record was opened; the
//!   data subject of a request) when that is not the requester, any other service user, any
//!   other person listed only as a subject — replaced with [`THIRD_PARTY`];
//! - personal-data text (names, job titles, business needs, purposes, notes, reasons,
//!   descriptions) only when nobody in the entry had to be replaced; otherwise [`WITHHELD`].
//!   Text erased by a `Redacted` entry shows as [`ERASED`].
//!
//! Everything else (types, times, organisations, grants, systems, devices, dates, flags) is
//! disclosed as recorded.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use igl_schema::{Event, Hash32, PersonId, Pii, PublicKey, Role, Subject, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::chain::KeyRecord;
use crate::error::Result;
use crate::rows::index::{AUTHOR, NAMED};
use crate::store::{Ledger, PayloadState, StoredEntry};

/// What replaces the identifier of an individual other than the requester who did not act in a
/// professional capacity.
pub const THIRD_PARTY: &str = "[third party]";
/// What replaces personal-data text in an entry that names a third party.
pub const WITHHELD: &str = "[withheld: third-party personal data]";
/// What stands for personal-data text erased by a `Redacted` entry.
pub const ERASED: &str = "[erased]";

/// The third-party rule, as the CLI help and the README state it.
pub const RULE: &str = "Third-party data (ICO guidance on subject access): the requester's own \
identifiers are shown. Staff identifiers are shown when the member of staff acted in a \
professional capacity: the author of an entry, and staff named in a role on it (approver, \
sponsor, reviewer, line manager, countersigning manager, breach reporter, the member of staff who \
opened a record). Every other individual is replaced with \"[third party]\": the person an entry \
is mainly about when that is not the requester (e.g. the member of staff of another person's \
enrolment, grant or declaration, or the service user whose record a member of staff opened), \
other service users, and anyone listed only as a subject. Personal-data text (names, job titles, \
business needs, purposes, notes, reasons, descriptions) is shown only when nobody in the entry \
had to be replaced; otherwise it is withheld as \"[withheld: third-party personal data]\". Text \
erased by a Redacted entry shows as \"[erased]\", with the seq of the erasure.";

/// How the requester appears in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Appearance {
    /// Named in the entry's subjects.
    pub subject: bool,
    /// The entry was signed with the requester's key.
    pub author: bool,
}

impl Appearance {
    /// From `by_subject` index flags.
    pub fn from_flags(flags: u8) -> Self {
        Appearance {
            subject: flags & NAMED != 0,
            author: flags & AUTHOR != 0,
        }
    }
    /// `subject`, `author` or `subject, author`.
    pub fn describe(&self) -> &'static str {
        match (self.subject, self.author) {
            (true, true) => "subject, author",
            (false, true) => "author",
            _ => "subject",
        }
    }
}

/// What became of an entry's personal-data text in the disclosure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalData {
    /// The event has no personal-data text.
    None,
    /// Shown.
    Disclosed,
    /// Withheld: the entry names a third party.
    Withheld,
    /// Erased by the `Redacted` entry at `by` before the request.
    Erased { by: u64 },
    /// Missing with no `Redacted` entry to account for it (run `igl verify`).
    Missing,
}

impl PersonalData {
    /// `none`, `disclosed`, `withheld`, `erased` or `missing`: its word in `igl sar --json` and
    /// in a pack's `report.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonalData::None => "none",
            PersonalData::Disclosed => "disclosed",
            PersonalData::Withheld => "withheld",
            PersonalData::Erased { .. } => "erased",
            PersonalData::Missing => "missing",
        }
    }
}

/// One entry as disclosed to the requester.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Disclosure {
    pub seq: u64,
    pub recorded_at: Timestamp,
    pub occurred_at: Timestamp,
    #[serde(rename = "type")]
    pub event_type: &'static str,
    pub appears_as: Appearance,
    /// The author's person id, or [`THIRD_PARTY`]; `None` if the key is not enrolled.
    pub author: Option<String>,
    pub author_role: Option<Role>,
    /// The event's fields with the rule applied.
    pub fields: Map<String, Value>,
    /// The entry's subjects with the rule applied.
    pub subjects: Vec<String>,
    pub personal_data: PersonalData,
    /// The fields replaced or withheld under the rule.
    pub withheld: Vec<String>,
    /// The entry's hash (what its inclusion proof is about).
    pub entry_hash: Hash32,
}

impl Disclosure {
    /// Whether the rule replaced anybody in this entry (a field, a subject or the author). Such
    /// an entry's signed bytes name a third party, so a SAR pack proves it by hash only.
    pub fn names_third_party(&self) -> bool {
        !self.withheld.is_empty()
            || self.subjects.iter().any(|s| s == THIRD_PARTY)
            || self.author.as_deref() == Some(THIRD_PARTY)
    }
}

/// Who an event is mainly about (if an individual) and the staff it names in a professional
/// role. Written out per event type, so a new event type must be classified here to compile.
pub fn roles(ev: &Event) -> (Option<Subject>, Vec<PersonId>) {
    let p = |id: &PersonId| Some(Subject::Person(id.clone()));
    match ev {
        Event::LedgerCreated(e) => (None, vec![e.admin_person.clone()]),
        Event::OrganisationRegistered(_)
        | Event::PolicyPublished(_)
        | Event::AgreementSigned(_)
        | Event::AccreditationRecorded(_)
        | Event::BreachUpdated(_)
        | Event::BreachIcoDecision(_)
        | Event::BreachClosed(_)
        | Event::Redacted(_)
        | Event::CheckpointRecorded(_) => (None, vec![]),
        Event::KeyEnrolled(e) => (p(&e.person), vec![]),
        Event::KeyRevoked(e) => (p(&e.person), vec![]),
        Event::PersonEnrolled(e) => (p(&e.person), e.line_manager.iter().cloned().collect()),
        Event::DeclarationSigned(e) => (p(&e.person), vec![]),
        Event::DeclarationCountersigned(e) => (p(&e.person), vec![e.manager.clone()]),
        Event::TrainingCompleted(e) => (p(&e.person), vec![]),
        Event::DeviceAttested(e) => (p(&e.person), vec![]),
        Event::AccessGranted(e) => (
            p(&e.person),
            std::iter::once(e.approver.clone())
                .chain(e.sponsor.clone())
                .collect(),
        ),
        Event::AccessReviewed(e) => (p(&e.person), vec![e.reviewer.clone()]),
        Event::AccessRevoked(e) => (p(&e.person), vec![]),
        Event::EmploymentEnded(e) => (p(&e.person), vec![]),
        Event::EmploymentSuspended(e) => (p(&e.person), vec![]),
        Event::EmploymentReinstated(e) => (p(&e.person), vec![]),
        Event::RecordAccessed(e) => (
            Some(Subject::ServiceUser(e.record.clone())),
            vec![e.person.clone()],
        ),
        Event::BreachReported(e) => (None, vec![e.reported_by.clone()]),
        Event::SubjectRightsRequestReceived(e) => (Some(e.data_subject.clone()), vec![]),
        Event::SubjectRightsIdentityVerified(e) => (Some(e.data_subject.clone()), vec![]),
        Event::SubjectRightsClarificationRequested(e) => (Some(e.data_subject.clone()), vec![]),
        Event::SubjectRightsClarificationReceived(e) => (Some(e.data_subject.clone()), vec![]),
        Event::SubjectRightsRequestExtended(e) => (Some(e.data_subject.clone()), vec![]),
        Event::SubjectRightsRequestFulfilled(e) => (Some(e.data_subject.clone()), vec![]),
        Event::SubjectRightsRequestRefused(e) => (Some(e.data_subject.clone()), vec![]),
        Event::ReviewCampaignOpened(e) => (
            None,
            e.reports_of
                .iter()
                .chain(&e.reviewer)
                .chain(std::iter::once(&e.owner))
                .cloned()
                .collect(),
        ),
        Event::ReviewDecisionRecorded(e) => (p(&e.person), vec![e.reviewer.clone()]),
    }
}

/// How a field names an individual, by field name (the same name has the same type throughout
/// the catalogue; a unit test checks every field is either here or names nobody).
fn individual_field(name: &str, value: &str) -> Option<Subject> {
    match name {
        "person" | "admin_person" | "line_manager" | "manager" | "approver" | "sponsor"
        | "reviewer" | "reported_by" | "reports_of" | "owner" => {
            PersonId::new(value).ok().map(Subject::Person)
        }
        "record" => igl_schema::RecordId::new(value)
            .ok()
            .map(Subject::ServiceUser),
        "data_subject" => Subject::parse(value).ok(),
        _ => None,
    }
}

/// The names of an event's personal-data fields that hold a value slot (present or erased), in
/// field order. Found by putting a marker in each slot and seeing where it lands, so it is exact
/// for every event type.
pub fn pii_field_names(ev: &Event) -> Vec<String> {
    let mut marked = ev.clone();
    let mut n = 0;
    for (i, f) in marked.pii_mut().into_iter().enumerate() {
        *f = Pii::new(format!("\u{1}pii-slot-{i}"));
        n += 1;
    }
    let mut names = vec![String::new(); n];
    if let Ok(Value::Object(m)) = serde_json::to_value(&marked) {
        for (k, v) in m {
            if let Some(i) = v
                .as_str()
                .and_then(|s| s.strip_prefix("\u{1}pii-slot-"))
                .and_then(|i| i.parse::<usize>().ok())
                && i < n
            {
                names[i] = k;
            }
        }
    }
    names
}

/// Applies the rule to one entry about `requester`. `flags` are its `by_subject` flags;
/// `author` is the enrolment record of the key that signed it.
pub fn disclose(
    e: &StoredEntry,
    flags: u8,
    requester: &Subject,
    author: Option<&KeyRecord>,
) -> Disclosure {
    let body = &e.entry.event.body;
    let ev = &body.event;
    let (primary, professional) = roles(ev);
    let primary = primary.filter(|p| p != requester);
    // Who may be shown: the requester, the author and staff in a professional role, unless they
    // are the (non-requester) person the entry is mainly about.
    let mut shown: BTreeSet<Subject> = professional.into_iter().map(Subject::Person).collect();
    if let Some(a) = author {
        shown.insert(Subject::Person(a.person.clone()));
    }
    if let Some(p) = &primary {
        shown.remove(p);
    }
    shown.insert(requester.clone());
    let show = |s: &Subject| shown.contains(s);

    let mut withheld: Vec<String> = Vec::new();
    let mut third_party = false;

    let mut fields = match serde_json::to_value(ev) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    fields.shift_remove("type");
    for (k, v) in fields.iter_mut() {
        let Some(s) = v.as_str().and_then(|s| individual_field(k, s)) else {
            continue;
        };
        if !show(&s) {
            *v = Value::String(THIRD_PARTY.into());
            withheld.push(k.clone());
            third_party = true;
        }
    }
    let subjects: Vec<String> = body
        .subjects
        .iter()
        .map(|s| {
            if show(s) {
                s.to_string()
            } else {
                third_party = true;
                THIRD_PARTY.to_string()
            }
        })
        .collect();
    let author_shown = author.map(|a| {
        if show(&Subject::Person(a.person.clone())) {
            a.person.to_string()
        } else {
            third_party = true;
            THIRD_PARTY.to_string()
        }
    });

    let pii_names = pii_field_names(ev);
    let personal_data = if pii_names.is_empty() {
        PersonalData::None
    } else {
        match e.payload {
            PayloadState::Redacted { by } => PersonalData::Erased { by },
            PayloadState::Missing => PersonalData::Missing,
            _ if third_party => PersonalData::Withheld,
            _ => PersonalData::Disclosed,
        }
    };
    for name in &pii_names {
        let Some(v) = fields.get_mut(name) else {
            continue;
        };
        match personal_data {
            PersonalData::Erased { .. } => *v = Value::String(ERASED.into()),
            PersonalData::Withheld => {
                *v = Value::String(WITHHELD.into());
                withheld.push(name.clone());
            }
            _ => {}
        }
    }

    Disclosure {
        seq: e.entry.seq,
        recorded_at: e.entry.recorded_at,
        occurred_at: body.occurred_at,
        event_type: ev.type_name(),
        appears_as: Appearance::from_flags(flags),
        author: author_shown,
        author_role: author.map(|a| a.role),
        fields,
        subjects,
        personal_data,
        withheld,
        entry_hash: e.hash,
    }
}

/// Everything the ledger held about `requester` at `held_at` (entries recorded at or before it;
/// `None`: everything), in seq order, with the rule applied. Reads the requester's
/// `by_subject` rows, their entries, and the authors' key records: nothing else.
pub fn subject_access(
    ledger: &Ledger,
    requester: &Subject,
    held_at: Option<Timestamp>,
) -> Result<Vec<Disclosure>> {
    let mut authors: HashMap<PublicKey, Option<KeyRecord>> = HashMap::new();
    let mut out = Vec::new();
    for (seq, flags) in ledger.subject_entries(requester)? {
        let Some(e) = ledger.entries_at([seq]).next().transpose()? else {
            continue;
        };
        // recorded_at never decreases along the ledger: nothing later was held at `held_at`.
        if held_at.is_some_and(|t| e.entry.recorded_at > t) {
            break;
        }
        let key = e.entry.event.body.author;
        let author = match authors.entry(key) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(ledger.key(&key)?),
        };
        out.push(disclose(&e, flags, requester, author.as_ref()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of the catalogue either names an individual (classified above, with its
    /// type) or names nobody: a new `PersonId`/`RecordId`/`Subject` field under a new name
    /// must be added to `individual_field` (and to `roles`).
    #[test]
    fn every_field_is_classified() {
        const NAMES_NOBODY: &[&str] = &[
            "ledger_id",
            "organisation",
            "organisation_name",
            "admin_key",
            "name",
            "kind",
            "key",
            "role",
            "reason",
            "asked",
            "job_title",
            "business_unit",
            "policy",
            "version",
            "title",
            "text_blake3",
            "confirms_training",
            "declaration",
            "training_checked",
            "course",
            "completed_on",
            "expires_on",
            "reference",
            "valid_from",
            "valid_until",
            "scheme",
            "awarded_on",
            "device",
            "council_provided",
            "not_shared",
            "os_supported",
            "patched",
            "antivirus_current",
            "grant",
            "system",
            "business_need",
            "mfa_required",
            "still_needed",
            "note",
            "purpose",
            "breach",
            "aware_at",
            "description",
            "notified",
            "ico_reference",
            "request",
            "right",
            "details",
            "seq",
            "entry_hash",
            "tree_size",
            "root",
            "time",
            "note_signature",
            "cosignatures",
            "key_history",
            "subject_map_size",
            "subject_map_root",
            "campaign",
            "due",
            "default_decision",
            "decision",
            "new_role",
            "justification",
        ];
        const INDIVIDUAL: &[&str] = &[
            "person",
            "admin_person",
            "line_manager",
            "manager",
            "approver",
            "sponsor",
            "reviewer",
            "reported_by",
            "reports_of",
            "owner",
            "record",
            "data_subject",
        ];
        for t in Event::TYPES {
            for f in Event::field_names(t).unwrap() {
                assert!(
                    NAMES_NOBODY.contains(f) || INDIVIDUAL.contains(f),
                    "{t}.{f} is not classified: does it name an individual?"
                );
                if INDIVIDUAL.contains(f) {
                    let sample = if *f == "data_subject" {
                        "person:X1"
                    } else {
                        "X1"
                    };
                    assert!(individual_field(f, sample).is_some(), "{t}.{f}");
                }
            }
        }
    }
}
