//! igl-schema: the information-governance event catalogue and its canonical encoding.
//!
//! This crate does no IO. It defines what an igl ledger records ([`Event`]), the signed and hashed
//! structures ([`EventBody`], [`SignedEvent`], [`Entry`], [`Seal`]), their canonical bytes
//! ([`codec`]), personal data that can be erased without breaking a signature ([`Pii`]), and the
//! JSON Lines interchange form ([`json`]). The byte format is documented in `schema/FORMAT.md`.

pub mod codec;
pub mod entry;
pub mod event;
pub mod json;
pub mod note;
pub mod pii;
pub mod types;

pub use codec::{CodecError, decode, encode};
pub use entry::{
    Entry, EventBody, EventError, FORMAT_VERSION, Seal, SealBody, SignedEvent, Submission,
    VerifyingKeys, entry_hash, key_history_step, public_key, subject_chain_step, subject_map_key,
};
pub use event::*;
pub use pii::{Payload, Pii, commitment};
pub use types::*;

pub use ed25519_dalek::SigningKey;
