//! Questions about one person or one organisation, answered from the per-entity history
//! ([`crate::projection`]) instead of every entry.
//!
//! The answer is a [`State`] built by the same fold as the full replay ([`State::build`]) but
//! from only the entries that can matter to the question, found by walking the histories of the
//! entities involved, as of the instant asked about:
//!
//! - **a person P** (everything `igl status` shows, and every finding about P): P's own history
//!   (enrolment, employment, keys, declarations and their countersignatures, training, grants
//!   with their reviews and revocations, device attestations, requests about P), the records P
//!   opened, the full history of every grant, declaration, device (including other people's
//!   attestations of it) and request those name; the enrolment and employment of each sponsor of
//!   P's grants, of P's line managers and of each person P manages; the organisations all those
//!   people belong to; the genesis entry, every policy and every access-review campaign's opening.
//! - **an organisation O** (everything `igl org` shows, and every finding about O or its
//!   people): O's history, everything about each person ever enrolled in O (as above), and every
//!   breach and request (findings about them are the council's).
//!
//! `tests/integration/projection.rs` checks, for every person and organisation of a demo ledger
//! at several instants, that this equals the full replay; the property test in
//! `ledger/tests/projection.rs` does the same on random ledgers with back-dated entries.

use std::collections::{BTreeMap, BTreeSet};

use igl_schema::{Event, OrgId, PersonId, Timestamp};

use super::fact;
use super::state::State;
use crate::projection::Kind;
use crate::rows::index::type_tag;
use crate::{Ledger, Result, StoredEntry};

/// The state as of `as_of`, with every fact that matters to person `p`.
pub fn person_state(ledger: &Ledger, p: &PersonId, as_of: Timestamp) -> Result<State> {
    let mut s = Scope::new(ledger, as_of);
    s.context()?;
    s.person_full(p)?;
    s.state()
}

/// The state as of `as_of`, with every fact that matters to organisation `o` and its people.
pub fn org_state(ledger: &Ledger, o: &OrgId, as_of: Timestamp) -> Result<State> {
    let mut s = Scope::new(ledger, as_of);
    s.context()?;
    s.add(Kind::Org, o.as_str())?;
    for seq in s.add(Kind::Member, o.as_str())? {
        if let Event::PersonEnrolled(e) = &s.entry(seq)?.entry.event.body.event {
            let q = e.person.clone();
            s.person_full(&q)?;
        }
    }
    for kind in [Kind::Breach, Kind::Request] {
        for (_, row) in ledger.history_of_kind(kind, Some(as_of))? {
            s.seqs.insert(row.seq);
        }
    }
    s.state()
}

/// The state as of `as_of` with every access-review campaign and its decisions, every grant
/// with its history, and the enrolment and employment of every grantee and of their line
/// managers: what `igl review`
/// answers from, without reading the record accesses.
pub fn campaigns_state(ledger: &Ledger, as_of: Timestamp) -> Result<State> {
    let mut s = Scope::new(ledger, as_of);
    s.context()?;
    for (_, row) in ledger.history_of_kind(Kind::Campaign, Some(as_of))? {
        s.seqs.insert(row.seq);
    }
    let granted = type_tag("AccessGranted").expect("catalogue type");
    for (_, row) in ledger.history_of_kind(Kind::Grant, Some(as_of))? {
        s.seqs.insert(row.seq);
        if row.tag == granted
            && let Event::AccessGranted(g) = &s.entry(row.seq)?.entry.event.body.event
        {
            let p = g.person.clone();
            s.person_context_with(&p, true)?;
        }
    }
    s.state()
}

struct Scope<'a> {
    ledger: &'a Ledger,
    as_of: Timestamp,
    seqs: BTreeSet<u64>,
    /// Record accesses: read again, one at a time, after the rest is folded (never kept).
    accesses: BTreeSet<u64>,
    entries: BTreeMap<u64, StoredEntry>,
    full: BTreeSet<PersonId>,
    context: BTreeSet<PersonId>,
}

impl<'a> Scope<'a> {
    fn new(ledger: &'a Ledger, as_of: Timestamp) -> Self {
        Scope {
            ledger,
            as_of,
            seqs: BTreeSet::new(),
            accesses: BTreeSet::new(),
            entries: BTreeMap::new(),
            full: BTreeSet::new(),
            context: BTreeSet::new(),
        }
    }

    /// Adds an entity's history up to the instant; returns the seqs not seen before.
    fn add(&mut self, kind: Kind, id: &str) -> Result<Vec<u64>> {
        let rows = self.ledger.history(kind, id, Some(self.as_of))?;
        Ok(rows
            .into_iter()
            .filter(|r| self.seqs.insert(r.seq))
            .map(|r| r.seq)
            .collect())
    }

    fn entry(&mut self, seq: u64) -> Result<&StoredEntry> {
        if !self.entries.contains_key(&seq) {
            let e = self.ledger.entries_at([seq]).next().expect("one seq")?;
            self.entries.insert(seq, e);
        }
        Ok(&self.entries[&seq])
    }

    /// What every question needs: the genesis (the council, known from the beginning, so
    /// whatever its `occurred_at`), every policy version and every access-review campaign's
    /// opening (the decisions on a grant come with the grant's history).
    fn context(&mut self) -> Result<()> {
        for r in self.ledger.history(Kind::Ledger, "", None)? {
            self.seqs.insert(r.seq);
        }
        for (_, row) in self
            .ledger
            .history_of_kind(Kind::Policy, Some(self.as_of))?
        {
            self.seqs.insert(row.seq);
        }
        let opened = type_tag("ReviewCampaignOpened").expect("catalogue type");
        for (_, row) in self
            .ledger
            .history_of_kind(Kind::Campaign, Some(self.as_of))?
        {
            if row.tag == opened {
                self.seqs.insert(row.seq);
            }
        }
        Ok(())
    }

    /// A person's enrolment and employment only (a sponsor, a report), with their
    /// organisations.
    fn person_context(&mut self, q: &PersonId) -> Result<()> {
        self.person_context_with(q, false)
    }

    /// [`Self::person_context`], and with `managers` the same for each line manager the
    /// person's enrolments name (whether they were in post: an access review's reviewer).
    fn person_context_with(&mut self, q: &PersonId, managers: bool) -> Result<()> {
        if self.full.contains(q) || !self.context.insert(q.clone()) {
            return Ok(());
        }
        let mut line_managers = Vec::new();
        let tags: Vec<u32> = [
            "PersonEnrolled",
            "EmploymentEnded",
            "EmploymentSuspended",
            "EmploymentReinstated",
        ]
        .iter()
        .map(|t| type_tag(t).expect("catalogue type"))
        .collect();
        let rows = self
            .ledger
            .history(Kind::Person, q.as_str(), Some(self.as_of))?;
        for r in rows.into_iter().filter(|r| tags.contains(&r.tag)) {
            self.seqs.insert(r.seq);
            if let Event::PersonEnrolled(e) = &self.entry(r.seq)?.entry.event.body.event {
                let o = e.organisation.clone();
                line_managers.extend(e.line_manager.clone());
                self.add(Kind::Org, o.as_str())?;
            }
        }
        if managers {
            for m in line_managers {
                self.person_context(&m)?;
            }
        }
        Ok(())
    }

    /// Everything about a person.
    fn person_full(&mut self, p: &PersonId) -> Result<()> {
        if !self.full.insert(p.clone()) {
            return Ok(());
        }
        // Rows already taken as context are walked again in full.
        let seqs: Vec<u64> = self
            .ledger
            .history(Kind::Person, p.as_str(), Some(self.as_of))?
            .into_iter()
            .map(|r| r.seq)
            .collect();
        // The records P opened: each read once for its device, then let go.
        for r in self
            .ledger
            .history(Kind::Accessor, p.as_str(), Some(self.as_of))?
        {
            if !self.accesses.insert(r.seq) {
                continue;
            }
            let e = self.ledger.entries_at([r.seq]).next().expect("one seq")?;
            if let Event::RecordAccessed(a) = &e.entry.event.body.event
                && let Some(d) = &a.device
            {
                self.add(Kind::Device, d.as_str())?;
            }
        }
        for seq in self.add(Kind::Manages, p.as_str())? {
            if let Event::PersonEnrolled(e) = &self.entry(seq)?.entry.event.body.event {
                let q = e.person.clone();
                self.person_context(&q)?;
            }
        }
        for seq in seqs {
            self.seqs.insert(seq);
            let e = self.entry(seq)?;
            let hash = e.hash;
            match e.entry.event.body.event.clone() {
                Event::AccessGranted(g) => {
                    self.add(Kind::Grant, g.grant.as_str())?;
                    if let Some(sp) = &g.sponsor {
                        self.person_context(sp)?;
                    }
                }
                Event::AccessReviewed(g) => {
                    self.add(Kind::Grant, g.grant.as_str())?;
                }
                Event::AccessRevoked(g) => {
                    self.add(Kind::Grant, g.grant.as_str())?;
                }
                Event::ReviewDecisionRecorded(g) => {
                    self.add(Kind::Grant, g.grant.as_str())?;
                }
                Event::DeclarationSigned(_) => {
                    self.add(Kind::Declaration, &hash.to_hex())?;
                }
                Event::DeclarationCountersigned(c) => {
                    self.add(Kind::Declaration, &c.declaration.to_hex())?;
                }
                Event::DeviceAttested(d) => {
                    self.add(Kind::Device, d.device.as_str())?;
                }
                Event::SubjectRightsRequestReceived(r) => {
                    self.add(Kind::Request, r.request.as_str())?;
                }
                Event::PersonEnrolled(e) => {
                    self.add(Kind::Org, e.organisation.as_str())?;
                    // Whether P's line manager is in post (an access review's reviewer).
                    if let Some(m) = &e.line_manager {
                        self.person_context(m)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Folds the chosen entries, as the full replay would.
    fn state(mut self) -> Result<State> {
        let missing: Vec<u64> = self
            .seqs
            .iter()
            .copied()
            .filter(|s| !self.entries.contains_key(s))
            .collect();
        for seq in missing {
            self.entry(seq)?;
        }
        let mut state = State::build(
            Some(self.as_of),
            self.seqs.iter().map(|s| fact(&self.entries[s])),
        );
        drop(self.entries);
        for e in self.ledger.entries_at(self.accesses.iter().copied()) {
            state.observe_access(&fact(&e?));
        }
        Ok(state)
    }
}
