//! Offline audit bundles: entries, their inclusion proofs, the signed checkpoint they are proved
//! against, and the key history needed to check every signature — verifiable with no ledger.
//!
//! A bundle is canonical JSON (`serde_json` pretty form plus a newline): [`verify`] re-serialises
//! what it parsed and refuses a file that differs in any byte.
//!
//! [`make`] writes an auditor's bundle: the selected entries in full with their personal data,
//! and every key event before the checkpoint. [`make_selective`] writes a bundle that discloses
//! less (for a subject access pack, `sar::write_pack`): chosen entries in full, with or without
//! their personal data, others by hash only (`hash_only`: the entry's hash and its inclusion
//! proof, not its bytes), and only the key events needed to check the full entries' signatures
//! and the checkpoint's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use igl_schema::note::{SignedCheckpoint, origin};
use igl_schema::{Entry, Event, Hash32, Payload, PublicKey, Role, codec, entry_hash};
use serde::{Deserialize, Serialize};

use crate::merkle;
use crate::rules::KeyRecord;
use crate::store::{Ledger, PayloadState};
use crate::transparency::checkpoint_signer;
use crate::{LedgerError, Result};

/// The bundle format this build writes and reads.
pub const BUNDLE_FORMAT: &str = "igledger-bundle/v1";

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

/// A self-contained, offline-verifiable extract of a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    /// The signed checkpoint every proof is against (C2SP signed note text).
    pub checkpoint: String,
    /// Entry 0 (names the ledger and its first admin key).
    pub genesis: BundleEntry,
    /// Every KeyEnrolled / KeyRevoked entry before the checkpoint, in seq order.
    pub keys: Vec<BundleEntry>,
    /// The selected entries, in seq order.
    pub entries: Vec<BundleEntry>,
    /// Entries proved by hash only, in seq order (absent from the file when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hash_only: Vec<HashOnlyEntry>,
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
    /// The key that signed the checkpoint.
    pub checkpoint_key: PublicKey,
    pub entries: usize,
    pub key_events: usize,
    /// Entries whose personal data was included and matched its commitments.
    pub with_personal_data: usize,
    /// Entries proved by hash only.
    pub hash_only: usize,
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
    /// Every key the bundle's key history enrols (with its revocation, if any).
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

fn check_checkpoint(ledger: &Ledger, cp: &SignedCheckpoint, seqs: &[u64]) -> Result<()> {
    let size = cp.checkpoint.size;
    if ledger.merkle_root(size)? != cp.checkpoint.root {
        return Err(LedgerError::Proof(format!(
            "this ledger's first {size} entries do not have the checkpoint's root: it is not a checkpoint of this ledger"
        )));
    }
    if let Some(s) = seqs.iter().find(|s| **s >= size) {
        return Err(LedgerError::Proof(format!(
            "seq {s} is not covered by the checkpoint of {size} entries; sign a newer checkpoint with `igl checkpoint`"
        )));
    }
    Ok(())
}

/// Builds a bundle of entries `seqs` (sorted, each before the checkpoint) proved against `cp`,
/// which must be a checkpoint of this ledger.
pub fn make(ledger: &Ledger, cp: &SignedCheckpoint, seqs: &[u64]) -> Result<Bundle> {
    check_checkpoint(ledger, cp, seqs)?;
    let size = cp.checkpoint.size;
    let mut keys = Vec::new();
    for item in ledger.entries(1) {
        let e = item?;
        if e.entry.seq >= size {
            break;
        }
        if matches!(
            e.entry.event.body.event,
            Event::KeyEnrolled(_) | Event::KeyRevoked(_)
        ) {
            keys.push(bundle_entry(ledger, e.entry.seq, size, false)?);
        }
    }
    Ok(Bundle {
        format: BUNDLE_FORMAT.into(),
        checkpoint: cp.to_text(),
        genesis: bundle_entry(ledger, 0, size, false)?,
        keys,
        entries: seqs
            .iter()
            .map(|s| bundle_entry(ledger, *s, size, true))
            .collect::<Result<_>>()?,
        hash_only: Vec::new(),
    })
}

/// Builds a bundle that discloses only what is chosen: `full` entries as (seq, with personal
/// data), `hash_only` entries by their hash and proof alone, and a key history cut down to what
/// checking the full entries and the checkpoint needs: the enrolment of each full entry's
/// author key and of the key that signed the checkpoint, the enrolments of the admin keys that
/// enrolled those (and so on back to the genesis key), and any revocation of them before the
/// checkpoint. Both lists sorted by seq, disjoint, each before the checkpoint.
pub fn make_selective(
    ledger: &Ledger,
    cp: &SignedCheckpoint,
    full: &[(u64, bool)],
    hash_only: &[u64],
) -> Result<Bundle> {
    let all: Vec<u64> = full
        .iter()
        .map(|(s, _)| *s)
        .chain(hash_only.iter().copied())
        .collect();
    check_checkpoint(ledger, cp, &all)?;
    let size = cp.checkpoint.size;
    let signer = ledger.stored_checkpoint_signer(cp)?.ok_or_else(|| {
        LedgerError::Proof(
            "the checkpoint is not signed by any enrolled admin or ig_officer key of this ledger"
                .into(),
        )
    })?;
    let mut entries = Vec::with_capacity(full.len());
    let mut wanted: Vec<PublicKey> = vec![signer];
    for (seq, with_payload) in full {
        let be = bundle_entry(ledger, *seq, size, *with_payload)?;
        let stored = ledger
            .entry(*seq)?
            .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {seq}")))?;
        wanted.push(stored.entry.event.body.author);
        entries.push(be);
    }
    // The closure of "enrolled by": each needed key's enrolment (and revocation) entries, whose
    // authors are needed in turn. The genesis admin key is enrolled by entry 0.
    let mut seen: BTreeSet<PublicKey> = BTreeSet::new();
    let mut key_seqs: BTreeSet<u64> = BTreeSet::new();
    while let Some(k) = wanted.pop() {
        if !seen.insert(k) {
            continue;
        }
        let Some(rec) = ledger.key(&k)? else {
            return Err(LedgerError::Proof(format!(
                "key {} is not enrolled in this ledger",
                k.short()
            )));
        };
        for seq in std::iter::once(rec.enrolled_seq).chain(rec.revoked_seq) {
            if seq == 0 || seq >= size || !key_seqs.insert(seq) {
                continue;
            }
            let e = ledger
                .entry(seq)?
                .ok_or_else(|| LedgerError::Proof(format!("no entry at seq {seq}")))?;
            wanted.push(e.entry.event.body.author);
        }
    }
    Ok(Bundle {
        format: BUNDLE_FORMAT.into(),
        checkpoint: cp.to_text(),
        genesis: bundle_entry(ledger, 0, size, false)?,
        keys: key_seqs
            .iter()
            .map(|s| bundle_entry(ledger, *s, size, false))
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

fn decode_entry(be: &BundleEntry) -> Result<(Entry, Hash32), BundleError> {
    let bytes =
        hex::decode(&be.entry).map_err(|_| bad(format!("seq {}: entry is not hex", be.seq)))?;
    let entry: Entry = codec::decode(&bytes).map_err(|e| bad(format!("seq {}: {e}", be.seq)))?;
    if entry.seq != be.seq {
        return Err(bad(format!(
            "seq {}: the entry says seq {}",
            be.seq, entry.seq
        )));
    }
    Ok((entry, entry_hash(&bytes)))
}

/// Verifies a bundle's text with no ledger.
pub fn verify(text: &str, trust: Trust<'_>) -> Result<BundleReport, BundleError> {
    verify_detailed(text, trust).map(|v| v.report)
}

/// Verifies a bundle's text with no ledger, returning what it holds.
pub fn verify_detailed(text: &str, trust: Trust<'_>) -> Result<Verified, BundleError> {
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
    let cp = SignedCheckpoint::parse(&b.checkpoint).map_err(|e| bad(e.to_string()))?;
    let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
    if let Trust::Checkpoint(t) = &trust
        && t.checkpoint.body() != cp.checkpoint.body()
        && (t.checkpoint.origin != cp.checkpoint.origin
            || t.checkpoint.size != size
            || t.checkpoint.root != root)
    {
        return Err(bad(format!(
            "the bundle is proved against a checkpoint of {size} entries (root {root}), not the trusted one ({} entries, root {})",
            t.checkpoint.size, t.checkpoint.root
        )));
    }

    let prove = |be: &BundleEntry, h: &Hash32| -> Result<(), BundleError> {
        if merkle::verify_inclusion(be.seq, size, &merkle::leaf_hash(h), &be.proof, &root) {
            Ok(())
        } else {
            Err(bad(format!(
                "seq {}: the inclusion proof does not lead to the checkpoint's root",
                be.seq
            )))
        }
    };

    // Genesis: the ledger's id (the origin) and its first admin key.
    let (g, gh) = decode_entry(&b.genesis)?;
    prove(&b.genesis, &gh)?;
    let Event::LedgerCreated(lc) = &g.event.body.event else {
        return Err(bad("the genesis entry is not LedgerCreated"));
    };
    if g.seq != 0 || g.event.body.author != lc.admin_key || g.event.verify_signature().is_err() {
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

    // Key history and selected entries, merged in seq order.
    let mut all: Vec<(&BundleEntry, bool)> = b.keys.iter().map(|k| (k, true)).collect();
    all.extend(b.entries.iter().map(|e| (e, false)));
    all.sort_by_key(|(e, is_key)| (e.seq, !*is_key));
    let mut last_key_seq = 0;
    let mut with_pd = 0;
    let mut verified = Vec::with_capacity(b.entries.len());
    if b.entries.windows(2).any(|w| w[0].seq >= w[1].seq) {
        return Err(bad("the entries are not in strictly increasing seq order"));
    }
    for (be, is_key) in &all {
        let (mut entry, h) = decode_entry(be)?;
        prove(be, &h)?;
        let n = entry.seq;
        let body = &entry.event.body;
        if n == 0 {
            // Entry 0 is the genesis, checked above by its own rule (self-signed by the admin
            // key it names); listed again, it must be that very entry.
            if *is_key || h != gh || be.payload.is_some() {
                return Err(bad("seq 0: not the bundle's genesis entry"));
            }
            verified.push((entry, h, false));
            continue;
        }
        let author = registry
            .get(&body.author)
            .filter(|k| k.active_at(n))
            .ok_or_else(|| {
                bad(format!(
                    "seq {n}: the author key {} is not enrolled (and unrevoked) at that point",
                    body.author.short()
                ))
            })?;
        if !body.event.allowed_roles().contains(&author.role) {
            return Err(bad(format!(
                "seq {n}: a {} key may not write {}",
                author.role,
                body.event.type_name()
            )));
        }
        entry
            .event
            .verify_signature()
            .map_err(|e| bad(format!("seq {n}: {e}")))?;
        if *is_key {
            if n <= last_key_seq {
                return Err(bad("the key history is not in seq order"));
            }
            last_key_seq = n;
            match &body.event {
                Event::KeyEnrolled(k) => {
                    registry.insert(
                        k.key,
                        KeyRecord {
                            key: k.key,
                            person: k.person.clone(),
                            role: k.role,
                            enrolled_seq: n,
                            revoked_seq: None,
                        },
                    );
                }
                Event::KeyRevoked(k) => {
                    if let Some(r) = registry.get_mut(&k.key) {
                        r.revoked_seq = Some(n);
                    }
                }
                other => {
                    return Err(bad(format!(
                        "seq {n}: {} in the key history",
                        other.type_name()
                    )));
                }
            }
        } else {
            let opened = if let Some(p) = &be.payload {
                let bytes =
                    hex::decode(p).map_err(|_| bad(format!("seq {n}: payload is not hex")))?;
                let payload: Payload =
                    codec::decode(&bytes).map_err(|e| bad(format!("seq {n}: payload: {e}")))?;
                entry
                    .event
                    .open(&payload)
                    .map_err(|e| bad(format!("seq {n}: {e}")))?;
                with_pd += 1;
                true
            } else {
                false
            };
            verified.push((entry, h, opened));
        }
    }

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
        if !merkle::verify_inclusion(
            ho.seq,
            size,
            &merkle::leaf_hash(&ho.entry_hash),
            &ho.proof,
            &root,
        ) {
            return Err(bad(format!(
                "seq {}: the inclusion proof of the hash-only entry does not lead to the checkpoint's root",
                ho.seq
            )));
        }
        hash_only.insert(ho.seq, ho.entry_hash);
    }

    // Without a pinned key, the checkpoint's signer must be a key the bundle's own (verified)
    // key history entitles to sign it: admin or ig_officer, enrolled before the checkpoint
    // entry and not revoked by then.
    let history: Vec<KeyRecord> = registry.values().cloned().collect();
    let entitled = "any key the bundle's key history entitles to sign it (an admin or ig_officer key enrolled before the checkpoint and not revoked by then)";
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
    Ok(Verified {
        report: BundleReport {
            origin: cp.checkpoint.origin.clone(),
            tree_size: size,
            root,
            checkpoint_key,
            entries: b.entries.len(),
            key_events: b.keys.len(),
            with_personal_data: with_pd,
            hash_only: hash_only.len(),
        },
        entries: verified,
        hash_only,
        keys: registry,
    })
}
