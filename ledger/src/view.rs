//! Views of entries for front ends: the one JSON form of a stored entry ([`EntryLine`], `igl log
//! --json`) and of an entry in detail ([`EntryDetail`], `igl show --json`), both specified in
//! `schema/FORMAT.md` ("JSON outputs"), and the one-line summary of an event ([`summary`]) that
//! `igl log` and the terminal UI's timeline print.

use igl_schema::{Event, EventBody, Seal};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::chain::KeyRecord;
use crate::error::Result;
use crate::store::{Ledger, PayloadState, StoredEntry};

impl PayloadState {
    /// `present`, `redacted`, `none` or `missing`: the state's word in JSON outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadState::None => "none",
            PayloadState::Present => "present",
            PayloadState::Redacted { .. } => "redacted",
            PayloadState::Missing => "missing",
        }
    }
}

/// Who signed an entry, for display: the enrolled person of its key, or the key's short form
/// when no enrolment names it.
pub fn author_name(author: Option<&KeyRecord>, body: &EventBody) -> String {
    author.map_or_else(|| body.author.short(), |k| k.person.to_string())
}

/// An event's fields as (name, text), in catalogue order, the `type` left out: strings as they
/// are, other values as JSON, and `None` for an absent optional field (or erased personal data).
pub fn fields(ev: &Event) -> Vec<(String, Option<String>)> {
    let Ok(Value::Object(map)) = serde_json::to_value(ev) else {
        return Vec::new();
    };
    map.into_iter()
        .filter(|(k, _)| k != "type")
        .map(|(k, v)| {
            let text = match v {
                Value::Null => None,
                Value::String(s) => Some(s),
                other => Some(other.to_string()),
            };
            (k, text)
        })
        .collect()
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The one-line summary of an event: `name=value` for at most `max` of its present fields
/// ([`fields`]) whose value is not one of `hide` (what a front end already shows beside
/// it), keys and hashes shortened to their first 12 hex digits and `…`.
pub fn summary(ev: &Event, hide: &[String], max: usize) -> String {
    fields(ev)
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .filter(|(_, v)| !hide.contains(v))
        .take(max)
        .map(|(k, v)| {
            if is_hex64(&v) {
                format!("{k}={}…", &v[..12])
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stored entry as `igl log --json` writes it (one JSON line each).
#[derive(Clone, Debug, Serialize)]
pub struct EntryLine {
    pub seq: u64,
    pub recorded_at: String,
    #[serde(rename = "type")]
    pub type_name: &'static str,
    pub hash: String,
    pub prev_hash: String,
    /// The enrolled person of the author's key (`null` when no enrolment names it).
    pub author_person: Option<String>,
    pub author_role: Option<String>,
    /// [`PayloadState::as_str`].
    pub personal_data: &'static str,
    /// The seq of the `Redacted` entry that erased its personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted_by: Option<u64>,
    /// The event as a JSON Lines event object (`igl_schema::json::event_json`), personal data
    /// included where it is stored.
    pub event: Map<String, Value>,
}

impl EntryLine {
    pub fn new(e: &StoredEntry, author: Option<&KeyRecord>) -> EntryLine {
        EntryLine {
            seq: e.entry.seq,
            recorded_at: e.entry.recorded_at.to_string(),
            type_name: e.entry.event.body.event.type_name(),
            hash: e.hash.to_hex(),
            prev_hash: e.entry.prev_hash.to_hex(),
            author_person: author.map(|a| a.person.to_string()),
            author_role: author.map(|a| a.role.to_string()),
            personal_data: e.payload.as_str(),
            redacted_by: match e.payload {
                PayloadState::Redacted { by } => Some(by),
                _ => None,
            },
            event: igl_schema::json::event_json(&e.entry.event),
        }
    }
}

/// The seal covering an entry, as `igl show --json` writes it.
#[derive(Clone, Debug, Serialize)]
pub struct SealView {
    pub first_seq: u64,
    pub last_seq: u64,
    pub head_hash: String,
    pub sealed_at: String,
    /// The appender's public key (hex).
    pub appender: String,
    pub signature: String,
}

impl SealView {
    pub fn new(s: &Seal) -> SealView {
        SealView {
            first_seq: s.body.first_seq,
            last_seq: s.body.last_seq,
            head_hash: s.body.head_hash.to_hex(),
            sealed_at: s.body.sealed_at.to_string(),
            appender: s.body.appender.to_hex(),
            signature: s.signature.to_hex(),
        }
    }
}

/// One entry in detail (`igl show SEQ`): the entry, its author's enrolment, whether its author
/// signature verifies, the seal covering it and, when its personal data was erased, the
/// `Redacted` entry that erased it. Read by [`EntryDetail::read`]; serialised as `igl show
/// --json` writes it.
#[derive(Clone, Debug)]
pub struct EntryDetail {
    pub entry: StoredEntry,
    pub author: Option<KeyRecord>,
    /// The author signature verifies (`verify_strict`), whoever the author is.
    pub signature_valid: bool,
    pub seal: Option<Seal>,
    pub redaction: Option<StoredEntry>,
}

impl EntryDetail {
    /// The entry at `seq` in detail, or `None` when there is none.
    pub fn read(ledger: &Ledger, seq: u64) -> Result<Option<EntryDetail>> {
        let Some(entry) = ledger.entry(seq)? else {
            return Ok(None);
        };
        let author = ledger.key(&entry.entry.event.body.author)?;
        let signature_valid = entry.entry.event.verify_signature().is_ok();
        let seal = ledger.seal_covering(seq)?;
        let redaction = match entry.payload {
            PayloadState::Redacted { by } => ledger.entry(by)?,
            _ => None,
        };
        Ok(Some(EntryDetail {
            entry,
            author,
            signature_valid,
            seal,
            redaction,
        }))
    }
}

impl Serialize for EntryDetail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json {
            #[serde(flatten)]
            entry: EntryLine,
            signature_valid: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            seal: Option<SealView>,
            #[serde(skip_serializing_if = "Option::is_none")]
            redaction: Option<Map<String, Value>>,
        }
        Json {
            entry: EntryLine::new(&self.entry, self.author.as_ref()),
            signature_valid: self.signature_valid,
            seal: self.seal.as_ref().map(SealView::new),
            redaction: self
                .redaction
                .as_ref()
                .map(|r| igl_schema::json::event_json(&r.entry.event)),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_hides_what_is_shown_beside_it_and_shortens_hashes() {
        let ev = Event::KeyRevoked(igl_schema::KeyRevoked {
            key: igl_schema::PublicKey([0xab; 32]),
            person: igl_schema::PersonId::new("P7").unwrap(),
            reason: igl_schema::Pii::new("Leaver"),
        });
        assert_eq!(
            summary(&ev, &[], usize::MAX),
            format!("key={}… person=P7 reason=Leaver", "ab".repeat(6))
        );
        assert_eq!(
            summary(&ev, &["P7".into()], usize::MAX),
            format!("key={}… reason=Leaver", "ab".repeat(6))
        );
        assert_eq!(summary(&ev, &[], 1), format!("key={}…", "ab".repeat(6)));
    }
}
