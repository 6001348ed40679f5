//! `igl checkpoint` and `igl prove`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use igl_ledger::transparency::checkpoint_signer;
use igl_ledger::{Ledger, keys, merkle};
use igl_schema::note::{SignedCheckpoint, VerifierKey};
use igl_schema::{EventId, Timestamp};
use serde_json::json;

use super::witness;
use crate::{Outcome, out};

#[derive(Args)]
pub struct CheckpointArgs {
    /// An admin or ig_officer key: signs the checkpoint and records it in the ledger.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// Also write the signed checkpoint to this file (publish it, mail it, print it).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Ask this witness (its verifier key, as `igl witness serve` prints it, and its URL) to
    /// cosign the checkpoint over HTTP (C2SP tlog-witness) before it is recorded; the
    /// cosignatures are recorded with it. Repeatable.
    #[arg(long = "witness", num_args = 2, value_names = ["VKEY", "URL"], action = clap::ArgAction::Append)]
    witnesses: Vec<String>,
    /// How many witnesses must cosign for the checkpoint to be recorded (default: all of
    /// them). With fewer, nothing is recorded and the command exits 1.
    #[arg(long, value_name = "N", requires = "witnesses")]
    quorum: Option<usize>,
}

/// One witness's part in `igl checkpoint --witness`, for the output.
struct Asked {
    name: String,
    vkey: String,
    url: String,
    result: witness::Asked,
}

pub fn run_checkpoint(a: CheckpointArgs, dir: PathBuf) -> Result<Outcome> {
    let targets = witness::parse_targets(&a.witnesses)?;
    let quorum = if targets.is_empty() {
        0
    } else {
        witness::parse_quorum(targets.len(), a.quorum)?
    };
    if targets.len() > igl_schema::MAX_COSIGNATURES {
        bail!(
            "at most {} witnesses (a checkpoint records at most that many cosignatures)",
            igl_schema::MAX_COSIGNATURES
        );
    }
    let key = a.pass.load_key(&a.key)?;
    let ledger = Ledger::open(&dir)?;
    // The whole ledger is verified before anything is signed (only a verified root is).
    let total = ledger.tree_size()?;
    let pb = out::progress(total, "verifying before signing");
    let prepared = ledger.prepare_checkpoint(&key, &mut |n| pb.set_position(n));
    pb.finish_and_clear();
    let prepared = match prepared {
        Err(e @ igl_ledger::LedgerError::Unverified { .. }) => {
            eprintln!("igl: {e}");
            if let Some((remedy, ledger)) = e.remedy() {
                eprintln!("  to fix: {}", crate::advice::text(remedy, ledger));
            }
            return Ok(Outcome::Finding);
        }
        r => r?,
    };
    // Witnesses, asked at once; nothing is recorded unless a quorum cosigned.
    let asked: Vec<Asked> = if targets.is_empty() {
        Vec::new()
    } else {
        let agent = witness::http_agent();
        let (ledger, note, agent) = (&ledger, &prepared.note, &agent);
        std::thread::scope(|s| {
            let handles: Vec<_> = targets
                .iter()
                .map(|t| s.spawn(move || witness::ask(agent, ledger, note, t)))
                .collect();
            targets
                .iter()
                .zip(handles)
                .map(|(t, h)| Asked {
                    name: t.vkey.name.clone(),
                    vkey: t.vkey.to_vkey(),
                    url: t.url.clone(),
                    result: h.join().unwrap_or_else(|_| witness::Asked::Failed {
                        alarm: false,
                        status: None,
                        why: "the request panicked".into(),
                    }),
                })
                .collect()
        })
    };
    let cosignatures: Vec<(VerifierKey, igl_schema::note::Cosignature)> = targets
        .iter()
        .zip(&asked)
        .filter_map(|(t, w)| match &w.result {
            witness::Asked::Cosigned(c) => Some(c.iter().map(|c| (t.vkey.clone(), c.clone()))),
            witness::Asked::Failed { .. } => None,
        })
        .flatten()
        .collect();
    let cosigners: Vec<&Asked> = asked
        .iter()
        .filter(|w| matches!(w.result, witness::Asked::Cosigned(_)))
        .collect();
    let alarm = asked
        .iter()
        .any(|w| matches!(w.result, witness::Asked::Failed { alarm: true, .. }));
    let witnesses_json: Vec<serde_json::Value> = asked
        .iter()
        .map(|w| match &w.result {
            witness::Asked::Cosigned(_) => json!({"name": w.name, "vkey": w.vkey, "url": w.url,
                "cosigned": true, "status": 200, "alarm": false, "message": null}),
            witness::Asked::Failed { alarm, status, why } => json!({"name": w.name,
                "vkey": w.vkey, "url": w.url, "cosigned": false, "status": status,
                "alarm": alarm, "message": why}),
        })
        .collect();
    for w in &asked {
        match &w.result {
            witness::Asked::Cosigned(_) => eprintln!("✔ witness {} ({}) cosigned", w.name, w.url),
            witness::Asked::Failed { why, .. } => {
                eprintln!("✘ witness {} ({}): {why}", w.name, w.url)
            }
        }
    }
    if !targets.is_empty() && (alarm || cosigners.len() < quorum) {
        eprintln!(
            "igl: the checkpoint of {} entries was NOT recorded: {}",
            prepared.note.checkpoint.size,
            if alarm {
                "a witness has seen a different history of this ledger (see ALARM above): find out why before anything else".to_string()
            } else {
                format!(
                    "{} of {} witnesses cosigned, the quorum is {quorum}",
                    cosigners.len(),
                    targets.len()
                )
            }
        );
        if a.json {
            let mut o = out::stdout();
            out::json_line(
                &mut o,
                &json!({"recorded": false, "origin": prepared.note.checkpoint.origin,
                        "tree_size": prepared.note.checkpoint.size,
                        "root": prepared.note.checkpoint.root.to_hex(), "quorum": quorum,
                        "alarm": alarm, "witnesses": witnesses_json}),
            )?;
            o.flush()?;
        }
        return Ok(Outcome::Finding);
    }
    let cp = ledger.record_checkpoint(
        &prepared,
        &key,
        Timestamp::now(),
        EventId(keys::random_bytes()?),
        &cosignatures,
    )?;
    let text = cp.to_text();
    if let Some(path) = &a.out {
        std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut o = out::stdout();
    if a.json {
        let mut v = json!({
            "origin": cp.checkpoint.origin,
            "tree_size": cp.checkpoint.size,
            "root": cp.checkpoint.root.to_hex(),
            "recorded_at_seq": cp.checkpoint.size,
            "note": text,
            "recorded": true,
        });
        if !targets.is_empty() {
            v["quorum"] = json!(quorum);
            v["cosigned_by"] = json!(cosigners.iter().map(|w| &w.name).collect::<Vec<_>>());
            v["witnesses"] = json!(witnesses_json);
        }
        out::json_line(&mut o, &v)?;
    } else {
        write!(o, "{text}")?;
        eprintln!(
            "checkpoint of {} entries signed{} and recorded at seq {}{}",
            cp.checkpoint.size,
            if cosigners.is_empty() {
                String::new()
            } else {
                format!(
                    ", cosigned by {} ({} of {}, quorum {quorum})",
                    cosigners
                        .iter()
                        .map(|w| w.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    cosigners.len(),
                    targets.len()
                )
            },
            cp.checkpoint.size,
            a.out
                .as_ref()
                .map(|p| format!("; written to {}", p.display()))
                .unwrap_or_default()
        );
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

#[derive(Args)]
pub struct ProveArgs {
    /// The entry to prove is in the ledger.
    #[arg(required_unless_present = "consistency")]
    seq: Option<u64>,
    /// The size of the recorded checkpoint to prove against (default: the latest one). A proof
    /// is always checked against a signed checkpoint's root, never a root read from storage.
    #[arg(long, value_name = "N")]
    size: Option<u64>,
    /// Prove instead that the checkpoint of OLD entries is a prefix of the checkpoint of NEW
    /// entries (both recorded checkpoints; NEW defaults to the latest).
    #[arg(long, value_names = ["OLD", "NEW"], num_args = 1..=2, conflicts_with = "seq")]
    consistency: Option<Vec<u64>>,
    /// The public key (hex) that must have signed the checkpoint(s). Without it, the whole
    /// ledger is verified first and the signer must be a key its entries entitle to sign a
    /// checkpoint (admin or ig_officer, enrolled before it, not revoked by then): O(n).
    #[arg(long, value_name = "HEX")]
    trusted_key: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    witnesses: witness::QuorumArgs,
}

/// What a proof against an unpinned key does not show.
const UNPINNED: &str = "⚠ the signer was judged from this ledger's own (verified) entries; pass --trusted-key with the council's published key to tie the proof to the real ledger";

/// Who may have signed the checkpoint a proof is checked against.
enum Signers {
    /// The key given with --trusted-key.
    Pinned(igl_schema::PublicKey),
    /// The key registry of the verified ledger.
    Verified(Vec<igl_ledger::KeyRecord>),
}

impl Signers {
    fn of(a: &ProveArgs, ledger: &Ledger) -> Result<Option<Signers>> {
        if let Some(hex) = &a.trusted_key {
            return Ok(Some(Signers::Pinned(super::verify::parse_key(
                "--trusted-key",
                hex,
            )?)));
        }
        let pb = out::progress(ledger.tree_size()?, "verifying the ledger");
        let report = ledger.verify(&mut |n| pb.set_position(n))?;
        pb.finish_and_clear();
        if let Some(f) = &report.failure {
            eprintln!(
                "✘ the ledger does not verify (seq {}: {}); no proof from it can be trusted: run `igl verify`",
                f.seq, f.message
            );
            return Ok(None);
        }
        Ok(Some(Signers::Verified(report.key_registry)))
    }

    /// The accepted signer, for messages.
    fn describe(&self) -> String {
        match self {
            Signers::Pinned(k) => format!("the trusted key {}", k.short()),
            Signers::Verified(_) => "a key the ledger entitles to sign it".to_string(),
        }
    }

    /// Whether `cp` is signed by an accepted key.
    fn accept(&self, cp: &SignedCheckpoint) -> bool {
        match self {
            Signers::Pinned(k) => cp.verify(k),
            Signers::Verified(keys) => checkpoint_signer(keys, cp).is_some(),
        }
    }
}

/// The recorded checkpoint of `size` entries (or the latest), signed by the key that recorded it,
/// which `signers` accepts, and cosigned by a quorum of witnesses if `quorum` asks for one:
/// `Ok(None)` (reported, exit 1) otherwise.
fn signed_checkpoint(
    ledger: &Ledger,
    size: Option<u64>,
    signers: &Signers,
    quorum: Option<&witness::Quorum>,
) -> Result<Option<SignedCheckpoint>> {
    let witnessed = |cp: &SignedCheckpoint| quorum.is_none_or(|q| q.check(cp).is_ok());
    let cp = match size {
        // A checkpoint of N entries is recorded as entry N.
        Some(n) => ledger.recorded_checkpoint(n)?.with_context(|| {
            format!(
                "no checkpoint of {n} entries is recorded in this ledger (entry {n} is not a CheckpointRecorded); list them with `igl log --type CheckpointRecorded`"
            )
        })?,
        // The latest one an accepted key signed (with --trusted-key, another key's later
        // checkpoint is passed over), cosigned by the witnesses asked for.
        None => {
            let mut found = None;
            let mut before = ledger.tree_size()?;
            while let Some(cp) = latest_before(ledger, before)? {
                before = cp.checkpoint.size;
                if signers.accept(&cp) && witnessed(&cp) {
                    found = Some(cp);
                    break;
                }
            }
            match found {
                Some(cp) => cp,
                None if before < ledger.tree_size()? => {
                    // Checkpoints are recorded, but none by an accepted key.
                    eprintln!(
                        "✘ no checkpoint signed by {}{} is recorded in this ledger",
                        signers.describe(),
                        quorum
                            .map(|q| format!(
                                " and cosigned by {} of the {} witnesses given",
                                q.quorum,
                                q.witnesses.len()
                            ))
                            .unwrap_or_default()
                    );
                    return Ok(None);
                }
                None => bail!(
                    "no checkpoint recorded yet; sign one with `igl checkpoint --key FILE`"
                ),
            }
        }
    };
    let recorded_by = ledger
        .entry(cp.checkpoint.size)?
        .map(|e| e.entry.event.body.author)
        .context("the checkpoint entry is missing")?;
    if !cp.verify(&recorded_by) || !signers.accept(&cp) {
        eprintln!(
            "✘ the checkpoint of {} entries is not signed by {}; run `igl verify`",
            cp.checkpoint.size,
            signers.describe()
        );
        return Ok(None);
    }
    if let Some(Err(why)) = quorum.map(|q| q.check(&cp)) {
        eprintln!("✘ {why}");
        return Ok(None);
    }
    Ok(Some(cp))
}

/// The latest checkpoint recorded at a seq below `before`.
fn latest_before(ledger: &Ledger, before: u64) -> Result<Option<SignedCheckpoint>> {
    for seq in (0..before).rev() {
        if let Some(cp) = ledger.recorded_checkpoint(seq)? {
            return Ok(Some(cp));
        }
    }
    Ok(None)
}

pub fn run_prove(a: ProveArgs, dir: PathBuf) -> Result<Outcome> {
    let ledger = Ledger::open_read_only(&dir)?;
    let hex = |v: &[igl_schema::Hash32]| v.iter().map(|h| h.to_hex()).collect::<Vec<_>>();
    let quorum = a.witnesses.policy()?;
    let Some(signers) = Signers::of(&a, &ledger)? else {
        return Ok(Outcome::Finding);
    };
    // Which witnesses cosigned the checkpoint(s) a proof is checked against, for the output.
    let cosigned_by = |cp: &SignedCheckpoint| -> Vec<String> {
        quorum
            .as_ref()
            .and_then(|q| q.check(cp).ok())
            .unwrap_or_default()
    };
    let mut o = out::stdout();
    if let Some(sizes) = a.consistency {
        let (Some(old_cp), Some(new_cp)) = (
            signed_checkpoint(&ledger, Some(sizes[0]), &signers, quorum.as_ref())?,
            signed_checkpoint(&ledger, sizes.get(1).copied(), &signers, quorum.as_ref())?,
        ) else {
            return Ok(Outcome::Finding);
        };
        let (old, new) = (old_cp.checkpoint.size, new_cp.checkpoint.size);
        let (old_root, new_root) = (old_cp.checkpoint.root, new_cp.checkpoint.root);
        let proof = ledger.consistency_proof(old, new)?;
        // Checked against the two signed roots: a stored tree that is not the signed one
        // cannot produce a proof that verifies.
        let ok = merkle::verify_consistency(old, new, &old_root, &new_root, &proof);
        if a.json {
            out::json_line(
                &mut o,
                &json!({"old_size": old, "new_size": new, "old_root": old_root.to_hex(),
                        "new_root": new_root.to_hex(), "proof": hex(&proof), "verified": ok,
                        "old_checkpoint": old_cp.to_text(), "new_checkpoint": new_cp.to_text(),
                        "old_cosigned_by": cosigned_by(&old_cp), "new_cosigned_by": cosigned_by(&new_cp)}),
            )?;
        } else {
            writeln!(
                o,
                "consistency of the checkpoint of {old} entries with the checkpoint of {new}"
            )?;
            writeln!(o, "old root  {old_root}")?;
            writeln!(o, "new root  {new_root}")?;
            for (i, h) in proof.iter().enumerate() {
                writeln!(o, "proof[{i:>2}] {h}")?;
            }
            writeln!(
                o,
                "{}",
                if ok {
                    "✔ verifies against both signed checkpoints"
                } else {
                    "✘ DOES NOT VERIFY against the signed checkpoints (the stored tree is not the signed one: run `igl verify`)"
                }
            )?;
            if quorum.is_some() {
                writeln!(
                    o,
                    "✔ both checkpoints cosigned: old by {}; new by {}",
                    cosigned_by(&old_cp).join(", "),
                    cosigned_by(&new_cp).join(", ")
                )?;
            }
            if matches!(signers, Signers::Verified(_)) {
                writeln!(o, "{UNPINNED}")?;
            }
        }
        o.flush()?;
        return Ok(if ok { Outcome::Ok } else { Outcome::Finding });
    }
    let seq = a.seq.expect("clap requires SEQ without --consistency");
    let Some(cp) = signed_checkpoint(&ledger, a.size, &signers, quorum.as_ref())? else {
        return Ok(Outcome::Finding);
    };
    let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
    if seq >= size {
        bail!(
            "the checkpoint covers entries 0..{} only; sign a new one with `igl checkpoint --key FILE`",
            size
        );
    }
    let entry = ledger
        .entry(seq)?
        .with_context(|| format!("no entry at seq {seq}"))?;
    let proof = ledger.inclusion_proof(seq, size)?;
    let leaf = merkle::leaf_hash(&entry.hash);
    let ok = merkle::verify_inclusion(seq, size, &leaf, &proof, &root);
    if a.json {
        out::json_line(
            &mut o,
            &json!({"seq": seq, "tree_size": size, "entry_hash": entry.hash.to_hex(),
                    "leaf_hash": leaf.to_hex(), "root": root.to_hex(), "proof": hex(&proof),
                    "verified": ok, "checkpoint": cp.to_text(), "cosigned_by": cosigned_by(&cp)}),
        )?;
    } else {
        writeln!(
            o,
            "inclusion of seq {seq} ({}) in the first {size} entries",
            entry.entry.event.body.event.type_name()
        )?;
        writeln!(o, "entry hash {}", entry.hash)?;
        writeln!(o, "leaf hash  {leaf}")?;
        for (i, h) in proof.iter().enumerate() {
            writeln!(o, "proof[{i:>2}]  {h}")?;
        }
        writeln!(o, "root       {root} (the signed checkpoint's)")?;
        writeln!(
            o,
            "{} ({} hashes)",
            if ok {
                "✔ verifies"
            } else {
                "✘ DOES NOT VERIFY (the stored tree or entry is not the signed one: run `igl verify`)"
            },
            proof.len()
        )?;
        writeln!(o, "\nagainst the signed checkpoint:\n{}", cp.to_text())?;
        if quorum.is_some() {
            writeln!(o, "✔ cosigned by {}", cosigned_by(&cp).join(", "))?;
        }
        if matches!(signers, Signers::Verified(_)) {
            writeln!(o, "{UNPINNED}")?;
        }
    }
    o.flush()?;
    Ok(if ok { Outcome::Ok } else { Outcome::Finding })
}
