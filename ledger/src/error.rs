//! The ledger's error type, and what to do about an error ([`Remedy`]).

use std::path::{Path, PathBuf};

/// What a user can do about an error (or a failed verification), named for any front end: the
/// messages here never name a command. The CLI words a remedy as an `igl` command line
/// (`src/advice.rs`); a server or another tool words it its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Create a ledger there (or a sample one).
    Create,
    /// Verify the whole ledger, for the full report of what is wrong.
    Verify,
    /// Rewrite the derived data (indexes, key registry, projections) from the entries.
    Rebuild,
    /// Sign a (newer) checkpoint of the ledger.
    Checkpoint,
}

/// Everything that can go wrong opening, reading or appending to a ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("no ledger at {0}")]
    NotFound(PathBuf),
    #[error("{0} is not empty; a ledger is created only in a new or empty directory")]
    NotEmpty(PathBuf),
    #[error(
        "ledger {0} is locked by another process (another igl command is writing it); wait for it to finish"
    )]
    Locked(PathBuf),
    #[error("ledger {path}: storage error: {message}")]
    Storage { path: PathBuf, message: String },
    /// The file system holding the ledger is full (`ENOSPC`). The write that hit it was not
    /// acknowledged.
    #[error(
        "ledger {path}: the disk is full (no space left on the file system holding the ledger): {message}; the write that hit it was not acknowledged: free some space there and run the command again (every acknowledged entry is kept)"
    )]
    DiskFull { path: PathBuf, message: String },
    /// RocksDB found its files damaged: a checksum mismatch, a truncated or missing table
    /// file, a bad MANIFEST or CURRENT, corruption in the write-ahead log before its tail.
    #[error(
        "ledger {path}: its storage files are damaged: {message}; igl will not read or write a damaged ledger: restore the ledger directory from a backup, then verify it"
    )]
    Damaged { path: PathBuf, message: String },
    #[error("ledger {path}: {what} at seq {seq} is damaged: {message}")]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        seq: u64,
        message: String,
    },
    #[error(
        "ledger {0}: an earlier write failed, so this handle refuses further writes (reopen the ledger)"
    )]
    Poisoned(PathBuf),
    #[error("ledger {0} was opened read-only")]
    ReadOnly(PathBuf),
    #[error("{}{event_type}: {message}", seq.map(|s| format!("seq {s}: ")).unwrap_or_default())]
    Rejected {
        /// Position of the event in the submitted batch (0-based).
        index: usize,
        /// The seq it would have had.
        seq: Option<u64>,
        event_type: &'static str,
        message: String,
    },
    #[error("appending key {key}: {message}")]
    Appender { key: String, message: String },
    #[error("ledger {path} is empty (no genesis entry)")]
    Empty { path: PathBuf },
    #[error("{0}")]
    Key(#[from] crate::keys::KeyFileError),
    #[error("{0}")]
    Proof(String),
    /// A proof (a bundle, an erasure, a complete list) needs a checkpoint the ledger does not
    /// have yet: a newer one, or two in a row.
    #[error("{0}")]
    NeedsCheckpoint(String),
    #[error("{}: {message}", path.display())]
    Pack {
        path: PathBuf,
        message: String,
        remedy: Option<Remedy>,
    },
    /// The ledger did not verify, so nothing that vouches for it (a checkpoint) was signed.
    #[error(
        "ledger {path} does not verify (seq {seq}: {message}); no checkpoint was signed: restore the ledger from a backup"
    )]
    Unverified {
        path: PathBuf,
        seq: u64,
        message: String,
    },
    #[error(
        "ledger {path}: {reason}; its derived data (indexes, key registry, projections) must be rebuilt from the entries"
    )]
    NeedsRebuild { path: PathBuf, reason: String },
    #[error(
        "ledger {path} was written by a newer igl (derived-data version {found}; this igl reads version {supported}): use that igl or a newer one"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

impl LedgerError {
    /// What to do about it, and the ledger it concerns when known; `None` when the message
    /// says all there is to do.
    pub fn remedy(&self) -> Option<(Remedy, Option<&Path>)> {
        use LedgerError::*;
        match self {
            NotFound(path) => Some((Remedy::Create, Some(path))),
            DiskFull { path, .. }
            | Damaged { path, .. }
            | Corrupt { path, .. }
            | Unverified { path, .. } => Some((Remedy::Verify, Some(path))),
            NeedsRebuild { path, .. } => Some((Remedy::Rebuild, Some(path))),
            NeedsCheckpoint(_) => Some((Remedy::Checkpoint, None)),
            Pack { remedy, .. } => remedy.map(|r| (r, None)),
            _ => None,
        }
    }

    /// Classifies an error message from RocksDB (or the file system under it): damage and a
    /// full disk get their own variants, with what to do; anything else is `Storage`.
    pub(crate) fn from_storage(path: &std::path::Path, message: String) -> LedgerError {
        let path = path.to_path_buf();
        let lower = message.to_ascii_lowercase();
        if lower.contains("no space left on device") || lower.contains("enospc") {
            LedgerError::DiskFull { path, message }
        } else if message.starts_with("Corruption:") || damaged_file(&lower) {
            let message = if message.contains("Missing WAL") {
                format!(
                    "{message} (the MANIFEST lists a write-ahead log that is not there: the MANIFEST was cut back or a log was deleted)"
                )
            } else {
                message
            };
            LedgerError::Damaged { path, message }
        } else {
            LedgerError::Storage { path, message }
        }
    }
}

/// Whether an IO error is about a file of the database that should be there (a table file,
/// the MANIFEST or CURRENT gone or unreadable): damage, not a passing IO problem.
fn damaged_file(lower: &str) -> bool {
    lower.starts_with("io error")
        && (lower.contains(".sst") || lower.contains("manifest") || lower.contains("current"))
        && (lower.contains("no such file") || lower.contains("short") || lower.contains("corrupt"))
}

/// `Result` with [`LedgerError`].
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::{LedgerError, Remedy};
    use std::path::{Path, PathBuf};

    /// Each error that another operation puts right names that operation as a `Remedy`, with
    /// the ledger concerned; none names a command in its message.
    #[test]
    fn remedies_are_typed_and_messages_name_no_command() {
        let l = || PathBuf::from("L");
        let cases = [
            (
                LedgerError::NotFound(l()),
                Some((Remedy::Create, Some(Path::new("L")))),
            ),
            (
                LedgerError::from_storage(Path::new("L"), "Corruption: checksum mismatch".into()),
                Some((Remedy::Verify, Some(Path::new("L")))),
            ),
            (
                LedgerError::NeedsRebuild {
                    path: l(),
                    reason: "r".into(),
                },
                Some((Remedy::Rebuild, Some(Path::new("L")))),
            ),
            (
                LedgerError::Unverified {
                    path: l(),
                    seq: 3,
                    message: "m".into(),
                },
                Some((Remedy::Verify, Some(Path::new("L")))),
            ),
            (
                LedgerError::NeedsCheckpoint("n".into()),
                Some((Remedy::Checkpoint, None)),
            ),
            (LedgerError::Locked(l()), None),
            (LedgerError::NotEmpty(l()), None),
        ];
        for (e, want) in &cases {
            assert_eq!(e.remedy(), *want, "{e}");
            assert!(!e.to_string().contains("`igl"), "{e}");
        }
    }

    fn kind(msg: &str) -> &'static str {
        match LedgerError::from_storage(Path::new("L"), msg.into()) {
            LedgerError::DiskFull { .. } => "full",
            LedgerError::Damaged { .. } => "damaged",
            LedgerError::Storage { .. } => "storage",
            _ => "other",
        }
    }

    /// RocksDB's messages, as seen in the damage and disk-full tests.
    #[test]
    fn rocksdb_errors_are_classified() {
        assert_eq!(
            kind(
                "IO error: No space left on device: While appending to file: L/000012.log: No space left on device"
            ),
            "full"
        );
        assert_eq!(
            kind(
                "Corruption: block checksum mismatch: stored = 1, computed = 2, type = 4  in L/000012.sst offset 38 size 28"
            ),
            "damaged"
        );
        assert_eq!(kind("Corruption: checksum mismatch"), "damaged");
        assert_eq!(
            kind(
                "IO error: No such file or directory: While opening a file for sequentially reading: L/MANIFEST-9999: No such file or directory"
            ),
            "damaged"
        );
        assert_eq!(kind("IO error: Input/output error"), "storage");
        assert_eq!(
            kind("Invalid argument: Column family not found: x"),
            "storage"
        );
        let m = LedgerError::from_storage(
            Path::new("L"),
            "Corruption: Missing WAL with log number: 4.".into(),
        )
        .to_string();
        assert!(
            m.contains("the MANIFEST lists a write-ahead log that is not there"),
            "{m}"
        );
        assert!(
            m.contains("restore the ledger directory from a backup"),
            "{m}"
        );
    }
}
