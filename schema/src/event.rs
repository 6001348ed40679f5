//! The event catalogue: every information-governance fact igl records.
//!
//! **The order of the variants is frozen**: the canonical encoding tags each event with its
//! position. New event types go at the end; a field is never reordered or removed.

use std::fmt;

use bincode::{Decode, Encode};
use serde::{Deserialize, Serialize};

use crate::pii::{MAX_PII_LEN, Pii};
use crate::types::*;

/// Longest plain text field accepted (bytes).
pub const MAX_TEXT_LEN: usize = 1000;

/// A field that fails validation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn field_err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn check_text(field: &'static str, s: &str, max: usize) -> Result<(), FieldError> {
    if s.trim().is_empty() {
        return Err(field_err(field, "must not be empty"));
    }
    if s.len() > max {
        return Err(field_err(
            field,
            format!("is {} bytes long; the limit is {max}", s.len()),
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(field_err(
            field,
            format!("contains the control character {c:?}"),
        ));
    }
    Ok(())
}

/// What every field type of the catalogue can do for the generic walks over an event.
pub trait Field {
    /// Collects the personal-data fields, in field order.
    fn pii<'a>(&'a self, _out: &mut Vec<&'a Pii>) {}
    /// Collects the personal-data fields mutably, in field order.
    fn pii_mut<'a>(&'a mut self, _out: &mut Vec<&'a mut Pii>) {}
    /// Collects the subjects this field names.
    fn subjects(&self, _out: &mut Vec<Subject>) {}
    /// Validates the field's value.
    fn check(&self, _field: &'static str) -> Result<(), FieldError> {
        Ok(())
    }
}

macro_rules! plain_fields {
    ($($t:ty),*) => { $(impl Field for $t {})* };
}
plain_fields!(
    bool,
    u64,
    OrgId,
    GrantId,
    SystemId,
    PolicyId,
    Version,
    CourseId,
    DeviceId,
    BreachId,
    RequestId,
    Hash32,
    Signature64,
    LedgerId,
    Timestamp,
    Date,
    Role,
    OrgKind,
    AgreementKind,
    Scheme,
    RevocationReason,
    BreachKind,
    Right,
    CampaignId,
    ReviewDecision
);

impl Field for PersonId {
    fn subjects(&self, out: &mut Vec<Subject>) {
        out.push(Subject::Person(self.clone()));
    }
}
impl Field for RecordId {
    fn subjects(&self, out: &mut Vec<Subject>) {
        out.push(Subject::ServiceUser(self.clone()));
    }
}
impl Field for Subject {
    fn subjects(&self, out: &mut Vec<Subject>) {
        out.push(self.clone());
    }
}
impl Field for PublicKey {
    fn check(&self, field: &'static str) -> Result<(), FieldError> {
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&self.0)
            .map_err(|_| field_err(field, "is not a valid ed25519 public key"))?;
        if vk.is_weak() {
            return Err(field_err(
                field,
                "is a weak (small-order) ed25519 key; generate a new one with `igl key new`",
            ));
        }
        Ok(())
    }
}
impl Field for String {
    fn check(&self, field: &'static str) -> Result<(), FieldError> {
        check_text(field, self, MAX_TEXT_LEN)
    }
}
impl Field for Pii {
    fn pii<'a>(&'a self, out: &mut Vec<&'a Pii>) {
        out.push(self);
    }
    fn pii_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Pii>) {
        out.push(self);
    }
    fn check(&self, field: &'static str) -> Result<(), FieldError> {
        match self.value() {
            Some(v) => check_text(field, v, MAX_PII_LEN),
            None => Ok(()), // redacted: nothing left to check
        }
    }
}
/// At most this many cosignatures on one checkpoint (a signed note carries at most 100
/// signatures, one of them the log's).
pub const MAX_COSIGNATURES: usize = 32;

impl Field for Vec<crate::note::Cosignature> {
    fn check(&self, field: &'static str) -> Result<(), FieldError> {
        if self.len() > MAX_COSIGNATURES {
            return Err(field_err(
                field,
                format!(
                    "has {} cosignatures; at most {MAX_COSIGNATURES}",
                    self.len()
                ),
            ));
        }
        for (i, c) in self.iter().enumerate() {
            if !crate::note::is_key_name_valid(&c.name) || c.name.len() > 255 {
                return Err(field_err(
                    field,
                    format!("cosigner name {:?} is not a signed-note key name", c.name),
                ));
            }
            if c.time == 0 || c.time > i64::MAX as u64 {
                return Err(field_err(
                    field,
                    format!("cosignature by {} has timestamp {}", c.name, c.time),
                ));
            }
            if self[..i]
                .iter()
                .any(|d| d.name == c.name && d.key_id == c.key_id)
            {
                return Err(field_err(
                    field,
                    format!("has two cosignatures by {}", c.name),
                ));
            }
        }
        Ok(())
    }
}

impl<T: Field> Field for Option<T> {
    fn pii<'a>(&'a self, out: &mut Vec<&'a Pii>) {
        if let Some(v) = self {
            v.pii(out)
        }
    }
    fn pii_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Pii>) {
        if let Some(v) = self {
            v.pii_mut(out)
        }
    }
    fn subjects(&self, out: &mut Vec<Subject>) {
        if let Some(v) = self {
            v.subjects(out)
        }
    }
    fn check(&self, field: &'static str) -> Result<(), FieldError> {
        match self {
            Some(v) => v.check(field),
            None => Ok(()),
        }
    }
}

macro_rules! catalogue {
    ($(
        $(#[$vm:meta])*
        $name:ident { $( $(#[$fm:meta])* $field:ident : $ty:ty ),* $(,)? }
    )+) => {
        $(
            $(#[$vm])*
            #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
            #[serde(deny_unknown_fields)]
            pub struct $name { $( $(#[$fm])* pub $field: $ty, )* }
        )+

        /// One information-governance fact. In JSON, an object with `"type": "<Name>"` and the
        /// variant's fields.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum Event { $( $name($name), )+ }

        /// The canonical tag of each event type: its position in the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        enum Tag { $( $name, )+ }

        // Canonically an event is its u32 tag followed by its fields (bincode's enum layout,
        // written out by hand because bincode's derive is not hygienic inside macro_rules).
        impl Encode for Event {
            fn encode<E: bincode::enc::Encoder>(
                &self,
                e: &mut E,
            ) -> Result<(), bincode::error::EncodeError> {
                match self {
                    $(Event::$name(v) => {
                        (Tag::$name as u32).encode(e)?;
                        v.encode(e)
                    })+
                }
            }
        }
        impl<C> Decode<C> for Event {
            fn decode<D: bincode::de::Decoder<Context = C>>(
                d: &mut D,
            ) -> Result<Self, bincode::error::DecodeError> {
                let tag = u32::decode(d)?;
                $(if tag == Tag::$name as u32 {
                    return Ok(Event::$name(Decode::decode(d)?));
                })+
                Err(bincode::error::DecodeError::OtherString(format!(
                    "unknown event tag {tag} (this build knows tags 0 to {})",
                    Event::TYPES.len() - 1
                )))
            }
        }
        bincode::impl_borrow_decode!(Event);

        impl Event {
            /// Every event type name, in canonical (tag) order.
            pub const TYPES: &'static [&'static str] = &[$(stringify!($name)),+];

            /// The event type's name, e.g. `AccessGranted`.
            pub fn type_name(&self) -> &'static str {
                match self { $(Event::$name(_) => stringify!($name),)+ }
            }

            /// The field names of an event type, in canonical order.
            pub fn field_names(type_name: &str) -> Option<&'static [&'static str]> {
                match type_name {
                    $(stringify!($name) => Some(&[$(stringify!($field)),*]),)+
                    _ => None,
                }
            }

            /// The personal-data fields, in canonical order.
            pub fn pii(&self) -> Vec<&Pii> {
                let mut out = Vec::new();
                match self { $(Event::$name(_e) => { $( Field::pii(&_e.$field, &mut out); )* })+ }
                out
            }

            /// The personal-data fields, mutably, in canonical order.
            pub fn pii_mut(&mut self) -> Vec<&mut Pii> {
                let mut out = Vec::new();
                match self { $(Event::$name(_e) => { $( Field::pii_mut(&mut _e.$field, &mut out); )* })+ }
                out
            }

            /// The subjects named by the event's fields, sorted and without duplicates.
            pub fn derived_subjects(&self) -> Vec<Subject> {
                let mut out = Vec::new();
                match self { $(Event::$name(_e) => { $( Field::subjects(&_e.$field, &mut out); )* })+ }
                out.sort();
                out.dedup();
                out
            }

            fn check_fields(&self) -> Result<(), FieldError> {
                match self { $(Event::$name(_e) => { $( Field::check(&_e.$field, stringify!($field))?; )* })+ }
                Ok(())
            }
        }
    };
}

catalogue! {
    /// Genesis, always entry 0: names the council that keeps the ledger and its first admin key.
    LedgerCreated {
        /// Random id naming this ledger (in seals and checkpoints).
        ledger_id: LedgerId,
        organisation: OrgId,
        organisation_name: String,
        admin_key: PublicKey,
        admin_person: PersonId,
    }
    /// An organisation whose staff may be given access: the council or a partner.
    OrganisationRegistered {
        organisation: OrgId,
        name: String,
        kind: OrgKind,
    }
    /// A signing key enrolled for a person with a role. Only admins enrol keys.
    KeyEnrolled {
        key: PublicKey,
        person: PersonId,
        role: Role,
        reason: Option<Pii>,
    }
    /// A key withdrawn: nothing it signs after this entry is accepted.
    KeyRevoked {
        key: PublicKey,
        person: PersonId,
        reason: Pii,
    }
    /// A member of staff (council or partner) known to the ledger.
    PersonEnrolled {
        person: PersonId,
        name: Pii,
        job_title: Pii,
        business_unit: String,
        organisation: OrgId,
        line_manager: Option<PersonId>,
    }
    /// A version of a policy that people declare against; `text_blake3` is the blake3 of its text.
    PolicyPublished {
        policy: PolicyId,
        version: Version,
        title: String,
        text_blake3: Hash32,
    }
    /// The personal declaration (Mosaic Annex A), signed by the declarant's own key.
    DeclarationSigned {
        person: PersonId,
        policy: PolicyId,
        version: Version,
        /// "I confirm that I have completed the e-learning package Protecting Information."
        confirms_training: bool,
    }
    /// The line manager's countersignature authorising access; `declaration` is the hash of the
    /// DeclarationSigned entry. Signed by the manager's own key.
    DeclarationCountersigned {
        declaration: Hash32,
        person: PersonId,
        manager: PersonId,
        /// The manager checked the Protecting Information e-learning was completed.
        training_checked: bool,
    }
    /// A training course completed, e.g. `protecting-information`.
    TrainingCompleted {
        person: PersonId,
        course: CourseId,
        completed_on: Date,
        expires_on: Option<Date>,
    }
    /// An agreement with an organisation: ISA, summary DPIA or full DPIA.
    AgreementSigned {
        organisation: OrgId,
        kind: AgreementKind,
        reference: String,
        valid_from: Date,
        valid_until: Option<Date>,
    }
    /// An external accreditation: NHS DSPT or Cyber Essentials Plus.
    AccreditationRecorded {
        organisation: OrgId,
        scheme: Scheme,
        reference: String,
        awarded_on: Date,
        valid_until: Date,
    }
    /// A device's attestation against the Eclipse MoU device rules.
    DeviceAttested {
        person: PersonId,
        device: DeviceId,
        council_provided: bool,
        not_shared: bool,
        os_supported: bool,
        patched: bool,
        antivirus_current: bool,
    }
    /// Access to a system granted on a business need.
    AccessGranted {
        grant: GrantId,
        person: PersonId,
        system: SystemId,
        role: String,
        business_need: Pii,
        mfa_required: bool,
        approver: PersonId,
        /// The council employee who initiated third-party access (Mosaic policy §3).
        sponsor: Option<PersonId>,
    }
    /// A periodic review of a grant (ISO 27001 A.5.18).
    AccessReviewed {
        grant: GrantId,
        person: PersonId,
        reviewer: PersonId,
        still_needed: bool,
        note: Option<Pii>,
    }
    /// Access removed.
    AccessRevoked {
        grant: GrantId,
        person: PersonId,
        reason: RevocationReason,
        note: Option<Pii>,
    }
    /// Employment or contract ended (effective at `occurred_at`).
    EmploymentEnded {
        person: PersonId,
        note: Option<Pii>,
    }
    /// Employment suspended (effective at `occurred_at`).
    EmploymentSuspended {
        person: PersonId,
        note: Option<Pii>,
    }
    /// A suspension lifted.
    EmploymentReinstated {
        person: PersonId,
    }
    /// A service user's record opened in a case system (from the system's audit feed).
    RecordAccessed {
        person: PersonId,
        system: SystemId,
        record: RecordId,
        purpose: Pii,
        device: Option<DeviceId>,
    }
    /// A loss, theft or other personal-data breach reported; `aware_at` starts the 72-hour clock.
    BreachReported {
        breach: BreachId,
        reported_by: PersonId,
        aware_at: Timestamp,
        kind: BreachKind,
        description: Pii,
    }
    /// Progress on a breach.
    BreachUpdated {
        breach: BreachId,
        note: Pii,
    }
    /// The decision to notify the ICO or not (UK GDPR Art. 33); the reason is required when not
    /// notifying.
    BreachIcoDecision {
        breach: BreachId,
        notified: bool,
        ico_reference: Option<String>,
        reason: Option<Pii>,
    }
    /// A breach case closed.
    BreachClosed {
        breach: BreachId,
        note: Option<Pii>,
    }
    /// A data-protection rights request received.
    SubjectRightsRequestReceived {
        request: RequestId,
        right: Right,
        data_subject: Subject,
        details: Option<Pii>,
    }
    /// The requester's identity verified: the statutory clock starts.
    SubjectRightsIdentityVerified {
        request: RequestId,
        data_subject: Subject,
    }
    /// The deadline extended by up to two months (the requester told within the first month).
    SubjectRightsRequestExtended {
        request: RequestId,
        data_subject: Subject,
        reason: Pii,
    }
    /// The request fulfilled.
    SubjectRightsRequestFulfilled {
        request: RequestId,
        data_subject: Subject,
        note: Option<Pii>,
    }
    /// The request refused, with the reason.
    SubjectRightsRequestRefused {
        request: RequestId,
        data_subject: Subject,
        reason: Pii,
    }
    /// The personal-data payload of entry `seq` erased; the entry and its proofs remain.
    Redacted {
        seq: u64,
        entry_hash: Hash32,
        reason: String,
        request: Option<RequestId>,
    }
    /// A signed checkpoint of the Merkle tree of every entry before this one. `note_signature`
    /// is the author's signature of the checkpoint as a C2SP signed note (`schema::note`), so the
    /// checkpoint can be rebuilt from the ledger, published and checked later.
    CheckpointRecorded {
        tree_size: u64,
        root: Hash32,
        time: Timestamp,
        note_signature: Signature64,
        /// Witnesses' `cosignature/v1` signatures on the checkpoint, gathered before it was
        /// recorded (`igl checkpoint --witness`); empty when none was asked.
        cosignatures: Vec<crate::note::Cosignature>,
        /// The key-history commitment of every entry before this one
        /// ([`crate::key_history_step`]): a bundle proved against this checkpoint cannot leave
        /// out a key event unnoticed.
        key_history: Hash32,
        /// The number of subjects in the subject index of every entry before this one.
        subject_map_size: u64,
        /// The root of that subject index (`ledger::subject_map`): a bundle proved against this
        /// checkpoint can show it lists every entry about a subject, or that none names it.
        subject_map_root: Hash32,
    }
    /// The council asked the requester for information it reasonably needs to identify what a
    /// right-of-access request is about (UK GDPR Art. 12A(5), Data (Use and Access) Act 2025):
    /// the statutory clock stops from this day until the day the answer arrives, both included.
    SubjectRightsClarificationRequested {
        request: RequestId,
        data_subject: Subject,
        /// What was asked (it may name the requester's circumstances: personal data).
        asked: Pii,
    }
    /// The requester's clarification arrived: the clock runs again from the next day.
    SubjectRightsClarificationReceived {
        request: RequestId,
        data_subject: Subject,
    }
    /// An access-review campaign opened. Its items are the grants in force at `occurred_at`
    /// within the scope (every filter given must match; none given: every grant); each must be
    /// decided by the end of the UK day `due`. An item's reviewer is `reviewer` if given, else
    /// the grantee's line manager on record at the opening, else `owner`; nobody reviews their
    /// own access (their items go to `owner`). With `default_decision`, an item still undecided
    /// when the due day ends takes that decision.
    ReviewCampaignOpened {
        campaign: CampaignId,
        title: String,
        /// Only grants to this system.
        system: Option<SystemId>,
        /// Only grants of people whose organisation on record is this one.
        organisation: Option<OrgId>,
        /// Only grants of people whose line manager on record is this person.
        reports_of: Option<PersonId>,
        /// One reviewer for every item (a system owner), instead of each grantee's line manager.
        reviewer: Option<PersonId>,
        /// Accountable for the campaign; reviews the items nobody else can.
        owner: PersonId,
        due: Date,
        /// `keep` or `revoke`, applied to every item still undecided when the due day ends.
        default_decision: Option<ReviewDecision>,
    }
    /// A reviewer's decision on one item of a campaign, signed by the reviewer's own key. The
    /// latest decision by the item's reviewer counts. A `revoke` or `change` decision is
    /// carried out by the grant's revocation (a `change` then needs a new grant with
    /// `new_role`, made the usual way).
    ReviewDecisionRecorded {
        campaign: CampaignId,
        grant: GrantId,
        person: PersonId,
        reviewer: PersonId,
        decision: ReviewDecision,
        /// The role the access should have instead (`change` only).
        new_role: Option<String>,
        /// Why: the business need seen, or why it is gone.
        justification: Pii,
    }
}

impl Event {
    /// The roles whose keys may author this event type. Authorisation on append and on verify
    /// uses this one table.
    pub fn allowed_roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            // Genesis is self-signed by the admin key it names; no enrolled role applies.
            Event::LedgerCreated(_) => &[],
            Event::OrganisationRegistered(_) | Event::KeyEnrolled(_) | Event::KeyRevoked(_) => {
                &[Admin]
            }
            Event::PersonEnrolled(_) => &[Admin, IgOfficer, SystemFeed],
            Event::PolicyPublished(_) => &[Admin, IgOfficer],
            Event::DeclarationSigned(_) => &[Admin, IgOfficer, Manager, Staff],
            Event::DeclarationCountersigned(_) => &[Manager],
            Event::TrainingCompleted(_) | Event::DeviceAttested(_) => {
                &[Admin, IgOfficer, SystemFeed]
            }
            Event::AgreementSigned(_) | Event::AccreditationRecorded(_) => &[Admin, IgOfficer],
            Event::AccessGranted(_) | Event::AccessRevoked(_) => &[Admin, IgOfficer, SystemFeed],
            Event::AccessReviewed(_) => &[Admin, IgOfficer, Manager, SystemFeed],
            Event::EmploymentEnded(_)
            | Event::EmploymentSuspended(_)
            | Event::EmploymentReinstated(_) => &[Admin, IgOfficer, Manager, SystemFeed],
            Event::RecordAccessed(_) => &[SystemFeed],
            Event::BreachReported(_) => &[Admin, IgOfficer, Manager, Staff, SystemFeed],
            Event::BreachUpdated(_) | Event::BreachIcoDecision(_) | Event::BreachClosed(_) => {
                &[IgOfficer]
            }
            Event::SubjectRightsRequestReceived(_)
            | Event::SubjectRightsIdentityVerified(_)
            | Event::SubjectRightsClarificationRequested(_)
            | Event::SubjectRightsClarificationReceived(_)
            | Event::SubjectRightsRequestExtended(_)
            | Event::SubjectRightsRequestFulfilled(_)
            | Event::SubjectRightsRequestRefused(_)
            | Event::Redacted(_) => &[IgOfficer],
            Event::CheckpointRecorded(_) => &[Admin, IgOfficer],
            Event::ReviewCampaignOpened(_) => &[Admin, IgOfficer],
            Event::ReviewDecisionRecorded(_) => &[Admin, IgOfficer, Manager, Staff],
        }
    }

    /// The key a key event enrols or revokes (the genesis enrols its admin key): the events the
    /// key-history commitment ([`crate::key_history_step`]) covers.
    pub fn key_event_key(&self) -> Option<PublicKey> {
        match self {
            Event::LedgerCreated(e) => Some(e.admin_key),
            Event::KeyEnrolled(e) => Some(e.key),
            Event::KeyRevoked(e) => Some(e.key),
            _ => None,
        }
    }

    /// For events that are a person's own statement, the person whose key must sign them.
    pub fn self_signed_by(&self) -> Option<&PersonId> {
        match self {
            Event::DeclarationSigned(e) => Some(&e.person),
            Event::DeclarationCountersigned(e) => Some(&e.manager),
            Event::ReviewDecisionRecorded(e) => Some(&e.reviewer),
            _ => None,
        }
    }

    /// Checks every field on its own (no ledger state): identifiers, texts, dates, keys.
    /// Redacted personal data is not checked (nothing is left to check).
    pub fn validate(&self) -> Result<(), FieldError> {
        self.check_fields()?;
        match self {
            Event::TrainingCompleted(e) => {
                if let Some(exp) = e.expires_on
                    && exp <= e.completed_on
                {
                    return Err(field_err("expires_on", "must be after completed_on"));
                }
            }
            Event::AgreementSigned(e) => {
                if let Some(until) = e.valid_until
                    && until < e.valid_from
                {
                    return Err(field_err("valid_until", "must not be before valid_from"));
                }
            }
            Event::AccreditationRecorded(e) if e.valid_until <= e.awarded_on => {
                return Err(field_err("valid_until", "must be after awarded_on"));
            }
            Event::ReviewCampaignOpened(e)
                if e.default_decision == Some(ReviewDecision::Change) =>
            {
                return Err(field_err(
                    "default_decision",
                    "must be keep or revoke (a change needs a new role for each item)",
                ));
            }
            Event::ReviewDecisionRecorded(e) => match (e.decision, &e.new_role) {
                (ReviewDecision::Change, None) => {
                    return Err(field_err("new_role", "is required for a change decision"));
                }
                (ReviewDecision::Keep | ReviewDecision::Revoke, Some(_)) => {
                    return Err(field_err(
                        "new_role",
                        "is only for a change decision (leave it out for keep or revoke)",
                    ));
                }
                _ => {}
            },
            Event::BreachIcoDecision(e) if !e.notified && e.reason.is_none() => {
                return Err(field_err(
                    "reason",
                    "is required when the ICO is not notified (UK GDPR Art. 33(5): record the reasoning)",
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}
