//! `igl witness`: cosign a checkpoint only if it is consistent with the last one cosigned, offline
//! (`igl witness FILE`: a note in, the cosigned note out) or as a C2SP tlog-witness HTTP server
//! (`igl witness serve`, hyper); and the log's side of the protocol, used by `igl checkpoint
//! --witness` (ureq), with the `--witness VKEY --quorum N` checks of `prove` and `verify-bundle`.
//! Both witnesses make the one decision of `igl_ledger::witness` on the same state directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use igl_ledger::Ledger;
use igl_ledger::transparency::{checkpoint_signer, recorded_by};
use igl_ledger::witness::{self, Refusal, Witness, WitnessState};
use igl_schema::note::{Cosignature, SIG_TYPE_COSIGNATURE, SignedCheckpoint, VerifierKey};
use igl_schema::{PublicKey, public_key};

use crate::cmd::verify::{load_checkpoint, parse_key};
use crate::{Outcome, out};

mod client;

pub use client::*;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct WitnessArgs {
    #[command(subcommand)]
    command: Option<WitnessCommand>,
    /// The witness's secret key (e.g. a partner council's).
    #[arg(long, value_name = "FILE", required = true)]
    key: Option<PathBuf>,
    #[command(flatten)]
    pass: crate::cmd::passphrase::PassphraseArgs,
    /// The witness's state directory: the last checkpoint cosigned for each ledger (shared
    /// with `igl witness serve`, never by two processes at once).
    #[arg(long, value_name = "DIR", required = true)]
    state: Option<PathBuf>,
    /// The witness's name, as it appears on its cosignature line (a signed-note key name,
    /// ideally a schema-less URL such as `audit.example.gov.uk/witness`).
    #[arg(long, value_name = "NAME", default_value = "igl-witness")]
    name: String,
    /// The ledger's checkpoint key (hex) that must have signed the checkpoint. Without it, the
    /// ledger given by --ledger is verified and the key must be one its entries entitle to sign
    /// the checkpoint (admin or ig_officer, enrolled before it, not revoked by then).
    #[arg(long, value_name = "HEX")]
    log_key: Option<String>,
    /// Write the cosigned checkpoint here (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The checkpoint to cosign.
    #[arg(required = true)]
    checkpoint: Option<PathBuf>,
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Serve C2SP tlog-witness over HTTP: `POST /add-checkpoint` cosigns a checkpoint of a
    /// configured log only if a consistency proof shows it extends the last one cosigned.
    /// Prints `listening on http://ADDR` and the witness's verifier key (give it to the log's
    /// `igl checkpoint --witness VKEY URL`), then serves until killed.
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// The address to listen on, e.g. 127.0.0.1:8080 (port 0: any free port, printed).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// The witness's secret key.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    pass: crate::cmd::passphrase::PassphraseArgs,
    /// The state directory: the last checkpoint cosigned for each log, written and fsync'd
    /// before each cosignature is returned. Locked while the server runs.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// A log to witness: its origin (`igledger/<ledger id>` for an igl ledger) and the public
    /// key (hex) that signs its checkpoints, or the log's verifier key (`ORIGIN+KEYID+BASE64`,
    /// signature type 0x01). Repeat for more logs, or more keys of one log.
    #[arg(long = "log", value_name = "ORIGIN=PUBKEY_HEX|VKEY", required = true)]
    logs: Vec<String>,
    /// The witness's name, as it appears on its cosignature lines and in its verifier key.
    #[arg(long, value_name = "NAME", default_value = "igl-witness")]
    name: String,
    /// Threads checking requests and cosigning (signature and proof checks, the state's fsync);
    /// connections are served by one more thread.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
}

/// The largest request body `igl witness serve` reads (a checkpoint, 63 proof lines and a few
/// signatures are a few KiB); larger is answered 413.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;

pub fn run(a: WitnessArgs, ledger_dir: Option<&Path>) -> Result<Outcome> {
    match a.command {
        Some(WitnessCommand::Serve(s)) => serve(s),
        None => cosign_file(a, ledger_dir),
    }
}

/// Seconds since the Unix epoch.
fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Why the offline witness does not cosign.
enum NotCosigned {
    Refused(Refusal),
    Error(anyhow::Error),
}

/// `igl witness FILE`.
fn cosign_file(a: WitnessArgs, ledger_dir: Option<&Path>) -> Result<Outcome> {
    let (Some(key_path), Some(state_dir), Some(cp_path)) = (&a.key, &a.state, &a.checkpoint) else {
        bail!("pass --key FILE --state DIR and the checkpoint FILE (or `igl witness serve`)");
    };
    let key = a.pass.load_key(key_path)?;
    let cp = load_checkpoint(cp_path)?;
    let ledger = ledger_dir.map(Ledger::open_read_only).transpose()?;
    // Given the ledger, the witness verifies it (the stored tree it serves proofs from included)
    // and judges the checkpoint against it.
    let report = match &ledger {
        Some(l) => {
            let pb = out::progress(l.tree_size()?, "verifying the ledger");
            let report = l.verify_capturing(&mut |n| pb.set_position(n), &[cp.checkpoint.size])?;
            pb.finish_and_clear();
            if let Some(f) = &report.failure {
                eprintln!(
                    "igl: witness refuses to cosign: the ledger does not verify (seq {}: {})",
                    f.seq, f.message
                );
                return Ok(Outcome::Finding);
            }
            Some(report)
        }
        None => None,
    };
    // Whose checkpoint is it? A pinned key, or the key the ledger's verified entries entitle to
    // sign it (never the stored key registry, which is derived data).
    let log_key = match (&a.log_key, &report) {
        (Some(hex), _) => parse_key("--log-key", hex)?,
        (None, Some(r)) => checkpoint_signer(&r.key_registry, &cp).ok_or_else(|| {
            anyhow!(
                "the checkpoint is not signed by any key the ledger entitles to sign it (an admin or ig_officer key enrolled before entry {} and not revoked by then)",
                cp.checkpoint.size
            )
        })?,
        (None, None) => bail!("pass --log-key HEX (the ledger's checkpoint key), or --ledger DIR"),
    };
    if !cp.verify(&log_key) {
        bail!(
            "the checkpoint is not signed by the ledger's key {}",
            log_key.short()
        );
    }
    // A checkpoint the ledger never recorded (a root its entries do not give, a note signed
    // outside it) is not cosigned.
    if let (Some(l), Some(r)) = (&ledger, &report)
        && let Err(why) = recorded_by(l, r, &cp, &log_key)?
    {
        eprintln!("igl: witness refuses to cosign: {why}");
        return Ok(Outcome::Finding);
    }
    if !igl_schema::note::is_key_name_valid(&a.name) {
        bail!(
            "--name {:?} is not a signed-note key name (non-empty, no spaces, no `+`)",
            a.name
        );
    }
    let state = WitnessState::open(state_dir)?;
    let now = now_unix();
    let size = cp.checkpoint.size;
    // The old size is the one this witness cosigned last; the proof from it comes from the
    // verified ledger. Checked and persisted atomically, like a request to the server.
    let result = state.check_and_persist(&cp.checkpoint.origin, |last| {
        let old = last.map_or(0, |l| l.checkpoint.size);
        let proof = match &ledger {
            Some(l) if 0 < old && old < size => l
                .consistency_proof(old, size)
                .map_err(|e| NotCosigned::Error(e.into()))?,
            None if 0 < old && old < size => {
                return Err(NotCosigned::Error(anyhow!(
                    "pass --ledger DIR so the witness can check the checkpoint extends the {old} entries it last witnessed"
                )));
            }
            _ => Vec::new(),
        };
        let why = witness::decide(last.map(|l| &l.checkpoint), old, &cp.checkpoint, &proof)
            .map_err(NotCosigned::Refused)?;
        eprintln!("{why}; cosigning as {}", a.name);
        let mut next = cp.clone();
        next.cosign(&a.name, &key, now);
        Ok(next)
    })?;
    let cosigned = match result {
        Ok(c) => c,
        Err(NotCosigned::Refused(r)) => {
            let why = match r {
                // The offline witness asks with the size it cosigned last: a conflict cannot
                // happen, but say what it would mean.
                Refusal::Conflict { size } => format!("the state changed: it now holds {size}"),
                other => other.message(),
            };
            eprintln!("igl: witness refuses to cosign: {why}");
            return Ok(Outcome::Finding);
        }
        Err(NotCosigned::Error(e)) => return Err(e),
    };
    let text = cosigned.to_text();
    match &a.out {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut o = out::stdout();
            write!(o, "{text}")?;
            o.flush()?;
        }
    }
    eprintln!(
        "witness key {} ({})",
        public_key(&key),
        VerifierKey::witness(&a.name, public_key(&key)).to_vkey()
    );
    Ok(Outcome::Ok)
}

/// `--log ORIGIN=PUBKEY_HEX` values, as the trusted keys per origin.
fn parse_logs(logs: &[String]) -> Result<BTreeMap<String, Vec<PublicKey>>> {
    let mut out: BTreeMap<String, Vec<PublicKey>> = BTreeMap::new();
    for l in logs {
        // A log's verifier key (signed-note vkey, type 0x01: its name is the origin), as other
        // witnesses are configured, or ORIGIN=PUBKEY_HEX.
        let (origin, key) = match VerifierKey::parse(l.trim()) {
            Ok(v) if v.sig_type == igl_schema::note::SIG_TYPE_ED25519 => (v.name, v.key),
            Ok(v) => bail!(
                "--log {}: a witness's cosigning key (type 0x04), not a log's key (type 0x01)",
                v.name
            ),
            Err(_) => {
                let (origin, hex) = l
                    .rsplit_once('=')
                    .filter(|(o, _)| !o.is_empty() && !o.chars().any(char::is_control))
                    .ok_or_else(|| {
                        anyhow!("--log takes ORIGIN=PUBKEY_HEX or the log's vkey, got {l:?}")
                    })?;
                (origin.to_string(), parse_key("--log", hex)?)
            }
        };
        let origin = origin.as_str();
        let keys = out.entry(origin.to_string()).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(out)
}

/// `igl witness serve`.
fn serve(a: ServeArgs) -> Result<Outcome> {
    let logs = parse_logs(&a.logs)?;
    let key = a.pass.load_key(&a.key)?;
    let state = WitnessState::open(&a.state)?;
    let witness = Witness::new(&a.name, key, logs.clone(), state).map_err(|e| anyhow!(e))?;
    let listener = std::net::TcpListener::bind(a.listen.as_str())
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    // One thread runs the connections (all IO, with timeouts); the checks and the state's fsync
    // of each request run on up to --threads blocking threads beside it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(a.threads.into())
        .thread_name("igl-witness")
        .build()
        .context("starting the witness's runtime")?;
    let listener = {
        let _in_runtime = rt.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    {
        let mut o = std::io::stdout().lock();
        writeln!(o, "listening on http://{addr}")?;
        writeln!(o, "{}", witness.vkey().to_vkey())?;
        o.flush()?;
    }
    for (origin, keys) in &logs {
        for k in keys {
            eprintln!("witnessing {origin} (checkpoints signed by {})", k.short());
        }
    }
    eprintln!(
        "state in {}; serving POST /add-checkpoint (at most {MAX_CONNECTIONS} connections, {} threads cosigning)",
        a.state.display(),
        a.threads
    );
    rt.block_on(accept_loop(listener, Arc::new(witness)));
    Ok(Outcome::Ok)
}

/// The most connections `igl witness serve` holds open at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 64;
/// How long a client has to send a request line and headers, from the connection or the previous
/// answer on it (then the connection is closed unanswered).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a request's body (then 408).
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection lives before it is closed once its request in progress is answered...
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// ... or this much later, answered or not (a client that does not read its answers).
const CONNECTION_GRACE: Duration = Duration::from_secs(30);
/// The most bytes of request line and headers (a witness's clients send a few hundred).
const MAX_HEADER_SIZE: usize = 16 * 1024;

/// Accepts connections until the process is killed, at most [`MAX_CONNECTIONS`] at once.
async fn accept_loop(listener: tokio::net::TcpListener, witness: Arc<Witness>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let slot = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted.
                eprintln!("igl witness: accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let w = Arc::clone(&witness);
        tokio::spawn(async move {
            connection(stream, peer, w).await;
            drop(slot);
        });
    }
}

/// Serves one connection: HTTP/1.1 (keep-alive) with hyper, within the timeouts above.
async fn connection(stream: tokio::net::TcpStream, peer: SocketAddr, w: Arc<Witness>) {
    let service = hyper::service::service_fn(move |rq| answer(rq, peer, Arc::clone(&w)));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        // The start line and headers (431 past that), and the read and write buffers.
        .max_header_size(MAX_HEADER_SIZE)
        .max_buf_size(MAX_REQUEST_BODY)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let result = match tokio::time::timeout(CONNECTION_LIFETIME, conn.as_mut()).await {
        Ok(r) => r,
        Err(_) => {
            conn.as_mut().graceful_shutdown();
            match tokio::time::timeout(CONNECTION_GRACE, conn).await {
                Ok(r) => r,
                Err(_) => {
                    eprintln!(
                        "{peer}: connection closed after {:?}",
                        CONNECTION_LIFETIME + CONNECTION_GRACE
                    );
                    return;
                }
            }
        }
    };
    if let Err(e) = result {
        // A header timeout, a malformed request (hyper answered it), a client gone mid-way.
        eprintln!("{peer}: {e}");
    }
}

type HttpResponse = hyper::Response<http_body_util::Full<hyper::body::Bytes>>;

/// Answers one HTTP request.
async fn answer(
    rq: hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
    w: Arc<Witness>,
) -> Result<HttpResponse, std::convert::Infallible> {
    use http_body_util::BodyExt as _;
    use hyper::body::Body as _;

    let method = rq.method().clone();
    let path = rq.uri().path().to_string();
    let mut allow = false;
    // Whether the connection must be closed after the answer (the body was not read to its end).
    let mut close = false;
    let r = if path != "/add-checkpoint" {
        witness::Response::text(
            404,
            format!("no such resource {path:?}: this witness serves POST /add-checkpoint"),
        )
    } else if method != hyper::Method::POST {
        allow = true;
        witness::Response::text(405, "add-checkpoint takes POST")
    } else if rq.body().size_hint().lower() > MAX_REQUEST_BODY as u64 {
        // A declared Content-Length over the cap: answered without reading a byte of the body.
        close = true;
        too_large()
    } else {
        let body = http_body_util::Limited::new(rq.into_body(), MAX_REQUEST_BODY);
        match tokio::time::timeout(BODY_TIMEOUT, body.collect()).await {
            Err(_) => {
                close = true;
                witness::Response::text(
                    408,
                    format!("the request body took more than {BODY_TIMEOUT:?}"),
                )
            }
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                close = true;
                too_large()
            }
            Ok(Err(e)) => {
                close = true;
                witness::Response::text(400, format!("reading the request body: {e}"))
            }
            Ok(Ok(body)) => {
                let body = body.to_bytes();
                // Signature and proof checks, then the state's write and fsync: off the thread
                // that runs the connections.
                let w = Arc::clone(&w);
                tokio::task::spawn_blocking(move || w.add_checkpoint(&body, now_unix()))
                    .await
                    .unwrap_or_else(|e| {
                        witness::Response::text(500, format!("the request was not answered: {e}"))
                    })
            }
        }
    };
    eprintln!("{peer} {method} {path} {}: {}", r.status, r.summary);
    let mut resp = hyper::Response::builder()
        .status(r.status)
        .header(hyper::header::CONTENT_TYPE, r.content_type);
    if allow {
        resp = resp.header(hyper::header::ALLOW, "POST");
    }
    if close {
        resp = resp.header(hyper::header::CONNECTION, "close");
    }
    Ok(resp
        .body(http_body_util::Full::new(r.body.into()))
        .expect("a valid status and fixed headers"))
}

fn too_large() -> witness::Response {
    witness::Response::text(
        413,
        format!("the request body is larger than {MAX_REQUEST_BODY} bytes"),
    )
}

// --- The log's side: asking witnesses (`igl checkpoint --witness VKEY URL`). ---
