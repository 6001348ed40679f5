//! The subject index: for every subject, the list of entries about it, committed with each
//! checkpoint so that an answer about one subject can be proved **complete**.
//!
//! A *subject* here is a person (`person:ID`), a service user (`service-user:ID`) or a key
//! (`key:<hex>`). The entries *about* a subject ([`entry_names`]) are those that name it in
//! `subjects`, those signed by a key enrolled to the person, and, for a key, the key events that
//! enrol or revoke it. For each subject:
//!
//! - its **list head** folds its entries in seq order: `H = 0³²`, then for each entry
//!   `H = subject_chain_step(H, seq, entry_hash)` ([`igl_schema::subject_chain_step`]);
//! - its **map key** is `subject_map_key(ledger_id, name)` ([`igl_schema::subject_map_key`]),
//!   so the map says nothing about which names it holds to anyone who cannot guess them.
//!
//! The **map** of a ledger of `n` entries is the RFC 6962 tree ([`crate::merkle`]) over one leaf
//! per subject with at least one entry before `n`, in increasing map-key order, the leaf data
//! being `key ‖ head` (64 bytes). Each `CheckpointRecorded` entry commits to the map of the
//! entries before it (`subject_map_size`, `subject_map_root`), append and verify refuse one that
//! does not, and a [`SubjectProof`] shows, against that commitment, either the whole list of a
//! subject (inclusion of its leaf, whose head the listed entries must fold to) or that no entry
//! names it (the two neighbouring leaves its key falls between).
//!
//! Stored in column family `subject_chain`: `key (32) ‖ seq (u64 BE)` → the head after that entry
//! (32 bytes), one row per (subject, entry about it). The heads at any tree size are read from it
//! ([`crate::Ledger::subject_map_leaves`], in [`crate::index`]). Nothing here reads the database.

use std::collections::BTreeMap;

use igl_schema::{Entry, Hash32, LedgerId, PersonId, PublicKey, Subject};
use serde::{Deserialize, Serialize};

use crate::merkle::{self, Frontier, Nodes};

/// Whom an index list is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Named {
    /// A person or a service user.
    Subject(Subject),
    /// A key: its enrolment and revocation.
    Key(PublicKey),
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Named::Subject(s) => write!(f, "{s}"),
            Named::Key(k) => write!(f, "key:{}", k.to_hex()),
        }
    }
}

impl Named {
    /// Parses `person:ID`, `service-user:ID` or `key:<64 lowercase hex digits>`.
    pub fn parse(s: &str) -> std::result::Result<Named, String> {
        if let Some(hex_text) = s.strip_prefix("key:") {
            let ok = hex_text.len() == 64
                && hex_text
                    .bytes()
                    .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
            let bytes = hex::decode(hex_text).ok().filter(|_| ok);
            return bytes
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(|b| Named::Key(PublicKey(b)))
                .ok_or_else(|| format!("{s:?}: a key is `key:` and 64 lowercase hex digits"));
        }
        Subject::parse(s)
            .map(Named::Subject)
            .map_err(|e| e.to_string())
    }

    /// Its map key in the ledger `ledger_id`.
    pub fn map_key(&self, ledger_id: &LedgerId) -> Hash32 {
        igl_schema::subject_map_key(ledger_id, &self.to_string())
    }

    /// Whether `entry`, signed by a key enrolled to `author_person`, is about this subject.
    pub fn is_named_by(&self, entry: &Entry, author_person: Option<&PersonId>) -> bool {
        match self {
            Named::Subject(s) => {
                entry.event.body.subjects.contains(s)
                    || matches!((s, author_person), (Subject::Person(p), Some(a)) if p == a)
            }
            Named::Key(k) => entry.event.body.event.key_event_key() == Some(*k),
        }
    }
}

/// Everyone an entry is about, in order and without repeats: the subjects it names, the person
/// of the key that signed it (`author_person`), and the key a key event enrols or revokes.
pub fn entry_names(entry: &Entry, author_person: Option<&PersonId>) -> Vec<Named> {
    let mut out: Vec<Named> = entry
        .event
        .body
        .subjects
        .iter()
        .cloned()
        .map(Named::Subject)
        .collect();
    if let Some(p) = author_person {
        out.push(Named::Subject(Subject::Person(p.clone())));
    }
    if let Some(k) = entry.event.body.event.key_event_key() {
        out.push(Named::Key(k));
    }
    out.sort();
    out.dedup();
    out
}

/// The Merkle leaf hash of a subject's map leaf: `SHA-256(00 ‖ key ‖ head)`.
pub fn leaf_hash(key: &Hash32, head: &Hash32) -> Hash32 {
    let mut data = [0u8; 64];
    data[..32].copy_from_slice(&key.0);
    data[32..].copy_from_slice(&head.0);
    merkle::leaf_hash_of(&data)
}

/// The map of `(key, head)` leaves in strictly increasing key order: `(size, root)`. The root of
/// an empty map is RFC 6962's `SHA-256("")`.
pub fn map_root<'a>(leaves: impl IntoIterator<Item = (&'a Hash32, &'a Hash32)>) -> (u64, Hash32) {
    let mut f = Frontier::default();
    for (k, h) in leaves {
        f.push(leaf_hash(k, h));
    }
    (f.size(), f.root().unwrap_or(merkle::EMPTY_ROOT))
}

/// A complete tree in memory, to prove leaves of a map: `levels[l][i]` is the complete subtree at
/// level `l`, index `i`.
struct MemTree {
    levels: Vec<Vec<Hash32>>,
}

impl MemTree {
    fn new(leaves: Vec<Hash32>) -> Self {
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() >= 2) {
            let below = levels.last().expect("not empty");
            let up = below
                .chunks_exact(2)
                .map(|p| merkle::node_hash(&p[0], &p[1]))
                .collect();
            levels.push(up);
        }
        Self { levels }
    }
    fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }
    fn prove(&self, leaf: u64) -> Vec<Hash32> {
        match merkle::inclusion_proof(self, leaf, self.size()) {
            Ok(Ok(p)) => p,
            _ => unreachable!("the leaf is in the tree"),
        }
    }
}

impl Nodes for MemTree {
    type Error = std::convert::Infallible;
    fn node(&self, level: u8, index: u64) -> std::result::Result<Hash32, Self::Error> {
        Ok(self.levels[level as usize][index as usize])
    }
}

/// A leaf next to where an absent subject's key would be, with its inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Neighbour {
    pub key: Hash32,
    pub head: Hash32,
    pub proof: Vec<Hash32>,
}

/// The proof, against a checkpoint's subject-map commitment, that `seqs` are **all** the entries
/// about `subject` before the checkpoint (or, when `seqs` is empty, that none is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectProof {
    /// `person:ID`, `service-user:ID` or `key:<hex>`.
    pub subject: String,
    /// Every entry about the subject before the checkpoint, in increasing seq order.
    pub seqs: Vec<u64>,
    /// The subject's leaf index in the map (when `seqs` is not empty), or the index its key
    /// would take (when it is).
    pub position: u64,
    /// The inclusion proof of the subject's leaf (empty for an absent subject, and for the only
    /// leaf of a one-leaf map).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proof: Vec<Hash32>,
    /// An absent subject: the leaf just before its key (none when `position` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Neighbour>,
    /// An absent subject: the leaf just after its key (none when `position` is the map size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<Neighbour>,
}

/// The subject map of one tree size, ready to prove subjects against.
pub struct MapAt {
    leaves: Vec<(Hash32, Hash32)>,
    tree: MemTree,
}

impl MapAt {
    /// From its leaves, in strictly increasing key order.
    pub fn new(leaves: Vec<(Hash32, Hash32)>) -> Self {
        let tree = MemTree::new(leaves.iter().map(|(k, h)| leaf_hash(k, h)).collect());
        Self { leaves, tree }
    }

    /// `(size, root)`.
    pub fn commitment(&self) -> (u64, Hash32) {
        map_root(self.leaves.iter().map(|(k, h)| (k, h)))
    }

    /// The proof for `subject` (map key `key`) whose entries before the tree size are `seqs`.
    pub fn prove(&self, subject: &Named, key: &Hash32, seqs: Vec<u64>) -> SubjectProof {
        let neighbour = |i: usize| Neighbour {
            key: self.leaves[i].0,
            head: self.leaves[i].1,
            proof: self.tree.prove(i as u64),
        };
        match self.leaves.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(i) => SubjectProof {
                subject: subject.to_string(),
                seqs,
                position: i as u64,
                proof: self.tree.prove(i as u64),
                left: None,
                right: None,
            },
            Err(i) => SubjectProof {
                subject: subject.to_string(),
                seqs,
                position: i as u64,
                proof: Vec::new(),
                left: (i > 0).then(|| neighbour(i - 1)),
                right: (i < self.leaves.len()).then(|| neighbour(i)),
            },
        }
    }
}

/// What a verified [`SubjectProof`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complete {
    pub subject: Named,
    /// Every entry about the subject before the checkpoint (empty: none is).
    pub seqs: Vec<u64>,
}

/// Checks `p` against the map commitment `(map_size, map_root)` of the checkpoint of `size`
/// entries of ledger `ledger_id`. `entry_hash` gives the hash of an entry the bundle carries
/// (in full, by hash, or as a key event); every entry of the list must be carried. Says what
/// is wrong in words.
pub fn check(
    p: &SubjectProof,
    ledger_id: &LedgerId,
    size: u64,
    (map_size, map_root): (u64, Hash32),
    entry_hash: impl Fn(u64) -> Option<Hash32>,
) -> std::result::Result<Complete, String> {
    let subject = Named::parse(&p.subject)?;
    let key = subject.map_key(ledger_id);
    let what = |m: String| format!("subject index of {subject}: {m}");
    if p.seqs.windows(2).any(|w| w[0] >= w[1]) || p.seqs.last().is_some_and(|s| *s >= size) {
        return Err(what(format!(
            "the list is not in increasing seq order before the checkpoint of {size} entries"
        )));
    }
    if p.seqs.is_empty() {
        // Absent: the neighbours either side of where its key would be.
        if !p.proof.is_empty() || p.position > map_size {
            return Err(what("not a proof of absence".into()));
        }
        if map_size == 0 {
            if map_root != merkle::EMPTY_ROOT || p.left.is_some() || p.right.is_some() {
                return Err(what("not a proof of absence from an empty map".into()));
            }
            return Ok(Complete {
                subject,
                seqs: Vec::new(),
            });
        }
        let side = |n: &Option<Neighbour>, at: Option<u64>, before: bool| match (n, at) {
            (None, None) => Ok(()),
            (Some(n), Some(i)) => {
                let ordered = if before { n.key < key } else { n.key > key };
                if !ordered {
                    return Err(what(format!(
                        "the {} neighbour's key is not on that side of its key",
                        if before { "left" } else { "right" }
                    )));
                }
                if !merkle::verify_inclusion(
                    i,
                    map_size,
                    &leaf_hash(&n.key, &n.head),
                    &n.proof,
                    &map_root,
                ) {
                    return Err(what(format!(
                        "the neighbouring leaf {i} is not in the committed map"
                    )));
                }
                Ok(())
            }
            _ => Err(what(
                "a proof of absence carries exactly the leaves either side of its key".into(),
            )),
        };
        side(&p.left, p.position.checked_sub(1), true)?;
        side(
            &p.right,
            (p.position < map_size).then_some(p.position),
            false,
        )?;
        return Ok(Complete {
            subject,
            seqs: Vec::new(),
        });
    }
    if p.left.is_some() || p.right.is_some() {
        return Err(what(
            "a listed subject's proof carries no neighbours".into(),
        ));
    }
    let mut head = Hash32::ZERO;
    for &seq in &p.seqs {
        let h = entry_hash(seq).ok_or_else(|| {
            what(format!(
                "seq {seq} is in the subject's list but not in the bundle: an entry was left out"
            ))
        })?;
        head = igl_schema::subject_chain_step(&head, seq, &h);
    }
    if !merkle::verify_inclusion(
        p.position,
        map_size,
        &leaf_hash(&key, &head),
        &p.proof,
        &map_root,
    ) {
        return Err(what(format!(
            "the {} listed entries are not the list the checkpoint commits to (an entry about it was left out, or one was added)",
            p.seqs.len()
        )));
    }
    Ok(Complete {
        subject,
        seqs: p.seqs.clone(),
    })
}

/// The `subject_chain` key of (map key, seq).
pub fn row_key(key: &Hash32, seq: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(&key.0);
    k[32..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// A `subject_chain` row read back as (map key, seq, head), or `None` if it is not a 40-byte
/// key and a 32-byte head.
pub fn parse_row(k: &[u8], v: &[u8]) -> Option<(Hash32, u64, Hash32)> {
    match (k.len(), <[u8; 32]>::try_from(v)) {
        (40, Ok(head)) => Some((
            Hash32(k[..32].try_into().expect("32 bytes")),
            u64::from_be_bytes(k[32..].try_into().expect("8 bytes")),
            Hash32(head),
        )),
        _ => None,
    }
}

/// The list heads a chain state holds, on top of what is stored: for each subject an entry is
/// about, the new head. `stored` finds a head the state does not hold (append: the stored index;
/// verify: none, it holds every one). Returns the rows to store, as (map key, head).
pub(crate) fn accumulate<E>(
    heads: &mut BTreeMap<Hash32, Hash32>,
    ledger_id: &LedgerId,
    entry: &Entry,
    hash: &Hash32,
    author_person: Option<&PersonId>,
    mut stored: impl FnMut(&Hash32) -> std::result::Result<Option<Hash32>, E>,
) -> std::result::Result<Vec<(Hash32, Hash32)>, E> {
    let mut rows = Vec::new();
    for named in entry_names(entry, author_person) {
        let key = named.map_key(ledger_id);
        let prev = match heads.get(&key) {
            Some(h) => *h,
            None => stored(&key)?.unwrap_or(Hash32::ZERO),
        };
        let head = igl_schema::subject_chain_step(&prev, entry.seq, hash);
        heads.insert(key, head);
        rows.push((key, head));
    }
    Ok(rows)
}
