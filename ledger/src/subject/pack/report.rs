//! `report.md`, rendered from `report.json`.

use super::*;

fn md_text(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    };
    // One line, no Markdown markup taken from the data.
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn when(t: &Timestamp) -> String {
    t.datetime().format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `report.md`: the report rendered from `report.json` (deterministic: [`verify_pack`] checks
/// that `report.md` is exactly this).
pub fn render_markdown(r: &PackReport) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    let c = &r.summary;
    line(format!("# Subject access: {}", r.subject));
    line(String::new());
    line(format!(
        "Made {} from the ledger `{}`.",
        when(&r.made_at),
        r.origin
    ));
    line(match &r.held_at {
        Some(t) => format!(
            "It lists every entry about {} that the ledger held at {} (recorded at or before that instant).",
            r.subject,
            when(t)
        ),
        None => format!(
            "It lists every entry about {} that the ledger held when the pack was made.",
            r.subject
        ),
    });
    line(String::new());
    line(format!(
        "- entries listed: **{}** ({} proved in full, {} proved by hash only)",
        c.entries, c.proved_in_full, c.proved_by_hash
    ));
    line(format!(
        "- entries with third-party data withheld: {}",
        c.with_third_party_data_withheld
    ));
    line(format!(
        "- entries whose personal data was erased: {}",
        c.erased
    ));
    line(format!(
        "- proved against the signed checkpoint of **{}** entries, root `{}`, signed {}by key `{}`",
        r.checkpoint.tree_size,
        r.checkpoint.root,
        r.checkpoint
            .time
            .map(|t| format!("at {} ", when(&t)))
            .unwrap_or_default(),
        r.checkpoint.signed_by
    ));
    line(String::new());
    if !r.requests.is_empty() {
        line(format!("## Your requests, as of {}", when(&r.clocks_at())));
        line(String::new());
        for q in &r.requests {
            let mut clock = String::new();
            if let Some(start) = q.clock_start {
                clock.push_str(&format!(", clock started {start}"));
            }
            if q.paused_days > 0 {
                clock.push_str(&format!(
                    ", stopped {} day{} awaiting clarification",
                    q.paused_days,
                    if q.paused_days == 1 { "" } else { "s" }
                ));
            }
            if q.extended {
                clock.push_str(", extended");
            }
            if let Some(due) = q.due {
                clock.push_str(&format!(", due {due}"));
            }
            line(format!(
                "- **{}** ({}), received {}{clock}: {} (seqs {})",
                q.request,
                q.right,
                q.received,
                q.status,
                q.seqs
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        line(String::new());
    }
    line("## What is withheld, and why".into());
    line(String::new());
    line(r.third_party_rule.clone());
    line(String::new());
    line("## Entries".into());
    line(String::new());
    if r.entries.is_empty() {
        line("The ledger holds no entries about this subject.".into());
        line(String::new());
    }
    for e in &r.entries {
        line(format!("### seq {} — {}", e.seq, e.event_type));
        line(String::new());
        line(format!("- occurred: {}", when(&e.occurred_at)));
        line(format!("- recorded: {}", when(&e.recorded_at)));
        line(format!("- you appear as: {}", e.appears_as.join(", ")));
        line(format!(
            "- author: {}",
            match (&e.author, e.author_role) {
                (Some(a), Some(role)) => format!("{} ({role})", md_text(&Value::String(a.clone()))),
                _ => "(key not enrolled)".into(),
            }
        ));
        line(format!(
            "- about: {}",
            md_text(&Value::String(e.subjects.join(", ")))
        ));
        for (k, v) in &e.fields {
            line(format!("- **{k}**: {}", md_text(v)));
        }
        if !e.withheld.is_empty() {
            line(format!(
                "- withheld: {} — third-party personal data, under the rule above",
                e.withheld.join(", ")
            ));
        }
        if let Some(x) = &e.erasure {
            line(format!(
                "- erased: the personal data of this entry was erased on {} by the Redacted entry at seq {}; reason: \"{}\"{}",
                when(&x.recorded_at),
                x.by_seq,
                md_text(&Value::String(x.reason.clone())),
                x.request
                    .as_ref()
                    .map(|q| format!(" (request {})", md_text(&Value::String(q.clone()))))
                    .unwrap_or_default()
            ));
        }
        line(format!(
            "- proof: {} — entry hash `{}`",
            match e.proof {
                Proof::Full => "in full (the signed entry is in bundle.json)",
                Proof::HashOnly => "by hash only (the entry names a third party)",
            },
            e.entry_hash
        ));
        if e.proof == Proof::HashOnly {
            line("- **not checkable offline**: this pack proves that an entry with this hash is at this seq in the signed log, and nothing more; the type, dates, author and fields above are the council's statement, which the council or the ICO can check against the hash on the ledger (`igl show SEQ`)".into());
        }
        line(String::new());
    }
    line("## How to check this pack".into());
    line(String::new());
    line("This directory holds `report.md` (this report), `report.json` (the same, machine-readable) and `bundle.json` (the proofs). With `igl` (no ledger needed):".into());
    line(String::new());
    line("```sh".into());
    line(format!(
        "igl verify-bundle THIS_DIRECTORY --trusted-key {}",
        r.checkpoint.signed_by
    ));
    line("```".into());
    line(String::new());
    line("Check the key against one the council publishes (or pass a checkpoint you hold with `--checkpoint FILE`): the pack proves itself only against a key or checkpoint you trust from elsewhere. The command exits 0 when every check passes and 1 when any fails. It checks:".into());
    line(String::new());
    line("1. every listed entry has an inclusion proof leading to the root of the signed checkpoint, so none was made up;".into());
    line("2. each entry proved in full is signed by its author's key, enrolled with the role it needs at that point, and, applying the rule above to the signed entry again, gives exactly the fields, dates and personal data this report shows (personal data is checked against the entry's signed commitments); for an entry proved by hash only, only its seq and hash are checked (what the report shows of it is marked as not checkable offline);".into());
    line("3. each erasure is a signed Redacted entry naming that entry's hash;".into());
    line("4. report.md is report.json rendered, and nothing in the pack was edited.".into());
    line(String::new());
    line(r.proof_rule.clone());
    s
}
