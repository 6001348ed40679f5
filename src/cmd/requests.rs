//! `igl requests`: subject-rights requests and their statutory deadlines, as of any instant.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::subject::requests::{Outcome as Answer, PauseRule, RequestLine, RequestStatus};
use igl_ledger::time;
use igl_schema::{Date, Timestamp};
use serde_json::json;

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
    /// (2026-03-01T09:00:00Z) or a date (the end of that day in the UK). Default: now.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// Print JSON Lines: one line per request, then a summary line.
    #[arg(long)]
    json: bool,
}

/// Parses an instant given to `flag`: a date (`YYYY-MM-DD`, meaning the end of that day in the
/// UK, Europe/London) or an RFC 3339 time. `igl audit`, `status`, `org`, `requests` and `sar`
/// all read instants this one way.
pub fn parse_instant(flag: &str, s: &str) -> Result<Timestamp> {
    time::parse_instant(s).map_err(|e| anyhow!("{flag}: {e}"))
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
            out::json_line(&mut o, &RequestLine::new(r))?;
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
            for p in r.deadline.iter().flat_map(|d| &d.pauses) {
                let why = match p.rule {
                    PauseRule::Counted | PauseRule::BeforeStart => continue,
                    PauseRule::AfterDeadline => "it was asked after the deadline",
                    PauseRule::NotAccess => {
                        "the pause is for right-of-access requests only (Art. 12A(5))"
                    }
                    PauseRule::BeforeTheAct => {
                        "the request was received before 5 February 2026, when Art. 12A came into force"
                    }
                    PauseRule::AfterAnswer => "it was asked after the request was answered",
                };
                writeln!(
                    o,
                    "  ⚠ {}: the clarification asked {} (seq {}) does not stop the clock: {why}",
                    r.request, p.asked, p.asked_seq
                )?;
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
            "Due (UK GDPR Art. 12A, UK days): one calendar month from the later of receipt and identity verification (the month's last day when it has no such date), three if extension notice was given within the first month; for access requests the days from asking for clarification to receiving it do not count; a due date on a weekend or bank holiday moves to the next working day."
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
            let due = r.due_text();
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
