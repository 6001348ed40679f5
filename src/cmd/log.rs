//! `igl log` and `igl show`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use igl_ledger::index::Resolution;
use igl_ledger::view::{self, EntryDetail, EntryLine};
use igl_ledger::{Ledger, PayloadState, StoredEntry};
use igl_schema::{Event, Subject};
use serde_json::Value;

use super::Authors;
use crate::{Outcome, out};

#[derive(Args)]
pub struct LogArgs {
    /// Print JSON Lines (one entry per line).
    #[arg(long)]
    json: bool,
    /// Only entries of this event type (see `igl types`).
    #[arg(long = "type", value_name = "TYPE")]
    event_type: Option<String>,
    /// Only entries that name this subject: `person:ID`, `service-user:ID`, or a bare id
    /// (either). Answered from the subject index (`igl sar` also lists what they authored).
    #[arg(long, value_name = "ID")]
    subject: Option<String>,
    /// First seq.
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    from: u64,
    /// Last seq (inclusive).
    #[arg(long, value_name = "SEQ")]
    to: Option<u64>,
    /// At most this many entries.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

/// The seqs `--type` and `--subject` select, from the indexes ([`Ledger::select`]), in seq
/// order; `None` when neither is given.
fn indexed_seqs(ledger: &Ledger, a: &LogArgs) -> Result<Option<Vec<u64>>> {
    let subjects = match a.subject.as_deref() {
        None => None,
        Some(s) => Some(match ledger.resolve_subject(s)? {
            Resolution::One(one) => vec![one],
            Resolution::Nothing(all) => all,
            Resolution::Ambiguous(found) => {
                bail!("--subject {}", Resolution::question(s, &found))
            }
            Resolution::Invalid(e) => bail!("--subject: {e}"),
        }),
    };
    Ok(ledger.select(a.event_type.as_deref(), subjects.as_deref())?)
}

pub fn run_log(a: LogArgs, dir: PathBuf) -> Result<Outcome> {
    if let Some(t) = &a.event_type
        && Event::field_names(t).is_none()
    {
        bail!("--type: unknown event type {t:?}; run `igl types` to list them");
    }
    if let Some(s) = &a.subject
        && s.contains(':')
    {
        Subject::parse(s).map_err(|e| anyhow!("--subject: {e}"))?;
    }
    let ledger = Ledger::open_read_only(&dir)?;
    let mut authors = Authors::new(&ledger);
    let mut o = out::stdout();
    let (from, to) = (a.from, a.to.unwrap_or(u64::MAX));
    let entries: Box<dyn Iterator<Item = igl_ledger::Result<StoredEntry>>> =
        match indexed_seqs(&ledger, &a)? {
            None => Box::new(ledger.entries(from)),
            Some(seqs) => Box::new(
                ledger.entries_at(seqs.into_iter().filter(move |s| (from..=to).contains(s))),
            ),
        };
    for item in entries.take(a.limit.unwrap_or(usize::MAX)) {
        let e = item?;
        if e.entry.seq > to {
            break;
        }
        let body = &e.entry.event.body;
        let author = authors.get(&body.author)?;
        if a.json {
            out::json_line(&mut o, &EntryLine::new(&e, author))?;
        } else {
            let who = view::author_name(author, body);
            writeln!(
                o,
                "{:>7}  {}  {:<28} {:<10} {}{}",
                e.entry.seq,
                e.entry.recorded_at.datetime().format("%Y-%m-%d %H:%M:%S"),
                body.event.type_name(),
                who,
                view::summary(&body.event, &[], 4),
                match e.payload {
                    PayloadState::Redacted { .. } => "  [redacted]",
                    PayloadState::Missing => "  [personal data missing]",
                    _ => "",
                }
            )?;
        }
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

#[derive(Args)]
pub struct ShowArgs {
    /// The entry's seq.
    seq: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_show(a: ShowArgs, dir: PathBuf) -> Result<Outcome> {
    let ledger = Ledger::open_read_only(&dir)?;
    let Some(d) = EntryDetail::read(&ledger, a.seq)? else {
        let last = ledger.head()?.map(|h| h.seq);
        bail!(
            "no entry at seq {}{}",
            a.seq,
            last.map(|l| format!(" (the ledger has seq 0..={l})"))
                .unwrap_or_default()
        );
    };
    let mut o = out::stdout();
    if a.json {
        out::json_line(&mut o, &d)?;
        o.flush()?;
        return Ok(Outcome::Ok);
    }
    let (e, seal, redaction) = (&d.entry, &d.seal, &d.redaction);
    print_entry(&mut o, e, d.author.as_ref(), d.signature_valid)?;
    if let Some(s) = &seal {
        writeln!(
            o,
            "sealed by    {} for entries {}..={} at {}",
            s.body.appender.short(),
            s.body.first_seq,
            s.body.last_seq,
            s.body.sealed_at
        )?;
    }
    if let (PayloadState::Redacted { by }, Some(r)) = (e.payload, redaction) {
        let who = view::author_name(
            ledger.key(&r.entry.event.body.author)?.as_ref(),
            &r.entry.event.body,
        );
        let why = match &r.entry.event.body.event {
            Event::Redacted(x) => x.reason.clone(),
            _ => String::new(),
        };
        writeln!(
            o,
            "redacted     personal data erased by {who} at seq {by} ({}): {why}",
            r.entry.recorded_at
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

fn print_entry(
    o: &mut impl Write,
    e: &StoredEntry,
    author: Option<&igl_ledger::KeyRecord>,
    sig_ok: bool,
) -> Result<()> {
    let body = &e.entry.event.body;
    writeln!(o, "seq {}  {}", e.entry.seq, body.event.type_name())?;
    writeln!(o, "recorded_at  {}", e.entry.recorded_at)?;
    writeln!(o, "occurred_at  {}", body.occurred_at)?;
    writeln!(o, "event_id     {}", body.event_id)?;
    writeln!(
        o,
        "author       {}",
        author.map_or_else(
            || format!("{} (not enrolled)", body.author.short()),
            |k| k.describe()
        )
    )?;
    let subjects: Vec<String> = body.subjects.iter().map(|s| s.to_string()).collect();
    writeln!(o, "subjects     {}", subjects.join(", "))?;
    writeln!(o, "fields")?;
    if let Ok(Value::Object(map)) = serde_json::to_value(&body.event) {
        let width = map.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, v) in map.iter().filter(|(k, _)| *k != "type") {
            let shown = match v {
                Value::String(s) => s.clone(),
                Value::Null => "-".into(),
                other => other.to_string(),
            };
            writeln!(o, "  {k:<width$}  {shown}")?;
        }
    }
    let pii = body.event.pii();
    if !pii.is_empty() {
        let state = match e.payload {
            PayloadState::Present => "stored; matches the signed commitments ✔",
            PayloadState::Redacted { .. } => "erased (redacted); values shown as -",
            PayloadState::Missing => "MISSING with no redaction on record ✘",
            PayloadState::None => "",
        };
        writeln!(o, "personal     {} field(s): {state}", pii.len())?;
    }
    writeln!(o, "hash         {}", e.hash)?;
    writeln!(o, "prev_hash    {}", e.entry.prev_hash)?;
    writeln!(
        o,
        "signature    {} {}",
        e.entry.event.signature,
        if sig_ok {
            "✔ verifies"
        } else {
            "✘ DOES NOT VERIFY"
        }
    )?;
    Ok(())
}
