//! The key map: **one table** ([`KEYMAP`]) of (keys, action, description, context).
//!
//! The same table dispatches key presses ([`lookup`]), draws the key bar at the bottom
//! ([`bar`]) and the help overlay ([`help_sections`]), so what the help says is what the keys
//! do, by construction.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    /// On every screen (unless an overlay or prompt is open).
    Global,
    Timeline,
    Detail,
    Verify,
    Compliance,
    Subjects,
    Reviews,
    /// The event-type picker.
    Picker,
    /// A one-line prompt (search, subject, go to seq).
    Prompt,
    /// The help overlay.
    Help,
}

impl Context {
    /// The help overlay's section order.
    pub const ALL: &'static [Context] = &[
        Context::Global,
        Context::Timeline,
        Context::Detail,
        Context::Compliance,
        Context::Subjects,
        Context::Reviews,
        Context::Verify,
        Context::Picker,
        Context::Prompt,
        Context::Help,
    ];

    /// The section title in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Timeline => "Timeline",
            Context::Detail => "Entry detail",
            Context::Verify => "Verify",
            Context::Compliance => "Compliance",
            Context::Subjects => "Subjects (SAR)",
            Context::Reviews => "Reviews (access-review campaigns)",
            Context::Picker => "Type filter",
            Context::Prompt => "Prompts (search, subject, go to, as of, look up)",
            Context::Help => "This help",
        }
    }
}

/// What a key does. [`crate::App::handle`] returns the action it performed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The key is not bound here.
    None,
    Quit,
    Help,
    NextScreen,
    PrevScreen,
    Up,
    Down,
    Top,
    Bottom,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    Open,
    Back,
    PrevEntry,
    NextEntry,
    Search,
    SearchNext,
    SearchPrev,
    GoTo,
    FilterType,
    FilterSubject,
    FilterAuthor,
    FilterDates,
    ClearFilters,
    Verify,
    Reload,
    /// Show screen N (0-based, in Tab's order).
    Screen(u8),
    /// Compliance and Reviews: choose the as-of instant (they share it).
    AsOf,
    DayBack,
    DayForward,
    /// Compliance: only findings still open / every finding.
    ToggleOpen,
    /// Subjects: look a subject up.
    LookUp,
    /// Subjects: write the subject's SAR pack.
    Export,
    /// In a prompt: a character typed.
    Input(char),
    DeleteChar,
    ClearInput,
}

/// A key with its modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}
const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

impl Key {
    /// Whether a key press is this key. Shift is part of a character (`G`, `?`, `N`), so it is
    /// ignored for characters; Shift-Tab arrives as `BackTab`.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if !matches!(ev.code, KeyCode::Char(_)) {
            mods |= ev.modifiers & KeyModifiers::SHIFT;
            if ev.code == KeyCode::BackTab {
                mods -= KeyModifiers::SHIFT;
            }
        }
        self.code == ev.code && self.mods == mods
    }

    /// How the key is written in the key bar and the help.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// One row of the key map.
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// What it does, in the help overlay.
    pub desc: &'static str,
    /// The word in the key bar, if the binding is shown there. Consecutive bindings with the same
    /// word are shown together (`j/k move`).
    pub bar: Option<&'static str>,
}

impl Binding {
    /// Every key of the binding, as written in the help (`j ↓`).
    pub fn label(&self) -> String {
        self.keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    desc: &'static str,
    bar: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        desc,
        bar,
    }
}

use Action as A;
use Context as C;
use KeyCode as K;

/// The key map. Order matters: the first binding that matches wins, and the key bar and help
/// list bindings in this order.
pub const KEYMAP: &[Binding] = &[
    // Timeline
    b(
        C::Timeline,
        &[ch('j'), code(K::Down)],
        A::Down,
        "next entry",
        Some("move"),
    ),
    b(
        C::Timeline,
        &[ch('k'), code(K::Up)],
        A::Up,
        "previous entry",
        Some("move"),
    ),
    b(
        C::Timeline,
        &[ch('g'), code(K::Home)],
        A::Top,
        "first entry",
        None,
    ),
    b(
        C::Timeline,
        &[ch('G'), code(K::End)],
        A::Bottom,
        "last entry",
        None,
    ),
    b(
        C::Timeline,
        &[ctrl('d')],
        A::HalfPageDown,
        "half a page down",
        None,
    ),
    b(
        C::Timeline,
        &[ctrl('u')],
        A::HalfPageUp,
        "half a page up",
        None,
    ),
    b(
        C::Timeline,
        &[code(K::PageDown), ch(' ')],
        A::PageDown,
        "page down",
        None,
    ),
    b(C::Timeline, &[code(K::PageUp)], A::PageUp, "page up", None),
    b(
        C::Timeline,
        &[code(K::Enter)],
        A::Open,
        "open the entry (detail)",
        Some("open"),
    ),
    b(
        C::Timeline,
        &[ch('/')],
        A::Search,
        "search forward (type, author, subjects, fields)",
        Some("search"),
    ),
    b(
        C::Timeline,
        &[ch('n')],
        A::SearchNext,
        "next match",
        Some("next"),
    ),
    b(
        C::Timeline,
        &[ch('N')],
        A::SearchPrev,
        "previous match",
        Some("next"),
    ),
    b(
        C::Timeline,
        &[ch('t')],
        A::FilterType,
        "filter by event type",
        Some("type"),
    ),
    b(
        C::Timeline,
        &[ch('s')],
        A::FilterSubject,
        "filter by subject (person:ID, service-user:ID or a bare id)",
        Some("subject"),
    ),
    b(
        C::Timeline,
        &[ch('p')],
        A::FilterAuthor,
        "filter by author (the person whose key signed)",
        Some("author"),
    ),
    b(
        C::Timeline,
        &[ch('d')],
        A::FilterDates,
        "filter by recorded date range",
        Some("dates"),
    ),
    b(C::Timeline, &[ch(':')], A::GoTo, "go to a seq", None),
    b(
        C::Timeline,
        &[ch('c'), code(K::Esc)],
        A::ClearFilters,
        "clear the filters and the search",
        None,
    ),
    b(
        C::Timeline,
        &[ch('R')],
        A::Reload,
        "reload: see entries appended since the ledger was opened",
        None,
    ),
    // Entry detail
    b(
        C::Detail,
        &[ch('j'), code(K::Down)],
        A::Down,
        "scroll down",
        Some("scroll"),
    ),
    b(
        C::Detail,
        &[ch('k'), code(K::Up)],
        A::Up,
        "scroll up",
        Some("scroll"),
    ),
    b(
        C::Detail,
        &[ch('h'), code(K::Left)],
        A::PrevEntry,
        "previous entry (in the timeline's order)",
        Some("prev/next"),
    ),
    b(
        C::Detail,
        &[ch('l'), code(K::Right)],
        A::NextEntry,
        "next entry",
        Some("prev/next"),
    ),
    b(C::Detail, &[ch('g'), code(K::Home)], A::Top, "top", None),
    b(
        C::Detail,
        &[ch('G'), code(K::End)],
        A::Bottom,
        "bottom",
        None,
    ),
    b(
        C::Detail,
        &[ctrl('d'), code(K::PageDown), ch(' ')],
        A::PageDown,
        "page down",
        None,
    ),
    b(
        C::Detail,
        &[ctrl('u'), code(K::PageUp)],
        A::PageUp,
        "page up",
        None,
    ),
    b(
        C::Detail,
        &[ch('n')],
        A::SearchNext,
        "next search match",
        None,
    ),
    b(
        C::Detail,
        &[ch('N')],
        A::SearchPrev,
        "previous search match",
        None,
    ),
    b(
        C::Detail,
        &[code(K::Esc), code(K::Backspace)],
        A::Back,
        "back to the timeline",
        Some("back"),
    ),
    // Compliance
    b(
        C::Compliance,
        &[ch('j'), code(K::Down)],
        A::Down,
        "next rule or finding",
        Some("move"),
    ),
    b(
        C::Compliance,
        &[ch('k'), code(K::Up)],
        A::Up,
        "previous rule or finding",
        Some("move"),
    ),
    b(
        C::Compliance,
        &[ch('g'), code(K::Home)],
        A::Top,
        "first",
        None,
    ),
    b(
        C::Compliance,
        &[ch('G'), code(K::End)],
        A::Bottom,
        "last",
        None,
    ),
    b(
        C::Compliance,
        &[code(K::PageDown), ctrl('d'), ch(' ')],
        A::PageDown,
        "page down",
        None,
    ),
    b(
        C::Compliance,
        &[code(K::PageUp), ctrl('u')],
        A::PageUp,
        "page up",
        None,
    ),
    b(
        C::Compliance,
        &[code(K::Enter)],
        A::Open,
        "drill down: a rule's findings, a finding's entries",
        Some("drill down"),
    ),
    b(
        C::Compliance,
        &[ch('a')],
        A::AsOf,
        "audit as of another date or RFC 3339 time (Reviews' too)",
        Some("as of"),
    ),
    b(
        C::Compliance,
        &[ch('[')],
        A::DayBack,
        "as of one day earlier",
        Some("day"),
    ),
    b(
        C::Compliance,
        &[ch(']')],
        A::DayForward,
        "as of one day later",
        Some("day"),
    ),
    b(
        C::Compliance,
        &[ch('o')],
        A::ToggleOpen,
        "only open findings / every finding",
        Some("open only"),
    ),
    b(
        C::Compliance,
        &[ch('R')],
        A::Reload,
        "run the audit again",
        None,
    ),
    b(
        C::Compliance,
        &[code(K::Esc), code(K::Backspace)],
        A::Back,
        "back (to the rules, then the timeline)",
        Some("back"),
    ),
    // Subjects
    b(
        C::Subjects,
        &[ch('/'), ch('s')],
        A::LookUp,
        "look a subject up (empty: back to the requests)",
        Some("look up"),
    ),
    b(
        C::Subjects,
        &[ch('j'), code(K::Down)],
        A::Down,
        "next row",
        Some("move"),
    ),
    b(
        C::Subjects,
        &[ch('k'), code(K::Up)],
        A::Up,
        "previous row",
        Some("move"),
    ),
    b(
        C::Subjects,
        &[ch('g'), code(K::Home)],
        A::Top,
        "first",
        None,
    ),
    b(
        C::Subjects,
        &[ch('G'), code(K::End)],
        A::Bottom,
        "last",
        None,
    ),
    b(
        C::Subjects,
        &[code(K::PageDown), ctrl('d'), ch(' ')],
        A::PageDown,
        "page down",
        None,
    ),
    b(
        C::Subjects,
        &[code(K::PageUp), ctrl('u')],
        A::PageUp,
        "page up",
        None,
    ),
    b(
        C::Subjects,
        &[code(K::Enter)],
        A::Open,
        "open the entry, or look the request's subject up",
        Some("open"),
    ),
    b(
        C::Subjects,
        &[ch('e')],
        A::Export,
        "write the subject's SAR pack (report and proofs)",
        Some("export pack"),
    ),
    b(
        C::Subjects,
        &[code(K::Esc), code(K::Backspace)],
        A::Back,
        "back (to the requests, then the timeline)",
        Some("back"),
    ),
    // Reviews
    b(
        C::Reviews,
        &[ch('j'), code(K::Down)],
        A::Down,
        "next campaign or item",
        Some("move"),
    ),
    b(
        C::Reviews,
        &[ch('k'), code(K::Up)],
        A::Up,
        "previous campaign or item",
        Some("move"),
    ),
    b(C::Reviews, &[ch('g'), code(K::Home)], A::Top, "first", None),
    b(
        C::Reviews,
        &[ch('G'), code(K::End)],
        A::Bottom,
        "last",
        None,
    ),
    b(
        C::Reviews,
        &[code(K::PageDown), ctrl('d'), ch(' ')],
        A::PageDown,
        "page down",
        None,
    ),
    b(
        C::Reviews,
        &[code(K::PageUp), ctrl('u')],
        A::PageUp,
        "page up",
        None,
    ),
    b(
        C::Reviews,
        &[code(K::Enter)],
        A::Open,
        "a campaign's items; an item's entries (its decision first)",
        Some("open"),
    ),
    b(
        C::Reviews,
        &[ch('a')],
        A::AsOf,
        "as of another date or RFC 3339 time (Compliance's too)",
        Some("as of"),
    ),
    b(
        C::Reviews,
        &[ch('[')],
        A::DayBack,
        "as of one day earlier",
        Some("day"),
    ),
    b(
        C::Reviews,
        &[ch(']')],
        A::DayForward,
        "as of one day later",
        Some("day"),
    ),
    b(
        C::Reviews,
        &[ch('R')],
        A::Reload,
        "read the campaigns again",
        None,
    ),
    b(
        C::Reviews,
        &[code(K::Esc), code(K::Backspace)],
        A::Back,
        "back (to the campaigns, then the timeline)",
        Some("back"),
    ),
    // Verify
    b(
        C::Verify,
        &[code(K::Enter)],
        A::Open,
        "start; after a failure, jump to the first bad seq",
        Some("start/jump"),
    ),
    b(
        C::Verify,
        &[ch('v')],
        A::Verify,
        "verify (again)",
        Some("verify"),
    ),
    b(
        C::Verify,
        &[code(K::Esc)],
        A::Back,
        "back to the timeline",
        Some("back"),
    ),
    // Type picker
    b(
        C::Picker,
        &[ch('j'), code(K::Down)],
        A::Down,
        "next type",
        Some("move"),
    ),
    b(
        C::Picker,
        &[ch('k'), code(K::Up)],
        A::Up,
        "previous type",
        Some("move"),
    ),
    b(C::Picker, &[ch('g'), code(K::Home)], A::Top, "first", None),
    b(C::Picker, &[ch('G'), code(K::End)], A::Bottom, "last", None),
    b(
        C::Picker,
        &[code(K::Enter)],
        A::Open,
        "filter by this type",
        Some("choose"),
    ),
    b(
        C::Picker,
        &[code(K::Esc), ch('q')],
        A::Back,
        "cancel",
        Some("cancel"),
    ),
    // Prompts
    b(
        C::Prompt,
        &[code(K::Enter)],
        A::Open,
        "apply",
        Some("apply"),
    ),
    b(
        C::Prompt,
        &[code(K::Esc)],
        A::Back,
        "cancel",
        Some("cancel"),
    ),
    b(
        C::Prompt,
        &[code(K::Backspace)],
        A::DeleteChar,
        "delete a character",
        None,
    ),
    b(
        C::Prompt,
        &[ctrl('u')],
        A::ClearInput,
        "clear the line",
        Some("clear"),
    ),
    // Help
    b(
        C::Help,
        &[ch('j'), code(K::Down)],
        A::Down,
        "scroll down",
        Some("scroll"),
    ),
    b(
        C::Help,
        &[ch('k'), code(K::Up)],
        A::Up,
        "scroll up",
        Some("scroll"),
    ),
    b(
        C::Help,
        &[code(K::Esc), ch('?'), ch('q')],
        A::Back,
        "close the help",
        Some("close"),
    ),
    // Everywhere
    b(
        C::Global,
        &[code(K::Tab)],
        A::NextScreen,
        "next screen (Timeline, Compliance, Subjects, Reviews, Verify)",
        Some("screen"),
    ),
    b(
        C::Global,
        &[code(K::BackTab)],
        A::PrevScreen,
        "previous screen",
        None,
    ),
    b(C::Global, &[ch('1')], A::Screen(0), "the timeline", None),
    b(
        C::Global,
        &[ch('2')],
        A::Screen(1),
        "the compliance dashboard",
        None,
    ),
    b(
        C::Global,
        &[ch('3')],
        A::Screen(2),
        "subjects: SAR lookup and request deadlines",
        None,
    ),
    b(
        C::Global,
        &[ch('4')],
        A::Screen(3),
        "reviews: access-review campaigns and their items",
        None,
    ),
    b(C::Global, &[ch('5')], A::Screen(4), "verify", None),
    b(
        C::Global,
        &[ch('v')],
        A::Verify,
        "verify the whole ledger",
        Some("verify"),
    ),
    b(
        C::Global,
        &[ch('?')],
        A::Help,
        "help (this list)",
        Some("help"),
    ),
    b(
        C::Global,
        &[ch('q'), ctrl('c')],
        A::Quit,
        "quit (Ctrl-c works in prompts too)",
        Some("quit"),
    ),
];

/// Lines of the help that are not keys.
pub const MOUSE_HELP: &[(&str, &str)] = &[
    ("wheel", "scroll the timeline, the detail or the help"),
    (
        "click",
        "select a row in the timeline; a tab shows its screen",
    ),
];

/// The action bound to `ev` in the first of `contexts` that binds it.
pub fn lookup(contexts: &[Context], ev: &KeyEvent) -> Option<Action> {
    contexts.iter().find_map(|c| {
        KEYMAP
            .iter()
            .find(|bnd| bnd.context == *c && bnd.keys.iter().any(|k| k.matches(ev)))
            .map(|bnd| bnd.action)
    })
}

/// The key bar for `contexts`: (keys, word) pairs, consecutive bindings with the same word
/// merged (`j/k move`). A key already bound in an earlier context is not repeated.
pub fn bar(contexts: &[Context]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut seen: Vec<Key> = Vec::new();
    for c in contexts {
        let mut last_word: Option<&'static str> = None;
        for bnd in KEYMAP.iter().filter(|b| b.context == *c) {
            let shadowed = bnd.keys.iter().all(|k| seen.contains(k));
            seen.extend(bnd.keys.iter().copied());
            let Some(word) = bnd.bar else {
                last_word = None;
                continue;
            };
            if shadowed {
                continue;
            }
            let key = bnd.keys[0].label();
            match out.last_mut() {
                Some((keys, w)) if last_word == Some(word) && *w == word => {
                    keys.push('/');
                    keys.push_str(&key);
                }
                _ => out.push((key, word)),
            }
            last_word = Some(word);
        }
    }
    out
}

/// The help overlay's content: per context, (keys, description).
pub fn help_sections() -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    Context::ALL
        .iter()
        .map(|c| {
            let rows = KEYMAP
                .iter()
                .filter(|b| b.context == *c)
                .map(|b| (b.label(), b.desc))
                .collect();
            (c.title(), rows)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn every_binding_is_reachable_in_its_context() {
        // A binding shadowed by an earlier one in the same context would be dead (and the help
        // would lie about it).
        for (i, bnd) in KEYMAP.iter().enumerate() {
            for k in bnd.keys {
                let earlier = KEYMAP[..i]
                    .iter()
                    .any(|e| e.context == bnd.context && e.keys.contains(k));
                assert!(
                    !earlier,
                    "{:?} {} is bound twice in {:?}",
                    bnd.action,
                    k.label(),
                    bnd.context
                );
            }
        }
    }

    #[test]
    fn shifted_characters_and_control_keys_match() {
        let g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&[Context::Timeline], &g), Some(Action::Bottom));
        let cd = press(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(
            lookup(&[Context::Timeline], &cd),
            Some(Action::HalfPageDown)
        );
        // Plain d is the date filter, not Ctrl-d; an unbound key is nothing.
        let d = press(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(
            lookup(&[Context::Timeline, Context::Global], &d),
            Some(Action::FilterDates)
        );
        let x = press(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(lookup(&[Context::Timeline, Context::Global], &x), None);
        let bt = press(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(lookup(&[Context::Global], &bt), Some(Action::PrevScreen));
    }

    #[test]
    fn the_bar_merges_pairs_and_skips_shadowed_keys() {
        let bar = bar(&[Context::Verify, Context::Global]);
        let words: Vec<_> = bar.iter().map(|(k, w)| format!("{k} {w}")).collect();
        assert_eq!(
            words,
            [
                "Enter start/jump",
                "v verify",
                "Esc back",
                "Tab screen",
                "? help",
                "q quit"
            ]
        );
        let bar = super::bar(&[Context::Timeline]);
        assert_eq!(bar[0], ("j/k".to_string(), "move"));
        assert!(bar.contains(&("n/N".to_string(), "next")));
    }
}
