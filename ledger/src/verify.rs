//! Full verification: replays the ledger through the chain rules, checking every entry, link,
//! hash, signature, seal and personal-data commitment.

use std::collections::{BTreeMap, BTreeSet};
use std::iter::Peekable;

use igl_schema::{
    EventId, Hash32, LedgerId, Payload, PersonId, PublicKey, Seal, VerifyingKeys, codec,
};

use crate::error::{Remedy, Result};
use crate::merkle::{self, Frontier};
use crate::rules::{self, ChainState, CheckError, Head, KeyRecord, Lookup};
use crate::store::{Kv, Ledger, cf, key_seq, node_key, seq_key};

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The first bad seq.
    pub seq: u64,
    pub message: String,
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked (up to the failure, if any).
    pub entries: u64,
    /// The last good entry.
    pub head: Option<Head>,
    pub ledger_id: Option<LedgerId>,
    /// Seals checked.
    pub seals: u64,
    /// Keys enrolled (revoked ones included).
    pub keys: usize,
    /// Entries whose personal data was erased by a Redacted entry.
    pub redacted: u64,
    /// Redacted entries whose payload is still on disk (erasure incomplete).
    pub unerased: Vec<u64>,
    pub failure: Option<Failure>,
    /// The Merkle root of the entries at each requested tree size (see
    /// [`Ledger::verify_capturing`]).
    pub roots: BTreeMap<u64, Hash32>,
    /// The Merkle root of every entry checked, computed from the entries (never the stored tree).
    pub root: Option<Hash32>,
    /// The key-history commitment of every entry checked (what a checkpoint of them carries).
    pub key_history: Hash32,
    /// The subject-map commitment `(size, root)` of every entry checked (what a checkpoint of
    /// them carries), computed from the entries.
    pub subject_map: (u64, Hash32),
    /// The key registry as the entries build it (roles, enrolment and revocation seqs), in key
    /// order: the only registry a trust decision may use (the stored `keys` column family is
    /// derived data). Holds the keys enrolled up to the failure, if any.
    pub key_registry: Vec<KeyRecord>,
    /// [`Remedy::Rebuild`] when the failure is in derived data only (the entries verified, so
    /// it can be rewritten from them); `None` when it verified, or the record itself failed
    /// (which only a backup can put right).
    pub remedy: Option<Remedy>,
}

impl VerifyReport {
    /// Whether the ledger verified.
    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }
}

/// What a lockstep iterator holds for seq `n`.
enum Taken {
    /// Nothing stored for `n`.
    None,
    /// The value stored for `n`.
    Here(Box<[u8]>),
    /// A value stored under an earlier seq (or a malformed key) that nothing claimed.
    Stray(u64),
}

/// Advances an iterator over a seq-keyed column family to seq `n`.
fn take_at(it: &mut Peekable<impl Iterator<Item = Kv>>, n: u64) -> Result<Taken> {
    let due = |r: &Kv| match r {
        Ok((k, _)) => key_seq(k).is_none_or(|s| s <= n),
        Err(_) => true,
    };
    let Some(r) = it.next_if(due) else {
        return Ok(Taken::None);
    };
    let (k, v) = r?;
    Ok(match key_seq(&k) {
        Some(s) if s == n => Taken::Here(v),
        Some(s) => Taken::Stray(s),
        None => Taken::Stray(n),
    })
}

/// How verify reads each column family in full and compares it with what the entries imply:
/// the record is replayed ([`Ledger::verify_scan`]); the small state tables (key registry,
/// declarations, redactions, `meta`) are compared row for row with the replay's state
/// ([`Ledger::check_state_tables`]); the rest is recomputed from the entries on the derived-data
/// thread in one pass ([`LookupsCheck`], `IndexCheck`, `HistoryCheck`). Every stored
/// row is therefore either implied by the entries, byte for byte, or a failure.
pub const CHECKED_BY: &[(&str, &str)] = &[
    (cf::ENTRIES, "replayed through the chain rules"),
    (
        cf::PAYLOADS,
        "opened against each entry's signed commitments",
    ),
    (cf::SEALS, "checked against the batches they seal"),
    (cf::BY_HASH, "recomputed from the entries"),
    (cf::BY_EVENT_ID, "recomputed from the entries"),
    (cf::KEYS, "compared with the replay's key registry"),
    (cf::DECLARATIONS, "compared with the replay's declarations"),
    (cf::REDACTIONS, "compared with the replay's redactions"),
    (
        cf::META,
        "compared with the replay's head, ledger id and key-history commitment",
    ),
    (cf::MERKLE, "every node recomputed from the entries"),
    (cf::BY_SUBJECT, "recomputed from the entries"),
    (cf::BY_TYPE, "recomputed from the entries"),
    (cf::HISTORY, "recomputed from the entries"),
    (cf::SUBJECT_CHAIN, "recomputed from the entries"),
];

/// Entries read and checked per chunk: decoded, hashed and their signatures verified on every
/// core, then replayed in order.
const CHUNK: usize = 2048;

/// The rows of a column family folded into one digest per group (a row's key without its last
/// eight bytes, the seq), in key order within each group: how verify compares a column family
/// whose rows it can list in key order within each group, but not across groups, without a
/// random read per row. The expected rows are [`RowDigests::add`]ed; the stored ones are
/// folded in one scan by [`RowDigests::differs_from`].
///
/// Each group's digest is a blake3 chain over its rows, each row framed with the lengths of
/// its key and value (`d' = blake3(d ‖ len(key) ‖ key ‖ len(value) ‖ value)`, lengths as u32
/// big-endian, `d` starting at zero): two groups fold alike only if their rows are the same
/// rows in the same order, or blake3 collides. A group present on one side only, or with a
/// different number of rows, differs too.
#[derive(Default)]
pub(crate) struct RowDigests {
    groups: BTreeMap<Vec<u8>, (Hash32, u64)>,
}

impl RowDigests {
    fn group(key: &[u8]) -> &[u8] {
        &key[..key.len().saturating_sub(8)]
    }

    fn fold(d: &Hash32, key: &[u8], value: &[u8]) -> Hash32 {
        let mut h = blake3::Hasher::new();
        h.update(&d.0);
        h.update(&(key.len() as u32).to_be_bytes());
        h.update(key);
        h.update(&(value.len() as u32).to_be_bytes());
        h.update(value);
        Hash32(*h.finalize().as_bytes())
    }

    /// Adds an expected row; rows of one group must come in key order.
    pub(crate) fn add(&mut self, key: &[u8], value: &[u8]) {
        let group = Self::group(key);
        let g = match self.groups.get_mut(group) {
            Some(g) => g,
            None => self
                .groups
                .entry(group.to_vec())
                .or_insert((Hash32::ZERO, 0)),
        };
        g.0 = Self::fold(&g.0, key, value);
        g.1 += 1;
    }

    /// Whether the stored rows (a scan in key order) differ from the expected ones. Each
    /// stored group is folded as the scan passes it and compared at its end, so nothing but
    /// the expected digests is held. (A group's rows are contiguous in key order: a group is
    /// a fixed-length prefix, or a subject ending in a NUL. Were one split in two runs, the
    /// runs would fold apart and differ.)
    pub(crate) fn differs_from(
        &self,
        stored: impl Iterator<Item = crate::store::Kv>,
    ) -> Result<bool> {
        let mut matched = 0usize;
        let mut current: Option<(Vec<u8>, Hash32, u64)> = None;
        let mut close = |c: Option<(Vec<u8>, Hash32, u64)>| match c {
            None => true,
            Some((g, d, n)) => {
                let same = self.groups.get(&g) == Some(&(d, n));
                matched += usize::from(same);
                same
            }
        };
        for r in stored {
            let (k, v) = r?;
            let group = Self::group(&k);
            match &mut current {
                Some((g, d, n)) if g.as_slice() == group => {
                    *d = Self::fold(d, &k, &v);
                    *n += 1;
                }
                _ => {
                    if !close(current.take()) {
                        return Ok(true);
                    }
                    current = Some((group.to_vec(), Self::fold(&Hash32::ZERO, &k, &v), 1));
                }
            }
        }
        if !close(current.take()) {
            return Ok(true);
        }
        Ok(matched != self.groups.len())
    }
}

/// What the derived-data thread found first.
enum Found {
    /// Derived data differs from what the entries imply (`igl rebuild` repairs it).
    Derived(Failure),
    /// The record itself is wrong: two entries carry one event id. The replay leaves this
    /// check to the derived-data thread (so it holds no event id in memory), which proves the
    /// ids distinct by finding each entry's id in `by_event_id` naming that entry.
    Record(Failure),
}

/// A stored entry: its key and its bytes.
type Raw = (Box<[u8]>, Box<[u8]>);

/// An entry read from the log, checked as far as it can be without the chain's state.
struct Prepared {
    key: Box<[u8]>,
    entry: std::result::Result<igl_schema::Entry, String>,
    hash: Hash32,
    /// Whether the author signature verifies (`verify_strict`), whoever the author is.
    signature_ok: bool,
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
fn prepare(chunk: Vec<Raw>, keys: &mut [VerifyingKeys]) -> Vec<Prepared> {
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
fn verify_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The state rebuilt by the scan (verify's [`Lookup`]).
struct Replay<'a> {
    ledger: &'a Ledger,
    state: ChainState,
    /// The entry being replayed, and whether its signature verified (checked ahead).
    signature: Option<(u64, bool)>,
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

impl Ledger {
    /// Verifies the whole ledger. `progress` is called with the number of entries checked so far.
    /// Storage errors are `Err`; anything wrong with the data is a [`Failure`] in the report.
    pub fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        self.verify_capturing(progress, &[])
    }

    /// [`Ledger::verify`], also reporting in [`VerifyReport::roots`] the Merkle root, computed
    /// from the entries themselves (never from the stored tree), at each tree size in `sizes`.
    pub fn verify_capturing(
        &self,
        progress: &mut dyn FnMut(u64),
        sizes: &[u64],
    ) -> Result<VerifyReport> {
        self.verify_scan(progress, sizes, true)
    }

    /// Verifies the record alone — entries, personal-data payloads and seals — without the
    /// derived data (head record, Merkle nodes, indexes, projection), which may be missing or
    /// stale. `igl rebuild` runs it before it replaces the derived data, so a damaged record is
    /// reported while everything is still as it was.
    pub fn verify_record(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        self.verify_scan(progress, &[], false)
    }

    fn verify_scan(
        &self,
        progress: &mut dyn FnMut(u64),
        sizes: &[u64],
        derived: bool,
    ) -> Result<VerifyReport> {
        let mut replay = Replay {
            ledger: self,
            state: ChainState::default(),
            signature: None,
        };
        let threads = verify_threads();
        let mut report = VerifyReport {
            entries: 0,
            head: None,
            ledger_id: None,
            seals: 0,
            keys: 0,
            redacted: 0,
            unerased: Vec::new(),
            failure: None,
            roots: BTreeMap::new(),
            root: None,
            key_history: Hash32::ZERO,
            subject_map: (0, merkle::EMPTY_ROOT),
            key_registry: Vec::new(),
            remedy: None,
        };
        let mut payloads = self.scan_from(cf::PAYLOADS, &[]).peekable();
        let mut seals = self.scan_from(cf::SEALS, &[]).peekable();
        let mut head: Option<Head> = None;
        let mut next_seal_first = 0u64;
        let mut missing_payloads: BTreeSet<u64> = BTreeSet::new();

        // Three things run at once: a reader thread reads chunks of entries and checks their
        // signatures on every core, one chunk ahead; this thread replays them in order; and,
        // unless only the record is checked, another thread recomputes the derived data
        // (indexes, history) from the entries.
        // Set when the failure is in derived data only: the remedy is a rebuild.
        let only_derived = std::cell::Cell::new(false);
        let failure = std::thread::scope(|s| -> Result<Option<Failure>> {
            let (tx, chunks) = std::sync::mpsc::sync_channel::<Result<Vec<Prepared>>>(2);
            s.spawn(move || {
                let mut stored = self.scan_from(cf::ENTRIES, &[]);
                let mut keys: Vec<VerifyingKeys> = (0..threads.max(1))
                    .map(|_| VerifyingKeys::default())
                    .collect();
                loop {
                    let mut chunk = Vec::with_capacity(CHUNK);
                    for item in stored.by_ref().take(CHUNK) {
                        match item {
                            Ok(kv) => chunk.push(kv),
                            Err(e) => {
                                let _ = tx.send(Err(e));
                                return;
                            }
                        }
                    }
                    // Stop at the end, or when the replay has stopped listening (it found a failure).
                    if chunk.is_empty() || tx.send(Ok(prepare(chunk, &mut keys))).is_err() {
                        return;
                    }
                }
            });
            let derived_check = derived.then(|| s.spawn(|| self.check_derived()));
            let derived_failure = |f: Failure| {
                only_derived.set(true);
                Failure {
                    seq: f.seq,
                    message: format!(
                        "{}: derived data does not match the entries (the entries themselves verified)",
                        f.message
                    ),
                }
            };
            let failure = 'scan: {
                for chunk in &chunks {
                    for p in chunk? {
                        let k = p.key;
                        let n = head.map_or(0, |h| h.seq + 1);
                        let fail = |message: String| Failure { seq: n, message };
                        let Some(key) = key_seq(&k) else {
                            break 'scan Some(fail(format!(
                                "an entry is stored under a malformed key ({} bytes)",
                                k.len()
                            )));
                        };
                        if key != n {
                            break 'scan Some(fail(format!(
                                "entry {n} is missing (the next stored entry is at seq {key})"
                            )));
                        }
                        let mut entry = match p.entry {
                            Ok(e) => e,
                            Err(e) => {
                                break 'scan Some(fail(format!("entry bytes do not decode: {e}")));
                            }
                        };
                        let hash = p.hash;
                        replay.signature = Some((n, p.signature_ok));

                        // Personal data and seals are stored in seq order too: take entry n's, if any.
                        let payload_bytes = match take_at(&mut payloads, n)? {
                            Taken::None => None,
                            Taken::Here(v) => Some(v),
                            Taken::Stray(at) => {
                                break 'scan Some(Failure {
                                seq: at,
                                message:
                                    "a personal-data payload is stored for an entry that has none"
                                        .into(),
                            });
                            }
                        };
                        if entry.event.has_pii() {
                            match &payload_bytes {
                                Some(b) => {
                                    let p: Payload = match codec::decode(b) {
                                        Ok(p) => p,
                                        Err(e) => {
                                            break 'scan Some(fail(format!(
                                                "personal-data payload does not decode: {e}"
                                            )));
                                        }
                                    };
                                    if let Err(e) = entry.event.open(&p) {
                                        break 'scan Some(fail(e.to_string()));
                                    }
                                }
                                None => {
                                    missing_payloads.insert(n);
                                }
                            }
                        } else if payload_bytes.is_some() {
                            break 'scan Some(fail(
                                "a personal-data payload is stored for an entry that has none"
                                    .into(),
                            ));
                        }

                        let effects = match rules::check_entry(&replay, head.as_ref(), &entry, hash)
                        {
                            Ok(e) => e,
                            Err(CheckError::Violation(v)) => break 'scan Some(fail(v.0)),
                            Err(CheckError::Lookup(e)) => return Err(e),
                        };
                        for eff in effects {
                            // A full verify proves event ids distinct from `by_event_id`
                            // (`LookupsCheck`): holding every id here would make its
                            // memory grow with the ledger. The record-only check (`igl
                            // rebuild`'s, which must not trust the index) keeps them.
                            if derived && matches!(eff, rules::Effect::EventId { .. }) {
                                continue;
                            }
                            replay
                                .state
                                .apply(eff, |_| Ok::<_, crate::LedgerError>(None))?;
                        }
                        replay.state.accumulate(&entry, &hash);
                        let ledger_id = replay.state.ledger_id.expect("entry 0 is genesis");
                        let author = replay
                            .state
                            .keys
                            .get(&entry.event.body.author)
                            .map(|k| k.person.clone());
                        crate::subject_map::accumulate(
                            &mut replay.state.subject_heads,
                            &ledger_id,
                            &entry,
                            &hash,
                            author.as_ref(),
                            |_| Ok::<_, crate::LedgerError>(None),
                        )?;
                        if sizes.contains(&replay.state.frontier.size()) {
                            let r = replay.state.frontier.root().expect("not empty");
                            report.roots.insert(replay.state.frontier.size(), r);
                        }
                        let h = Head {
                            seq: n,
                            hash,
                            recorded_at: entry.recorded_at,
                        };
                        head = Some(h);
                        report.entries += 1;

                        // A seal ends here?
                        match take_at(&mut seals, n)? {
                            Taken::None => {}
                            Taken::Stray(at) => {
                                break 'scan Some(Failure {
                                    seq: at,
                                    message: "a seal is stored where no batch ends".into(),
                                });
                            }
                            Taken::Here(sv) => {
                                let seal: Seal = match codec::decode(&sv) {
                                    Ok(s) => s,
                                    Err(e) => {
                                        break 'scan Some(fail(format!(
                                            "seal does not decode: {e}"
                                        )));
                                    }
                                };
                                let ledger_id = replay.state.ledger_id.expect("entry 0 is genesis");
                                let appender = replay.state.keys.get(&seal.body.appender);
                                if let Err(v) = rules::check_seal(
                                    &seal,
                                    &ledger_id,
                                    next_seal_first,
                                    &h,
                                    appender,
                                ) {
                                    break 'scan Some(fail(v.0));
                                }
                                report.seals += 1;
                                next_seal_first = n + 1;
                            }
                        }
                        if report.entries.is_multiple_of(4096) {
                            progress(report.entries);
                        }
                    }
                }

                // After the last entry.
                let Some(h) = head else {
                    break 'scan Some(Failure {
                        seq: 0,
                        message: "the ledger has no entries (not even the genesis entry)".into(),
                    });
                };
                if let Some(item) = seals.next() {
                    let (sk, _) = item?;
                    let s = key_seq(&sk).unwrap_or(u64::MAX);
                    break 'scan Some(Failure {
                        seq: h.seq + 1,
                        message: format!(
                            "a seal covers entries up to seq {s}, but the last entry is {}: entries were removed from the end",
                            h.seq
                        ),
                    });
                }
                if next_seal_first != h.seq + 1 {
                    break 'scan Some(Failure {
                        seq: next_seal_first,
                        message: format!(
                            "entries {next_seal_first}..={} are not covered by any seal (appended without one, or the seal was removed)",
                            h.seq
                        ),
                    });
                }
                match if derived { self.head()? } else { Some(h) } {
                    Some(recorded) if recorded.seq > h.seq => {
                        break 'scan Some(Failure {
                            seq: h.seq + 1,
                            message: format!(
                                "the head record says the ledger ends at seq {}, but the last entry is {}: entries were removed from the end (column family `meta`)",
                                recorded.seq, h.seq
                            ),
                        });
                    }
                    Some(recorded) if recorded != h => {
                        break 'scan Some(Failure {
                            seq: (recorded.seq + 1).min(h.seq),
                            message: format!(
                                "the head record (seq {}, hash {}) is not the last entry (seq {}, hash {}): the head record was altered (column family `meta`)",
                                recorded.seq, recorded.hash, h.seq, h.hash
                            ),
                        });
                    }
                    None => {
                        break 'scan Some(Failure {
                            seq: h.seq,
                            message: "the head record is missing (column family `meta`)".into(),
                        });
                    }
                    Some(_) => {}
                }
                if let Some(item) = payloads.next() {
                    let (k, _) = item?;
                    break 'scan Some(Failure {
                    seq: key_seq(&k).unwrap_or(h.seq + 1),
                    message: "a personal-data payload is stored for an entry that has none (beyond the last entry)".into(),
                });
                }
                if let Some(&t) = missing_payloads
                    .iter()
                    .find(|t| !replay.state.redactions.contains_key(t))
                {
                    break 'scan Some(Failure {
                        seq: t,
                        message:
                            "personal-data payload is missing and no Redacted entry accounts for it"
                                .into(),
                    });
                }
                None
            };
            drop(chunks);
            let Some(check) = derived_check else {
                return Ok(failure);
            };
            // The derived-data thread also proved the event ids distinct: two entries with one
            // id is the record's first failure unless the replay failed earlier. Any other
            // verdict of it counts only if the record verified (on a damaged record it may
            // fail for the same damage, or with a storage error).
            let found = match (
                check.join().expect("the derived-data check panicked"),
                failure,
            ) {
                (Ok(Some(Found::Record(dup))), f)
                    if f.as_ref().is_none_or(|f| dup.seq <= f.seq) =>
                {
                    return Ok(Some(dup));
                }
                (_, Some(f)) => return Ok(Some(f)),
                (found, None) => found?,
            };
            let h = head.expect("a verified record has entries");
            // Then the state tables append consults (key registry, declarations, redactions,
            // head, ledger id) must be exactly the replay's: append and every reader trust them.
            if let Some(f) = self.check_state_tables(&replay.state, &h)? {
                return Ok(Some(derived_failure(f)));
            }
            // Then the other derived data (indexes, the history projection) must be exactly
            // what the entries imply: recomputed from them, never trusted. (A duplicate event
            // id, the thread's one record failure, was returned above.)
            Ok(found.map(|(Found::Derived(f) | Found::Record(f))| derived_failure(f)))
        })?;
        progress(report.entries);
        report.redacted = replay.state.redactions.len() as u64;
        // A redacted entry whose payload is still stored (the scan opened every stored payload
        // against its entry's commitments, so one read each is enough). Redactions are few.
        for &t in replay.state.redactions.keys() {
            if self.get(cf::PAYLOADS, &seq_key(t))?.is_some() {
                report.unerased.push(t);
            }
        }
        report.unerased.sort_unstable();
        report.head = head;
        report.keys = replay.state.keys.len();
        report.ledger_id = replay.state.ledger_id;
        report.root = replay.state.frontier.root();
        report.key_history = replay.state.key_history;
        report.subject_map = crate::subject_map::map_root(&replay.state.subject_heads);
        report.key_registry = replay.state.keys.values().cloned().collect();
        report.key_registry.sort_by_key(|k| k.key);
        report.failure = failure;
        report.remedy = (report.failure.is_some() && only_derived.get()).then_some(Remedy::Rebuild);
        Ok(report)
    }

    /// Recomputes the derived data the replay does not hold (the hash and event-id lookups,
    /// every Merkle node, the indexes and the history projection) from the entries and compares
    /// it with what is stored: the first difference. Runs on its own thread, in one pass: each
    /// chunk of entries is read and decoded once and checked by each check in turn, then each
    /// counts its stored rows.
    fn check_derived(&self) -> Result<Option<Found>> {
        if let Some(f) = self.check_other_column_families()? {
            return Ok(Some(Found::Derived(f)));
        }
        let mut lookups = LookupsCheck::default();
        let mut indexes = crate::index::IndexCheck::default();
        let mut history = crate::projection::HistoryCheck::default();
        for chunk in self.decoded_chunks(CHUNK) {
            let chunk = chunk?;
            if let Some(found) = lookups.chunk(self, &chunk)? {
                return Ok(Some(found));
            }
            if let Some(f) = indexes.chunk(self, &chunk)? {
                return Ok(Some(Found::Derived(f)));
            }
            if let Some(f) = history.chunk(self, &chunk)? {
                return Ok(Some(Found::Derived(f)));
            }
        }
        if let Some(f) = lookups.finish(self)? {
            return Ok(Some(Found::Derived(f)));
        }
        if let Some(f) = indexes.finish(self)? {
            return Ok(Some(Found::Derived(f)));
        }
        Ok(history.finish(self)?.map(Found::Derived))
    }

    /// Compares the column families holding the chain state (`keys`, `declarations`,
    /// `redactions`, `meta`) row for row with the state the replay rebuilt from the entries:
    /// a changed value, a missing row and a stray row are each a failure.
    fn check_state_tables(&self, state: &ChainState, head: &Head) -> Result<Option<Failure>> {
        let ledger_id = state
            .ledger_id
            .expect("a verified ledger has a genesis entry");
        let mut keys = BTreeMap::new();
        for (k, rec) in &state.keys {
            keys.insert(
                k.0.to_vec(),
                (
                    codec::encode(rec),
                    rec.enrolled_seq,
                    format!("of key {}", k.short()),
                ),
            );
        }
        let mut declarations = BTreeMap::new();
        for (h, p) in &state.declarations {
            declarations.insert(
                h.0.to_vec(),
                (
                    p.as_str().as_bytes().to_vec(),
                    head.seq,
                    format!("of the declaration with entry hash {h}"),
                ),
            );
        }
        let mut redactions = BTreeMap::new();
        for (target, by) in &state.redactions {
            redactions.insert(
                seq_key(*target).to_vec(),
                (
                    seq_key(*by).to_vec(),
                    *target,
                    format!("of seq {target} (erased by seq {by})"),
                ),
            );
        }
        let mut meta = BTreeMap::new();
        for (k, v) in crate::store::expected_meta(head, &ledger_id, &state.key_history) {
            meta.insert(
                k.to_vec(),
                (v, head.seq, format!("`{}`", String::from_utf8_lossy(k))),
            );
        }
        for (name, expected) in [
            (cf::KEYS, keys),
            (cf::DECLARATIONS, declarations),
            (cf::REDACTIONS, redactions),
            (cf::META, meta),
        ] {
            if let Some(f) = self.compare_table(name, &expected, head.seq)? {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }

    /// Walks column family `name` and `expected` (key → value, the seq to name, what the row
    /// is) together in key order: the first stray, missing or changed row.
    fn compare_table(
        &self,
        name: &'static str,
        expected: &BTreeMap<Vec<u8>, (Vec<u8>, u64, String)>,
        last_seq: u64,
    ) -> Result<Option<Failure>> {
        let mut want = expected.iter().peekable();
        let missing = |(_, seq, what): &(Vec<u8>, u64, String)| Failure {
            seq: *seq,
            message: format!("column family `{name}`: the row {what} is missing"),
        };
        for r in self.scan_from(name, &[]) {
            let (k, v) = r?;
            // Expected rows that sort before this stored one are missing.
            if let Some((_, wv)) = want.next_if(|(wk, _)| wk.as_slice() < &*k) {
                return Ok(Some(missing(wv)));
            }
            match want.next_if(|(wk, _)| wk.as_slice() == &*k) {
                Some((_, (value, seq, what))) => {
                    if value.as_slice() != &*v {
                        return Ok(Some(Failure {
                            seq: *seq,
                            message: format!(
                                "column family `{name}`: the row {what} does not hold what the entries imply"
                            ),
                        }));
                    }
                }
                None => {
                    return Ok(Some(Failure {
                        seq: last_seq,
                        message: format!(
                            "column family `{name}`: a row with key {} that no entry implies",
                            hex::encode(&k)
                        ),
                    }));
                }
            }
        }
        Ok(want.next().map(|(_, wv)| missing(wv)))
    }

    /// Outside the column families igl declares there must be nothing: RocksDB's `default`
    /// column family is empty, and no other column family exists on disk.
    fn check_other_column_families(&self) -> Result<Option<Failure>> {
        let last = self.last_stored_seq()?.unwrap_or(0);
        if let Some(r) = self.default_rows().next() {
            let (k, _) = r?;
            return Ok(Some(Failure {
                seq: last,
                message: format!(
                    "column family `default`: it holds a row (key {}), and igl stores nothing there",
                    hex::encode(&k)
                ),
            }));
        }
        if let Some(name) = self
            .column_families_on_disk()
            .iter()
            .find(|n| *n != "default" && !cf::ALL.contains(&n.as_str()))
        {
            return Ok(Some(Failure {
                seq: last,
                message: format!(
                    "column family `{name}`: igl has no such column family (it was added behind igl's back)"
                ),
            }));
        }
        Ok(None)
    }

    /// Looks up `key(k)` for every `(seq, k)` of `rows` in column family `name` (one batched
    /// MultiGet) and returns the index of the first whose stored value is not that seq.
    fn first_not_naming<T, K: AsRef<[u8]>>(
        &self,
        name: &str,
        rows: &[(u64, T)],
        key: impl Fn(&T) -> K,
    ) -> Result<Option<usize>> {
        let keys: Vec<K> = rows.iter().map(|(_, k)| key(k)).collect();
        let got = self.get_many(name, &keys)?;
        Ok(rows
            .iter()
            .zip(&got)
            .position(|((seq, _), v)| v.as_deref() != Some(&seq_key(*seq)[..])))
    }
}

/// The `by_hash` and `by_event_id` lookups and every node of the Merkle tree (proofs are served
/// from them), recomputed from the entries a chunk at a time ([`LookupsCheck::chunk`]) and
/// compared with what is stored, then the stored rows counted ([`LookupsCheck::finish`]):
/// exactly the implied ones, so no stray row either.
///
/// This is also where a full verify proves every event id distinct (the chain rule "a signed
/// event is accepted once") without holding the ids: each entry's `by_event_id` row names that
/// entry, and a row names one seq, so no two entries share an id. When a row does not name its
/// entry, the entries are searched for another with that id, to report a duplicate as the
/// record's failure rather than the index's.
///
/// The Merkle nodes are folded into one digest per level ([`RowDigests`]) and compared with one
/// scan of the column family, as the indexes are; only if a level differs is the tree checked
/// again node by node (`row_by_row`), to name the first.
#[derive(Default)]
struct LookupsCheck {
    row_by_row: bool,
    frontier: Frontier,
    entries: u64,
    nodes: u64,
    node_rows: RowDigests,
}

impl LookupsCheck {
    fn chunk(
        &mut self,
        ledger: &Ledger,
        chunk: &[(igl_schema::Entry, Hash32)],
    ) -> Result<Option<Found>> {
        let fail = |seq: u64, name: &str, message: String| {
            Ok(Some(Found::Derived(Failure {
                seq,
                message: format!("column family `{name}`: {message}"),
            })))
        };
        let mut hashes: Vec<(u64, Hash32)> = Vec::with_capacity(chunk.len());
        let mut ids: Vec<(u64, EventId)> = Vec::with_capacity(chunk.len());
        let mut made: Vec<(u64, u8, u64, Hash32)> = Vec::new();
        for (entry, hash) in chunk {
            let seq = entry.seq;
            hashes.push((seq, *hash));
            ids.push((seq, entry.event.body.event_id));
            for (level, index, h) in self.frontier.push(merkle::leaf_hash(hash)) {
                made.push((seq, level, index, h));
            }
        }
        self.entries += hashes.len() as u64;
        self.nodes += made.len() as u64;
        if let Some(i) = ledger.first_not_naming(cf::BY_EVENT_ID, &ids, |id| id.0)? {
            let (seq, id) = ids[i];
            if let Some(first) = ledger.other_entry_with_event_id(seq, &id)? {
                return Ok(Some(Found::Record(Failure {
                    seq: seq.max(first),
                    message: format!(
                        "event {id} was already appended at seq {} (a signed event is accepted once)",
                        seq.min(first)
                    ),
                })));
            }
            return fail(
                seq,
                cf::BY_EVENT_ID,
                format!("the row for event {id} does not name seq {seq}"),
            );
        }
        if let Some(i) = ledger.first_not_naming(cf::BY_HASH, &hashes, |h| h.0)? {
            let (seq, h) = hashes[i];
            return fail(
                seq,
                cf::BY_HASH,
                format!("the row for entry hash {h} does not name seq {seq}"),
            );
        }
        let keys: Vec<[u8; 9]> = made.iter().map(|(_, l, i, _)| node_key(*l, *i)).collect();
        if !self.row_by_row {
            for (k, (_, _, _, h)) in keys.iter().zip(&made) {
                self.node_rows.add(k, &h.0);
            }
            return Ok(None);
        }
        let got = ledger.get_many(cf::MERKLE, &keys)?;
        for ((seq, level, index, h), v) in made.iter().zip(&got) {
            if v.as_deref() != Some(&h.0[..]) {
                return fail(
                    *seq,
                    cf::MERKLE,
                    format!(
                        "the stored Merkle node at level {level}, index {index} is not the hash of the entries it covers: proofs served from this ledger would be wrong (the tree was altered)"
                    ),
                );
            }
        }
        Ok(None)
    }

    /// After the last chunk: each column family holds exactly the rows the entries imply.
    fn finish(&self, ledger: &Ledger) -> Result<Option<Failure>> {
        let (n, last) = (self.entries, self.entries.saturating_sub(1));
        if !self.row_by_row
            && self
                .node_rows
                .differs_from(ledger.scan_from(cf::MERKLE, &[]))?
        {
            // Say which node, as the node-by-node check finds it.
            let mut check = LookupsCheck {
                row_by_row: true,
                ..LookupsCheck::default()
            };
            for chunk in ledger.decoded_chunks(CHUNK) {
                if let Some(Found::Derived(f) | Found::Record(f)) = check.chunk(ledger, &chunk?)? {
                    return Ok(Some(f));
                }
            }
            return Ok(check.finish(ledger)?.or_else(|| {
                Some(Failure {
                    seq: last,
                    message: format!(
                        "column family `{}`: its rows are not the Merkle nodes the entries imply",
                        cf::MERKLE
                    ),
                })
            }));
        }
        for (name, want) in [
            (cf::BY_HASH, n),
            (cf::BY_EVENT_ID, n),
            (cf::MERKLE, self.nodes),
        ] {
            if name == cf::MERKLE && !self.row_by_row {
                continue; // the node digests compared above count the rows
            }
            let stored = ledger
                .scan_from(name, &[])
                .try_fold(0u64, |c, r| r.map(|_| c + 1))?;
            if stored != want {
                return Ok(Some(Failure {
                    seq: last,
                    message: format!(
                        "column family `{name}`: holds {stored} rows but the entries imply {want} (a row was added or removed)"
                    ),
                }));
            }
        }
        Ok(None)
    }
}

impl Ledger {
    /// The first entry other than `seq` whose event id is `id`, found by reading every entry:
    /// only when `by_event_id` does not name `seq`, so never on a sound ledger. An entry that
    /// does not decode is skipped (the replay reports it).
    fn other_entry_with_event_id(&self, seq: u64, id: &EventId) -> Result<Option<u64>> {
        for r in self.scan_from(cf::ENTRIES, &[]) {
            let (k, v) = r?;
            let Some(s) = key_seq(&k) else { continue };
            if s == seq {
                continue;
            }
            if let Ok(e) = codec::decode::<igl_schema::Entry>(&v)
                && e.event.body.event_id == *id
            {
                return Ok(Some(s));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::{CHECKED_BY, RowDigests};
    use crate::store::cf;

    /// Folds `rows` as verify folds the expected rows, and as it folds a stored scan.
    fn differs(expected: &[(&[u8], &[u8])], stored: &[(&[u8], &[u8])]) -> bool {
        let mut d = RowDigests::default();
        for (k, v) in expected {
            d.add(k, v);
        }
        let mut scan: Vec<super::Raw> = stored
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        scan.sort();
        d.differs_from(scan.into_iter().map(Ok)).unwrap()
    }

    /// Any row added, removed, changed or moved to another group (subject) is a difference,
    /// and rows added to the expected side in seq order within each group, interleaved across
    /// groups (as the entries give them), match the stored scan in key order.
    #[test]
    fn row_digests_match_exactly_the_same_rows() {
        let a1: &[u8] = b"person:P1\0\0\0\0\0\0\0\0\x01";
        let a2: &[u8] = b"person:P1\0\0\0\0\0\0\0\0\x02";
        let b1: &[u8] = b"person:P2\0\0\0\0\0\0\0\0\x01";
        let b3: &[u8] = b"person:P2\0\0\0\0\0\0\0\0\x03";
        let expected = [(a1, &b"x"[..]), (b1, b"y"), (a2, b"x"), (b3, b"")];
        assert!(!differs(&expected, &expected));
        assert!(differs(&expected, &expected[..3]), "a row missing");
        let extra = [&expected[..], &[(b"person:P3\0\0\0\0\0\0\0\0\x01", b"")]].concat();
        assert!(
            differs(&expected, &extra),
            "a stray row, in a group of its own"
        );
        let extra = [
            &expected[..],
            &[(&b"person:P1\0\0\0\0\0\0\0\0\x05"[..], &b"x"[..])],
        ]
        .concat();
        assert!(differs(&expected, &extra), "a stray row in a known group");
        let changed = [(a1, &b"x"[..]), (b1, b"y"), (a2, b"z"), (b3, b"")];
        assert!(differs(&expected, &changed), "a value changed");
        let moved = [
            (a1, &b"x"[..]),
            (b1, b"y"),
            (b3, b""),
            (b"person:P2\0\0\0\0\0\0\0\0\x02", b"x"),
        ];
        assert!(differs(&expected, &moved), "a row moved to another subject");
        // Framing: the same bytes split differently between key and value are another row.
        assert!(differs(
            &[(b"k\0\0\0\0\0\0\0\0v", b"")],
            &[(b"k\0\0\0\0\0\0\0\0", b"v")]
        ));
    }

    /// Every column family says how verify checks it: a new one cannot be added without it.
    #[test]
    fn every_column_family_is_checked_by_verify() {
        let named: Vec<&str> = CHECKED_BY.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            named,
            cf::ALL,
            "CHECKED_BY lists every column family, in order"
        );
    }
}
