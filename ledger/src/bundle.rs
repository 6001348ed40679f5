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
//! writes a bundle that discloses less (for a subject access pack, `sar::write_pack`): chosen
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

use crate::merkle;
use crate::rules::KeyRecord;
use crate::store::{Ledger, PayloadState};
use crate::subject_map::{Complete, Named, SubjectProof};
use crate::transparency::checkpoint_signer;
use crate::{LedgerError, Result};

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

fn bundle_entry(ledger: &Ledger, seq: u64, size: u64, with_payload: bool) -> Result<BundleEntry> {
    let stored = ledger
        .entry(seq)?
        .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {seq}")))?;
    let payload = if with_payload && stored.payload == PayloadState::Present {
        stored_payload(ledger, seq)?
    } else {
        None
    };
    Ok(BundleEntry {
        seq,
        entry: hex::encode(stored.entry.encode()),
        payload,
        proof: ledger.inclusion_proof(seq, size)?,
    })
}

fn stored_payload(ledger: &Ledger, seq: u64) -> Result<Option<String>> {
    Ok(ledger
        .get(crate::store::cf::PAYLOADS, &crate::store::seq_key(seq))?
        .map(hex::encode))
}

/// Adds to `cp` each signature of `more` it does not carry yet (cosignatures found elsewhere:
/// a `CheckpointRecorded` entry, a checkpoint the verifier holds).
fn merge_signatures(cp: &mut SignedCheckpoint, more: impl IntoIterator<Item = NoteSignature>) {
    for s in more {
        if !cp.signatures.contains(&s) {
            cp.signatures.push(s);
        }
    }
}

/// Checks `cp` is a checkpoint of this ledger covering `seqs`, and returns the signed event of
/// the `CheckpointRecorded` entry that recorded it (canonical bytes, hex) and the checkpoint
/// note with the witnesses' cosignatures that entry records added (when `cp` lacks them).
fn check_checkpoint(
    ledger: &Ledger,
    cp: &SignedCheckpoint,
    seqs: &[u64],
) -> Result<(String, SignedCheckpoint)> {
    let size = cp.checkpoint.size;
    if ledger.merkle_root(size)? != cp.checkpoint.root {
        return Err(LedgerError::Proof(format!(
            "this ledger's first {size} entries do not have the checkpoint's root: it is not a checkpoint of this ledger"
        )));
    }
    if let Some(s) = seqs.iter().find(|s| **s >= size) {
        return Err(LedgerError::NeedsCheckpoint(format!(
            "seq {s} is not covered by the checkpoint of {size} entries; sign a newer checkpoint"
        )));
    }
    let recorded = ledger.entry(size)?.filter(|e| {
        matches!(&e.entry.event.body.event,
            Event::CheckpointRecorded(c) if c.tree_size == size && c.root == cp.checkpoint.root)
    });
    match recorded {
        Some(e) => {
            let mut note = cp.clone();
            if let Event::CheckpointRecorded(c) = &e.entry.event.body.event {
                merge_signatures(
                    &mut note,
                    c.cosignatures.iter().map(Cosignature::to_note_signature),
                );
            }
            Ok((hex::encode(codec::encode(&e.entry.event)), note))
        }
        None => Err(LedgerError::NeedsCheckpoint(format!(
            "the checkpoint of {size} entries is not the one recorded in this ledger at seq {size}; prove against a checkpoint this ledger recorded"
        ))),
    }
}

/// Every key event (`KeyEnrolled`, `KeyRevoked`) at seqs `1..size`, from the type index, in seq
/// order: (seq, key, entry hash, author).
fn key_events(ledger: &Ledger, size: u64) -> Result<Vec<(u64, PublicKey, Hash32, PublicKey)>> {
    let mut seqs = ledger.type_entries("KeyEnrolled")?;
    seqs.extend(ledger.type_entries("KeyRevoked")?);
    seqs.retain(|s| (1..size).contains(s));
    seqs.sort_unstable();
    seqs.iter()
        .map(|&seq| {
            let e = ledger
                .entry(seq)?
                .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {seq}")))?;
            let key = e.entry.event.body.event.key_event_key().ok_or_else(|| {
                LedgerError::Proof(format!("the type index lists seq {seq} as a key event"))
            })?;
            Ok((seq, key, e.hash, e.entry.event.body.author))
        })
        .collect()
}

fn key_event(
    ledger: &Ledger,
    size: u64,
    (seq, key, hash): (u64, PublicKey, Hash32),
    full: bool,
) -> Result<KeyEvent> {
    let (entry, proof) = if full {
        let e = ledger
            .entry(seq)?
            .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {seq}")))?;
        (
            Some(hex::encode(e.entry.encode())),
            ledger.inclusion_proof(seq, size)?,
        )
    } else {
        (None, Vec::new())
    };
    Ok(KeyEvent {
        seq,
        key,
        entry_hash: hash,
        entry,
        proof,
    })
}

/// Builds an auditor's bundle of entries `seqs` (sorted, each before the checkpoint, and what
/// `claim` says) proved against `cp`, which must be a checkpoint recorded in this ledger: the
/// entries with their personal data, every key event in full, and the `Redacted` entry of every
/// listed entry whose personal data was erased.
pub fn make(ledger: &Ledger, cp: &SignedCheckpoint, claim: Claim, seqs: &[u64]) -> Result<Bundle> {
    let (checkpoint_event, note) = check_checkpoint(ledger, cp, seqs)?;
    let size = cp.checkpoint.size;
    let at = index_checkpoint(ledger, size)?;
    before_index(seqs, at, size)?;
    let keys = key_events(ledger, size)?
        .into_iter()
        .map(|(seq, key, hash, _)| key_event(ledger, size, (seq, key, hash), true))
        .collect::<Result<_>>()?;
    let listed: BTreeSet<u64> = seqs.iter().copied().collect();
    let mut erasures = BTreeSet::new();
    let mut entries = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let stored = ledger
            .entry(seq)?
            .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {seq}")))?;
        if let PayloadState::Redacted { by } = stored.payload
            && !listed.contains(&by)
        {
            if by >= at {
                return Err(LedgerError::NeedsCheckpoint(format!(
                    "the personal data of seq {seq} was erased by seq {by}, after checkpoint {at} (the one just before the checkpoint of {size} entries): sign a newer checkpoint so the erasure can be proved"
                )));
            }
            erasures.insert(by);
        }
        entries.push(bundle_entry(ledger, seq, size, true)?);
    }
    let seals = match &claim {
        Claim::Range { from, to } => seals_within(ledger, *from, *to)?,
        _ => Vec::new(),
    };
    let named = match &claim {
        Claim::Subject { subjects } => subjects
            .iter()
            .map(|s| Named::parse(s).map_err(LedgerError::Proof))
            .collect::<Result<Vec<_>>>()?,
        _ => Vec::new(),
    };
    let (index_checkpoint, subject_index) = subject_proofs(ledger, size, at, &named)?;
    Ok(Bundle {
        format: BUNDLE_FORMAT.into(),
        claim,
        checkpoint: note.to_text(),
        checkpoint_event,
        genesis: bundle_entry(ledger, 0, size, false)?,
        keys,
        entries,
        hash_only: Vec::new(),
        erasures: erasures
            .into_iter()
            .map(|s| bundle_entry(ledger, s, size, false))
            .collect::<Result<_>>()?,
        seals,
        index_checkpoint,
        subject_index,
    })
}

/// The **index checkpoint** of a bundle proved against the checkpoint of `size` entries: the
/// `CheckpointRecorded` entry just before that checkpoint's own (seq `size - 1`). Its commitments
/// are bound to the signed tree by an inclusion proof (those of the checkpoint's own entry, at seq
/// `size`, are not: it lies outside its tree); the bundle's key history and subject lists are
/// proved against it. It must be the entry just before, so that whoever makes a bundle cannot
/// choose an older one and stop a subject's list early: a council signs two checkpoints in a row
/// before it makes bundles or answers a request.
pub fn index_checkpoint(ledger: &Ledger, size: u64) -> Result<u64> {
    let before = match size.checked_sub(1) {
        Some(at) => ledger
            .entry(at)?
            .filter(|e| matches!(e.entry.event.body.event, Event::CheckpointRecorded(_)))
            .map(|_| at),
        None => None,
    };
    before.ok_or_else(|| {
        LedgerError::NeedsCheckpoint(format!(
            "the checkpoint of {size} entries does not directly follow another checkpoint; a bundle proves its entries' authors (and any subject list) against the key history (and subject index) recorded by the checkpoint just before its own, which is bound to the signed tree: sign two checkpoints in a row and try again"
        ))
    })
}

/// Refuses entries a bundle would have to judge at or after its index checkpoint `at`: the key
/// history after it is not bound to the signed tree of `size` entries.
fn before_index(seqs: &[u64], at: u64, size: u64) -> Result<()> {
    match seqs.iter().find(|s| **s >= at) {
        Some(s) => Err(LedgerError::NeedsCheckpoint(format!(
            "seq {s} is not before checkpoint {at}, the one just before the checkpoint of {size} entries: a bundle proves its entries' authors against the key history up to that one; sign another checkpoint and try again"
        ))),
        None => Ok(()),
    }
}

/// The `index_checkpoint` entry (at seq `at`, proved against the tree of `size`) and the proofs
/// that the lists of `subjects` before `at` are complete, against its subject map.
fn subject_proofs(
    ledger: &Ledger,
    size: u64,
    at: u64,
    subjects: &[Named],
) -> Result<(Option<BundleEntry>, Vec<SubjectProof>)> {
    let proofs = if subjects.is_empty() {
        Vec::new()
    } else {
        let map = ledger.subject_map_at(at)?;
        subjects
            .iter()
            .map(|s| ledger.subject_proof(&map, s, at))
            .collect::<Result<_>>()?
    };
    Ok((Some(bundle_entry(ledger, at, size, false)?), proofs))
}

/// The seals (hex) of every batch that lies wholly inside seqs `from..=to`.
fn seals_within(ledger: &Ledger, from: u64, to: u64) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for r in ledger.iter_from(crate::store::cf::SEALS, &crate::store::seq_key(from)) {
        let (k, v) = r?;
        if crate::store::key_seq(&k).is_none_or(|last| last > to) {
            break;
        }
        let seal: igl_schema::Seal = codec::decode(&v)
            .map_err(|e| LedgerError::Proof(format!("a stored seal does not decode: {e}")))?;
        if seal.body.first_seq >= from {
            out.push(hex::encode(&v));
        }
    }
    Ok(out)
}

/// Builds a bundle that discloses only what is chosen: `full` entries as (seq, with personal
/// data), `hash_only` entries by their hash and proof alone, and a key history that carries in
/// full only the key events of the keys checking the full entries and the checkpoint needs (the
/// full entries' authors and the checkpoint's signer, the admin keys that enrolled or revoked
/// those, and so on back to the genesis key); every other key event is carried by seq, key and
/// hash. Both lists sorted by seq, disjoint, each before the checkpoint. The claim is
/// [`Claim::Selection`].
pub fn make_selective(
    ledger: &Ledger,
    cp: &SignedCheckpoint,
    full: &[(u64, bool)],
    hash_only: &[u64],
    complete: &[Named],
) -> Result<Bundle> {
    let all: Vec<u64> = full
        .iter()
        .map(|(s, _)| *s)
        .chain(hash_only.iter().copied())
        .collect();
    let (checkpoint_event, note) = check_checkpoint(ledger, cp, &all)?;
    let size = cp.checkpoint.size;
    let signer = ledger.stored_checkpoint_signer(cp)?.ok_or_else(|| {
        LedgerError::Proof(
            "the checkpoint is not signed by a key of this ledger entitled to sign it".into(),
        )
    })?;
    let mut entries = Vec::with_capacity(full.len());
    let mut wanted: Vec<PublicKey> = vec![signer];
    let at = index_checkpoint(ledger, size)?;
    before_index(&full.iter().map(|(s, _)| *s).collect::<Vec<_>>(), at, size)?;
    // The index checkpoint's signer's key history is carried in full, so it can be judged.
    let e = ledger
        .entry(at)?
        .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {at}")))?;
    wanted.push(e.entry.event.body.author);
    let (index_checkpoint, subject_index) = subject_proofs(ledger, size, at, complete)?;
    for (seq, with_payload) in full {
        let be = bundle_entry(ledger, *seq, size, *with_payload)?;
        let stored = ledger
            .entry(*seq)?
            .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {seq}")))?;
        wanted.push(stored.entry.event.body.author);
        entries.push(be);
    }
    // The closure of "enrolled or revoked by": every key event of a needed key is carried in
    // full, and its author is needed in turn. The genesis admin key is enrolled by entry 0.
    let events = key_events(ledger, size)?;
    let mut by_key: HashMap<PublicKey, Vec<usize>> = HashMap::new();
    for (i, (_, key, _, _)) in events.iter().enumerate() {
        by_key.entry(*key).or_default().push(i);
    }
    let mut needed: BTreeSet<PublicKey> = BTreeSet::new();
    let mut in_full: BTreeSet<usize> = BTreeSet::new();
    while let Some(k) = wanted.pop() {
        if !needed.insert(k) {
            continue;
        }
        for &i in by_key.get(&k).into_iter().flatten() {
            if in_full.insert(i) {
                wanted.push(events[i].3);
            }
        }
    }
    Ok(Bundle {
        format: BUNDLE_FORMAT.into(),
        claim: Claim::Selection,
        checkpoint: note.to_text(),
        checkpoint_event,
        genesis: bundle_entry(ledger, 0, size, false)?,
        keys: events
            .iter()
            .enumerate()
            .map(|(i, (seq, key, hash, _))| {
                key_event(ledger, size, (*seq, *key, *hash), in_full.contains(&i))
            })
            .collect::<Result<_>>()?,
        entries,
        hash_only: hash_only
            .iter()
            .map(|s| {
                let e = ledger
                    .entry(*s)?
                    .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {s}")))?;
                Ok(HashOnlyEntry {
                    seq: *s,
                    entry_hash: e.hash,
                    proof: ledger.inclusion_proof(*s, size)?,
                })
            })
            .collect::<Result<_>>()?,
        erasures: Vec::new(),
        seals: Vec::new(),
        index_checkpoint,
        subject_index,
    })
}

/// Why a bundle does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BundleError(pub String);

fn bad(m: impl Into<String>) -> BundleError {
    BundleError(m.into())
}

/// How the caller trusts the checkpoint.
pub enum Trust<'a> {
    /// A checkpoint the verifier already holds: the bundle's must be the same tree.
    Checkpoint(&'a SignedCheckpoint),
    /// The key that must have signed the checkpoint.
    Key(&'a PublicKey),
    /// Nothing outside the bundle: the checkpoint must be signed by a checkpoint key from the
    /// bundle's own key history (internal consistency only).
    BundleOnly,
}

fn decode_hex_entry(seq: u64, hex_text: &str) -> Result<(Entry, Hash32), BundleError> {
    let bytes = hex::decode(hex_text).map_err(|_| bad(format!("seq {seq}: entry is not hex")))?;
    let entry: Entry = codec::decode(&bytes).map_err(|e| bad(format!("seq {seq}: {e}")))?;
    if entry.seq != seq {
        return Err(bad(format!("seq {seq}: the entry says seq {}", entry.seq)));
    }
    Ok((entry, entry_hash(&bytes)))
}

fn decode_entry(be: &BundleEntry) -> Result<(Entry, Hash32), BundleError> {
    decode_hex_entry(be.seq, &be.entry)
}

/// Verifies a bundle's text with no ledger.
pub fn verify(text: &str, trust: Trust<'_>) -> Result<BundleReport, BundleError> {
    verify_detailed(text, trust).map(|v| v.report)
}

/// Checks that `entry` is signed for `ledger_id`, by a key of `registry` entitled to write it at
/// its seq (enrolled before it, not revoked by then, with a role that may write that event, and
/// the person it names for a person's own statement), and that the signature verifies. `at`
/// starts every message.
fn check_author(
    entry: &Entry,
    registry: &HashMap<PublicKey, KeyRecord>,
    ledger_id: &igl_schema::LedgerId,
    at: &str,
) -> Result<(), BundleError> {
    let (n, body) = (entry.seq, &entry.event.body);
    if body.ledger_id != *ledger_id {
        return Err(bad(format!("{at}: signed for another ledger")));
    }
    let author = registry
        .get(&body.author)
        .filter(|k| usable_at(k, n))
        .ok_or_else(|| {
            bad(format!(
                "{at}: the author key {} is not enrolled (and unrevoked) at that point",
                body.author.short()
            ))
        })?;
    if !body.event.allowed_roles().contains(&author.role) {
        return Err(bad(format!(
            "{at}: a {} key may not write {}",
            author.role,
            body.event.type_name()
        )));
    }
    if let Some(p) = body.event.self_signed_by()
        && *p != author.person
    {
        return Err(bad(format!(
            "{at}: {} must be signed by {p}'s own key",
            body.event.type_name()
        )));
    }
    entry
        .event
        .verify_signature()
        .map_err(|e| bad(format!("{at}: {e}")))
}

/// Whether `k` was enrolled before `n` and not revoked by then.
fn usable_at(k: &KeyRecord, n: u64) -> bool {
    k.enrolled_seq < n && k.active_at(n)
}

/// Verifies a bundle's text with no ledger, returning what it holds. Every step is specified in
/// `schema/FORMAT.md`, *Bundles*, in this order.
pub fn verify_detailed(text: &str, trust: Trust<'_>) -> Result<Verified, BundleError> {
    // 1. The file.
    let b: Bundle = serde_json::from_str(text).map_err(|e| bad(format!("not a bundle: {e}")))?;
    if b.format != BUNDLE_FORMAT {
        return Err(bad(format!(
            "format {:?}; this build reads {BUNDLE_FORMAT}",
            b.format
        )));
    }
    if b.to_text() != text {
        return Err(bad("the file is not in canonical form (it was edited)"));
    }
    // Every byte string is lowercase hex, as written: one form per bundle.
    let hex_fields = std::iter::once(&b.checkpoint_event)
        .chain(
            b.entries
                .iter()
                .chain(b.erasures.iter())
                .chain(std::iter::once(&b.genesis))
                .flat_map(|e| std::iter::once(&e.entry).chain(e.payload.as_ref())),
        )
        .chain(b.keys.iter().filter_map(|k| k.entry.as_ref()))
        .chain(b.seals.iter());
    for h in hex_fields {
        if !h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad(
                "the file is not in canonical form: byte strings are lowercase hex (it was edited)",
            ));
        }
    }

    // 2. The checkpoint, and the trusted one it must equal.
    let cp = SignedCheckpoint::parse(&b.checkpoint).map_err(|e| bad(e.to_string()))?;
    if cp.to_text() != b.checkpoint {
        return Err(bad(
            "the checkpoint note is not in canonical form (as igl writes it): it was edited",
        ));
    }
    let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
    if let Trust::Checkpoint(t) = &trust
        && t.checkpoint != cp.checkpoint
    {
        return Err(bad(format!(
            "the bundle is proved against a checkpoint of {size} entries (root {root}), not the trusted one ({} entries, root {})",
            t.checkpoint.size, t.checkpoint.root
        )));
    }
    let prove = |seq: u64, h: &Hash32, proof: &[Hash32]| -> Result<(), BundleError> {
        if merkle::verify_inclusion(seq, size, &merkle::leaf_hash(h), proof, &root) {
            Ok(())
        } else {
            Err(bad(format!(
                "seq {seq}: the inclusion proof does not lead to the checkpoint's root"
            )))
        }
    };

    // 3. Genesis: the ledger's id (the origin) and its first admin key.
    let (g, gh) = decode_entry(&b.genesis)?;
    prove(0, &gh, &b.genesis.proof)?;
    let Event::LedgerCreated(lc) = &g.event.body.event else {
        return Err(bad("the genesis entry is not LedgerCreated"));
    };
    if g.seq != 0
        || g.event.body.ledger_id != lc.ledger_id
        || g.event.body.author != lc.admin_key
        || g.event.verify_signature().is_err()
        || b.genesis.payload.is_some()
    {
        return Err(bad(
            "the genesis entry is not entry 0 self-signed by its admin key",
        ));
    }
    if origin(&lc.ledger_id) != cp.checkpoint.origin {
        return Err(bad("the checkpoint's origin does not name this ledger"));
    }
    let mut registry: HashMap<PublicKey, KeyRecord> = HashMap::new();
    registry.insert(
        lc.admin_key,
        KeyRecord {
            key: lc.admin_key,
            person: lc.admin_person.clone(),
            role: Role::Admin,
            enrolled_seq: 0,
            revoked_seq: None,
        },
    );

    // 4. The key history: every key event before the checkpoint, folded into the commitment;
    // those carried in full are checked as entries and build the registry.
    let mut commitment = key_history_step(&Hash32::ZERO, 0, &lc.admin_key, &gh);
    // The key-history commitment of the key events before the index checkpoint, if any.
    let index_at = b.index_checkpoint.as_ref().map(|e| e.seq);
    let mut commitment_at_index = None;
    let mut withheld: BTreeMap<PublicKey, u64> = BTreeMap::new();
    let mut key_event_authors: Vec<(u64, PublicKey)> = Vec::new();
    let mut last = 0u64;
    let mut in_full = 0usize;
    for k in &b.keys {
        if k.seq <= last || k.seq >= size {
            return Err(bad(format!(
                "key history: seq {} is out of order or not before the checkpoint",
                k.seq
            )));
        }
        last = k.seq;
        if index_at.is_some_and(|at| k.seq >= at) && commitment_at_index.is_none() {
            commitment_at_index = Some(commitment);
        }
        commitment = key_history_step(&commitment, k.seq, &k.key, &k.entry_hash);
        let Some(hex_text) = &k.entry else {
            if !k.proof.is_empty() {
                return Err(bad(format!(
                    "key history: seq {}: a proof without its entry",
                    k.seq
                )));
            }
            withheld.entry(k.key).or_insert(k.seq);
            continue;
        };
        in_full += 1;
        let n = k.seq;
        let (entry, h) = decode_hex_entry(n, hex_text)?;
        if h != k.entry_hash || entry.event.body.event.key_event_key() != Some(k.key) {
            return Err(bad(format!(
                "key history: seq {n}: the entry does not have the hash and key listed with it"
            )));
        }
        // In the signed log itself, not only in the commitment the checkpoint's signer made.
        prove(n, &h, &k.proof).map_err(|e| bad(format!("key history: {e}")))?;
        let body = &entry.event.body;
        check_author(
            &entry,
            &registry,
            &lc.ledger_id,
            &format!("key history: seq {n}"),
        )?;
        key_event_authors.push((n, body.author));
        match &body.event {
            Event::KeyEnrolled(e) => {
                if registry.contains_key(&e.key) {
                    return Err(bad(format!(
                        "key history: seq {n}: enrols key {} which is already enrolled",
                        e.key.short()
                    )));
                }
                registry.insert(
                    e.key,
                    KeyRecord {
                        key: e.key,
                        person: e.person.clone(),
                        role: e.role,
                        enrolled_seq: n,
                        revoked_seq: None,
                    },
                );
            }
            Event::KeyRevoked(e) => match registry.get_mut(&e.key) {
                Some(r) if r.revoked_seq.is_none() && r.person == e.person => {
                    r.revoked_seq = Some(n)
                }
                _ => {
                    return Err(bad(format!(
                        "key history: seq {n}: revokes key {} which is not enrolled to that person and unrevoked",
                        e.key.short()
                    )));
                }
            },
            other => {
                return Err(bad(format!(
                    "key history: seq {n}: {} is not a key event",
                    other.type_name()
                )));
            }
        }
    }
    let commitment_at_index = commitment_at_index.unwrap_or(commitment);
    // A key the bundle uses must have every one of its events in full.
    let needs = |key: &PublicKey, what: &str| -> Result<(), BundleError> {
        match withheld.get(key) {
            Some(seq) => Err(bad(format!(
                "{what} key {} has a key event (seq {seq}) withheld from the key history: its role or revocation cannot be checked",
                key.short()
            ))),
            None => Ok(()),
        }
    };

    for (n, author) in &key_event_authors {
        needs(author, &format!("key history: seq {n}: the author"))?;
    }

    // 5. The checkpoint's signer (pinned, or entitled by the key history) and the signed
    // CheckpointRecorded entry, whose commitment the key history must give.
    let history: Vec<KeyRecord> = registry.values().cloned().collect();
    let entitled = "any key the bundle's key history entitles to sign it (an admin or ig_officer key enrolled before the checkpoint and not revoked by then)";
    let trusted_cosignatures: Vec<NoteSignature> = match &trust {
        Trust::Checkpoint(t) => t
            .signatures
            .iter()
            .filter(|s| Cosignature::from_note_signature(s).is_some())
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let checkpoint_key = match trust {
        Trust::Key(k) => cp
            .verify(k)
            .then_some(*k)
            .ok_or_else(|| bad("the checkpoint is not signed by the trusted key"))?,
        Trust::Checkpoint(t) => checkpoint_signer(&history, t).ok_or_else(|| {
            bad(format!(
                "the trusted checkpoint is not signed by {entitled}"
            ))
        })?,
        Trust::BundleOnly => checkpoint_signer(&history, &cp)
            .ok_or_else(|| bad(format!("the checkpoint is not signed by {entitled}")))?,
    };
    needs(&checkpoint_key, "the checkpoint's")?;
    let ce: SignedEvent = hex::decode(&b.checkpoint_event)
        .ok()
        .and_then(|bytes| codec::decode(&bytes).ok())
        .ok_or_else(|| bad("checkpoint event: not a canonical signed event in hex"))?;
    let Event::CheckpointRecorded(c) = &ce.body.event else {
        return Err(bad(
            "checkpoint event: it is not a CheckpointRecorded event",
        ));
    };
    let checkpoint_time = c.time;
    let recorded = Checkpoint {
        origin: cp.checkpoint.origin.clone(),
        size: c.tree_size,
        root: c.root,
    };
    if ce.body.author != checkpoint_key
        || ce.body.ledger_id != lc.ledger_id
        || ce.body.validate().is_err()
        || ce.verify_signature().is_err()
        || recorded != cp.checkpoint
        || !SignedCheckpoint::new(recorded, c.note_signature.0, &checkpoint_key)
            .verify(&checkpoint_key)
    {
        return Err(bad(
            "checkpoint event: it is not the checkpoint's own CheckpointRecorded event, signed by the checkpoint's signer",
        ));
    }
    let mut cosigned = cp.clone();
    merge_signatures(
        &mut cosigned,
        c.cosignatures.iter().map(Cosignature::to_note_signature),
    );
    merge_signatures(&mut cosigned, trusted_cosignatures);
    if c.key_history != commitment {
        return Err(bad(format!(
            "the key history is incomplete or altered: it gives the commitment {commitment}, but the signed checkpoint entry commits to {} (a key event was left out, added or changed)",
            c.key_history
        )));
    }

    // 6. The listed entries and the erasures: proved, signed by a key entitled at that point.
    let check = |be: &BundleEntry| -> Result<(Entry, Hash32, bool), BundleError> {
        let (mut entry, h) = decode_entry(be)?;
        let n = entry.seq;
        prove(n, &h, &be.proof)?;
        if n == 0 {
            // Entry 0 is the genesis, checked above; listed again, it must be that very entry.
            if h != gh || be.payload.is_some() {
                return Err(bad("seq 0: not the bundle's genesis entry"));
            }
            return Ok((entry, h, false));
        }
        needs(&entry.event.body.author, &format!("seq {n}: the author"))?;
        check_author(&entry, &registry, &lc.ledger_id, &format!("seq {n}"))?;
        let opened = match &be.payload {
            Some(p) => {
                let bytes =
                    hex::decode(p).map_err(|_| bad(format!("seq {n}: payload is not hex")))?;
                let payload: Payload =
                    codec::decode(&bytes).map_err(|e| bad(format!("seq {n}: payload: {e}")))?;
                entry
                    .event
                    .open(&payload)
                    .map_err(|e| bad(format!("seq {n}: {e}")))?;
                true
            }
            None => false,
        };
        Ok((entry, h, opened))
    };
    if b.entries.windows(2).any(|w| w[0].seq >= w[1].seq) {
        return Err(bad("the entries are not in strictly increasing seq order"));
    }
    let mut verified = Vec::with_capacity(b.entries.len());
    let mut with_pd = 0;
    for be in &b.entries {
        if be.seq >= size {
            return Err(bad(format!(
                "seq {}: not covered by the checkpoint",
                be.seq
            )));
        }
        let v = check(be)?;
        with_pd += usize::from(v.2);
        verified.push(v);
    }
    let mut erasers: BTreeMap<u64, (Entry, Hash32)> = BTreeMap::new();
    let mut last = None;
    for be in &b.erasures {
        if last.is_some_and(|l| l >= be.seq) || b.entries.iter().any(|e| e.seq == be.seq) {
            return Err(bad(
                "the erasures are not in strictly increasing seq order, or repeat a listed entry",
            ));
        }
        last = Some(be.seq);
        let (entry, h, _) = check(be)?;
        if !matches!(entry.event.body.event, Event::Redacted(_)) || be.payload.is_some() {
            return Err(bad(format!(
                "erasures: seq {} is not a Redacted entry",
                be.seq
            )));
        }
        erasers.insert(be.seq, (entry, h));
    }
    // Every Redacted entry carried (listed or as an erasure), by the seq it erased.
    let mut erased_by: BTreeMap<u64, u64> = BTreeMap::new();
    for (e, _, _) in verified.iter() {
        if let Event::Redacted(r) = &e.event.body.event {
            erased_by.insert(r.seq, e.seq);
        }
    }
    for (seq, (e, _)) in &erasers {
        if let Event::Redacted(r) = &e.event.body.event {
            erased_by.insert(r.seq, *seq);
        }
    }

    // 7. The claim.
    let mut erased = 0;
    match &b.claim {
        Claim::Range { from, to } => {
            let want = to.checked_sub(*from).and_then(|d| d.checked_add(1));
            let got: Vec<u64> = b.entries.iter().map(|e| e.seq).collect();
            if want != Some(got.len() as u64)
                || got.first() != Some(from)
                || got.last() != Some(to)
                || !b.hash_only.is_empty()
            {
                return Err(bad(format!(
                    "the bundle claims every entry from seq {from} to seq {to} but holds {} entries{}: an entry was left out",
                    got.len(),
                    if b.hash_only.is_empty() {
                        ""
                    } else {
                        " (and some by hash only)"
                    }
                )));
            }
            for w in verified.windows(2) {
                if w[1].0.prev_hash != w[0].1 {
                    return Err(bad(format!(
                        "seq {}: its prev_hash is not the hash of seq {}",
                        w[1].0.seq, w[0].0.seq
                    )));
                }
            }
        }
        Claim::Subject { subjects } => {
            let wanted: Vec<Named> = subjects
                .iter()
                .map(|s| Named::parse(s).map_err(|e| bad(format!("claim: {e}"))))
                .collect::<Result<_, _>>()?;
            if wanted.is_empty() || !b.hash_only.is_empty() {
                return Err(bad(
                    "a subject claim names subjects and lists entries in full",
                ));
            }
            for (e, _, _) in &verified {
                let person = registry.get(&e.event.body.author).map(|k| &k.person);
                if !wanted.iter().any(|w| w.is_named_by(e, person)) {
                    return Err(bad(format!(
                        "seq {}: the bundle claims entries about {} but this one is about none of them",
                        e.seq,
                        subjects.join(" or ")
                    )));
                }
            }
        }
        Claim::Selection => {}
    }
    if !matches!(b.claim, Claim::Selection) {
        // An auditor's bundle carries personal data: one carried without it must have been
        // erased, by a Redacted entry the bundle carries and that names this entry's hash.
        for (e, h, opened) in &verified {
            if !e.event.has_pii() || *opened {
                continue;
            }
            let by = erased_by.get(&e.seq).ok_or_else(|| {
                bad(format!(
                    "seq {}: its personal data is missing and the bundle carries no Redacted entry that erased it",
                    e.seq
                ))
            })?;
            let names_it = verified
                .iter()
                .map(|(x, _, _)| x)
                .chain(erasers.values().map(|(x, _)| x))
                .any(|x| {
                    x.seq == *by
                        && matches!(&x.event.body.event, Event::Redacted(r) if r.entry_hash == *h)
                });
            if !names_it {
                return Err(bad(format!(
                    "seq {}: the Redacted entry at seq {by} does not name this entry's hash",
                    e.seq
                )));
            }
            erased += 1;
        }
    }

    // 8. The seals (range bundles): each of a batch wholly inside the range, signed by a key
    // entitled to append, naming this ledger and the hash of the batch's last entry.
    let mut last_sealed: Option<u64> = None;
    for hex_text in &b.seals {
        let Claim::Range { from, to } = &b.claim else {
            return Err(bad("only a range bundle carries seals"));
        };
        let seal: igl_schema::Seal = hex::decode(hex_text)
            .ok()
            .and_then(|bytes| codec::decode(&bytes).ok())
            .ok_or_else(|| bad("seals: a seal is not a canonical seal in hex"))?;
        let s = &seal.body;
        let where_ = format!("seal of entries {}..={}", s.first_seq, s.last_seq);
        if s.first_seq < *from
            || s.last_seq > *to
            || s.first_seq > s.last_seq
            || last_sealed.is_some_and(|l| s.first_seq <= l)
        {
            return Err(bad(format!(
                "{where_}: not a batch inside the range, after the previous seal"
            )));
        }
        last_sealed = Some(s.last_seq);
        if s.ledger_id != lc.ledger_id {
            return Err(bad(format!("{where_}: it names another ledger")));
        }
        let (last, last_hash, _) = &verified[(s.last_seq - from) as usize];
        if s.head_hash != *last_hash || s.sealed_at < last.recorded_at {
            return Err(bad(format!(
                "{where_}: it does not seal the bundle's entry {} (hash or time differs)",
                s.last_seq
            )));
        }
        needs(&s.appender, &format!("{where_}: the appender"))?;
        // Enrolled by the end of the batch and not revoked within it (a revocation in a later
        // batch does not undo a seal made before it).
        let ok = registry.get(&s.appender).is_some_and(|k| {
            k.enrolled_seq <= s.last_seq
                && k.active_at(s.last_seq)
                && crate::rules::APPENDER_ROLES.contains(&k.role)
        });
        if !ok || !seal.verify_signature() {
            return Err(bad(format!(
                "{where_}: not signed by a key entitled to append at that point"
            )));
        }
    }

    // 9. The entries proved by hash only.
    let mut hash_only = BTreeMap::new();
    let mut last = None;
    for ho in &b.hash_only {
        if last.is_some_and(|l| l >= ho.seq) {
            return Err(bad(
                "the hash-only entries are not in strictly increasing seq order",
            ));
        }
        last = Some(ho.seq);
        if b.entries.iter().any(|e| e.seq == ho.seq) {
            return Err(bad(format!(
                "seq {}: listed both in full and by hash only",
                ho.seq
            )));
        }
        prove(ho.seq, &ho.entry_hash, &ho.proof).map_err(|_| {
            bad(format!(
                "seq {}: the inclusion proof of the hash-only entry does not lead to the checkpoint's root",
                ho.seq
            ))
        })?;
        hash_only.insert(ho.seq, ho.entry_hash);
    }

    // 10. The index checkpoint, the `CheckpointRecorded` entry just before the checkpoint's own,
    // inside the signed tree (so its commitments are the log's, not ones signed beside it); the
    // key history up to it; every judged entry before it; each subject list proved complete
    // against its subject map, and consistent with every entry carried in full.
    let (index_size, map) = match &b.index_checkpoint {
        Some(ie) => {
            let (entry, h) = decode_entry(ie)?;
            let at = entry.seq;
            let what = |m: &str| bad(format!("index checkpoint (seq {at}): {m}"));
            if at == 0 || at + 1 != size || ie.payload.is_some() {
                return Err(what(
                    "not the entry just before the checkpoint's own (a bundle is proved against a checkpoint signed right after another)",
                ));
            }
            prove(at, &h, &ie.proof).map_err(|e| what(&e.0))?;
            needs(
                &entry.event.body.author,
                &format!("index checkpoint (seq {at}): the author"),
            )?;
            check_author(
                &entry,
                &registry,
                &lc.ledger_id,
                &format!("index checkpoint (seq {at})"),
            )?;
            let Event::CheckpointRecorded(ic) = &entry.event.body.event else {
                return Err(what("not a CheckpointRecorded entry"));
            };
            if ic.tree_size != at {
                return Err(what("it does not checkpoint the entries before it"));
            }
            // Its key history must be the bundle's, up to it: the key events before it are all
            // accounted for, by the log's own commitment.
            if ic.key_history != commitment_at_index {
                return Err(what(
                    "the bundle's key history up to it does not give the key-history commitment it records (a key event was left out, added or changed)",
                ));
            }
            (at, (ic.subject_map_size, ic.subject_map_root))
        }
        None => {
            return Err(bad(
                "the bundle carries no index checkpoint (the checkpoint entry just before its checkpoint's own, which binds its key history to the signed tree)",
            ));
        }
    };
    // Every entry judged (its author's key, as the key history stood then) lies before it: the
    // key history after the index checkpoint is not bound to the signed tree.
    if let Some(e) = verified
        .iter()
        .map(|(e, _, _)| e)
        .chain(erasers.values().map(|(e, _)| e))
        .find(|e| e.seq >= index_size)
    {
        return Err(bad(format!(
            "seq {}: not before the index checkpoint (seq {index_size}), so its author cannot be judged by a key history bound to the signed tree",
            e.seq
        )));
    }
    // Every entry hash the bundle carries, inclusion-proved (one seq with two hashes is refused).
    let mut carried: BTreeMap<u64, Hash32> = BTreeMap::new();
    let proved_hashes = std::iter::once((0, gh))
        .chain(hash_only.iter().map(|(s, h)| (*s, *h)))
        .chain(verified.iter().map(|(e, h, _)| (e.seq, *h)))
        .chain(erasers.values().map(|(e, h)| (e.seq, *h)));
    for (seq, h) in proved_hashes {
        if carried.insert(seq, h).is_some_and(|old| old != h) {
            return Err(bad(format!(
                "seq {seq} is carried with two different hashes"
            )));
        }
    }
    // Key events carried by seq, key and hash only are covered by the key-history commitment.
    for k in &b.keys {
        if carried
            .insert(k.seq, k.entry_hash)
            .is_some_and(|old| old != k.entry_hash)
        {
            return Err(bad(format!(
                "seq {}: the key history gives another hash than the entry carried",
                k.seq
            )));
        }
    }
    let mut complete = Vec::with_capacity(b.subject_index.len());
    for p in &b.subject_index {
        let done = crate::subject_map::check(p, &lc.ledger_id, index_size, map, |seq| {
            carried.get(&seq).copied()
        })
        .map_err(bad)?;
        if complete
            .iter()
            .any(|c: &Complete| c.subject == done.subject)
        {
            return Err(bad(format!(
                "subject index: {} is proved twice",
                done.subject
            )));
        }
        let listed: BTreeSet<u64> = done.seqs.iter().copied().collect();
        // An entry carried in full is in the list exactly when it is about the subject.
        let full = std::iter::once(&g)
            .chain(verified.iter().map(|(e, _, _)| e))
            .chain(erasers.values().map(|(e, _)| e));
        for e in full.filter(|e| e.seq < index_size) {
            let person = registry.get(&e.event.body.author).map(|k| &k.person);
            if done.subject.is_named_by(e, person) != listed.contains(&e.seq) {
                return Err(bad(format!(
                    "subject index of {}: seq {} is {} the subject but {} its list",
                    done.subject,
                    e.seq,
                    if listed.contains(&e.seq) {
                        "not about"
                    } else {
                        "about"
                    },
                    if listed.contains(&e.seq) {
                        "is in"
                    } else {
                        "not in"
                    }
                )));
            }
        }
        // A key's list is its key events, which the key history carries every one of.
        if let Named::Key(key) = &done.subject {
            let events: BTreeSet<u64> = std::iter::once((0, lc.admin_key))
                .chain(b.keys.iter().map(|k| (k.seq, k.key)))
                .filter(|(s, k)| k == key && *s < index_size)
                .map(|(s, _)| s)
                .collect();
            if events != listed {
                return Err(bad(format!(
                    "subject index of {}: the list is not the key's events in the key history",
                    done.subject
                )));
            }
        }
        complete.push(done);
    }
    if let Claim::Subject { subjects } = &b.claim {
        // Each subject proved, in the claim's order, and the entries are exactly their lists.
        let proved: Vec<String> = complete.iter().map(|c| c.subject.to_string()).collect();
        if proved != *subjects {
            return Err(bad(format!(
                "the bundle claims every entry about {} but proves the lists of {}",
                subjects.join(" or "),
                if proved.is_empty() {
                    "none".to_string()
                } else {
                    proved.join(" and ")
                }
            )));
        }
        let want: BTreeSet<u64> = complete
            .iter()
            .flat_map(|c| c.seqs.iter().copied())
            .collect();
        let got: BTreeSet<u64> = verified.iter().map(|(e, _, _)| e.seq).collect();
        if let Some(missing) = want.difference(&got).next() {
            return Err(bad(format!(
                "seq {missing} is about {} but the bundle does not carry it: an entry was left out",
                subjects.join(" or ")
            )));
        }
        // A subject claim is the lists up to the index checkpoint, and nothing else.
        if let Some(extra) = got.difference(&want).next() {
            return Err(bad(format!(
                "seq {extra}: a subject claim carries the entries about its subjects before its index checkpoint (seq {index_size}), and this one is not among them"
            )));
        }
    }

    Ok(Verified {
        report: BundleReport {
            origin: cp.checkpoint.origin.clone(),
            tree_size: size,
            root,
            time: Some(checkpoint_time),
            checkpoint_key,
            checkpoint: cosigned,
            claim: b.claim.clone(),
            entries: b.entries.len(),
            key_events: b.keys.len(),
            key_events_in_full: in_full,
            with_personal_data: with_pd,
            erased,
            hash_only: hash_only.len(),
            seals: b.seals.len(),
            complete,
            complete_up_to: (!b.subject_index.is_empty()).then_some(index_size),
        },
        entries: verified,
        hash_only,
        keys: registry,
    })
}
