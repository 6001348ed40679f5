//! Publishing the ledger as a C2SP **tlog-tiles** log, and checking a published one.
//!
//! The published log is a directory any static web server can serve (`schema/FORMAT.md`,
//! *Published tiles*):
//!
//! ```text
//! checkpoint                      the latest recorded checkpoint, a signed note (mutable)
//! tile/<L>/<N>[.p/<W>]            hash tiles: 256 (or W) 32-byte hashes at level L
//! tile/entries/<N>[.p/<W>]        entry bundles: 256 (or W) entries, u16 BE length + data
//! ```
//!
//! The leaf data of entry `i` is its 32-byte entry hash (never its content or personal data), so
//! its leaf hash is [`merkle::leaf_hash`] and every bundle entry is `00 20` followed by 32 bytes.
//! Tile `n` of level `l` holds, for `i` in `0..256`, `MTH(D[(n·256+i)·256^l : (n·256+i+1)·256^l])`:
//! level-0 tiles hold leaf hashes, and each hash of a level-`l` tile is the Merkle hash of a full
//! tile of level `l−1` (8 levels of [`merkle::node_hash`] over its 256 hashes). The partial tile
//! of level `l` of a tree of `s` leaves holds `⌊s / 256^l⌋ mod 256` hashes; empty tiles are never
//! written.
//!
//! [`publish`] writes the ledger's latest recorded checkpoint and the tiles and bundles of its
//! tree, incrementally (full tiles and bundles, and partial ones too, since their paths carry
//! their width, are immutable: an existing file is kept when identical and refused when not),
//! every file through a temporary file, fsync and rename, and the `checkpoint` last.
//! [`verify_published`] checks a published log from any [`TileSource`] (a directory here; the
//! binary adds HTTP), streaming tile by tile.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use igl_schema::note::{SignedCheckpoint, VerifierKey};
use igl_schema::{Hash32, PublicKey, entry_hash};

use crate::error::{LedgerError, Remedy};
use crate::merkle::{self, Frontier, Nodes};
use crate::store::{Ledger, cf, key_seq, seq_key};

/// Hashes in a full tile, and entries in a full bundle.
pub const TILE_WIDTH: u64 = 256;
/// Bytes of one hash.
pub const HASH_SIZE: usize = 32;
/// Levels of the Merkle tree one tile spans.
pub const TILE_HEIGHT: u32 = 8;
/// The path of the signed checkpoint.
pub const CHECKPOINT_PATH: &str = "checkpoint";
/// The most a [`TileSource`] reads of one resource: a source returns at most this many bytes
/// plus one, so that anything longer is seen to be too long (igl's largest resource, a full
/// bundle, is 8,704 bytes).
pub const MAX_RESOURCE_BYTES: u64 = 1 << 20;
/// The highest tile level: 256^8 = 2^64 leaves.
const MAX_LEVEL: u8 = 7;

/// A resource of the published log: a hash tile or an entry bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tile {
    /// `Some(level)` for a hash tile, `None` for an entry bundle.
    pub level: Option<u8>,
    /// Its index within the level.
    pub index: u64,
    /// How many hashes (or entries) it holds: 256 for a full tile, 1..=255 for a partial one.
    pub width: u64,
}

impl Tile {
    /// Hash tile `index` of `level`, of `width` hashes.
    pub fn hashes(level: u8, index: u64, width: u64) -> Tile {
        debug_assert!((1..=TILE_WIDTH).contains(&width) && level <= MAX_LEVEL);
        Tile {
            level: Some(level),
            index,
            width,
        }
    }

    /// Entry bundle `index`, of `width` entries.
    pub fn entries(index: u64, width: u64) -> Tile {
        debug_assert!((1..=TILE_WIDTH).contains(&width));
        Tile {
            level: None,
            index,
            width,
        }
    }

    /// Whether it holds 256 hashes (or entries).
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Its path: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let level = match self.level {
            Some(l) => l.to_string(),
            None => "entries".to_string(),
        };
        let partial = if self.is_full() {
            String::new()
        } else {
            format!(".p/{}", self.width)
        };
        format!("tile/{level}/{}{partial}", index_path(self.index))
    }

    /// Its length in bytes: 32 per hash (a hash tile), 34 per entry (a bundle of entry hashes).
    pub fn byte_len(&self) -> u64 {
        match self.level {
            Some(_) => self.width * HASH_SIZE as u64,
            None => self.width * (2 + HASH_SIZE as u64),
        }
    }
}

/// The tile index `N` as path elements: zero-padded 3-digit groups, all but the last prefixed
/// with `x` (1234067 → `x001/x234/067`).
pub fn index_path(n: u64) -> String {
    let mut s = format!("{:03}", n % 1000);
    let mut rest = n / 1000;
    while rest > 0 {
        s = format!("x{:03}/{s}", rest % 1000);
        rest /= 1000;
    }
    s
}

/// The path of hash tile `index` of `level`, `width` hashes wide.
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    Tile::hashes(level, index, width).path()
}

/// The path of entry bundle `index`, `width` entries wide.
pub fn bundle_path(index: u64, width: u64) -> String {
    Tile::entries(index, width).path()
}

/// `size / 256^level`: how many complete subtrees of `256^level` leaves a tree of `size` has
/// (the hashes of level `level`, over its full and partial tiles).
pub fn level_hashes(size: u64, level: u8) -> u64 {
    let bits = TILE_HEIGHT * u32::from(level);
    if bits >= 64 { 0 } else { size >> bits }
}

/// The number of full tiles of `level` in a tree of `size` leaves.
pub fn full_tiles(size: u64, level: u8) -> u64 {
    level_hashes(size, level) / TILE_WIDTH
}

/// The width of the partial tile of `level` in a tree of `size` leaves (0: there is none).
pub fn partial_width(size: u64, level: u8) -> u64 {
    level_hashes(size, level) % TILE_WIDTH
}

/// The width of tile `index` of `level` in a tree of `size` leaves (`None`: it is empty there).
pub fn tile_width(size: u64, level: u8, index: u64) -> Option<u64> {
    let n = level_hashes(size, level);
    let start = index.checked_mul(TILE_WIDTH)?;
    if start >= n {
        None
    } else {
        Some((n - start).min(TILE_WIDTH))
    }
}

/// Every hash tile of a tree of `size` leaves, level by level (full tiles, then the partial one).
pub fn tiles_of(size: u64) -> impl Iterator<Item = Tile> {
    (0..=MAX_LEVEL)
        .take_while(move |&l| level_hashes(size, l) > 0)
        .flat_map(move |l| {
            let full = (0..full_tiles(size, l)).map(move |n| Tile::hashes(l, n, TILE_WIDTH));
            let w = partial_width(size, l);
            let partial = (w > 0).then(|| Tile::hashes(l, full_tiles(size, l), w));
            full.chain(partial)
        })
}

/// Every entry bundle of a tree of `size` leaves (full ones, then the partial one).
pub fn bundles_of(size: u64) -> impl Iterator<Item = Tile> {
    let full = size / TILE_WIDTH;
    let w = size % TILE_WIDTH;
    (0..full)
        .map(|n| Tile::entries(n, TILE_WIDTH))
        .chain((w > 0).then(|| Tile::entries(full, w)))
}

/// The Merkle hash of a complete subtree whose `2^k` leaves (or lower hashes) are `hashes`.
pub fn subtree_hash(hashes: &[Hash32]) -> Hash32 {
    assert!(
        hashes.len().is_power_of_two(),
        "a complete subtree has 2^k hashes"
    );
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| merkle::node_hash(&p[0], &p[1]))
            .collect();
    }
    level[0]
}

fn concat(hashes: &[Hash32]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// The bytes of an entry bundle of these entry hashes.
pub fn bundle_bytes(entry_hashes: &[Hash32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entry_hashes.len() * (2 + HASH_SIZE));
    for h in entry_hashes {
        out.extend_from_slice(&(HASH_SIZE as u16).to_be_bytes());
        out.extend_from_slice(&h.0);
    }
    out
}

/// Receives each tile (or bundle) and its bytes.
type Emit<'a, E> = dyn FnMut(&Tile, &[u8]) -> Result<(), E> + 'a;

/// Builds the hash tiles from the leaf hashes, in order, holding at most 255 pending hashes per
/// level: each full tile is emitted as soon as it is complete (then its hash goes up a level),
/// the partial tiles at the end.
#[derive(Default)]
struct Builder {
    /// Per level: the hashes of the tile being filled.
    pending: Vec<Vec<Hash32>>,
    /// Per level: the full tiles emitted so far.
    full: Vec<u64>,
}

impl Builder {
    fn add<E>(&mut self, level: u8, hash: Hash32, emit: &mut Emit<'_, E>) -> Result<(), E> {
        let l = usize::from(level);
        if self.pending.len() <= l {
            self.pending.resize_with(l + 1, Vec::new);
            self.full.resize(l + 1, 0);
        }
        self.pending[l].push(hash);
        if self.pending[l].len() as u64 == TILE_WIDTH {
            let tile = Tile::hashes(level, self.full[l], TILE_WIDTH);
            emit(&tile, &concat(&self.pending[l]))?;
            self.full[l] += 1;
            let up = subtree_hash(&self.pending[l]);
            self.pending[l].clear();
            self.add(level + 1, up, emit)?;
        }
        Ok(())
    }

    fn finish<E>(self, emit: &mut Emit<'_, E>) -> Result<(), E> {
        for (l, hashes) in self.pending.iter().enumerate() {
            if !hashes.is_empty() {
                let tile = Tile::hashes(l as u8, self.full[l], hashes.len() as u64);
                emit(&tile, &concat(hashes))?;
            }
        }
        Ok(())
    }
}

/// Streams a tree's bundles and tiles to `emit`: each bundle, then its level-0 tile when full
/// and any tile above that it completes; the partial tiles last, by level. `hashes` yields the
/// entry hashes `0..size` in order.
fn walk<E>(
    size: u64,
    mut hashes: impl Iterator<Item = Result<Hash32, E>>,
    emit: &mut Emit<'_, E>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), E> {
    let mut builder = Builder::default();
    let mut chunk = Vec::with_capacity(TILE_WIDTH as usize);
    for bundle in bundles_of(size) {
        chunk.clear();
        for _ in 0..bundle.width {
            chunk.push(hashes.next().expect("the caller yields `size` hashes")?);
        }
        emit(&bundle, &bundle_bytes(&chunk))?;
        for h in &chunk {
            builder.add(0, merkle::leaf_hash(h), emit)?;
        }
        progress(bundle.index * TILE_WIDTH + bundle.width);
    }
    builder.finish(emit)
}

// ------------------------------------------------------------------------------------------
// Reading tiles

/// Where a published log is read from: a directory, or (in the binary) an HTTP prefix.
pub trait TileSource {
    /// The resource at `path` (relative to the log's prefix, e.g. `tile/0/000`): `Ok(None)` when
    /// it does not exist (HTTP 404), `Err` when it cannot be read. A source reads at most
    /// [`MAX_RESOURCE_BYTES`] + 1 bytes.
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String>;
    /// What it reads from, for messages (a directory, a URL prefix).
    fn describe(&self) -> String;
}

/// A published log in a local directory.
pub struct DirSource {
    dir: PathBuf,
}

impl DirSource {
    pub fn new(dir: &Path) -> DirSource {
        DirSource {
            dir: dir.to_path_buf(),
        }
    }
}

impl TileSource for DirSource {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let p = self.dir.join(path);
        let f = match File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let mut out = Vec::new();
        f.take(MAX_RESOURCE_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?;
        Ok(Some(out))
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }
}

/// Where a resource is, for messages: the source's description joined with the path.
fn location(src: &dyn TileSource, path: &str) -> String {
    let d = src.describe();
    format!("{}/{path}", d.trim_end_matches('/'))
}

/// What is wrong with a published log, or why it could not be read. Each names the resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishedError {
    /// The published log does not check out (a verification failure): a resource is missing or
    /// does not hold what the others and the signed checkpoint imply.
    #[error("{location}: {message}")]
    Invalid {
        /// The resource, relative to the log's prefix (`checkpoint`, `tile/0/000`, …).
        path: String,
        /// The same, joined with the source's directory or URL.
        location: String,
        message: String,
    },
    /// A resource could not be read (an IO or network error): nothing was judged.
    #[error("{location}: cannot be read: {message}")]
    Unavailable {
        path: String,
        location: String,
        message: String,
    },
}

impl PublishedError {
    /// A verification failure of the resource at `path` of `src`.
    pub fn invalid(src: &dyn TileSource, path: &str, message: impl Into<String>) -> Self {
        PublishedError::Invalid {
            path: path.to_string(),
            location: location(src, path),
            message: message.into(),
        }
    }

    /// The resource it names, relative to the log's prefix.
    pub fn path(&self) -> &str {
        match self {
            PublishedError::Invalid { path, .. } | PublishedError::Unavailable { path, .. } => path,
        }
    }

    /// What is wrong (without the location).
    pub fn message(&self) -> &str {
        match self {
            PublishedError::Invalid { message, .. }
            | PublishedError::Unavailable { message, .. } => message,
        }
    }
}

/// Fetches a resource that must exist.
fn fetch(src: &dyn TileSource, path: &str, what: &str) -> Result<Vec<u8>, PublishedError> {
    match src.get(path) {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(PublishedError::invalid(
            src,
            path,
            format!("missing: the checkpoint's tree needs this {what}"),
        )),
        Err(message) => Err(PublishedError::Unavailable {
            path: path.to_string(),
            location: location(src, path),
            message,
        }),
    }
}

/// The tree's complete subtrees, read from the hash tiles of a tree of `size` leaves (each tile
/// fetched once in a row; [`merkle::root`] asks for O(log n) of them).
struct TileNodes<'a> {
    src: &'a dyn TileSource,
    size: u64,
    last: std::cell::RefCell<Option<(Tile, Vec<Hash32>)>>,
}

impl TileNodes<'_> {
    fn tile(&self, tile: Tile) -> Result<Vec<Hash32>, PublishedError> {
        if let Some((t, h)) = &*self.last.borrow()
            && *t == tile
        {
            return Ok(h.clone());
        }
        let path = tile.path();
        let bytes = fetch(self.src, &path, "tile")?;
        if bytes.len() as u64 != tile.byte_len() {
            return Err(PublishedError::invalid(
                self.src,
                &path,
                format!(
                    "is {} bytes; a tile of {} hashes is {} bytes",
                    bytes.len(),
                    tile.width,
                    tile.byte_len()
                ),
            ));
        }
        let hashes: Vec<Hash32> = bytes
            .chunks_exact(HASH_SIZE)
            .map(|c| Hash32(c.try_into().expect("32 bytes")))
            .collect();
        *self.last.borrow_mut() = Some((tile, hashes.clone()));
        Ok(hashes)
    }
}

impl Nodes for TileNodes<'_> {
    type Error = PublishedError;
    fn node(&self, level: u8, index: u64) -> Result<Hash32, PublishedError> {
        let tile_level = level / TILE_HEIGHT as u8;
        let k = level % TILE_HEIGHT as u8;
        let first = index << k;
        let n = first / TILE_WIDTH;
        let width = tile_width(self.size, tile_level, n)
            .expect("the tree asks only for subtrees inside it");
        let hashes = self.tile(Tile::hashes(tile_level, n, width))?;
        let start = (first % TILE_WIDTH) as usize;
        Ok(subtree_hash(&hashes[start..start + (1usize << k)]))
    }
}

/// The root of the tree of the first `size` leaves, from the hash tiles of the tree of
/// `tree_size >= size` leaves (`merkle::EMPTY_ROOT` for 0): a smaller tree's complete subtrees
/// are all in the bigger tree's tiles.
fn root_from_tiles(
    src: &dyn TileSource,
    tree_size: u64,
    size: u64,
) -> Result<Hash32, PublishedError> {
    assert!(size <= tree_size);
    if size == 0 {
        return Ok(merkle::EMPTY_ROOT);
    }
    let nodes = TileNodes {
        src,
        size: tree_size,
        last: Default::default(),
    };
    merkle::root(&nodes, size)
}

// ------------------------------------------------------------------------------------------
// Verifying a published log

/// What [`verify_published`] checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedReport {
    /// The checkpoint as published.
    pub checkpoint: SignedCheckpoint,
    /// The names of the given witnesses whose cosignature is on it.
    pub cosigners: Vec<String>,
    /// Entry bundles checked (full and partial).
    pub bundles: u64,
    /// Hash tiles checked (full and partial, every level).
    pub tiles: u64,
}

/// Checks a published log: its `checkpoint` is signed by `log_key` (as its origin) and cosigned
/// by at least `quorum` of `witnesses`; every entry bundle of the checkpoint's tree (full ones and
/// the final partial one) holds exactly its entries, each 32 bytes of leaf data; the level-0
/// tiles are exactly the leaf hashes of the bundles' entries, and every higher tile exactly the
/// Merkle hashes of the full tiles below; and the root of the bundles' leaf hashes, computed as
/// they are read (never from a second fetch), is the checkpoint's. Reads each resource once,
/// holding one bundle and the tiles it completes at a time (memory bounded by a tile per level).
/// `progress` gets (entries checked, tree size).
pub fn verify_published(
    src: &dyn TileSource,
    log_key: &PublicKey,
    witnesses: &[VerifierKey],
    quorum: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PublishedReport, PublishedError> {
    let bytes = fetch(src, CHECKPOINT_PATH, "signed checkpoint")?;
    let bad = |m: String| PublishedError::invalid(src, CHECKPOINT_PATH, m);
    let text = String::from_utf8(bytes).map_err(|_| bad("is not UTF-8 text".into()))?;
    let cp = SignedCheckpoint::parse(&text).map_err(|e| bad(e.to_string()))?;
    if !cp.verify(log_key) {
        return Err(bad(format!(
            "is not signed by the trusted key {} (as {}): another log's checkpoint, or altered",
            log_key.short(),
            cp.checkpoint.origin
        )));
    }
    let cosigners: Vec<String> = cp
        .cosigners(witnesses)
        .into_iter()
        .map(|w| w.name.clone())
        .collect();
    if cosigners.len() < quorum {
        return Err(bad(format!(
            "cosigned by {} of the {} witnesses given{}; {quorum} needed",
            cosigners.len(),
            witnesses.len(),
            if cosigners.is_empty() {
                String::new()
            } else {
                format!(" ({})", cosigners.join(", "))
            }
        )));
    }
    let size = cp.checkpoint.size;
    let (mut bundles, mut tiles) = (0u64, 0u64);
    let mut builder = Builder::default();
    let mut compare = |tile: &Tile, expected: &[u8]| -> Result<(), PublishedError> {
        let path = tile.path();
        let got = fetch(src, &path, "tile")?;
        tiles += 1;
        compare_tile(src, &path, tile, &got, expected)
    };
    // The root is computed from the bundles' leaf hashes as they are read (a frontier, O(log n)
    // memory), never from a second fetch of the tiles: a server that answers a second request
    // differently (or a cache holding two versions) cannot make checked tiles and the signed root
    // come from two different trees.
    let mut frontier = merkle::Frontier::default();
    for bundle in bundles_of(size) {
        let path = bundle.path();
        let got = fetch(src, &path, "entry bundle")?;
        let hashes =
            parse_bundle(&got, bundle.width).map_err(|m| PublishedError::invalid(src, &path, m))?;
        bundles += 1;
        for h in &hashes {
            let leaf = merkle::leaf_hash(h);
            frontier.push(leaf);
            builder.add(0, leaf, &mut compare)?;
        }
        progress(bundle.index * TILE_WIDTH + bundle.width, size);
    }
    builder.finish(&mut compare)?;
    let root = frontier.root().unwrap_or(merkle::EMPTY_ROOT);
    if root != cp.checkpoint.root {
        return Err(bad(format!(
            "its root {} is not the root of the published entries ({})",
            cp.checkpoint.root, root
        )));
    }
    Ok(PublishedReport {
        checkpoint: cp,
        cosigners,
        bundles,
        tiles,
    })
}

/// The entry hashes of a bundle that must hold `width` entries of 32 bytes each.
fn parse_bundle(bytes: &[u8], width: u64) -> Result<Vec<Hash32>, String> {
    let mut out = Vec::with_capacity(width as usize);
    let mut rest = bytes;
    while !rest.is_empty() {
        let i = out.len() as u64;
        if i == width {
            return Err(format!(
                "{} bytes after its {width} entries; the checkpoint's tree has {width} here",
                rest.len()
            ));
        }
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            return Err(format!("entry {i}: the length prefix is cut off"));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        if len != HASH_SIZE {
            return Err(format!(
                "entry {i} is {len} bytes; an igl entry's leaf data is its 32-byte entry hash"
            ));
        }
        let Some((h, tail)) = tail.split_first_chunk::<HASH_SIZE>() else {
            return Err(format!("entry {i} is cut off"));
        };
        out.push(Hash32(*h));
        rest = tail;
    }
    if out.len() as u64 != width {
        return Err(format!(
            "holds {} entries; the checkpoint's tree has {width} here",
            out.len()
        ));
    }
    Ok(out)
}

fn compare_tile(
    src: &dyn TileSource,
    path: &str,
    tile: &Tile,
    got: &[u8],
    expected: &[u8],
) -> Result<(), PublishedError> {
    if got == expected {
        return Ok(());
    }
    let level = tile.level.unwrap_or(0);
    if got.len() != expected.len() {
        return Err(PublishedError::invalid(
            src,
            path,
            format!(
                "is {} bytes; a tile of {} hashes is {} bytes",
                got.len(),
                tile.width,
                expected.len()
            ),
        ));
    }
    let i = got
        .chunks(HASH_SIZE)
        .zip(expected.chunks(HASH_SIZE))
        .position(|(a, b)| a != b)
        .expect("the tiles differ");
    let what = if level == 0 {
        format!(
            "the leaf hash of entry {} in {}",
            tile.index * TILE_WIDTH + i as u64,
            bundle_path(tile.index, tile.width)
        )
    } else {
        format!(
            "the Merkle hash of {}",
            tile_path(level - 1, tile.index * TILE_WIDTH + i as u64, TILE_WIDTH)
        )
    };
    Err(PublishedError::invalid(
        src,
        path,
        format!(
            "hash {i} is {}, not {what} ({})",
            hex::encode(&got[i * HASH_SIZE..(i + 1) * HASH_SIZE]),
            hex::encode(&expected[i * HASH_SIZE..(i + 1) * HASH_SIZE])
        ),
    ))
}

// ------------------------------------------------------------------------------------------
// Publishing

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

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PublishError + '_ {
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
fn entry_hashes(ledger: &Ledger, size: u64) -> impl Iterator<Item = Result<Hash32, PublishError>> {
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
struct Counts {
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

fn publish_locked<'a>(
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
fn check_unused(dir: &Path) -> Result<(), PublishError> {
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
fn same_or_absent(dir: &Path, tile: &Tile, bytes: &[u8]) -> Result<bool, PublishError> {
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
fn write_file(
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

fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use igl_schema::SigningKey;
    use igl_schema::note::Checkpoint;
    use std::collections::HashMap;
    use std::sync::Mutex;

    fn entry(i: u64) -> Hash32 {
        Hash32(*blake3::hash(&i.to_le_bytes()).as_bytes())
    }

    /// RFC 6962's MTH, straight from the definition.
    fn mth(leaves: &[Hash32]) -> Hash32 {
        match leaves.len() {
            0 => merkle::EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                merkle::node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn paths_follow_the_spec() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(999), "999");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(tile_path(0, 1234067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(3, 1234067, 1), "tile/3/x001/x234/067.p/1");
        assert_eq!(bundle_path(5, 256), "tile/entries/005");
        assert_eq!(bundle_path(273, 112), "tile/entries/273.p/112");
        assert_eq!(index_path(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
    }

    #[test]
    fn the_specs_example_trees() {
        let tiles: Vec<Tile> = tiles_of(70_000).collect();
        let full0 = tiles
            .iter()
            .filter(|t| t.level == Some(0) && t.is_full())
            .count();
        assert_eq!(full0, 273);
        let partial: Vec<(u8, u64, u64)> = tiles
            .iter()
            .filter(|t| !t.is_full())
            .map(|t| (t.level.unwrap(), t.index, t.width))
            .collect();
        assert_eq!(partial, vec![(0, 273, 112), (1, 1, 17), (2, 0, 1)]);
        assert_eq!(
            tiles
                .iter()
                .filter(|t| t.level == Some(1) && t.is_full())
                .count(),
            1
        );
        assert_eq!(tiles.len(), 273 + 1 + 1 + 1 + 1);
        assert_eq!(
            tiles_of(256).collect::<Vec<_>>(),
            vec![Tile::hashes(0, 0, 256), Tile::hashes(1, 0, 1)]
        );
        assert_eq!(tiles_of(0).count(), 0);
        assert_eq!(tiles_of(1).collect::<Vec<_>>(), vec![Tile::hashes(0, 0, 1)]);
        assert_eq!(bundles_of(70_000).count(), 274);
        assert_eq!(bundles_of(70_000).last(), Some(Tile::entries(273, 112)));
        assert_eq!(bundles_of(512).last(), Some(Tile::entries(1, 256)));
        assert_eq!(tile_width(70_000, 1, 1), Some(17));
        assert_eq!(tile_width(70_000, 1, 2), None);
        assert_eq!(tile_width(70_000, 3, 0), None);
        assert_eq!(full_tiles(u64::MAX, 7), 0);
        assert_eq!(partial_width(u64::MAX, 7), 255);
    }

    /// A source in memory, recording what was read.
    #[derive(Default)]
    struct Mem {
        files: HashMap<String, Vec<u8>>,
        reads: Mutex<u64>,
    }
    impl TileSource for Mem {
        fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
            *self.reads.lock().unwrap() += 1;
            Ok(self.files.get(path).cloned())
        }
        fn describe(&self) -> String {
            "mem".into()
        }
    }

    fn build(size: u64) -> Mem {
        build_from(size, entry)
    }

    fn build_from(size: u64, entry: fn(u64) -> Hash32) -> Mem {
        let mut m = Mem::default();
        let mut emit = |t: &Tile, b: &[u8]| -> Result<(), ()> {
            assert_eq!(b.len() as u64, t.byte_len(), "{}", t.path());
            assert!(
                m.files.insert(t.path(), b.to_vec()).is_none(),
                "{}",
                t.path()
            );
            Ok(())
        };
        walk(
            size,
            (0..size).map(|i| Ok(entry(i))),
            &mut emit,
            &mut |_| {},
        )
        .unwrap();
        m
    }

    #[test]
    fn tiles_hold_the_specs_hashes_and_give_the_root() {
        for size in [
            1u64, 2, 255, 256, 257, 511, 512, 700, 65_536, 65_537, 70_000,
        ] {
            let m = build(size);
            let expected: BTreeSet<String> = tiles_of(size)
                .chain(bundles_of(size))
                .map(|t| t.path())
                .collect();
            let got: BTreeSet<String> = m.files.keys().cloned().collect();
            assert_eq!(got, expected, "size {size}");
            let leaves: Vec<Hash32> = (0..size).map(|i| merkle::leaf_hash(&entry(i))).collect();
            // Tile n of level l, hash i: MTH(D[(n·256+i)·256^l : (n·256+i+1)·256^l]).
            for t in tiles_of(size) {
                let l = t.level.unwrap();
                let span = 1u64 << (8 * u32::from(l));
                let bytes = &m.files[&t.path()];
                for i in [0, t.width / 2, t.width - 1] {
                    let a = ((t.index * 256 + i) * span) as usize;
                    let b = ((t.index * 256 + i + 1) * span) as usize;
                    assert_eq!(
                        &bytes[i as usize * 32..(i as usize + 1) * 32],
                        &mth(&leaves[a..b]).0,
                        "{} hash {i}",
                        t.path()
                    );
                }
            }
            let root = root_from_tiles(&m, size, size).unwrap();
            assert_eq!(root, mth(&leaves), "size {size}");
            // Any smaller tree's root comes from the same tiles.
            for s in [1, size / 3 + 1, size - 1] {
                assert_eq!(
                    root_from_tiles(&m, size, s).unwrap(),
                    mth(&leaves[..s as usize]),
                    "size {s} from the tiles of {size}"
                );
            }
        }
    }

    const LOG_SEED: [u8; 32] = [1; 32];
    const WITNESS_SEED: [u8; 32] = [2; 32];

    fn log_key() -> PublicKey {
        PublicKey(SigningKey::from_bytes(&LOG_SEED).verifying_key().to_bytes())
    }

    fn signed(size: u64, cosign: bool) -> SignedCheckpoint {
        let leaves: Vec<Hash32> = (0..size).map(|i| merkle::leaf_hash(&entry(i))).collect();
        let log = SigningKey::from_bytes(&LOG_SEED);
        let cp = Checkpoint {
            origin: "igledger/00000000000000000000000000000000".into(),
            size,
            root: mth(&leaves),
        };
        let mut sc = SignedCheckpoint::new(cp.clone(), cp.sign(&log), &log_key());
        if cosign {
            sc.cosign(
                "partner",
                &SigningKey::from_bytes(&WITNESS_SEED),
                1_800_000_000,
            );
        }
        sc
    }

    fn witness() -> VerifierKey {
        VerifierKey::witness(
            "partner",
            PublicKey(
                SigningKey::from_bytes(&WITNESS_SEED)
                    .verifying_key()
                    .to_bytes(),
            ),
        )
    }

    fn hashes_of(size: u64) -> impl FnMut() -> Hashes<'static> {
        move || Box::new((0..size).map(|i| Ok(entry(i))))
    }

    fn publish_test(dir: &Path, cp: &SignedCheckpoint) -> Result<PublishReport, PublishError> {
        publish_checkpoint(
            cp,
            dir,
            Path::new("ledger"),
            &mut hashes_of(cp.checkpoint.size),
            &mut |_| {},
        )
    }

    fn verify_dir(dir: &Path, quorum: usize) -> Result<PublishedReport, PublishedError> {
        verify_published(
            &DirSource::new(dir),
            &log_key(),
            &[witness()],
            quorum,
            &mut |_, _| {},
        )
    }

    fn files(dir: &Path) -> BTreeSet<(String, Vec<u8>)> {
        fn walk(base: &Path, d: &Path, out: &mut BTreeSet<(String, Vec<u8>)>) {
            for e in fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    let rel = p.strip_prefix(base).unwrap().display().to_string();
                    out.insert((rel, fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(dir, dir, &mut out);
        out
    }

    #[test]
    fn publish_then_verify_then_extend() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("log");
        let r = publish_test(&dir, &signed(300, true)).unwrap();
        assert_eq!(r.old_size, None);
        assert_eq!((r.tiles_written, r.tiles_unchanged), (3, 0));
        assert_eq!((r.bundles_written, r.bundles_unchanged), (2, 0));
        assert!(r.checkpoint_written);
        let v = verify_dir(&dir, 1).unwrap();
        assert_eq!((v.bundles, v.tiles), (2, 3));
        assert_eq!(v.cosigners, vec!["partner".to_string()]);
        // The same again: nothing to write.
        let r = publish_test(&dir, &signed(300, true)).unwrap();
        assert_eq!((r.tiles_written, r.tiles_unchanged), (0, 3));
        assert!(!r.checkpoint_written);
        // Grown: only the new tiles; the old partial tiles stay (they are immutable too).
        let r = publish_test(&dir, &signed(600, false)).unwrap();
        assert_eq!(r.old_size, Some(300));
        // tile/0/000 kept; 0/001 full, 0/002.p/88, 1/000.p/2 new; 1/000.p/1 and 0/001.p/44 stay.
        assert_eq!((r.tiles_written, r.tiles_unchanged), (3, 1));
        assert_eq!((r.bundles_written, r.bundles_unchanged), (2, 1));
        assert!(dir.join("tile/0/001.p/44").is_file());
        assert!(verify_dir(&dir, 0).is_ok());
        let err = verify_dir(&dir, 1).unwrap_err();
        assert!(
            err.to_string().contains("cosigned by 0 of the 1 witnesses"),
            "{err}"
        );
    }

    #[test]
    fn publish_refuses_another_log_a_fork_and_a_bigger_checkpoint_writing_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("log");
        publish_test(&dir, &signed(300, false)).unwrap();
        let before = files(&dir);

        // A bigger checkpoint already published.
        let err = publish_test(&dir, &signed(200, false)).unwrap_err();
        assert!(err.to_string().contains("more than this ledger's"), "{err}");
        // Another log (another origin).
        let mut other = signed(600, false);
        other.checkpoint.origin = "igledger/11111111111111111111111111111111".into();
        let err = publish_test(&dir, &other).unwrap_err();
        assert!(err.to_string().contains("another log"), "{err}");
        // A fork: same origin, other entries.
        let fork = |i: u64| entry(i + u64::from(i >= 100) * 1_000_000);
        let leaves: Vec<Hash32> = (0..600).map(|i| merkle::leaf_hash(&fork(i))).collect();
        let mut cp = signed(600, false);
        cp.checkpoint.root = mth(&leaves);
        let err = publish_checkpoint(
            &cp,
            &dir,
            Path::new("ledger"),
            &mut || Box::new((0..600).map(|i| Ok(fork(i)))),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("tile/entries/000"), "{err}");
        assert!(err.to_string().contains("forked history"), "{err}");
        // Damaged entries: the root is not the checkpoint's.
        let mut cp = signed(600, false);
        cp.checkpoint.root = Hash32([9; 32]);
        let err = publish_test(&dir, &cp).unwrap_err();
        assert!(matches!(err, PublishError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("nothing was published"), "{err}");
        assert!(
            matches!(err.remedy(), Some((Remedy::Verify, Some(_)))),
            "{err}"
        );
        assert_eq!(files(&dir), before, "nothing was written");

        // Fewer entry hashes than the checkpoint covers: an error, nothing written.
        let short = tmp.path().join("short");
        let err = publish_checkpoint(
            &signed(10, false),
            &short,
            Path::new("ledger"),
            &mut || Box::new((0..9).map(|i| Ok(entry(i)))),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("entry 9 is missing"), "{err}");
        assert!(!short.exists());

        // A directory with other things in it and no checkpoint.
        let other = tmp.path().join("other");
        fs::create_dir(&other).unwrap();
        fs::write(other.join("notes.txt"), "keep").unwrap();
        let err = publish_test(&other, &signed(10, false)).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert!(!other.join("tile").exists());
    }

    #[test]
    fn verify_names_what_is_wrong() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("log");
        publish_test(&dir, &signed(300, true)).unwrap();
        let fresh = files(&dir);
        let restore = || {
            for (rel, b) in &fresh {
                fs::write(dir.join(rel), b).unwrap();
            }
        };
        let flip = |rel: &str, at: usize| {
            let p = dir.join(rel);
            let mut b = fs::read(&p).unwrap();
            b[at] ^= 1;
            fs::write(&p, b).unwrap();
        };
        let fails = |path: &str, what: &str| {
            let e = verify_dir(&dir, 1).unwrap_err();
            assert!(matches!(e, PublishedError::Invalid { .. }), "{e}");
            assert_eq!(e.path(), path, "{e}");
            assert!(e.to_string().contains(what), "{e}");
        };
        flip("tile/0/000", 40);
        fails("tile/0/000", "hash 1 is");
        restore();
        flip("tile/entries/001.p/44", 2 + 34 * 3);
        fails("tile/0/001.p/44", "the leaf hash of entry 259");
        restore();
        flip("tile/1/000.p/1", 0);
        fails("tile/1/000.p/1", "the Merkle hash of tile/0/000");
        restore();
        flip("tile/entries/000", 1);
        fails("tile/entries/000", "entry 0 is 33 bytes");
        restore();
        fs::remove_file(dir.join("tile/0/001.p/44")).unwrap();
        fails("tile/0/001.p/44", "missing");
        restore();
        let mut b = fs::read(dir.join("tile/entries/001.p/44")).unwrap();
        b.extend_from_slice(&b.clone()[..34]);
        fs::write(dir.join("tile/entries/001.p/44"), b).unwrap();
        fails("tile/entries/001.p/44", "34 bytes after its 44 entries");
        restore();
        let text = fs::read_to_string(dir.join("checkpoint")).unwrap();
        fs::write(dir.join("checkpoint"), text.replace("\n300\n", "\n299\n")).unwrap();
        fails("checkpoint", "not signed by the trusted key");
        fs::write(dir.join("checkpoint"), &text[..20]).unwrap();
        fails("checkpoint", "checkpoint line");
        restore();
        fs::remove_file(dir.join("checkpoint")).unwrap();
        fails("checkpoint", "missing");
        restore();
        assert!(verify_dir(&dir, 1).is_ok());
        let e = verify_published(
            &DirSource::new(&dir),
            &witness().key,
            &[],
            0,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("not signed by the trusted key"),
            "{e}"
        );
    }

    #[test]
    fn verify_reads_a_bounded_number_of_resources() {
        let size = 70_000;
        let mut m = build(size);
        let cp = signed(size, false);
        m.files
            .insert(CHECKPOINT_PATH.into(), cp.to_text().into_bytes());
        let r = verify_published(&m, &log_key(), &[], 0, &mut |_, _| {}).unwrap();
        assert_eq!((r.bundles, r.tiles), (274, 277));
        let reads = *m.reads.lock().unwrap();
        // One read per resource: the root comes from the entries as read, not a second fetch.
        assert_eq!(reads, 1 + 274 + 277);
    }

    /// A server that answers the first request for a path with one tree and later ones with
    /// another (a hostile host, or a cache holding two versions).
    struct TwoFaced {
        first: Mem,
        later: Mem,
        seen: Mutex<BTreeSet<String>>,
    }
    impl TileSource for TwoFaced {
        fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
            if self.seen.lock().unwrap().insert(path.to_string()) {
                self.first.get(path)
            } else {
                self.later.get(path)
            }
        }
        fn describe(&self) -> String {
            "two-faced".into()
        }
    }

    #[test]
    fn a_source_that_changes_between_reads_cannot_pass_a_forged_tree() {
        let size = 700;
        let cp = signed(size, false).to_text().into_bytes();
        // First answers: a forged tree, self-consistent (tiles match its bundles), under the real
        // signed checkpoint. Later answers: the real tree.
        let mut first = build_from(size, |i| entry(i + 1_000_000));
        let mut later = build(size);
        first.files.insert(CHECKPOINT_PATH.into(), cp.clone());
        later.files.insert(CHECKPOINT_PATH.into(), cp);
        let src = TwoFaced {
            first,
            later,
            seen: Mutex::new(BTreeSet::new()),
        };
        let e = verify_published(&src, &log_key(), &[], 0, &mut |_, _| {}).unwrap_err();
        assert_eq!(e.path(), CHECKPOINT_PATH, "{e}");
        assert!(
            e.to_string()
                .contains("not the root of the published entries"),
            "{e}"
        );
    }
}
