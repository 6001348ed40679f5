//! `igl demo`: builds the library's synthetic council ledger ([`igl_ledger::demo`]) with a
//! progress bar, then says what it built and what to try next.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use igl_ledger::demo::{self, Options};

use crate::{Outcome, out};

#[derive(Args)]
pub struct DemoArgs {
    /// How many members of staff (at least 24).
    #[arg(long, default_value_t = 48)]
    people: usize,
    /// Seed: the same seed builds the same ledger.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Replace an existing demo ledger at the same path.
    #[arg(long)]
    force: bool,
    /// Build a ledger of about this many entries (e.g. 1000000), by making each record-access
    /// visit in the Eclipse audit feed a burst of accesses. The planted violations stay the same.
    #[arg(long, value_name = "N")]
    entries: Option<u64>,
}

/// The default demo ledger directory.
pub const DEFAULT_DIR: &str = "demo-ledger";

pub fn run(a: DemoArgs, ledger: Option<PathBuf>) -> Result<Outcome> {
    let options = Options {
        people: a.people,
        seed: a.seed,
        entries: a.entries,
    };
    // Before `prepare_dir`: with --force it would remove the old demo, and `build` would then
    // refuse.
    if options.people < demo::MIN_PEOPLE {
        return Err(demo::DemoError::TooFewPeople.into());
    }
    let dir = ledger.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    prepare_dir(&dir, a.force)?;
    let mut pb = None;
    let built = demo::build(&dir, &options, &mut |done, total| {
        pb.get_or_insert_with(|| out::progress(total, "days"))
            .set_position(done);
    })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let mut o = out::stdout();
    let d = dir.display();
    writeln!(o, "Built a demo ledger for Plymouth City Council in {d}")?;
    writeln!(
        o,
        "  {} entries (1 Oct 2025 to {}), {} keys in {d}/keys (mode 0600), head {}",
        built.head.seq + 1,
        built.end,
        built.keys,
        built.head.hash
    )?;
    for (t, n) in &built.counts {
        writeln!(o, "  {n:>6}  {t}")?;
    }
    // Where this igl is, relative to here when it can be.
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().ok();
    let exe = match (&exe, &cwd) {
        (Some(e), Some(c)) => e.strip_prefix(c).unwrap_or(e).display().to_string(),
        (Some(e), None) => e.display().to_string(),
        _ => "igl".to_string(),
    };
    // The IG officer signs the checkpoints: the key a SAR pack's recipient checks it against.
    let ig_key = built.checkpoint_key.to_hex();
    let hints = format!(
        "
It includes deliberate policy violations (a grant before the countersignature, lapsed
training, leavers whose access and keys outlived them, third-party access without a sponsor,
a breach decided after 72 hours, an overdue SAR, an access review with an item nobody decided
and a revocation nobody carried out, and more) for `igl audit` to find.

Try next (igl is {exe}; `cargo install --path .` puts it on your PATH):
  export IGL_LEDGER={d}
  igl tui                           # browse, verify, audit and look subjects up in a terminal UI
  igl verify                        # prove nothing was altered or forged (exit 0)
  igl audit --as-of 2026-11-20      # the compliance findings, rule by rule (exit 1: there are some)
  igl status P00105                 # everything about one member of staff
  igl org caring-hands              # a partner's agreements and accreditations
  igl requests                      # subject-rights requests and their statutory deadlines
  igl review show AR-2026-Q4-ECLIPSE   # an access review: who decided what, was it done (exit 1)
  igl review todo AR-2026-Q4-ECLIPSE --reviewer P00011 --worksheet P00011.csv
  igl sar P00105                    # everything the ledger holds about one person
  igl sar P00105 --pack sar-P00105 && igl verify-bundle sar-P00105 --trusted-key {ig_key}
  igl log --subject service-user:SU-000142
  igl show 1                        # one entry in full: author, hashes, signature, seal
  igl prove 1200                    # Merkle inclusion proof against the latest signed checkpoint
  igl import hr {d}/imports/hr.csv --key {d}/keys/SYS-HR-system_feed.key --dry-run
  igl import access {d}/imports/eclipse-audit.csv --system Eclipse --key {d}/keys/SYS-ECLIPSE-system_feed.key
  igl reconcile --system Eclipse {d}/imports/eclipse-accounts.csv   # accounts vs grants (exit 1)
  igl publish {d}-site              # the log as C2SP tlog-tiles static files (entry hashes only)
  igl verify-published {d}-site --trusted-key {ig_key}
  # a partner council's witness over HTTP: README, \"Walkthrough: witnessed, published, checked\"
"
    );
    write!(o, "{hints}")?;
    o.flush()?;
    Ok(Outcome::Ok)
}

fn prepare_dir(dir: &Path, force: bool) -> Result<()> {
    if !dir.exists() || std::fs::read_dir(dir)?.next().is_none() {
        return Ok(());
    }
    if !force {
        bail!(
            "{} already exists; pass --force to replace it, or choose another directory with --ledger DIR",
            dir.display()
        );
    }
    if !(dir.join("CURRENT").is_file() && dir.join("keys").is_dir()) {
        bail!(
            "{} does not look like a demo ledger (no CURRENT file and keys/ directory); refusing to delete it",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok(())
}
