//! The Timeline screen: every entry (or a filter's matches), the selection and the window
//! around it, the filters' prompts, `/` search, and the entry detail opened over it. The
//! background steps (filter scan, search) are in `scan`, the drawing in `draw`.

use std::collections::HashMap;
use std::time::Instant;

use igl_schema::Event;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::Component;
use super::detail::DetailPane;
use crate::ctx::{Cmd, Ctx, Level};
use crate::keymap::{Action, Context};
use crate::overlay::PromptKind;
use crate::text::thousands;
use crate::timeline::{Filter, Row, View};

mod draw;
mod scan;

pub use scan::{SEARCH_CAP, SearchJob};

/// Rows kept in the row cache beyond the visible window.
const ROW_CACHE: usize = 512;

/// The timeline's rows (below the header).
pub fn rows_area(body: Rect) -> Rect {
    Rect {
        y: body.y + 1.min(body.height),
        height: body.height.saturating_sub(1),
        ..body
    }
}

/// The timeline's state.
pub struct TimelineScreen {
    pub filter: Filter,
    pub view: View,
    /// The selected position in the view.
    pub cursor: u64,
    /// The first visible position.
    pub offset: u64,
    /// Rows read so far, by seq (only around the visible window).
    pub rows: HashMap<u64, Row>,
    /// The search text, as typed.
    pub query: Option<String>,
    pub search: Option<SearchJob>,
    /// Where a search that hit [`SEARCH_CAP`] stopped: (forward, next position).
    pub resume: Option<(bool, Option<u64>)>,
    /// The first bad seq, after a failed verification.
    pub bad: Option<u64>,
    /// The entry open over the timeline.
    pub detail: DetailPane,
}

impl TimelineScreen {
    /// Every entry of a ledger of `count`.
    pub fn new(count: u64) -> TimelineScreen {
        TimelineScreen {
            filter: Filter::default(),
            view: View::All { count },
            cursor: 0,
            offset: 0,
            rows: HashMap::new(),
            query: None,
            search: None,
            resume: None,
            bad: None,
            detail: DetailPane::default(),
        }
    }

    /// The selected entry's seq.
    pub fn cursor_seq(&self) -> Option<u64> {
        self.view.seq_at(self.cursor)
    }

    /// Whether background work is under way: the filter scan, a search, the checkpoint search.
    pub fn busy(&self) -> bool {
        !self.view.complete() || self.search.is_some() || self.detail.busy()
    }

    /// Advances the filter scan, a search and the checkpoint search by a bounded step.
    pub fn tick(&mut self, ctx: &mut Ctx, deadline: Instant) {
        self.filter_step(ctx);
        self.search_step(ctx, deadline);
        self.detail.checkpoint_step(ctx, deadline);
    }

    fn detail_action(&mut self, ctx: &mut Ctx, action: Action) {
        match action {
            Action::PrevEntry | Action::NextEntry => {
                let forward = action == Action::NextEntry;
                let cur = self.cursor;
                let target = if forward {
                    cur.checked_add(1)
                } else {
                    cur.checked_sub(1)
                };
                match target.and_then(|p| self.view.seq_at(p).map(|s| (p, s))) {
                    Some((pos, seq)) => {
                        self.set_cursor(ctx, pos);
                        self.detail.open(ctx, seq);
                    }
                    None if forward && !self.view.complete() => ctx.say(
                        Level::Info,
                        "still filtering: no later match found yet".into(),
                    ),
                    None => ctx.say(
                        Level::Info,
                        if forward {
                            "this is the last entry"
                        } else {
                            "this is the first entry"
                        }
                        .into(),
                    ),
                }
            }
            Action::SearchNext => self.search_again(ctx, true),
            Action::SearchPrev => self.search_again(ctx, false),
            _ => self.detail.handle(&ctx.vp, action),
        }
    }

    /// What a submitted prompt of the timeline's does.
    pub fn submit(&mut self, ctx: &mut Ctx, kind: PromptKind, text: &str) {
        match kind {
            PromptKind::Search => {
                if !text.is_empty() {
                    self.query = Some(text.to_string());
                }
                if self.query.is_some() {
                    self.start_search(ctx, true);
                }
            }
            PromptKind::Subject => {
                let subject = if text.is_empty() {
                    None
                } else {
                    match Filter::parse_subject(text) {
                        Ok(s) => Some(s),
                        Err(e) => return ctx.say(Level::Bad, format!("✘ {e}")),
                    }
                };
                let mut f = self.filter.clone();
                f.subject = subject;
                f.seqs = None;
                self.set_filter(ctx, f);
            }
            PromptKind::Author => {
                let author = if text.is_empty() {
                    None
                } else if igl_schema::PersonId::new(text).is_ok() {
                    Some(text.to_string())
                } else {
                    return ctx.say(Level::Bad, format!("✘ {text:?} is not a person id"));
                };
                let mut f = self.filter.clone();
                f.author = author;
                f.seqs = None;
                self.set_filter(ctx, f);
            }
            PromptKind::Dates => {
                let (from, to) = if text.is_empty() {
                    (None, None)
                } else {
                    match Filter::parse_dates(text) {
                        Ok(r) => r,
                        Err(e) => return ctx.say(Level::Bad, format!("✘ {e}")),
                    }
                };
                let mut f = self.filter.clone();
                f.from = from;
                f.to = to;
                f.seqs = None;
                self.set_filter(ctx, f);
            }
            PromptKind::GoTo => {
                let digits: String = text.chars().filter(|c| !matches!(c, ',' | '_')).collect();
                let Ok(seq) = digits.parse::<u64>() else {
                    return ctx.say(Level::Bad, format!("✘ {text:?} is not a seq"));
                };
                let count = ctx.source.entry_count();
                if seq >= count {
                    return ctx.say(
                        Level::Bad,
                        format!(
                            "✘ no seq {seq}: the ledger has seq 0..={}",
                            count.saturating_sub(1)
                        ),
                    );
                }
                self.go_to_seq(ctx, seq);
            }
            PromptKind::AsOf | PromptKind::LookUp | PromptKind::Export => {}
        }
    }

    /// The type picker chose `ty` (`None`: any type).
    pub fn set_type(&mut self, ctx: &mut Ctx, ty: Option<&'static str>) {
        let mut f = self.filter.clone();
        f.ty = ty;
        f.seqs = None;
        self.set_filter(ctx, f);
    }

    /// Selects `seq`; if the filter hides it, says so and selects the next match instead.
    fn go_to_seq(&mut self, ctx: &mut Ctx, seq: u64) {
        match self.view.pos_of(seq) {
            Ok(pos) => self.jump_to(ctx, pos),
            Err(pos) if pos >= self.view.len() && !self.view.complete() => {
                ctx.say(
                    Level::Warn,
                    format!("⚠ the filter has not reached seq {seq} yet"),
                );
            }
            Err(pos) => {
                if pos < self.view.len() {
                    self.jump_to(ctx, pos);
                }
                ctx.say(
                    Level::Warn,
                    format!(
                        "⚠ seq {seq} does not match the filter ({})",
                        self.filter.describe()
                    ),
                );
            }
        }
    }

    /// Shows exactly `seqs`, with `seq` open in the detail.
    pub fn show_entries(&mut self, ctx: &mut Ctx, label: String, seqs: Vec<u64>, seq: u64) {
        self.set_filter(ctx, Filter::seqs(label, seqs));
        if let Ok(pos) = self.view.pos_of(seq) {
            self.jump_to(ctx, pos);
            self.detail.open(ctx, seq);
        }
    }

    /// Shows the entry verification failed at (clearing filters that hide it) and says why.
    pub fn show_failure(&mut self, ctx: &mut Ctx, seq: u64, message: String) {
        let count = ctx.source.entry_count();
        // A failure past the end (entries removed from the end) shows the last entry.
        let seq = seq.min(count.saturating_sub(1));
        if self.view.pos_of(seq).is_err() {
            self.set_filter(ctx, Filter::default());
            ctx.say(Level::Info, "filters cleared to show the failure".into());
        }
        self.detail.close();
        self.go_to_seq(ctx, seq);
        ctx.say(Level::Bad, message);
    }

    /// A click at `row` of the screen selects the timeline row there.
    pub fn click(&mut self, ctx: &mut Ctx, row: u16) {
        let r = ctx.vp.rows;
        if !self.detail.is_open() && row >= r.y && row < r.y + r.height {
            let pos = self.offset + u64::from(row - r.y);
            if pos < self.view.len() {
                self.set_cursor(ctx, pos);
            }
        }
    }

    // ----- the selection and the window -----

    /// Selects a position (clamped), scrolling the window to keep it visible.
    fn set_cursor(&mut self, ctx: &Ctx, pos: u64) {
        let len = self.view.len();
        self.cursor = pos.min(len.saturating_sub(1));
        self.scroll_to_cursor(ctx);
    }

    /// Scrolls the window and the selection together by `n` rows (the selection keeps its place
    /// on screen, as in less and vim), stopping at the ends.
    fn scroll_by(&mut self, ctx: &Ctx, n: u64, down: bool) {
        let h = u64::from(ctx.vp.rows.height.max(1));
        let len = self.view.len();
        if down {
            self.offset = (self.offset + n).min(len.saturating_sub(h));
            self.cursor = (self.cursor + n).min(len.saturating_sub(1));
        } else {
            self.offset = self.offset.saturating_sub(n);
            self.cursor = self.cursor.saturating_sub(n);
        }
        self.scroll_to_cursor(ctx);
    }

    /// Selects a position far from the current one (search hit, go to, failure), with the row
    /// in the middle of the window so what is around it shows too.
    fn jump_to(&mut self, ctx: &Ctx, pos: u64) {
        let h = u64::from(ctx.vp.rows.height.max(1));
        let len = self.view.len();
        self.cursor = pos.min(len.saturating_sub(1));
        let visible = self.cursor >= self.offset && self.cursor < self.offset + h;
        if !visible {
            self.offset = self.cursor.saturating_sub(h / 2);
        }
        self.scroll_to_cursor(ctx);
    }

    fn scroll_to_cursor(&mut self, ctx: &Ctx) {
        let h = u64::from(ctx.vp.rows.height.max(1));
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        // No empty space below the last row when the view is longer than the window.
        let len = self.view.len();
        if len >= h && self.offset > len - h {
            self.offset = len - h;
        }
    }

    // ----- filters -----

    fn set_filter(&mut self, ctx: &mut Ctx, filter: Filter) {
        let keep = self.cursor_seq();
        self.search = None;
        self.filter = filter;
        let indexed = self.indexed(ctx);
        self.view = View::new(&self.filter, ctx.source.entry_count(), indexed);
        if self.filter.seqs.is_none()
            && !self.filter.is_empty()
            && self.view.complete()
            && self.view.is_empty()
        {
            // The indexes answered at once, with nothing.
            let d = self.filter.describe();
            ctx.say(Level::Warn, format!("⚠ no entry matches {d}"));
        }
        self.cursor = 0;
        self.offset = 0;
        if self.filter.is_empty()
            && let Some(seq) = keep
        {
            // Back to every entry: stay on the entry that was selected.
            self.set_cursor(ctx, seq);
        }
        self.detail.close();
    }

    /// The entries the indexes select for the filter's type and subject, when it has either
    /// (and is not a list of seqs). If the indexes cannot be read, says so and returns `None`:
    /// the filter then scans every entry.
    fn indexed(&mut self, ctx: &mut Ctx) -> Option<Vec<u64>> {
        let f = &self.filter;
        if f.seqs.is_some() || (f.ty.is_none() && f.subject.is_none()) {
            return None;
        }
        match ctx.source.select(f.ty, f.subjects().as_deref()) {
            Ok(seqs) => seqs,
            Err(e) => {
                ctx.say(
                    Level::Warn,
                    format!(
                        "⚠ the indexes could not be read ({e}): filtering by reading every entry"
                    ),
                );
                None
            }
        }
    }

    /// Reopens the ledger: what was appended since shows, the selection stays.
    fn reload(&mut self, ctx: &mut Ctx) {
        let before = ctx.source.entry_count();
        let keep = self.cursor_seq();
        if let Err(e) = ctx.source.reload() {
            return ctx.say(Level::Bad, format!("✘ could not reopen the ledger: {e}"));
        }
        let count = ctx.source.entry_count();
        self.rows.clear();
        ctx.authors = Default::default();
        self.search = None;
        self.detail.checkpoint = crate::detail::CheckpointState::Unknown;
        let indexed = self.indexed(ctx);
        self.view = View::new(&self.filter, count, indexed);
        self.cursor = 0;
        self.offset = 0;
        if let (Some(seq), View::All { .. }) = (keep, &self.view) {
            self.set_cursor(ctx, seq);
        }
        if let Some(seq) = self.detail.seq() {
            self.detail.open(ctx, seq.min(count.saturating_sub(1)));
        }
        ctx.say(
            Level::Ok,
            format!(
                "✔ reloaded: {} entries ({} new)",
                thousands(count),
                thousands(count.saturating_sub(before))
            ),
        );
    }

    // ----- before each frame -----

    fn load_visible_rows(&mut self, ctx: &mut Ctx) {
        let first = self.offset;
        let n = u64::from(ctx.vp.rows.height);
        let visible: Vec<u64> = (first..first + n)
            .map_while(|p| self.view.seq_at(p))
            .collect();
        for &seq in &visible {
            if self.rows.contains_key(&seq) {
                continue;
            }
            let row = match ctx.source.entry(seq) {
                Ok(Some(e)) => {
                    let author = ctx.author(&e.entry.event.body.author);
                    Row::new(&e, author.as_ref())
                }
                Ok(None) => Row::unreadable(seq, "no entry stored at this seq".into()),
                Err(e) => Row::unreadable(seq, e.to_string()),
            };
            self.rows.insert(seq, row);
        }
        if self.rows.len() > ROW_CACHE + visible.len() {
            self.rows.retain(|s, _| visible.contains(s));
        }
    }

    /// The status line's right side on any screen: the background work under way.
    pub fn work(&self) -> Vec<String> {
        let mut right = Vec::new();
        if let Some(j) = &self.search {
            right.push(format!("searching… {} checked", thousands(j.checked)));
        }
        if !self.view.complete() {
            right.push(format!("filtering {:.0}%…", self.view.scanned() * 100.0));
        }
        right
    }

    /// The status line's right side on this screen: the position.
    pub fn position(&self, ctx: &Ctx) -> Option<String> {
        if self.detail.is_open() {
            return self.detail.position(&ctx.vp);
        }
        if self.view.is_empty() {
            return None;
        }
        let of = if self.view.complete() {
            thousands(self.view.len())
        } else {
            format!("{}+", thousands(self.view.len()))
        };
        Some(format!("{}/{of}", thousands(self.cursor + 1)))
    }

    /// The status line's left side when it has no message: the filter and the search.
    pub fn hint(&self) -> String {
        let mut parts = Vec::new();
        if !self.filter.is_empty() {
            parts.push(format!(
                "filter: {} ({}{} match{})",
                self.filter.describe(),
                thousands(self.view.len()),
                if self.view.complete() { "" } else { " so far" },
                if self.view.len() == 1 { "" } else { "es" }
            ));
        }
        if let Some(q) = &self.query {
            parts.push(format!("search {q:?} (n/N)"));
        }
        parts.join(" · ")
    }
}

impl Component for TimelineScreen {
    fn context(&self) -> Context {
        if self.detail.is_open() {
            Context::Detail
        } else {
            Context::Timeline
        }
    }

    fn handle(&mut self, ctx: &mut Ctx, action: Action) -> Cmd {
        if self.detail.is_open() {
            self.detail_action(ctx, action);
            return Cmd::None;
        }
        let page = u64::from(ctx.vp.rows.height.max(1));
        let len = self.view.len();
        let cur = self.cursor;
        match action {
            Action::Down => self.set_cursor(ctx, cur.saturating_add(1)),
            Action::Up => self.set_cursor(ctx, cur.saturating_sub(1)),
            Action::Top => self.set_cursor(ctx, 0),
            Action::Bottom => self.set_cursor(ctx, len.saturating_sub(1)),
            Action::HalfPageDown => self.scroll_by(ctx, page / 2, true),
            Action::HalfPageUp => self.scroll_by(ctx, page / 2, false),
            Action::PageDown => self.scroll_by(ctx, page, true),
            Action::PageUp => self.scroll_by(ctx, page, false),
            Action::Open => {
                if let Some(seq) = self.cursor_seq() {
                    self.detail.open(ctx, seq);
                }
            }
            Action::Search => return Cmd::Prompt(PromptKind::Search, String::new()),
            Action::SearchNext => self.search_again(ctx, true),
            Action::SearchPrev => self.search_again(ctx, false),
            Action::GoTo => return Cmd::Prompt(PromptKind::GoTo, String::new()),
            Action::FilterType => {
                let sel = self
                    .filter
                    .ty
                    .and_then(|t| Event::TYPES.iter().position(|x| *x == t))
                    .map_or(0, |i| i + 1);
                return Cmd::Picker(sel);
            }
            Action::FilterSubject => {
                let text = self.filter.subject.clone().unwrap_or_default();
                return Cmd::Prompt(PromptKind::Subject, text);
            }
            Action::FilterAuthor => {
                let text = self.filter.author.clone().unwrap_or_default();
                return Cmd::Prompt(PromptKind::Author, text);
            }
            Action::FilterDates => {
                let f = &self.filter;
                let text = match (f.from, f.to) {
                    (None, None) => String::new(),
                    (a, b) => format!(
                        "{}..{}",
                        a.map(|d| d.to_string()).unwrap_or_default(),
                        b.map(|d| d.to_string()).unwrap_or_default()
                    ),
                };
                return Cmd::Prompt(PromptKind::Dates, text);
            }
            Action::ClearFilters => {
                if self.search.take().is_some() {
                    ctx.say(Level::Info, "search cancelled".into());
                } else if !self.filter.is_empty() {
                    self.set_filter(ctx, Filter::default());
                } else {
                    self.query = None;
                }
            }
            Action::Reload => self.reload(ctx),
            _ => {}
        }
        Cmd::None
    }

    fn prepare(&mut self, ctx: &mut Ctx, body: Rect, shown: bool) {
        ctx.vp.rows = rows_area(body);
        self.scroll_to_cursor(ctx);
        self.detail.prepare(ctx, body);
        if shown && !self.detail.is_open() {
            self.load_visible_rows(ctx);
        }
    }

    fn draw(&self, f: &mut Frame, body: Rect, ctx: &Ctx) {
        if self.detail.is_open() {
            let pos = self.cursor;
            let prev = pos.checked_sub(1).and_then(|p| self.view.seq_at(p));
            let next = self.view.seq_at(pos + 1);
            self.detail.draw(f, body, ctx, prev, next);
        } else {
            self.draw_rows(f, body, ctx);
        }
    }

    fn tab(&self) -> String {
        match self.detail.seq() {
            Some(seq) => format!("Timeline › seq {seq}"),
            None => "Timeline".to_string(),
        }
    }
}
