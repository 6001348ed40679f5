//! `igl publish` and `igl verify-published`: the ledger as a C2SP tlog-tiles log
//! (`igl_ledger::tiles`; layout in `schema/FORMAT.md`, *Published tiles*).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use igl_ledger::Ledger;
use igl_ledger::tiles::{
    self, DirSource, MAX_RESOURCE_BYTES, PublishError, PublishedError, TileSource,
};
use serde_json::json;

use crate::{Outcome, out};

#[derive(Args)]
pub struct PublishArgs {
    /// The directory to publish into (created if missing): serve it as the log's URL prefix.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_publish(a: PublishArgs, ledger_dir: PathBuf) -> Result<Outcome> {
    let ledger = Ledger::open_read_only(&ledger_dir)?;
    let size = ledger.latest_checkpoint()?.map_or(0, |c| c.checkpoint.size);
    let pb = out::progress(2 * size, "publishing");
    let result = tiles::publish(&ledger, &a.dir, &mut |n| pb.set_position(n));
    pb.finish_and_clear();
    let r = match result {
        Ok(r) => r,
        Err(e @ PublishError::Damaged { .. }) => {
            eprintln!("igl: ✘ {e}");
            if let Some((remedy, ledger)) = e.remedy() {
                eprintln!("  to fix: {}", crate::advice::text(remedy, ledger));
            }
            return Ok(Outcome::Finding);
        }
        Err(e) => return Err(e.into()),
    };
    let cp = &r.checkpoint.checkpoint;
    let mut o = out::stdout();
    if a.json {
        out::json_line(
            &mut o,
            &json!({
                "dir": a.dir.display().to_string(),
                "origin": cp.origin,
                "tree_size": cp.size,
                "root": cp.root.to_hex(),
                "old_tree_size": r.old_size,
                "tiles_written": r.tiles_written,
                "tiles_unchanged": r.tiles_unchanged,
                "bundles_written": r.bundles_written,
                "bundles_unchanged": r.bundles_unchanged,
                "checkpoint_written": r.checkpoint_written,
                "checkpoint": r.checkpoint.to_text(),
            }),
        )?;
    } else {
        writeln!(
            o,
            "✔ published the checkpoint of {} entries to {} ({})",
            cp.size,
            a.dir.display(),
            match r.old_size {
                Some(n) if n == cp.size => format!("already published there; {n} entries"),
                Some(n) => format!("it held {n} entries"),
                None => "a new log".to_string(),
            }
        )?;
        writeln!(o, "  origin      {}", cp.origin)?;
        writeln!(o, "  root        {}", cp.root)?;
        writeln!(
            o,
            "  tiles       {} written, {} already there",
            r.tiles_written, r.tiles_unchanged
        )?;
        writeln!(
            o,
            "  bundles     {} written, {} already there",
            r.bundles_written, r.bundles_unchanged
        )?;
        writeln!(
            o,
            "  checkpoint  {}",
            if r.checkpoint_written {
                "written"
            } else {
                "unchanged"
            }
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

#[derive(Args)]
pub struct VerifyPublishedArgs {
    /// The published log: a directory, or an http:// or https:// URL prefix.
    #[arg(value_name = "DIR_OR_URL")]
    source: String,
    /// The ledger's checkpoint key (hex) that must have signed the published checkpoint.
    #[arg(long, value_name = "HEX")]
    trusted_key: String,
    /// The ledger the published log must be of: its checkpoint origin (`igledger/<ledger id>`).
    /// One checkpoint key may sign for several ledgers; checked whenever given.
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    #[command(flatten)]
    witnesses: super::witness::QuorumArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A published log over HTTP(S).
struct UrlSource {
    base: String,
    agent: ureq::Agent,
}

impl UrlSource {
    fn new(url: &str) -> UrlSource {
        let base = if url.ends_with('/') {
            url.to_string()
        } else {
            format!("{url}/")
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent(concat!("igl/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        UrlSource { base, agent }
    }
}

impl TileSource for UrlSource {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let url = format!("{}{path}", self.base);
        let mut resp = self.agent.get(&url).call().map_err(|e| e.to_string())?;
        match resp.status().as_u16() {
            200 => resp
                .body_mut()
                .with_config()
                .limit(MAX_RESOURCE_BYTES + 1)
                .read_to_vec()
                .map(Some)
                .map_err(|e| e.to_string()),
            404 => Ok(None),
            s => Err(format!("HTTP status {s}")),
        }
    }

    fn describe(&self) -> String {
        self.base.clone()
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

pub fn run_verify_published(a: VerifyPublishedArgs) -> Result<Outcome> {
    let key = super::verify::parse_key("--trusted-key", &a.trusted_key)?;
    let (witnesses, quorum) = match a.witnesses.policy()? {
        Some(q) => (q.witnesses, q.quorum),
        None => (Vec::new(), 0),
    };
    let src: Box<dyn TileSource> = if is_url(&a.source) {
        Box::new(UrlSource::new(&a.source))
    } else {
        let dir = Path::new(&a.source);
        if !dir.is_dir() {
            bail!(
                "{}: no such directory (give the directory `igl publish` wrote, or an http:// or https:// URL)",
                dir.display()
            );
        }
        Box::new(DirSource::new(dir))
    };
    let pb = out::progress(0, "checking");
    let result = tiles::verify_published(src.as_ref(), &key, &witnesses, quorum, &mut |n, t| {
        pb.set_length(t);
        pb.set_position(n);
    })
    .and_then(|r| match &a.origin {
        Some(want) if *want != r.checkpoint.checkpoint.origin => Err(PublishedError::invalid(
            src.as_ref(),
            tiles::CHECKPOINT_PATH,
            format!(
                "is of {}, not of the ledger asked for ({want})",
                r.checkpoint.checkpoint.origin
            ),
        )),
        _ => Ok(r),
    });
    pb.finish_and_clear();
    let mut o = out::stdout();
    let outcome = match result {
        Err(e @ PublishedError::Unavailable { .. }) => return Err(e.into()),
        Ok(r) => {
            let cp = &r.checkpoint.checkpoint;
            if a.json {
                out::json_line(
                    &mut o,
                    &json!({
                        "ok": true,
                        "source": src.describe(),
                        "origin": cp.origin,
                        "tree_size": cp.size,
                        "root": cp.root.to_hex(),
                        "cosigners": r.cosigners,
                        "quorum": quorum,
                        "bundles": r.bundles,
                        "tiles": r.tiles,
                        "failure": null,
                    }),
                )?;
            } else {
                writeln!(
                    o,
                    "✔ verified the published log at {}: {} entries; every entry bundle, tile and the root check out against the checkpoint",
                    src.describe(),
                    cp.size
                )?;
                writeln!(o, "  origin      {}", cp.origin)?;
                writeln!(o, "  root        {}", cp.root)?;
                writeln!(o, "  signed by   the trusted key {}", key.short())?;
                if !witnesses.is_empty() {
                    writeln!(
                        o,
                        "  cosigned by {} of {} witnesses ({} needed){}",
                        r.cosigners.len(),
                        witnesses.len(),
                        quorum,
                        if r.cosigners.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", r.cosigners.join(", "))
                        }
                    )?;
                }
                writeln!(
                    o,
                    "  checked     {} entry bundles, {} tiles",
                    r.bundles, r.tiles
                )?;
            }
            Outcome::Ok
        }
        Err(e) => {
            if a.json {
                out::json_line(
                    &mut o,
                    &json!({
                        "ok": false,
                        "source": src.describe(),
                        "origin": null,
                        "tree_size": null,
                        "root": null,
                        "cosigners": [],
                        "quorum": quorum,
                        "bundles": null,
                        "tiles": null,
                        "failure": {"path": e.path(), "message": e.message()},
                    }),
                )?;
            } else {
                writeln!(o, "✘ FAILED: {e}")?;
            }
            Outcome::Finding
        }
    };
    o.flush()?;
    Ok(outcome)
}
