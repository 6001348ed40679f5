use super::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

#[test]
fn local_times_are_uk_time() {
    let f = default_date_formats();
    let midnight = NaiveTime::from_hms_opt(0, 0, 0).unwrap();
    let p = |s: &str| parse_local_instant(s, &f, midnight);
    assert_eq!(p("2026-08-14 17:00"), Ok(t("2026-08-14T16:00:00Z")));
    assert_eq!(p("14/08/2026 17:00"), Ok(t("2026-08-14T16:00:00Z")));
    assert_eq!(p("14/01/2026 17:00"), Ok(t("2026-01-14T17:00:00Z")));
    assert_eq!(p("14/08/2026"), Ok(t("2026-08-13T23:00:00Z")));
    assert_eq!(p("14 Aug 2026"), Ok(t("2026-08-13T23:00:00Z")));
    assert_eq!(
        p("2026-08-14T17:00:00+02:00"),
        Ok(t("2026-08-14T15:00:00Z"))
    );
    // The October hour that happens twice: the first (BST) is taken.
    assert_eq!(p("25/10/2026 01:30"), Ok(t("2026-10-25T00:30:00Z")));
    // The March gap does not exist.
    assert!(
        p("29/03/2026 01:30")
            .unwrap_err()
            .contains("does not exist")
    );
    assert!(p("31/02/2026").is_err());
    assert!(p("").is_err());
}

/// The golden row ids of FORMAT.md, *Imported rows*, computed independently (Python's
/// `blake3` package over the JSON below).
#[test]
fn golden_row_ids() {
    let lid = LedgerId([1; 16]);
    let ended = Event::EmploymentEnded(EmploymentEnded {
        person: PersonId::new("P201").unwrap(),
        note: Some(Pii::new("Resigned")),
    });
    assert_eq!(
        String::from_utf8(event_json(&ended)).unwrap(),
        r#"{"type":"EmploymentEnded","person":"P201","note":"Resigned"}"#
    );
    let at = t("2026-08-14T16:00:00Z").micros().to_le_bytes();
    assert_eq!(
        hex::encode(row_event_id(HR_CONTEXT, lid, &[b"leaver", &event_json(&ended), &at]).0),
        "37e1590a61e724bf3012914b920f4a1e"
    );
    let access = Event::RecordAccessed(RecordAccessed {
        person: PersonId::new("P100").unwrap(),
        system: SystemId::new("Eclipse").unwrap(),
        record: RecordId::new("SU-000142").unwrap(),
        purpose: Pii::new("Case review"),
        device: Some(DeviceId::new("PCC-LT-1").unwrap()),
    });
    assert_eq!(
        String::from_utf8(event_json(&access)).unwrap(),
        r#"{"type":"RecordAccessed","person":"P100","system":"Eclipse","record":"SU-000142","purpose":"Case review","device":"PCC-LT-1"}"#
    );
    let at = t("2026-03-02T09:14:00Z").micros().to_le_bytes();
    assert_eq!(
        hex::encode(row_event_id(ACCESS_CONTEXT, lid, &[&event_json(&access), &at]).0),
        "2bc189bd011cd8ddc04ebbe343f5e452"
    );
}

#[test]
fn a_row_has_the_same_id_every_time_and_only_in_its_ledger() {
    let a = row_event_id(HR_CONTEXT, LedgerId([1; 16]), &[b"joiner", b"P1", &[0; 8]]);
    assert_eq!(
        a,
        row_event_id(HR_CONTEXT, LedgerId([1; 16]), &[b"joiner", b"P1", &[0; 8]])
    );
    assert_ne!(
        a,
        row_event_id(HR_CONTEXT, LedgerId([2; 16]), &[b"joiner", b"P1", &[0; 8]])
    );
    // Parts are length-prefixed: moving a byte between parts changes the id.
    assert_ne!(
        row_event_id(ACCESS_CONTEXT, LedgerId([1; 16]), &[b"ab", b"c"]),
        row_event_id(ACCESS_CONTEXT, LedgerId([1; 16]), &[b"a", b"bc"])
    );
}
