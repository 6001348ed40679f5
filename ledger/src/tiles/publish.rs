//! Publishing: the latest recorded checkpoint, its hash tiles and entry bundles, written into a directory incrementally (published files never change), each file through a temporary file, fsync and rename, the `checkpoint` last.

use super::*;

/// What [`publish`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishReport {
    /// The checkpoint published (the ledger's latest recorded one, with its cosignatures).
    pub checkpoint: SignedCheckpoint,
    /// The size of the checkpoint the directory held before, if any.
    pub old_size: Option<u64>,
    /// Hash tiles written, and those already there (identical).
    pub tiles_written: u64,
    pub tiles_unchanged: u64,
    /// Entry bundles written, and those already there (identical).
    pub bundles_written: u64,
    pub bundles_unchanged: u64,
    /// Whether the `checkpoint` file was (re)written (false: it was already this note).
    pub checkpoint_written: bool,
}

/// Why [`publish`] refused or failed. Nothing is written when it refuses before writing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("ledger {} has no recorded checkpoint to publish: sign one, then publish", .0.display())]
    NoCheckpoint(PathBuf),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    /// The directory holds something publishing must not overwrite or extend.
    #[error("{}: {message}", path.display())]
    Refused { path: PathBuf, message: String },
    /// The ledger's stored entries do not give its own checkpoint's root.
    #[error("ledger {}: {message}; nothing was published", ledger.display())]
    Damaged { ledger: PathBuf, message: String },
}

impl PublishError {
    /// What to do about it, and the ledger it concerns ([`LedgerError::remedy`]).
    pub fn remedy(&self) -> Option<(Remedy, Option<&Path>)> {
        match self {
            PublishError::NoCheckpoint(ledger) => Some((Remedy::Checkpoint, Some(ledger))),
            PublishError::Damaged { ledger, .. } => Some((Remedy::Verify, Some(ledger))),
            PublishError::Ledger(e) => e.remedy(),
            PublishError::Io { .. } | PublishError::Refused { .. } => None,
        }
    }
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PublishError + '_ {
    move |error| PublishError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Publishes the ledger's latest recorded checkpoint (with the witness cosignatures its
/// `CheckpointRecorded` entry carries) to `dir` as a tlog-tiles log.
///
/// Refuses, writing nothing, when the ledger has no checkpoint; when `dir` holds a checkpoint of
/// another origin, of more entries, or of a root this ledger's entries do not give at its size
/// (a fork); when a file `dir` already holds differs from what igl would write there; when `dir`
/// holds other files and no checkpoint; and when the entries do not give the checkpoint's root
/// (damage: run `igl verify`). Everything is checked first (one pass over the entry hashes), then
/// written (a second pass): missing files through a temporary file, fsync and rename, identical
/// ones left alone; then the directories are fsynced, the root is computed again from the tiles
/// as written, and the `checkpoint` is replaced atomically, last. `progress` counts entries over
/// both passes (up to twice the checkpoint's size).
pub fn publish(
    ledger: &Ledger,
    dir: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<PublishReport, PublishError> {
    let cp = ledger
        .latest_checkpoint()?
        .ok_or_else(|| PublishError::NoCheckpoint(ledger.path().to_path_buf()))?;
    let size = cp.checkpoint.size;
    publish_checkpoint(
        &cp,
        dir,
        ledger.path(),
        &mut || Box::new(entry_hashes(ledger, size)),
        progress,
    )
}

/// The entry hashes of a tree, in order.
pub type Hashes<'a> = Box<dyn Iterator<Item = Result<Hash32, PublishError>> + 'a>;

/// The entry hashes `0..size`, computed from the stored entry bytes (no decoding, no payloads).
pub(super) fn entry_hashes(
    ledger: &Ledger,
    size: u64,
) -> impl Iterator<Item = Result<Hash32, PublishError>> {
    let mut rows = ledger.iter_from(cf::ENTRIES, &seq_key(0));
    let damaged = |message: String| PublishError::Damaged {
        ledger: ledger.path().to_path_buf(),
        message,
    };
    (0..size).map(move |i| match rows.next() {
        None => Err(damaged(format!(
            "entry {i} is missing (the checkpoint covers {size})"
        ))),
        Some(Err(e)) => Err(e.into()),
        Some(Ok((k, v))) => match key_seq(&k) {
            Some(s) if s == i => Ok(entry_hash(&v)),
            _ => Err(damaged(format!(
                "entry {i} is missing (the next stored key is {})",
                hex::encode(&k)
            ))),
        },
    })
}

/// Counts what the write pass did.
#[derive(Default)]
pub(super) struct Counts {
    tiles_written: u64,
    tiles_unchanged: u64,
    bundles_written: u64,
    bundles_unchanged: u64,
}

/// [`publish`] for a checkpoint whose tree's entry hashes `hashes()` yields (in order, each call
/// from the first: it is called once per pass); `ledger` names where they come from, for
/// messages. For publishing without a [`Ledger`] handle, and for tests.
pub fn publish_checkpoint<'a>(
    cp: &SignedCheckpoint,
    dir: &Path,
    ledger: &Path,
    hashes: &mut dyn FnMut() -> Hashes<'a>,
    progress: &mut dyn FnMut(u64),
) -> Result<PublishReport, PublishError> {
    // One publisher at a time: an exclusive `flock` on the directory itself (no file is added
    // to what is served), so two runs cannot interleave and leave an older `checkpoint` last.
    let created = !dir.exists();
    if created {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let lock = File::open(dir).map_err(io_err(dir))?;
    // SAFETY: flock on a descriptor this function owns; no memory is passed.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = io::Error::last_os_error();
        return Err(if e.kind() == io::ErrorKind::WouldBlock {
            PublishError::Refused {
                path: dir.to_path_buf(),
                message: "another process is publishing to this directory; nothing was written"
                    .into(),
            }
        } else {
            io_err(dir)(e)
        });
    }
    let result = publish_locked(cp, dir, ledger, hashes, progress);
    if result.is_err() && created {
        // Nothing was published: leave no empty directory behind (fails harmlessly if not empty).
        let _ = fs::remove_dir(dir);
    }
    drop(lock);
    result
}

pub(super) fn publish_locked<'a>(
    cp: &SignedCheckpoint,
    dir: &Path,
    ledger: &Path,
    hashes: &mut dyn FnMut() -> Hashes<'a>,
    progress: &mut dyn FnMut(u64),
) -> Result<PublishReport, PublishError> {
    let size = cp.checkpoint.size;
    let refused = |path: &Path, message: String| PublishError::Refused {
        path: path.to_path_buf(),
        message,
    };
    // What the directory holds already.
    let cp_path = dir.join(CHECKPOINT_PATH);
    let old = match fs::read(&cp_path) {
        Ok(b) => {
            let text = String::from_utf8(b).map_err(|_| {
                refused(
                    &cp_path,
                    "is not a checkpoint (not UTF-8 text); publish into a new or empty directory"
                        .into(),
                )
            })?;
            let old = SignedCheckpoint::parse(&text).map_err(|e| {
                refused(
                    &cp_path,
                    format!("is not a checkpoint ({e}); publish into a new or empty directory"),
                )
            })?;
            Some((old, text))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(&cp_path)(e)),
    };
    if let Some((o, _)) = &old {
        let o = &o.checkpoint;
        if o.origin != cp.checkpoint.origin {
            return Err(refused(
                &cp_path,
                format!(
                    "holds the checkpoint of another log ({}, not {}): publish each ledger into its own directory",
                    o.origin, cp.checkpoint.origin
                ),
            ));
        }
        if o.size > size {
            return Err(refused(
                &cp_path,
                format!(
                    "holds a checkpoint of {} entries, more than this ledger's latest checkpoint ({size}): it was published from a newer copy of the ledger, or from a forked history; nothing was written",
                    o.size
                ),
            ));
        }
    } else {
        check_unused(dir)?;
    }
    let old_size = old.as_ref().map(|(o, _)| o.checkpoint.size);

    // Exactly `size` entry hashes each pass (too few is an error, never a shorter tree).
    let mut hashes = || {
        let mut it = hashes();
        (0..size).map(move |i| {
            it.next().unwrap_or_else(|| {
                Err(PublishError::Damaged {
                    ledger: ledger.to_path_buf(),
                    message: format!("entry {i} is missing (the checkpoint covers {size})"),
                })
            })
        })
    };

    // Pass 1: check everything, write nothing.
    let mut frontier = Frontier::default();
    let mut old_root = (old_size == Some(0)).then_some(merkle::EMPTY_ROOT);
    let mut check = |tile: &Tile, bytes: &[u8]| -> Result<(), PublishError> {
        same_or_absent(dir, tile, bytes)?;
        if tile.level == Some(0) {
            for h in bytes.chunks_exact(HASH_SIZE) {
                frontier.push(Hash32(h.try_into().expect("32 bytes")));
                if Some(frontier.size()) == old_size {
                    old_root = frontier.root();
                }
            }
        }
        Ok(())
    };
    walk(size, hashes(), &mut check, progress)?;
    let root = frontier.root().unwrap_or(merkle::EMPTY_ROOT);
    if root != cp.checkpoint.root {
        return Err(PublishError::Damaged {
            ledger: ledger.to_path_buf(),
            message: format!(
                "its stored entries give the Merkle root {root} at {size} entries, not the root {} its checkpoint signed",
                cp.checkpoint.root
            ),
        });
    }
    if let Some((o, _)) = &old
        && old_root != Some(o.checkpoint.root)
    {
        return Err(refused(
            &cp_path,
            format!(
                "holds a checkpoint of {} entries whose root is not this ledger's root at that size: a forked history (or a restored older copy) was published here; nothing was written",
                o.checkpoint.size
            ),
        ));
    }

    // Pass 2: write what is missing.
    let mut counts = Counts::default();
    let mut dirty = BTreeSet::new();
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        dirty.insert(match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        });
    }
    let mut write = |tile: &Tile, bytes: &[u8]| -> Result<(), PublishError> {
        let wrote = if same_or_absent(dir, tile, bytes)? {
            false
        } else {
            write_file(dir, &tile.path(), bytes, &mut dirty)?;
            true
        };
        let n = match (tile.level.is_some(), wrote) {
            (true, true) => &mut counts.tiles_written,
            (true, false) => &mut counts.tiles_unchanged,
            (false, true) => &mut counts.bundles_written,
            (false, false) => &mut counts.bundles_unchanged,
        };
        *n += 1;
        Ok(())
    };
    walk(size, hashes(), &mut write, &mut |n| progress(size + n))?;
    for d in dirty.iter().rev() {
        sync_dir(d)?;
    }

    // The tiles as written must give the checkpoint's root; then the checkpoint, last.
    let tiles_root = root_from_tiles(&DirSource::new(dir), size, size).map_err(|e| {
        refused(
            &dir.join(e.path()),
            format!("{}; the checkpoint was not published", e.message()),
        )
    })?;
    if tiles_root != cp.checkpoint.root {
        return Err(refused(
            dir,
            format!(
                "the tiles written give the root {tiles_root}, not the checkpoint's {}; the checkpoint was not published",
                cp.checkpoint.root
            ),
        ));
    }
    let text = cp.to_text();
    let checkpoint_written = old.as_ref().is_none_or(|(_, t)| *t != text);
    if checkpoint_written {
        write_file(dir, CHECKPOINT_PATH, text.as_bytes(), &mut BTreeSet::new())?;
        sync_dir(dir)?;
    }
    Ok(PublishReport {
        checkpoint: cp.clone(),
        old_size,
        tiles_written: counts.tiles_written,
        tiles_unchanged: counts.tiles_unchanged,
        bundles_written: counts.bundles_written,
        bundles_unchanged: counts.bundles_unchanged,
        checkpoint_written,
    })
}

/// A directory without a published checkpoint may hold only `tile/` (a first publish that
/// stopped before its checkpoint) and leftover temporary files.
pub(super) fn check_unused(dir: &Path) -> Result<(), PublishError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for e in entries {
        let e = e.map_err(io_err(dir))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name != "tile" && !name.starts_with('.') {
            return Err(PublishError::Refused {
                path: dir.to_path_buf(),
                message: format!(
                    "is not empty ({name}) and holds no published checkpoint: publish into a new or empty directory, or one igl published to before"
                ),
            });
        }
    }
    Ok(())
}

/// `Ok(true)` when the file is there with exactly `bytes`, `Ok(false)` when absent; refused when
/// it holds anything else (published files are immutable).
pub(super) fn same_or_absent(dir: &Path, tile: &Tile, bytes: &[u8]) -> Result<bool, PublishError> {
    let path = dir.join(tile.path());
    match fs::read(&path) {
        Ok(b) if b == bytes => Ok(true),
        Ok(_) => Err(PublishError::Refused {
            path,
            message: format!(
                "already holds a different {}: the directory holds another log or a forked history, and a published tile never changes; nothing was written (publish into a new directory)",
                if tile.level.is_some() {
                    "tile"
                } else {
                    "entry bundle"
                }
            ),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(&path)(e)),
    }
}

/// Writes `dir/rel` through a temporary file beside it (created exclusively), fsynced, then
/// renamed into place; records the directories whose entries changed (to fsync before the
/// checkpoint).
pub(super) fn write_file(
    dir: &Path,
    rel: &str,
    bytes: &[u8],
    dirty: &mut BTreeSet<PathBuf>,
) -> Result<(), PublishError> {
    let path = dir.join(rel);
    let parent = path.parent().expect("a file in the directory");
    if !parent.is_dir() {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let mut d = parent;
    while d.starts_with(dir) {
        dirty.insert(d.to_path_buf());
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    let name = path.file_name().expect("a file name").to_string_lossy();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&path)(e));
    }
    Ok(())
}

pub(super) fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}
