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
