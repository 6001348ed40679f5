//! The compliance rules R1–R18: each a named function over a [`State`] with the policy clause
//! it enforces, returning [`Finding`]s.
//!
//! Conventions every rule keeps:
//! - **Deadlines are inclusive.** Something done at the deadline instant is on time; `since` of
//!   a late finding is one microsecond after `due`.
//! - **Days are UK calendar days** (Europe/London, [`crate::time`]): a day-based deadline ends
//!   at the last instant of its last day in London (23:59:59.999999Z in winter,
//!   22:59:59.999999Z in summer); `valid_until` dates are valid through that day; training has
//!   expired *on* its `expires_on` date.
//! - **History counts.** A rule reports what is wrong now (`open`), what was wrong and was put
//!   right late (`resolved`), and what should not have happened (`occurred`), each up to the
//!   as-of instant. Filter on `status` for "are we compliant now".
//! - **Evidence.** Every finding lists the seqs of the entries that prove it: the grant, the
//!   declaration, the training records, the revocation that came late, and so on.

use std::collections::BTreeMap;

use igl_schema::{AgreementKind, Date, OrgId, PersonId, ReviewDecision, Right, Scheme, Timestamp};

use super::campaign::{Execution, ItemState};
use super::state::{Declaration, Grant, PROTECTING_INFORMATION, Request, State, review_due};
use super::{Concerns, Config, Finding, Status};
use crate::time::{HOUR, Span, Spans, shift, uk_date};

/// A compliance rule.
pub struct Rule {
    /// `R1` … `R18`.
    pub id: &'static str,
    /// What non-compliance looks like, in a line.
    pub title: &'static str,
    /// Where the rule comes from, quoted.
    pub source: &'static str,
    /// The check.
    pub check: fn(&State, &Config) -> Vec<Finding>,
}

/// Every rule, in order.
pub const RULES: &[Rule] = &[
    Rule {
        id: "R1",
        title: "Access granted without a declaration countersigned by the line manager before the grant",
        source: "Mosaic security policy §5: \"All users must read and sign the personal declaration \
for Mosaic prior to accessing the system (at Annex A).\" Annex A: \"No accounts will be created on \
Mosaic systems until a signed statement is received\"; \"To be countersigned by line manager, to \
authorise access to Mosaic\".",
        check: r1_grant_without_countersigned_declaration,
    },
    Rule {
        id: "R2",
        title: "Access active while Protecting Information training is missing or expired",
        source: "Mosaic security policy §6: \"All users must complete appropriate information \
security awareness training (Cabinet Office: Protecting Information) in order to maintain their \
access to Mosaic.\"",
        check: r2_training_missing_or_expired,
    },
    Rule {
        id: "R3",
        title: "Access not removed within the SLA after employment ended or was suspended",
        source: "Mosaic security policy §7: \"Processes must be implemented to ensure that all \
access rights of users of Council information systems shall be removed in a timely manner upon \
termination or suspension of their employment, contract or agreement.\" ISO/IEC 27001:2022 A.5.18: \
remove or adjust access rights promptly on change or termination.",
        check: r3_access_outlives_employment,
    },
    Rule {
        id: "R4",
        title: "Third-party access without a documented sponsoring council employee",
        source: "Mosaic security policy §3: \"Where access is to be granted to any third party \
(e.g. contractors, service providers, voluntary agencies, partners) compliance with this policy \
must be agreed and documented. Responsibility for ensuring this lies with the Council employee \
that initiates this third party access.\"",
        check: r4_third_party_without_sponsor,
    },
    Rule {
        id: "R5",
        title: "Breach without an ICO notify / no-notify decision within 72 hours of awareness",
        source: "UK GDPR Art. 33(1): notify the ICO \"without undue delay and, where feasible, not \
later than 72 hours after having become aware of it ... unless the personal data breach is \
unlikely to result in a risk\"; Art. 33(5): document every breach, with the reasoning when not \
notifying. Mosaic Annex A: report any loss or theft \"immediately\".",
        check: r5_breach_decision_late,
    },
    Rule {
        id: "R6",
        title: "Record accessed with no active grant to that system at that instant",
        source: "Eclipse MoU: \"Access to Eclipse will only be granted to people who have a \
business need for access.\" \"Eclipse must only be used by authorised staff\"; \"Users must not \
attempt to access any data contained on Eclipse for which they do not have a legitimate business \
need or explicit consent.\"",
        check: r6_access_without_grant,
    },
    Rule {
        id: "R7",
        title: "Grant without MFA for a person using a non-council device",
        source: "Eclipse MoU: \"Access to Eclipse will be controlled using Multi-Factor \
Authentication (MFA). ... When someone logs into the system from a non-PCC device, they will \
receive a code that helps to verify them.\" \"MFA will not be required when using a Council \
provided device.\"",
        check: r7_no_mfa_on_own_device,
    },
    Rule {
        id: "R8",
        title: "Partner organisation with access but no ISA and summary DPIA in force",
        source: "Eclipse MoU: \"Each organisation signing up to this MoU would need to sign an \
information-sharing agreement and complete a summary Data Protection Impact Assessment which \
covers the specific aspects within this MoU.\" \"Data can only be shared with authorised partners \
and must not be made available to any organisation where appropriate agreements have not been \
made.\"",
        check: r8_partner_without_agreements,
    },
    Rule {
        id: "R9",
        title: "Partner without a current NHS DSPT or Cyber Essentials Plus (or a full DPIA)",
        source: "Eclipse MoU, Organisational security: \"Each organisation accessing Eclipse must \
be able to demonstrate a minimum level of cyber security ... by obtaining external accreditations \
such as\" [a bulleted list: \"NHS DSPT\", \"Cyber Essentials Plus\"] \"Alternatively, evidence \
would need to be provided as part of a full Data Protection Impact Assessment to demonstrate that \
the risk has been reduced.\" Cyber Essentials Plus certificates are valid for 12 months; DSPT \
submissions are annual, due by 30 June.",
        check: r9_partner_without_accreditation,
    },
    Rule {
        id: "R10",
        title: "Access from a device without a passing attestation",
        source: "Eclipse MoU: \"Eclipse can only be used on computers/devices that are: Not shared \
devices. Using an operating system that has not gone end of life. Fully patched with the latest \
security releases. Protected by an anti-virus that is running the latest version.\" \"Access to \
the devices used to access Eclipse must not be given to anyone else apart from the person the \
device was issued to.\"",
        check: r10_device_not_attested,
    },
    Rule {
        id: "R11",
        title: "Subject-rights request not answered within one month of the clock starting (three if extended in time)",
        source: "UK GDPR Art. 12(3): respond \"without undue delay and in any event within the \
applicable time period\"; Art. 12A (Data (Use and Access) Act 2025 s.76, in force 5 February \
2026): the period is \"one month beginning with the relevant time\", the latest of receipt of the \
request and of the information requested to confirm identity; extendable \"by two further months\" \
by notice \"given before the end of the period of one month\"; for a right-of-access request \
\"the period beginning with the day on which the controller makes the request [for clarification] \
and ending with the day on which the controller receives the information does not count\". ICO: \
\"If the date for responding falls on a weekend or is a public holiday, the deadline moves to the \
end of the next working day.\" Eclipse MoU: \"All data stored within Eclipse will be subject to \
data protection rights requests.\"",
        check: r11_request_overdue,
    },
    Rule {
        id: "R12",
        title: "Grant not reviewed in 12 months",
        source: "ISO/IEC 27001:2022 Annex A 5.18 (access rights): access rights are provisioned, \
reviewed, modified and removed in accordance with the access control policy; ISO/IEC 27002 5.18 \
guidance: review them at regular (planned) intervals. Neither seed policy sets the interval: the \
council's is 12 months.",
        check: r12_grant_not_reviewed,
    },
    Rule {
        id: "R13",
        title: "Signing key of a person who left or was suspended still enrolled",
        source: "Mosaic security policy §7: \"Processes must be implemented to ensure that all \
access rights of users of Council information systems shall be removed in a timely manner upon \
termination or suspension of their employment, contract or agreement.\" A ledger key is a \
credential: Annex A, \"Agree to be responsible for any use ... using your unique user \
credentials\".",
        check: r13_leaver_key_enrolled,
    },
    Rule {
        id: "R14",
        title: "Declaration countersigned by someone other than the line manager, or by the declarant",
        source: "Mosaic Annex A: \"To be countersigned by line manager, to authorise access to \
Mosaic: The manager should check that the employee has read the policies listed in Appendix A and \
has completed the Protecting Information e-learning.\"",
        check: r14_wrong_countersigner,
    },
    Rule {
        id: "R15",
        title: "Erasure request neither done nor refused with a reason in time",
        source: "UK GDPR Art. 17(1): erase \"without undue delay\"; Art. 12(4): if not acting on a \
request, inform the data subject \"without delay and at the latest within one month of receipt of \
the request of the reasons for not taking action\". Judged against the same deadline as R11 \
(Art. 12A), which R11 leaves to this rule for erasure requests.",
        check: r15_erasure_unresolved,
    },
    Rule {
        id: "R16",
        title: "Declaration against a policy version that was not current",
        source: "Eclipse MoU: \"All use of Eclipse must comply with the Council's current \
Information Security MoU.\" Mosaic Annex A: \"I confirm that I have read these rules and will \
comply with them\".",
        check: r16_superseded_policy_version,
    },
    Rule {
        id: "R17",
        title: "Access kept after a review decided to remove or change it",
        source: "ISO/IEC 27001:2022 Annex A 5.18: access rights are \"reviewed, modified and \
removed in accordance with\" the access control policy. Mosaic security policy §7: access rights \
\"shall be removed in a timely manner\". Judged against the SLA R3 uses.",
        check: r17_review_decision_not_carried_out,
    },
    Rule {
        id: "R18",
        title: "Access-review campaign item not decided by the campaign's due date",
        source: "ISO/IEC 27001:2022 Annex A 5.18 and ISO/IEC 27002 5.18: review access rights at \
regular (planned) intervals. The campaign's own due date is the plan; a campaign with a default \
decision applies it instead.",
        check: r18_review_item_overdue,
    },
];

/// The rule with this id (`R3`, `r3`).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id.trim()))
}

fn title(id: &str) -> &'static str {
    rule(id).map_or("", |r| r.title)
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// `2026-08-14 18:00 BST`: UK time, as a UK reader reads it.
fn hm(t: Timestamp) -> String {
    crate::time::uk_text(t)
}

/// `2026-08-14`: the UK date.
fn day(t: Timestamp) -> String {
    uk_date(t).to_string()
}

fn new(rule: &'static str, subject: Concerns, since: Timestamp) -> Finding {
    Finding {
        rule,
        title: title(rule),
        subject,
        person: None,
        org: None,
        status: Status::Occurred,
        since,
        due: None,
        until: None,
        overdue_seconds: None,
        detail: String::new(),
        seqs: Vec::new(),
    }
}

impl Finding {
    fn about(mut self, s: &State, person: &PersonId) -> Self {
        self.org = s.person(person).and_then(|p| p.organisation.clone());
        self.person = Some(person.clone());
        self
    }
    fn of_org(mut self, org: &OrgId) -> Self {
        self.org = Some(org.clone());
        self
    }
    /// A period of non-compliance: `open` when `end` is `None`, else `resolved` at `end`;
    /// overdue measured from `due` (or `since`) to `end` (or `now`).
    fn period(mut self, due: Option<Timestamp>, end: Option<Timestamp>, now: Timestamp) -> Self {
        let from = due.unwrap_or(self.since);
        let to = end.unwrap_or(now);
        self.due = due;
        self.until = end;
        self.status = if end.is_some() {
            Status::Resolved
        } else {
            Status::Open
        };
        self.overdue_seconds = Some(((to.micros() - from.micros()) / 1_000_000).max(0));
        self
    }
    fn detail(mut self, d: String) -> Self {
        self.detail = d;
        self
    }
    fn seqs(mut self, seqs: impl IntoIterator<Item = u64>) -> Self {
        self.seqs.extend(seqs);
        self.seqs.sort_unstable();
        self.seqs.dedup();
        self
    }
}

/// The parts of `exposure` not in `coverage`, cut at `now`: (start, end), `end` = `None` when
/// the gap reaches `now` (still open).
fn gaps(exposure: &Spans, coverage: &Spans, now: Timestamp) -> Vec<(Timestamp, Option<Timestamp>)> {
    let cut = now.micros().saturating_add(1);
    exposure
        .minus(coverage)
        .until_inclusive(now)
        .spans()
        .iter()
        .map(|sp| {
            (
                sp.start_ts(),
                if sp.end >= cut { None } else { sp.end_ts() },
            )
        })
        .collect()
}

fn grant_subject(g: &Grant) -> Concerns {
    Concerns::Grant {
        grant: g.id.clone(),
        person: g.person.clone(),
        system: g.system.clone(),
    }
}

fn grant_finding(s: &State, rule: &'static str, g: &Grant, since: Timestamp) -> Finding {
    let mut f = new(rule, grant_subject(g), since).about(s, &g.person);
    if g.organisation.is_some() {
        f.org = g.organisation.clone();
    }
    f.seqs(g.revoked.iter().map(|r| r.stamp.seq).chain([g.granted.seq]))
}

/// "revoked at 2026-08-25 17:30" or "still active".
fn revocation_text(g: &Grant, end: Option<Timestamp>) -> String {
    match (&g.revoked, end) {
        (Some(r), Some(e)) if r.stamp.at == e => format!("revoked {}", hm(e)),
        (_, Some(e)) => format!("put right {}", hm(e)),
        (_, None) => "still active".into(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---------------------------------------------------------------------------------------------
// The rules

/// **R1** — every grant needs a declaration by the grantee *signed, and countersigned by their
/// line manager on record, at or before the grant* ([`super::state::Countersign::authorises`]):
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
        let wrong: Vec<(&Declaration, &super::state::Countersign)> = decls
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
            let due = c
                .calendar
                .working_days_due(period.start.at, c.sla_working_days);
            if now <= due {
                continue; // not late yet
            }
            let window = Spans::new([Span {
                // From the deadline instant itself: a grant (key) still in force at `due` was
                // removed after it, i.e. late, even by a microsecond.
                start: due.micros(),
                end: period.end.map_or(i64::MAX, |e| e.at.micros()),
            }]);
            let what = match period.start_kind {
                super::state::EmploymentChange::Suspended => "was suspended",
                _ => "ended",
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
                    (Some(o), super::state::Employment::Active { .. }) => format!("of {o}"),
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

fn employment_word(e: super::state::Employment) -> &'static str {
    match e {
        super::state::Employment::Unknown => "not enrolled",
        super::state::Employment::Active { .. } => "active",
        super::state::Employment::Suspended { .. } => "suspended",
        super::state::Employment::Ended { .. } => "left",
    }
}

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

/// The instants during which at least one of a third-party organisation's people held a grant,
/// with the grants.
fn partner_exposure(s: &State) -> BTreeMap<OrgId, (Spans, Vec<&Grant>)> {
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

/// The grants of `grants` active at `t` (or the first after it).
fn grants_at<'a>(grants: &[&'a Grant], t: Timestamp) -> Vec<&'a Grant> {
    let v: Vec<&Grant> = grants.iter().copied().filter(|g| g.active_at(t)).collect();
    if v.is_empty() {
        grants.iter().copied().take(1).collect()
    } else {
        v
    }
}

fn org_finding(s: &State, rule: &'static str, org: &OrgId, since: Timestamp) -> Finding {
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
                        active
                            .iter()
                            .map(|g| format!("{} for {}", g.id, g.person))
                            .collect::<Vec<_>>()
                            .join(", "),
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
/// [`super::state::Accreditation::valid_through`]), or have a full DPIA in force. One finding per
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
                        active
                            .iter()
                            .map(|g| format!("{} for {}", g.id, g.person))
                            .collect::<Vec<_>>()
                            .join(", "),
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

fn request_subject(r: &Request) -> Concerns {
    Concerns::Request {
        request: r.id.clone(),
        data_subject: r.data_subject.clone(),
    }
}

fn request_finding(s: &State, rule: &'static str, r: &Request, due: Timestamp) -> Finding {
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
fn requests_late(s: &State, rule: &'static str, erasure: bool) -> Vec<Finding> {
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
/// decision, by its reviewer or by the campaign's default ([`super::campaign::Campaign::execution`]), and an
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
            let due = c.calendar.working_days_due(started.at, c.sla_working_days);
            if now <= due {
                continue; // not late yet
            }
            let window = Spans::new([Span {
                // From the deadline instant itself: a grant (key) still in force at `due` was
                // removed after it, i.e. late, even by a microsecond.
                start: due.micros(),
                end: period.end.map_or(i64::MAX, |e| e.at.micros()),
            }]);
            let what = match period.start_kind {
                super::state::EmploymentChange::Suspended => "was suspended",
                _ => "ended",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_listed_once_in_order() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let want: Vec<String> = (1..=18).map(|i| format!("R{i}")).collect();
        assert_eq!(ids, want);
        assert!(
            RULES
                .iter()
                .all(|r| !r.source.is_empty() && !r.title.is_empty())
        );
        assert_eq!(rule("r3").map(|r| r.id), Some("R3"));
        assert!(rule("R19").is_none());
    }
}
