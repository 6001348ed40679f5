//! `igl key new|show` and `igl keys`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use igl_ledger::{Ledger, keys};
use igl_schema::public_key;
use serde_json::json;

use crate::Outcome;
use crate::out;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a new ed25519 secret key file (mode 0600; never overwrites) and print its public key.
    New {
        /// Where to write the secret key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a key file's public key, and its enrolment when a ledger is given.
    Show {
        /// The secret key file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run_key(c: KeyCommand, ledger: Option<&Path>) -> Result<Outcome> {
    let mut o = out::stdout();
    match c {
        KeyCommand::New { out: path, json } => {
            let key = keys::create(&path)?;
            let pk = public_key(&key);
            if json {
                out::json_line(&mut o, &json!({"file": path, "public_key": pk.to_hex()}))?;
            } else {
                writeln!(o, "{pk}")?;
                eprintln!(
                    "wrote secret key {} (mode 0600); enrol its public key with a KeyEnrolled event",
                    path.display()
                );
            }
        }
        KeyCommand::Show { file, json } => {
            let pk = keys::load_public(&file)?;
            let record = match ledger {
                Some(dir) => Ledger::open_read_only(dir)?.key(&pk)?,
                None => None,
            };
            if json {
                out::json_line(
                    &mut o,
                    &json!({
                        "file": file,
                        "public_key": pk.to_hex(),
                        "enrolment": record.as_ref().map(super::key_json),
                    }),
                )?;
            } else {
                writeln!(o, "public key  {pk}")?;
                writeln!(o, "short id    {}", pk.short())?;
                match (ledger, record) {
                    (Some(_), Some(r)) => writeln!(o, "enrolled    {}", r.describe())?,
                    (Some(_), None) => writeln!(o, "enrolled    no (not in this ledger)")?,
                    (None, _) => {}
                }
            }
        }
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

#[derive(Args)]
pub struct KeysArgs {
    /// Print JSON Lines.
    #[arg(long)]
    json: bool,
}

pub fn run_keys(a: KeysArgs, dir: PathBuf) -> Result<Outcome> {
    let ledger = Ledger::open_read_only(&dir)?;
    let mut records = ledger.keys().context("reading the key registry")?;
    records.sort_by_key(|r| r.enrolled_seq);
    let mut o = out::stdout();
    for r in &records {
        if a.json {
            out::json_line(&mut o, &super::key_json(r))?;
        } else {
            writeln!(
                o,
                "{}  {:<11} {:<10} enrolled at seq {:<6}{}",
                r.key.short(),
                r.role.as_str(),
                r.person.as_str(),
                r.enrolled_seq,
                r.revoked_seq
                    .map(|s| format!(" revoked at seq {s}"))
                    .unwrap_or_default()
            )?;
        }
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
