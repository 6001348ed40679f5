//! The Reviews screen: the access-review campaigns as of the as-of instant it shares with the
//! Compliance screen, a campaign's items, and an item's entries shown in the timeline
//! (`Enter`). Every word about a campaign comes from the library's campaign model.

use igl_ledger::compliance::campaign::{Execution, ItemState};
use igl_schema::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Paragraph, Row as TRow, TableState};

use super::{Component, list_step};
use crate::compliance::shift_days;
use crate::ctx::{Cmd, Ctx, Level};
use crate::keymap::{Action, Context};
use crate::overlay::PromptKind;
use crate::reviews::{CampaignRow, ItemRow, LoadState, Reviews};
use crate::text::{duration, fit, time, wrap};
use crate::theme::Theme;
use crate::widgets::{count, table, window, wrapped};

/// An item's decision: OVERDUE stands out; a default or a withdrawn item is quieter.
fn item_state_style(t: &Theme, st: &ItemState) -> Style {
    match st {
        ItemState::Overdue => t.bad(),
        ItemState::Pending => t.plain(),
        ItemState::Withdrawn { .. }
        | ItemState::Decided {
            by_default: true, ..
        } => t.dim(),
        ItemState::Decided { .. } => t.plain(),
    }
}

/// Whether a decision was carried out: NOT DONE past its SLA, LATE, awaiting within it, done.
fn execution_style(t: &Theme, e: Execution, now: Timestamp) -> Style {
    match e {
        Execution::NotNeeded => t.dim(),
        Execution::Awaiting { due } if now > due => t.bad(),
        Execution::Awaiting { .. } | Execution::Done { late: true, .. } => t.warn(),
        Execution::Done { .. } => t.ok(),
    }
}

impl Reviews {
    /// Moves the as-of instant to `t`; the campaigns are read again as of `t` if they have
    /// been or the screen is `shown`.
    pub fn set_as_of(&mut self, ctx: &Ctx, t: Timestamp, shown: bool) {
        self.as_of = t;
        if shown || !self.state.idle() {
            self.start(ctx.source.campaigns_job(t));
        }
    }

    /// Takes the campaigns when they are read (saying so if that failed).
    pub fn tick(&mut self, ctx: &mut Ctx) {
        if self.poll()
            && let Some(e) = self.state.error()
        {
            let m = format!("✘ could not read the campaigns: {e}");
            ctx.say(Level::Bad, m);
        }
    }

    /// The Reviews screen's first line (both views).
    fn reviews_title(&self, ctx: &Ctx) -> Line<'static> {
        let t = ctx.theme;
        let r = self;
        let mut spans = vec![Span::styled(
            format!(" Access reviews as of {} UTC", time(&r.as_of, false)),
            t.title(),
        )];
        match &r.state {
            LoadState::Idle => {}
            LoadState::Running { started, .. } => spans.push(Span::styled(
                format!(
                    "  reading the campaigns… {} (on a worker thread)",
                    duration(started.elapsed())
                ),
                t.dim(),
            )),
            LoadState::Done { result: Err(e), .. } => spans.push(Span::styled(
                format!("  ✘ could not read the campaigns: {e}"),
                t.bad(),
            )),
            LoadState::Done { result: Ok(s), .. } => match r.campaign() {
                Some(c) => spans.push(Span::styled(format!(" › {}", c.id), t.title())),
                None => spans.push(Span::styled(
                    format!("  {}", count(s.campaigns.len(), "campaign")),
                    t.dim(),
                )),
            },
        }
        Line::from(spans)
    }

    fn draw_reviews(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let r = self;
        if r.data().is_none() {
            let msg = match &r.state {
                LoadState::Running { .. } => "Reading the campaigns; the keys still work.",
                LoadState::Done { .. } => {
                    "Press R to read the campaigns again, or a for another instant."
                }
                LoadState::Idle => "",
            };
            let [head, _, main] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Fill(1),
            ])
            .areas(body);
            f.render_widget(Paragraph::new(self.reviews_title(ctx)), head);
            f.render_widget(
                Paragraph::new(Line::styled(format!(" {msg}"), t.dim())),
                main,
            );
            return;
        }
        if r.campaign().is_some() {
            self.draw_review_items(f, body, ctx);
        } else {
            self.draw_campaigns(f, body, ctx);
        }
    }

    /// The list of campaigns: each with its due date, default, title and progress; below, the
    /// selected one's opening, scope and reviewers.
    fn draw_campaigns(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let r = self;
        let rows = r.campaigns();
        let w = body.width.saturating_sub(2) as usize;
        let (overdue, past_sla) = rows.iter().fold((0, 0), |(o, p), c| {
            (o + c.progress.overdue, p + c.progress.revocation_overdue)
        });
        let summary = if rows.is_empty() {
            Line::default()
        } else if overdue + past_sla == 0 {
            Line::styled(
                " ✔ no item overdue · no revocation past the SLA".to_string(),
                t.ok(),
            )
        } else {
            let part = |n: usize, text: String| {
                if n > 0 {
                    Span::styled(format!("✘ {text}"), t.bad())
                } else {
                    Span::styled(format!("✔ {text}"), t.ok())
                }
            };
            Line::from(vec![
                Span::raw(" "),
                part(overdue, format!("{} overdue", count(overdue, "item"))),
                Span::raw(" · "),
                part(
                    past_sla,
                    format!("{} past the SLA", count(past_sla, "revocation")),
                ),
            ])
        };
        let [head, sum, _, rest] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(body);
        f.render_widget(Paragraph::new(self.reviews_title(ctx)), head);
        f.render_widget(Paragraph::new(summary), sum);
        if rows.is_empty() {
            let msg = format!(
                "No access-review campaign as of {}; open one with `igl review open`.",
                igl_ledger::time::uk_text(r.as_of)
            );
            f.render_widget(Paragraph::new(wrapped(&msg, w, t.dim())), rest);
            return;
        }
        // Columns: the mark and id, the due date (and default), then the title and progress.
        let id_w = rows
            .iter()
            .map(|c| c.campaign.id.as_str().chars().count() + 2)
            .max()
            .unwrap_or(0)
            .max(8) as u16;
        let due_w = rows
            .iter()
            .filter_map(|c| c.campaign.default_decision)
            .map(|d| format!("default {d}").chars().count())
            .max()
            .unwrap_or(0)
            .max(10) as u16;
        let text_w = rest.width.saturating_sub(1 + id_w + 1 + due_w + 1).max(10) as usize;
        let trows: Vec<(TRow, u16)> = rows.iter().map(|c| campaign_row(c, text_w, &t)).collect();
        let needed = 1 + trows.iter().map(|(_, h)| *h).sum::<u16>();
        let trows: Vec<TRow> = trows.into_iter().map(|(row, _)| row).collect();
        let mut panel = Vec::new();
        if let Some(c) = r.selected_campaign() {
            panel.extend(wrapped(
                &format!("{}: {}", c.id, c.opened_text()),
                w,
                t.dim(),
            ));
            let reviewers = r.reviewers(c);
            let left: Vec<String> = reviewers
                .iter()
                .filter(|(_, _, left)| *left > 0)
                .map(|(p, n, left)| format!("{p} {left} of {n}"))
                .collect();
            let who = if left.is_empty() {
                format!(
                    "{}; nothing left to decide",
                    count(reviewers.len(), "reviewer")
                )
            } else {
                format!(
                    "{}; left to decide: {}",
                    count(reviewers.len(), "reviewer"),
                    left.join(" · ")
                )
            };
            panel.extend(wrapped(&who, w, t.dim()));
            panel.extend(wrapped(
                "Enter lists its items; a, [ and ] move the as-of instant.",
                w,
                t.dim(),
            ));
        }
        let room = rest.height.saturating_sub(1 + panel.len() as u16).max(2);
        let [list, _, about] = Layout::vertical([
            Constraint::Length(needed.min(room)),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(rest);
        let widths = vec![
            Constraint::Length(id_w),
            Constraint::Length(due_w),
            Constraint::Fill(1),
        ];
        let header = TRow::new(["campaign", "due", "title and progress"]);
        let mut state = TableState::default().with_selected(Some(r.campaign_sel));
        f.render_stateful_widget(table(trows, widths, header, &t), list, &mut state);
        f.render_widget(Paragraph::new(panel), about);
    }

    /// The parts of the items view around the list: the heading (the campaign and its
    /// progress) and the selected item's panel. `prepare_lists` sizes the list from them.
    fn review_item_parts(&self, ctx: &Ctx, width: u16) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let t = ctx.theme;
        let r = self;
        let w = width.saturating_sub(2) as usize;
        let now = r.as_of;
        let mut head = vec![self.reviews_title(ctx)];
        let (Some(c), Some(p)) = (r.campaign(), r.progress()) else {
            return (head, Vec::new());
        };
        head.extend(wrapped(
            &format!("{:?} — {}", c.title, c.due_text()),
            w,
            t.plain(),
        ));
        let late = p.late();
        let (sym, style) = if late {
            ('✘', t.bad())
        } else {
            ('✔', t.ok())
        };
        for (i, l) in wrap(&p.text(), w.saturating_sub(2)).into_iter().enumerate() {
            head.push(if i == 0 {
                Line::from(vec![Span::styled(format!(" {sym} "), style), Span::raw(l)])
            } else {
                Line::raw(format!("   {l}"))
            });
        }
        let mut panel = Vec::new();
        if let Some(row) = r.item() {
            let i = row.item;
            panel.extend(wrapped(
                &format!(
                    "{} {} · {} ({}) · granted {} (seq {}) · reviewer {} ({})",
                    i.grant,
                    i.person,
                    i.system,
                    i.role,
                    igl_ledger::time::uk_date(i.granted.at),
                    i.granted.seq,
                    i.reviewer,
                    match i.assigned_as {
                        "campaign" => "named by the campaign",
                        "line_manager" => "line manager",
                        "owner" => "the campaign's owner",
                        other => other,
                    }
                ),
                w,
                t.plain(),
            ));
            let decision = match row.justification() {
                Some(j) => format!("decision: {} — {j:?}", row.decision_text()),
                None => format!("decision: {}", row.decision_text()),
            };
            panel.extend(wrapped(&decision, w, item_state_style(&t, &row.state)));
            panel.extend(wrapped(
                &format!("carried out: {}", row.carried_out_text(now)),
                w,
                execution_style(&t, row.execution, now),
            ));
            let hint = match &row.state {
                ItemState::Decided {
                    by_default: true,
                    seq,
                    ..
                } => format!(
                    "Enter opens the campaign's opening (seq {seq}), whose default decided it, \
                     with the grant's entries."
                ),
                ItemState::Decided { seq, .. } => {
                    format!("Enter opens the decision (seq {seq}) with the grant's other entries.")
                }
                _ => format!(
                    "Enter opens the grant (seq {}) with its other entries.",
                    i.granted.seq
                ),
            };
            panel.extend(wrapped(&hint, w, t.dim()));
        }
        (head, panel)
    }

    /// An open campaign: its heading, its items (grant, person, access, reviewer, decision,
    /// carried out) and the selected item's panel.
    fn draw_review_items(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let r = self;
        let now = r.as_of;
        let (head, panel) = self.review_item_parts(ctx, body.width);
        let items = r.items();
        // The list as long as it needs (at least a line), the selected item's panel below it.
        let room = body
            .height
            .saturating_sub(head.len() as u16 + 2 + panel.len() as u16)
            .max(2);
        let needed = 1 + (items.len() as u16).max(1);
        let [head_area, _, list, _, about, _] = Layout::vertical([
            Constraint::Length(head.len() as u16),
            Constraint::Length(1),
            Constraint::Length(needed.min(room)),
            Constraint::Length(1),
            Constraint::Length(panel.len() as u16),
            Constraint::Fill(1),
        ])
        .areas(body);
        f.render_widget(Paragraph::new(head), head_area);
        if items.is_empty() {
            f.render_widget(
                Paragraph::new(Line::styled(
                    " No item: no grant was in force within its scope when it opened.".to_string(),
                    t.dim(),
                )),
                list,
            );
            return;
        }
        let wide = list.width >= 110;
        let access = |row: &ItemRow| format!("{} ({})", row.item.system, row.item.role);
        let natural = |head: &str, cells: &mut dyn Iterator<Item = String>| {
            cells
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
                .max(head.len()) as u16
        };
        let grant_w = natural("grant", &mut items.iter().map(|i| i.item.grant.to_string()));
        let person_w = natural(
            "person",
            &mut items.iter().map(|i| i.item.person.to_string()),
        );
        let reviewer_w = natural(
            "reviewer",
            &mut items.iter().map(|i| i.item.reviewer.to_string()),
        );
        let access_w = if wide {
            natural("access", &mut items.iter().map(access)).min(30)
        } else {
            0
        };
        let decision_nat = natural("decision", &mut items.iter().map(|i| i.decision_text()));
        let done_nat = natural(
            "carried out",
            &mut items.iter().map(|i| i.carried_out_text(now)),
        );
        let columns: u16 = if wide { 6 } else { 5 };
        let fixed = 1 + grant_w + person_w + reviewer_w + access_w + (columns - 1);
        let room = list.width.saturating_sub(fixed);
        // The decision gets its width if what it leaves still shows `NOT DONE (due
        // 2026-10-20)`; a text cut short is whole in the selected item's panel.
        let decision_w = decision_nat.min(room.saturating_sub(done_nat.min(25)));
        let done_w = room.saturating_sub(decision_w) as usize;
        let height = list.height.saturating_sub(1);
        let rows: Vec<TRow> = window(&items, r.item_offset, height)
            .iter()
            .map(|row| {
                let mut cells = vec![
                    Cell::from(row.item.grant.to_string()),
                    Cell::from(row.item.person.to_string()),
                ];
                if wide {
                    cells.push(Cell::from(fit(&access(row), access_w as usize)));
                }
                cells.push(Cell::from(row.item.reviewer.to_string()));
                cells.push(Cell::from(Span::styled(
                    fit(&row.decision_text(), decision_w as usize),
                    item_state_style(&t, &row.state),
                )));
                cells.push(Cell::from(Span::styled(
                    fit(&row.carried_out_text(now), done_w),
                    execution_style(&t, row.execution, now),
                )));
                TRow::new(cells)
            })
            .collect();
        let mut widths = vec![Constraint::Length(grant_w), Constraint::Length(person_w)];
        let mut header = vec!["grant", "person"];
        if wide {
            widths.push(Constraint::Length(access_w));
            header.push("access");
        }
        widths.extend([
            Constraint::Length(reviewer_w),
            Constraint::Length(decision_w),
            Constraint::Fill(1),
        ]);
        header.extend(["reviewer", "decision", "carried out"]);
        let mut state =
            TableState::default().with_selected(Some(r.item_sel.saturating_sub(r.item_offset)));
        f.render_stateful_widget(table(rows, widths, TRow::new(header), &t), list, &mut state);
        f.render_widget(Paragraph::new(panel), about);
    }
}

impl Component for Reviews {
    fn context(&self) -> Context {
        Context::Reviews
    }

    fn handle(&mut self, ctx: &mut Ctx, action: Action) -> Cmd {
        if let Some(delta) = list_step(action, ctx) {
            self.step(delta);
            return Cmd::None;
        }
        match action {
            Action::Open => {
                let Some(id) = self.open.clone() else {
                    if self.open_selected().is_none() && self.data().is_some() {
                        ctx.say(Level::Info, "no campaign to open".into());
                    }
                    return Cmd::None;
                };
                let Some(row) = self.item() else {
                    ctx.say(Level::Info, format!("campaign {id} has no items"));
                    return Cmd::None;
                };
                let label = format!("{id} {}", row.item.grant);
                let (seqs, seq) = (row.entries(), row.entry());
                return Cmd::ShowEntries { label, seqs, seq };
            }
            Action::Back => {
                if self.open.is_some() {
                    self.close();
                } else {
                    return Cmd::Back;
                }
            }
            Action::AsOf => return Cmd::Prompt(PromptKind::AsOf, String::new()),
            Action::DayBack => return Cmd::SetAsOf(shift_days(self.as_of, -1)),
            Action::DayForward => return Cmd::SetAsOf(shift_days(self.as_of, 1)),
            Action::Reload => {
                let t = self.as_of;
                self.start(ctx.source.campaigns_job(t));
            }
            _ => {}
        }
        Cmd::None
    }

    /// Reads the campaigns the first time the screen shows.
    fn show(&mut self, ctx: &mut Ctx) {
        if self.state.idle() {
            self.start(ctx.source.campaigns_job(self.as_of));
        }
    }

    fn prepare(&mut self, ctx: &mut Ctx, body: Rect, _shown: bool) {
        if self.campaign().is_some() {
            // The items list: body minus the heading, two gaps, the table header and the panel.
            let (head, panel) = self.review_item_parts(ctx, body.width);
            let items_h = (body.height as usize).saturating_sub(head.len() + panel.len() + 3);
            self.scroll_items(items_h);
        }
    }

    fn draw(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        self.draw_reviews(f, body, ctx);
    }

    fn tab(&self) -> String {
        match self.data() {
            Some(_) => match self.late_count() {
                0 => "Reviews ✔".to_string(),
                n => format!("Reviews ✘{n}"),
            },
            None if self.running() => "Reviews …".to_string(),
            None => "Reviews".to_string(),
        }
    }
}

/// A campaign's row in the list, with its height: the marked id; the due date and default; the
/// title, then the progress wrapped to `text_w`.
fn campaign_row<'a>(c: &CampaignRow, text_w: usize, t: &Theme) -> (TRow<'a>, u16) {
    let (sym, style) = if c.late() {
        ('✘', t.bad())
    } else {
        ('✔', t.ok())
    };
    let mut due = vec![Line::raw(c.campaign.due.to_string())];
    if let Some(d) = c.campaign.default_decision {
        due.push(Line::raw(format!("default {d}")));
    }
    let mut text = vec![Line::raw(fit(&c.campaign.title, text_w))];
    for l in wrap(&c.progress.text(), text_w) {
        text.push(Line::styled(l, t.dim()));
    }
    let h = due.len().max(text.len()) as u16;
    let row = TRow::new([
        Cell::from(Span::styled(format!("{sym} {}", c.campaign.id), style)),
        Cell::from(Text::from(due)),
        Cell::from(Text::from(text)),
    ])
    .height(h);
    (row, h)
}
