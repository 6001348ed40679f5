//! R8–R10: partner organisations' agreements and accreditations, and devices attested.

use super::*;

/// The instants during which at least one of a third-party organisation's people held a grant,
/// with the grants.
pub(super) fn partner_exposure(s: &State) -> BTreeMap<OrgId, (Spans, Vec<&Grant>)> {
    let mut by_org: BTreeMap<OrgId, (Spans, Vec<&Grant>)> = BTreeMap::new();
    for g in s.grants.iter().filter(|g| g.third_party) {
        if let Some(o) = &g.organisation {
            let e = by_org.entry(o.clone()).or_default();
            e.0 = e.0.union(&Spans::new([g.active_span()]));
            e.1.push(g);
        }
    }
    by_org
}

/// `G-1 for P1, G-2 for P2`: the grants a partner finding names.
pub(super) fn grants_text(grants: &[&Grant]) -> String {
    grants
        .iter()
        .map(|g| format!("{} for {}", g.id, g.person))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The grants of `grants` active at `t` (or the first after it).
pub(super) fn grants_at<'a>(grants: &[&'a Grant], t: Timestamp) -> Vec<&'a Grant> {
    let v: Vec<&Grant> = grants.iter().copied().filter(|g| g.active_at(t)).collect();
    if v.is_empty() {
        grants.iter().copied().take(1).collect()
    } else {
        v
    }
}

pub(super) fn org_finding(s: &State, rule: &'static str, org: &OrgId, since: Timestamp) -> Finding {
    let f = new(rule, Concerns::Org { org: org.clone() }, since).of_org(org);
    match s.orgs.get(org) {
        Some(o) => f.seqs(o.registered.map(|r| r.seq)),
        None => f,
    }
}

/// **R8** — while any of a partner's people holds access, the partner must have an
/// information-sharing agreement *and* a summary DPIA in force (a full DPIA also satisfies
/// the DPIA). One finding per gap.
pub fn r8_partner_without_agreements(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for (org, (exposure, grants)) in partner_exposure(s) {
        let agreements = s.orgs.get(&org).map(|o| &o.agreements[..]).unwrap_or(&[]);
        let cover_of = |kinds: &[AgreementKind]| {
            Spans::new(
                agreements
                    .iter()
                    .filter(|a| kinds.contains(&a.kind))
                    .map(|a| a.valid_span()),
            )
        };
        let isa = cover_of(&[AgreementKind::Isa]);
        let dpia = cover_of(&[AgreementKind::Dpia, AgreementKind::FullDpia]);
        for (since, end) in gaps(&exposure, &isa.intersect(&dpia), now) {
            let t = since.micros();
            let mut missing = Vec::new();
            if !isa.contains(t) {
                missing.push("information-sharing agreement");
            }
            if !dpia.contains(t) {
                missing.push("summary DPIA");
            }
            let active = grants_at(&grants, since);
            out.push(
                org_finding(s, "R8", &org, since)
                    .period(None, end, now)
                    .detail(format!(
                        "{org} has access ({}) from {} with no {} in force; {}",
                        grants_text(&active),
                        hm(since),
                        missing.join(" and no "),
                        match end {
                            Some(e) => format!("until {}", hm(e)),
                            None => "still so".into(),
                        }
                    ))
                    .seqs(agreements.iter().map(|a| a.stamp.seq))
                    .seqs(active.iter().map(|g| g.granted.seq)),
            );
        }
    }
    out
}

/// **R9** — while any of a partner's people holds access, the partner must hold a current NHS
/// DSPT or Cyber Essentials Plus (valid through `valid_until`, but never past what the scheme
/// allows: 12 months for Cyber Essentials Plus, 30 June of the year after the award for the DSPT,
/// [`crate::compliance::state::Accreditation::valid_through`]), or have a full DPIA in force. One finding per
/// gap.
pub fn r9_partner_without_accreditation(s: &State, _c: &Config) -> Vec<Finding> {
    let now = s.now();
    let mut out = Vec::new();
    for (org, (exposure, grants)) in partner_exposure(s) {
        let o = s.orgs.get(&org);
        let accreditations = o.map(|o| &o.accreditations[..]).unwrap_or(&[]);
        let full_dpias: Vec<_> = o
            .map(|o| {
                o.agreements
                    .iter()
                    .filter(|a| a.kind == AgreementKind::FullDpia)
                    .collect()
            })
            .unwrap_or_default();
        let cover = Spans::new(
            accreditations
                .iter()
                .filter(|a| matches!(a.scheme, Scheme::NhsDspt | Scheme::CyberEssentialsPlus))
                .map(|a| a.valid_span())
                .chain(full_dpias.iter().map(|a| a.valid_span())),
        );
        for (since, end) in gaps(&exposure, &cover, now) {
            let lapsed = accreditations
                .iter()
                .filter(|a| a.valid_span().end <= since.micros())
                .max_by_key(|a| a.valid_through());
            let why = match lapsed {
                Some(a) if a.valid_through() < a.valid_until => format!(
                    "its {} ({}) expired after {} (recorded as valid until {}, but {})",
                    a.scheme,
                    a.reference,
                    a.valid_through(),
                    a.valid_until,
                    match a.scheme {
                        Scheme::CyberEssentialsPlus => "a certificate is valid for 12 months",
                        Scheme::NhsDspt =>
                            "a DSPT submission covers to 30 June of the year after it",
                    }
                ),
                Some(a) => format!(
                    "its {} ({}) expired after {}",
                    a.scheme, a.reference, a.valid_until
                ),
                None => "it has no NHS DSPT, Cyber Essentials Plus or full DPIA on record".into(),
            };
            let active = grants_at(&grants, since);
            out.push(
                org_finding(s, "R9", &org, since)
                    .period(None, end, now)
                    .detail(format!(
                        "{org} has access ({}) from {} but {why}; {}",
                        grants_text(&active),
                        hm(since),
                        match end {
                            Some(e) => format!("covered again from {}", hm(e)),
                            None => "still not covered".into(),
                        }
                    ))
                    .seqs(accreditations.iter().map(|a| a.stamp.seq))
                    .seqs(full_dpias.iter().map(|a| a.stamp.seq))
                    .seqs(active.iter().map(|g| g.granted.seq)),
            );
        }
    }
    out
}

/// **R10** — every record access must come from a device whose latest attestation at that
/// instant passes (not shared, supported OS, patched, anti-virus current) and was made for the
/// person using it. One finding per person and device, listing every access.
pub fn r10_device_not_attested(s: &State, _c: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for ((person, _device), b) in &s.accesses.bad_device {
        let (Some((first, why)), Some(last)) = (&b.first, b.last) else {
            continue;
        };
        let mut f = new(
            "R10",
            Concerns::Person {
                person: person.clone(),
            },
            first.at,
        )
        .about(s, person)
        .detail(format!(
            "{} by {person} from {} to {}: {why}",
            plural(b.count as usize, "record access", "record accesses"),
            hm(first.at),
            hm(last.at)
        ))
        .seqs(b.seqs.iter().copied());
        if b.count > 1 {
            f.until = Some(last.at);
        }
        out.push(f);
    }
    out
}
