//! The shell's drawing: the frame's parts, the tab bar, the status line and the key bar. Pure
//! functions of what they are given; the screens draw themselves (`crate::screen`).
//!
//! Layout, top to bottom: the tab bar, the screen, a status line, the key bar. The key bar is
//! generated from [`crate::keymap::KEYMAP`].

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ctx::Level;
use crate::keymap::{self, Context};
use crate::text::{fit, thousands};
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

fn level_style(t: &Theme, l: Level) -> Style {
    match l {
        Level::Info => t.plain(),
        Level::Ok => t.ok(),
        Level::Warn => t.warn(),
        Level::Bad => t.bad(),
    }
}

/// Whether `area` is too small to draw in; if so, says so in it.
pub fn too_small(f: &mut Frame, area: Rect) -> bool {
    if area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT {
        return false;
    }
    f.render_widget(
        Paragraph::new(format!(
            "The terminal is too small ({}×{}); igl tui needs {MIN_WIDTH}×{MIN_HEIGHT}. q quits.",
            area.width, area.height
        ))
        .wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
    true
}

/// One tab of the tab bar.
pub struct Tab {
    /// `[Label]` when active, ` Label ` otherwise.
    pub text: String,
    pub active: bool,
    /// The column it starts at, and its width.
    pub x: u16,
    pub width: u16,
}

/// The tab bar's tabs from their (label, active) pairs, in order.
pub fn tabs(labels: impl IntoIterator<Item = (String, bool)>) -> Vec<Tab> {
    let mut x = TABS_START;
    let mut out = Vec::new();
    for (label, active) in labels {
        let text = if active {
            format!("[{label}]")
        } else {
            format!(" {label} ")
        };
        let width = Line::from(text.as_str()).width() as u16;
        out.push(Tab {
            text,
            active,
            x,
            width,
        });
        x += width + 1;
    }
    out
}

/// The tab bar, with the ledger's name and size on the right.
pub fn draw_tabs(f: &mut Frame, area: Rect, t: &Theme, tabs: Vec<Tab>, name: &str, count: u64) {
    let mut spans = vec![Span::styled(" igl ", t.title())];
    for tab in tabs {
        if tab.active {
            spans.push(Span::styled(tab.text, t.tab_active()));
        } else {
            spans.push(Span::raw(tab.text));
        }
        spans.push(Span::raw(" "));
    }
    let left = Line::from(spans);
    let lw = left.width() as u16;
    f.render_widget(Paragraph::new(left), area);
    let right = format!("{name} · {} entries · read-only ", thousands(count));
    let room = area.width.saturating_sub(lw + 1) as usize;
    // When the whole text does not fit, the entry count alone; then nothing.
    let short = format!("{} entries ", thousands(count));
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

/// What the status line shows.
pub struct Status<'a> {
    /// An open prompt: its label and the text typed so far.
    pub prompt: Option<(&'static str, &'a str)>,
    pub message: Option<&'a (Level, String)>,
    /// Without a prompt or a message: what the screen shows, dimmed (`None`: nothing).
    pub hint: Option<String>,
    /// On the right: position and background work.
    pub right: Vec<String>,
}

pub fn draw_status(f: &mut Frame, area: Rect, t: &Theme, s: Status) {
    let right = format!("{} ", s.right.join(" · "));
    let rw = right.chars().count() as u16;

    // Left: a prompt, a message, or what the screen shows.
    let left: Line = if let Some((label, text)) = s.prompt {
        let x = area.x + 1 + (label.chars().count() + text.chars().count()) as u16;
        if x < area.x + area.width {
            f.set_cursor_position((x, area.y));
        }
        Line::from(vec![
            Span::styled(format!(" {label}"), t.key()),
            Span::raw(text.to_string()),
        ])
    } else if let Some((level, msg)) = s.message {
        let room = area.width.saturating_sub(rw + 2) as usize;
        Line::styled(format!(" {}", fit(msg, room)), level_style(t, *level))
    } else if let Some(hint) = s.hint {
        let room = area.width.saturating_sub(rw + 2) as usize;
        Line::styled(format!(" {}", fit(&hint, room)), t.dim())
    } else {
        Line::default()
    };
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(rw)])
        .spacing(1)
        .areas(area);
    f.render_widget(Paragraph::new(left), l);
    f.render_widget(Paragraph::new(Line::styled(right, t.dim())), r);
}

/// The key bar for `contexts`, from the key map.
pub fn draw_keys(f: &mut Frame, area: Rect, t: &Theme, contexts: &[Context]) {
    let items = keymap::bar(contexts);
    // "? help" and "q quit" always show; the rest as many as fit, in key-map order.
    let (tail, head): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|(_, w)| matches!(*w, "help" | "quit"));
    let len = |(k, w): &(String, &str)| k.chars().count() + w.chars().count() + 3;
    let mut room = (area.width as usize).saturating_sub(1 + tail.iter().map(len).sum::<usize>());
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
