//! R12, R17, R18: grants reviewed, and access-review decisions made and carried out in time.

use super::*;

/// **R12** — a grant must be reviewed at least every 12 months: by the end of the day 12
/// calendar months after it was granted or last reviewed. Open while overdue; resolved by a
/// late review or revocation, after which the next 12 months start from the review.
pub fn r12_grant_not_reviewed(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for g in &s.grants {
        let mut anchor = g.granted;
        loop {
            let due = review_due(anchor.at);
            let revoked = g.revoked.as_ref().map(|r| r.stamp);
            if revoked.is_some_and(|r| r.at <= due) || now <= due {
                break;
            }
            let next = g
                .reviews
                .iter()
                .filter(|r| r.stamp.at > anchor.at)
                .min_by_key(|r| r.stamp)
                .map(|r| r.stamp);
            if let Some(n) = next
                && n.at <= due
            {
                anchor = n;
                continue;
            }
            let end = [next, revoked].into_iter().flatten().min_by_key(|s| s.at);
            let what = if anchor == g.granted {
                format!("granted {}", hm(anchor.at))
            } else {
                format!("last reviewed {} (seq {})", hm(anchor.at), anchor.seq)
            };
            out.push(
                grant_finding(s, "R12", g, shift(due, 1))
                    .period(Some(due), end.map(|e| e.at), now)
                    .detail(format!(
                        "{} ({} on {}) {what}; review due by the end of {}; {}",
                        g.id,
                        g.person,
                        g.system,
                        day(due),
                        match (end, next) {
                            (Some(e), Some(n)) if e == n =>
                                format!("reviewed only at {}", hm(e.at)),
                            (Some(e), _) => format!("revoked {} without review", hm(e.at)),
                            (None, _) => "not reviewed".into(),
                        }
                    ))
                    .seqs([anchor.seq])
                    .seqs(end.map(|e| e.seq)),
            );
            match next {
                Some(n) if n.at <= now && revoked.is_none_or(|r| n.at < r.at) => anchor = n,
                _ => break,
            }
        }
    }
    out
}

/// **R17** — access a review decided to remove must be revoked by the end of the SLA
/// (`sla_working_days` working days after the decision): a campaign's `revoke` or `change`
/// decision, by its reviewer or by the campaign's default ([`crate::compliance::campaign::Campaign::execution`]), and an
/// `AccessReviewed` that found the access no longer needed. Open while the grant is still
/// active past the deadline; resolved when revoked late (or, for an `AccessReviewed`, when a
/// later review found it needed after all).
pub fn r17_review_decision_not_carried_out(s: &State, c: &Config) -> Vec<Finding> {
    let now = s.now();
    let sla = format!(
        "{} working day{} SLA",
        c.sla_working_days,
        if c.sla_working_days == 1 { "" } else { "s" }
    );
    let mut out = Vec::new();
    for camp in s.campaigns.values() {
        for item in &camp.items {
            let Some(g) = s.grant(&item.grant) else {
                continue;
            };
            let (due, end) = match camp.execution(item, Some(g), now, c) {
                Execution::Awaiting { due } if now > due => (due, None),
                Execution::Done {
                    revoked,
                    due,
                    late: true,
                } => (due, Some(revoked)),
                _ => continue,
            };
            let ItemState::Decided {
                decision,
                at,
                seq,
                by_default,
                new_role,
            } = camp.item_state(item, Some(g), now)
            else {
                continue;
            };
            let what = match (decision, new_role) {
                (ReviewDecision::Change, Some(r)) => format!("a change to role {r:?}"),
                _ => "revocation".to_string(),
            };
            let who = if by_default {
                format!(
                    "campaign {}'s default decided {what} when its due day ended ({})",
                    camp.id,
                    hm(at)
                )
            } else {
                format!(
                    "{} decided {what} in campaign {} at {} (seq {seq})",
                    item.reviewer,
                    camp.id,
                    hm(at)
                )
            };
            out.push(
                grant_finding(s, "R17", g, shift(due, 1))
                    .period(Some(due), end.map(|e| e.at), now)
                    .detail(format!(
                        "{} ({} on {}): {who}; the grant was due to be revoked by the end of {} \
                         ({sla}) but was {}",
                        g.id,
                        g.person,
                        g.system,
                        day(due),
                        revocation_text(g, end.map(|e| e.at)),
                    ))
                    .seqs([seq])
                    .seqs(end.map(|e| e.seq)),
            );
        }
    }
    for g in &s.grants {
        for r in g
            .reviews
            .iter()
            .filter(|r| r.campaign.is_none() && !r.still_needed)
        {
            // A later review that found the access needed after all ends the obligation.
            let later = g
                .reviews
                .iter()
                .filter(|x| x.stamp > r.stamp && x.still_needed)
                .map(|x| x.stamp)
                .min();
            // Finding it unneeded again, while an earlier such review still stands, is the same
            // obligation: one finding, from the first.
            let repeated = g.reviews.iter().any(|x| {
                x.campaign.is_none()
                    && !x.still_needed
                    && x.stamp < r.stamp
                    && !g
                        .reviews
                        .iter()
                        .any(|y| y.still_needed && y.stamp > x.stamp && y.stamp < r.stamp)
            });
            if repeated {
                continue;
            }
            let due = c.calendar.working_days_due(r.stamp.at, c.sla_working_days);
            let revoked = g.revoked.as_ref().map(|x| x.stamp);
            if revoked.is_some_and(|x| x.at <= due) || now <= due {
                continue;
            }
            if later.is_some_and(|x| x.at <= due) {
                continue;
            }
            let end = [revoked, later].into_iter().flatten().min_by_key(|x| x.at);
            let how = match end {
                Some(e) if later == Some(e) => {
                    format!("kept until a later review found it needed at {}", hm(e.at))
                }
                Some(e) => format!("revoked only at {}", hm(e.at)),
                None => "still active".into(),
            };
            out.push(
                grant_finding(s, "R17", g, shift(due, 1))
                    .period(Some(due), end.map(|e| e.at), now)
                    .detail(format!(
                        "{} ({} on {}): {} found it no longer needed at {} (seq {}); the grant \
                         was due to be revoked by the end of {} ({sla}) but was {how}",
                        g.id,
                        g.person,
                        g.system,
                        r.reviewer,
                        hm(r.stamp.at),
                        r.stamp.seq,
                        day(due),
                    ))
                    .seqs([r.stamp.seq])
                    .seqs(end.map(|e| e.seq)),
            );
        }
    }
    out
}

/// **R18** — every item of an access-review campaign with no default decision must be decided
/// by its reviewer by the end of the campaign's due day. Open while undecided and the grant
/// still active; resolved by a late decision or by the grant's revocation.
pub fn r18_review_item_overdue(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for camp in s
        .campaigns
        .values()
        .filter(|c| c.default_decision.is_none() && now > c.due_at)
    {
        for item in &camp.items {
            let Some(g) = s.grant(&item.grant) else {
                continue;
            };
            let decided = item
                .decisions
                .first()
                .map(|d| d.stamp)
                .filter(|d| d.at <= now);
            let revoked = g.revoked.as_ref().map(|r| r.stamp).filter(|r| r.at <= now);
            if decided.is_some_and(|d| d.at <= camp.due_at)
                || revoked.is_some_and(|r| r.at <= camp.due_at)
            {
                continue;
            }
            let end = [decided, revoked]
                .into_iter()
                .flatten()
                .min_by_key(|x| x.at);
            let how = match end {
                Some(e) if decided == Some(e) => format!("decided only at {}", hm(e.at)),
                Some(e) => format!("revoked at {} without a decision", hm(e.at)),
                None => "not decided".into(),
            };
            out.push(
                grant_finding(s, "R18", g, shift(camp.due_at, 1))
                    .period(Some(camp.due_at), end.map(|e| e.at), now)
                    .detail(format!(
                        "{} ({} on {}) in campaign {} ({:?}) was for {} to decide by the end of \
                         {}; {how}",
                        g.id, g.person, g.system, camp.id, camp.title, item.reviewer, camp.due,
                    ))
                    .seqs([camp.opened.seq])
                    .seqs(end.map(|e| e.seq)),
            );
        }
    }
    out
}
