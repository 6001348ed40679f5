//! Offline audit bundles: entries, their inclusion proofs, the signed checkpoint they are proved
//! against, and the key history needed to check every signature — verifiable with no ledger.
//! The layout and every check are specified in `schema/FORMAT.md`, *Bundles*.
//!
//! A bundle is canonical JSON (`serde_json` pretty form plus a newline): [`verify`] re-serialises
//! what it parsed and refuses a file that differs in any byte.
//!
//! **A bundle cannot be trimmed unnoticed.** It states what it claims ([`Claim`]): a range of
//! seqs (every one must be there, linked), every entry about some subjects (each list proved
//! complete by the subject index, [`crate::subject_map`]), or a selection (a SAR pack, whose
//! report says what it lists). It carries its **index checkpoint**: the `CheckpointRecorded`
//! entry just before its checkpoint's own, in full with its inclusion proof, so its commitments
//! are the ones in the signed log (the checkpoint's own entry lies outside its tree, and its
//! signer could sign another one beside the log). That entry's key-history commitment
//! ([`igl_schema::key_history_step`]) covers every key event before it: the bundle's key history
//! must account for each, in full or (for a key the bundle does not need) by seq, key and hash,
//! so a `KeyRevoked` cannot be dropped, and every entry the bundle judges lies before it. An
//! entry carried without its personal data counts as erased only with the signed `Redacted`
//! entry that erased it (range and subject bundles).
//!
//! [`make`] writes an auditor's bundle: the claimed entries in full with their personal data,
//! every key event in full, and the `Redacted` entries of any erased payload. [`make_selective`]
//! writes a bundle that discloses less (for a subject access pack, `subject::pack::write_pack`): chosen
//! entries in full, with or without their personal data, others by hash only (`hash_only`: the
//! entry's hash and its inclusion proof, not its bytes), and in full only the key events of the
//! keys needed to check the full entries' signatures and the checkpoint's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use igl_schema::note::{Checkpoint, Cosignature, NoteSignature, SignedCheckpoint, origin};
use igl_schema::{
    Entry, Event, Hash32, Payload, PublicKey, Role, SignedEvent, codec, entry_hash,
    key_history_step,
};
use serde::{Deserialize, Serialize};

use crate::chain::KeyRecord;
use crate::merkle;
use crate::store::{Ledger, PayloadState};
use crate::subject_map::{Complete, Named, SubjectProof};
use crate::transparency::checkpoint_signer;
use crate::{LedgerError, Result};

mod check;
mod history;
mod index;
mod make;

pub use check::*;
pub use make::*;

/// The bundle format this build writes and reads.
pub const BUNDLE_FORMAT: &str = "igledger-bundle/v3";

/// One entry with its inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    pub seq: u64,
    /// Canonical entry bytes, hex.
    pub entry: String,
    /// Canonical personal-data payload, hex; absent when erased or not selected.
    pub payload: Option<String>,
    /// Inclusion proof against the checkpoint's root.
    pub proof: Vec<Hash32>,
}

/// An entry proved by its hash only: the verifier learns that the entry at `seq` has this hash
/// and is in the tree, but not its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashOnlyEntry {
    pub seq: u64,
    /// The entry's blake3 hash (its Merkle leaf is built from it).
    pub entry_hash: Hash32,
    /// Inclusion proof against the checkpoint's root.
    pub proof: Vec<Hash32>,
}

/// A key event (`KeyEnrolled`, `KeyRevoked`) before the checkpoint: the element of the
/// key-history commitment (`seq`, `key`, `entry_hash`), with the entry itself when the bundle
/// needs that key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEvent {
    pub seq: u64,
    /// The key it enrols or revokes.
    pub key: PublicKey,
    pub entry_hash: Hash32,
    /// Canonical entry bytes, hex; absent for a key the bundle does not need (its holder's
    /// person id and role are then not disclosed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// With `entry`: its inclusion proof against the checkpoint's root, so a key event carried
    /// in full is in the signed log itself, not only in the commitment its signer made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proof: Vec<Hash32>,
}

/// What a bundle says it holds; [`verify`] checks the bundle against it and reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum Claim {
    /// Every entry from `from` to `to` inclusive, each in full and linked to the one before.
    Range { from: u64, to: u64 },
    /// Every entry about any of these subjects (`person:ID`, `service-user:ID`, `key:<hex>`), in
    /// full: naming them, signed by a key enrolled to the person, or enrolling or revoking the
    /// key, before the index checkpoint. Complete: the bundle's `subject_index` proves each list
    /// against the index checkpoint's subject index.
    Subject { subjects: Vec<String> },
    /// Entries chosen by whoever made the bundle (a SAR pack: its report says which, and why).
    Selection,
}

impl std::fmt::Display for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Claim::Range { from, to } => write!(f, "every entry from seq {from} to seq {to}"),
            Claim::Subject { subjects } => {
                write!(f, "every entry about {}", subjects.join(" or "))
            }
            Claim::Selection => write!(f, "a selection of entries"),
        }
    }
}

/// A self-contained, offline-verifiable extract of a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    /// What the bundle holds.
    pub claim: Claim,
    /// The signed checkpoint every proof is against (C2SP signed note text).
    pub checkpoint: String,
    /// The signed event of the `CheckpointRecorded` entry at seq = the checkpoint's size
    /// (canonical `SignedEvent` bytes, hex: all of it covered by the signer's signature): it
    /// carries the key-history commitment.
    pub checkpoint_event: String,
    /// Entry 0 (names the ledger and its first admin key).
    pub genesis: BundleEntry,
    /// Every KeyEnrolled / KeyRevoked entry before the checkpoint, in seq order.
    pub keys: Vec<KeyEvent>,
    /// The claimed entries, in seq order.
    pub entries: Vec<BundleEntry>,
    /// Entries proved by hash only, in seq order (absent from the file when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hash_only: Vec<HashOnlyEntry>,
    /// The `Redacted` entries that erased the personal data of listed entries, when they are not
    /// listed themselves, in seq order (absent from the file when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erasures: Vec<BundleEntry>,
    /// A range bundle's seals: of every append batch that lies wholly inside the range, the
    /// appender's signed seal (canonical `Seal`, hex), in seq order (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seals: Vec<String>,
    /// The index checkpoint: the `CheckpointRecorded` entry just before the bundle's checkpoint's
    /// own ([`index_checkpoint`]), in full with its inclusion proof against the bundle's
    /// checkpoint, so its commitments are the ones in the log and not ones signed beside it. The
    /// key history up to it and the `subject_index` proofs are checked against them, and every
    /// entry the bundle judges lies before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_checkpoint: Option<BundleEntry>,
    /// For each subject the bundle answers about (a subject claim's subjects, a SAR pack's
    /// requester), the proof against `index_checkpoint`'s subject-index commitment that its
    /// list of entries before that checkpoint is complete (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_index: Vec<SubjectProof>,
}

impl Bundle {
    /// The canonical file text.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a bundle serialises");
        s.push('\n');
        s
    }
}

/// What [`verify`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleReport {
    pub origin: String,
    pub tree_size: u64,
    pub root: Hash32,
    /// When the checkpoint was signed: its `CheckpointRecorded` entry's `time`.
    pub time: Option<igl_schema::Timestamp>,
    /// The key that signed the checkpoint.
    pub checkpoint_key: PublicKey,
    /// The checkpoint with every signature found for it: the bundle's note, the cosignatures
    /// its `CheckpointRecorded` entry records, and (with [`Trust::Checkpoint`]) the trusted
    /// note's. Witness cosignatures are checked on it with the witnesses' keys
    /// ([`crate::witness::check_quorum`]); signatures verify against the body alone, so any
    /// valid one, wherever it was found, shows its witness cosigned this checkpoint.
    pub checkpoint: SignedCheckpoint,
    /// What the bundle claims, checked.
    pub claim: Claim,
    pub entries: usize,
    /// Key events before the checkpoint (all of them: the commitment covers every one).
    pub key_events: usize,
    /// Of which carried in full (the others are of keys the bundle does not need).
    pub key_events_in_full: usize,
    /// Entries whose personal data was included and matched its commitments.
    pub with_personal_data: usize,
    /// Listed entries whose personal data was erased, each by a carried `Redacted` entry.
    pub erased: usize,
    /// Entries proved by hash only.
    pub hash_only: usize,
    /// Seals checked (a range bundle's batches that lie wholly inside it).
    pub seals: usize,
    /// The subjects whose every entry before `complete_up_to` the bundle proves it carries (the
    /// `subject_index` proofs, checked).
    pub complete: Vec<Complete>,
    /// The size of the checkpoint the subject lists are complete up to (the seq of the
    /// `index_checkpoint` entry), when the bundle proves any.
    pub complete_up_to: Option<u64>,
}

/// A verified bundle's contents, for checks layered on top (a SAR pack's report).
#[derive(Clone, Debug)]
pub struct Verified {
    pub report: BundleReport,
    /// The full entries, in seq order, each with its hash and, when the bundle carried its
    /// personal data, the values filled in (checked against the commitments).
    pub entries: Vec<(Entry, Hash32, bool)>,
    /// The hash-only entries: seq → entry hash.
    pub hash_only: BTreeMap<u64, Hash32>,
    /// Every key the bundle's key history enrols in full (with its revocation, if any).
    pub keys: HashMap<PublicKey, KeyRecord>,
}
