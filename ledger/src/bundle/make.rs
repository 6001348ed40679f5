//! Making bundles from a ledger: the auditor's ([`make`]) and the selective one ([`make_selective`]).

use super::*;

pub(super) fn bundle_entry(
    ledger: &Ledger,
    seq: u64,
    size: u64,
    with_payload: bool,
) -> Result<BundleEntry> {
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

pub(super) fn stored_payload(ledger: &Ledger, seq: u64) -> Result<Option<String>> {
    Ok(ledger
        .get(crate::store::cf::PAYLOADS, &crate::store::seq_key(seq))?
        .map(hex::encode))
}

/// Adds to `cp` each signature of `more` it does not carry yet (cosignatures found elsewhere:
/// a `CheckpointRecorded` entry, a checkpoint the verifier holds).
pub(super) fn merge_signatures(
    cp: &mut SignedCheckpoint,
    more: impl IntoIterator<Item = NoteSignature>,
) {
    for s in more {
        if !cp.signatures.contains(&s) {
            cp.signatures.push(s);
        }
    }
}

/// Checks `cp` is a checkpoint of this ledger covering `seqs`, and returns the signed event of
/// the `CheckpointRecorded` entry that recorded it (canonical bytes, hex) and the checkpoint
/// note with the witnesses' cosignatures that entry records added (when `cp` lacks them).
pub(super) fn check_checkpoint(
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
pub(super) fn key_events(
    ledger: &Ledger,
    size: u64,
) -> Result<Vec<(u64, PublicKey, Hash32, PublicKey)>> {
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

pub(super) fn key_event(
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
pub(super) fn before_index(seqs: &[u64], at: u64, size: u64) -> Result<()> {
    match seqs.iter().find(|s| **s >= at) {
        Some(s) => Err(LedgerError::NeedsCheckpoint(format!(
            "seq {s} is not before checkpoint {at}, the one just before the checkpoint of {size} entries: a bundle proves its entries' authors against the key history up to that one; sign another checkpoint and try again"
        ))),
        None => Ok(()),
    }
}

/// The `index_checkpoint` entry (at seq `at`, proved against the tree of `size`) and the proofs
/// that the lists of `subjects` before `at` are complete, against its subject map.
pub(super) fn subject_proofs(
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
pub(super) fn seals_within(ledger: &Ledger, from: u64, to: u64) -> Result<Vec<String>> {
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
