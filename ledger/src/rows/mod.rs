//! The storage layout and the rows an entry implies: pure functions, no IO.
//!
//! Everything stored besides the record (entries, payloads, seals) is derived from the entries,
//! and what one entry implies is computed here, once: the append writes it
//! (`store::append`, `Pending::derive`, which `igl rebuild` runs too), verify recomputes it from
//! the entries and compares (`verify`), and the queries ([`crate::index`],
//! [`crate::projection`]) read it. The subject index's list heads are folded by
//! `subject_map::accumulate`, pure as well. Nothing here reads the database, so
//! derivation, queries and checks depend on this module and never on each other.

pub mod history;
pub mod index;

/// Column families. `entries`, `payloads` and `seals` are the record; the rest are indexes and
/// state derived from it, written in the same atomic batch.
pub mod cf {
    /// seq (u64 BE) → canonical `Entry`.
    pub const ENTRIES: &str = "entries";
    /// seq → canonical `Payload` (personal data; deleted on redaction).
    pub const PAYLOADS: &str = "payloads";
    /// last seq of a batch → canonical `Seal`.
    pub const SEALS: &str = "seals";
    /// entry hash → seq.
    pub const BY_HASH: &str = "by_hash";
    /// event id → seq.
    pub const BY_EVENT_ID: &str = "by_event_id";
    /// public key → `KeyRecord`.
    pub const KEYS: &str = "keys";
    /// DeclarationSigned entry hash → declarant person id.
    pub const DECLARATIONS: &str = "declarations";
    /// redacted seq → seq of the Redacted entry.
    pub const REDACTIONS: &str = "redactions";
    /// `head` → `Head`; `ledger_id` → `LedgerId`.
    pub const META: &str = "meta";
    /// (level u8, index u64 BE) → hash of that complete Merkle subtree (see `merkle`).
    pub const MERKLE: &str = "merkle";
    /// subject string (`person:ID`, `service-user:ID`) ‖ 0x00 ‖ seq (u64 BE) → flags byte
    /// (1 = named subject, 2 = authored by); see `index`.
    pub const BY_SUBJECT: &str = "by_subject";
    /// event tag (u32 BE, position in `Event::TYPES`) ‖ seq (u64 BE) → empty; see `index`.
    pub const BY_TYPE: &str = "by_type";
    /// The governance projection, per entity: kind ‖ id ‖ 0x00 ‖ occurred_at ‖ seq → event tag;
    /// see `projection`.
    pub const HISTORY: &str = "history";
    /// The subject index: map key (32) ‖ seq (u64 BE) → that subject's list head after the
    /// entry (32 bytes); see `subject_map`.
    pub const SUBJECT_CHAIN: &str = "subject_chain";
    /// The record: entries, their personal data and the seals. `igl rebuild` never touches them.
    pub const PRIMARY: &[&str] = &[ENTRIES, PAYLOADS, SEALS];
    /// Derived from the entries alone (a pure function of them); `igl rebuild` drops and
    /// rewrites every one of these.
    pub const DERIVED: &[&str] = &[
        BY_HASH,
        BY_EVENT_ID,
        KEYS,
        DECLARATIONS,
        REDACTIONS,
        META,
        MERKLE,
        BY_SUBJECT,
        BY_TYPE,
        HISTORY,
        SUBJECT_CHAIN,
    ];
    /// All of them, in creation order.
    pub const ALL: &[&str] = &[
        ENTRIES,
        PAYLOADS,
        SEALS,
        BY_HASH,
        BY_EVENT_ID,
        KEYS,
        DECLARATIONS,
        REDACTIONS,
        META,
        MERKLE,
        BY_SUBJECT,
        BY_TYPE,
        HISTORY,
        SUBJECT_CHAIN,
    ];
}

/// The RocksDB key of a seq: 8 bytes big-endian, so keys sort in seq order.
pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// The RocksDB key of a Merkle node: level, then index big-endian.
pub fn node_key(level: u8, index: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = level;
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
}

/// Reads a seq back from a RocksDB key.
pub fn key_seq(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}
