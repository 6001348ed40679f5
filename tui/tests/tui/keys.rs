//! Key handling, driving the app state directly.

use crossterm::event::KeyCode;
use igl_ledger::compliance::campaign::{Execution, ItemState};
use igl_tui::app::Overlay;
use igl_tui::keymap::{KEYMAP, bar};
use igl_tui::{Action, Screen};

use crate::common::*;

#[test]
fn moving_through_the_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    render(&mut app, 80, 24); // 20 visible rows
    assert_eq!(app.cursor_seq(), Some(0));
    app.handle(key('j'));
    app.handle(code(KeyCode::Down));
    assert_eq!(app.cursor_seq(), Some(2));
    app.handle(key('k'));
    assert_eq!(app.cursor_seq(), Some(1));
    app.handle(key('G'));
    assert_eq!(app.cursor_seq(), Some(16));
    app.handle(key('j'));
    assert_eq!(app.cursor_seq(), Some(16), "stays on the last entry");
    app.handle(key('g'));
    assert_eq!(app.cursor_seq(), Some(0));
    app.handle(code(KeyCode::Up));
    assert_eq!(app.cursor_seq(), Some(0), "stays on the first entry");
    app.handle(ctrl('d'));
    assert_eq!(app.cursor_seq(), Some(10), "half of 20 rows");
    app.handle(ctrl('u'));
    assert_eq!(app.cursor_seq(), Some(0));
    app.handle(code(KeyCode::PageDown));
    assert_eq!(app.cursor_seq(), Some(16), "a page, clamped to the end");
    app.handle(code(KeyCode::PageUp));
    assert_eq!(app.cursor_seq(), Some(0));
    app.handle(code(KeyCode::End));
    assert_eq!(app.cursor_seq(), Some(16));
    app.handle(code(KeyCode::Home));
    assert_eq!(app.cursor_seq(), Some(0));
}

#[test]
fn enter_opens_the_detail_arrows_step_and_esc_goes_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    render(&mut app, 80, 24);
    for _ in 0..5 {
        app.handle(key('j'));
    }
    assert_eq!(app.handle(code(KeyCode::Enter)), Action::Open);
    assert_eq!(app.detail_seq(), Some(5));
    app.handle(key('l'));
    app.handle(code(KeyCode::Right));
    assert_eq!(app.detail_seq(), Some(7));
    app.handle(key('h'));
    assert_eq!(app.detail_seq(), Some(6));
    // j/k scroll the detail, not the timeline.
    render(&mut app, 80, 24);
    app.handle(key('j'));
    assert_eq!(app.detail_seq(), Some(6));
    assert_eq!(app.handle(code(KeyCode::Esc)), Action::Back);
    assert_eq!(app.detail_seq(), None);
    assert_eq!(app.cursor_seq(), Some(6), "the timeline follows the detail");
    // The first and last entries have nothing before / after them.
    app.handle(key('g'));
    app.handle(code(KeyCode::Enter));
    app.handle(key('h'));
    assert_eq!(app.detail_seq(), Some(0));
    assert_eq!(app.status(), Some("this is the first entry"));
}

#[test]
fn search_finds_forward_and_back_and_never_sees_erased_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    render(&mut app, 80, 24);
    app.handle(key('/'));
    assert!(matches!(app.overlay(), Overlay::Prompt { .. }));
    type_text(&mut app, "p00100");
    app.handle(code(KeyCode::Enter));
    assert!(app.busy(), "the search runs in ticks");
    app.settle();
    // Entry 3 enrols P00100's key: the first match after the cursor (seq 0).
    assert_eq!(app.cursor_seq(), Some(3));
    assert_eq!(app.status(), Some("match for \"p00100\" at seq 3"));
    app.handle(key('n'));
    app.settle();
    assert_eq!(app.cursor_seq(), Some(6));
    app.handle(key('n'));
    app.settle();
    assert_eq!(app.cursor_seq(), Some(9));
    app.handle(key('N'));
    app.settle();
    assert_eq!(app.cursor_seq(), Some(6));
    // Field values are searched, case-insensitively...
    app.handle(key('/'));
    type_text(&mut app, "CARE REVIEW");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.cursor_seq(), Some(12));
    // ... but erased personal data is gone: Grace Hopper's name was redacted.
    app.handle(key('g'));
    app.handle(key('/'));
    type_text(&mut app, "Hopper");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.cursor_seq(), Some(0));
    assert_eq!(app.status(), Some("⚠ no match for \"Hopper\" after seq 0"));
    // n in the detail moves the detail to the next match.
    app.handle(key('/'));
    type_text(&mut app, "G-0001");
    app.handle(code(KeyCode::Enter));
    app.settle();
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.detail_seq(), Some(11));
    app.handle(key('n'));
    app.settle();
    assert_eq!(app.detail_seq(), Some(16));
}

#[test]
fn filters_by_type_and_subject_and_clearing_them_keeps_the_place() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    render(&mut app, 80, 24);
    // Type: CheckpointRecorded, counted from the end of the picker (the catalogue's order).
    let types = igl_schema::Event::TYPES;
    let from_end = types.len()
        - 1
        - types
            .iter()
            .position(|t| *t == "CheckpointRecorded")
            .unwrap();
    app.handle(key('t'));
    app.handle(key('G'));
    for _ in 0..from_end {
        app.handle(key('k'));
    }
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.filter().ty, Some("CheckpointRecorded"));
    assert_eq!(app.view().len(), 1);
    assert_eq!(app.cursor_seq(), Some(15));
    // Subject, on top of no type filter.
    app.handle(key('t'));
    app.handle(key('g'));
    app.handle(code(KeyCode::Enter));
    app.handle(key('s'));
    type_text(&mut app, "SU-000142");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.view().len(), 1);
    assert_eq!(app.cursor_seq(), Some(12));
    // A bare id matches people too; person:ID only people.
    app.handle(key('s'));
    app.handle(ctrl('u'));
    type_text(&mut app, "person:P00010");
    app.handle(code(KeyCode::Enter));
    app.settle();
    let seqs: Vec<u64> = (0..app.view().len())
        .map(|p| app.view().seq_at(p).unwrap())
        .collect();
    assert_eq!(seqs, [2, 6, 7, 10, 11, 16]);
    app.handle(key('j'));
    app.handle(key('j'));
    assert_eq!(app.cursor_seq(), Some(7));
    // A bad subject is refused with a message.
    app.handle(key('s'));
    app.handle(ctrl('u'));
    type_text(&mut app, "robot:1");
    app.handle(code(KeyCode::Enter));
    assert!(app.status().unwrap().starts_with('✘'), "{:?}", app.status());
    // Esc clears the filters and stays on the entry.
    app.handle(code(KeyCode::Esc));
    assert!(app.filter().is_empty());
    assert_eq!(app.cursor_seq(), Some(7));
}

#[test]
fn go_to_a_seq() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    render(&mut app, 80, 24);
    app.handle(key(':'));
    type_text(&mut app, "12");
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.cursor_seq(), Some(12));
    app.handle(key(':'));
    type_text(&mut app, "99");
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.cursor_seq(), Some(12));
    assert_eq!(app.status(), Some("✘ no seq 99: the ledger has seq 0..=16"));
}

#[test]
fn prompts_take_plain_keys_as_text_and_esc_cancels() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('/'));
    // q, ?, j are typed, not commands.
    assert_eq!(app.handle(key('q')), Action::Input('q'));
    assert_eq!(app.handle(key('?')), Action::Input('?'));
    assert_eq!(app.handle(code(KeyCode::Backspace)), Action::DeleteChar);
    assert_eq!(
        app.overlay(),
        &Overlay::Prompt {
            kind: igl_tui::app::PromptKind::Search,
            text: "q".into()
        }
    );
    assert_eq!(app.handle(code(KeyCode::Esc)), Action::Back);
    assert_eq!(app.overlay(), &Overlay::None);
    // Ctrl-c quits even from a prompt.
    app.handle(key('/'));
    assert_eq!(app.handle(ctrl('c')), Action::Quit);
}

#[test]
fn help_tab_and_quit() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    assert_eq!(app.handle(key('?')), Action::Help);
    assert!(matches!(app.overlay(), Overlay::Help { .. }));
    // In the help, q closes the help rather than quitting.
    assert_eq!(app.handle(key('q')), Action::Back);
    assert_eq!(app.overlay(), &Overlay::None);
    assert_eq!(app.handle(code(KeyCode::Tab)), Action::NextScreen);
    assert_eq!(app.screen(), Screen::Compliance);
    assert_eq!(app.handle(code(KeyCode::BackTab)), Action::PrevScreen);
    assert_eq!(app.screen(), Screen::Timeline);
    // Shift-Tab wraps round to the last screen; digits go straight to a screen.
    app.handle(code(KeyCode::BackTab));
    assert_eq!(app.screen(), Screen::Verify);
    assert_eq!(app.handle(key('3')), Action::Screen(2));
    assert_eq!(app.screen(), Screen::Subjects);
    app.handle(key('1'));
    assert_eq!(app.screen(), Screen::Timeline);
    app.settle();
    assert_eq!(app.handle(key('x')), Action::None);
    assert_eq!(app.handle(key('q')), Action::Quit);
    assert_eq!(app.handle(ctrl('c')), Action::Quit);
}

#[test]
fn mouse_wheel_scrolls_and_a_click_selects() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    render(&mut app, 80, 24);
    let ev = |kind, row| MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.mouse(ev(MouseEventKind::ScrollDown, 5));
    assert_eq!(app.cursor_seq(), Some(3));
    app.mouse(ev(MouseEventKind::ScrollUp, 5));
    assert_eq!(app.cursor_seq(), Some(0));
    // Row 0 is the tab bar, row 1 the header: row 2 + 4 is the fifth entry.
    app.mouse(ev(MouseEventKind::Down(MouseButton::Left), 6));
    assert_eq!(app.cursor_seq(), Some(4));
    // The tab bar: " igl [Timeline]  Compliance   Subjects ..."; column 20 is in "Compliance".
    let click = |column| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row: 0,
        modifiers: KeyModifiers::NONE,
    };
    app.mouse(click(20));
    assert_eq!(app.screen(), Screen::Compliance);
    app.mouse(click(6));
    assert_eq!(app.screen(), Screen::Timeline);
    app.settle();
}

#[test]
fn the_help_lists_every_binding_and_the_bar_only_bound_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('?'));
    // Tall enough for all of it.
    let text = render(&mut app, 120, 200);
    for b in KEYMAP {
        assert!(text.contains(b.desc), "help lacks {:?}", b.desc);
        assert!(text.contains(&b.label()), "help lacks {}", b.label());
    }
    // Every key the bar shows does what the bar says in that context.
    app.handle(code(KeyCode::Esc));
    for ctxs in [app.contexts(), vec![igl_tui::keymap::Context::Detail]] {
        for (keys, word) in bar(&ctxs) {
            let bound = KEYMAP.iter().any(|b| {
                ctxs.contains(&b.context)
                    && b.bar == Some(word)
                    && keys.starts_with(&b.keys[0].label())
            });
            assert!(bound, "{keys} {word}");
        }
    }
}

#[test]
fn filters_by_author_and_recorded_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('d'));
    type_text(&mut app, "2026-01-07");
    app.handle(code(KeyCode::Enter));
    app.settle();
    // The batch recorded on 7 January: seqs 10 to 13.
    let seqs = |app: &igl_tui::App| -> Vec<u64> {
        (0..app.view().len())
            .filter_map(|p| app.view().seq_at(p))
            .collect()
    };
    assert_eq!(seqs(&app), vec![10, 11, 12, 13]);
    app.handle(key('p'));
    type_text(&mut app, "P00002");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(seqs(&app), vec![11], "{:?}", app.filter());
    assert_eq!(
        app.filter().describe(),
        "author P00002 · recorded 2026-01-07"
    );
    // A range open at one end, and a bad date refused with a message.
    app.handle(key('d'));
    app.handle(ctrl('u'));
    type_text(&mut app, "2026-01-09..");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(seqs(&app), vec![15, 16]);
    app.handle(key('d'));
    app.handle(ctrl('u'));
    type_text(&mut app, "2026-13-01");
    app.handle(code(KeyCode::Enter));
    assert!(
        app.status().unwrap().contains("YYYY-MM-DD"),
        "{:?}",
        app.status()
    );
    assert_eq!(seqs(&app), vec![15, 16]);
}

/// The Subjects screen resolves what is typed with the library's one resolver: a bare id under
/// which both a member of staff and a service user have entries is not guessed at (a subject
/// access answer about the wrong person is a breach); it asks which, and `person:ID` answers.
#[test]
fn subjects_asks_which_when_a_bare_id_names_two_subjects() {
    use igl_ledger::Ledger;
    use igl_schema::*;
    let tmp = tempfile::tempdir().unwrap();
    let path = small_ledger(tmp.path());
    let k = keys();
    {
        let l = Ledger::open(&path).unwrap();
        l.append(
            &[sign(
                40,
                Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                    request: RequestId::new("SRR-9").unwrap(),
                    right: Right::Access,
                    data_subject: Subject::ServiceUser(RecordId::new("P00100").unwrap()),
                    details: None,
                }),
                "2026-02-01T10:00:00Z",
                &k.ig,
            )],
            &k.ig,
            t("2026-02-01T11:00:00Z"),
        )
        .unwrap();
    }
    let (src, _) = Counting::open(&path);
    let mut app = igl_tui::app::App::new(Box::new(src), igl_tui::Theme::color());
    render(&mut app, 100, 30);
    app.handle(key('3'));
    assert_eq!(app.screen(), Screen::Subjects);
    app.handle(key('/'));
    type_text(&mut app, "P00100");
    app.handle(code(KeyCode::Enter));
    let status = app.status().unwrap().to_string();
    assert!(
        status.contains("P00100 names both person:P00100 (")
            && status.contains("service-user:P00100 (1 entry)")
            && status.contains("say which"),
        "{status}"
    );
    let screen = render(&mut app, 100, 30);
    assert!(!screen.contains("✔ person:P00100"), "{screen}");
    app.handle(key('/'));
    app.handle(ctrl('u'));
    type_text(&mut app, "service-user:P00100");
    app.handle(code(KeyCode::Enter));
    let status = app.status().unwrap().to_string();
    assert!(
        status.contains("service-user:P00100: 1 entry held"),
        "{status}"
    );
}

/// The Reviews tab (4): the campaigns as of the as-of instant, Enter on one for its items, what
/// is overdue and what was decided but never carried out, Enter on an item for its entries.
#[test]
fn reviews_show_the_overdue_item_and_the_revocation_not_done() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = review_app(tmp.path());
    render(&mut app, 120, 40);
    assert_eq!(app.handle(key('4')), Action::Screen(3));
    assert_eq!(app.screen(), Screen::Reviews);
    app.settle();
    let ids: Vec<String> = app
        .reviews()
        .campaigns()
        .iter()
        .map(|c| c.campaign.id.to_string())
        .collect();
    assert_eq!(ids, ["AR-2026-LIVEWELL", "AR-2026-Q4-ECLIPSE"]);
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("Reviews ✘2"), "{screen}");
    assert!(screen.contains("✔ AR-2026-LIVEWELL"), "{screen}");
    assert!(screen.contains("✘ AR-2026-Q4-ECLIPSE"), "{screen}");
    assert!(screen.contains("default keep"), "{screen}");
    // Enter on AR-2026-Q4-ECLIPSE lists its items.
    app.handle(key('j'));
    app.handle(code(KeyCode::Enter));
    assert_eq!(
        app.reviews()
            .campaign()
            .map(|c| c.id.to_string())
            .as_deref(),
        Some("AR-2026-Q4-ECLIPSE")
    );
    let screen = render(&mut app, 120, 40);
    let row = |g: &str| -> String {
        screen
            .lines()
            .find(|l| l.contains(g) && l.contains("Eclipse ("))
            .unwrap_or_else(|| panic!("no row for {g}:\n{screen}"))
            .to_string()
    };
    let g1 = row("G-00001");
    assert!(g1.contains("P00011") && g1.contains("OVERDUE"), "{g1}");
    let g7 = row("G-00007");
    assert!(g7.contains("P00017"), "{g7}");
    assert!(g7.contains("NOT DONE (due 2026-10-20)"), "{g7}");
    assert!(
        row("G-00018").contains("revoked 2026-10-21 (seq"),
        "{screen}"
    );
    // The same from the model the screen draws (whose columns may cut a long text short).
    let items = app.reviews().items();
    let item = |g: &str| items.iter().find(|i| i.item.grant.as_str() == g).unwrap();
    assert_eq!(
        item("G-00009").decision_text(),
        "revoked 2026-10-15 before a decision"
    );
    assert!(
        item("G-00021")
            .carried_out_text(app.reviews().as_of)
            .starts_with("revoked LATE 2026-10-26 (seq "),
    );
    assert_eq!(item("G-00001").state, ItemState::Overdue);
    assert_eq!(item("G-00001").item.reviewer.as_str(), "P00011");
    assert!(matches!(
        item("G-00007").execution,
        Execution::Awaiting { .. }
    ));
    assert_eq!(
        item("G-00007").carried_out_text(app.reviews().as_of),
        "NOT DONE (due 2026-10-20)"
    );
    let g7_decision = match item("G-00007").state {
        ItemState::Decided { seq, .. } => seq,
        ref other => panic!("{other:?}"),
    };
    let g7_granted = item("G-00007").item.granted.seq;
    drop(items);
    // Enter on G-00007 (the fourth item) opens its decision in the timeline, with its grant.
    for _ in 0..3 {
        app.handle(key('j'));
    }
    assert_eq!(
        app.reviews()
            .item()
            .map(|i| i.item.grant.to_string())
            .as_deref(),
        Some("G-00007")
    );
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.screen(), Screen::Timeline);
    assert_eq!(app.detail_seq(), Some(g7_decision));
    let shown: Vec<u64> = (0..app.view().len())
        .filter_map(|p| app.view().seq_at(p))
        .collect();
    assert_eq!(shown, [g7_granted, g7_decision]);
    // Back on the tab, the campaign and the item are still selected; Esc goes back to the list,
    // then to the timeline.
    app.handle(key('4'));
    assert_eq!(
        app.reviews()
            .item()
            .map(|i| i.item.grant.to_string())
            .as_deref(),
        Some("G-00007")
    );
    app.handle(code(KeyCode::Esc));
    assert!(app.reviews().campaign().is_none());
    assert_eq!(app.screen(), Screen::Reviews);
    app.handle(code(KeyCode::Esc));
    assert_eq!(app.screen(), Screen::Timeline);
    // As of 2026-11-01, before the due date: G-00001 is pending, not overdue; the as-of instant
    // is the Compliance screen's too.
    app.handle(key('4'));
    app.handle(key('a'));
    type_text(&mut app, "2026-11-01");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.compliance().as_of, app.reviews().as_of);
    assert_eq!(app.reviews().as_of, t("2026-11-01T23:59:59.999999Z"));
    assert_eq!(
        app.reviews()
            .campaign()
            .map(|c| c.id.to_string())
            .as_deref(),
        None
    );
    app.handle(key('j'));
    app.handle(code(KeyCode::Enter));
    let screen = render(&mut app, 120, 40);
    let g1 = screen.lines().find(|l| l.contains("G-00001")).unwrap();
    assert!(g1.contains("pending") && !g1.contains("OVERDUE"), "{g1}");
    // ] moves a day on, and the campaign stays open.
    app.handle(key(']'));
    app.settle();
    assert_eq!(app.reviews().as_of, t("2026-11-02T23:59:59.999999Z"));
    assert!(app.reviews().campaign().is_some());
}

/// A ledger with no campaign says so, as `igl review list` does.
#[test]
fn reviews_on_a_ledger_without_campaigns() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('4'));
    app.settle();
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("Reviews ✔"), "{screen}");
    assert!(
        screen.contains("No access-review campaign as of") && screen.contains("igl review open"),
        "{screen}"
    );
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.status(), Some("no campaign to open"));
    assert!(app.reviews().campaign().is_none());
    app.handle(code(KeyCode::Esc));
    assert_eq!(app.screen(), Screen::Timeline);
}
