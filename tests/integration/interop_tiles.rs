//! Interoperability: Cloudflare azul's `tlog_tiles` (a port of Go's `sumdb/tlog`) and
//! `signed_note` read what `igl publish` writes.
//!
//! azul 0.2's `Tile::path()` is Go's sumdb form `tile/<H>/<L>/<N>[.p/<W>]`, which names the tile
//! height `H` (always 8 in C2SP tlog-tiles); C2SP tlog-tiles drops that element:
//! `tile/<L>/<N>[.p/<W>]`. Everything after it (the `x`-prefixed 3-digit groups, `.p/<W>`) is
//! the same, so igl's path is azul's with `tile/8/` replaced by `tile/`. (azul's data tiles,
//! `tile/8/data/<N>`, are sumdb record tiles, not C2SP entry bundles, and are not compared.)

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use igl_ledger::merkle;
use igl_ledger::tiles::{self, Hashes};
use igl_schema::note::{Checkpoint, SignedCheckpoint, VerifierKey};
use igl_schema::{Hash32, PublicKey, SigningKey};
use tlog_tiles::{
    Hash, HashReader, Tile, TileHashReader, TileReader, check_record, check_tree, prove_record,
    prove_tree, record_hash, tree_hash,
};

use crate::util::{Council, Dir, person, training};

/// azul's path for a hash tile, in C2SP tlog-tiles form.
fn c2sp(t: &Tile) -> String {
    let p = t.path();
    let rest = p
        .strip_prefix("tile/8/")
        .unwrap_or_else(|| panic!("azul path {p} has height 8"));
    format!("tile/{rest}")
}

/// azul's `TileReader` over an igl-published directory: every tile it asks for is read from the
/// path igl gives that tile (which must be azul's path in C2SP form).
struct PublishedDir {
    dir: PathBuf,
    reads: Cell<usize>,
}

impl TileReader for PublishedDir {
    fn height(&self) -> u8 {
        8
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                let ours = tiles::tile_path(t.level(), t.level_index(), u64::from(t.width()));
                assert_eq!(ours, c2sp(t));
                self.reads.set(self.reads.get() + 1);
                fs::read(self.dir.join(&ours))
                    .map_err(|e| panic!("azul asked for {ours}, which igl did not publish: {e}"))
            })
            .collect()
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}

/// The entry hashes in igl's entry bundles, in order.
fn bundle_entries(dir: &Path, size: u64) -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    for b in tiles::bundles_of(size) {
        let bytes = fs::read(dir.join(b.path())).unwrap();
        for e in bytes.chunks(34) {
            assert_eq!(&e[..2], &[0x00, 0x20], "{}", b.path());
            out.push(e[2..].try_into().unwrap());
        }
    }
    assert_eq!(out.len() as u64, size);
    out
}

/// The published checkpoint, parsed by igl and, its body, by azul; its signature checked by
/// azul's `signed_note` with the log's verifier key.
fn published_checkpoint(dir: &Path, log_key: &PublicKey) -> (u64, Hash) {
    let text = fs::read_to_string(dir.join("checkpoint")).unwrap();
    let ours = SignedCheckpoint::parse(&text).unwrap();
    let (body, _) = text.split_once("\n\n").unwrap();
    let theirs = tlog_tiles::Checkpoint::from_bytes(format!("{body}\n").as_bytes())
        .expect("azul parses igl's checkpoint body");
    assert_eq!(theirs.origin(), ours.checkpoint.origin);
    assert_eq!(theirs.size(), ours.checkpoint.size);
    assert_eq!(theirs.hash().0, ours.checkpoint.root.0);
    assert_eq!(theirs.extension(), "");

    let vkey = VerifierKey::log(&ours.checkpoint.origin, *log_key).to_vkey();
    let verifier = signed_note::StandardVerifier::new(&vkey).expect("azul parses igl's vkey");
    let note = signed_note::Note::from_bytes(text.as_bytes()).expect("azul parses igl's note");
    let (verified, _) = note
        .verify(&signed_note::VerifierList::new(vec![Box::new(verifier)]))
        .expect("azul verifies igl's checkpoint signature");
    assert_eq!(verified.len(), 1);
    (theirs.size(), *theirs.hash())
}

/// Everything azul can check of a published tree of `size` entries with root `root`.
fn azul_reads(dir: &Path, size: u64, root: Hash, old: Option<(u64, Hash)>) {
    let reader = PublishedDir {
        dir: dir.to_path_buf(),
        reads: Cell::new(0),
    };
    let thr = TileHashReader::new(size, root, &reader);
    assert_eq!(tree_hash(size, &thr).expect("azul's tree hash"), root);

    // Inclusion proofs of entries, from azul's reading of the tiles; the leaf is RFC 6962's
    // record hash of the 32-byte leaf data in igl's bundle.
    let entries = bundle_entries(dir, size);
    let mut picks: BTreeSet<u64> = [0, 1, 255, 256, 257, size / 2, size - 2, size - 1]
        .into_iter()
        .filter(|&i| i < size)
        .collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        picks.insert((x >> 11) % size);
    }
    for &i in &picks {
        let leaf = record_hash(&entries[i as usize]);
        assert_eq!(leaf.0, merkle::leaf_hash(&Hash32(entries[i as usize])).0);
        let proof = prove_record(size, i, &thr).expect("azul's inclusion proof");
        check_record(&proof, size, root, i, leaf).expect("azul checks it");
        assert!(check_record(&proof, size, root, i, record_hash(b"not this")).is_err());
    }

    // Consistency with an earlier tree: azul's proof from the new tiles, checked against the
    // earlier root (the earlier published checkpoint's, when there is one).
    let (m, m_root) = old.unwrap_or_else(|| {
        let m = size / 3 + 1;
        (m, tree_hash(m, &thr).unwrap())
    });
    if m < size {
        let proof = prove_tree(size, m, &thr).expect("azul's consistency proof");
        check_tree(&proof, size, root, m, m_root).expect("azul checks it");
    }
    assert!(reader.reads.get() > 0);

    // A tile changed on disk (leaf 0's hash) breaks azul's proof of leaf 1, which passes
    // through it. (azul's `TileHashReader` alone does not always catch it: its loop that
    // authenticates child tiles against their parents starts at the number of subtree indexes,
    // not at the number of distinct tiles they need, as in Go's `sumdb/tlog`; so a proof must
    // be checked.)
    let t0 = dir.join(tiles::Tile::hashes(0, 0, tiles::tile_width(size, 0, 0).unwrap()).path());
    let good = fs::read(&t0).unwrap();
    let mut bad = good.clone();
    bad[0] ^= 1;
    fs::write(&t0, &bad).unwrap();
    let thr = TileHashReader::new(size, root, &reader);
    let leaf1 = record_hash(&entries[1]);
    let checked = prove_record(size, 1, &thr).and_then(|p| check_record(&p, size, root, 1, leaf1));
    assert!(
        checked.is_err(),
        "a tampered tile passed azul's proof check"
    );
    fs::write(&t0, &good).unwrap();
}

#[test]
fn tile_paths_are_azuls_in_c2sp_form() {
    for level in 0..=5u8 {
        for index in [
            0u64,
            1,
            7,
            999,
            1000,
            1001,
            123_456,
            1_234_067,
            1_000_000_007,
        ] {
            for width in [1u32, 2, 17, 112, 255, 256] {
                let t = Tile::new(8, level, index, width, false);
                let ours = tiles::tile_path(level, index, u64::from(width));
                assert_eq!(ours, c2sp(&t));
                // And azul parses it back (in its own form) to the same tile.
                assert_eq!(Tile::from_path(&t.path()).unwrap(), t);
            }
        }
    }
    assert_eq!(
        tiles::tile_path(4, 1_234_067, 1),
        "tile/4/x001/x234/067.p/1"
    );
    // The tiles azul says a tree needs are the tiles igl lists for it.
    for size in [1u64, 255, 256, 257, 70_000, 16_777_216, 16_777_217] {
        let theirs: BTreeSet<String> = Tile::new_tiles(8, 0, size).iter().map(c2sp).collect();
        let ours: BTreeSet<String> = tiles::tiles_of(size).map(|t| t.path()).collect();
        assert_eq!(ours, theirs, "size {size}");
    }
}

/// A real ledger, published with the binary and grown once: azul reads both publications, and
/// the files the second publish wrote are exactly the tiles azul says a tree growing from the
/// first size to the second needs (`Tile::new_tiles`), plus the new bundles.
#[test]
fn azul_reads_a_published_ledger() {
    let c = Council::new();
    let events: Vec<_> = std::iter::once(person("P100", "Ada Lovelace"))
        .chain((0..600).map(|i| training("P100", 1 + i % 28)))
        .collect();
    c.append(&c.ig, &events);
    let checkpoint = || c.igl().args(["checkpoint", "--key"]).arg(&c.ig.path).ok();
    checkpoint();
    let out = c.dir.join("pub");
    c.igl().arg("publish").arg(&out).ok();
    let key = PublicKey::from_hex(&c.ig.public).unwrap();
    let (size1, root1) = published_checkpoint(&out, &key);
    assert!(size1 > 512, "{size1}");
    azul_reads(&out, size1, root1, None);

    let before: BTreeSet<PathBuf> = files(&out);
    let more: Vec<_> = (0..300).map(|i| training("P100", 1 + i % 28)).collect();
    c.append(&c.ig, &more);
    checkpoint();
    c.igl().arg("publish").arg(&out).ok();
    let (size2, root2) = published_checkpoint(&out, &key);
    assert!(size2 > size1 + 256, "{size2}");
    azul_reads(&out, size2, root2, Some((size1, root1)));

    let new: BTreeSet<String> = files(&out)
        .difference(&before)
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut expected: BTreeSet<String> =
        Tile::new_tiles(8, size1, size2).iter().map(c2sp).collect();
    let first_new_bundle = size1 / 256;
    expected.extend(
        tiles::bundles_of(size2)
            .filter(|b| b.index >= first_new_bundle)
            .map(|b| b.path()),
    );
    assert_eq!(new, expected);
}

fn files(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeSet<PathBuf>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// azul's stored hashes in memory (its own `HashReader` for a `Vec` is test-only).
struct Stored(Vec<Hash>);

impl HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

/// A tree big enough for a full level-1 tile and a level-2 tile (70,000 entries, the spec's
/// example), published through the library from synthetic entry hashes (a ledger that size is
/// slow to build in a debug build): azul reads it, and so does `igl verify-published`.
#[test]
fn azul_reads_the_specs_70000_entry_tree() {
    let size = 70_000u64;
    let entry = |i: u64| Hash32(*blake3::hash(&i.to_le_bytes()).as_bytes());
    // The root, by azul's own tree building over the record hashes.
    let mut storage = Stored(Vec::new());
    for i in 0..size {
        let hashes = tlog_tiles::stored_hashes(i, &entry(i).0, &storage).unwrap();
        storage.0.extend(hashes);
    }
    let root = tree_hash(size, &storage).unwrap();

    let log = SigningKey::from_bytes(&[5; 32]);
    let log_key = PublicKey(log.verifying_key().to_bytes());
    let cp = Checkpoint {
        origin: "igledger/0123456789abcdef0123456789abcdef".into(),
        size,
        root: Hash32(root.0),
    };
    let signed = SignedCheckpoint::new(cp.clone(), cp.sign(&log), &log_key);
    let dir = Dir::new();
    let out = dir.join("pub");
    let report = tiles::publish_checkpoint(
        &signed,
        &out,
        Path::new("synthetic"),
        &mut || -> Hashes<'_> { Box::new((0..size).map(move |i| Ok(entry(i)))) },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.tiles_written, 273 + 1 + 1 + 1 + 1);
    assert_eq!(report.bundles_written, 274);
    for p in [
        "tile/0/272",
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ] {
        assert!(out.join(p).is_file(), "{p}");
    }
    let (s, r) = published_checkpoint(&out, &log_key);
    assert_eq!((s, r), (size, root));
    azul_reads(&out, size, root, None);

    dir.igl()
        .arg("verify-published")
        .arg(&out)
        .args(["--trusted-key", &log_key.to_hex()])
        .ok();
}
