//! `igl import hr` and `igl import access`: the HR system's joiners, movers and leavers, and a
//! case system's audit export, from CSV (`igl_ledger::import`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use igl_ledger::import::{self, AccessMapping, HrMapping, ImportError, Row};
use igl_ledger::{Ledger, LedgerError, keys};
use igl_schema::{EventId, LedgerId, Salt, SigningKey, Submission, SystemId, Timestamp};
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

/// Signs a row as `key`'s event, with the row's stable event id.
fn sign(ledger_id: LedgerId, row: &Row, key: &SigningKey) -> Result<Submission> {
    Ok(Submission::sign(
        ledger_id,
        row.event.clone(),
        row.occurred_at,
        row.event_id,
        [],
        key,
        Salt(keys::random_bytes()?),
    )?)
}

/// Appends `rows` as one sealed batch; an entry the ledger refuses is named by its line.
fn append(
    ledger: &Ledger,
    file: &str,
    rows: &[Row],
    key: &SigningKey,
    ledger_id: LedgerId,
) -> Result<igl_ledger::AppendReceipt> {
    let subs = rows
        .iter()
        .map(|r| sign(ledger_id, r, key))
        .collect::<Result<Vec<_>>>()?;
    match ledger.append(&subs, key, Timestamp::now()) {
        Ok(r) => Ok(r),
        Err(e @ LedgerError::Rejected { index, .. }) => {
            let line = rows.get(index).map_or(0, |r| r.line);
            bail!("{file}:{line}: {e}")
        }
        Err(e) => Err(e.into()),
    }
}

/// `; 3 duplicate rows (the same as an earlier row of the file)`, or nothing.
fn dup_text(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "; 1 duplicate row (the same as an earlier row of the file)".into(),
        n => format!("; {n} duplicate rows (the same as earlier rows of the file)"),
    }
}

/// Whether the ledger already holds the entry of this event id.
fn held(ledger: &Ledger, id: &EventId) -> Result<bool> {
    Ok(ledger.event_seq(id)?.is_some())
}

fn run_hr(a: HrArgs, dir: PathBuf) -> Result<Outcome> {
    let c = &a.c;
    let m: HrMapping = mapping(c.map.as_deref())?;
    let key = c.pass.load_key(&c.key)?;
    let ledger = Ledger::open(&dir)?;
    let ledger_id = ledger.ledger_id()?;
    let name = c.file.display().to_string();
    let rows = import::read_hr(&name, open_file(&c.file)?, &m, ledger_id)
        .map_err(|e| anyhow::anyhow!("{e}\nnothing was appended"))?;
    let total = rows.len();
    let mut seen = std::collections::BTreeSet::new();
    let mut new_rows = Vec::new();
    let (mut already, mut duplicates) = (0usize, 0usize);
    for r in rows {
        if !seen.insert(r.event_id) {
            duplicates += 1;
        } else if held(&ledger, &r.event_id)? {
            already += 1;
        } else {
            new_rows.push(r);
        }
    }
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for r in &new_rows {
        *kinds.entry(r.event.type_name()).or_default() += 1;
    }
    let receipt = if c.dry_run || new_rows.is_empty() {
        None
    } else {
        Some(
            append(&ledger, &name, &new_rows, &key, ledger_id)
                .map_err(|e| e.context("nothing was appended"))?,
        )
    };
    let mut o = out::stdout();
    if c.json {
        out::json_line(
            &mut o,
            &json!({
                "file": name,
                "rows": total,
                "appended": if c.dry_run { 0 } else { new_rows.len() },
                "would_append": if c.dry_run { new_rows.len() } else { 0 },
                "already_imported": already,
                "duplicate_rows": duplicates,
                "by_type": kinds,
                "first_seq": receipt.as_ref().map(|r| r.first_seq),
                "last_seq": receipt.as_ref().map(|r| r.last_seq),
                "dry_run": c.dry_run,
            }),
        )?;
    } else {
        let what = kinds
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        match &receipt {
            Some(r) => writeln!(
                o,
                "✔ imported {} of {total} rows from {name} as seq {}..={}: {what}; {already} already imported{}",
                new_rows.len(),
                r.first_seq,
                r.last_seq,
                dup_text(duplicates)
            )?,
            None if c.dry_run => writeln!(
                o,
                "dry run: {} of {total} rows from {name} would be appended ({what}); {already} already imported{}; nothing was appended",
                new_rows.len(),
                dup_text(duplicates)
            )?,
            None => writeln!(
                o,
                "✔ nothing to import: all {total} rows of {name} are already in the ledger{}",
                dup_text(duplicates)
            )?,
        }
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

fn run_access(a: AccessArgs, dir: PathBuf) -> Result<Outcome> {
    let c = &a.c;
    if a.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let system = SystemId::new(&a.system).map_err(|e| anyhow::anyhow!("--system: {e}"))?;
    let m: AccessMapping = mapping(c.map.as_deref())?;
    let key = c.pass.load_key(&c.key)?;
    let ledger = Ledger::open(&dir)?;
    let ledger_id = ledger.ledger_id()?;
    let name = c.file.display().to_string();
    let file = open_file(&c.file)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = out::progress(len, "importing");
    let mut rows = 0usize;
    let mut appended = 0usize;
    let mut already = 0usize;
    let mut duplicates = 0usize;
    let mut batches = 0usize;
    let mut first_seq = None;
    let mut last_seq = None;
    let mut pending: Vec<Row> = Vec::with_capacity(a.batch);
    let mut in_batch = std::collections::HashSet::new();
    let mut flush = |pending: &mut Vec<Row>,
                     in_batch: &mut std::collections::HashSet<EventId>|
     -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        if !c.dry_run {
            let r = append(&ledger, &name, pending, &key, ledger_id).map_err(|e| {
                e.context(format!(
                    "the rows before this batch were appended ({appended} in {batches} batches); run the import again to resume"
                ))
            })?;
            first_seq.get_or_insert(r.first_seq);
            last_seq = Some(r.last_seq);
            batches += 1;
        }
        appended += pending.len();
        pending.clear();
        in_batch.clear();
        Ok(())
    };
    let result = import::read_access(&name, file, &m, &system, ledger_id, |row| {
        rows += 1;
        pb.set_position(row.byte);
        if in_batch.contains(&row.event_id) {
            duplicates += 1;
        } else if held(&ledger, &row.event_id)? {
            already += 1;
        } else {
            in_batch.insert(row.event_id);
            pending.push(row);
            if pending.len() >= a.batch {
                flush(&mut pending, &mut in_batch)?;
            }
        }
        Ok::<(), anyhow::Error>(())
    });
    let result = result.and_then(|()| flush(&mut pending, &mut in_batch));
    pb.finish_and_clear();
    if let Err(e) = result {
        let e = match e.downcast::<ImportError>() {
            Ok(ie) => anyhow::anyhow!(
                "{ie}\n{} rows before it were appended in {batches} batches; fix the row and run the import again to resume (rows already appended are skipped)",
                appended
            ),
            Err(e) => e,
        };
        return Err(e);
    }
    let mut o = out::stdout();
    if c.json {
        out::json_line(
            &mut o,
            &json!({
                "file": name,
                "system": system.as_str(),
                "rows": rows,
                "appended": if c.dry_run { 0 } else { appended },
                "would_append": if c.dry_run { appended } else { 0 },
                "already_imported": already,
                "duplicate_rows": duplicates,
                "batches": batches,
                "first_seq": first_seq,
                "last_seq": last_seq,
                "dry_run": c.dry_run,
            }),
        )?;
    } else if c.dry_run {
        writeln!(
            o,
            "dry run: {appended} of {rows} rows from {name} would be appended as RecordAccessed on {system}; {already} already imported{}; nothing was appended",
            dup_text(duplicates)
        )?;
    } else {
        writeln!(
            o,
            "✔ imported {appended} of {rows} rows from {name} as RecordAccessed on {system} in {batches} sealed batch{}{}; {already} already imported{}",
            if batches == 1 { "" } else { "es" },
            match (first_seq, last_seq) {
                (Some(f), Some(l)) => format!(" (seq {f}..={l})"),
                _ => String::new(),
            },
            dup_text(duplicates)
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
