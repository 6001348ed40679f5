//! `igl redact`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Args;
use igl_ledger::{Ledger, keys};
use igl_schema::{EventId, RequestId, Timestamp};
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct RedactArgs {
    /// The entry whose personal data to erase.
    seq: u64,
    /// Why (kept on the record, so write no personal data here), e.g. "Erasure request SRR-2026-005".
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// The subject-rights request this honours.
    #[arg(long, value_name = "ID")]
    request: Option<String>,
    /// An ig_officer's secret key: signs the Redacted entry and seals it.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: RedactArgs, dir: PathBuf) -> Result<Outcome> {
    let key = a.pass.load_key(&a.key)?;
    let request = a
        .request
        .map(RequestId::new)
        .transpose()
        .map_err(|e| anyhow!("--request: {e}"))?;
    let ledger = Ledger::open(&dir)?;
    let receipt = ledger.redact(
        a.seq,
        a.reason,
        request,
        &key,
        EventId(keys::random_bytes()?),
        Timestamp::now(),
    )?;
    let mut o = out::stdout();
    if a.json {
        out::json_line(
            &mut o,
            &json!({"redacted_seq": a.seq, "redaction_seq": receipt.last_seq, "head_hash": receipt.head_hash.to_hex()}),
        )?;
    } else {
        writeln!(
            o,
            "erased the personal data of seq {}; the erasure is recorded at seq {} and the files are compacted",
            a.seq, receipt.last_seq
        )?;
        writeln!(
            o,
            "`igl verify` still passes; `igl show {}` says who erased it and why",
            a.seq
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
