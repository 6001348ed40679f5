//! The record accesses, judged one at a time and never kept.
//!
//! Record accesses are most of a council's ledger (a case system's audit feed), and the rules
//! need from each only a yes or no against the rest of the record: was a grant to that system
//! in force (R6), was the device attested as council-provided (R7), did its attestation pass
//! (R10)? So [`super::State::build`] folds every other fact first, in `occurred_at` order, and
//! then [`Accesses::observe`]s each access against that final state, in any order: what it
//! keeps is one tally per member of staff (with the distinct records they opened), and the
//! accesses that break a rule (the evidence). Memory grows with the people, their records and
//! the violations, not with the number of accesses.
//!
//! Judging against the final state is what the rules always did: "a grant in force at the
//! access's instant" asks the grant's whole history, revocations included. And every order
//! below is by (`occurred_at`, seq), so the result does not depend on the order the accesses
//! come in.

use std::collections::{BTreeMap, BTreeSet};

use igl_schema::{DeviceId, PersonId, RecordAccessed, RecordId, SystemId};
use serde::Serialize;

use super::state::State;
use crate::time::Stamp;

/// One member of staff's record accesses, in brief (`igl status`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: u64,
    pub first: Option<Stamp>,
    pub last: Option<Stamp>,
    /// The device of the last access.
    pub last_device: Option<DeviceId>,
    /// The distinct records opened.
    pub records: BTreeSet<RecordId>,
}

/// R6's evidence for one person and system: the accesses with no grant in force.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ungranted {
    /// The first such access, and the record it opened.
    pub first: Option<(Stamp, RecordId)>,
    pub last: Option<Stamp>,
    pub seqs: Vec<u64>,
}

/// R10's evidence for one person and device: the accesses from it without a passing attestation
/// made for that person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BadDevice {
    /// What was wrong at the first such access.
    pub first: Option<(Stamp, String)>,
    pub last: Option<Stamp>,
    pub count: u64,
    /// The accesses and the attestations that failed them.
    pub seqs: Vec<u64>,
}

/// What the rules and `igl status` need from the record accesses.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Accesses {
    /// Every access by each member of staff, in brief.
    pub by_person: BTreeMap<PersonId, Tally>,
    /// R6: per person and system.
    // Tuple keys have no JSON form; the findings carry this evidence.
    #[serde(skip)]
    pub ungranted: BTreeMap<(PersonId, SystemId), Ungranted>,
    /// R7: per person and system, the first access from a device not attested as
    /// council-provided at that instant.
    // Tuple keys have no JSON form; the findings carry this evidence.
    #[serde(skip)]
    pub non_council: BTreeMap<(PersonId, SystemId), (Stamp, Option<DeviceId>)>,
    /// R10: per person and device (`None`: no device recorded).
    // Tuple keys have no JSON form; the findings carry this evidence.
    #[serde(skip)]
    pub bad_device: BTreeMap<(PersonId, Option<DeviceId>), BadDevice>,
}

fn earlier<T>(slot: &mut Option<(Stamp, T)>, at: Stamp, v: impl FnOnce() -> T) {
    if slot.as_ref().is_none_or(|(s, _)| at < *s) {
        *slot = Some((at, v()));
    }
}

fn later(slot: &mut Option<Stamp>, at: Stamp) {
    if slot.is_none_or(|s| at > s) {
        *slot = Some(at);
    }
}

impl Accesses {
    /// Judges one access at `at` against `s`, the state with every other fact folded in.
    pub fn observe(&mut self, s: &State, at: Stamp, a: &RecordAccessed) {
        let t = self.by_person.entry(a.person.clone()).or_default();
        t.count += 1;
        if t.first.is_none_or(|f| at < f) {
            t.first = Some(at);
        }
        if t.last.is_none_or(|l| at > l) {
            t.last = Some(at);
            t.last_device = a.device.clone();
        }
        t.records.insert(a.record.clone());

        // R6: a grant to that system in force at that instant.
        let covered = s
            .grants_of(&a.person)
            .any(|g| g.system == a.system && g.active_at(at.at));
        if !covered {
            let u = self
                .ungranted
                .entry((a.person.clone(), a.system.clone()))
                .or_default();
            earlier(&mut u.first, at, || a.record.clone());
            later(&mut u.last, at);
            u.seqs.push(at.seq);
        }

        let attestation = a
            .device
            .as_ref()
            .and_then(|d| s.devices.get(d))
            .and_then(|dev| dev.attestation_at(at.at));

        // R7: a device not attested as council-provided at that instant.
        if a.device.is_some() && attestation.is_none_or(|att| !att.council_provided) {
            let key = (a.person.clone(), a.system.clone());
            if self.non_council.get(&key).is_none_or(|(s, _)| at < *s) {
                self.non_council.insert(key, (at, a.device.clone()));
            }
        }

        // R10: a passing attestation of the device, made for its user.
        let problem = match (&a.device, attestation) {
            (None, _) => Some(("no device recorded".to_string(), None)),
            (Some(d), None) => Some((format!("device {d} was never attested"), None)),
            (Some(d), Some(att)) if att.person != a.person => Some((
                format!("device {d} was attested to {}, not to its user", att.person),
                Some(att.stamp.seq),
            )),
            (Some(d), Some(att)) if !att.passes() => Some((
                format!(
                    "device {d} failed its attestation ({}) at seq {}",
                    att.failures().join(", "),
                    att.stamp.seq
                ),
                Some(att.stamp.seq),
            )),
            _ => None,
        };
        if let Some((why, att_seq)) = problem {
            let b = self
                .bad_device
                .entry((a.person.clone(), a.device.clone()))
                .or_default();
            earlier(&mut b.first, at, || why);
            later(&mut b.last, at);
            b.count += 1;
            b.seqs.extend(att_seq);
            b.seqs.push(at.seq);
        }
    }
}
