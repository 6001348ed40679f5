//! The replay's side of verify: entries decoded, hashed and signature-checked on every core
//! ahead of the in-order replay ([`prepare`]), and the state the replay rebuilds, which the
//! chain rules consult through [`Lookup`] ([`Replay`]).

use igl_schema::{EventId, Hash32, LedgerId, PersonId, PublicKey, VerifyingKeys, codec};

use crate::chain::{ChainState, KeyRecord, Lookup};
use crate::error::Result;
use crate::store::{Ledger, cf, seq_key};

/// A stored entry: its key and its bytes.
pub(super) type Raw = (Box<[u8]>, Box<[u8]>);

/// An entry read from the log, checked as far as it can be without the chain's state.
pub(super) struct Prepared {
    pub(super) key: Box<[u8]>,
    pub(super) entry: std::result::Result<igl_schema::Entry, String>,
    pub(super) hash: Hash32,
    /// Whether the author signature verifies (`verify_strict`), whoever the author is.
    pub(super) signature_ok: bool,
}

fn prepare_one((key, bytes): Raw, keys: &mut VerifyingKeys) -> Prepared {
    let entry = codec::decode::<igl_schema::Entry>(&bytes).map_err(|e| e.to_string());
    let hash = igl_schema::entry_hash(&bytes);
    let signature_ok = entry
        .as_ref()
        .is_ok_and(|e| e.event.verify_signature_cached(keys).is_ok());
    Prepared {
        key,
        entry,
        hash,
        signature_ok,
    }
}

/// Decodes, hashes and checks the signatures of `chunk` on one thread per key cache in `keys`
/// (each thread keeps its own decompressed author keys from chunk to chunk), keeping the order.
pub(super) fn prepare(chunk: Vec<Raw>, keys: &mut [VerifyingKeys]) -> Vec<Prepared> {
    if keys.len() <= 1 || chunk.len() < 64 {
        let keys = &mut keys[0];
        return chunk.into_iter().map(|r| prepare_one(r, keys)).collect();
    }
    let per = chunk.len().div_ceil(keys.len());
    let mut parts: Vec<Vec<Raw>> = Vec::with_capacity(keys.len());
    let mut it = chunk.into_iter();
    loop {
        let part: Vec<_> = it.by_ref().take(per).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .zip(keys.iter_mut())
            .map(|(p, keys)| {
                s.spawn(move || {
                    p.into_iter()
                        .map(|r| prepare_one(r, keys))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a verify worker panicked"))
            .collect()
    })
}

/// How many threads verify signatures.
pub(super) fn verify_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The state rebuilt by the scan (verify's [`Lookup`]).
pub(super) struct Replay<'a> {
    pub(super) ledger: &'a Ledger,
    pub(super) state: ChainState,
    /// The entry being replayed, and whether its signature verified (checked ahead).
    pub(super) signature: Option<(u64, bool)>,
}

impl Lookup for Replay<'_> {
    type Error = crate::LedgerError;
    fn key(&self, key: &PublicKey) -> Result<Option<KeyRecord>> {
        Ok(self.state.keys.get(key).cloned())
    }
    fn declaration(&self, h: &Hash32) -> Result<Option<PersonId>> {
        Ok(self.state.declarations.get(h).cloned())
    }
    fn event_seq(&self, id: &EventId) -> Result<Option<u64>> {
        Ok(self.state.event_ids.get(id).copied())
    }
    fn entry_summary(&self, seq: u64) -> Result<Option<(Hash32, bool)>> {
        // Entries before the current one were verified by this scan already.
        let Some(bytes) = self.ledger.get(cf::ENTRIES, &seq_key(seq))? else {
            return Ok(None);
        };
        let (e, h) = self.ledger.decode_entry(seq, &bytes)?;
        Ok(Some((h, e.event.has_pii())))
    }
    fn redacted_by(&self, seq: u64) -> Result<Option<u64>> {
        Ok(self.state.redactions.get(&seq).copied())
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
    fn subject_map(&self, _size: u64) -> Result<(u64, Hash32)> {
        Ok(crate::subject_map::map_root(&self.state.subject_heads))
    }
    fn signature_verified(&self, seq: u64) -> Option<bool> {
        self.signature.and_then(|(s, ok)| (s == seq).then_some(ok))
    }
}
