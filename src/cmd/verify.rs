//! `igl verify`.

use std::io::Write;
use std::path::PathBuf;

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::transparency::{Against, check_against, checkpoint_signer};
use igl_schema::PublicKey;
use igl_schema::note::SignedCheckpoint;
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct VerifyArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also check the ledger against a checkpoint kept elsewhere: exit 1 if entries were
    /// removed (rollback) or history differs from it (fork, rewrite).
    #[arg(long, value_name = "CHECKPOINT_FILE")]
    against: Option<PathBuf>,
    /// The public key (hex) that must have signed the checkpoint. Without it, the key must be
    /// one the verified entries entitle to sign it (admin or ig_officer, enrolled before the
    /// checkpoint and not revoked by then): weaker, as the ledger then vouches for itself.
    #[arg(long, value_name = "HEX", requires = "against")]
    trusted_key: Option<String>,
    /// With --against: witnesses whose cosignatures must be on the checkpoint.
    #[command(flatten)]
    witnesses: super::witness::QuorumArgs,
}

pub fn run(a: VerifyArgs, dir: PathBuf) -> Result<Outcome> {
    let quorum = a.witnesses.policy()?;
    if quorum.is_some() && a.against.is_none() {
        bail!(
            "--witness checks a checkpoint's cosignatures: give it with --against CHECKPOINT_FILE"
        );
    }
    let ledger = Ledger::open_read_only(&dir)?;
    let checkpoint = match &a.against {
        Some(path) => Some(load_checkpoint(path)?),
        None => None,
    };
    let total = ledger.head()?.map_or(0, |h| h.seq + 1);
    let pb = out::progress(total, "verifying");
    let sizes: Vec<u64> = checkpoint.iter().map(|c| c.checkpoint.size).collect();
    let report = ledger.verify_capturing(&mut |n| pb.set_position(n), &sizes)?;
    pb.finish_and_clear();
    let against = match &checkpoint {
        // A ledger that does not verify is not judged against a checkpoint (its entry count and
        // roots stop at the failure).
        Some(_) if !report.ok() => Some(Err(
            "not judged: the ledger does not verify (see the failure)".to_string(),
        )),
        Some(cp) => Some(judge(
            &ledger,
            &report,
            cp,
            a.trusted_key.as_deref(),
            quorum.as_ref(),
        )?),
        None => None,
    };
    // A failure in derived data only says how to rewrite it.
    let failure = report.failure.as_ref().map(|f| {
        let message = match report.remedy {
            Some(r) => format!("{}; {}", f.message, crate::advice::text(r, Some(&dir))),
            None => f.message.clone(),
        };
        (f.seq, message)
    });
    let mut o = out::stdout();
    if a.json {
        out::json_line(
            &mut o,
            &json!({
                "ok": report.ok(),
                "entries": report.entries,
                "head_seq": report.head.map(|h| h.seq),
                "head_hash": report.head.map(|h| h.hash.to_hex()),
                "ledger_id": report.ledger_id.map(|l| l.to_hex()),
                "seals": report.seals,
                "keys": report.keys,
                "redacted": report.redacted,
                "unerased": report.unerased,
                "failure": failure.as_ref().map(|(seq, message)| json!({"seq": seq, "message": message})),
                "against": against.as_ref().map(|r| match r {
                    Ok(msg) => json!({"ok": true, "message": msg}),
                    Err(msg) => json!({"ok": false, "message": msg}),
                }),
            }),
        )?;
    } else if let Some((seq, message)) = &failure {
        writeln!(o, "✘ FAILED at seq {seq}: {message}")?;
        writeln!(
            o,
            "  entries 0..{seq} verified before the failure; inspect with `igl show {seq}`"
        )?;
    } else {
        let h = report.head.expect("a verified ledger has a head");
        writeln!(
            o,
            "✔ verified {} entries: every link, hash, signature, seal and commitment checks out",
            report.entries
        )?;
        writeln!(o, "  head      seq {}  {}", h.seq, h.hash)?;
        writeln!(
            o,
            "  ledger    {}",
            report.ledger_id.map(|l| l.to_hex()).unwrap_or_default()
        )?;
        writeln!(
            o,
            "  seals     {}   keys {}   redacted {}",
            report.seals, report.keys, report.redacted
        )?;
    }
    if !a.json && !report.unerased.is_empty() {
        let list: Vec<String> = report.unerased.iter().map(|s| s.to_string()).collect();
        writeln!(
            o,
            "⚠ redacted entries whose personal data is still stored: {}",
            list.join(", ")
        )?;
    }
    if !a.json {
        match &against {
            Some(Ok(msg)) => writeln!(o, "✔ {msg}")?,
            Some(Err(msg)) => writeln!(o, "✘ against the checkpoint: {msg}")?,
            None => {}
        }
    }
    o.flush()?;
    let against_ok = against.as_ref().is_none_or(|r| r.is_ok());
    Ok(if report.ok() && against_ok {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

/// Reads a checkpoint note.
pub fn load_checkpoint(path: &Path) -> Result<SignedCheckpoint> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    SignedCheckpoint::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Parses a hex public key given on the command line.
pub fn parse_key(flag: &str, hex: &str) -> Result<PublicKey> {
    PublicKey::from_hex(hex.trim()).map_err(|e| anyhow!("{flag}: {e}"))
}

/// The verdict against a checkpoint: `Ok(summary)` or `Err(what is wrong)`.
fn judge(
    ledger: &Ledger,
    report: &igl_ledger::VerifyReport,
    cp: &SignedCheckpoint,
    trusted: Option<&str>,
    quorum: Option<&super::witness::Quorum>,
) -> Result<Result<String, String>> {
    let signer = match trusted {
        Some(hex) => {
            let k = parse_key("--trusted-key", hex)?;
            if !cp.verify(&k) {
                return Ok(Err(format!(
                    "the checkpoint is not signed by the trusted key {}",
                    k.short()
                )));
            }
            k
        }
        // No pinned key: the registry as the entries build it (never the stored one), with
        // the key's role, enrolment and revocation judged at the checkpoint.
        None => match checkpoint_signer(&report.key_registry, cp) {
            Some(k) => k,
            None => {
                return Ok(Err(format!(
                    "the checkpoint is not signed by any key entitled to sign it: an admin or ig_officer key enrolled before entry {} and not revoked by then (pass --trusted-key HEX to pin the key)",
                    cp.checkpoint.size
                )));
            }
        },
    };
    let cosigned_by = match quorum.map(|q| q.check(cp)).transpose() {
        Ok(names) => names.unwrap_or_default(),
        Err(why) => return Ok(Err(why)),
    };
    Ok(match check_against(ledger, report, cp)? {
        Against::Consistent {
            checkpoint_size,
            ledger_size,
            proof,
        } => Ok(format!(
            "consistent with the checkpoint signed by {} ({checkpoint_size} entries{}): the ledger {} it ({} proof hashes)",
            signer.short(),
            if cosigned_by.is_empty() {
                String::new()
            } else {
                format!(", cosigned by {}", cosigned_by.join(", "))
            },
            if ledger_size == checkpoint_size {
                "is exactly"
            } else {
                "extends"
            },
            proof.len()
        )),
        Against::Inconsistent(msg) => Err(msg),
    })
}
