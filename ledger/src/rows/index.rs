//! The rows of the secondary indexes (`by_subject`, `by_type`): which an entry implies and how
//! their keys are written. The queries that read them are in [`crate::index`].
//!
//! - `by_subject`: `subject ‖ 0x00 ‖ seq (u64 BE)` → one flags byte: [`NAMED`] when the entry
//!   lists the subject in `body.subjects`, [`AUTHOR`] when the subject is the person whose key
//!   signed it (both bits when both). The subject is written `person:ID` / `service-user:ID`;
//!   identifiers never contain 0x00, so the separator makes `person:P1` a prefix of its own rows
//!   only, never of `person:P10`'s.
//! - `by_type`: `tag (u32 BE) ‖ seq (u64 BE)` → empty, where the tag is the event type's position
//!   in [`Event::TYPES`] (its canonical tag).

use std::collections::BTreeMap;

use igl_schema::{Entry, Event, PersonId, Subject};

use super::cf;

/// Flag: the entry names the subject (it is in `body.subjects`).
pub const NAMED: u8 = 1;
/// Flag: the subject is the enrolled person of the key that signed the entry.
pub const AUTHOR: u8 = 2;

/// The `by_subject` row written with the genesis entry: the indexes cover the ledger from seq 0.
/// (Subject keys start with `person:` or `service-user:`, so the empty key cannot collide.)
pub(crate) const INDEXED_MARKER: &[u8] = b"";
/// The index layout version stored in the marker row.
pub(crate) const INDEX_VERSION: u8 = 1;

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

/// Every `by_subject` and `by_type` row `entry` implies, given to `put` as (column family, key,
/// value): the marker row with the genesis entry, one `by_subject` row per subject with its
/// flags ([`subject_rows`]), one `by_type` row. `author_person` is the person of the key that
/// signed it, as the chain state when it was appended saw it (so a key enrolled earlier in the
/// same batch, or by the genesis entry itself, is found).
pub fn index_rows(
    entry: &Entry,
    author_person: Option<&PersonId>,
    mut put: impl FnMut(&'static str, &[u8], &[u8]),
) {
    let seq = entry.seq;
    if seq == 0 {
        put(cf::BY_SUBJECT, INDEXED_MARKER, &[INDEX_VERSION]);
    }
    for (s, flags) in subject_rows(entry, author_person) {
        put(cf::BY_SUBJECT, &subject_key(&s, seq), &[flags]);
    }
    let tag = type_tag(entry.event.body.event.type_name())
        .expect("every event's type is in the catalogue");
    put(cf::BY_TYPE, &type_key(tag, seq), &[]);
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
}
