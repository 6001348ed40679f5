//! `igl audit`: the governance state and its compliance findings, as of now or any past
//! instant, and what `igl status` and `igl org` share with it (`Judging`, `judge_with`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::compliance::profile::{Counts, FindingLine};
use igl_ledger::compliance::state::State;
use igl_ledger::compliance::{self, Calendar, Config, Finding, RULES, Rule, Status, rules};
use igl_ledger::time;
use igl_schema::{OrgId, Timestamp};
use serde_json::{Value, json};

use crate::{Outcome, out};

/// When to judge, and how.
#[derive(Args)]
pub struct Judging {
    /// Judge the world as it stood at this instant, as the ledger now knows it (entries that
    /// occurred at or before it): RFC 3339 (2026-03-01T09:00:00Z) or a date (the end of that
    /// day in the UK). Default: now.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// R3/R13: access and keys must go by the end of this many working days after employment
    /// ends or is suspended; R17: access a review decided to remove, by the end of this many
    /// working days after the decision.
    #[arg(long, value_name = "DAYS", default_value_t = 1)]
    sla_days: u32,
    /// R3/R13/R17: count only weekends as non-working days (by default England and Wales bank
    /// holidays are skipped too). Subject-rights deadlines (R11, R15) always follow the ICO's
    /// rule, weekends and bank holidays, as `igl requests` does.
    #[arg(long)]
    no_bank_holidays: bool,
}

impl Judging {
    pub fn as_of(&self) -> Result<Timestamp> {
        match &self.as_of {
            None => Ok(Timestamp::now()),
            Some(s) => super::requests::parse_instant("--as-of", s),
        }
    }
    pub fn config(&self) -> Config {
        Config {
            sla_working_days: self.sla_days,
            calendar: Calendar {
                bank_holidays: !self.no_bank_holidays,
            },
        }
    }
}

/// The state, its findings and what they were judged against.
pub(super) struct Judged {
    pub(super) state: State,
    pub(super) findings: Vec<Finding>,
    config: Config,
    pub(super) as_of: Timestamp,
    total_entries: u64,
    head: Option<igl_ledger::Head>,
    ledger_id: Option<String>,
}

fn judge(dir: &Path, j: &Judging, only: Option<&Rule>) -> Result<Judged> {
    judge_with(dir, j, only, |ledger, as_of| {
        compliance::load(ledger, Some(as_of))
    })
}

/// Judges the state `build` makes as of the instant asked: the full replay (`igl audit`), or
/// the facts about one person or organisation from the per-entity history (`igl status`,
/// `igl org`).
pub(super) fn judge_with(
    dir: &Path,
    j: &Judging,
    only: Option<&Rule>,
    build: impl FnOnce(&Ledger, Timestamp) -> igl_ledger::Result<State>,
) -> Result<Judged> {
    let as_of = j.as_of()?;
    let config = j.config();
    let ledger = Ledger::open_read_only(dir)?;
    let head = ledger.head()?;
    let state = build(&ledger, as_of)?;
    let findings = compliance::audit(&state, &config, only);
    Ok(Judged {
        total_entries: head.map_or(0, |h| h.seq + 1),
        ledger_id: ledger.ledger_id().ok().map(|l| l.to_hex()),
        head,
        state,
        findings,
        config,
        as_of,
    })
}

/// `2026-08-14 18:00 BST`: UK time, as findings are written.
pub(super) fn hm(t: Timestamp) -> String {
    time::uk_text(t)
}

fn seq_list(seqs: &[u64], max: usize) -> String {
    let shown: Vec<String> = seqs.iter().take(max).map(|s| s.to_string()).collect();
    let mut s = shown.join(", ");
    if seqs.len() > max {
        s.push_str(&format!(" … (+{} more)", seqs.len() - max));
    }
    s
}

/// `3 open, 1 resolved late`.
fn counts_text(c: &Counts) -> String {
    let mut parts = Vec::new();
    if c.open > 0 {
        parts.push(format!("{} open", c.open));
    }
    if c.resolved > 0 {
        parts.push(format!("{} resolved late", c.resolved));
    }
    if c.occurred > 0 {
        parts.push(format!("{} occurred", c.occurred));
    }
    parts.join(", ")
}

fn findings_word(n: usize) -> &'static str {
    if n == 1 { "finding" } else { "findings" }
}

/// One finding, indented, for terminals.
pub(super) fn print_finding(o: &mut impl Write, f: &Finding, indent: &str) -> Result<()> {
    let mut when = format!("since {}", hm(f.since));
    match (f.status, f.until) {
        (Status::Resolved, Some(u)) => when.push_str(&format!(", put right {}", hm(u))),
        (Status::Occurred, Some(u)) => when.push_str(&format!(", last {}", hm(u))),
        (Status::Open, _) => when.push_str(", still open"),
        _ => {}
    }
    if let Some(d) = f.overdue_text() {
        let what = if f.due.is_some() { "overdue" } else { "for" };
        when.push_str(&format!(" ({what} {d})"));
    }
    writeln!(
        o,
        "{indent}{} {} {}  {when}",
        f.status.symbol(),
        f.rule,
        f.subject
    )?;
    writeln!(o, "{indent}    {}", f.detail)?;
    writeln!(o, "{indent}    evidence: seq {}", seq_list(&f.seqs, 12))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// igl audit

#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    judging: Judging,
    /// Only this rule (R1 … R18).
    #[arg(long, value_name = "RULE")]
    rule: Option<String>,
    /// Only findings about this organisation (a partner, or the council) and its people.
    #[arg(long, value_name = "ORG")]
    org: Option<String>,
    /// Only findings still open at the as-of instant (not those put right late or one-off
    /// occurrences).
    #[arg(long)]
    open: bool,
    /// JSON Lines: one line per finding, then a summary line.
    #[arg(long, conflicts_with = "md")]
    json: bool,
    /// A Markdown report to hand to an auditor.
    #[arg(long)]
    md: bool,
}

pub fn run_audit(a: AuditArgs, dir: PathBuf) -> Result<Outcome> {
    let only = match &a.rule {
        None => None,
        Some(r) => Some(rules::rule(r).ok_or_else(|| {
            anyhow!(
                "--rule: unknown rule {r:?}; the rules are {}",
                RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
            )
        })?),
    };
    let mut j = judge(&dir, &a.judging, only)?;
    if let Some(org) = &a.org {
        let id = OrgId::new(org.as_str()).map_err(|e| anyhow!("--org: {e}"))?;
        if !j.state.orgs.contains_key(&id) {
            bail!(
                "--org: no organisation {id} in the ledger as of {}; known: {}",
                j.as_of,
                j.state
                    .orgs
                    .keys()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        j.findings.retain(|f| f.org.as_ref() == Some(&id));
    }
    if a.open {
        j.findings.retain(|f| f.status == Status::Open);
    }
    let rules: Vec<&Rule> = RULES
        .iter()
        .filter(|r| only.is_none_or(|o| o.id == r.id))
        .collect();
    let mut o = out::stdout();
    if a.json {
        audit_json(&mut o, &j, &rules, &a)?;
    } else if a.md {
        audit_md(&mut o, &j, &rules, &a, &dir)?;
    } else {
        audit_text(&mut o, &j, &rules, &a, &dir)?;
    }
    o.flush()?;
    Ok(if j.findings.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

fn scope_line(j: &Judged) -> String {
    format!(
        "{} of {} entries occurred by then (head seq {}); SLA {} working day{} ({})",
        j.state.entries,
        j.total_entries,
        j.head.map_or("-".into(), |h| h.seq.to_string()),
        j.config.sla_working_days,
        if j.config.sla_working_days == 1 {
            ""
        } else {
            "s"
        },
        j.config.calendar.describe()
    )
}

fn filters_text(a: &AuditArgs) -> String {
    let mut f = Vec::new();
    if let Some(r) = &a.rule {
        f.push(format!("rule {}", r.to_uppercase()));
    }
    if let Some(o) = &a.org {
        f.push(format!("organisation {o}"));
    }
    if a.open {
        f.push("open findings only".into());
    }
    f.join(", ")
}

fn audit_text(
    o: &mut impl Write,
    j: &Judged,
    rules: &[&Rule],
    a: &AuditArgs,
    dir: &Path,
) -> Result<()> {
    writeln!(o, "Compliance audit of {} as of {}", dir.display(), j.as_of)?;
    writeln!(o, "  {}", scope_line(j))?;
    let filters = filters_text(a);
    if !filters.is_empty() {
        writeln!(o, "  showing {filters}")?;
    }
    writeln!(o)?;
    for r in rules {
        let fs: Vec<&Finding> = j.findings.iter().filter(|f| f.rule == r.id).collect();
        if fs.is_empty() {
            writeln!(o, "✔ {:<4} {} — no findings", r.id, r.title)?;
            continue;
        }
        let c = Counts::of(fs.iter().copied());
        writeln!(
            o,
            "✘ {:<4} {} — {} {} ({})",
            r.id,
            r.title,
            c.total(),
            findings_word(c.total()),
            counts_text(&c)
        )?;
        for f in fs {
            print_finding(o, f, "    ")?;
        }
    }
    let c = Counts::of(&j.findings);
    let rules_hit = rules
        .iter()
        .filter(|r| j.findings.iter().any(|f| f.rule == r.id))
        .count();
    writeln!(o)?;
    if c.total() == 0 {
        writeln!(
            o,
            "✔ no findings under {} rule{} as of {}",
            rules.len(),
            if rules.len() == 1 { "" } else { "s" },
            j.as_of
        )?;
    } else {
        writeln!(
            o,
            "✘ {} {} ({}) under {rules_hit} of {} rule{} as of {}",
            c.total(),
            findings_word(c.total()),
            counts_text(&c),
            rules.len(),
            if rules.len() == 1 { "" } else { "s" },
            j.as_of
        )?;
        writeln!(
            o,
            "  every seq is an entry: `igl show SEQ`; `igl verify` proves none was altered"
        )?;
    }
    if !j.state.campaigns.is_empty() {
        writeln!(o)?;
        writeln!(
            o,
            "Access-review campaigns (R17, R18; `igl review show ID`):"
        )?;
        for c in j.state.campaigns.values() {
            let p = c.progress(&j.state, j.as_of, &j.config);
            writeln!(
                o,
                "  {} {} {:?}, due {}: {}",
                if p.late() { "✘" } else { "✔" },
                c.id,
                c.title,
                c.due,
                p.text()
            )?;
        }
    }
    if !j.state.notes.is_empty() {
        writeln!(o)?;
        writeln!(
            o,
            "⚠ {} entr{} name something the ledger does not know:",
            j.state.notes.len(),
            if j.state.notes.len() == 1 { "y" } else { "ies" }
        )?;
        for n in j.state.notes.iter().take(10) {
            writeln!(o, "    seq {}: {}", n.seq, n.message)?;
        }
    }
    Ok(())
}

fn summary_json(j: &Judged, rules: &[&Rule]) -> Value {
    let c = Counts::of(&j.findings);
    json!({
        "record": "summary",
        "as_of": j.as_of.to_string(),
        "ledger_id": j.ledger_id,
        "head_seq": j.head.map(|h| h.seq),
        "entries": j.total_entries,
        "entries_considered": j.state.entries,
        "sla_working_days": j.config.sla_working_days,
        "bank_holidays": j.config.calendar.bank_holidays,
        "findings": c.total(),
        "open": c.open,
        "resolved": c.resolved,
        "occurred": c.occurred,
        "rules": rules.iter().map(|r| {
            let c = Counts::of(j.findings.iter().filter(|f| f.rule == r.id));
            json!({
                "rule": r.id,
                "title": r.title,
                "findings": c.total(),
                "open": c.open,
                "resolved": c.resolved,
                "occurred": c.occurred,
            })
        }).collect::<Vec<_>>(),
        "notes": j.state.notes.iter().map(|n| json!({"seq": n.seq, "message": n.message})).collect::<Vec<_>>(),
        "campaigns": j.state.campaigns.values()
            .map(|c| super::review::campaign_json(c, &j.state, j.as_of, &j.config))
            .collect::<Vec<_>>(),
    })
}

fn audit_json(o: &mut impl Write, j: &Judged, rules: &[&Rule], _a: &AuditArgs) -> Result<()> {
    for f in &j.findings {
        out::json_line(o, &FindingLine::new(f))?;
    }
    out::json_line(o, &summary_json(j, rules))?;
    Ok(())
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn audit_md(
    o: &mut impl Write,
    j: &Judged,
    rules: &[&Rule],
    a: &AuditArgs,
    dir: &Path,
) -> Result<()> {
    let c = Counts::of(&j.findings);
    writeln!(o, "# Information-governance compliance audit")?;
    writeln!(o)?;
    writeln!(o, "| | |")?;
    writeln!(o, "|---|---|")?;
    if let Some(org) = j.state.council.as_ref() {
        let name = j.state.orgs.get(org).and_then(|x| x.name.clone());
        writeln!(
            o,
            "| Council | {} (`{org}`) |",
            md_escape(name.as_deref().unwrap_or("-"))
        )?;
    }
    writeln!(o, "| Ledger | `{}` |", dir.display())?;
    if let Some(id) = &j.ledger_id {
        writeln!(o, "| Ledger id | `{id}` |")?;
    }
    if let Some(h) = j.head {
        writeln!(o, "| Head | seq {} · `{}` |", h.seq, h.hash)?;
    }
    writeln!(o, "| As of | {} (UTC) |", j.as_of)?;
    writeln!(
        o,
        "| Entries considered | {} of {} (those that occurred at or before the as-of instant) |",
        j.state.entries, j.total_entries
    )?;
    writeln!(
        o,
        "| Removal SLA (R3, R13) | {} working day{}: {} |",
        j.config.sla_working_days,
        if j.config.sla_working_days == 1 {
            ""
        } else {
            "s"
        },
        j.config.calendar.describe()
    )?;
    let filters = filters_text(a);
    if !filters.is_empty() {
        writeln!(o, "| Scope | {filters} |")?;
    }
    writeln!(
        o,
        "| Generated | {} by `igl audit --md` |",
        Timestamp::now()
    )?;
    writeln!(o)?;
    writeln!(o, "## Summary")?;
    writeln!(o)?;
    if c.total() == 0 {
        writeln!(o, "No findings. ✔")?;
    } else {
        writeln!(
            o,
            "**{} {}**: {}. *Open*: still non-compliant at the as-of instant. *Resolved late*: \
             was non-compliant and was put right late. *Occurred*: something that should not \
             have happened did.",
            c.total(),
            findings_word(c.total()),
            counts_text(&c)
        )?;
    }
    writeln!(o)?;
    writeln!(o, "| Rule | | Open | Resolved late | Occurred | Total |")?;
    writeln!(o, "|---|---|---:|---:|---:|---:|")?;
    for r in rules {
        let rc = Counts::of(j.findings.iter().filter(|f| f.rule == r.id));
        writeln!(
            o,
            "| {} {} | {} | {} | {} | {} | {} |",
            if rc.total() == 0 { "✔" } else { "✘" },
            r.id,
            md_escape(r.title),
            rc.open,
            rc.resolved,
            rc.occurred,
            rc.total()
        )?;
    }
    for r in rules {
        let fs: Vec<&Finding> = j.findings.iter().filter(|f| f.rule == r.id).collect();
        writeln!(o)?;
        writeln!(o, "## {} — {}", r.id, r.title)?;
        writeln!(o)?;
        writeln!(o, "> {}", r.source)?;
        writeln!(o)?;
        if fs.is_empty() {
            writeln!(o, "No findings. ✔")?;
            continue;
        }
        writeln!(
            o,
            "| | Subject | Since (UK time) | Due | Put right / last | Overdue | Evidence (seq) |"
        )?;
        writeln!(o, "|---|---|---|---|---|---|---|")?;
        for f in &fs {
            writeln!(
                o,
                "| {} {} | {} | {} | {} | {} | {} | {} |",
                f.status.symbol(),
                f.status.as_str(),
                md_escape(&f.subject.to_string()),
                hm(f.since),
                f.due.map_or("-".into(), hm),
                f.until.map_or("-".into(), hm),
                f.overdue_text().unwrap_or_else(|| "-".into()),
                seq_list(&f.seqs, 20)
            )?;
        }
        writeln!(o)?;
        for f in &fs {
            writeln!(
                o,
                "- **{}**: {}",
                md_escape(&f.subject.to_string()),
                f.detail
            )?;
        }
    }
    if !j.state.campaigns.is_empty() {
        writeln!(o)?;
        writeln!(o, "## Access-review campaigns")?;
        writeln!(o)?;
        writeln!(o, "| Campaign | Title | Due | Default | Progress |")?;
        writeln!(o, "|---|---|---|---|---|")?;
        for c in j.state.campaigns.values() {
            writeln!(
                o,
                "| `{}` | {} | {} | {} | {} |",
                c.id,
                md_escape(&c.title),
                c.due,
                c.default_decision.map_or("-".into(), |d| d.to_string()),
                md_escape(&c.progress(&j.state, j.as_of, &j.config).text())
            )?;
        }
    }
    writeln!(o)?;
    writeln!(o, "## How to check this report")?;
    writeln!(o)?;
    writeln!(
        o,
        "Every finding cites the ledger entries that prove it by seq. With a copy of the ledger:"
    )?;
    writeln!(o)?;
    writeln!(
        o,
        "- `igl verify` proves no entry was altered, removed, reordered or forged (exit 0);"
    )?;
    writeln!(
        o,
        "- `igl show SEQ` shows an entry in full: its fields, its author and their role, its signature and seal;"
    )?;
    writeln!(
        o,
        "- `igl audit --as-of {} --json` reproduces these findings as JSON Lines;",
        j.as_of
    )?;
    writeln!(
        o,
        "- `igl bundle --from SEQ --to SEQ` and `igl verify-bundle` check entries offline against a signed checkpoint."
    )?;
    Ok(())
}
