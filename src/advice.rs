//! What to do about an error, as `igl` commands. The library says which remedy an error has
//! ([`Remedy`], with the ledger it concerns); only the command line knows its own commands, so
//! the words are here. `main` adds them under an error; commands that report a failure
//! themselves (`igl verify`, `igl checkpoint`, `igl publish`) add [`text`] to what they print.

use std::path::Path;

use igl_ledger::LedgerError;
use igl_ledger::Remedy;
use igl_ledger::tiles::PublishError;

/// `remedy` as an `igl` command line, for the ledger at `ledger` when known.
pub fn text(remedy: Remedy, ledger: Option<&Path>) -> String {
    let at = ledger
        .map(|p| format!(" --ledger {}", p.display()))
        .unwrap_or_default();
    match remedy {
        Remedy::Create => {
            format!("create one with `igl init{at}`, or `igl demo{at}` for a sample")
        }
        Remedy::Verify => format!("run `igl verify{at}`"),
        Remedy::Rebuild => format!("run `igl rebuild{at}` to rewrite it from the entries"),
        Remedy::Checkpoint => {
            format!(
                "sign a checkpoint with `igl checkpoint --key FILE{at}` (an admin or ig_officer key)"
            )
        }
    }
}

/// The advice for the first error in `e`'s chain that has a remedy.
pub fn for_error(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|c| {
        let (remedy, ledger) = if let Some(l) = c.downcast_ref::<LedgerError>() {
            l.remedy()?
        } else if let Some(p) = c.downcast_ref::<PublishError>() {
            p.remedy()?
        } else {
            return None;
        };
        Some(text(remedy, ledger))
    })
}
