//! The key map: **one table** ([`KEYMAP`]) of (keys, action, description, context).
//!
//! The same table dispatches key presses ([`lookup`]), draws the key bar at the bottom
//! ([`bar`]) and the help overlay ([`help_sections`]), so what the help says is what the keys
//! do, by construction. The table is written a few contexts per file (`timeline.rs`,
//! `screens.rs`, `global.rs`) and put together at compile time.

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
#[derive(Clone, Copy, Debug)]
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

mod global;
mod screens;
mod timeline;

/// Every context's bindings, in the help's order of sections.
const TABLES: &[&[Binding]] = &[
    timeline::TIMELINE,
    timeline::DETAIL,
    screens::COMPLIANCE,
    screens::SUBJECTS,
    screens::REVIEWS,
    screens::VERIFY,
    global::PICKER,
    global::PROMPT,
    global::HELP,
    global::GLOBAL,
];

const fn total(tables: &[&[Binding]]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < tables.len() {
        n += tables[i].len();
        i += 1;
    }
    n
}

/// The tables one after another (at compile time).
const fn concat<const N: usize>(tables: &[&[Binding]]) -> [Binding; N] {
    let mut out = [b(Context::Global, &[], Action::None, "", None); N];
    let (mut i, mut k) = (0, 0);
    while i < tables.len() {
        let mut j = 0;
        while j < tables[i].len() {
            out[k] = tables[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

const ALL: [Binding; total(TABLES)] = concat(TABLES);

/// The key map, one table: each context's bindings (in `timeline.rs`, `screens.rs` and
/// `global.rs`) one after another. Order matters within a context: the first binding that
/// matches wins, and the key bar and help list bindings in this order.
pub const KEYMAP: &[Binding] = &ALL;

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
