//! `igl reconcile`: a case system's account list against the ledger's grants, as of an instant
//! (`igl_ledger::reconcile`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use igl_ledger::import::{self, AccountMapping};
use igl_ledger::reconcile::{self, Discrepancy};
use igl_ledger::{Ledger, compliance};
use igl_schema::{SystemId, Timestamp};
use serde_json::json;

use super::requests::parse_instant;
use crate::{Outcome, out};

#[derive(Args)]
pub struct ReconcileArgs {
    /// The case system the list is from (Eclipse, Mosaic): the grants to it are compared.
    #[arg(long, value_name = "NAME")]
    system: String,
    /// The system's account list, CSV. Default columns: account, person, role (optional),
    /// enabled (optional: enabled/active/yes/y/true/1 or disabled/inactive/locked/suspended/
    /// expired/deleted/no/n/false/0; anything else is refused).
    accounts: PathBuf,
    /// A TOML file naming the columns (keys `account`, `person`, `role`, `enabled`).
    #[arg(long, value_name = "MAPPING.toml")]
    map: Option<PathBuf>,
    /// Judge the grants as they stood at this instant (entries that occurred by then): RFC
    /// 3339 or a date (the end of that day in the UK). Default: now.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// JSON Lines: one discrepancy per line, then a summary line.
    #[arg(long, conflicts_with = "md")]
    json: bool,
    /// A Markdown report to hand over.
    #[arg(long)]
    md: bool,
}

pub fn run(a: ReconcileArgs, dir: PathBuf) -> Result<Outcome> {
    let system = SystemId::new(&a.system).map_err(|e| anyhow!("--system: {e}"))?;
    let as_of = match &a.as_of {
        Some(s) => parse_instant("--as-of", s)?,
        None => Timestamp::now(),
    };
    let mapping: AccountMapping = match &a.map {
        None => AccountMapping::default(),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            import::parse_mapping(&p.display().to_string(), &text)?
        }
    };
    let name = a.accounts.display().to_string();
    let file = std::fs::File::open(&a.accounts).with_context(|| format!("reading {name}"))?;
    let accounts = import::read_accounts(&name, file, &mapping)?;
    let ledger = Ledger::open_read_only(&dir)?;
    let systems = ledger.systems_granted()?;
    if !systems.contains(&system) {
        anyhow::bail!(
            "--system {system}: the ledger has no grant to a system of that name, so every account would be an orphan; systems with grants: {}",
            systems
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let state = compliance::load(&ledger, Some(as_of))?;
    let r = reconcile::reconcile(&state, &system, &accounts);
    let mut o = out::stdout();
    let n = r.discrepancies.len();
    if a.json {
        for d in &r.discrepancies {
            let mut v = serde_json::to_value(d)?;
            v["record"] = json!("discrepancy");
            if let Some(line) = d.line {
                v["source"] = json!(format!("{name}:{line}"));
            }
            out::json_line(&mut o, &v)?;
        }
        out::json_line(
            &mut o,
            &json!({
                "record": "summary",
                "system": system.as_str(),
                "accounts_file": name,
                "as_of": r.as_of.to_string(),
                "accounts": r.accounts,
                "enabled_accounts": r.enabled_accounts,
                "active_grants": r.active_grants,
                "discrepancies": n,
            }),
        )?;
    } else if a.md {
        writeln!(o, "# Account reconciliation: {system}")?;
        writeln!(o)?;
        writeln!(o, "| | |")?;
        writeln!(o, "|---|---|")?;
        writeln!(o, "| Account list | `{name}` |")?;
        writeln!(o, "| As of | {} |", igl_ledger::time::uk_text(r.as_of))?;
        writeln!(
            o,
            "| Accounts | {} ({} enabled) |",
            r.accounts, r.enabled_accounts
        )?;
        writeln!(o, "| Active grants to {system} | {} |", r.active_grants)?;
        writeln!(o, "| Discrepancies | {n} |")?;
        writeln!(o)?;
        if n == 0 {
            writeln!(
                o,
                "Every enabled account has an active grant with the same role, and every active grant an enabled account. ✔"
            )?;
        } else {
            writeln!(
                o,
                "| Kind | Account (line) | Person | What | Evidence (seq) |"
            )?;
            writeln!(o, "|---|---|---|---|---|")?;
            for d in &r.discrepancies {
                writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    d.kind.as_str(),
                    account_cell(d, &name),
                    d.person.as_ref().map_or("-".into(), |p| p.to_string()),
                    d.detail.replace('|', "\\|"),
                    seqs(d)
                )?;
            }
        }
    } else {
        writeln!(
            o,
            "Reconciliation of {system}'s accounts ({name}: {} accounts, {} enabled) with the {} active grants to {system} as of {}: {}",
            r.accounts,
            r.enabled_accounts,
            r.active_grants,
            igl_ledger::time::uk_text(r.as_of),
            match n {
                0 => "✔ no discrepancies".to_string(),
                1 => "✘ 1 discrepancy".to_string(),
                n => format!("✘ {n} discrepancies"),
            }
        )?;
        for d in &r.discrepancies {
            writeln!(
                o,
                "  ✘ {:<13} {:<24} {}",
                d.kind.as_str(),
                account_cell(d, &name),
                d.detail
            )?;
            if !d.seqs.is_empty() {
                writeln!(o, "      evidence: seq {}", seqs(d))?;
            }
        }
    }
    o.flush()?;
    Ok(if n == 0 {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

fn account_cell(d: &Discrepancy, file: &str) -> String {
    match (&d.account, d.line) {
        (Some(a), Some(l)) => format!("{a} ({file}:{l})"),
        (Some(a), None) => a.clone(),
        _ => d.grant.clone().unwrap_or_else(|| "-".into()),
    }
}

fn seqs(d: &Discrepancy) -> String {
    if d.seqs.is_empty() {
        "-".into()
    } else {
        d.seqs
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
