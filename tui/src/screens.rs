//! Drawing the compliance dashboard and the subject screen (the timeline, detail and verify
//! screens are in [`crate::ui`]). Pure functions of the state, reading nothing.

use igl_ledger::compliance::{Finding, Status};
use igl_ledger::requests::RequestStatus;
use igl_ledger::sar::{Disclosure, PersonalData};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row as TRow, Table, TableState};

use crate::app::App;
use crate::compliance::{AuditState, Pane};
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
            .map(|r| {
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
                    Cell::from(Span::styled(format!("{sym} {}", r.rule.id), style)),
                    n(r.open),
                    n(r.resolved),
                    n(r.occurred),
                    Cell::from(r.rule.title),
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

    /// Keeps the compliance and subject lists' selections visible (before each frame).
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
    }
}
