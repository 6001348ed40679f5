//! `igl log` and `igl show`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use igl_ledger::index::Resolution;
use igl_ledger::{Ledger, PayloadState, StoredEntry};
use igl_schema::{Event, Subject};
use serde_json::Value;

use super::{Authors, entry_json};
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

/// A one-line human summary of an event's main fields.
fn summary(e: &Event) -> String {
    let v = serde_json::to_value(e).unwrap_or(Value::Null);
    let Value::Object(map) = v else {
        return String::new();
    };
    map.iter()
        .filter(|(k, _)| *k != "type")
        .filter_map(|(k, v)| match v {
            Value::Null => None,
            // Keys and hashes: the short form is enough on a one-line summary.
            Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(format!("{k}={}…", &s[..12]))
            }
            Value::String(s) => Some(format!("{k}={s}")),
            other => Some(format!("{k}={other}")),
        })
        .take(4)
        .collect::<Vec<_>>()
        .join(" ")
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
            out::json_line(&mut o, &entry_json(&e, author))?;
        } else {
            let who = author.map_or_else(|| body.author.short(), |k| k.person.to_string());
            writeln!(
                o,
                "{:>7}  {}  {:<28} {:<10} {}{}",
                e.entry.seq,
                e.entry.recorded_at.datetime().format("%Y-%m-%d %H:%M:%S"),
                body.event.type_name(),
                who,
                summary(&body.event),
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
    let Some(e) = ledger.entry(a.seq)? else {
        let last = ledger.head()?.map(|h| h.seq);
        bail!(
            "no entry at seq {}{}",
            a.seq,
            last.map(|l| format!(" (the ledger has seq 0..={l})"))
                .unwrap_or_default()
        );
    };
    let body = &e.entry.event.body;
    let author = ledger.key(&body.author)?;
    let seal = ledger.seal_covering(a.seq)?;
    let sig_ok = e.entry.event.verify_signature().is_ok();
    let redaction = match e.payload {
        PayloadState::Redacted { by } => ledger.entry(by)?,
        _ => None,
    };
    let mut o = out::stdout();
    if a.json {
        let mut v = entry_json(&e, author.as_ref());
        v["signature_valid"] = Value::Bool(sig_ok);
        if let Some(s) = &seal {
            v["seal"] = serde_json::json!({
                "first_seq": s.body.first_seq,
                "last_seq": s.body.last_seq,
                "head_hash": s.body.head_hash.to_hex(),
                "sealed_at": s.body.sealed_at.to_string(),
                "appender": s.body.appender.to_hex(),
                "signature": s.signature.to_hex(),
            });
        }
        if let Some(r) = &redaction {
            v["redaction"] = Value::Object(igl_schema::json::event_json(&r.entry.event));
        }
        out::json_line(&mut o, &v)?;
        o.flush()?;
        return Ok(Outcome::Ok);
    }
    print_entry(&mut o, &e, author.as_ref(), sig_ok)?;
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
    if let (PayloadState::Redacted { by }, Some(r)) = (e.payload, &redaction) {
        let who = ledger.key(&r.entry.event.body.author)?.map_or_else(
            || r.entry.event.body.author.short(),
            |k| k.person.to_string(),
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
