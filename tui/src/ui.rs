//! Drawing: a pure function of the [`App`]'s state (`draw(&self)`), reading nothing.
//!
//! Layout, top to bottom: the tab bar, the screen, a status line, the key bar. The key bar and
//! the help overlay are generated from [`crate::keymap::KEYMAP`].

use std::time::Instant;

use igl_ledger::PayloadState;
use igl_schema::Event;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, HighlightSpacing, LineGauge, List, ListItem, ListState, Paragraph,
    Row as TRow, Table, TableState,
};

use crate::app::{App, Level, Overlay, Screen};
use crate::keymap::{self, MOUSE_HELP};
use crate::text::{fit, thousands, wrap};
use crate::theme::Theme;

/// Where the first tab starts (after " igl ").
const TABS_START: u16 = 5;

/// The smallest terminal the UI draws in.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

/// The frame's parts.
pub struct Areas {
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
    pub keys: Rect,
}

pub fn areas(area: Rect) -> Areas {
    let [tabs, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        tabs,
        body,
        status,
        keys,
    }
}

/// The timeline's rows (below the header).
pub fn timeline_rows(body: Rect) -> Rect {
    Rect {
        y: body.y + 1.min(body.height),
        height: body.height.saturating_sub(1),
        ..body
    }
}

/// The detail's scrolling part (below its title and rule).
pub fn detail_body(body: Rect) -> Rect {
    Rect {
        y: body.y + 2.min(body.height),
        height: body.height.saturating_sub(2),
        ..body
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn level_style(t: &Theme, l: Level) -> Style {
    match l {
        Level::Info => t.plain(),
        Level::Ok => t.ok(),
        Level::Warn => t.warn(),
        Level::Bad => t.bad(),
    }
}

/// The help overlay's box, and its lines for the box's inner width.
pub fn help_layout(t: &Theme, area: Rect) -> (Vec<Line<'static>>, Rect) {
    let outer = centered(area, 86, area.height.saturating_sub(2));
    let inner = Block::default().borders(Borders::ALL).inner(outer);
    let sections = keymap::help_sections();
    let kw = sections
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|(k, _)| k.chars().count()))
        .chain(MOUSE_HELP.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0)
        .min(24);
    let dw = (inner.width as usize).saturating_sub(kw + 4).max(10);
    let mut lines = Vec::new();
    let row = |lines: &mut Vec<Line<'static>>, keys: &str, desc: &str| {
        for (i, chunk) in wrap(desc, dw).into_iter().enumerate() {
            let k = if i == 0 { keys } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<kw$}  "), t.key()),
                Span::raw(chunk),
            ]));
        }
    };
    for (title, rows) in sections {
        lines.push(Line::styled(title.to_string(), t.title()));
        for (keys, desc) in rows {
            row(&mut lines, &keys, desc);
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled("Mouse".to_string(), t.title()));
    for (k, d) in MOUSE_HELP {
        row(&mut lines, k, d);
    }
    (lines, inner)
}

impl App {
    /// Draws the frame. Reads nothing from the ledger: [`App::prepare`] did.
    pub fn draw(&self, f: &mut Frame) {
        let area = f.area();
        let t = self.theme;
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            f.render_widget(
                Paragraph::new(format!(
                    "The terminal is too small ({}×{}); igl tui needs {MIN_WIDTH}×{MIN_HEIGHT}. q quits.",
                    area.width, area.height
                ))
                .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        }
        let a = areas(area);
        self.draw_tabs(f, a.tabs);
        match (self.screen, &self.detail) {
            (Screen::Timeline, None) => self.draw_timeline(f, a.body),
            (Screen::Timeline, Some(_)) => self.draw_detail(f, a.body),
            (Screen::Verify, _) => self.draw_verify(f, a.body),
            (Screen::Compliance, _) => self.draw_compliance(f, a.body),
            (Screen::Subjects, _) => self.draw_subjects(f, a.body),
            (Screen::Reviews, _) => self.draw_reviews(f, a.body),
        }
        self.draw_status(f, a.status);
        self.draw_keys(f, a.keys);
        match &self.overlay {
            Overlay::Help { scroll } => {
                let (lines, inner) = help_layout(&t, area);
                let outer = Rect {
                    x: inner.x - 1,
                    y: inner.y - 1,
                    width: inner.width + 2,
                    height: inner.height + 2,
                };
                f.render_widget(Clear, outer);
                let more = if lines.len() as u16 > inner.height + scroll {
                    " ↓ more (j) "
                } else {
                    ""
                };
                f.render_widget(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(" Help: keys ")
                        .title_bottom(Line::from(more).alignment(Alignment::Right)),
                    outer,
                );
                f.render_widget(Paragraph::new(lines).scroll((*scroll, 0)), inner);
            }
            Overlay::Picker { sel } => self.draw_picker(f, area, *sel),
            Overlay::Prompt { .. } | Overlay::None => {}
        }
    }

    /// The tab bar's labels, in order, with the column each starts at and its width.
    pub(crate) fn tabs(&self) -> Vec<(Screen, String, u16, u16)> {
        let verify = match self.verify.badge() {
            Some(b) => format!("Verify {b}"),
            None => "Verify".to_string(),
        };
        let timeline = match &self.detail {
            Some(d) => format!("Timeline › seq {}", d.seq),
            None => "Timeline".to_string(),
        };
        let compliance = match self.comp.findings() {
            Some(_) => {
                let (open, late, occurred) = self.comp.totals();
                if open + occurred > 0 {
                    format!("Compliance ✘{}", open + occurred)
                } else if late > 0 {
                    format!("Compliance ⚠{late}")
                } else {
                    "Compliance ✔".to_string()
                }
            }
            None if self.comp.running() => "Compliance …".to_string(),
            None => "Compliance".to_string(),
        };
        let reviews = match self.revs.data() {
            Some(_) => match self.revs.late_count() {
                0 => "Reviews ✔".to_string(),
                n => format!("Reviews ✘{n}"),
            },
            None if self.revs.running() => "Reviews …".to_string(),
            None => "Reviews".to_string(),
        };
        let mut x = TABS_START;
        let mut out = Vec::new();
        for (screen, label) in [
            (Screen::Timeline, timeline),
            (Screen::Compliance, compliance),
            (Screen::Subjects, "Subjects".to_string()),
            (Screen::Reviews, reviews),
            (Screen::Verify, verify),
        ] {
            let text = if screen == self.screen {
                format!("[{label}]")
            } else {
                format!(" {label} ")
            };
            let w = Line::from(text.as_str()).width() as u16;
            out.push((screen, text, x, w));
            x += w + 1;
        }
        out
    }

    fn draw_tabs(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let mut spans = vec![Span::styled(" igl ", t.title())];
        for (screen, text, _, _) in self.tabs() {
            if screen == self.screen {
                spans.push(Span::styled(text, t.tab_active()));
            } else {
                spans.push(Span::raw(text));
            }
            spans.push(Span::raw(" "));
        }
        let left = Line::from(spans);
        let lw = left.width() as u16;
        f.render_widget(Paragraph::new(left), area);
        let right = format!(
            "{} · {} entries · read-only ",
            self.source.name(),
            thousands(self.source.entry_count())
        );
        let room = area.width.saturating_sub(lw + 1) as usize;
        // When the whole text does not fit, the entry count alone; then nothing.
        let short = format!("{} entries ", thousands(self.source.entry_count()));
        let right = if right.chars().count() <= room {
            Some(right)
        } else if short.chars().count() <= room {
            Some(short)
        } else {
            None
        };
        if let Some(right) = right {
            f.render_widget(
                Paragraph::new(Line::styled(right, t.dim())).alignment(Alignment::Right),
                area,
            );
        }
    }

    fn draw_timeline(&self, f: &mut Frame, body: Rect) {
        let t = self.theme;
        let tl = &self.tl;
        let count = self.source.entry_count();
        let seq_w = thousands(count.saturating_sub(1)).len().max(3) as u16;
        // Wide terminals get whole type names and seconds; 80 columns fit everything but a
        // short summary (the detail has the rest).
        let wide = body.width >= 110;
        let seconds = body.width >= 150;
        let time_w: u16 = if seconds { 19 } else { 16 };
        let type_w: u16 = if wide { 29 } else { 21 };
        let author_w: u16 = 11;
        let subj_w: u16 = if wide { 16 } else { 9 };
        let widths = [
            Constraint::Length(seq_w),
            Constraint::Length(time_w),
            Constraint::Length(type_w),
            Constraint::Length(author_w),
            Constraint::Length(subj_w),
            Constraint::Fill(1),
        ];
        let header = TRow::new([
            Cell::from(Line::from("seq").alignment(Alignment::Right)),
            Cell::from("recorded (UTC)"),
            Cell::from("type"),
            Cell::from("author"),
            Cell::from("subjects"),
            Cell::from("summary"),
        ])
        .style(t.header());

        if tl.view.is_empty() {
            let text = if tl.view.complete() {
                if tl.filter.is_empty() {
                    "The ledger has no entries.".to_string()
                } else {
                    format!(
                        "No entry matches {}. Esc clears the filter.",
                        tl.filter.describe()
                    )
                }
            } else {
                format!(
                    "Filtering ({})… no match yet, {:.0}% scanned.",
                    tl.filter.describe(),
                    tl.view.scanned() * 100.0
                )
            };
            f.render_widget(
                Table::new(Vec::<TRow>::new(), widths)
                    .header(header)
                    .column_spacing(1)
                    .highlight_spacing(HighlightSpacing::Always)
                    .highlight_symbol("›"),
                body,
            );
            let rows = timeline_rows(body);
            f.render_widget(Paragraph::new(Line::styled(text, t.dim())), rows);
            return;
        }

        let rows_area = timeline_rows(body);
        let seqs: Vec<u64> = (tl.offset..tl.offset + u64::from(rows_area.height))
            .map_while(|p| tl.view.seq_at(p))
            .collect();
        let rows: Vec<TRow> = seqs
            .iter()
            .map(|&seq| {
                let bad = tl.bad == Some(seq);
                let seq_text = if bad {
                    format!("✘{seq}")
                } else {
                    seq.to_string()
                };
                let seq_cell = Cell::from(Line::from(seq_text).alignment(Alignment::Right));
                let Some(r) = tl.rows.get(&seq) else {
                    return TRow::new([seq_cell, Cell::from(Span::styled("…", t.dim()))]);
                };
                let summary_style = match (&r.error, r.payload) {
                    (Some(_), _) | (None, PayloadState::Missing) => t.bad(),
                    (None, PayloadState::Redacted { .. }) => t.warn(),
                    _ => t.plain(),
                };
                let time = if seconds {
                    &r.recorded_secs
                } else {
                    &r.recorded
                };
                let row = TRow::new([
                    seq_cell,
                    Cell::from(time.clone()),
                    Cell::from(fit(r.ty, type_w as usize)),
                    Cell::from(fit(&r.author, author_w as usize)),
                    Cell::from(r.subjects_text(subj_w as usize)),
                    Cell::from(Span::styled(r.summary_text(), summary_style)),
                ]);
                if bad { row.style(t.bad()) } else { row }
            })
            .collect();
        let mut state =
            TableState::default().with_selected(Some(tl.cursor.saturating_sub(tl.offset) as usize));
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(header)
                .column_spacing(1)
                .row_highlight_style(t.selected())
                .highlight_spacing(HighlightSpacing::Always)
                .highlight_symbol("›"),
            body,
            &mut state,
        );
    }

    fn draw_detail(&self, f: &mut Frame, body: Rect) {
        let Some(d) = &self.detail else { return };
        let t = self.theme;
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
        let pos = self.tl.cursor;
        let prev = pos.checked_sub(1).and_then(|p| self.tl.view.seq_at(p));
        let next = self.tl.view.seq_at(pos + 1);
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
        let inner = detail_body(body);
        let lines = d.lines(&t, inner.width);
        f.render_widget(Paragraph::new(lines).scroll((d.scroll, 0)), inner);
    }

    fn draw_verify(&self, f: &mut Frame, body: Rect) {
        let t = self.theme;
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
                .ratio(self.verify.ratio())
                .label(self.verify.gauge_label(self.source.entry_count()))
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
        let lines = self.verify.lines(&t, rest.width, Instant::now());
        f.render_widget(Paragraph::new(lines), rest);
    }

    fn draw_picker(&self, f: &mut Frame, area: Rect, sel: usize) {
        let t = self.theme;
        let items: Vec<ListItem> = std::iter::once("(any type)")
            .chain(Event::TYPES.iter().copied())
            .map(|ty| {
                let mark = if self.tl.filter.ty == Some(ty)
                    || (ty == "(any type)" && self.tl.filter.ty.is_none())
                {
                    "● "
                } else {
                    "  "
                };
                ListItem::new(format!("{mark}{ty}"))
            })
            .collect();
        let h = (items.len() as u16 + 2).min(area.height.saturating_sub(2));
        let rect = centered(area, 38, h);
        f.render_widget(Clear, rect);
        let mut state = ListState::default().with_selected(Some(sel));
        f.render_stateful_widget(
            List::new(items)
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(" Filter by event type "),
                )
                .highlight_style(t.selected())
                .highlight_symbol("›"),
            rect,
            &mut state,
        );
    }

    fn draw_status(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let tl = &self.tl;
        // Right: position and background work.
        let mut right = Vec::new();
        if let Some(j) = &tl.search {
            right.push(format!("searching… {} checked", thousands(j.checked)));
        }
        if !tl.view.complete() {
            right.push(format!("filtering {:.0}%…", tl.view.scanned() * 100.0));
        }
        match (self.screen, &self.detail) {
            (Screen::Timeline, Some(_)) => {
                let total = self.vp.detail_lines;
                let h = self.vp.detail_height;
                if total > h {
                    let d = self.detail.as_ref().map_or(0, |d| d.scroll);
                    right.push(format!("lines {}-{} of {total}", d + 1, (d + h).min(total)));
                }
            }
            (Screen::Timeline, None) if !tl.view.is_empty() => {
                let of = if tl.view.complete() {
                    thousands(tl.view.len())
                } else {
                    format!("{}+", thousands(tl.view.len()))
                };
                right.push(format!("{}/{of}", thousands(tl.cursor + 1)));
            }
            _ => {}
        }
        let right = format!("{} ", right.join(" · "));
        let rw = right.chars().count() as u16;

        // Left: a prompt, a message, or what the timeline shows.
        let left: Line = if let Overlay::Prompt { kind, text } = &self.overlay {
            let label = kind.label();
            let x = area.x + 1 + (label.chars().count() + text.chars().count()) as u16;
            if x < area.x + area.width {
                f.set_cursor_position((x, area.y));
            }
            Line::from(vec![
                Span::styled(format!(" {label}"), t.key()),
                Span::raw(text.clone()),
            ])
        } else if let Some((level, msg)) = &self.status {
            let room = area.width.saturating_sub(rw + 2) as usize;
            Line::styled(format!(" {}", fit(msg, room)), level_style(&t, *level))
        } else if self.screen != Screen::Timeline {
            Line::default()
        } else {
            let mut parts = Vec::new();
            if !tl.filter.is_empty() {
                parts.push(format!(
                    "filter: {} ({}{} match{})",
                    tl.filter.describe(),
                    thousands(tl.view.len()),
                    if tl.view.complete() { "" } else { " so far" },
                    if tl.view.len() == 1 { "" } else { "es" }
                ));
            }
            if let Some(q) = &tl.query {
                parts.push(format!("search {q:?} (n/N)"));
            }
            let room = area.width.saturating_sub(rw + 2) as usize;
            Line::styled(format!(" {}", fit(&parts.join(" · "), room)), t.dim())
        };
        let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(rw)])
            .spacing(1)
            .areas(area);
        f.render_widget(Paragraph::new(left), l);
        f.render_widget(Paragraph::new(Line::styled(right, t.dim())), r);
    }

    fn draw_keys(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let items = keymap::bar(&self.contexts());
        // "? help" and "q quit" always show; the rest as many as fit, in key-map order.
        let (tail, head): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|(_, w)| matches!(*w, "help" | "quit"));
        let len = |(k, w): &(String, &str)| k.chars().count() + w.chars().count() + 3;
        let mut room =
            (area.width as usize).saturating_sub(1 + tail.iter().map(len).sum::<usize>());
        let mut shown = Vec::new();
        for it in head {
            if len(&it) > room {
                break;
            }
            room -= len(&it);
            shown.push(it);
        }
        shown.extend(tail);
        let mut spans = vec![Span::raw(" ")];
        for (k, w) in shown {
            spans.push(Span::styled(k, t.key()));
            spans.push(Span::raw(format!(" {w}  ")));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}
