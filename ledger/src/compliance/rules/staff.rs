//! R1–R4: a member of staff's access and its evidence: the countersigned declaration, current training, access ended with employment, a sponsor for a third party.

use super::*;

/// **R1** — every grant needs a declaration by the grantee *signed, and countersigned by their
/// line manager on record, at or before the grant* ([`crate::compliance::state::Countersign::authorises`]):
/// Annex A's countersignature is what authorises access, so one by the declarant or by anyone
/// else authorises nothing (R14 reports who countersigned wrongly; R1 reports the grant that
/// stands unauthorised). Open until the grantee has an authorised declaration or the grant is
/// revoked.
pub fn r1_grant_without_countersigned_declaration(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for g in &s.grants {
        let decls: Vec<&Declaration> = s
            .declarations
            .iter()
            .filter(|d| d.person == g.person)
            .collect();
        // The instants at which each declaration became authorised.
        let complete: Vec<(Timestamp, &Declaration, u64)> = decls
            .iter()
            .flat_map(|d| {
                d.countersigns
                    .iter()
                    .filter(|c| c.authorises(&d.person))
                    .map(move |c| (d.signed.at.max(c.stamp.at), *d, c.stamp.seq))
            })
            .collect();
        if complete.iter().any(|(t, _, _)| *t <= g.granted.at) {
            continue;
        }
        let fixed = complete.iter().min_by_key(|(t, _, _)| *t);
        let revoked = g.revoked.as_ref().map(|r| r.stamp.at);
        let end = [fixed.map(|f| f.0), revoked].into_iter().flatten().min();
        // Countersignatures at or before the grant that authorise nothing.
        let wrong: Vec<(&Declaration, &crate::compliance::state::Countersign)> = decls
            .iter()
            .flat_map(|d| d.countersigns.iter().map(move |c| (*d, c)))
            .filter(|(d, c)| !c.authorises(&d.person) && c.stamp.at <= g.granted.at)
            .collect();
        let why = match (decls.is_empty(), fixed, wrong.first()) {
            (true, _, _) => "no declaration had been signed".to_string(),
            (false, Some((t, d, _)), _) if Some(*t) == end => format!(
                "the declaration (seq {}) was countersigned by the line manager only at {}",
                d.signed.seq,
                hm(*t)
            ),
            (false, _, Some((d, c))) if c.manager == d.person => format!(
                "the declaration (seq {}) was countersigned only by {} themself, which authorises nothing",
                d.signed.seq, d.person
            ),
            (false, _, Some((d, c))) => format!(
                "the declaration (seq {}) was countersigned only by {}, who was not {}'s line manager on record ({}), which authorises nothing",
                d.signed.seq,
                c.manager,
                d.person,
                c.line_manager_then
                    .as_ref()
                    .map_or_else(|| "none".to_string(), |m| m.to_string())
            ),
            (false, _, None) => format!(
                "the declaration (seq {}) had not been countersigned",
                decls[0].signed.seq
            ),
        };
        let f = grant_finding(s, "R1", g, g.granted.at)
            .period(None, end, now)
            .detail(format!(
                "{} granted {} access to {} at {}, but {why}",
                g.id,
                g.person,
                g.system,
                hm(g.granted.at)
            ))
            .seqs(decls.iter().map(|d| d.signed.seq))
            .seqs(wrong.iter().map(|(_, c)| c.stamp.seq))
            .seqs(fixed.map(|f| f.2));
        out.push(f);
    }
    out
}

/// **R2** — while a grant is active, its holder must have completed Protecting Information
/// training that has not expired (valid from `completed_on`, expired on `expires_on`). One
/// finding per gap in cover.
pub fn r2_training_missing_or_expired(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for g in &s.grants {
        let courses: Vec<_> = s
            .training
            .iter()
            .filter(|t| t.person == g.person && t.course == PROTECTING_INFORMATION)
            .collect();
        let cover = Spans::new(courses.iter().map(|t| t.valid_span()));
        for (since, end) in gaps(&Spans::new([g.active_span()]), &cover, now) {
            let before: Vec<_> = courses
                .iter()
                .filter(|t| t.valid_span().start <= since.micros())
                .collect();
            let why = match before.iter().max_by_key(|t| t.valid_span().end) {
                None => "no Protecting Information training on record".to_string(),
                Some(t) => format!(
                    "Protecting Information training completed {} (seq {}) expired on {}",
                    t.completed_on,
                    t.stamp.seq,
                    t.expires_on.map_or("-".into(), |e| e.to_string())
                ),
            };
            let renewed = courses
                .iter()
                .filter(|t| end.is_some_and(|e| t.valid_span().start == e.micros()))
                .map(|t| t.stamp.seq);
            out.push(
                grant_finding(s, "R2", g, since)
                    .period(None, end, now)
                    .detail(format!(
                        "{} held {} access ({}) from {} with {why}; {}",
                        g.person,
                        g.system,
                        g.id,
                        hm(since),
                        match end {
                            Some(e) if g.revoked.as_ref().is_some_and(|r| r.stamp.at == e) =>
                                format!("access revoked {}", hm(e)),
                            Some(e) => format!("training renewed, valid from {}", day(e)),
                            None => "access still active".into(),
                        }
                    ))
                    .seqs(before.iter().map(|t| t.stamp.seq))
                    .seqs(renewed),
            );
        }
    }
    out
}

/// **R3** — after employment ends or is suspended, every grant must be revoked by the end of
/// the SLA (`sla_working_days` working days after the day it happened). Open while a grant is
/// still active past the deadline; resolved when it was revoked late (or the person was
/// reinstated). Grants made during the period count from when they were made.
pub fn r3_access_outlives_employment(s: &State, c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for p in s.people.values() {
        for period in p.inactive_periods() {
            let Some(Removal { due, window, what }) = removal_overdue(&period, c, now) else {
                continue; // not late yet
            };
            for g in s.grants_of(&p.id) {
                let exposed = Spans::new([g.active_span()]).intersect(&window);
                for (since, end) in gaps(&exposed, &Spans::default(), now) {
                    let since = since.max(shift(due, 1));
                    let how = match end {
                        Some(e) if g.revoked.as_ref().is_some_and(|r| r.stamp.at == e) => {
                            format!("revoked only at {}", hm(e))
                        }
                        Some(e) => format!("still active when reinstated at {}", hm(e)),
                        None => "still active".into(),
                    };
                    out.push(
                        grant_finding(s, "R3", g, since)
                            .period(Some(due), end, now)
                            .detail(format!(
                                "{}'s employment {what} at {}; {} on {} was due to be removed by the end of {} ({} working day{} SLA) but was {how}",
                                p.id,
                                hm(period.start.at),
                                g.id,
                                g.system,
                                day(due),
                                c.sla_working_days,
                                if c.sla_working_days == 1 { "" } else { "s" },
                            ))
                            .seqs([period.start.seq])
                            .seqs(period.end.map(|e| e.seq)),
                    );
                }
            }
        }
    }
    out
}

/// **R4** — a grant to someone in a third-party organisation must name a sponsor who was a
/// council employee in post when the grant was made. Open while the grant is active.
pub fn r4_third_party_without_sponsor(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for g in s.grants.iter().filter(|g| g.third_party) {
        let why = match &g.sponsor {
            None => "names no sponsoring council employee".to_string(),
            Some(sp) if sp.council_employee => continue,
            Some(sp) => format!(
                "names sponsor {} who was not a council employee in post ({})",
                sp.person,
                match (&sp.organisation, sp.employment) {
                    (None, _) => "not enrolled".to_string(),
                    (Some(o), crate::compliance::state::Employment::Active { .. }) =>
                        format!("of {o}"),
                    (Some(o), e) => format!("of {o}, {}", employment_word(e)),
                }
            ),
        };
        let end = g.revoked.as_ref().map(|r| r.stamp.at);
        out.push(
            grant_finding(s, "R4", g, g.granted.at)
                .period(None, end, now)
                .detail(format!(
                    "{} grants {} ({}) access to {} at {} but {why}; {}",
                    g.id,
                    g.person,
                    g.organisation
                        .as_ref()
                        .map_or("unknown organisation".into(), |o| o.to_string()),
                    g.system,
                    hm(g.granted.at),
                    revocation_text(g, end)
                )),
        );
    }
    out
}

pub(super) fn employment_word(e: crate::compliance::state::Employment) -> &'static str {
    match e {
        crate::compliance::state::Employment::Unknown => "not enrolled",
        crate::compliance::state::Employment::Active { .. } => "active",
        crate::compliance::state::Employment::Suspended { .. } => "suspended",
        crate::compliance::state::Employment::Ended { .. } => "left",
    }
}
