//! Passphrases for encrypted key files: `--passphrase-file`, then `IGL_PASSPHRASE`, then a prompt
//! on the controlling terminal (never stdin, which may carry events).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use igl_ledger::keys::{self, KdfParams, KeyFile};
use igl_schema::SigningKey;
use zeroize::Zeroizing;

/// The environment variable a script can give a key file's passphrase in.
pub const ENV: &str = "IGL_PASSPHRASE";
/// The environment variable `igl key passwd` reads the new passphrase from.
pub const ENV_NEW: &str = "IGL_NEW_PASSPHRASE";

/// Where the passphrase of an encrypted key file comes from.
#[derive(Args, Clone, Debug, Default)]
pub struct PassphraseArgs {
    /// If the key file is encrypted: read its passphrase from the first line of FILE (which
    /// group and others must not be able to read). Otherwise IGL_PASSPHRASE is used, or else
    /// the passphrase is asked for on the terminal.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

impl PassphraseArgs {
    /// Reads and, if it is encrypted, unlocks the key file at `path`.
    pub fn load_key(&self, path: &Path) -> Result<SigningKey> {
        let file = keys::read(path)?;
        self.unlock(&file)
    }

    /// Unlocks a key file read already, asking for its passphrase only if it is encrypted.
    pub fn unlock(&self, file: &KeyFile) -> Result<SigningKey> {
        file.unlock(|| self.existing(file.path()))
    }

    /// The passphrase of the existing key file `key`.
    fn existing(&self, key: &Path) -> Result<Zeroizing<String>> {
        if let Some(p) = &self.passphrase_file {
            return Ok(keys::read_passphrase_file(p)?);
        }
        if let Some(p) = from_env(ENV)? {
            return Ok(p);
        }
        prompt(&format!("Passphrase for {}: ", key.display())).map_err(|_| {
            anyhow!(
                "{}: encrypted with a passphrase, and there is no terminal to ask for it on: \
                 pass --passphrase-file FILE (its first line; mode 0600) or set {ENV}",
                key.display()
            )
        })
    }

    /// A new passphrase for the key file `key`: from `--passphrase-file` or `IGL_PASSPHRASE`,
    /// else asked twice on the terminal. Checked for length.
    pub fn new_passphrase(&self, key: &Path) -> Result<Zeroizing<String>> {
        new_from(
            self.passphrase_file.as_deref(),
            ENV,
            "--passphrase-file",
            key,
        )
    }
}

/// A new passphrase from `file`, else the variable `env`, else asked twice on the terminal.
pub fn new_from(
    file: Option<&Path>,
    env: &str,
    flag: &str,
    key: &Path,
) -> Result<Zeroizing<String>> {
    let p = match (file, from_env(env)?) {
        (Some(f), _) => keys::read_passphrase_file(f)?,
        (None, Some(p)) => p,
        (None, None) => {
            let no_tty = |_| {
                anyhow!(
                    "no terminal to ask for a new passphrase for {} on: pass {flag} FILE (its \
                     first line; mode 0600) or set {env}",
                    key.display()
                )
            };
            let first =
                prompt(&format!("New passphrase for {}: ", key.display())).map_err(no_tty)?;
            keys::check_new_passphrase(&first)?;
            let second = prompt("Repeat the passphrase: ").map_err(no_tty)?;
            if *first != *second {
                bail!("the two passphrases differ; nothing was written");
            }
            first
        }
    };
    keys::check_new_passphrase(&p)?;
    Ok(p)
}

/// The variable `name`, if set.
fn from_env(name: &str) -> Result<Option<Zeroizing<String>>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(Zeroizing::new(v))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8"),
    }
}

/// Asks on the controlling terminal (`/dev/tty`) with echo off; an error when there is none.
fn prompt(text: &str) -> std::io::Result<Zeroizing<String>> {
    rpassword::prompt_password(text).map(Zeroizing::new)
}

/// `--kdf-params m=KIB,t=PASSES,p=LANES` (hidden; tests use cheap parameters, which the file
/// records): the default is [`KdfParams::DEFAULT`].
pub fn kdf_params(given: Option<&str>) -> Result<KdfParams> {
    match given {
        None => Ok(KdfParams::DEFAULT),
        Some(s) => KdfParams::parse(s).context("--kdf-params"),
    }
}
