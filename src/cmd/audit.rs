//! `igl audit`, `igl status` and `igl org`: the governance state and its compliance findings,
//! as of now or any past instant.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::compliance::profile::{
    Authorisation, Counts, FindingLine, OrgProfile, PersonProfile, Validity,
};
use igl_ledger::compliance::state::{Employment, PROTECTING_INFORMATION, State};
use igl_ledger::compliance::{self, Calendar, Config, Finding, RULES, Rule, Status, rules, time};
use igl_schema::{Date, OrgId, PersonId, Timestamp};
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
struct Judged {
    state: State,
    findings: Vec<Finding>,
    config: Config,
    as_of: Timestamp,
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
fn judge_with(
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
fn hm(t: Timestamp) -> String {
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
fn print_finding(o: &mut impl Write, f: &Finding, indent: &str) -> Result<()> {
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

// ---------------------------------------------------------------------------------------------
// igl status

#[derive(Args)]
pub struct StatusArgs {
    /// The member of staff's personnel number, e.g. P00106.
    person: String,
    #[command(flatten)]
    judging: Judging,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn employment_text(e: Employment) -> String {
    match e {
        Employment::Unknown => "not enrolled".into(),
        Employment::Active { since } => {
            format!("active since {} (seq {})", hm(since.at), since.seq)
        }
        Employment::Suspended { since } => {
            format!("SUSPENDED since {} (seq {})", hm(since.at), since.seq)
        }
        Employment::Ended { since } => format!("LEFT at {} (seq {})", hm(since.at), since.seq),
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "✔" } else { "✘" }
}

pub fn run_status(a: StatusArgs, dir: PathBuf) -> Result<Outcome> {
    let id = PersonId::new(a.person.as_str()).map_err(|e| anyhow!("{e}"))?;
    let j = judge_with(&dir, &a.judging, None, |l, t| {
        compliance::scope::person_state(l, &id, t)
    })?;
    let Some(p) = PersonProfile::build(&j.state, &j.findings, &id) else {
        bail!(
            "no person {id} in the ledger as of {} (try `igl log --subject {id}` or a later --as-of)",
            j.as_of
        );
    };
    let mut o = out::stdout();
    if a.json {
        out::json_line(&mut o, &p)?;
    } else {
        status_text(&mut o, &p)?;
    }
    o.flush()?;
    Ok(if p.findings.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

/// `igl status` for terminals.
fn status_text(o: &mut impl Write, p: &PersonProfile) -> Result<()> {
    writeln!(
        o,
        "{}  {}{}",
        p.person,
        p.name.unwrap_or("(name erased or not recorded)"),
        match (p.job_title, p.business_unit) {
            (Some(t), Some(u)) => format!(" — {t}, {u}"),
            (Some(t), None) => format!(" — {t}"),
            (None, Some(u)) => format!(" — {u}"),
            (None, None) => String::new(),
        }
    )?;
    writeln!(o, "  as of         {}", p.as_of)?;
    if let Some(org) = p.organisation {
        let kind = if p.organisation_is_council {
            "council"
        } else {
            "third party"
        };
        writeln!(o, "  organisation  {org} ({kind})")?;
    }
    writeln!(
        o,
        "  line manager  {}",
        p.line_manager
            .map_or("none on record".into(), |m| m.to_string())
    )?;
    writeln!(o, "  employment    {}", employment_text(p.employment))?;
    if !p.manages.is_empty() {
        writeln!(
            o,
            "  manages       {}",
            p.manages
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }

    writeln!(o, "Keys")?;
    if p.keys.is_empty() {
        writeln!(o, "  none")?;
    }
    for k in &p.keys {
        writeln!(
            o,
            "  {} {:<11} {}  enrolled {} (seq {}){}",
            if k.open_finding {
                "✘"
            } else if k.revoked.is_some() {
                "·"
            } else {
                "✔"
            },
            k.role.as_str(),
            k.key.short(),
            hm(k.enrolled.at),
            k.enrolled.seq,
            k.revoked
                .map(|r| format!(", revoked {} (seq {})", hm(r.at), r.seq))
                .unwrap_or_default()
        )?;
    }

    writeln!(o, "Declarations")?;
    if p.declarations.is_empty() {
        writeln!(o, "  ✘ none signed")?;
    }
    for d in &p.declarations {
        let cs = match d.authorisation {
            Authorisation::ByLineManager(c) => format!(
                "countersigned by line manager {} {} (seq {})",
                c.manager,
                hm(c.stamp.at),
                c.stamp.seq
            ),
            Authorisation::OnlyByDeclarant(c) => format!(
                "countersigned only by the declarant {} (seq {}): NOT authorised",
                hm(c.stamp.at),
                c.stamp.seq
            ),
            Authorisation::OnlyByOther(c) => format!(
                "countersigned only by {}, not the line manager on record{} (seq {}): NOT authorised",
                c.manager,
                c.line_manager_then
                    .as_ref()
                    .map_or_else(String::new, |m| format!(" ({m})")),
                c.stamp.seq
            ),
            Authorisation::NotCountersigned => "NOT countersigned".into(),
        };
        writeln!(
            o,
            "  {} {} {}  signed {} (seq {}), {cs}",
            mark(d.authorised),
            d.policy,
            d.version,
            hm(d.signed_at),
            d.seq
        )?;
    }

    writeln!(o, "Training")?;
    if p.training.is_empty() {
        writeln!(o, "  ✘ none on record")?;
    }
    for t in &p.training {
        writeln!(
            o,
            "  {} {}  completed {}, {} (seq {})",
            if t.valid {
                "✔"
            } else if t.renewed {
                "·"
            } else {
                "✘"
            },
            t.course,
            t.completed_on,
            match t.expires_on {
                Some(e) if t.expired => format!("expired {e}"),
                Some(e) => format!("expires {e}"),
                None => "no expiry".into(),
            },
            t.seq
        )?;
    }
    if p.no_protecting_information {
        writeln!(o, "  ✘ no {PROTECTING_INFORMATION} training on record")?;
    }

    writeln!(o, "Grants")?;
    if p.grants.is_empty() {
        writeln!(o, "  none")?;
    }
    for g in &p.grants {
        let state = match g.revoked {
            Some(r) if g.revoked_by_then => format!(
                "revoked {} ({}, seq {})",
                hm(r.stamp.at),
                r.reason,
                r.stamp.seq
            ),
            _ => "active".into(),
        };
        writeln!(
            o,
            "  {} {} {} ({})  granted {} (seq {}) by {}, {state}",
            if g.open_finding {
                "✘"
            } else if g.active {
                "✔"
            } else {
                "·"
            },
            g.grant,
            g.system,
            g.role,
            hm(g.granted.at),
            g.granted.seq,
            g.approver
        )?;
        let review = match g.last_review {
            Some(r) => format!(
                "last reviewed {} by {} (seq {})",
                hm(r.stamp.at),
                r.reviewer,
                r.stamp.seq
            ),
            None => "never reviewed".into(),
        };
        let due = g
            .next_review_due
            .map(|d| format!(", next review due by the end of {}", time::uk_date(d)))
            .unwrap_or_default();
        writeln!(
            o,
            "      MFA {}, sponsor {}; {review}{due}",
            if g.mfa_required {
                "required"
            } else {
                "not required"
            },
            g.sponsor.map_or("none".into(), |sp| sp.person.to_string()),
        )?;
    }

    writeln!(o, "Devices")?;
    if p.devices.is_empty() {
        writeln!(o, "  none attested")?;
    }
    for d in &p.devices {
        if let Some(att) = d.latest {
            let f = att.failures();
            writeln!(
                o,
                "  {} {}  {}, attested {} (seq {}){}",
                mark(f.is_empty()),
                d.device,
                if att.council_provided {
                    "council-provided"
                } else {
                    "not council-provided"
                },
                hm(att.stamp.at),
                att.stamp.seq,
                if f.is_empty() {
                    String::new()
                } else {
                    format!(": {}", f.join(", "))
                }
            )?;
        }
    }

    writeln!(o, "Record accesses")?;
    match (p.record_accesses.first, p.record_accesses.last) {
        (Some(f), Some(l)) => writeln!(
            o,
            "  {} (first {}, last {}); `igl log --subject {} --type RecordAccessed`",
            p.record_accesses.count,
            hm(f.at),
            hm(l.at),
            p.person
        )?,
        _ => writeln!(o, "  none")?,
    }

    if !p.requests.is_empty() {
        writeln!(o, "Subject-rights requests")?;
        for r in &p.requests {
            let (sym, words) = r.status_text();
            writeln!(
                o,
                "  {sym} {} ({}), received {}, due {}: {words}",
                r.request,
                r.right,
                r.received,
                r.due_text()
            )?;
        }
    }

    writeln!(o, "Findings")?;
    if p.findings.is_empty() {
        writeln!(o, "  ✔ none")?;
    }
    for f in &p.findings {
        print_finding(o, f, "  ")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// igl org

#[derive(Args)]
pub struct OrgArgs {
    /// The organisation id, e.g. caring-hands.
    org: String,
    #[command(flatten)]
    judging: Judging,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// How an agreement or accreditation stands, for terminals: a mark and words.
fn validity_text(
    v: Validity,
    from: Date,
    until: Option<Date>,
    superseded_by: Option<&str>,
) -> (&'static str, String) {
    let (m, text) = match (v, until) {
        (Validity::NotYet, _) => ("⚠", format!("not in force until {from}")),
        (Validity::InForce { .. }, None) => ("✔", "in force, no expiry".into()),
        (Validity::InForce { days_left }, Some(u)) if v.expiring_soon() => (
            "⚠",
            format!(
                "in force, expires after {u} ({} days left)",
                days_left.unwrap_or_default()
            ),
        ),
        (Validity::InForce { .. }, Some(u)) => ("✔", format!("in force until {u}")),
        (Validity::Expired, u) => (
            "✘",
            format!(
                "EXPIRED after {}",
                u.map(|u| u.to_string()).unwrap_or_default()
            ),
        ),
    };
    match superseded_by {
        Some(n) if v == Validity::Expired => {
            ("·", format!("{}, superseded by {n}", text.to_lowercase()))
        }
        _ => (m, text),
    }
}

pub fn run_org(a: OrgArgs, dir: PathBuf) -> Result<Outcome> {
    let id = OrgId::new(a.org.as_str()).map_err(|e| anyhow!("{e}"))?;
    let j = judge_with(&dir, &a.judging, None, |l, t| {
        compliance::scope::org_state(l, &id, t)
    })?;
    let Some(org) = OrgProfile::build(&j.state, &j.findings, &id) else {
        // Naming the organisations that do exist takes the whole state.
        let all = compliance::load(&Ledger::open_read_only(&dir)?, Some(j.as_of))?;
        bail!(
            "no organisation {id} in the ledger as of {}; known: {}",
            j.as_of,
            all.orgs
                .keys()
                .map(|o| o.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let mut o = out::stdout();
    if a.json {
        out::json_line(&mut o, &org)?;
    } else {
        org_text(&mut o, &org)?;
    }
    o.flush()?;
    Ok(if org.findings.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

/// `igl org` for terminals.
fn org_text(o: &mut impl Write, org: &OrgProfile) -> Result<()> {
    writeln!(
        o,
        "{}  {} ({}){}",
        org.organisation,
        org.name.unwrap_or("(not registered)"),
        match org.kind {
            Some(k) => k.as_str(),
            None if org.council => "council",
            None => "kind not recorded",
        },
        org.registered
            .map(|r| format!(", registered {} (seq {})", hm(r.at), r.seq))
            .unwrap_or_default()
    )?;
    writeln!(o, "  as of  {}", org.as_of)?;
    writeln!(
        o,
        "  people {} ({} with active access)",
        org.people.len(),
        org.people_with_access.len()
    )?;
    let none = if org.council { "-" } else { "✘" };
    writeln!(o, "Agreements")?;
    if org.agreements.is_empty() {
        writeln!(o, "  {none} none on record")?;
    }
    for g in &org.agreements {
        let (m, text) = validity_text(g.state, g.valid_from, g.valid_until, g.superseded_by);
        writeln!(
            o,
            "  {m} {:<9} {}  from {}: {text} (seq {})",
            g.kind.as_str(),
            g.reference,
            g.valid_from,
            g.seq
        )?;
    }
    if org.lacks_isa {
        writeln!(o, "  ✘ no information-sharing agreement in force")?;
    }
    if org.lacks_dpia {
        writeln!(o, "  ✘ no summary DPIA in force")?;
    }
    writeln!(o, "Accreditations")?;
    if org.accreditations.is_empty() {
        writeln!(o, "  {none} none on record")?;
    }
    for c in &org.accreditations {
        let (m, text) = validity_text(
            c.state,
            c.awarded_on,
            Some(c.valid_through),
            c.superseded_by,
        );
        writeln!(
            o,
            "  {m} {:<21} {}  awarded {}: {text} (seq {})",
            c.scheme.as_str(),
            c.reference,
            c.awarded_on,
            c.seq
        )?;
    }
    writeln!(o, "Findings")?;
    if org.findings.is_empty() {
        writeln!(o, "  ✔ none about the organisation")?;
    }
    for f in &org.findings {
        print_finding(o, f, "  ")?;
    }
    if org.findings_about_its_people > 0 {
        writeln!(
            o,
            "  {} more about its people ({}): `igl audit --org {}`",
            org.findings_about_its_people,
            org.findings_about_its_people_by_rule
                .iter()
                .map(|(r, n)| format!("{r} ×{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            org.organisation
        )?;
    }
    Ok(())
}
