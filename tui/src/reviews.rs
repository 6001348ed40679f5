//! The Reviews screen's model: the access-review campaigns as of the TUI's as-of instant (the
//! one the Compliance screen audits at), read on a worker thread with its own read-only handle.
//!
//! Nothing about a campaign is worked out here: the state is the one `igl review` reads
//! (`compliance::scope::campaigns_state`), and every item's decision, whether it was carried
//! out and every campaign's progress come from the library's campaign model
//! (`Campaign::item_state`, `Campaign::execution`, `Campaign::progress`) with the default
//! configuration, as the Compliance screen's audit uses. The words are `igl review show`'s.
//!
//! With no campaign open the screen lists the campaigns; Enter on one lists its items; Enter on
//! an item opens its entries in the timeline (the decision's, or the grant's). Nothing here
//! draws; [`crate::screen::reviews`] does.

use igl_ledger::compliance::Config;
use igl_ledger::compliance::campaign::{Campaign, Execution, Item, ItemState, Progress};
use igl_ledger::compliance::state::{Grant, State};
use igl_schema::{CampaignId, PersonId, Timestamp};

use crate::source::CampaignsJob;
use crate::worker::Job;

/// Where reading the campaigns stands (it starts when the screen is first shown).
pub type LoadState = Job<Box<State>>;

/// A campaign's line in the list: the campaign and its progress at the instant.
pub struct CampaignRow<'a> {
    pub campaign: &'a Campaign,
    pub progress: Progress,
}

impl CampaignRow<'_> {
    /// Whether an item is overdue or a revocation a decision calls for is past its SLA (what
    /// makes `igl review list` exit 1).
    pub fn late(&self) -> bool {
        self.progress.late()
    }
}

/// An item's line: where it stands at the instant.
pub struct ItemRow<'a> {
    pub item: &'a Item,
    /// The grant the item is about (absent only from a damaged state).
    pub grant: Option<&'a Grant>,
    pub state: ItemState,
    pub execution: Execution,
}

impl ItemRow<'_> {
    /// The decision column: [`ItemState::text`].
    pub fn decision_text(&self) -> String {
        self.state.text()
    }

    /// The carried-out column: [`Execution::text`].
    pub fn carried_out_text(&self, now: Timestamp) -> String {
        self.execution.text(now)
    }

    /// The justification of the decision that counts (none for a default, or once erased).
    pub fn justification(&self) -> Option<&str> {
        let ItemState::Decided {
            seq,
            by_default: false,
            ..
        } = &self.state
        else {
            return None;
        };
        self.item
            .decisions
            .iter()
            .find(|d| d.stamp.seq == *seq)
            .and_then(|d| d.justification.as_deref())
    }

    /// The entry Enter opens: the decision's (the campaign's opening for a default), else the
    /// grant's.
    pub fn entry(&self) -> u64 {
        match &self.state {
            ItemState::Decided { seq, .. } => *seq,
            _ => self.item.granted.seq,
        }
    }

    /// The entries behind the item, shown together in the timeline: the grant, every decision
    /// that counts (and the opening, for a default) and the revocation.
    pub fn entries(&self) -> Vec<u64> {
        let mut seqs = vec![self.item.granted.seq, self.entry()];
        seqs.extend(self.item.decisions.iter().map(|d| d.stamp.seq));
        if let Some(r) = self.grant.and_then(|g| g.revoked.as_ref()) {
            seqs.push(r.stamp.seq);
        }
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }
}

/// The Reviews screen's state.
pub struct Reviews {
    /// The instant the campaigns are read as of (kept equal to the Compliance screen's).
    pub as_of: Timestamp,
    pub state: LoadState,
    /// The selected campaign in the list.
    pub campaign_sel: usize,
    /// The campaign whose items are shown, if one is open.
    pub open: Option<CampaignId>,
    /// The selected item of the open campaign.
    pub item_sel: usize,
    /// The first visible item.
    pub item_offset: usize,
    /// The SLA and calendar for carrying decisions out: the default, as the audit uses.
    pub config: Config,
}

impl Reviews {
    pub fn new(as_of: Timestamp) -> Reviews {
        Reviews {
            as_of,
            state: LoadState::Idle,
            campaign_sel: 0,
            open: None,
            item_sel: 0,
            item_offset: 0,
            config: Config::default(),
        }
    }

    /// Starts `job` on a worker thread (replacing any result; the open campaign stays open if
    /// it is still there when the result comes).
    pub fn start(&mut self, job: CampaignsJob) {
        self.state = Job::start("campaigns", move || job().map(Box::new));
    }

    /// Takes the worker's result. Returns whether the campaigns were read just now.
    pub fn poll(&mut self) -> bool {
        if !self.state.poll() {
            return false;
        }
        // The same campaign and selection where they still exist.
        if self
            .open
            .as_ref()
            .is_some_and(|id| self.data().is_none_or(|s| !s.campaigns.contains_key(id)))
        {
            self.close();
        }
        self.step(0);
        true
    }

    pub fn running(&self) -> bool {
        self.state.running()
    }

    /// The state read, when reading is done and succeeded.
    pub fn data(&self) -> Option<&State> {
        self.state.value().map(Box::as_ref)
    }

    /// Every campaign opened by the instant, by id (as `igl review list`), with its progress.
    pub fn campaigns(&self) -> Vec<CampaignRow<'_>> {
        let Some(s) = self.data() else {
            return Vec::new();
        };
        s.campaigns
            .values()
            .map(|c| CampaignRow {
                campaign: c,
                progress: c.progress(s, self.as_of, &self.config),
            })
            .collect()
    }

    /// The campaign selected in the list.
    pub fn selected_campaign(&self) -> Option<&Campaign> {
        self.data()?.campaigns.values().nth(self.campaign_sel)
    }

    /// The open campaign.
    pub fn campaign(&self) -> Option<&Campaign> {
        self.data()?.campaigns.get(self.open.as_ref()?)
    }

    /// The open campaign's progress.
    pub fn progress(&self) -> Option<Progress> {
        let s = self.data()?;
        Some(self.campaign()?.progress(s, self.as_of, &self.config))
    }

    /// The open campaign's items, in the campaign's order (as `igl review show`).
    pub fn items(&self) -> Vec<ItemRow<'_>> {
        let (Some(s), Some(c)) = (self.data(), self.campaign()) else {
            return Vec::new();
        };
        c.items
            .iter()
            .map(|i| {
                let g = s.grant(&i.grant);
                ItemRow {
                    item: i,
                    grant: g,
                    state: c.item_state(i, g, self.as_of),
                    execution: c.execution(i, g, self.as_of, &self.config),
                }
            })
            .collect()
    }

    /// The selected item of the open campaign.
    pub fn item(&self) -> Option<ItemRow<'_>> {
        self.items().into_iter().nth(self.item_sel)
    }

    /// The open campaign's reviewers with how many items each has and has left to decide.
    pub fn reviewers(&self, c: &Campaign) -> Vec<(PersonId, usize, usize)> {
        let Some(s) = self.data() else {
            return Vec::new();
        };
        c.reviewers(s, self.as_of)
            .into_iter()
            .map(|(p, (n, left))| (p, n, left))
            .collect()
    }

    /// Items overdue and revocations past their SLA, over every campaign (the tab's count).
    pub fn late_count(&self) -> usize {
        self.campaigns()
            .iter()
            .map(|r| r.progress.overdue + r.progress.revocation_overdue)
            .sum()
    }

    /// Opens the selected campaign's items. Returns its id.
    pub fn open_selected(&mut self) -> Option<CampaignId> {
        let id = self.selected_campaign()?.id.clone();
        self.open = Some(id.clone());
        self.item_sel = 0;
        self.item_offset = 0;
        Some(id)
    }

    /// Back to the list of campaigns.
    pub fn close(&mut self) {
        self.open = None;
        self.item_sel = 0;
        self.item_offset = 0;
    }

    /// Moves the selection in the shown list by `delta` rows (clamped).
    pub fn step(&mut self, delta: i64) {
        if self.open.is_some() {
            let last = self.campaign().map_or(0, |c| c.items.len()) as i64 - 1;
            self.item_sel = (self.item_sel as i64 + delta).clamp(0, last.max(0)) as usize;
        } else {
            let last = self.data().map_or(0, |s| s.campaigns.len()) as i64 - 1;
            self.campaign_sel = (self.campaign_sel as i64 + delta).clamp(0, last.max(0)) as usize;
        }
    }

    /// Keeps the selected item inside a window of `height` rows.
    pub fn scroll_items(&mut self, height: usize) {
        let h = height.max(1);
        if self.item_sel < self.item_offset {
            self.item_offset = self.item_sel;
        } else if self.item_sel >= self.item_offset + h {
            self.item_offset = self.item_sel + 1 - h;
        }
    }
}
