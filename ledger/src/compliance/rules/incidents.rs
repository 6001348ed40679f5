//! R5–R7: breaches decided in time, record accesses on a grant, MFA off council devices.

use super::*;

/// **R5** — a breach needs an ICO decision (notify, or not notify with the reason recorded)
/// within 72 hours of `aware_at`; exactly 72 hours is on time. Open while undecided past the
/// deadline; resolved when decided late. A no-notify decision without a reason is a finding of
/// its own (the catalogue refuses one, so this only guards older or foreign data).
pub fn r5_breach_decision_late(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for b in s.breaches.values() {
        let due = shift(b.aware_at, 72 * HOUR);
        let subject = Concerns::Breach {
            breach: b.id.clone(),
        };
        let base = |since| {
            let mut f = new("R5", subject.clone(), since).seqs([b.reported.seq]);
            f.org = s.council.clone();
            f
        };
        let f = base(shift(due, 1));
        if let Some(d) = b.decision()
            && !d.notified
            && !d.reason_recorded
        {
            out.push(
                base(d.stamp.at)
                    .detail(format!(
                        "{}: decided not to notify the ICO at {} without recording the reason",
                        b.id,
                        hm(d.stamp.at)
                    ))
                    .seqs([d.stamp.seq]),
            );
        }
        match b.decision() {
            Some(d) if d.stamp.at <= due => {}
            Some(d) => out.push(
                f.period(Some(due), Some(d.stamp.at), now)
                    .detail(format!(
                        "{} ({}): aware {}, ICO decision due by {} but made only at {} ({})",
                        b.id,
                        b.kind,
                        hm(b.aware_at),
                        hm(due),
                        hm(d.stamp.at),
                        if d.notified {
                            "notified"
                        } else {
                            "not notified"
                        }
                    ))
                    .seqs([d.stamp.seq]),
            ),
            None if now > due => out.push(f.period(Some(due), None, now).detail(format!(
                "{} ({}): aware {}, ICO decision due by {}; none recorded",
                b.id,
                b.kind,
                hm(b.aware_at),
                hm(due)
            ))),
            None => {}
        }
    }
    out
}

/// **R6** — a record may only be opened by someone holding a grant to that system at that
/// instant (`granted <= t < revoked`). One finding per person and system, listing every access.
pub fn r6_access_without_grant(s: &State, _c: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for ((person, system), u) in &s.accesses.ungranted {
        let (Some((first, record)), Some(last)) = (&u.first, u.last) else {
            continue;
        };
        let (person, system) = (person.clone(), system.clone());
        let grants: Vec<&Grant> = s
            .grants_of(&person)
            .filter(|g| g.system == system)
            .collect();
        let context = if grants.is_empty() {
            format!("{person} has never held a grant to {system}")
        } else {
            grants
                .iter()
                .map(|g| {
                    format!(
                        "{} active {} to {}",
                        g.id,
                        hm(g.granted.at),
                        g.revoked.as_ref().map_or("now".into(), |r| hm(r.stamp.at))
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut f = new(
            "R6",
            Concerns::Person {
                person: person.clone(),
            },
            first.at,
        )
        .about(s, &person)
        .detail(format!(
            "{} to {system} with no active grant, first {record} at {} ({context})",
            plural(u.seqs.len(), "record access", "record accesses"),
            hm(first.at),
        ))
        .seqs(u.seqs.iter().copied())
        .seqs(grants.iter().map(|g| g.granted.seq));
        if u.seqs.len() > 1 {
            f.until = Some(last.at);
        }
        out.push(f);
    }
    out
}

/// **R7** — a grant without MFA is only allowed for someone using council-provided devices.
/// It is non-compliant from when the grantee is seen with a non-council device (an attestation
/// of one, or an access from a device not attested as council-provided) while the grant is
/// active; open until the grant is revoked.
pub fn r7_no_mfa_on_own_device(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for g in s.grants.iter().filter(|g| !g.mfa_required) {
        // Evidence of a non-council device: (instant, seq, description).
        let mut evidence: Vec<(Timestamp, u64, String)> = Vec::new();
        for d in s.devices.values() {
            for a in d
                .attestations
                .iter()
                .filter(|a| a.person == g.person && !a.council_provided)
            {
                evidence.push((
                    a.stamp.at,
                    a.stamp.seq,
                    format!("device {} attested as not council-provided", d.id),
                ));
            }
        }
        if let Some((at, device)) = s
            .accesses
            .non_council
            .get(&(g.person.clone(), g.system.clone()))
        {
            evidence.push((
                at.at,
                at.seq,
                format!(
                    "accessed {} from device {}, not attested as council-provided",
                    g.system,
                    device.as_ref().map_or("-".into(), |d| d.to_string())
                ),
            ));
        }
        let Some(from) = evidence.iter().min_by_key(|e| (e.0, e.1)) else {
            continue;
        };
        let exposed = Spans::new([g.active_span()]).intersect(&Spans::new([Span::from(from.0)]));
        for (since, end) in gaps(&exposed, &Spans::default(), now) {
            out.push(
                grant_finding(s, "R7", g, since)
                    .period(None, end, now)
                    .detail(format!(
                        "{} gives {} access to {} without MFA, but {} ({}); {}",
                        g.id,
                        g.person,
                        g.system,
                        from.2,
                        hm(from.0),
                        revocation_text(g, end)
                    ))
                    .seqs([from.1]),
            );
        }
    }
    out
}
