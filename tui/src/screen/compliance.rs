//! The Compliance screen: the audit's per-rule counts, a rule's findings, and a finding's
//! evidence shown in the timeline (`Enter`); `a`, `[` and `]` move the as-of instant it shares
//! with the Reviews screen.

use igl_ledger::compliance::{Finding, Status};
use igl_schema::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TRow, TableState};

use super::{Component, list_step};
use crate::compliance::{AuditState, Compliance, Pane, shift_days};
use crate::ctx::{Cmd, Ctx, Level};
use crate::keymap::{Action, Context};
use crate::overlay::PromptKind;
use crate::text::{duration, fit, time, wrap};
use crate::theme::Theme;
use crate::widgets::{table, window};

fn status_style(t: &Theme, s: Status) -> Style {
    match s {
        Status::Open | Status::Occurred => t.bad(),
        Status::Resolved => t.warn(),
    }
}

/// A finding's subject, with its dates: `grant G-0042 (P00123, Eclipse)`.
fn finding_cells<'a>(f: &Finding, t: &Theme) -> Vec<Cell<'a>> {
    let overdue = f.overdue_text().unwrap_or_default();
    vec![
        Cell::from(Span::styled(
            format!("{} {}", f.status.symbol(), f.status.as_str()),
            status_style(t, f.status),
        )),
        Cell::from(time(&f.since, false)),
        Cell::from(overdue),
        Cell::from(f.subject.to_string()),
    ]
}

impl Compliance {
    /// Moves the as-of instant to `t`; the audit runs again as of `t` if it has run or is
    /// `shown`.
    pub fn set_as_of(&mut self, ctx: &Ctx, t: Timestamp, shown: bool) {
        self.as_of = t;
        if shown || !self.state.idle() {
            self.start(ctx.source.audit_job(t));
        }
    }

    /// Takes the audit's result when it is done (saying so if it failed).
    pub fn tick(&mut self, ctx: &mut Ctx) {
        if self.poll()
            && let Some(e) = self.state.error()
        {
            let m = format!("✘ the audit failed: {e}");
            ctx.say(Level::Bad, m);
        }
    }

    fn draw_compliance(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let c = self;
        let as_of = format!("as of {} UTC", time(&c.as_of, false));
        let head: Line = match &c.state {
            AuditState::Idle => Line::styled(format!(" Compliance {as_of}"), t.title()),
            AuditState::Running { started, .. } => Line::from(vec![
                Span::styled(format!(" Compliance {as_of}"), t.title()),
                Span::styled(
                    format!(
                        "  auditing… {} (the rules replay the whole log on a worker thread)",
                        duration(started.elapsed())
                    ),
                    t.dim(),
                ),
            ]),
            AuditState::Done { result: Err(e), .. } => Line::from(vec![
                Span::styled(format!(" Compliance {as_of}"), t.title()),
                Span::styled(format!("  ✘ the audit failed: {e}"), t.bad()),
            ]),
            AuditState::Done {
                result: Ok(_),
                elapsed,
            } => {
                let mut spans = vec![Span::styled(format!(" Compliance {as_of}"), t.title())];
                spans.push(Span::styled(
                    format!(
                        "  {} · audited in {}",
                        if c.open_only {
                            "open findings only"
                        } else {
                            "every finding"
                        },
                        duration(*elapsed)
                    ),
                    t.dim(),
                ));
                Line::from(spans)
            }
        };
        let [head_area, gap, _, main] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(body);
        f.render_widget(Paragraph::new(head), head_area);
        if c.findings().is_some() {
            let (open, late, occurred) = c.totals();
            let line = if open + late + occurred == 0 {
                Line::styled(" ✔ no findings".to_string(), t.ok())
            } else {
                Line::from(vec![
                    Span::styled(format!(" ✘ {open} open"), t.bad()),
                    Span::raw(" · "),
                    Span::styled(format!("⚠ {late} put right late"), t.warn()),
                    Span::raw(" · "),
                    Span::styled(format!("✘ {occurred} occurred"), t.bad()),
                ])
            };
            f.render_widget(Paragraph::new(line), gap);
        }
        if c.findings().is_none() {
            let msg = match &c.state {
                AuditState::Running { .. } => "The audit is running; the keys still work.",
                AuditState::Done { .. } => {
                    "Press R to run the audit again, or a for another instant."
                }
                AuditState::Idle => "",
            };
            f.render_widget(
                Paragraph::new(Line::styled(format!(" {msg}"), t.dim())),
                main,
            );
            return;
        }
        match c.focus {
            Pane::Rules => self.draw_rules(f, main, ctx),
            Pane::Findings => self.draw_findings(f, main, ctx),
        }
    }

    fn draw_rules(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let c = self;
        let counts = c.counts();
        let rows: Vec<TRow> = counts
            .iter()
            .map(|(rule, r)| {
                let (sym, style) = if r.open + r.occurred > 0 {
                    ("✘", t.bad())
                } else if r.resolved > 0 {
                    ("⚠", t.warn())
                } else {
                    ("✔", t.ok())
                };
                let n = |v: usize| {
                    Cell::from(
                        Line::from(if v == 0 {
                            "·".to_string()
                        } else {
                            v.to_string()
                        })
                        .alignment(Alignment::Right),
                    )
                };
                TRow::new([
                    Cell::from(Span::styled(format!("{sym} {}", rule.id), style)),
                    n(r.open),
                    n(r.resolved),
                    n(r.occurred),
                    Cell::from(rule.title),
                ])
            })
            .collect();
        let widths = vec![
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Length(4),
            Constraint::Length(4),
            Constraint::Fill(1),
        ];
        let header = TRow::new([
            Cell::from("rule"),
            Cell::from(Line::from("open").alignment(Alignment::Right)),
            Cell::from(Line::from("late").alignment(Alignment::Right)),
            Cell::from(Line::from("occ.").alignment(Alignment::Right)),
            Cell::from("what it finds"),
        ]);
        let n = rows.len() as u16 + 1;
        let [list, rest] =
            Layout::vertical([Constraint::Length(n), Constraint::Fill(1)]).areas(area);
        let mut state = TableState::default().with_selected(Some(c.rule_sel));
        f.render_stateful_widget(table(rows, widths, header, &t), list, &mut state);
        // The selected rule's policy source, as much as fits.
        let w = rest.width.saturating_sub(2) as usize;
        let mut lines = vec![Line::default()];
        for l in wrap(c.rule().source, w) {
            lines.push(Line::styled(format!(" {l}"), t.dim()));
        }
        f.render_widget(Paragraph::new(lines), rest);
    }

    fn draw_findings(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let c = self;
        let rule = c.rule();
        let findings = c.rule_findings();
        let selected = findings.get(c.finding_sel).copied();
        let w = area.width.saturating_sub(2) as usize;
        let mut detail = Vec::new();
        if let Some(fd) = selected {
            for l in wrap(&fd.detail, w).into_iter().take(3) {
                detail.push(Line::raw(format!(" {l}")));
            }
            let seqs: Vec<String> = fd.seqs.iter().map(u64::to_string).collect();
            let mut facts = vec![format!("seqs {}", seqs.join(", "))];
            if let Some(d) = fd.due {
                facts.push(format!("due {}", time(&d, true)));
            }
            if let Some(u) = fd.until {
                facts.push(format!("until {}", time(&u, true)));
            }
            detail.push(Line::styled(
                format!(
                    " Enter shows them: {}",
                    fit(&facts.join(" · "), w.saturating_sub(18))
                ),
                t.dim(),
            ));
        }
        let [title, list, _, about] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(detail.len() as u16),
        ])
        .areas(area);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!(" {} ", rule.id), t.title()),
                Span::raw(fit(rule.title, w.saturating_sub(rule.id.len() + 2))),
            ])),
            title,
        );
        let height = list.height.saturating_sub(1);
        let shown = window(&findings, c.finding_offset, height);
        let rows: Vec<TRow> = shown
            .iter()
            .map(|fd| TRow::new(finding_cells(fd, &t)))
            .collect();
        let widths = vec![
            Constraint::Length(10),
            Constraint::Length(16),
            Constraint::Length(9),
            Constraint::Fill(1),
        ];
        let header = TRow::new(["status", "since (UTC)", "overdue", "about"]);
        let mut state = TableState::default()
            .with_selected(Some(c.finding_sel.saturating_sub(c.finding_offset)));
        f.render_stateful_widget(table(rows, widths, header, &t), list, &mut state);
        f.render_widget(Paragraph::new(detail), about);
    }
}

impl Component for Compliance {
    fn context(&self) -> Context {
        Context::Compliance
    }

    fn handle(&mut self, ctx: &mut Ctx, action: Action) -> Cmd {
        if let Some(delta) = list_step(action, ctx) {
            self.step(delta);
            return Cmd::None;
        }
        match action {
            Action::Open => match self.focus {
                Pane::Rules => {
                    if self.findings().is_none() {
                        return Cmd::None;
                    }
                    if self.rule_findings().is_empty() {
                        let id = self.rule().id;
                        ctx.say(Level::Ok, format!("✔ no findings for {id}"));
                    } else {
                        self.focus = Pane::Findings;
                        self.finding_sel = 0;
                        self.finding_offset = 0;
                    }
                }
                Pane::Findings => {
                    let Some(f) = self.finding() else {
                        return Cmd::None;
                    };
                    let Some(&seq) = f.seqs.first() else {
                        ctx.say(Level::Info, "this finding cites no entries".into());
                        return Cmd::None;
                    };
                    let label = format!("{} {}", f.rule, f.subject);
                    let seqs = f.seqs.clone();
                    return Cmd::ShowEntries { label, seqs, seq };
                }
            },
            Action::Back => match self.focus {
                Pane::Findings => self.focus = Pane::Rules,
                Pane::Rules => return Cmd::Back,
            },
            Action::AsOf => return Cmd::Prompt(PromptKind::AsOf, String::new()),
            Action::DayBack => return Cmd::SetAsOf(shift_days(self.as_of, -1)),
            Action::DayForward => return Cmd::SetAsOf(shift_days(self.as_of, 1)),
            Action::ToggleOpen => {
                self.open_only = !self.open_only;
                self.finding_sel = 0;
                self.finding_offset = 0;
                if self.focus == Pane::Findings && self.rule_findings().is_empty() {
                    self.focus = Pane::Rules;
                }
            }
            Action::Reload => {
                let t = self.as_of;
                self.start(ctx.source.audit_job(t));
            }
            _ => {}
        }
        Cmd::None
    }

    /// Starts the audit the first time the screen shows.
    fn show(&mut self, ctx: &mut Ctx) {
        if self.state.idle() {
            self.start(ctx.source.audit_job(self.as_of));
        }
    }

    fn prepare(&mut self, _ctx: &mut Ctx, body: Rect, _shown: bool) {
        // The findings list: body minus the heading (2), the rule title (1), the header (1),
        // the gap and up to 4 lines of the finding's detail.
        let findings_h = body.height.saturating_sub(3 + 1 + 1 + 1 + 4) as usize;
        self.scroll_findings(findings_h);
    }

    fn draw(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        self.draw_compliance(f, body, ctx);
    }

    fn tab(&self) -> String {
        match self.findings() {
            Some(_) => {
                let (open, late, occurred) = self.totals();
                if open + occurred > 0 {
                    format!("Compliance ✘{}", open + occurred)
                } else if late > 0 {
                    format!("Compliance ⚠{late}")
                } else {
                    "Compliance ✔".to_string()
                }
            }
            None if self.running() => "Compliance …".to_string(),
            None => "Compliance".to_string(),
        }
    }
}
