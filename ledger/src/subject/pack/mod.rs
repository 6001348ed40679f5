//! SAR packs: the answer to a subject access request as a directory to hand over.
//!
//! [`write_pack`] writes, into a new or empty directory (atomically: a temporary directory
//! beside it, renamed at the end):
//!
//! - `report.md` — the report a handler sends: the subject, when, the checkpoint it is proved
//!   against, every entry with what is disclosed, withheld or erased, and how to check the pack;
//! - `report.json` — the same, machine-readable ([`PackReport`], canonical JSON);
//! - `bundle.json` — the proofs: an offline bundle (`bundle::make_selective`) with an inclusion
//!   proof for every listed entry against the latest signed checkpoint, and the proof, against
//!   the checkpoint just before it (its index checkpoint), that the list of entries about the
//!   requester is complete.
//!
//! The bundle discloses no more than the report ([`PROOF_RULE`]): an entry the third-party rule
//! changed nothing in is carried in full (with its personal data only if the report shows it), so
//! the recipient can check the report's content against the signed entry; an entry that names a
//! third party is carried by hash only, since its signed bytes hold that person's identifier.
//!
//! [`verify_pack`] checks a pack with no ledger: the bundle, then that the report lists exactly
//! the proved entries, and every entry about the requester before the index checkpoint, that every entry carried in full yields exactly the report's text when
//! the third-party rule is applied to it again, that every erasure is a signed `Redacted` entry
//! of that entry, and that `report.md` is `report.json` rendered.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use igl_schema::{Event, Hash32, PublicKey, Role, Subject, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bundle::{self, Trust};
use crate::error::{LedgerError, Remedy, Result};
use crate::rows::index::{AUTHOR, NAMED};
use crate::store::{Ledger, PayloadState, StoredEntry};
use crate::subject::sar::{self, Disclosure, PersonalData};
use crate::subject_map::Named;

/// The report format this build writes and reads.
pub const PACK_FORMAT: &str = "igledger-sar-pack/v2";
/// The human-readable report's file name.
pub const REPORT_MD: &str = "report.md";
/// The machine-readable report's file name.
pub const REPORT_JSON: &str = "report.json";
/// The proofs' file name.
pub const BUNDLE_JSON: &str = "bundle.json";

/// What the proofs in a pack disclose, as the report and the README state it.
pub const PROOF_RULE: &str = "Proofs disclose no more than the report. An entry in which the \
third-party rule replaced nobody is carried in full in bundle.json (its signed bytes, and its \
personal data only where the report shows it), so its content can be checked against the \
author's signature and the checkpoint. An entry that names a third party is carried by hash \
only: its inclusion proof shows that the entry at that seq, with that hash, is in the signed \
log, but its bytes are not included because they hold the third party's identifier; the council \
(or the ICO) can show that entry's hash matches with `igl show SEQ` on the ledger. The key \
history is cut down to the enrolments of the keys that signed the entries carried in full and \
the checkpoint, and of the admin keys that enrolled them (staff acting in a professional \
capacity). Erasures are proved by the signed Redacted entry, which names no one.";

/// How a listed entry is proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proof {
    /// The entry's bytes are in the bundle: content, signature and inclusion all check.
    Full,
    /// Only its hash and inclusion proof are (it names a third party).
    HashOnly,
}

/// When and why an entry's personal data was erased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    /// The seq of the `Redacted` entry.
    pub by_seq: u64,
    /// When the erasure was recorded.
    pub recorded_at: Timestamp,
    /// The reason recorded with it.
    pub reason: String,
    /// The subject-rights request it honoured, if one was named.
    pub request: Option<String>,
}

/// One listed entry, as disclosed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackEntry {
    pub seq: u64,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    #[serde(rename = "type")]
    pub event_type: String,
    /// `subject`, `author`, or both.
    pub appears_as: Vec<String>,
    /// The author's person id, `[third party]`, or null when the key is not enrolled.
    pub author: Option<String>,
    pub author_role: Option<Role>,
    /// The event's fields with the third-party rule applied.
    pub fields: Map<String, Value>,
    pub subjects: Vec<String>,
    /// `none`, `disclosed`, `withheld` or `erased`.
    pub personal_data: String,
    /// The fields replaced or withheld under the rule.
    pub withheld: Vec<String>,
    /// Set when the personal data was erased.
    pub erasure: Option<Erasure>,
    /// The entry's hash, hex.
    pub entry_hash: Hash32,
    pub proof: Proof,
}

/// The checkpoint a pack is proved against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackCheckpoint {
    pub tree_size: u64,
    pub root: Hash32,
    pub time: Option<Timestamp>,
    /// The public key that signed it.
    pub signed_by: PublicKey,
}

/// Counts over a pack's entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackCounts {
    pub entries: usize,
    pub proved_in_full: usize,
    pub proved_by_hash: usize,
    /// Entries in which the third-party rule replaced or withheld something.
    pub with_third_party_data_withheld: usize,
    pub erased: usize,
}

/// One of the requester's subject-rights requests, as the entries the pack lists in full show it
/// at the instant the pack answers for (`as_of` of [`PackReport`]): the statutory clock of
/// `crate::subject::requests`, paused days included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackRequest {
    pub request: String,
    pub right: igl_schema::Right,
    pub received: igl_schema::Date,
    /// The day the clock started (the later of receipt and identity verification); null before.
    pub clock_start: Option<igl_schema::Date>,
    /// Days the clock stood still awaiting clarification (UK GDPR Art. 12A(5)).
    pub paused_days: i64,
    /// Extended in time to three months.
    pub extended: bool,
    /// The last day to answer; null before the clock starts.
    pub due: Option<igl_schema::Date>,
    /// `open`, `fulfilled`, `refused` or `erased`.
    pub outcome: String,
    pub answered_on: Option<igl_schema::Date>,
    /// Where it stands, as `igl requests` words it (`✘ open, overdue 3 days`).
    pub status: String,
    /// The listed entries it is made of.
    pub seqs: Vec<u64>,
}

/// The requester's requests as `entries` (seq, occurred_at, event) show them at `as_of`:
/// folded by the one request model ([`crate::subject::requests::apply`]) in `occurred_at` order. The
/// pack writer and [`verify_pack`] both call this on the entries the pack lists in full.
pub fn pack_requests<'a>(
    entries: impl IntoIterator<Item = (u64, Timestamp, &'a Event)>,
    requester: &Subject,
    as_of: Timestamp,
) -> Vec<PackRequest> {
    let mut facts: Vec<(u64, Timestamp, &Event)> = entries
        .into_iter()
        .filter(|(_, at, _)| *at <= as_of)
        .collect();
    facts.sort_by_key(|(seq, at, _)| (*at, *seq));
    let mut book = BTreeMap::new();
    for (seq, at, ev) in facts {
        crate::subject::requests::apply(&mut book, seq, at, ev);
    }
    book.values()
        .filter(|r| &r.data_subject == requester)
        .map(|r| {
            let st = r.status(as_of);
            let (sym, words) = st.status_text();
            let outcome = match &st.outcome {
                crate::subject::requests::Outcome::Open => "open",
                crate::subject::requests::Outcome::Fulfilled { .. } => "fulfilled",
                crate::subject::requests::Outcome::Refused { .. } => "refused",
                crate::subject::requests::Outcome::Erased { .. } => "erased",
            };
            PackRequest {
                request: st.request.to_string(),
                right: st.right,
                received: st.received,
                clock_start: st.deadline.as_ref().map(|d| d.start),
                paused_days: st.deadline.as_ref().map_or(0, |d| d.paused_days),
                extended: st.deadline.as_ref().is_some_and(|d| d.extended),
                due: st.deadline.as_ref().map(|d| d.due),
                outcome: outcome.into(),
                answered_on: st.outcome.answered_on(),
                status: format!("{sym} {words}"),
                seqs: st.seqs.clone(),
            }
        })
        .collect()
}

/// `report.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackReport {
    pub format: String,
    /// `person:ID` or `service-user:ID`.
    pub subject: String,
    /// When the pack was made.
    pub made_at: Timestamp,
    /// Only entries recorded at or before this instant are listed (`--held-at`); null: all.
    pub held_at: Option<Timestamp>,
    /// The ledger's checkpoint origin (`igledger/<ledger id>`).
    pub origin: String,
    pub checkpoint: PackCheckpoint,
    pub third_party_rule: String,
    pub proof_rule: String,
    pub summary: PackCounts,
    /// The requester's subject-rights requests and their clocks, from the listed entries
    /// ([`pack_requests`]).
    pub requests: Vec<PackRequest>,
    pub entries: Vec<PackEntry>,
}

impl PackReport {
    /// The instant the request clocks are judged at: `held_at` when the pack answers for an
    /// earlier instant, else the signed checkpoint's time (checked against the bundle, so it is
    /// not the writer's word), else when the pack was made.
    pub fn clocks_at(&self) -> Timestamp {
        self.held_at
            .or(self.checkpoint.time)
            .unwrap_or(self.made_at)
    }

    /// The entries the request clocks are computed from: those listed in full, and the
    /// `Redacted` entries of their erasures (a redaction names no subject, but it can answer an
    /// erasure request).
    pub fn clock_seqs(&self) -> BTreeSet<u64> {
        self.entries
            .iter()
            .filter(|e| e.proof == Proof::Full)
            .flat_map(|e| std::iter::once(e.seq).chain(e.erasure.as_ref().map(|x| x.by_seq)))
            .collect()
    }

    /// The canonical file text (pretty JSON and a newline).
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a pack report serialises");
        s.push('\n');
        s
    }
}

/// What [`write_pack`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackSummary {
    pub dir: PathBuf,
    pub subject: String,
    pub counts: PackCounts,
    pub checkpoint_size: u64,
    pub checkpoint_key: PublicKey,
}

/// A disclosure as a pack entry (the one conversion both writing and checking use).
fn pack_entry(d: &Disclosure, erasure: Option<Erasure>) -> PackEntry {
    let mut appears = Vec::new();
    if d.appears_as.subject {
        appears.push("subject".to_string());
    }
    if d.appears_as.author {
        appears.push("author".to_string());
    }
    PackEntry {
        seq: d.seq,
        occurred_at: d.occurred_at,
        recorded_at: d.recorded_at,
        event_type: d.event_type.to_string(),
        appears_as: appears,
        author: d.author.clone(),
        author_role: d.author_role,
        fields: d.fields.clone(),
        subjects: d.subjects.clone(),
        personal_data: d.personal_data.as_str().to_string(),
        withheld: d.withheld.clone(),
        erasure,
        entry_hash: d.entry_hash,
        proof: if d.names_third_party() {
            Proof::HashOnly
        } else {
            Proof::Full
        },
    }
}

/// The summary counts of a report's entries.
pub fn counts(entries: &[PackEntry]) -> PackCounts {
    PackCounts {
        entries: entries.len(),
        proved_in_full: entries.iter().filter(|e| e.proof == Proof::Full).count(),
        proved_by_hash: entries
            .iter()
            .filter(|e| e.proof == Proof::HashOnly)
            .count(),
        // An entry is proved by hash only exactly when the rule replaced someone in it.
        with_third_party_data_withheld: entries
            .iter()
            .filter(|e| e.proof == Proof::HashOnly)
            .count(),
        erased: entries.iter().filter(|e| e.erasure.is_some()).count(),
    }
}

fn pack_err(path: &Path, message: impl Into<String>) -> LedgerError {
    LedgerError::Pack {
        path: path.to_path_buf(),
        message: message.into(),
        remedy: None,
    }
}

/// A pack refused with something to do about it first.
fn pack_err_until(path: &Path, remedy: Remedy, message: impl Into<String>) -> LedgerError {
    LedgerError::Pack {
        path: path.to_path_buf(),
        message: message.into(),
        remedy: Some(remedy),
    }
}

fn seq_list(seqs: &[u64]) -> String {
    let shown: Vec<String> = seqs.iter().take(8).map(|s| s.to_string()).collect();
    let more = seqs.len().saturating_sub(8);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Refuses an `out_dir` that exists and is not an empty directory.
fn check_out_dir(out_dir: &Path) -> Result<()> {
    match fs::read_dir(out_dir) {
        Ok(mut it) => {
            if it.next().is_some() {
                return Err(pack_err(
                    out_dir,
                    "is not empty; a SAR pack is written only into a new or empty directory \
                     (nothing was written)",
                ));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) if out_dir.exists() => Err(pack_err(
            out_dir,
            "exists and is not a directory; name a new or empty directory for the pack \
             (nothing was written)",
        )),
        Err(e) => Err(pack_err(out_dir, format!("cannot be read: {e}"))),
    }
}

mod report;
mod verify;
mod write;

pub use report::render_markdown;
pub use verify::{PackCheck, PackError, verify_pack};
pub use write::write_pack;
