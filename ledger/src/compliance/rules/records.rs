//! R13–R16: a leaver's key still enrolled, a declaration countersigned by the wrong manager, erasure requests unresolved, declarations of a superseded policy version.

use super::*;

/// **R13** — when someone's employment ends or is suspended, every signing key of theirs must be
/// revoked within the same SLA, from the same instant, as their access (R3): a key is an access
/// right to a council system (this ledger). Open while a key is still enrolled past the
/// deadline; resolved when revoked late (or the person was reinstated or enrolled again, when a
/// key enrolled before the period may be used again).
pub fn r13_leaver_key_enrolled(s: &State, c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for p in s.people.values() {
        for period in p.inactive_periods() {
            let started = period.start;
            let Some(Removal { due, window, what }) = removal_overdue(&period, c, now) else {
                continue; // not late yet
            };
            for k in s.keys_of(&p.id) {
                let enrolled = Spans::new([Span::new(k.enrolled.at, k.revoked.map(|r| r.at))]);
                for (since, end) in gaps(&enrolled.intersect(&window), &Spans::default(), now) {
                    let since = since.max(shift(due, 1));
                    out.push(
                        new("R13", Concerns::Key {
                            key: k.key,
                            person: p.id.clone(),
                        }, since)
                        .about(s, &p.id)
                        .period(Some(due), end, now)
                        .detail(format!(
                            "{}'s employment {what} at {}; their {} key {} was due to be revoked by the end of {} but {}",
                            p.id,
                            hm(started.at),
                            k.role,
                            k.key.short(),
                            day(due),
                            match (k.revoked, end) {
                                (Some(r), Some(e)) if r.at == e => format!("was revoked only at {}", hm(e)),
                                (_, Some(e)) => format!("was still enrolled when reinstated or re-enrolled at {}", hm(e)),
                                (_, None) => "is still enrolled".into(),
                            }
                        ))
                        .seqs([started.seq, k.enrolled.seq])
                        .seqs(k.revoked.map(|r| r.seq)),
                    );
                }
            }
        }
    }
    out
}

/// **R14** — a declaration must be countersigned by the declarant's line manager on record at
/// the time, and never by the declarant. One finding per countersignature.
pub fn r14_wrong_countersigner(s: &State, _c: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in &s.declarations {
        for c in &d.countersigns {
            let why = if c.manager == d.person {
                "countersigned by the declarant".to_string()
            } else {
                match &c.line_manager_then {
                    None => format!(
                        "countersigned by {}, but {} had no line manager on record",
                        c.manager, d.person
                    ),
                    Some(lm) if *lm != c.manager => format!(
                        "countersigned by {}, but {}'s line manager on record was {lm}",
                        c.manager, d.person
                    ),
                    Some(_) => continue,
                }
            };
            let enrolled = s.person(&d.person).and_then(|p| p.enrolled).map(|e| e.seq);
            out.push(
                new(
                    "R14",
                    Concerns::Declaration {
                        seq: d.signed.seq,
                        person: d.person.clone(),
                    },
                    c.stamp.at,
                )
                .about(s, &d.person)
                .detail(format!(
                    "{}'s declaration ({} {}, seq {}), at {}: {why}",
                    d.person,
                    d.policy,
                    d.version,
                    d.signed.seq,
                    hm(c.stamp.at)
                ))
                .seqs([d.signed.seq, c.stamp.seq])
                .seqs(enrolled),
            );
        }
    }
    out
}

/// **R15** — an erasure request must be done (a `Redacted` entry made for it, or fulfilled) or
/// refused with a reason by its deadline, the same deadline as R11's ([`Request::deadline`]).
/// Open while neither past the deadline; resolved when done or refused late.
pub fn r15_erasure_unresolved(s: &State, _c: &Config) -> Vec<Finding> {
    requests_late(s, "R15", true)
}

/// **R16** — a declaration must be against the version of the policy that was current (the
/// latest published) when it was signed. Open until the person signs a declaration against the
/// then-current version. A new version does not by itself require everyone to declare again.
pub fn r16_superseded_policy_version(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for d in &s.declarations {
        if d.current_version_then.as_ref() == Some(&d.version) {
            continue;
        }
        let current = s.current_version(&d.policy, d.signed.at);
        let why = match current {
            None => format!("{} had no published version at the time", d.policy),
            Some(v) => format!(
                "version {} (published {}, seq {}) was current",
                v.version,
                day(v.published.at),
                v.published.seq
            ),
        };
        let fixed = s
            .declarations
            .iter()
            .filter(|n| {
                n.person == d.person
                    && n.policy == d.policy
                    && n.signed > d.signed
                    && n.current_version_then.as_ref() == Some(&n.version)
            })
            .map(|n| n.signed)
            .min();
        out.push(
            new(
                "R16",
                Concerns::Declaration {
                    seq: d.signed.seq,
                    person: d.person.clone(),
                },
                d.signed.at,
            )
            .about(s, &d.person)
            .period(None, fixed.map(|f| f.at), now)
            .detail(format!(
                "{} declared against {} {} at {}, but {why}{}",
                d.person,
                d.policy,
                d.version,
                hm(d.signed.at),
                match fixed {
                    Some(f) => format!(
                        "; declared again against the current version at seq {}",
                        f.seq
                    ),
                    None => String::new(),
                }
            ))
            .seqs([d.signed.seq])
            .seqs(current.map(|v| v.published.seq))
            .seqs(fixed.map(|f| f.seq)),
        );
    }
    out
}
