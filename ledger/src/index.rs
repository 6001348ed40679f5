//! The queries of the secondary indexes and of the subject index: entries by subject and by
//! event type, the subject resolver, and the subject map's lists and proofs.
//!
//! The rows are derived from the entries ([`crate::rows::index`], [`crate::subject_map`]) and
//! written in the append's own `WriteBatch`, so they are committed atomically with the entries
//! they describe and can never be out of step with them after a crash. A query is one prefix
//! iteration: it reads the index rows of its subject or type and nothing else, in seq order.

use std::collections::BTreeMap;
use std::path::PathBuf;

use igl_schema::{Hash32, PersonId, RecordId, Subject};

use crate::error::{LedgerError, Result};
use crate::rows::index::{AUTHOR, INDEX_VERSION, INDEXED_MARKER, NAMED, subject_prefix, type_tag};
use crate::store::{Ledger, StoredEntry, cf, key_seq};
use crate::subject_map::{MapAt, Named, SubjectProof, row_key};

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
    /// The subject map of the first `size` entries: each subject's head as of `size`, in key
    /// order. Two seeks per subject in `subject_chain`, none per entry.
    pub fn subject_map_leaves(&self, size: u64) -> Result<Vec<(Hash32, Hash32)>> {
        let mut out = Vec::new();
        if size == 0 {
            return Ok(out);
        }
        let mut it = self.raw_iter(cf::SUBJECT_CHAIN);
        it.seek_to_first();
        while let Some(k) = it.key() {
            let (key, _, _) = self.subject_chain_row(k, it.value().unwrap_or_default())?;
            it.seek_for_prev(row_key(&key, size - 1));
            if let (Some(k), Some(v)) = (it.key(), it.value())
                && k.starts_with(&key.0)
            {
                let (_, _, head) = self.subject_chain_row(k, v)?;
                out.push((key, head));
            }
            it.seek(row_key(&key, u64::MAX));
            if it.key().is_some_and(|k| k.starts_with(&key.0)) {
                it.next();
            }
        }
        it.status().map_err(|e| self.storage_error(e))?;
        Ok(out)
    }

    /// The subject map of the first `size` entries, ready to prove subjects against.
    pub fn subject_map_at(&self, size: u64) -> Result<MapAt> {
        Ok(MapAt::new(self.subject_map_leaves(size)?))
    }

    /// The seqs of every entry about `subject` before `size`, from the subject index.
    pub fn subject_list(&self, subject: &Named, size: u64) -> Result<Vec<u64>> {
        let key = subject.map_key(&self.ledger_id()?);
        let mut out = Vec::new();
        for r in self.iter_from(cf::SUBJECT_CHAIN, &key.0) {
            let (k, v) = r?;
            if !k.starts_with(&key.0) {
                break;
            }
            let (_, seq, _) = self.subject_chain_row(&k, &v)?;
            if seq >= size {
                break;
            }
            out.push(seq);
        }
        Ok(out)
    }

    /// The proof that `subject`'s entries before `size` are all listed (or that there are none),
    /// against the map `map` of that size.
    pub fn subject_proof(&self, map: &MapAt, subject: &Named, size: u64) -> Result<SubjectProof> {
        let key = subject.map_key(&self.ledger_id()?);
        Ok(map.prove(subject, &key, self.subject_list(subject, size)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
