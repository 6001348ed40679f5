//! Verify's derived-data checks: every derived column family compared with what the entries
//! imply ([`super::CHECKED_BY`]). The chain-state tables are compared with the replay's state
//! ([`Ledger::check_state_tables`]); the lookups and Merkle nodes ([`LookupsCheck`]), the
//! indexes ([`IndexCheck`]) and the history projection ([`HistoryCheck`]) are recomputed from
//! the entries on a thread of their own, in one pass ([`Ledger::check_derived`]). The rows are
//! recomputed by the same functions the append writes them with ([`crate::rows`]).

use std::collections::BTreeMap;

use igl_schema::{EventId, Hash32, codec};

use super::history::HistoryCheck;
use super::indexes::IndexCheck;
use super::{CHUNK, Failure};
use crate::chain::{ChainState, Head};
use crate::error::Result;
use crate::merkle::{self, Frontier};
use crate::store::{Ledger, cf, key_seq, node_key, seq_key};

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
pub(super) enum Found {
    /// Derived data differs from what the entries imply (`igl rebuild` repairs it).
    Derived(Failure),
    /// The record itself is wrong: two entries carry one event id. The replay leaves this
    /// check to the derived-data thread (so it holds no event id in memory), which proves the
    /// ids distinct by finding each entry's id in `by_event_id` naming that entry.
    Record(Failure),
}

impl Ledger {
    /// Recomputes the derived data the replay does not hold (the hash and event-id lookups,
    /// every Merkle node, the indexes and the history projection) from the entries and compares
    /// it with what is stored: the first difference. Runs on its own thread, in one pass: each
    /// chunk of entries is read and decoded once and checked by each check in turn, then each
    /// counts its stored rows.
    pub(super) fn check_derived(&self) -> Result<Option<Found>> {
        if let Some(f) = self.check_other_column_families()? {
            return Ok(Some(Found::Derived(f)));
        }
        let mut lookups = LookupsCheck::default();
        let mut indexes = IndexCheck::default();
        let mut history = HistoryCheck::default();
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
    pub(super) fn check_state_tables(
        &self,
        state: &ChainState,
        head: &Head,
    ) -> Result<Option<Failure>> {
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
    use super::RowDigests;

    /// Folds `rows` as verify folds the expected rows, and as it folds a stored scan.
    fn differs(expected: &[(&[u8], &[u8])], stored: &[(&[u8], &[u8])]) -> bool {
        let mut d = RowDigests::default();
        for (k, v) in expected {
            d.add(k, v);
        }
        let mut scan: Vec<super::super::replay::Raw> = stored
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
}
