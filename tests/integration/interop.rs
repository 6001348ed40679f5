//! igl against an independent implementation of the transparency formats: Cloudflare azul's
//! `tlog_tiles` (RFC 6962 trees, proofs, tlog-checkpoint) and `signed_note` (C2SP signed notes).
//! Each side makes what the other checks.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use igl_ledger::merkle::{self, Frontier, Nodes};
use igl_schema::note::{self, Checkpoint, SignedCheckpoint, VerifierKey};
use igl_schema::{Hash32, LedgerId, SigningKey, public_key};
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::tlog::{self, HashReader};

/// igl's tree: the stored complete subtrees.
struct IglTree(HashMap<(u8, u64), Hash32>);
impl Nodes for IglTree {
    type Error = std::convert::Infallible;
    fn node(&self, level: u8, index: u64) -> Result<Hash32, Self::Error> {
        Ok(self.0[&(level, index)])
    }
}

/// azul's tree: hashes in its stored-hash order.
struct AzulTree(Vec<tlog::Hash>);
impl HashReader for AzulTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog::Hash>, tlog::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn azul(h: &Hash32) -> tlog::Hash {
    tlog::Hash(h.0)
}

fn igl(h: &tlog::Hash) -> Hash32 {
    Hash32(h.0)
}

/// Leaf data as igl publishes it: the 32-byte entry hash.
fn entry_hash(i: u64) -> Hash32 {
    Hash32(*blake3::hash(&i.to_le_bytes()).as_bytes())
}

#[test]
fn azul_and_igl_build_the_same_tree_and_accept_each_others_proofs() {
    const N: u64 = 300;
    let mut ours = IglTree(HashMap::new());
    let mut frontier = Frontier::default();
    let mut theirs = AzulTree(Vec::new());
    let mut roots = vec![merkle::EMPTY_ROOT];
    for i in 0..N {
        let data = entry_hash(i);
        assert_eq!(
            azul(&merkle::leaf_hash(&data)),
            tlog::record_hash(&data.0),
            "leaf {i}"
        );
        for (l, ix, h) in frontier.push(merkle::leaf_hash(&data)) {
            ours.0.insert((l, ix), h);
        }
        let add = tlog::stored_hashes(i, &data.0, &theirs).unwrap();
        theirs.0.extend(add);
        let size = i + 1;
        let root = merkle::root(&ours, size).unwrap();
        assert_eq!(
            azul(&root),
            tlog::tree_hash(size, &theirs).unwrap(),
            "root of {size}"
        );
        roots.push(root);
    }
    assert_eq!(azul(&merkle::EMPTY_ROOT), tlog::EMPTY_HASH);
    let sizes = [1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300];
    for &size in &sizes {
        let root = roots[size as usize];
        for leaf in [0, 1, size / 2, size - 1] {
            if leaf >= size {
                continue;
            }
            let lh = merkle::leaf_hash(&entry_hash(leaf));
            // igl's inclusion proof, checked by azul.
            let p = merkle::inclusion_proof(&ours, leaf, size).unwrap().unwrap();
            let ap: Vec<tlog::Hash> = p.iter().map(azul).collect();
            tlog::check_record(&ap, size, azul(&root), leaf, azul(&lh))
                .unwrap_or_else(|e| panic!("azul refuses igl's proof of {leaf} in {size}: {e}"));
            // azul's, checked by igl: the same hashes.
            let theirs_p = tlog::prove_record(size, leaf, &theirs).unwrap();
            let tp: Vec<Hash32> = theirs_p.iter().map(igl).collect();
            assert_eq!(tp, p, "inclusion proof of {leaf} in {size}");
            assert!(merkle::verify_inclusion(leaf, size, &lh, &tp, &root));
        }
        for old in [1, 2, size / 3, size - 1, size] {
            if old == 0 || old > size {
                continue;
            }
            let p = merkle::consistency_proof(&ours, old, size)
                .unwrap()
                .unwrap();
            let ap: Vec<tlog::Hash> = p.iter().map(azul).collect();
            tlog::check_tree(&ap, size, azul(&root), old, azul(&roots[old as usize]))
                .unwrap_or_else(|e| panic!("azul refuses igl's proof {old} -> {size}: {e}"));
            let tp: Vec<Hash32> = tlog::prove_tree(size, old, &theirs)
                .unwrap()
                .iter()
                .map(igl)
                .collect();
            assert_eq!(tp, p, "consistency proof {old} -> {size}");
            assert!(merkle::verify_consistency(
                old,
                size,
                &roots[old as usize],
                &root,
                &tp
            ));
        }
    }
    // A proof of the wrong leaf is refused by both.
    let p = merkle::inclusion_proof(&ours, 5, 100).unwrap().unwrap();
    let wrong = merkle::leaf_hash(&entry_hash(6));
    assert!(!merkle::verify_inclusion(5, 100, &wrong, &p, &roots[100]));
    let ap: Vec<tlog::Hash> = p.iter().map(azul).collect();
    assert!(tlog::check_record(&ap, 100, azul(&roots[100]), 5, azul(&wrong)).is_err());
}

#[test]
fn azul_and_igl_sign_and_verify_each_others_checkpoint_notes() {
    let seed = [0x2a; 32];
    let key = SigningKey::from_bytes(&seed);
    let pk = public_key(&key);
    let origin = note::origin(&LedgerId([0x11; 16]));
    let cp = Checkpoint {
        origin: origin.clone(),
        size: 2144,
        root: Hash32([7; 32]),
    };
    let ours = SignedCheckpoint::new(cp.clone(), cp.sign(&key), &pk);
    let text = ours.to_text();

    // azul parses igl's note and checkpoint body, and verifies the log's signature with igl's
    // vkey (whose key id it recomputes).
    let vkey = VerifierKey::log(&origin, pk).to_vkey();
    let verifier = StandardVerifier::new(&vkey).expect("azul accepts igl's vkey");
    let n = Note::from_bytes(text.as_bytes()).expect("azul parses igl's note");
    let (verified, unverified) = n
        .verify(&VerifierList::new(vec![Box::new(verifier.clone())]))
        .expect("azul verifies igl's checkpoint signature");
    assert_eq!((verified.len(), unverified.len()), (1, 0));
    let c = tlog_tiles::checkpoint::Checkpoint::from_bytes(n.text()).expect("a tlog-checkpoint");
    assert_eq!(
        (c.origin(), c.size(), c.hash().0, c.extension()),
        (origin.as_str(), 2144, [7; 32], "")
    );
    // A vkey whose key id azul computes parses in igl as the same key.
    let material = [&[0x01][..], &pk.0].concat();
    let azul_vkey = format!(
        "{origin}+{:08x}+{}",
        signed_note::key_id(&origin, &material),
        B64.encode(&material)
    );
    assert_eq!(azul_vkey, vkey);
    assert_eq!(
        VerifierKey::parse(&azul_vkey).unwrap(),
        VerifierKey::log(&origin, pk)
    );

    // igl parses and verifies a note azul signed with the same key.
    let id = u32::from_be_bytes(VerifierKey::log(&origin, pk).key_id());
    let skey = format!(
        "PRIVATE+KEY+{origin}+{id:08x}+{}",
        B64.encode([&[0x01][..], &seed].concat())
    );
    let signer = StandardSigner::new(&skey).expect("azul accepts the signer key");
    let mut theirs = Note::new(cp.body().as_bytes(), &[]).unwrap();
    theirs.add_sigs(&[&signer]).unwrap();
    let theirs_text = String::from_utf8(theirs.to_bytes()).unwrap();
    assert_eq!(theirs_text, text, "the same note, byte for byte");
    let parsed = SignedCheckpoint::parse(&theirs_text).unwrap();
    assert!(parsed.verify(&pk));

    // A note with an extension line is a valid tlog-checkpoint, but not an igl checkpoint.
    let ext = format!("{}extra line\n", cp.body());
    let mut with_ext = Note::new(ext.as_bytes(), &[]).unwrap();
    with_ext.add_sigs(&[&signer]).unwrap();
    let err =
        SignedCheckpoint::parse(&String::from_utf8(with_ext.to_bytes()).unwrap()).unwrap_err();
    assert!(err.to_string().contains("extension line"), "{err}");

    // An edited size fails azul's check as it fails igl's.
    let forged = text.replace("\n2144\n", "\n2145\n");
    let n = Note::from_bytes(forged.as_bytes()).unwrap();
    assert!(
        n.verify(&VerifierList::new(vec![Box::new(verifier)]))
            .is_err()
    );
    assert!(!SignedCheckpoint::parse(&forged).unwrap().verify(&pk));
}
