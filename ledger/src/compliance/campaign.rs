//! Access-review campaigns: the one model of a campaign, its items, the decisions on them and
//! whether those decisions were carried out. `igl review`, `igl audit` (R12, R17, R18 and the
//! campaign summary) and the terminal UI's Reviews screen all read it.
//!
//! - **Items.** A campaign opened at instant O (`ReviewCampaignOpened`) covers every grant in
//!   force at O whose system, grantee's organisation and grantee's line manager on record at O
//!   match the campaign's filters (an absent filter matches everything).
//! - **The reviewer** of an item is the campaign's `reviewer` if it names one, else the
//!   grantee's line manager on record at O, else the campaign's `owner`. Nobody reviews their
//!   own access: such an item goes to the owner.
//! - **Decisions.** Only a decision signed by the item's reviewer counts (the chain rules make
//!   the decision's `reviewer` sign it with their own key); the latest one counts. A decision
//!   that names another campaign, a grant outside it, another grantee or another reviewer is a
//!   projection note, not a decision.
//! - **The due date.** Items must be decided by the end of the UK day `due`. With a
//!   `default_decision`, every item still undecided then takes it at that instant ("decided by
//!   default"), and the campaign is closed: a later decision is a note. Without one, a late
//!   decision counts and R18 reports it.
//! - **Carrying out.** A `revoke` or `change` decision is carried out by the grant's revocation
//!   (whatever its recorded reason); `change` then needs a new grant with the new role, made the
//!   usual way (R1 and the rest apply to it). R17 reports a decision not carried out within the
//!   SLA of working days (the one R3 uses for leavers).
//! - **Reviews.** A decision that counts is a review of the grant (R12); a default is not,
//!   because nobody looked at the access.

use std::collections::BTreeMap;

use igl_schema::{
    CampaignId, Date, GrantId, OrgId, PersonId, ReviewCampaignOpened, ReviewDecision,
    ReviewDecisionRecorded, SystemId, Timestamp,
};
use serde::Serialize;

use super::Config;
use super::state::{Employment, Grant, Review, State};
use crate::time::{Stamp, day_end};

/// An access-review campaign.
#[derive(Clone, Debug, Serialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub title: String,
    /// The opening entry: its `occurred_at` fixes the items.
    pub opened: Stamp,
    pub system: Option<SystemId>,
    pub organisation: Option<OrgId>,
    pub reports_of: Option<PersonId>,
    pub reviewer: Option<PersonId>,
    pub owner: PersonId,
    /// The last UK day for decisions.
    pub due: Date,
    /// The end of that day: the last instant a decision is on time.
    pub due_at: Timestamp,
    pub default_decision: Option<ReviewDecision>,
    pub items: Vec<Item>,
}

/// One grant to decide in a campaign.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub grant: GrantId,
    pub person: PersonId,
    pub system: SystemId,
    pub role: String,
    /// The grant's own entry.
    pub granted: Stamp,
    /// Who must decide.
    pub reviewer: PersonId,
    /// Why this reviewer: `campaign`, `line_manager` or `owner`.
    pub assigned_as: &'static str,
    /// The decisions that count, in fold order (the last is the reviewer's decision).
    pub decisions: Vec<Decision>,
}

/// A decision that counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub stamp: Stamp,
    pub decision: ReviewDecision,
    pub new_role: Option<String>,
    /// The justification (`None` once erased).
    pub justification: Option<String>,
}

/// Where an item stands at an instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ItemState {
    /// Not decided yet, and not yet due.
    Pending,
    /// Not decided, past the due date, and no default.
    Overdue,
    /// Decided by the reviewer (`by_default` false) or by the campaign's default at its due
    /// date (`seq` is then the campaign's opening entry and `at` the end of the due day).
    Decided {
        decision: ReviewDecision,
        at: Timestamp,
        seq: u64,
        by_default: bool,
        new_role: Option<String>,
    },
    /// The grant was revoked before anyone decided: nothing left to decide.
    Withdrawn { revoked: Stamp },
}

/// Whether a `revoke` or `change` decision has been carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Execution {
    /// A `keep` decision, or no decision: nothing to carry out.
    NotNeeded,
    /// Awaiting the grant's revocation; `due` is the end of the SLA.
    Awaiting { due: Timestamp },
    /// The grant was revoked at `revoked` (after `due` if `late`).
    Done {
        revoked: Stamp,
        due: Timestamp,
        late: bool,
    },
}

/// A campaign's counts at an instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub items: usize,
    pub pending: usize,
    pub overdue: usize,
    pub keep: usize,
    pub revoke: usize,
    pub change: usize,
    /// Of the decided, how many by the campaign's default.
    pub by_default: usize,
    /// Items whose grant was revoked before a decision.
    pub withdrawn: usize,
    /// `revoke` and `change` decisions awaiting revocation (on time or not).
    pub awaiting_revocation: usize,
    /// Of those, how many are past their SLA.
    pub revocation_overdue: usize,
    pub carried_out: usize,
}

impl Progress {
    /// Decided items (by anyone).
    pub fn decided(&self) -> usize {
        self.keep + self.revoke + self.change
    }

    /// Whether an item is overdue or a revocation a decision calls for is past its SLA: what
    /// marks a campaign ✘ (and makes `igl review list` and `show` exit 1).
    pub fn late(&self) -> bool {
        self.overdue + self.revocation_overdue > 0
    }

    /// `12 items: 9 decided (7 keep, 1 revoke, 1 change; 2 by default), 2 pending, 1
    /// overdue, 1 revoked before a decision; revocations: 1 carried out, 1 awaiting (1 past the
    /// SLA)`: the one wording of a campaign's progress (CLI, audit and TUI).
    pub fn text(&self) -> String {
        let mut s = format!(
            "{} item{}: {} decided ({} keep, {} revoke, {} change",
            self.items,
            if self.items == 1 { "" } else { "s" },
            self.decided(),
            self.keep,
            self.revoke,
            self.change
        );
        if self.by_default > 0 {
            s.push_str(&format!("; {} by default", self.by_default));
        }
        s.push_str(&format!(
            "), {} pending, {} overdue",
            self.pending, self.overdue
        ));
        if self.withdrawn > 0 {
            s.push_str(&format!(", {} revoked before a decision", self.withdrawn));
        }
        if self.revoke + self.change > 0 {
            s.push_str(&format!(
                "; revocations: {} carried out, {} awaiting",
                self.carried_out, self.awaiting_revocation
            ));
            if self.revocation_overdue > 0 {
                s.push_str(&format!(" ({} past the SLA)", self.revocation_overdue));
            }
        }
        s
    }
}

impl Campaign {
    /// Whether the campaign takes no more decisions at `now`: it has a default and its due
    /// day has ended.
    pub fn closed_at(&self, now: Timestamp) -> bool {
        self.default_decision.is_some() && now > self.due_at
    }

    /// The item for a grant.
    pub fn item(&self, grant: &GrantId) -> Option<&Item> {
        self.items.iter().find(|i| &i.grant == grant)
    }

    /// Where `item` stands at `now`, given the grant it is about.
    pub fn item_state(&self, item: &Item, grant: Option<&Grant>, now: Timestamp) -> ItemState {
        let decided = item.decisions.iter().rfind(|d| d.stamp.at <= now);
        let revoked = grant
            .and_then(|g| g.revoked.as_ref())
            .map(|r| r.stamp)
            .filter(|r| r.at <= now);
        // A revocation before any decision (and, with a default, before the due date) leaves
        // nothing to decide.
        let first = item.decisions.first().map(|d| d.stamp.at);
        if let Some(r) = revoked
            && first.is_none_or(|f| r.at < f)
            && (self.default_decision.is_none() || r.at <= self.due_at)
        {
            return ItemState::Withdrawn { revoked: r };
        }
        match (decided, self.default_decision) {
            (Some(d), _) => ItemState::Decided {
                decision: d.decision,
                at: d.stamp.at,
                seq: d.stamp.seq,
                by_default: false,
                new_role: d.new_role.clone(),
            },
            (None, Some(def)) if now > self.due_at => ItemState::Decided {
                decision: def,
                at: self.due_at,
                seq: self.opened.seq,
                by_default: true,
                new_role: None,
            },
            (None, None) if now > self.due_at => ItemState::Overdue,
            (None, _) => ItemState::Pending,
        }
    }

    /// Whether the decision on `item` (as of `now`) has been carried out.
    pub fn execution(
        &self,
        item: &Item,
        grant: Option<&Grant>,
        now: Timestamp,
        c: &Config,
    ) -> Execution {
        let ItemState::Decided { decision, at, .. } = self.item_state(item, grant, now) else {
            return Execution::NotNeeded;
        };
        if decision == ReviewDecision::Keep {
            return Execution::NotNeeded;
        }
        // The SLA runs from the first revoke or change since the last keep: deciding "revoke"
        // again does not move the deadline.
        let since = item
            .decisions
            .iter()
            .filter(|d| d.stamp.at <= now)
            .rev()
            .take_while(|d| d.decision != ReviewDecision::Keep)
            .last()
            .map_or(at, |d| d.stamp.at);
        let due = c.calendar.working_days_due(since, c.sla_working_days);
        match grant
            .and_then(|g| g.revoked.as_ref())
            .filter(|r| r.stamp.at <= now)
        {
            Some(r) => Execution::Done {
                revoked: r.stamp,
                due,
                late: r.stamp.at > due,
            },
            None => Execution::Awaiting { due },
        }
    }

    /// The counts at `now`.
    pub fn progress(&self, s: &State, now: Timestamp, c: &Config) -> Progress {
        let mut p = Progress {
            items: self.items.len(),
            ..Progress::default()
        };
        for item in &self.items {
            let g = s.grant(&item.grant);
            match self.item_state(item, g, now) {
                ItemState::Pending => p.pending += 1,
                ItemState::Overdue => p.overdue += 1,
                ItemState::Withdrawn { .. } => p.withdrawn += 1,
                ItemState::Decided {
                    decision,
                    by_default,
                    ..
                } => {
                    match decision {
                        ReviewDecision::Keep => p.keep += 1,
                        ReviewDecision::Revoke => p.revoke += 1,
                        ReviewDecision::Change => p.change += 1,
                    }
                    if by_default {
                        p.by_default += 1;
                    }
                }
            }
            match self.execution(item, g, now, c) {
                Execution::NotNeeded => {}
                Execution::Awaiting { due } => {
                    p.awaiting_revocation += 1;
                    if now > due {
                        p.revocation_overdue += 1;
                    }
                }
                Execution::Done { .. } => p.carried_out += 1,
            }
        }
        p
    }

    /// The items `reviewer` still has to decide at `now` (none once the campaign is closed).
    pub fn todo<'a>(
        &'a self,
        s: &'a State,
        reviewer: &'a PersonId,
        now: Timestamp,
    ) -> impl Iterator<Item = &'a Item> + 'a {
        self.items.iter().filter(move |i| {
            &i.reviewer == reviewer
                && matches!(
                    self.item_state(i, s.grant(&i.grant), now),
                    ItemState::Pending | ItemState::Overdue
                )
        })
    }

    /// The reviewers, each with how many items they still have to decide at `now`.
    pub fn reviewers(&self, s: &State, now: Timestamp) -> BTreeMap<PersonId, (usize, usize)> {
        let mut out: BTreeMap<PersonId, (usize, usize)> = BTreeMap::new();
        for i in &self.items {
            let e = out.entry(i.reviewer.clone()).or_default();
            e.0 += 1;
            if matches!(
                self.item_state(i, s.grant(&i.grant), now),
                ItemState::Pending | ItemState::Overdue
            ) {
                e.1 += 1;
            }
        }
        out
    }
}

/// An instant's UK date, as campaigns are written.
fn day(t: Timestamp) -> String {
    crate::time::uk_date(t).to_string()
}

impl ItemState {
    /// `keep 2026-11-10 (seq 2051)`, `revoke by default 2026-11-27 (seq 1964)`, `change →
    /// "Read-only" …`, `pending`, `OVERDUE`, `revoked D before a decision`: the one wording of
    /// an item's decision (`igl review show`, the TUI's Reviews screen).
    pub fn text(&self) -> String {
        match self {
            ItemState::Pending => "pending".into(),
            ItemState::Overdue => "OVERDUE".into(),
            ItemState::Withdrawn { revoked } => {
                format!("revoked {} before a decision", day(revoked.at))
            }
            ItemState::Decided {
                decision,
                at,
                seq,
                by_default: true,
                ..
            } => format!("{decision} by default {} (seq {seq})", day(*at)),
            ItemState::Decided {
                decision,
                at,
                seq,
                new_role,
                ..
            } => format!(
                "{decision}{} {} (seq {seq})",
                new_role
                    .as_ref()
                    .map_or(String::new(), |r| format!(" → {r:?}")),
                day(*at)
            ),
        }
    }
}

impl Execution {
    /// `—`, `awaiting (due D)`, `NOT DONE (due D)`, `revoked D (seq N)`, `revoked LATE D (seq
    /// N; due D)`, at `now`: the one wording of whether a decision was carried out.
    pub fn text(&self, now: Timestamp) -> String {
        match *self {
            Execution::NotNeeded => "—".into(),
            Execution::Awaiting { due } if now > due => format!("NOT DONE (due {})", day(due)),
            Execution::Awaiting { due } => format!("awaiting (due {})", day(due)),
            Execution::Done {
                revoked,
                late: false,
                ..
            } => format!("revoked {} (seq {})", day(revoked.at), revoked.seq),
            Execution::Done { revoked, due, .. } => format!(
                "revoked LATE {} (seq {}; due {})",
                day(revoked.at),
                revoked.seq,
                day(due)
            ),
        }
    }
}

impl Campaign {
    /// `system Eclipse, organisation livewell-sw`, or `every grant`.
    pub fn scope_text(&self) -> String {
        let mut s = Vec::new();
        if let Some(x) = &self.system {
            s.push(format!("system {x}"));
        }
        if let Some(x) = &self.organisation {
            s.push(format!("organisation {x}"));
        }
        if let Some(x) = &self.reports_of {
            s.push(format!("reports of {x}"));
        }
        if s.is_empty() {
            s.push("every grant".into());
        }
        s.join(", ")
    }

    /// `due by the end of 2026-11-13, default keep`.
    pub fn due_text(&self) -> String {
        format!(
            "due by the end of {}{}",
            self.due,
            match self.default_decision {
                Some(d) => format!(", default {d}"),
                None => String::new(),
            }
        )
    }

    /// `opened 2026-10-12 10:00 BST (seq 1851), owner P00002; scope: system Eclipse; reviewer:
    /// each grantee's line manager`.
    pub fn opened_text(&self) -> String {
        format!(
            "opened {} (seq {}), owner {}; scope: {}; reviewer: {}",
            crate::time::uk_text(self.opened.at),
            self.opened.seq,
            self.owner,
            self.scope_text(),
            self.reviewer
                .as_ref()
                .map_or("each grantee's line manager".into(), |r| r.to_string())
        )
    }
}

/// Folds a campaign's opening: fixes its items from the grants in force (the state is at the
/// opening instant, as facts fold in `occurred_at` order). Returns a note for a campaign id
/// used twice.
pub(super) fn open(s: &mut State, at: Stamp, e: &ReviewCampaignOpened) -> Option<String> {
    if s.campaigns.contains_key(&e.campaign) {
        return Some(format!(
            "campaign {} was already opened; this opening is ignored",
            e.campaign
        ));
    }
    let c = campaign_of(s, at, e);
    s.campaigns.insert(e.campaign.clone(), c);
    None
}

/// The campaign `e` opens at `at`, over the state `s` describes (which must be the state at
/// `at`): what `igl review open` shows before it writes anything.
pub fn campaign_of(s: &State, at: Stamp, e: &ReviewCampaignOpened) -> Campaign {
    let mut items = Vec::new();
    for g in s.grants.iter().filter(|g| g.active_at(at.at)) {
        let person = s.person(&g.person);
        let org = person.and_then(|p| p.organisation.as_ref());
        let manager = person.and_then(|p| p.line_manager.as_ref());
        if e.system.as_ref().is_some_and(|x| *x != g.system)
            || e.organisation.as_ref().is_some_and(|x| Some(x) != org)
            || e.reports_of.as_ref().is_some_and(|x| Some(x) != manager)
        {
            continue;
        }
        // A line manager who has left or is suspended cannot review: the owner does.
        let in_post = |m: &PersonId| {
            !s.person(m).is_some_and(|p| {
                matches!(
                    p.employment_at(at.at),
                    Employment::Ended { .. } | Employment::Suspended { .. }
                )
            })
        };
        let (reviewer, assigned_as) = match (&e.reviewer, manager) {
            (Some(r), _) if *r != g.person => (r.clone(), "campaign"),
            (None, Some(m)) if *m != g.person && in_post(m) => (m.clone(), "line_manager"),
            _ => (e.owner.clone(), "owner"),
        };
        items.push(Item {
            grant: g.id.clone(),
            person: g.person.clone(),
            system: g.system.clone(),
            role: g.role.clone(),
            granted: g.granted,
            reviewer,
            assigned_as,
            decisions: Vec::new(),
        });
    }
    Campaign {
        id: e.campaign.clone(),
        title: e.title.clone(),
        opened: at,
        system: e.system.clone(),
        organisation: e.organisation.clone(),
        reports_of: e.reports_of.clone(),
        reviewer: e.reviewer.clone(),
        owner: e.owner.clone(),
        due: e.due,
        due_at: day_end(e.due.0),
        default_decision: e.default_decision,
        items,
    }
}

/// Folds a decision: kept on its item if it counts (and then also a review of the grant, for
/// R12), else returned as a note saying why not.
pub(super) fn decide(s: &mut State, at: Stamp, e: &ReviewDecisionRecorded) -> Option<String> {
    let Some(c) = s.campaigns.get_mut(&e.campaign) else {
        return Some(format!(
            "decision on grant {} names campaign {}, which had not been opened",
            e.grant, e.campaign
        ));
    };
    if c.closed_at(at.at) {
        return Some(format!(
            "decision on grant {} came after campaign {} closed at the end of {} (its default \
             decision applied)",
            e.grant, c.id, c.due
        ));
    }
    let Some(item) = c.items.iter_mut().find(|i| i.grant == e.grant) else {
        return Some(format!(
            "grant {} is not an item of campaign {}; the decision does not count",
            e.grant, e.campaign
        ));
    };
    if item.person != e.person {
        return Some(format!(
            "decision on grant {} names {}, but the grant is {}'s; it does not count",
            e.grant, e.person, item.person
        ));
    }
    if e.reviewer == item.person {
        return Some(format!(
            "{} decided their own grant {} in campaign {}: nobody reviews their own access; it \
             does not count",
            e.reviewer, e.grant, e.campaign
        ));
    }
    if item.reviewer != e.reviewer {
        return Some(format!(
            "{} decided grant {} in campaign {}, whose reviewer is {}; it does not count",
            e.reviewer, e.grant, e.campaign, item.reviewer
        ));
    }
    item.decisions.push(Decision {
        stamp: at,
        decision: e.decision,
        new_role: e.new_role.clone(),
        justification: e.justification.value().map(str::to_string),
    });
    if let Some(g) = s.grant_by_id_mut(&e.grant) {
        g.reviews.push(Review {
            stamp: at,
            reviewer: e.reviewer.clone(),
            still_needed: e.decision == ReviewDecision::Keep,
            campaign: Some(e.campaign.clone()),
        });
    }
    None
}
