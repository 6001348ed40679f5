//! Steps 3 and 4 of checking a bundle (`schema/FORMAT.md`, *Verifying a bundle*): the genesis
//! entry, and the key history folded into its commitment, with the registry of the keys it
//! carries in full.

use super::check::{Tree, bad, check_author, decode_entry, decode_hex_entry};
use super::*;

/// The key history a bundle carries, checked.
pub(super) struct KeyHistory {
    /// The ledger's id, from its genesis entry.
    pub(super) ledger_id: igl_schema::LedgerId,
    /// The first admin key, enrolled by the genesis entry.
    pub(super) admin_key: PublicKey,
    pub(super) genesis: Entry,
    pub(super) genesis_hash: Hash32,
    /// Every key the history carries in full (and the genesis admin's), as its events leave it.
    pub(super) registry: HashMap<PublicKey, KeyRecord>,
    /// The key-history commitment of every key event before the checkpoint.
    pub(super) commitment: Hash32,
    /// The commitment of the key events before the index checkpoint.
    pub(super) commitment_at_index: Hash32,
    /// Keys with an event carried by seq, key and hash only: the first such seq.
    withheld: BTreeMap<PublicKey, u64>,
    /// Key events carried in full.
    pub(super) in_full: usize,
}

impl KeyHistory {
    /// Checks the genesis entry (proved as leaf 0, self-signed, naming the checkpoint's origin)
    /// and the key history: every key event before the checkpoint in seq order, folded into the
    /// commitment; those carried in full proved, signed by a key entitled then (itself carried
    /// in full) and applied to the registry.
    pub(super) fn check(
        b: &Bundle,
        tree: &Tree,
        checkpoint_origin: &str,
    ) -> Result<KeyHistory, BundleError> {
        // 3. Genesis: the ledger's id (the origin) and its first admin key.
        let (g, gh) = decode_entry(&b.genesis)?;
        tree.prove(0, &gh, &b.genesis.proof)?;
        let Event::LedgerCreated(lc) = &g.event.body.event else {
            return Err(bad("the genesis entry is not LedgerCreated"));
        };
        if g.seq != 0
            || g.event.body.ledger_id != lc.ledger_id
            || g.event.body.author != lc.admin_key
            || g.event.verify_signature().is_err()
            || b.genesis.payload.is_some()
        {
            return Err(bad(
                "the genesis entry is not entry 0 self-signed by its admin key",
            ));
        }
        if origin(&lc.ledger_id) != checkpoint_origin {
            return Err(bad("the checkpoint's origin does not name this ledger"));
        }
        let mut registry: HashMap<PublicKey, KeyRecord> = HashMap::new();
        registry.insert(
            lc.admin_key,
            KeyRecord {
                key: lc.admin_key,
                person: lc.admin_person.clone(),
                role: Role::Admin,
                enrolled_seq: 0,
                revoked_seq: None,
            },
        );

        // 4. The key history: every key event before the checkpoint, folded into the commitment;
        // those carried in full are checked as entries and build the registry.
        let mut commitment = key_history_step(&Hash32::ZERO, 0, &lc.admin_key, &gh);
        // The key-history commitment of the key events before the index checkpoint, if any.
        let index_at = b.index_checkpoint.as_ref().map(|e| e.seq);
        let mut commitment_at_index = None;
        let mut withheld: BTreeMap<PublicKey, u64> = BTreeMap::new();
        let mut key_event_authors: Vec<(u64, PublicKey)> = Vec::new();
        let mut last = 0u64;
        let mut in_full = 0usize;
        for k in &b.keys {
            if k.seq <= last || k.seq >= tree.size {
                return Err(bad(format!(
                    "key history: seq {} is out of order or not before the checkpoint",
                    k.seq
                )));
            }
            last = k.seq;
            if index_at.is_some_and(|at| k.seq >= at) && commitment_at_index.is_none() {
                commitment_at_index = Some(commitment);
            }
            commitment = key_history_step(&commitment, k.seq, &k.key, &k.entry_hash);
            let Some(hex_text) = &k.entry else {
                if !k.proof.is_empty() {
                    return Err(bad(format!(
                        "key history: seq {}: a proof without its entry",
                        k.seq
                    )));
                }
                withheld.entry(k.key).or_insert(k.seq);
                continue;
            };
            in_full += 1;
            let n = k.seq;
            let (entry, h) = decode_hex_entry(n, hex_text)?;
            if h != k.entry_hash || entry.event.body.event.key_event_key() != Some(k.key) {
                return Err(bad(format!(
                    "key history: seq {n}: the entry does not have the hash and key listed with it"
                )));
            }
            // In the signed log itself, not only in the commitment the checkpoint's signer made.
            tree.prove(n, &h, &k.proof)
                .map_err(|e| bad(format!("key history: {e}")))?;
            let body = &entry.event.body;
            check_author(
                &entry,
                &registry,
                &lc.ledger_id,
                &format!("key history: seq {n}"),
            )?;
            key_event_authors.push((n, body.author));
            match &body.event {
                Event::KeyEnrolled(e) => {
                    if registry.contains_key(&e.key) {
                        return Err(bad(format!(
                            "key history: seq {n}: enrols key {} which is already enrolled",
                            e.key.short()
                        )));
                    }
                    registry.insert(
                        e.key,
                        KeyRecord {
                            key: e.key,
                            person: e.person.clone(),
                            role: e.role,
                            enrolled_seq: n,
                            revoked_seq: None,
                        },
                    );
                }
                Event::KeyRevoked(e) => match registry.get_mut(&e.key) {
                    Some(r) if r.revoked_seq.is_none() && r.person == e.person => {
                        r.revoked_seq = Some(n)
                    }
                    _ => {
                        return Err(bad(format!(
                            "key history: seq {n}: revokes key {} which is not enrolled to that person and unrevoked",
                            e.key.short()
                        )));
                    }
                },
                other => {
                    return Err(bad(format!(
                        "key history: seq {n}: {} is not a key event",
                        other.type_name()
                    )));
                }
            }
        }
        let history = KeyHistory {
            ledger_id: lc.ledger_id,
            admin_key: lc.admin_key,
            genesis: g,
            genesis_hash: gh,
            registry,
            commitment,
            commitment_at_index: commitment_at_index.unwrap_or(commitment),
            withheld,
            in_full,
        };
        for (n, author) in &key_event_authors {
            history.needs(author, &format!("key history: seq {n}: the author"))?;
        }
        Ok(history)
    }

    /// A key the bundle uses must have every one of its events in full: `what` names the use.
    pub(super) fn needs(&self, key: &PublicKey, what: &str) -> Result<(), BundleError> {
        match self.withheld.get(key) {
            Some(seq) => Err(bad(format!(
                "{what} key {} has a key event (seq {seq}) withheld from the key history: its role or revocation cannot be checked",
                key.short()
            ))),
            None => Ok(()),
        }
    }
}
