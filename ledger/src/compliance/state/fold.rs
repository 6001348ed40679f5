//! The fold: [`State::apply`] over entries in `occurred_at` order, ties by seq, and [`State::build`].

use super::*;

impl State {
    /// An empty state describing the instant `as_of` (`None`: everything).
    pub fn new(as_of: Option<Timestamp>) -> Self {
        State {
            as_of,
            ..State::default()
        }
    }

    /// Folds `facts` in `occurred_at` order (ties by seq), keeping those with
    /// `occurred_at <= as_of`; then judges the record accesses among them against the result
    /// ([`Self::observe_access`]).
    ///
    /// The council named by the genesis entry is the council from the beginning: history dated
    /// before the genesis (a ledger started with years of back-filled records) is judged with
    /// the council already known, so its staff are never taken for a third party.
    pub fn build<'a>(as_of: Option<Timestamp>, facts: impl IntoIterator<Item = Fact<'a>>) -> Self {
        let mut council = None;
        let mut accesses = Vec::new();
        let mut facts: Vec<Fact<'a>> = facts
            .into_iter()
            .inspect(|f| {
                if let Event::LedgerCreated(e) = f.event {
                    council.get_or_insert_with(|| e.organisation.clone());
                }
            })
            .filter(|f| as_of.is_none_or(|t| f.occurred_at <= t))
            .filter(|f| {
                let access = matches!(f.event, Event::RecordAccessed(_));
                if access {
                    accesses.push(*f);
                }
                !access
            })
            .collect();
        facts.sort_by_key(|f| (f.occurred_at, f.seq));
        let mut s = State::new(as_of);
        s.council = council;
        for f in &facts {
            s.apply(f);
        }
        for f in &accesses {
            s.observe_access(f);
        }
        s
    }

    /// Judges one record access against the state, which must hold every other fact up to
    /// `as_of` already (a state from [`Self::build`]); any order of accesses gives the same
    /// result. Other facts, and accesses after `as_of`, are ignored.
    pub fn observe_access(&mut self, f: &Fact) {
        let Event::RecordAccessed(a) = f.event else {
            return;
        };
        if self.as_of.is_some_and(|t| f.occurred_at > t) {
            return;
        }
        self.count(f);
        let mut acc = std::mem::take(&mut self.accesses);
        acc.observe(self, f.stamp(), a);
        self.accesses = acc;
    }

    fn count(&mut self, f: &Fact) {
        self.entries += 1;
        self.last_seq = Some(self.last_seq.map_or(f.seq, |s| s.max(f.seq)));
        self.latest = Some(self.latest.map_or(f.occurred_at, |l| l.max(f.occurred_at)));
    }

    /// The instant rules judge "now" at: `as_of`, or the latest fact folded.
    pub fn now(&self) -> Timestamp {
        self.as_of.unwrap_or_else(|| {
            self.latest
                .unwrap_or_else(|| Timestamp::from_micros(0).expect("epoch"))
        })
    }

    /// Whether the organisation is the council keeping the ledger (named by the genesis entry).
    /// Another organisation registered as a council is a partner like any other: its staff are
    /// a third party to this council's systems.
    pub fn is_council(&self, org: &OrgId) -> bool {
        self.council.as_ref() == Some(org)
    }

    /// A person's record.
    pub fn person(&self, id: &PersonId) -> Option<&Person> {
        self.people.get(id)
    }

    /// A grant by id.
    pub fn grant(&self, id: &igl_schema::GrantId) -> Option<&Grant> {
        self.grant_index.get(id).map(|&i| &self.grants[i])
    }

    pub(crate) fn grant_by_id_mut(&mut self, id: &igl_schema::GrantId) -> Option<&mut Grant> {
        self.grant_index.get(id).map(|&i| &mut self.grants[i])
    }

    /// The grants made to a person, in order.
    pub fn grants_of<'a>(&'a self, p: &'a PersonId) -> impl Iterator<Item = &'a Grant> + 'a {
        self.grants_by_person
            .get(p)
            .into_iter()
            .flatten()
            .map(|&i| &self.grants[i])
    }

    /// The keys enrolled for a person.
    pub fn keys_of<'a>(&'a self, p: &'a PersonId) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys.values().filter(move |k| &k.person == p)
    }

    /// The latest published version of a policy at or before `t`.
    pub fn current_version(&self, policy: &PolicyId, t: Timestamp) -> Option<&PolicyVersion> {
        self.policies
            .get(policy)?
            .iter()
            .filter(|v| v.published.at <= t)
            .max_by_key(|v| v.published)
    }

    fn person_mut(&mut self, id: &PersonId) -> &mut Person {
        self.people
            .entry(id.clone())
            .or_insert_with(|| Person::new(id.clone()))
    }

    fn org_mut(&mut self, id: &OrgId) -> &mut Org {
        self.orgs
            .entry(id.clone())
            .or_insert_with(|| Org::new(id.clone()))
    }

    fn note(&mut self, seq: u64, message: String) {
        self.notes.push(Note { seq, message });
    }

    fn grant_mut(&mut self, f: &Fact, grant: &igl_schema::GrantId) -> Option<&mut Grant> {
        match self.grant_index.get(grant) {
            Some(&i) => Some(&mut self.grants[i]),
            None => {
                self.note(
                    f.seq,
                    format!(
                        "{} names grant {grant}, which had not been granted",
                        f.event.type_name()
                    ),
                );
                None
            }
        }
    }

    fn breach_mut(&mut self, f: &Fact, breach: &igl_schema::BreachId) -> Option<&mut Breach> {
        if !self.breaches.contains_key(breach) {
            self.note(
                f.seq,
                format!(
                    "{} names breach {breach}, which had not been reported",
                    f.event.type_name()
                ),
            );
        }
        self.breaches.get_mut(breach)
    }

    /// Folds one fact in. Facts must come in `occurred_at` order (ties by seq); record accesses
    /// are judged afterwards ([`Self::observe_access`]).
    fn apply(&mut self, f: &Fact) {
        let st = f.stamp();
        self.count(f);
        match f.event {
            Event::LedgerCreated(e) => {
                self.council = Some(e.organisation.clone());
                let o = self.org_mut(&e.organisation);
                o.name = Some(e.organisation_name.clone());
                o.kind = Some(OrgKind::Council);
                o.registered = Some(st);
                self.keys.insert(
                    e.admin_key,
                    Key {
                        key: e.admin_key,
                        person: e.admin_person.clone(),
                        role: Role::Admin,
                        enrolled: st,
                        revoked: None,
                    },
                );
            }
            Event::OrganisationRegistered(e) => {
                let o = self.org_mut(&e.organisation);
                o.name = Some(e.name.clone());
                o.kind = Some(e.kind);
                o.registered = Some(st);
            }
            Event::KeyEnrolled(e) => {
                self.keys.insert(
                    e.key,
                    Key {
                        key: e.key,
                        person: e.person.clone(),
                        role: e.role,
                        enrolled: st,
                        revoked: None,
                    },
                );
            }
            Event::KeyRevoked(e) => match self.keys.get_mut(&e.key) {
                Some(k) => {
                    k.revoked.get_or_insert(st);
                }
                None => self.note(
                    f.seq,
                    format!("KeyRevoked names key {}, not enrolled", e.key.short()),
                ),
            },
            Event::PersonEnrolled(e) => {
                let p = self.person_mut(&e.person);
                p.enrolled = Some(st);
                p.name = pii(&e.name);
                p.job_title = pii(&e.job_title);
                p.business_unit = Some(e.business_unit.clone());
                p.organisation = Some(e.organisation.clone());
                p.line_manager = e.line_manager.clone();
                p.employment.push((EmploymentChange::Enrolled, st));
                self.org_mut(&e.organisation);
            }
            Event::PolicyPublished(e) => {
                self.policies
                    .entry(e.policy.clone())
                    .or_default()
                    .push(PolicyVersion {
                        version: e.version.clone(),
                        title: e.title.clone(),
                        published: st,
                    });
            }
            Event::DeclarationSigned(e) => {
                let current = self
                    .current_version(&e.policy, f.occurred_at)
                    .map(|v| v.version.clone());
                let countersigns = self.early_countersigns.remove(&f.hash).unwrap_or_default();
                self.declaration_index
                    .insert(f.hash, self.declarations.len());
                self.declarations.push(Declaration {
                    signed: st,
                    hash: f.hash,
                    person: e.person.clone(),
                    policy: e.policy.clone(),
                    version: e.version.clone(),
                    confirms_training: e.confirms_training,
                    current_version_then: current,
                    countersigns,
                });
            }
            Event::DeclarationCountersigned(e) => {
                let c = Countersign {
                    stamp: st,
                    manager: e.manager.clone(),
                    training_checked: e.training_checked,
                    line_manager_then: self
                        .people
                        .get(&e.person)
                        .and_then(|p| p.line_manager.clone()),
                };
                match self.declaration_index.get(&e.declaration) {
                    Some(&i) => self.declarations[i].countersigns.push(c),
                    None => self
                        .early_countersigns
                        .entry(e.declaration)
                        .or_default()
                        .push(c),
                }
            }
            Event::TrainingCompleted(e) => self.training.push(Training {
                stamp: st,
                person: e.person.clone(),
                course: e.course.to_string(),
                completed_on: e.completed_on,
                expires_on: e.expires_on,
            }),
            Event::AgreementSigned(e) => self.org_mut(&e.organisation).agreements.push(Agreement {
                stamp: st,
                kind: e.kind,
                reference: e.reference.clone(),
                valid_from: e.valid_from,
                valid_until: e.valid_until,
            }),
            Event::AccreditationRecorded(e) => {
                self.org_mut(&e.organisation)
                    .accreditations
                    .push(Accreditation {
                        stamp: st,
                        scheme: e.scheme,
                        reference: e.reference.clone(),
                        awarded_on: e.awarded_on,
                        valid_until: e.valid_until,
                    })
            }
            Event::DeviceAttested(e) => self
                .devices
                .entry(e.device.clone())
                .or_insert_with(|| Device {
                    id: e.device.clone(),
                    attestations: Vec::new(),
                })
                .attestations
                .push(Attestation {
                    stamp: st,
                    person: e.person.clone(),
                    council_provided: e.council_provided,
                    not_shared: e.not_shared,
                    os_supported: e.os_supported,
                    patched: e.patched,
                    antivirus_current: e.antivirus_current,
                }),
            Event::AccessGranted(e) => {
                let organisation = self
                    .people
                    .get(&e.person)
                    .and_then(|p| p.organisation.clone());
                let third_party = organisation.as_ref().is_none_or(|o| !self.is_council(o));
                let sponsor = e.sponsor.as_ref().map(|sp| {
                    let p = self.people.get(sp);
                    let organisation = p.and_then(|p| p.organisation.clone());
                    let employment =
                        p.map_or(Employment::Unknown, |p| p.employment_at(f.occurred_at));
                    SponsorThen {
                        person: sp.clone(),
                        council_employee: organisation.as_ref().is_some_and(|o| self.is_council(o))
                            && matches!(employment, Employment::Active { .. }),
                        organisation,
                        employment,
                    }
                });
                self.grant_index.insert(e.grant.clone(), self.grants.len());
                self.grants_by_person
                    .entry(e.person.clone())
                    .or_default()
                    .push(self.grants.len());
                self.grants.push(Grant {
                    id: e.grant.clone(),
                    person: e.person.clone(),
                    system: e.system.clone(),
                    role: e.role.clone(),
                    business_need: pii(&e.business_need),
                    granted: st,
                    mfa_required: e.mfa_required,
                    approver: e.approver.clone(),
                    sponsor,
                    organisation,
                    third_party,
                    reviews: Vec::new(),
                    revoked: None,
                });
            }
            Event::AccessReviewed(e) => {
                if let Some(g) = self.grant_mut(f, &e.grant) {
                    g.reviews.push(Review {
                        stamp: st,
                        reviewer: e.reviewer.clone(),
                        still_needed: e.still_needed,
                        campaign: None,
                    });
                }
            }
            Event::AccessRevoked(e) => {
                if let Some(g) = self.grant_mut(f, &e.grant)
                    && g.revoked.is_none()
                {
                    g.revoked = Some(Revocation {
                        stamp: st,
                        reason: e.reason,
                    });
                }
            }
            Event::EmploymentEnded(e) => self
                .person_mut(&e.person)
                .employment
                .push((EmploymentChange::Ended, st)),
            Event::EmploymentSuspended(e) => self
                .person_mut(&e.person)
                .employment
                .push((EmploymentChange::Suspended, st)),
            Event::EmploymentReinstated(e) => self
                .person_mut(&e.person)
                .employment
                .push((EmploymentChange::Reinstated, st)),
            // Judged after the fold, against its result (`observe_access`).
            Event::RecordAccessed(_) => {}
            Event::BreachReported(e) => {
                self.breaches.entry(e.breach.clone()).or_insert(Breach {
                    id: e.breach.clone(),
                    reported: st,
                    reported_by: e.reported_by.clone(),
                    aware_at: e.aware_at,
                    kind: e.kind,
                    description: pii(&e.description),
                    updates: Vec::new(),
                    decisions: Vec::new(),
                    closed: None,
                });
            }
            Event::BreachUpdated(e) => {
                if let Some(b) = self.breach_mut(f, &e.breach) {
                    b.updates.push(st);
                }
            }
            Event::BreachIcoDecision(e) => {
                if let Some(b) = self.breach_mut(f, &e.breach) {
                    b.decisions.push(IcoDecision {
                        stamp: st,
                        notified: e.notified,
                        ico_reference: e.ico_reference.clone(),
                        reason_recorded: e.reason.is_some(),
                        reason: opt_pii(&e.reason),
                    });
                }
            }
            Event::BreachClosed(e) => {
                if let Some(b) = self.breach_mut(f, &e.breach) {
                    b.closed.get_or_insert(st);
                }
            }
            Event::SubjectRightsRequestReceived(_)
            | Event::SubjectRightsIdentityVerified(_)
            | Event::SubjectRightsClarificationRequested(_)
            | Event::SubjectRightsClarificationReceived(_)
            | Event::SubjectRightsRequestExtended(_)
            | Event::SubjectRightsRequestFulfilled(_)
            | Event::SubjectRightsRequestRefused(_)
            | Event::Redacted(_) => {
                // The one fold of a request's history (`crate::subject::requests`), shared with
                // `Ledger::requests`.
                if let Some(n) = crate::subject::requests::apply(
                    &mut self.requests,
                    f.seq,
                    f.occurred_at,
                    f.event,
                ) {
                    self.note(f.seq, n);
                }
            }
            Event::CheckpointRecorded(_) => {}
            Event::ReviewCampaignOpened(e) => {
                if let Some(n) = crate::compliance::campaign::open(self, st, e) {
                    self.note(f.seq, n);
                }
            }
            Event::ReviewDecisionRecorded(e) => {
                if let Some(n) = crate::compliance::campaign::decide(self, st, e) {
                    self.note(f.seq, n);
                }
            }
        }
    }
}
