//! The compliance rules R1–R18 on real ledgers: for every rule a scenario that makes it fire and
//! a neighbouring one that keeps it quiet, at the edges (exactly 72 hours, the SLA over a
//! weekend and a bank holiday, month ends, leap years).
//!
//! Every ledger is built through `Ledger::create` and `Ledger::append` in a temp dir: each event
//! is signed by a key whose role may write it (declarations by the declarant, countersignatures
//! by the manager), so the violations below are all events the ledger accepts.

mod common;
#[allow(unused_imports)]
use common::harness::*;

fn only(fs: &[Finding]) -> &Finding {
    assert_eq!(fs.len(), 1, "expected exactly one finding, got {fs:#?}");
    &fs[0]
}

const LATER: &str = "2026-06-01T00:00:00Z";

/// A compliant council member of staff gives no finding under any rule.
#[test]
fn a_compliant_onboarding_is_clean() {
    let mut l = Council::new();
    l.onboard("P10");
    l.access("2026-01-07T10:00:00Z", "P10", Some("PCC-P10"));
    let all = compliance::audit(&l.state(LATER), &Config::default(), None);
    assert!(all.is_empty(), "{all:#?}");
}

// R1 ------------------------------------------------------------------------------------------

#[test]
fn r1_fires_when_the_countersignature_comes_after_the_grant() {
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "P11", "council", Some("M1"));
    let decl = l.declare("2026-01-05T10:00:00Z", "P11", "1");
    l.training("P11", "2026-01-05", Some("2027-01-05"));
    let g = l.grant("2026-01-06T09:00:00Z", "G-P11", "P11", false, None);
    let cs = l.countersign("2026-01-09T11:00:00Z", decl, "P11", "M1");
    let f = only(&l.findings("R1", LATER)).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.since, t("2026-01-06T09:00:00Z"));
    assert_eq!(f.until, Some(t("2026-01-09T11:00:00Z")));
    assert!(f.seqs.contains(&g) && f.seqs.contains(&decl) && f.seqs.contains(&cs));
    // Before the countersignature it is open.
    let open = l.findings("R1", "2026-01-08T00:00:00Z");
    assert_eq!(only(&open).status, Status::Open);
}

#[test]
fn r1_is_quiet_when_countersigned_at_the_instant_of_the_grant() {
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "P11", "council", Some("M1"));
    let decl = l.declare("2026-01-05T10:00:00Z", "P11", "1");
    l.countersign("2026-01-06T09:00:00Z", decl, "P11", "M1");
    l.training("P11", "2026-01-05", Some("2027-01-05"));
    l.grant("2026-01-06T09:00:00Z", "G-P11", "P11", false, None);
    assert!(l.findings("R1", LATER).is_empty());
}

/// Mosaic Annex A: "To be countersigned by line manager, to authorise access". A
/// countersignature by anyone else, or by the declarant, authorises nothing: the grant stands
/// without an authorised declaration (R1), besides the wrong countersignature itself (R14).
#[test]
fn r1_only_the_line_managers_countersignature_authorises_access() {
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "P11", "council", Some("M1"));
    let decl = l.declare("2026-01-05T10:00:00Z", "P11", "1");
    l.training("P11", "2026-01-05", Some("2027-01-05"));
    let wrong = l.countersign("2026-01-05T11:00:00Z", decl, "P11", "M2");
    l.grant("2026-01-06T09:00:00Z", "G-P11", "P11", false, None);
    let f = only(&l.findings("R1", "2026-02-01T00:00:00Z")).clone();
    assert_eq!(f.status, Status::Open);
    assert!(
        f.detail
            .contains("countersigned only by M2, who was not P11's line manager on record (M1)"),
        "{}",
        f.detail
    );
    assert!(f.seqs.contains(&wrong) && f.seqs.contains(&decl));
    assert_eq!(l.findings("R14", "2026-02-01T00:00:00Z").len(), 1);
    // The line manager countersigns later: R1 is resolved then.
    let right = l.countersign("2026-02-10T11:00:00Z", decl, "P11", "M1");
    let f = only(&l.findings("R1", LATER)).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.until, Some(t("2026-02-10T11:00:00Z")));
    assert!(f.seqs.contains(&right));

    // Countersigned by the declarant (a manager, with a manager's key).
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "M3", "council", Some("M1"));
    l.key(&pid("M3"), Role::Manager);
    let decl = l.declare("2026-01-05T10:00:00Z", "M3", "1");
    l.countersign("2026-01-05T11:00:00Z", decl, "M3", "M3");
    l.training("M3", "2026-01-05", Some("2027-01-05"));
    l.grant("2026-01-06T09:00:00Z", "G-M3", "M3", false, None);
    let f = only(&l.findings("R1", LATER)).clone();
    assert_eq!(f.status, Status::Open);
    assert!(
        f.detail.contains("countersigned only by M3 themself"),
        "{}",
        f.detail
    );

    // Someone with no line manager on record: no countersignature can authorise.
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "P12", "council", None);
    let decl = l.declare("2026-01-05T10:00:00Z", "P12", "1");
    l.countersign("2026-01-05T11:00:00Z", decl, "P12", "M1");
    l.training("P12", "2026-01-05", Some("2027-01-05"));
    l.grant("2026-01-06T09:00:00Z", "G-P12", "P12", false, None);
    let f = only(&l.findings("R1", LATER)).clone();
    assert!(
        f.detail.contains("line manager on record (none)"),
        "{}",
        f.detail
    );
}

#[test]
fn r1_fires_with_no_declaration_at_all() {
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "P11", "council", Some("M1"));
    l.grant("2026-01-06T09:00:00Z", "G-P11", "P11", false, None);
    let f = only(&l.findings("R1", LATER)).clone();
    assert_eq!(f.status, Status::Open);
    assert!(f.detail.contains("no declaration"), "{}", f.detail);
}

// R2 ------------------------------------------------------------------------------------------

#[test]
fn r2_fires_on_the_expiry_date_and_not_a_microsecond_before() {
    let mut l = Council::new();
    l.person(EARLY, "M1", "council", None);
    l.policy(EARLY, "1");
    l.person("2026-01-05T09:00:00Z", "P10", "council", Some("M1"));
    let decl = l.declare("2026-01-05T10:00:00Z", "P10", "1");
    l.countersign("2026-01-05T11:00:00Z", decl, "P10", "M1");
    let tr = l.training("P10", "2026-01-05", Some("2026-05-01"));
    l.grant("2026-01-06T09:00:00Z", "G-P10", "P10", false, None);
    // 1 May 2026 starts at 23:00Z on 30 April in London (BST).
    assert!(l.findings("R2", "2026-04-30T22:59:59.999999Z").is_empty());
    let fs = l.findings("R2", "2026-04-30T23:00:00Z");
    let f = only(&fs);
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.since, t("2026-04-30T23:00:00Z"));
    assert!(f.seqs.contains(&tr));
}

#[test]
fn r2_renewal_on_the_expiry_date_keeps_it_quiet_and_a_late_one_resolves_it() {
    let mut l = Council::new();
    l.onboard("P10"); // training 2026-01-05 to 2027-01-05
    l.training("P10", "2027-01-05", Some("2028-01-05"));
    assert!(l.findings("R2", "2027-06-01T00:00:00Z").is_empty());

    let mut l = Council::new();
    l.onboard("P10");
    l.training("P10", "2027-01-20", Some("2028-01-20"));
    let f = only(&l.findings("R2", "2027-06-01T00:00:00Z")).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.since, t("2027-01-05T00:00:00Z"));
    assert_eq!(f.until, Some(t("2027-01-20T00:00:00Z")));
    assert_eq!(f.overdue_seconds, Some(15 * 86_400));
}

#[test]
fn r2_fires_when_granted_without_any_training() {
    let mut l = Council::new();
    l.person(EARLY, "M1", "council", None);
    l.person("2026-01-05T09:00:00Z", "P10", "council", Some("M1"));
    l.grant("2026-01-06T09:00:00Z", "G-P10", "P10", false, None);
    let f = only(&l.findings("R2", LATER)).clone();
    assert_eq!(f.since, t("2026-01-06T09:00:00Z"));
    assert!(
        f.detail.contains("no Protecting Information"),
        "{}",
        f.detail
    );
}

// R3 ------------------------------------------------------------------------------------------

#[test]
fn r3_sla_over_a_weekend_is_the_end_of_monday() {
    // Employment ends on Friday 14 August 2026 at 18:00 BST; 1 working day: due by the end of
    // Monday in London, 22:59:59.999999Z.
    let mut l = Council::new();
    l.onboard("P10");
    l.ended("2026-08-14T17:00:00Z", "P10");
    l.revoke("2026-08-17T22:59:59.999999Z", "G-P10", "P10");
    assert!(l.findings("R3", "2026-09-01T00:00:00Z").is_empty());

    let mut l = Council::new();
    l.onboard("P10");
    let end = l.ended("2026-08-14T17:00:00Z", "P10");
    let rev = l.revoke("2026-08-17T23:00:00Z", "G-P10", "P10");
    let f = only(&l.findings("R3", "2026-09-01T00:00:00Z")).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.due, Some(t("2026-08-17T22:59:59.999999Z")));
    assert_eq!(f.since, t("2026-08-17T23:00:00Z"));
    assert_eq!(f.until, Some(t("2026-08-17T23:00:00Z")));
    assert!(f.seqs.contains(&end) && f.seqs.contains(&rev));
    // Findings speak UK time, with the zone.
    assert!(
        f.detail.contains("ended at 2026-08-14 18:00 BST")
            && f.detail.contains("by the end of 2026-08-17")
            && f.detail.contains("revoked only at 2026-08-18 00:00 BST"),
        "{}",
        f.detail
    );
}

#[test]
fn r3_open_while_access_outlives_employment() {
    let mut l = Council::new();
    l.onboard("P10");
    l.ended("2026-08-14T17:00:00Z", "P10");
    // On Monday it is not yet late, up to its last microsecond in London (BST); on Tuesday,
    // which starts at 23:00Z, it is.
    assert!(l.findings("R3", "2026-08-17T22:00:00Z").is_empty());
    assert!(l.findings("R3", "2026-08-17T22:59:59.999999Z").is_empty());
    assert!(l.findings("R13", "2026-08-17T22:59:59.999999Z").is_empty());
    assert_eq!(l.findings("R3", "2026-08-17T23:00:00Z").len(), 1);
    let fs = l.findings("R3", "2026-08-19T23:00:00Z");
    let f = only(&fs);
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.overdue_seconds, Some(2 * 86_400));
}

#[test]
fn r3_bank_holiday_moves_the_deadline_and_the_sla_is_configurable() {
    // Friday 28 August 2026; Monday 31 August is the summer bank holiday.
    let mut l = Council::new();
    l.onboard("P10");
    l.ended("2026-08-28T17:00:00Z", "P10");
    l.revoke("2026-09-01T12:00:00Z", "G-P10", "P10");
    let as_of = "2026-10-01T00:00:00Z";
    assert!(l.findings("R3", as_of).is_empty());
    let weekends_only = Config {
        calendar: compliance::Calendar {
            bank_holidays: false,
        },
        ..Config::default()
    };
    assert_eq!(l.findings_with("R3", as_of, &weekends_only).len(), 1);
    let same_day = Config {
        sla_working_days: 0,
        ..Config::default()
    };
    let f = only(&l.findings_with("R3", as_of, &same_day)).clone();
    assert_eq!(f.due, Some(t("2026-08-28T22:59:59.999999Z")));
    let three = Config {
        sla_working_days: 3,
        ..Config::default()
    };
    assert!(l.findings_with("R3", as_of, &three).is_empty());
}

#[test]
fn r3_suspension_lifted_before_the_deadline_is_quiet_and_a_late_revocation_fires() {
    let mut l = Council::new();
    l.onboard("P10");
    l.ev(
        "2026-03-10T10:00:00Z",
        Event::EmploymentSuspended(EmploymentSuspended {
            person: pid("P10"),
            note: None,
        }),
    );
    l.ev(
        "2026-03-11T10:00:00Z",
        Event::EmploymentReinstated(EmploymentReinstated { person: pid("P10") }),
    );
    assert!(l.findings("R3", LATER).is_empty());

    let mut l = Council::new();
    l.onboard("P10");
    l.ev(
        "2026-03-10T10:00:00Z",
        Event::EmploymentSuspended(EmploymentSuspended {
            person: pid("P10"),
            note: None,
        }),
    );
    l.revoke("2026-03-13T10:00:00Z", "G-P10", "P10");
    let f = only(&l.findings("R3", LATER)).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.due, Some(t("2026-03-11T23:59:59.999999Z")));
}

// R4 ------------------------------------------------------------------------------------------

#[test]
fn r4_fires_for_a_partner_grant_without_a_council_sponsor() {
    let mut l = Council::new();
    l.onboard_in("X1", "partner", None);
    let f = only(&l.findings("R4", LATER)).clone();
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.org, Some(org("partner")));

    // A sponsor who is not a council employee does not count either.
    let mut l = Council::new();
    l.onboard_in("X1", "partner", None);
    l.onboard_in("X2", "partner", Some("X1"));
    let fs = l.findings("R4", LATER);
    assert_eq!(fs.len(), 2);
    assert!(
        fs.iter().any(|f| f.detail.contains("sponsor X1")),
        "{fs:#?}"
    );
}

#[test]
fn r4_is_quiet_with_a_council_sponsor_and_for_council_staff() {
    let mut l = Council::new();
    l.onboard("P10");
    l.onboard_in("X1", "partner", Some("M1"));
    assert!(l.findings("R4", LATER).is_empty());
}

// R5 ------------------------------------------------------------------------------------------

fn breach(l: &mut Council, aware: &str) {
    let reported = t(aware).micros() + 3_600_000_000;
    let reported = Timestamp::from_micros(reported).unwrap().to_string();
    l.ev(
        &reported,
        Event::BreachReported(BreachReported {
            breach: bid("BR-1"),
            reported_by: pid("P2"),
            aware_at: t(aware),
            kind: BreachKind::Loss,
            description: Pii::new("Laptop lost"),
        }),
    );
}

fn decide(l: &mut Council, at: &str, notified: bool) -> u64 {
    l.ev(
        at,
        Event::BreachIcoDecision(BreachIcoDecision {
            breach: bid("BR-1"),
            notified,
            ico_reference: notified.then(|| "ICO-1".to_string()),
            reason: (!notified).then(|| Pii::new("Encrypted")),
        }),
    )
}

#[test]
fn r5_a_decision_at_exactly_72_hours_is_on_time() {
    let mut l = Council::new();
    breach(&mut l, "2026-03-02T10:00:00Z");
    decide(&mut l, "2026-03-05T10:00:00Z", false);
    assert!(l.findings("R5", LATER).is_empty());
}

#[test]
fn r5_a_microsecond_late_fires_and_no_decision_is_open() {
    let mut l = Council::new();
    breach(&mut l, "2026-03-02T10:00:00Z");
    let dec = decide(&mut l, "2026-03-05T10:00:00.000001Z", true);
    let f = only(&l.findings("R5", LATER)).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.due, Some(t("2026-03-05T10:00:00Z")));
    assert!(f.seqs.contains(&dec));

    let mut l = Council::new();
    breach(&mut l, "2026-03-02T10:00:00Z");
    assert!(l.findings("R5", "2026-03-05T10:00:00Z").is_empty());
    let fs = l.findings("R5", "2026-03-05T10:00:00.000001Z");
    assert_eq!(only(&fs).status, Status::Open);
}

// R6 ------------------------------------------------------------------------------------------

#[test]
fn r6_fires_for_access_before_the_grant_and_after_revocation() {
    let mut l = Council::new();
    l.onboard("P10"); // granted 2026-01-06 09:00
    let before = l.access("2026-01-06T08:59:59Z", "P10", Some("PCC-P10"));
    l.revoke("2026-02-01T09:00:00Z", "G-P10", "P10");
    let at_revocation = l.access("2026-02-01T09:00:00Z", "P10", Some("PCC-P10"));
    let f = only(&l.findings("R6", LATER)).clone();
    assert_eq!(f.status, Status::Occurred);
    assert_eq!(f.since, t("2026-01-06T08:59:59Z"));
    assert_eq!(f.until, Some(t("2026-02-01T09:00:00Z")));
    assert!(f.seqs.contains(&before) && f.seqs.contains(&at_revocation));
}

#[test]
fn r6_is_quiet_for_access_at_the_instant_of_the_grant() {
    let mut l = Council::new();
    l.onboard("P10");
    l.access("2026-01-06T09:00:00Z", "P10", Some("PCC-P10"));
    l.access("2026-01-31T17:00:00Z", "P10", Some("PCC-P10"));
    assert!(l.findings("R6", LATER).is_empty());
}

// R7 ------------------------------------------------------------------------------------------

#[test]
fn r7_fires_for_a_grant_without_mfa_used_from_a_personal_device() {
    let mut l = Council::new();
    l.onboard("P10"); // council, MFA not required
    let byod = l.device("2026-02-01T10:00:00Z", "P10", "BYOD-1", false, true);
    let f = only(&l.findings("R7", LATER)).clone();
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.since, t("2026-02-01T10:00:00Z"));
    assert!(f.seqs.contains(&byod));

    // An access from a device never attested counts as a non-council device too.
    let mut l = Council::new();
    l.onboard("P10");
    l.access("2026-02-02T10:00:00Z", "P10", Some("HOME-PC"));
    assert_eq!(l.findings("R7", LATER).len(), 1);
}

#[test]
fn r7_is_quiet_with_mfa_or_a_council_device() {
    let mut l = Council::new();
    l.onboard("P10");
    l.access("2026-02-02T10:00:00Z", "P10", Some("PCC-P10"));
    assert!(l.findings("R7", LATER).is_empty());

    let mut l = Council::new();
    l.onboard_in("X1", "partner", Some("M1")); // partner device, MFA required
    assert!(l.findings("R7", LATER).is_empty());
}

// R8 ------------------------------------------------------------------------------------------

#[test]
fn r8_fires_without_a_summary_dpia_and_when_the_isa_lapses() {
    let mut l = Council::new();
    l.agreement("partner", AgreementKind::Isa, "2025-01-01", None);
    l.onboard_in("X1", "partner", Some("M1"));
    let f = only(&l.findings("R8", LATER)).clone();
    assert_eq!(f.status, Status::Open);
    assert_eq!(
        f.subject,
        compliance::Concerns::Org {
            org: org("partner")
        }
    );
    assert!(f.detail.contains("summary DPIA"), "{}", f.detail);

    let mut l = Council::new();
    l.agreement(
        "partner",
        AgreementKind::Isa,
        "2025-01-01",
        Some("2026-03-31"),
    );
    l.agreement("partner", AgreementKind::Dpia, "2025-01-01", None);
    l.onboard_in("X1", "partner", Some("M1"));
    // Valid through 31 March in London (BST since the 29th): until 22:59:59.999999Z.
    assert!(l.findings("R8", "2026-03-31T22:59:59Z").is_empty());
    let fs = l.findings("R8", "2026-03-31T23:00:00Z");
    let f = only(&fs);
    assert_eq!(f.since, t("2026-03-31T23:00:00Z"));
    assert!(f.detail.contains("information-sharing agreement"));
}

#[test]
fn r8_is_quiet_with_an_isa_and_a_dpia_in_force_or_no_access() {
    let mut l = Council::new();
    l.agreement(
        "partner",
        AgreementKind::Isa,
        "2025-01-01",
        Some("2027-12-31"),
    );
    l.agreement("partner", AgreementKind::Dpia, "2025-01-01", None);
    l.onboard_in("X1", "partner", Some("M1"));
    assert!(l.findings("R8", LATER).is_empty());

    // A partner whose people hold no access needs nothing yet.
    let mut l = Council::new();
    l.person("2026-01-05T09:00:00Z", "X1", "partner", None);
    assert!(l.findings("R8", LATER).is_empty());
}

// R9 ------------------------------------------------------------------------------------------

#[test]
fn r9_cyber_essentials_plus_is_valid_through_its_last_day() {
    let mut l = Council::new();
    let ce = l.accreditation(
        "partner",
        Scheme::CyberEssentialsPlus,
        "2025-03-01",
        "2026-03-01",
    );
    l.onboard_in("X1", "partner", Some("M1"));
    assert!(l.findings("R9", "2026-03-01T23:59:59.999999Z").is_empty());
    let fs = l.findings("R9", "2026-03-02T00:00:00Z");
    let f = only(&fs);
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.since, t("2026-03-02T00:00:00Z"));
    assert!(f.seqs.contains(&ce));
    // A renewal later puts it right.
    l.accreditation("partner", Scheme::NhsDspt, "2026-03-10", "2027-06-30");
    let f = only(&l.findings("R9", LATER)).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.until, Some(t("2026-03-10T00:00:00Z")));
}

/// A Cyber Essentials Plus certificate is valid for 12 months and a DSPT submission covers the
/// year to 30 June of the year after it, whatever expiry was typed in: a recorded `valid_until` beyond that
/// does not extend cover.
#[test]
fn r9_an_accreditation_never_counts_past_what_its_scheme_allows() {
    let mut l = Council::new();
    l.accreditation(
        "partner",
        Scheme::CyberEssentialsPlus,
        "2025-03-01",
        "2027-03-01",
    );
    l.onboard_in("X1", "partner", Some("M1"));
    assert!(l.findings("R9", "2026-03-01T23:59:59.999999Z").is_empty());
    let f = only(&l.findings("R9", "2026-03-02T00:00:00Z")).clone();
    assert_eq!(f.since, t("2026-03-02T00:00:00Z"));
    assert!(f.detail.contains("valid for 12 months"), "{}", f.detail);

    // DSPT submitted 10 March 2025 (a leap-free year), recorded as valid to 2027: it covers to
    // 30 June 2026 (BST: until 22:59:59.999999Z).
    let mut l = Council::new();
    l.accreditation("partner", Scheme::NhsDspt, "2025-03-10", "2027-06-30");
    l.onboard_in("X1", "partner", Some("M1"));
    assert!(l.findings("R9", "2026-06-30T22:59:59.999999Z").is_empty());
    let f = only(&l.findings("R9", "2026-06-30T23:00:00Z")).clone();
    assert_eq!(f.since, t("2026-06-30T23:00:00Z"));
    assert!(
        f.detail.contains("30 June of the year after it"),
        "{}",
        f.detail
    );
}

#[test]
fn r9_a_full_dpia_is_an_alternative_and_no_cover_at_all_fires() {
    let mut l = Council::new();
    l.agreement("partner", AgreementKind::FullDpia, "2025-01-01", None);
    l.onboard_in("X1", "partner", Some("M1"));
    assert!(l.findings("R9", LATER).is_empty());

    let mut l = Council::new();
    l.onboard_in("X1", "partner", Some("M1"));
    let f = only(&l.findings("R9", LATER)).clone();
    assert_eq!(f.since, t("2026-01-06T09:00:00Z"));
}

// R10 -----------------------------------------------------------------------------------------

#[test]
fn r10_fires_for_a_failing_or_unattested_device() {
    let mut l = Council::new();
    l.onboard_in("X1", "partner", Some("M1"));
    let att = l.device("2026-02-01T10:00:00Z", "X1", "TAB-1", false, false);
    let a1 = l.access("2026-02-02T10:00:00Z", "X1", Some("TAB-1"));
    let a2 = l.access("2026-02-03T10:00:00Z", "X1", Some("TAB-1"));
    l.access("2026-02-04T10:00:00Z", "X1", Some("UNKNOWN-1"));
    let fs = l.findings("R10", LATER);
    assert_eq!(fs.len(), 2, "{fs:#?}");
    let tab = fs.iter().find(|f| f.detail.contains("TAB-1")).unwrap();
    assert_eq!(tab.status, Status::Occurred);
    assert_eq!(tab.since, t("2026-02-02T10:00:00Z"));
    assert_eq!(tab.until, Some(t("2026-02-03T10:00:00Z")));
    assert_eq!(tab.seqs, vec![att, a1, a2]);
    assert!(fs.iter().any(|f| f.detail.contains("never attested")));
}

#[test]
fn r10_is_quiet_once_the_device_passes_a_new_attestation() {
    let mut l = Council::new();
    l.onboard_in("X1", "partner", Some("M1"));
    l.device("2026-02-01T10:00:00Z", "X1", "TAB-1", false, false);
    l.device("2026-02-02T09:00:00Z", "X1", "TAB-1", false, true);
    l.access("2026-02-02T09:00:00Z", "X1", Some("TAB-1"));
    assert!(l.findings("R10", LATER).is_empty());
}

// R11 -----------------------------------------------------------------------------------------

#[test]
fn r11_verified_31_january_is_due_28_february_moved_off_the_weekend() {
    // Verified 31 January 2026: the month ends on 28 February, a Saturday, so the answer is due
    // by the end of Monday 2 March (ICO).
    let mut l = Council::new();
    l.request("2026-01-28T10:00:00Z", "SRR-1", Right::Access);
    l.verified("2026-01-31T10:00:00Z", "SRR-1");
    l.fulfilled("2026-03-02T23:00:00Z", "SRR-1");
    assert!(l.findings("R11", LATER).is_empty());

    let mut l = Council::new();
    l.request("2026-01-28T10:00:00Z", "SRR-1", Right::Access);
    l.verified("2026-01-31T10:00:00Z", "SRR-1");
    assert!(l.findings("R11", "2026-03-02T23:59:59.999999Z").is_empty());
    let fs = l.findings("R11", "2026-03-03T00:00:00Z");
    let f = only(&fs);
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.due, Some(t("2026-03-02T23:59:59.999999Z")));
    assert!(
        f.detail.contains("2026-02-28 is not a working day"),
        "{}",
        f.detail
    );
    l.fulfilled("2026-03-03T09:00:00Z", "SRR-1");
    assert_eq!(only(&l.findings("R11", LATER)).status, Status::Resolved);
}

#[test]
fn r11_leap_year_due_29_february() {
    let mut l = Council::new();
    l.request("2028-01-28T10:00:00Z", "SRR-1", Right::Access);
    l.verified("2028-01-31T10:00:00Z", "SRR-1");
    l.fulfilled("2028-02-29T16:00:00Z", "SRR-1");
    assert!(l.findings("R11", "2028-06-01T00:00:00Z").is_empty());

    let mut l = Council::new();
    l.request("2028-01-28T10:00:00Z", "SRR-1", Right::Access);
    l.verified("2028-01-31T10:00:00Z", "SRR-1");
    let fs = l.findings("R11", "2028-03-01T00:00:00Z");
    assert_eq!(only(&fs).due, Some(t("2028-02-29T23:59:59.999999Z")));
}

#[test]
fn r11_an_extension_counts_only_within_the_first_month() {
    // Verified 30 November 2025: one month is 30 December, three months 28 February 2026.
    let mut l = Council::new();
    l.request("2025-11-28T10:00:00Z", "SRR-1", Right::Access);
    l.verified("2025-11-30T10:00:00Z", "SRR-1");
    l.extended("2025-12-30T16:00:00Z", "SRR-1");
    l.fulfilled("2026-02-28T16:00:00Z", "SRR-1");
    assert!(l.findings("R11", LATER).is_empty());

    let mut l = Council::new();
    l.request("2025-11-28T10:00:00Z", "SRR-1", Right::Access);
    l.verified("2025-11-30T10:00:00Z", "SRR-1");
    l.extended("2025-12-31T09:00:00Z", "SRR-1");
    l.fulfilled("2026-02-28T16:00:00Z", "SRR-1");
    let f = only(&l.findings("R11", LATER)).clone();
    assert_eq!(f.due, Some(t("2025-12-30T23:59:59.999999Z")));
    assert!(f.detail.contains("after the first month"), "{}", f.detail);
}

#[test]
fn r11_no_clock_before_identity_is_verified() {
    let mut l = Council::new();
    l.request("2026-01-05T10:00:00Z", "SRR-1", Right::Access);
    assert!(l.findings("R11", LATER).is_empty());
}

// R12 -----------------------------------------------------------------------------------------

#[test]
fn r12_granted_on_29_february_is_due_for_review_28_february() {
    let mut l = Council::new();
    l.person(EARLY, "M1", "council", None);
    l.person(EARLY, "P10", "council", Some("M1"));
    let g = l.grant("2024-02-29T09:00:00Z", "G-1", "P10", false, None);
    assert!(l.findings("R12", "2025-02-28T23:59:59.999999Z").is_empty());
    let fs = l.findings("R12", "2025-03-01T00:00:00Z");
    let f = only(&fs);
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.due, Some(t("2025-02-28T23:59:59.999999Z")));
    assert_eq!(f.seqs, vec![g]);
}

#[test]
fn r12_a_review_in_time_keeps_it_quiet_and_restarts_the_clock() {
    let mut l = Council::new();
    l.person(EARLY, "P10", "council", None);
    l.grant("2025-01-10T09:00:00Z", "G-1", "P10", false, None);
    l.review("2026-01-09T15:00:00Z", "G-1", "P10");
    assert!(l.findings("R12", "2027-01-09T12:00:00Z").is_empty());
    // The second review is late: due by the end of 2027-01-09.
    let rv = l.review("2027-02-01T15:00:00Z", "G-1", "P10");
    let f = only(&l.findings("R12", "2027-03-01T00:00:00Z")).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.due, Some(t("2027-01-09T23:59:59.999999Z")));
    assert_eq!(f.until, Some(t("2027-02-01T15:00:00Z")));
    assert!(f.seqs.contains(&rv));
}

#[test]
fn r12_a_revoked_grant_needs_no_review() {
    let mut l = Council::new();
    l.person(EARLY, "P10", "council", None);
    l.grant("2025-01-10T09:00:00Z", "G-1", "P10", false, None);
    l.revoke("2025-12-01T09:00:00Z", "G-1", "P10");
    assert!(l.findings("R12", "2027-01-01T00:00:00Z").is_empty());
}

// R13 -----------------------------------------------------------------------------------------

#[test]
fn r13_fires_for_a_leaver_whose_key_is_still_enrolled() {
    let mut l = Council::new();
    l.onboard("P10"); // P10 has a staff key (their declaration)
    let end = l.ended("2026-08-14T17:00:00Z", "P10");
    l.revoke("2026-08-14T17:30:00Z", "G-P10", "P10");
    assert!(l.findings("R13", "2026-08-17T22:59:59Z").is_empty());
    let fs = l.findings("R13", "2026-08-17T23:00:00Z");
    let f = only(&fs);
    assert_eq!(f.status, Status::Open);
    assert!(f.seqs.contains(&end));
    assert!(matches!(f.subject, compliance::Concerns::Key { .. }));
}

#[test]
fn r13_is_quiet_when_the_key_is_revoked_the_next_working_day() {
    let mut l = Council::new();
    l.onboard("P10");
    l.ended("2026-08-14T17:00:00Z", "P10");
    l.revoke("2026-08-14T17:30:00Z", "G-P10", "P10");
    let key = public_key(&l.keys[&("P10".to_string(), Role::Staff)]);
    l.ev(
        "2026-08-15T09:00:00Z",
        Event::KeyRevoked(KeyRevoked {
            key,
            person: pid("P10"),
            reason: Pii::new("Leaver"),
        }),
    );
    assert!(l.findings("R13", "2026-12-01T00:00:00Z").is_empty());
}

/// Mosaic §7 removes access "upon termination or suspension"; R3 and R13 start the same clock
/// at the same instant: a suspended person's signing keys must go by the same deadline as their
/// access. Reinstatement before the deadline keeps both quiet.
#[test]
fn r13_starts_at_a_suspension_as_r3_does() {
    let mut l = Council::new();
    l.onboard("P10");
    let susp = l.ev(
        "2026-03-10T10:00:00Z",
        Event::EmploymentSuspended(EmploymentSuspended {
            person: pid("P10"),
            note: None,
        }),
    );
    l.revoke("2026-03-10T12:00:00Z", "G-P10", "P10");
    // Due by the end of Wednesday 11 March (GMT).
    assert!(l.findings("R13", "2026-03-11T23:59:59.999999Z").is_empty());
    let f = only(&l.findings("R13", "2026-03-12T00:00:00Z")).clone();
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.due, Some(t("2026-03-11T23:59:59.999999Z")));
    assert!(f.seqs.contains(&susp));
    assert!(f.detail.contains("was suspended"), "{}", f.detail);
    // Reinstated on 16 March: resolved then (the key may be used again).
    l.ev(
        "2026-03-16T09:00:00Z",
        Event::EmploymentReinstated(EmploymentReinstated { person: pid("P10") }),
    );
    let f = only(&l.findings("R13", LATER)).clone();
    assert_eq!(f.status, Status::Resolved);
    assert_eq!(f.until, Some(t("2026-03-16T09:00:00Z")));
    assert!(l.findings("R3", LATER).is_empty(), "the grant went in time");
}

// R14 -----------------------------------------------------------------------------------------

#[test]
fn r14_fires_for_a_countersignature_by_someone_else_or_by_the_declarant() {
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "P11", "council", Some("M1"));
    let decl = l.declare("2026-01-05T10:00:00Z", "P11", "1");
    let cs = l.countersign("2026-01-05T11:00:00Z", decl, "P11", "M2");
    let f = only(&l.findings("R14", LATER)).clone();
    assert_eq!(f.status, Status::Occurred);
    assert!(
        f.detail.contains("line manager on record was M1"),
        "{}",
        f.detail
    );
    assert!(f.seqs.contains(&decl) && f.seqs.contains(&cs));

    // A manager countersigning their own declaration.
    let mut l = Council::new();
    l.onboard("P10");
    l.person("2026-01-05T09:00:00Z", "M3", "council", Some("M1"));
    l.key(&pid("M3"), Role::Manager);
    let decl = l.declare("2026-01-05T10:00:00Z", "M3", "1");
    l.countersign("2026-01-05T11:00:00Z", decl, "M3", "M3");
    let f = only(&l.findings("R14", LATER)).clone();
    assert!(f.detail.contains("the declarant"), "{}", f.detail);
}

#[test]
fn r14_judges_the_line_manager_at_the_time_of_the_countersignature() {
    let mut l = Council::new();
    l.onboard("P10"); // line manager M1, countersigned by M1
    // Later moved to M2: the old countersignature stays right.
    l.person("2026-03-01T09:00:00Z", "P10", "council", Some("M2"));
    assert!(l.findings("R14", LATER).is_empty());
}

// R15 -----------------------------------------------------------------------------------------

#[test]
fn r15_fires_for_an_erasure_request_neither_done_nor_refused() {
    let mut l = Council::new();
    let rq = l.request("2026-07-01T10:00:00Z", "SRR-5", Right::Erasure);
    l.verified("2026-07-04T10:00:00Z", "SRR-5");
    // Verified Saturday 4 July: due Tuesday 4 August, by 22:59:59.999999Z (BST).
    assert!(l.findings("R15", "2026-08-04T22:59:59.999999Z").is_empty());
    let fs = l.findings("R15", "2026-08-04T23:00:00Z");
    let f = only(&fs);
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.due, Some(t("2026-08-04T22:59:59.999999Z")));
    assert!(f.seqs.contains(&rq));
    // One finding per late request: R11 leaves erasure requests to R15.
    assert!(l.findings("R11", "2026-08-05T00:00:00Z").is_empty());
}

#[test]
fn r15_is_quiet_when_refused_with_a_reason_or_erased_in_time() {
    let mut l = Council::new();
    l.request("2026-07-01T10:00:00Z", "SRR-5", Right::Erasure);
    l.verified("2026-07-04T10:00:00Z", "SRR-5");
    l.ev(
        "2026-07-20T10:00:00Z",
        Event::SubjectRightsRequestRefused(SubjectRightsRequestRefused {
            request: rid("SRR-5"),
            data_subject: su("SU-9"),
            reason: Pii::new("Legal obligation to keep the record"),
        }),
    );
    assert!(l.findings("R15", "2026-12-01T00:00:00Z").is_empty());

    // Erased: a Redacted entry made for the request.
    let mut l = Council::new();
    let rq = l.request("2026-07-01T10:00:00Z", "SRR-5", Right::Erasure);
    l.verified("2026-07-04T10:00:00Z", "SRR-5");
    let hash = l.ledger.entry(rq).unwrap().unwrap().hash;
    l.ev(
        "2026-07-21T10:00:00Z",
        Event::Redacted(Redacted {
            seq: rq,
            entry_hash: hash,
            reason: "Erasure request SRR-5".into(),
            request: Some(rid("SRR-5")),
        }),
    );
    assert!(l.findings("R15", "2026-12-01T00:00:00Z").is_empty());
    // Not an erasure request: R15 has nothing to say (R11 does).
    let mut l = Council::new();
    l.request("2026-07-01T10:00:00Z", "SRR-6", Right::Access);
    l.verified("2026-07-04T10:00:00Z", "SRR-6");
    assert!(l.findings("R15", "2026-12-01T00:00:00Z").is_empty());
}

// R16 -----------------------------------------------------------------------------------------

#[test]
fn r16_fires_for_a_declaration_against_a_superseded_version() {
    let mut l = Council::new();
    l.onboard("P10"); // declares version 1
    let v2 = l.policy("2026-04-01T09:00:00Z", "2");
    l.person("2026-05-11T09:00:00Z", "P11", "council", Some("M1"));
    let old = l.declare("2026-05-12T10:15:00Z", "P11", "1");
    let f = only(&l.findings("R16", LATER)).clone();
    assert_eq!(f.status, Status::Open);
    assert_eq!(f.seqs, vec![v2, old]);
    // Declaring again against the current version resolves it.
    let new = l.declare("2026-05-20T10:00:00Z", "P11", "2");
    let f = only(&l.findings("R16", LATER)).clone();
    assert_eq!(f.status, Status::Resolved);
    assert!(f.seqs.contains(&new));
}

#[test]
fn r16_a_new_version_does_not_make_earlier_declarations_wrong() {
    let mut l = Council::new();
    l.onboard("P10"); // declared version 1 when it was current
    l.policy("2026-04-01T09:00:00Z", "2");
    // Declared at the very instant version 2 is published: version 2 is current.
    l.person("2026-03-30T09:00:00Z", "P11", "council", Some("M1"));
    l.declare("2026-04-01T09:00:00Z", "P11", "2");
    assert!(l.findings("R16", LATER).is_empty());
}

// The projection --------------------------------------------------------------------------------

#[test]
fn as_of_sees_only_what_had_happened_and_back_dated_facts_count_from_when_they_happened() {
    let mut l = Council::new();
    l.onboard("P10");
    l.ended("2026-08-14T17:00:00Z", "P10");
    // Recorded later, but it happened before the deadline: no finding.
    l.revoke("2026-08-17T09:00:00Z", "G-P10", "P10");
    let s = l.state("2026-08-16T00:00:00Z");
    let p = s.person(&pid("P10")).unwrap();
    assert!(matches!(
        p.employment_at(s.now()),
        compliance::state::Employment::Ended { .. }
    ));
    assert!(
        s.grants[0].revoked.is_none(),
        "the revocation had not happened yet"
    );
    assert!(l.findings("R3", "2026-12-01T00:00:00Z").is_empty());
    let before = l.state("2026-01-05T09:30:00Z");
    assert!(before.grants.is_empty());
    assert_eq!(before.declarations.len(), 0);
}

#[test]
fn a_countersignature_dated_before_its_declaration_is_still_linked() {
    let mut l = Council::new();
    l.person(EARLY, "M1", "council", None);
    l.person("2026-01-05T09:00:00Z", "P10", "council", Some("M1"));
    let decl = l.declare("2026-01-05T10:00:00Z", "P10", "1");
    // The manager's clock says 09:59: folded before the declaration, linked all the same.
    l.countersign("2026-01-05T09:59:00Z", decl, "P10", "M1");
    let s = l.state(LATER);
    assert_eq!(s.declarations[0].countersigns.len(), 1);
}

#[test]
fn unknown_references_become_notes_never_errors() {
    let mut l = Council::new();
    l.review("2026-01-05T09:00:00Z", "G-NOPE", "P10");
    let s = l.state(LATER);
    assert_eq!(s.notes.len(), 1);
    assert!(s.notes[0].message.contains("G-NOPE"));
}

// The record accesses, judged one at a time -----------------------------------------------------

/// R6, R7 and R10 judge each record access against the rest of the record, which is folded
/// first: the accesses may come in any order and are not kept. The order they are judged in
/// changes nothing, and `compliance::load` (every other entry through the type index, then the
/// accesses in one pass) gives the state `State::build` gives from every entry at once,
/// including when an access is recorded before the grant or attestation that judges it
/// (back-dated entries).
#[test]
fn record_accesses_judged_in_any_order_give_the_same_findings() {
    let mut l = Council::new();
    l.onboard("P10");
    l.onboard("P11");
    // R6: before the grant; R10: a device that fails; R7: a device never attested.
    l.access("2026-01-06T08:00:00Z", "P10", Some("PCC-P10"));
    l.access("2026-01-20T10:00:00Z", "P11", Some("HOME-PC"));
    l.access("2026-01-21T10:00:00Z", "P11", Some("HOME-PC"));
    l.access("2026-01-22T10:00:00Z", "P10", None);
    // A back-dated attestation and grant, recorded after the accesses they judge.
    l.access("2026-03-02T10:00:00Z", "P10", Some("TAB-1"));
    l.device("2026-03-01T10:00:00Z", "P10", "TAB-1", false, false);
    l.access("2026-03-05T10:00:00Z", "P12", Some("PCC-P12"));
    l.person("2026-03-01T09:00:00Z", "P12", "council", Some("M1"));
    l.grant("2026-03-01T09:00:00Z", "G-P12", "P12", false, None);
    for as_of in ["2026-01-21T12:00:00Z", LATER] {
        let entries: Vec<_> = l
            .ledger
            .entries(0)
            .collect::<igl_ledger::Result<Vec<_>>>()
            .unwrap();
        let all = State::build(Some(t(as_of)), entries.iter().map(compliance::fact));
        let (accesses, rest): (Vec<_>, Vec<_>) = entries
            .iter()
            .partition(|e| matches!(e.entry.event.body.event, Event::RecordAccessed(_)));
        let mut reversed = State::build(Some(t(as_of)), rest.iter().map(|e| compliance::fact(e)));
        for e in accesses.iter().rev() {
            reversed.observe_access(&compliance::fact(e));
        }
        let loaded = l.state(as_of);
        let c = Config::default();
        let findings = compliance::audit(&all, &c, None);
        assert!(
            ["R6", "R7", "R10"]
                .iter()
                .all(|r| findings.iter().any(|f| f.rule == *r)),
            "{findings:#?}"
        );
        assert_eq!(
            compliance::audit(&reversed, &c, None),
            findings,
            "as of {as_of}"
        );
        assert_eq!(
            compliance::audit(&loaded, &c, None),
            findings,
            "as of {as_of}"
        );
        assert_eq!(reversed.accesses.by_person, all.accesses.by_person);
        assert_eq!(loaded.accesses.by_person, all.accesses.by_person);
        assert_eq!(
            (loaded.entries, loaded.last_seq),
            (all.entries, all.last_seq)
        );
    }
}
