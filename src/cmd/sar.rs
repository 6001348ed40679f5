//! `igl sar`: everything the ledger holds about one person or service user (subject access),
//! answered from the subject index, with the third-party rule (`igl_ledger::subject::sar::RULE`) applied.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::index::Resolution;
use igl_ledger::subject::sar::{self, Disclosure, PersonalData};
use igl_schema::{Subject, Timestamp};
use serde_json::{Value, json};

use super::requests::parse_instant;
use crate::{Outcome, out};

#[derive(Args)]
pub struct SarArgs {
    /// Whom the request is from: `person:ID`, `service-user:ID`, or a bare id (refused if it
    /// names both a member of staff and a service user).
    #[arg(value_name = "SUBJECT")]
    subject: String,
    /// Print JSON Lines: one line per entry, then a summary line.
    #[arg(long)]
    json: bool,
    /// Only what the ledger held at this instant: entries *recorded* at or before it, as a SAR
    /// answers with the data held when the request was received. RFC 3339
    /// (2026-03-01T09:00:00Z) or a date (the end of that day in the UK). Default: everything held
    /// now. (Not `--as-of`: `igl requests --as-of` and `igl audit --as-of` mean what had
    /// *occurred* by T, including facts recorded later.)
    #[arg(long, value_name = "TIME")]
    held_at: Option<String>,
    /// Refused with an explanation: see `--held-at`.
    #[arg(long, value_name = "TIME", hide = true)]
    as_of: Option<String>,
    /// Write a SAR pack into this new or empty directory: report.md, report.json and
    /// bundle.json (an inclusion proof for every listed entry against the latest signed
    /// checkpoint, and the proof that the list is complete up to the checkpoint just before it),
    /// checkable with `igl verify-bundle DIR`. Refused, writing nothing, unless the latest
    /// checkpoint directly follows another and every listed entry comes before both: run `igl
    /// checkpoint` twice first.
    #[arg(long, value_name = "OUT_DIR")]
    pack: Option<PathBuf>,
}

/// The subject a SAR is about, by the library's one resolver: a bare id is looked up as both
/// kinds, and if both have entries they may be two different people, so the caller must say
/// which. `None`: nothing is held under the id.
fn resolve(ledger: &Ledger, s: &str) -> Result<Option<Subject>> {
    match ledger.resolve_subject(s)? {
        Resolution::One(one) => Ok(Some(one)),
        Resolution::Nothing(_) => Ok(None),
        Resolution::Ambiguous(found) => bail!(
            "{}: `igl sar {}`",
            Resolution::question(s, &found),
            found
                .iter()
                .map(|(c, _)| c.to_string())
                .collect::<Vec<_>>()
                .join("` or `igl sar ")
        ),
        Resolution::Invalid(e) => bail!("SUBJECT: {e}"),
    }
}

fn write_pack(
    ledger: &Ledger,
    subject: &Subject,
    held_at: Option<Timestamp>,
    out_dir: &std::path::Path,
    json: bool,
) -> Result<Outcome> {
    let p =
        igl_ledger::subject::pack::write_pack(ledger, subject, held_at, out_dir, Timestamp::now())?;
    let c = &p.counts;
    let mut o = out::stdout();
    if json {
        out::json_line(
            &mut o,
            &json!({
                "pack": p.dir.display().to_string(),
                "subject": p.subject,
                "entries": c.entries,
                "proved_in_full": c.proved_in_full,
                "proved_by_hash": c.proved_by_hash,
                "with_third_party_data_withheld": c.with_third_party_data_withheld,
                "erased": c.erased,
                "checkpoint_size": p.checkpoint_size,
                "checkpoint_key": p.checkpoint_key.to_hex(),
            }),
        )?;
    } else {
        writeln!(
            o,
            "✔ wrote the SAR pack for {} to {}: {}, proved against the signed checkpoint of {} entries",
            p.subject,
            p.dir.display(),
            entries(c.entries),
            p.checkpoint_size
        )?;
        writeln!(
            o,
            "  {} proved in full, {} by hash only (they name a third party); {} with personal data erased",
            c.proved_in_full, c.proved_by_hash, c.erased
        )?;
        writeln!(
            o,
            "  files: report.md (to hand over), report.json, bundle.json; the recipient checks it with\n  igl verify-bundle {} --trusted-key {}",
            p.dir.display(),
            p.checkpoint_key.to_hex()
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

pub fn run(a: SarArgs, dir: PathBuf) -> Result<Outcome> {
    if let Some(t) = &a.as_of {
        bail!(
            "igl sar has no --as-of: a subject access answer lists what the ledger *held*, so use \
             `--held-at {t}` (entries recorded at or before it); `--as-of` in `igl requests` and \
             `igl audit` means what had *occurred* by then, including facts recorded later"
        );
    }
    let held_at: Option<Timestamp> = a
        .held_at
        .as_deref()
        .map(|s| parse_instant("--held-at", s))
        .transpose()?;
    let ledger = Ledger::open_read_only(&dir)?;
    let subject = resolve(&ledger, &a.subject)?;
    if let Some(out_dir) = &a.pack {
        let subject = subject.ok_or_else(|| {
            anyhow!(
                "no entries about {}: there is nothing to put in a pack (check the id with `igl log --subject {}`)",
                a.subject,
                a.subject
            )
        })?;
        return write_pack(&ledger, &subject, held_at, out_dir, a.json);
    }
    let found = match &subject {
        Some(s) => sar::subject_access(&ledger, s, held_at)?,
        None => Vec::new(),
    };
    let who = subject
        .as_ref()
        .map_or_else(|| a.subject.clone(), |s| s.to_string());
    let mut o = out::stdout();
    if a.json {
        for d in &found {
            let mut v = serde_json::to_value(d)?;
            v["record"] = json!("entry");
            v["appears_as"] = json!(appears(d));
            v["personal_data"] = json!(d.personal_data.as_str());
            if let PersonalData::Erased { by } = d.personal_data {
                v["redacted_by"] = json!(by);
            }
            out::json_line(&mut o, &v)?;
        }
        out::json_line(
            &mut o,
            &json!({
                "record": "summary",
                "subject": who,
                "entries": found.len(),
                "held_at": held_at.map(|t| t.to_string()),
                "rule": sar::RULE,
            }),
        )?;
        o.flush()?;
        return Ok(Outcome::Ok);
    }

    let when = held_at.map_or_else(
        || "everything held".to_string(),
        |t| format!("as held at {t}"),
    );
    if found.is_empty() {
        let kinds = if a.subject.contains(':') {
            who.clone()
        } else {
            format!("person:{0} or service-user:{0}", a.subject)
        };
        writeln!(o, "no entries about {kinds} ({when})")?;
        o.flush()?;
        return Ok(Outcome::Ok);
    }
    writeln!(
        o,
        "Subject access for {who}: {} ({when}), in seq order",
        entries(found.len())
    )?;
    writeln!(
        o,
        "Third-party data is replaced or withheld by the rule printed by `igl sar --help`."
    )?;
    for d in &found {
        print_disclosure(&mut o, d)?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

fn appears(d: &Disclosure) -> Vec<&'static str> {
    let mut v = Vec::new();
    if d.appears_as.subject {
        v.push("subject");
    }
    if d.appears_as.author {
        v.push("author");
    }
    v
}

fn ts(t: Timestamp) -> String {
    t.datetime().format("%Y-%m-%d %H:%M:%S").to_string()
}

fn print_disclosure(o: &mut impl Write, d: &Disclosure) -> Result<()> {
    writeln!(o)?;
    writeln!(
        o,
        "seq {}  {}  (as {})",
        d.seq,
        d.event_type,
        d.appears_as.describe()
    )?;
    writeln!(
        o,
        "  occurred  {}   recorded {}",
        ts(d.occurred_at),
        ts(d.recorded_at)
    )?;
    let author = match (&d.author, d.author_role) {
        (Some(p), Some(r)) => format!("{p} ({r})"),
        _ => "(key not enrolled)".into(),
    };
    writeln!(o, "  author    {author}")?;
    let width = d.fields.keys().map(|k| k.len()).max().unwrap_or(0);
    for (k, v) in &d.fields {
        let shown = match v {
            Value::String(s) => s.clone(),
            Value::Null => "-".into(),
            other => other.to_string(),
        };
        writeln!(o, "    {k:<width$}  {shown}")?;
    }
    writeln!(o, "  subjects  {}", d.subjects.join(", "))?;
    match d.personal_data {
        PersonalData::Erased { by } => writeln!(
            o,
            "  redacted  personal data erased by the Redacted entry at seq {by}"
        )?,
        PersonalData::Missing => writeln!(
            o,
            "  ✘ personal data missing with no redaction on record (run `igl verify`)"
        )?,
        _ => {}
    }
    if !d.withheld.is_empty() {
        writeln!(
            o,
            "  withheld  {} (third-party data)",
            d.withheld.join(", ")
        )?;
    }
    Ok(())
}
