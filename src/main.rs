//! `igl`: the igledger command line.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod advice;
mod cmd;
mod demo;
mod out;

/// Exit code: a verification failure or compliance finding.
pub const EXIT_FINDING: u8 = 1;
/// Exit code: a usage or IO error.
pub const EXIT_ERROR: u8 = 2;

/// What a command concluded.
pub enum Outcome {
    /// Everything checked out.
    Ok,
    /// A verification failure or compliance finding (exit 1).
    Finding,
}

#[derive(Parser)]
#[command(
    name = "igl",
    version,
    about = "igledger: a signed, hash-chained ledger of information-governance events",
    long_about = "igledger records information-governance events (declarations, access grants, \
training, agreements, breaches, subject-rights requests, record accesses...) as entries signed by \
their authors' ed25519 keys, hash-chained with blake3 and stored in RocksDB, and proves that none \
was altered, removed, reordered or forged.\n\nExit codes: 0 ok, 1 verification failure or finding, \
2 usage or IO error.",
    after_help = "Start with `igl demo`, then `igl --ledger demo-ledger verify`."
)]
struct Cli {
    /// The ledger directory.
    #[arg(long, global = true, env = "IGL_LEDGER", value_name = "DIR")]
    ledger: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create and inspect secret key files.
    #[command(subcommand)]
    Key(cmd::keys::KeyCommand),
    /// List the keys enrolled in the ledger.
    Keys(cmd::keys::KeysArgs),
    /// Create a new ledger: its genesis entry names the council and the first admin key.
    Init(cmd::init::InitArgs),
    /// Append events from a JSON Lines file (or stdin) in one atomic, sealed batch.
    Append(cmd::append::AppendArgs),
    /// Import CSV exports: joiners, movers and leavers from HR (`igl import hr`), record
    /// accesses from a case system's audit log (`igl import access`). Idempotent.
    Import(cmd::import::ImportArgs),
    /// Sign events as their author without a ledger, for someone else to append later.
    Sign(cmd::append::SignArgs),
    /// List entries (JSON Lines with --json).
    Log(cmd::log::LogArgs),
    /// Show one entry in full: fields, author, hashes, signature, seal.
    Show(cmd::log::ShowArgs),
    /// Sign a checkpoint of the ledger's Merkle tree and record it (C2SP signed-note text).
    Checkpoint(cmd::checkpoint::CheckpointArgs),
    /// Prove an entry is in the ledger, or that an older ledger is a prefix of a newer one.
    Prove(cmd::checkpoint::ProveArgs),
    /// Publish the latest recorded checkpoint with its Merkle tiles and entry bundles to DIR as a
    /// C2SP tlog-tiles log: static files for any web server (entry hashes only, no personal data).
    Publish(cmd::publish::PublishArgs),
    /// Check a published tlog-tiles log (a directory or an http(s) URL) against the ledger's
    /// checkpoint key and witnesses (exit 1 if anything does not check out).
    VerifyPublished(cmd::publish::VerifyPublishedArgs),
    /// Write an offline audit bundle: entries, their proofs, the checkpoint and the key history.
    Bundle(cmd::bundle::BundleArgs),
    /// Verify an audit bundle with no ledger (exit 1 if anything does not check out).
    VerifyBundle(cmd::bundle::VerifyBundleArgs),
    /// Erase an entry's personal data (ig_officer), keeping the entry and every proof intact.
    Redact(cmd::redact::RedactArgs),
    /// Rewrite the derived data (indexes, key registry, Merkle nodes, projections) from the
    /// entries; needs the ledger to itself. Entries, personal data and seals are only read.
    Rebuild(cmd::rebuild::RebuildArgs),
    /// Check every entry, link, hash, signature, seal and personal-data commitment.
    Verify(cmd::verify::VerifyArgs),
    /// Cosign a checkpoint as a witness, only if it extends the last one you cosigned: a file
    /// (`igl witness FILE`), or over HTTP per C2SP tlog-witness (`igl witness serve`).
    Witness(cmd::witness::WitnessArgs),
    /// List the event types and their fields.
    Types(cmd::types::TypesArgs),
    /// Check the ledger against the compliance rules R1–R18, as of now or any instant (exit 1
    /// when there are findings).
    Audit(cmd::audit::AuditArgs),
    /// Everything about one member of staff: declarations, training, grants, devices, keys,
    /// findings.
    Status(cmd::profile::StatusArgs),
    /// A partner's agreements and accreditations, with expiry and findings.
    Org(cmd::profile::OrgArgs),
    /// Build a realistic synthetic council ledger to explore.
    Demo(demo::DemoArgs),
    /// Browse, search and verify the ledger in a terminal UI (read-only; `?` lists the keys).
    Tui,
    /// Subject access: every entry about one person or service user, from the subject index,
    /// with third-party data withheld.
    #[command(after_help = igl_ledger::subject::sar::RULE)]
    Sar(cmd::sar::SarArgs),
    /// Subject-rights requests with their statutory deadlines, as of now or any instant (exit 1
    /// when one is overdue).
    Requests(cmd::requests::RequestsArgs),
    /// A case system's account list against the ledger's grants: orphan accounts, leavers' and
    /// suspended staff's accounts, grants with no account, role mismatches (exit 1 on any).
    Reconcile(cmd::reconcile::ReconcileArgs),
    /// Access-review campaigns: open one, see who must decide what, write a reviewer's
    /// worksheet, sign their decisions offline (list and show exit 1 when an item is overdue or
    /// a revocation a decision calls for is past its SLA).
    Review(cmd::review::ReviewArgs),
    /// Print a shell completion script: `igl completions bash > /etc/bash_completion.d/igl`.
    Completions(cmd::shell::CompletionsArgs),
    /// Print the manual page (`igl man | man -l -`), or write every page with --dir.
    Man(cmd::shell::ManArgs),
}

fn run(cli: Cli) -> Result<Outcome> {
    let ledger = cli.ledger;
    match cli.command {
        Command::Key(c) => cmd::keys::run_key(c, ledger.as_deref()),
        Command::Keys(a) => cmd::keys::run_keys(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Init(a) => cmd::init::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Append(a) => cmd::append::run_append(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Import(a) => cmd::import::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Reconcile(a) => cmd::reconcile::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Review(a) => cmd::review::run(a, ledger.as_deref()),
        Command::Sign(a) => cmd::append::run_sign(a, ledger.as_deref()),
        Command::Log(a) => cmd::log::run_log(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Show(a) => cmd::log::run_show(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Checkpoint(a) => {
            cmd::checkpoint::run_checkpoint(a, cmd::ledger_dir(ledger.as_deref())?)
        }
        Command::Prove(a) => cmd::checkpoint::run_prove(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Publish(a) => cmd::publish::run_publish(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::VerifyPublished(a) => cmd::publish::run_verify_published(a),
        Command::Bundle(a) => cmd::bundle::run_bundle(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::VerifyBundle(a) => cmd::bundle::run_verify_bundle(a),
        Command::Redact(a) => cmd::redact::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Rebuild(a) => cmd::rebuild::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Verify(a) => cmd::verify::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Witness(a) => cmd::witness::run(a, ledger.as_deref()),
        Command::Types(a) => cmd::types::run(a),
        Command::Audit(a) => cmd::audit::run_audit(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Status(a) => cmd::profile::run_status(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Org(a) => cmd::profile::run_org(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Demo(a) => demo::run(a, ledger),
        Command::Tui => igl_tui::run(&cmd::ledger_dir(ledger.as_deref())?)
            .map(|()| Outcome::Ok)
            .map_err(Into::into),
        Command::Sar(a) => cmd::sar::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Requests(a) => cmd::requests::run(a, cmd::ledger_dir(ledger.as_deref())?),
        Command::Completions(a) => {
            cmd::shell::completions(a, <Cli as clap::CommandFactory>::command())
        }
        Command::Man(a) => cmd::shell::man(a, <Cli as clap::CommandFactory>::command()),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Finding) => ExitCode::from(EXIT_FINDING),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let mut err = io::stderr().lock();
            let _ = writeln!(err, "igl: error: {e}");
            for cause in e.chain().skip(1) {
                let _ = writeln!(err, "  caused by: {cause}");
            }
            if let Some(advice) = advice::for_error(&e) {
                let _ = writeln!(err, "  to fix: {advice}");
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}
