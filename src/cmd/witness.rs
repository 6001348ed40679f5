//! `igl witness`: cosign a checkpoint only if it is consistent with the last one cosigned.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::transparency::{checkpoint_signer, recorded_by, witness_decision};
use igl_schema::note::SignedCheckpoint;
use igl_schema::public_key;

use super::verify::{load_checkpoint, parse_key};
use crate::{Outcome, out};

#[derive(Args)]
pub struct WitnessArgs {
    /// The witness's secret key (e.g. a partner council's).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// The witness's state directory: the last checkpoint cosigned for each ledger.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// The witness's name, as it appears on its cosignature line.
    #[arg(long, value_name = "NAME", default_value = "igl-witness")]
    name: String,
    /// The ledger's checkpoint key (hex) that must have signed the checkpoint. Without it, the
    /// ledger given by --ledger is verified and the key must be one its entries entitle to sign
    /// the checkpoint (admin or ig_officer, enrolled before it, not revoked by then).
    #[arg(long, value_name = "HEX")]
    log_key: Option<String>,
    /// Write the cosigned checkpoint here (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The checkpoint to cosign.
    checkpoint: PathBuf,
}

fn state_file(dir: &Path, origin: &str) -> PathBuf {
    let name: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{name}.checkpoint"))
}

pub fn run(a: WitnessArgs, ledger_dir: Option<&Path>) -> Result<Outcome> {
    let key = a.pass.load_key(&a.key)?;
    let mut cp = load_checkpoint(&a.checkpoint)?;
    let ledger = ledger_dir.map(Ledger::open_read_only).transpose()?;
    // Given the ledger, the witness verifies it (the stored tree it serves proofs from included)
    // and judges the checkpoint against it.
    let report = match &ledger {
        Some(l) => {
            let pb = out::progress(l.tree_size()?, "verifying the ledger");
            let report = l.verify_capturing(&mut |n| pb.set_position(n), &[cp.checkpoint.size])?;
            pb.finish_and_clear();
            if let Some(f) = &report.failure {
                eprintln!(
                    "igl: witness refuses to cosign: the ledger does not verify (seq {}: {})",
                    f.seq, f.message
                );
                return Ok(Outcome::Finding);
            }
            Some(report)
        }
        None => None,
    };
    // Whose checkpoint is it? A pinned key, or the key the ledger's verified entries entitle to
    // sign it (never the stored key registry, which is derived data).
    let log_key = match (&a.log_key, &report) {
        (Some(hex), _) => parse_key("--log-key", hex)?,
        (None, Some(r)) => checkpoint_signer(&r.key_registry, &cp).ok_or_else(|| {
            anyhow!(
                "the checkpoint is not signed by any key the ledger entitles to sign it (an admin or ig_officer key enrolled before entry {} and not revoked by then)",
                cp.checkpoint.size
            )
        })?,
        (None, None) => bail!("pass --log-key HEX (the ledger's checkpoint key), or --ledger DIR"),
    };
    if !cp.verify(&log_key) {
        bail!(
            "the checkpoint is not signed by the ledger's key {}",
            log_key.short()
        );
    }
    // A checkpoint the ledger never recorded (a root its entries do not give, a note signed
    // outside it) is not cosigned.
    if let (Some(l), Some(r)) = (&ledger, &report)
        && let Err(why) = recorded_by(l, r, &cp, &log_key)?
    {
        eprintln!("igl: witness refuses to cosign: {why}");
        return Ok(Outcome::Finding);
    }
    std::fs::create_dir_all(&a.state).with_context(|| format!("creating {}", a.state.display()))?;
    let path = state_file(&a.state, &cp.checkpoint.origin);
    let last = match std::fs::read_to_string(&path) {
        Ok(t) => Some(SignedCheckpoint::parse(&t).map_err(|e| anyhow!("{}: {e}", path.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(anyhow!(e).context(format!("reading {}", path.display()))),
    };
    let proof = match (&last, &ledger) {
        (Some(l), Some(ledger)) if l.checkpoint.size < cp.checkpoint.size => {
            ledger.consistency_proof(l.checkpoint.size, cp.checkpoint.size)?
        }
        (Some(l), None) if l.checkpoint.size < cp.checkpoint.size => bail!(
            "pass --ledger DIR so the witness can check the checkpoint extends the {} entries it last witnessed",
            l.checkpoint.size
        ),
        _ => Vec::new(),
    };
    match witness_decision(last.as_ref(), &cp, &proof) {
        Err(why) => {
            eprintln!("igl: witness refuses to cosign: {why}");
            return Ok(Outcome::Finding);
        }
        Ok(why) => eprintln!("{why}; cosigning as {}", a.name),
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    cp.cosign(&a.name, &key, now);
    let text = cp.to_text();
    // Remember it (write then rename, so a crash leaves the old state whole).
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    match &a.out {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut o = out::stdout();
            write!(o, "{text}")?;
            o.flush()?;
        }
    }
    eprintln!("witness key {}", public_key(&key));
    Ok(Outcome::Ok)
}
