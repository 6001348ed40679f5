//! The subcommands.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use igl_ledger::{KeyRecord, Ledger, PayloadState, StoredEntry};
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

/// `present`, `redacted`, `none` or `missing`.
pub fn payload_state(p: PayloadState) -> &'static str {
    match p {
        PayloadState::None => "none",
        PayloadState::Present => "present",
        PayloadState::Redacted { .. } => "redacted",
        PayloadState::Missing => "missing",
    }
}

/// The JSON object of a stored entry (`igl log --json`, `igl show --json`).
pub fn entry_json(e: &StoredEntry, author: Option<&KeyRecord>) -> Value {
    let mut v = json!({
        "seq": e.entry.seq,
        "recorded_at": e.entry.recorded_at.to_string(),
        "type": e.entry.event.body.event.type_name(),
        "hash": e.hash.to_hex(),
        "prev_hash": e.entry.prev_hash.to_hex(),
        "author_person": author.map(|a| a.person.to_string()),
        "author_role": author.map(|a| a.role.to_string()),
        "personal_data": payload_state(e.payload),
    });
    if let PayloadState::Redacted { by } = e.payload {
        v["redacted_by"] = json!(by);
    }
    v["event"] = Value::Object(igl_schema::json::event_json(&e.entry.event));
    v
}
