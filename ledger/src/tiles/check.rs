//! Checking a published log from any [`TileSource`] (a directory here, HTTP in the binary): the checkpoint, then every tile and entry bundle against it, one bundle and one tile per level in memory at a time.

use super::*;

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
pub(super) fn location(src: &dyn TileSource, path: &str) -> String {
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
pub(super) fn fetch(
    src: &dyn TileSource,
    path: &str,
    what: &str,
) -> Result<Vec<u8>, PublishedError> {
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
pub(super) struct TileNodes<'a> {
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
pub(super) fn root_from_tiles(
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
pub(super) fn parse_bundle(bytes: &[u8], width: u64) -> Result<Vec<Hash32>, String> {
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

pub(super) fn compare_tile(
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
