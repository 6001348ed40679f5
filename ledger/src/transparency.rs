//! Checkpoints, proofs, and checking the ledger against a checkpoint kept elsewhere.

use igl_schema::note::{Checkpoint, Cosignature, SignedCheckpoint, VerifierKey, origin};
use igl_schema::{
    CheckpointRecorded, Event, EventId, Hash32, PublicKey, Salt, Signature64, SigningKey,
    Submission, Timestamp, public_key,
};

use crate::chain::KeyRecord;
use crate::error::{LedgerError, Result};
use crate::merkle::{self, ProofError};
use crate::store::Ledger;
use crate::verify::VerifyReport;

/// A checkpoint verified and signed but not yet recorded ([`Ledger::prepare_checkpoint`]).
#[derive(Clone, Debug)]
pub struct PreparedCheckpoint {
    /// The signed note (the log's signature only), to send to witnesses.
    pub note: SignedCheckpoint,
    note_signature: [u8; 64],
    key_history: Hash32,
    subject_map: (u64, Hash32),
    signer: PublicKey,
}

/// Roles whose keys may sign checkpoints.
pub const CHECKPOINT_ROLES: &[igl_schema::Role] =
    &[igl_schema::Role::Admin, igl_schema::Role::IgOfficer];

impl Ledger {
    /// The number of entries (the Merkle tree's size).
    pub fn tree_size(&self) -> Result<u64> {
        Ok(self.head()?.map_or(0, |h| h.seq + 1))
    }

    /// The origin line of this ledger's checkpoints.
    pub fn origin(&self) -> Result<String> {
        Ok(origin(&self.ledger_id()?))
    }

    fn check_size(&self, size: u64) -> Result<()> {
        let n = self.tree_size()?;
        if size == 0 || size > n {
            return Err(LedgerError::Proof(format!(
                "tree size {size} is not between 1 and the ledger's {n} entries"
            )));
        }
        Ok(())
    }

    /// The Merkle root of the first `size` entries, from the stored tree.
    pub fn merkle_root(&self, size: u64) -> Result<Hash32> {
        self.check_size(size)?;
        merkle::root(self, size)
    }

    /// The inclusion proof of entry `seq` in the tree of the first `size` entries.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<Hash32>> {
        self.check_size(size)?;
        merkle::inclusion_proof(self, seq, size)?.map_err(proof_err)
    }

    /// The proof that the tree of `old` entries is a prefix of the tree of `new` entries.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash32>> {
        self.check_size(new)?;
        merkle::consistency_proof(self, old, new)?.map_err(proof_err)
    }

    /// Signs a checkpoint of every entry so far with `key` and records it in the ledger (as a
    /// `CheckpointRecorded` entry appended and sealed by `key`). Returns the signed note.
    ///
    /// **Only a verified root is signed.** The whole ledger is verified first (every entry,
    /// seal and stored row, [`Ledger::verify`]); the root signed is the one computed from the
    /// entries, and the stored tree (which proofs are served from) must be that tree. A ledger
    /// that does not verify gets no checkpoint: [`LedgerError::Unverified`]. This reads the
    /// whole ledger, O(n), which a checkpoint (a daily or weekly act) can afford.
    pub fn checkpoint(
        &self,
        key: &SigningKey,
        now: Timestamp,
        event_id: EventId,
    ) -> Result<SignedCheckpoint> {
        self.checkpoint_with_progress(key, now, event_id, &mut |_| {})
    }

    /// [`Ledger::checkpoint`], reporting the verification's progress.
    pub fn checkpoint_with_progress(
        &self,
        key: &SigningKey,
        now: Timestamp,
        event_id: EventId,
        progress: &mut dyn FnMut(u64),
    ) -> Result<SignedCheckpoint> {
        let prepared = self.prepare_checkpoint(key, progress)?;
        self.record_checkpoint(&prepared, key, now, event_id, &[])
    }

    /// The first half of [`Ledger::checkpoint`]: verifies the whole ledger and signs a
    /// checkpoint of every entry with `key` (which the verified entries must entitle to sign
    /// it), writing nothing. Witnesses can then be asked to cosign the note
    /// ([`PreparedCheckpoint::note`]) before [`Ledger::record_checkpoint`] records it.
    pub fn prepare_checkpoint(
        &self,
        key: &SigningKey,
        progress: &mut dyn FnMut(u64),
    ) -> Result<PreparedCheckpoint> {
        let report = self.verify(progress)?;
        if let Some(f) = report.failure {
            return Err(LedgerError::Unverified {
                path: self.path().to_path_buf(),
                seq: f.seq,
                message: f.message,
            });
        }
        let size = report.entries;
        let root = report.root.expect("a verified ledger has entries");
        let signer = public_key(key);
        if let Err(why) = checkpoint_signer_in(&report.key_registry, size, &signer) {
            return Err(LedgerError::Rejected {
                index: 0,
                seq: Some(size),
                event_type: "CheckpointRecorded",
                message: why,
            });
        }
        let cp = Checkpoint {
            origin: self.origin()?,
            size,
            root,
        };
        let note_signature = cp.sign(key);
        Ok(PreparedCheckpoint {
            note: SignedCheckpoint::new(cp, note_signature, &signer),
            note_signature,
            key_history: report.key_history,
            subject_map: report.subject_map,
            signer,
        })
    }

    /// The second half of [`Ledger::checkpoint`]: records a prepared checkpoint as a
    /// `CheckpointRecorded` entry with the witnesses' cosignatures, each given with the witness
    /// key it must verify with (one that does not is refused: the ledger never records a
    /// cosignature nobody checked), appended and sealed by `key`, the key that signed it.
    /// Refused if anything was appended since it was prepared. Returns the note with the
    /// cosignatures.
    pub fn record_checkpoint(
        &self,
        prepared: &PreparedCheckpoint,
        key: &SigningKey,
        now: Timestamp,
        event_id: EventId,
        cosigned: &[(VerifierKey, Cosignature)],
    ) -> Result<SignedCheckpoint> {
        let cp = &prepared.note.checkpoint;
        let size = cp.size;
        let rejected = |message: String| LedgerError::Rejected {
            index: 0,
            seq: Some(size),
            event_type: "CheckpointRecorded",
            message,
        };
        if public_key(key) != prepared.signer {
            return Err(rejected(format!(
                "the checkpoint was signed by {}; it must be recorded with that key",
                prepared.signer.short()
            )));
        }
        if let Some((w, _)) = cosigned.iter().find(|(w, c)| !c.verify(cp, w)) {
            return Err(rejected(format!(
                "the cosignature given for witness {} does not verify with its key on this checkpoint",
                w.name
            )));
        }
        let cosignatures: Vec<Cosignature> = cosigned.iter().map(|(_, c)| c.clone()).collect();
        let now_size = self.tree_size()?;
        if now_size != size {
            return Err(rejected(format!(
                "the ledger has {now_size} entries, not the {size} the checkpoint was signed for: sign a new one"
            )));
        }
        let event = Event::CheckpointRecorded(CheckpointRecorded {
            tree_size: size,
            root: cp.root,
            time: now,
            note_signature: Signature64(prepared.note_signature),
            cosignatures: cosignatures.clone(),
            key_history: prepared.key_history,
            subject_map_size: prepared.subject_map.0,
            subject_map_root: prepared.subject_map.1,
        });
        let ledger_id = self.ledger_id()?;
        let sub = Submission::sign(ledger_id, event, now, event_id, [], key, Salt([0; 32]))
            .map_err(|e| rejected(e.to_string()))?;
        self.append(&[sub], key, now)?;
        Ok(prepared.note.clone().with_cosignatures(&cosignatures))
    }

    /// The most recent recorded checkpoint that carries a valid cosignature by `witness`
    /// (searching back through the `CheckpointRecorded` entries, from the type index): where a
    /// log resumes asking that witness.
    pub fn latest_cosigned_by(&self, witness: &VerifierKey) -> Result<Option<SignedCheckpoint>> {
        for seq in self.type_entries("CheckpointRecorded")?.into_iter().rev() {
            if let Some(cp) = self.recorded_checkpoint(seq)?
                && cp.cosignature_by(witness).is_some()
            {
                return Ok(Some(cp));
            }
        }
        Ok(None)
    }

    /// The checkpoint recorded at entry `seq`, as a signed note.
    pub fn recorded_checkpoint(&self, seq: u64) -> Result<Option<SignedCheckpoint>> {
        let Some(e) = self.entry(seq)? else {
            return Ok(None);
        };
        let Event::CheckpointRecorded(c) = &e.entry.event.body.event else {
            return Ok(None);
        };
        let cp = Checkpoint {
            origin: self.origin()?,
            size: c.tree_size,
            root: c.root,
        };
        Ok(Some(
            SignedCheckpoint::new(cp, c.note_signature.0, &e.entry.event.body.author)
                .with_cosignatures(&c.cosignatures),
        ))
    }

    /// When the checkpoint recorded at entry `seq` was signed (its `CheckpointRecorded` entry's
    /// `time`); `None` when entry `seq` is not a checkpoint.
    pub fn recorded_checkpoint_time(&self, seq: u64) -> Result<Option<Timestamp>> {
        Ok(self
            .entry(seq)?
            .and_then(|e| match &e.entry.event.body.event {
                Event::CheckpointRecorded(c) => Some(c.time),
                _ => None,
            }))
    }

    /// The most recent recorded checkpoint (searching back from the head).
    pub fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        let Some(head) = self.head()? else {
            return Ok(None);
        };
        for seq in (0..=head.seq).rev() {
            if let Some(cp) = self.recorded_checkpoint(seq)? {
                return Ok(Some(cp));
            }
        }
        Ok(None)
    }

    /// The key, among those enrolled as **stored** (derived data, not verified), that may have
    /// signed `cp` by [`checkpoint_signer`]'s rule. For choosing what a bundle carries only: a
    /// trust decision takes the registry from a verification ([`crate::VerifyReport`]) or from
    /// a bundle's verified key history.
    pub fn stored_checkpoint_signer(&self, cp: &SignedCheckpoint) -> Result<Option<PublicKey>> {
        Ok(checkpoint_signer(&self.keys()?, cp))
    }
}

/// Whether `key` may sign a checkpoint of `size` entries (recorded as entry `size`), by the
/// registry `keys` as the entries build it: it is enrolled before that entry
/// (`enrolled_seq < size`), not revoked by then, and holds a checkpoint role (admin or
/// ig_officer). `Err` says why not.
pub fn checkpoint_signer_in(
    keys: &[KeyRecord],
    recorded_at_seq: u64,
    key: &PublicKey,
) -> std::result::Result<(), String> {
    let Some(k) = keys.iter().find(|k| k.key == *key) else {
        return Err(format!(
            "key {} is not enrolled in this ledger",
            key.short()
        ));
    };
    if k.enrolled_seq >= recorded_at_seq {
        return Err(format!(
            "key {} was enrolled after entry {recorded_at_seq}",
            k.describe()
        ));
    }
    if !k.active_at(recorded_at_seq) {
        return Err(format!("key {} is revoked", k.describe()));
    }
    if !CHECKPOINT_ROLES.contains(&k.role) {
        return Err(format!(
            "key {} may not sign checkpoints; checkpoint roles: {}",
            k.describe(),
            crate::chain::role_list(CHECKPOINT_ROLES)
        ));
    }
    Ok(())
}

/// **The trust rule for a checkpoint without a pinned key**: the key in `keys` (a registry as
/// the entries build it) that signed `cp` and was entitled to, by [`checkpoint_signer_in`] with
/// the checkpoint recorded as entry `cp.size`. `None` when no such key signed it: a checkpoint
/// signed by a revoked key, a key of another role, or a key enrolled later does not verify.
pub fn checkpoint_signer(keys: &[KeyRecord], cp: &SignedCheckpoint) -> Option<PublicKey> {
    let size = cp.checkpoint.size;
    keys.iter()
        .filter(|k| checkpoint_signer_in(keys, size, &k.key).is_ok())
        .map(|k| k.key)
        .find(|k| cp.verify(k))
}

fn proof_err(e: ProofError) -> LedgerError {
    LedgerError::Proof(e.to_string())
}

/// Whether `cp` is a checkpoint this ledger recorded, judged from a verification (`report`, from
/// [`Ledger::verify_capturing`] with `cp`'s size, which must have passed): the same origin, the
/// root the entries give at its size, and entry `cp.size` a `CheckpointRecorded` of that root and
/// time authored by `signer`. A witness cosigns only such a checkpoint, so a key that signs a
/// note of a root the ledger never had (a backdated checkpoint by a key since revoked, say) gets
/// no cosignature. `Err` says what is wrong.
pub fn recorded_by(
    ledger: &Ledger,
    report: &VerifyReport,
    cp: &SignedCheckpoint,
    signer: &PublicKey,
) -> Result<std::result::Result<(), String>> {
    let c = &cp.checkpoint;
    let ours = ledger.origin()?;
    if c.origin != ours {
        return Ok(Err(format!(
            "the checkpoint is for another ledger ({}), not this one ({ours})",
            c.origin
        )));
    }
    if report.roots.get(&c.size) != Some(&c.root) || report.entries <= c.size {
        return Ok(Err(format!(
            "the checkpoint of {} entries is not one this ledger recorded: its entries do not give that root, or no CheckpointRecorded follows them",
            c.size
        )));
    }
    let recorded = ledger.entry(c.size)?.is_some_and(|e| {
        e.entry.event.body.author == *signer
            && matches!(&e.entry.event.body.event,
                Event::CheckpointRecorded(r) if r.root == c.root && r.tree_size == c.size)
    });
    if !recorded {
        return Ok(Err(format!(
            "entry {} is not the CheckpointRecorded of this checkpoint by its signer: the checkpoint was not recorded in this ledger",
            c.size
        )));
    }
    Ok(Ok(()))
}

/// How the ledger stands against a checkpoint kept elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Against {
    /// The ledger is the checkpointed one, or extends it.
    Consistent {
        checkpoint_size: u64,
        ledger_size: u64,
        proof: Vec<Hash32>,
    },
    /// Something is wrong; the message says what.
    Inconsistent(String),
}

/// Judges a verified ledger (`report`, from [`Ledger::verify_capturing`] with the checkpoint's
/// size) against a checkpoint whose signature the caller has checked.
pub fn check_against(
    ledger: &Ledger,
    report: &VerifyReport,
    cp: &SignedCheckpoint,
) -> Result<Against> {
    let c = &cp.checkpoint;
    let ours = ledger.origin()?;
    if c.origin != ours {
        return Ok(Against::Inconsistent(format!(
            "the checkpoint is for another ledger ({}), not this one ({ours})",
            c.origin
        )));
    }
    let n = report.entries;
    if n < c.size {
        return Ok(Against::Inconsistent(format!(
            "ROLLBACK: the checkpoint shows {} entries but the ledger now has {n}: entries {n}..={} were removed",
            c.size,
            c.size - 1
        )));
    }
    match report.roots.get(&c.size) {
        Some(r) if *r == c.root => {}
        Some(r) => {
            let what = if n == c.size {
                "same size, another root"
            } else {
                "not an extension"
            };
            return Ok(Against::Inconsistent(format!(
                "FORK: the first {} entries now have Merkle root {r}, but the checkpoint says {} ({what}): history was rewritten",
                c.size, c.root
            )));
        }
        None => {
            return Ok(Against::Inconsistent(format!(
                "the ledger could not be verified up to the checkpoint's {} entries",
                c.size
            )));
        }
    }
    let proof = ledger.consistency_proof(c.size, n)?;
    // The new root as the entries give it, never the stored tree's.
    let Some(new_root) = report.root else {
        return Ok(Against::Inconsistent(
            "the ledger has no verified entries".into(),
        ));
    };
    if !merkle::verify_consistency(c.size, n, &c.root, &new_root, &proof) {
        return Ok(Against::Inconsistent(
            "the consistency proof from the checkpoint to the ledger does not verify".into(),
        ));
    }
    Ok(Against::Consistent {
        checkpoint_size: c.size,
        ledger_size: n,
        proof,
    })
}
