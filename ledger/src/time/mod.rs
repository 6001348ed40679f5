//! Time arithmetic for the compliance rules and the subject-rights clocks: calendar months, working days and bank holidays,
//! and spans of instants (the periods during which something was exposed, covered or not).
//!
//! **Days are the UK's.** A council's days, working days and month ends are those of the UK
//! calendar: every date here is a date in Europe/London (GMT in winter, BST in summer), taken
//! from the IANA time-zone database (`chrono-tz`), never a hand-written offset. A deadline of
//! "end of the day" is the last microsecond before the next midnight in London: 23:59:59.999999Z
//! in winter, 22:59:59.999999Z in summer. Instants stay UTC everywhere else (entries, JSON).
//! Deadlines are *inclusive*: an obligation met at the deadline instant is on time, one
//! microsecond later is late.

use chrono::{Datelike, Days, Months, NaiveDate, TimeZone, Weekday};
use chrono_tz::Tz;
use igl_schema::Timestamp;
use serde::Serialize;

mod spans;

pub use spans::*;

/// Microseconds in an hour.
pub const HOUR: i64 = 3_600_000_000;
/// Microseconds in a day of 24 hours (a UK calendar day has 23 or 25 on the days the clocks
/// change: use [`day_start`] and [`day_end`] for calendar days).
pub const DAY: i64 = 24 * HOUR;

/// Where a fact comes from: when it happened (`occurred_at`) and the entry's seq. Ordered by
/// time, then seq: the order of the governance fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Stamp {
    pub at: Timestamp,
    pub seq: u64,
}

/// The time zone whose calendar the deadlines are counted in.
pub const ZONE: Tz = chrono_tz::Europe::London;

/// The UK calendar date of an instant (its date in Europe/London).
pub fn uk_date(t: Timestamp) -> NaiveDate {
    t.datetime().with_timezone(&ZONE).date_naive()
}

/// The first instant of a UK calendar date: midnight in London. (The UK's clocks change at
/// 01:00 UTC, so midnight always exists and is never repeated.)
pub fn day_start(d: NaiveDate) -> Timestamp {
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    let local = ZONE
        .from_local_datetime(&midnight)
        .earliest()
        .expect("midnight exists in Europe/London");
    Timestamp::truncate(local.with_timezone(&chrono::Utc))
}

/// The last instant of a UK calendar date: one microsecond before the next midnight in London
/// (23:59:59.999999Z in winter, 22:59:59.999999Z in summer).
pub fn day_end(d: NaiveDate) -> Timestamp {
    let next = d
        .checked_add_days(Days::new(1))
        .expect("dates stay in range");
    Timestamp::from_micros(day_start(next).micros() - 1).expect("in range")
}

/// An instant as a UK reader reads it: its date and time in London with the zone,
/// `2026-08-14 18:00 BST` or `2026-11-13 17:00 GMT` (reports and findings; JSON keeps UTC).
pub fn uk_text(t: Timestamp) -> String {
    t.datetime()
        .with_timezone(&ZONE)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// An instant as a user writes it: an RFC 3339 time (`2026-03-01T09:00:00Z`), or a date
/// (`2026-03-01`), meaning the last instant of that day in the UK. The CLI's `--as-of` and
/// `--held-at` and the terminal UI's as-of prompt all read instants this one way.
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(day_end(d));
    }
    Timestamp::parse(s).map_err(|_| {
        format!(
            "{s:?} is neither a date nor an RFC 3339 time; write e.g. 2026-11-20 (the end of that day in the UK) or 2026-11-20T09:00:00Z"
        )
    })
}

/// `t` moved by `days` UK calendar days, keeping its time of day in London (a day across a clock
/// change is 23 or 25 hours). The last instant of a day moves to the last instant of the other
/// day. A time of day that does not exist on the other day (inside the March gap) moves to the
/// first instant after the gap.
pub fn shift_days(t: Timestamp, days: i64) -> Timestamp {
    let local = t.datetime().with_timezone(&ZONE).naive_local();
    let Some(date) = local
        .date()
        .checked_add_signed(chrono::Duration::days(days))
    else {
        return t;
    };
    if t == day_end(local.date()) {
        return day_end(date);
    }
    let moved = date.and_time(local.time());
    match ZONE.from_local_datetime(&moved).earliest() {
        Some(m) => Timestamp::truncate(m.with_timezone(&chrono::Utc)),
        None => ZONE
            .from_local_datetime(&(moved + chrono::Duration::hours(1)))
            .earliest()
            .map_or(t, |m| Timestamp::truncate(m.with_timezone(&chrono::Utc))),
    }
}

/// `t` moved by `us` microseconds (unchanged if that leaves the representable range).
pub fn shift(t: Timestamp, us: i64) -> Timestamp {
    Timestamp::from_micros(t.micros().saturating_add(us)).unwrap_or(t)
}

/// `d` plus `n` calendar months; when the target month has no such day (31 January + 1 month),
/// the last day of that month (28 or 29 February), as UK GDPR Art. 12(3) is read by the ICO.
pub fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n))
        .expect("dates stay in range")
}

/// Which days count as working days for an SLA measured in working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Calendar {
    /// Also skip England and Wales bank holidays (otherwise only Saturdays and Sundays).
    pub bank_holidays: bool,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            bank_holidays: true,
        }
    }
}

impl Calendar {
    /// Monday to Friday, and (when configured) not an England and Wales bank holiday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        !(self.bank_holidays && is_bank_holiday(d))
    }

    /// The deadline of an obligation due `n` working days after the instant `t`: the last
    /// instant of the `n`th working day after `t`'s UK date (`n` = 0: the end of `t`'s own day).
    /// Employment ending on Friday at 17:00 with a 1-working-day SLA is due by the end of
    /// Monday (Tuesday when Monday is a bank holiday).
    pub fn working_days_due(&self, t: Timestamp, n: u32) -> Timestamp {
        let mut d = uk_date(t);
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        day_end(d)
    }

    /// `d` if it is a working day, else the next working day after it.
    pub fn on_or_next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut d = d;
        while !self.is_working_day(d) {
            d = d + Days::new(1);
        }
        d
    }

    /// A short description for reports.
    pub fn describe(&self) -> &'static str {
        if self.bank_holidays {
            "Monday to Friday except England and Wales bank holidays"
        } else {
            "Monday to Friday"
        }
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn first_monday(y: i32, m: u32) -> NaiveDate {
    let mut d = ymd(y, m, 1);
    while d.weekday() != Weekday::Mon {
        d = d + Days::new(1);
    }
    d
}

fn last_monday(y: i32, m: u32) -> NaiveDate {
    let mut d = add_months(ymd(y, m, 1), 1) - Days::new(1);
    while d.weekday() != Weekday::Mon {
        d = d - Days::new(1);
    }
    d
}

/// England and Wales bank holidays of `year`: the statutory and customary days with their
/// substitute days, plus the one-off changes proclaimed for 2020, 2022 and 2023.
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    // New Year's Day, or the Monday after when it falls at a weekend.
    let ny = ymd(year, 1, 1);
    out.push(match ny.weekday() {
        Weekday::Sat => ymd(year, 1, 3),
        Weekday::Sun => ymd(year, 1, 2),
        _ => ny,
    });
    let easter = easter_sunday(year);
    out.push(easter - Days::new(2)); // Good Friday
    out.push(easter + Days::new(1)); // Easter Monday
    // Early May: first Monday (2020: moved to Friday 8 May for VE Day).
    out.push(if year == 2020 {
        ymd(2020, 5, 8)
    } else {
        first_monday(year, 5)
    });
    // Spring: last Monday of May (2022: moved to 2 June, with 3 June for the Platinum Jubilee).
    if year == 2022 {
        out.extend([ymd(2022, 6, 2), ymd(2022, 6, 3)]);
    } else {
        out.push(last_monday(year, 5));
    }
    out.push(last_monday(year, 8)); // Summer
    // Christmas and Boxing Day, with substitutes.
    match ymd(year, 12, 25).weekday() {
        Weekday::Fri => out.extend([ymd(year, 12, 25), ymd(year, 12, 28)]),
        Weekday::Sat => out.extend([ymd(year, 12, 27), ymd(year, 12, 28)]),
        Weekday::Sun => out.extend([ymd(year, 12, 26), ymd(year, 12, 27)]),
        _ => out.extend([ymd(year, 12, 25), ymd(year, 12, 26)]),
    }
    match year {
        2022 => out.push(ymd(2022, 9, 19)), // State funeral of Queen Elizabeth II
        2023 => out.push(ymd(2023, 5, 8)),  // Coronation of King Charles III
        _ => {}
    }
    out.sort();
    out
}

/// Whether `d` is an England and Wales bank holiday.
pub fn is_bank_holiday(d: NaiveDate) -> bool {
    bank_holidays(d.year()).contains(&d)
}

/// A duration for humans: `3d 4h`, `13h 5m`, `45m`, `20s`.
pub fn fmt_duration(us: i64) -> String {
    let neg = us < 0;
    let s = us.unsigned_abs() / 1_000_000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    let body = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    };
    if neg { format!("-{body}") } else { body }
}

#[cfg(test)]
mod tests;
