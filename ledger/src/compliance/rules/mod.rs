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

use super::{Concerns, Config, Finding, Status};
use crate::compliance::campaign::{Execution, ItemState};
use crate::compliance::state::{
    Declaration, EmploymentChange, Grant, Inactive, PROTECTING_INFORMATION, Request, State,
    review_due,
};
use crate::time::{HOUR, Span, Spans, shift, uk_date};

mod incidents;
mod partners;
mod records;
mod requests;
mod reviews;
mod staff;

pub use incidents::*;
pub use partners::*;
pub use records::*;
pub use requests::*;
pub use reviews::*;
pub use staff::*;

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

/// What must be removed when someone stops (R3 their grants, R13 their keys), once it is late.
pub(super) struct Removal {
    /// The deadline: `sla_working_days` working days after the period started.
    pub(super) due: Timestamp,
    /// From the deadline instant itself (something still in force at `due` was removed after
    /// it, i.e. late, even by a microsecond) to the end of the period (reinstated, enrolled
    /// again) or for ever.
    pub(super) window: Spans,
    /// How the period started: `ended` or `was suspended`.
    pub(super) what: &'static str,
}

/// The removal deadline of an inactive period and the window in which what is still in force
/// is late, or `None` when the deadline has not passed at `now`. R3 and R13 judge with it, so a
/// key and an access are due at the same instant.
pub(super) fn removal_overdue(period: &Inactive, c: &Config, now: Timestamp) -> Option<Removal> {
    let due = c
        .calendar
        .working_days_due(period.start.at, c.sla_working_days);
    if now <= due {
        return None;
    }
    Some(Removal {
        due,
        window: Spans::new([Span {
            start: due.micros(),
            end: period.end.map_or(i64::MAX, |e| e.at.micros()),
        }]),
        what: match period.start_kind {
            EmploymentChange::Suspended => "was suspended",
            _ => "ended",
        },
    })
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

#[cfg(test)]
mod tests;
