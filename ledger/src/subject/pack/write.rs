//! Writing a pack: the disclosures, the selective bundle, the report, atomically.

use super::*;

/// Writes the SAR pack for `subject` (as held at `held_at`, or everything) into `out_dir`,
/// which must be new or empty. Every listed entry (and every erasure it cites) must lie before the
/// index checkpoint of the latest checkpoint recorded in the ledger (the checkpoint just before
/// it, [`bundle::index_checkpoint`]); if not, nothing is written and the error names the entries
/// and says to sign checkpoints first. Nothing is written on any error: the
/// pack is built in a temporary directory beside `out_dir` and renamed into place at the end.
pub fn write_pack(
    ledger: &Ledger,
    subject: &Subject,
    held_at: Option<Timestamp>,
    out_dir: &Path,
    made_at: Timestamp,
) -> Result<PackSummary> {
    check_out_dir(out_dir)?;
    let found = sar::subject_access(ledger, subject, held_at)?;
    if let Some(d) = found
        .iter()
        .find(|d| d.personal_data == PersonalData::Missing)
    {
        return Err(pack_err_until(
            out_dir,
            Remedy::Verify,
            format!(
                "seq {}: its personal data is missing with no redaction on record; verify and \
                 repair the ledger before answering the request (nothing was written)",
                d.seq
            ),
        ));
    }
    let cp = ledger.latest_checkpoint()?.ok_or_else(|| {
        pack_err_until(
            out_dir,
            Remedy::Checkpoint,
            "the ledger has no signed checkpoint to prove the entries against; sign one, then \
             run this again (nothing was written)",
        )
    })?;
    let size = cp.checkpoint.size;
    // The lists are proved complete against the checkpoint just before this one (its
    // commitment is bound to the signed tree, [`bundle::index_checkpoint`]).
    let index_at = bundle::index_checkpoint(ledger, size).map_err(|e| LedgerError::Pack {
        path: out_dir.to_path_buf(),
        message: format!("{e} (a pack proves its answer complete; nothing was written)"),
        remedy: e.remedy().map(|(r, _)| r),
    })?;
    // The two checkpoints' own `CheckpointRecorded` entries (seqs `index_at` and `size`) are
    // about the person whose key signed them, and neither lies inside the list it proves: they
    // are not listed (the pack answers for every entry before `index_at`; the bundle carries both
    // entries' signed events anyway).
    let found: Vec<Disclosure> = found
        .into_iter()
        .filter(|d| d.seq != size && d.seq != index_at)
        .collect();
    // A pack proves everything it lists complete: an entry (or the erasure of its data) at or
    // after `index_at`, beyond the checkpoint or not, needs newer checkpoints first.
    let mut after: Vec<u64> = found
        .iter()
        .map(|d| d.seq)
        .chain(found.iter().filter_map(|d| match d.personal_data {
            PersonalData::Erased { by } => Some(by),
            _ => None,
        }))
        .filter(|s| *s >= index_at)
        .collect();
    after.sort_unstable();
    after.dedup();
    if !after.is_empty() {
        return Err(pack_err_until(
            out_dir,
            Remedy::Checkpoint,
            format!(
                "seq {} (about {subject}, or erasing its data) {} recorded after checkpoint {index_at}, the one just \
                 before the signed checkpoint of {size} entries, so the pack could not prove that \
                 none was left out; sign a checkpoint first, then run this again (nothing was \
                 written)",
                seq_list(&after),
                if after.len() == 1 { "was" } else { "were" }
            ),
        ));
    }

    // Erasures, read from their Redacted entries.
    let mut erasures: BTreeMap<u64, Erasure> = BTreeMap::new();
    for d in &found {
        if let PersonalData::Erased { by } = d.personal_data {
            let r = ledger.entry(by)?.ok_or_else(|| {
                pack_err_until(
                    out_dir,
                    Remedy::Verify,
                    format!("seq {by}: the Redacted entry is missing"),
                )
            })?;
            let Event::Redacted(x) = &r.entry.event.body.event else {
                return Err(pack_err_until(
                    out_dir,
                    Remedy::Verify,
                    format!("seq {by} is not a Redacted entry"),
                ));
            };
            erasures.insert(
                d.seq,
                Erasure {
                    by_seq: by,
                    recorded_at: r.entry.recorded_at,
                    reason: x.reason.clone(),
                    request: x.request.as_ref().map(|q| q.to_string()),
                },
            );
        }
    }

    let entries: Vec<PackEntry> = found
        .iter()
        .map(|d| pack_entry(d, erasures.get(&d.seq).cloned()))
        .collect();
    let mut full: BTreeMap<u64, bool> = BTreeMap::new();
    let mut hash_only = Vec::new();
    for (d, e) in found.iter().zip(&entries) {
        match e.proof {
            Proof::Full => {
                *full.entry(d.seq).or_default() |= d.personal_data == PersonalData::Disclosed;
            }
            Proof::HashOnly => hash_only.push(d.seq),
        }
    }
    for e in erasures.values() {
        full.entry(e.by_seq).or_default();
    }
    // The subject index's list of the requester before the checkpoint: the pack must account
    // for every entry of it. Entries recorded after `held_at` are not listed, but carried, so
    // the list can still be proved complete.
    let named = Named::Subject(subject.clone());
    let listed: BTreeSet<u64> = found.iter().map(|d| d.seq).collect();
    let later: Vec<u64> = ledger
        .subject_list(&named, index_at)?
        .into_iter()
        .filter(|s| !listed.contains(s) && !full.contains_key(s))
        .collect();
    if held_at.is_none() && !later.is_empty() {
        return Err(pack_err_until(
            out_dir,
            Remedy::Verify,
            format!(
                "the subject index lists seq {} for {subject} but the subject lookup does not: the ledger's indexes disagree (nothing was written)",
                seq_list(&later)
            ),
        ));
    }
    if !later.is_empty() {
        // Carried in full (without personal data) where that discloses no third party, so the
        // verifier can check they were recorded after `held_at`; by hash only otherwise.
        let all: BTreeMap<u64, Disclosure> = sar::subject_access(ledger, subject, None)?
            .into_iter()
            .map(|d| (d.seq, d))
            .collect();
        for s in later {
            match all.get(&s) {
                Some(d) if !d.names_third_party() => {
                    full.insert(s, false);
                }
                _ => hash_only.push(s),
            }
        }
    }
    hash_only.sort_unstable();
    let full: Vec<(u64, bool)> = full.into_iter().collect();
    let b = bundle::make_selective(ledger, &cp, &full, &hash_only, &[named])?;
    let signer = ledger
        .stored_checkpoint_signer(&cp)?
        .expect("make_selective found the signer");

    let mut report = PackReport {
        format: PACK_FORMAT.into(),
        subject: subject.to_string(),
        made_at,
        held_at,
        origin: cp.checkpoint.origin.clone(),
        checkpoint: PackCheckpoint {
            tree_size: size,
            root: cp.checkpoint.root,
            time: ledger.recorded_checkpoint_time(size)?,
            signed_by: signer,
        },
        third_party_rule: sar::RULE.into(),
        proof_rule: PROOF_RULE.into(),
        summary: counts(&entries),
        requests: Vec::new(),
        entries,
    };
    let mut clock_entries = Vec::new();
    for seq in report.clock_seqs() {
        clock_entries.push(
            ledger
                .entry(seq)?
                .ok_or_else(|| pack_err(out_dir, format!("seq {seq}: the entry is missing")))?,
        );
    }
    report.requests = pack_requests(
        clock_entries.iter().map(|e| {
            (
                e.entry.seq,
                e.entry.event.body.occurred_at,
                &e.entry.event.body.event,
            )
        }),
        subject,
        report.clocks_at(),
    );
    let files = [
        (REPORT_MD, render_markdown(&report)),
        (REPORT_JSON, report.to_text()),
        (BUNDLE_JSON, b.to_text()),
    ];
    write_atomically(out_dir, &files)?;
    Ok(PackSummary {
        dir: out_dir.to_path_buf(),
        subject: report.subject,
        counts: report.summary,
        checkpoint_size: size,
        checkpoint_key: signer,
    })
}

/// Writes `files` into a temporary directory beside `out_dir`, syncs them, and renames it to
/// `out_dir` (which may exist only as an empty directory). On any failure the temporary
/// directory is removed and `out_dir` is as it was.
fn write_atomically(out_dir: &Path, files: &[(&str, String)]) -> Result<()> {
    let target = if out_dir.exists() {
        fs::canonicalize(out_dir).map_err(|e| pack_err(out_dir, e.to_string()))?
    } else {
        out_dir.to_path_buf()
    };
    let name = target
        .file_name()
        .ok_or_else(|| pack_err(out_dir, "name a directory for the pack (e.g. sar-P00105)"))?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = parent.join(format!(
        ".{}.igl-pack-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let io = |what: &str, p: &Path, e: std::io::Error| {
        pack_err(
            out_dir,
            format!("{what} {}: {e} (nothing was written)", p.display()),
        )
    };
    fs::create_dir(&tmp).map_err(|e| io("creating", &tmp, e))?;
    let result = (|| {
        for (file, text) in files {
            let p = tmp.join(file);
            let mut f = fs::File::create_new(&p).map_err(|e| io("creating", &p, e))?;
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| io("writing", &p, e))?;
        }
        fs::File::open(&tmp)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("syncing", &tmp, e))?;
        fs::rename(&tmp, &target).map_err(|e| {
            pack_err(
                out_dir,
                format!(
                    "could not move the finished pack into place ({e}); was something written \
                     into it meanwhile? (nothing was written)"
                ),
            )
        })?;
        if let Ok(d) = fs::File::open(&parent) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}
