//! R11 (and R15's clock): subject-rights requests answered by their deadline.

use super::*;

pub(super) fn request_subject(r: &Request) -> Concerns {
    Concerns::Request {
        request: r.id.clone(),
        data_subject: r.data_subject.clone(),
    }
}

pub(super) fn request_finding(
    s: &State,
    rule: &'static str,
    r: &Request,
    due: Timestamp,
) -> Finding {
    let mut f =
        new(rule, request_subject(r), shift(due, 1)).seqs(r.seqs.iter().copied().filter(|&q| {
            q == r.received.seq
                || r.identity_verified.is_some_and(|v| v.seq == q)
                || r.extensions.iter().any(|e| e.seq == q)
                || r.clarifications
                    .iter()
                    .any(|c| c.asked.seq == q || c.received.is_some_and(|x| x.seq == q))
        }));
    if let igl_schema::Subject::Person(p) = &r.data_subject {
        f = f.about(s, p);
    }
    f.org = s.council.clone();
    f
}

/// R11 and R15: a request not answered by its deadline ([`Request::deadline`], the one model
/// `igl requests` also shows), judged at the instant `now`.
pub(super) fn requests_late(s: &State, rule: &'static str, erasure: bool) -> Vec<Finding> {
    let now = s.now();
    let today = Date(uk_date(now));
    let mut out = Vec::new();
    for r in s
        .requests
        .values()
        .filter(|r| (r.right == Right::Erasure) == erasure)
    {
        let Some(d) = r.deadline(today) else {
            continue; // the clock has not started
        };
        let months = if d.extended {
            "three months, extended in time"
        } else if d.late_extension.is_some() {
            "one month; the extension was notified after the first month, so it does not count"
        } else {
            "one calendar month"
        };
        let mut how = months.to_string();
        if d.paused_days > 0 {
            how.push_str(&format!(
                ", plus {} day{} the clock stood still awaiting clarification",
                d.paused_days,
                if d.paused_days == 1 { "" } else { "s" }
            ));
        }
        if d.due != d.period_end {
            how.push_str(&format!("; {} is not a working day", d.period_end));
        }
        let head = format!(
            "{} ({} request, {}): clock started {}, due by the end of {} ({how})",
            r.id, r.right, r.data_subject, d.start, d.due
        );
        let answered = r.answers.first().map(|(st, _)| *st);
        let what = if erasure {
            "erased nor refused"
        } else {
            "fulfilled nor refused"
        };
        match answered {
            Some(a) if a.at <= d.due_at => {}
            Some(a) => out.push(
                request_finding(s, rule, r, d.due_at)
                    .period(Some(d.due_at), Some(a.at), now)
                    .detail(format!("{head}; answered only at {}", hm(a.at)))
                    .seqs([a.seq]),
            ),
            None if now > d.due_at => out.push(
                request_finding(s, rule, r, d.due_at)
                    .period(Some(d.due_at), None, now)
                    // (A `Redacted` entry made for an erasure request answers it, so none was.)
                    .detail(format!("{head}; neither {what}")),
            ),
            None => {}
        }
    }
    out
}

/// **R11** — a request for any right but erasure (R15's) must be answered (fulfilled or
/// refused) by its deadline: one calendar month from the later of receipt and identity
/// verification, three when extended in time, pushed out by the days the clock stood still
/// awaiting clarification, and moved off a weekend or bank holiday ([`Request::deadline`]).
/// Open while unanswered past the deadline; resolved when answered late.
pub fn r11_request_overdue(s: &State, _c: &Config) -> Vec<Finding> {
    requests_late(s, "R11", false)
}
