//! The Merkle vectors of `schema/FORMAT.md` (`<!-- golden-merkle:NAME -->` blocks), recomputed.

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
    let marker = format!("<!-- golden-merkle:{name} -->");
    let mut lines = doc.lines().skip_while(|l| l.trim() != marker).skip(1);
    lines.next()?;
    Some(
        lines
            .take_while(|l| !l.starts_with("```"))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string(),
    )
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
