//! Verify's check of the history projection (`history`) against the entries, without trusting
//! it.

use igl_schema::Hash32;

use super::{CHUNK, Failure};
use crate::error::Result;
use crate::rows::history::{describe_key, rows_of};
use crate::store::{Ledger, cf};

impl Ledger {
    /// Checks the `history` column family against the entries without trusting it: every row
    /// each entry implies is stored with the right value, and it holds nothing else. One pass
    /// over the entries with batched point lookups, then a count of the stored rows. `verify`
    /// runs the same check (`HistoryCheck`) in its one pass over the entries.
    pub fn check_history(&self) -> Result<Option<Failure>> {
        let mut check = HistoryCheck::default();
        for chunk in self.decoded_chunks(CHUNK) {
            if let Some(f) = check.chunk(self, &chunk?)? {
                return Ok(Some(f));
            }
        }
        check.finish(self)
    }
}

/// The history projection checked against the entries a chunk at a time
/// ([`HistoryCheck::chunk`]), then its row count ([`HistoryCheck::finish`]).
#[derive(Default)]
pub(crate) struct HistoryCheck {
    expected: u64,
}

impl HistoryCheck {
    /// Checks the rows these entries imply: the first missing or different one.
    pub(crate) fn chunk(
        &mut self,
        ledger: &Ledger,
        entries: &[(igl_schema::Entry, Hash32)],
    ) -> Result<Option<Failure>> {
        let mut rows: Vec<(u64, Vec<u8>, Vec<u8>)> = Vec::new();
        for (entry, hash) in entries {
            let body = &entry.event.body;
            for (k, v) in rows_of(entry.seq, body.occurred_at, &body.event, hash) {
                rows.push((entry.seq, k, v));
            }
        }
        self.expected += rows.len() as u64;
        let keys: Vec<&[u8]> = rows.iter().map(|(_, k, _)| k.as_slice()).collect();
        let got = ledger.get_many(cf::HISTORY, &keys)?;
        for ((seq, k, v), stored) in rows.iter().zip(&got) {
            let message = match stored.as_deref() {
                Some(stored) if stored == v.as_slice() => continue,
                Some(_) => format!(
                    "column family `history`: the history projection row {} does not hold what the entry implies",
                    describe_key(k)
                ),
                None => format!(
                    "column family `history`: the history projection has no row {}",
                    describe_key(k)
                ),
            };
            return Ok(Some(Failure { seq: *seq, message }));
        }
        Ok(None)
    }

    /// After the last chunk: the projection holds no row the entries do not imply.
    pub(crate) fn finish(&self, ledger: &Ledger) -> Result<Option<Failure>> {
        let stored = ledger
            .scan_from(cf::HISTORY, &[])
            .try_fold(0u64, |n, r| r.map(|_| n + 1))?;
        if stored != self.expected {
            return Ok(Some(Failure {
                seq: ledger.head()?.map_or(0, |h| h.seq),
                message: format!(
                    "column family `history`: the history projection holds {stored} rows but the entries imply {}",
                    self.expected
                ),
            }));
        }
        Ok(None)
    }
}
