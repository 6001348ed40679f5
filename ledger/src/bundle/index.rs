//! Step 10 of checking a bundle (`schema/FORMAT.md`, *Verifying a bundle*): the index
//! checkpoint, which binds the key history to the signed tree; every judged entry before it;
//! each subject list proved complete against its subject map and consistent with the entries
//! carried in full; and a subject claim's entries exactly those lists.

use super::check::{Tree, bad, check_author, decode_entry};
use super::history::KeyHistory;
use super::*;

/// Checks the index checkpoint and the subject lists; returns the index checkpoint's seq (the
/// tree size its subject map is of) and the subjects proved complete, in the bundle's order.
pub(super) fn check_index(
    b: &Bundle,
    tree: &Tree,
    history: &KeyHistory,
    verified: &[(Entry, Hash32, bool)],
    erasers: &BTreeMap<u64, (Entry, Hash32)>,
    hash_only: &BTreeMap<u64, Hash32>,
) -> Result<(u64, Vec<Complete>), BundleError> {
    // 10. The index checkpoint, the `CheckpointRecorded` entry just before the checkpoint's own,
    // inside the signed tree (so its commitments are the log's, not ones signed beside it); the
    // key history up to it; every judged entry before it; each subject list proved complete
    // against its subject map, and consistent with every entry carried in full.
    let (index_size, map) = match &b.index_checkpoint {
        Some(ie) => {
            let (entry, h) = decode_entry(ie)?;
            let at = entry.seq;
            let what = |m: &str| bad(format!("index checkpoint (seq {at}): {m}"));
            if at == 0 || at + 1 != tree.size || ie.payload.is_some() {
                return Err(what(
                    "not the entry just before the checkpoint's own (a bundle is proved against a checkpoint signed right after another)",
                ));
            }
            tree.prove(at, &h, &ie.proof).map_err(|e| what(&e.0))?;
            history.needs(
                &entry.event.body.author,
                &format!("index checkpoint (seq {at}): the author"),
            )?;
            check_author(
                &entry,
                &history.registry,
                &history.ledger_id,
                &format!("index checkpoint (seq {at})"),
            )?;
            let Event::CheckpointRecorded(ic) = &entry.event.body.event else {
                return Err(what("not a CheckpointRecorded entry"));
            };
            if ic.tree_size != at {
                return Err(what("it does not checkpoint the entries before it"));
            }
            // Its key history must be the bundle's, up to it: the key events before it are all
            // accounted for, by the log's own commitment.
            if ic.key_history != history.commitment_at_index {
                return Err(what(
                    "the bundle's key history up to it does not give the key-history commitment it records (a key event was left out, added or changed)",
                ));
            }
            (at, (ic.subject_map_size, ic.subject_map_root))
        }
        None => {
            return Err(bad(
                "the bundle carries no index checkpoint (the checkpoint entry just before its checkpoint's own, which binds its key history to the signed tree)",
            ));
        }
    };
    // Every entry judged (its author's key, as the key history stood then) lies before it: the
    // key history after the index checkpoint is not bound to the signed tree.
    if let Some(e) = verified
        .iter()
        .map(|(e, _, _)| e)
        .chain(erasers.values().map(|(e, _)| e))
        .find(|e| e.seq >= index_size)
    {
        return Err(bad(format!(
            "seq {}: not before the index checkpoint (seq {index_size}), so its author cannot be judged by a key history bound to the signed tree",
            e.seq
        )));
    }
    // Every entry hash the bundle carries, inclusion-proved (one seq with two hashes is refused).
    let mut carried: BTreeMap<u64, Hash32> = BTreeMap::new();
    let proved_hashes = std::iter::once((0, history.genesis_hash))
        .chain(hash_only.iter().map(|(s, h)| (*s, *h)))
        .chain(verified.iter().map(|(e, h, _)| (e.seq, *h)))
        .chain(erasers.values().map(|(e, h)| (e.seq, *h)));
    for (seq, h) in proved_hashes {
        if carried.insert(seq, h).is_some_and(|old| old != h) {
            return Err(bad(format!(
                "seq {seq} is carried with two different hashes"
            )));
        }
    }
    // Key events carried by seq, key and hash only are covered by the key-history commitment.
    for k in &b.keys {
        if carried
            .insert(k.seq, k.entry_hash)
            .is_some_and(|old| old != k.entry_hash)
        {
            return Err(bad(format!(
                "seq {}: the key history gives another hash than the entry carried",
                k.seq
            )));
        }
    }
    let mut complete = Vec::with_capacity(b.subject_index.len());
    for p in &b.subject_index {
        let done = crate::subject_map::check(p, &history.ledger_id, index_size, map, |seq| {
            carried.get(&seq).copied()
        })
        .map_err(bad)?;
        if complete
            .iter()
            .any(|c: &Complete| c.subject == done.subject)
        {
            return Err(bad(format!(
                "subject index: {} is proved twice",
                done.subject
            )));
        }
        let listed: BTreeSet<u64> = done.seqs.iter().copied().collect();
        // An entry carried in full is in the list exactly when it is about the subject.
        let full = std::iter::once(&history.genesis)
            .chain(verified.iter().map(|(e, _, _)| e))
            .chain(erasers.values().map(|(e, _)| e));
        for e in full.filter(|e| e.seq < index_size) {
            let person = history
                .registry
                .get(&e.event.body.author)
                .map(|k| &k.person);
            if done.subject.is_named_by(e, person) != listed.contains(&e.seq) {
                return Err(bad(format!(
                    "subject index of {}: seq {} is {} the subject but {} its list",
                    done.subject,
                    e.seq,
                    if listed.contains(&e.seq) {
                        "not about"
                    } else {
                        "about"
                    },
                    if listed.contains(&e.seq) {
                        "is in"
                    } else {
                        "not in"
                    }
                )));
            }
        }
        // A key's list is its key events, which the key history carries every one of.
        if let Named::Key(key) = &done.subject {
            let events: BTreeSet<u64> = std::iter::once((0, history.admin_key))
                .chain(b.keys.iter().map(|k| (k.seq, k.key)))
                .filter(|(s, k)| k == key && *s < index_size)
                .map(|(s, _)| s)
                .collect();
            if events != listed {
                return Err(bad(format!(
                    "subject index of {}: the list is not the key's events in the key history",
                    done.subject
                )));
            }
        }
        complete.push(done);
    }
    if let Claim::Subject { subjects } = &b.claim {
        // Each subject proved, in the claim's order, and the entries are exactly their lists.
        let proved: Vec<String> = complete.iter().map(|c| c.subject.to_string()).collect();
        if proved != *subjects {
            return Err(bad(format!(
                "the bundle claims every entry about {} but proves the lists of {}",
                subjects.join(" or "),
                if proved.is_empty() {
                    "none".to_string()
                } else {
                    proved.join(" and ")
                }
            )));
        }
        let want: BTreeSet<u64> = complete
            .iter()
            .flat_map(|c| c.seqs.iter().copied())
            .collect();
        let got: BTreeSet<u64> = verified.iter().map(|(e, _, _)| e.seq).collect();
        if let Some(missing) = want.difference(&got).next() {
            return Err(bad(format!(
                "seq {missing} is about {} but the bundle does not carry it: an entry was left out",
                subjects.join(" or ")
            )));
        }
        // A subject claim is the lists up to the index checkpoint, and nothing else.
        if let Some(extra) = got.difference(&want).next() {
            return Err(bad(format!(
                "seq {extra}: a subject claim carries the entries about its subjects before its index checkpoint (seq {index_size}), and this one is not among them"
            )));
        }
    }
    Ok((index_size, complete))
}
