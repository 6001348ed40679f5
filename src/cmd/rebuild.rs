//! `igl rebuild`: rewrite every derived column family from the entries.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use igl_ledger::Ledger;
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct RebuildArgs {
    /// Print a JSON summary of what was rebuilt.
    #[arg(long)]
    json: bool,
}

pub fn run(a: RebuildArgs, dir: PathBuf) -> Result<Outcome> {
    let started = Instant::now();
    let mut ledger = Ledger::open_for_rebuild(&dir)?;
    let total = ledger.last_stored_seq()?.map_or(0, |s| s + 1);
    let pb = out::progress(total, "rebuilding");
    let report = ledger.rebuild(|n| pb.set_position(n))?;
    pb.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let mut o = out::stdout();
    if a.json {
        out::json_line(
            &mut o,
            &json!({
                "ok": true,
                "ledger": dir.display().to_string(),
                "entries": report.entries,
                "head_seq": report.head.map(|h| h.seq),
                "head_hash": report.head.map(|h| h.hash.to_hex()),
                "column_families": report.column_families,
                "derived_version": report.derived_version,
                "milliseconds": (seconds * 1000.0).round() as u64,
            }),
        )?;
    } else {
        writeln!(
            o,
            "✔ rebuilt the derived data of {} from {} entries in {seconds:.1}s",
            dir.display(),
            report.entries
        )?;
        writeln!(
            o,
            "  column families  {}",
            report.column_families.join(", ")
        )?;
        writeln!(
            o,
            "  layout version   {}; entries, personal data and seals untouched",
            report.derived_version
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
