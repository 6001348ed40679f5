//! Witnessing, per C2SP `tlog-witness` (`add-checkpoint`) with Ed25519 `cosignature/v1`
//! cosignatures: the request's syntax, the one decision a witness makes
//! ([`decide`]), the witness's state directory ([`WitnessState`]) and the whole answer to a
//! request ([`Witness::add_checkpoint`]). No HTTP here: `igl witness serve` (hyper) feeds
//! request bodies in and writes the [`Response`] out, and the offline `igl witness FILE` makes
//! the same decision on the same state.
//!
//! ```text
//! POST <prefix>/add-checkpoint
//! old 5                                             the size the client believes was cosigned last
//! 3fK0…base64 consistency proof hash…=              at most 63 lines, none when old is 0
//!                                                   an empty line
//! igledger/1093f1b5c44b74c0c419c168ab8262e9         the checkpoint note, signed by the log
//! 9
//! a4Zs…=
//!
//! — igledger/1093f1b5c44b74c0c419c168ab8262e9 AbCd…
//! ```
//!
//! The answers, in the order the checks run: 400 malformed; 404 unknown origin; 403 no valid
//! signature by a key trusted for the origin, or a signature line naming a trusted key that does
//! not verify; 400 old size larger than the checkpoint's; 409 old size not the size of the latest
//! checkpoint cosigned for the origin (body `<size>\n`, `Content-Type: text/x.tlog.size`); 422 a
//! non-empty proof from size 0, a size-0 checkpoint without the empty tree's root, the same size
//! with another root, or a consistency proof that does not verify; 200 the cosignature line.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use igl_schema::note::{
    self, Checkpoint, Cosignature, NoteSignature, SIG_TYPE_ED25519, SignedCheckpoint, VerifierKey,
};
use igl_schema::{Hash32, PublicKey, SigningKey, public_key};

use crate::merkle::{self, EMPTY_ROOT};

mod state;

pub use state::*;

/// The most consistency proof lines a request may carry (tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;
/// The Content-Type of a 409 answer: the witness's latest cosigned size.
pub const CONTENT_TYPE_SIZE: &str = "text/x.tlog.size";
/// The Content-Type of every other answer.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";
/// The lock file every witness process holds in its state directory.
pub const LOCK_FILE: &str = "witness.lock";
/// What a state file's name ends in.
pub const STATE_SUFFIX: &str = ".checkpoint";

/// A parsed `add-checkpoint` request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness cosigned last (0: none).
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash32>,
    /// The checkpoint, with its signatures.
    pub checkpoint: SignedCheckpoint,
}

/// A request body that is not an `add-checkpoint` request (answered 400).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed add-checkpoint request: {0}")]
pub struct RequestError(pub String);

fn malformed(m: impl Into<String>) -> RequestError {
    RequestError(m.into())
}

/// A decimal with no leading zeros (`0` itself allowed), as tlog-witness writes sizes.
pub fn parse_size(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Parses an `add-checkpoint` request body: `old N`, at most 63 base64 proof lines, an empty
/// line, then the checkpoint note. Every line ends in `\n` (a carriage return is refused), and
/// the note is an igl checkpoint (three body lines, no extension lines).
pub fn parse_request(body: &[u8]) -> Result<AddCheckpoint, RequestError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed("the body is not UTF-8"))?;
    if text.contains('\r') {
        return Err(malformed(
            "a carriage return in the body (lines end in \\n alone)",
        ));
    }
    if !text.ends_with('\n') {
        return Err(malformed("the body does not end in a newline"));
    }
    let (first, mut rest) = text
        .split_once('\n')
        .ok_or_else(|| malformed("no old size line"))?;
    let old = first
        .strip_prefix("old ")
        .and_then(parse_size)
        .ok_or_else(|| {
            malformed(format!(
                "the first line {first:?} is not `old <size>` (decimal, no leading zeros)"
            ))
        })?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest
            .split_once('\n')
            .ok_or_else(|| malformed("no empty line between the proof and the checkpoint"))?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(malformed(format!(
                "more than {MAX_PROOF_LINES} consistency proof lines"
            )));
        }
        let h = note::hash_from_base64(line).ok_or_else(|| {
            malformed(format!(
                "consistency proof line {}: not a 32-byte hash in base64",
                proof.len() + 1
            ))
        })?;
        proof.push(h);
    }
    let checkpoint = SignedCheckpoint::parse(rest).map_err(|e| malformed(e.to_string()))?;
    Ok(AddCheckpoint {
        old,
        proof,
        checkpoint,
    })
}

/// The body of an `add-checkpoint` request (the log's side).
pub fn request_body(old: u64, proof: &[Hash32], checkpoint: &SignedCheckpoint) -> String {
    let mut s = format!("old {old}\n");
    for h in proof {
        s.push_str(&note::hash_to_base64(h));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(&checkpoint.to_text());
    s
}

/// Why a witness does not cosign a checkpoint whose signature it accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 400: the old size is larger than the checkpoint's.
    BadRequest(String),
    /// 409: the old size is not the size of the latest checkpoint cosigned for the origin, which
    /// is `size` (0 when none was).
    Conflict { size: u64 },
    /// 422: the checkpoint is not consistent with what was cosigned (or the request's proof is
    /// not a proof).
    Inconsistent(String),
}

impl Refusal {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::Conflict { .. } => 409,
            Refusal::Inconsistent(_) => 422,
        }
    }

    /// What is wrong, for people.
    pub fn message(&self) -> String {
        match self {
            Refusal::BadRequest(m) | Refusal::Inconsistent(m) => m.clone(),
            Refusal::Conflict { size } => format!(
                "the latest checkpoint cosigned for this origin has {size} entries: send old {size} and a consistency proof from it"
            ),
        }
    }

    /// The HTTP answer.
    pub fn response(&self) -> Response {
        match self {
            Refusal::Conflict { size } => Response {
                status: 409,
                content_type: CONTENT_TYPE_SIZE,
                body: format!("{size}\n").into_bytes(),
                summary: self.message(),
            },
            _ => Response::text(self.status(), self.message()),
        }
    }
}

/// **The one witness decision**, shared by `igl witness serve` and the offline `igl witness`:
/// whether to cosign `new`, given the latest checkpoint cosigned for its origin (`last`), the
/// old size the request claims and its consistency proof (which may come from anyone, so it is
/// checked here). The checks run in tlog-witness's order; `Ok` says why the checkpoint may be
/// cosigned.
pub fn decide(
    last: Option<&Checkpoint>,
    old: u64,
    new: &Checkpoint,
    proof: &[Hash32],
) -> Result<String, Refusal> {
    let latest = last.map_or(0, |l| l.size);
    if old > new.size {
        return Err(Refusal::BadRequest(if last.is_some() && old == latest {
            format!(
                "ROLLBACK: the checkpoint has {} entries, but a checkpoint of {old} entries of {} was already cosigned",
                new.size, new.origin
            )
        } else {
            format!(
                "the old size {old} is larger than the checkpoint's size {}",
                new.size
            )
        }));
    }
    if old != latest {
        return Err(Refusal::Conflict { size: latest });
    }
    if let Some(l) = last
        && l.origin != new.origin
    {
        return Err(Refusal::Inconsistent(format!(
            "origin {} differs from the cosigned {}",
            new.origin, l.origin
        )));
    }
    if new.size == 0 && new.root != EMPTY_ROOT {
        return Err(Refusal::Inconsistent(format!(
            "a checkpoint of 0 entries must have the empty tree's root {EMPTY_ROOT}, not {}",
            new.root
        )));
    }
    if old == 0 {
        if !proof.is_empty() {
            return Err(Refusal::Inconsistent(
                "old size 0 takes no consistency proof (the empty tree is a prefix of every tree)"
                    .into(),
            ));
        }
        return Ok(match last {
            None => format!(
                "first checkpoint cosigned for {} ({} entries): trusted on first use",
                new.origin, new.size
            ),
            Some(_) => format!("{} entries extend the empty tree", new.size),
        });
    }
    let Some(l) = last else {
        unreachable!("old == latest > 0, so a checkpoint was cosigned");
    };
    if old == new.size {
        if new.root != l.root {
            return Err(Refusal::Inconsistent(format!(
                "FORK: {} entries with root {}, but the cosigned checkpoint of the same size has root {}",
                new.size, new.root, l.root
            )));
        }
        if !proof.is_empty() {
            return Err(Refusal::Inconsistent(
                "a checkpoint of the cosigned size takes no consistency proof".into(),
            ));
        }
        return Ok(format!("same tree as last cosigned ({} entries)", new.size));
    }
    if merkle::verify_consistency(old, new.size, &l.root, &new.root, proof) {
        Ok(format!(
            "consistent: {} entries extend the {old} last cosigned",
            new.size
        ))
    } else {
        Err(Refusal::Inconsistent(format!(
            "FORK: no valid consistency proof from the cosigned {old} entries to {}: the log's history differs from what was cosigned",
            new.size
        )))
    }
}

/// The log signatures on `cp` that verify with one of `keys` (the keys trusted for its origin),
/// with the key name being the origin. `Err` (answered 403) when none does, or when a signature
/// line names a trusted key (origin and key id) but does not verify with it.
pub fn check_log_signatures(
    cp: &SignedCheckpoint,
    keys: &[PublicKey],
) -> Result<Vec<NoteSignature>, String> {
    let origin = &cp.checkpoint.origin;
    let mut good = Vec::new();
    for sig in &cp.signatures {
        let matching: Vec<&PublicKey> = keys
            .iter()
            .filter(|k| {
                sig.name == *origin && sig.key_hash == note::key_hash(origin, SIG_TYPE_ED25519, k)
            })
            .collect();
        if matching.is_empty() {
            continue; // an unknown key's signature (another witness's cosignature, say)
        }
        let alone = SignedCheckpoint {
            checkpoint: cp.checkpoint.clone(),
            signatures: vec![sig.clone()],
        };
        if !matching.iter().any(|k| alone.verify(k)) {
            return Err(format!(
                "a signature line names a trusted key of {origin} (key id {}) but does not verify",
                hex::encode(sig.key_hash)
            ));
        }
        good.push(sig.clone());
    }
    if good.is_empty() {
        return Err(format!(
            "the checkpoint carries no signature by a key trusted for {origin}"
        ));
    }
    Ok(good)
}

/// The valid cosignatures by `witness` on `checkpoint` in the body of an `add-checkpoint`
/// answer (note signature lines), each once; lines by other keys are ignored, as are
/// cosignatures without a timestamp. `Err` when the body is not signature lines.
pub fn cosignatures_in_answer(
    checkpoint: &Checkpoint,
    body: &str,
    witness: &VerifierKey,
) -> Result<Vec<Cosignature>, String> {
    if body.is_empty() || !body.ends_with('\n') || body.lines().any(|l| !l.starts_with("— ")) {
        return Err("the answer is not note signature lines (`— NAME BASE64`)".into());
    }
    // As tlog-witness suggests: append the lines to the checkpoint and read the note.
    let text = format!("{}\n{body}", checkpoint.body());
    let note = SignedCheckpoint::parse(&text).map_err(|e| format!("the answer: {e}"))?;
    let mut out: Vec<Cosignature> = Vec::new();
    for c in note
        .signatures
        .iter()
        .filter_map(Cosignature::from_note_signature)
    {
        if c.time != 0
            && c.time <= i64::MAX as u64
            && c.verify(checkpoint, witness)
            && !out.iter().any(|d| d.key_id == c.key_id && d.name == c.name)
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// **A witness quorum**: the names of the witnesses among `witnesses` that cosigned `cp` (a
/// valid `cosignature/v1` by the witness's name and key on its body; each key counted once),
/// when at least `quorum` did. `Err` says how many did and which did not.
pub fn check_quorum(
    cp: &SignedCheckpoint,
    witnesses: &[VerifierKey],
    quorum: usize,
) -> Result<Vec<String>, String> {
    let cosigners = cp.cosigners(witnesses);
    if cosigners.len() >= quorum {
        return Ok(cosigners.iter().map(|w| w.name.clone()).collect());
    }
    let missing: Vec<String> = witnesses
        .iter()
        .filter(|w| !cosigners.iter().any(|c| c.key == w.key))
        .map(|w| w.name.clone())
        .collect();
    Err(format!(
        "the checkpoint of {} entries carries valid cosignatures by {} of the {} witnesses given, fewer than the quorum of {quorum} (no valid cosignature by {}): check against a checkpoint those witnesses cosigned, or name the witnesses that did",
        cp.checkpoint.size,
        cosigners.len(),
        witnesses.len(),
        missing.join(", ")
    ))
}

/// An answer to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// One line for the witness's own log (what was decided and why).
    pub summary: String,
}

impl Response {
    /// A plain-text answer whose body is `message` and a newline.
    pub fn text(status: u16, message: impl Into<String>) -> Response {
        let message = message.into();
        Response {
            status,
            content_type: CONTENT_TYPE_TEXT,
            body: format!("{message}\n").into_bytes(),
            summary: message,
        }
    }
}

#[cfg(test)]
mod tests;
