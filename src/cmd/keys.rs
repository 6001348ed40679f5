//! `igl key new|show|encrypt|decrypt|passwd` and `igl keys`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use igl_ledger::Ledger;
use igl_ledger::keys::{self, KeyFileError, Protect, Protection};
use igl_schema::{SigningKey, public_key};
use serde_json::json;

use super::passphrase::{self, PassphraseArgs, kdf_params};
use crate::Outcome;
use crate::out;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a new ed25519 secret key file (mode 0600; never overwrites) and print its public key.
    New {
        /// Where to write the secret key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Encrypt it with a passphrase (argon2id + XChaCha20-Poly1305): from --passphrase-file,
        /// IGL_PASSPHRASE, or asked twice on the terminal.
        #[arg(long)]
        encrypt: bool,
        #[command(flatten)]
        pass: PassphraseArgs,
        #[command(flatten)]
        kdf: KdfArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a key file's public key and protection, and its enrolment when a ledger is given.
    /// An encrypted file is unlocked first, which checks its passphrase.
    Show {
        /// The secret key file.
        file: PathBuf,
        #[command(flatten)]
        pass: PassphraseArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Encrypt a plain key file in place with a new passphrase (from --passphrase-file,
    /// IGL_PASSPHRASE, or asked twice). The file is replaced atomically; the key is unchanged.
    Encrypt {
        /// The secret key file.
        file: PathBuf,
        #[command(flatten)]
        pass: PassphraseArgs,
        #[command(flatten)]
        kdf: KdfArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decrypt an encrypted key file in place (it stays mode 0600, in plain text).
    Decrypt {
        /// The secret key file.
        file: PathBuf,
        #[command(flatten)]
        pass: PassphraseArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change an encrypted key file's passphrase in place: the current one from
    /// --passphrase-file, IGL_PASSPHRASE or the terminal; the new one from --new-passphrase-file,
    /// IGL_NEW_PASSPHRASE or asked twice.
    Passwd {
        /// The secret key file.
        file: PathBuf,
        #[command(flatten)]
        pass: PassphraseArgs,
        /// Read the new passphrase from the first line of FILE (mode 0600).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        kdf: KdfArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Hidden: cheaper argon2id parameters for tests. They are stored in the file; without the flag
/// every file gets `KdfParams::DEFAULT`.
#[derive(Args)]
pub struct KdfArgs {
    #[arg(long, value_name = "m=KIB,t=PASSES,p=LANES", hide = true)]
    kdf_params: Option<String>,
}

/// Prints what a rewrite of a key file did: the public key on stdout, the news on stderr.
fn report(
    o: &mut impl Write,
    file: &Path,
    key: &SigningKey,
    encrypted: bool,
    json: bool,
    news: &str,
) -> Result<()> {
    let pk = public_key(key);
    if json {
        out::json_line(
            o,
            &json!({"file": file, "public_key": pk.to_hex(), "encrypted": encrypted}),
        )?;
    } else {
        writeln!(o, "{pk}")?;
        eprintln!("{news}");
    }
    Ok(())
}

pub fn run_key(c: KeyCommand, ledger: Option<&Path>) -> Result<Outcome> {
    let mut o = out::stdout();
    match c {
        KeyCommand::New {
            out: path,
            encrypt,
            pass,
            kdf,
            json,
        } => {
            let key = if encrypt {
                let params = kdf_params(kdf.kdf_params.as_deref())?;
                let p = pass.new_passphrase(&path)?;
                keys::create_protected(&path, &Protect::Passphrase(&p, params))?
            } else {
                if pass.passphrase_file.is_some() || kdf.kdf_params.is_some() {
                    bail!("--passphrase-file and --kdf-params need --encrypt");
                }
                keys::create(&path)?
            };
            let news = format!(
                "wrote secret key {} (mode 0600{}); enrol its public key with a KeyEnrolled event",
                path.display(),
                if encrypt {
                    ", encrypted with your passphrase"
                } else {
                    ""
                }
            );
            report(&mut o, &path, &key, encrypt, json, &news)?;
        }
        KeyCommand::Show { file, pass, json } => {
            let f = keys::read(&file)?;
            let key = pass.unlock(&f)?;
            let pk = public_key(&key);
            let protection = f.protection();
            let record = match ledger {
                Some(dir) => Ledger::open_read_only(dir)?.key(&pk)?,
                None => None,
            };
            if json {
                let kdf = match protection {
                    Protection::Plain => serde_json::Value::Null,
                    Protection::Passphrase(p) => json!({
                        "algorithm": "argon2id", "m_kib": p.m_kib, "t": p.t, "p": p.p,
                        "cipher": "xchacha20poly1305",
                    }),
                };
                out::json_line(
                    &mut o,
                    &json!({
                        "file": file,
                        "public_key": pk.to_hex(),
                        "encrypted": f.is_encrypted(),
                        "kdf": kdf,
                        "enrolment": record.as_ref().map(super::key_json),
                    }),
                )?;
            } else {
                writeln!(o, "public key  {pk}")?;
                writeln!(o, "short id    {}", pk.short())?;
                writeln!(o, "protection  {protection}")?;
                match (ledger, record) {
                    (Some(_), Some(r)) => writeln!(o, "enrolled    {}", r.describe())?,
                    (Some(_), None) => writeln!(o, "enrolled    no (not in this ledger)")?,
                    (None, _) => {}
                }
                if !f.is_encrypted() {
                    eprintln!(
                        "⚠ {} is not encrypted: anyone who can read it can sign as its owner \
                         (`igl key encrypt {}` protects it with a passphrase)",
                        file.display(),
                        file.display()
                    );
                }
            }
        }
        KeyCommand::Encrypt {
            file,
            pass,
            kdf,
            json,
        } => {
            let f = keys::read(&file)?;
            if f.is_encrypted() {
                let e = KeyFileError::AlreadyEncrypted { path: file };
                bail!("{e} (`igl key passwd` changes the passphrase)");
            }
            let params = kdf_params(kdf.kdf_params.as_deref())?;
            let key = pass.unlock(&f)?;
            let p = pass.new_passphrase(&file)?;
            keys::replace(&f, &key, &Protect::Passphrase(&p, params))?;
            let news = format!(
                "encrypted {} with your passphrase ({})",
                file.display(),
                Protection::Passphrase(params)
            );
            report(&mut o, &file, &key, true, json, &news)?;
        }
        KeyCommand::Decrypt { file, pass, json } => {
            let f = keys::read(&file)?;
            if !f.is_encrypted() {
                return Err(KeyFileError::NotEncrypted { path: file }.into());
            }
            let key = pass.unlock(&f)?;
            keys::replace(&f, &key, &Protect::Plain)?;
            let news = format!(
                "decrypted {}: the key is now in plain text, protected only by the file's mode 0600",
                file.display()
            );
            report(&mut o, &file, &key, false, json, &news)?;
        }
        KeyCommand::Passwd {
            file,
            pass,
            new_passphrase_file,
            kdf,
            json,
        } => {
            let f = keys::read(&file)?;
            if !f.is_encrypted() {
                bail!(
                    "{}: not encrypted; `igl key encrypt {}` gives it a passphrase",
                    file.display(),
                    file.display()
                );
            }
            let params = kdf_params(kdf.kdf_params.as_deref())?;
            let key = pass.unlock(&f)?;
            let p = passphrase::new_from(
                new_passphrase_file.as_deref(),
                passphrase::ENV_NEW,
                "--new-passphrase-file",
                &file,
            )?;
            keys::replace(&f, &key, &Protect::Passphrase(&p, params))?;
            let news = format!("changed the passphrase of {}", file.display());
            report(&mut o, &file, &key, true, json, &news)?;
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
