//! Checking a bundle with no ledger ([`verify`], [`verify_detailed`]).

use super::history::KeyHistory;
use super::index::check_index;
use super::*;

/// Why a bundle does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BundleError(pub String);

pub(super) fn bad(m: impl Into<String>) -> BundleError {
    BundleError(m.into())
}

/// How the caller trusts the checkpoint.
pub enum Trust<'a> {
    /// A checkpoint the verifier already holds: the bundle's must be the same tree.
    Checkpoint(&'a SignedCheckpoint),
    /// The key that must have signed the checkpoint.
    Key(&'a PublicKey),
    /// Nothing outside the bundle: the checkpoint must be signed by a checkpoint key from the
    /// bundle's own key history (internal consistency only).
    BundleOnly,
}

pub(super) fn decode_hex_entry(seq: u64, hex_text: &str) -> Result<(Entry, Hash32), BundleError> {
    let bytes = hex::decode(hex_text).map_err(|_| bad(format!("seq {seq}: entry is not hex")))?;
    let entry: Entry = codec::decode(&bytes).map_err(|e| bad(format!("seq {seq}: {e}")))?;
    if entry.seq != seq {
        return Err(bad(format!("seq {seq}: the entry says seq {}", entry.seq)));
    }
    Ok((entry, entry_hash(&bytes)))
}

pub(super) fn decode_entry(be: &BundleEntry) -> Result<(Entry, Hash32), BundleError> {
    decode_hex_entry(be.seq, &be.entry)
}

/// Verifies a bundle's text with no ledger.
pub fn verify(text: &str, trust: Trust<'_>) -> Result<BundleReport, BundleError> {
    verify_detailed(text, trust).map(|v| v.report)
}

/// Checks that `entry` is signed for `ledger_id`, by a key of `registry` entitled to write it at
/// its seq (enrolled before it, not revoked by then, with a role that may write that event, and
/// the person it names for a person's own statement), and that the signature verifies. `at`
/// starts every message.
pub(super) fn check_author(
    entry: &Entry,
    registry: &HashMap<PublicKey, KeyRecord>,
    ledger_id: &igl_schema::LedgerId,
    at: &str,
) -> Result<(), BundleError> {
    let (n, body) = (entry.seq, &entry.event.body);
    if body.ledger_id != *ledger_id {
        return Err(bad(format!("{at}: signed for another ledger")));
    }
    let author = registry
        .get(&body.author)
        .filter(|k| usable_at(k, n))
        .ok_or_else(|| {
            bad(format!(
                "{at}: the author key {} is not enrolled (and unrevoked) at that point",
                body.author.short()
            ))
        })?;
    if !body.event.allowed_roles().contains(&author.role) {
        return Err(bad(format!(
            "{at}: a {} key may not write {}",
            author.role,
            body.event.type_name()
        )));
    }
    if let Some(p) = body.event.self_signed_by()
        && *p != author.person
    {
        return Err(bad(format!(
            "{at}: {} must be signed by {p}'s own key",
            body.event.type_name()
        )));
    }
    entry
        .event
        .verify_signature()
        .map_err(|e| bad(format!("{at}: {e}")))
}

/// Whether `k` was enrolled before `n` and not revoked by then.
pub(super) fn usable_at(k: &KeyRecord, n: u64) -> bool {
    k.enrolled_seq < n && k.active_at(n)
}

/// The signed tree a bundle is proved against.
pub(super) struct Tree {
    pub(super) size: u64,
    pub(super) root: Hash32,
}

impl Tree {
    /// Entry `seq` with hash `h` is leaf `seq` of the tree: `proof` leads to its root.
    pub(super) fn prove(&self, seq: u64, h: &Hash32, proof: &[Hash32]) -> Result<(), BundleError> {
        if merkle::verify_inclusion(seq, self.size, &merkle::leaf_hash(h), proof, &self.root) {
            Ok(())
        } else {
            Err(bad(format!(
                "seq {seq}: the inclusion proof does not lead to the checkpoint's root"
            )))
        }
    }
}

/// Step 1: the file, parsed, in canonical form (as igl writes it), every byte string
/// lowercase hex.
fn parse(text: &str) -> Result<Bundle, BundleError> {
    let b: Bundle = serde_json::from_str(text).map_err(|e| bad(format!("not a bundle: {e}")))?;
    if b.format != BUNDLE_FORMAT {
        return Err(bad(format!(
            "format {:?}; this build reads {BUNDLE_FORMAT}",
            b.format
        )));
    }
    if b.to_text() != text {
        return Err(bad("the file is not in canonical form (it was edited)"));
    }
    // Every byte string is lowercase hex, as written: one form per bundle.
    let hex_fields = std::iter::once(&b.checkpoint_event)
        .chain(
            b.entries
                .iter()
                .chain(b.erasures.iter())
                .chain(std::iter::once(&b.genesis))
                .flat_map(|e| std::iter::once(&e.entry).chain(e.payload.as_ref())),
        )
        .chain(b.keys.iter().filter_map(|k| k.entry.as_ref()))
        .chain(b.seals.iter());
    for h in hex_fields {
        if !h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad(
                "the file is not in canonical form: byte strings are lowercase hex (it was edited)",
            ));
        }
    }
    Ok(b)
}

/// Verifies a bundle's text with no ledger, returning what it holds. Every step is specified in
/// `schema/FORMAT.md`, *Bundles*, in this order.
pub fn verify_detailed(text: &str, trust: Trust<'_>) -> Result<Verified, BundleError> {
    // 1. The file.
    let b = parse(text)?;

    // 2. The checkpoint, and the trusted one it must equal.
    let cp = SignedCheckpoint::parse(&b.checkpoint).map_err(|e| bad(e.to_string()))?;
    if cp.to_text() != b.checkpoint {
        return Err(bad(
            "the checkpoint note is not in canonical form (as igl writes it): it was edited",
        ));
    }
    let (size, root) = (cp.checkpoint.size, cp.checkpoint.root);
    if let Trust::Checkpoint(t) = &trust
        && t.checkpoint != cp.checkpoint
    {
        return Err(bad(format!(
            "the bundle is proved against a checkpoint of {size} entries (root {root}), not the trusted one ({} entries, root {})",
            t.checkpoint.size, t.checkpoint.root
        )));
    }
    let tree = Tree { size, root };
    let prove = |seq: u64, h: &Hash32, proof: &[Hash32]| tree.prove(seq, h, proof);

    // 3 and 4. The genesis entry, and the key history folded into its commitment.
    let history = KeyHistory::check(&b, &tree, &cp.checkpoint.origin)?;
    let KeyHistory {
        genesis_hash: gh,
        ledger_id,
        registry,
        commitment,
        in_full,
        ..
    } = &history;
    let needs = |key: &PublicKey, what: &str| history.needs(key, what);

    // 5. The checkpoint's signer (pinned, or entitled by the key history) and the signed
    // CheckpointRecorded entry, whose commitment the key history must give.
    let known: Vec<KeyRecord> = registry.values().cloned().collect();
    let entitled = "any key the bundle's key history entitles to sign it (an admin or ig_officer key enrolled before the checkpoint and not revoked by then)";
    let trusted_cosignatures: Vec<NoteSignature> = match &trust {
        Trust::Checkpoint(t) => t
            .signatures
            .iter()
            .filter(|s| Cosignature::from_note_signature(s).is_some())
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let checkpoint_key = match trust {
        Trust::Key(k) => cp
            .verify(k)
            .then_some(*k)
            .ok_or_else(|| bad("the checkpoint is not signed by the trusted key"))?,
        Trust::Checkpoint(t) => checkpoint_signer(&known, t).ok_or_else(|| {
            bad(format!(
                "the trusted checkpoint is not signed by {entitled}"
            ))
        })?,
        Trust::BundleOnly => checkpoint_signer(&known, &cp)
            .ok_or_else(|| bad(format!("the checkpoint is not signed by {entitled}")))?,
    };
    needs(&checkpoint_key, "the checkpoint's")?;
    let ce: SignedEvent = hex::decode(&b.checkpoint_event)
        .ok()
        .and_then(|bytes| codec::decode(&bytes).ok())
        .ok_or_else(|| bad("checkpoint event: not a canonical signed event in hex"))?;
    let Event::CheckpointRecorded(c) = &ce.body.event else {
        return Err(bad(
            "checkpoint event: it is not a CheckpointRecorded event",
        ));
    };
    let checkpoint_time = c.time;
    let recorded = Checkpoint {
        origin: cp.checkpoint.origin.clone(),
        size: c.tree_size,
        root: c.root,
    };
    if ce.body.author != checkpoint_key
        || ce.body.ledger_id != *ledger_id
        || ce.body.validate().is_err()
        || ce.verify_signature().is_err()
        || recorded != cp.checkpoint
        || !SignedCheckpoint::new(recorded, c.note_signature.0, &checkpoint_key)
            .verify(&checkpoint_key)
    {
        return Err(bad(
            "checkpoint event: it is not the checkpoint's own CheckpointRecorded event, signed by the checkpoint's signer",
        ));
    }
    let mut cosigned = cp.clone();
    merge_signatures(
        &mut cosigned,
        c.cosignatures.iter().map(Cosignature::to_note_signature),
    );
    merge_signatures(&mut cosigned, trusted_cosignatures);
    if c.key_history != *commitment {
        return Err(bad(format!(
            "the key history is incomplete or altered: it gives the commitment {commitment}, but the signed checkpoint entry commits to {} (a key event was left out, added or changed)",
            c.key_history
        )));
    }

    // 6. The listed entries and the erasures: proved, signed by a key entitled at that point.
    let check = |be: &BundleEntry| -> Result<(Entry, Hash32, bool), BundleError> {
        let (mut entry, h) = decode_entry(be)?;
        let n = entry.seq;
        prove(n, &h, &be.proof)?;
        if n == 0 {
            // Entry 0 is the genesis, checked above; listed again, it must be that very entry.
            if h != *gh || be.payload.is_some() {
                return Err(bad("seq 0: not the bundle's genesis entry"));
            }
            return Ok((entry, h, false));
        }
        needs(&entry.event.body.author, &format!("seq {n}: the author"))?;
        check_author(&entry, registry, ledger_id, &format!("seq {n}"))?;
        let opened = match &be.payload {
            Some(p) => {
                let bytes =
                    hex::decode(p).map_err(|_| bad(format!("seq {n}: payload is not hex")))?;
                let payload: Payload =
                    codec::decode(&bytes).map_err(|e| bad(format!("seq {n}: payload: {e}")))?;
                entry
                    .event
                    .open(&payload)
                    .map_err(|e| bad(format!("seq {n}: {e}")))?;
                true
            }
            None => false,
        };
        Ok((entry, h, opened))
    };
    if b.entries.windows(2).any(|w| w[0].seq >= w[1].seq) {
        return Err(bad("the entries are not in strictly increasing seq order"));
    }
    let mut verified = Vec::with_capacity(b.entries.len());
    let mut with_pd = 0;
    for be in &b.entries {
        if be.seq >= size {
            return Err(bad(format!(
                "seq {}: not covered by the checkpoint",
                be.seq
            )));
        }
        let v = check(be)?;
        with_pd += usize::from(v.2);
        verified.push(v);
    }
    let mut erasers: BTreeMap<u64, (Entry, Hash32)> = BTreeMap::new();
    let mut last = None;
    for be in &b.erasures {
        if last.is_some_and(|l| l >= be.seq) || b.entries.iter().any(|e| e.seq == be.seq) {
            return Err(bad(
                "the erasures are not in strictly increasing seq order, or repeat a listed entry",
            ));
        }
        last = Some(be.seq);
        let (entry, h, _) = check(be)?;
        if !matches!(entry.event.body.event, Event::Redacted(_)) || be.payload.is_some() {
            return Err(bad(format!(
                "erasures: seq {} is not a Redacted entry",
                be.seq
            )));
        }
        erasers.insert(be.seq, (entry, h));
    }
    // Every Redacted entry carried (listed or as an erasure), by the seq it erased.
    let mut erased_by: BTreeMap<u64, u64> = BTreeMap::new();
    for (e, _, _) in verified.iter() {
        if let Event::Redacted(r) = &e.event.body.event {
            erased_by.insert(r.seq, e.seq);
        }
    }
    for (seq, (e, _)) in &erasers {
        if let Event::Redacted(r) = &e.event.body.event {
            erased_by.insert(r.seq, *seq);
        }
    }

    // 7. The claim.
    let mut erased = 0;
    match &b.claim {
        Claim::Range { from, to } => {
            let want = to.checked_sub(*from).and_then(|d| d.checked_add(1));
            let got: Vec<u64> = b.entries.iter().map(|e| e.seq).collect();
            if want != Some(got.len() as u64)
                || got.first() != Some(from)
                || got.last() != Some(to)
                || !b.hash_only.is_empty()
            {
                return Err(bad(format!(
                    "the bundle claims every entry from seq {from} to seq {to} but holds {} entries{}: an entry was left out",
                    got.len(),
                    if b.hash_only.is_empty() {
                        ""
                    } else {
                        " (and some by hash only)"
                    }
                )));
            }
            for w in verified.windows(2) {
                if w[1].0.prev_hash != w[0].1 {
                    return Err(bad(format!(
                        "seq {}: its prev_hash is not the hash of seq {}",
                        w[1].0.seq, w[0].0.seq
                    )));
                }
            }
        }
        Claim::Subject { subjects } => {
            let wanted: Vec<Named> = subjects
                .iter()
                .map(|s| Named::parse(s).map_err(|e| bad(format!("claim: {e}"))))
                .collect::<Result<_, _>>()?;
            if wanted.is_empty() || !b.hash_only.is_empty() {
                return Err(bad(
                    "a subject claim names subjects and lists entries in full",
                ));
            }
            for (e, _, _) in &verified {
                let person = registry.get(&e.event.body.author).map(|k| &k.person);
                if !wanted.iter().any(|w| w.is_named_by(e, person)) {
                    return Err(bad(format!(
                        "seq {}: the bundle claims entries about {} but this one is about none of them",
                        e.seq,
                        subjects.join(" or ")
                    )));
                }
            }
        }
        Claim::Selection => {}
    }
    if !matches!(b.claim, Claim::Selection) {
        // An auditor's bundle carries personal data: one carried without it must have been
        // erased, by a Redacted entry the bundle carries and that names this entry's hash.
        for (e, h, opened) in &verified {
            if !e.event.has_pii() || *opened {
                continue;
            }
            let by = erased_by.get(&e.seq).ok_or_else(|| {
                bad(format!(
                    "seq {}: its personal data is missing and the bundle carries no Redacted entry that erased it",
                    e.seq
                ))
            })?;
            let names_it = verified
                .iter()
                .map(|(x, _, _)| x)
                .chain(erasers.values().map(|(x, _)| x))
                .any(|x| {
                    x.seq == *by
                        && matches!(&x.event.body.event, Event::Redacted(r) if r.entry_hash == *h)
                });
            if !names_it {
                return Err(bad(format!(
                    "seq {}: the Redacted entry at seq {by} does not name this entry's hash",
                    e.seq
                )));
            }
            erased += 1;
        }
    }

    // 8. The seals (range bundles): each of a batch wholly inside the range, signed by a key
    // entitled to append, naming this ledger and the hash of the batch's last entry.
    let mut last_sealed: Option<u64> = None;
    for hex_text in &b.seals {
        let Claim::Range { from, to } = &b.claim else {
            return Err(bad("only a range bundle carries seals"));
        };
        let seal: igl_schema::Seal = hex::decode(hex_text)
            .ok()
            .and_then(|bytes| codec::decode(&bytes).ok())
            .ok_or_else(|| bad("seals: a seal is not a canonical seal in hex"))?;
        let s = &seal.body;
        let where_ = format!("seal of entries {}..={}", s.first_seq, s.last_seq);
        if s.first_seq < *from
            || s.last_seq > *to
            || s.first_seq > s.last_seq
            || last_sealed.is_some_and(|l| s.first_seq <= l)
        {
            return Err(bad(format!(
                "{where_}: not a batch inside the range, after the previous seal"
            )));
        }
        last_sealed = Some(s.last_seq);
        if s.ledger_id != *ledger_id {
            return Err(bad(format!("{where_}: it names another ledger")));
        }
        let (last, last_hash, _) = &verified[(s.last_seq - from) as usize];
        if s.head_hash != *last_hash || s.sealed_at < last.recorded_at {
            return Err(bad(format!(
                "{where_}: it does not seal the bundle's entry {} (hash or time differs)",
                s.last_seq
            )));
        }
        needs(&s.appender, &format!("{where_}: the appender"))?;
        // Enrolled by the end of the batch and not revoked within it (a revocation in a later
        // batch does not undo a seal made before it).
        let ok = registry.get(&s.appender).is_some_and(|k| {
            k.enrolled_seq <= s.last_seq
                && k.active_at(s.last_seq)
                && crate::chain::APPENDER_ROLES.contains(&k.role)
        });
        if !ok || !seal.verify_signature() {
            return Err(bad(format!(
                "{where_}: not signed by a key entitled to append at that point"
            )));
        }
    }

    // 9. The entries proved by hash only.
    let mut hash_only = BTreeMap::new();
    let mut last = None;
    for ho in &b.hash_only {
        if last.is_some_and(|l| l >= ho.seq) {
            return Err(bad(
                "the hash-only entries are not in strictly increasing seq order",
            ));
        }
        last = Some(ho.seq);
        if b.entries.iter().any(|e| e.seq == ho.seq) {
            return Err(bad(format!(
                "seq {}: listed both in full and by hash only",
                ho.seq
            )));
        }
        prove(ho.seq, &ho.entry_hash, &ho.proof).map_err(|_| {
            bad(format!(
                "seq {}: the inclusion proof of the hash-only entry does not lead to the checkpoint's root",
                ho.seq
            ))
        })?;
        hash_only.insert(ho.seq, ho.entry_hash);
    }

    // 10. The index checkpoint and the subject lists.
    let (index_size, complete) = check_index(&b, &tree, &history, &verified, &erasers, &hash_only)?;

    Ok(Verified {
        report: BundleReport {
            origin: cp.checkpoint.origin.clone(),
            tree_size: size,
            root,
            time: Some(checkpoint_time),
            checkpoint_key,
            checkpoint: cosigned,
            claim: b.claim.clone(),
            entries: b.entries.len(),
            key_events: b.keys.len(),
            key_events_in_full: *in_full,
            with_personal_data: with_pd,
            erased,
            hash_only: hash_only.len(),
            seals: b.seals.len(),
            complete,
            complete_up_to: (!b.subject_index.is_empty()).then_some(index_size),
        },
        entries: verified,
        hash_only,
        keys: history.registry,
    })
}
