//! The timeline reads only what it shows, whatever the ledger's size.

use crossterm::event::KeyCode;
use igl_tui::{App, Theme};

use crate::common::*;

#[test]
fn the_first_frame_of_a_100k_entry_ledger_reads_only_the_visible_window() {
    let tmp = tempfile::tempdir().unwrap();
    let path = big_ledger(tmp.path(), 100_000);
    let (src, reads) = Counting::open(&path);
    let mut app = App::new(Box::new(src), Theme::color());
    assert_eq!(reads.entry() + reads.scanned(), 0, "opening reads no entry");

    // 120×40: the tab bar, the header, the status line and the key bar leave 36 rows.
    let text = render(&mut app, 120, 40);
    assert_eq!(reads.entry(), 36, "one read per visible row");
    assert_eq!(reads.scanned(), 0);
    assert_eq!(reads.key(), 1, "the one author's key, read once");
    assert!(text.contains("100,001 entries"), "{text}");

    // Drawing again reads nothing: the rows are cached.
    render(&mut app, 120, 40);
    assert_eq!(reads.entry(), 36);

    // The last page is as cheap as the first.
    app.handle(key('G'));
    let text = render(&mut app, 120, 40);
    assert_eq!(reads.entry(), 72);
    assert!(text.contains("100000 2026-01-05 09:10"), "{text}");
    assert_eq!(app.cursor_seq(), Some(100_000));

    // A page down reads the next page only.
    app.handle(key('g'));
    render(&mut app, 120, 40);
    app.handle(code(KeyCode::PageDown));
    render(&mut app, 120, 40);
    assert_eq!(app.cursor_seq(), Some(36));
    assert_eq!(
        reads.entry(),
        72 + 36,
        "the next page only (the first is cached)"
    );
    assert_eq!(reads.scanned(), 0);
}

/// A subject or type filter is answered by the indexes, as `igl log --subject/--type` is: on a
/// 100k-entry ledger it reads no entry beyond the rows drawn. With an author filter on top,
/// only the entries the indexes selected are read.
#[test]
fn subject_and_type_filters_go_through_the_indexes_not_a_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let path = big_ledger(tmp.path(), 100_000);
    let (src, reads) = Counting::open(&path);
    let mut app = App::new(Box::new(src), Theme::color());
    render(&mut app, 120, 40);
    let drawn = reads.entry();

    // The genesis entry names the administrator, P00001; nothing else names anyone.
    app.handle(key('s'));
    type_text(&mut app, "P00001");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert!(app.view().complete());
    assert_eq!(app.view().len(), 1);
    assert_eq!(app.view().seq_at(0), Some(0));
    let text = render(&mut app, 120, 40);
    assert!(text.contains("LedgerCreated"), "{text}");
    assert_eq!(reads.scanned(), 0, "no scan");
    assert!(reads.entry() <= drawn + 1, "{} entry reads", reads.entry());

    // A type filter alone is the `by_type` index's answer: LedgerCreated, the first type in
    // the picker (after "every type"), is the genesis entry.
    app.handle(key('s'));
    app.handle(ctrl('u'));
    app.handle(code(KeyCode::Enter));
    app.handle(key('t'));
    app.handle(key('g'));
    app.handle(key('j'));
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.filter().ty, Some("LedgerCreated"));
    assert!(app.view().complete());
    assert_eq!(app.view().len(), 1);
    assert_eq!(reads.scanned(), 0, "no scan");
    // Back to the subject filter alone.
    app.handle(key('t'));
    app.handle(key('g'));
    app.handle(code(KeyCode::Enter));
    app.handle(key('s'));
    type_text(&mut app, "P00001");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.view().len(), 1);

    // The author too: the one selected entry is read to check its author, nothing else.
    let before = reads.entry();
    app.handle(key('p'));
    type_text(&mut app, "P00001");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.view().len(), 1);
    assert_eq!(reads.scanned(), 0, "no scan");
    assert!(reads.entry() <= before + 2, "{} entry reads", reads.entry());

    // A subject nothing names: an empty view at once, said so.
    app.handle(key('p'));
    app.handle(ctrl('u'));
    app.handle(code(KeyCode::Enter));
    app.handle(key('s'));
    app.handle(ctrl('u'));
    type_text(&mut app, "person:P99999");
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert!(app.view().complete() && app.view().is_empty());
    assert!(
        app.status().unwrap().contains("no entry matches"),
        "{:?}",
        app.status()
    );
    assert_eq!(reads.scanned(), 0, "no scan");
}
