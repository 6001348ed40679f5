//! `igl verify`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use igl_ledger::Ledger;
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct VerifyArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: VerifyArgs, dir: PathBuf) -> Result<Outcome> {
    let ledger = Ledger::open_read_only(&dir)?;
    let total = ledger.head()?.map_or(0, |h| h.seq + 1);
    let pb = out::progress(total, "verifying");
    let report = ledger.verify(&mut |n| pb.set_position(n))?;
    pb.finish_and_clear();
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
                "failure": report.failure.as_ref().map(|f| json!({"seq": f.seq, "message": f.message})),
            }),
        )?;
    } else if let Some(f) = &report.failure {
        writeln!(o, "✘ FAILED at seq {}: {}", f.seq, f.message)?;
        writeln!(
            o,
            "  entries 0..{} verified before the failure; inspect with `igl show {}`",
            f.seq, f.seq
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
    if !report.unerased.is_empty() {
        let list: Vec<String> = report.unerased.iter().map(|s| s.to_string()).collect();
        writeln!(
            o,
            "⚠ redacted entries whose personal data is still stored: {}",
            list.join(", ")
        )?;
    }
    o.flush()?;
    Ok(if report.ok() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}
