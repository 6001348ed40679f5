//! `igl types`: the event catalogue.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use igl_schema::Event;
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct TypesArgs {
    /// Print JSON Lines.
    #[arg(long)]
    json: bool,
}

pub fn run(a: TypesArgs) -> Result<Outcome> {
    let mut o = out::stdout();
    for (tag, ty) in Event::TYPES.iter().enumerate() {
        let fields = Event::field_names(ty).unwrap_or(&[]);
        if a.json {
            out::json_line(&mut o, &json!({"type": ty, "tag": tag, "fields": fields}))?;
        } else {
            writeln!(o, "{ty:<30} {}", fields.join(", "))?;
        }
    }
    o.flush()?;
    Ok(Outcome::Ok)
}
