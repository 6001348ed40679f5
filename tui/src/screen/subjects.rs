//! The Subjects screen: the subject-rights requests and their clocks, a subject looked up
//! through the subject index (everything the ledger holds about them), their entries shown in
//! the timeline (`Enter`), and their SAR pack written to a directory (`e`).

use igl_ledger::subject::requests::RequestStatus;
use igl_ledger::subject::sar::{Disclosure, PersonalData};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TRow, TableState};

use super::{Component, list_step};
use crate::ctx::{Cmd, Ctx, Level};
use crate::keymap::{Action, Context};
use crate::overlay::PromptKind;
use crate::subject::SubjectView;
use crate::text::{fit, time, wrap};
use crate::theme::Theme;
use crate::widgets::{sym_style, table, window};

const SUBJECT_HINT: &str = "/ looks a subject up (everything the ledger holds about them); Enter on a request looks its data subject up.";

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

impl SubjectView {
    /// What a submitted prompt of the Subjects screen's does.
    pub fn submit(&mut self, ctx: &mut Ctx, kind: PromptKind, text: &str) {
        match kind {
            PromptKind::Export => {
                let Some(subject) = self.subject.clone() else {
                    return;
                };
                if text.is_empty() {
                    return;
                }
                match ctx.source.write_pack(&subject, std::path::Path::new(text)) {
                    Ok(p) => ctx.say(
                        Level::Ok,
                        format!(
                            "✔ wrote the SAR pack for {} to {}: {} entries ({} proved in full, {} by hash); check it with igl verify-bundle {}",
                            p.subject,
                            p.dir.display(),
                            p.counts.entries,
                            p.counts.proved_in_full,
                            p.counts.proved_by_hash,
                            p.dir.display()
                        ),
                    ),
                    Err(e) => ctx.say(Level::Bad, format!("✘ {e}")),
                }
            }
            PromptKind::LookUp => {
                if text.is_empty() {
                    self.clear();
                    return;
                }
                self.say_look_up(ctx, text);
            }
            _ => {}
        }
    }

    fn say_look_up(&mut self, ctx: &mut Ctx, text: &str) {
        match self.look_up(&*ctx.source, text) {
            Ok(m) => ctx.say(Level::Ok, m),
            Err(e) => ctx.say(Level::Bad, format!("✘ {e}")),
        }
    }

    fn draw_subjects(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let s = self;
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
                            igl_ledger::time::uk_date(ctx.now)
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
}

impl Component for SubjectView {
    fn context(&self) -> Context {
        Context::Subjects
    }

    fn handle(&mut self, ctx: &mut Ctx, action: Action) -> Cmd {
        if let Some(delta) = list_step(action, ctx) {
            self.step(delta);
            return Cmd::None;
        }
        match action {
            Action::LookUp | Action::Search | Action::FilterSubject => {
                return Cmd::Prompt(PromptKind::LookUp, String::new());
            }
            Action::Open => {
                if let Some(s) = self.subject.clone() {
                    let Some(d) = self.entries.get(self.sel) else {
                        return Cmd::None;
                    };
                    let seq = d.seq;
                    let seqs = self.entries.iter().map(|d| d.seq).collect();
                    let label = format!("held about {s}");
                    return Cmd::ShowEntries { label, seqs, seq };
                }
                let Some(r) = self.all_requests().get(self.sel).copied() else {
                    return Cmd::None;
                };
                let text = r.data_subject.to_string();
                self.say_look_up(ctx, &text);
            }
            Action::Export => match &self.subject {
                None => ctx.say(
                    Level::Info,
                    "look a subject up first (/), then e writes their SAR pack".into(),
                ),
                Some(s) => {
                    let id: String = s
                        .id()
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '-' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    let text = format!("sar-pack-{id}-{}", igl_ledger::time::uk_date(ctx.now));
                    return Cmd::Prompt(PromptKind::Export, text);
                }
            },
            Action::Back => {
                if self.subject.is_some() {
                    self.clear();
                } else {
                    return Cmd::Back;
                }
            }
            _ => {}
        }
        Cmd::None
    }

    /// Reads the requests (their clocks run as of now) each time the screen shows.
    fn show(&mut self, ctx: &mut Ctx) {
        self.load_requests(&*ctx.source, ctx.now);
    }

    fn prepare(&mut self, _ctx: &mut Ctx, body: Rect, _shown: bool) {
        let head = if self.subject.is_some() {
            1 + self.requests_shown().len().clamp(1, 3)
        } else {
            1 + wrap(SUBJECT_HINT, body.width.saturating_sub(2) as usize).len()
        };
        let list_h = (body.height as usize).saturating_sub(head + 1 + 1);
        self.scroll(list_h);
    }

    fn draw(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        self.draw_subjects(f, body, ctx);
    }

    fn tab(&self) -> String {
        "Subjects".to_string()
    }
}
