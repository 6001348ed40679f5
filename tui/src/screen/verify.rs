//! The Verify screen: `Ledger::verify` on a worker thread (`v` from anywhere), its progress,
//! and `Enter` on a failure shows the entry it failed at in the timeline.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{LineGauge, Paragraph};

use super::Component;
use crate::ctx::{Cmd, Ctx};
use crate::keymap::{Action, Context};
use crate::text::wrap;
use crate::verify::VerifyState;

impl VerifyState {
    /// Starts verifying the whole ledger, unless it is under way.
    pub fn start_on(&mut self, ctx: &Ctx) {
        if !self.running() {
            *self = VerifyState::start(ctx.source.verify_job(), ctx.source.entry_count());
        }
    }

    /// Takes the worker's messages; returns the seq verification failed at when it just
    /// finished with a failure.
    pub fn tick(&mut self) -> Option<u64> {
        if self.poll() {
            self.failure().map(|(seq, _)| seq)
        } else {
            None
        }
    }
}

impl Component for VerifyState {
    fn context(&self) -> Context {
        Context::Verify
    }

    fn handle(&mut self, _ctx: &mut Ctx, action: Action) -> Cmd {
        match action {
            Action::Open => match (&*self, self.failure()) {
                (VerifyState::Idle, _) => Cmd::StartVerify,
                (_, Some((seq, m))) => Cmd::JumpToFailure {
                    seq,
                    message: format!("✘ seq {seq}: {m}"),
                },
                _ => Cmd::None,
            },
            Action::Back => Cmd::Back,
            _ => Cmd::None,
        }
    }

    fn prepare(&mut self, _ctx: &mut Ctx, _body: Rect, _shown: bool) {}

    fn draw(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let mut head = vec![Line::styled(
            " Verify the whole ledger".to_string(),
            t.title(),
        )];
        let intro = "Replays every entry through the chain rules, as `igl verify` does: links, hashes, signatures, seals, personal-data commitments and the Merkle tree. It runs on a worker thread with its own read-only handle.";
        for l in wrap(intro, body.width.saturating_sub(2) as usize) {
            head.push(Line::styled(format!(" {l}"), t.dim()));
        }
        let hh = head.len() as u16;
        let [head_area, _, gauge_area, _, rest] = Layout::vertical([
            Constraint::Length(hh),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(body);
        f.render_widget(Paragraph::new(head), head_area);
        let gauge_area = Rect {
            x: gauge_area.x + 1,
            width: gauge_area.width.saturating_sub(2),
            ..gauge_area
        };
        f.render_widget(
            LineGauge::default()
                .ratio(self.ratio())
                .label(self.gauge_label(ctx.source.entry_count()))
                .filled_symbol("█")
                .unfilled_symbol("░")
                .filled_style(t.gauge())
                .unfilled_style(t.dim()),
            gauge_area,
        );
        let rest = Rect {
            x: rest.x + 1,
            width: rest.width.saturating_sub(2),
            ..rest
        };
        let lines = self.lines(&t, rest.width, Instant::now());
        f.render_widget(Paragraph::new(lines), rest);
    }

    fn tab(&self) -> String {
        match self.badge() {
            Some(b) => format!("Verify {b}"),
            None => "Verify".to_string(),
        }
    }
}
