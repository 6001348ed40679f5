//! The RocksDB store: the `Ledger` handle and its options here (the column-family layout is
//! [`crate::rows`]'s, re-exported as `store::cf`);
//! opening in `open.rs`, reads in `read.rs`, the atomic append (group commit, the one
//! derivation path) in `append.rs`, compaction, rebuild and redaction in `rebuild.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use igl_schema::{
    Entry, EventId, Hash32, LedgerId, Payload, PersonId, PublicKey, Seal, SealBody, SigningKey,
    Submission, Timestamp, codec, entry_hash, public_key,
};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType,
    DBRecoveryMode, Direction, IteratorMode, Options, WriteBatch, WriteOptions,
};

use crate::chain::{self, APPENDER_ROLES, ChainState, CheckError, Effect, Head, KeyRecord, Lookup};
use crate::error::{LedgerError, Result};
use crate::merkle::{self, Frontier};

mod append;
mod open;
mod read;
mod rebuild;

pub use crate::rows::{cf, key_seq, node_key, seq_key};

const META_HEAD: &[u8] = b"head";
/// `meta` key of the layout version of the derived column families (u32, canonical encoding).
/// Written with the genesis entry and as the very last step of `igl rebuild`, so a rebuild that
/// stopped half-way leaves a ledger that refuses to open until it is rebuilt again.
const META_DERIVED_VERSION: &[u8] = b"derived_version";

/// The layout version of the derived column families this build writes and reads. Bump it
/// whenever what is derived from an entry changes (a new column family, a new row, a new
/// encoding): older ledgers then refuse to open until `igl rebuild` rewrites their derived data.
pub const DERIVED_VERSION: u32 = 5;

/// How many entries `igl rebuild` replays per write batch (bounds its memory).
const REBUILD_CHUNK: u64 = 4096;

/// The largest entry igl writes (well inside the decoder's limit, so it can always be read back).
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;
const META_LEDGER_ID: &[u8] = b"ledger_id";
/// `meta` key of the key-history commitment of every entry (`Hash32`).
const META_KEY_HISTORY: &[u8] = b"key_history";

/// Every row `meta` holds for a ledger whose last entry is `head`, in key order: what verify
/// requires it to hold, exactly.
pub(crate) fn expected_meta(
    head: &Head,
    ledger_id: &LedgerId,
    key_history: &Hash32,
) -> [(&'static [u8], Vec<u8>); 4] {
    [
        (META_DERIVED_VERSION, codec::encode(&DERIVED_VERSION)),
        (META_HEAD, codec::encode(head)),
        (META_KEY_HISTORY, codec::encode(key_history)),
        (META_LEDGER_ID, codec::encode(ledger_id)),
    ]
}

impl merkle::Nodes for Ledger {
    type Error = LedgerError;
    fn node(&self, level: u8, index: u64) -> Result<Hash32> {
        match self.get(cf::MERKLE, &node_key(level, index))? {
            Some(b) if b.len() == 32 => Ok(Hash32(b.try_into().expect("32 bytes"))),
            Some(_) => Err(self.corrupt("Merkle node", index, "not 32 bytes")),
            None => Err(self.corrupt(
                "Merkle node",
                index,
                format!("level {level} index {index} is missing"),
            )),
        }
    }
}

/// A key and value read from a column family.
pub type Kv = Result<(Box<[u8]>, Box<[u8]>)>;

/// A stored key and value.
pub type KvPair = (Box<[u8]>, Box<[u8]>);

/// Every row of every derived column family: (name, rows in key order).
pub type DerivedDump = Vec<(&'static str, Vec<KvPair>)>;

/// What became of an entry's personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadState {
    /// The event has no personal-data fields.
    None,
    /// Stored, and it matches the signed commitments.
    Present,
    /// Erased by the Redacted entry at this seq.
    Redacted { by: u64 },
    /// Missing with no Redacted entry to account for it (damage).
    Missing,
}

/// An entry as read back: decoded, with its hash and personal data (when still stored).
#[derive(Clone, Debug)]
pub struct StoredEntry {
    pub entry: Entry,
    pub hash: Hash32,
    pub payload: PayloadState,
}

/// What an append wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendReceipt {
    pub first_seq: u64,
    pub last_seq: u64,
    pub head_hash: Hash32,
    pub recorded_at: Timestamp,
}

/// What [`Ledger::rebuild`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebuildReport {
    /// Entries replayed.
    pub entries: u64,
    /// The last entry.
    pub head: Option<Head>,
    /// The column families dropped and rewritten.
    pub column_families: Vec<&'static str>,
    /// The derived-data layout version written.
    pub derived_version: u32,
}

/// An open ledger.
///
/// A `Ledger` is `Sync`: threads that share one handle may call [`Ledger::append`] at the same
/// time, and their batches are **group committed** (see `GroupCommit` in this module).
pub struct Ledger {
    db: DB,
    /// The column families on disk, listed from the MANIFEST just before the ledger was opened
    /// (verify refuses any igl does not declare). Read once, with the open's retries, so that
    /// verify does not read the MANIFEST again while a writer may be replacing it.
    on_disk: Vec<String>,
    /// The block cache every column family of `db` shares.
    cache: Cache,
    path: PathBuf,
    read_only: bool,
    poisoned: AtomicBool,
    commit: GroupCommit,
}

/// Group commit: concurrent appenders share one fsync.
///
/// Building a batch needs the head, so appends are built and written one at a time, under
/// `writer` (which counts the batches written). Each batch is written to RocksDB unsynced, in
/// one atomic `WriteBatch`, and then waits until an fsync of the write-ahead log that started
/// after its write has returned: the first waiter to find no fsync running starts one
/// (`DB::flush_wal(true)`) covering every batch written so far; batches written meanwhile wait
/// for the next. One appender alone costs what a synced write costs (one write, one fsync);
/// appenders that arrive while an fsync runs share the next one. **A batch is acknowledged only
/// after an fsync that covers it has returned**; a failed fsync poisons the handle and fails every
/// batch it would have covered (they were not acknowledged, and may or may not survive a crash —
/// each whole or not at all, in order, so the chain is intact either way).
#[derive(Default)]
struct GroupCommit {
    /// Serialises building and writing batches; holds the number of batches written.
    writer: Mutex<u64>,
    /// The last batch written (ticket numbers count batches from 1).
    written: AtomicU64,
    sync: Mutex<SyncState>,
    synced_cv: Condvar,
    /// Write-ahead-log fsyncs done (for tests and benchmarks: at most one per batch).
    fsyncs: AtomicU64,
}

#[derive(Default)]
struct SyncState {
    /// Every batch up to this ticket is durable.
    synced: u64,
    /// An fsync is running.
    syncing: bool,
    /// Why an fsync failed (every later wait fails with it).
    failed: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves no half-done state behind them (the counters
    // are only advanced after the work they count), so a poisoned mutex is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bytes of RocksDB block cache per open ledger, shared by all its column families. (Left to
/// itself, RocksDB gives each column family its own 32 MB cache, and a scan of a large ledger
/// fills every one of them: 360 MB resident for a verify of a million entries.)
const BLOCK_CACHE_BYTES: usize = 32 << 20;

/// Readahead for whole-column-family scans ([`Ledger::scan_from`]).
const SCAN_READAHEAD: usize = 2 << 20;

/// How many times a read-only open that failed on its files is tried again.
const READ_ONLY_RETRIES: u32 = 8;

fn block_cache() -> Cache {
    Cache::new_lru_cache(BLOCK_CACHE_BYTES)
}

fn db_options(cache: &Cache) -> Options {
    let mut o = Options::default();
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    // Index blocks live in the block cache too, not beside it in each table reader: otherwise
    // they are held for every open file and a reader's memory grows with the ledger (verify:
    // 85 MB at a million entries, 249 MB at ten million). The first level's stay pinned.
    table.set_cache_index_and_filter_blocks(true);
    table.set_pin_l0_filter_and_index_blocks_in_cache(true);
    o.set_block_based_table_factory(&table);
    // Readers open read-only and replay the write-ahead log into memory each time: keep it
    // short (RocksDB flushes the memtables once the log passes this size).
    o.set_max_total_wal_size(32 << 20);
    o.set_paranoid_checks(true);
    // Damage, not a crash: the MANIFEST records which write-ahead logs exist and how long the
    // synced ones are, so a log that is missing or cut short (or a MANIFEST cut back to an older
    // state that still lists deleted logs) is an error on open rather than silently lost writes.
    o.set_track_and_verify_wals_in_manifest(true);
    // A torn record at the very end of a log is a write that never completed (its fsync had not
    // returned, so it was never acknowledged) and is dropped; a bad record anywhere before the
    // tail is corruption and the open fails, instead of recovering only up to it.
    o.set_wal_recovery_mode(DBRecoveryMode::TolerateCorruptedTailRecords);
    o.set_compression_type(DBCompressionType::Lz4);
    o.set_keep_log_file_num(4);
    o.set_max_log_file_size(4 << 20);
    o
}

fn cf_descriptors(cache: &Cache) -> Vec<ColumnFamilyDescriptor> {
    cf::ALL
        .iter()
        .map(|n| ColumnFamilyDescriptor::new(*n, db_options(cache)))
        .collect()
}

impl Drop for Ledger {
    /// A writer flushes its memtables when it closes, so the write-ahead log is empty and the
    /// next read-only open (which would replay the whole log into memory) is instant. The data
    /// was durable already (every append is fsync'd); a failed flush loses nothing.
    fn drop(&mut self) {
        if !self.read_only && !self.poisoned.load(Ordering::SeqCst) {
            for name in cf::ALL {
                if let Some(h) = self.db.cf_handle(name) {
                    let _ = self.db.flush_cf(h);
                }
            }
        }
    }
}
