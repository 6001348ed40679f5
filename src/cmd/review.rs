//! `igl review`: access-review campaigns. IG opens a campaign; each reviewer gets a worksheet
//! of what they must decide, fills it in and signs it offline with their own key; IG appends
//! the signed decisions. The model (items, reviewers, defaults, whether decisions were carried
//! out) is `igl_ledger::compliance::campaign`; this module renders it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use igl_ledger::Ledger;
use igl_ledger::compliance::Config;
use igl_ledger::compliance::campaign::{self, Campaign, Execution, Item, ItemState};
use igl_ledger::compliance::scope::campaigns_state;
use igl_ledger::compliance::state::{Stamp, State};
use igl_ledger::projection::Kind;
use igl_ledger::review;
use igl_ledger::time;
use igl_schema::json::submission_json;
use igl_schema::{
    CampaignId, Date, Event, EventId, OrgId, PersonId, ReviewCampaignOpened, ReviewDecision, Salt,
    Submission, SystemId, Timestamp,
};
use serde_json::{Value, json};

use crate::{Outcome, out};

#[derive(Args)]
pub struct ReviewArgs {
    #[command(subcommand)]
    what: ReviewCommand,
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Open a campaign: every grant in force now within the scope becomes an item for its
    /// reviewer (the --reviewer given, else the grantee's line manager, else the owner) to
    /// decide by the end of the due day. Signed and appended with an IG officer's or admin's
    /// key.
    Open(OpenArgs),
    /// Every campaign with its progress.
    List(ListArgs),
    /// One campaign, item by item: who decides, what was decided, whether a revoke or change
    /// was carried out.
    Show(ShowArgs),
    /// What a reviewer still has to decide; with --worksheet, the CSV file they fill in.
    Todo(TodoArgs),
    /// Sign a filled-in worksheet's decisions with the reviewer's own key, offline, as `igl
    /// sign` does: prints JSON Lines for IG to `igl append`.
    Decide(DecideArgs),
}

#[derive(Args)]
struct OpenArgs {
    /// The campaign's id, e.g. AR-2026-Q4-ECLIPSE.
    campaign: String,
    /// What the campaign is, for reviewers.
    #[arg(long)]
    title: String,
    /// Accountable for the campaign; reviews the items nobody else can.
    #[arg(long, value_name = "PERSON")]
    owner: String,
    /// The last day for decisions (YYYY-MM-DD, a UK day).
    #[arg(long, value_name = "DATE")]
    due: String,
    /// Only grants to this system.
    #[arg(long)]
    system: Option<String>,
    /// Only grants of people in this organisation.
    #[arg(long, value_name = "ORG")]
    organisation: Option<String>,
    /// Only grants of people whose line manager is this person.
    #[arg(long, value_name = "PERSON")]
    reports_of: Option<String>,
    /// One reviewer for every item (a system owner) instead of each grantee's line manager.
    #[arg(long, value_name = "PERSON")]
    reviewer: Option<String>,
    /// Apply this decision (keep or revoke) to every item still undecided when the due day
    /// ends.
    #[arg(long, value_name = "DECISION")]
    default: Option<String>,
    /// An IG officer's or admin's key: signs the opening and seals it.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// Show the items the campaign would have; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    when: super::audit::Judging,
    /// Print JSON Lines: one line per campaign.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ShowArgs {
    /// The campaign's id.
    campaign: String,
    #[command(flatten)]
    when: super::audit::Judging,
    /// Print JSON Lines: the campaign, then one line per item.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct TodoArgs {
    /// The campaign's id.
    campaign: String,
    /// The reviewer.
    #[arg(long, value_name = "PERSON")]
    reviewer: String,
    #[command(flatten)]
    when: super::audit::Judging,
    /// Write the reviewer's worksheet (CSV, with names and business needs: personal data, for
    /// the reviewer only) to this file; `-` for stdout.
    #[arg(long, value_name = "FILE")]
    worksheet: Option<PathBuf>,
    /// Print JSON Lines: one line per item.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DecideArgs {
    /// The filled-in worksheet.
    worksheet: PathBuf,
    /// The reviewer's own secret key.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The id of the ledger the decisions are for (32 hex digits): the signature names it.
    /// Without it, the id is read from the ledger given by --ledger.
    #[arg(long, value_name = "HEX")]
    ledger_id: Option<String>,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
}

pub fn run(a: ReviewArgs, ledger: Option<&Path>) -> Result<Outcome> {
    match a.what {
        ReviewCommand::Open(a) => open(a, &super::ledger_dir(ledger)?),
        ReviewCommand::List(a) => list(a, &super::ledger_dir(ledger)?),
        ReviewCommand::Show(a) => show(a, &super::ledger_dir(ledger)?),
        ReviewCommand::Todo(a) => todo(a, &super::ledger_dir(ledger)?),
        ReviewCommand::Decide(a) => decide(a, ledger),
    }
}

fn person_arg(flag: &str, s: &str) -> Result<PersonId> {
    PersonId::new(s).map_err(|e| anyhow!("{flag}: {e}"))
}

/// Refuses a person the ledger has never named.
fn known_person(ledger: &Ledger, flag: &str, p: &PersonId) -> Result<()> {
    if ledger.history(Kind::Person, p.as_str(), None)?.is_empty() {
        bail!("{flag}: the ledger has no person {p}; nothing was written");
    }
    Ok(())
}

fn open(a: OpenArgs, dir: &Path) -> Result<Outcome> {
    let campaign = CampaignId::new(a.campaign.as_str()).map_err(|e| anyhow!("campaign: {e}"))?;
    let owner = person_arg("--owner", &a.owner)?;
    let due = Date::parse(a.due.trim()).map_err(|e| anyhow!("--due: {e}"))?;
    let reviewer = a
        .reviewer
        .as_deref()
        .map(|p| person_arg("--reviewer", p))
        .transpose()?;
    let reports_of = a
        .reports_of
        .as_deref()
        .map(|p| person_arg("--reports-of", p))
        .transpose()?;
    let system = a
        .system
        .as_deref()
        .map(|s| SystemId::new(s).map_err(|e| anyhow!("--system: {e}")))
        .transpose()?;
    let organisation = a
        .organisation
        .as_deref()
        .map(|s| OrgId::new(s).map_err(|e| anyhow!("--organisation: {e}")))
        .transpose()?;
    let default_decision = match a.default.as_deref() {
        None => None,
        Some(d) => match d.parse::<ReviewDecision>() {
            Ok(ReviewDecision::Change) | Err(_) => {
                bail!("--default: {d:?}: write keep or revoke")
            }
            Ok(x) => Some(x),
        },
    };
    let now = Timestamp::now();
    if due.0 < time::uk_date(now) {
        bail!(
            "--due: {due} is in the past (today is {} in the UK); nothing was written",
            time::uk_date(now)
        );
    }
    // A dry run writes nothing: it needs no lock on the ledger.
    let ledger = if a.dry_run {
        Ledger::open_read_only(dir)?
    } else {
        Ledger::open(dir)?
    };
    for (flag, p) in [
        ("--owner", Some(&owner)),
        ("--reviewer", reviewer.as_ref()),
        ("--reports-of", reports_of.as_ref()),
    ] {
        if let Some(p) = p {
            known_person(&ledger, flag, p)?;
        }
    }
    if let Some(o) = &organisation
        && ledger.history(Kind::Org, o.as_str(), None)?.is_empty()
    {
        bail!("--organisation: the ledger has no organisation {o}; nothing was written");
    }
    if let Some(s) = &system {
        let known = ledger.systems_granted()?;
        if !known.contains(s) {
            bail!(
                "--system: no grant was ever made to {s} (granted: {}); nothing was written",
                known
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if !ledger
        .history(Kind::Campaign, campaign.as_str(), None)?
        .is_empty()
    {
        bail!("campaign {campaign} was already opened; choose another id; nothing was written");
    }
    let e = ReviewCampaignOpened {
        campaign,
        title: a.title.clone(),
        system,
        organisation,
        reports_of,
        reviewer,
        owner,
        due,
        default_decision,
    };
    Event::ReviewCampaignOpened(e.clone())
        .validate()
        .map_err(|fe| anyhow!("--{}: {fe}", fe.field.replace('_', "-")))?;
    let state = campaigns_state(&ledger, now)?;
    let at = Stamp {
        at: now,
        seq: ledger.head()?.map_or(0, |h| h.seq + 1),
    };
    let mut preview = campaign::campaign_of(&state, at, &e);
    if let Some(i) = preview.items.iter().find(|i| i.reviewer == i.person) {
        bail!(
            "campaign {}: {} would review their own grant {} (they are the owner, and nobody \
             else can review it); choose another --owner; nothing was written",
            e.campaign,
            i.person,
            i.grant
        );
    }
    if preview.items.is_empty() {
        bail!(
            "campaign {}: no grant in force matches its scope, so there is nothing to review; \
             nothing was written",
            e.campaign
        );
    }
    let mut seqs = None;
    if !a.dry_run {
        let key = a.pass.load_key(&a.key)?;
        let sub = Submission::sign(
            ledger.ledger_id()?,
            Event::ReviewCampaignOpened(e.clone()),
            now,
            EventId(igl_ledger::keys::random_bytes()?),
            [],
            &key,
            Salt(igl_ledger::keys::random_bytes()?),
        )?;
        let r = ledger
            .append(&[sub], &key, Timestamp::now())
            .context("nothing was written")?;
        seqs = Some(r.first_seq);
        preview.opened.seq = r.first_seq;
    }
    let reviewers = preview.reviewers(&state, now);
    let mut o = out::stdout();
    if a.json {
        let mut v = campaign_json(&preview, &state, now, &Config::default());
        v["seq"] = json!(seqs);
        v["dry_run"] = json!(a.dry_run);
        out::json_line(&mut o, &v)?;
    } else {
        writeln!(
            o,
            "{} campaign {} ({:?}): {} item{} for {} reviewer{}, due by the end of {}{}",
            if a.dry_run { "would open" } else { "opened" },
            preview.id,
            preview.title,
            preview.items.len(),
            if preview.items.len() == 1 { "" } else { "s" },
            reviewers.len(),
            if reviewers.len() == 1 { "" } else { "s" },
            preview.due,
            match seqs {
                Some(s) => format!(" (seq {s})"),
                None => String::new(),
            }
        )?;
        for (r, (n, _)) in &reviewers {
            writeln!(o, "  {r}: {n} item{}", if *n == 1 { "" } else { "s" })?;
        }
        if !a.dry_run {
            writeln!(o)?;
            writeln!(o, "Next, for each reviewer:")?;
            writeln!(
                o,
                "  igl review todo {} --reviewer PERSON --worksheet PERSON.csv",
                preview.id
            )?;
        }
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

fn load(dir: &Path, when: &super::audit::Judging) -> Result<(State, Timestamp, Config)> {
    let as_of = when.as_of()?;
    let ledger = Ledger::open_read_only(dir)?;
    Ok((campaigns_state(&ledger, as_of)?, as_of, when.config()))
}

fn find<'a>(state: &'a State, id: &str, as_of: Timestamp) -> Result<&'a Campaign> {
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

fn item_json(c: &Campaign, i: &Item, s: &State, now: Timestamp, cfg: &Config) -> Value {
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

fn header(o: &mut impl Write, c: &Campaign, s: &State, now: Timestamp, cfg: &Config) -> Result<()> {
    writeln!(o, "{} {:?} — {}", c.id, c.title, c.due_text())?;
    writeln!(o, "  {}", c.opened_text())?;
    writeln!(o, "  {}", c.progress(s, now, cfg).text())?;
    Ok(())
}

/// Exit 1 when an item is overdue or a revocation a decision calls for is past its SLA.
fn outcome<'a>(
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

fn list(a: ListArgs, dir: &Path) -> Result<Outcome> {
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

fn day(t: Timestamp) -> String {
    time::uk_date(t).to_string()
}

fn show(a: ShowArgs, dir: &Path) -> Result<Outcome> {
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

fn todo(a: TodoArgs, dir: &Path) -> Result<Outcome> {
    let reviewer = person_arg("--reviewer", &a.reviewer)?;
    let (state, now, cfg) = load(dir, &a.when)?;
    let c = find(&state, &a.campaign, now)?;
    if !c.items.iter().any(|i| i.reviewer == reviewer) {
        let reviewers: Vec<String> = c
            .reviewers(&state, now)
            .keys()
            .map(|p| p.to_string())
            .collect();
        bail!(
            "{reviewer} reviews nothing in campaign {}; its reviewers are {}",
            c.id,
            reviewers.join(", ")
        );
    }
    if let Some(path) = &a.worksheet {
        let n = if path == Path::new("-") {
            let o = std::io::stdout().lock();
            review::write_worksheet(o, c, &state, &reviewer, now)?
        } else {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            review::write_worksheet(f, c, &state, &reviewer, now)
                .with_context(|| format!("writing {}", path.display()))?
        };
        if path != Path::new("-") {
            let ledger_id = Ledger::open_read_only(dir)?.ledger_id()?;
            eprintln!(
                "wrote {} item{} for {reviewer} to {} (personal data: for {reviewer} only).\n\
                 Fill in decision (keep, revoke or change), justification and, for a change, \
                 new_role; then, offline, with {reviewer}'s own key:\n  \
                 igl review decide {} --key {reviewer}.key --ledger-id {} > decisions.jsonl\n\
                 and IG appends it: igl append decisions.jsonl --key IG.key",
                n,
                if n == 1 { "" } else { "s" },
                path.display(),
                path.display(),
                ledger_id.to_hex()
            );
        }
        return Ok(Outcome::Ok);
    }
    let mut o = out::stdout();
    let items: Vec<&Item> = c.todo(&state, &reviewer, now).collect();
    if a.json {
        for i in &items {
            out::json_line(&mut o, &item_json(c, i, &state, now, &cfg))?;
        }
    } else if items.is_empty() {
        writeln!(
            o,
            "{reviewer} has nothing left to decide in campaign {} as of {}",
            c.id,
            time::uk_text(now)
        )?;
    } else {
        writeln!(
            o,
            "{reviewer} has {} item{} to decide in campaign {} (due by the end of {}):",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            c.id,
            c.due
        )?;
        for i in &items {
            let p = state.person(&i.person);
            let g = state.grant(&i.grant);
            writeln!(
                o,
                "  {}  {} {}  {} ({}), granted {}{}",
                i.grant,
                i.person,
                p.and_then(|p| p.name.as_deref()).unwrap_or(""),
                i.system,
                i.role,
                day(i.granted.at),
                match g.and_then(|g| g.business_need.as_deref()) {
                    Some(n) => format!("; need: {n}"),
                    None => String::new(),
                }
            )?;
        }
        writeln!(o)?;
        writeln!(
            o,
            "write the worksheet: igl review todo {} --reviewer {reviewer} --worksheet FILE.csv",
            c.id
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

fn decide(a: DecideArgs, ledger: Option<&Path>) -> Result<Outcome> {
    let ledger_id = super::append::signing_ledger_id(a.ledger_id.as_deref(), ledger)?;
    let name = a.worksheet.display().to_string();
    let f = std::fs::File::open(&a.worksheet).with_context(|| format!("reading {name}"))?;
    let sheet = review::read_worksheet(&name, f).map_err(|e| anyhow!("{e}\nnothing was signed"))?;
    if sheet.decisions.is_empty() {
        bail!(
            "{name}: no row has a decision ({} left undecided); write keep, revoke or change in \
             the decision column; nothing was signed",
            sheet.undecided
        );
    }
    let key = a.pass.load_key(&a.key)?;
    let subs = review::sign_decisions(&sheet.decisions, ledger_id, &key, Timestamp::now())
        .map_err(|e| anyhow!("{name}: {e}\nnothing was signed"))?;
    let mut o = out::stdout();
    for s in &subs {
        out::json_line(&mut o, &Value::Object(submission_json(s)))?;
    }
    o.flush()?;
    eprintln!(
        "signed {} decision{} ({} row{} left undecided); IG appends them with `igl append FILE \
         --key IG.key`",
        subs.len(),
        if subs.len() == 1 { "" } else { "s" },
        sheet.undecided,
        if sheet.undecided == 1 { "" } else { "s" },
    );
    Ok(Outcome::Ok)
}
