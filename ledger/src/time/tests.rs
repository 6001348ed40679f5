use super::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

#[test]
fn month_ends_clamp() {
    assert_eq!(add_months(ymd(2026, 1, 31), 1), ymd(2026, 2, 28));
    assert_eq!(add_months(ymd(2028, 1, 31), 1), ymd(2028, 2, 29));
    assert_eq!(add_months(ymd(2026, 3, 31), 1), ymd(2026, 4, 30));
    assert_eq!(add_months(ymd(2025, 11, 30), 3), ymd(2026, 2, 28));
    assert_eq!(add_months(ymd(2024, 2, 29), 12), ymd(2025, 2, 28));
}

#[test]
fn easter_and_bank_holidays() {
    assert_eq!(easter_sunday(2026), ymd(2026, 4, 5));
    assert_eq!(easter_sunday(2025), ymd(2025, 4, 20));
    assert_eq!(easter_sunday(2027), ymd(2027, 3, 28));
    assert_eq!(
        bank_holidays(2026),
        vec![
            ymd(2026, 1, 1),
            ymd(2026, 4, 3),
            ymd(2026, 4, 6),
            ymd(2026, 5, 4),
            ymd(2026, 5, 25),
            ymd(2026, 8, 31),
            ymd(2026, 12, 25),
            ymd(2026, 12, 28),
        ]
    );
    // 2027: Christmas on a Saturday.
    assert!(bank_holidays(2027).contains(&ymd(2027, 12, 27)));
    assert!(bank_holidays(2027).contains(&ymd(2027, 12, 28)));
}

#[test]
fn working_day_deadlines() {
    let cal = Calendar::default();
    // August is British Summer Time: the end of a UK day is 22:59:59.999999Z.
    // Friday 17:00 + 1 working day: end of Monday.
    assert_eq!(
        cal.working_days_due(t("2026-08-14T16:00:00Z"), 1),
        t("2026-08-17T22:59:59.999999Z")
    );
    // Friday before the summer bank holiday: end of Tuesday.
    assert_eq!(
        cal.working_days_due(t("2026-08-28T16:00:00Z"), 1),
        t("2026-09-01T22:59:59.999999Z")
    );
    let plain = Calendar {
        bank_holidays: false,
    };
    assert_eq!(
        plain.working_days_due(t("2026-08-28T16:00:00Z"), 1),
        t("2026-08-31T22:59:59.999999Z")
    );
    // Saturday: the first working day after is Monday.
    assert_eq!(
        cal.working_days_due(t("2026-08-15T10:00:00Z"), 1),
        t("2026-08-17T22:59:59.999999Z")
    );
    assert_eq!(
        cal.working_days_due(t("2026-08-12T10:00:00Z"), 0),
        t("2026-08-12T22:59:59.999999Z")
    );
    assert_eq!(
        cal.working_days_due(t("2026-08-12T10:00:00Z"), 3),
        t("2026-08-17T22:59:59.999999Z")
    );
    // 23:30Z on Sunday 16 August is already Monday in London: due the end of Tuesday.
    assert_eq!(
        cal.working_days_due(t("2026-08-16T23:30:00Z"), 1),
        t("2026-08-18T22:59:59.999999Z")
    );
    // Winter (GMT): the end of the day is 23:59:59.999999Z.
    assert_eq!(
        cal.working_days_due(t("2026-11-13T17:00:00Z"), 1),
        t("2026-11-16T23:59:59.999999Z")
    );
}

#[test]
fn uk_days_across_the_clock_changes() {
    // 2026: clocks go forward at 01:00Z on Sunday 29 March, back at 01:00Z on Sunday
    // 25 October.
    let d = |y, m, dd| ymd(y, m, dd);
    assert_eq!(day_start(d(2026, 3, 28)), t("2026-03-28T00:00:00Z"));
    assert_eq!(day_end(d(2026, 3, 28)), t("2026-03-28T23:59:59.999999Z"));
    // The 29th of March has 23 hours: it starts in GMT and ends in BST.
    assert_eq!(day_start(d(2026, 3, 29)), t("2026-03-29T00:00:00Z"));
    assert_eq!(day_end(d(2026, 3, 29)), t("2026-03-29T22:59:59.999999Z"));
    assert_eq!(day_start(d(2026, 3, 30)), t("2026-03-29T23:00:00Z"));
    // The 25th of October has 25 hours: it starts in BST and ends in GMT.
    assert_eq!(day_start(d(2026, 10, 25)), t("2026-10-24T23:00:00Z"));
    assert_eq!(day_end(d(2026, 10, 25)), t("2026-10-25T23:59:59.999999Z"));
    assert_eq!(
        day_end(d(2026, 10, 25)).micros() - day_start(d(2026, 10, 25)).micros() + 1,
        25 * HOUR
    );
    // An instant's UK date.
    assert_eq!(uk_date(t("2026-03-29T22:59:59Z")), d(2026, 3, 29));
    assert_eq!(uk_date(t("2026-03-29T23:00:00Z")), d(2026, 3, 30));
    assert_eq!(uk_date(t("2026-10-24T22:59:59Z")), d(2026, 10, 24));
    assert_eq!(uk_date(t("2026-10-24T23:00:00Z")), d(2026, 10, 25));
    assert_eq!(uk_date(t("2026-10-25T23:59:59Z")), d(2026, 10, 25));
    assert_eq!(uk_date(t("2026-10-26T00:00:00Z")), d(2026, 10, 26));
    // A working-day deadline across each change: Friday 27 March + 1 working day is the
    // end of Monday 30 March, in BST; Friday 23 October + 1 is Monday 26 October, in GMT.
    let cal = Calendar::default();
    assert_eq!(
        cal.working_days_due(t("2026-03-27T17:00:00Z"), 1),
        t("2026-03-30T22:59:59.999999Z")
    );
    assert_eq!(
        cal.working_days_due(t("2026-10-23T16:00:00Z"), 1),
        t("2026-10-26T23:59:59.999999Z")
    );
    // Spans of dates follow the same days.
    let sp = Span::dates(d(2026, 3, 29), Some(d(2026, 3, 29)));
    assert_eq!(sp.end - sp.start, 23 * HOUR);
}

#[test]
fn instants_read_in_uk_time() {
    assert_eq!(uk_text(t("2026-08-14T17:00:00Z")), "2026-08-14 18:00 BST");
    assert_eq!(uk_text(t("2026-11-13T17:00:00Z")), "2026-11-13 17:00 GMT");
    assert_eq!(uk_text(t("2026-08-17T23:00:00Z")), "2026-08-18 00:00 BST");
    assert_eq!(
        parse_instant("2026-08-17"),
        Ok(t("2026-08-17T22:59:59.999999Z"))
    );
    assert_eq!(
        parse_instant("2026-01-17"),
        Ok(t("2026-01-17T23:59:59.999999Z"))
    );
    assert!(parse_instant("17/08/2026").is_err());
}

#[test]
fn shifting_by_uk_days_across_the_clock_changes() {
    // The end of 24 October (BST) back and forth across the October change.
    assert_eq!(
        shift_days(t("2026-10-24T22:59:59.999999Z"), 1),
        t("2026-10-25T23:59:59.999999Z")
    );
    assert_eq!(
        shift_days(t("2026-10-25T23:59:59.999999Z"), -1),
        t("2026-10-24T22:59:59.999999Z")
    );
    // 09:00 in London stays 09:00 in London across the March change.
    assert_eq!(
        shift_days(t("2026-03-28T09:00:00Z"), 2),
        t("2026-03-30T08:00:00Z")
    );
    // 01:30 on 29 March does not exist in London: the first instant after the gap.
    assert_eq!(
        shift_days(t("2026-03-28T01:30:00Z"), 1),
        t("2026-03-29T01:30:00Z")
    );
}

#[test]
fn the_next_working_day() {
    let cal = Calendar::default();
    // Saturday 28 February 2026 → Monday 2 March; Good Friday 3 April → Tuesday 7 April.
    assert_eq!(
        cal.on_or_next_working_day(ymd(2026, 2, 28)),
        ymd(2026, 3, 2)
    );
    assert_eq!(cal.on_or_next_working_day(ymd(2026, 4, 3)), ymd(2026, 4, 7));
    assert_eq!(cal.on_or_next_working_day(ymd(2026, 3, 3)), ymd(2026, 3, 3));
    // Christmas 2026 is a Friday: Friday 25, Monday 28 (Boxing Day substitute) → Tuesday 29.
    assert_eq!(
        cal.on_or_next_working_day(ymd(2026, 12, 25)),
        ymd(2026, 12, 29)
    );
}

#[test]
fn spans_algebra() {
    let s = |a: i64, b: i64| Span { start: a, end: b };
    let x = Spans::new([s(0, 10), s(5, 15), s(20, 30), s(30, 31)]);
    assert_eq!(x.spans(), &[s(0, 15), s(20, 31)]);
    let y = Spans::new([s(3, 22)]);
    assert_eq!(x.intersect(&y).spans(), &[s(3, 15), s(20, 22)]);
    assert_eq!(x.minus(&y).spans(), &[s(0, 3), s(22, 31)]);
    assert_eq!(y.minus(&x).spans(), &[s(15, 20)]);
    assert!(x.minus(&Spans::all()).is_empty());
}

#[test]
fn durations() {
    assert_eq!(fmt_duration(3 * DAY + 4 * HOUR + 5), "3d 4h");
    assert_eq!(fmt_duration(13 * HOUR + 5 * 60_000_000), "13h 5m");
    assert_eq!(fmt_duration(20_000_000), "20s");
}
