//! `igl init`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Args;
use igl_ledger::{Ledger, keys};
use igl_schema::{
    EventId, LedgerCreated, LedgerId, OrgId, PersonId, Salt, Submission, Timestamp, public_key,
};
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct InitArgs {
    /// The first admin's secret key file (create one with `igl key new`).
    #[arg(long, value_name = "FILE")]
    admin_key: PathBuf,
    #[command(flatten)]
    pass: super::passphrase::PassphraseArgs,
    /// The council's name, e.g. "Plymouth City Council".
    #[arg(long, value_name = "NAME")]
    org: String,
    /// The council's organisation id (default: made from the name, e.g. plymouth-city-council).
    #[arg(long, value_name = "ID")]
    org_id: Option<String>,
    /// The admin's personnel number.
    #[arg(long, value_name = "ID", default_value = "admin")]
    admin_person: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `Plymouth City Council` → `plymouth-city-council`.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_matches('-').to_string()
}

pub fn run(a: InitArgs, dir: PathBuf) -> Result<Outcome> {
    let admin = a.pass.load_key(&a.admin_key)?;
    let org_id = OrgId::new(a.org_id.unwrap_or_else(|| slug(&a.org)))
        .map_err(|e| anyhow!("--org-id: {e}"))?;
    let admin_person = PersonId::new(a.admin_person).map_err(|e| anyhow!("--admin-person: {e}"))?;
    let now = Timestamp::now();
    let ledger_id = LedgerId(keys::random_bytes()?);
    let genesis = Submission::sign(
        ledger_id,
        igl_schema::Event::LedgerCreated(LedgerCreated {
            ledger_id,
            organisation: org_id,
            organisation_name: a.org,
            admin_key: public_key(&admin),
            admin_person,
        }),
        now,
        EventId(keys::random_bytes()?),
        [],
        &admin,
        Salt(keys::random_bytes()?),
    )
    .map_err(|e| anyhow!("--org: {e}"))?;
    let (ledger, receipt) = Ledger::create(&dir, &genesis, &admin, now)?;
    let id = ledger.ledger_id()?;
    let mut o = out::stdout();
    if a.json {
        out::json_line(
            &mut o,
            &json!({"ledger": dir, "ledger_id": id.to_hex(), "head_hash": receipt.head_hash.to_hex()}),
        )?;
    } else {
        writeln!(o, "created ledger {} (id {id})", dir.display())?;
        writeln!(o, "entry 0 LedgerCreated, hash {}", receipt.head_hash)?;
        writeln!(
            o,
            "next: enrol keys and people with `igl --ledger {} append --key {} events.jsonl`",
            dir.display(),
            a.admin_key.display()
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
