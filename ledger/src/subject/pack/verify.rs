//! Checking a pack with no ledger.

use super::*;

/// Why a pack does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PackError(pub String);

/// What [`verify_pack`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackCheck {
    pub subject: String,
    pub counts: PackCounts,
    pub tree_size: u64,
    pub checkpoint_key: PublicKey,
    pub key_events: usize,
    /// How many entries are about the subject before `complete_up_to`: the list the pack proves
    /// complete against the subject index.
    pub subject_entries: usize,
    /// The checkpoint (size) the list is complete up to: the one just before the
    /// pack's checkpoint.
    pub complete_up_to: u64,
    /// Entries of that list the report does not show because they were recorded after its
    /// `held_at`: (seq, whether that is checked: carried in full with its `recorded_at`, or by
    /// hash only, so only the writer says so).
    pub after_held_at: Vec<(u64, bool)>,
    /// The checkpoint with every signature found for it (see [`bundle::BundleReport`]).
    pub checkpoint: igl_schema::note::SignedCheckpoint,
}

fn first_difference(a: &PackEntry, b: &PackEntry) -> String {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return "?".into();
    };
    a.iter()
        .find(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| "?".into())
}

/// Verifies a SAR pack's three files with no ledger (see the module documentation).
pub fn verify_pack(
    report_json: &str,
    report_md: &str,
    bundle_json: &str,
    trust: Trust<'_>,
) -> Result<PackCheck, PackError> {
    let bad = |m: String| PackError(m);
    let v = bundle::verify_detailed(bundle_json, trust)
        .map_err(|e| bad(format!("{BUNDLE_JSON}: {e}")))?;
    let r: PackReport = serde_json::from_str(report_json)
        .map_err(|e| bad(format!("{REPORT_JSON}: not a SAR pack report: {e}")))?;
    if r.format != PACK_FORMAT {
        return Err(bad(format!(
            "{REPORT_JSON}: format {:?}; this build reads {PACK_FORMAT}",
            r.format
        )));
    }
    if r.to_text() != report_json {
        return Err(bad(format!(
            "{REPORT_JSON} is not in canonical form (it was edited)"
        )));
    }
    if render_markdown(&r) != report_md {
        return Err(bad(format!(
            "{REPORT_MD} is not {REPORT_JSON} rendered (one of them was edited)"
        )));
    }
    let b = &v.report;
    if r.origin != b.origin
        || r.checkpoint.tree_size != b.tree_size
        || r.checkpoint.root != b.root
        || r.checkpoint.time != b.time
        || r.checkpoint.signed_by != b.checkpoint_key
    {
        return Err(bad(format!(
            "{REPORT_JSON} names a checkpoint ({} entries, root {}, key {}) other than the one \
             {BUNDLE_JSON} is proved against ({} entries, root {}, key {})",
            r.checkpoint.tree_size,
            r.checkpoint.root,
            r.checkpoint.signed_by.short(),
            b.tree_size,
            b.root,
            b.checkpoint_key.short()
        )));
    }
    if let Some(signed) = b.time
        && r.made_at < signed
    {
        return Err(bad(format!(
            "{REPORT_JSON} says it was made at {}, before the checkpoint it is proved against was signed ({signed})",
            r.made_at
        )));
    }
    let requester =
        Subject::parse(&r.subject).map_err(|e| bad(format!("{REPORT_JSON}: subject: {e}")))?;
    if r.entries.windows(2).any(|w| w[0].seq >= w[1].seq) {
        return Err(bad(format!(
            "{REPORT_JSON}: the entries are not in strictly increasing seq order"
        )));
    }
    // The rules the report states are this format's, word for word.
    if r.third_party_rule != sar::RULE || r.proof_rule != PROOF_RULE {
        return Err(bad(format!(
            "{REPORT_JSON}: the third-party rule or the proof rule it states is not the one igl applies (it was edited)"
        )));
    }
    if counts(&r.entries) != r.summary {
        return Err(bad(format!(
            "{REPORT_JSON}: the summary does not match the entries"
        )));
    }

    let full: BTreeMap<u64, (&igl_schema::Entry, Hash32, bool)> = v
        .entries
        .iter()
        .map(|(e, h, opened)| (e.seq, (e, *h, *opened)))
        .collect();
    let mut used: BTreeSet<u64> = BTreeSet::new();
    for e in &r.entries {
        let n = e.seq;
        match e.proof {
            Proof::HashOnly => {
                if v.hash_only.get(&n) != Some(&e.entry_hash) {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} lists it with hash {} but {BUNDLE_JSON} has no proof of that entry",
                        e.entry_hash
                    )));
                }
                used.insert(n);
            }
            Proof::Full => {
                let Some((entry, hash, opened)) = full.get(&n) else {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} says it is proved in full but {BUNDLE_JSON} does not carry it"
                    )));
                };
                used.insert(n);
                let payload = if !entry.event.has_pii() {
                    PayloadState::None
                } else if *opened {
                    PayloadState::Present
                } else {
                    let Some(x) = &e.erasure else {
                        return Err(bad(format!(
                            "seq {n}: {BUNDLE_JSON} does not carry the personal data and {REPORT_JSON} does not say it was erased"
                        )));
                    };
                    let Some((r_entry, _, _)) = full.get(&x.by_seq) else {
                        return Err(bad(format!(
                            "seq {n}: the Redacted entry at seq {} that {REPORT_JSON} cites is not in {BUNDLE_JSON}",
                            x.by_seq
                        )));
                    };
                    used.insert(x.by_seq);
                    let ok = match &r_entry.event.body.event {
                        Event::Redacted(rd) => {
                            rd.seq == n
                                && rd.entry_hash == *hash
                                && rd.reason == x.reason
                                && rd.request.as_ref().map(|q| q.to_string()) == x.request
                                && r_entry.recorded_at == x.recorded_at
                        }
                        _ => false,
                    };
                    if !ok {
                        return Err(bad(format!(
                            "seq {n}: the erasure in {REPORT_JSON} does not match the signed Redacted entry at seq {}",
                            x.by_seq
                        )));
                    }
                    PayloadState::Redacted { by: x.by_seq }
                };
                if let Some(held) = r.held_at
                    && entry.recorded_at > held
                {
                    return Err(bad(format!(
                        "seq {n}: recorded at {}, after the instant the report lists entries as held at ({held})",
                        entry.recorded_at
                    )));
                }
                if e.erasure.is_some() && !matches!(payload, PayloadState::Redacted { .. }) {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} says its personal data was erased, but {}",
                        if entry.event.has_pii() {
                            format!("{BUNDLE_JSON} carries it")
                        } else {
                            "the entry has none".to_string()
                        }
                    )));
                }
                let author = v.keys.get(&entry.event.body.author);
                let mut flags = 0;
                if entry.event.body.subjects.contains(&requester) {
                    flags |= NAMED;
                }
                if author.is_some_and(|k| Subject::Person(k.person.clone()) == requester) {
                    flags |= AUTHOR;
                }
                let stored = StoredEntry {
                    entry: (*entry).clone(),
                    hash: *hash,
                    payload,
                };
                let d = sar::disclose(&stored, flags, &requester, author);
                let expected = pack_entry(&d, e.erasure.clone());
                if expected != *e {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} does not match the signed entry ({} differs)",
                        first_difference(e, &expected)
                    )));
                }
                // The map comparison ignores key order; the canonical form does not.
                if serde_json::to_string(&expected.fields).ok()
                    != serde_json::to_string(&e.fields).ok()
                {
                    return Err(bad(format!(
                        "seq {n}: {REPORT_JSON} lists the fields in another order than the event's (it was edited)"
                    )));
                }
            }
        }
    }
    // 11. Complete: the requester's whole list, proved against the checkpoint's subject index,
    // is accounted for.
    let me = Named::Subject(requester.clone());
    let list = match b.complete.as_slice() {
        [c] if c.subject == me => &c.seqs,
        _ => {
            return Err(bad(format!(
                "{BUNDLE_JSON} must prove the list of {} complete, and no other subject's",
                r.subject
            )));
        }
    };
    let upto = b
        .complete_up_to
        .expect("a bundle that proves a list has an index checkpoint");
    let shown: BTreeSet<u64> = r.entries.iter().map(|e| e.seq).collect();
    // Every entry shown lies before the index checkpoint, in the part of the log the list covers.
    if let Some(n) = shown.iter().find(|s| **s >= upto) {
        return Err(bad(format!(
            "seq {n}: {REPORT_JSON} lists it, but it is not before the index checkpoint (seq {upto}) the list of {} is proved complete up to",
            r.subject
        )));
    }
    // Every entry the report shows before it is about the requester: in their list (so an
    // entry carried by hash only is proved to be theirs, not someone else's).
    let in_list: BTreeSet<u64> = list.iter().copied().collect();
    if let Some(n) = shown
        .iter()
        .filter(|s| **s < upto)
        .find(|s| !in_list.contains(s))
    {
        return Err(bad(format!(
            "seq {n}: {REPORT_JSON} lists it, but it is not about {} (the checkpoint's subject index does not list it)",
            r.subject
        )));
    }
    let mut after_held_at = Vec::new();
    for &n in list {
        if shown.contains(&n) {
            continue;
        }
        let Some(held) = r.held_at else {
            return Err(bad(format!(
                "seq {n} is about {} (the checkpoint's subject index lists it) but {REPORT_JSON} leaves it out",
                r.subject
            )));
        };
        // `recorded_at` never goes back along the log, so an entry carried in full says when
        // every entry before it and after it was recorded, at the latest and at the earliest.
        let held_by_then = full.range(n..).any(|(_, (e, _, _))| e.recorded_at <= held);
        if held_by_then {
            return Err(bad(format!(
                "seq {n} is about {} and was recorded by {held} (so was an entry the pack carries at or after it), but {REPORT_JSON} leaves it out",
                r.subject
            )));
        }
        let checked = full.range(..=n).any(|(_, (e, _, _))| e.recorded_at > held);
        after_held_at.push((n, checked));
        used.insert(n);
    }
    if let Some(extra) = full
        .keys()
        .chain(v.hash_only.keys())
        .find(|s| !used.contains(s))
    {
        return Err(bad(format!(
            "{BUNDLE_JSON} carries seq {extra}, which {REPORT_JSON} does not list"
        )));
    }
    // 13. The requests' clocks are what the request model makes of the entries listed in full
    // and the Redacted entries of their erasures (both checked above), at the checked instant.
    let requests = pack_requests(
        r.clock_seqs()
            .iter()
            .filter_map(|seq| full.get(seq))
            .map(|(entry, _, _)| {
                (
                    entry.seq,
                    entry.event.body.occurred_at,
                    &entry.event.body.event,
                )
            }),
        &requester,
        r.clocks_at(),
    );
    if requests != r.requests {
        return Err(bad(format!(
            "{REPORT_JSON}: its requests do not match what the request entries it lists show (it was edited)"
        )));
    }
    Ok(PackCheck {
        subject: r.subject,
        counts: r.summary,
        tree_size: b.tree_size,
        checkpoint_key: b.checkpoint_key,
        key_events: b.key_events,
        subject_entries: list.len(),
        complete_up_to: upto,
        after_held_at,
        checkpoint: b.checkpoint.clone(),
    })
}
