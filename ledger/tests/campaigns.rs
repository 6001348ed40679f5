//! Access-review campaigns on real ledgers: which grants are items and who reviews them, which
//! decisions count, the default at the due date, and the rules that read them (R12, R17, R18).
//! The scoped state `igl status` and `igl org` use gives the same findings as the full replay.

mod common;
#[allow(unused_imports)]
use common::harness::*;
use igl_ledger::compliance::campaign::{Execution, ItemState};
use igl_ledger::compliance::scope;

const OPENED: &str = "2026-02-02T09:00:00Z";
/// A Friday; the end of that UK day (GMT) is the last instant a decision is on time.
const DUE: &str = "2026-02-27";
const DUE_END: &str = "2026-02-27T23:59:59.999999Z";
const AFTER_DUE: &str = "2026-02-28T00:00:00Z";

fn cid(s: &str) -> CampaignId {
    CampaignId::new(s).unwrap()
}

struct Scope<'a> {
    system: Option<&'a str>,
    organisation: Option<&'a str>,
    reports_of: Option<&'a str>,
    reviewer: Option<&'a str>,
    default: Option<ReviewDecision>,
}

const EVERYTHING: Scope = Scope {
    system: None,
    organisation: None,
    reports_of: None,
    reviewer: None,
    default: None,
};

fn open(l: &mut Council, at: &str, id: &str, s: Scope) -> u64 {
    l.ev(
        at,
        Event::ReviewCampaignOpened(ReviewCampaignOpened {
            campaign: cid(id),
            title: format!("Review {id}"),
            system: s.system.map(|x| SystemId::new(x).unwrap()),
            organisation: s.organisation.map(org),
            reports_of: s.reports_of.map(pid),
            reviewer: s.reviewer.map(pid),
            owner: pid("P2"),
            due: d(DUE),
            default_decision: s.default,
        }),
    )
}

fn decide(
    l: &mut Council,
    at: &str,
    campaign: &str,
    grant: &str,
    person: &str,
    reviewer: &str,
    decision: ReviewDecision,
) -> u64 {
    l.ev(
        at,
        Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
            campaign: cid(campaign),
            grant: gid(grant),
            person: pid(person),
            reviewer: pid(reviewer),
            decision,
            new_role: (decision == ReviewDecision::Change).then(|| "Read-only".to_string()),
            justification: Pii::new("Seen the caseload"),
        }),
    )
}

/// P10 and P11 (council, line manager M1), P20 (partner, line manager M1, sponsor M2), and M1's
/// own grant (M1 has no line manager).
fn council() -> Council {
    let mut l = Council::new();
    l.onboard("P10");
    l.onboard("P11");
    l.onboard_in("P20", "partner", Some("M2"));
    l.grant("2026-01-06T09:00:00Z", "G-M1", "M1", false, None);
    l
}

fn reviewers(l: &Council, campaign: &str, as_of: &str) -> Vec<(String, String, &'static str)> {
    let s = l.state(as_of);
    s.campaigns[&cid(campaign)]
        .items
        .iter()
        .map(|i| (i.grant.to_string(), i.reviewer.to_string(), i.assigned_as))
        .collect()
}

#[test]
fn items_are_the_grants_in_force_at_the_opening_within_the_scope() {
    let mut l = council();
    // Revoked before the opening: not an item. Granted after it: not an item.
    l.onboard("P12");
    l.revoke("2026-01-20T09:00:00Z", "G-P12", "P12");
    open(&mut l, OPENED, "ALL", EVERYTHING);
    l.grant("2026-02-03T09:00:00Z", "G-P12b", "P12", false, None);
    assert_eq!(
        reviewers(&l, "ALL", AFTER_DUE),
        [
            ("G-P10".into(), "M1".into(), "line_manager"),
            ("G-P11".into(), "M1".into(), "line_manager"),
            ("G-P20".into(), "M1".into(), "line_manager"),
            // M1 has no line manager: the owner reviews.
            ("G-M1".into(), "P2".into(), "owner"),
        ]
    );

    // The partner's staff, reviewed by their sponsor.
    open(
        &mut l,
        OPENED,
        "PARTNER",
        Scope {
            organisation: Some("partner"),
            reviewer: Some("M2"),
            ..EVERYTHING
        },
    );
    assert_eq!(
        reviewers(&l, "PARTNER", AFTER_DUE),
        [("G-P20".into(), "M2".into(), "campaign")]
    );

    // M1's reports, reviewed by M1; and a system owner who holds a grant does not review it.
    open(
        &mut l,
        OPENED,
        "REPORTS",
        Scope {
            reports_of: Some("M1"),
            system: Some("Eclipse"),
            ..EVERYTHING
        },
    );
    assert_eq!(reviewers(&l, "REPORTS", AFTER_DUE).len(), 3);
    open(
        &mut l,
        OPENED,
        "OWNER",
        Scope {
            reviewer: Some("M1"),
            ..EVERYTHING
        },
    );
    let r = reviewers(&l, "OWNER", AFTER_DUE);
    assert!(r.contains(&("G-M1".into(), "P2".into(), "owner")), "{r:?}");
    assert!(
        r.contains(&("G-P10".into(), "M1".into(), "campaign")),
        "{r:?}"
    );
    // Another system: nothing.
    open(
        &mut l,
        OPENED,
        "MOSAIC",
        Scope {
            system: Some("Mosaic"),
            ..EVERYTHING
        },
    );
    assert!(reviewers(&l, "MOSAIC", AFTER_DUE).is_empty());
}

#[test]
fn only_the_items_reviewer_decides_and_everything_else_is_a_note() {
    let mut l = council();
    open(&mut l, OPENED, "ALL", EVERYTHING);
    // M2 is not P10's reviewer; G-X is no item; P11 is not G-P10's grantee; NOPE was never
    // opened.
    let wrong = decide(
        &mut l,
        "2026-02-10T10:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M2",
        ReviewDecision::Keep,
    );
    let nope = decide(
        &mut l,
        "2026-02-10T10:00:00Z",
        "NOPE",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Keep,
    );
    let other = decide(
        &mut l,
        "2026-02-10T10:00:00Z",
        "ALL",
        "G-P10",
        "P11",
        "M1",
        ReviewDecision::Keep,
    );
    let s = l.state(AFTER_DUE);
    let notes: Vec<u64> = s.notes.iter().map(|n| n.seq).collect();
    for seq in [wrong, nope, other] {
        assert!(notes.contains(&seq), "seq {seq} not noted: {:#?}", s.notes);
    }
    let c = &s.campaigns[&cid("ALL")];
    let item = c.item(&gid("G-P10")).unwrap();
    assert!(item.decisions.is_empty());
    assert_eq!(
        c.item_state(item, s.grant(&gid("G-P10")), t(AFTER_DUE)),
        ItemState::Overdue
    );
    // Nor does a review that does not count reset R12's clock.
    assert!(s.grant(&gid("G-P10")).unwrap().reviews.is_empty());
}

/// The chain rules: a decision is the reviewer's own statement, signed with their own key.
#[test]
fn a_decision_signed_with_another_persons_key_is_refused() {
    let mut l = council();
    open(&mut l, OPENED, "ALL", EVERYTHING);
    let m2 = l.key(&pid("M2"), Role::Manager);
    let sub = l.sign(
        "2026-02-10T10:00:00Z",
        Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
            campaign: cid("ALL"),
            grant: gid("G-P10"),
            person: pid("P10"),
            reviewer: pid("M1"),
            decision: ReviewDecision::Revoke,
            new_role: None,
            justification: Pii::new("Forged"),
        }),
        &m2,
    );
    let before = l.ledger.head().unwrap().unwrap().seq;
    let ig = l.ig.clone();
    let err = l.ledger.append(&[sub], &ig, t(RECORDED)).unwrap_err();
    assert!(err.to_string().contains("M1's own statement"), "{err}");
    assert_eq!(l.ledger.head().unwrap().unwrap().seq, before);
}

#[test]
fn r18_reports_items_undecided_at_the_end_of_the_due_day() {
    let mut l = council();
    let opened = open(&mut l, OPENED, "ALL", EVERYTHING);
    decide(
        &mut l,
        "2026-02-27T23:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Keep,
    );
    decide(
        &mut l,
        DUE_END,
        "ALL",
        "G-P20",
        "P20",
        "M1",
        ReviewDecision::Keep,
    );
    let late = decide(
        &mut l,
        "2026-03-02T10:00:00Z",
        "ALL",
        "G-P11",
        "P11",
        "M1",
        ReviewDecision::Keep,
    );
    // Withdrawn: G-M1 revoked before anyone decided it.
    l.revoke("2026-02-20T10:00:00Z", "G-M1", "M1");

    // At the last instant of the due day nothing is late.
    assert!(l.findings("R18", DUE_END).is_empty());
    let open_now = l.findings("R18", AFTER_DUE);
    assert_eq!(open_now.len(), 1, "{open_now:#?}");
    assert_eq!(open_now[0].status, Status::Open);
    assert_eq!(open_now[0].since, t(AFTER_DUE));
    assert!(open_now[0].seqs.contains(&opened));
    assert!(
        open_now[0]
            .detail
            .contains("was for M1 to decide by the end of 2026-02-27")
    );

    let f = l.findings("R18", "2026-04-01T00:00:00Z");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Resolved);
    assert_eq!(f[0].until, Some(t("2026-03-02T10:00:00Z")));
    assert!(f[0].seqs.contains(&late));

    let s = l.state("2026-04-01T00:00:00Z");
    let c = &s.campaigns[&cid("ALL")];
    let p = c.progress(&s, t("2026-04-01T00:00:00Z"), &Config::default());
    assert_eq!((p.items, p.keep, p.withdrawn, p.overdue), (4, 3, 1, 0));
}

#[test]
fn a_default_decides_what_is_undecided_when_the_due_day_ends_and_closes_the_campaign() {
    let mut l = council();
    open(
        &mut l,
        OPENED,
        "DEF",
        Scope {
            default: Some(ReviewDecision::Revoke),
            ..EVERYTHING
        },
    );
    decide(
        &mut l,
        "2026-02-10T10:00:00Z",
        "DEF",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Keep,
    );
    // Carried out on the Monday (the SLA's one working day after Friday's due day) and on the
    // Tuesday (late); P20's never.
    l.revoke("2026-03-02T17:00:00Z", "G-P11", "P11");
    l.revoke("2026-03-03T09:00:00Z", "G-M1", "M1");
    // After the campaign closed, a decision is a note.
    let after = decide(
        &mut l,
        "2026-03-04T10:00:00Z",
        "DEF",
        "G-P20",
        "P20",
        "M1",
        ReviewDecision::Keep,
    );

    let s = l.state(DUE_END);
    let c = &s.campaigns[&cid("DEF")];
    let i = c.item(&gid("G-P11")).unwrap();
    assert_eq!(
        c.item_state(i, s.grant(&i.grant), t(DUE_END)),
        ItemState::Pending
    );

    let now = "2026-04-01T00:00:00Z";
    let s = l.state(now);
    let c = &s.campaigns[&cid("DEF")];
    assert!(c.closed_at(t(now)));
    let i = c.item(&gid("G-P20")).unwrap();
    match c.item_state(i, s.grant(&i.grant), t(now)) {
        ItemState::Decided {
            decision: ReviewDecision::Revoke,
            at,
            by_default: true,
            ..
        } => assert_eq!(at, t(DUE_END)),
        other => panic!("{other:?}"),
    }
    assert!(s.notes.iter().any(|n| n.seq == after), "{:#?}", s.notes);
    assert!(matches!(
        c.execution(i, s.grant(&i.grant), t(now), &Config::default()),
        Execution::Awaiting { .. }
    ));
    let p = c.progress(&s, t(now), &Config::default());
    assert_eq!(
        (
            p.keep,
            p.revoke,
            p.by_default,
            p.carried_out,
            p.revocation_overdue
        ),
        (1, 3, 3, 2, 1)
    );
    // No item is overdue under a default (R18 is quiet); the revocations it called for are
    // judged by R17: G-P11 on time, G-M1 late, G-P20 never.
    assert!(l.findings("R18", now).is_empty());
    let mut f = l.findings("R17", now);
    f.sort_by_key(|f| f.status);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0].status, Status::Open);
    assert!(f[0].detail.starts_with("G-P20"), "{}", f[0].detail);
    assert!(
        f[0].detail.contains("default decided revocation"),
        "{}",
        f[0].detail
    );
    assert_eq!(f[0].due, Some(t("2026-03-02T23:59:59.999999Z")));
    assert_eq!(f[1].status, Status::Resolved);
    assert!(f[1].detail.starts_with("G-M1"), "{}", f[1].detail);
    // A default is not a review: R12's clock does not restart.
    assert!(s.grant(&gid("G-P20")).unwrap().reviews.is_empty());
}

#[test]
fn r17_judges_revoke_and_change_decisions_and_reviews_that_found_access_unneeded() {
    let mut l = council();
    open(&mut l, OPENED, "ALL", EVERYTHING);
    // Monday: revoke; due by the end of Tuesday.
    let d1 = decide(
        &mut l,
        "2026-02-09T15:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Revoke,
    );
    l.revoke("2026-02-10T23:59:59.999999Z", "G-P10", "P10");
    let d2 = decide(
        &mut l,
        "2026-02-09T15:00:00Z",
        "ALL",
        "G-P11",
        "P11",
        "M1",
        ReviewDecision::Change,
    );
    // A plain review that found access no longer needed.
    let r = l.ev(
        "2026-02-09T15:00:00Z",
        Event::AccessReviewed(AccessReviewed {
            grant: gid("G-P20"),
            person: pid("P20"),
            reviewer: pid("M2"),
            still_needed: false,
            note: None,
        }),
    );
    assert!(l.findings("R17", "2026-02-10T23:59:59.999999Z").is_empty());
    let f = l.findings("R17", "2026-02-12T00:00:00Z");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        f.iter()
            .all(|f| f.status == Status::Open && f.since == t("2026-02-11T00:00:00Z"))
    );
    assert!(
        f.iter()
            .any(|f| f.seqs.contains(&d2) && f.detail.contains("a change to role \"Read-only\""))
    );
    assert!(
        f.iter()
            .any(|f| f.seqs.contains(&r) && f.detail.contains("M2 found it no longer needed"))
    );
    assert!(!f.iter().any(|f| f.seqs.contains(&d1)));
    // A later review that finds it needed after all ends the obligation.
    let later = l.review("2026-02-13T10:00:00Z", "G-P20", "P20");
    let f = l.findings("R17", "2026-03-01T00:00:00Z");
    let plain = f.iter().find(|f| f.seqs.contains(&r)).unwrap();
    assert_eq!(plain.status, Status::Resolved);
    assert!(plain.seqs.contains(&later));
}

/// R12 reads campaign decisions: a decision by the item's reviewer is a review of the grant.
#[test]
fn r12_counts_a_campaign_decision_as_a_review() {
    let mut l = council();
    open(&mut l, "2026-12-01T09:00:00Z", "ANNUAL", EVERYTHING);
    decide(
        &mut l,
        "2026-12-02T10:00:00Z",
        "ANNUAL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Keep,
    );
    let as_of = "2027-02-01T00:00:00Z";
    let f = l.findings("R12", as_of);
    let about = |g: &str| {
        f.iter()
            .any(|f| matches!(&f.subject, compliance::Concerns::Grant { grant, .. } if grant.as_str() == g))
    };
    assert!(!about("G-P10"), "{f:#?}");
    assert!(about("G-P11"), "{f:#?}");
    let s = l.state(as_of);
    assert_eq!(
        s.grant(&gid("G-P10")).unwrap().next_review_due(t(as_of)),
        Some(t("2027-12-02T23:59:59.999999Z"))
    );
}

/// `igl status` and `igl org` build their state from the per-entity history: a campaign's
/// findings about a person or an organisation are the full replay's.
#[test]
fn scoped_states_give_the_full_replays_campaign_findings() {
    let mut l = council();
    open(&mut l, OPENED, "ALL", EVERYTHING);
    open(
        &mut l,
        OPENED,
        "DEF",
        Scope {
            organisation: Some("partner"),
            reviewer: Some("M2"),
            default: Some(ReviewDecision::Revoke),
            ..EVERYTHING
        },
    );
    decide(
        &mut l,
        "2026-02-09T15:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Revoke,
    );
    decide(
        &mut l,
        "2026-03-09T15:00:00Z",
        "ALL",
        "G-P11",
        "P11",
        "M1",
        ReviewDecision::Keep,
    );
    for as_of in [
        "2026-02-20T00:00:00Z",
        "2026-03-05T00:00:00Z",
        "2026-04-01T00:00:00Z",
    ] {
        let full = compliance::audit(&l.state(as_of), &Config::default(), None);
        let pick = |fs: &[Finding], p: &str| -> Vec<Finding> {
            fs.iter()
                .filter(|f| f.person.as_ref().is_some_and(|x| x.as_str() == p))
                .filter(|f| ["R12", "R17", "R18"].contains(&f.rule))
                .cloned()
                .collect()
        };
        for p in ["P10", "P11", "P20", "M1"] {
            let st = scope::person_state(&l.ledger, &pid(p), t(as_of)).unwrap();
            let scoped = compliance::audit(&st, &Config::default(), None);
            assert_eq!(pick(&scoped, p), pick(&full, p), "{p} as of {as_of}");
        }
        let st = scope::org_state(&l.ledger, &org("partner"), t(as_of)).unwrap();
        let scoped = compliance::audit(&st, &Config::default(), None);
        assert_eq!(
            pick(&scoped, "P20"),
            pick(&full, "P20"),
            "partner as of {as_of}"
        );
        // And `igl review`'s state: every campaign as the full replay has it.
        let st = scope::campaigns_state(&l.ledger, t(as_of)).unwrap();
        let full_state = l.state(as_of);
        for (id, c) in &full_state.campaigns {
            let p = c.progress(&full_state, t(as_of), &Config::default());
            let q = st.campaigns[id].progress(&st, t(as_of), &Config::default());
            assert_eq!(p, q, "{id} as of {as_of}");
        }
    }
    // The findings are there to compare.
    assert!(!l.findings("R17", "2026-04-01T00:00:00Z").is_empty());
    assert!(!l.findings("R18", "2026-04-01T00:00:00Z").is_empty());
}

/// The reviewer may change their mind before the campaign closes: the latest decision counts,
/// and a revoke changed to keep within the SLA calls for no revocation.
#[test]
fn the_reviewers_latest_decision_counts() {
    let mut l = council();
    open(&mut l, OPENED, "ALL", EVERYTHING);
    decide(
        &mut l,
        "2026-02-09T10:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Revoke,
    );
    let keep = decide(
        &mut l,
        "2026-02-09T15:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Keep,
    );
    let now = "2026-02-20T00:00:00Z";
    let s = l.state(now);
    let c = &s.campaigns[&cid("ALL")];
    let i = c.item(&gid("G-P10")).unwrap();
    assert_eq!(i.decisions.len(), 2);
    match c.item_state(i, s.grant(&i.grant), t(now)) {
        ItemState::Decided {
            decision: ReviewDecision::Keep,
            seq,
            by_default: false,
            ..
        } => assert_eq!(seq, keep),
        other => panic!("{other:?}"),
    }
    assert!(l.findings("R17", now).is_empty());
}

/// Nobody reviews their own access: an owner who holds a grant in scope cannot decide it (the
/// item stays undecided, so R18 shows it), and a line manager who has left hands the item to
/// the owner.
#[test]
fn nobody_decides_their_own_access_and_a_departed_manager_reviews_nothing() {
    let mut l = council();
    l.grant("2026-01-06T09:00:00Z", "G-P2", "P2", false, None); // the owner's own grant
    l.ended("2026-01-30T17:00:00Z", "M1"); // P10's and P11's line manager leaves
    open(&mut l, OPENED, "ALL", EVERYTHING);
    let r = reviewers(&l, "ALL", AFTER_DUE);
    assert!(r.contains(&("G-P10".into(), "P2".into(), "owner")), "{r:?}");
    assert!(r.contains(&("G-P2".into(), "P2".into(), "owner")), "{r:?}");
    let own = l.ev(
        "2026-02-10T10:00:00Z",
        Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
            campaign: cid("ALL"),
            grant: gid("G-P2"),
            person: pid("P2"),
            reviewer: pid("P2"),
            decision: ReviewDecision::Keep,
            new_role: None,
            justification: Pii::new("Mine"),
        }),
    );
    let s = l.state(AFTER_DUE);
    assert!(
        s.notes
            .iter()
            .any(|n| n.seq == own && n.message.contains("nobody reviews their own access")),
        "{:#?}",
        s.notes
    );
    assert!(
        l.findings("R18", AFTER_DUE)
            .iter()
            .any(|f| f.detail.starts_with("G-P2")),
    );
}

/// The SLA runs from the first "revoke": deciding it again does not move the deadline.
#[test]
fn deciding_revoke_again_does_not_move_the_deadline() {
    let mut l = council();
    open(&mut l, OPENED, "ALL", EVERYTHING);
    decide(
        &mut l,
        "2026-02-09T10:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Revoke,
    );
    decide(
        &mut l,
        "2026-02-16T10:00:00Z",
        "ALL",
        "G-P10",
        "P10",
        "M1",
        ReviewDecision::Revoke,
    );
    let f = l.findings("R17", "2026-02-20T00:00:00Z");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].due, Some(t("2026-02-10T23:59:59.999999Z")));
}

/// Finding access unneeded twice, with no review between that found it needed, is one
/// obligation and one R17 finding.
#[test]
fn a_repeated_unneeded_review_is_one_obligation() {
    let mut l = council();
    let unneeded = |l: &mut Council, at: &str| {
        l.ev(
            at,
            Event::AccessReviewed(AccessReviewed {
                grant: gid("G-P10"),
                person: pid("P10"),
                reviewer: pid("M1"),
                still_needed: false,
                note: None,
            }),
        )
    };
    let first = unneeded(&mut l, "2026-02-09T10:00:00Z");
    unneeded(&mut l, "2026-02-16T10:00:00Z");
    let f = l.findings("R17", "2026-03-01T00:00:00Z");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].seqs.contains(&first));
    // After a review that found it needed, finding it unneeded again is a new obligation.
    l.review("2026-03-02T10:00:00Z", "G-P10", "P10");
    unneeded(&mut l, "2026-03-09T10:00:00Z");
    assert_eq!(l.findings("R17", "2026-03-20T00:00:00Z").len(), 2);
}
