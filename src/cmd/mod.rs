//! The subcommands.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use igl_ledger::{KeyRecord, Ledger};
use igl_schema::PublicKey;
use serde_json::{Value, json};

pub mod append;
pub mod audit;
pub mod bundle;
pub mod checkpoint;
pub mod import;
pub mod init;
pub mod keys;
pub mod log;
pub mod passphrase;
pub mod profile;
pub mod publish;
pub mod rebuild;
pub mod reconcile;
pub mod redact;
pub mod requests;
pub mod review;
pub mod sar;
pub mod shell;
pub mod types;
pub mod verify;
pub mod witness;

/// The ledger directory from `--ledger` or `IGL_LEDGER`.
pub fn ledger_dir(dir: Option<&Path>) -> Result<PathBuf> {
    dir.map(Path::to_path_buf).ok_or_else(|| {
        anyhow!("no ledger given: pass --ledger DIR or set IGL_LEDGER (try `igl demo` for a sample ledger)")
    })
}

/// Looks up and caches authors' enrolment records.
pub struct Authors<'a> {
    ledger: &'a Ledger,
    cache: HashMap<PublicKey, Option<KeyRecord>>,
}

impl<'a> Authors<'a> {
    pub fn new(ledger: &'a Ledger) -> Self {
        Self {
            ledger,
            cache: HashMap::new(),
        }
    }
    pub fn get(&mut self, key: &PublicKey) -> Result<Option<&KeyRecord>> {
        if !self.cache.contains_key(key) {
            let rec = self.ledger.key(key)?;
            self.cache.insert(*key, rec);
        }
        Ok(self.cache[key].as_ref())
    }
}

/// The JSON object of a key's enrolment.
pub fn key_json(r: &KeyRecord) -> Value {
    json!({
        "public_key": r.key.to_hex(),
        "person": r.person.to_string(),
        "role": r.role.to_string(),
        "enrolled_seq": r.enrolled_seq,
        "revoked_seq": r.revoked_seq,
    })
}
