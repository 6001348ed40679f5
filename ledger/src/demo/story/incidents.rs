//! The storyline: breaches and subject-rights requests.

use super::*;

impl Story {
    /// Breaches: one handled well, one decided late, one still undecided.
    pub(in crate::demo) fn breaches(&mut self) {
        let Story { ig, .. } = *self;
        let b = &mut self.b;
        let reporter = b.by_person[&pid("P00104")];
        let breaches = [
            (
                "BR-2026-001",
                BreachKind::Loss,
                ts(date(2026, 2, 3), 8, 40),
                "Council laptop left on a train (encrypted)",
                Some((ts(date(2026, 2, 4), 15, 0), false)),
            ),
            (
                "BR-2026-002",
                BreachKind::UnauthorisedDisclosure,
                ts(date(2026, 6, 15), 10, 0),
                "Assessment emailed to the wrong family member",
                Some((ts(date(2026, 6, 19), 16, 0), true)),
            ),
            (
                "BR-2026-003",
                BreachKind::Theft,
                ts(date(2026, 11, 17), 11, 0),
                "Paper case files stolen from a car",
                None,
            ),
        ];
        for (id_s, kind, aware, what, decision) in breaches {
            let breach = id!(BreachId, "{id_s}");
            let su = id!(RecordId, "SU-{:06}", 100 + b.rng.below(300));
            b.push_with(
                Timestamp::from_micros(aware.micros() + 45 * 60 * 1_000_000).expect("in range"),
                reporter,
                Planned::Event(Event::BreachReported(BreachReported {
                    breach: breach.clone(),
                    reported_by: pid("P00104"),
                    aware_at: aware,
                    kind,
                    description: Pii::new(what),
                })),
                vec![Subject::ServiceUser(su)],
            );
            if let Some((at, notified)) = decision {
                b.push(
                    at,
                    ig,
                    Event::BreachIcoDecision(BreachIcoDecision {
                        breach: breach.clone(),
                        notified,
                        ico_reference: notified.then(|| "ICO-00981342".to_string()),
                        reason: (!notified)
                            .then(|| Pii::new("Device encrypted; no likely risk to individuals")),
                    }),
                );
                b.push(
                    Timestamp::from_micros(at.micros() + 86_400_000_000 * 20).expect("in range"),
                    ig,
                    Event::BreachClosed(BreachClosed {
                        breach,
                        note: Some(Pii::new("Lessons learned shared with the team")),
                    }),
                );
            }
        }
    }

    /// Subject-rights requests, through identity checks, clarification, extension and answer.
    pub(in crate::demo) fn requests(&mut self) {
        let Story { ig, .. } = *self;
        let b = &mut self.b;
        let leavers = &mut self.leavers;
        let former = leavers.first().cloned().unwrap_or_else(|| pid("P00105"));
        let srrs: [PlannedRequest; 5] = [
            (
                "SRR-2026-001",
                Right::Access,
                Subject::ServiceUser(id!(RecordId, "SU-000142")),
                date(2026, 1, 12),
                None,
                Some(date(2026, 2, 2)),
                "fulfilled",
            ),
            (
                "SRR-2026-002",
                Right::Access,
                Subject::Person(former),
                date(2026, 6, 1),
                Some(date(2026, 6, 20)),
                Some(date(2026, 8, 14)),
                "fulfilled",
            ),
            (
                "SRR-2026-003",
                Right::Rectification,
                Subject::ServiceUser(id!(RecordId, "SU-000201")),
                date(2026, 3, 2),
                None,
                Some(date(2026, 3, 20)),
                "refused",
            ),
            (
                "SRR-2026-004",
                Right::Access,
                Subject::ServiceUser(id!(RecordId, "SU-000377")),
                date(2026, 8, 20),
                None,
                None,
                "open",
            ),
            (
                "SRR-2026-005",
                Right::Erasure,
                Subject::ServiceUser(id!(RecordId, "SU-000318")),
                date(2026, 7, 1),
                None,
                None,
                "open",
            ),
        ];
        for (rid, right, subject, received, extended, closed, outcome) in srrs {
            let request = id!(RequestId, "{rid}");
            b.push(
                ts(received, 10, 0),
                ig,
                Event::SubjectRightsRequestReceived(SubjectRightsRequestReceived {
                    request: request.clone(),
                    right,
                    data_subject: subject.clone(),
                    details: Some(Pii::new(format!("{right} request received by letter"))),
                }),
            );
            b.push(
                ts(add_days(received, 3), 10, 0),
                ig,
                Event::SubjectRightsIdentityVerified(SubjectRightsIdentityVerified {
                    request: request.clone(),
                    data_subject: subject.clone(),
                }),
            );
            if rid == "SRR-2026-004" {
                // A broad request about years of records: the council asks which period and which
                // services it is about, and the clock stops until the answer arrives (UK GDPR
                // Art. 12A(5)).
                b.push(
                    ts(add_days(received, 5), 11, 0),
                    ig,
                    Event::SubjectRightsClarificationRequested(
                        SubjectRightsClarificationRequested {
                            request: request.clone(),
                            data_subject: subject.clone(),
                            asked: Pii::new(
                                "Asked which years and which services the request is about",
                            ),
                        },
                    ),
                );
                b.push(
                    ts(add_days(received, 12), 9, 30),
                    ig,
                    Event::SubjectRightsClarificationReceived(SubjectRightsClarificationReceived {
                        request: request.clone(),
                        data_subject: subject.clone(),
                    }),
                );
            }
            if let Some(x) = extended {
                b.push(
                    ts(x, 10, 0),
                    ig,
                    Event::SubjectRightsRequestExtended(SubjectRightsRequestExtended {
                        request: request.clone(),
                        data_subject: subject.clone(),
                        reason: Pii::new(
                            "Complex request spanning several systems; requester told",
                        ),
                    }),
                );
            }
            if let Some(c) = closed {
                let e = if outcome == "refused" {
                    Event::SubjectRightsRequestRefused(SubjectRightsRequestRefused {
                        request,
                        data_subject: subject,
                        reason: Pii::new(
                            "Records are accurate: the disputed note is a professional opinion, recorded as such",
                        ),
                    })
                } else {
                    Event::SubjectRightsRequestFulfilled(SubjectRightsRequestFulfilled {
                        request,
                        data_subject: subject,
                        note: Some(Pii::new(
                            "Response and copy of records sent by secure email",
                        )),
                    })
                };
                b.push(ts(c, 16, 0), ig, e);
            }
        }
    }
}
