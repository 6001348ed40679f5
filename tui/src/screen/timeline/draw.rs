//! Drawing the timeline's rows: a pure function of the state, reading nothing (`prepare` read
//! the visible rows).

use igl_ledger::PayloadState;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row as TRow, Table, TableState};

use super::{TimelineScreen, rows_area};
use crate::ctx::Ctx;
use crate::text::{fit, thousands};

impl TimelineScreen {
    /// The table of entries (the visible window), or why there is none.
    pub(super) fn draw_rows(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let tl = self;
        let count = ctx.source.entry_count();
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
            let rows = rows_area(body);
            f.render_widget(Paragraph::new(Line::styled(text, t.dim())), rows);
            return;
        }

        let rows_area = rows_area(body);
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
}
