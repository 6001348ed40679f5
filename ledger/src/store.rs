//! The RocksDB store: column families, opening, reading, and the atomic append.

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

use crate::error::{LedgerError, Result};
use crate::merkle::{self, Frontier};
use crate::rules::{self, APPENDER_ROLES, ChainState, CheckError, Effect, Head, KeyRecord, Lookup};

/// Column families. `entries`, `payloads` and `seals` are the record; the rest are indexes and
/// state derived from it, written in the same atomic batch.
pub mod cf {
    /// seq (u64 BE) → canonical `Entry`.
    pub const ENTRIES: &str = "entries";
    /// seq → canonical `Payload` (personal data; deleted on redaction).
    pub const PAYLOADS: &str = "payloads";
    /// last seq of a batch → canonical `Seal`.
    pub const SEALS: &str = "seals";
    /// entry hash → seq.
    pub const BY_HASH: &str = "by_hash";
    /// event id → seq.
    pub const BY_EVENT_ID: &str = "by_event_id";
    /// public key → `KeyRecord`.
    pub const KEYS: &str = "keys";
    /// DeclarationSigned entry hash → declarant person id.
    pub const DECLARATIONS: &str = "declarations";
    /// redacted seq → seq of the Redacted entry.
    pub const REDACTIONS: &str = "redactions";
    /// `head` → `Head`; `ledger_id` → `LedgerId`.
    pub const META: &str = "meta";
    /// (level u8, index u64 BE) → hash of that complete Merkle subtree (see `merkle`).
    pub const MERKLE: &str = "merkle";
    /// subject string (`person:ID`, `service-user:ID`) ‖ 0x00 ‖ seq (u64 BE) → flags byte
    /// (1 = named subject, 2 = authored by); see `index`.
    pub const BY_SUBJECT: &str = "by_subject";
    /// event tag (u32 BE, position in `Event::TYPES`) ‖ seq (u64 BE) → empty; see `index`.
    pub const BY_TYPE: &str = "by_type";
    /// The governance projection, per entity: kind ‖ id ‖ 0x00 ‖ occurred_at ‖ seq → event tag;
    /// see `projection`.
    pub const HISTORY: &str = "history";
    /// The subject index: map key (32) ‖ seq (u64 BE) → that subject's list head after the
    /// entry (32 bytes); see `subject_map`.
    pub const SUBJECT_CHAIN: &str = "subject_chain";
    /// The record: entries, their personal data and the seals. `igl rebuild` never touches them.
    pub const PRIMARY: &[&str] = &[ENTRIES, PAYLOADS, SEALS];
    /// Derived from the entries alone (a pure function of them); `igl rebuild` drops and
    /// rewrites every one of these.
    pub const DERIVED: &[&str] = &[
        BY_HASH,
        BY_EVENT_ID,
        KEYS,
        DECLARATIONS,
        REDACTIONS,
        META,
        MERKLE,
        BY_SUBJECT,
        BY_TYPE,
        HISTORY,
        SUBJECT_CHAIN,
    ];
    /// All of them, in creation order.
    pub const ALL: &[&str] = &[
        ENTRIES,
        PAYLOADS,
        SEALS,
        BY_HASH,
        BY_EVENT_ID,
        KEYS,
        DECLARATIONS,
        REDACTIONS,
        META,
        MERKLE,
        BY_SUBJECT,
        BY_TYPE,
        HISTORY,
        SUBJECT_CHAIN,
    ];
}

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

/// The RocksDB key of a seq: 8 bytes big-endian, so keys sort in seq order.
pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// The RocksDB key of a Merkle node: level, then index big-endian.
pub fn node_key(level: u8, index: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = level;
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
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

/// Reads a seq back from a RocksDB key.
pub fn key_seq(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
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

impl Ledger {
    pub(crate) fn storage_error(&self, e: impl std::fmt::Display) -> LedgerError {
        self.storage(e)
    }

    fn storage(&self, e: impl std::fmt::Display) -> LedgerError {
        LedgerError::from_storage(&self.path, e.to_string())
    }

    pub(crate) fn corrupt(
        &self,
        what: &'static str,
        seq: u64,
        e: impl std::fmt::Display,
    ) -> LedgerError {
        LedgerError::Corrupt {
            path: self.path.clone(),
            what,
            seq,
            message: e.to_string(),
        }
    }

    fn open_error(path: &Path, e: rocksdb::Error) -> LedgerError {
        let msg = e.to_string();
        if msg.contains("LOCK") && (msg.contains("lock") || msg.contains("Resource temporarily")) {
            LedgerError::Locked(path.to_path_buf())
        } else {
            match LedgerError::from_storage(path, msg) {
                // Found replaying the write-ahead log, which RocksDB does not name.
                LedgerError::Damaged { path, message } if !message.contains('/') => {
                    LedgerError::Damaged {
                        message: format!(
                            "{message} (RocksDB names no file: it found this on open, most likely replaying the write-ahead log, the *.log files; its own log, {}, has the details)",
                            path.join("LOG").display()
                        ),
                        path,
                    }
                }
                e => e,
            }
        }
    }

    fn exists(path: &Path) -> bool {
        path.join("CURRENT").is_file()
    }

    /// Creates a new ledger in `path` (which must be absent or an empty directory) whose entry 0 is
    /// `genesis`, a signed `LedgerCreated`, appended and sealed by `admin`.
    pub fn create(
        path: &Path,
        genesis: &Submission,
        admin: &SigningKey,
        recorded_at: Timestamp,
    ) -> Result<(Ledger, AppendReceipt)> {
        if path.exists() {
            let mut it = std::fs::read_dir(path).map_err(|e| LedgerError::Storage {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            if it.next().is_some() {
                return Err(LedgerError::NotEmpty(path.to_path_buf()));
            }
        }
        std::fs::create_dir_all(path).map_err(|e| LedgerError::Storage {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let cache = block_cache();
        let mut o = db_options(&cache);
        o.create_if_missing(true);
        o.create_missing_column_families(true);
        let db = DB::open_cf_descriptors(&o, path, cf_descriptors(&cache))
            .map_err(|e| Self::open_error(path, e))?;
        let ledger = Ledger {
            db,
            on_disk: std::iter::once("default")
                .chain(cf::ALL.iter().copied())
                .map(String::from)
                .collect(),
            cache,
            path: path.to_path_buf(),
            read_only: false,
            poisoned: AtomicBool::new(false),
            commit: GroupCommit::default(),
        };
        let receipt = ledger.append(std::slice::from_ref(genesis), admin, recorded_at)?;
        Ok((ledger, receipt))
    }

    /// The column families on disk, checked before opening: a ledger without one of the
    /// primary ones is not a ledger (or is damaged); one without a derived one was written by an
    /// older igl and needs `igl rebuild`. Returns every name on disk (RocksDB must be asked to
    /// open them all).
    fn existing_cfs(path: &Path) -> Result<Vec<String>> {
        let names =
            DB::list_cf(&Options::default(), path).map_err(|e| Self::open_error(path, e))?;
        for p in cf::PRIMARY {
            if !names.iter().any(|n| n == p) {
                return Err(LedgerError::Storage {
                    path: path.to_path_buf(),
                    message: format!(
                        "the `{p}` column family is missing: this is not an igl ledger, or its entries are gone (restore it from a backup)"
                    ),
                });
            }
        }
        if let Some(missing) = cf::DERIVED.iter().find(|d| !names.iter().any(|n| n == *d)) {
            // A MANIFEST cut back to an older state can lose column families too: let RocksDB
            // check the files before blaming an older igl.
            let o = db_options(&block_cache());
            if let Err(e) = DB::open_cf_for_read_only(&o, path, &names, false) {
                return Err(Self::open_error(path, e));
            }
            return Err(LedgerError::NeedsRebuild {
                path: path.to_path_buf(),
                reason: format!(
                    "it has no `{missing}` column family (it was written by an older igl)"
                ),
            });
        }
        Ok(names)
    }

    /// Refuses derived data of another layout version than this build's.
    fn check_derived_version(&self) -> Result<()> {
        let found = match self.get(cf::META, META_DERIVED_VERSION)? {
            None => {
                return Err(LedgerError::NeedsRebuild {
                    path: self.path.clone(),
                    reason: "it records no derived-data version (it was written by an older igl, or a rebuild was interrupted)".into(),
                });
            }
            Some(b) => {
                codec::decode::<u32>(&b).map_err(|e| self.corrupt("derived-data version", 0, e))?
            }
        };
        match found.cmp(&DERIVED_VERSION) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Less => Err(LedgerError::NeedsRebuild {
                path: self.path.clone(),
                reason: format!(
                    "its derived data has layout version {found}, older than this igl's ({DERIVED_VERSION})"
                ),
            }),
            std::cmp::Ordering::Greater => Err(LedgerError::TooNew {
                path: self.path.clone(),
                found,
                supported: DERIVED_VERSION,
            }),
        }
    }

    /// Opens a ledger for reading and appending. Only one process may do so at a time.
    pub fn open(path: &Path) -> Result<Ledger> {
        if !Self::exists(path) {
            return Err(LedgerError::NotFound(path.to_path_buf()));
        }
        let names = Self::existing_cfs(path)?;
        let ledger = Self::open_rw(path, &names, false)?;
        ledger.check_derived_version()?;
        Ok(ledger)
    }

    /// Opens a ledger to rebuild its derived data ([`Ledger::rebuild`]): like [`Ledger::open`]
    /// (with the lock), but accepts missing derived column families and any derived-data version.
    pub fn open_for_rebuild(path: &Path) -> Result<Ledger> {
        if !Self::exists(path) {
            return Err(LedgerError::NotFound(path.to_path_buf()));
        }
        let names = match Self::existing_cfs(path) {
            Ok(n) => n,
            Err(LedgerError::NeedsRebuild { .. }) => {
                DB::list_cf(&Options::default(), path).map_err(|e| Self::open_error(path, e))?
            }
            Err(e) => return Err(e),
        };
        Self::open_rw(path, &names, true)
    }

    fn open_rw(path: &Path, names: &[String], create_missing: bool) -> Result<Ledger> {
        let cache = block_cache();
        let mut o = db_options(&cache);
        o.create_missing_column_families(create_missing);
        // Every column family on disk must be opened; ours with our options.
        let mut all: Vec<String> = cf::ALL.iter().map(|s| s.to_string()).collect();
        if !create_missing {
            all.retain(|n| names.contains(n));
        }
        for n in names {
            if !all.contains(n) {
                all.push(n.clone());
            }
        }
        let descriptors = all
            .iter()
            .map(|n| ColumnFamilyDescriptor::new(n, db_options(&cache)));
        let db = DB::open_cf_descriptors(&o, path, descriptors)
            .map_err(|e| Self::open_error(path, e))?;
        Ok(Ledger {
            db,
            on_disk: all,
            cache,
            path: path.to_path_buf(),
            read_only: false,
            poisoned: AtomicBool::new(false),
            commit: GroupCommit::default(),
        })
    }

    /// Opens a ledger read-only: takes no lock, so it can run beside an appending process, and
    /// sees the ledger as it was when opened (a consistent state: whole batches only).
    ///
    /// **Readers beside a writer.** A read-only open replays the write-ahead log, which a
    /// writer in another process may be appending to, rotating or deleting at that moment;
    /// RocksDB then fails the open with an error that looks like damage. So an open that fails
    /// on its files is retried, a few times and for a fraction of a second. Damaged files fail
    /// every try, and the error is reported. (RocksDB's secondary instances, built to follow a
    /// live primary, are not used: one opened over a ledger with a deleted table file reads it
    /// as empty, with no error.)
    pub fn open_read_only(path: &Path) -> Result<Ledger> {
        if !Self::exists(path) {
            return Err(LedgerError::NotFound(path.to_path_buf()));
        }
        let mut tries = 0u32;
        loop {
            let err = match Self::open_read_only_once(path) {
                Ok(l) => return Ok(l),
                Err(e) => e,
            };
            // A writer running now, or one that has just flushed, compacted or closed, may have
            // deleted a file this open had read of in the MANIFEST: try again. Damage fails the
            // same way every time, and is reported after the retries (a fraction of a second).
            let transient = matches!(
                err,
                LedgerError::Damaged { .. } | LedgerError::Storage { .. }
            );
            if !transient || tries >= READ_ONLY_RETRIES {
                return Err(err);
            }
            tries += 1;
            std::thread::sleep(std::time::Duration::from_millis(5 * u64::from(tries)));
        }
    }

    fn open_read_only_once(path: &Path) -> Result<Ledger> {
        let on_disk = Self::existing_cfs(path)?;
        let cache = block_cache();
        let open = || {
            let descriptors = cf::ALL
                .iter()
                .map(|n| ColumnFamilyDescriptor::new(*n, db_options(&cache)));
            DB::open_cf_descriptors_read_only(&db_options(&cache), path, descriptors, false)
        };
        let db = match open() {
            // A writer may delete a flushed log between our reading the MANIFEST and looking
            // for the log; the MANIFEST then says so. Damage fails the same way twice.
            Err(e) if e.to_string().contains("Missing WAL") => open(),
            r => r,
        }
        .map_err(|e| Self::open_error(path, e))?;
        let ledger = Ledger {
            db,
            on_disk,
            cache,
            path: path.to_path_buf(),
            read_only: true,
            poisoned: AtomicBool::new(false),
            commit: GroupCommit::default(),
        };
        ledger.check_derived_version()?;
        Ok(ledger)
    }

    /// The ledger directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn cf(&self, name: &str) -> &ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("every column family is opened with the database")
    }

    pub(crate) fn get(&self, cf_name: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db
            .get_cf(self.cf(cf_name), key)
            .map_err(|e| self.storage(e))
    }

    /// Point lookups of many keys at once (RocksDB's batched MultiGet, which sorts the keys
    /// and shares index and block lookups between neighbours), in the order of `keys`.
    pub(crate) fn get_many<K: AsRef<[u8]>>(
        &self,
        cf_name: &str,
        keys: &[K],
    ) -> Result<Vec<Option<rocksdb::DBPinnableSlice<'_>>>> {
        self.db
            .batched_multi_get_cf(self.cf(cf_name), keys.iter().map(|k| k.as_ref()), false)
            .into_iter()
            .map(|r| r.map_err(|e| self.storage(e)))
            .collect()
    }

    /// Iterates a column family from `from` onwards, in key order.
    pub(crate) fn iter_from<'a>(
        &'a self,
        cf_name: &str,
        from: &[u8],
    ) -> impl Iterator<Item = Kv> + use<'a> {
        self.db
            .iterator_cf(
                self.cf(cf_name),
                IteratorMode::From(from, Direction::Forward),
            )
            .map(move |r| r.map_err(|e| self.storage(e)))
    }

    /// Reads a whole column family from `from` onwards, in key order, without filling the
    /// block cache (a scan's blocks are read once; caching them would evict the index blocks
    /// and rows that point lookups beside it need) and with readahead. For verify's passes
    /// over every row.
    pub(crate) fn scan_from<'a>(
        &'a self,
        cf_name: &str,
        from: &[u8],
    ) -> impl Iterator<Item = Kv> + use<'a> {
        let mut ro = rocksdb::ReadOptions::default();
        ro.fill_cache(false);
        ro.set_readahead_size(SCAN_READAHEAD);
        self.db
            .iterator_cf_opt(
                self.cf(cf_name),
                ro,
                IteratorMode::From(from, Direction::Forward),
            )
            .map(move |r| r.map_err(|e| self.storage(e)))
    }

    /// A raw iterator over a column family (for seeks backwards; check its `status()`).
    pub(crate) fn raw_iter(&self, cf_name: &str) -> rocksdb::DBRawIterator<'_> {
        self.db.raw_iterator_cf(self.cf(cf_name))
    }

    /// RocksDB's `default` column family, which igl never writes.
    pub(crate) fn default_rows(&self) -> impl Iterator<Item = Kv> + '_ {
        self.db
            .iterator(IteratorMode::Start)
            .map(move |r| r.map_err(|e| self.storage(e)))
    }

    /// The names of every column family on disk when the ledger was opened.
    pub(crate) fn column_families_on_disk(&self) -> &[String] {
        &self.on_disk
    }

    /// The last entry, or `None` for an empty ledger.
    pub fn head(&self) -> Result<Option<Head>> {
        match self.get(cf::META, META_HEAD)? {
            None => Ok(None),
            Some(b) => codec::decode(&b)
                .map(Some)
                .map_err(|e| self.corrupt("head record", 0, e)),
        }
    }

    /// The seq of the last stored entry, read from the entries themselves (not the head
    /// record, which is derived data).
    pub fn last_stored_seq(&self) -> Result<Option<u64>> {
        match self
            .db
            .iterator_cf(self.cf(cf::ENTRIES), IteratorMode::End)
            .next()
        {
            None => Ok(None),
            Some(r) => {
                let (k, _) = r.map_err(|e| self.storage(e))?;
                Ok(Some(key_seq(&k).ok_or_else(|| {
                    self.corrupt("entry key", 0, "not 8 bytes")
                })?))
            }
        }
    }

    /// The key-history commitment of every entry up to the head at `head_seq` (derived data:
    /// append builds on it, and verify checks it against the entries).
    fn stored_key_history(&self, head_seq: u64) -> Result<Hash32> {
        match self.get(cf::META, META_KEY_HISTORY)? {
            Some(b) => {
                codec::decode(&b).map_err(|e| self.corrupt("key-history commitment", head_seq, e))
            }
            None => Err(self.corrupt(
                "key-history commitment",
                head_seq,
                "missing; do not append until the ledger verifies",
            )),
        }
    }

    /// The id the genesis entry gave this ledger.
    pub fn ledger_id(&self) -> Result<LedgerId> {
        match self.get(cf::META, META_LEDGER_ID)? {
            None => Err(LedgerError::Empty {
                path: self.path.clone(),
            }),
            Some(b) => codec::decode(&b).map_err(|e| self.corrupt("ledger id", 0, e)),
        }
    }

    /// Decodes stored entry bytes (checking the key matches is the caller's business).
    pub(crate) fn decode_entry(&self, seq: u64, bytes: &[u8]) -> Result<(Entry, Hash32)> {
        let entry: Entry = codec::decode(bytes).map_err(|e| self.corrupt("entry", seq, e))?;
        Ok((entry, entry_hash(bytes)))
    }

    /// Opens `entry` with its stored payload, or says what became of it.
    pub(crate) fn attach_payload(
        &self,
        entry: &mut Entry,
        payload: Option<&[u8]>,
    ) -> Result<PayloadState> {
        let seq = entry.seq;
        if !entry.event.has_pii() {
            return Ok(PayloadState::None);
        }
        match payload {
            Some(b) => {
                let p: Payload = codec::decode(b).map_err(|e| self.corrupt("payload", seq, e))?;
                entry
                    .event
                    .open(&p)
                    .map_err(|e| self.corrupt("payload", seq, e))?;
                Ok(PayloadState::Present)
            }
            None => Ok(match self.redacted_by(seq)? {
                Some(by) => PayloadState::Redacted { by },
                None => PayloadState::Missing,
            }),
        }
    }

    /// Entry `seq` with its personal data (when still stored).
    pub fn entry(&self, seq: u64) -> Result<Option<StoredEntry>> {
        let Some(bytes) = self.get(cf::ENTRIES, &seq_key(seq))? else {
            return Ok(None);
        };
        let (mut entry, hash) = self.decode_entry(seq, &bytes)?;
        let payload = if entry.event.has_pii() {
            self.get(cf::PAYLOADS, &seq_key(seq))?
        } else {
            None
        };
        let payload = self.attach_payload(&mut entry, payload.as_deref())?;
        Ok(Some(StoredEntry {
            entry,
            hash,
            payload,
        }))
    }

    /// Entries from `from` (inclusive) in seq order.
    pub fn entries(&self, from: u64) -> impl Iterator<Item = Result<StoredEntry>> + use<'_> {
        self.iter_from(cf::ENTRIES, &seq_key(from)).map(move |r| {
            let (k, v) = r?;
            let seq = key_seq(&k).ok_or_else(|| self.corrupt("entry key", 0, "not 8 bytes"))?;
            let (mut entry, hash) = self.decode_entry(seq, &v)?;
            let payload = if entry.event.has_pii() {
                self.get(cf::PAYLOADS, &k)?
            } else {
                None
            };
            let payload = self.attach_payload(&mut entry, payload.as_deref())?;
            Ok(StoredEntry {
                entry,
                hash,
                payload,
            })
        })
    }

    /// The entries in seq order, `n` at a time, each decoded with its hash and without its
    /// personal data: what verify's derived-data checks recompute the rows from. Stops at the
    /// first error.
    pub(crate) fn decoded_chunks(
        &self,
        n: usize,
    ) -> impl Iterator<Item = Result<Vec<(Entry, Hash32)>>> + use<'_> {
        let mut stored = self.scan_from(cf::ENTRIES, &[]);
        let mut failed = false;
        std::iter::from_fn(move || {
            if failed {
                return None;
            }
            let mut chunk = Vec::with_capacity(n);
            for r in stored.by_ref().take(n) {
                let decoded = r.and_then(|(k, v)| {
                    let seq =
                        key_seq(&k).ok_or_else(|| self.corrupt("entry key", 0, "not 8 bytes"))?;
                    self.decode_entry(seq, &v)
                });
                match decoded {
                    Ok(e) => chunk.push(e),
                    Err(e) => {
                        failed = true;
                        return Some(Err(e));
                    }
                }
            }
            (!chunk.is_empty()).then_some(Ok(chunk))
        })
    }

    /// The seq of the entry with this hash.
    pub fn seq_of_hash(&self, hash: &Hash32) -> Result<Option<u64>> {
        Ok(self.get(cf::BY_HASH, &hash.0)?.and_then(|b| key_seq(&b)))
    }

    /// A key's enrolment record.
    pub fn key(&self, key: &PublicKey) -> Result<Option<KeyRecord>> {
        match self.get(cf::KEYS, &key.0)? {
            None => Ok(None),
            Some(b) => codec::decode(&b)
                .map(Some)
                .map_err(|e| self.corrupt("key record", 0, e)),
        }
    }

    /// Every enrolled key, in key order.
    pub fn keys(&self) -> Result<Vec<KeyRecord>> {
        self.iter_from(cf::KEYS, &[])
            .map(|r| {
                let (_, v) = r?;
                codec::decode(&v).map_err(|e| self.corrupt("key record", 0, e))
            })
            .collect()
    }

    /// The seq of the Redacted entry that erased entry `seq`'s personal data.
    pub fn redacted_by(&self, seq: u64) -> Result<Option<u64>> {
        Ok(self
            .get(cf::REDACTIONS, &seq_key(seq))?
            .and_then(|b| key_seq(&b)))
    }

    /// The seal of the batch that contains entry `seq`.
    pub fn seal_covering(&self, seq: u64) -> Result<Option<Seal>> {
        match self.iter_from(cf::SEALS, &seq_key(seq)).next() {
            None => Ok(None),
            Some(r) => {
                let (k, v) = r?;
                let at = key_seq(&k).unwrap_or(seq);
                codec::decode(&v)
                    .map(Some)
                    .map_err(|e| self.corrupt("seal", at, e))
            }
        }
    }

    /// Appends a batch in one atomic, fsync'd write, sealed by `appender`. Every event is checked
    /// against the chain rules first; if any is refused, nothing is written.
    /// The seq of the entry whose event has this id, if the ledger holds one (the
    /// `by_event_id` index: one lookup). Importers use it to skip rows already imported.
    pub fn event_seq(&self, id: &EventId) -> Result<Option<u64>> {
        Ok(self.get(cf::BY_EVENT_ID, &id.0)?.and_then(|b| key_seq(&b)))
    }

    pub fn append(
        &self,
        batch: &[Submission],
        appender: &SigningKey,
        now: Timestamp,
    ) -> Result<AppendReceipt> {
        if self.read_only {
            return Err(LedgerError::ReadOnly(self.path.clone()));
        }
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(LedgerError::Poisoned(self.path.clone()));
        }
        if batch.is_empty() {
            return Err(LedgerError::Rejected {
                index: 0,
                seq: None,
                event_type: "-",
                message: "nothing to append".into(),
            });
        }
        // The author signatures do not depend on the chain: check them on every core before
        // taking the writer lock (the rules then take each result through
        // `Lookup::signature_verified`).
        let signatures = check_signatures(batch);
        let (ticket, receipt) = {
            let mut written = lock(&self.commit.writer);
            // Another appender's failed write or fsync may have poisoned the handle meanwhile.
            if self.poisoned.load(Ordering::SeqCst) {
                return Err(LedgerError::Poisoned(self.path.clone()));
            }
            let (wb, receipt) = self.build_batch(batch, &signatures, appender, now)?;
            // Unsynced: the fsync comes in `await_durable`, shared with concurrent appenders.
            if let Err(e) = self.db.write_opt(wb, &WriteOptions::default()) {
                // Never retry a failed write and pretend: this handle is done.
                self.poisoned.store(true, Ordering::SeqCst);
                return Err(self.storage(e));
            }
            *written += 1;
            self.commit.written.store(*written, Ordering::SeqCst);
            (*written, receipt)
        };
        self.await_durable(ticket)?;
        Ok(receipt)
    }

    /// Waits until batch `ticket` is durable: an fsync of the write-ahead log that started
    /// after the batch was written has returned. Starts one if none is running.
    fn await_durable(&self, ticket: u64) -> Result<()> {
        let gc = &self.commit;
        let mut st = lock(&gc.sync);
        loop {
            if st.synced >= ticket {
                return Ok(());
            }
            if let Some(message) = &st.failed {
                return Err(self.storage(format!(
                    "the write-ahead log could not be synced to disk ({message}); the batch was not acknowledged and this handle refuses further writes: reopen the ledger and verify it"
                )));
            }
            if st.syncing {
                st = gc.synced_cv.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            st.syncing = true;
            // Every batch counted here has been written (the count is advanced after the write).
            let target = gc.written.load(Ordering::SeqCst);
            drop(st);
            let r = self.db.flush_wal(true);
            gc.fsyncs.fetch_add(1, Ordering::Relaxed);
            st = lock(&gc.sync);
            st.syncing = false;
            match r {
                Ok(()) => st.synced = st.synced.max(target),
                Err(e) => {
                    // Never retry a failed fsync as if it had succeeded.
                    self.poisoned.store(true, Ordering::SeqCst);
                    st.failed = Some(e.to_string());
                }
            }
            gc.synced_cv.notify_all();
        }
    }

    /// How many times this handle has synced its write-ahead log (group commit shares one
    /// sync between concurrent appenders, so this is at most the number of batches appended).
    pub fn wal_syncs(&self) -> u64 {
        self.commit.fsyncs.load(Ordering::Relaxed)
    }

    /// Builds the write batch for `batch` on top of the current head: every entry checked by the
    /// chain rules, the record, the derived rows and the seal. Writes nothing.
    fn build_batch(
        &self,
        batch: &[Submission],
        signatures: &[bool],
        appender: &SigningKey,
        now: Timestamp,
    ) -> Result<(WriteBatch, AppendReceipt)> {
        let mut head = self.head()?;
        let first_seq = head.map_or(0, |h| h.seq + 1);
        // Never overwrite: the slot after the head must be free, and the head must be the entry
        // it names. Otherwise the head record was altered; refuse rather than write over history.
        if self.get(cf::ENTRIES, &seq_key(first_seq))?.is_some() {
            return Err(self.corrupt(
                "head record",
                first_seq,
                "an entry already exists after the recorded head; do not append until the ledger verifies",
            ));
        }
        if let Some(h) = head {
            match self.get(cf::ENTRIES, &seq_key(h.seq))? {
                Some(b) if entry_hash(&b) == h.hash => {}
                _ => {
                    return Err(self.corrupt(
                        "head record",
                        h.seq,
                        "the recorded head does not match the stored entry; do not append until the ledger verifies",
                    ));
                }
            }
        }
        // recorded_at never goes back, even if the clock does.
        let recorded_at = head.map_or(now, |h| now.max(h.recorded_at));
        let mut pending = Pending::new(self);
        pending.signatures = Some((first_seq, signatures));
        pending.state.frontier = Frontier::load(self, first_seq)?;
        pending.state.ledger_id = match head {
            Some(_) => Some(self.ledger_id()?),
            None => None,
        };
        pending.state.key_history = match head {
            Some(h) => self.stored_key_history(h.seq)?,
            None => Hash32::ZERO,
        };
        let mut wb = WriteBatch::default();
        if head.is_none() {
            wb.put_cf(
                self.cf(cf::META),
                META_DERIVED_VERSION,
                codec::encode(&DERIVED_VERSION),
            );
        }
        for (index, sub) in batch.iter().enumerate() {
            let seq = head.map_or(0, |h| h.seq + 1);
            let entry = Entry {
                seq,
                prev_hash: head.map_or(Hash32::ZERO, |h| h.hash),
                recorded_at,
                event: sub.event.clone(),
            };
            let bytes = entry.encode();
            let hash = entry_hash(&bytes);
            if bytes.len() > MAX_ENTRY_BYTES {
                return Err(LedgerError::Rejected {
                    index,
                    seq: Some(seq),
                    event_type: sub.event.body.event.type_name(),
                    message: format!(
                        "the entry would be {} bytes; the limit is {MAX_ENTRY_BYTES}",
                        bytes.len()
                    ),
                });
            }
            let reject = |message: String| LedgerError::Rejected {
                index,
                seq: Some(seq),
                event_type: sub.event.body.event.type_name(),
                message,
            };
            // A submission's salt is present exactly when the event has personal data.
            if sub.event.has_pii() != sub.salt.is_some() {
                return Err(reject("personal-data salt missing or unexpected".into()));
            }
            let effects = match rules::check_entry(&pending, head.as_ref(), &entry, hash) {
                Ok(e) => e,
                Err(CheckError::Violation(v)) => return Err(reject(v.0)),
                Err(CheckError::Lookup(e)) => return Err(e),
            };
            // The record: the entry, its personal data, and the erasure a Redacted entry makes.
            for eff in &effects {
                if let Effect::Redaction { target, .. } = eff {
                    wb.delete_cf(self.cf(cf::PAYLOADS), seq_key(*target));
                }
            }
            wb.put_cf(self.cf(cf::ENTRIES), seq_key(seq), &bytes);
            if let Some(p) = sub.payload() {
                wb.put_cf(self.cf(cf::PAYLOADS), seq_key(seq), codec::encode(&p));
            }
            // Everything derived from it, by the code rebuild runs too.
            pending.derive(&mut wb, &entry, hash, effects)?;
            head = pending.head;
        }
        let head = head.expect("the batch is not empty");
        let ledger_id = pending.state.ledger_id.expect("genesis sets the ledger id");

        // The appender must hold an appending role once the batch is applied.
        let appender_pk = public_key(appender);
        let record = pending.key(&appender_pk)?;
        let refuse = |message: String| LedgerError::Appender {
            key: appender_pk.short(),
            message,
        };
        match &record {
            None => return Err(refuse("is not enrolled in this ledger".into())),
            Some(k) if !k.active_at(head.seq + 1) => {
                return Err(refuse(format!("{} is revoked", k.describe())));
            }
            Some(k) if !APPENDER_ROLES.contains(&k.role) => {
                return Err(refuse(format!(
                    "{} may not append; appending roles: {}",
                    k.describe(),
                    rules::role_list(APPENDER_ROLES)
                )));
            }
            Some(_) => {}
        }
        let seal = SealBody {
            ledger_id,
            first_seq,
            last_seq: head.seq,
            head_hash: head.hash,
            sealed_at: recorded_at,
            appender: appender_pk,
        }
        .sign(appender);
        debug_assert!(
            rules::check_seal(&seal, &ledger_id, first_seq, &head, record.as_ref()).is_ok()
        );
        wb.put_cf(self.cf(cf::SEALS), seq_key(head.seq), codec::encode(&seal));
        pending.finish(&mut wb);
        Ok((
            wb,
            AppendReceipt {
                first_seq,
                last_seq: head.seq,
                head_hash: head.hash,
                recorded_at,
            },
        ))
    }

    /// Rewrites the files so that deleted (redacted) bytes leave the disk: flushes every column
    /// family's memtable (after which RocksDB deletes the write-ahead logs that held the
    /// original writes), then forces a bottommost compaction that drops deleted values and
    /// their tombstones, after which the old table files are deleted.
    pub fn compact(&self) -> Result<()> {
        if self.read_only {
            return Err(LedgerError::ReadOnly(self.path.clone()));
        }
        for name in cf::ALL {
            self.db
                .flush_cf(self.cf(name))
                .map_err(|e| self.storage(e))?;
        }
        let mut co = rocksdb::CompactOptions::default();
        co.set_exclusive_manual_compaction(true);
        co.set_bottommost_level_compaction(rocksdb::BottommostLevelCompaction::Force);
        for name in cf::ALL {
            self.db
                .compact_range_cf_opt(self.cf(name), None::<&[u8]>, None::<&[u8]>, &co);
        }
        Ok(())
    }

    /// Rewrites every derived column family from the entries: drops and recreates them, then
    /// replays the entries in seq order through the chain rules and the same derivation append
    /// uses ([`Pending::derive`]), [`REBUILD_CHUNK`] entries per write batch (memory stays
    /// bounded however long the ledger). The record (`entries`, `payloads`, `seals`) is only
    /// read. The derived-data version is written last, so an interrupted rebuild leaves a ledger
    /// that refuses to open until it is rebuilt again. `progress` is told how many entries are
    /// done after each batch. An entry the rules refuse stops the rebuild (run `igl verify`).
    pub fn rebuild(&mut self, mut progress: impl FnMut(u64)) -> Result<RebuildReport> {
        if self.read_only {
            return Err(LedgerError::ReadOnly(self.path.clone()));
        }
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(LedgerError::Poisoned(self.path.clone()));
        }
        // Check the record first, while the derived data is still as it was: a damaged entry
        // must not leave the ledger without its derived data (and so unreadable by every other
        // command).
        let checked = self.verify_record(&mut |_| {})?;
        if let Some(f) = checked.failure {
            return Err(self.corrupt(
                "entry",
                f.seq,
                format!(
                    "{}; the derived data cannot be rebuilt from a damaged record, and nothing was changed",
                    f.message
                ),
            ));
        }
        // Dropping the column families is not atomic: withdraw the derived-data version first
        // (synced), so a rebuild killed at any point below leaves a ledger that refuses to open
        // until it is rebuilt, never one that opens with some derived data already gone (found
        // by the crash harness once verify checked every row of `by_hash`).
        if let Some(meta) = self.db.cf_handle(cf::META) {
            let mut wb = WriteBatch::default();
            wb.delete_cf(meta, META_DERIVED_VERSION);
            let mut wo = WriteOptions::default();
            wo.set_sync(true);
            if let Err(e) = self.db.write_opt(wb, &wo) {
                self.poisoned.store(true, Ordering::SeqCst);
                return Err(self.storage(e));
            }
        }
        for name in cf::DERIVED {
            if self.db.cf_handle(name).is_some() {
                self.db.drop_cf(name).map_err(|e| self.storage(e))?;
            }
            self.db
                .create_cf(name, &db_options(&self.cache))
                .map_err(|e| self.storage(e))?;
        }
        let this: &Ledger = self;
        let mut head: Option<Head> = None;
        let mut frontier = Frontier::default();
        let mut ledger_id = None;
        let mut key_history = Hash32::ZERO;
        let mut done = 0u64;
        loop {
            let mut pending = Pending::new(this);
            pending.state.frontier = std::mem::take(&mut frontier);
            pending.state.ledger_id = ledger_id;
            pending.state.key_history = key_history;
            pending.head = head;
            let mut wb = WriteBatch::default();
            let mut n = 0u64;
            for r in this.iter_from(cf::ENTRIES, &seq_key(done)) {
                let (k, v) = r?;
                let seq =
                    key_seq(&k).ok_or_else(|| this.corrupt("entry key", done, "not 8 bytes"))?;
                let (entry, hash) = this.decode_entry(seq, &v)?;
                let effects = match rules::check_entry(&pending, head.as_ref(), &entry, hash) {
                    Ok(e) => e,
                    Err(CheckError::Violation(v)) => {
                        return Err(this.corrupt(
                            "entry",
                            seq,
                            format!("{v}; derived data cannot be rebuilt past it"),
                        ));
                    }
                    Err(CheckError::Lookup(e)) => return Err(e),
                };
                pending.derive(&mut wb, &entry, hash, effects)?;
                head = pending.head;
                n += 1;
                if n == REBUILD_CHUNK {
                    break;
                }
            }
            if n == 0 {
                break;
            }
            pending.finish(&mut wb);
            frontier = std::mem::take(&mut pending.state.frontier);
            ledger_id = pending.state.ledger_id;
            key_history = pending.state.key_history;
            if let Err(e) = this.db.write(wb) {
                this.poisoned.store(true, Ordering::SeqCst);
                return Err(this.storage(e));
            }
            done += n;
            progress(done);
            if n < REBUILD_CHUNK {
                break;
            }
        }
        let mut wb = WriteBatch::default();
        wb.put_cf(
            this.cf(cf::META),
            META_DERIVED_VERSION,
            codec::encode(&DERIVED_VERSION),
        );
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        if let Err(e) = this.db.write_opt(wb, &wo) {
            this.poisoned.store(true, Ordering::SeqCst);
            return Err(this.storage(e));
        }
        for name in cf::ALL {
            this.db
                .flush_cf(this.cf(name))
                .map_err(|e| this.storage(e))?;
        }
        Ok(RebuildReport {
            entries: done,
            head,
            column_families: cf::DERIVED.to_vec(),
            derived_version: DERIVED_VERSION,
        })
    }

    /// Every row of every derived column family, in column-family then key order: what a
    /// rebuild must reproduce byte for byte (for tests and diagnostics; reads everything).
    pub fn dump_derived(&self) -> Result<DerivedDump> {
        cf::DERIVED
            .iter()
            .map(|name| {
                Ok((
                    *name,
                    self.iter_from(name, &[]).collect::<Result<Vec<_>>>()?,
                ))
            })
            .collect()
    }

    /// Erases the personal data of entry `seq`: appends a `Redacted` entry signed (and sealed) by
    /// `key`, which must be an ig_officer's, deleting the payload in the same atomic batch, then
    /// compacts so the bytes leave the disk. Returns the receipt of the `Redacted` entry.
    pub fn redact(
        &self,
        seq: u64,
        reason: String,
        request: Option<igl_schema::RequestId>,
        key: &SigningKey,
        event_id: EventId,
        now: Timestamp,
    ) -> Result<AppendReceipt> {
        let target = self.entry(seq)?.ok_or_else(|| LedgerError::Rejected {
            index: 0,
            seq: None,
            event_type: "Redacted",
            message: format!("there is no entry at seq {seq}"),
        })?;
        let event = igl_schema::Event::Redacted(igl_schema::Redacted {
            seq,
            entry_hash: target.hash,
            reason,
            request,
        });
        let ledger_id = self.ledger_id()?;
        let sub = Submission::sign(
            ledger_id,
            event,
            now,
            event_id,
            [],
            key,
            igl_schema::Salt([0; 32]),
        )
        .map_err(|e| LedgerError::Rejected {
            index: 0,
            seq: None,
            event_type: "Redacted",
            message: e.to_string(),
        })?;
        let receipt = self.append(&[sub], key, now)?;
        self.compact()?;
        Ok(receipt)
    }
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

/// Ledger state plus the changes of the batch being built (append's [`Lookup`]).
struct Pending<'a> {
    ledger: &'a Ledger,
    state: ChainState,
    /// seq → (entry hash, has personal data), for the entries of this batch.
    entries: HashMap<u64, (Hash32, bool)>,
    /// The last entry derived so far.
    head: Option<Head>,
    /// The batch's first seq and whether each of its author signatures verifies, checked
    /// ahead on every core (append only).
    signatures: Option<(u64, &'a [bool])>,
    /// An iterator over the stored subject index (the state before this batch), made on first
    /// use and reused for every list head the batch looks up.
    chain_iter: Option<rocksdb::DBRawIterator<'a>>,
}

impl<'a> Pending<'a> {
    fn new(ledger: &'a Ledger) -> Self {
        Self {
            ledger,
            state: ChainState::default(),
            entries: HashMap::new(),
            head: None,
            signatures: None,
            chain_iter: None,
        }
    }

    /// **The one derivation path.** Adds to `wb` every derived row an accepted entry implies
    /// (its effects on the chain state, the Merkle nodes it completes, the subject and type
    /// index rows, the ledger id) — everything but the record itself and the batch-level rows
    /// [`Pending::finish`] writes. Append and [`Ledger::rebuild`] both call this, so derived
    /// data is a pure function of the entries.
    fn derive(
        &mut self,
        wb: &mut WriteBatch,
        entry: &Entry,
        hash: Hash32,
        effects: Vec<Effect>,
    ) -> Result<()> {
        let l = self.ledger;
        for eff in effects {
            if let Effect::Genesis { ledger_id } = eff {
                wb.put_cf(l.cf(cf::META), META_LEDGER_ID, codec::encode(&ledger_id));
            }
            self.state.apply(eff, |k| l.key(k))?;
        }
        self.entries
            .insert(entry.seq, (hash, entry.event.has_pii()));
        let author = self.key(&entry.event.body.author)?;
        let ledger_id = self
            .state
            .ledger_id
            .ok_or_else(|| l.corrupt("entry", entry.seq, "an entry before the genesis entry"))?;
        let before = entry.seq;
        let it = self
            .chain_iter
            .get_or_insert_with(|| l.raw_iter(cf::SUBJECT_CHAIN));
        for (key, head) in crate::subject_map::accumulate(
            &mut self.state.subject_heads,
            &ledger_id,
            entry,
            &hash,
            author.as_ref().map(|k| &k.person),
            |key| l.subject_head_before(it, key, before),
        )? {
            wb.put_cf(
                l.cf(cf::SUBJECT_CHAIN),
                crate::subject_map::row_key(&key, entry.seq),
                head.0,
            );
        }
        crate::index::index_entry(l, wb, entry, author);
        crate::projection::project_entry(l, wb, entry, &hash);
        for (level, index, h) in self.state.accumulate(entry, &hash) {
            wb.put_cf(l.cf(cf::MERKLE), node_key(level, index), h.0);
        }
        self.head = Some(Head {
            seq: entry.seq,
            hash,
            recorded_at: entry.recorded_at,
        });
        Ok(())
    }

    /// Writes the state the batch changed (keys, declarations, event ids, hashes, redactions)
    /// and the head.
    fn finish(&self, wb: &mut WriteBatch) {
        let l = self.ledger;
        if let Some(head) = &self.head {
            wb.put_cf(l.cf(cf::META), META_HEAD, codec::encode(head));
            wb.put_cf(
                l.cf(cf::META),
                META_KEY_HISTORY,
                codec::encode(&self.state.key_history),
            );
        }
        for (k, rec) in &self.state.keys {
            wb.put_cf(l.cf(cf::KEYS), k.0, codec::encode(rec));
        }
        for (h, p) in &self.state.declarations {
            wb.put_cf(l.cf(cf::DECLARATIONS), h.0, p.as_str().as_bytes());
        }
        for (id, seq) in &self.state.event_ids {
            wb.put_cf(l.cf(cf::BY_EVENT_ID), id.0, seq_key(*seq));
        }
        for (seq, (hash, _)) in &self.entries {
            wb.put_cf(l.cf(cf::BY_HASH), hash.0, seq_key(*seq));
        }
        for (target, by) in &self.state.redactions {
            wb.put_cf(l.cf(cf::REDACTIONS), seq_key(*target), seq_key(*by));
        }
    }
}

impl Lookup for Pending<'_> {
    type Error = LedgerError;
    fn key(&self, key: &PublicKey) -> Result<Option<KeyRecord>> {
        match self.state.keys.get(key) {
            Some(k) => Ok(Some(k.clone())),
            None => self.ledger.key(key),
        }
    }
    fn declaration(&self, entry_hash: &Hash32) -> Result<Option<PersonId>> {
        if let Some(p) = self.state.declarations.get(entry_hash) {
            return Ok(Some(p.clone()));
        }
        match self.ledger.get(cf::DECLARATIONS, &entry_hash.0)? {
            None => Ok(None),
            Some(b) => String::from_utf8(b)
                .ok()
                .and_then(|s| PersonId::new(s).ok())
                .map(Some)
                .ok_or_else(|| self.ledger.corrupt("declaration index", 0, "bad person id")),
        }
    }
    fn event_seq(&self, id: &EventId) -> Result<Option<u64>> {
        if let Some(s) = self.state.event_ids.get(id) {
            return Ok(Some(*s));
        }
        Ok(self
            .ledger
            .get(cf::BY_EVENT_ID, &id.0)?
            .and_then(|b| key_seq(&b)))
    }
    fn entry_summary(&self, seq: u64) -> Result<Option<(Hash32, bool)>> {
        if let Some(s) = self.entries.get(&seq) {
            return Ok(Some(*s));
        }
        let Some(bytes) = self.ledger.get(cf::ENTRIES, &seq_key(seq))? else {
            return Ok(None);
        };
        let (entry, hash) = self.ledger.decode_entry(seq, &bytes)?;
        Ok(Some((hash, entry.event.has_pii())))
    }
    fn redacted_by(&self, seq: u64) -> Result<Option<u64>> {
        if let Some(b) = self.state.redactions.get(&seq) {
            return Ok(Some(*b));
        }
        self.ledger.redacted_by(seq)
    }
    fn ledger_id(&self) -> Result<Option<LedgerId>> {
        Ok(self.state.ledger_id)
    }
    fn merkle_root(&self, size: u64) -> Result<Option<Hash32>> {
        Ok(self.state.merkle_root(size))
    }
    fn key_history(&self) -> Result<Hash32> {
        Ok(self.state.key_history)
    }
    fn subject_map(&self, size: u64) -> Result<(u64, Hash32)> {
        // The stored heads (every entry before this batch), overlaid with this batch's.
        let stored = self.ledger.subject_map_leaves(u64::MAX)?;
        let mut overlay = self.state.subject_heads.iter().peekable();
        let mut merged: Vec<(Hash32, Hash32)> = Vec::with_capacity(stored.len());
        for (k, h) in stored {
            while let Some((ok, oh)) = overlay.next_if(|(ok, _)| **ok < k) {
                merged.push((*ok, *oh));
            }
            match overlay.next_if(|(ok, _)| **ok == k) {
                Some((_, oh)) => merged.push((k, *oh)),
                None => merged.push((k, h)),
            }
        }
        merged.extend(overlay.map(|(k, h)| (*k, *h)));
        debug_assert!(self.head.is_none_or(|h| h.seq + 1 == size));
        Ok(crate::subject_map::map_root(
            merged.iter().map(|(k, h)| (k, h)),
        ))
    }
    fn signature_verified(&self, seq: u64) -> Option<bool> {
        let (first, sigs) = self.signatures?;
        sigs.get(usize::try_from(seq.checked_sub(first)?).ok()?)
            .copied()
    }
}

/// Whether each submission's author signature verifies (`verify_strict`), on every core for a
/// large batch.
fn check_signatures(batch: &[Submission]) -> Vec<bool> {
    let all = |part: &[Submission]| {
        let mut keys = igl_schema::VerifyingKeys::default();
        part.iter()
            .map(|s| s.event.verify_signature_cached(&mut keys).is_ok())
            .collect::<Vec<_>>()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads <= 1 || batch.len() < 64 {
        return all(batch);
    }
    let per = batch.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = batch
            .chunks(per)
            .map(|part| s.spawn(move || all(part)))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("a signature-checking thread panicked"))
            .collect()
    })
}
