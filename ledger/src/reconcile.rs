//! Account reconciliation (`igl reconcile`): a case system's own list of user accounts against
//! the grants the ledger records for that system, as of an instant.
//!
//! What an identity-governance suite calls reconciliation, judged from the signed record:
//! - **orphan** — an enabled account whose person holds no active grant to the system (or whose
//!   person the ledger does not know, or that names no person at all);
//! - **leaver** / **suspended** — an enabled account of someone whose employment had ended or
//!   was suspended (reported instead of "orphan": it is the more urgent finding);
//! - **no account** — an active grant with no enabled account in the list (the grant is on
//!   record but the system does not show it: either the list is incomplete or access was
//!   removed without the revocation being recorded);
//! - **role mismatch** — an enabled account whose role differs from the role its person's active
//!   grant gives (compared ignoring case and surrounding spaces).
//!
//! **Why a report of its own, not a rule of `igl audit`.** The rules judge the signed record
//! alone, so anyone holding the ledger (or a bundle) reaches the same findings. An account list
//! is a file outside the record, changing by the hour; a rule that read it could not be
//! re-derived by someone checking the ledger. Reconciliation therefore reads the list beside
//! the ledger's state, cites both (the CSV line and the entries' seqs), and exits 1 on findings
//! so it can gate a script.

use std::collections::BTreeMap;

use igl_schema::{PersonId, SystemId, Timestamp};
use serde::Serialize;

use crate::compliance::state::{Employment, Grant, State};
use crate::import::Account;

/// What is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An enabled account with no active grant behind it.
    Orphan,
    /// An enabled account of someone whose employment had ended.
    Leaver,
    /// An enabled account of someone suspended.
    Suspended,
    /// An active grant with no enabled account.
    NoAccount,
    /// The account's role differs from the grant's.
    RoleMismatch,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Orphan => "orphan",
            Kind::Leaver => "leaver",
            Kind::Suspended => "suspended",
            Kind::NoAccount => "no_account",
            Kind::RoleMismatch => "role_mismatch",
        }
    }
}

/// One discrepancy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    pub kind: Kind,
    /// The account, when the finding is about one.
    pub account: Option<String>,
    /// The line of the account list, when the finding is about an account.
    pub line: Option<u64>,
    pub person: Option<PersonId>,
    /// The grant concerned, if any.
    pub grant: Option<String>,
    /// What is wrong, in a sentence.
    pub detail: String,
    /// The entries that show it (grant, revocation, employment change), in seq order.
    pub seqs: Vec<u64>,
}

/// The reconciliation of one system's account list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub system: SystemId,
    pub as_of: Timestamp,
    pub accounts: usize,
    pub enabled_accounts: usize,
    /// Grants to the system active at `as_of`.
    pub active_grants: usize,
    pub discrepancies: Vec<Discrepancy>,
}

impl crate::Ledger {
    /// Every system the ledger has ever recorded a grant to (from the `by_type` index): how a
    /// command tells a system name typed differently (`eclipse` for `Eclipse`) from a real one.
    pub fn systems_granted(&self) -> crate::Result<std::collections::BTreeSet<SystemId>> {
        let seqs = self.type_entries("AccessGranted")?;
        let mut out = std::collections::BTreeSet::new();
        for e in self.entries_at(seqs) {
            if let igl_schema::Event::AccessGranted(g) = &e?.entry.event.body.event {
                out.insert(g.system.clone());
            }
        }
        Ok(out)
    }
}

fn active_grants<'a>(s: &'a State, system: &SystemId, t: Timestamp) -> Vec<&'a Grant> {
    s.grants
        .iter()
        .filter(|g| &g.system == system && g.active_at(t))
        .collect()
}

/// Reconciles `accounts` (the system's list) with the grants to `system` in `state` at its
/// as-of instant (`state.now()`).
pub fn reconcile(state: &State, system: &SystemId, accounts: &[Account]) -> Reconciliation {
    let t = state.now();
    let grants = active_grants(state, system, t);
    let mut by_person: BTreeMap<&PersonId, Vec<&Grant>> = BTreeMap::new();
    for g in &grants {
        by_person.entry(&g.person).or_default().push(g);
    }
    let mut out = Vec::new();
    let enabled: Vec<&Account> = accounts.iter().filter(|a| a.enabled).collect();
    for a in &enabled {
        let base = |kind, detail: String, seqs: Vec<u64>| Discrepancy {
            kind,
            account: Some(a.account.clone()),
            line: Some(a.line),
            person: a.person.clone(),
            grant: None,
            detail,
            seqs,
        };
        let Some(p) = &a.person else {
            out.push(base(
                Kind::Orphan,
                format!(
                    "account {} names no person: no grant can stand behind it",
                    a.account
                ),
                Vec::new(),
            ));
            continue;
        };
        let person = state.person(p);
        let employment = person.map_or(Employment::Unknown, |x| x.employment_at(t));
        match employment {
            Employment::Ended { since } => {
                out.push(base(
                    Kind::Leaver,
                    format!(
                        "account {} of {p} is enabled, but {p}'s employment ended at {}",
                        a.account,
                        crate::time::uk_text(since.at)
                    ),
                    vec![since.seq],
                ));
                continue;
            }
            Employment::Suspended { since } => {
                out.push(base(
                    Kind::Suspended,
                    format!(
                        "account {} of {p} is enabled, but {p} was suspended at {}",
                        a.account,
                        crate::time::uk_text(since.at)
                    ),
                    vec![since.seq],
                ));
                continue;
            }
            _ => {}
        }
        match by_person.get(p) {
            None => {
                let last = state
                    .grants_of(p)
                    .filter(|g| &g.system == system)
                    .max_by_key(|g| g.granted);
                let (why, seqs) = match (person, last) {
                    (None, _) => (format!("{p} is not known to the ledger"), Vec::new()),
                    (_, None) => (
                        format!("{p} has never held a grant to {system}"),
                        Vec::new(),
                    ),
                    (_, Some(g)) => (
                        format!(
                            "{p}'s last grant to {system}, {}, was revoked at {}",
                            g.id,
                            g.revoked
                                .as_ref()
                                .map_or_else(|| "-".into(), |r| crate::time::uk_text(r.stamp.at))
                        ),
                        [Some(g.granted.seq), g.revoked.as_ref().map(|r| r.stamp.seq)]
                            .into_iter()
                            .flatten()
                            .collect(),
                    ),
                };
                out.push(base(
                    Kind::Orphan,
                    format!(
                        "account {} is enabled with no active grant: {why}",
                        a.account
                    ),
                    seqs,
                ));
            }
            Some(gs) => {
                if let Some(role) = &a.role
                    && !gs
                        .iter()
                        .any(|g| g.role.trim().eq_ignore_ascii_case(role.trim()))
                {
                    let mut d = base(
                        Kind::RoleMismatch,
                        format!(
                            "account {} has role {role:?}, but {p}'s grant{} give{} {}",
                            a.account,
                            if gs.len() == 1 { "" } else { "s" },
                            if gs.len() == 1 { "s" } else { "" },
                            gs.iter()
                                .map(|g| format!("{:?} ({})", g.role, g.id))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        gs.iter().map(|g| g.granted.seq).collect(),
                    );
                    d.grant = Some(gs[0].id.to_string());
                    out.push(d);
                }
            }
        }
    }
    for g in &grants {
        let has = enabled.iter().any(|a| a.person.as_ref() == Some(&g.person));
        if !has {
            out.push(Discrepancy {
                kind: Kind::NoAccount,
                account: None,
                line: None,
                person: Some(g.person.clone()),
                grant: Some(g.id.to_string()),
                detail: format!(
                    "{} gives {} access to {system} (granted {}), but the account list has no enabled account for them",
                    g.id,
                    g.person,
                    crate::time::uk_text(g.granted.at)
                ),
                seqs: vec![g.granted.seq],
            });
        }
    }
    for d in &mut out {
        d.seqs.sort_unstable();
        d.seqs.dedup();
    }
    out.sort_by(|a, b| {
        (a.kind, a.line, &a.person, &a.grant).cmp(&(b.kind, b.line, &b.person, &b.grant))
    });
    Reconciliation {
        system: system.clone(),
        as_of: t,
        accounts: accounts.len(),
        enabled_accounts: enabled.len(),
        active_grants: grants.len(),
        discrepancies: out,
    }
}
