//! The Merkle tree over entry hashes: RFC 6962 §2.1 with SHA-256, the tree of C2SP
//! tlog-checkpoint, tlog-tiles and tlog-witness.
//!
//! The leaf data of entry `i` is its 32-byte entry hash (blake3 of the canonical entry, which
//! stays the chain and content hash), so the tree reveals no personal data. Leaf `i` is
//! `SHA-256(0x00 || entry_hash(i))`; an interior node is `SHA-256(0x01 || left || right)`; the
//! root of a tree of `n` leaves is RFC 6962's MTH: for `n > 1`, with `k` the largest power of two
//! below `n`, `MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n]))`; the empty tree's root is
//! `SHA-256("")` ([`EMPTY_ROOT`]).
//!
//! The store keeps the hash of every complete, aligned subtree — `(level, index)` covers leaves
//! `index·2^level .. (index+1)·2^level` — written in the append's batch. Any root, inclusion proof
//! or consistency proof then needs O(log n) reads ([`range_hash`], [`inclusion_proof`],
//! [`consistency_proof`]). The verifiers ([`verify_inclusion`], [`verify_consistency`]) are the
//! RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms (the same proofs as RFC 6962 §2.1.1–2.1.2) and need
//! no ledger.

use igl_schema::Hash32;
use sha2::{Digest, Sha256};

/// Leaf hash domain tag.
pub const LEAF_PREFIX: u8 = 0x00;
/// Interior node domain tag.
pub const NODE_PREFIX: u8 = 0x01;

/// The root of the empty tree: `SHA-256("")` (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash32 = Hash32([
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

/// RFC 6962's leaf hash of arbitrary leaf data: `SHA-256(0x00 || data)`.
pub fn leaf_hash_of(data: &[u8]) -> Hash32 {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    Hash32(h.finalize().into())
}

/// The leaf hash of an entry (its leaf data is the 32-byte entry hash).
pub fn leaf_hash(entry_hash: &Hash32) -> Hash32 {
    leaf_hash_of(&entry_hash.0)
}

/// An interior node's hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left.0);
    h.update(right.0);
    Hash32(h.finalize().into())
}

/// A source of complete-subtree hashes.
pub trait Nodes {
    type Error;
    /// The hash of the complete subtree at `level` and `index`.
    fn node(&self, level: u8, index: u64) -> Result<Hash32, Self::Error>;
}

/// Why a proof cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {leaf} is not in a tree of size {size}")]
    LeafOutOfRange { leaf: u64, size: u64 },
    #[error("a consistency proof needs 0 < old size ({old}) <= new size ({new})")]
    BadSizes { old: u64, new: u64 },
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start:end])`, from stored complete subtrees.
pub fn range_hash<N: Nodes>(nodes: &N, start: u64, end: u64) -> Result<Hash32, N::Error> {
    let size = end - start;
    if size.is_power_of_two() && start.is_multiple_of(size) {
        return nodes.node(size.trailing_zeros() as u8, start / size);
    }
    let k = split(size);
    Ok(node_hash(
        &range_hash(nodes, start, start + k)?,
        &range_hash(nodes, start + k, end)?,
    ))
}

/// The root of the tree of the first `size` leaves (`size >= 1`).
pub fn root<N: Nodes>(nodes: &N, size: u64) -> Result<Hash32, N::Error> {
    range_hash(nodes, 0, size)
}

/// RFC 9162 PATH(leaf, D\[0:size\]).
pub fn inclusion_proof<N: Nodes>(
    nodes: &N,
    leaf: u64,
    size: u64,
) -> Result<Result<Vec<Hash32>, ProofError>, N::Error> {
    if leaf >= size {
        return Ok(Err(ProofError::LeafOutOfRange { leaf, size }));
    }
    let mut out = Vec::new();
    path(nodes, leaf, 0, size, &mut out)?;
    Ok(Ok(out))
}

fn path<N: Nodes>(
    nodes: &N,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash32>,
) -> Result<(), N::Error> {
    if end - start == 1 {
        return Ok(());
    }
    let k = split(end - start);
    if m < start + k {
        path(nodes, m, start, start + k, out)?;
        out.push(range_hash(nodes, start + k, end)?);
    } else {
        path(nodes, m, start + k, end, out)?;
        out.push(range_hash(nodes, start, start + k)?);
    }
    Ok(())
}

/// RFC 9162 PROOF(old, D\[0:new\]).
pub fn consistency_proof<N: Nodes>(
    nodes: &N,
    old: u64,
    new: u64,
) -> Result<Result<Vec<Hash32>, ProofError>, N::Error> {
    if old == 0 || old > new {
        return Ok(Err(ProofError::BadSizes { old, new }));
    }
    let mut out = Vec::new();
    subproof(nodes, old, 0, new, true, &mut out)?;
    Ok(Ok(out))
}

fn subproof<N: Nodes>(
    nodes: &N,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash32>,
) -> Result<(), N::Error> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(range_hash(nodes, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(nodes, m, start, start + k, complete, out)?;
        out.push(range_hash(nodes, start + k, end)?);
    } else {
        subproof(nodes, m - k, start + k, end, false, out)?;
        out.push(range_hash(nodes, start, start + k)?);
    }
    Ok(())
}

/// RFC 9162 §2.1.3.2: does `proof` show leaf `leaf` (hash `leaf_hash`) in the tree of `size`
/// leaves with root `root`?
pub fn verify_inclusion(
    leaf: u64,
    size: u64,
    leaf_hash: &Hash32,
    proof: &[Hash32],
    root: &Hash32,
) -> bool {
    if leaf >= size {
        return false;
    }
    let (mut fnode, mut snode) = (leaf, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `proof` show the tree of `old` leaves (root `old_root`) is a prefix of
/// the tree of `new` leaves (root `new_root`)?
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash32,
    new_root: &Hash32,
    proof: &[Hash32],
) -> bool {
    if old == 0 || old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash32> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *old_root && sr == *new_root && snode == 0
}

/// The right edge of a growing tree: the roots of its complete subtrees, largest first. Enough to
/// compute the root of the tree so far, and the nodes each new leaf completes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (level, hash), levels strictly decreasing.
    stack: Vec<(u8, Hash32)>,
}

impl Frontier {
    /// The number of leaves added.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds leaf `self.size()` and returns every complete subtree it completes, as
    /// `(level, index, hash)`, starting with the leaf itself at level 0.
    pub fn push(&mut self, leaf: Hash32) -> Vec<(u8, u64, Hash32)> {
        let mut made = vec![(0u8, self.size, leaf)];
        let (mut level, mut index, mut h) = (0u8, self.size, leaf);
        while index & 1 == 1 {
            let (l, left) = self.stack.pop().expect("an odd index has a left sibling");
            debug_assert_eq!(l, level);
            h = node_hash(&left, &h);
            level += 1;
            index >>= 1;
            made.push((level, index, h));
        }
        self.stack.push((level, h));
        self.size += 1;
        made
    }

    /// The root of the tree so far (`None` when empty).
    pub fn root(&self) -> Option<Hash32> {
        let mut it = self.stack.iter().rev();
        let mut r = it.next()?.1;
        for (_, h) in it {
            r = node_hash(h, &r);
        }
        Some(r)
    }

    /// Rebuilds the frontier of a tree of `size` leaves from stored complete subtrees.
    pub fn load<N: Nodes>(nodes: &N, size: u64) -> Result<Self, N::Error> {
        let mut stack = Vec::new();
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            let width = 1u64 << level;
            if size & width != 0 {
                stack.push((level, nodes.node(level, start >> level)?));
                start += width;
            }
        }
        Ok(Self { size, stack })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// An in-memory store filled by a frontier.
    #[derive(Default)]
    struct Mem(HashMap<(u8, u64), Hash32>);
    impl Nodes for Mem {
        type Error = std::convert::Infallible;
        fn node(&self, level: u8, index: u64) -> Result<Hash32, Self::Error> {
            Ok(self.0[&(level, index)])
        }
    }

    fn leaf(i: u64) -> Hash32 {
        leaf_hash(&Hash32(*blake3::hash(&i.to_le_bytes()).as_bytes()))
    }

    /// The RFC 9162 definitions, computed directly from the leaves (the independent reference).
    fn mth(leaves: &[Hash32]) -> Hash32 {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = split(leaves.len() as u64) as usize;
        node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
    }
    fn ref_path(m: usize, d: &[Hash32]) -> Vec<Hash32> {
        if d.len() == 1 {
            return vec![];
        }
        let k = split(d.len() as u64) as usize;
        if m < k {
            let mut p = ref_path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = ref_path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }
    fn ref_subproof(m: usize, d: &[Hash32], b: bool) -> Vec<Hash32> {
        if m == d.len() {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = split(d.len() as u64) as usize;
        if m <= k {
            let mut p = ref_subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = ref_subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    fn build(n: u64) -> (Mem, Vec<Hash32>, Frontier) {
        let mut mem = Mem::default();
        let mut f = Frontier::default();
        let mut leaves = Vec::new();
        for i in 0..n {
            leaves.push(leaf(i));
            for (l, ix, h) in f.push(leaf(i)) {
                mem.0.insert((l, ix), h);
            }
        }
        (mem, leaves, f)
    }

    #[test]
    fn roots_and_proofs_match_the_reference_for_every_size_to_300() {
        let (mem, leaves, _) = build(300);
        for n in 1..=300u64 {
            let d = &leaves[..n as usize];
            let r = root(&mem, n).unwrap();
            assert_eq!(r, mth(d), "root of {n}");
            let fr = Frontier::load(&mem, n).unwrap();
            assert_eq!(fr.root(), Some(r));
            for m in 0..n {
                let p = inclusion_proof(&mem, m, n).unwrap().unwrap();
                assert_eq!(p, ref_path(m as usize, d), "path {m} of {n}");
                assert!(verify_inclusion(m, n, &d[m as usize], &p, &r));
                assert!(!verify_inclusion(m, n, &leaf(9999), &p, &r));
                if n > 1 {
                    assert!(
                        !verify_inclusion((m + 1) % n, n, &d[m as usize], &p, &r)
                            || d[((m + 1) % n) as usize] == d[m as usize]
                    );
                }
            }
            for m in 1..=n {
                let p = consistency_proof(&mem, m, n).unwrap().unwrap();
                assert_eq!(p, ref_subproof(m as usize, d, true), "consistency {m}->{n}");
                let old = mth(&leaves[..m as usize]);
                assert!(verify_consistency(m, n, &old, &r, &p), "verify {m}->{n}");
                if m < n {
                    assert!(!verify_consistency(m, n, &leaf(7777), &r, &p));
                    assert!(!verify_consistency(m, n, &old, &leaf(7777), &p));
                }
            }
        }
    }

    #[test]
    fn random_larger_trees() {
        let n = 5000u64;
        let (mem, leaves, f) = build(n);
        assert_eq!(f.root(), Some(mth(&leaves)));
        let mut x = 12345u64;
        for _ in 0..200 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let size = 1 + (x >> 33) % n;
            let m = (x >> 7) % size;
            let d = &leaves[..size as usize];
            let r = root(&mem, size).unwrap();
            let p = inclusion_proof(&mem, m, size).unwrap().unwrap();
            assert_eq!(p, ref_path(m as usize, d));
            assert!(verify_inclusion(m, size, &d[m as usize], &p, &r));
            let old = 1 + m;
            let cp = consistency_proof(&mem, old, size).unwrap().unwrap();
            assert!(verify_consistency(
                old,
                size,
                &mth(&leaves[..old as usize]),
                &r,
                &cp
            ));
        }
    }

    #[test]
    fn tampered_proofs_fail() {
        let (mem, leaves, _) = build(77);
        let r = root(&mem, 77).unwrap();
        let p = inclusion_proof(&mem, 40, 77).unwrap().unwrap();
        for i in 0..p.len() {
            let mut q = p.clone();
            q[i].0[0] ^= 1;
            assert!(!verify_inclusion(40, 77, &leaves[40], &q, &r));
        }
        assert!(!verify_inclusion(
            40,
            77,
            &leaves[40],
            &p[..p.len() - 1],
            &r
        ));
        let c = consistency_proof(&mem, 30, 77).unwrap().unwrap();
        let old = root(&mem, 30).unwrap();
        for i in 0..c.len() {
            let mut q = c.clone();
            q[i].0[5] ^= 1;
            assert!(!verify_consistency(30, 77, &old, &r, &q));
        }
        assert!(matches!(
            consistency_proof(&mem, 0, 5).unwrap(),
            Err(ProofError::BadSizes { .. })
        ));
        assert!(matches!(
            inclusion_proof(&mem, 5, 5).unwrap(),
            Err(ProofError::LeafOutOfRange { .. })
        ));
    }
}
