//! The JSON Lines form of events: what `igl append` reads and `igl sign` writes.
//!
//! An event line is an object with `"type"`, the event's fields, and an envelope:
//! `occurred_at` (required), `event_id` (optional; random if absent), `subjects` (optional extra
//! subjects). A line signed elsewhere also carries `author`, `signature`, the complete `subjects`,
//! `event_id`, and `salt` when the event has personal-data fields. JSON is only the interchange
//! form: signatures cover the canonical bincode bytes, never JSON text.

use ed25519_dalek::SigningKey;
use serde_json::{Map, Value};

use crate::entry::{EventBody, EventError, FORMAT_VERSION, SignedEvent, Submission};
use crate::event::Event;
use crate::types::*;

/// A line that could not be read as an event. Displays as `Type: message` when the type is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", event_type.as_ref().map(|t| format!("{t}: ")).unwrap_or_default())]
pub struct JsonError {
    pub event_type: Option<String>,
    pub message: String,
}

fn err(event_type: Option<&str>, message: impl Into<String>) -> JsonError {
    JsonError {
        event_type: event_type.map(str::to_string),
        message: message.into(),
    }
}

/// An event read from JSON, not yet signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub event: Event,
    pub occurred_at: Timestamp,
    pub event_id: Option<EventId>,
    pub extra_subjects: Vec<Subject>,
}

impl Draft {
    /// Signs the draft with `key` as author, for ledger `ledger_id`. `event_id` is used when
    /// the line gave none.
    pub fn sign(
        self,
        ledger_id: LedgerId,
        key: &SigningKey,
        event_id: EventId,
        salt: Salt,
    ) -> Result<Submission, EventError> {
        Submission::sign(
            ledger_id,
            self.event,
            self.occurred_at,
            self.event_id.unwrap_or(event_id),
            self.extra_subjects,
            key,
            salt,
        )
    }
}

/// One parsed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// To be signed by the appending key.
    Draft(Draft),
    /// Signed elsewhere; keeps its author.
    Signed(Submission),
}

fn take<T: serde::de::DeserializeOwned>(
    map: &mut Map<String, Value>,
    key: &str,
    ty: &str,
) -> Result<Option<T>, JsonError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(|e| err(Some(ty), format!("{key}: {e}"))),
    }
}

/// Parses one JSON line into a draft or a pre-signed submission, validating every field.
pub fn parse_line(line: &str) -> Result<Line, JsonError> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| err(None, format!("not valid JSON ({e})")))?;
    let Value::Object(mut map) = value else {
        return Err(err(None, "each line must be a JSON object"));
    };
    let ty = match map.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(err(None, "`type` must be a string, e.g. \"AccessGranted\"")),
        None => {
            return Err(err(
                None,
                "missing field `type` (the event type, e.g. \"AccessGranted\")",
            ));
        }
    };
    if Event::field_names(&ty).is_none() {
        return Err(err(
            None,
            format!(
                "unknown event type {ty:?}; known types: {}",
                Event::TYPES.join(", ")
            ),
        ));
    }
    let t = Some(ty.as_str());
    let occurred_at: Timestamp = take(&mut map, "occurred_at", &ty)?.ok_or_else(|| {
        err(
            t,
            "missing field `occurred_at` (when it happened, RFC 3339 UTC, e.g. 2026-03-01T09:00:00Z)",
        )
    })?;
    let event_id: Option<EventId> = take(&mut map, "event_id", &ty)?;
    let ledger_id: Option<LedgerId> = take(&mut map, "ledger_id", &ty)?;
    let subjects: Option<Vec<Subject>> = take(&mut map, "subjects", &ty)?;
    let author: Option<PublicKey> = take(&mut map, "author", &ty)?;
    let signature: Option<Signature64> = take(&mut map, "signature", &ty)?;
    let salt: Option<Salt> = take(&mut map, "salt", &ty)?;
    let format: Option<u16> = take(&mut map, "format", &ty)?;

    let event: Event = serde_json::from_value(Value::Object(map)).map_err(|e| {
        let msg = e.to_string();
        let msg = msg
            .strip_prefix("missing field")
            .map_or(msg.clone(), |rest| format!("missing field{rest}"));
        err(t, msg)
    })?;
    event.validate().map_err(|e| err(t, e.to_string()))?;

    let Some(signature) = signature else {
        if author.is_some() || salt.is_some() || format.is_some() || ledger_id.is_some() {
            return Err(err(
                t,
                "`author`, `salt`, `format` or `ledger_id` given without `signature`; remove them, or sign the line with `igl sign`",
            ));
        }
        return Ok(Line::Draft(Draft {
            event,
            occurred_at,
            event_id,
            extra_subjects: subjects.unwrap_or_default(),
        }));
    };
    let missing = |f: &str| err(t, format!("a signed line must carry `{f}`"));
    let body = EventBody {
        format: format.unwrap_or(FORMAT_VERSION),
        ledger_id: ledger_id.ok_or_else(|| missing("ledger_id"))?,
        event_id: event_id.ok_or_else(|| missing("event_id"))?,
        occurred_at,
        author: author.ok_or_else(|| missing("author"))?,
        subjects: subjects.ok_or_else(|| missing("subjects"))?,
        event,
    };
    Submission::presigned(body, signature, salt)
        .map(Line::Signed)
        .map_err(|e| err(t, e.to_string()))
}

/// The JSON object of a signed event: `type`, fields, then the envelope. Redacted personal-data
/// fields are `null`. The salt is left out.
pub fn event_json(ev: &SignedEvent) -> Map<String, Value> {
    let mut map = match serde_json::to_value(&ev.body.event) {
        Ok(Value::Object(m)) => m,
        _ => unreachable!("an event serialises to a JSON object"),
    };
    let b = &ev.body;
    map.insert(
        "occurred_at".into(),
        Value::String(b.occurred_at.to_string()),
    );
    map.insert("event_id".into(), Value::String(b.event_id.to_hex()));
    map.insert("ledger_id".into(), Value::String(b.ledger_id.to_hex()));
    map.insert("author".into(), Value::String(b.author.to_hex()));
    map.insert(
        "subjects".into(),
        Value::Array(
            b.subjects
                .iter()
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
    );
    if b.format != FORMAT_VERSION {
        map.insert("format".into(), Value::from(b.format));
    }
    map.insert("signature".into(), Value::String(ev.signature.to_hex()));
    map
}

/// The JSON line of a submission, as `igl sign` writes it: [`event_json`] plus the salt, so that
/// the appender can store the personal data and check it against the signed commitments.
pub fn submission_json(s: &Submission) -> Map<String, Value> {
    let mut map = event_json(&s.event);
    if let Some(salt) = &s.salt {
        let sig = map.remove("signature");
        map.insert("salt".into(), Value::String(salt.to_hex()));
        if let Some(sig) = sig {
            map.insert("signature".into(), sig);
        }
    }
    map
}
