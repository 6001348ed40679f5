//! The checks themselves: [`check_entry`] (may this entry follow the head, and what does it change) and [`check_seal`].

use super::*;

/// Refuses the entry: a chain-rule violation with this message.
macro_rules! bail {
    ($($t:tt)*) => { return Err(CheckError::Violation(Violation(format!($($t)*)))) };
}

/// Checks `entry` (with hash `hash`) as the successor of `head` (`None` for an empty ledger).
/// Returns the state changes to apply when it is accepted.
pub fn check_entry<L: Lookup>(
    lookup: &L,
    head: Option<&Head>,
    entry: &Entry,
    hash: Hash32,
) -> Result<Vec<Effect>, CheckError<L::Error>> {
    let n = head.map_or(0, |h| h.seq + 1);
    if entry.seq != n {
        bail!(
            "expected seq {n} here but the entry says seq {} (an entry is missing, duplicated or out of order)",
            entry.seq
        );
    }
    let prev = head.map_or(Hash32::ZERO, |h| h.hash);
    if entry.prev_hash != prev {
        match head {
            Some(_) => bail!(
                "prev_hash {} does not match the hash of entry {} ({prev}): entry {} or this link was altered",
                entry.prev_hash,
                n - 1,
                n - 1
            ),
            None => bail!("entry 0 must have an all-zero prev_hash"),
        }
    }
    if let Some(h) = head
        && entry.recorded_at < h.recorded_at
    {
        bail!(
            "recorded_at {} is earlier than entry {}'s ({}); recorded_at never goes back",
            entry.recorded_at,
            n - 1,
            h.recorded_at
        );
    }
    let body = &entry.event.body;
    body.validate().map_err(|e| Violation(e.to_string()))?;
    let skew = body.occurred_at.micros() - entry.recorded_at.micros();
    if skew > MAX_CLOCK_SKEW_SECS * 1_000_000 {
        bail!(
            "occurred_at {} is after recorded_at {}: an event cannot be recorded before it happens",
            body.occurred_at,
            entry.recorded_at
        );
    }
    let event = &body.event;
    let mut effects = Vec::new();

    // For which ledger was it signed?
    let ledger_id = match event {
        Event::LedgerCreated(g) => Some(g.ledger_id),
        _ => lookup.ledger_id().map_err(CheckError::Lookup)?,
    };
    if Some(body.ledger_id) != ledger_id {
        bail!(
            "the event was signed for ledger {}, not this one{}: a signed event belongs to the ledger its author named",
            body.ledger_id,
            ledger_id.map(|l| format!(" ({l})")).unwrap_or_default()
        );
    }

    // Who signed it, and may they?
    if let Event::LedgerCreated(g) = event {
        if n != 0 {
            bail!("LedgerCreated may only be entry 0");
        }
        if body.author != g.admin_key {
            bail!("the genesis entry must be signed by the admin key it names");
        }
        entry
            .event
            .verify_signature()
            .map_err(|e| Violation(e.to_string()))?;
        effects.push(Effect::Genesis {
            ledger_id: g.ledger_id,
        });
        effects.push(Effect::KeyEnrolled(KeyRecord {
            key: g.admin_key,
            person: g.admin_person.clone(),
            role: Role::Admin,
            enrolled_seq: 0,
            revoked_seq: None,
        }));
    } else {
        if n == 0 {
            bail!("entry 0 must be LedgerCreated, found {}", event.type_name());
        }
        let Some(author) = lookup.key(&body.author).map_err(CheckError::Lookup)? else {
            bail!(
                "author key {} is not enrolled in this ledger",
                body.author.short()
            );
        };
        if !author.active_at(n) {
            bail!(
                "author key {} was revoked before this entry",
                author.describe()
            );
        }
        let verified = lookup
            .signature_verified(n)
            .unwrap_or_else(|| entry.event.verify_signature().is_ok());
        if !verified {
            bail!("signature does not verify for key {}", author.describe());
        }
        if !event.allowed_roles().contains(&author.role) {
            bail!(
                "key {} may not write {}; allowed roles: {}",
                author.describe(),
                event.type_name(),
                role_list(event.allowed_roles())
            );
        }
        if let Some(p) = event.self_signed_by()
            && *p != author.person
        {
            bail!(
                "{} is {p}'s own statement and must be signed with {p}'s key, not {}'s",
                event.type_name(),
                author.person
            );
        }
    }

    if let Some(seq) = lookup
        .event_seq(&body.event_id)
        .map_err(CheckError::Lookup)?
    {
        bail!(
            "event {} was already appended at seq {seq} (a signed event is accepted once)",
            body.event_id
        );
    }
    effects.push(Effect::EventId {
        id: body.event_id,
        seq: n,
    });

    // What it does to the state.
    match event {
        Event::KeyEnrolled(e) => {
            if let Some(k) = lookup.key(&e.key).map_err(CheckError::Lookup)? {
                bail!("key {} is already enrolled", k.describe());
            }
            effects.push(Effect::KeyEnrolled(KeyRecord {
                key: e.key,
                person: e.person.clone(),
                role: e.role,
                enrolled_seq: n,
                revoked_seq: None,
            }));
        }
        Event::KeyRevoked(e) => {
            let Some(k) = lookup.key(&e.key).map_err(CheckError::Lookup)? else {
                bail!(
                    "key {} is not enrolled, so cannot be revoked",
                    e.key.short()
                );
            };
            if k.revoked_seq.is_some() {
                bail!("key {} is already revoked", k.describe());
            }
            if k.person != e.person {
                bail!(
                    "key {} belongs to {}, not {}",
                    k.key.short(),
                    k.person,
                    e.person
                );
            }
            effects.push(Effect::KeyRevoked { key: e.key, seq: n });
        }
        Event::DeclarationSigned(e) => {
            effects.push(Effect::Declaration {
                hash,
                person: e.person.clone(),
            });
        }
        Event::DeclarationCountersigned(e) => {
            match lookup
                .declaration(&e.declaration)
                .map_err(CheckError::Lookup)?
            {
                None => bail!(
                    "countersigns {} which is not the hash of a DeclarationSigned entry in this ledger",
                    e.declaration
                ),
                Some(p) if p != e.person => {
                    bail!("countersigns {p}'s declaration but names {}", e.person)
                }
                Some(_) => {}
            }
        }
        Event::CheckpointRecorded(c) => {
            if c.tree_size != n {
                bail!(
                    "checkpoints {} entries but is entry {n}: a checkpoint covers every entry before it",
                    c.tree_size
                );
            }
            let root = lookup.merkle_root(n).map_err(CheckError::Lookup)?;
            if root != Some(c.root) {
                bail!(
                    "checkpoint root {} is not the Merkle root of entries 0..{n}{}",
                    c.root,
                    root.map(|r| format!(" ({r})")).unwrap_or_default()
                );
            }
            let key_history = lookup.key_history().map_err(CheckError::Lookup)?;
            if c.key_history != key_history {
                bail!(
                    "checkpoint key-history commitment {} is not that of entries 0..{n} ({key_history})",
                    c.key_history
                );
            }
            let map = lookup.subject_map(n).map_err(CheckError::Lookup)?;
            if (c.subject_map_size, c.subject_map_root) != map {
                bail!(
                    "checkpoint subject-index commitment ({} subjects, root {}) is not that of entries 0..{n} ({} subjects, root {})",
                    c.subject_map_size,
                    c.subject_map_root,
                    map.0,
                    map.1
                );
            }
            let Some(id) = lookup.ledger_id().map_err(CheckError::Lookup)? else {
                bail!("a checkpoint before the genesis entry");
            };
            let cp = Checkpoint {
                origin: origin(&id),
                size: n,
                root: c.root,
            };
            if !SignedCheckpoint::new(cp, c.note_signature.0, &body.author).verify(&body.author) {
                bail!(
                    "the checkpoint's signed-note signature does not verify for its author's key"
                );
            }
        }
        Event::Redacted(e) => {
            if e.seq >= n {
                bail!("redacts seq {} which is not an earlier entry", e.seq);
            }
            match lookup.entry_summary(e.seq).map_err(CheckError::Lookup)? {
                None => bail!("redacts seq {} which does not exist", e.seq),
                Some((h, _)) if h != e.entry_hash => bail!(
                    "redacts seq {} but names hash {}, not that entry's hash {h}",
                    e.seq,
                    e.entry_hash
                ),
                Some((_, false)) => {
                    bail!("redacts seq {} which has no personal-data fields", e.seq)
                }
                Some(_) => {}
            }
            if let Some(r) = lookup.redacted_by(e.seq).map_err(CheckError::Lookup)? {
                bail!("seq {} was already redacted at seq {r}", e.seq);
            }
            effects.push(Effect::Redaction {
                target: e.seq,
                by: n,
            });
        }
        _ => {}
    }
    Ok(effects)
}

/// Checks a seal against the entries it covers. `expected_first` is the seq after the previous
/// seal's last (0 for the first seal); `head` is the entry the seal ends at; `appender` is the
/// appender key's record in the state after the batch.
pub fn check_seal(
    seal: &Seal,
    ledger_id: &LedgerId,
    expected_first: u64,
    head: &Head,
    appender: Option<&KeyRecord>,
) -> Result<(), Violation> {
    let b: &SealBody = &seal.body;
    let v = |s: String| Err(Violation(s));
    if b.ledger_id != *ledger_id {
        return v(format!(
            "seal names ledger {}, not this ledger ({ledger_id})",
            b.ledger_id
        ));
    }
    if b.last_seq != head.seq {
        return v(format!(
            "seal stored at seq {} says it ends at seq {}",
            head.seq, b.last_seq
        ));
    }
    if b.first_seq != expected_first {
        return v(format!(
            "seal covers {}..={} but the previous seal ended at {}: seals must cover every entry once",
            b.first_seq,
            b.last_seq,
            expected_first as i128 - 1
        ));
    }
    let Some(k) = appender else {
        return v(format!(
            "seal for entries {}..={} is by key {}, which is not enrolled",
            b.first_seq,
            b.last_seq,
            b.appender.short()
        ));
    };
    if !seal.verify_signature() {
        return v(format!(
            "seal signature for entries {}..={} does not verify for key {}",
            b.first_seq,
            b.last_seq,
            k.describe()
        ));
    }
    if b.head_hash != head.hash {
        return v(format!(
            "seal by key {} for entries {}..={} says entry {} has hash {}, but it has {}: the ledger was rewritten in that range after it was sealed",
            k.describe(),
            b.first_seq,
            b.last_seq,
            b.last_seq,
            b.head_hash,
            head.hash
        ));
    }
    if !k.active_at(b.last_seq + 1) {
        return v(format!(
            "seal for entries {}..={} is by revoked key {}",
            b.first_seq,
            b.last_seq,
            k.describe()
        ));
    }
    if !APPENDER_ROLES.contains(&k.role) {
        return v(format!(
            "seal is by key {}; only {} keys may append",
            k.describe(),
            role_list(APPENDER_ROLES)
        ));
    }
    if b.sealed_at < head.recorded_at {
        return v(format!(
            "seal time {} is before entry {} was recorded ({})",
            b.sealed_at, head.seq, head.recorded_at
        ));
    }
    Ok(())
}

/// `admin, ig_officer`.
pub fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
