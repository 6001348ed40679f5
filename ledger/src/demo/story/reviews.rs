//! The storyline: the access-review campaigns.

use super::*;

impl Story {
    /// The access-review campaigns: the autumn review of Eclipse and the sponsor's review of
    /// Livewell's staff.
    pub(in crate::demo) fn access_reviews(&mut self) {
        let Story { ig, .. } = *self;
        let b = &mut self.b;
        let grants = &mut self.grants;
        let review_grants = &self.review_grants;
        let managers = &self.managers;
        let sponsor = &self.sponsor;
        // The autumn access review of Eclipse (ISO/IEC 27001 A.5.18): every Eclipse grant in force
        // on 12 October, each for the grantee's line manager to decide by 6 November. Most are
        // kept; one is revoked and carried out the next morning; one is changed to read-only (a new
        // grant, then the old one revoked); a leaver's grant is decided "revoke" and nobody carries
        // it out (R17); one is decided late (R18, resolved); and the grant nobody reviewed all year
        // (R12) is not decided at all (R18).
        let review = id!(CampaignId, "AR-2026-Q4-ECLIPSE");
        let opened = ts(date(2026, 10, 12), 9, 0);
        b.push(
            opened,
            ig,
            Event::ReviewCampaignOpened(ReviewCampaignOpened {
                campaign: review.clone(),
                title: "Eclipse access review, autumn 2026".into(),
                system: Some(id!(SystemId, "Eclipse")),
                organisation: None,
                reports_of: None,
                reviewer: None,
                owner: pid("P00002"),
                due: date(2026, 11, 6),
                default_decision: None,
            }),
        );
        for (s, grant, team_ix, person) in review_grants.iter() {
            let (s, team_ix) = (*s, *team_ix);
            if s == planted::NOT_REVIEWED {
                continue;
            }
            let manager = managers[team_ix];
            let reviewer = b.actors[manager].person.clone();
            let day = match s {
                planted::REVIEW_LATE => date(2026, 11, 10),
                planted::REVIEW_REVOKED => date(2026, 10, 20),
                // A working day between 13 October and 4 November.
                _ => {
                    let d = add_days(date(2026, 10, 13), (s % 17) as i64);
                    match chrono::Datelike::weekday(&d.0) {
                        chrono::Weekday::Sat => add_days(d, 2),
                        chrono::Weekday::Sun => add_days(d, 1),
                        _ => d,
                    }
                }
            };
            let (decision, new_role, why) = match s {
                planted::LEAVER_NEVER_REVOKED => (
                    ReviewDecision::Revoke,
                    None,
                    "Left the council on 30 September".to_string(),
                ),
                planted::REVIEW_REVOKED => (
                    ReviewDecision::Revoke,
                    None,
                    "Moved to the contracts team: no longer works on Eclipse cases".to_string(),
                ),
                planted::REVIEW_CHANGED => (
                    ReviewDecision::Change,
                    Some("Read-only".to_string()),
                    "Now quality-assures case files: needs to read them, not edit them".to_string(),
                ),
                _ => (
                    ReviewDecision::Keep,
                    None,
                    format!("Active caseload in {}", TEAMS[team_ix].unit),
                ),
            };
            let at = ts(day, 14, 30);
            b.push(
                at,
                manager,
                Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
                    campaign: review.clone(),
                    grant: grant.clone(),
                    person: person.clone(),
                    reviewer: reviewer.clone(),
                    decision,
                    new_role: new_role.clone(),
                    justification: Pii::new(why),
                }),
            );
            // IG carries the decisions out before work starts the next morning (08:00), except
            // the leaver's.
            let next = ts(add_days(day, 1), 8, 0);
            if s == planted::REVIEW_CHANGED {
                *grants += 1;
                b.push(
                    next,
                    ig,
                    Event::AccessGranted(AccessGranted {
                        grant: id!(GrantId, "G-{:05}", grants),
                        person: person.clone(),
                        system: id!(SystemId, "Eclipse"),
                        role: "Read-only".into(),
                        business_need: Pii::new("Quality assurance of case files (access review)"),
                        mfa_required: false,
                        approver: reviewer.clone(),
                        sponsor: None,
                    }),
                );
            }
            if s == planted::REVIEW_CHANGED || s == planted::REVIEW_REVOKED {
                b.push(
                    next,
                    ig,
                    Event::AccessRevoked(AccessRevoked {
                        grant: grant.clone(),
                        person: person.clone(),
                        reason: RevocationReason::Review,
                        note: Some(Pii::new(format!("Access review {review}"))),
                    }),
                );
            }
        }

        // Livewell's staff reviewed by the council employee who sponsors their access (Mosaic
        // policy §3), with a default: whatever is undecided on 13 November is kept.
        let partners = id!(CampaignId, "AR-2026-LIVEWELL");
        b.push(
            ts(date(2026, 10, 26), 9, 0),
            ig,
            Event::ReviewCampaignOpened(ReviewCampaignOpened {
                campaign: partners.clone(),
                title: "Livewell Southwest staff on Eclipse, sponsor's review".into(),
                system: None,
                organisation: Some(id!(OrgId, "livewell-sw")),
                reports_of: None,
                reviewer: Some(sponsor.clone()),
                owner: pid("P00002"),
                due: date(2026, 11, 13),
                default_decision: Some(ReviewDecision::Keep),
            }),
        );
        if let Some((_, grant, _, person)) = review_grants
            .iter()
            .find(|(_, _, t, _)| TEAMS[*t].org == "livewell-sw")
        {
            b.push(
                ts(date(2026, 11, 2), 11, 0),
                managers[2],
                Event::ReviewDecisionRecorded(ReviewDecisionRecorded {
                    campaign: partners,
                    grant: grant.clone(),
                    person: person.clone(),
                    reviewer: sponsor.clone(),
                    decision: ReviewDecision::Keep,
                    new_role: None,
                    justification: Pii::new("Community nursing caseload shared with the council"),
                }),
            );
        }
    }
}
