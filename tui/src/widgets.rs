//! Drawing helpers the shell, the overlays and the screens share.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{HighlightSpacing, Row as TRow, Table};

use crate::text::wrap;
use crate::theme::Theme;

/// A `width`×`height` box in the middle of `area` (smaller if `area` is).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A list's table: a styled header, the selection marked with `›`.
pub fn table<'a>(
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

/// ✔ reads well, ⚠ needs a look, anything else is bad.
pub fn sym_style(t: &Theme, sym: char) -> Style {
    match sym {
        '✔' => t.ok(),
        '⚠' => t.warn(),
        _ => t.bad(),
    }
}

/// Lines of `text` wrapped to `width` after a one-space margin, all in `style`.
pub fn wrapped(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), style))
        .collect()
}

/// `1 item`, `2 items`.
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The rows of a list that fit in `height` (below a header), from `offset`.
pub fn window<T>(items: &[T], offset: usize, height: u16) -> &[T] {
    let start = offset.min(items.len());
    let end = (start + height as usize).min(items.len());
    &items[start..end]
}
