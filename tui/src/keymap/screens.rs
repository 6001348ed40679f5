//! The Compliance, Subjects, Reviews and Verify screens' bindings. Part of the one key map,
//! [`super::KEYMAP`]; order matters within a context (the first binding that matches wins; the key
//! bar and help list them in order).

use crossterm::event::KeyCode as K;

use super::{Action as A, Binding, Context as C, b, ch, code, ctrl};

/// Compliance.
pub const COMPLIANCE: &[Binding] = &[
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
];

/// Subjects.
pub const SUBJECTS: &[Binding] = &[
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
];

/// Reviews.
pub const REVIEWS: &[Binding] = &[
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
];

/// Verify.
pub const VERIFY: &[Binding] = &[
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
];
