//! The shell: the state every screen shares ([`Ctx`]), which screen shows, what is open over
//! it, and routing keys, the mouse and ticks to the screen components ([`crate::screen`]).
//! Nothing here touches the terminal, so tests drive an [`App`] directly.
//!
//! The event loop calls, in turn: [`App::prepare`] (read what the next frame shows: the visible
//! rows only), [`App::draw`], then [`App::handle`] / [`App::mouse`] for input, and
//! [`App::tick`] to advance the background work by a bounded step (filter scan, search, the
//! checkpoint search, the workers' messages).

use std::time::{Duration, Instant};

use crossterm::event::{
    KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use igl_schema::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::compliance::Compliance;
pub use crate::ctx::{Authors, Level, Viewport};
use crate::ctx::{Cmd, Ctx};
use crate::keymap::{self, Action, Context};
use crate::overlay::Chosen;
pub use crate::overlay::{Overlay, PromptKind};
use crate::reviews::Reviews;
use crate::screen::Component;
use crate::screen::timeline::TimelineScreen;
pub use crate::screen::timeline::{SEARCH_CAP, SearchJob};
use crate::source::Source;
use crate::subject::SubjectView;
use crate::theme::Theme;
use crate::timeline::{Filter, View};
use crate::ui;
use crate::verify::VerifyState;

/// A tick's time budget: background work yields to input after this.
const TICK_BUDGET: Duration = Duration::from_millis(30);

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

/// The TUI's state: what the screens share, and one component per screen.
pub struct App {
    ctx: Ctx,
    screen: Screen,
    overlay: Overlay,
    timeline: TimelineScreen,
    compliance: Compliance,
    subjects: SubjectView,
    reviews: Reviews,
    verify: VerifyState,
}

impl App {
    pub fn new(source: Box<dyn Source>, theme: Theme) -> App {
        let count = source.entry_count();
        App {
            ctx: Ctx::new(source, theme, Timestamp::now()),
            screen: Screen::Timeline,
            overlay: Overlay::None,
            timeline: TimelineScreen::new(count),
            compliance: Compliance::new(Timestamp::now()),
            subjects: SubjectView::default(),
            reviews: Reviews::new(Timestamp::now()),
            verify: VerifyState::Idle,
        }
    }

    /// Sets "now" (tests and snapshots use a fixed instant).
    pub fn with_now(mut self, now: Timestamp) -> App {
        self.ctx.now = now;
        self.compliance = Compliance::new(now);
        self.subjects = SubjectView::default();
        self.reviews = Reviews::new(now);
        self
    }

    // ----- what tests look at -----

    pub fn compliance(&self) -> &Compliance {
        &self.compliance
    }
    pub fn subject_view(&self) -> &SubjectView {
        &self.subjects
    }
    pub fn reviews(&self) -> &Reviews {
        &self.reviews
    }
    pub fn screen(&self) -> Screen {
        self.screen
    }
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }
    /// The selected entry's seq in the timeline.
    pub fn cursor_seq(&self) -> Option<u64> {
        self.timeline.cursor_seq()
    }
    /// The open entry's seq, when the detail is open.
    pub fn detail_seq(&self) -> Option<u64> {
        self.timeline.detail.seq()
    }
    pub fn filter(&self) -> &Filter {
        &self.timeline.filter
    }
    pub fn view(&self) -> &View {
        &self.timeline.view
    }
    pub fn status(&self) -> Option<&str> {
        self.ctx.status.as_ref().map(|(_, s)| s.as_str())
    }
    pub fn verify_state(&self) -> &VerifyState {
        &self.verify
    }
    /// Whether background work is under way (the event loop then polls input more often).
    pub fn busy(&self) -> bool {
        self.timeline.busy() || self.workers_running()
    }

    fn workers_running(&self) -> bool {
        self.verify.running() || self.compliance.running() || self.reviews.running()
    }

    /// Runs background work until none is left (for tests and scripts; the UI ticks instead).
    pub fn settle(&mut self) {
        while self.busy() {
            self.tick();
            if self.workers_running() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    fn component(&self, screen: Screen) -> &dyn Component {
        match screen {
            Screen::Timeline => &self.timeline,
            Screen::Compliance => &self.compliance,
            Screen::Subjects => &self.subjects,
            Screen::Reviews => &self.reviews,
            Screen::Verify => &self.verify,
        }
    }

    /// The screen shown.
    fn active(&self) -> &dyn Component {
        self.component(self.screen)
    }

    /// The shared context and the screen shown, borrowed apart.
    fn active_mut(&mut self) -> (&mut Ctx, &mut dyn Component) {
        let c: &mut dyn Component = match self.screen {
            Screen::Timeline => &mut self.timeline,
            Screen::Compliance => &mut self.compliance,
            Screen::Subjects => &mut self.subjects,
            Screen::Reviews => &mut self.reviews,
            Screen::Verify => &mut self.verify,
        };
        (&mut self.ctx, c)
    }

    /// The contexts whose bindings apply now, first match wins.
    pub fn contexts(&self) -> Vec<Context> {
        match self.overlay {
            Overlay::Help { .. } => vec![Context::Help],
            Overlay::Picker { .. } => vec![Context::Picker],
            Overlay::Prompt { .. } => vec![Context::Prompt],
            Overlay::None => vec![self.active().context(), Context::Global],
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
            self.ctx.status = None;
        }
        if !matches!(
            action,
            Action::SearchNext | Action::SearchPrev | Action::None
        ) {
            self.timeline.resume = None;
        }
        self.perform(contexts[0], action);
        action
    }

    /// Mouse: the wheel scrolls, a click selects a timeline row.
    pub fn mouse(&mut self, ev: MouseEvent) {
        let down = match ev.kind {
            MouseEventKind::ScrollDown => true,
            MouseEventKind::ScrollUp => false,
            MouseEventKind::Down(MouseButton::Left) if ev.row == self.ctx.vp.area.y => {
                // A click on a tab shows its screen.
                if self.overlay == Overlay::None
                    && let Some((screen, _)) = Screen::ALL
                        .into_iter()
                        .zip(self.tabs())
                        .find(|(_, tab)| ev.column >= tab.x && ev.column < tab.x + tab.width)
                {
                    self.show(screen);
                }
                return;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if self.overlay == Overlay::None && self.screen == Screen::Timeline {
                    self.timeline.click(&mut self.ctx, ev.row);
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
                Context::Help | Context::Picker | Context::Prompt => {
                    let vp = &self.ctx.vp;
                    let help_max = vp.help_lines.saturating_sub(vp.help_height);
                    match self.overlay.handle(action, help_max) {
                        Chosen::Nothing => {}
                        Chosen::Type(ty) => self.timeline.set_type(&mut self.ctx, ty),
                        Chosen::Prompt(kind, text) => self.submit(kind, &text),
                    }
                }
                Context::Global => {}
                _ => {
                    let (ctx, screen) = self.active_mut();
                    let cmd = screen.handle(ctx, action);
                    self.run(cmd);
                }
            },
        }
    }

    /// Routes a submitted prompt to the screen it belongs to.
    fn submit(&mut self, kind: PromptKind, text: &str) {
        match kind {
            PromptKind::Search
            | PromptKind::Subject
            | PromptKind::Author
            | PromptKind::Dates
            | PromptKind::GoTo => self.timeline.submit(&mut self.ctx, kind, text),
            PromptKind::Export | PromptKind::LookUp => {
                self.subjects.submit(&mut self.ctx, kind, text)
            }
            PromptKind::AsOf => {
                if text.is_empty() {
                    return;
                }
                match crate::compliance::parse_as_of(text) {
                    Ok(t) => self.set_as_of(t),
                    Err(e) => self.ctx.say(Level::Bad, format!("✘ {text:?}: {e}")),
                }
            }
        }
    }

    /// Does what a component asked for.
    fn run(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::None => {}
            Cmd::Prompt(kind, text) => self.overlay = Overlay::Prompt { kind, text },
            Cmd::Picker(sel) => self.overlay = Overlay::Picker { sel },
            Cmd::Back => self.screen = Screen::Timeline,
            Cmd::ShowEntries { label, seqs, seq } => {
                self.screen = Screen::Timeline;
                self.timeline.show_entries(&mut self.ctx, label, seqs, seq);
            }
            Cmd::SetAsOf(t) => self.set_as_of(t),
            Cmd::StartVerify => self.start_verify(),
            Cmd::JumpToFailure { seq, message } => {
                self.screen = Screen::Timeline;
                self.timeline.show_failure(&mut self.ctx, seq, message);
            }
        }
    }

    /// Shows `screen`, starting what it needs (the audit, the requests, the campaigns) the first
    /// time.
    fn show(&mut self, screen: Screen) {
        self.screen = screen;
        let ctx = &mut self.ctx;
        match screen {
            Screen::Timeline | Screen::Verify => {}
            Screen::Compliance => self.compliance.show(ctx),
            Screen::Subjects => self.subjects.show(ctx),
            Screen::Reviews => self.reviews.show(ctx),
        }
    }

    /// Moves the as-of instant to `t`: the Compliance and Reviews screens share it. What has
    /// run (and what the screen shown needs) runs again as of `t`; the other starts at `t` when
    /// its screen is first shown.
    fn set_as_of(&mut self, t: Timestamp) {
        let shown = self.screen;
        self.compliance
            .set_as_of(&self.ctx, t, shown == Screen::Compliance);
        self.reviews
            .set_as_of(&self.ctx, t, shown == Screen::Reviews);
    }

    fn start_verify(&mut self) {
        if self.verify.running() {
            return;
        }
        self.timeline.bad = None;
        self.verify.start_on(&self.ctx);
    }

    // ----- background work -----

    /// Advances background work by one bounded step: the workers' messages, the filter scan, a
    /// search, the checkpoint search.
    pub fn tick(&mut self) {
        let deadline = Instant::now() + TICK_BUDGET;
        self.compliance.tick(&mut self.ctx);
        self.reviews.tick(&mut self.ctx);
        if let Some(seq) = self.verify.tick() {
            self.timeline.bad = Some(seq);
        }
        self.timeline.tick(&mut self.ctx, deadline);
    }

    // ----- frames -----

    /// Reads what the next frame of `area` shows: the visible timeline rows (and nothing else),
    /// and the sizes that page moves and scrolling need.
    pub fn prepare(&mut self, area: Rect) {
        let body = ui::areas(area).body;
        self.ctx.vp.area = area;
        let shown = self.screen;
        let ctx = &mut self.ctx;
        self.timeline.prepare(ctx, body, shown == Screen::Timeline);
        if let Overlay::Help { scroll } = self.overlay {
            let (lines, inner) = crate::overlay::help_layout(&ctx.theme, area);
            ctx.vp.help_height = inner.height;
            ctx.vp.help_lines = lines.len() as u16;
            let max = ctx.vp.help_lines.saturating_sub(ctx.vp.help_height);
            self.overlay = Overlay::Help {
                scroll: scroll.min(max),
            };
        }
        self.compliance
            .prepare(ctx, body, shown == Screen::Compliance);
        self.subjects.prepare(ctx, body, shown == Screen::Subjects);
        self.reviews.prepare(ctx, body, shown == Screen::Reviews);
    }

    /// The tab bar, in [`Screen::ALL`]'s order.
    fn tabs(&self) -> Vec<ui::Tab> {
        let labels = Screen::ALL.map(|s| (self.component(s).tab(), s == self.screen));
        ui::tabs(labels)
    }

    /// Draws the frame. Reads nothing from the ledger: [`App::prepare`] did.
    pub fn draw(&self, f: &mut Frame) {
        let area = f.area();
        if ui::too_small(f, area) {
            return;
        }
        let ctx = &self.ctx;
        let t = ctx.theme;
        let a = ui::areas(area);
        let (name, count) = (ctx.source.name(), ctx.source.entry_count());
        ui::draw_tabs(f, a.tabs, &t, self.tabs(), &name, count);
        self.active().draw(f, a.body, ctx);
        let mut right = self.timeline.work();
        if self.screen == Screen::Timeline {
            right.extend(self.timeline.position(ctx));
        }
        let status = ui::Status {
            prompt: match &self.overlay {
                Overlay::Prompt { kind, text } => Some((kind.label(), text.as_str())),
                _ => None,
            },
            message: ctx.status.as_ref(),
            hint: (self.screen == Screen::Timeline).then(|| self.timeline.hint()),
            right,
        };
        ui::draw_status(f, a.status, &t, status);
        ui::draw_keys(f, a.keys, &t, &self.contexts());
        self.overlay.draw(f, area, &t, self.timeline.filter.ty);
    }
}
