//! The chain rules: what makes entry `n` acceptable after entries `0..n`.
//!
//! **Append and verify run this same code**, so an entry that `igl append` accepts is exactly
//! an entry that `igl verify` accepts. The state it consults ([`Lookup`]) comes from RocksDB
//! (plus the batch being built) on append, and from memory rebuilt by the scan on verify.

use std::collections::HashMap;

use bincode::{Decode, Encode};
use igl_schema::note::{Checkpoint, SignedCheckpoint, origin};
use igl_schema::{
    Entry, Event, EventId, Hash32, LedgerId, PersonId, PublicKey, Role, Seal, SealBody, Timestamp,
};

use crate::merkle::Frontier;

mod check;

pub use check::*;

/// How far `occurred_at` may be ahead of `recorded_at` (authors' clock skew).
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Roles whose keys may append and seal batches.
pub const APPENDER_ROLES: &[Role] = &[Role::Admin, Role::IgOfficer, Role::SystemFeed];

/// A key as enrolled.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct KeyRecord {
    pub key: PublicKey,
    pub person: PersonId,
    pub role: Role,
    pub enrolled_seq: u64,
    pub revoked_seq: Option<u64>,
}

impl KeyRecord {
    /// `3f9a1c2b4d5e (manager P00012, enrolled at seq 12)`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} ({} {}, enrolled at seq {}",
            self.key.short(),
            self.role,
            self.person,
            self.enrolled_seq
        );
        if let Some(r) = self.revoked_seq {
            s.push_str(&format!(", revoked at seq {r}"));
        }
        s.push(')');
        s
    }
    /// Whether the key may sign entry `seq`.
    pub fn active_at(&self, seq: u64) -> bool {
        self.revoked_seq.is_none_or(|r| seq < r)
    }
}

/// What the rules need to know about the entries before the one being checked.
pub trait Lookup {
    type Error;
    /// The key's enrolment record.
    fn key(&self, key: &PublicKey) -> Result<Option<KeyRecord>, Self::Error>;
    /// The declarant of the DeclarationSigned entry with this hash, if there is one.
    fn declaration(&self, entry_hash: &Hash32) -> Result<Option<PersonId>, Self::Error>;
    /// The seq at which an event id was appended.
    fn event_seq(&self, id: &EventId) -> Result<Option<u64>, Self::Error>;
    /// The hash of entry `seq` and whether it has personal-data fields.
    fn entry_summary(&self, seq: u64) -> Result<Option<(Hash32, bool)>, Self::Error>;
    /// The seq of the Redacted entry that erased entry `seq`'s personal data.
    fn redacted_by(&self, seq: u64) -> Result<Option<u64>, Self::Error>;
    /// The id the genesis entry gave the ledger.
    fn ledger_id(&self) -> Result<Option<LedgerId>, Self::Error>;
    /// The Merkle root of the first `size` entries, when `size` is the number of entries so far.
    fn merkle_root(&self, size: u64) -> Result<Option<Hash32>, Self::Error>;
    /// The key-history commitment of every entry so far ([`igl_schema::key_history_step`]).
    fn key_history(&self) -> Result<Hash32, Self::Error>;
    /// The subject-map commitment `(size, root)` of every entry so far, of which there are
    /// `size` ([`crate::subject_map`]).
    fn subject_map(&self, size: u64) -> Result<(u64, Hash32), Self::Error>;
    /// Whether entry `seq`'s author signature verifies (`verify_strict`), when it was already
    /// checked: `verify` checks the signatures of a chunk of entries on every core ahead of the
    /// in-order replay. `None` (the default): [`check_entry`] checks it.
    fn signature_verified(&self, _seq: u64) -> Option<bool> {
        None
    }
}

/// The end of the chain so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Head {
    /// The seq of the last entry.
    pub seq: u64,
    pub hash: Hash32,
    pub recorded_at: Timestamp,
}

/// State changes an accepted entry makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Genesis { ledger_id: LedgerId },
    KeyEnrolled(KeyRecord),
    KeyRevoked { key: PublicKey, seq: u64 },
    Declaration { hash: Hash32, person: PersonId },
    EventId { id: EventId, seq: u64 },
    Redaction { target: u64, by: u64 },
}

/// The chain state entries change. Verify keeps it in memory (all but the event ids, which a
/// full verify checks against `by_event_id` instead); append keeps the changes
/// its batch makes on top of the stored state. Both change it only through [`ChainState::apply`].
#[derive(Clone, Debug, Default)]
pub struct ChainState {
    pub keys: HashMap<PublicKey, KeyRecord>,
    pub declarations: HashMap<Hash32, PersonId>,
    pub event_ids: HashMap<EventId, u64>,
    pub redactions: HashMap<u64, u64>,
    pub ledger_id: Option<LedgerId>,
    /// The Merkle tree's right edge, after the last accepted entry.
    pub frontier: Frontier,
    /// The key-history commitment of every accepted entry ([`igl_schema::key_history_step`]).
    pub key_history: Hash32,
    /// Subject-index list heads by map key ([`crate::subject_map`]): verify holds every one,
    /// append the ones its batch changed.
    pub subject_heads: std::collections::BTreeMap<Hash32, Hash32>,
}

impl ChainState {
    /// Applies one effect of an accepted entry. `stored_key` finds a key this state does not
    /// hold yet (append: the stored registry; verify: nothing, it holds every key).
    pub fn apply<E>(
        &mut self,
        eff: Effect,
        stored_key: impl FnOnce(&PublicKey) -> Result<Option<KeyRecord>, E>,
    ) -> Result<(), E> {
        match eff {
            Effect::Genesis { ledger_id } => self.ledger_id = Some(ledger_id),
            Effect::KeyEnrolled(k) => {
                self.keys.insert(k.key, k);
            }
            Effect::KeyRevoked { key, seq } => {
                let rec = match self.keys.get(&key) {
                    Some(k) => Some(k.clone()),
                    None => stored_key(&key)?,
                };
                if let Some(mut k) = rec {
                    k.revoked_seq = Some(seq);
                    self.keys.insert(key, k);
                }
            }
            Effect::Declaration { hash, person } => {
                self.declarations.insert(hash, person);
            }
            Effect::EventId { id, seq } => {
                self.event_ids.insert(id, seq);
            }
            Effect::Redaction { target, by } => {
                self.redactions.insert(target, by);
            }
        }
        Ok(())
    }

    /// Adds an accepted entry to what the state accumulates over every entry, whatever its
    /// effects: the Merkle tree's right edge (returning the subtrees it completes) and the
    /// key-history commitment. Append, rebuild and verify call this for every entry.
    pub fn accumulate(&mut self, entry: &Entry, hash: &Hash32) -> Vec<(u8, u64, Hash32)> {
        if let Some(key) = entry.event.body.event.key_event_key() {
            self.key_history =
                igl_schema::key_history_step(&self.key_history, entry.seq, &key, hash);
        }
        self.frontier.push(crate::merkle::leaf_hash(hash))
    }

    /// The Merkle root when `size` is the number of entries accepted so far.
    pub fn merkle_root(&self, size: u64) -> Option<Hash32> {
        (size == self.frontier.size())
            .then(|| self.frontier.root())
            .flatten()
    }
}

/// Why an entry breaks the chain rules (the seq is reported by the caller).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

/// Either the rules were broken, or the state could not be read.
#[derive(Debug)]
pub enum CheckError<E> {
    Violation(Violation),
    Lookup(E),
}

impl<E> From<Violation> for CheckError<E> {
    fn from(v: Violation) -> Self {
        CheckError::Violation(v)
    }
}
