//! `igl checkpoint` and `igl prove`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use igl_ledger::{Ledger, keys, merkle};
use igl_schema::{EventId, Timestamp};
use serde_json::json;

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
}

pub fn run_checkpoint(a: CheckpointArgs, dir: PathBuf) -> Result<Outcome> {
    let key = a.pass.load_key(&a.key)?;
    let ledger = Ledger::open(&dir)?;
    let cp = ledger.checkpoint(&key, Timestamp::now(), EventId(keys::random_bytes()?))?;
    let text = cp.to_text();
    if let Some(path) = &a.out {
        std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut o = out::stdout();
    if a.json {
        out::json_line(
            &mut o,
            &json!({
                "origin": cp.checkpoint.origin,
                "tree_size": cp.checkpoint.size,
                "root": cp.checkpoint.root.to_hex(),
                "recorded_at_seq": cp.checkpoint.size,
                "note": text,
            }),
        )?;
    } else {
        write!(o, "{text}")?;
        eprintln!(
            "checkpoint of {} entries signed and recorded at seq {}{}",
            cp.checkpoint.size,
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
    /// The tree size to prove against (default: the latest recorded checkpoint's).
    #[arg(long, value_name = "N")]
    size: Option<u64>,
    /// Prove instead that the first OLD entries are a prefix of the first NEW (default: all).
    #[arg(long, value_names = ["OLD", "NEW"], num_args = 1..=2, conflicts_with = "seq")]
    consistency: Option<Vec<u64>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_prove(a: ProveArgs, dir: PathBuf) -> Result<Outcome> {
    let ledger = Ledger::open_read_only(&dir)?;
    let hex = |v: &[igl_schema::Hash32]| v.iter().map(|h| h.to_hex()).collect::<Vec<_>>();
    let mut o = out::stdout();
    if let Some(sizes) = a.consistency {
        let old = sizes[0];
        let new = match sizes.get(1) {
            Some(n) => *n,
            None => ledger.tree_size()?,
        };
        let proof = ledger.consistency_proof(old, new)?;
        let (old_root, new_root) = (ledger.merkle_root(old)?, ledger.merkle_root(new)?);
        let ok = merkle::verify_consistency(old, new, &old_root, &new_root, &proof);
        if a.json {
            out::json_line(
                &mut o,
                &json!({"old_size": old, "new_size": new, "old_root": old_root.to_hex(),
                        "new_root": new_root.to_hex(), "proof": hex(&proof), "verified": ok}),
            )?;
        } else {
            writeln!(
                o,
                "consistency of the first {old} entries with the first {new}"
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
                    "✔ verifies"
                } else {
                    "✘ DOES NOT VERIFY"
                }
            )?;
        }
        o.flush()?;
        return Ok(if ok { Outcome::Ok } else { Outcome::Finding });
    }
    let seq = a.seq.expect("clap requires SEQ without --consistency");
    let (size, note) = match a.size {
        Some(n) => (n, None),
        None => match ledger.latest_checkpoint()? {
            Some(cp) if cp.checkpoint.size > seq => (cp.checkpoint.size, Some(cp)),
            Some(cp) => bail!(
                "the latest checkpoint covers entries 0..{} only; sign a new one with `igl checkpoint --key FILE`, or pass --size N",
                cp.checkpoint.size
            ),
            None => bail!(
                "no checkpoint recorded yet; sign one with `igl checkpoint --key FILE`, or pass --size N"
            ),
        },
    };
    let entry = ledger
        .entry(seq)?
        .with_context(|| format!("no entry at seq {seq}"))?;
    let proof = ledger.inclusion_proof(seq, size)?;
    let root = ledger.merkle_root(size)?;
    let leaf = merkle::leaf_hash(&entry.hash);
    let ok = merkle::verify_inclusion(seq, size, &leaf, &proof, &root);
    if a.json {
        out::json_line(
            &mut o,
            &json!({"seq": seq, "tree_size": size, "entry_hash": entry.hash.to_hex(),
                    "leaf_hash": leaf.to_hex(), "root": root.to_hex(), "proof": hex(&proof),
                    "verified": ok, "checkpoint": note.as_ref().map(|c| c.to_text())}),
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
        writeln!(o, "root       {root}")?;
        writeln!(
            o,
            "{} ({} hashes)",
            if ok {
                "✔ verifies"
            } else {
                "✘ DOES NOT VERIFY"
            },
            proof.len()
        )?;
        if let Some(cp) = note {
            writeln!(o, "\nagainst the signed checkpoint:\n{}", cp.to_text())?;
        }
    }
    o.flush()?;
    Ok(if ok { Outcome::Ok } else { Outcome::Finding })
}
