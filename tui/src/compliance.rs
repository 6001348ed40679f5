//! The compliance screen's model: the audit (rules R1–R18 as of an instant) run on a worker
//! thread with its own read-only handle, the per-rule counts, and the selection.
//!
//! Nothing here draws; [`crate::screen::compliance`] does, and handles the keys. The audit is
//! the same library call `igl audit` makes (`compliance::load` then `compliance::audit` with the
//! default configuration), so the screen and the command always agree.

use igl_ledger::compliance::profile::{Counts, counts_by_rule};
use igl_ledger::compliance::{Finding, RULES, Rule, Status};
use igl_schema::Timestamp;

use crate::source::AuditJob;
use crate::worker::Job;

/// Where the audit stands (it starts when the screen is first shown).
pub type AuditState = Job<Vec<Finding>>;

/// Which list has the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Rules,
    Findings,
}

/// The compliance screen's state.
pub struct Compliance {
    /// The instant the audit is as of.
    pub as_of: Timestamp,
    pub state: AuditState,
    /// Show only findings still open at the instant.
    pub open_only: bool,
    pub focus: Pane,
    /// Index into [`RULES`].
    pub rule_sel: usize,
    /// Index into the selected rule's (shown) findings.
    pub finding_sel: usize,
    /// The first visible finding.
    pub finding_offset: usize,
}

impl Compliance {
    pub fn new(as_of: Timestamp) -> Compliance {
        Compliance {
            as_of,
            state: AuditState::Idle,
            open_only: false,
            focus: Pane::Rules,
            rule_sel: 0,
            finding_sel: 0,
            finding_offset: 0,
        }
    }

    /// Starts `job` on a worker thread (replacing any result).
    pub fn start(&mut self, job: AuditJob) {
        self.state = Job::start("audit", job);
        self.finding_sel = 0;
        self.finding_offset = 0;
    }

    /// Takes the worker's result. Returns whether the audit finished just now.
    pub fn poll(&mut self) -> bool {
        self.state.poll()
    }

    pub fn running(&self) -> bool {
        self.state.running()
    }

    /// Every finding, when the audit is done and succeeded.
    pub fn findings(&self) -> Option<&[Finding]> {
        self.state.value().map(Vec::as_slice)
    }

    fn shown(&self, f: &Finding) -> bool {
        !self.open_only || f.status == Status::Open
    }

    /// Per-rule counts of the shown findings, in rule order.
    pub fn counts(&self) -> Vec<(&'static Rule, Counts)> {
        counts_by_rule(
            self.findings()
                .unwrap_or(&[])
                .iter()
                .filter(|f| self.shown(f)),
        )
    }

    /// The selected rule.
    pub fn rule(&self) -> &'static Rule {
        &RULES[self.rule_sel.min(RULES.len() - 1)]
    }

    /// The selected rule's shown findings.
    pub fn rule_findings(&self) -> Vec<&Finding> {
        let id = self.rule().id;
        self.findings()
            .unwrap_or(&[])
            .iter()
            .filter(|f| f.rule == id && self.shown(f))
            .collect()
    }

    /// The selected finding, when the findings pane has the selection.
    pub fn finding(&self) -> Option<&Finding> {
        if self.focus != Pane::Findings {
            return None;
        }
        self.rule_findings().get(self.finding_sel).copied()
    }

    /// Moves the selection in the focused pane by `delta` rows (clamped).
    pub fn step(&mut self, delta: i64) {
        match self.focus {
            Pane::Rules => {
                let last = RULES.len() as i64 - 1;
                self.rule_sel = (self.rule_sel as i64 + delta).clamp(0, last) as usize;
                self.finding_sel = 0;
                self.finding_offset = 0;
            }
            Pane::Findings => {
                let last = self.rule_findings().len() as i64 - 1;
                self.finding_sel = (self.finding_sel as i64 + delta).clamp(0, last.max(0)) as usize;
            }
        }
    }

    /// Keeps the selected finding inside a window of `height` rows.
    pub fn scroll_findings(&mut self, height: usize) {
        let h = height.max(1);
        if self.finding_sel < self.finding_offset {
            self.finding_offset = self.finding_sel;
        } else if self.finding_sel >= self.finding_offset + h {
            self.finding_offset = self.finding_sel + 1 - h;
        }
    }

    /// Totals over every rule: (open, resolved, occurred).
    pub fn totals(&self) -> (usize, usize, usize) {
        self.counts().iter().fold((0, 0, 0), |(o, r, c), (_, x)| {
            (o + x.open, r + x.resolved, c + x.occurred)
        })
    }
}

/// Parses an as-of instant as typed: `YYYY-MM-DD` (the end of that day in the UK) or RFC 3339.
pub fn parse_as_of(s: &str) -> Result<Timestamp, String> {
    igl_ledger::time::parse_instant(s)
}

/// `t` moved by `days` UK calendar days (negative: back), as the `[`/`]` keys move the as-of
/// instant.
pub fn shift_days(t: Timestamp, days: i64) -> Timestamp {
    igl_ledger::time::shift_days(t, days)
}
