//! Where the TUI's data comes from: the [`Source`] trait over a ledger, and [`LedgerSource`], the
//! real one, over a read-only [`Ledger`] handle.
//!
//! The app reads only through this trait, so tests can wrap a real ledger and count the reads a
//! frame makes (the timeline must read only its visible window, whatever the ledger's size).

use std::path::{Path, PathBuf};

use igl_ledger::compliance::state::State;
use igl_ledger::compliance::{self, Config, Finding};
use igl_ledger::subject::pack::PackSummary;
use igl_ledger::subject::requests::RequestsReport;
use igl_ledger::subject::sar::Disclosure;
use igl_ledger::{KeyRecord, Ledger, Result, StoredEntry, VerifyReport};
use igl_schema::note::SignedCheckpoint;
use igl_schema::{Hash32, PublicKey, Seal, Subject, Timestamp};

/// A verification to run on a worker thread: it reports progress (entries checked so far) and
/// returns the report, or why the ledger could not be read.
pub type VerifyJob =
    Box<dyn FnOnce(&mut dyn FnMut(u64)) -> std::result::Result<VerifyReport, String> + Send>;

/// A compliance audit to run on a worker thread: every finding of every rule as of an instant.
pub type AuditJob = Box<dyn FnOnce() -> std::result::Result<Vec<Finding>, String> + Send>;

/// The access-review campaigns as of an instant, read on a worker thread: the governance state
/// `igl review` answers from (every campaign, grant and grantee; no record accesses).
pub type CampaignsJob = Box<dyn FnOnce() -> std::result::Result<State, String> + Send>;

/// Read access to a ledger: everything the TUI shows comes through here.
pub trait Source {
    /// What to call the ledger on screen (its directory).
    fn name(&self) -> String;
    /// The number of entries (seqs `0..entry_count()`), as of when the ledger was opened.
    fn entry_count(&self) -> u64;
    /// Entry `seq`, with its personal data when still stored.
    fn entry(&self, seq: u64) -> Result<Option<StoredEntry>>;
    /// Up to `max` entries from `from` onwards, in seq order (one forward scan).
    fn scan(&self, from: u64, max: usize) -> Result<Vec<StoredEntry>>;
    /// A key's enrolment record.
    fn key(&self, key: &PublicKey) -> Result<Option<KeyRecord>>;
    /// The seal of the batch that holds entry `seq`.
    fn seal_covering(&self, seq: u64) -> Result<Option<Seal>>;
    /// The checkpoint recorded at entry `seq`, if that entry is a `CheckpointRecorded`.
    fn recorded_checkpoint(&self, seq: u64) -> Result<Option<SignedCheckpoint>>;
    /// The inclusion proof of entry `seq` in the tree of the first `size` entries.
    fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<Hash32>>;
    /// A full verification of the ledger, to run on another thread.
    fn verify_job(&self) -> VerifyJob;
    /// The compliance audit as of `as_of` (rules R1–R18, default configuration), to run on
    /// another thread.
    fn audit_job(&self, as_of: Timestamp) -> AuditJob;
    /// The access-review campaigns as of `as_of` (`compliance::scope::campaigns_state`, the
    /// call `igl review` makes), to run on another thread.
    fn campaigns_job(&self, as_of: Timestamp) -> CampaignsJob;
    /// The entries of type `ty` naming one of `subjects` (each when given), from the indexes
    /// ([`igl_ledger::Ledger::select`]); `None` when neither is given.
    fn select(&self, ty: Option<&str>, subjects: Option<&[Subject]>) -> Result<Option<Vec<u64>>>;
    /// Everything the ledger holds about `subject`, with the third-party rule applied (read
    /// through the subject index).
    fn subject_access(&self, subject: &Subject) -> Result<Vec<Disclosure>>;
    /// Every subject-rights request and its deadline clock, as of `as_of`.
    fn requests(&self, as_of: Timestamp) -> Result<RequestsReport>;
    /// Writes `subject`'s SAR pack (report.md, report.json, bundle.json with the proofs) into
    /// `dir`, new or empty: the same library call as `igl sar --pack`. It writes files, never
    /// the ledger.
    fn write_pack(&self, subject: &Subject, dir: &Path) -> Result<PackSummary>;
    /// Reopens the ledger to see entries appended since it was opened.
    fn reload(&mut self) -> Result<()>;
}

/// A ledger opened read-only: it takes no lock, so it runs beside an appending process, and it
/// never writes.
pub struct LedgerSource {
    ledger: Ledger,
    path: PathBuf,
    count: u64,
}

impl LedgerSource {
    /// Opens the ledger in `path` read-only.
    pub fn open(path: &Path) -> Result<Self> {
        let ledger = Ledger::open_read_only(path)?;
        let count = ledger.head()?.map_or(0, |h| h.seq + 1);
        Ok(Self {
            ledger,
            path: path.to_path_buf(),
            count,
        })
    }
}

impl Source for LedgerSource {
    fn name(&self) -> String {
        self.path.display().to_string()
    }
    fn entry_count(&self) -> u64 {
        self.count
    }
    fn entry(&self, seq: u64) -> Result<Option<StoredEntry>> {
        self.ledger.entry(seq)
    }
    fn scan(&self, from: u64, max: usize) -> Result<Vec<StoredEntry>> {
        // Stop at the count seen when opened, so every view agrees on the ledger's length.
        let n = self.count.saturating_sub(from).min(max as u64) as usize;
        self.ledger.entries(from).take(n).collect()
    }
    fn key(&self, key: &PublicKey) -> Result<Option<KeyRecord>> {
        self.ledger.key(key)
    }
    fn seal_covering(&self, seq: u64) -> Result<Option<Seal>> {
        self.ledger.seal_covering(seq)
    }
    fn recorded_checkpoint(&self, seq: u64) -> Result<Option<SignedCheckpoint>> {
        self.ledger.recorded_checkpoint(seq)
    }
    fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<Hash32>> {
        self.ledger.inclusion_proof(seq, size)
    }
    fn verify_job(&self) -> VerifyJob {
        let path = self.path.clone();
        Box::new(move |progress| {
            // A handle of the worker's own, so the UI's reads never wait on the scan.
            let ledger = Ledger::open_read_only(&path).map_err(|e| e.to_string())?;
            ledger.verify(progress).map_err(|e| e.to_string())
        })
    }
    fn audit_job(&self, as_of: Timestamp) -> AuditJob {
        let path = self.path.clone();
        Box::new(move || {
            let ledger = Ledger::open_read_only(&path).map_err(|e| e.to_string())?;
            let state = compliance::load(&ledger, Some(as_of)).map_err(|e| e.to_string())?;
            Ok(compliance::audit(&state, &Config::default(), None))
        })
    }
    fn campaigns_job(&self, as_of: Timestamp) -> CampaignsJob {
        let path = self.path.clone();
        Box::new(move || {
            let ledger = Ledger::open_read_only(&path).map_err(|e| e.to_string())?;
            compliance::scope::campaigns_state(&ledger, as_of).map_err(|e| e.to_string())
        })
    }
    fn select(&self, ty: Option<&str>, subjects: Option<&[Subject]>) -> Result<Option<Vec<u64>>> {
        self.ledger.select(ty, subjects)
    }
    fn subject_access(&self, subject: &Subject) -> Result<Vec<Disclosure>> {
        igl_ledger::subject::sar::subject_access(&self.ledger, subject, None)
    }
    fn requests(&self, as_of: Timestamp) -> Result<RequestsReport> {
        self.ledger.requests(as_of)
    }
    fn write_pack(&self, subject: &Subject, dir: &Path) -> Result<PackSummary> {
        igl_ledger::subject::pack::write_pack(&self.ledger, subject, None, dir, Timestamp::now())
    }
    fn reload(&mut self) -> Result<()> {
        *self = Self::open(&self.path)?;
        Ok(())
    }
}
