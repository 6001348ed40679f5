//! `igl bundle` and `igl verify-bundle`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::bundle::{self, Claim, Trust};
use igl_ledger::index::Resolution;
use igl_ledger::subject::pack::{self, BUNDLE_JSON, REPORT_JSON, REPORT_MD};
use igl_ledger::subject_map::{Complete, Named};
use igl_schema::PublicKey;
use igl_schema::note::SignedCheckpoint;
use serde_json::json;

use super::verify::{load_checkpoint, parse_key};
use super::witness::Quorum;
use crate::{Outcome, out};

#[derive(Args)]
pub struct BundleArgs {
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// First seq to include.
    #[arg(long, value_name = "SEQ", conflicts_with = "subject")]
    from: Option<u64>,
    /// Last seq to include (inclusive).
    #[arg(long, value_name = "SEQ", conflicts_with = "subject")]
    to: Option<u64>,
    /// Include every entry about this subject (`person:ID`, `service-user:ID`, or a bare id).
    #[arg(long, value_name = "ID")]
    subject: Option<String>,
    /// Prove against this checkpoint (e.g. a witnessed one the auditor holds) instead of the
    /// latest one recorded in the ledger.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
}

pub fn run_bundle(a: BundleArgs, dir: PathBuf) -> Result<Outcome> {
    let ledger = Ledger::open_read_only(&dir)?;
    let cp = match &a.checkpoint {
        Some(p) => load_checkpoint(p)?,
        None => ledger.latest_checkpoint()?.ok_or_else(|| {
            anyhow!("no checkpoint recorded yet; sign one with `igl checkpoint --key FILE`")
        })?,
    };
    let size = cp.checkpoint.size;
    let (claim, seqs): (Claim, Vec<u64>) = if let Some(s) = &a.subject {
        // A key by `key:HEX`; a person or service user by the library's one resolver. A bare id
        // under which nothing is held proves every reading of it absent.
        let wanted: Vec<Named> = if s.starts_with("key:") {
            vec![Named::parse(s).map_err(|e| anyhow!("--subject: {e}"))?]
        } else {
            match ledger.resolve_subject(s)? {
                Resolution::One(one) => vec![Named::Subject(one)],
                Resolution::Nothing(all) => all.into_iter().map(Named::Subject).collect(),
                Resolution::Ambiguous(found) => {
                    bail!("--subject {}", Resolution::question(s, &found))
                }
                Resolution::Invalid(e) => bail!(
                    "--subject {s:?}: not a subject (`person:ID`, `service-user:ID`, `key:HEX`) or an id: {e}"
                ),
            }
        };
        // Every entry about them before the checkpoint just before this one, from
        // the subject index it commits to (the bundle proves each list complete, or empty).
        let at = bundle::index_checkpoint(&ledger, size)?;
        let mut v = std::collections::BTreeSet::new();
        for w in &wanted {
            v.extend(ledger.subject_list(w, at)?);
        }
        let subjects = wanted.iter().map(|x| x.to_string()).collect();
        (Claim::Subject { subjects }, v.into_iter().collect())
    } else {
        // Entries before the checkpoint just before this one: their authors are judged by
        // the key history up to it, which its entry binds to the signed tree.
        let at = bundle::index_checkpoint(&ledger, size)?;
        let from = a.from.unwrap_or(0);
        let to = a.to.unwrap_or(at - 1);
        if from > to || to >= at {
            bail!(
                "--from {from} --to {to}: a bundle proved against the checkpoint of {size} entries holds seq 0..={} (the entries before checkpoint {at}, the one just before it); sign two more in a row with `igl checkpoint`",
                at - 1
            );
        }
        (Claim::Range { from, to }, (from..=to).collect())
    };
    let b = bundle::make(&ledger, &cp, claim, &seqs)?;
    std::fs::write(&a.out, b.to_text()).with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "wrote {}: {} ({} entries), {} key events and {} erasures, proved against the checkpoint of {size} entries",
        a.out.display(),
        b.claim,
        b.entries.len(),
        b.keys.len(),
        b.erasures.len()
    );
    Ok(Outcome::Ok)
}

#[derive(Args)]
pub struct VerifyBundleArgs {
    /// The bundle file, or a SAR pack directory (written by `igl sar --pack`): then its
    /// report.json and report.md are checked against its bundle.json too.
    file: PathBuf,
    /// A checkpoint you already trust (e.g. one you were sent, or a witnessed one): the bundle
    /// must be proved against the same tree.
    #[arg(long, value_name = "FILE", conflicts_with = "trusted_key")]
    checkpoint: Option<PathBuf>,
    /// The public key (hex) that must have signed the bundle's checkpoint.
    #[arg(long, value_name = "HEX")]
    trusted_key: Option<String>,
    /// Accept a bundle checked for internal consistency only, with none of --checkpoint,
    /// --trusted-key or --witness (anyone can make a bundle that passes that: it ties nothing to
    /// the real ledger). Without it, such a check exits 1.
    #[arg(long, conflicts_with_all = ["checkpoint", "trusted_key", "witnesses"])]
    unanchored: bool,
    /// The ledger the bundle must be from: its checkpoint origin (`igledger/<ledger id>`). Needed
    /// when witnesses are the only trust anchor (a witness cosigns many ledgers' checkpoints);
    /// checked whenever given.
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    witnesses: super::witness::QuorumArgs,
}

/// Why witnesses alone do not anchor a bundle without `--origin`.
const NO_ORIGIN: &str = "its checkpoint is cosigned by the witnesses, but a witness cosigns many ledgers' checkpoints: pass --origin igledger/<ledger id> (the ledger you expect, as `igl verify` on it prints), or --trusted-key / --checkpoint, to say which ledger it must be from";

/// The trust anchors of `igl verify-bundle`, read from its arguments once, for a bundle or a pack.
struct Anchors {
    checkpoint: Option<SignedCheckpoint>,
    key: Option<PublicKey>,
    quorum: Option<Quorum>,
}

impl Anchors {
    fn load(a: &VerifyBundleArgs) -> Result<Anchors> {
        Ok(Anchors {
            checkpoint: a.checkpoint.as_deref().map(load_checkpoint).transpose()?,
            key: a
                .trusted_key
                .as_deref()
                .map(|k| parse_key("--trusted-key", k))
                .transpose()?,
            quorum: a.witnesses.policy()?,
        })
    }

    /// What the bundle's checkpoint is checked against.
    fn trust(&self) -> Trust<'_> {
        match (&self.checkpoint, &self.key) {
            (Some(c), _) => Trust::Checkpoint(c),
            (None, Some(k)) => Trust::Key(k),
            (None, None) => Trust::BundleOnly,
        }
    }

    /// After the bundle verified under [`Anchors::trust`], its checkpoint `cp` (with every
    /// cosignature found for it): the witnesses among --witness that cosigned it, and whether it
    /// is anchored (`false` only with --unanchored). `Err` says what is missing or wrong: too few
    /// cosignatures, another origin than --origin, witnesses as the only anchor without
    /// --origin (a witness cosigns many ledgers' checkpoints), or no anchor at all.
    fn judge(
        &self,
        a: &VerifyBundleArgs,
        cp: &SignedCheckpoint,
    ) -> std::result::Result<(bool, Vec<String>), String> {
        let cosigned_by = match &self.quorum {
            Some(q) => q.check(cp)?,
            None => Vec::new(),
        };
        let origin = &cp.checkpoint.origin;
        if let Some(want) = &a.origin
            && want != origin
        {
            return Err(format!(
                "its checkpoint is of {origin}, not of the ledger asked for ({want})"
            ));
        }
        let pinned = self.checkpoint.is_some() || self.key.is_some();
        let witnessed = self.quorum.is_some();
        if pinned || (witnessed && a.origin.is_some()) {
            Ok((true, cosigned_by))
        } else if witnessed {
            Err(NO_ORIGIN.into())
        } else if a.unanchored {
            Ok((false, cosigned_by))
        } else {
            Err(NO_ANCHOR.into())
        }
    }
}

/// Why a bundle that checks out is still refused without a trust anchor.
const NO_ANCHOR: &str = "it is internally consistent, but nothing ties it to the real ledger (anyone can make a bundle that passes without a trust anchor): pass --trusted-key HEX (the council's published checkpoint key), --checkpoint FILE (a checkpoint you hold) or --witness VKEY (witnesses that must have cosigned its checkpoint), or --unanchored to accept internal consistency only";

pub fn run_verify_bundle(a: VerifyBundleArgs) -> Result<Outcome> {
    if a.file.is_dir() {
        return run_verify_pack(a);
    }
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("reading {}", a.file.display()))?;
    let anchors = Anchors::load(&a)?;
    let (mut anchored, mut cosigned_by) = (false, Vec::new());
    let result = bundle::verify(&text, anchors.trust()).and_then(|r| {
        (anchored, cosigned_by) = anchors
            .judge(&a, &r.checkpoint)
            .map_err(bundle::BundleError)?;
        Ok(r)
    });
    let mut o = out::stdout();
    match &result {
        Ok(r) if a.json => out::json_line(
            &mut o,
            &json!({"ok": true, "origin": r.origin, "tree_size": r.tree_size, "root": r.root.to_hex(),
                    "checkpoint_key": r.checkpoint_key.to_hex(), "claim": r.claim,
                    "complete": claim_complete(&r.claim),
                    "subjects_complete": r.complete.iter().map(|c| json!({
                        "subject": c.subject.to_string(), "entries": c.seqs.len(),
                        "up_to": r.complete_up_to})).collect::<Vec<_>>(),
                    "entries": r.entries,
                    "key_events": r.key_events, "key_events_in_full": r.key_events_in_full,
                    "with_personal_data": r.with_personal_data, "erased": r.erased,
                    "hash_only": r.hash_only, "seals": r.seals, "trust_anchor": anchored,
                    "cosigned_by": cosigned_by}),
        )?,
        Ok(r) => {
            writeln!(
                o,
                "✔ {}: {} entries verified offline against the checkpoint of {} entries of {} signed by {}",
                a.file.display(),
                r.entries,
                r.tree_size,
                r.origin,
                r.checkpoint_key.short()
            )?;
            writeln!(
                o,
                "  claims {}: {}",
                r.claim,
                match r.claim {
                    Claim::Range { .. } => "complete, every one is there and linked",
                    Claim::Subject { .. } =>
                        "complete, each list proved against the subject index of the checkpoint just before it",
                    Claim::Selection => "the entries its maker chose",
                }
            )?;
            for c in &r.complete {
                writeln!(
                    o,
                    "  {}",
                    complete_line(c, r.complete_up_to.unwrap_or(r.tree_size))
                )?;
            }
            writeln!(
                o,
                "  every inclusion proof, signature and author key checks out; the key history is complete ({} key events before the checkpoint, {} in full); personal data of {} entries matches its commitments{}",
                r.key_events,
                r.key_events_in_full,
                r.with_personal_data,
                if r.erased > 0 {
                    format!(", {} erased by a carried Redacted entry", r.erased)
                } else {
                    String::new()
                }
            )?;
            if r.seals > 0 {
                writeln!(
                    o,
                    "  {} append batches inside the range sealed by a key entitled to append",
                    r.seals
                )?;
            }
            if !cosigned_by.is_empty() {
                writeln!(
                    o,
                    "  the checkpoint is cosigned by {}",
                    cosigned_by.join(", ")
                )?;
            }
            if r.hash_only > 0 {
                writeln!(
                    o,
                    "  {} more entries proved by hash only (their content is not in the bundle)",
                    r.hash_only
                )?;
            }
            if !anchored {
                writeln!(
                    o,
                    "⚠ --unanchored: this shows only that the bundle is internally consistent; anyone can make one that is. Pass a checkpoint you trust (--checkpoint) or the council's key (--trusted-key) to tie it to the real ledger"
                )?;
            }
        }
        Err(e) if a.json => out::json_line(&mut o, &json!({"ok": false, "error": e.to_string()}))?,
        Err(e) => writeln!(o, "✘ {}: {e}", a.file.display())?,
    }
    o.flush()?;
    Ok(if result.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

/// `igl verify-bundle DIR` on a SAR pack.
fn run_verify_pack(a: VerifyBundleArgs) -> Result<Outcome> {
    let read = |name: &str| {
        let p = a.file.join(name);
        std::fs::read_to_string(&p).with_context(|| {
            format!(
                "reading {} (a SAR pack directory holds {REPORT_MD}, {REPORT_JSON} and {BUNDLE_JSON})",
                p.display()
            )
        })
    };
    let (json_text, md_text, bundle_text) =
        (read(REPORT_JSON)?, read(REPORT_MD)?, read(BUNDLE_JSON)?);
    let anchors = Anchors::load(&a)?;
    let (mut anchored, mut cosigned_by) = (false, Vec::new());
    let result =
        pack::verify_pack(&json_text, &md_text, &bundle_text, anchors.trust()).and_then(|r| {
            (anchored, cosigned_by) = anchors
                .judge(&a, &r.checkpoint)
                .map_err(|e| pack::PackError(format!("{BUNDLE_JSON}: {e}")))?;
            Ok(r)
        });
    let mut o = out::stdout();
    match &result {
        Ok(r) if a.json => out::json_line(
            &mut o,
            &json!({"ok": true, "pack": true, "subject": r.subject, "entries": r.counts.entries,
                    "proved_in_full": r.counts.proved_in_full, "proved_by_hash": r.counts.proved_by_hash,
                    "erased": r.counts.erased, "tree_size": r.tree_size,
                    "checkpoint_key": r.checkpoint_key.to_hex(), "key_events": r.key_events,
                    "complete": true, "complete_up_to": r.complete_up_to,
                    "subject_entries": r.subject_entries,
                    "after_held_at": r.after_held_at.iter().map(|(s, checked)| json!({"seq": s, "checked": checked})).collect::<Vec<_>>(),
                    "trust_anchor": anchored, "cosigned_by": cosigned_by}),
        )?,
        Ok(r) => {
            writeln!(
                o,
                "✔ {}: SAR pack for {}: all {} listed entries are in the ledger under the checkpoint of {} entries signed by {}",
                a.file.display(),
                r.subject,
                r.counts.entries,
                r.tree_size,
                r.checkpoint_key.short()
            )?;
            let unchecked = r.after_held_at.iter().filter(|(_, c)| !c).count();
            if r.after_held_at.is_empty() {
                writeln!(
                    o,
                    "  complete: every entry about {} up to checkpoint {} is listed ({} entr{}), proved against that checkpoint's subject index",
                    r.subject,
                    r.complete_up_to,
                    r.subject_entries,
                    if r.subject_entries == 1 { "y" } else { "ies" }
                )?;
            } else if unchecked == 0 {
                writeln!(
                    o,
                    "  complete: every entry about {} up to checkpoint {} is accounted for ({} entries): listed, or shown to be recorded after the instant the report is held at ({})",
                    r.subject,
                    r.complete_up_to,
                    r.subject_entries,
                    r.after_held_at.len()
                )?;
            } else {
                writeln!(
                    o,
                    "  complete, with {unchecked} entries on the council's word: every entry about {} up to checkpoint {} is listed, or carried as recorded after the instant the report is held at ({}); for {unchecked} of them, carried by hash only, that recording time cannot be checked offline",
                    r.subject,
                    r.complete_up_to,
                    r.after_held_at.len()
                )?;
            }
            writeln!(
                o,
                "  {} checked in full: signature, author key ({} key events), personal data, and the report's text re-derived from the signed entry",
                r.counts.proved_in_full, r.key_events
            )?;
            if !cosigned_by.is_empty() {
                writeln!(
                    o,
                    "  the checkpoint is cosigned by {}",
                    cosigned_by.join(", ")
                )?;
            }
            if r.counts.proved_by_hash > 0 {
                writeln!(
                    o,
                    "  {} proved by hash only: they name a third party, so their content is not in the pack; their existence and hash are proved, but the type, dates, author and fields the report shows for them are the council's statement, not checked offline",
                    r.counts.proved_by_hash
                )?;
            }
            if r.counts.erased > 0 {
                writeln!(
                    o,
                    "  {} checked against the signed Redacted entr{} that made {}",
                    if r.counts.erased == 1 {
                        "1 erasure".to_string()
                    } else {
                        format!("{} erasures", r.counts.erased)
                    },
                    if r.counts.erased == 1 { "y" } else { "ies" },
                    if r.counts.erased == 1 { "it" } else { "them" }
                )?;
            }
            if !anchored {
                writeln!(
                    o,
                    "⚠ --unanchored: this shows only that the pack is internally consistent; anyone can make one that is. Pass the council's published key (--trusted-key) or a checkpoint you trust (--checkpoint) to tie it to the real ledger"
                )?;
            }
        }
        Err(e) if a.json => out::json_line(
            &mut o,
            &json!({"ok": false, "pack": true, "error": e.to_string()}),
        )?,
        Err(e) => writeln!(o, "✘ {}: {e}", a.file.display())?,
    }
    o.flush()?;
    Ok(if result.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

/// Whether a verified claim is one the bundle proves complete (a range: every seq is there; a
/// subject claim: every list, by the subject index).
fn claim_complete(c: &Claim) -> bool {
    matches!(c, Claim::Range { .. } | Claim::Subject { .. })
}

/// "complete: …" for a subject's list proved against the checkpoint of `size` entries.
fn complete_line(c: &Complete, size: u64) -> String {
    match c.seqs.len() {
        0 => format!(
            "complete: no entry before checkpoint {size} is about {}",
            c.subject
        ),
        n => format!(
            "complete: every entry about {} up to checkpoint {size} is listed ({n} entr{})",
            c.subject,
            if n == 1 { "y" } else { "ies" }
        ),
    }
}
