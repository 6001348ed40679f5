//! Tampering: a ledger built with the CLI, then altered behind igl's back by writing to its
//! RocksDB directly. `igl verify` must exit 1 and name the first bad seq.
//!
//! The base ledger (see [`base`]):
//!
//! ```text
//! seq 0      LedgerCreated                                  seal 0..=0   (admin, init)
//! seq 1..=3  KeyEnrolled ig_officer P2, manager P10, staff P100 (personal data: reason)
//! seq 4      OrganisationRegistered                         seal 1..=4   (admin)
//! seq 5..=7  PersonEnrolled P100, P101, P102 (personal data) seal 5..=7   (ig_officer)
//! seq 8      AccessGranted G-1 (personal data)
//! seq 9      TrainingCompleted P102
//! seq 10     AccessGranted G-2 (personal data)              seal 8..=10  (ig_officer)
//! seq 11     PolicyPublished
//! seq 12     TrainingCompleted P100                         seal 11..=12 (ig_officer)
//! ```

use std::path::Path;

use igl_ledger::store::{cf, key_seq, seq_key};
use igl_schema::{
    Entry, Event, EventId, Hash32, OrgId, OrganisationRegistered, Payload, Salt, Seal, SigningKey,
    Submission, Timestamp, codec, entry_hash,
};
use rocksdb::{ColumnFamilyDescriptor, DB, IteratorMode, Options};
use serde_json::json;

use crate::util::{Council, at, grant, jsonl, person, training};

const LAST: u64 = 12;
const SEALS: [u64; 5] = [0, 4, 7, 10, 12];

/// Builds the base ledger with four `igl` invocations after `igl init`.
fn base() -> Council {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            person("P101", "Grace Hopper"),
            person("P102", "Mary Somerville"),
        ],
    );
    c.append(
        &c.ig,
        &[
            grant("G-1", "P100", "Case work in the North team"),
            training("P102", 20),
            grant("G-2", "P101", "Hospital discharge assessments"),
        ],
    );
    c.append(
        &c.ig,
        &[
            json!({"type": "PolicyPublished", "policy": "eclipse-mou", "version": "2025.1",
                   "title": "Eclipse MoU", "text_blake3": "ab".repeat(32),
                   "occurred_at": at(2, 10)}),
            training("P100", 21),
        ],
    );
    let v = c.verify();
    assert_eq!(v["head_seq"], LAST);
    assert_eq!(v["seals"], SEALS.len());
    c
}

/// The ledger's RocksDB, opened directly (read-write), with nothing of igl's checks in between.
/// Flushed when dropped.
struct Raw {
    db: DB,
}

impl Raw {
    fn open(path: &Path) -> Raw {
        let mut opts = Options::default();
        opts.create_if_missing(false);
        // No background compaction deleting files under a read-only handle opened beside this.
        opts.set_disable_auto_compactions(true);
        let families = cf::ALL
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, opts.clone()));
        let db = DB::open_cf_descriptors(&opts, path, families).expect("open the ledger's RocksDB");
        Raw { db }
    }

    fn get(&self, cf: &str, seq: u64) -> Option<Vec<u8>> {
        let h = self.db.cf_handle(cf).unwrap();
        self.db.get_cf(h, seq_key(seq)).unwrap()
    }

    fn put(&self, cf: &str, seq: u64, value: &[u8]) {
        let h = self.db.cf_handle(cf).unwrap();
        self.db.put_cf(h, seq_key(seq), value).unwrap();
    }

    fn delete(&self, cf: &str, seq: u64) {
        let h = self.db.cf_handle(cf).unwrap();
        self.db.delete_cf(h, seq_key(seq)).unwrap();
    }

    /// The seqs stored in a seq-keyed column family.
    fn seqs(&self, cf: &str) -> Vec<u64> {
        let h = self.db.cf_handle(cf).unwrap();
        self.db
            .iterator_cf(h, IteratorMode::Start)
            .map(|r| key_seq(&r.unwrap().0).unwrap())
            .collect()
    }

    /// The stored bytes of entry `seq`.
    fn entry_bytes(&self, seq: u64) -> Vec<u8> {
        self.get(cf::ENTRIES, seq)
            .unwrap_or_else(|| panic!("no entry {seq}"))
    }

    /// Applies `f` to the stored bytes of `seq` in `cf`.
    fn edit(&self, cf: &str, seq: u64, f: impl FnOnce(&mut Vec<u8>)) {
        let mut v = self.get(cf, seq).unwrap_or_else(|| panic!("no {cf} {seq}"));
        f(&mut v);
        self.put(cf, seq, &v);
    }

    /// Every entry, decoded, with its stored payload bytes (index = seq).
    fn chain(&self) -> Vec<Stored> {
        let seqs = self.seqs(cf::ENTRIES);
        assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
        seqs.into_iter()
            .map(|s| Stored {
                entry: codec::decode(&self.entry_bytes(s)).unwrap(),
                payload: self.get(cf::PAYLOADS, s),
            })
            .collect()
    }

    /// Stores `chain` from `from` on, as a skilled forger would: every entry gets its position
    /// as seq and the hash of its predecessor as prev_hash (recomputed in order), payloads move
    /// with their entries, and keys beyond the new end (up to `old_len`) are removed. Seals are
    /// left as they were.
    fn write_chain(&self, chain: &mut [Stored], from: usize, old_len: usize) {
        for i in from..chain.len() {
            let prev = if i == 0 {
                Hash32::ZERO
            } else {
                entry_hash(&chain[i - 1].entry.encode())
            };
            let s = &mut chain[i];
            s.entry.seq = i as u64;
            s.entry.prev_hash = prev;
            self.put(cf::ENTRIES, i as u64, &s.entry.encode());
            match &s.payload {
                Some(p) => self.put(cf::PAYLOADS, i as u64, p),
                None => self.delete(cf::PAYLOADS, i as u64),
            }
        }
        for i in chain.len()..old_len {
            self.delete(cf::ENTRIES, i as u64);
            self.delete(cf::PAYLOADS, i as u64);
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        for name in cf::ALL {
            let _ = self.db.flush_cf(self.db.cf_handle(name).unwrap());
        }
    }
}

struct Stored {
    entry: Entry,
    payload: Option<Vec<u8>>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Asserts `igl verify` fails at `seq` with a message containing `what`; also that the text
/// output says so and that `igl verify --json` reports the entries before it as checked.
#[track_caller]
fn fails_at(c: &Council, seq: u64, what: &str) -> String {
    let (got, message) = c.verify_fails();
    assert_eq!(got, seq, "failure at the wrong seq: {message}");
    assert!(
        message.contains(what),
        "expected {what:?} in the failure message: {message}"
    );
    let (out, _) = c.igl().arg("verify").fails(1);
    assert!(
        out.starts_with(&format!("✘ FAILED at seq {seq}: ")),
        "{out}"
    );
    message
}

/// The first seal at or after `seq`: where a rewrite from `seq` on is caught.
fn first_seal_from(seq: u64) -> u64 {
    *SEALS.iter().find(|&&s| s >= seq).unwrap()
}

/// A well-formed event signed by a key the ledger has never seen.
fn forged_event(lid: igl_schema::LedgerId, key: &SigningKey) -> Submission {
    Submission::sign(
        lid,
        Event::OrganisationRegistered(OrganisationRegistered {
            organisation: OrgId::new("shell-company").unwrap(),
            name: "Shell Company Ltd".into(),
            kind: igl_schema::OrgKind::Partner,
        }),
        Timestamp::parse(&at(3, 9)).unwrap(),
        EventId([0x5a; 16]),
        [],
        key,
        Salt([0; 32]),
    )
    .unwrap()
}

#[test]
fn the_base_ledger_is_as_documented() {
    let c = base();
    let types: Vec<String> = c
        .log(&[])
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types[5..=7], ["PersonEnrolled"; 3]);
    assert_eq!(
        types[8..],
        [
            "AccessGranted",
            "TrainingCompleted",
            "AccessGranted",
            "PolicyPublished",
            "TrainingCompleted"
        ]
    );
    let raw = Raw::open(&c.ledger);
    assert_eq!(raw.seqs(cf::SEALS), SEALS);
    assert_eq!(raw.seqs(cf::PAYLOADS), [1, 2, 3, 5, 6, 7, 8, 10]);
    drop(raw);
    // Opening and closing the database directly changes nothing.
    c.verify();
}

// (1)
#[test]
fn a_changed_byte_in_an_event_body_fails_at_that_entry() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.edit(cf::ENTRIES, 6, |v| {
            // business_unit, a signed plain-text field near the end of the event.
            let at = find(v, b"Adult Social Care").expect("the business unit is stored");
            assert!(at > 48 && at < v.len() - 64, "inside the signed body");
            v[at] = b'a';
        });
    }
    fails_at(&c, 6, "signature does not verify");
}

// (1b) a change that no longer decodes
#[test]
fn an_entry_that_no_longer_decodes_fails_at_that_entry() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        // The last field of entry 9 before the signature: TrainingCompleted's expires_on, an
        // Option whose tag byte sits at len-64-5 (tag 1, then an i32 day count).
        raw.edit(cf::ENTRIES, 9, |v| {
            let tag = v.len() - 64 - 5;
            assert_eq!(v[tag], 1);
            v[tag] = 7;
        });
    }
    fails_at(&c, 9, "do not decode");
}

// (2)
#[test]
fn a_changed_signature_byte_fails_at_that_entry() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.edit(cf::ENTRIES, 6, |v| {
            let n = v.len();
            v[n - 64 + 10] ^= 0x01;
        });
    }
    fails_at(&c, 6, "signature does not verify");
}

// (3)
#[test]
fn a_changed_prev_hash_fails_at_that_entry() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.edit(cf::ENTRIES, 6, |v| v[8 + 17] ^= 0x80);
    }
    fails_at(&c, 6, "prev_hash");
}

// (4)
#[test]
fn a_deleted_entry_fails_at_its_seq() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.delete(cf::ENTRIES, 6);
    }
    fails_at(&c, 6, "entry 6 is missing");
}

// (5)
#[test]
fn swapped_entries_fail_at_the_first() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let (a, b) = (raw.entry_bytes(6), raw.entry_bytes(7));
        raw.put(cf::ENTRIES, 6, &b);
        raw.put(cf::ENTRIES, 7, &a);
    }
    // Entry 7 now sits on entry 6's personal data, which it does not match.
    fails_at(&c, 6, "does not match its commitment");

    // Moving the personal data along with them does not help.
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        for family in [cf::ENTRIES, cf::PAYLOADS] {
            let (a, b) = (raw.get(family, 6).unwrap(), raw.get(family, 7).unwrap());
            raw.put(family, 6, &b);
            raw.put(family, 7, &a);
        }
    }
    fails_at(&c, 6, "expected seq 6 here but the entry says seq 7");
}

// (6)
#[test]
fn a_relinked_entry_by_an_unenrolled_key_fails_at_that_entry() {
    let c = base();
    let lid = c.ledger_id();
    {
        let raw = Raw::open(&c.ledger);
        let mut chain = raw.chain();
        let len = chain.len();
        let forger = SigningKey::from_bytes(&[0x42; 32]);
        let forged = forged_event(lid, &forger);
        assert!(chain[9].payload.is_none() && forged.payload().is_none());
        chain[9].entry.event = forged.event;
        raw.write_chain(&mut chain, 9, len);
    }
    let message = fails_at(&c, 9, "is not enrolled in this ledger");
    assert!(message.contains("author key"), "{message}");
}

/// A forger holding an enrolled member of staff's key can sign a perfectly valid event, but
/// cannot seal the rewritten range: only appenders seal.
#[test]
fn a_relinked_entry_by_an_enrolled_key_fails_at_the_seal() {
    let c = base();
    let staff = igl_ledger::keys::load(&c.staff.path).unwrap();
    let lid = c.ledger_id();
    {
        let raw = Raw::open(&c.ledger);
        let mut chain = raw.chain();
        let len = chain.len();
        let sub = Submission::sign(
            lid,
            Event::BreachReported(igl_schema::BreachReported {
                breach: igl_schema::BreachId::new("BR-1").unwrap(),
                reported_by: igl_schema::PersonId::new("P100").unwrap(),
                aware_at: Timestamp::parse(&at(3, 8)).unwrap(),
                kind: igl_schema::BreachKind::Other,
                description: igl_schema::Pii::new("Nothing happened, honest"),
            }),
            Timestamp::parse(&at(3, 9)).unwrap(),
            EventId([0x77; 16]),
            [],
            &staff,
            Salt([3; 32]),
        )
        .unwrap();
        chain[9].payload = sub.payload().map(|p| codec::encode(&p));
        chain[9].entry.event = sub.event;
        raw.write_chain(&mut chain, 9, len);
    }
    fails_at(
        &c,
        first_seal_from(9),
        "the ledger was rewritten in that range",
    );
}

// (7)
#[test]
fn a_deleted_and_renumbered_entry_fails_at_the_first_seal_after_it() {
    let deleted = 6;
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let mut chain = raw.chain();
        let len = chain.len();
        chain.remove(deleted as usize);
        raw.write_chain(&mut chain, deleted as usize, len);
        assert_eq!(raw.seqs(cf::ENTRIES).len(), len - 1);
        assert_eq!(raw.seqs(cf::SEALS), SEALS, "seals untouched");
    }
    let expected = first_seal_from(deleted);
    assert_eq!(expected, 7);
    let message = fails_at(&c, expected, "seal");
    assert!(
        message.contains("says entry 7 has hash") && message.contains("rewritten"),
        "{message}"
    );
}

#[test]
fn a_deleted_and_renumbered_batch_end_fails_at_its_seal() {
    // Entry 4 ends the batch 1..=4: the seal stored at 4 now names the wrong entry.
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let mut chain = raw.chain();
        let len = chain.len();
        chain.remove(4);
        raw.write_chain(&mut chain, 4, len);
    }
    fails_at(&c, first_seal_from(4), "seal");
}

// (8)
#[test]
fn reordered_and_relinked_entries_fail_at_the_first_seal_after_them() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let mut chain = raw.chain();
        let len = chain.len();
        chain.swap(8, 9);
        raw.write_chain(&mut chain, 8, len);
    }
    let expected = first_seal_from(8);
    assert_eq!(expected, 10);
    let message = fails_at(&c, expected, "seal");
    assert!(message.contains("rewritten"), "{message}");
}

/// An insider holding the appender's key copies an accepted event over the last entry and
/// reseals its batch: every link and seal holds, but the event is in the record twice. Verify
/// finds it (without holding every event id: through `by_event_id`, whichever entry the
/// attacker makes its row name), and so does `igl rebuild`'s check of the record, which changes
/// nothing.
#[test]
fn an_event_copied_and_resealed_by_its_appender_fails_at_the_copy() {
    for row_names_the_copy in [false, true] {
        let c = base();
        let appender = igl_ledger::keys::load(&c.ig.path).unwrap();
        let copied;
        {
            let raw = Raw::open(&c.ledger);
            let mut chain = raw.chain();
            let len = chain.len();
            copied = chain[9].entry.event.clone();
            assert!(chain[9].payload.is_none() && chain[12].payload.is_none());
            chain[12].entry.event = copied.clone();
            raw.write_chain(&mut chain, 12, len);
            raw.edit(cf::SEALS, 12, |v| {
                let seal: Seal = codec::decode(v).unwrap();
                let mut body = seal.body;
                assert_eq!(body.first_seq, 11);
                body.head_hash = entry_hash(&chain[12].entry.encode());
                *v = codec::encode(&body.sign(&appender));
            });
            if row_names_the_copy {
                let h = raw.db.cf_handle(cf::BY_EVENT_ID).unwrap();
                raw.db
                    .put_cf(h, copied.body.event_id.0, seq_key(12))
                    .unwrap();
            }
        }
        let message = fails_at(&c, 12, "already appended at seq 9");
        assert!(message.contains("accepted once"), "{message}");
        assert!(!message.contains("rebuild"), "a record failure: {message}");
        let (_, err) = c.igl().arg("rebuild").fails(2);
        assert!(
            err.contains("seq 12") && err.contains("already appended at seq 9"),
            "{err}"
        );
        assert!(err.contains("nothing was changed"), "{err}");
    }
}

// (9)
#[test]
fn altered_personal_data_fails_at_that_entry() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.edit(cf::PAYLOADS, 8, |v| {
            let mut p: Payload = codec::decode(v).unwrap();
            assert_eq!(p.values, ["Case work in the North team"]);
            p.values[0] = "Curiosity about a neighbour".into();
            *v = codec::encode(&p);
        });
    }
    fails_at(&c, 8, "does not match its commitment");

    // Personal data moved onto another entry does not match either.
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let p = raw.get(cf::PAYLOADS, 8).unwrap();
        raw.put(cf::PAYLOADS, 10, &p);
    }
    fails_at(&c, 10, "does not match its commitment");
}

#[test]
fn personal_data_stored_for_an_entry_without_any_fails() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let p = raw.get(cf::PAYLOADS, 8).unwrap();
        raw.put(cf::PAYLOADS, 9, &p);
    }
    fails_at(&c, 9, "payload is stored for an entry that has none");
}

// (10)
#[test]
fn a_truncated_ledger_fails() {
    // The last entry deleted: its seal is now beyond the end.
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.delete(cf::ENTRIES, LAST);
    }
    fails_at(&c, LAST, "entries were removed from the end");

    // ... and its seal too: the last batch is not covered by any seal.
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.delete(cf::ENTRIES, LAST);
        raw.delete(cf::SEALS, LAST);
    }
    fails_at(&c, 11, "not covered by any seal");

    // The whole last batch and its seal: the head record still knows where the ledger ended.
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.delete(cf::ENTRIES, 11);
        raw.delete(cf::ENTRIES, LAST);
        raw.delete(cf::SEALS, LAST);
    }
    fails_at(&c, 11, "the head record says the ledger ends at seq 12");
}

// (11)
#[test]
fn deleted_personal_data_without_a_redaction_fails_at_that_entry() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.delete(cf::PAYLOADS, 5);
    }
    fails_at(&c, 5, "missing and no Redacted entry accounts for it");
    // `igl show` says so too.
    let out = c.igl().args(["show", "5"]).ok();
    assert!(out.contains("MISSING with no redaction on record"), "{out}");
}

#[test]
fn a_changed_seal_fails_at_its_seq() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.edit(cf::SEALS, 7, |v| {
            let n = v.len();
            v[n - 1] ^= 0x01;
        });
    }
    fails_at(&c, 7, "seal signature for entries 5..=7 does not verify");

    // A seal re-signed by a key the ledger does not know.
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.edit(cf::SEALS, 7, |v| {
            let seal: Seal = codec::decode(v).unwrap();
            let mut body = seal.body;
            let forger = SigningKey::from_bytes(&[0x42; 32]);
            body.appender = igl_schema::public_key(&forger);
            *v = codec::encode(&body.sign(&forger));
        });
    }
    fails_at(&c, 7, "which is not enrolled");
}

#[test]
fn a_deleted_seal_fails() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        raw.delete(cf::SEALS, 7);
    }
    // Entries 5..=7 are left without a seal; the next seal shows the gap.
    fails_at(
        &c,
        10,
        "seal covers 8..=10 but the previous seal ended at 4",
    );
}

/// `igl append` trusts the key index; `igl verify` replays the entries and trusts nothing else.
#[test]
fn a_forged_key_index_is_caught_by_verify() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let h = raw.db.cf_handle(cf::KEYS).unwrap();
        let pk = igl_schema::PublicKey::from_hex(&c.staff.public).unwrap();
        let mut rec: igl_ledger::KeyRecord =
            codec::decode(&raw.db.get_cf(h, pk.0).unwrap().unwrap()).unwrap();
        assert_eq!(rec.role, igl_schema::Role::Staff);
        rec.role = igl_schema::Role::IgOfficer;
        raw.db.put_cf(h, pk.0, codec::encode(&rec)).unwrap();
    }
    c.append(&c.staff, &[training("P100", 22)]);
    fails_at(&c, LAST + 1, "may not write TrainingCompleted");
}

/// Every single-byte change to a stored entry is caught: at that entry, or, for its
/// `recorded_at` (which no signature covers), by the next link. Every byte of the header (seq,
/// prev_hash, recorded_at) and every fifth byte of the signed event and signature, in process for
/// speed (the library's verify is what `igl verify` runs).
#[test]
fn every_changed_byte_of_an_entry_is_caught() {
    let c = base();
    let seq = 6;
    let raw = Raw::open(&c.ledger);
    // Fewer files make the many read-only opens below cheaper.
    for name in cf::ALL {
        let h = raw.db.cf_handle(name).unwrap();
        raw.db.flush_cf(h).unwrap();
        raw.db.compact_range_cf(h, None::<&[u8]>, None::<&[u8]>);
    }
    let original = raw.entry_bytes(seq);
    let positions = (0..48).chain((48..original.len()).step_by(5));
    for i in positions.chain([original.len() - 1]) {
        let mut v = original.clone();
        v[i] ^= 0x04;
        raw.put(cf::ENTRIES, seq, &v);
        // A read-only handle takes no lock, so it can open beside `raw`.
        let ledger = igl_ledger::Ledger::open_read_only(&c.ledger).unwrap();
        let report = ledger.verify(&mut |_| {}).unwrap();
        let f = report
            .failure
            .unwrap_or_else(|| panic!("byte {i} of entry {seq} changed, yet the ledger verifies"));
        if (40..48).contains(&i) && f.seq == seq + 1 {
            assert!(f.message.contains(&format!("entry {seq}")), "{}", f.message);
        } else {
            assert_eq!(f.seq, seq, "byte {i} of entry {seq}: {}", f.message);
        }
    }
    raw.put(cf::ENTRIES, seq, &original);
    drop(raw);
    c.verify();
}

/// Rewinds the head record (derived state in `meta`) to entry `seq`, as a corruption or a
/// clumsy restore might.
fn rewind_head(c: &Council, seq: u64) {
    let raw = Raw::open(&c.ledger);
    let h = raw.db.cf_handle(cf::META).unwrap();
    let mut head: igl_ledger::Head =
        codec::decode(&raw.db.get_cf(h, b"head").unwrap().unwrap()).unwrap();
    assert_eq!(head.seq, LAST);
    head.seq = seq;
    head.hash = entry_hash(&raw.entry_bytes(seq));
    raw.db.put_cf(h, b"head", codec::encode(&head)).unwrap();
}

#[test]
fn a_head_record_behind_the_last_entry_fails() {
    let c = base();
    rewind_head(&c, 10);
    fails_at(&c, 11, "head record");
}

#[test]
fn append_never_overwrites_an_entry() {
    let c = base();
    let before = {
        let raw = Raw::open(&c.ledger);
        raw.entry_bytes(11)
    };
    rewind_head(&c, 10);
    c.dir.write("more.jsonl", jsonl(&[training("P100", 3)]));
    let (_, err) = c
        .igl()
        .args(["append", "--key"])
        .arg(&c.ig.path)
        .arg("more.jsonl")
        .fails(2);
    assert!(err.contains("11"), "{err}");
    let raw = Raw::open(&c.ledger);
    assert_eq!(
        raw.entry_bytes(11),
        before,
        "sealed entry 11 was overwritten"
    );
}

#[test]
fn personal_data_stored_beyond_the_last_entry_fails() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let p = raw.get(cf::PAYLOADS, 8).unwrap();
        raw.put(cf::PAYLOADS, LAST + 5, &p);
    }
    fails_at(&c, LAST + 5, "payload is stored for an entry that has none");
}

/// The `history` rows of entry `seq`: (key, value).
fn history_rows(raw: &Raw, seq: u64) -> Vec<igl_ledger::store::KvPair> {
    let h = raw.db.cf_handle(cf::HISTORY).unwrap();
    raw.db
        .iterator_cf(h, IteratorMode::Start)
        .map(|r| r.unwrap())
        .filter(|(k, _)| k.ends_with(&seq_key(seq)))
        .collect()
}

/// The projection is derived data: a changed, missing or extra row is caught by verify, named
/// by seq and row, with the advice to rebuild; `igl rebuild` puts it right.
#[test]
fn a_tampered_history_projection_row_is_caught_and_rebuild_repairs_it() {
    let c = base();
    // seq 8 is AccessGranted G-1 to P100: rows person:P100 and grant:G-1 (in key order).
    {
        let raw = Raw::open(&c.ledger);
        let rows = history_rows(&raw, 8);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let h = raw.db.cf_handle(cf::HISTORY).unwrap();
        // Claim the row is a TrainingCompleted (a different event tag).
        let (k, v) = &rows[1];
        let mut v = v.to_vec();
        *v.last_mut().unwrap() ^= 0x01;
        raw.db.put_cf(h, k, v).unwrap();
    }
    let m = fails_at(&c, 8, "history projection row grant:G-1 @ seq 8");
    assert!(m.contains("run `igl rebuild --ledger"), "{m}");
    c.igl().arg("rebuild").ok();
    c.verify();

    // A row removed, and a row added that no entry implies.
    {
        let raw = Raw::open(&c.ledger);
        let rows = history_rows(&raw, 9);
        let h = raw.db.cf_handle(cf::HISTORY).unwrap();
        raw.db.delete_cf(h, &rows[0].0).unwrap();
    }
    fails_at(&c, 9, "the history projection has no row");
    c.igl().arg("rebuild").ok();
    {
        let raw = Raw::open(&c.ledger);
        let h = raw.db.cf_handle(cf::HISTORY).unwrap();
        let key = igl_ledger::rows::history::history_key(
            igl_ledger::projection::Kind::Grant,
            "G-404",
            Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            3,
        );
        raw.db.put_cf(h, key, codec::encode(&3u32)).unwrap();
    }
    fails_at(&c, LAST, "holds 30 rows but the entries imply 29");
}

/// The subject index is checked the same way.
#[test]
fn a_tampered_subject_index_is_caught_by_verify() {
    let c = base();
    {
        let raw = Raw::open(&c.ledger);
        let h = raw.db.cf_handle(cf::BY_SUBJECT).unwrap();
        let key = igl_ledger::rows::index::subject_key(
            &igl_schema::Subject::parse("person:P100").unwrap(),
            8,
        );
        assert!(raw.db.get_cf(h, &key).unwrap().is_some());
        raw.db.delete_cf(h, key).unwrap();
    }
    let m = fails_at(&c, 8, "the subject index has no row for person:P100");
    assert!(m.contains("igl rebuild"), "{m}");
}
