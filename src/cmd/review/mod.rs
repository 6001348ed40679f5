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

mod view;
mod work;

pub use view::*;
use work::*;

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
    pass: crate::cmd::passphrase::PassphraseArgs,
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
    when: crate::cmd::audit::Judging,
    /// Print JSON Lines: one line per campaign.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ShowArgs {
    /// The campaign's id.
    campaign: String,
    #[command(flatten)]
    when: crate::cmd::audit::Judging,
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
    when: crate::cmd::audit::Judging,
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
    pass: crate::cmd::passphrase::PassphraseArgs,
}

pub fn run(a: ReviewArgs, ledger: Option<&Path>) -> Result<Outcome> {
    match a.what {
        ReviewCommand::Open(a) => open(a, &crate::cmd::ledger_dir(ledger)?),
        ReviewCommand::List(a) => list(a, &crate::cmd::ledger_dir(ledger)?),
        ReviewCommand::Show(a) => show(a, &crate::cmd::ledger_dir(ledger)?),
        ReviewCommand::Todo(a) => todo(a, &crate::cmd::ledger_dir(ledger)?),
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
