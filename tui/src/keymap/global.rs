//! The overlays' bindings (type picker, prompts, help) and those that work everywhere. Part of the
//! one key map, [`super::KEYMAP`]; order matters within a context (the first binding that matches
//! wins; the key bar and help list them in order).

use crossterm::event::KeyCode as K;

use super::{Action as A, Binding, Context as C, b, ch, code, ctrl};

/// Type picker.
pub const PICKER: &[Binding] = &[
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
];

/// Prompts.
pub const PROMPT: &[Binding] = &[
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
];

/// Help.
pub const HELP: &[Binding] = &[
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
];

/// Everywhere.
pub const GLOBAL: &[Binding] = &[
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
