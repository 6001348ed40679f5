//! What opens over a screen: the help, the type picker and the one-line prompts. Their keys
//! and their drawing; what a chosen type or a submitted prompt does is the shell's to route.

use igl_schema::Event;
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};

use crate::keymap::{self, Action, MOUSE_HELP};
use crate::text::wrap;
use crate::theme::Theme;
use crate::widgets::centered;

/// What a prompt asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Subject,
    GoTo,
    AsOf,
    LookUp,
    Author,
    Dates,
    Export,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Search => "/",
            PromptKind::Subject => "subject (person:ID, service-user:ID or an id; empty clears): ",
            PromptKind::GoTo => "go to seq: ",
            PromptKind::AsOf => "as of (YYYY-MM-DD for the end of that day, or RFC 3339): ",
            PromptKind::LookUp => "look up (person id P00106, service user SU-000142): ",
            PromptKind::Author => "author's person id (empty clears): ",
            PromptKind::Export => "write the SAR pack to (a new or empty directory): ",
            PromptKind::Dates => "recorded (YYYY-MM-DD, FROM..TO, FROM.. or ..TO; empty clears): ",
        }
    }
}

/// What is open over the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    /// The type picker; `sel` 0 is "any type", then `Event::TYPES`.
    Picker {
        sel: usize,
    },
    Prompt {
        kind: PromptKind,
        text: String,
    },
}

/// What closing an overlay chose.
pub enum Chosen {
    Nothing,
    /// The picker's type (`None`: any type).
    Type(Option<&'static str>),
    /// A prompt's text, trimmed.
    Prompt(PromptKind, String),
}

impl Overlay {
    /// Performs `action` in the open overlay; `help_max` is how far the help scrolls.
    pub fn handle(&mut self, action: Action, help_max: u16) -> Chosen {
        match self {
            Overlay::None => {}
            Overlay::Help { scroll } => match action {
                Action::Down => *scroll = (*scroll + 1).min(help_max),
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Back => *self = Overlay::None,
                _ => {}
            },
            Overlay::Picker { sel } => {
                let last = Event::TYPES.len();
                match action {
                    Action::Down => *sel = (*sel + 1).min(last),
                    Action::Up => *sel = sel.saturating_sub(1),
                    Action::Top => *sel = 0,
                    Action::Bottom => *sel = last,
                    Action::Open => {
                        let ty = sel.checked_sub(1).map(|i| Event::TYPES[i]);
                        *self = Overlay::None;
                        return Chosen::Type(ty);
                    }
                    Action::Back => *self = Overlay::None,
                    _ => {}
                }
            }
            Overlay::Prompt { kind, text } => match action {
                Action::Input(c) => text.push(c),
                Action::DeleteChar => {
                    text.pop();
                }
                Action::ClearInput => text.clear(),
                Action::Back => *self = Overlay::None,
                Action::Open => {
                    let (kind, text) = (*kind, std::mem::take(text));
                    *self = Overlay::None;
                    return Chosen::Prompt(kind, text.trim().to_string());
                }
                _ => {}
            },
        }
        Chosen::Nothing
    }

    /// Draws the help or the picker over `area` (a prompt is drawn on the status line);
    /// `ty` is the timeline's type filter, marked in the picker.
    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, ty: Option<&'static str>) {
        match self {
            Overlay::Help { scroll } => draw_help(f, area, t, *scroll),
            Overlay::Picker { sel } => draw_picker(f, area, t, *sel, ty),
            Overlay::Prompt { .. } | Overlay::None => {}
        }
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

fn draw_help(f: &mut Frame, area: Rect, t: &Theme, scroll: u16) {
    let (lines, inner) = help_layout(t, area);
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
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}

fn draw_picker(f: &mut Frame, area: Rect, t: &Theme, sel: usize, current: Option<&'static str>) {
    let items: Vec<ListItem> = std::iter::once("(any type)")
        .chain(Event::TYPES.iter().copied())
        .map(|ty| {
            let mark = if current == Some(ty) || (ty == "(any type)" && current.is_none()) {
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
