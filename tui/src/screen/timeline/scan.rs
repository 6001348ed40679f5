//! The timeline's background work, advanced by bounded steps on each tick: the filter scan (or
//! the read of the entries the indexes selected) and `/` search.

use std::time::Instant;

use igl_ledger::StoredEntry;

use super::TimelineScreen;
use crate::ctx::{Ctx, Level};
use crate::text::thousands;
use crate::timeline::{View, haystack};

/// Entries a filter scan reads per tick.
const FILTER_BATCH: usize = 4096;
/// Entries a search looks at per tick.
const SEARCH_BATCH: usize = 2048;
/// Entries a search looks at before it stops and asks (press `n` to go on).
pub const SEARCH_CAP: u64 = 200_000;

/// A running search: `next` is the next position to look at (`None`: past the start).
#[derive(Clone, Debug)]
pub struct SearchJob {
    pub forward: bool,
    pub next: Option<u64>,
    pub checked: u64,
}

impl TimelineScreen {
    pub(super) fn start_search(&mut self, ctx: &mut Ctx, forward: bool) {
        if self.query.is_none() {
            return ctx.say(Level::Info, "no search yet: press / to search".into());
        }
        let cur = self.cursor;
        let next = if forward {
            cur.checked_add(1)
        } else {
            cur.checked_sub(1)
        };
        self.search = Some(SearchJob {
            forward,
            next,
            checked: 0,
        });
    }

    /// `n` / `N`: on from where a capped search stopped, or a new search from the selection.
    pub(super) fn search_again(&mut self, ctx: &mut Ctx, forward: bool) {
        match self.resume.take() {
            Some((f, next)) if f == forward => {
                self.search = Some(SearchJob {
                    forward,
                    next,
                    checked: 0,
                })
            }
            _ => self.start_search(ctx, forward),
        }
    }

    /// Advances the search by a bounded step.
    pub(super) fn search_step(&mut self, ctx: &mut Ctx, deadline: Instant) {
        let Some(mut job) = self.search.take() else {
            return;
        };
        let query = self.query.clone().unwrap_or_default().to_lowercase();
        let mut budget = SEARCH_BATCH;
        let found = loop {
            if budget == 0 || Instant::now() >= deadline {
                break None;
            }
            let Some(pos) = job.next else {
                break Some(Err(()));
            };
            if pos >= self.view.len() {
                if self.view.complete() {
                    break Some(Err(()));
                }
                // The filter scan has not got this far: wait for it.
                break None;
            }
            // Every entry, forward: one batched scan instead of point reads.
            let batch: Vec<StoredEntry> = if job.forward && matches!(self.view, View::All { .. }) {
                let n = budget.min((SEARCH_CAP - job.checked).max(1) as usize);
                match ctx.source.scan(pos, n) {
                    Ok(b) => b,
                    Err(e) => {
                        ctx.say(Level::Bad, format!("✘ search stopped: {e}"));
                        return;
                    }
                }
            } else {
                let seq = self.view.seq_at(pos).expect("pos < len");
                match ctx.source.entry(seq) {
                    Ok(Some(e)) => vec![e],
                    Ok(None) => Vec::new(),
                    Err(e) => {
                        ctx.say(Level::Bad, format!("✘ search stopped at seq {seq}: {e}"));
                        return;
                    }
                }
            };
            let n = batch.len().max(1) as u64;
            let every = matches!(self.view, View::All { .. });
            let mut hit = None;
            for e in &batch {
                let author = ctx.author(&e.entry.event.body.author);
                if haystack(e, author.as_ref()).contains(&query) {
                    // In the unfiltered view the position is the seq.
                    hit = Some(if every { e.entry.seq } else { pos });
                    break;
                }
            }
            if let Some(p) = hit {
                break Some(Ok(p));
            }
            budget = budget.saturating_sub(n as usize);
            job.checked += n;
            job.next = if job.forward {
                pos.checked_add(n)
            } else {
                pos.checked_sub(1)
            };
            if job.checked >= SEARCH_CAP {
                let at = job.next.and_then(|p| self.view.seq_at(p));
                self.resume = Some((job.forward, job.next));
                let q = self.query.clone().unwrap_or_default();
                ctx.say(
                    Level::Warn,
                    format!(
                        "⚠ no match for {q:?} in {} entries{}; press {} to search on",
                        thousands(SEARCH_CAP),
                        at.map(|s| format!(" (stopped at seq {s})"))
                            .unwrap_or_default(),
                        if job.forward { "n" } else { "N" }
                    ),
                );
                return;
            }
        };
        match found {
            None => self.search = Some(job),
            Some(Ok(pos)) => {
                self.jump_to(ctx, pos);
                let seq = self.cursor_seq().unwrap_or(pos);
                if self.detail.is_open() {
                    self.detail.open(ctx, seq);
                }
                let q = self.query.clone().unwrap_or_default();
                ctx.say(Level::Ok, format!("match for {q:?} at seq {seq}"));
            }
            Some(Err(())) => {
                let q = self.query.clone().unwrap_or_default();
                let seq = self.cursor_seq().unwrap_or(0);
                ctx.say(
                    Level::Warn,
                    format!(
                        "⚠ no match for {q:?} {} seq {seq}",
                        if job.forward { "after" } else { "before" }
                    ),
                );
            }
        }
    }

    /// Advances the filter by a bounded step: scans on, or reads on through the entries the
    /// indexes selected.
    pub(super) fn filter_step(&mut self, ctx: &mut Ctx) {
        let View::Filtered {
            next,
            count,
            within,
            ..
        } = &self.view
        else {
            return;
        };
        if next >= count {
            return;
        }
        let from = *next;
        let count = *count;
        // The entries to judge, and how far that takes the filter.
        let read = match within {
            // Only the entries the indexes selected, from where the last step stopped.
            Some(seqs) => {
                let start = seqs.partition_point(|s| *s < from);
                let end = (start + FILTER_BATCH).min(seqs.len());
                let reached = if end == seqs.len() {
                    count
                } else {
                    seqs[end - 1] + 1
                };
                seqs[start..end]
                    .iter()
                    .filter_map(|s| ctx.source.entry(*s).transpose())
                    .collect::<igl_ledger::Result<Vec<StoredEntry>>>()
                    .map(|b| (b, reached))
            }
            None => ctx.source.scan(from, FILTER_BATCH).map(|b| {
                let reached = b.last().map_or(count, |e| e.entry.seq + 1);
                (b, reached)
            }),
        };
        let (batch, reached) = match read {
            Ok(r) => r,
            Err(e) => {
                // Stop here; what was found so far stays listed.
                if let View::Filtered { next, .. } = &mut self.view {
                    *next = count;
                }
                return ctx.say(
                    Level::Bad,
                    format!("✘ filter stopped after seq {from}: {e}"),
                );
            }
        };
        let View::Filtered { matches, next, .. } = &mut self.view else {
            return;
        };
        for e in &batch {
            let author = ctx.author(&e.entry.event.body.author);
            if self.filter.matches(e, author.as_ref()) {
                matches.push(e.entry.seq);
            }
        }
        *next = reached;
        if *next >= count && matches.is_empty() {
            let d = self.filter.describe();
            ctx.say(Level::Warn, format!("⚠ no entry matches {d}"));
        }
    }
}
