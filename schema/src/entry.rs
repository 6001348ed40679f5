//! The signed and hashed structures: event body, signed event, entry, seal.

use bincode::{Decode, Encode};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::codec::{self, CONTEXT_ENTRY_HASH, SIG_PREFIX_EVENT, SIG_PREFIX_SEAL};
use crate::event::Event;
use crate::pii::{Payload, commitment};
use crate::types::*;

/// The body format version this build writes and reads. Format 4 added the subject-index
/// commitment (`CheckpointRecorded.subject_map_size`, `subject_map_root`). Format 3 made the Merkle tree RFC 6962's
/// with SHA-256, the checkpoint note a bare tlog-checkpoint (no `igl-time` line) and added
/// `CheckpointRecorded.cosignatures`; format 2 added `ledger_id` (an author's signature names the
/// ledger it is meant for). Older bodies are not read: no ledger of format 1, 2 or 3 was deployed.
pub const FORMAT_VERSION: u16 = 4;

/// The most subjects one event may name.
pub const MAX_SUBJECTS: usize = 1000;

/// What an author signs: the event, when it happened, who they are, whom it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EventBody {
    /// Body format version ([`FORMAT_VERSION`]).
    pub format: u16,
    /// The ledger the author signs it for (its genesis `LedgerCreated` names it): an event
    /// signed for one ledger is refused by every other.
    pub ledger_id: LedgerId,
    /// Random nonce: the same signed event is never appended twice.
    pub event_id: EventId,
    /// When the fact happened (not when it was appended).
    pub occurred_at: Timestamp,
    /// The author's public key.
    pub author: PublicKey,
    /// Everyone the event concerns, sorted, without duplicates; includes every subject named by
    /// the event's fields.
    pub subjects: Vec<Subject>,
    pub event: Event,
}

/// Why a signed event is not acceptable on its own (before any ledger state is consulted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("{0}: {1}")]
    Field(&'static str, crate::event::FieldError),
    #[error("body format {0} is not supported (this build reads format {FORMAT_VERSION})")]
    Format(u16),
    #[error("subjects must be sorted without duplicates")]
    SubjectsNotCanonical,
    #[error("names {0} subjects; the limit is {MAX_SUBJECTS}")]
    TooManySubjects(usize),
    #[error("subjects must include {0}, named by the event's fields")]
    MissingSubject(Subject),
    #[error("author key is not a valid ed25519 public key")]
    BadAuthorKey,
    #[error(
        "author signature does not verify (the event was changed after signing, or signed by another key)"
    )]
    BadSignature,
    #[error("personal data: {0}")]
    Payload(String),
}

impl EventBody {
    /// A body for ledger `ledger_id` with the subjects the event names plus `extra` ones.
    pub fn new(
        ledger_id: LedgerId,
        event: Event,
        occurred_at: Timestamp,
        author: PublicKey,
        event_id: EventId,
        extra: impl IntoIterator<Item = Subject>,
    ) -> Self {
        let mut subjects = event.derived_subjects();
        subjects.extend(extra);
        subjects.sort();
        subjects.dedup();
        Self {
            format: FORMAT_VERSION,
            ledger_id,
            event_id,
            occurred_at,
            author,
            subjects,
            event,
        }
    }

    /// The exact bytes the author's signature covers.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut m = SIG_PREFIX_EVENT.to_vec();
        m.extend_from_slice(&codec::encode(self));
        m
    }

    /// Checks what can be checked without a ledger: format, fields, subjects.
    pub fn validate(&self) -> Result<(), EventError> {
        if self.format != FORMAT_VERSION {
            return Err(EventError::Format(self.format));
        }
        self.event
            .validate()
            .map_err(|e| EventError::Field(self.event.type_name(), e))?;
        if self.subjects.len() > MAX_SUBJECTS {
            return Err(EventError::TooManySubjects(self.subjects.len()));
        }
        if self.subjects.windows(2).any(|w| w[0] >= w[1]) {
            return Err(EventError::SubjectsNotCanonical);
        }
        for s in self.event.derived_subjects() {
            if self.subjects.binary_search(&s).is_err() {
                return Err(EventError::MissingSubject(s));
            }
        }
        Ok(())
    }
}

/// Decompressed author keys, for checking many signatures (one per thread: it is not shared).
/// Holds at most [`VerifyingKeys::MAX`] keys and starts afresh when full, so memory stays
/// bounded on a ledger with any number of authors. A key that does not decompress is remembered
/// as such.
#[derive(Default)]
pub struct VerifyingKeys {
    keys: std::collections::BTreeMap<[u8; 32], Option<VerifyingKey>>,
}

impl VerifyingKeys {
    /// The most keys held at once (about 4 MB).
    pub const MAX: usize = 16_384;

    /// The decompressed key, or `None` if the bytes are not a valid point.
    pub fn get(&mut self, key: &PublicKey) -> Option<&VerifyingKey> {
        if self.keys.len() >= Self::MAX && !self.keys.contains_key(&key.0) {
            self.keys.clear();
        }
        self.keys
            .entry(key.0)
            .or_insert_with(|| VerifyingKey::from_bytes(&key.0).ok())
            .as_ref()
    }
}

/// An event body with its author's signature.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SignedEvent {
    pub body: EventBody,
    pub signature: Signature64,
}

impl SignedEvent {
    /// Checks the author's signature with `verify_strict` (no malleable or small-order forms).
    pub fn verify_signature(&self) -> Result<(), EventError> {
        let vk =
            VerifyingKey::from_bytes(&self.body.author.0).map_err(|_| EventError::BadAuthorKey)?;
        self.verify_with(&vk)
    }

    /// [`verify_signature`](Self::verify_signature) with the author's key decompressed once
    /// for many events: a ledger has few authors, and decompressing a key (a field square root)
    /// costs about a third of what the check itself does.
    pub fn verify_signature_cached(&self, keys: &mut VerifyingKeys) -> Result<(), EventError> {
        let vk = keys
            .get(&self.body.author)
            .ok_or(EventError::BadAuthorKey)?;
        self.verify_with(vk)
    }

    fn verify_with(&self, vk: &VerifyingKey) -> Result<(), EventError> {
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature.0);
        vk.verify_strict(&self.body.signing_message(), &sig)
            .map_err(|_| EventError::BadSignature)
    }

    /// Fills in the personal-data values from a stored payload, checking each against its
    /// commitment.
    pub fn open(&mut self, payload: &Payload) -> Result<(), EventError> {
        let mut fields = self.body.event.pii_mut();
        if fields.len() != payload.values.len() {
            return Err(EventError::Payload(format!(
                "payload has {} values but the event has {} personal-data fields",
                payload.values.len(),
                fields.len()
            )));
        }
        for (i, (field, value)) in fields.iter_mut().zip(&payload.values).enumerate() {
            if commitment(&payload.salt, i as u32, value) != field.commitment() {
                return Err(EventError::Payload(format!(
                    "value {i} does not match its commitment (the payload was altered or forged)"
                )));
            }
            field.set_value(value.clone());
        }
        Ok(())
    }

    /// Whether the event has personal-data fields.
    pub fn has_pii(&self) -> bool {
        !self.body.event.pii().is_empty()
    }
}

/// An event ready to append: signed, with the salt of its personal data (present exactly when the
/// event has personal-data fields, whose values are then all known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub event: SignedEvent,
    pub salt: Option<Salt>,
}

impl Submission {
    /// Signs an event for ledger `ledger_id`: commits its personal data under `salt`, builds the
    /// body, signs it.
    pub fn sign(
        ledger_id: LedgerId,
        mut event: Event,
        occurred_at: Timestamp,
        event_id: EventId,
        extra_subjects: impl IntoIterator<Item = Subject>,
        key: &SigningKey,
        salt: Salt,
    ) -> Result<Self, EventError> {
        let has_pii = commit_pii(&mut event, &salt)?;
        let author = PublicKey(key.verifying_key().to_bytes());
        let body = EventBody::new(
            ledger_id,
            event,
            occurred_at,
            author,
            event_id,
            extra_subjects,
        );
        body.validate()?;
        let signature = Signature64(key.sign(&body.signing_message()).to_bytes());
        Ok(Self {
            event: SignedEvent { body, signature },
            salt: has_pii.then_some(salt),
        })
    }

    /// Rebuilds a submission signed elsewhere: recomputes the commitments from the values and
    /// the salt, then checks the body and the signature.
    pub fn presigned(
        mut body: EventBody,
        signature: Signature64,
        salt: Option<Salt>,
    ) -> Result<Self, EventError> {
        let has_pii = !body.event.pii().is_empty();
        match (has_pii, salt) {
            (true, Some(s)) => {
                commit_pii(&mut body.event, &s)?;
            }
            (true, None) => {
                return Err(EventError::Payload(
                    "the event has personal-data fields but no salt".into(),
                ));
            }
            (false, Some(_)) => {
                return Err(EventError::Payload(
                    "salt given but the event has no personal-data fields".into(),
                ));
            }
            (false, None) => {}
        }
        body.validate()?;
        let event = SignedEvent { body, signature };
        event.verify_signature()?;
        Ok(Self {
            event,
            salt: salt.filter(|_| has_pii),
        })
    }

    /// The personal-data payload to store apart from the entry.
    pub fn payload(&self) -> Option<Payload> {
        let salt = self.salt?;
        let values = self
            .event
            .body
            .event
            .pii()
            .iter()
            .map(|p| p.value().unwrap_or_default().to_string())
            .collect();
        Some(Payload { salt, values })
    }
}

fn commit_pii(event: &mut Event, salt: &Salt) -> Result<bool, EventError> {
    let fields = event.pii_mut();
    let has = !fields.is_empty();
    for (i, f) in fields.into_iter().enumerate() {
        let v = f
            .value()
            .ok_or_else(|| EventError::Payload(format!("personal-data field {i} has no value")))?;
        let c = commitment(salt, i as u32, v);
        f.set_commitment(c);
    }
    Ok(has)
}

/// One position of the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Entry {
    /// Position, contiguous from 0.
    pub seq: u64,
    /// Hash of entry `seq - 1`; [`Hash32::ZERO`] for entry 0.
    pub prev_hash: Hash32,
    /// When the entry was appended (non-decreasing along the ledger).
    pub recorded_at: Timestamp,
    pub event: SignedEvent,
}

impl Entry {
    /// The entry's canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }
    /// The entry hash: blake3 in derive-key mode ([`CONTEXT_ENTRY_HASH`]) over the canonical bytes.
    pub fn hash(&self) -> Hash32 {
        entry_hash(&self.encode())
    }
}

/// One step of the **key-history commitment**: the commitment after the key event at `seq`
/// (a `LedgerCreated`, `KeyEnrolled` or `KeyRevoked` entry whose hash is `entry_hash`, enrolling
/// or revoking `key`), given the commitment `prev` of the key events before it. The commitment of
/// a ledger with no key event yet is [`Hash32::ZERO`]; every key event is folded in seq order:
///
/// ```text
/// next = blake3::derive_key(CONTEXT_KEY_HISTORY, prev ‖ u64_le(seq) ‖ key ‖ entry_hash)
/// ```
///
/// Each `CheckpointRecorded` entry carries the commitment of every entry before it, so a bundle
/// proved against that checkpoint must account for every key event: in full, or (for keys it
/// does not need) by seq, key and hash.
pub fn key_history_step(prev: &Hash32, seq: u64, key: &PublicKey, entry_hash: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new_derive_key(crate::codec::CONTEXT_KEY_HISTORY);
    h.update(&prev.0);
    h.update(&seq.to_le_bytes());
    h.update(&key.0);
    h.update(&entry_hash.0);
    Hash32(*h.finalize().as_bytes())
}

/// The map key of a subject in the subject index of the ledger `ledger_id`: `name` is the
/// subject as text (`person:ID`, `service-user:ID`, `key:<64 hex digits>`).
pub fn subject_map_key(ledger_id: &crate::LedgerId, name: &str) -> Hash32 {
    let mut h = blake3::Hasher::new_derive_key(crate::codec::CONTEXT_SUBJECT_KEY);
    h.update(&ledger_id.0);
    h.update(name.as_bytes());
    Hash32(*h.finalize().as_bytes())
}

/// One step of a subject's list in the subject index: the head after the entry at `seq` (with
/// hash `entry_hash`) is added to the list whose head was `prev` (32 zero bytes for none).
pub fn subject_chain_step(prev: &Hash32, seq: u64, entry_hash: &Hash32) -> Hash32 {
    let mut h = blake3::Hasher::new_derive_key(crate::codec::CONTEXT_SUBJECT_CHAIN);
    h.update(&prev.0);
    h.update(&seq.to_le_bytes());
    h.update(&entry_hash.0);
    Hash32(*h.finalize().as_bytes())
}

/// The entry hash of canonical entry bytes.
pub fn entry_hash(canonical: &[u8]) -> Hash32 {
    let mut h = blake3::Hasher::new_derive_key(CONTEXT_ENTRY_HASH);
    h.update(canonical);
    Hash32(*h.finalize().as_bytes())
}

/// What an appender signs after each append batch: "entries `first_seq..=last_seq` of this
/// ledger, ending in `head_hash`, were appended by me".
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SealBody {
    pub ledger_id: LedgerId,
    pub first_seq: u64,
    pub last_seq: u64,
    pub head_hash: Hash32,
    pub sealed_at: Timestamp,
    pub appender: PublicKey,
}

/// A seal with the appender's signature.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Seal {
    pub body: SealBody,
    pub signature: Signature64,
}

impl SealBody {
    /// The exact bytes the appender's signature covers.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut m = SIG_PREFIX_SEAL.to_vec();
        m.extend_from_slice(&codec::encode(self));
        m
    }
    /// Signs the seal.
    pub fn sign(self, key: &SigningKey) -> Seal {
        let signature = Signature64(key.sign(&self.signing_message()).to_bytes());
        Seal {
            body: self,
            signature,
        }
    }
}

impl Seal {
    /// Checks the appender's signature with `verify_strict`.
    pub fn verify_signature(&self) -> bool {
        let Ok(vk) = VerifyingKey::from_bytes(&self.body.appender.0) else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature.0);
        vk.verify_strict(&self.body.signing_message(), &sig).is_ok()
    }
}

/// The public key of a signing key.
pub fn public_key(key: &SigningKey) -> PublicKey {
    PublicKey(key.verifying_key().to_bytes())
}
