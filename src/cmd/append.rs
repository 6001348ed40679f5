//! `igl append` and `igl sign`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use igl_ledger::{Ledger, LedgerError, keys};
use igl_schema::json::{Line, parse_line, submission_json};
use igl_schema::{EventId, LedgerId, Salt, SigningKey, Submission, Timestamp};
use serde_json::{Value, json};

use crate::{Outcome, out};

/// How many line errors to list before giving up.
const MAX_LISTED_ERRORS: usize = 20;

#[derive(Args)]
pub struct AppendArgs {
    /// The appending key: signs unsigned events as their author, and seals the batch.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// JSON Lines of events; `-` or nothing for stdin.
    input: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct SignArgs {
    /// The author's secret key.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The id of the ledger the events are for (32 hex digits, as `igl verify` prints it):
    /// the signature names it, so the events can be appended to that ledger only. Without it,
    /// the id is read from the ledger given by --ledger.
    #[arg(long, value_name = "HEX")]
    ledger_id: Option<String>,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// JSON Lines of events; `-` or nothing for stdin.
    input: Option<PathBuf>,
}

/// Reads the input file or stdin; returns its display name and text.
fn read_input(input: Option<&Path>) -> Result<(String, String)> {
    match input {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Ok((p.display().to_string(), text))
        }
    }
}

fn read_stdin() -> Result<(String, String)> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading events from stdin")?;
    Ok(("<stdin>".into(), s))
}

/// Parses every line (skipping blank lines and `#` comments), signing unsigned ones with `key`.
/// Returns the submissions with their line numbers, or every error found (nothing is kept).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Append,
    Sign,
}

fn read_events(
    name: &str,
    text: &str,
    ledger_id: LedgerId,
    key: &SigningKey,
    mode: Mode,
) -> Result<Vec<(usize, Submission)>> {
    // A byte-order mark is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut subs = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let sub = parse_line(t)
            .map_err(|e| e.to_string())
            .and_then(|l| match l {
                Line::Signed(s) if mode == Mode::Sign => Err(format!(
                    "{}: already signed by key {}; `igl sign` signs unsigned events only",
                    s.event.body.event.type_name(),
                    s.event.body.author.short()
                )),
                Line::Signed(s) => Ok(s),
                Line::Draft(d) => {
                    let ty = d.event.type_name();
                    let id = keys::random_bytes().map_err(|e| e.to_string())?;
                    let salt = keys::random_bytes().map_err(|e| e.to_string())?;
                    d.sign(ledger_id, key, EventId(id), Salt(salt))
                        .map_err(|e| format!("{ty}: {e}"))
                }
            });
        match sub {
            Ok(s) => subs.push((ln, s)),
            Err(e) => {
                errors.push(format!("{name}:{ln}: {e}"));
                if errors.len() == MAX_LISTED_ERRORS {
                    errors.push(format!(
                        "{name}: (stopped after {MAX_LISTED_ERRORS} errors)"
                    ));
                    break;
                }
            }
        }
    }
    if !errors.is_empty() {
        let nothing = match mode {
            Mode::Append => "nothing was appended",
            Mode::Sign => "nothing was signed",
        };
        bail!("{}\n{nothing}", errors.join("\n"));
    }
    if subs.is_empty() {
        bail!("{name}: no events found (one JSON object per line; blank and # lines are skipped)");
    }
    Ok(subs)
}

pub fn run_append(a: AppendArgs, dir: PathBuf) -> Result<Outcome> {
    let key = a.pass.load_key(&a.key)?;
    let (name, text) = read_input(a.input.as_deref())?;
    let ledger = Ledger::open(&dir)?;
    let lines = read_events(&name, &text, ledger.ledger_id()?, &key, Mode::Append)?;
    let (line_numbers, subs): (Vec<usize>, Vec<Submission>) = lines.into_iter().unzip();
    let receipt = match ledger.append(&subs, &key, Timestamp::now()) {
        Ok(r) => r,
        Err(e @ LedgerError::Rejected { index, .. }) => {
            let ln = line_numbers.get(index).copied().unwrap_or(0);
            bail!("{name}:{ln}: {e}\nnothing was appended");
        }
        Err(e) => return Err(anyhow::Error::new(e).context("nothing was appended")),
    };
    let mut o = out::stdout();
    let n = receipt.last_seq - receipt.first_seq + 1;
    if a.json {
        out::json_line(
            &mut o,
            &json!({
                "first_seq": receipt.first_seq,
                "last_seq": receipt.last_seq,
                "entries": n,
                "head_hash": receipt.head_hash.to_hex(),
                "recorded_at": receipt.recorded_at.to_string(),
            }),
        )?;
    } else {
        writeln!(
            o,
            "appended seq {}..={} ({n} {}), head {}",
            receipt.first_seq,
            receipt.last_seq,
            if n == 1 { "entry" } else { "entries" },
            receipt.head_hash
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

/// The ledger an offline signature names (`igl sign`, `igl review decide`): `--ledger-id HEX`,
/// else the id of the ledger `--ledger DIR` names.
pub fn signing_ledger_id(hex: Option<&str>, ledger: Option<&Path>) -> Result<LedgerId> {
    Ok(match (hex, ledger) {
        (Some(hex), _) => {
            LedgerId::from_hex(hex.trim()).map_err(|e| anyhow::anyhow!("--ledger-id: {e}"))?
        }
        (None, Some(dir)) => Ledger::open_read_only(dir)?.ledger_id()?,
        (None, None) => bail!(
            "pass --ledger-id HEX (the id of the ledger the events are for, as `igl verify` prints it) or --ledger DIR: a signature names its ledger"
        ),
    })
}

pub fn run_sign(a: SignArgs, ledger: Option<&Path>) -> Result<Outcome> {
    let ledger_id = signing_ledger_id(a.ledger_id.as_deref(), ledger)?;
    let key = a.pass.load_key(&a.key)?;
    let (name, text) = read_input(a.input.as_deref())?;
    let subs = read_events(&name, &text, ledger_id, &key, Mode::Sign)?;
    let mut o = out::stdout();
    for (_, s) in &subs {
        out::json_line(&mut o, &Value::Object(submission_json(s)))?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
