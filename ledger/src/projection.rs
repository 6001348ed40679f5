//! The persisted governance projection: a **per-entity history** in the `history` column family.
//!
//! Every entry adds one row for each entity it concerns (a person, a key, a declaration, a
//! training course of a person, a grant, an organisation and its members, a device, a breach, a
//! subject-rights request, the record accesses of a member of staff and of a service user, a
//! policy, the people a manager manages, an access-review campaign). The row's key is the entity, then the entry's
//! `occurred_at`, then its seq:
//!
//! ```text
//! kind (u8) ‖ entity id (UTF-8, never contains 0x00) ‖ 0x00 ‖ occurred_at (i64 µs, sign bit
//! flipped, u64 BE) ‖ seq (u64 BE)   →   event tag (u32, canonical encoding)
//! ```
//!
//! so one prefix iteration reads an entity's history **in the order the projection folds facts**
//! (`occurred_at`, ties by seq), and the history as of instant T is that prefix up to T. A
//! back-dated entry simply lands in the middle of the histories it touches. Rows are only ever
//! inserted, and each is a pure function of its own entry ([`crate::rows::history::entities`]), so the column family
//! is the same whether built one append at a time or by `igl rebuild`.
//!
//! The state of an entity at T is the fold, by `compliance::State::apply` — the code
//! the full replay runs — of the entries its rows name (read by seq, with their personal data).
//! So the projection and the full replay cannot drift apart: they differ only in which entries
//! they fold. [`crate::compliance::scope`] chooses those entries for one person or organisation.

use igl_schema::{Timestamp, codec};

use crate::error::{LedgerError, Result};
use crate::rows::history::entity_prefix;
pub use crate::rows::history::{Kind, Row};
use crate::store::{Ledger, cf};

impl Ledger {
    fn history_damaged(&self, message: impl Into<String>) -> LedgerError {
        LedgerError::NeedsRebuild {
            path: self.path().to_path_buf(),
            reason: format!("its history projection is damaged: {}", message.into()),
        }
    }

    fn parse_row(&self, rest: &[u8], value: &[u8]) -> Result<Row> {
        if rest.len() != 16 {
            return Err(self.history_damaged("a key does not end in a time and a seq"));
        }
        let t = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes")) ^ (1 << 63);
        let occurred_at = Timestamp::from_micros(t as i64)
            .ok_or_else(|| self.history_damaged("a key's time is out of range"))?;
        let seq = u64::from_be_bytes(rest[8..].try_into().expect("8 bytes"));
        let tag: u32 = codec::decode(value)
            .map_err(|e| self.history_damaged(format!("row of seq {seq}: {e}")))?;
        Ok(Row {
            occurred_at,
            seq,
            tag,
        })
    }

    /// An entity's history up to `as_of` (`occurred_at <= as_of`; `None`: all of it), in fold
    /// order: one prefix iteration of the `history` column family.
    pub fn history(&self, kind: Kind, id: &str, as_of: Option<Timestamp>) -> Result<Vec<Row>> {
        let prefix = entity_prefix(kind, id);
        let mut out = Vec::new();
        for r in self.iter_from(cf::HISTORY, &prefix) {
            let (k, v) = r?;
            let Some(rest) = k.strip_prefix(prefix.as_slice()) else {
                break;
            };
            let row = self.parse_row(rest, &v)?;
            if as_of.is_some_and(|t| row.occurred_at > t) {
                break;
            }
            out.push(row);
        }
        Ok(out)
    }

    /// Every row of every entity of one kind up to `as_of`, as (entity id, row), entity by
    /// entity. For the small kinds (policies, breaches, requests).
    pub fn history_of_kind(
        &self,
        kind: Kind,
        as_of: Option<Timestamp>,
    ) -> Result<Vec<(String, Row)>> {
        let mut out = Vec::new();
        for r in self.iter_from(cf::HISTORY, &[kind as u8]) {
            let (k, v) = r?;
            if k.first() != Some(&(kind as u8)) {
                break;
            }
            // The kind byte may itself be 0: the separator is the first 0x00 after it.
            let Some(nul) = k.iter().skip(1).position(|b| *b == 0).map(|p| p + 1) else {
                return Err(self.history_damaged("a key has no entity separator"));
            };
            let id = std::str::from_utf8(&k[1..nul])
                .map_err(|_| self.history_damaged("an entity id is not UTF-8"))?;
            let row = self.parse_row(&k[nul + 1..], &v)?;
            if as_of.is_none_or(|t| row.occurred_at <= t) {
                out.push((id.to_string(), row));
            }
        }
        Ok(out)
    }
}
