//! The rows of the governance projection (`history`): which an entry implies and how their
//! keys are written. The queries that read them are in [`crate::projection`], which says what the
//! projection is for.
//!
//! ```text
//! kind (u8) ‖ entity id (UTF-8, never contains 0x00) ‖ 0x00 ‖ occurred_at (i64 µs, sign bit
//! flipped, u64 BE) ‖ seq (u64 BE)   →   event tag (u32, canonical encoding)
//! ```

use igl_schema::{Event, Hash32, Subject, Timestamp, codec};

use super::index::type_tag;

/// What an entity is. The discriminant is the first byte of its `history` keys (frozen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    /// The ledger itself (its genesis): id is empty.
    Ledger = 0,
    /// A person: enrolment, employment, keys, declarations, countersignatures, training,
    /// grants and their reviews and revocations, device attestations, and subject-rights
    /// requests about them.
    Person = 1,
    /// The people whose enrolment names this person as line manager.
    Manages = 2,
    /// The people whose enrolment names this organisation.
    Member = 3,
    /// An organisation: registration, agreements, accreditations.
    Org = 4,
    /// A signing key (hex): enrolment and revocation.
    Key = 5,
    /// A declaration (hex hash of its DeclarationSigned entry) and its countersignatures.
    Declaration = 6,
    /// A training course of a person: `PERSON/COURSE`.
    Training = 7,
    /// A grant: made, reviewed, revoked.
    Grant = 8,
    /// A device and its attestations.
    Device = 9,
    /// A breach and what followed.
    Breach = 10,
    /// A subject-rights request and what followed (including redactions made for it).
    Request = 11,
    /// A policy's published versions.
    Policy = 12,
    /// The records a member of staff opened.
    Accessor = 13,
    /// A service user: who opened their record, and the requests they made.
    ServiceUser = 14,
    /// An access-review campaign: its opening and every decision in it.
    Campaign = 15,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Ledger,
        Kind::Person,
        Kind::Manages,
        Kind::Member,
        Kind::Org,
        Kind::Key,
        Kind::Declaration,
        Kind::Training,
        Kind::Grant,
        Kind::Device,
        Kind::Breach,
        Kind::Request,
        Kind::Policy,
        Kind::Accessor,
        Kind::ServiceUser,
        Kind::Campaign,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ledger => "ledger",
            Kind::Person => "person",
            Kind::Manages => "manages",
            Kind::Member => "member",
            Kind::Org => "org",
            Kind::Key => "key",
            Kind::Declaration => "declaration",
            Kind::Training => "training",
            Kind::Grant => "grant",
            Kind::Device => "device",
            Kind::Breach => "breach",
            Kind::Request => "request",
            Kind::Policy => "policy",
            Kind::Accessor => "accessor",
            Kind::ServiceUser => "service-user",
            Kind::Campaign => "campaign",
        }
    }
    pub(crate) fn from_byte(b: u8) -> Option<Kind> {
        Kind::ALL.get(b as usize).copied()
    }
}

/// One row of an entity's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub occurred_at: Timestamp,
    pub seq: u64,
    /// The event type's canonical tag (its position in `Event::TYPES`).
    pub tag: u32,
}

/// The entities an entry concerns, as (kind, id): a pure function of the entry (its event and
/// its hash). Sorted and without duplicates.
pub fn entities(event: &Event, hash: &Hash32) -> Vec<(Kind, String)> {
    use Kind as K;
    let s = |k: Kind, id: &dyn std::fmt::Display| (k, id.to_string());
    let mut v = match event {
        Event::LedgerCreated(e) => vec![
            (K::Ledger, String::new()),
            s(K::Org, &e.organisation),
            s(K::Person, &e.admin_person),
            (K::Key, e.admin_key.to_hex()),
        ],
        Event::OrganisationRegistered(e) => vec![s(K::Org, &e.organisation)],
        Event::KeyEnrolled(e) => vec![(K::Key, e.key.to_hex()), s(K::Person, &e.person)],
        Event::KeyRevoked(e) => vec![(K::Key, e.key.to_hex()), s(K::Person, &e.person)],
        Event::PersonEnrolled(e) => {
            let mut v = vec![s(K::Person, &e.person), s(K::Member, &e.organisation)];
            if let Some(m) = &e.line_manager {
                v.push(s(K::Manages, m));
            }
            v
        }
        Event::PolicyPublished(e) => vec![s(K::Policy, &e.policy)],
        Event::DeclarationSigned(e) => {
            vec![(K::Declaration, hash.to_hex()), s(K::Person, &e.person)]
        }
        Event::DeclarationCountersigned(e) => vec![
            (K::Declaration, e.declaration.to_hex()),
            s(K::Person, &e.person),
        ],
        Event::TrainingCompleted(e) => vec![
            (K::Training, format!("{}/{}", e.person, e.course)),
            s(K::Person, &e.person),
        ],
        Event::AgreementSigned(e) => vec![s(K::Org, &e.organisation)],
        Event::AccreditationRecorded(e) => vec![s(K::Org, &e.organisation)],
        Event::DeviceAttested(e) => vec![s(K::Device, &e.device), s(K::Person, &e.person)],
        Event::AccessGranted(e) => vec![s(K::Grant, &e.grant), s(K::Person, &e.person)],
        Event::AccessReviewed(e) => vec![s(K::Grant, &e.grant), s(K::Person, &e.person)],
        Event::AccessRevoked(e) => vec![s(K::Grant, &e.grant), s(K::Person, &e.person)],
        Event::EmploymentEnded(e) => vec![s(K::Person, &e.person)],
        Event::EmploymentSuspended(e) => vec![s(K::Person, &e.person)],
        Event::EmploymentReinstated(e) => vec![s(K::Person, &e.person)],
        Event::RecordAccessed(e) => vec![s(K::Accessor, &e.person), s(K::ServiceUser, &e.record)],
        Event::BreachReported(e) => vec![s(K::Breach, &e.breach)],
        Event::BreachUpdated(e) => vec![s(K::Breach, &e.breach)],
        Event::BreachIcoDecision(e) => vec![s(K::Breach, &e.breach)],
        Event::BreachClosed(e) => vec![s(K::Breach, &e.breach)],
        Event::SubjectRightsRequestReceived(e) => {
            let mut v = vec![s(K::Request, &e.request)];
            match &e.data_subject {
                Subject::Person(p) => v.push(s(K::Person, p)),
                Subject::ServiceUser(r) => v.push(s(K::ServiceUser, r)),
            }
            v
        }
        Event::SubjectRightsIdentityVerified(e) => vec![s(K::Request, &e.request)],
        Event::SubjectRightsClarificationRequested(e) => vec![s(K::Request, &e.request)],
        Event::SubjectRightsClarificationReceived(e) => vec![s(K::Request, &e.request)],
        Event::SubjectRightsRequestExtended(e) => vec![s(K::Request, &e.request)],
        Event::SubjectRightsRequestFulfilled(e) => vec![s(K::Request, &e.request)],
        Event::SubjectRightsRequestRefused(e) => vec![s(K::Request, &e.request)],
        Event::Redacted(e) => e.request.iter().map(|r| s(K::Request, r)).collect(),
        Event::CheckpointRecorded(_) => vec![],
        Event::ReviewCampaignOpened(e) => vec![s(K::Campaign, &e.campaign)],
        Event::ReviewDecisionRecorded(e) => vec![
            s(K::Campaign, &e.campaign),
            s(K::Grant, &e.grant),
            s(K::Person, &e.person),
        ],
    };
    v.sort();
    v.dedup();
    v
}

/// The key prefix of an entity's history.
pub fn entity_prefix(kind: Kind, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 18);
    k.push(kind as u8);
    k.extend_from_slice(id.as_bytes());
    k.push(0);
    k
}

/// `occurred_at` as 8 bytes that sort in time order (sign bit flipped, big-endian).
fn time_bytes(t: Timestamp) -> [u8; 8] {
    ((t.micros() as u64) ^ (1 << 63)).to_be_bytes()
}

/// The `history` key of one row.
pub fn history_key(kind: Kind, id: &str, occurred_at: Timestamp, seq: u64) -> Vec<u8> {
    let mut k = entity_prefix(kind, id);
    k.extend_from_slice(&time_bytes(occurred_at));
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Every `history` row an entry implies, as (key, value).
pub fn rows_of(
    seq: u64,
    occurred_at: Timestamp,
    event: &Event,
    hash: &Hash32,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let tag = type_tag(event.type_name()).expect("every event's type is in the catalogue");
    let value = codec::encode(&tag);
    entities(event, hash)
        .into_iter()
        .map(|(k, id)| (history_key(k, &id, occurred_at, seq), value.clone()))
        .collect()
}

/// `person:P00105 @ seq 12` for messages.
pub(crate) fn describe_key(k: &[u8]) -> String {
    let kind = k
        .first()
        .and_then(|b| Kind::from_byte(*b))
        .map_or("?", |k| k.as_str());
    let nul = k
        .iter()
        .skip(1)
        .position(|b| *b == 0)
        .map_or(k.len(), |p| p + 1);
    let id = String::from_utf8_lossy(&k[1.min(k.len())..nul]);
    let seq = k
        .len()
        .checked_sub(8)
        .and_then(|i| k[i..].try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or_default();
    format!("{kind}:{id} @ seq {seq}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_entity_then_time_then_seq() {
        let t = |s: &str| Timestamp::parse(s).unwrap();
        let a = history_key(Kind::Person, "P1", t("1969-01-01T00:00:00Z"), 9);
        let b = history_key(Kind::Person, "P1", t("2026-01-01T00:00:00Z"), 3);
        let c = history_key(Kind::Person, "P1", t("2026-01-01T00:00:00Z"), 4);
        let d = history_key(Kind::Person, "P10", t("1900-01-01T00:00:00Z"), 0);
        assert!(
            a < b && b < c,
            "time order, then seq, before and after 1970"
        );
        assert!(!d.starts_with(&entity_prefix(Kind::Person, "P1")));
        assert!(c < d);
        assert_eq!(describe_key(&c), "person:P1 @ seq 4");
        let g = history_key(Kind::Ledger, "", t("2026-01-01T00:00:00Z"), 0);
        assert_eq!(describe_key(&g), "ledger: @ seq 0");
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
            assert_eq!(Kind::from_byte(i as u8), Some(*k));
        }
    }
}
