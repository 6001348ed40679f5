//! Canonical encoding: bincode 2 with a frozen configuration, plus the domain-separated hashes and
//! signature prefixes of every signed or hashed structure. See `schema/FORMAT.md`.

use bincode::config::{Configuration, Fixint, Limit, LittleEndian};
use bincode::{Decode, Encode};

/// Largest canonical structure igl will decode (1 MiB): bounds allocation on hostile input.
pub const MAX_ENCODED_LEN: usize = 1 << 20;

/// The one bincode configuration every signed or hashed structure uses: little-endian,
/// fixed-width integers (u64 lengths, u32 enum tags), decode limit [`MAX_ENCODED_LEN`].
pub type Canonical = Configuration<LittleEndian, Fixint, Limit<MAX_ENCODED_LEN>>;

/// The frozen canonical configuration.
pub const CANONICAL: Canonical = bincode::config::standard()
    .with_little_endian()
    .with_fixed_int_encoding()
    .with_limit::<MAX_ENCODED_LEN>();

/// blake3 `derive_key` context of an entry hash.
pub const CONTEXT_ENTRY_HASH: &str = "igledger 2026-11-23 entry hash v1";
/// Prefix of the message an author signs: followed by the canonical `EventBody`.
pub const SIG_PREFIX_EVENT: &[u8] = b"igledger/v1/event-signature\n";
/// Prefix of the message an appender signs: followed by the canonical `SealBody`.
pub const SIG_PREFIX_SEAL: &[u8] = b"igledger/v1/seal-signature\n";
/// Prefix of every personal-data field commitment (keyed blake3, key = the entry's salt).
pub const PII_PREFIX: &[u8] = b"igledger/v1/pii\n";
/// blake3 `derive_key` context of one step of the key-history commitment.
pub const CONTEXT_KEY_HISTORY: &str = "igledger 2026-12-01 key history v1";
/// blake3 `derive_key` context of a subject's map key in the subject index.
pub const CONTEXT_SUBJECT_KEY: &str = "igledger 2026-12-02 subject map key v1";
/// blake3 `derive_key` context of one step of a subject's list in the subject index.
pub const CONTEXT_SUBJECT_CHAIN: &str = "igledger 2026-12-02 subject chain v1";

/// Errors from canonical decoding.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("malformed canonical bytes: {0}")]
    Decode(#[from] bincode::error::DecodeError),
    #[error("{0} trailing bytes after the structure")]
    Trailing(usize),
    #[error("bytes are not in canonical form (re-encoding differs)")]
    NotCanonical,
}

/// Encodes a value canonically.
pub fn encode<T: Encode>(value: &T) -> Vec<u8> {
    // Encoding into a Vec cannot fail for our types: no limit is applied on encode and every
    // structure is plain data.
    bincode::encode_to_vec(value, CANONICAL).expect("canonical encoding into a Vec cannot fail")
}

/// Decodes a value, rejecting trailing bytes and any byte string that is not the canonical
/// encoding of the value it decodes to (so one value has exactly one encoding).
pub fn decode<T: Decode<()> + Encode>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, read): (T, usize) = bincode::decode_from_slice(bytes, CANONICAL)?;
    if read != bytes.len() {
        return Err(CodecError::Trailing(bytes.len() - read));
    }
    if encode(&value) != bytes {
        return Err(CodecError::NotCanonical);
    }
    Ok(value)
}
