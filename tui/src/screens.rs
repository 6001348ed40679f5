//! Drawing the compliance dashboard, the subject screen and the reviews screen (the timeline,
//! detail and verify screens are in [`crate::ui`]). Pure functions of the state, reading
//! nothing.

use igl_ledger::compliance::campaign::{Execution, ItemState};
use igl_ledger::compliance::{Finding, Status};
use igl_ledger::requests::RequestStatus;
use igl_ledger::sar::{Disclosure, PersonalData};
use igl_schema::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row as TRow, Table, TableState};

use crate::app::App;
use crate::compliance::{AuditState, Pane};
use crate::reviews::{CampaignRow, ItemRow, LoadState};
use crate::text::{duration, fit, time, wrap};
use crate::theme::Theme;

const SUBJECT_HINT: &str = "/ looks a subject up (everything the ledger holds about them); Enter on a request looks its data subject up.";

fn status_style(t: &Theme, s: Status) -> Style {
    match s {
        Status::Open | Status::Occurred => t.bad(),
        Status::Resolved => t.warn(),
    }
}

fn sym_style(t: &Theme, sym: char) -> Style {
    match sym {
        '✔' => t.ok(),
        '⚠' => t.warn(),
        _ => t.bad(),
    }
}

fn table<'a>(
    rows: Vec<TRow<'a>>,
    widths: Vec<Constraint>,
    header: TRow<'a>,
    t: &Theme,
) -> Table<'a> {
    Table::new(rows, widths)
        .header(header.style(t.header()))
        .column_spacing(1)
        .row_highlight_style(t.selected())
        .highlight_spacing(HighlightSpacing::Always)
        .highlight_symbol("›")
}

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

/// Lines of `text` wrapped to `width` after a one-space margin, all in `style`.
fn wrapped(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), style))
        .collect()
}

/// `1 item`, `2 items`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The rows of a list that fit in `height` (below a header), from `offset`.
fn window<T>(items: &[T], offset: usize, height: u16) -> &[T] {
    let start = offset.min(items.len());
    let end = (start + height as usize).min(items.len());
    &items[start..end]
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

/// `Mark` column text for a disclosure's personal data.
fn personal_data_text(d: &Disclosure) -> (String, char) {
    match d.personal_data {
        PersonalData::None => ("–".into(), '✔'),
        PersonalData::Disclosed => ("disclosed".into(), '✔'),
        PersonalData::Withheld => ("withheld".into(), '⚠'),
        PersonalData::Erased { by } => (format!("erased ({by})"), '⚠'),
        PersonalData::Missing => ("missing".into(), '✘'),
    }
}

fn fields_text(d: &Disclosure) -> String {
    d.fields
        .iter()
        .filter_map(|(k, v)| {
            let s = match v {
                serde_json::Value::Null => return None,
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some(
                if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    format!("{k}={}…", &s[..12])
                } else {
                    format!("{k}={s}")
                },
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A request's row; `narrow` drops the received date and the subject's kind.
fn request_cells<'a>(r: &RequestStatus, t: &Theme, narrow: bool) -> Vec<Cell<'a>> {
    let (sym, words) = r.status_text();
    let due = r.due_text();
    let mut cells = vec![
        Cell::from(r.request.to_string()),
        Cell::from(r.right.as_str().to_string()),
    ];
    if narrow {
        cells.push(Cell::from(r.data_subject.id().to_string()));
    } else {
        cells.push(Cell::from(r.data_subject.to_string()));
        cells.push(Cell::from(r.received.to_string()));
    }
    cells.push(Cell::from(due));
    cells.push(Cell::from(Span::styled(
        format!("{sym} {words}"),
        sym_style(t, sym),
    )));
    cells
}

impl App {
    pub(crate) fn draw_compliance(&self, f: &mut Frame, body: Rect) {
        let t = self.theme;
        let c = &self.comp;
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
            Pane::Rules => self.draw_rules(f, main),
            Pane::Findings => self.draw_findings(f, main),
        }
    }

    fn draw_rules(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let c = &self.comp;
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

    fn draw_findings(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let c = &self.comp;
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

    pub(crate) fn draw_subjects(&self, f: &mut Frame, body: Rect) {
        let t = self.theme;
        let s = &self.subj;
        let w = body.width.saturating_sub(2) as usize;
        let requests = s.requests_shown();
        let mut head = Vec::new();
        match (&s.subject, &s.requests) {
            (Some(subj), _) => {
                head.push(Line::from(vec![
                    Span::styled(format!(" {subj}"), t.title()),
                    Span::raw(format!(
                        "  {} entr{} held · third-party data withheld (ICO guidance)",
                        s.entries.len(),
                        if s.entries.len() == 1 { "y" } else { "ies" }
                    )),
                ]));
                if requests.is_empty() {
                    head.push(Line::styled(
                        " no subject-rights request from this subject".to_string(),
                        t.dim(),
                    ));
                }
                for r in requests.iter().take(3) {
                    let (sym, words) = r.status_text();
                    let due = match &r.deadline {
                        Some(_) => format!(", due {}", r.due_text()),
                        None => String::new(),
                    };
                    head.push(Line::from(vec![
                        Span::raw(format!(
                            " {} {} received {}{due}: ",
                            r.request,
                            r.right.as_str(),
                            r.received
                        )),
                        Span::styled(format!("{sym} {words}"), sym_style(&t, sym)),
                    ]));
                }
            }
            (None, Some(Err(e))) => {
                head.push(Line::styled(
                    format!(" ✘ could not read the requests: {e}"),
                    t.bad(),
                ));
            }
            (None, _) => {
                let open = requests.iter().filter(|r| r.outcome.is_open()).count();
                let overdue = requests.iter().filter(|r| r.clock.is_overdue()).count();
                head.push(Line::from(vec![
                    Span::styled(
                        format!(
                            " Subject-rights requests as of {}",
                            igl_ledger::compliance::time::uk_date(self.now)
                        ),
                        t.title(),
                    ),
                    Span::raw(format!("  {} · {open} open · ", requests.len())),
                    Span::styled(
                        format!("{} {overdue} overdue", if overdue > 0 { '✘' } else { '✔' }),
                        if overdue > 0 { t.bad() } else { t.ok() },
                    ),
                ]));
                for l in wrap(SUBJECT_HINT, w) {
                    head.push(Line::styled(format!(" {l}"), t.dim()));
                }
            }
        }
        let [head_area, _, list] = Layout::vertical([
            Constraint::Length(head.len() as u16),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(body);
        f.render_widget(Paragraph::new(head), head_area);
        let height = list.height.saturating_sub(1);
        let mut state = TableState::default().with_selected(Some(s.sel.saturating_sub(s.offset)));
        if s.subject.is_some() {
            if s.entries.is_empty() {
                f.render_widget(
                    Paragraph::new(Line::styled(
                        " Nothing: no entry names this subject or was signed with their key."
                            .to_string(),
                        t.dim(),
                    )),
                    list,
                );
                return;
            }
            let rows: Vec<TRow> = window(&s.entries, s.offset, height)
                .iter()
                .map(|d| {
                    let (pd, sym) = personal_data_text(d);
                    TRow::new([
                        Cell::from(Line::from(d.seq.to_string()).alignment(Alignment::Right)),
                        Cell::from(time(&d.occurred_at, false)),
                        Cell::from(fit(d.event_type, 21)),
                        Cell::from(match (d.appears_as.subject, d.appears_as.author) {
                            (true, true) => "both",
                            (false, true) => "author",
                            _ => "subject",
                        }),
                        Cell::from(Span::styled(pd, sym_style(&t, sym))),
                        Cell::from(fields_text(d)),
                    ])
                })
                .collect();
            let widths = vec![
                Constraint::Length(5),
                Constraint::Length(16),
                Constraint::Length(21),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Fill(1),
            ];
            let header = TRow::new(["seq", "occurred (UTC)", "type", "as", "personal", "fields"]);
            f.render_stateful_widget(table(rows, widths, header, &t), list, &mut state);
        } else {
            if requests.is_empty() {
                f.render_widget(
                    Paragraph::new(Line::styled(
                        " No subject-rights request is on the ledger.".to_string(),
                        t.dim(),
                    )),
                    list,
                );
                return;
            }
            let narrow = list.width < 110;
            let rows: Vec<TRow> = window(&requests, s.offset, height)
                .iter()
                .map(|r| TRow::new(request_cells(r, &t, narrow)))
                .collect();
            let (widths, header) = if narrow {
                (
                    vec![
                        Constraint::Length(12),
                        Constraint::Length(13),
                        Constraint::Length(10),
                        Constraint::Length(10),
                        Constraint::Fill(1),
                    ],
                    TRow::new(["request", "right", "subject", "due", "status"]),
                )
            } else {
                (
                    vec![
                        Constraint::Length(12),
                        Constraint::Length(13),
                        Constraint::Length(22),
                        Constraint::Length(10),
                        Constraint::Length(10),
                        Constraint::Fill(1),
                    ],
                    TRow::new([
                        "request",
                        "right",
                        "data subject",
                        "received",
                        "due",
                        "status",
                    ]),
                )
            };
            f.render_stateful_widget(table(rows, widths, header, &t), list, &mut state);
        }
    }

    /// The Reviews screen's first line (both views).
    fn reviews_title(&self) -> Line<'static> {
        let t = self.theme;
        let r = &self.revs;
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

    pub(crate) fn draw_reviews(&self, f: &mut Frame, body: Rect) {
        let t = self.theme;
        let r = &self.revs;
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
            f.render_widget(Paragraph::new(self.reviews_title()), head);
            f.render_widget(
                Paragraph::new(Line::styled(format!(" {msg}"), t.dim())),
                main,
            );
            return;
        }
        if r.campaign().is_some() {
            self.draw_review_items(f, body);
        } else {
            self.draw_campaigns(f, body);
        }
    }

    /// The list of campaigns: each with its due date, default, title and progress; below, the
    /// selected one's opening, scope and reviewers.
    fn draw_campaigns(&self, f: &mut Frame, body: Rect) {
        let t = self.theme;
        let r = &self.revs;
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
        f.render_widget(Paragraph::new(self.reviews_title()), head);
        f.render_widget(Paragraph::new(summary), sum);
        if rows.is_empty() {
            let msg = format!(
                "No access-review campaign as of {}; open one with `igl review open`.",
                igl_ledger::compliance::time::uk_text(r.as_of)
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
    fn review_item_parts(&self, width: u16) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let t = self.theme;
        let r = &self.revs;
        let w = width.saturating_sub(2) as usize;
        let now = r.as_of;
        let mut head = vec![self.reviews_title()];
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
                    igl_ledger::compliance::time::uk_date(i.granted.at),
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
    fn draw_review_items(&self, f: &mut Frame, body: Rect) {
        let t = self.theme;
        let r = &self.revs;
        let now = r.as_of;
        let (head, panel) = self.review_item_parts(body.width);
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

    /// Keeps the compliance, subject and review lists' selections visible (before each frame).
    pub(crate) fn prepare_lists(&mut self, body: Rect) {
        // The findings list: body minus the heading (2), the rule title (1), the header (1),
        // the gap and up to 4 lines of the finding's detail.
        let findings_h = body.height.saturating_sub(3 + 1 + 1 + 1 + 4) as usize;
        self.comp.scroll_findings(findings_h);
        let head = if self.subj.subject.is_some() {
            1 + self.subj.requests_shown().len().clamp(1, 3)
        } else {
            1 + wrap(SUBJECT_HINT, body.width.saturating_sub(2) as usize).len()
        };
        let list_h = (body.height as usize).saturating_sub(head + 1 + 1);
        self.subj.scroll(list_h);
        if self.revs.campaign().is_some() {
            // The items list: body minus the heading, two gaps, the table header and the panel.
            let (head, panel) = self.review_item_parts(body.width);
            let items_h = (body.height as usize).saturating_sub(head.len() + panel.len() + 3);
            self.revs.scroll_items(items_h);
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
