//! The atomic append: group commit, the chain rules, the seal, and the one derivation path
//! ([`Pending::derive`]) that append and rebuild share.

use super::*;

impl Ledger {
    /// Appends a batch in one atomic, fsync'd write, sealed by `appender`. Every event is checked
    /// against the chain rules first; if any is refused, nothing is written.
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
            let effects = match chain::check_entry(&pending, head.as_ref(), &entry, hash) {
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
                    chain::role_list(APPENDER_ROLES)
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
            chain::check_seal(&seal, &ledger_id, first_seq, &head, record.as_ref()).is_ok()
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
}

/// Ledger state plus the changes of the batch being built (append's [`Lookup`]).
pub(super) struct Pending<'a> {
    ledger: &'a Ledger,
    pub(super) state: ChainState,
    /// seq → (entry hash, has personal data), for the entries of this batch.
    entries: HashMap<u64, (Hash32, bool)>,
    /// The last entry derived so far.
    pub(super) head: Option<Head>,
    /// The batch's first seq and whether each of its author signatures verifies, checked
    /// ahead on every core (append only).
    signatures: Option<(u64, &'a [bool])>,
    /// An iterator over the stored subject index (the state before this batch), made on first
    /// use and reused for every list head the batch looks up.
    chain_iter: Option<rocksdb::DBRawIterator<'a>>,
}

impl<'a> Pending<'a> {
    pub(super) fn new(ledger: &'a Ledger) -> Self {
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
    pub(super) fn derive(
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
        crate::rows::index::index_rows(entry, author.as_ref().map(|k| &k.person), |name, k, v| {
            wb.put_cf(l.cf(name), k, v)
        });
        let body = &entry.event.body;
        for (k, v) in crate::rows::history::rows_of(entry.seq, body.occurred_at, &body.event, &hash)
        {
            wb.put_cf(l.cf(cf::HISTORY), k, v);
        }
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
    pub(super) fn finish(&self, wb: &mut WriteBatch) {
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
