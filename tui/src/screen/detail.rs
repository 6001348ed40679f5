//! The entry detail, opened over the timeline (`Enter`): the open entry, its scrolling and
//! drawing, and the bounded search for the latest checkpoint its inclusion proof is checked
//! against. Moving to the previous or next entry is the timeline's (it owns the view).

use std::time::Instant;

use igl_schema::PublicKey;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ctx::{Ctx, Viewport};
use crate::detail::{CheckpointState, Detail, FoundCheckpoint};
use crate::keymap::Action;

/// Entries the checkpoint search looks back at per tick.
const CHECKPOINT_BATCH: u64 = 2048;

/// The detail's scrolling part (below its title and rule).
pub fn body_area(body: Rect) -> Rect {
    Rect {
        y: body.y + 2.min(body.height),
        height: body.height.saturating_sub(2),
        ..body
    }
}

/// The open entry, if any, and the latest checkpoint.
pub struct DetailPane {
    pub entry: Option<Detail>,
    pub checkpoint: CheckpointState,
}

impl Default for DetailPane {
    fn default() -> Self {
        DetailPane {
            entry: None,
            checkpoint: CheckpointState::Unknown,
        }
    }
}

impl DetailPane {
    /// The open entry's seq.
    pub fn seq(&self) -> Option<u64> {
        self.entry.as_ref().map(|d| d.seq)
    }

    pub fn is_open(&self) -> bool {
        self.entry.is_some()
    }

    pub fn close(&mut self) {
        self.entry = None;
    }

    /// Whether the checkpoint search is under way.
    pub fn busy(&self) -> bool {
        matches!(self.checkpoint, CheckpointState::Searching { .. })
    }

    /// Reads entry `seq` and opens it, starting the checkpoint search the first time.
    pub fn open(&mut self, ctx: &mut Ctx, seq: u64) {
        if matches!(self.checkpoint, CheckpointState::Unknown) {
            // Look for the latest checkpoint now that an entry's proof is wanted.
            let count = ctx.source.entry_count();
            self.checkpoint = CheckpointState::Searching {
                next: count.checked_sub(1),
                checked: 0,
            };
        }
        let source = &*ctx.source;
        let authors = &mut ctx.authors;
        let mut lookup = |pk: &PublicKey| authors.get(source, pk);
        self.entry = Some(Detail::load(source, &mut lookup, &self.checkpoint, seq));
    }

    /// `Esc` closes the detail; the rest scroll it.
    pub fn handle(&mut self, vp: &Viewport, action: Action) {
        let max = vp.detail_lines.saturating_sub(vp.detail_height);
        let page = vp.detail_height.max(1);
        if action == Action::Back {
            return self.close();
        }
        let Some(d) = &mut self.entry else { return };
        d.scroll = match action {
            Action::Down => d.scroll.saturating_add(1),
            Action::Up => d.scroll.saturating_sub(1),
            Action::Top => 0,
            Action::Bottom => max,
            Action::PageDown => d.scroll.saturating_add(page),
            Action::PageUp => d.scroll.saturating_sub(page),
            _ => d.scroll,
        }
        .min(max);
    }

    /// Advances the checkpoint search by a bounded step, and the open entry's proof with it.
    pub fn checkpoint_step(&mut self, ctx: &mut Ctx, deadline: Instant) {
        let CheckpointState::Searching {
            mut next,
            mut checked,
        } = self.checkpoint
        else {
            return;
        };
        let mut found = None;
        for _ in 0..CHECKPOINT_BATCH {
            let Some(seq) = next else { break };
            match ctx.source.recorded_checkpoint(seq) {
                Ok(Some(cp)) => {
                    found = Some(Ok((seq, cp)));
                    break;
                }
                Ok(None) => {
                    next = seq.checked_sub(1);
                    checked += 1;
                }
                Err(e) => {
                    found = Some(Err(e.to_string()));
                    break;
                }
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        self.checkpoint = match found {
            Some(Ok((seq, cp))) => {
                let source = &*ctx.source;
                let authors = &mut ctx.authors;
                let mut lookup = |pk: &PublicKey| authors.get(source, pk);
                let f = FoundCheckpoint::new(source, &mut lookup, seq, cp);
                CheckpointState::Found(Box::new(f))
            }
            Some(Err(e)) => CheckpointState::Error(e),
            None if next.is_none() => CheckpointState::None,
            None => CheckpointState::Searching { next, checked },
        };
        if let Some(d) = &mut self.entry {
            d.refresh_proof(&*ctx.source, &self.checkpoint);
        }
    }

    /// Sizes the scrolling part for the next frame of `body`.
    pub fn prepare(&mut self, ctx: &mut Ctx, body: Rect) {
        let Some(d) = &mut self.entry else { return };
        let body = body_area(body);
        ctx.vp.detail_height = body.height;
        ctx.vp.detail_lines = d.lines(&ctx.theme, body.width).len() as u16;
        let max = ctx.vp.detail_lines.saturating_sub(ctx.vp.detail_height);
        d.scroll = d.scroll.min(max);
    }

    /// The status line's position: which lines show, when not all fit.
    pub fn position(&self, vp: &Viewport) -> Option<String> {
        let total = vp.detail_lines;
        let h = vp.detail_height;
        if total > h {
            let d = self.entry.as_ref().map_or(0, |d| d.scroll);
            Some(format!("lines {}-{} of {total}", d + 1, (d + h).min(total)))
        } else {
            None
        }
    }

    /// Draws the open entry in `body`; `prev` and `next` are its neighbours in the timeline.
    pub fn draw(&self, f: &mut Frame, body: Rect, ctx: &Ctx, prev: Option<u64>, next: Option<u64>) {
        let Some(d) = &self.entry else { return };
        let t = ctx.theme;
        let title = Line::from(vec![
            Span::styled(format!(" seq {}", d.seq), t.title()),
            Span::raw("  "),
            Span::styled(d.type_name().to_string(), t.title()),
        ]);
        let [title_area, rule_area, _] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(body);
        f.render_widget(Paragraph::new(title), title_area);
        let nav = format!(
            "{}  {} ",
            prev.map_or("  (first)".into(), |s| format!("◀ h {s}")),
            next.map_or("(last)  ".into(), |s| format!("{s} l ▶"))
        );
        f.render_widget(
            Paragraph::new(Line::styled(nav, t.dim())).alignment(Alignment::Right),
            title_area,
        );
        f.render_widget(
            Paragraph::new(Line::styled("─".repeat(rule_area.width as usize), t.dim())),
            rule_area,
        );
        let inner = body_area(body);
        let lines = d.lines(&t, inner.width);
        f.render_widget(Paragraph::new(lines).scroll((d.scroll, 0)), inner);
    }
}
