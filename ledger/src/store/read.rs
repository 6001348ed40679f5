//! Reading a ledger: rows, entries with their personal data, keys, seals and lookups.

use super::*;
use crate::subject_map::row_key;

impl Ledger {
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
    pub(super) fn stored_key_history(&self, head_seq: u64) -> Result<Hash32> {
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

    /// The seq of the entry whose event has this id, if the ledger holds one (the
    /// `by_event_id` index: one lookup). Importers use it to skip rows already imported.
    pub fn event_seq(&self, id: &EventId) -> Result<Option<u64>> {
        Ok(self.get(cf::BY_EVENT_ID, &id.0)?.and_then(|b| key_seq(&b)))
    }

    /// The head of the list of map key `key` after every entry before `size`, if it has one,
    /// read with `it` (an iterator over `subject_chain`, reused across lookups: creating one
    /// costs more than the seek).
    pub(crate) fn subject_head_before(
        &self,
        it: &mut rocksdb::DBRawIterator<'_>,
        key: &Hash32,
        size: u64,
    ) -> Result<Option<Hash32>> {
        if size == 0 {
            return Ok(None);
        }
        it.seek_for_prev(row_key(key, size - 1));
        let found = match (it.key(), it.value()) {
            (Some(k), Some(v)) if k.starts_with(&key.0) => Some(self.subject_chain_row(k, v)?.2),
            _ => None,
        };
        it.status().map_err(|e| self.storage_error(e))?;
        Ok(found)
    }

    /// A `subject_chain` row read back as (map key, seq, head).
    pub(crate) fn subject_chain_row(&self, k: &[u8], v: &[u8]) -> Result<(Hash32, u64, Hash32)> {
        crate::subject_map::parse_row(k, v).ok_or_else(|| {
            self.corrupt("subject index row", 0, "not a 40-byte key and 32-byte head")
        })
    }
}
