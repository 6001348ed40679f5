//! Proof that holds outside the council, tried by someone with write access to the ledger
//! directory but no keys, and by holders of keys that may not sign checkpoints: a forged Merkle
//! tree is never checkpointed, proved or witnessed; a checkpoint signed by a revoked or
//! wrong-role key is not trusted; bundles that include seq 0 verify.

use std::path::Path;

use igl_ledger::merkle;
use igl_ledger::store::{cf, node_key};
use igl_schema::Hash32;
use igl_schema::note::{Checkpoint, SignedCheckpoint};
use serde_json::json;

use crate::util::{Council, Key, enrol, grant, open_raw, person, training};

/// Rewrites the stored tree as a forger would: leaf `leaf` replaced by `forged`, and every
/// stored complete subtree above it recomputed, so the stored tree is consistent with itself
/// (and gives another root) but not with the entries.
fn forge_tree(ledger: &Path, leaf: u64, forged: Hash32) {
    let db = open_raw(ledger);
    let h = db.cf_handle(cf::MERKLE).unwrap();
    let get = |level: u8, index: u64| -> Option<Hash32> {
        db.get_cf(h, node_key(level, index))
            .unwrap()
            .map(|v| Hash32(v.try_into().unwrap()))
    };
    db.put_cf(h, node_key(0, leaf), forged.0).unwrap();
    let (mut level, mut index, mut node) = (0u8, leaf, forged);
    loop {
        let sibling = get(level, index ^ 1);
        let parent = match sibling {
            Some(s) if index & 1 == 1 => merkle::node_hash(&s, &node),
            Some(s) => merkle::node_hash(&node, &s),
            None => break,
        };
        level += 1;
        index >>= 1;
        if get(level, index).is_none() {
            break;
        }
        db.put_cf(h, node_key(level, index), parent.0).unwrap();
        node = parent;
    }
    db.flush_cf(h).unwrap();
}

fn checkpoint(c: &Council, key: &Key) -> String {
    let out = c.dir.join("cp.txt");
    c.igl()
        .args(["checkpoint", "--key"])
        .arg(&key.path)
        .arg("--out")
        .arg(&out)
        .ok();
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn a_forged_tree_cannot_be_checkpointed_proved_or_witnessed() {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            grant("G-1", "P100", "Case work"),
            training("P100", 20),
        ],
    );
    checkpoint(&c, &c.ig);
    let witness = c.dir.new_key("witness.key");
    let state = c.dir.join("witness-state");
    c.dir
        .igl()
        .args(["witness", "--key"])
        .arg(&witness.path)
        .arg("--state")
        .arg(&state)
        .args(["--log-key", &c.ig.public, "cp.txt"])
        .ok();
    c.append(&c.ig, &[training("P100", 21)]);
    let (head, _) = c.head();

    let v = c.igl().args(["prove", "2", "--json"]).json();
    assert_eq!(v["verified"], true, "before the forgery: {v}");
    // A checkpoint is accepted only from the pinned key.
    let (out, err) = c
        .igl()
        .args(["prove", "2", "--json", "--trusted-key", &c.staff.public])
        .fails(1);
    assert!(
        out.is_empty() && err.contains("no checkpoint signed by the trusted key"),
        "{err}"
    );

    // Leaf 3 is under the checkpoint; the proof of leaf 2 passes through it.
    forge_tree(&c.ledger, 3, Hash32([0x77; 32]));

    // verify names the stored tree.
    let (_, message) = c.verify_fails();
    assert!(message.contains("`merkle`"), "{message}");

    // checkpoint signs nothing: exit 1, and nothing is recorded.
    let (_, err) = c
        .igl()
        .args(["checkpoint", "--key"])
        .arg(&c.ig.path)
        .fails(1);
    assert!(err.contains("does not verify"), "{err}");
    assert!(err.contains("no checkpoint was signed"), "{err}");
    let log = c.log(&[]);
    assert_eq!(log.len() as u64, head + 1, "nothing was appended");

    // prove checks against the signed checkpoint's root, so the forged nodes do not verify
    // (with the signer pinned); without a pinned key it verifies the ledger first, and refuses.
    let (out, _) = c
        .igl()
        .args(["prove", "2", "--json", "--trusted-key", &c.ig.public])
        .fails(1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"], false, "{v}");
    let (out, err) = c.igl().args(["prove", "2", "--json"]).fails(1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("does not verify"), "{err}");

    // A witness given the ledger (and no pinned key) verifies it and refuses.
    let (_, err) = c
        .dir
        .igl()
        .args(["witness", "--key"])
        .arg(&witness.path)
        .arg("--state")
        .arg(&state)
        .arg("--ledger")
        .arg(&c.ledger)
        .arg("cp.txt")
        .fails(1);
    assert!(err.contains("does not verify"), "{err}");
}

/// A checkpoint note signed by a key, as an attacker holding it would make one.
fn forge_checkpoint(c: &Council, key: &Key) -> String {
    let v = c.verify();
    let ledger_id = v["ledger_id"].as_str().unwrap();
    let size = v["entries"].as_u64().unwrap();
    // The real root of the whole ledger: sign a checkpoint honestly with the ig key, then sign
    // the same checkpoint with `key`.
    let honest = checkpoint(c, &c.ig);
    let cp = SignedCheckpoint::parse(&honest).unwrap();
    assert_eq!(cp.checkpoint.size, size);
    assert!(cp.checkpoint.origin.contains(ledger_id));
    sign_note(key, cp.checkpoint)
}

/// A checkpoint note of `cp` signed with the key in `key`'s file.
fn sign_note(key: &Key, cp: Checkpoint) -> String {
    let text = std::fs::read_to_string(&key.path).unwrap();
    let seed = text
        .lines()
        .find_map(|l| l.strip_prefix("igl-secret-key-v1:"))
        .expect("a plain key file");
    let sk = igl_schema::SigningKey::from_bytes(&hex::decode(seed).unwrap().try_into().unwrap());
    let sig = cp.sign(&sk);
    SignedCheckpoint::new(cp, sig, &igl_schema::public_key(&sk)).to_text()
}

/// A new witness (its own key and state, named by `tag`), given the ledger, refuses to cosign
/// the checkpoint in `file` with exit `code`: its error message.
fn new_witness_refuses(c: &Council, file: &str, tag: &str, code: i32) -> String {
    let w = c.dir.new_key(&format!("w-{tag}.key"));
    let (_, err) = c
        .dir
        .igl()
        .args(["witness", "--key"])
        .arg(&w.path)
        .arg("--state")
        .arg(c.dir.join(&format!("ws-{tag}")))
        .arg("--ledger")
        .arg(&c.ledger)
        .arg(file)
        .fails(code);
    err
}

#[test]
fn checkpoints_signed_by_revoked_or_wrong_role_keys_are_not_trusted() {
    let c = Council::new();
    let ig2 = c.dir.new_key("ig2.key");
    c.append(&c.admin, &[enrol(&ig2, "P3", "ig_officer")]);
    c.append(&c.ig, &[person("P100", "Ada Lovelace")]);
    // ig2 is revoked; its key later signs a checkpoint (stolen, or its holder rogue).
    c.append(
        &c.admin,
        &[
            json!({"type": "KeyRevoked", "key": ig2.public, "person": "P3",
                 "reason": "Left the council", "occurred_at": crate::util::at(5, 9)}),
        ],
    );
    let revoked = forge_checkpoint(&c, &ig2);
    c.dir.write("revoked.txt", &revoked);
    let (out, _) = c
        .igl()
        .args(["verify", "--against", "revoked.txt"])
        .fails(1);
    assert!(out.contains("not signed by any key entitled"), "{out}");
    // A staff key may not sign checkpoints either.
    let staff = forge_checkpoint(&c, &c.staff);
    c.dir.write("staff.txt", &staff);
    let (out, _) = c.igl().args(["verify", "--against", "staff.txt"]).fails(1);
    assert!(out.contains("not signed by any key entitled"), "{out}");
    // The witness given the ledger refuses both.
    for f in ["revoked.txt", "staff.txt"] {
        let err = new_witness_refuses(&c, f, f, 2);
        assert!(err.contains("entitles to sign it"), "{err}");
    }
    // Before its revocation (seq 7) ig2 was entitled to sign a checkpoint of 6 entries: a note it
    // signs now, backdated to that size, with a root the first 6 entries do not have (made up,
    // or a later checkpoint's), and never recorded in the ledger, gets no cosignature from a
    // witness that is given the ledger.
    let cp6 = SignedCheckpoint::parse(&revoked).unwrap().checkpoint;
    for (i, root) in [Hash32([0x66; 32]), cp6.root].into_iter().enumerate() {
        let backdated = sign_note(
            &ig2,
            Checkpoint {
                size: 6,
                root,
                ..cp6.clone()
            },
        );
        c.dir.write("backdated.txt", &backdated);
        let err = new_witness_refuses(&c, "backdated.txt", &format!("backdated-{i}"), 1);
        assert!(
            err.contains("not one this ledger recorded")
                || err.contains("not the CheckpointRecorded"),
            "{err}"
        );
    }
    // The honest checkpoint is trusted.
    checkpoint(&c, &c.ig);
    let out = c.igl().args(["verify", "--against", "cp.txt"]).ok();
    assert!(out.contains("consistent with the checkpoint"), "{out}");
}

#[test]
fn bundles_that_include_the_genesis_entry_verify() {
    let c = Council::new();
    c.append(&c.ig, &[person("P100", "Ada Lovelace")]);
    // Two checkpoints in a row: a bundle holds the entries before the one just before its own.
    checkpoint(&c, &c.ig);
    checkpoint(&c, &c.ig);
    c.igl()
        .args(["bundle", "--from", "0", "--to", "5", "--out", "b.json"])
        .ok();
    // Without a trust anchor a bundle proves nothing about the real ledger: exit 1, unless
    // internal consistency is explicitly all that is asked for.
    let (out, _) = c.dir.igl().args(["verify-bundle", "b.json"]).fails(1);
    assert!(out.contains("nothing ties it to the real ledger"), "{out}");
    let out = c
        .dir
        .igl()
        .args(["verify-bundle", "b.json", "--unanchored"])
        .ok();
    assert!(out.contains('✔') && out.contains("--unanchored"), "{out}");
    c.dir
        .igl()
        .args(["verify-bundle", "b.json", "--trusted-key", &c.ig.public])
        .ok();
}

/// An author's signature names its ledger: an event signed for one council's ledger (e.g. lifted
/// from a bundle or a SAR pack) is refused by another where the same key is enrolled.
#[test]
fn an_event_signed_for_one_ledger_is_refused_by_another() {
    let a = Council::new();
    let b = Council::new();
    // The same member of staff's key, enrolled in both ledgers.
    b.append(&b.admin, &[enrol(&a.staff, "P100", "staff")]);
    let breach = json!({"type": "BreachReported", "breach": "BR-1", "reported_by": "P100",
        "aware_at": crate::util::at(3, 8), "kind": "loss", "description": "Lost a laptop",
        "occurred_at": crate::util::at(3, 9)});
    let signed = a.sign(&a.staff, std::slice::from_ref(&breach));
    a.dir.write("signed.jsonl", &signed);
    let (_, err) = b
        .igl()
        .args(["append", "--key"])
        .arg(&b.ig.path)
        .arg(a.dir.join("signed.jsonl"))
        .fails(2);
    assert!(err.contains("was signed for ledger"), "{err}");
    assert!(err.contains("nothing was appended"), "{err}");
    // The ledger it was signed for takes it.
    a.igl()
        .args(["append", "--key"])
        .arg(&a.ig.path)
        .arg("signed.jsonl")
        .ok();
    // `igl sign` must be told the ledger.
    let (_, err) = a
        .dir
        .igl()
        .args(["sign", "--key"])
        .arg(&a.staff.path)
        .stdin(crate::util::jsonl(&[breach]))
        .fails(2);
    assert!(err.contains("--ledger-id"), "{err}");
}

/// `igl prove --trusted-key K` proves against the latest checkpoint K signed, passing over a
/// later one by another entitled key.
#[test]
fn prove_with_a_pinned_key_uses_the_latest_checkpoint_that_key_signed() {
    let c = Council::new();
    c.append(&c.ig, &[person("P100", "Ada Lovelace")]);
    checkpoint(&c, &c.ig);
    let by_ig = c.verify()["entries"].as_u64().unwrap() - 1;
    c.append(&c.ig, &[training("P100", 21)]);
    checkpoint(&c, &c.admin);
    let v = c
        .igl()
        .args(["prove", "2", "--json", "--trusted-key", &c.ig.public])
        .json();
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(
        v["tree_size"], by_ig,
        "the IG officer's checkpoint, not the admin's later one"
    );
    let v = c
        .igl()
        .args(["prove", "2", "--json", "--trusted-key", &c.admin.public])
        .json();
    assert_eq!(v["tree_size"].as_u64().unwrap(), by_ig + 2);
}
