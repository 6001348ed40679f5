//! Personal data that can be erased without breaking a hash or a signature.
//!
//! A [`Pii`] field is encoded canonically as a 32-byte commitment only:
//! `blake3::keyed_hash(salt, PII_PREFIX || u32_le(index) || utf8(value))`, where `salt` is a random
//! 32-byte secret of the entry and `index` the field's position among the entry's personal-data
//! fields. The value and the salt live in a [`Payload`] stored apart from the entry. Deleting the
//! payload erases the data; the commitment left behind reveals nothing (the salt is gone), and a
//! forged payload cannot match it.

use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::PII_PREFIX;
use crate::types::{Hash32, Salt};

/// Longest personal-data text accepted (bytes).
pub const MAX_PII_LEN: usize = 4000;

/// A personal-data text field: a commitment, and the value when it is known (not redacted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pii {
    commitment: Hash32,
    value: Option<String>,
}

impl Pii {
    /// A value not yet committed (the commitment is computed when the event is signed).
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            commitment: Hash32::ZERO,
            value: Some(value.into()),
        }
    }
    /// The value, or `None` when it was not supplied (redacted or not loaded).
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
    /// The commitment as encoded in the signed body.
    pub fn commitment(&self) -> Hash32 {
        self.commitment
    }
    pub(crate) fn set_commitment(&mut self, c: Hash32) {
        self.commitment = c;
    }
    pub(crate) fn set_value(&mut self, v: String) {
        self.value = Some(v);
    }
}

/// The commitment of personal-data field number `index` of an entry.
pub fn commitment(salt: &Salt, index: u32, value: &str) -> Hash32 {
    let mut h = blake3::Hasher::new_keyed(&salt.0);
    h.update(PII_PREFIX);
    h.update(&index.to_le_bytes());
    h.update(value.as_bytes());
    Hash32(*h.finalize().as_bytes())
}

impl Encode for Pii {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.commitment.encode(e)
    }
}
impl<C> Decode<C> for Pii {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        Ok(Self {
            commitment: Hash32::decode(d)?,
            value: None,
        })
    }
}
bincode::impl_borrow_decode!(Pii);

impl Serialize for Pii {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.value {
            Some(v) => s.serialize_str(v),
            None => s.serialize_none(),
        }
    }
}
impl<'de> Deserialize<'de> for Pii {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // deserialize_any, so that serde reports a missing field as "missing field `name`".
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Pii;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Pii, E> {
                Ok(Pii::new(v))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Pii, E> {
                Err(E::custom(
                    "is null: personal data must be given (a redacted entry cannot be appended again)",
                ))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Pii, E> {
                self.visit_unit()
            }
        }
        d.deserialize_any(V)
    }
}

/// The personal data of one entry, stored apart from it: the salt and the values of its
/// [`Pii`] fields in field order.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Payload {
    pub salt: Salt,
    pub values: Vec<String>,
}
