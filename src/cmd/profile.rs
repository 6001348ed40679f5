//! `igl status` and `igl org`: one member of staff's or one organisation's profile as of an
//! instant, computed by the library (`compliance::profile`) and rendered here as text or JSON.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::compliance;
use igl_ledger::compliance::profile::{Authorisation, OrgProfile, PersonProfile, Validity};
use igl_ledger::compliance::state::{Employment, PROTECTING_INFORMATION};
use igl_ledger::time;
use igl_schema::{Date, OrgId, PersonId};

use super::audit::{Judging, hm, judge_with, print_finding};
use crate::{Outcome, out};

// ---------------------------------------------------------------------------------------------
// igl status

#[derive(Args)]
pub struct StatusArgs {
    /// The member of staff's personnel number, e.g. P00106.
    person: String,
    #[command(flatten)]
    judging: Judging,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn employment_text(e: Employment) -> String {
    match e {
        Employment::Unknown => "not enrolled".into(),
        Employment::Active { since } => {
            format!("active since {} (seq {})", hm(since.at), since.seq)
        }
        Employment::Suspended { since } => {
            format!("SUSPENDED since {} (seq {})", hm(since.at), since.seq)
        }
        Employment::Ended { since } => format!("LEFT at {} (seq {})", hm(since.at), since.seq),
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "✔" } else { "✘" }
}

pub fn run_status(a: StatusArgs, dir: PathBuf) -> Result<Outcome> {
    let id = PersonId::new(a.person.as_str()).map_err(|e| anyhow!("{e}"))?;
    let j = judge_with(&dir, &a.judging, None, |l, t| {
        compliance::scope::person_state(l, &id, t)
    })?;
    let Some(p) = PersonProfile::build(&j.state, &j.findings, &id) else {
        bail!(
            "no person {id} in the ledger as of {} (try `igl log --subject {id}` or a later --as-of)",
            j.as_of
        );
    };
    let mut o = out::stdout();
    if a.json {
        out::json_line(&mut o, &p)?;
    } else {
        status_text(&mut o, &p)?;
    }
    o.flush()?;
    Ok(if p.findings.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

/// `igl status` for terminals.
fn status_text(o: &mut impl Write, p: &PersonProfile) -> Result<()> {
    writeln!(
        o,
        "{}  {}{}",
        p.person,
        p.name.unwrap_or("(name erased or not recorded)"),
        match (p.job_title, p.business_unit) {
            (Some(t), Some(u)) => format!(" — {t}, {u}"),
            (Some(t), None) => format!(" — {t}"),
            (None, Some(u)) => format!(" — {u}"),
            (None, None) => String::new(),
        }
    )?;
    writeln!(o, "  as of         {}", p.as_of)?;
    if let Some(org) = p.organisation {
        let kind = if p.organisation_is_council {
            "council"
        } else {
            "third party"
        };
        writeln!(o, "  organisation  {org} ({kind})")?;
    }
    writeln!(
        o,
        "  line manager  {}",
        p.line_manager
            .map_or("none on record".into(), |m| m.to_string())
    )?;
    writeln!(o, "  employment    {}", employment_text(p.employment))?;
    if !p.manages.is_empty() {
        writeln!(
            o,
            "  manages       {}",
            p.manages
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }

    writeln!(o, "Keys")?;
    if p.keys.is_empty() {
        writeln!(o, "  none")?;
    }
    for k in &p.keys {
        writeln!(
            o,
            "  {} {:<11} {}  enrolled {} (seq {}){}",
            if k.open_finding {
                "✘"
            } else if k.revoked.is_some() {
                "·"
            } else {
                "✔"
            },
            k.role.as_str(),
            k.key.short(),
            hm(k.enrolled.at),
            k.enrolled.seq,
            k.revoked
                .map(|r| format!(", revoked {} (seq {})", hm(r.at), r.seq))
                .unwrap_or_default()
        )?;
    }

    writeln!(o, "Declarations")?;
    if p.declarations.is_empty() {
        writeln!(o, "  ✘ none signed")?;
    }
    for d in &p.declarations {
        let cs = match d.authorisation {
            Authorisation::ByLineManager(c) => format!(
                "countersigned by line manager {} {} (seq {})",
                c.manager,
                hm(c.stamp.at),
                c.stamp.seq
            ),
            Authorisation::OnlyByDeclarant(c) => format!(
                "countersigned only by the declarant {} (seq {}): NOT authorised",
                hm(c.stamp.at),
                c.stamp.seq
            ),
            Authorisation::OnlyByOther(c) => format!(
                "countersigned only by {}, not the line manager on record{} (seq {}): NOT authorised",
                c.manager,
                c.line_manager_then
                    .as_ref()
                    .map_or_else(String::new, |m| format!(" ({m})")),
                c.stamp.seq
            ),
            Authorisation::NotCountersigned => "NOT countersigned".into(),
        };
        writeln!(
            o,
            "  {} {} {}  signed {} (seq {}), {cs}",
            mark(d.authorised),
            d.policy,
            d.version,
            hm(d.signed_at),
            d.seq
        )?;
    }

    writeln!(o, "Training")?;
    if p.training.is_empty() {
        writeln!(o, "  ✘ none on record")?;
    }
    for t in &p.training {
        writeln!(
            o,
            "  {} {}  completed {}, {} (seq {})",
            if t.valid {
                "✔"
            } else if t.renewed {
                "·"
            } else {
                "✘"
            },
            t.course,
            t.completed_on,
            match t.expires_on {
                Some(e) if t.expired => format!("expired {e}"),
                Some(e) => format!("expires {e}"),
                None => "no expiry".into(),
            },
            t.seq
        )?;
    }
    if p.no_protecting_information {
        writeln!(o, "  ✘ no {PROTECTING_INFORMATION} training on record")?;
    }

    writeln!(o, "Grants")?;
    if p.grants.is_empty() {
        writeln!(o, "  none")?;
    }
    for g in &p.grants {
        let state = match g.revoked {
            Some(r) if g.revoked_by_then => format!(
                "revoked {} ({}, seq {})",
                hm(r.stamp.at),
                r.reason,
                r.stamp.seq
            ),
            _ => "active".into(),
        };
        writeln!(
            o,
            "  {} {} {} ({})  granted {} (seq {}) by {}, {state}",
            if g.open_finding {
                "✘"
            } else if g.active {
                "✔"
            } else {
                "·"
            },
            g.grant,
            g.system,
            g.role,
            hm(g.granted.at),
            g.granted.seq,
            g.approver
        )?;
        let review = match g.last_review {
            Some(r) => format!(
                "last reviewed {} by {} (seq {})",
                hm(r.stamp.at),
                r.reviewer,
                r.stamp.seq
            ),
            None => "never reviewed".into(),
        };
        let due = g
            .next_review_due
            .map(|d| format!(", next review due by the end of {}", time::uk_date(d)))
            .unwrap_or_default();
        writeln!(
            o,
            "      MFA {}, sponsor {}; {review}{due}",
            if g.mfa_required {
                "required"
            } else {
                "not required"
            },
            g.sponsor.map_or("none".into(), |sp| sp.person.to_string()),
        )?;
    }

    writeln!(o, "Devices")?;
    if p.devices.is_empty() {
        writeln!(o, "  none attested")?;
    }
    for d in &p.devices {
        if let Some(att) = d.latest {
            let f = att.failures();
            writeln!(
                o,
                "  {} {}  {}, attested {} (seq {}){}",
                mark(f.is_empty()),
                d.device,
                if att.council_provided {
                    "council-provided"
                } else {
                    "not council-provided"
                },
                hm(att.stamp.at),
                att.stamp.seq,
                if f.is_empty() {
                    String::new()
                } else {
                    format!(": {}", f.join(", "))
                }
            )?;
        }
    }

    writeln!(o, "Record accesses")?;
    match (p.record_accesses.first, p.record_accesses.last) {
        (Some(f), Some(l)) => writeln!(
            o,
            "  {} (first {}, last {}); `igl log --subject {} --type RecordAccessed`",
            p.record_accesses.count,
            hm(f.at),
            hm(l.at),
            p.person
        )?,
        _ => writeln!(o, "  none")?,
    }

    if !p.requests.is_empty() {
        writeln!(o, "Subject-rights requests")?;
        for r in &p.requests {
            let (sym, words) = r.status_text();
            writeln!(
                o,
                "  {sym} {} ({}), received {}, due {}: {words}",
                r.request,
                r.right,
                r.received,
                r.due_text()
            )?;
        }
    }

    writeln!(o, "Findings")?;
    if p.findings.is_empty() {
        writeln!(o, "  ✔ none")?;
    }
    for f in &p.findings {
        print_finding(o, f, "  ")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// igl org

#[derive(Args)]
pub struct OrgArgs {
    /// The organisation id, e.g. caring-hands.
    org: String,
    #[command(flatten)]
    judging: Judging,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// How an agreement or accreditation stands, for terminals: a mark and words.
fn validity_text(
    v: Validity,
    from: Date,
    until: Option<Date>,
    superseded_by: Option<&str>,
) -> (&'static str, String) {
    let (m, text) = match (v, until) {
        (Validity::NotYet, _) => ("⚠", format!("not in force until {from}")),
        (Validity::InForce { .. }, None) => ("✔", "in force, no expiry".into()),
        (Validity::InForce { days_left }, Some(u)) if v.expiring_soon() => (
            "⚠",
            format!(
                "in force, expires after {u} ({} days left)",
                days_left.unwrap_or_default()
            ),
        ),
        (Validity::InForce { .. }, Some(u)) => ("✔", format!("in force until {u}")),
        (Validity::Expired, u) => (
            "✘",
            format!(
                "EXPIRED after {}",
                u.map(|u| u.to_string()).unwrap_or_default()
            ),
        ),
    };
    match superseded_by {
        Some(n) if v == Validity::Expired => {
            ("·", format!("{}, superseded by {n}", text.to_lowercase()))
        }
        _ => (m, text),
    }
}

pub fn run_org(a: OrgArgs, dir: PathBuf) -> Result<Outcome> {
    let id = OrgId::new(a.org.as_str()).map_err(|e| anyhow!("{e}"))?;
    let j = judge_with(&dir, &a.judging, None, |l, t| {
        compliance::scope::org_state(l, &id, t)
    })?;
    let Some(org) = OrgProfile::build(&j.state, &j.findings, &id) else {
        // Naming the organisations that do exist takes the whole state.
        let all = compliance::load(&Ledger::open_read_only(&dir)?, Some(j.as_of))?;
        bail!(
            "no organisation {id} in the ledger as of {}; known: {}",
            j.as_of,
            all.orgs
                .keys()
                .map(|o| o.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let mut o = out::stdout();
    if a.json {
        out::json_line(&mut o, &org)?;
    } else {
        org_text(&mut o, &org)?;
    }
    o.flush()?;
    Ok(if org.findings.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Finding
    })
}

/// `igl org` for terminals.
fn org_text(o: &mut impl Write, org: &OrgProfile) -> Result<()> {
    writeln!(
        o,
        "{}  {} ({}){}",
        org.organisation,
        org.name.unwrap_or("(not registered)"),
        match org.kind {
            Some(k) => k.as_str(),
            None if org.council => "council",
            None => "kind not recorded",
        },
        org.registered
            .map(|r| format!(", registered {} (seq {})", hm(r.at), r.seq))
            .unwrap_or_default()
    )?;
    writeln!(o, "  as of  {}", org.as_of)?;
    writeln!(
        o,
        "  people {} ({} with active access)",
        org.people.len(),
        org.people_with_access.len()
    )?;
    let none = if org.council { "-" } else { "✘" };
    writeln!(o, "Agreements")?;
    if org.agreements.is_empty() {
        writeln!(o, "  {none} none on record")?;
    }
    for g in &org.agreements {
        let (m, text) = validity_text(g.state, g.valid_from, g.valid_until, g.superseded_by);
        writeln!(
            o,
            "  {m} {:<9} {}  from {}: {text} (seq {})",
            g.kind.as_str(),
            g.reference,
            g.valid_from,
            g.seq
        )?;
    }
    if org.lacks_isa {
        writeln!(o, "  ✘ no information-sharing agreement in force")?;
    }
    if org.lacks_dpia {
        writeln!(o, "  ✘ no summary DPIA in force")?;
    }
    writeln!(o, "Accreditations")?;
    if org.accreditations.is_empty() {
        writeln!(o, "  {none} none on record")?;
    }
    for c in &org.accreditations {
        let (m, text) = validity_text(
            c.state,
            c.awarded_on,
            Some(c.valid_through),
            c.superseded_by,
        );
        writeln!(
            o,
            "  {m} {:<21} {}  awarded {}: {text} (seq {})",
            c.scheme.as_str(),
            c.reference,
            c.awarded_on,
            c.seq
        )?;
    }
    writeln!(o, "Findings")?;
    if org.findings.is_empty() {
        writeln!(o, "  ✔ none about the organisation")?;
    }
    for f in &org.findings {
        print_finding(o, f, "  ")?;
    }
    if org.findings_about_its_people > 0 {
        writeln!(
            o,
            "  {} more about its people ({}): `igl audit --org {}`",
            org.findings_about_its_people,
            org.findings_about_its_people_by_rule
                .iter()
                .map(|(r, n)| format!("{r} ×{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            org.organisation
        )?;
    }
    Ok(())
}
