//! `igl import hr` and `igl import access`: the HR system's joiners, movers and leavers, and a
//! case system's audit export, from CSV. The library (`igl_ledger::import`) reads, checks,
//! skips what is already imported and appends; this module renders.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use igl_ledger::Ledger;
use igl_ledger::import::{self, AccessMapping, HrMapping, ImportFailure, ImportReport};
use igl_schema::{SystemId, Timestamp};
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    what: ImportCommand,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Joiners, movers (line manager, business unit, job or organisation), leavers, suspensions
    /// and reinstatements from the HR system's CSV export, as PersonEnrolled and Employment*
    /// events signed by a system_feed key. Every row is read and checked before anything is
    /// appended (all or nothing), in one sealed batch; rows already imported are skipped, so
    /// importing the same or an overlapping export again appends nothing twice.
    ///
    /// Default columns: person, name, job_title, business_unit, organisation, line_manager,
    /// change (joiner, mover, leaver, suspended, reinstated), effective, note. Times are UK local
    /// time (Europe/London) unless they carry an offset; a date alone is 00:00 UK time.
    Hr(HrArgs),
    /// A case system's audit export (who opened which record, when) as RecordAccessed events
    /// signed by a system_feed key, streamed in sealed batches with constant memory. Stopped at
    /// any moment (a crash, a kill), it is resumed by running it again: rows already appended are
    /// skipped, none is appended twice.
    ///
    /// Default columns: user, record, accessed_at, purpose, device.
    Access(AccessArgs),
}

#[derive(Args)]
struct Common {
    /// The CSV file.
    file: PathBuf,
    /// A system_feed key: signs each event as its author and seals the batches.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// A TOML file naming the columns and the date formats (every key optional; README,
    /// "Importing from HR and case systems").
    #[arg(long, value_name = "MAPPING.toml")]
    map: Option<PathBuf>,
    /// Read and check every row and say what would be appended; append nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct HrArgs {
    #[command(flatten)]
    c: Common,
}

#[derive(Args)]
struct AccessArgs {
    #[command(flatten)]
    c: Common,
    /// The case system the export is from (Eclipse, Mosaic).
    #[arg(long, value_name = "NAME")]
    system: String,
    /// Rows per sealed batch.
    #[arg(long, value_name = "N", default_value_t = 5000)]
    batch: usize,
}

pub fn run(a: ImportArgs, dir: PathBuf) -> Result<Outcome> {
    match a.what {
        ImportCommand::Hr(h) => run_hr(h, dir),
        ImportCommand::Access(x) => run_access(x, dir),
    }
}

fn mapping<M: Default + for<'de> serde::Deserialize<'de>>(p: Option<&Path>) -> Result<M> {
    match p {
        None => Ok(M::default()),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Ok(import::parse_mapping(&p.display().to_string(), &text)?)
        }
    }
}

fn open_file(p: &Path) -> Result<std::fs::File> {
    std::fs::File::open(p).with_context(|| format!("reading {}", p.display()))
}

/// `; 3 duplicate rows (the same as earlier rows of the file)`, or nothing; then the rows
/// deferred because they are dated in the future.
fn dup_text(r: &ImportReport) -> String {
    let mut s = match r.duplicate_rows {
        0 => String::new(),
        1 => "; 1 duplicate row (the same as an earlier row of the file)".into(),
        n => format!("; {n} duplicate rows (the same as earlier rows of the file)"),
    };
    match r.deferred {
        0 => {}
        1 => s.push_str("; 1 row dated in the future deferred (import the file again once its date has passed)"),
        n => s.push_str(&format!(
            "; {n} rows dated in the future deferred (import the file again once their dates have passed)"
        )),
    }
    s
}

fn report_json(name: &str, system: Option<&SystemId>, r: &ImportReport) -> serde_json::Value {
    let mut v = json!({
        "file": name,
        "rows": r.rows,
        "appended": if r.dry_run { 0 } else { r.new },
        "would_append": if r.dry_run { r.new } else { 0 },
        "already_imported": r.already_imported,
        "duplicate_rows": r.duplicate_rows,
        "deferred": r.deferred,
        "by_type": r.by_type,
        "batches": r.batches,
        "first_seq": r.first_seq,
        "last_seq": r.last_seq,
        "dry_run": r.dry_run,
    });
    if let Some(s) = system {
        v["system"] = json!(s.as_str());
    }
    v
}

fn run_hr(a: HrArgs, dir: PathBuf) -> Result<Outcome> {
    let c = &a.c;
    let m: HrMapping = mapping(c.map.as_deref())?;
    let key = c.pass.load_key(&c.key)?;
    let ledger = Ledger::open(&dir)?;
    let name = c.file.display().to_string();
    let r = import::import_hr(
        &ledger,
        &name,
        open_file(&c.file)?,
        &m,
        &key,
        c.dry_run,
        Timestamp::now(),
        &mut import::Salts::Random,
    )
    .map_err(|e| anyhow!("{e}\nnothing was appended"))?;
    let mut o = out::stdout();
    if c.json {
        out::json_line(&mut o, &report_json(&name, None, &r))?;
    } else {
        let what = r
            .by_type
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (total, already, dups) = (r.rows, r.already_imported, dup_text(&r));
        match (r.first_seq, r.last_seq) {
            (Some(f), Some(l)) => writeln!(
                o,
                "✔ imported {} of {total} rows from {name} as seq {f}..={l}: {what}; {already} already imported{dups}",
                r.new
            )?,
            _ if r.dry_run => writeln!(
                o,
                "dry run: {} of {total} rows from {name} would be appended{}; {already} already imported{dups}; nothing was appended",
                r.new,
                if what.is_empty() {
                    String::new()
                } else {
                    format!(" ({what})")
                }
            )?,
            _ => writeln!(
                o,
                "✔ nothing to import: all {total} rows of {name} are already in the ledger{dups}"
            )?,
        }
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

fn run_access(a: AccessArgs, dir: PathBuf) -> Result<Outcome> {
    let c = &a.c;
    if a.batch == 0 {
        anyhow::bail!("--batch must be at least 1");
    }
    let system = SystemId::new(&a.system).map_err(|e| anyhow!("--system: {e}"))?;
    let m: AccessMapping = mapping(c.map.as_deref())?;
    let key = c.pass.load_key(&c.key)?;
    let ledger = Ledger::open(&dir)?;
    let systems = ledger.systems_granted()?;
    if !systems.contains(&system) {
        eprintln!(
            "warning: the ledger has no grant to a system named {system} (systems with grants: {}); every access imported will be one without a grant (R6). Check --system.",
            systems
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let name = c.file.display().to_string();
    let file = open_file(&c.file)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = out::progress(len, "importing");
    let result = import::import_access(
        &ledger,
        &name,
        file,
        &m,
        &system,
        &key,
        a.batch,
        c.dry_run,
        None,
        &mut import::Salts::Random,
        |byte| pb.set_position(byte),
    );
    pb.finish_and_clear();
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            let done = e.report();
            let resume = match &e {
                ImportFailure::Input { .. } => "fix the row and run the import again to resume",
                ImportFailure::Ledger {
                    error: igl_ledger::LedgerError::Rejected { .. },
                    ..
                } => "fix or remove that line, then run the import again to resume",
                ImportFailure::Ledger { .. } => "run the import again to resume",
            };
            return Err(anyhow!(
                "{e}\n{} rows before it were appended in {} sealed batches; {resume} (rows already appended are skipped)",
                if done.dry_run { 0 } else { done.new },
                done.batches
            ));
        }
    };
    let mut o = out::stdout();
    if c.json {
        out::json_line(&mut o, &report_json(&name, Some(&system), &r))?;
    } else if r.dry_run {
        writeln!(
            o,
            "dry run: {} of {} rows from {name} would be appended as RecordAccessed on {system}; {} already imported{}; nothing was appended",
            r.new,
            r.rows,
            r.already_imported,
            dup_text(&r)
        )?;
    } else {
        writeln!(
            o,
            "✔ imported {} of {} rows from {name} as RecordAccessed on {system} in {} sealed batch{}{}; {} already imported{}",
            r.new,
            r.rows,
            r.batches,
            if r.batches == 1 { "" } else { "es" },
            match (r.first_seq, r.last_seq) {
                (Some(f), Some(l)) => format!(" (seq {f}..={l})"),
                _ => String::new(),
            },
            r.already_imported,
            dup_text(&r)
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
