//! Verify's check of the indexes (`by_subject`, `by_type`) and of the subject index
//! (`subject_chain`) against the entries, without trusting them.

use std::collections::BTreeMap;

use igl_schema::{PersonId, Subject};

use super::derived::RowDigests;
use super::{CHUNK, Failure};
use crate::error::{LedgerError, Result};
use crate::rows::index::{
    INDEX_VERSION, INDEXED_MARKER, subject_key, subject_rows, type_key, type_tag,
};
use crate::store::{Ledger, cf};
use crate::subject_map;

impl Ledger {
    /// Checks the indexes against the entries, without trusting them: every row each entry
    /// implies is stored with the right flags, and the indexes hold nothing else (their row
    /// counts match). One pass over the entries, then one scan of each index (`IndexCheck`).
    /// Returns the first discrepancy, or `None` when the indexes are exactly what the entries
    /// say. `verify` runs the same check in its one pass over the entries for all derived data.
    pub fn check_indexes(&self) -> Result<Option<Failure>> {
        self.run_index_check(IndexCheck::default())
    }

    /// [`Ledger::check_indexes`] row by row: every implied row looked up as the entries go
    /// past, so the first difference is found by seq. Run when the digests differ, to say where.
    fn check_indexes_row_by_row(&self) -> Result<Option<Failure>> {
        self.run_index_check(IndexCheck {
            row_by_row: true,
            ..IndexCheck::default()
        })
    }

    fn run_index_check(&self, mut check: IndexCheck) -> Result<Option<Failure>> {
        for chunk in self.decoded_chunks(CHUNK) {
            if let Some(f) = check.chunk(self, &chunk?)? {
                return Ok(Some(f));
            }
        }
        check.finish(self)
    }
}

/// The indexes (`by_subject`, `by_type`, `subject_chain`) checked against the entries a chunk
/// at a time ([`IndexCheck::chunk`]), then as a whole ([`IndexCheck::finish`]). Holds the
/// subject list heads (one per subject), each author's person and a digest per group of rows.
///
/// By default the rows each entry implies are folded into digests, one per subject, event type
/// and subject-map key ([`RowDigests`]), and `finish` folds the stored rows the
/// same way in one scan of each column family: no row is looked up, which at a million entries
/// would be several random reads per entry. Only if a digest differs are the indexes checked
/// again row by row ([`Ledger::check_indexes`]'s `row_by_row` mode) to report the first
/// difference by seq.
#[derive(Default)]
pub(crate) struct IndexCheck {
    row_by_row: bool,
    subject_rows: RowDigests,
    type_rows: RowDigests,
    chain_rows: RowDigests,
    n_subject: u64,
    n_type: u64,
    n_chain: u64,
    heads: BTreeMap<igl_schema::Hash32, igl_schema::Hash32>,
    ledger_id: Option<igl_schema::LedgerId>,
    authors: BTreeMap<igl_schema::PublicKey, PersonId>,
}

impl IndexCheck {
    /// Checks the rows these entries (consecutive, in seq order, each with its hash) imply:
    /// the first difference, by seq.
    pub(crate) fn chunk(
        &mut self,
        ledger: &Ledger,
        entries: &[(igl_schema::Entry, igl_schema::Hash32)],
    ) -> Result<Option<Failure>> {
        let fail = |seq: u64, message: String| Ok(Some(Failure { seq, message }));
        let mut subjects: Vec<(u64, Subject, u8)> = Vec::new();
        let mut types: Vec<(u64, &'static str)> = Vec::new();
        let mut chain: Vec<(u64, igl_schema::Hash32, igl_schema::Hash32)> = Vec::new();
        for (entry, hash) in entries {
            let seq = entry.seq;
            let author = entry.event.body.author;
            // Each key's person is learnt from the entry that enrolled it, as the replay
            // learns it: the stored `keys` column family is derived data this check must not
            // read (a damaged row there is the state-table check's failure, not an error here).
            match &entry.event.body.event {
                igl_schema::Event::LedgerCreated(g) => {
                    self.authors.insert(g.admin_key, g.admin_person.clone());
                }
                igl_schema::Event::KeyEnrolled(e) => {
                    self.authors
                        .entry(e.key)
                        .or_insert_with(|| e.person.clone());
                }
                _ => {}
            }
            let person = self.authors.get(&author);
            for (s, flags) in subject_rows(entry, person) {
                subjects.push((seq, s, flags));
            }
            let id = *self.ledger_id.get_or_insert(entry.event.body.ledger_id);
            for (key, head) in
                subject_map::accumulate(&mut self.heads, &id, entry, hash, person, |_| {
                    Ok::<_, LedgerError>(None)
                })?
            {
                chain.push((seq, key, head));
            }
            types.push((seq, entry.event.body.event.type_name()));
        }
        self.n_subject += subjects.len() as u64;
        self.n_type += types.len() as u64;
        self.n_chain += chain.len() as u64;
        if !self.row_by_row {
            for (seq, s, flags) in &subjects {
                self.subject_rows.add(&subject_key(s, *seq), &[*flags]);
            }
            for (seq, name) in &types {
                let tag = type_tag(name).expect("every event's type is in the catalogue");
                self.type_rows.add(&type_key(tag, *seq), &[]);
            }
            for (seq, key, head) in &chain {
                self.chain_rows
                    .add(&subject_map::row_key(key, *seq), &head.0);
            }
            return Ok(None);
        }
        // The first difference in the chunk, by seq (a subject row before the type row).
        let keys: Vec<Vec<u8>> = subjects
            .iter()
            .map(|(q, s, _)| subject_key(s, *q))
            .collect();
        let got = ledger.get_many(cf::BY_SUBJECT, &keys)?;
        let subject_failure =
            subjects
                .iter()
                .zip(&got)
                .find_map(|((seq, s, flags), v)| match v.as_deref() {
                    Some(v) if v == [*flags] => None,
                    Some(v) => Some((
                        *seq,
                        format!("column family `by_subject`: the subject index row of {s} has flags {v:?}, not [{flags}]"),
                    )),
                    None => Some((*seq, format!("column family `by_subject`: the subject index has no row for {s}"))),
                });
        let keys: Vec<[u8; 12]> = types
            .iter()
            .map(|(seq, name)| {
                type_key(
                    type_tag(name).expect("every event's type is in the catalogue"),
                    *seq,
                )
            })
            .collect();
        let got = ledger.get_many(cf::BY_TYPE, &keys)?;
        let type_failure = types
            .iter()
            .zip(&got)
            .find_map(|((seq, name), v)| match v.as_deref() {
                Some([]) => None,
                Some(_) => Some((
                    *seq,
                    format!("column family `by_type`: the type index row of this {name} holds a value (it holds none)"),
                )),
                None => Some((
                    *seq,
                    format!("column family `by_type`: the type index has no row for this {name}"),
                )),
            });
        let keys: Vec<[u8; 40]> = chain
            .iter()
            .map(|(seq, key, _)| subject_map::row_key(key, *seq))
            .collect();
        let got = ledger.get_many(cf::SUBJECT_CHAIN, &keys)?;
        let chain_failure = chain.iter().zip(&got).find_map(|((seq, key, head), v)| {
            match v.as_deref() {
                Some(v) if v == head.0 => None,
                Some(_) => Some((
                    *seq,
                    format!("column family `subject_chain`: the subject index row of map key {key} does not hold the list head the entries give"),
                )),
                None => Some((
                    *seq,
                    format!("column family `subject_chain`: the subject index has no row for map key {key}"),
                )),
            }
        });
        let first = [subject_failure, type_failure, chain_failure]
            .into_iter()
            .flatten()
            .min_by_key(|(seq, _)| *seq);
        if let Some((seq, message)) = first {
            return fail(seq, message);
        }
        Ok(None)
    }

    /// After the last chunk: the indexes hold no row the entries do not imply.
    pub(crate) fn finish(&self, ledger: &Ledger) -> Result<Option<Failure>> {
        let fail = |seq: u64, message: String| Ok(Some(Failure { seq, message }));
        let (n_subject, n_type, n_chain) = (self.n_subject, self.n_type, self.n_chain);
        let head = ledger.head()?.map_or(0, |h| h.seq);
        match ledger.get(cf::BY_SUBJECT, INDEXED_MARKER)? {
            Some(v) if *v != [INDEX_VERSION] => {
                return fail(
                    0,
                    format!(
                        "column family `by_subject`: the index marker row holds {v:?}, not [{INDEX_VERSION}]"
                    ),
                );
            }
            None if n_type > 0 => {
                return fail(
                    0,
                    "column family `by_subject`: the index marker row is missing".into(),
                );
            }
            _ => {}
        }
        if !self.row_by_row {
            for (digests, name) in [
                (&self.subject_rows, cf::BY_SUBJECT),
                (&self.type_rows, cf::BY_TYPE),
                (&self.chain_rows, cf::SUBJECT_CHAIN),
            ] {
                let stored = ledger
                    .scan_from(name, &[])
                    .filter(|r| !matches!(r, Ok((k, _)) if name == cf::BY_SUBJECT && **k == *INDEXED_MARKER));
                if digests.differs_from(stored)? {
                    // Say where, as the row-by-row check finds it.
                    return Ok(ledger.check_indexes_row_by_row()?.or_else(|| {
                        Some(Failure {
                            seq: head,
                            message: format!(
                                "column family `{name}`: its rows are not the ones the entries imply"
                            ),
                        })
                    }));
                }
            }
            return Ok(None);
        }
        // Every row but the marker (checked above).
        let mut stored = 0u64;
        for r in ledger.scan_from(cf::BY_SUBJECT, &[]) {
            if *r?.0 != *INDEXED_MARKER {
                stored += 1;
            }
        }
        if stored != n_subject {
            return fail(
                head,
                format!(
                    "column family `by_subject`: the subject index holds {stored} rows but the entries imply {n_subject}"
                ),
            );
        }
        let stored = ledger
            .scan_from(cf::BY_TYPE, &[])
            .try_fold(0u64, |n, r| r.map(|_| n + 1))?;
        if stored != n_type {
            return fail(
                head,
                format!(
                    "column family `by_type`: the type index holds {stored} rows but the entries imply {n_type}"
                ),
            );
        }
        let stored = ledger
            .scan_from(cf::SUBJECT_CHAIN, &[])
            .try_fold(0u64, |n, r| r.map(|_| n + 1))?;
        if stored != n_chain {
            return fail(
                head,
                format!(
                    "column family `subject_chain`: the subject index holds {stored} rows but the entries imply {n_chain}"
                ),
            );
        }
        Ok(None)
    }
}
