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
