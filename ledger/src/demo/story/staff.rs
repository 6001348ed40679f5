//! The storyline: each member of staff's year.

use super::*;

impl Story {
    /// Each member of staff's year: enrolment, key, device, declaration, training,
    /// countersignature, grant, record accesses, annual review, and for some a suspension or
    /// leaving.
    pub(in crate::demo) fn staff(&mut self, a: &Options, per_visit: u64) {
        let Story {
            start,
            end,
            admin,
            ig,
            hr,
            lms,
            eclipse,
            ..
        } = *self;
        let b = &mut self.b;
        let grants = &mut self.grants;
        let leavers = &mut self.leavers;
        let review_grants = &mut self.review_grants;
        let managers = &self.managers;
        let sponsor = &self.sponsor;
        let policy = &self.policy;
        let v_old = &self.v_old;
        let v_new = &self.v_new;
        for s in 0..a.people {
            let team_ix = s % TEAMS.len();
            let team = &TEAMS[team_ix];
            let p = format!("P{:05}", 100 + s);
            let me = b.actor(&p, Role::Staff);
            let pers = pid(&p);
            let mut mgr = managers[team_ix];
            if s == planted::WRONG_COUNTERSIGNER {
                mgr = managers[(team_ix + 1) % TEAMS.len()];
            }
            let line_manager = b.actors[managers[team_ix]].person.clone();
            // Onboarding dates: the first dozen in autumn 2025, the rest through to summer 2026.
            let d0 = if s < 16 {
                add_days(start, 5 + 2 * s as i64)
            } else {
                add_days(start, 40 + b.rng.below(290) as i64)
            };
            let d0 = if s == planted::OLD_POLICY_VERSION {
                date(2026, 5, 11)
            } else {
                d0
            };
            let title = if team.council {
                "Social Worker"
            } else {
                "Care Coordinator"
            };
            b.enrol_person(hr, &p, title, team, Some(&line_manager), ts(d0, 9, 0));
            b.enrol_key(ts(d0, 9, 30), admin, me);

            // Devices.
            let council_device = team.council && s != planted::NO_MFA_OWN_DEVICE;
            let device = id!(
                DeviceId,
                "{}-LT-{:04}",
                if council_device { "PCC" } else { "BYOD" },
                100 + s
            );
            b.push(
                ts(d0, 10, 0),
                ig,
                Event::DeviceAttested(DeviceAttested {
                    person: pers.clone(),
                    device: device.clone(),
                    council_provided: council_device,
                    not_shared: true,
                    os_supported: true,
                    patched: true,
                    antivirus_current: true,
                }),
            );
            let mut devices = vec![device];
            if s == planted::FAILED_DEVICE {
                let d = id!(DeviceId, "BYOD-TAB-{:04}", 100 + s);
                b.push(
                    ts(add_days(d0, 30), 10, 0),
                    ig,
                    Event::DeviceAttested(DeviceAttested {
                        person: pers.clone(),
                        device: d.clone(),
                        council_provided: false,
                        not_shared: true,
                        os_supported: false,
                        patched: false,
                        antivirus_current: true,
                    }),
                );
                devices.push(d);
            }

            // When (if ever) they stop.
            let left = match s {
                planted::LEAVER_REVOKED_LATE => {
                    Some((date(2026, 8, 14), Some(date(2026, 8, 25)), true))
                }
                planted::LEAVER_NEVER_REVOKED => Some((date(2026, 9, 30), None, false)),
                planted::CLEAN_LEAVER => Some((date(2026, 5, 29), Some(date(2026, 5, 29)), true)),
                _ => None,
            };
            let stop = left.map_or(end, |(d, _, _)| d).min(end);
            // Revoked on review: no Eclipse work after the reviewer's decision.
            let stop = if s == planted::REVIEW_REVOKED {
                stop.min(date(2026, 10, 21))
            } else {
                stop
            };

            // Declaration, training, countersignature.
            let current = if d0 >= date(2026, 4, 1) && s != planted::OLD_POLICY_VERSION {
                v_new
            } else {
                v_old
            };
            let decl = b.push(
                ts(add_days(d0, 1), 10, 15),
                me,
                Event::DeclarationSigned(DeclarationSigned {
                    person: pers.clone(),
                    policy: policy.clone(),
                    version: current.clone(),
                    confirms_training: true,
                }),
            );
            let trained = add_days(d0, 1);
            b.push(
                ts(trained, 14, 0),
                lms,
                Event::TrainingCompleted(TrainingCompleted {
                    person: pers.clone(),
                    course: id!(CourseId, "protecting-information"),
                    completed_on: trained,
                    expires_on: Some(add_days(trained, 365)),
                }),
            );
            if add_days(trained, 350) < stop && s != planted::TRAINING_LAPSED {
                let renewed = add_days(trained, 350);
                b.push(
                    ts(renewed, 14, 0),
                    lms,
                    Event::TrainingCompleted(TrainingCompleted {
                        person: pers.clone(),
                        course: id!(CourseId, "protecting-information"),
                        completed_on: renewed,
                        expires_on: Some(add_days(renewed, 365)),
                    }),
                );
            }
            let countersigned = if s == planted::GRANT_BEFORE_COUNTERSIGN {
                add_days(d0, 6)
            } else {
                add_days(d0, 2)
            };
            let mgr_pid = b.actors[mgr].person.clone();
            b.push_with(
                ts(countersigned, 11, 0),
                mgr,
                Planned::Countersign {
                    declaration: decl,
                    person: pers.clone(),
                    manager: mgr_pid.clone(),
                },
                vec![],
            );

            // The grant.
            *grants += 1;
            let grant = id!(GrantId, "G-{:05}", grants);
            let granted = add_days(d0, 3);
            let partner_sponsor = if team.council || team_ix == 5 {
                None
            } else {
                Some(sponsor.clone())
            };
            b.push(
                ts(granted, 9, 0),
                ig,
                Event::AccessGranted(AccessGranted {
                    grant: grant.clone(),
                    person: pers.clone(),
                    system: id!(SystemId, "Eclipse"),
                    role: if team.council {
                        "Practitioner".into()
                    } else {
                        "Partner read-only".into()
                    },
                    business_need: Pii::new(format!("Case work for {} service users", team.unit)),
                    mfa_required: !council_device && s != planted::NO_MFA_OWN_DEVICE,
                    approver: line_manager.clone(),
                    sponsor: partner_sponsor,
                }),
            );

            if ![
                planted::CLEAN_LEAVER,
                planted::LEAVER_REVOKED_LATE,
                planted::SUSPENDED,
            ]
            .contains(&s)
            {
                review_grants.push((s, grant.clone(), team_ix, pers.clone()));
            }

            // Record accesses, from the Eclipse audit feed.
            let first_access = if s == planted::ACCESS_BEFORE_GRANT {
                add_days(granted, -1)
            } else {
                granted
            };
            let mut day = first_access;
            while day < stop {
                let suspended =
                    s == planted::SUSPENDED && day >= date(2026, 3, 10) && day < date(2026, 4, 21);
                // The audit export never holds two identical rows (the importer would take them
                // for one access): a repeat within a visit is a second later.
                let mut seen = std::collections::HashSet::new();
                for _ in 0..if suspended { 0 } else { per_visit } {
                    let record = id!(RecordId, "SU-{:06}", 100 + b.rng.below(300));
                    let device = if s == planted::FAILED_DEVICE && day > add_days(d0, 30) {
                        devices[1].clone()
                    } else {
                        devices[0].clone()
                    };
                    let purpose = b.rng.pick(PURPOSES).to_string();
                    let mut at = ts(day, 9 + b.rng.below(8) as u32, b.rng.below(60) as u32);
                    while !seen.insert((at, record.clone(), purpose.clone())) {
                        at = Timestamp::from_micros(at.micros() + 1_000_000).expect("in range");
                    }
                    b.push(
                        at,
                        eclipse,
                        Event::RecordAccessed(RecordAccessed {
                            person: pers.clone(),
                            system: id!(SystemId, "Eclipse"),
                            record,
                            purpose: Pii::new(purpose),
                            device: Some(device),
                        }),
                    );
                }
                day = add_days(day, 4 + b.rng.below(9) as i64);
            }

            // Annual review (ISO 27001 A.5.18), except the one we forget.
            let review = add_days(granted, 300);
            if review < stop && s != planted::NOT_REVIEWED {
                b.push(
                    ts(review, 15, 0),
                    managers[team_ix],
                    Event::AccessReviewed(AccessReviewed {
                        grant: grant.clone(),
                        person: pers.clone(),
                        reviewer: line_manager.clone(),
                        still_needed: true,
                        note: None,
                    }),
                );
            }

            if s == planted::SUSPENDED {
                let susp = date(2026, 3, 10);
                b.push(
                    ts(susp, 10, 0),
                    hr,
                    Event::EmploymentSuspended(EmploymentSuspended {
                        person: pers.clone(),
                        note: Some(Pii::new("Suspended pending a conduct investigation")),
                    }),
                );
                b.push(
                    ts(susp, 11, 30),
                    ig,
                    Event::AccessRevoked(AccessRevoked {
                        grant: grant.clone(),
                        person: pers.clone(),
                        reason: RevocationReason::Suspension,
                        note: None,
                    }),
                );
                b.push(
                    ts(date(2026, 4, 20), 9, 0),
                    hr,
                    Event::EmploymentReinstated(EmploymentReinstated {
                        person: pers.clone(),
                    }),
                );
                *grants += 1;
                review_grants.push((s, id!(GrantId, "G-{:05}", grants), team_ix, pers.clone()));
                b.push(
                    ts(date(2026, 4, 21), 9, 0),
                    ig,
                    Event::AccessGranted(AccessGranted {
                        grant: id!(GrantId, "G-{:05}", grants),
                        person: pers.clone(),
                        system: id!(SystemId, "Eclipse"),
                        role: "Practitioner".into(),
                        business_need: Pii::new("Return to case work after reinstatement"),
                        mfa_required: false,
                        approver: line_manager.clone(),
                        sponsor: None,
                    }),
                );
            }
            if let Some((ended, revoked, key_revoked)) = left {
                leavers.push(pers.clone());
                b.push(
                    ts(ended, 17, 0),
                    hr,
                    Event::EmploymentEnded(EmploymentEnded {
                        person: pers.clone(),
                        note: Some(Pii::new("Resigned")),
                    }),
                );
                if let Some(r) = revoked {
                    b.push(
                        ts(r, 17, 30),
                        ig,
                        Event::AccessRevoked(AccessRevoked {
                            grant: grant.clone(),
                            person: pers.clone(),
                            reason: RevocationReason::Leaver,
                            note: None,
                        }),
                    );
                }
                if key_revoked {
                    let key = public_key(&b.actors[me].key);
                    b.push(
                        ts(add_days(ended, 1), 9, 0),
                        admin,
                        Event::KeyRevoked(KeyRevoked {
                            key,
                            person: pers.clone(),
                            reason: Pii::new("Leaver"),
                        }),
                    );
                }
            }
        }
    }
}
