//! The application state and what keys do to it. Drawing is in [`crate::ui`]; nothing here
//! touches the terminal, so tests drive an [`App`] directly.
//!
//! The event loop calls, in turn: [`App::prepare`] (read what the next frame shows: the visible
//! rows only), [`App::draw`], then [`App::handle`] / [`App::mouse`] for input, and
//! [`App::tick`] to advance the background work by a bounded step (filter scan, search, the
//! checkpoint search, draining the verify worker's messages).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{
    KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use igl_ledger::{KeyRecord, StoredEntry};
use igl_schema::{Event, PublicKey, Timestamp};
use ratatui::layout::Rect;

use crate::compliance::{Compliance, Pane};
use crate::detail::{CheckpointState, Detail, FoundCheckpoint};
use crate::keymap::{self, Action, Context};
use crate::reviews::Reviews;
use crate::source::Source;
use crate::subject::SubjectView;
use crate::text::thousands;
use crate::theme::Theme;
use crate::timeline::{Filter, Row, View, haystack};
use crate::verify::VerifyState;

/// Entries a filter scan reads per tick.
const FILTER_BATCH: usize = 4096;
/// Entries a search looks at per tick.
const SEARCH_BATCH: usize = 2048;
/// Entries a search looks at before it stops and asks (press `n` to go on).
pub const SEARCH_CAP: u64 = 200_000;
/// Entries the checkpoint search looks back at per tick.
const CHECKPOINT_BATCH: u64 = 2048;
/// A tick's time budget: background work yields to input after this.
const TICK_BUDGET: Duration = Duration::from_millis(30);
/// Rows kept in the row cache beyond the visible window.
const ROW_CACHE: usize = 512;

/// The screens Tab cycles through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Timeline,
    Compliance,
    Subjects,
    Reviews,
    Verify,
}

impl Screen {
    /// Tab's order (and the number keys': `1` is the first).
    pub const ALL: [Screen; 5] = [
        Screen::Timeline,
        Screen::Compliance,
        Screen::Subjects,
        Screen::Reviews,
        Screen::Verify,
    ];
}

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

/// How a status message reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Warn,
    Bad,
}

/// A running search: `next` is the next position to look at (`None`: past the start).
#[derive(Clone, Debug)]
pub struct SearchJob {
    pub forward: bool,
    pub next: Option<u64>,
    pub checked: u64,
}

/// The timeline's state.
pub struct Timeline {
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
}

/// Sizes from the last [`App::prepare`], for page moves and mouse hits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Viewport {
    pub area: Rect,
    /// The timeline's rows area (without the header).
    pub rows: Rect,
    pub detail_height: u16,
    pub detail_lines: u16,
    pub help_height: u16,
    pub help_lines: u16,
}

/// Key records by public key, read once each (a ledger has few keys).
#[derive(Default)]
pub struct Authors(HashMap<PublicKey, Option<KeyRecord>>);

impl Authors {
    /// A key's record; a key that cannot be read shows as not enrolled (the detail's checks say
    /// more).
    pub fn get(&mut self, source: &dyn Source, pk: &PublicKey) -> Option<KeyRecord> {
        if let Some(k) = self.0.get(pk) {
            return k.clone();
        }
        let k = source.key(pk).ok().flatten();
        self.0.insert(*pk, k.clone());
        k
    }
}

/// The TUI's state.
pub struct App {
    pub(crate) source: Box<dyn Source>,
    pub(crate) theme: Theme,
    pub(crate) screen: Screen,
    pub(crate) overlay: Overlay,
    pub(crate) tl: Timeline,
    pub(crate) detail: Option<Detail>,
    pub(crate) verify: VerifyState,
    pub(crate) checkpoint: CheckpointState,
    pub(crate) status: Option<(Level, String)>,
    pub(crate) authors: Authors,
    pub(crate) vp: Viewport,
    pub(crate) comp: Compliance,
    pub(crate) subj: SubjectView,
    pub(crate) revs: Reviews,
    /// "Now": what the compliance and reviews screens and the request clocks start from.
    pub(crate) now: Timestamp,
}

impl App {
    pub fn new(source: Box<dyn Source>, theme: Theme) -> App {
        let count = source.entry_count();
        App {
            source,
            theme,
            screen: Screen::Timeline,
            overlay: Overlay::None,
            tl: Timeline {
                filter: Filter::default(),
                view: View::All { count },
                cursor: 0,
                offset: 0,
                rows: HashMap::new(),
                query: None,
                search: None,
                resume: None,
                bad: None,
            },
            detail: None,
            verify: VerifyState::Idle,
            checkpoint: CheckpointState::Unknown,
            status: None,
            authors: Authors::default(),
            comp: Compliance::new(Timestamp::now()),
            subj: SubjectView::default(),
            revs: Reviews::new(Timestamp::now()),
            now: Timestamp::now(),
            vp: Viewport {
                rows: Rect::new(0, 2, 80, 20),
                detail_height: 20,
                help_height: 20,
                ..Viewport::default()
            },
        }
    }

    /// Sets "now" (tests and snapshots use a fixed instant).
    pub fn with_now(mut self, now: Timestamp) -> App {
        self.now = now;
        self.comp = Compliance::new(now);
        self.subj = SubjectView::default();
        self.revs = Reviews::new(now);
        self
    }

    // ----- what tests and the UI look at -----

    pub fn compliance(&self) -> &Compliance {
        &self.comp
    }
    pub fn subject_view(&self) -> &SubjectView {
        &self.subj
    }
    pub fn reviews(&self) -> &Reviews {
        &self.revs
    }
    pub fn screen(&self) -> Screen {
        self.screen
    }
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }
    /// The selected entry's seq in the timeline.
    pub fn cursor_seq(&self) -> Option<u64> {
        self.tl.view.seq_at(self.tl.cursor)
    }
    /// The open entry's seq, when the detail is open.
    pub fn detail_seq(&self) -> Option<u64> {
        self.detail.as_ref().map(|d| d.seq)
    }
    pub fn filter(&self) -> &Filter {
        &self.tl.filter
    }
    pub fn view(&self) -> &View {
        &self.tl.view
    }
    pub fn status(&self) -> Option<&str> {
        self.status.as_ref().map(|(_, s)| s.as_str())
    }
    pub fn verify_state(&self) -> &VerifyState {
        &self.verify
    }
    /// Whether background work is under way (the event loop then polls input more often).
    pub fn busy(&self) -> bool {
        !self.tl.view.complete()
            || self.tl.search.is_some()
            || matches!(self.checkpoint, CheckpointState::Searching { .. })
            || self.verify.running()
            || self.comp.running()
            || self.revs.running()
    }

    /// Runs background work until none is left (for tests and scripts; the UI ticks instead).
    pub fn settle(&mut self) {
        while self.busy() {
            self.tick();
            if self.verify.running() || self.comp.running() || self.revs.running() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// The contexts whose bindings apply now, first match wins.
    pub fn contexts(&self) -> Vec<Context> {
        match self.overlay {
            Overlay::Help { .. } => vec![Context::Help],
            Overlay::Picker { .. } => vec![Context::Picker],
            Overlay::Prompt { .. } => vec![Context::Prompt],
            Overlay::None => {
                let screen = match (self.screen, &self.detail) {
                    (Screen::Timeline, None) => Context::Timeline,
                    (Screen::Timeline, Some(_)) => Context::Detail,
                    (Screen::Verify, _) => Context::Verify,
                    (Screen::Compliance, _) => Context::Compliance,
                    (Screen::Subjects, _) => Context::Subjects,
                    (Screen::Reviews, _) => Context::Reviews,
                };
                vec![screen, Context::Global]
            }
        }
    }

    // ----- input -----

    /// Handles a key press and returns the action it performed ([`Action::Quit`]: leave).
    pub fn handle(&mut self, ev: KeyEvent) -> Action {
        if ev.kind == KeyEventKind::Release {
            return Action::None;
        }
        let contexts = self.contexts();
        let mut action = keymap::lookup(&contexts, &ev);
        if action.is_none()
            && contexts[0] == Context::Prompt
            && let crossterm::event::KeyCode::Char(c) = ev.code
            && !ev
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            action = Some(Action::Input(c));
        }
        // In overlays and prompts, plain keys belong to them; Ctrl- keys keep their global
        // meaning (Ctrl-c quits from anywhere).
        if action.is_none()
            && !contexts.contains(&Context::Global)
            && ev.modifiers.contains(KeyModifiers::CONTROL)
        {
            action = keymap::lookup(&[Context::Global], &ev);
        }
        let action = action.unwrap_or(Action::None);
        if action != Action::None && !matches!(action, Action::Input(_) | Action::DeleteChar) {
            self.status = None;
        }
        if !matches!(
            action,
            Action::SearchNext | Action::SearchPrev | Action::None
        ) {
            self.tl.resume = None;
        }
        self.perform(contexts[0], action);
        action
    }

    /// Mouse: the wheel scrolls, a click selects a timeline row.
    pub fn mouse(&mut self, ev: MouseEvent) {
        let down = match ev.kind {
            MouseEventKind::ScrollDown => true,
            MouseEventKind::ScrollUp => false,
            MouseEventKind::Down(MouseButton::Left) if ev.row == self.vp.area.y => {
                // A click on a tab shows its screen.
                if self.overlay == Overlay::None
                    && let Some((screen, ..)) = self
                        .tabs()
                        .into_iter()
                        .find(|(_, _, x, w)| ev.column >= *x && ev.column < x + w)
                {
                    self.show(screen);
                }
                return;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let r = self.vp.rows;
                if self.overlay == Overlay::None
                    && self.screen == Screen::Timeline
                    && self.detail.is_none()
                    && ev.row >= r.y
                    && ev.row < r.y + r.height
                {
                    let pos = self.tl.offset + u64::from(ev.row - r.y);
                    if pos < self.tl.view.len() {
                        self.set_cursor(pos);
                    }
                }
                return;
            }
            _ => return,
        };
        let step = if down { Action::Down } else { Action::Up };
        let ctx = self.contexts()[0];
        for _ in 0..3 {
            self.perform(ctx, step);
        }
    }

    fn perform(&mut self, ctx: Context, action: Action) {
        match action {
            Action::None | Action::Quit => {}
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::NextScreen | Action::PrevScreen => {
                let i = Screen::ALL
                    .iter()
                    .position(|s| *s == self.screen)
                    .unwrap_or(0);
                let n = Screen::ALL.len();
                let j = if action == Action::NextScreen {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.show(Screen::ALL[j]);
            }
            Action::Screen(i) => {
                if let Some(s) = Screen::ALL.get(usize::from(i)) {
                    self.show(*s);
                }
            }
            Action::Verify => {
                self.screen = Screen::Verify;
                self.start_verify();
            }
            _ => match ctx {
                Context::Help => self.help_action(action),
                Context::Picker => self.picker_action(action),
                Context::Prompt => self.prompt_action(action),
                Context::Timeline => self.timeline_action(action),
                Context::Detail => self.detail_action(action),
                Context::Verify => self.verify_action(action),
                Context::Compliance => self.compliance_action(action),
                Context::Subjects => self.subjects_action(action),
                Context::Reviews => self.reviews_action(action),
                Context::Global => {}
            },
        }
    }

    fn help_action(&mut self, action: Action) {
        let Overlay::Help { scroll } = &mut self.overlay else {
            return;
        };
        let max = self.vp.help_lines.saturating_sub(self.vp.help_height);
        match action {
            Action::Down => *scroll = (*scroll + 1).min(max),
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Back => self.overlay = Overlay::None,
            _ => {}
        }
    }

    fn picker_action(&mut self, action: Action) {
        let Overlay::Picker { sel } = &mut self.overlay else {
            return;
        };
        let last = Event::TYPES.len();
        match action {
            Action::Down => *sel = (*sel + 1).min(last),
            Action::Up => *sel = sel.saturating_sub(1),
            Action::Top => *sel = 0,
            Action::Bottom => *sel = last,
            Action::Open => {
                let ty = sel.checked_sub(1).map(|i| Event::TYPES[i]);
                self.overlay = Overlay::None;
                let mut f = self.tl.filter.clone();
                f.ty = ty;
                f.seqs = None;
                self.set_filter(f);
            }
            Action::Back => self.overlay = Overlay::None,
            _ => {}
        }
    }

    fn prompt_action(&mut self, action: Action) {
        let Overlay::Prompt { kind, text } = &mut self.overlay else {
            return;
        };
        match action {
            Action::Input(c) => text.push(c),
            Action::DeleteChar => {
                text.pop();
            }
            Action::ClearInput => text.clear(),
            Action::Back => self.overlay = Overlay::None,
            Action::Open => {
                let (kind, text) = (*kind, std::mem::take(text));
                self.overlay = Overlay::None;
                self.submit(kind, text.trim());
            }
            _ => {}
        }
    }

    fn submit(&mut self, kind: PromptKind, text: &str) {
        match kind {
            PromptKind::Search => {
                if !text.is_empty() {
                    self.tl.query = Some(text.to_string());
                }
                if self.tl.query.is_some() {
                    self.start_search(true);
                }
            }
            PromptKind::Subject => {
                let subject = if text.is_empty() {
                    None
                } else {
                    match Filter::parse_subject(text) {
                        Ok(s) => Some(s),
                        Err(e) => return self.say(Level::Bad, format!("✘ {e}")),
                    }
                };
                let mut f = self.tl.filter.clone();
                f.subject = subject;
                f.seqs = None;
                self.set_filter(f);
            }
            PromptKind::Author => {
                let author = if text.is_empty() {
                    None
                } else if igl_schema::PersonId::new(text).is_ok() {
                    Some(text.to_string())
                } else {
                    return self.say(Level::Bad, format!("✘ {text:?} is not a person id"));
                };
                let mut f = self.tl.filter.clone();
                f.author = author;
                f.seqs = None;
                self.set_filter(f);
            }
            PromptKind::Dates => {
                let (from, to) = if text.is_empty() {
                    (None, None)
                } else {
                    match Filter::parse_dates(text) {
                        Ok(r) => r,
                        Err(e) => return self.say(Level::Bad, format!("✘ {e}")),
                    }
                };
                let mut f = self.tl.filter.clone();
                f.from = from;
                f.to = to;
                f.seqs = None;
                self.set_filter(f);
            }
            PromptKind::Export => {
                let Some(subject) = self.subj.subject.clone() else {
                    return;
                };
                if text.is_empty() {
                    return;
                }
                match self.source.write_pack(&subject, std::path::Path::new(text)) {
                    Ok(p) => self.say(
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
                    Err(e) => self.say(Level::Bad, format!("✘ {e}")),
                }
            }
            PromptKind::AsOf => {
                if text.is_empty() {
                    return;
                }
                match crate::compliance::parse_as_of(text) {
                    Ok(t) => self.set_as_of(t),
                    Err(e) => self.say(Level::Bad, format!("✘ {text:?}: {e}")),
                }
            }
            PromptKind::LookUp => {
                if text.is_empty() {
                    self.subj.clear();
                    return;
                }
                match self.subj.look_up(&*self.source, text) {
                    Ok(m) => self.say(Level::Ok, m),
                    Err(e) => self.say(Level::Bad, format!("✘ {e}")),
                }
            }
            PromptKind::GoTo => {
                let digits: String = text.chars().filter(|c| !matches!(c, ',' | '_')).collect();
                let Ok(seq) = digits.parse::<u64>() else {
                    return self.say(Level::Bad, format!("✘ {text:?} is not a seq"));
                };
                let count = self.source.entry_count();
                if seq >= count {
                    return self.say(
                        Level::Bad,
                        format!(
                            "✘ no seq {seq}: the ledger has seq 0..={}",
                            count.saturating_sub(1)
                        ),
                    );
                }
                self.go_to_seq(seq);
            }
        }
    }

    /// Selects `seq` in the timeline; if the filter hides it, says so and selects the next
    /// match instead.
    fn go_to_seq(&mut self, seq: u64) {
        match self.tl.view.pos_of(seq) {
            Ok(pos) => self.jump_to(pos),
            Err(pos) if pos >= self.tl.view.len() && !self.tl.view.complete() => {
                self.say(
                    Level::Warn,
                    format!("⚠ the filter has not reached seq {seq} yet"),
                );
            }
            Err(pos) => {
                if pos < self.tl.view.len() {
                    self.jump_to(pos);
                }
                self.say(
                    Level::Warn,
                    format!(
                        "⚠ seq {seq} does not match the filter ({})",
                        self.tl.filter.describe()
                    ),
                );
            }
        }
    }

    fn timeline_action(&mut self, action: Action) {
        let page = u64::from(self.vp.rows.height.max(1));
        let len = self.tl.view.len();
        let cur = self.tl.cursor;
        match action {
            Action::Down => self.set_cursor(cur.saturating_add(1)),
            Action::Up => self.set_cursor(cur.saturating_sub(1)),
            Action::Top => self.set_cursor(0),
            Action::Bottom => self.set_cursor(len.saturating_sub(1)),
            Action::HalfPageDown => self.scroll_by(page / 2, true),
            Action::HalfPageUp => self.scroll_by(page / 2, false),
            Action::PageDown => self.scroll_by(page, true),
            Action::PageUp => self.scroll_by(page, false),
            Action::Open => {
                if let Some(seq) = self.cursor_seq() {
                    self.open_detail(seq);
                }
            }
            Action::Search => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::Search,
                    text: String::new(),
                }
            }
            Action::SearchNext => self.search_again(true),
            Action::SearchPrev => self.search_again(false),
            Action::GoTo => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::GoTo,
                    text: String::new(),
                }
            }
            Action::FilterType => {
                let sel = self
                    .tl
                    .filter
                    .ty
                    .and_then(|t| Event::TYPES.iter().position(|x| *x == t))
                    .map_or(0, |i| i + 1);
                self.overlay = Overlay::Picker { sel };
            }
            Action::FilterSubject => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::Subject,
                    text: self.tl.filter.subject.clone().unwrap_or_default(),
                }
            }
            Action::FilterAuthor => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::Author,
                    text: self.tl.filter.author.clone().unwrap_or_default(),
                }
            }
            Action::FilterDates => {
                let f = &self.tl.filter;
                let text = match (f.from, f.to) {
                    (None, None) => String::new(),
                    (a, b) => format!(
                        "{}..{}",
                        a.map(|d| d.to_string()).unwrap_or_default(),
                        b.map(|d| d.to_string()).unwrap_or_default()
                    ),
                };
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::Dates,
                    text,
                }
            }
            Action::ClearFilters => {
                if self.tl.search.take().is_some() {
                    self.say(Level::Info, "search cancelled".into());
                } else if !self.tl.filter.is_empty() {
                    self.set_filter(Filter::default());
                } else {
                    self.tl.query = None;
                }
            }
            Action::Reload => self.reload(),
            _ => {}
        }
    }

    fn detail_action(&mut self, action: Action) {
        let max = self.vp.detail_lines.saturating_sub(self.vp.detail_height);
        let page = self.vp.detail_height.max(1);
        match action {
            Action::PrevEntry | Action::NextEntry => {
                let forward = action == Action::NextEntry;
                let cur = self.tl.cursor;
                let target = if forward {
                    cur.checked_add(1)
                } else {
                    cur.checked_sub(1)
                };
                match target.and_then(|p| self.tl.view.seq_at(p).map(|s| (p, s))) {
                    Some((pos, seq)) => {
                        self.set_cursor(pos);
                        self.open_detail(seq);
                    }
                    None if forward && !self.tl.view.complete() => self.say(
                        Level::Info,
                        "still filtering: no later match found yet".into(),
                    ),
                    None => self.say(
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
            Action::Back => self.detail = None,
            Action::SearchNext => self.search_again(true),
            Action::SearchPrev => self.search_again(false),
            _ => {
                let Some(d) = &mut self.detail else { return };
                d.scroll = match action {
                    Action::Down => d.scroll.saturating_add(1),
                    Action::Up => d.scroll.saturating_sub(1),
                    Action::Top => 0,
                    Action::Bottom => max,
                    Action::PageDown => d.scroll.saturating_add(page),
                    Action::PageUp => d.scroll.saturating_sub(page),
                    _ => d.scroll,
                }
                .min(max);
            }
        }
    }

    fn verify_action(&mut self, action: Action) {
        match action {
            Action::Open => match (&self.verify, self.verify.failure()) {
                (VerifyState::Idle, _) => self.start_verify(),
                (_, Some((seq, _))) => self.jump_to_failure(seq),
                _ => {}
            },
            Action::Back => self.screen = Screen::Timeline,
            _ => {}
        }
    }

    // ----- screens -----

    /// Shows `screen`, starting what it needs (the audit, the requests, the campaigns) the first
    /// time.
    fn show(&mut self, screen: Screen) {
        self.screen = screen;
        match screen {
            Screen::Compliance if self.comp.state.idle() => {
                self.comp.start(self.source.audit_job(self.comp.as_of));
            }
            Screen::Subjects => self.subj.load_requests(&*self.source, self.now),
            Screen::Reviews if self.revs.state.idle() => {
                self.revs.start(self.source.campaigns_job(self.revs.as_of));
            }
            _ => {}
        }
    }

    /// Moves the as-of instant to `t`: the Compliance and Reviews screens share it. What has
    /// run (and what the screen shown needs) runs again as of `t`; the other starts at `t` when
    /// its screen is first shown.
    fn set_as_of(&mut self, t: Timestamp) {
        self.comp.as_of = t;
        self.revs.as_of = t;
        if self.screen == Screen::Compliance || !self.comp.state.idle() {
            self.comp.start(self.source.audit_job(t));
        }
        if self.screen == Screen::Reviews || !self.revs.state.idle() {
            self.revs.start(self.source.campaigns_job(t));
        }
    }

    /// Shows exactly `seqs` in the timeline, with `seq` open in the detail.
    fn show_entries(&mut self, label: String, seqs: Vec<u64>, seq: u64) {
        self.set_filter(Filter::seqs(label, seqs));
        self.screen = Screen::Timeline;
        if let Ok(pos) = self.tl.view.pos_of(seq) {
            self.jump_to(pos);
            self.open_detail(seq);
        }
    }

    fn compliance_action(&mut self, action: Action) {
        let page = i64::from(self.vp.rows.height.max(1));
        match action {
            Action::Down => self.comp.step(1),
            Action::Up => self.comp.step(-1),
            Action::Top => self.comp.step(i64::MIN / 2),
            Action::Bottom => self.comp.step(i64::MAX / 2),
            Action::PageDown | Action::HalfPageDown => self.comp.step(page),
            Action::PageUp | Action::HalfPageUp => self.comp.step(-page),
            Action::Open => match self.comp.focus {
                Pane::Rules => {
                    if self.comp.findings().is_none() {
                        return;
                    }
                    if self.comp.rule_findings().is_empty() {
                        let id = self.comp.rule().id;
                        self.say(Level::Ok, format!("✔ no findings for {id}"));
                    } else {
                        self.comp.focus = Pane::Findings;
                        self.comp.finding_sel = 0;
                        self.comp.finding_offset = 0;
                    }
                }
                Pane::Findings => {
                    let Some(f) = self.comp.finding() else { return };
                    let Some(&first) = f.seqs.first() else {
                        return self.say(Level::Info, "this finding cites no entries".into());
                    };
                    let label = format!("{} {}", f.rule, f.subject);
                    let seqs = f.seqs.clone();
                    self.show_entries(label, seqs, first);
                }
            },
            Action::Back => match self.comp.focus {
                Pane::Findings => self.comp.focus = Pane::Rules,
                Pane::Rules => self.screen = Screen::Timeline,
            },
            Action::AsOf => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::AsOf,
                    text: String::new(),
                }
            }
            Action::DayBack => self.set_as_of(crate::compliance::shift_days(self.comp.as_of, -1)),
            Action::DayForward => self.set_as_of(crate::compliance::shift_days(self.comp.as_of, 1)),
            Action::ToggleOpen => {
                self.comp.open_only = !self.comp.open_only;
                self.comp.finding_sel = 0;
                self.comp.finding_offset = 0;
                if self.comp.focus == Pane::Findings && self.comp.rule_findings().is_empty() {
                    self.comp.focus = Pane::Rules;
                }
            }
            Action::Reload => {
                let t = self.comp.as_of;
                self.comp.start(self.source.audit_job(t));
            }
            _ => {}
        }
    }

    fn reviews_action(&mut self, action: Action) {
        let page = i64::from(self.vp.rows.height.max(1));
        match action {
            Action::Down => self.revs.step(1),
            Action::Up => self.revs.step(-1),
            Action::Top => self.revs.step(i64::MIN / 2),
            Action::Bottom => self.revs.step(i64::MAX / 2),
            Action::PageDown | Action::HalfPageDown => self.revs.step(page),
            Action::PageUp | Action::HalfPageUp => self.revs.step(-page),
            Action::Open => {
                let Some(id) = self.revs.open.clone() else {
                    if self.revs.open_selected().is_none() && self.revs.data().is_some() {
                        self.say(Level::Info, "no campaign to open".into());
                    }
                    return;
                };
                let Some(row) = self.revs.item() else {
                    return self.say(Level::Info, format!("campaign {id} has no items"));
                };
                let label = format!("{id} {}", row.item.grant);
                let (seqs, seq) = (row.entries(), row.entry());
                self.show_entries(label, seqs, seq);
            }
            Action::Back => {
                if self.revs.open.is_some() {
                    self.revs.close();
                } else {
                    self.screen = Screen::Timeline;
                }
            }
            Action::AsOf => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::AsOf,
                    text: String::new(),
                }
            }
            Action::DayBack => self.set_as_of(crate::compliance::shift_days(self.revs.as_of, -1)),
            Action::DayForward => self.set_as_of(crate::compliance::shift_days(self.revs.as_of, 1)),
            Action::Reload => {
                let t = self.revs.as_of;
                self.revs.start(self.source.campaigns_job(t));
            }
            _ => {}
        }
    }

    fn subjects_action(&mut self, action: Action) {
        let page = i64::from(self.vp.rows.height.max(1));
        match action {
            Action::Down => self.subj.step(1),
            Action::Up => self.subj.step(-1),
            Action::Top => self.subj.step(i64::MIN / 2),
            Action::Bottom => self.subj.step(i64::MAX / 2),
            Action::PageDown | Action::HalfPageDown => self.subj.step(page),
            Action::PageUp | Action::HalfPageUp => self.subj.step(-page),
            Action::LookUp | Action::Search | Action::FilterSubject => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::LookUp,
                    text: String::new(),
                }
            }
            Action::Open => {
                if let Some(s) = self.subj.subject.clone() {
                    let Some(d) = self.subj.entries.get(self.subj.sel) else {
                        return;
                    };
                    let seq = d.seq;
                    let seqs = self.subj.entries.iter().map(|d| d.seq).collect();
                    self.show_entries(format!("held about {s}"), seqs, seq);
                } else {
                    let Some(r) = self.subj.all_requests().get(self.subj.sel).copied() else {
                        return;
                    };
                    let text = r.data_subject.to_string();
                    match self.subj.look_up(&*self.source, &text) {
                        Ok(m) => self.say(Level::Ok, m),
                        Err(e) => self.say(Level::Bad, format!("✘ {e}")),
                    }
                }
            }
            Action::Export => match &self.subj.subject {
                None => self.say(
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
                    self.overlay = Overlay::Prompt {
                        kind: PromptKind::Export,
                        text: format!(
                            "sar-pack-{id}-{}",
                            igl_ledger::compliance::time::uk_date(self.now)
                        ),
                    }
                }
            },
            Action::Back => {
                if self.subj.subject.is_some() {
                    self.subj.clear();
                } else {
                    self.screen = Screen::Timeline;
                }
            }
            _ => {}
        }
    }

    // ----- the timeline -----

    /// Selects a position (clamped), scrolling the window to keep it visible.
    pub(crate) fn set_cursor(&mut self, pos: u64) {
        let len = self.tl.view.len();
        self.tl.cursor = pos.min(len.saturating_sub(1));
        self.scroll_to_cursor();
    }

    /// Scrolls the window and the selection together by `n` rows (the selection keeps its place
    /// on screen, as in less and vim), stopping at the ends.
    fn scroll_by(&mut self, n: u64, down: bool) {
        let h = u64::from(self.vp.rows.height.max(1));
        let len = self.tl.view.len();
        let tl = &mut self.tl;
        if down {
            tl.offset = (tl.offset + n).min(len.saturating_sub(h));
            tl.cursor = (tl.cursor + n).min(len.saturating_sub(1));
        } else {
            tl.offset = tl.offset.saturating_sub(n);
            tl.cursor = tl.cursor.saturating_sub(n);
        }
        self.scroll_to_cursor();
    }

    /// Selects a position far from the current one (search hit, go to, failure), with the row
    /// in the middle of the window so what is around it shows too.
    pub(crate) fn jump_to(&mut self, pos: u64) {
        let h = u64::from(self.vp.rows.height.max(1));
        let len = self.tl.view.len();
        self.tl.cursor = pos.min(len.saturating_sub(1));
        let visible = self.tl.cursor >= self.tl.offset && self.tl.cursor < self.tl.offset + h;
        if !visible {
            self.tl.offset = self.tl.cursor.saturating_sub(h / 2);
        }
        self.scroll_to_cursor();
    }

    fn scroll_to_cursor(&mut self) {
        let h = u64::from(self.vp.rows.height.max(1));
        let tl = &mut self.tl;
        if tl.cursor < tl.offset {
            tl.offset = tl.cursor;
        } else if tl.cursor >= tl.offset + h {
            tl.offset = tl.cursor + 1 - h;
        }
        // No empty space below the last row when the view is longer than the window.
        let len = tl.view.len();
        if len >= h && tl.offset > len - h {
            tl.offset = len - h;
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        let keep = self.cursor_seq();
        self.tl.search = None;
        self.tl.filter = filter;
        let indexed = self.indexed();
        self.tl.view = View::new(&self.tl.filter, self.source.entry_count(), indexed);
        if self.tl.filter.seqs.is_none()
            && !self.tl.filter.is_empty()
            && self.tl.view.complete()
            && self.tl.view.is_empty()
        {
            // The indexes answered at once, with nothing.
            let d = self.tl.filter.describe();
            self.say(Level::Warn, format!("⚠ no entry matches {d}"));
        }
        self.tl.cursor = 0;
        self.tl.offset = 0;
        if self.tl.filter.is_empty()
            && let Some(seq) = keep
        {
            // Back to every entry: stay on the entry that was selected.
            self.set_cursor(seq);
        }
        self.detail = None;
    }

    /// The entries the indexes select for the filter's type and subject, when it has either
    /// (and is not a list of seqs). If the indexes cannot be read, says so and returns `None`:
    /// the filter then scans every entry.
    fn indexed(&mut self) -> Option<Vec<u64>> {
        let f = &self.tl.filter;
        if f.seqs.is_some() || (f.ty.is_none() && f.subject.is_none()) {
            return None;
        }
        match self.source.select(f.ty, f.subjects().as_deref()) {
            Ok(seqs) => seqs,
            Err(e) => {
                self.say(
                    Level::Warn,
                    format!(
                        "⚠ the indexes could not be read ({e}): filtering by reading every entry"
                    ),
                );
                None
            }
        }
    }

    pub(crate) fn author(&mut self, pk: &PublicKey) -> Option<KeyRecord> {
        self.authors.get(&*self.source, pk)
    }

    fn open_detail(&mut self, seq: u64) {
        if matches!(self.checkpoint, CheckpointState::Unknown) {
            // Look for the latest checkpoint now that an entry's proof is wanted.
            let count = self.source.entry_count();
            self.checkpoint = CheckpointState::Searching {
                next: count.checked_sub(1),
                checked: 0,
            };
        }
        let source = &*self.source;
        let authors = &mut self.authors;
        let mut lookup = |pk: &PublicKey| authors.get(source, pk);
        self.detail = Some(Detail::load(source, &mut lookup, &self.checkpoint, seq));
    }

    fn say(&mut self, level: Level, text: String) {
        self.status = Some((level, text));
    }

    fn reload(&mut self) {
        let before = self.source.entry_count();
        let keep = self.cursor_seq();
        if let Err(e) = self.source.reload() {
            return self.say(Level::Bad, format!("✘ could not reopen the ledger: {e}"));
        }
        let count = self.source.entry_count();
        self.tl.rows.clear();
        self.authors = Authors::default();
        self.tl.search = None;
        self.checkpoint = CheckpointState::Unknown;
        let indexed = self.indexed();
        self.tl.view = View::new(&self.tl.filter, count, indexed);
        self.tl.cursor = 0;
        self.tl.offset = 0;
        if let (Some(seq), View::All { .. }) = (keep, &self.tl.view) {
            self.set_cursor(seq);
        }
        if let Some(seq) = self.detail_seq() {
            self.open_detail(seq.min(count.saturating_sub(1)));
        }
        self.say(
            Level::Ok,
            format!(
                "✔ reloaded: {} entries ({} new)",
                thousands(count),
                thousands(count.saturating_sub(before))
            ),
        );
    }

    // ----- search -----

    fn start_search(&mut self, forward: bool) {
        if self.tl.query.is_none() {
            return self.say(Level::Info, "no search yet: press / to search".into());
        }
        let cur = self.tl.cursor;
        let next = if forward {
            cur.checked_add(1)
        } else {
            cur.checked_sub(1)
        };
        self.tl.search = Some(SearchJob {
            forward,
            next,
            checked: 0,
        });
    }

    fn search_again(&mut self, forward: bool) {
        match self.tl.resume.take() {
            Some((f, next)) if f == forward => {
                self.tl.search = Some(SearchJob {
                    forward,
                    next,
                    checked: 0,
                })
            }
            _ => self.start_search(forward),
        }
    }

    /// Advances the search by a bounded step.
    fn search_step(&mut self, deadline: Instant) {
        let Some(mut job) = self.tl.search.take() else {
            return;
        };
        let query = self.tl.query.clone().unwrap_or_default().to_lowercase();
        let mut budget = SEARCH_BATCH;
        let found = loop {
            if budget == 0 || Instant::now() >= deadline {
                break None;
            }
            let Some(pos) = job.next else {
                break Some(Err(()));
            };
            if pos >= self.tl.view.len() {
                if self.tl.view.complete() {
                    break Some(Err(()));
                }
                // The filter scan has not got this far: wait for it.
                break None;
            }
            // Every entry, forward: one batched scan instead of point reads.
            let batch: Vec<StoredEntry> = if job.forward && matches!(self.tl.view, View::All { .. })
            {
                let n = budget.min((SEARCH_CAP - job.checked).max(1) as usize);
                match self.source.scan(pos, n) {
                    Ok(b) => b,
                    Err(e) => {
                        self.say(Level::Bad, format!("✘ search stopped: {e}"));
                        return;
                    }
                }
            } else {
                let seq = self.tl.view.seq_at(pos).expect("pos < len");
                match self.source.entry(seq) {
                    Ok(Some(e)) => vec![e],
                    Ok(None) => Vec::new(),
                    Err(e) => {
                        self.say(Level::Bad, format!("✘ search stopped at seq {seq}: {e}"));
                        return;
                    }
                }
            };
            let n = batch.len().max(1) as u64;
            let every = matches!(self.tl.view, View::All { .. });
            let mut hit = None;
            for e in &batch {
                let author = self.author(&e.entry.event.body.author);
                if haystack(e, author.as_ref()).contains(&query) {
                    // In the unfiltered view the position is the seq.
                    hit = Some(if every { e.entry.seq } else { pos });
                    break;
                }
            }
            if let Some(p) = hit {
                break Some(Ok(p));
            }
            budget = budget.saturating_sub(n as usize);
            job.checked += n;
            job.next = if job.forward {
                pos.checked_add(n)
            } else {
                pos.checked_sub(1)
            };
            if job.checked >= SEARCH_CAP {
                let at = job.next.and_then(|p| self.tl.view.seq_at(p));
                self.tl.resume = Some((job.forward, job.next));
                let q = self.tl.query.clone().unwrap_or_default();
                self.say(
                    Level::Warn,
                    format!(
                        "⚠ no match for {q:?} in {} entries{}; press {} to search on",
                        thousands(SEARCH_CAP),
                        at.map(|s| format!(" (stopped at seq {s})"))
                            .unwrap_or_default(),
                        if job.forward { "n" } else { "N" }
                    ),
                );
                return;
            }
        };
        match found {
            None => self.tl.search = Some(job),
            Some(Ok(pos)) => {
                self.jump_to(pos);
                let seq = self.cursor_seq().unwrap_or(pos);
                if self.detail.is_some() {
                    self.open_detail(seq);
                }
                let q = self.tl.query.clone().unwrap_or_default();
                self.say(Level::Ok, format!("match for {q:?} at seq {seq}"));
            }
            Some(Err(())) => {
                let q = self.tl.query.clone().unwrap_or_default();
                let seq = self.cursor_seq().unwrap_or(0);
                self.say(
                    Level::Warn,
                    format!(
                        "⚠ no match for {q:?} {} seq {seq}",
                        if job.forward { "after" } else { "before" }
                    ),
                );
            }
        }
    }

    // ----- background work -----

    /// Advances background work by one bounded step: the filter scan, a search, the checkpoint
    /// search, the verify worker's messages.
    pub fn tick(&mut self) {
        let deadline = Instant::now() + TICK_BUDGET;
        if self.comp.poll()
            && let Some(e) = self.comp.state.error()
        {
            let m = format!("✘ the audit failed: {e}");
            self.say(Level::Bad, m);
        }
        if self.revs.poll()
            && let Some(e) = self.revs.state.error()
        {
            let m = format!("✘ could not read the campaigns: {e}");
            self.say(Level::Bad, m);
        }
        if self.verify.poll()
            && let Some((seq, _)) = self.verify.failure()
        {
            self.tl.bad = Some(seq);
        }
        self.filter_step();
        self.search_step(deadline);
        self.checkpoint_step(deadline);
    }

    fn filter_step(&mut self) {
        let View::Filtered {
            next,
            count,
            within,
            ..
        } = &self.tl.view
        else {
            return;
        };
        if next >= count {
            return;
        }
        let from = *next;
        let count = *count;
        // The entries to judge, and how far that takes the filter.
        let read = match within {
            // Only the entries the indexes selected, from where the last step stopped.
            Some(seqs) => {
                let start = seqs.partition_point(|s| *s < from);
                let end = (start + FILTER_BATCH).min(seqs.len());
                let reached = if end == seqs.len() {
                    count
                } else {
                    seqs[end - 1] + 1
                };
                seqs[start..end]
                    .iter()
                    .filter_map(|s| self.source.entry(*s).transpose())
                    .collect::<igl_ledger::Result<Vec<StoredEntry>>>()
                    .map(|b| (b, reached))
            }
            None => self.source.scan(from, FILTER_BATCH).map(|b| {
                let reached = b.last().map_or(count, |e| e.entry.seq + 1);
                (b, reached)
            }),
        };
        let (batch, reached) = match read {
            Ok(r) => r,
            Err(e) => {
                // Stop here; what was found so far stays listed.
                if let View::Filtered { next, .. } = &mut self.tl.view {
                    *next = count;
                }
                return self.say(
                    Level::Bad,
                    format!("✘ filter stopped after seq {from}: {e}"),
                );
            }
        };
        let View::Filtered { matches, next, .. } = &mut self.tl.view else {
            return;
        };
        for e in &batch {
            let author = self.authors.get(&*self.source, &e.entry.event.body.author);
            if self.tl.filter.matches(e, author.as_ref()) {
                matches.push(e.entry.seq);
            }
        }
        *next = reached;
        if *next >= count && matches.is_empty() {
            let d = self.tl.filter.describe();
            self.say(Level::Warn, format!("⚠ no entry matches {d}"));
        }
    }

    fn checkpoint_step(&mut self, deadline: Instant) {
        let CheckpointState::Searching {
            mut next,
            mut checked,
        } = self.checkpoint
        else {
            return;
        };
        let mut found = None;
        for _ in 0..CHECKPOINT_BATCH {
            let Some(seq) = next else { break };
            match self.source.recorded_checkpoint(seq) {
                Ok(Some(cp)) => {
                    found = Some(Ok((seq, cp)));
                    break;
                }
                Ok(None) => {
                    next = seq.checked_sub(1);
                    checked += 1;
                }
                Err(e) => {
                    found = Some(Err(e.to_string()));
                    break;
                }
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        self.checkpoint = match found {
            Some(Ok((seq, cp))) => {
                let source = &*self.source;
                let authors = &mut self.authors;
                let mut lookup = |pk: &PublicKey| authors.get(source, pk);
                let f = FoundCheckpoint::new(source, &mut lookup, seq, cp);
                CheckpointState::Found(Box::new(f))
            }
            Some(Err(e)) => CheckpointState::Error(e),
            None if next.is_none() => CheckpointState::None,
            None => CheckpointState::Searching { next, checked },
        };
        if let Some(d) = &mut self.detail {
            d.refresh_proof(&*self.source, &self.checkpoint);
        }
    }

    // ----- verify -----

    fn start_verify(&mut self) {
        if self.verify.running() {
            return;
        }
        self.tl.bad = None;
        self.verify = VerifyState::start(self.source.verify_job(), self.source.entry_count());
    }

    fn jump_to_failure(&mut self, seq: u64) {
        let count = self.source.entry_count();
        // A failure past the end (entries removed from the end) shows the last entry.
        let seq = seq.min(count.saturating_sub(1));
        if self.tl.view.pos_of(seq).is_err() {
            self.set_filter(Filter::default());
            self.say(Level::Info, "filters cleared to show the failure".into());
        }
        self.screen = Screen::Timeline;
        self.detail = None;
        self.go_to_seq(seq);
        if let Some((s, m)) = self.verify.failure() {
            let m = format!("✘ seq {s}: {m}");
            self.say(Level::Bad, m);
        }
    }

    // ----- before each frame -----

    /// Reads what the next frame of `area` shows: the visible timeline rows (and nothing else),
    /// and the sizes that page moves and scrolling need.
    pub fn prepare(&mut self, area: Rect) {
        let areas = crate::ui::areas(area);
        self.vp.area = area;
        self.vp.rows = crate::ui::timeline_rows(areas.body);
        self.scroll_to_cursor();
        if let Some(d) = &self.detail {
            let body = crate::ui::detail_body(areas.body);
            self.vp.detail_height = body.height;
            self.vp.detail_lines = d.lines(&self.theme, body.width).len() as u16;
            let max = self.vp.detail_lines.saturating_sub(self.vp.detail_height);
            if let Some(d) = &mut self.detail {
                d.scroll = d.scroll.min(max);
            }
        }
        if let Overlay::Help { scroll } = self.overlay {
            let (lines, inner) = crate::ui::help_layout(&self.theme, area);
            self.vp.help_height = inner.height;
            self.vp.help_lines = lines.len() as u16;
            let max = self.vp.help_lines.saturating_sub(self.vp.help_height);
            self.overlay = Overlay::Help {
                scroll: scroll.min(max),
            };
        }
        self.prepare_lists(areas.body);
        if self.screen == Screen::Timeline && self.detail.is_none() {
            self.load_visible_rows();
        }
    }

    fn load_visible_rows(&mut self) {
        let first = self.tl.offset;
        let n = u64::from(self.vp.rows.height);
        let visible: Vec<u64> = (first..first + n)
            .map_while(|p| self.tl.view.seq_at(p))
            .collect();
        for &seq in &visible {
            if self.tl.rows.contains_key(&seq) {
                continue;
            }
            let row = match self.source.entry(seq) {
                Ok(Some(e)) => {
                    let author = self.author(&e.entry.event.body.author);
                    Row::new(&e, author.as_ref())
                }
                Ok(None) => Row::unreadable(seq, "no entry stored at this seq".into()),
                Err(e) => Row::unreadable(seq, e.to_string()),
            };
            self.tl.rows.insert(seq, row);
        }
        if self.tl.rows.len() > ROW_CACHE + visible.len() {
            self.tl.rows.retain(|s, _| visible.contains(s));
        }
    }
}
