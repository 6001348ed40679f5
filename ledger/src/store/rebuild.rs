//! Compaction, rebuilding the derived data from the entries, and redaction.

use super::append::Pending;
use super::*;

impl Ledger {
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
    /// uses (`Pending::derive`), `REBUILD_CHUNK` entries per write batch (memory stays
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
                let effects = match chain::check_entry(&pending, head.as_ref(), &entry, hash) {
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
