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
use crate::index::{AUTHOR, NAMED};
use crate::sar::{self, Disclosure, PersonalData};
use crate::store::{Ledger, PayloadState, StoredEntry};
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
/// at the instant the pack answers for ([`PackReport::as_of`]): the statutory clock of
/// `crate::requests`, paused days included.
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
/// folded by the one request model ([`crate::requests::apply`]) in `occurred_at` order. The
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
        crate::requests::apply(&mut book, seq, at, ev);
    }
    book.values()
        .filter(|r| &r.data_subject == requester)
        .map(|r| {
            let st = r.status(as_of);
            let (sym, words) = st.status_text();
            let outcome = match &st.outcome {
                crate::requests::Outcome::Open => "open",
                crate::requests::Outcome::Fulfilled { .. } => "fulfilled",
                crate::requests::Outcome::Refused { .. } => "refused",
                crate::requests::Outcome::Erased { .. } => "erased",
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

fn personal(p: PersonalData) -> &'static str {
    match p {
        PersonalData::None => "none",
        PersonalData::Disclosed => "disclosed",
        PersonalData::Withheld => "withheld",
        PersonalData::Erased { .. } => "erased",
        PersonalData::Missing => "missing",
    }
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
        personal_data: personal(d.personal_data).to_string(),
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

/// Writes the SAR pack for `subject` (as held at `held_at`, or everything) into `out_dir`,
/// which must be new or empty. Every listed entry (and every erasure it cites) must lie before the
/// index checkpoint of the latest checkpoint recorded in the ledger (the checkpoint just before
/// it, [`bundle::index_checkpoint`]); if not, nothing is written and the error names the entries
/// and says to sign checkpoints first. Nothing is written on any error: the
/// pack is built in a temporary directory beside `out_dir` and renamed into place at the end.
pub fn write_pack(
    ledger: &Ledger,
    subject: &Subject,
    held_at: Option<Timestamp>,
    out_dir: &Path,
    made_at: Timestamp,
) -> Result<PackSummary> {
    check_out_dir(out_dir)?;
    let found = sar::subject_access(ledger, subject, held_at)?;
    if let Some(d) = found
        .iter()
        .find(|d| d.personal_data == PersonalData::Missing)
    {
        return Err(pack_err_until(
            out_dir,
            Remedy::Verify,
            format!(
                "seq {}: its personal data is missing with no redaction on record; verify and \
                 repair the ledger before answering the request (nothing was written)",
                d.seq
            ),
        ));
    }
    let cp = ledger.latest_checkpoint()?.ok_or_else(|| {
        pack_err_until(
            out_dir,
            Remedy::Checkpoint,
            "the ledger has no signed checkpoint to prove the entries against; sign one, then \
             run this again (nothing was written)",
        )
    })?;
    let size = cp.checkpoint.size;
    // The lists are proved complete against the checkpoint just before this one (its
    // commitment is bound to the signed tree, [`bundle::index_checkpoint`]).
    let index_at = bundle::index_checkpoint(ledger, size).map_err(|e| LedgerError::Pack {
        path: out_dir.to_path_buf(),
        message: format!("{e} (a pack proves its answer complete; nothing was written)"),
        remedy: e.remedy().map(|(r, _)| r),
    })?;
    // The two checkpoints' own `CheckpointRecorded` entries (seqs `index_at` and `size`) are
    // about the person whose key signed them, and neither lies inside the list it proves: they
    // are not listed (the pack answers for every entry before `index_at`; the bundle carries both
    // entries' signed events anyway).
    let found: Vec<Disclosure> = found
        .into_iter()
        .filter(|d| d.seq != size && d.seq != index_at)
        .collect();
    // A pack proves everything it lists complete: an entry (or the erasure of its data) at or
    // after `index_at`, beyond the checkpoint or not, needs newer checkpoints first.
    let mut after: Vec<u64> = found
        .iter()
        .map(|d| d.seq)
        .chain(found.iter().filter_map(|d| match d.personal_data {
            PersonalData::Erased { by } => Some(by),
            _ => None,
        }))
        .filter(|s| *s >= index_at)
        .collect();
    after.sort_unstable();
    after.dedup();
    if !after.is_empty() {
        return Err(pack_err_until(
            out_dir,
            Remedy::Checkpoint,
            format!(
                "seq {} (about {subject}, or erasing its data) {} recorded after checkpoint {index_at}, the one just \
                 before the signed checkpoint of {size} entries, so the pack could not prove that \
                 none was left out; sign a checkpoint first, then run this again (nothing was \
                 written)",
                seq_list(&after),
                if after.len() == 1 { "was" } else { "were" }
            ),
        ));
    }

    // Erasures, read from their Redacted entries.
    let mut erasures: BTreeMap<u64, Erasure> = BTreeMap::new();
    for d in &found {
        if let PersonalData::Erased { by } = d.personal_data {
            let r = ledger.entry(by)?.ok_or_else(|| {
                pack_err_until(
                    out_dir,
                    Remedy::Verify,
                    format!("seq {by}: the Redacted entry is missing"),
                )
            })?;
            let Event::Redacted(x) = &r.entry.event.body.event else {
                return Err(pack_err_until(
                    out_dir,
                    Remedy::Verify,
                    format!("seq {by} is not a Redacted entry"),
                ));
            };
            erasures.insert(
                d.seq,
                Erasure {
                    by_seq: by,
                    recorded_at: r.entry.recorded_at,
                    reason: x.reason.clone(),
                    request: x.request.as_ref().map(|q| q.to_string()),
                },
            );
        }
    }

    let entries: Vec<PackEntry> = found
        .iter()
        .map(|d| pack_entry(d, erasures.get(&d.seq).cloned()))
        .collect();
    let mut full: BTreeMap<u64, bool> = BTreeMap::new();
    let mut hash_only = Vec::new();
    for (d, e) in found.iter().zip(&entries) {
        match e.proof {
            Proof::Full => {
                *full.entry(d.seq).or_default() |= d.personal_data == PersonalData::Disclosed;
            }
            Proof::HashOnly => hash_only.push(d.seq),
        }
    }
    for e in erasures.values() {
        full.entry(e.by_seq).or_default();
    }
    // The subject index's list of the requester before the checkpoint: the pack must account
    // for every entry of it. Entries recorded after `held_at` are not listed, but carried, so
    // the list can still be proved complete.
    let named = Named::Subject(subject.clone());
    let listed: BTreeSet<u64> = found.iter().map(|d| d.seq).collect();
    let later: Vec<u64> = ledger
        .subject_list(&named, index_at)?
        .into_iter()
        .filter(|s| !listed.contains(s) && !full.contains_key(s))
        .collect();
    if held_at.is_none() && !later.is_empty() {
        return Err(pack_err_until(
            out_dir,
            Remedy::Verify,
            format!(
                "the subject index lists seq {} for {subject} but the subject lookup does not: the ledger's indexes disagree (nothing was written)",
                seq_list(&later)
            ),
        ));
    }
    if !later.is_empty() {
        // Carried in full (without personal data) where that discloses no third party, so the
        // verifier can check they were recorded after `held_at`; by hash only otherwise.
        let all: BTreeMap<u64, Disclosure> = sar::subject_access(ledger, subject, None)?
            .into_iter()
            .map(|d| (d.seq, d))
            .collect();
        for s in later {
            match all.get(&s) {
                Some(d) if !d.names_third_party() => {
                    full.insert(s, false);
                }
                _ => hash_only.push(s),
            }
        }
    }
    hash_only.sort_unstable();
    let full: Vec<(u64, bool)> = full.into_iter().collect();
    let b = bundle::make_selective(ledger, &cp, &full, &hash_only, &[named])?;
    let signer = ledger
        .stored_checkpoint_signer(&cp)?
        .expect("make_selective found the signer");

    let mut report = PackReport {
        format: PACK_FORMAT.into(),
        subject: subject.to_string(),
        made_at,
        held_at,
        origin: cp.checkpoint.origin.clone(),
        checkpoint: PackCheckpoint {
            tree_size: size,
            root: cp.checkpoint.root,
            time: ledger.recorded_checkpoint_time(size)?,
            signed_by: signer,
        },
        third_party_rule: sar::RULE.into(),
        proof_rule: PROOF_RULE.into(),
        summary: counts(&entries),
        requests: Vec::new(),
        entries,
    };
    let mut clock_entries = Vec::new();
    for seq in report.clock_seqs() {
        clock_entries.push(
            ledger
                .entry(seq)?
                .ok_or_else(|| pack_err(out_dir, format!("seq {seq}: the entry is missing")))?,
        );
    }
    report.requests = pack_requests(
        clock_entries.iter().map(|e| {
            (
                e.entry.seq,
                e.entry.event.body.occurred_at,
                &e.entry.event.body.event,
            )
        }),
        subject,
        report.clocks_at(),
    );
    let files = [
        (REPORT_MD, render_markdown(&report)),
        (REPORT_JSON, report.to_text()),
        (BUNDLE_JSON, b.to_text()),
    ];
    write_atomically(out_dir, &files)?;
    Ok(PackSummary {
        dir: out_dir.to_path_buf(),
        subject: report.subject,
        counts: report.summary,
        checkpoint_size: size,
        checkpoint_key: signer,
    })
}

/// Writes `files` into a temporary directory beside `out_dir`, syncs them, and renames it to
/// `out_dir` (which may exist only as an empty directory). On any failure the temporary
/// directory is removed and `out_dir` is as it was.
fn write_atomically(out_dir: &Path, files: &[(&str, String)]) -> Result<()> {
    let target = if out_dir.exists() {
        fs::canonicalize(out_dir).map_err(|e| pack_err(out_dir, e.to_string()))?
    } else {
        out_dir.to_path_buf()
    };
    let name = target
        .file_name()
        .ok_or_else(|| pack_err(out_dir, "name a directory for the pack (e.g. sar-P00105)"))?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = parent.join(format!(
        ".{}.igl-pack-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let io = |what: &str, p: &Path, e: std::io::Error| {
        pack_err(
            out_dir,
            format!("{what} {}: {e} (nothing was written)", p.display()),
        )
    };
    fs::create_dir(&tmp).map_err(|e| io("creating", &tmp, e))?;
    let result = (|| {
        for (file, text) in files {
            let p = tmp.join(file);
            let mut f = fs::File::create_new(&p).map_err(|e| io("creating", &p, e))?;
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| io("writing", &p, e))?;
        }
        fs::File::open(&tmp)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("syncing", &tmp, e))?;
        fs::rename(&tmp, &target).map_err(|e| {
            pack_err(
                out_dir,
                format!(
                    "could not move the finished pack into place ({e}); was something written \
                     into it meanwhile? (nothing was written)"
                ),
            )
        })?;
        if let Ok(d) = fs::File::open(&parent) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn md_text(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    };
    // One line, no Markdown markup taken from the data.
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn when(t: &Timestamp) -> String {
    t.datetime().format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `report.md`: the report rendered from `report.json` (deterministic: [`verify_pack`] checks
/// that `report.md` is exactly this).
pub fn render_markdown(r: &PackReport) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    let c = &r.summary;
    line(format!("# Subject access: {}", r.subject));
    line(String::new());
    line(format!(
        "Made {} from the ledger `{}`.",
        when(&r.made_at),
        r.origin
    ));
    line(match &r.held_at {
        Some(t) => format!(
            "It lists every entry about {} that the ledger held at {} (recorded at or before that instant).",
            r.subject,
            when(t)
        ),
        None => format!(
            "It lists every entry about {} that the ledger held when the pack was made.",
            r.subject
        ),
    });
    line(String::new());
    line(format!(
        "- entries listed: **{}** ({} proved in full, {} proved by hash only)",
        c.entries, c.proved_in_full, c.proved_by_hash
    ));
    line(format!(
        "- entries with third-party data withheld: {}",
        c.with_third_party_data_withheld
    ));
    line(format!(
        "- entries whose personal data was erased: {}",
        c.erased
    ));
    line(format!(
        "- proved against the signed checkpoint of **{}** entries, root `{}`, signed {}by key `{}`",
        r.checkpoint.tree_size,
        r.checkpoint.root,
        r.checkpoint
            .time
            .map(|t| format!("at {} ", when(&t)))
            .unwrap_or_default(),
        r.checkpoint.signed_by
    ));
    line(String::new());
    if !r.requests.is_empty() {
        line(format!("## Your requests, as of {}", when(&r.clocks_at())));
        line(String::new());
        for q in &r.requests {
            let mut clock = String::new();
            if let Some(start) = q.clock_start {
                clock.push_str(&format!(", clock started {start}"));
            }
            if q.paused_days > 0 {
                clock.push_str(&format!(
                    ", stopped {} day{} awaiting clarification",
                    q.paused_days,
                    if q.paused_days == 1 { "" } else { "s" }
                ));
            }
            if q.extended {
                clock.push_str(", extended");
            }
            if let Some(due) = q.due {
                clock.push_str(&format!(", due {due}"));
            }
            line(format!(
                "- **{}** ({}), received {}{clock}: {} (seqs {})",
                q.request,
                q.right,
                q.received,
                q.status,
                q.seqs
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        line(String::new());
    }
    line("## What is withheld, and why".into());
    line(String::new());
    line(r.third_party_rule.clone());
    line(String::new());
    line("## Entries".into());
    line(String::new());
    if r.entries.is_empty() {
        line("The ledger holds no entries about this subject.".into());
        line(String::new());
    }
    for e in &r.entries {
        line(format!("### seq {} — {}", e.seq, e.event_type));
        line(String::new());
        line(format!("- occurred: {}", when(&e.occurred_at)));
        line(format!("- recorded: {}", when(&e.recorded_at)));
        line(format!("- you appear as: {}", e.appears_as.join(", ")));
        line(format!(
            "- author: {}",
            match (&e.author, e.author_role) {
                (Some(a), Some(role)) => format!("{} ({role})", md_text(&Value::String(a.clone()))),
                _ => "(key not enrolled)".into(),
            }
        ));
        line(format!(
            "- about: {}",
            md_text(&Value::String(e.subjects.join(", ")))
        ));
        for (k, v) in &e.fields {
            line(format!("- **{k}**: {}", md_text(v)));
        }
        if !e.withheld.is_empty() {
            line(format!(
                "- withheld: {} — third-party personal data, under the rule above",
                e.withheld.join(", ")
            ));
        }
        if let Some(x) = &e.erasure {
            line(format!(
                "- erased: the personal data of this entry was erased on {} by the Redacted entry at seq {}; reason: \"{}\"{}",
                when(&x.recorded_at),
                x.by_seq,
                md_text(&Value::String(x.reason.clone())),
                x.request
                    .as_ref()
                    .map(|q| format!(" (request {})", md_text(&Value::String(q.clone()))))
                    .unwrap_or_default()
            ));
        }
        line(format!(
            "- proof: {} — entry hash `{}`",
            match e.proof {
                Proof::Full => "in full (the signed entry is in bundle.json)",
                Proof::HashOnly => "by hash only (the entry names a third party)",
            },
            e.entry_hash
        ));
        if e.proof == Proof::HashOnly {
            line("- **not checkable offline**: this pack proves that an entry with this hash is at this seq in the signed log, and nothing more; the type, dates, author and fields above are the council's statement, which the council or the ICO can check against the hash on the ledger (`igl show SEQ`)".into());
        }
        line(String::new());
    }
    line("## How to check this pack".into());
    line(String::new());
    line("This directory holds `report.md` (this report), `report.json` (the same, machine-readable) and `bundle.json` (the proofs). With `igl` (no ledger needed):".into());
    line(String::new());
    line("```sh".into());
    line(format!(
        "igl verify-bundle THIS_DIRECTORY --trusted-key {}",
        r.checkpoint.signed_by
    ));
    line("```".into());
    line(String::new());
    line("Check the key against one the council publishes (or pass a checkpoint you hold with `--checkpoint FILE`): the pack proves itself only against a key or checkpoint you trust from elsewhere. The command exits 0 when every check passes and 1 when any fails. It checks:".into());
    line(String::new());
    line("1. every listed entry has an inclusion proof leading to the root of the signed checkpoint, so none was made up;".into());
    line("2. each entry proved in full is signed by its author's key, enrolled with the role it needs at that point, and, applying the rule above to the signed entry again, gives exactly the fields, dates and personal data this report shows (personal data is checked against the entry's signed commitments); for an entry proved by hash only, only its seq and hash are checked (what the report shows of it is marked as not checkable offline);".into());
    line("3. each erasure is a signed Redacted entry naming that entry's hash;".into());
    line("4. report.md is report.json rendered, and nothing in the pack was edited.".into());
    line(String::new());
    line(r.proof_rule.clone());
    s
}

/// Why a pack does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PackError(pub String);

/// What [`verify_pack`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackCheck {
    pub subject: String,
    pub counts: PackCounts,
    pub tree_size: u64,
    pub checkpoint_key: PublicKey,
    pub key_events: usize,
    /// How many entries are about the subject before `complete_up_to`: the list the pack proves
    /// complete against the subject index.
    pub subject_entries: usize,
    /// The checkpoint (size) the list is complete up to: the one just before the
    /// pack's checkpoint.
    pub complete_up_to: u64,
    /// Entries of that list the report does not show because they were recorded after its
    /// `held_at`: (seq, whether that is checked: carried in full with its `recorded_at`, or by
    /// hash only, so only the writer says so).
    pub after_held_at: Vec<(u64, bool)>,
    /// The checkpoint with every signature found for it (see [`bundle::BundleReport`]).
    pub checkpoint: igl_schema::note::SignedCheckpoint,
}

fn first_difference(a: &PackEntry, b: &PackEntry) -> String {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return "?".into();
    };
    a.iter()
        .find(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| "?".into())
}

/// Verifies a SAR pack's three files with no ledger (see the module documentation).
pub fn verify_pack(
    report_json: &str,
    report_md: &str,
    bundle_json: &str,
    trust: Trust<'_>,
) -> Result<PackCheck, PackError> {
    let bad = |m: String| PackError(m);
    let v = bundle::verify_detailed(bundle_json, trust)
        .map_err(|e| bad(format!("{BUNDLE_JSON}: {e}")))?;
    let r: PackReport = serde_json::from_str(report_json)
        .map_err(|e| bad(format!("{REPORT_JSON}: not a SAR pack report: {e}")))?;
    if r.format != PACK_FORMAT {
        return Err(bad(format!(
            "{REPORT_JSON}: format {:?}; this build reads {PACK_FORMAT}",
            r.format
        )));
    }
    if r.to_text() != report_json {
        return Err(bad(format!(
            "{REPORT_JSON} is not in canonical form (it was edited)"
        )));
    }
    if render_markdown(&r) != report_md {
        return Err(bad(format!(
            "{REPORT_MD} is not {REPORT_JSON} rendered (one of them was edited)"
        )));
    }
    let b = &v.report;
    if r.origin != b.origin
        || r.checkpoint.tree_size != b.tree_size
        || r.checkpoint.root != b.root
        || r.checkpoint.time != b.time
        || r.checkpoint.signed_by != b.checkpoint_key
    {
        return Err(bad(format!(
            "{REPORT_JSON} names a checkpoint ({} entries, root {}, key {}) other than the one \
             {BUNDLE_JSON} is proved against ({} entries, root {}, key {})",
            r.checkpoint.tree_size,
            r.checkpoint.root,
            r.checkpoint.signed_by.short(),
            b.tree_size,
            b.root,
            b.checkpoint_key.short()
        )));
    }
    if let Some(signed) = b.time
        && r.made_at < signed
    {
        return Err(bad(format!(
            "{REPORT_JSON} says it was made at {}, before the checkpoint it is proved against was signed ({signed})",
            r.made_at
        )));
    }
    let requester =
        Subject::parse(&r.subject).map_err(|e| bad(format!("{REPORT_JSON}: subject: {e}")))?;
    if r.entries.windows(2).any(|w| w[0].seq >= w[1].seq) {
        return Err(bad(format!(
            "{REPORT_JSON}: the entries are not in strictly increasing seq order"
        )));
    }
    // The rules the report states are this format's, word for word.
    if r.third_party_rule != sar::RULE || r.proof_rule != PROOF_RULE {
        return Err(bad(format!(
            "{REPORT_JSON}: the third-party rule or the proof rule it states is not the one igl applies (it was edited)"
        )));
    }
    if counts(&r.entries) != r.summary {
        return Err(bad(format!(
            "{REPORT_JSON}: the summary does not match the entries"
        )));
    }

    let full: BTreeMap<u64, (&igl_schema::Entry, Hash32, bool)> = v
        .entries
        .iter()
        .map(|(e, h, opened)| (e.seq, (e, *h, *opened)))
        .collect();
    let mut used: BTreeSet<u64> = BTreeSet::new();
    for e in &r.entries {
        let n = e.seq;
        match e.proof {
            Proof::HashOnly => {
                if v.hash_only.get(&n) != Some(&e.entry_hash) {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} lists it with hash {} but {BUNDLE_JSON} has no proof of that entry",
                        e.entry_hash
                    )));
                }
                used.insert(n);
            }
            Proof::Full => {
                let Some((entry, hash, opened)) = full.get(&n) else {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} says it is proved in full but {BUNDLE_JSON} does not carry it"
                    )));
                };
                used.insert(n);
                let payload = if !entry.event.has_pii() {
                    PayloadState::None
                } else if *opened {
                    PayloadState::Present
                } else {
                    let Some(x) = &e.erasure else {
                        return Err(bad(format!(
                            "seq {n}: {BUNDLE_JSON} does not carry the personal data and {REPORT_JSON} does not say it was erased"
                        )));
                    };
                    let Some((r_entry, _, _)) = full.get(&x.by_seq) else {
                        return Err(bad(format!(
                            "seq {n}: the Redacted entry at seq {} that {REPORT_JSON} cites is not in {BUNDLE_JSON}",
                            x.by_seq
                        )));
                    };
                    used.insert(x.by_seq);
                    let ok = match &r_entry.event.body.event {
                        Event::Redacted(rd) => {
                            rd.seq == n
                                && rd.entry_hash == *hash
                                && rd.reason == x.reason
                                && rd.request.as_ref().map(|q| q.to_string()) == x.request
                                && r_entry.recorded_at == x.recorded_at
                        }
                        _ => false,
                    };
                    if !ok {
                        return Err(bad(format!(
                            "seq {n}: the erasure in {REPORT_JSON} does not match the signed Redacted entry at seq {}",
                            x.by_seq
                        )));
                    }
                    PayloadState::Redacted { by: x.by_seq }
                };
                if let Some(held) = r.held_at
                    && entry.recorded_at > held
                {
                    return Err(bad(format!(
                        "seq {n}: recorded at {}, after the instant the report lists entries as held at ({held})",
                        entry.recorded_at
                    )));
                }
                if e.erasure.is_some() && !matches!(payload, PayloadState::Redacted { .. }) {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} says its personal data was erased, but {}",
                        if entry.event.has_pii() {
                            format!("{BUNDLE_JSON} carries it")
                        } else {
                            "the entry has none".to_string()
                        }
                    )));
                }
                let author = v.keys.get(&entry.event.body.author);
                let mut flags = 0;
                if entry.event.body.subjects.contains(&requester) {
                    flags |= NAMED;
                }
                if author.is_some_and(|k| Subject::Person(k.person.clone()) == requester) {
                    flags |= AUTHOR;
                }
                let stored = StoredEntry {
                    entry: (*entry).clone(),
                    hash: *hash,
                    payload,
                };
                let d = sar::disclose(&stored, flags, &requester, author);
                let expected = pack_entry(&d, e.erasure.clone());
                if expected != *e {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} does not match the signed entry ({} differs)",
                        first_difference(e, &expected)
                    )));
                }
                // The map comparison ignores key order; the canonical form does not.
                if serde_json::to_string(&expected.fields).ok()
                    != serde_json::to_string(&e.fields).ok()
                {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} lists the fields in another order than the event's (it was edited)"
                    )));
                }
            }
        }
    }
    // 11. Complete: the requester's whole list, proved against the checkpoint's subject index,
    // is accounted for.
    let me = Named::Subject(requester.clone());
    let list = match b.complete.as_slice() {
        [c] if c.subject == me => &c.seqs,
        _ => {
            return Err(bad(format!(
                "{BUNDLE_JSON} must prove the list of {} complete, and no other subject's",
                r.subject
            )));
        }
    };
    let upto = b
        .complete_up_to
        .expect("a bundle that proves a list has an index checkpoint");
    let shown: BTreeSet<u64> = r.entries.iter().map(|e| e.seq).collect();
    // Every entry shown lies before the index checkpoint, in the part of the log the list covers.
    if let Some(n) = shown.iter().find(|s| **s >= upto) {
        return Err(bad(format!(
            "seq {n}: {REPORT_JSON} lists it, but it is not before the index checkpoint (seq {upto}) the list of {} is proved complete up to",
            r.subject
        )));
    }
    // Every entry the report shows before it is about the requester: in their list (so an
    // entry carried by hash only is proved to be theirs, not someone else's).
    let in_list: BTreeSet<u64> = list.iter().copied().collect();
    if let Some(n) = shown
        .iter()
        .filter(|s| **s < upto)
        .find(|s| !in_list.contains(s))
    {
        return Err(bad(format!(
            "seq {n}: {REPORT_JSON} lists it, but it is not about {} (the checkpoint's subject index does not list it)",
            r.subject
        )));
    }
    let mut after_held_at = Vec::new();
    for &n in list {
        if shown.contains(&n) {
            continue;
        }
        let Some(held) = r.held_at else {
            return Err(bad(format!(
                "seq {n} is about {} (the checkpoint's subject index lists it) but {REPORT_JSON} leaves it out",
                r.subject
            )));
        };
        // `recorded_at` never goes back along the log, so an entry carried in full says when
        // every entry before it and after it was recorded, at the latest and at the earliest.
        let held_by_then = full.range(n..).any(|(_, (e, _, _))| e.recorded_at <= held);
        if held_by_then {
            return Err(bad(format!(
                "seq {n} is about {} and was recorded by {held} (so was an entry the pack carries at or after it), but {REPORT_JSON} leaves it out",
                r.subject
            )));
        }
        let checked = full.range(..=n).any(|(_, (e, _, _))| e.recorded_at > held);
        after_held_at.push((n, checked));
        used.insert(n);
    }
    if let Some(extra) = full
        .keys()
        .chain(v.hash_only.keys())
        .find(|s| !used.contains(s))
    {
        return Err(bad(format!(
            "{BUNDLE_JSON} carries seq {extra}, which {REPORT_JSON} does not list"
        )));
    }
    // 13. The requests' clocks are what the request model makes of the entries listed in full
    // and the Redacted entries of their erasures (both checked above), at the checked instant.
    let requests = pack_requests(
        r.clock_seqs()
            .iter()
            .filter_map(|seq| full.get(seq))
            .map(|(entry, _, _)| {
                (
                    entry.seq,
                    entry.event.body.occurred_at,
                    &entry.event.body.event,
                )
            }),
        &requester,
        r.clocks_at(),
    );
    if requests != r.requests {
        return Err(bad(format!(
            "{REPORT_JSON}: its requests do not match what the request entries it lists show (it was edited)"
        )));
    }
    Ok(PackCheck {
        subject: r.subject,
        counts: r.summary,
        tree_size: b.tree_size,
        checkpoint_key: b.checkpoint_key,
        key_events: b.key_events,
        subject_entries: list.len(),
        complete_up_to: upto,
        after_held_at,
        checkpoint: b.checkpoint.clone(),
    })
}
