//! The Merkle vectors of `schema/FORMAT.md` (`<!-- golden-merkle:NAME -->` blocks), recomputed.

mod common;

use std::collections::HashMap;

use igl_ledger::merkle::{self, Frontier, Nodes};
use igl_schema::Hash32;

struct Mem(HashMap<(u8, u64), Hash32>);
impl Nodes for Mem {
    type Error = std::convert::Infallible;
    fn node(&self, level: u8, index: u64) -> Result<Hash32, Self::Error> {
        Ok(self.0[&(level, index)])
    }
}

/// The documented example: seven entries whose entry hashes are `blake3(u64_le(i))`.
fn vectors() -> Vec<(&'static str, String)> {
    let entry = |i: u64| Hash32(*blake3::hash(&i.to_le_bytes()).as_bytes());
    let mut mem = Mem(HashMap::new());
    let mut f = Frontier::default();
    for i in 0..7 {
        for (l, ix, h) in f.push(merkle::leaf_hash(&entry(i))) {
            mem.0.insert((l, ix), h);
        }
    }
    let lines = |v: Vec<Hash32>| v.iter().map(|h| h.to_hex()).collect::<Vec<_>>().join("\n");
    let proof = merkle::inclusion_proof(&mem, 3, 7).unwrap().unwrap();
    let cons = merkle::consistency_proof(&mem, 3, 7).unwrap().unwrap();
    let root7 = merkle::root(&mem, 7).unwrap();
    let root3 = merkle::root(&mem, 3).unwrap();
    assert!(merkle::verify_inclusion(
        3,
        7,
        &merkle::leaf_hash(&entry(3)),
        &proof,
        &root7
    ));
    assert!(merkle::verify_consistency(3, 7, &root3, &root7, &cons));
    vec![
        ("leaf_0", merkle::leaf_hash(&entry(0)).to_hex()),
        ("root_3", root3.to_hex()),
        ("root_7", root7.to_hex()),
        ("inclusion_3_of_7", lines(proof)),
        ("consistency_3_to_7", lines(cons)),
    ]
}

fn block(doc: &str, name: &str) -> Option<String> {
    common::golden_block(doc, "merkle", name)
}

#[test]
fn merkle_vectors_in_format_md_match_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/FORMAT.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let mut wrong = String::new();
    for (name, want) in vectors() {
        if block(&doc, name).as_deref() != Some(want.as_str()) {
            wrong += &format!("\n<!-- golden-merkle:{name} -->\n```hex\n{want}\n```\n");
        }
    }
    assert!(
        wrong.is_empty(),
        "FORMAT.md differs; the code computes:{wrong}"
    );
    let documented = doc.matches("<!-- golden-merkle:").count();
    assert_eq!(
        documented,
        vectors().len(),
        "a golden-merkle block no test checks"
    );
}

/// The RFC 6962 test vectors of certificate-transparency-go (`merkle/testdata`, the eight leaves
/// below as leaf *data*), checked independently with Python's `hashlib`: igl's tree is exactly
/// RFC 6962's with SHA-256, so a CT or tlog-tiles verifier accepts igl's roots and proofs.
#[test]
fn rfc6962_vectors() {
    let data: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    let h = |s: &str| Hash32::from_hex(s).unwrap();
    let mut mem = Mem(HashMap::new());
    let mut f = Frontier::default();
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    for (i, d) in data.iter().enumerate() {
        for (l, ix, node) in f.push(merkle::leaf_hash_of(d)) {
            mem.0.insert((l, ix), node);
        }
        assert_eq!(f.root(), Some(h(roots[i])), "root of {} leaves", i + 1);
        assert_eq!(merkle::root(&mem, i as u64 + 1).unwrap(), h(roots[i]));
    }
    assert_eq!(
        merkle::EMPTY_ROOT,
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    let hs = |v: &[&str]| v.iter().map(|s| h(s)).collect::<Vec<_>>();
    // (leaf, size, path)
    let inclusion: [(u64, u64, Vec<Hash32>); 3] = [
        (
            0,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            5,
            8,
            hs(&[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            3,
            hs(&["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        ),
    ];
    for (leaf, size, path) in &inclusion {
        assert_eq!(
            &merkle::inclusion_proof(&mem, *leaf, *size)
                .unwrap()
                .unwrap(),
            path
        );
        let lh = merkle::leaf_hash_of(data[*leaf as usize]);
        let root = h(roots[*size as usize - 1]);
        assert!(merkle::verify_inclusion(*leaf, *size, &lh, path, &root));
    }
    // (old, new, proof)
    let consistency: [(u64, u64, Vec<Hash32>); 3] = [
        (
            1,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            6,
            8,
            hs(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            5,
            hs(&[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
    ];
    for (old, new, proof) in &consistency {
        assert_eq!(
            &merkle::consistency_proof(&mem, *old, *new)
                .unwrap()
                .unwrap(),
            proof
        );
        let (r1, r2) = (h(roots[*old as usize - 1]), h(roots[*new as usize - 1]));
        assert!(merkle::verify_consistency(*old, *new, &r1, &r2, proof));
        assert!(!merkle::verify_consistency(*old, *new, &r2, &r1, proof));
    }
}
