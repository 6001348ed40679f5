//! `igl requests`: subject-rights requests and their statutory deadlines, as of any instant.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use chrono::Days;
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::requests::{Clock, Outcome as Answer, RequestStatus};
use igl_schema::{Date, Timestamp};
use serde_json::{Value, json};

use crate::{Outcome, out};

#[derive(Args)]
pub struct RequestsArgs {
    /// Only requests not yet fulfilled, refused or (for erasure) erased.
    #[arg(long)]
    open: bool,
    /// Only requests open past their due date.
    #[arg(long)]
    overdue: bool,
    /// Judge at this instant, as the ledger now knows it: entries that *occurred* at or before
    /// it, whenever they were recorded (the same meaning as `igl audit --as-of`; `igl sar
    /// --held-at` instead lists what had been *recorded* by then). RFC 3339
    /// (2026-03-01T09:00:00Z) or a date (the end of that day, UTC). Default: now.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// Print JSON Lines: one line per request, then a summary line.
    #[arg(long)]
    json: bool,
}

/// Parses an instant given to `flag`: a date (`YYYY-MM-DD`, meaning the end of that day, UTC) or
/// an RFC 3339 time.
pub fn parse_instant(flag: &str, s: &str) -> Result<Timestamp> {
    if let Ok(d) = Date::parse(s) {
        let end =
            d.0.checked_add_days(Days::new(1))
                .and_then(|next| next.and_hms_opt(0, 0, 0))
                .and_then(|m| Timestamp::from_micros(m.and_utc().timestamp_micros() - 1));
        return end.ok_or_else(|| anyhow!("{flag}: {s} is out of range"));
    }
    Timestamp::parse(s).map_err(|_| {
        anyhow!(
            "{flag}: {s:?} is neither a date nor an RFC 3339 time; write e.g. 2026-11-20 (the end of that day, UTC) or 2026-11-20T09:00:00Z"
        )
    })
}

fn clock_name(c: &Clock) -> &'static str {
    match c {
        Clock::AwaitingIdentity => "awaiting_identity",
        Clock::DaysLeft { .. } => "open",
        Clock::Overdue { .. } => "overdue",
        Clock::AnsweredInTime { .. } => "answered_in_time",
        Clock::AnsweredLate { .. } => "answered_late",
        Clock::AnsweredUnverified => "answered_unverified",
    }
}

fn request_json(r: &RequestStatus) -> Value {
    let (outcome, on, seq, reason) = match &r.outcome {
        Answer::Open => ("open", None, None, None),
        Answer::Fulfilled { on, seq } => ("fulfilled", Some(on), Some(seq), None),
        Answer::Refused { on, seq, reason } => ("refused", Some(on), Some(seq), reason.as_ref()),
        Answer::Erased { on, seq } => ("erased", Some(on), Some(seq), None),
    };
    let mut v = json!({
        "record": "request",
        "request": r.request,
        "right": r.right,
        "data_subject": r.data_subject,
        "received": r.received,
        "received_seq": r.received_seq,
        "verified": r.verified.map(|(d, _)| d),
        "verified_seq": r.verified.map(|(_, s)| s),
        "extensions": r.extensions.iter().map(|e| json!({"on": e.on, "seq": e.seq, "in_time": e.in_time})).collect::<Vec<_>>(),
        "extended": r.deadline.is_some_and(|d| d.extended),
        "late_extension": r.deadline.and_then(|d| d.late_extension),
        "due": r.deadline.map(|d| d.due),
        "outcome": outcome,
        "answered_on": on,
        "answer_seq": seq,
        "reason": reason,
        "status": clock_name(&r.clock),
        "seqs": r.seqs,
    });
    match r.clock {
        Clock::DaysLeft { days } => v["days_left"] = json!(days),
        Clock::Overdue { days } => v["days_overdue"] = json!(days),
        Clock::AnsweredLate { days } => v["days_late"] = json!(days),
        Clock::AnsweredInTime { days_early } => v["days_early"] = json!(days_early),
        _ => {}
    }
    v
}

pub fn run(a: RequestsArgs, dir: PathBuf) -> Result<Outcome> {
    let as_of = match &a.as_of {
        Some(s) => parse_instant("--as-of", s)?,
        None => Timestamp::now(),
    };
    let ledger = Ledger::open_read_only(&dir)?;
    let report = ledger.requests(as_of)?;
    let all = report.requests.len();
    let shown: Vec<&RequestStatus> = report
        .requests
        .iter()
        .filter(|r| !a.open || r.outcome.is_open())
        .filter(|r| !a.overdue || r.clock.is_overdue())
        .collect();
    let overdue = shown.iter().filter(|r| r.clock.is_overdue()).count();
    let open = shown.iter().filter(|r| r.outcome.is_open()).count();
    let mut o = out::stdout();
    if a.json {
        for r in &shown {
            out::json_line(&mut o, &request_json(r))?;
        }
        for n in &report.notes {
            out::json_line(&mut o, &json!({"record": "note", "message": n}))?;
        }
        out::json_line(
            &mut o,
            &json!({
                "record": "summary",
                "as_of": as_of.to_string(),
                "requests": all,
                "shown": shown.len(),
                "open": open,
                "overdue": overdue,
            }),
        )?;
    } else {
        writeln!(
            o,
            "Subject-rights requests as of {} — {} shown of {all}: {open} open, {overdue} overdue",
            as_of,
            shown.len()
        )?;
        if !shown.is_empty() {
            print_table(&mut o, &shown)?;
        }
        for r in &shown {
            for e in &r.extensions {
                if !e.in_time {
                    writeln!(
                        o,
                        "  ⚠ {}: the extension recorded {} (seq {}) came after the first month, so it does not extend the deadline",
                        r.request, e.on, e.seq
                    )?;
                }
            }
            if let Answer::Refused {
                reason: Some(why), ..
            } = &r.outcome
            {
                writeln!(o, "  {} refused: {why}", r.request)?;
            }
        }
        for n in &report.notes {
            writeln!(o, "  note: {n}")?;
        }
        writeln!(
            o,
            "Due: one calendar month from identity verification (the last day of the month when there is no such day), three if extended within the first month."
        )?;
    }
    o.flush()?;
    Ok(if overdue > 0 {
        Outcome::Finding
    } else {
        Outcome::Ok
    })
}

fn print_table(o: &mut impl Write, rows: &[&RequestStatus]) -> Result<()> {
    let d = |x: Option<Date>| x.map_or_else(|| "-".to_string(), |d| d.to_string());
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            let (sym, words) = r.status_text();
            let due = match r.deadline {
                Some(dl) if dl.extended => format!("{} (ext.)", dl.due),
                Some(dl) => dl.due.to_string(),
                None => "-".into(),
            };
            [
                r.request.to_string(),
                r.right.to_string(),
                r.data_subject.to_string(),
                r.received.to_string(),
                d(r.verified.map(|(v, _)| v)),
                due,
                format!("{sym} {words}"),
            ]
        })
        .collect();
    let head = [
        "REQUEST", "RIGHT", "SUBJECT", "RECEIVED", "VERIFIED", "DUE", "STATUS",
    ];
    let mut w = head.map(str::len);
    for c in &cells {
        for (i, s) in c.iter().enumerate() {
            w[i] = w[i].max(s.chars().count());
        }
    }
    let line = |c: &[&str]| -> String {
        let mut s = String::new();
        for (i, x) in c.iter().enumerate() {
            if i + 1 == c.len() {
                s.push_str(x);
            } else {
                s.push_str(&format!("{x:<width$}  ", width = w[i]));
            }
        }
        s
    };
    writeln!(o, "{}", line(&head))?;
    for c in &cells {
        let refs: Vec<&str> = c.iter().map(String::as_str).collect();
        writeln!(o, "{}", line(&refs))?;
    }
    Ok(())
}
