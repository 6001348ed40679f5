//! Full verification: replays the ledger through the chain rules, checking every entry, link,
//! hash, signature, seal and personal-data commitment.

use std::collections::{BTreeMap, BTreeSet};
use std::iter::Peekable;

use igl_schema::{Hash32, LedgerId, Payload, Seal, VerifyingKeys, codec};

use crate::chain::{self, ChainState, CheckError, Head, KeyRecord};
use crate::error::{Remedy, Result};
use crate::merkle;
use crate::store::{Kv, Ledger, cf, key_seq, seq_key};

mod derived;
mod history;
mod indexes;
mod replay;

use derived::Found;
use replay::{Prepared, Replay, prepare, verify_threads};

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
/// the record is replayed (`Ledger::verify_scan`); the small state tables (key registry,
/// declarations, redactions, `meta`) are compared row for row with the replay's state
/// (`Ledger::check_state_tables`); the rest is recomputed from the entries on the derived-data
/// thread in one pass (`LookupsCheck`, `IndexCheck`, `HistoryCheck`). Every stored
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

                        let effects = match chain::check_entry(&replay, head.as_ref(), &entry, hash)
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
                            if derived && matches!(eff, chain::Effect::EventId { .. }) {
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
                                if let Err(v) = chain::check_seal(
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
}

#[cfg(test)]
mod tests {
    use super::CHECKED_BY;
    use crate::store::cf;

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
