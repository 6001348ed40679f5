//! `igl review list` and `igl review show`: campaigns read at an instant, as text and JSON.

use super::*;

pub(super) fn load(
    dir: &Path,
    when: &crate::cmd::audit::Judging,
) -> Result<(State, Timestamp, Config)> {
    let as_of = when.as_of()?;
    let ledger = Ledger::open_read_only(dir)?;
    Ok((campaigns_state(&ledger, as_of)?, as_of, when.config()))
}

pub(super) fn find<'a>(state: &'a State, id: &str, as_of: Timestamp) -> Result<&'a Campaign> {
    let cid = CampaignId::new(id).map_err(|e| anyhow!("campaign: {e}"))?;
    state.campaigns.get(&cid).ok_or_else(|| {
        let known: Vec<&str> = state.campaigns.keys().map(|c| c.as_str()).collect();
        anyhow!(
            "no campaign {cid} had been opened as of {}{}",
            time::uk_text(as_of),
            if known.is_empty() {
                String::new()
            } else {
                format!("; campaigns: {}", known.join(", "))
            }
        )
    })
}

/// A campaign as JSON (`igl review list --json`, `show --json`'s first line, the campaigns of
/// `igl audit --json`'s summary): FORMAT.md, "igl review --json".
pub fn campaign_json(c: &Campaign, s: &State, now: Timestamp, cfg: &Config) -> Value {
    json!({
        "record": "campaign",
        "campaign": c.id,
        "title": c.title,
        "opened": c.opened.at.to_string(),
        "opened_seq": c.opened.seq,
        "system": c.system,
        "organisation": c.organisation,
        "reports_of": c.reports_of,
        "reviewer": c.reviewer,
        "owner": c.owner,
        "due": c.due.to_string(),
        "due_at": c.due_at.to_string(),
        "default_decision": c.default_decision,
        "closed": c.closed_at(now),
        "progress": serde_json::to_value(c.progress(s, now, cfg)).unwrap_or(Value::Null),
    })
}

pub(super) fn item_json(c: &Campaign, i: &Item, s: &State, now: Timestamp, cfg: &Config) -> Value {
    let g = s.grant(&i.grant);
    let st = c.item_state(i, g, now);
    let (state, decision, at, seq, by_default, new_role) = match &st {
        ItemState::Pending => ("pending", None, None, None, false, None),
        ItemState::Overdue => ("overdue", None, None, None, false, None),
        ItemState::Withdrawn { .. } => ("withdrawn", None, None, None, false, None),
        ItemState::Decided {
            decision,
            at,
            seq,
            by_default,
            new_role,
        } => (
            "decided",
            Some(*decision),
            Some(*at),
            Some(*seq),
            *by_default,
            new_role.clone(),
        ),
    };
    let justification = match &st {
        ItemState::Decided {
            by_default: false, ..
        } => i
            .decisions
            .iter()
            .rfind(|d| d.stamp.at <= now)
            .and_then(|d| d.justification.clone()),
        _ => None,
    };
    let (execution, exec_due, late) = match c.execution(i, g, now, cfg) {
        Execution::NotNeeded => ("not_needed", None, None),
        Execution::Awaiting { due } => ("awaiting", Some(due), Some(now > due)),
        Execution::Done { due, late, .. } => ("done", Some(due), Some(late)),
    };
    let revoked = g
        .and_then(|g| g.revoked.as_ref())
        .map(|r| r.stamp)
        .filter(|r| r.at <= now);
    json!({
        "record": "item",
        "campaign": c.id,
        "grant": i.grant,
        "person": i.person,
        "system": i.system,
        "role": i.role,
        "granted_seq": i.granted.seq,
        "reviewer": i.reviewer,
        "assigned_as": i.assigned_as,
        "state": state,
        "decision": decision,
        "decided_at": at.map(|t| t.to_string()),
        "decision_seq": seq,
        "by_default": by_default,
        "new_role": new_role,
        "justification": justification,
        "execution": execution,
        "revocation_due": exec_due.map(|t| t.to_string()),
        "revoked_at": revoked.map(|r| r.at.to_string()),
        "revoked_seq": revoked.map(|r| r.seq),
        "late": late,
    })
}

pub(super) fn header(
    o: &mut impl Write,
    c: &Campaign,
    s: &State,
    now: Timestamp,
    cfg: &Config,
) -> Result<()> {
    writeln!(o, "{} {:?} — {}", c.id, c.title, c.due_text())?;
    writeln!(o, "  {}", c.opened_text())?;
    writeln!(o, "  {}", c.progress(s, now, cfg).text())?;
    Ok(())
}

/// Exit 1 when an item is overdue or a revocation a decision calls for is past its SLA.
pub(super) fn outcome<'a>(
    campaigns: impl IntoIterator<Item = &'a Campaign>,
    s: &State,
    now: Timestamp,
    cfg: &Config,
) -> Outcome {
    let late = campaigns
        .into_iter()
        .any(|c| c.progress(s, now, cfg).late());
    if late { Outcome::Finding } else { Outcome::Ok }
}

pub(super) fn list(a: ListArgs, dir: &Path) -> Result<Outcome> {
    let (state, now, cfg) = load(dir, &a.when)?;
    let mut o = out::stdout();
    if a.json {
        for c in state.campaigns.values() {
            out::json_line(&mut o, &campaign_json(c, &state, now, &cfg))?;
        }
    } else if state.campaigns.is_empty() {
        writeln!(
            o,
            "no access-review campaign as of {}; open one with `igl review open`",
            time::uk_text(now)
        )?;
    } else {
        for c in state.campaigns.values() {
            header(&mut o, c, &state, now, &cfg)?;
        }
    }
    o.flush()?;
    Ok(outcome(state.campaigns.values(), &state, now, &cfg))
}

pub(super) fn day(t: Timestamp) -> String {
    time::uk_date(t).to_string()
}

pub(super) fn show(a: ShowArgs, dir: &Path) -> Result<Outcome> {
    let (state, now, cfg) = load(dir, &a.when)?;
    let c = find(&state, &a.campaign, now)?;
    let mut o = out::stdout();
    if a.json {
        out::json_line(&mut o, &campaign_json(c, &state, now, &cfg))?;
        for i in &c.items {
            out::json_line(&mut o, &item_json(c, i, &state, now, &cfg))?;
        }
    } else {
        header(&mut o, c, &state, now, &cfg)?;
        writeln!(o)?;
        let rows: Vec<[String; 6]> = c
            .items
            .iter()
            .map(|i| {
                let g = state.grant(&i.grant);
                [
                    i.grant.to_string(),
                    i.person.to_string(),
                    format!("{} ({})", i.system, i.role),
                    i.reviewer.to_string(),
                    c.item_state(i, g, now).text(),
                    c.execution(i, g, now, &cfg).text(now),
                ]
            })
            .collect();
        let head = [
            "GRANT",
            "PERSON",
            "ACCESS",
            "REVIEWER",
            "DECISION",
            "CARRIED OUT",
        ];
        let mut w = head.map(str::len);
        for r in &rows {
            for (k, cell) in r.iter().enumerate() {
                w[k] = w[k].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .enumerate()
                .map(|(k, s)| format!("{s:<width$}", width = w[k]))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        writeln!(o, "{}", line(&head.map(String::from)))?;
        for r in &rows {
            writeln!(o, "{}", line(r))?;
        }
    }
    o.flush()?;
    Ok(outcome([c], &state, now, &cfg))
}
