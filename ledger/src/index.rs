//! Secondary indexes: entries by subject and by event type.
//!
//! Both are derived from the entries and written by [`index_entry`] into the append's own
//! `WriteBatch`, so they are committed atomically with the entries they describe and can never be
//! out of step with them after a crash.
//!
//! - `by_subject`: `subject ‖ 0x00 ‖ seq (u64 BE)` → one flags byte: [`NAMED`] when the entry
//!   lists the subject in `body.subjects`, [`AUTHOR`] when the subject is the person whose key
//!   signed it (both bits when both). The subject is written `person:ID` / `service-user:ID`;
//!   identifiers never contain 0x00, so the separator makes `person:P1` a prefix of its own rows
//!   only, never of `person:P10`'s.
//! - `by_type`: `tag (u32 BE) ‖ seq (u64 BE)` → empty, where the tag is the event type's position
//!   in [`Event::TYPES`] (its canonical tag).
//!
//! A query is one prefix iteration: it reads the index rows of its subject or type and nothing
//! else, in seq order.

use std::collections::BTreeMap;
use std::path::PathBuf;

use igl_schema::{Entry, Event, PersonId, RecordId, Subject};
use rocksdb::WriteBatch;

use crate::error::{LedgerError, Result};
use crate::rules::KeyRecord;
use crate::store::{Ledger, StoredEntry, cf, key_seq};

/// Flag: the entry names the subject (it is in `body.subjects`).
pub const NAMED: u8 = 1;
/// Flag: the subject is the enrolled person of the key that signed the entry.
pub const AUTHOR: u8 = 2;

/// The `by_subject` row written with the genesis entry: the indexes cover the ledger from seq 0.
/// (Subject keys start with `person:` or `service-user:`, so the empty key cannot collide.)
const INDEXED_MARKER: &[u8] = b"";
/// The index layout version stored in the marker row.
const INDEX_VERSION: u8 = 1;

/// The canonical tag of an event type (its position in [`Event::TYPES`]), or `None` for an
/// unknown name.
pub fn type_tag(type_name: &str) -> Option<u32> {
    Event::TYPES
        .iter()
        .position(|t| *t == type_name)
        .map(|p| p as u32)
}

/// The `by_subject` key prefix of a subject: `person:ID` or `service-user:ID`, then 0x00.
pub fn subject_prefix(s: &Subject) -> Vec<u8> {
    let mut k = s.to_string().into_bytes();
    k.push(0);
    k
}

/// Entries per batch of row lookups when verify checks the indexes ([`Ledger::check_indexes`])
/// and the history projection ([`Ledger::check_history`]).
pub(crate) const CHECK_CHUNK: usize = 2048;

/// The `by_subject` key of (subject, seq).
pub fn subject_key(s: &Subject, seq: u64) -> Vec<u8> {
    let mut k = subject_prefix(s);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The `by_type` key of (tag, seq).
pub fn type_key(tag: u32, seq: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&tag.to_be_bytes());
    k[4..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The subjects a bare id can name: `person:ID` and `service-user:ID` (an id that is valid for
/// neither names none).
pub fn subjects_for_id(id: &str) -> Vec<Subject> {
    let mut out = Vec::new();
    if let Ok(p) = PersonId::new(id) {
        out.push(Subject::Person(p));
    }
    if let Ok(r) = RecordId::new(id) {
        out.push(Subject::ServiceUser(r));
    }
    out
}

/// What a subject as a user typed it names ([`resolve_subject`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// One subject: written with its kind (`person:ID`, `service-user:ID`), or a bare id under
    /// which the ledger holds entries for one kind of subject only.
    One(Subject),
    /// A bare id under which the ledger holds entries for both a member of staff and a service
    /// user, with how many each: they may be two different people, so the caller must ask
    /// which, never guess (a subject access answer about the wrong person is a breach).
    Ambiguous(Vec<(Subject, usize)>),
    /// A bare id under which the ledger holds nothing, with every subject it could name.
    Nothing(Vec<Subject>),
    /// Neither a subject nor an id: what is wrong with it.
    Invalid(String),
}

impl Resolution {
    /// The question to put when it is ambiguous: `"P7 names both person:P7 (3 entries) and
    /// service-user:P7 (1 entry), who may be different people; say which: person:P7 or
    /// service-user:P7"`.
    pub fn question(text: &str, found: &[(Subject, usize)]) -> String {
        let n = |k: usize| format!("{k} entr{}", if k == 1 { "y" } else { "ies" });
        let listed: Vec<String> = found
            .iter()
            .map(|(s, k)| format!("{s} ({})", n(*k)))
            .collect();
        let names: Vec<String> = found.iter().map(|(s, _)| s.to_string()).collect();
        format!(
            "{text} names both {}, who may be different people; say which: {}",
            listed.join(" and "),
            names.join(" or ")
        )
    }
}

/// Resolves a subject as typed: `person:ID`, `service-user:ID`, or a bare id looked up as both
/// kinds, `held` counting the entries held about each. The one resolver `igl sar`, `igl log
/// --subject`, `igl bundle --subject` and the terminal UI's Subjects screen use.
pub fn resolve_subject<E>(
    text: &str,
    mut held: impl FnMut(&Subject) -> std::result::Result<usize, E>,
) -> std::result::Result<Resolution, E> {
    let text = text.trim();
    if text.contains(':') {
        return Ok(match Subject::parse(text) {
            Ok(s) => Resolution::One(s),
            Err(e) => Resolution::Invalid(e),
        });
    }
    let candidates = subjects_for_id(text);
    if candidates.is_empty() {
        return Ok(Resolution::Invalid(format!(
            "{text:?} is not an id: write person:ID, service-user:ID or a bare id (letters, digits and - _ . / @)"
        )));
    }
    let mut found = Vec::new();
    for c in &candidates {
        let n = held(c)?;
        if n > 0 {
            found.push((c.clone(), n));
        }
    }
    Ok(match found.len() {
        0 => Resolution::Nothing(candidates),
        1 => Resolution::One(found.remove(0).0),
        _ => Resolution::Ambiguous(found),
    })
}

impl Ledger {
    /// [`resolve_subject`] against the subject index (entries naming or signed by each
    /// candidate).
    pub fn resolve_subject(&self, text: &str) -> Result<Resolution> {
        resolve_subject(text, |s| self.subject_entries(s).map(|v| v.len()))
    }
}

/// The index rows of one entry, as (subject, flags) in subject order: every subject the entry
/// names ([`NAMED`]) and the person of its author's key ([`AUTHOR`]), merged.
pub fn subject_rows(entry: &Entry, author_person: Option<&PersonId>) -> Vec<(Subject, u8)> {
    let mut rows: BTreeMap<Subject, u8> = BTreeMap::new();
    for s in &entry.event.body.subjects {
        *rows.entry(s.clone()).or_default() |= NAMED;
    }
    if let Some(p) = author_person {
        *rows.entry(Subject::Person(p.clone())).or_default() |= AUTHOR;
    }
    rows.into_iter().collect()
}

/// Adds the index rows of `entry` to the append's write batch. `author` is the enrolment record
/// of the key that signed it, as the batch being built sees it (so a key enrolled earlier in the
/// same batch, or by the genesis entry itself, is found).
pub(crate) fn index_entry(
    ledger: &Ledger,
    wb: &mut WriteBatch,
    entry: &Entry,
    author: Option<KeyRecord>,
) {
    let seq = entry.seq;
    let by_subject = ledger.cf(cf::BY_SUBJECT);
    if seq == 0 {
        wb.put_cf(by_subject, INDEXED_MARKER, [INDEX_VERSION]);
    }
    for (s, flags) in subject_rows(entry, author.as_ref().map(|k| &k.person)) {
        wb.put_cf(by_subject, subject_key(&s, seq), [flags]);
    }
    let tag = type_tag(entry.event.body.event.type_name())
        .expect("every event's type is in the catalogue");
    wb.put_cf(ledger.cf(cf::BY_TYPE), type_key(tag, seq), []);
}

fn damaged(path: PathBuf, what: &'static str, seq: u64, message: impl Into<String>) -> LedgerError {
    LedgerError::Corrupt {
        path,
        what,
        seq,
        message: message.into(),
    }
}

impl Ledger {
    /// Refuses to answer from indexes that do not cover the whole ledger.
    fn check_indexed(&self) -> Result<()> {
        match self.get(cf::BY_SUBJECT, INDEXED_MARKER)? {
            Some(v) if v == [INDEX_VERSION] => Ok(()),
            Some(v) => Err(damaged(
                self.path().to_path_buf(),
                "subject index",
                0,
                format!(
                    "index version {v:?} is not the version this build reads ({INDEX_VERSION})"
                ),
            )),
            None if self.head()?.is_none() => Ok(()),
            None => Err(LedgerError::NeedsRebuild {
                path: self.path().to_path_buf(),
                reason: "it has no subject and type indexes (it was written by an older igl)"
                    .into(),
            }),
        }
    }

    /// Every entry about `subject`, in seq order, with its flags ([`NAMED`], [`AUTHOR`]):
    /// one prefix iteration over the `by_subject` index, no scan of the entries.
    pub fn subject_entries(&self, subject: &Subject) -> Result<Vec<(u64, u8)>> {
        self.check_indexed()?;
        let prefix = subject_prefix(subject);
        let mut out = Vec::new();
        for r in self.iter_from(cf::BY_SUBJECT, &prefix) {
            let (k, v) = r?;
            let Some(rest) = k.strip_prefix(prefix.as_slice()) else {
                break;
            };
            let bad = |m: &str| damaged(self.path().to_path_buf(), "subject index", 0, m);
            let seq = key_seq(rest).ok_or_else(|| bad("a key does not end in an 8-byte seq"))?;
            match *v {
                [flags] if flags != 0 && flags & !(NAMED | AUTHOR) == 0 => out.push((seq, flags)),
                _ => return Err(bad("a row's flags byte is malformed")),
            }
        }
        Ok(out)
    }

    /// Entries about any of `subjects` (e.g. both kinds a bare id can name), in seq order, with
    /// their flags merged.
    pub fn subjects_entries(&self, subjects: &[Subject]) -> Result<Vec<(u64, u8)>> {
        let mut all: BTreeMap<u64, u8> = BTreeMap::new();
        for s in subjects {
            for (seq, f) in self.subject_entries(s)? {
                *all.entry(seq).or_default() |= f;
            }
        }
        Ok(all.into_iter().collect())
    }

    /// The entries of event type `ty` that name one of `subjects` (each when given; with both,
    /// the entries that are both), from the `by_type` and `by_subject` indexes, in seq order:
    /// no entry is read. `None` when neither is given. An entry *names* a subject when the
    /// subject is among its `subjects` (not merely its author's person). `igl log --type
    /// --subject` and the terminal UI's timeline filters both select this way.
    pub fn select(
        &self,
        ty: Option<&str>,
        subjects: Option<&[Subject]>,
    ) -> Result<Option<Vec<u64>>> {
        let by_type = ty.map(|t| self.type_entries(t)).transpose()?;
        let by_subject = match subjects {
            None => None,
            Some(subjects) => Some(
                self.subjects_entries(subjects)?
                    .into_iter()
                    .filter(|(_, f)| f & NAMED != 0)
                    .map(|(seq, _)| seq)
                    .collect::<Vec<u64>>(),
            ),
        };
        Ok(match (by_type, by_subject) {
            (None, None) => None,
            (Some(x), None) | (None, Some(x)) => Some(x),
            (Some(t), Some(s)) => {
                let t: std::collections::BTreeSet<u64> = t.into_iter().collect();
                Some(s.into_iter().filter(|q| t.contains(q)).collect())
            }
        })
    }

    /// The seqs of every entry of event type `type_name` (e.g. `AccessGranted`), in seq order:
    /// one prefix iteration over the `by_type` index. An unknown type name has no entries
    /// (check names with [`type_tag`] or `Event::field_names`).
    pub fn type_entries(&self, type_name: &str) -> Result<Vec<u64>> {
        let Some(tag) = type_tag(type_name) else {
            return Ok(Vec::new());
        };
        self.check_indexed()?;
        let prefix = tag.to_be_bytes();
        let mut out = Vec::new();
        for r in self.iter_from(cf::BY_TYPE, &prefix) {
            let (k, _) = r?;
            let Some(rest) = k.strip_prefix(prefix.as_slice()) else {
                break;
            };
            out.push(key_seq(rest).ok_or_else(|| {
                damaged(
                    self.path().to_path_buf(),
                    "type index",
                    0,
                    "a key does not end in an 8-byte seq",
                )
            })?);
        }
        Ok(out)
    }

    /// Reads the entries at `seqs` (from an index), failing if one is missing.
    pub fn entries_at<'a>(
        &'a self,
        seqs: impl IntoIterator<Item = u64> + 'a,
    ) -> impl Iterator<Item = Result<StoredEntry>> + 'a {
        seqs.into_iter().map(move |seq| {
            self.entry(seq)?.ok_or_else(|| {
                damaged(
                    self.path().to_path_buf(),
                    "index",
                    seq,
                    "an index names this seq but there is no entry there",
                )
            })
        })
    }
}

impl Ledger {
    /// Checks the indexes against the entries, without trusting them: every row each entry
    /// implies is stored with the right flags, and the indexes hold nothing else (their row
    /// counts match). One pass over the entries, then one scan of each index ([`IndexCheck`]).
    /// Returns the first discrepancy, or `None` when the indexes are exactly what the entries
    /// say. `verify` runs the same check in its one pass over the entries for all derived data.
    pub fn check_indexes(&self) -> Result<Option<crate::verify::Failure>> {
        self.run_index_check(IndexCheck::default())
    }

    /// [`Ledger::check_indexes`] row by row: every implied row looked up as the entries go
    /// past, so the first difference is found by seq. Run when the digests differ, to say where.
    fn check_indexes_row_by_row(&self) -> Result<Option<crate::verify::Failure>> {
        self.run_index_check(IndexCheck {
            row_by_row: true,
            ..IndexCheck::default()
        })
    }

    fn run_index_check(&self, mut check: IndexCheck) -> Result<Option<crate::verify::Failure>> {
        for chunk in self.decoded_chunks(CHECK_CHUNK) {
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
/// and subject-map key ([`crate::verify::RowDigests`]), and `finish` folds the stored rows the
/// same way in one scan of each column family: no row is looked up, which at a million entries
/// would be several random reads per entry. Only if a digest differs are the indexes checked
/// again row by row ([`Ledger::check_indexes`]'s `row_by_row` mode) to report the first
/// difference by seq.
#[derive(Default)]
pub(crate) struct IndexCheck {
    row_by_row: bool,
    subject_rows: crate::verify::RowDigests,
    type_rows: crate::verify::RowDigests,
    chain_rows: crate::verify::RowDigests,
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
    ) -> Result<Option<crate::verify::Failure>> {
        let fail = |seq: u64, message: String| Ok(Some(crate::verify::Failure { seq, message }));
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
                crate::subject_map::accumulate(&mut self.heads, &id, entry, hash, person, |_| {
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
                    .add(&crate::subject_map::row_key(key, *seq), &head.0);
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
            .map(|(seq, key, _)| crate::subject_map::row_key(key, *seq))
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
    pub(crate) fn finish(&self, ledger: &Ledger) -> Result<Option<crate::verify::Failure>> {
        let fail = |seq: u64, message: String| Ok(Some(crate::verify::Failure { seq, message }));
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
                        Some(crate::verify::Failure {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_catalogue_positions() {
        assert_eq!(type_tag("LedgerCreated"), Some(0));
        assert_eq!(type_tag("OrganisationRegistered"), Some(1));
        assert_eq!(type_tag("NoSuchEvent"), None);
        for (i, t) in Event::TYPES.iter().enumerate() {
            assert_eq!(type_tag(t), Some(i as u32));
        }
    }

    #[test]
    fn a_subject_prefix_never_matches_a_longer_id() {
        let p1 = Subject::parse("person:P1").unwrap();
        let p10 = Subject::parse("person:P10").unwrap();
        assert!(!subject_key(&p10, 5).starts_with(&subject_prefix(&p1)));
        assert!(subject_key(&p1, 5).starts_with(&subject_prefix(&p1)));
        // seq order within a subject is key order
        assert!(subject_key(&p1, 255) < subject_key(&p1, 256));
        assert!(type_key(3, 255) < type_key(3, 256));
        assert!(type_key(3, u64::MAX) < type_key(4, 0));
    }

    #[test]
    fn bare_ids_name_both_kinds() {
        let s = subjects_for_id("SU-1");
        assert_eq!(
            s,
            [
                Subject::parse("person:SU-1").unwrap(),
                Subject::parse("service-user:SU-1").unwrap()
            ]
        );
        assert!(subjects_for_id("not an id").is_empty());
    }
}
