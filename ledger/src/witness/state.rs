//! The witness's state (one note per origin in a locked directory, checked and persisted atomically) and [`Witness`], which answers `add-checkpoint` bodies with it.

use super::*;

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

pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
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
