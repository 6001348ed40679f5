//! The Timeline's and the entry detail's bindings. Part of the one key map, [`super::KEYMAP`];
//! order matters within a context (the first binding that matches wins; the key bar and help list
//! them in order).

use crossterm::event::KeyCode as K;

use super::{Action as A, Binding, Context as C, b, ch, code, ctrl};

/// Timeline.
pub const TIMELINE: &[Binding] = &[
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
];

/// Entry detail.
pub const DETAIL: &[Binding] = &[
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
];
