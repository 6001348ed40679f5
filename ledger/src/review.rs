//! The reviewer's side of an access-review campaign ([`crate::compliance::campaign`]): the
//! worksheet `igl review todo --worksheet` writes for one reviewer, which the reviewer fills in
//! (a `decision`, a `justification`, a `new_role` for a change) and signs offline with
//! `igl review decide`, as `igl sign` signs events, for IG to append.
//!
//! A worksheet is CSV with the header [`WORKSHEET_COLUMNS`]. Reading it needs only the columns
//! `campaign`, `grant`, `person`, `reviewer`, `decision`, `new_role` and `justification`; the
//! others are there for the reviewer to decide by. A row whose `decision` is empty is left
//! undecided (the reviewer can finish later); a row with a decision must have a
//! justification, and a `change` a new role.

use std::io::{Read, Write};

use igl_schema::{
    CampaignId, Event, EventId, GrantId, LedgerId, PersonId, Pii, ReviewDecision,
    ReviewDecisionRecorded, Salt, SigningKey, Submission, Timestamp,
};

use crate::compliance::State;
use crate::compliance::campaign::Campaign;
use crate::import::{Csv, ImportError, read_record};
use crate::keys;

/// The worksheet's columns, in order.
pub const WORKSHEET_COLUMNS: &[&str] = &[
    "campaign",
    "grant",
    "person",
    "name",
    "job_title",
    "system",
    "role",
    "granted",
    "business_need",
    "reviewer",
    "due",
    "decision",
    "new_role",
    "justification",
];

/// Writes the worksheet of the items `reviewer` still has to decide in `campaign` at `now`;
/// returns how many rows it wrote. It holds personal data (names, business needs): it is for
/// the reviewer only.
pub fn write_worksheet(
    out: impl Write,
    campaign: &Campaign,
    state: &State,
    reviewer: &PersonId,
    now: Timestamp,
) -> csv::Result<usize> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(WORKSHEET_COLUMNS)?;
    let mut n = 0;
    for item in campaign.todo(state, reviewer, now) {
        let p = state.person(&item.person);
        let g = state.grant(&item.grant);
        let granted = crate::time::uk_date(item.granted.at).to_string();
        w.write_record([
            campaign.id.as_str(),
            item.grant.as_str(),
            item.person.as_str(),
            p.and_then(|p| p.name.as_deref()).unwrap_or(""),
            p.and_then(|p| p.job_title.as_deref()).unwrap_or(""),
            item.system.as_str(),
            &item.role,
            &granted,
            g.and_then(|g| g.business_need.as_deref()).unwrap_or(""),
            item.reviewer.as_str(),
            &campaign.due.to_string(),
            "",
            "",
            "",
        ])?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// The decisions read from a filled-in worksheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Worksheet {
    /// Each decision with its line in the file.
    pub decisions: Vec<(u64, ReviewDecisionRecorded)>,
    /// Rows left without a decision.
    pub undecided: usize,
}

/// Reads a filled-in worksheet. Every row is checked before anything is returned; the first
/// error names `file:line:column (header)`. All decisions must name one reviewer (the one who
/// signs them).
pub fn read_worksheet<R: Read>(file: &str, input: R) -> Result<Worksheet, ImportError> {
    let mut csv = Csv::open(file, input)?;
    let col = |csv: &Csv<R>, name: &str| csv.column(name, true).map(|c| c.expect("required"));
    let campaign = col(&csv, "campaign")?;
    let grant = col(&csv, "grant")?;
    let person = col(&csv, "person")?;
    let reviewer = col(&csv, "reviewer")?;
    let decision = col(&csv, "decision")?;
    let role_col = col(&csv, "new_role")?;
    let justification = col(&csv, "justification")?;
    let mut out = Worksheet {
        decisions: Vec::new(),
        undecided: 0,
    };
    let mut rec = csv::StringRecord::new();
    while let Some((line, _)) = read_record(&mut csv, &mut rec)? {
        let r = csv.rec(line, &rec);
        let Some(d) = r.get(Some(decision)) else {
            if r.get(Some(justification)).is_some() || r.get(Some(role_col)).is_some() {
                return Err(r.err(
                    Some(decision),
                    "is empty, but the row has a justification or a new role: write keep, \
                     revoke or change, or clear the row to leave it undecided",
                ));
            }
            out.undecided += 1;
            continue;
        };
        let d = ReviewDecision::ALL
            .iter()
            .copied()
            .find(|x| x.to_string().eq_ignore_ascii_case(d))
            .ok_or_else(|| {
                r.err(
                    Some(decision),
                    format!("{d:?} is not a decision: write keep, revoke or change"),
                )
            })?;
        let id = |c: usize| r.required(c).map(str::to_string);
        let who = PersonId::new(id(reviewer)?).map_err(|e| r.err(Some(reviewer), e))?;
        if let Some((first_line, first)) = out.decisions.first()
            && first.reviewer != who
        {
            return Err(r.err(
                Some(reviewer),
                format!(
                    "names reviewer {who}, but line {first_line} names {}: a worksheet is one \
                     reviewer's, signed with their key",
                    first.reviewer
                ),
            ));
        }
        let new_role = r.get(Some(role_col)).map(str::to_string);
        let text = r.get(Some(justification)).ok_or_else(|| {
            r.err(
                Some(justification),
                "is empty: say why the access is (or is no longer) needed",
            )
        })?;
        let e = ReviewDecisionRecorded {
            campaign: CampaignId::new(id(campaign)?).map_err(|e| r.err(Some(campaign), e))?,
            grant: GrantId::new(id(grant)?).map_err(|e| r.err(Some(grant), e))?,
            person: PersonId::new(id(person)?).map_err(|e| r.err(Some(person), e))?,
            reviewer: who,
            decision: d,
            new_role,
            justification: Pii::new(text.to_string()),
        };
        let ev = Event::ReviewDecisionRecorded(e.clone());
        if let Err(fe) = ev.validate() {
            let c = match fe.field {
                "new_role" => Some(role_col),
                "justification" => Some(justification),
                _ => None,
            };
            return Err(r.err(c, fe.to_string()));
        }
        if out
            .decisions
            .iter()
            .any(|(_, x)| x.campaign == e.campaign && x.grant == e.grant)
        {
            return Err(r.err(
                Some(grant),
                format!(
                    "grant {} of campaign {} is decided twice in this worksheet",
                    e.grant, e.campaign
                ),
            ));
        }
        out.decisions.push((line, e));
    }
    Ok(out)
}

/// Signs each decision as its reviewer, for ledger `ledger_id`, dated `at`.
pub fn sign_decisions(
    decisions: &[(u64, ReviewDecisionRecorded)],
    ledger_id: LedgerId,
    key: &SigningKey,
    at: Timestamp,
) -> Result<Vec<Submission>, String> {
    decisions
        .iter()
        .map(|(line, d)| {
            let id = keys::random_bytes().map_err(|e| e.to_string())?;
            let salt = keys::random_bytes().map_err(|e| e.to_string())?;
            Submission::sign(
                ledger_id,
                Event::ReviewDecisionRecorded(d.clone()),
                at,
                EventId(id),
                [],
                key,
                Salt(salt),
            )
            .map_err(|e| format!("line {line}: {e}"))
        })
        .collect()
}
