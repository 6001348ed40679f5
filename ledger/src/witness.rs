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

/// Something wrong with a witness's state directory.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "witness state directory {0} is in use by another witness process (it holds {LOCK_FILE}); one witness per state directory"
    )]
    Locked(PathBuf),
    #[error("witness state {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "witness state {}: {message}; restore the file from a backup (do not delete it: the witness would then cosign any checkpoint of that log as if it were the first)", path.display()
    )]
    Damaged { path: PathBuf, message: String },
    #[error(
        "witness state {0}: an earlier write failed, so this witness cosigns nothing more until it is restarted"
    )]
    Poisoned(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The state file name of `origin`: every byte outside `A-Z a-z 0-9 - .` (including `_`) is
/// written `_` and two lowercase hex digits, so distinct origins never share a file
/// (`igledger/1093…` is `igledger_2f1093….checkpoint`).
pub fn state_file_name(origin: &str) -> String {
    let mut s = String::with_capacity(origin.len() + STATE_SUFFIX.len());
    for b in origin.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            s.push(b as char);
        } else {
            s.push_str(&format!("_{b:02x}"));
        }
    }
    s.push_str(STATE_SUFFIX);
    s
}

/// A witness's state: for each origin, the latest checkpoint it cosigned (the note, with the log
/// signatures it verified and its own cosignature), one file per origin
/// ([`state_file_name`]). The process holds an exclusive `flock` on [`LOCK_FILE`] for as long
/// as the state is open, so two witness processes never share a directory; within a process,
/// [`WitnessState::check_and_persist`] runs under a mutex. A file is replaced atomically and
/// durably (a temporary file written and fsync'd, renamed over it, the directory fsync'd)
/// before the cosignature is returned, so the state is never older than a cosignature given out.
pub struct WitnessState {
    dir: PathBuf,
    /// Held for the lock; closed (and the lock released) on drop.
    _lock: File,
    /// Whether a write failed (nothing more is cosigned until the process restarts).
    poisoned: Mutex<bool>,
}

impl WitnessState {
    /// Opens (creating it if needed) the state directory `dir` and locks it.
    pub fn open(dir: &Path) -> Result<WitnessState, StateError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        // SAFETY: flock on a descriptor this function owns; no memory is passed.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = io::Error::last_os_error();
            return Err(if e.kind() == io::ErrorKind::WouldBlock {
                StateError::Locked(dir.to_path_buf())
            } else {
                StateError::Io {
                    path: lock_path,
                    source: e,
                }
            });
        }
        Ok(WitnessState {
            dir: dir.to_path_buf(),
            _lock: lock,
            poisoned: Mutex::new(false),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state file of `origin`.
    pub fn path_of(&self, origin: &str) -> PathBuf {
        self.dir.join(state_file_name(origin))
    }

    /// The latest checkpoint cosigned for `origin`, if any.
    pub fn latest(&self, origin: &str) -> Result<Option<SignedCheckpoint>, StateError> {
        let _guard = self.poisoned.lock().unwrap_or_else(|e| e.into_inner());
        self.read(origin)
    }

    fn read(&self, origin: &str) -> Result<Option<SignedCheckpoint>, StateError> {
        let path = self.path_of(origin);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e)),
        };
        let damaged = |message: String| StateError::Damaged {
            path: path.clone(),
            message,
        };
        let cp = SignedCheckpoint::parse(&text).map_err(|e| damaged(e.to_string()))?;
        if cp.checkpoint.origin != origin {
            return Err(damaged(format!(
                "it holds a checkpoint of {}, not of {origin}",
                cp.checkpoint.origin
            )));
        }
        Ok(Some(cp))
    }

    /// **Check and persist, atomically**: reads the latest checkpoint cosigned for `origin`,
    /// asks `f` for the next one, and if `f` gives one, replaces the state with it durably
    /// before returning it. Nothing else reads or writes the state meanwhile (the mutex, and the
    /// directory's lock against other processes), so two requests can never both be checked
    /// against the same state and the later write roll the earlier back. A failed write
    /// poisons the state: every later call fails until the process restarts (a failed fsync is
    /// never retried as if it had worked).
    pub fn check_and_persist<E>(
        &self,
        origin: &str,
        f: impl FnOnce(Option<&SignedCheckpoint>) -> Result<SignedCheckpoint, E>,
    ) -> Result<Result<SignedCheckpoint, E>, StateError> {
        let mut poisoned = self.poisoned.lock().unwrap_or_else(|e| e.into_inner());
        if *poisoned {
            return Err(StateError::Poisoned(self.dir.clone()));
        }
        let last = self.read(origin)?;
        let next = match f(last.as_ref()) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        assert_eq!(
            next.checkpoint.origin, origin,
            "a state file holds its own origin's checkpoint"
        );
        if let Err(e) = self.write(origin, next.to_text().as_bytes()) {
            *poisoned = true;
            return Err(e);
        }
        Ok(Ok(next))
    }

    fn write(&self, origin: &str, text: &[u8]) -> Result<(), StateError> {
        let path = self.path_of(origin);
        let tmp = self.dir.join(format!("{}.tmp", state_file_name(origin)));
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(text).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))
    }
}

/// A witness: its name and key, the log keys it trusts per origin, and its state.
pub struct Witness {
    name: String,
    key: SigningKey,
    logs: BTreeMap<String, Vec<PublicKey>>,
    state: WitnessState,
}

impl Witness {
    /// A witness named `name` (a signed-note key name) cosigning with `key` the checkpoints of
    /// the origins in `logs`, each signed by one of its keys.
    pub fn new(
        name: &str,
        key: SigningKey,
        logs: BTreeMap<String, Vec<PublicKey>>,
        state: WitnessState,
    ) -> Result<Witness, String> {
        if !note::is_key_name_valid(name) {
            return Err(format!(
                "witness name {name:?} is not a signed-note key name (non-empty, no spaces, no `+`)"
            ));
        }
        if logs.is_empty() {
            return Err("a witness needs at least one log (origin and key) to cosign".into());
        }
        Ok(Witness {
            name: name.to_string(),
            key,
            logs,
            state,
        })
    }

    /// The witness's verifier key (name, type 0x04, public key).
    pub fn vkey(&self) -> VerifierKey {
        VerifierKey::witness(&self.name, public_key(&self.key))
    }

    /// The witness's state.
    pub fn state(&self) -> &WitnessState {
        &self.state
    }

    /// Answers an `add-checkpoint` request body, cosigning at `now_unix` (Unix seconds): the
    /// statuses of tlog-witness, in its order (see the module documentation). On 200 the new
    /// state was persisted before this returns; the body is the cosignature line.
    pub fn add_checkpoint(&self, body: &[u8], now_unix: u64) -> Response {
        let req = match parse_request(body) {
            Ok(r) => r,
            Err(e) => return Response::text(400, e.to_string()),
        };
        let cp = &req.checkpoint.checkpoint;
        let Some(keys) = self.logs.get(&cp.origin) else {
            return Response::text(404, format!("unknown log origin {:?}", cp.origin));
        };
        let log_signatures = match check_log_signatures(&req.checkpoint, keys) {
            Ok(s) => s,
            Err(why) => return Response::text(403, why),
        };
        if now_unix == 0 || now_unix > i64::MAX as u64 {
            return Response::text(
                500,
                format!("the witness's clock reads {now_unix}: no timestamp to cosign with"),
            );
        }
        let mut why = String::new();
        let result = self.state.check_and_persist(&cp.origin, |last| {
            why = decide(last.map(|l| &l.checkpoint), req.old, cp, &req.proof)?;
            let mut next = SignedCheckpoint {
                checkpoint: cp.clone(),
                signatures: log_signatures,
            };
            next.cosign(&self.name, &self.key, now_unix);
            Ok::<_, Refusal>(next)
        });
        match result {
            // The details (paths, OS errors) go to the operator's log, not to the client.
            Err(e) => Response {
                summary: e.to_string(),
                ..Response::text(
                    500,
                    "the witness cannot use its state; its operator must look at its log",
                )
            },
            Ok(Err(refusal)) => {
                let mut r = refusal.response();
                r.summary = format!("{}: {}", cp.origin, r.summary);
                r
            }
            Ok(Ok(next)) => {
                let line = next
                    .signatures
                    .last()
                    .expect("the witness's cosignature was just added")
                    .to_line();
                Response {
                    status: 200,
                    content_type: CONTENT_TYPE_TEXT,
                    body: line.into_bytes(),
                    summary: format!("{}: cosigned {} entries: {why}", cp.origin, cp.size),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{Nodes, consistency_proof, leaf_hash_of, root};
    use std::collections::HashMap;

    /// An in-memory tree of `n` leaves, for proofs.
    struct Tree(HashMap<(u8, u64), Hash32>);

    impl Tree {
        fn new(leaves: &[&[u8]]) -> Tree {
            let mut m = HashMap::new();
            let mut level: Vec<Hash32> = leaves.iter().map(|d| leaf_hash_of(d)).collect();
            let mut l = 0u8;
            while !level.is_empty() {
                for (i, h) in level.iter().enumerate() {
                    m.insert((l, i as u64), *h);
                }
                level = level
                    .chunks(2)
                    .filter(|c| c.len() == 2)
                    .map(|c| merkle::node_hash(&c[0], &c[1]))
                    .collect();
                l += 1;
            }
            Tree(m)
        }
        fn root(&self, size: u64) -> Hash32 {
            root(self, size).unwrap()
        }
        fn proof(&self, old: u64, new: u64) -> Vec<Hash32> {
            consistency_proof(self, old, new).unwrap().unwrap()
        }
    }

    impl Nodes for Tree {
        type Error = ();
        fn node(&self, level: u8, index: u64) -> Result<Hash32, ()> {
            self.0.get(&(level, index)).copied().ok_or(())
        }
    }

    const ORIGIN: &str = "igledger/00000000000000000000000000000004";

    fn log_key() -> SigningKey {
        SigningKey::from_bytes(&[1; 32])
    }

    fn witness_key() -> SigningKey {
        SigningKey::from_bytes(&[2; 32])
    }

    fn signed(origin: &str, size: u64, root: Hash32, key: &SigningKey) -> SignedCheckpoint {
        let cp = Checkpoint {
            origin: origin.into(),
            size,
            root,
        };
        SignedCheckpoint::new(cp.clone(), cp.sign(key), &public_key(key))
    }

    fn witness(dir: &Path) -> Witness {
        let mut logs = BTreeMap::new();
        logs.insert(ORIGIN.to_string(), vec![public_key(&log_key())]);
        Witness::new(
            "partner.example/w1",
            witness_key(),
            logs,
            WitnessState::open(dir).unwrap(),
        )
        .unwrap()
    }

    /// A tree whose leaves are `tag` then the index, so two tags fork after `common` leaves.
    fn tree(n: usize, tag: &str, common: usize) -> Tree {
        let data: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                if i < common {
                    format!("leaf {i}").into_bytes()
                } else {
                    format!("{tag} leaf {i}").into_bytes()
                }
            })
            .collect();
        Tree::new(&data.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }

    fn add(w: &Witness, old: u64, proof: &[Hash32], cp: &SignedCheckpoint) -> Response {
        w.add_checkpoint(request_body(old, proof, cp).as_bytes(), 1_800_000_000)
    }

    fn body(r: &Response) -> String {
        String::from_utf8(r.body.clone()).unwrap()
    }

    #[test]
    fn request_round_trip_and_malformed_bodies() {
        let t = tree(9, "a", 9);
        let cp = signed(ORIGIN, 9, t.root(9), &log_key());
        let proof = t.proof(5, 9);
        let text = request_body(5, &proof, &cp);
        let back = parse_request(text.as_bytes()).unwrap();
        assert_eq!((back.old, &back.proof, &back.checkpoint), (5, &proof, &cp));
        let note = cp.to_text();
        for bad in [
            format!("old 05\n\n{note}"),
            format!("old -1\n\n{note}"),
            format!("old 5 \n\n{note}"),
            format!("new 5\n\n{note}"),
            format!("old 5\nnot base64\n\n{note}"),
            format!("old 5\nAAAA\n\n{note}"),
            format!("old 5\n{note}"),
            format!("old 5\r\n\r\n{note}"),
            format!("old 5\n\n{}", note.trim_end()),
            "old 5\n".to_string(),
            format!("old 0\n\n{}", note.replace("\n9\n", "\n09\n")),
            format!(
                "old 5\n{}\n{note}",
                format!("{}\n", note::hash_to_base64(&Hash32([1; 32]))).repeat(64)
            ),
        ] {
            assert!(parse_request(bad.as_bytes()).is_err(), "accepted {bad:?}");
        }
        assert!(parse_request(&[0xff, b'\n']).is_err());
        // 63 proof lines are allowed.
        let many = format!(
            "old 5\n{}\n{note}",
            format!("{}\n", note::hash_to_base64(&Hash32([1; 32]))).repeat(63)
        );
        assert_eq!(parse_request(many.as_bytes()).unwrap().proof.len(), 63);
    }

    #[test]
    fn decide_follows_the_spec_order() {
        let t = tree(9, "a", 9);
        let c = |n: u64| Checkpoint {
            origin: ORIGIN.into(),
            size: n,
            root: t.root(n),
        };
        // First checkpoint: old 0, no proof.
        assert!(decide(None, 0, &c(5), &[]).is_ok());
        assert!(matches!(
            decide(None, 0, &c(5), &[Hash32([0; 32])]),
            Err(Refusal::Inconsistent(_))
        ));
        assert_eq!(
            decide(None, 3, &c(5), &[]),
            Err(Refusal::Conflict { size: 0 })
        );
        assert!(matches!(
            decide(Some(&c(5)), 7, &c(5), &[]),
            Err(Refusal::BadRequest(_))
        ));
        // Rollback is a 400 with a message saying so.
        let Err(Refusal::BadRequest(m)) = decide(Some(&c(7)), 7, &c(5), &[]) else {
            panic!()
        };
        assert!(m.contains("ROLLBACK"), "{m}");
        assert_eq!(
            decide(Some(&c(5)), 3, &c(9), &t.proof(3, 9)),
            Err(Refusal::Conflict { size: 5 })
        );
        assert!(decide(Some(&c(5)), 5, &c(9), &t.proof(5, 9)).is_ok());
        assert!(decide(Some(&c(5)), 5, &c(5), &[]).is_ok());
        let mut other = c(5);
        other.root = Hash32([9; 32]);
        let Err(Refusal::Inconsistent(m)) = decide(Some(&c(5)), 5, &other, &[]) else {
            panic!()
        };
        assert!(m.contains("FORK"), "{m}");
        assert!(matches!(
            decide(Some(&c(5)), 5, &c(9), &t.proof(4, 9)),
            Err(Refusal::Inconsistent(_))
        ));
        // Size 0 must have the empty root.
        let empty = Checkpoint {
            origin: ORIGIN.into(),
            size: 0,
            root: EMPTY_ROOT,
        };
        assert!(decide(None, 0, &empty, &[]).is_ok());
        let mut bad_empty = empty.clone();
        bad_empty.root = Hash32([1; 32]);
        assert!(matches!(
            decide(None, 0, &bad_empty, &[]),
            Err(Refusal::Inconsistent(_))
        ));
        assert!(decide(Some(&empty), 0, &c(5), &[]).is_ok());
    }

    #[test]
    fn add_checkpoint_answers_every_status() {
        let tmp = tempfile::tempdir().unwrap();
        let w = witness(tmp.path());
        let vkey = w.vkey();
        let t = tree(12, "a", 12);
        let cp5 = signed(ORIGIN, 5, t.root(5), &log_key());

        // 400: malformed.
        let r = w.add_checkpoint(b"old 0\nno\n", 1);
        assert_eq!(r.status, 400, "{}", body(&r));
        // 404: unknown origin.
        let stranger = signed("example.com/log", 5, t.root(5), &log_key());
        assert_eq!(add(&w, 0, &[], &stranger).status, 404);
        // 403: no trusted signature; a trusted key's line that does not verify.
        let other = signed(ORIGIN, 5, t.root(5), &SigningKey::from_bytes(&[7; 32]));
        assert_eq!(add(&w, 0, &[], &other).status, 403);
        let mut broken = cp5.clone();
        broken.signatures[0].data[0] ^= 1;
        assert_eq!(add(&w, 0, &[], &broken).status, 403);
        let mut both = cp5.clone();
        both.signatures.push(broken.signatures[0].clone());
        assert_eq!(add(&w, 0, &[], &both).status, 403);
        // An unknown key's extra line is ignored.
        let mut extra = cp5.clone();
        extra.signatures.insert(0, other.signatures[0].clone());
        extra
            .signatures
            .push(signed("someone", 5, t.root(5), &log_key()).signatures[0].clone());
        // 400: old > size.
        assert_eq!(add(&w, 6, &[], &cp5).status, 400);
        // 409 before anything was cosigned: the size is 0.
        let r = add(&w, 3, &t.proof(3, 5), &cp5);
        assert_eq!(
            (r.status, r.content_type, body(&r).as_str()),
            (409, CONTENT_TYPE_SIZE, "0\n")
        );
        // 422: old 0 with a proof.
        assert_eq!(add(&w, 0, &t.proof(3, 5), &cp5).status, 422);
        // 200: first checkpoint.
        let r = add(&w, 0, &[], &extra);
        assert_eq!(r.status, 200, "{}", body(&r));
        let cos = cosignatures_in_answer(&cp5.checkpoint, &body(&r), &vkey).unwrap();
        assert_eq!(cos.len(), 1);
        assert_eq!(cos[0].time, 1_800_000_000);
        // The state holds the checkpoint with the verified log signature and the cosignature
        // only (the unknown keys' lines are dropped).
        let kept = w.state().latest(ORIGIN).unwrap().unwrap();
        assert_eq!(kept.signatures.len(), 2);
        assert!(kept.verify(&public_key(&log_key())));
        assert!(kept.cosignature_by(&vkey).is_some());
        // 409 with the size now cosigned.
        let cp9 = signed(ORIGIN, 9, t.root(9), &log_key());
        let r = add(&w, 0, &[], &cp9);
        assert_eq!((r.status, body(&r).as_str()), (409, "5\n"));
        // 422: same size, another root.
        let forked = tree(12, "b", 3);
        let fork5 = signed(ORIGIN, 5, forked.root(5), &log_key());
        assert_eq!(add(&w, 5, &[], &fork5).status, 422);
        // 422: a proof that does not verify (a fork after 3 entries).
        let fork9 = signed(ORIGIN, 9, forked.root(9), &log_key());
        assert_eq!(add(&w, 5, &forked.proof(5, 9), &fork9).status, 422);
        assert_eq!(add(&w, 5, &t.proof(4, 9), &cp9).status, 422);
        // 200: consistent; the same tree again is fine too.
        assert_eq!(add(&w, 5, &t.proof(5, 9), &cp9).status, 200);
        assert_eq!(add(&w, 9, &[], &cp9).status, 200);
        // Rollback: old 9 > size 5 is a 400, old 5 a 409.
        assert_eq!(add(&w, 9, &[], &cp5).status, 400);
        assert_eq!(add(&w, 5, &[], &cp5).status, 409);
        assert_eq!(
            w.state().latest(ORIGIN).unwrap().unwrap().checkpoint.size,
            9
        );
    }

    #[test]
    fn state_is_locked_named_injectively_and_survives_reopening() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tree(5, "a", 5);
        {
            let w = witness(tmp.path());
            assert!(matches!(
                WitnessState::open(tmp.path()),
                Err(StateError::Locked(_))
            ));
            let cp = signed(ORIGIN, 5, t.root(5), &log_key());
            assert_eq!(add(&w, 0, &[], &cp).status, 200);
        }
        // Released on drop; the state is there on reopening.
        let w = witness(tmp.path());
        let cp = signed(ORIGIN, 5, t.root(5), &log_key());
        assert_eq!(add(&w, 0, &[], &cp).status, 409);
        assert_eq!(
            state_file_name("igledger/ab_c.d"),
            "igledger_2fab_5fc.d.checkpoint"
        );
        assert_ne!(state_file_name("a/b"), state_file_name("a_b"));
        assert_ne!(state_file_name("a_2fb"), state_file_name("a/b"));
        // A damaged state file refuses, never restarts from nothing.
        std::fs::write(w.state().path_of(ORIGIN), "garbage").unwrap();
        assert_eq!(add(&w, 5, &[], &cp).status, 500);
    }

    #[test]
    fn a_failed_write_poisons_the_state() {
        let tmp = tempfile::tempdir().unwrap();
        let w = witness(tmp.path());
        let t = tree(5, "a", 5);
        let cp = signed(ORIGIN, 5, t.root(5), &log_key());
        // A directory where the temporary file goes makes the write fail.
        std::fs::create_dir(tmp.path().join(format!("{}.tmp", state_file_name(ORIGIN)))).unwrap();
        assert_eq!(add(&w, 0, &[], &cp).status, 500);
        std::fs::remove_dir(tmp.path().join(format!("{}.tmp", state_file_name(ORIGIN)))).unwrap();
        let r = add(&w, 0, &[], &cp);
        assert_eq!(r.status, 500);
        assert!(r.summary.contains("restarted"), "{}", r.summary);
        assert!(!body(&r).contains(tmp.path().to_str().unwrap()));
    }

    #[test]
    fn quorum_counts_valid_cosignatures_by_distinct_witnesses() {
        let t = tree(5, "a", 5);
        let mut cp = signed(ORIGIN, 5, t.root(5), &log_key());
        let (a, b) = (witness_key(), SigningKey::from_bytes(&[9; 32]));
        let va = VerifierKey::witness("a.example/w", public_key(&a));
        let vb = VerifierKey::witness("b.example/w", public_key(&b));
        cp.cosign("a.example/w", &a, 10);
        cp.cosign("a.example/w", &a, 11);
        let both = [va.clone(), vb.clone()];
        assert_eq!(check_quorum(&cp, &both, 1).unwrap(), vec!["a.example/w"]);
        let err = check_quorum(&cp, &both, 2).unwrap_err();
        assert!(
            err.contains("1 of the 2") && err.contains("b.example/w"),
            "{err}"
        );
        // The same key under another name is not that witness.
        let renamed = VerifierKey::witness("c.example/w", public_key(&a));
        assert!(check_quorum(&cp, &[renamed], 1).is_err());
        cp.cosign("b.example/w", &b, 12);
        assert_eq!(check_quorum(&cp, &both, 2).unwrap().len(), 2);
    }

    #[test]
    fn answers_keep_only_the_witness_cosignatures() {
        let t = tree(5, "a", 5);
        let cp = signed(ORIGIN, 5, t.root(5), &log_key());
        let wk = witness_key();
        let vkey = VerifierKey::witness("partner.example/w1", public_key(&wk));
        let mut c = cp.clone();
        c.cosign("partner.example/w1", &wk, 1_800_000_000);
        c.cosign("other.example/w", &SigningKey::from_bytes(&[8; 32]), 5);
        c.cosign("partner.example/w1", &wk, 0); // no timestamp
        let lines: String = c.signatures[1..].iter().map(|s| s.to_line()).collect();
        let got = cosignatures_in_answer(&cp.checkpoint, &lines, &vkey).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].time, 1_800_000_000);
        assert!(cosignatures_in_answer(&cp.checkpoint, "hello\n", &vkey).is_err());
        assert!(cosignatures_in_answer(&cp.checkpoint, "", &vkey).is_err());
    }
}
