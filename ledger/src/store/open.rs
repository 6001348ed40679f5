//! Creating and opening a ledger: options, column families, the derived-data version.

use super::*;

impl Ledger {
    pub(crate) fn storage_error(&self, e: impl std::fmt::Display) -> LedgerError {
        self.storage(e)
    }

    pub(super) fn storage(&self, e: impl std::fmt::Display) -> LedgerError {
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
}
