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

mod check;
mod publish;

pub use check::*;
pub use publish::*;

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

#[cfg(test)]
mod tests;
