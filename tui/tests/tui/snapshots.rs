//! Snapshots (insta) of each screen at 80×24 and 120×40.

use crossterm::event::KeyCode;
use igl_tui::{App, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;

use crate::common::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The verify result's and the audit's timing vary from run to run.
fn steady(s: String) -> String {
    s.lines()
        .map(
            |l| match l.find("took ").or_else(|| l.find("audited in ")) {
                Some(i) => format!("{}[elapsed]", &l[..i]),
                None => l.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

fn snap_all(name: &str, app: &mut App) {
    for (w, h) in SIZES {
        let text = steady(render(app, w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    snap_all("timeline", &mut app);
}

#[test]
fn timeline_filtered_by_type() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('t'));
    // The picker lists "(any type)" then the catalogue; PersonEnrolled is the fifth type.
    for _ in 0..5 {
        app.handle(key('j'));
    }
    insta::assert_snapshot!("type_picker_80x24", render(&mut app, 80, 24));
    app.handle(code(KeyCode::Enter));
    app.settle();
    assert_eq!(app.filter().ty, Some("PersonEnrolled"));
    snap_all("timeline_person_enrolled", &mut app);
}

#[test]
fn detail_of_an_entry_with_personal_data_and_a_proof() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    type_text(&mut app, ":11");
    app.handle(code(KeyCode::Enter));
    app.handle(code(KeyCode::Enter));
    app.settle(); // the checkpoint search
    snap_all("detail_access_granted", &mut app);
    // Scrolled to the bottom at 80×24: the rest of the proof.
    app.prepare(Rect::new(0, 0, 80, 24));
    app.handle(key('G'));
    insta::assert_snapshot!(
        "detail_access_granted_bottom_80x24",
        render(&mut app, 80, 24)
    );
}

#[test]
fn detail_of_a_redacted_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    type_text(&mut app, ":7");
    app.handle(code(KeyCode::Enter));
    app.handle(code(KeyCode::Enter));
    app.settle();
    snap_all("detail_redacted", &mut app);
}

#[test]
fn detail_of_an_entry_after_the_latest_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('G'));
    app.handle(code(KeyCode::Enter));
    app.settle();
    insta::assert_snapshot!("detail_not_covered_120x40", render(&mut app, 120, 40));
}

#[test]
fn verify_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('5'));
    insta::assert_snapshot!("verify_idle_80x24", render(&mut app, 80, 24));
    app.handle(code(KeyCode::Enter));
    app.settle();
    snap_all("verify_ok", &mut app);
}

#[test]
fn verify_fails_on_a_missing_payload_and_jumps_to_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = small_ledger(tmp.path());
    delete_payload(&path, 6);
    let (src, _) = Counting::open(&path);
    let mut app = App::new(Box::new(src), Theme::color());
    app.handle(key('v'));
    app.settle();
    snap_all("verify_failed", &mut app);
    // Enter jumps to the first bad seq in the timeline, marked ✘.
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.screen(), igl_tui::Screen::Timeline);
    assert_eq!(app.cursor_seq(), Some(6));
    snap_all("timeline_after_failure", &mut app);
}

#[test]
fn help() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _) = small_app(tmp.path());
    app.handle(key('?'));
    snap_all("help", &mut app);
}

#[test]
fn no_color_uses_no_colour_but_keeps_the_symbols() {
    let tmp = tempfile::tempdir().unwrap();
    let path = small_ledger(tmp.path());
    let (src, _) = Counting::open(&path);
    let mut app = App::new(Box::new(src), Theme::no_color());
    let mut screens = Vec::new();
    let mut frame = |app: &mut App| {
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        app.prepare(Rect::new(0, 0, 120, 40));
        term.draw(|f| app.draw(f)).unwrap();
        let buf = term.backend().buffer().clone();
        for cell in buf.content() {
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "a coloured cell {:?} with NO_COLOR",
                cell
            );
        }
        screens.push(buffer_text(&buf));
    };
    frame(&mut app);
    type_text(&mut app, ":7");
    app.handle(code(KeyCode::Enter));
    app.handle(code(KeyCode::Enter));
    app.settle();
    frame(&mut app);
    app.handle(key('v'));
    app.settle();
    frame(&mut app);
    app.handle(key('?'));
    frame(&mut app);
    // The states still read without colour.
    assert!(
        screens[1].contains("⚠ redacted by seq 14"),
        "{}",
        screens[1]
    );
    assert!(screens[1].contains("✔ verifies with the author's key"));
    assert!(
        screens[2].contains("✔ verified 17 entries"),
        "{}",
        screens[2]
    );
}

/// Deletes entry `seq`'s personal-data payload behind the ledger's back.
fn delete_payload(path: &std::path::Path, seq: u64) {
    use igl_ledger::store::{cf, seq_key};
    let opts = rocksdb::Options::default();
    let db = rocksdb::DB::open_cf(&opts, path, cf::ALL).unwrap();
    let h = db.cf_handle(cf::PAYLOADS).unwrap();
    assert!(db.get_cf(h, seq_key(seq)).unwrap().is_some());
    db.delete_cf(h, seq_key(seq)).unwrap();
    db.flush_cf(h).unwrap();
}

/// The small ledger with two subject-rights requests about SU-000142 (one answered late, one
/// open and overdue), seen on 2026-03-20.
fn ledger_with_requests(dir: &std::path::Path) -> App {
    ledger_with_requests_and(dir, false)
}

/// [`ledger_with_requests`], with a signed checkpoint at the end when `checkpoint`.
fn ledger_with_requests_and(dir: &std::path::Path, checkpoint: bool) -> App {
    use igl_ledger::Ledger;
    use igl_schema::*;
    let path = small_ledger(dir);
    let k = keys();
    {
        let l = Ledger::open(&path).unwrap();
        let su = || Subject::ServiceUser(RecordId::new("SU-000142").unwrap());
        let rid = |s: &str| RequestId::new(s).unwrap();
        let received = |n, id: &str, on: &str| {
            sign(
                n,
                Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                    request: rid(id),
                    right: Right::Access,
                    data_subject: su(),
                    details: Some(Pii::new("Access request by email")),
                }),
                &format!("{on}T10:00:00Z"),
                &k.ig,
            )
        };
        let verified = |n, id: &str, on: &str| {
            sign(
                n,
                Event::SubjectRightsIdentityVerified(SubjectRightsIdentityVerified {
                    request: rid(id),
                    data_subject: su(),
                }),
                &format!("{on}T11:00:00Z"),
                &k.ig,
            )
        };
        l.append(
            &[
                received(30, "SRR-1", "2026-01-11"),
                verified(31, "SRR-1", "2026-01-12"),
                received(32, "SRR-2", "2026-01-20"),
                verified(33, "SRR-2", "2026-01-31"),
                sign(
                    34,
                    Event::SubjectRightsRequestFulfilled(SubjectRightsRequestFulfilled {
                        request: rid("SRR-1"),
                        data_subject: su(),
                        note: None,
                    }),
                    "2026-02-20T15:00:00Z",
                    &k.ig,
                ),
            ],
            &k.ig,
            t("2026-02-21T09:00:00Z"),
        )
        .unwrap();
        if checkpoint {
            // Two: a pack is proved against the second and proves its list complete up to the
            // first, which lies inside it.
            for n in [99, 100] {
                let mut id = [0u8; 16];
                id[0] = n;
                l.checkpoint(&k.ig, t("2026-02-22T09:00:00Z"), EventId(id))
                    .unwrap();
            }
        }
    }
    let (src, _) = Counting::open(&path);
    App::new(Box::new(src), Theme::color()).with_now(t("2026-03-20T12:00:00Z"))
}

#[test]
fn compliance_dashboard_and_its_drill_down() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = ledger_with_requests(tmp.path());
    app.handle(key('2'));
    app.settle();
    snap_all("compliance_rules", &mut app);
    // R11: the overdue requests.
    for _ in 0..10 {
        app.handle(key('j'));
    }
    assert_eq!(app.compliance().rule().id, "R11");
    app.handle(code(KeyCode::Enter));
    snap_all("compliance_findings_r11", &mut app);
    let seqs = app.compliance().finding().unwrap().seqs.clone();
    // Enter shows the entries that prove the finding, the first one open.
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.screen(), igl_tui::Screen::Timeline);
    assert_eq!(app.detail_seq(), seqs.first().copied());
    assert_eq!(app.view().len(), seqs.len() as u64);
    insta::assert_snapshot!("compliance_evidence_80x24", render(&mut app, 80, 24));
}

#[test]
fn subjects_lists_requests_with_clocks_and_looks_a_subject_up() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = ledger_with_requests(tmp.path());
    app.handle(key('3'));
    snap_all("subjects_requests", &mut app);
    // Enter on a request looks its data subject up.
    app.handle(code(KeyCode::Enter));
    snap_all("subjects_su_000142", &mut app);
    // A person, typed.
    app.handle(key('/'));
    type_text(&mut app, "P00100");
    app.handle(code(KeyCode::Enter));
    insta::assert_snapshot!("subjects_p00100_120x40", render(&mut app, 120, 40));
}

#[test]
fn subjects_exports_a_sar_pack_with_the_same_library_call_as_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pack");
    // Without a checkpoint covering the entries, nothing is written and it says why.
    let mut app = ledger_with_requests(&tmp.path().join("a"));
    app.handle(key('3'));
    app.handle(code(KeyCode::Enter)); // SU-000142
    app.handle(key('e'));
    app.handle(ctrl('u'));
    type_text(&mut app, out.to_str().unwrap());
    app.handle(code(KeyCode::Enter));
    assert!(
        app.status().unwrap().contains("checkpoint"),
        "{:?}",
        app.status()
    );
    assert!(!out.exists());
    // With one, the pack is written, and the status says how to check it.
    let mut app = ledger_with_requests_and(&tmp.path().join("b"), true);
    app.handle(key('3'));
    app.handle(code(KeyCode::Enter));
    app.handle(key('e'));
    app.handle(ctrl('u'));
    type_text(&mut app, out.to_str().unwrap());
    app.handle(code(KeyCode::Enter));
    let status = app.status().unwrap().to_string();
    assert!(status.starts_with("✔ wrote the SAR pack"), "{status}");
    assert!(status.contains("igl verify-bundle"), "{status}");
    for f in ["report.md", "report.json", "bundle.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // The directory is not empty now: a second export refuses.
    app.handle(key('e'));
    app.handle(ctrl('u'));
    type_text(&mut app, out.to_str().unwrap());
    app.handle(code(KeyCode::Enter));
    assert!(app.status().unwrap().starts_with('✘'), "{:?}", app.status());
}

#[test]
fn reviews_lists_the_campaigns_and_a_campaigns_items() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = review_app(tmp.path());
    app.handle(key('4'));
    app.settle();
    snap_all("reviews_campaigns", &mut app);
    // The campaigns are listed by id: AR-2026-Q4-ECLIPSE is the second.
    app.handle(key('j'));
    app.handle(code(KeyCode::Enter));
    snap_all("reviews_eclipse_items", &mut app);
}
