use super::*;
use crate::merkle::{Nodes, consistency_proof, leaf_hash_of, root};
use std::collections::HashMap;

/// An in-memory tree of `n` leaves, for proofs.
struct Tree(HashMap<(u8, u64), Hash32>);

impl Tree {
    fn new(leaves: &[&[u8]]) -> Tree {
        let mut m = HashMap::new();
        let mut level: Vec<Hash32> = leaves.iter().map(|d| leaf_hash_of(d)).collect();
        let mut l = 0u8;
        while !level.is_empty() {
            for (i, h) in level.iter().enumerate() {
                m.insert((l, i as u64), *h);
            }
            level = level
                .chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| merkle::node_hash(&c[0], &c[1]))
                .collect();
            l += 1;
        }
        Tree(m)
    }
    fn root(&self, size: u64) -> Hash32 {
        root(self, size).unwrap()
    }
    fn proof(&self, old: u64, new: u64) -> Vec<Hash32> {
        consistency_proof(self, old, new).unwrap().unwrap()
    }
}

impl Nodes for Tree {
    type Error = ();
    fn node(&self, level: u8, index: u64) -> Result<Hash32, ()> {
        self.0.get(&(level, index)).copied().ok_or(())
    }
}

const ORIGIN: &str = "igledger/00000000000000000000000000000004";

fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn witness_key() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

fn signed(origin: &str, size: u64, root: Hash32, key: &SigningKey) -> SignedCheckpoint {
    let cp = Checkpoint {
        origin: origin.into(),
        size,
        root,
    };
    SignedCheckpoint::new(cp.clone(), cp.sign(key), &public_key(key))
}

fn witness(dir: &Path) -> Witness {
    let mut logs = BTreeMap::new();
    logs.insert(ORIGIN.to_string(), vec![public_key(&log_key())]);
    Witness::new(
        "partner.example/w1",
        witness_key(),
        logs,
        WitnessState::open(dir).unwrap(),
    )
    .unwrap()
}

/// A tree whose leaves are `tag` then the index, so two tags fork after `common` leaves.
fn tree(n: usize, tag: &str, common: usize) -> Tree {
    let data: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            if i < common {
                format!("leaf {i}").into_bytes()
            } else {
                format!("{tag} leaf {i}").into_bytes()
            }
        })
        .collect();
    Tree::new(&data.iter().map(Vec::as_slice).collect::<Vec<_>>())
}

fn add(w: &Witness, old: u64, proof: &[Hash32], cp: &SignedCheckpoint) -> Response {
    w.add_checkpoint(request_body(old, proof, cp).as_bytes(), 1_800_000_000)
}

fn body(r: &Response) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

#[test]
fn request_round_trip_and_malformed_bodies() {
    let t = tree(9, "a", 9);
    let cp = signed(ORIGIN, 9, t.root(9), &log_key());
    let proof = t.proof(5, 9);
    let text = request_body(5, &proof, &cp);
    let back = parse_request(text.as_bytes()).unwrap();
    assert_eq!((back.old, &back.proof, &back.checkpoint), (5, &proof, &cp));
    let note = cp.to_text();
    for bad in [
        format!("old 05\n\n{note}"),
        format!("old -1\n\n{note}"),
        format!("old 5 \n\n{note}"),
        format!("new 5\n\n{note}"),
        format!("old 5\nnot base64\n\n{note}"),
        format!("old 5\nAAAA\n\n{note}"),
        format!("old 5\n{note}"),
        format!("old 5\r\n\r\n{note}"),
        format!("old 5\n\n{}", note.trim_end()),
        "old 5\n".to_string(),
        format!("old 0\n\n{}", note.replace("\n9\n", "\n09\n")),
        format!(
            "old 5\n{}\n{note}",
            format!("{}\n", note::hash_to_base64(&Hash32([1; 32]))).repeat(64)
        ),
    ] {
        assert!(parse_request(bad.as_bytes()).is_err(), "accepted {bad:?}");
    }
    assert!(parse_request(&[0xff, b'\n']).is_err());
    // 63 proof lines are allowed.
    let many = format!(
        "old 5\n{}\n{note}",
        format!("{}\n", note::hash_to_base64(&Hash32([1; 32]))).repeat(63)
    );
    assert_eq!(parse_request(many.as_bytes()).unwrap().proof.len(), 63);
}

#[test]
fn decide_follows_the_spec_order() {
    let t = tree(9, "a", 9);
    let c = |n: u64| Checkpoint {
        origin: ORIGIN.into(),
        size: n,
        root: t.root(n),
    };
    // First checkpoint: old 0, no proof.
    assert!(decide(None, 0, &c(5), &[]).is_ok());
    assert!(matches!(
        decide(None, 0, &c(5), &[Hash32([0; 32])]),
        Err(Refusal::Inconsistent(_))
    ));
    assert_eq!(
        decide(None, 3, &c(5), &[]),
        Err(Refusal::Conflict { size: 0 })
    );
    assert!(matches!(
        decide(Some(&c(5)), 7, &c(5), &[]),
        Err(Refusal::BadRequest(_))
    ));
    // Rollback is a 400 with a message saying so.
    let Err(Refusal::BadRequest(m)) = decide(Some(&c(7)), 7, &c(5), &[]) else {
        panic!()
    };
    assert!(m.contains("ROLLBACK"), "{m}");
    assert_eq!(
        decide(Some(&c(5)), 3, &c(9), &t.proof(3, 9)),
        Err(Refusal::Conflict { size: 5 })
    );
    assert!(decide(Some(&c(5)), 5, &c(9), &t.proof(5, 9)).is_ok());
    assert!(decide(Some(&c(5)), 5, &c(5), &[]).is_ok());
    let mut other = c(5);
    other.root = Hash32([9; 32]);
    let Err(Refusal::Inconsistent(m)) = decide(Some(&c(5)), 5, &other, &[]) else {
        panic!()
    };
    assert!(m.contains("FORK"), "{m}");
    assert!(matches!(
        decide(Some(&c(5)), 5, &c(9), &t.proof(4, 9)),
        Err(Refusal::Inconsistent(_))
    ));
    // Size 0 must have the empty root.
    let empty = Checkpoint {
        origin: ORIGIN.into(),
        size: 0,
        root: EMPTY_ROOT,
    };
    assert!(decide(None, 0, &empty, &[]).is_ok());
    let mut bad_empty = empty.clone();
    bad_empty.root = Hash32([1; 32]);
    assert!(matches!(
        decide(None, 0, &bad_empty, &[]),
        Err(Refusal::Inconsistent(_))
    ));
    assert!(decide(Some(&empty), 0, &c(5), &[]).is_ok());
}

#[test]
fn add_checkpoint_answers_every_status() {
    let tmp = tempfile::tempdir().unwrap();
    let w = witness(tmp.path());
    let vkey = w.vkey();
    let t = tree(12, "a", 12);
    let cp5 = signed(ORIGIN, 5, t.root(5), &log_key());

    // 400: malformed.
    let r = w.add_checkpoint(b"old 0\nno\n", 1);
    assert_eq!(r.status, 400, "{}", body(&r));
    // 404: unknown origin.
    let stranger = signed("example.com/log", 5, t.root(5), &log_key());
    assert_eq!(add(&w, 0, &[], &stranger).status, 404);
    // 403: no trusted signature; a trusted key's line that does not verify.
    let other = signed(ORIGIN, 5, t.root(5), &SigningKey::from_bytes(&[7; 32]));
    assert_eq!(add(&w, 0, &[], &other).status, 403);
    let mut broken = cp5.clone();
    broken.signatures[0].data[0] ^= 1;
    assert_eq!(add(&w, 0, &[], &broken).status, 403);
    let mut both = cp5.clone();
    both.signatures.push(broken.signatures[0].clone());
    assert_eq!(add(&w, 0, &[], &both).status, 403);
    // An unknown key's extra line is ignored.
    let mut extra = cp5.clone();
    extra.signatures.insert(0, other.signatures[0].clone());
    extra
        .signatures
        .push(signed("someone", 5, t.root(5), &log_key()).signatures[0].clone());
    // 400: old > size.
    assert_eq!(add(&w, 6, &[], &cp5).status, 400);
    // 409 before anything was cosigned: the size is 0.
    let r = add(&w, 3, &t.proof(3, 5), &cp5);
    assert_eq!(
        (r.status, r.content_type, body(&r).as_str()),
        (409, CONTENT_TYPE_SIZE, "0\n")
    );
    // 422: old 0 with a proof.
    assert_eq!(add(&w, 0, &t.proof(3, 5), &cp5).status, 422);
    // 200: first checkpoint.
    let r = add(&w, 0, &[], &extra);
    assert_eq!(r.status, 200, "{}", body(&r));
    let cos = cosignatures_in_answer(&cp5.checkpoint, &body(&r), &vkey).unwrap();
    assert_eq!(cos.len(), 1);
    assert_eq!(cos[0].time, 1_800_000_000);
    // The state holds the checkpoint with the verified log signature and the cosignature
    // only (the unknown keys' lines are dropped).
    let kept = w.state().latest(ORIGIN).unwrap().unwrap();
    assert_eq!(kept.signatures.len(), 2);
    assert!(kept.verify(&public_key(&log_key())));
    assert!(kept.cosignature_by(&vkey).is_some());
    // 409 with the size now cosigned.
    let cp9 = signed(ORIGIN, 9, t.root(9), &log_key());
    let r = add(&w, 0, &[], &cp9);
    assert_eq!((r.status, body(&r).as_str()), (409, "5\n"));
    // 422: same size, another root.
    let forked = tree(12, "b", 3);
    let fork5 = signed(ORIGIN, 5, forked.root(5), &log_key());
    assert_eq!(add(&w, 5, &[], &fork5).status, 422);
    // 422: a proof that does not verify (a fork after 3 entries).
    let fork9 = signed(ORIGIN, 9, forked.root(9), &log_key());
    assert_eq!(add(&w, 5, &forked.proof(5, 9), &fork9).status, 422);
    assert_eq!(add(&w, 5, &t.proof(4, 9), &cp9).status, 422);
    // 200: consistent; the same tree again is fine too.
    assert_eq!(add(&w, 5, &t.proof(5, 9), &cp9).status, 200);
    assert_eq!(add(&w, 9, &[], &cp9).status, 200);
    // Rollback: old 9 > size 5 is a 400, old 5 a 409.
    assert_eq!(add(&w, 9, &[], &cp5).status, 400);
    assert_eq!(add(&w, 5, &[], &cp5).status, 409);
    assert_eq!(
        w.state().latest(ORIGIN).unwrap().unwrap().checkpoint.size,
        9
    );
}

#[test]
fn state_is_locked_named_injectively_and_survives_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tree(5, "a", 5);
    {
        let w = witness(tmp.path());
        assert!(matches!(
            WitnessState::open(tmp.path()),
            Err(StateError::Locked(_))
        ));
        let cp = signed(ORIGIN, 5, t.root(5), &log_key());
        assert_eq!(add(&w, 0, &[], &cp).status, 200);
    }
    // Released on drop; the state is there on reopening.
    let w = witness(tmp.path());
    let cp = signed(ORIGIN, 5, t.root(5), &log_key());
    assert_eq!(add(&w, 0, &[], &cp).status, 409);
    assert_eq!(
        state_file_name("igledger/ab_c.d"),
        "igledger_2fab_5fc.d.checkpoint"
    );
    assert_ne!(state_file_name("a/b"), state_file_name("a_b"));
    assert_ne!(state_file_name("a_2fb"), state_file_name("a/b"));
    // A damaged state file refuses, never restarts from nothing.
    std::fs::write(w.state().path_of(ORIGIN), "garbage").unwrap();
    assert_eq!(add(&w, 5, &[], &cp).status, 500);
}

#[test]
fn a_failed_write_poisons_the_state() {
    let tmp = tempfile::tempdir().unwrap();
    let w = witness(tmp.path());
    let t = tree(5, "a", 5);
    let cp = signed(ORIGIN, 5, t.root(5), &log_key());
    // A directory where the temporary file goes makes the write fail.
    std::fs::create_dir(tmp.path().join(format!("{}.tmp", state_file_name(ORIGIN)))).unwrap();
    assert_eq!(add(&w, 0, &[], &cp).status, 500);
    std::fs::remove_dir(tmp.path().join(format!("{}.tmp", state_file_name(ORIGIN)))).unwrap();
    let r = add(&w, 0, &[], &cp);
    assert_eq!(r.status, 500);
    assert!(r.summary.contains("restarted"), "{}", r.summary);
    assert!(!body(&r).contains(tmp.path().to_str().unwrap()));
}

#[test]
fn quorum_counts_valid_cosignatures_by_distinct_witnesses() {
    let t = tree(5, "a", 5);
    let mut cp = signed(ORIGIN, 5, t.root(5), &log_key());
    let (a, b) = (witness_key(), SigningKey::from_bytes(&[9; 32]));
    let va = VerifierKey::witness("a.example/w", public_key(&a));
    let vb = VerifierKey::witness("b.example/w", public_key(&b));
    cp.cosign("a.example/w", &a, 10);
    cp.cosign("a.example/w", &a, 11);
    let both = [va.clone(), vb.clone()];
    assert_eq!(check_quorum(&cp, &both, 1).unwrap(), vec!["a.example/w"]);
    let err = check_quorum(&cp, &both, 2).unwrap_err();
    assert!(
        err.contains("1 of the 2") && err.contains("b.example/w"),
        "{err}"
    );
    // The same key under another name is not that witness.
    let renamed = VerifierKey::witness("c.example/w", public_key(&a));
    assert!(check_quorum(&cp, &[renamed], 1).is_err());
    cp.cosign("b.example/w", &b, 12);
    assert_eq!(check_quorum(&cp, &both, 2).unwrap().len(), 2);
}

#[test]
fn answers_keep_only_the_witness_cosignatures() {
    let t = tree(5, "a", 5);
    let cp = signed(ORIGIN, 5, t.root(5), &log_key());
    let wk = witness_key();
    let vkey = VerifierKey::witness("partner.example/w1", public_key(&wk));
    let mut c = cp.clone();
    c.cosign("partner.example/w1", &wk, 1_800_000_000);
    c.cosign("other.example/w", &SigningKey::from_bytes(&[8; 32]), 5);
    c.cosign("partner.example/w1", &wk, 0); // no timestamp
    let lines: String = c.signatures[1..].iter().map(|s| s.to_line()).collect();
    let got = cosignatures_in_answer(&cp.checkpoint, &lines, &vkey).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].time, 1_800_000_000);
    assert!(cosignatures_in_answer(&cp.checkpoint, "hello\n", &vkey).is_err());
    assert!(cosignatures_in_answer(&cp.checkpoint, "", &vkey).is_err());
}
