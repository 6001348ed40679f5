//! The verify screen's worker: `Ledger::verify` on a thread of its own (with its own read-only
//! handle, see [`crate::source::LedgerSource`]), reporting progress over a channel so the UI
//! stays responsive.

use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

use igl_ledger::VerifyReport;
use ratatui::text::{Line, Span};

use crate::source::VerifyJob;
use crate::text::{clock, duration, thousands, wrap};
use crate::theme::Theme;

/// The worker thread's name (the panic hook leaves the terminal alone for it).
pub const THREAD_NAME: &str = "igl-verify";

static WORKER_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Called by the panic hook when the verify thread panics: the UI reports it.
pub fn record_worker_panic(message: String) {
    if let Ok(mut p) = WORKER_PANIC.lock() {
        *p = Some(message);
    }
}

fn take_worker_panic() -> Option<String> {
    WORKER_PANIC.lock().ok().and_then(|mut p| p.take())
}

/// What the worker sends.
pub enum Msg {
    Progress(u64),
    Done(Result<Box<VerifyReport>, String>),
}

/// Where verification stands.
pub enum VerifyState {
    Idle,
    Running {
        rx: Receiver<Msg>,
        started: Instant,
        done: u64,
        total: u64,
    },
    Done {
        result: Result<Box<VerifyReport>, String>,
        elapsed: Duration,
        total: u64,
    },
}

impl VerifyState {
    /// Starts `job` on a worker thread, for a ledger of `total` entries.
    pub fn start(job: VerifyJob, total: u64) -> VerifyState {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                let progress_tx = tx.clone();
                let mut progress = move |n: u64| {
                    let _ = progress_tx.send(Msg::Progress(n));
                };
                let result = job(&mut progress);
                let _ = tx.send(Msg::Done(result.map(Box::new)));
            });
        match spawned {
            Ok(_) => VerifyState::Running {
                rx,
                started: Instant::now(),
                done: 0,
                total,
            },
            Err(e) => VerifyState::Done {
                result: Err(format!("could not start the verification thread: {e}")),
                elapsed: Duration::ZERO,
                total,
            },
        }
    }

    /// Takes the worker's messages. Returns whether verification finished just now.
    pub fn poll(&mut self) -> bool {
        let VerifyState::Running {
            rx,
            started,
            done,
            total,
        } = self
        else {
            return false;
        };
        loop {
            match rx.try_recv() {
                Ok(Msg::Progress(n)) => *done = n,
                Ok(Msg::Done(result)) => {
                    *self = VerifyState::Done {
                        result,
                        elapsed: started.elapsed(),
                        total: *total,
                    };
                    return true;
                }
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Disconnected) => {
                    let why = take_worker_panic().unwrap_or_else(|| "no reason given".into());
                    *self = VerifyState::Done {
                        result: Err(format!("the verification thread stopped: {why}")),
                        elapsed: started.elapsed(),
                        total: *total,
                    };
                    return true;
                }
            }
        }
    }

    pub fn running(&self) -> bool {
        matches!(self, VerifyState::Running { .. })
    }

    /// The first bad seq, after a failed verification.
    pub fn failure(&self) -> Option<(u64, &str)> {
        match self {
            VerifyState::Done { result: Ok(r), .. } => {
                r.failure.as_ref().map(|f| (f.seq, f.message.as_str()))
            }
            _ => None,
        }
    }

    /// How far along, 0..=1.
    pub fn ratio(&self) -> f64 {
        match self {
            VerifyState::Idle => 0.0,
            VerifyState::Running { done, total, .. } => {
                if *total == 0 {
                    0.0
                } else {
                    (*done as f64 / *total as f64).min(1.0)
                }
            }
            VerifyState::Done {
                result: Ok(r),
                total,
                ..
            } if *total > 0 => (r.entries as f64 / *total as f64).min(1.0),
            VerifyState::Done { .. } => 1.0,
        }
    }

    /// The gauge's label (`ledger_entries`: the total before verification starts).
    pub fn gauge_label(&self, ledger_entries: u64) -> String {
        let (done, total) = match self {
            VerifyState::Idle => (0, ledger_entries),
            VerifyState::Running { done, total, .. } => (*done, *total),
            VerifyState::Done {
                result: Ok(r),
                total,
                ..
            } => (r.entries, *total),
            VerifyState::Done { total, .. } => (0, *total),
        };
        format!(
            "{} / {} entries  {:.0}%",
            thousands(done),
            thousands(total),
            self.ratio() * 100.0
        )
    }

    /// A short state for the tab bar: `45%`, `✔`, `✘`.
    pub fn badge(&self) -> Option<String> {
        match self {
            VerifyState::Idle => None,
            VerifyState::Running { .. } => Some(format!("{:.0}%", self.ratio() * 100.0)),
            VerifyState::Done { result: Ok(r), .. } if r.ok() => Some("✔".into()),
            VerifyState::Done { .. } => Some("✘".into()),
        }
    }

    /// The lines under the gauge.
    pub fn lines(&self, t: &Theme, width: u16, now: Instant) -> Vec<Line<'static>> {
        let width = width as usize;
        let mut out = Vec::new();
        let wrapped = |out: &mut Vec<Line<'static>>, lead: &str, text: &str, style| {
            for (i, chunk) in wrap(text, width.saturating_sub(lead.chars().count()).max(16))
                .into_iter()
                .enumerate()
            {
                let l = if i == 0 {
                    lead.to_string()
                } else {
                    " ".repeat(lead.chars().count())
                };
                out.push(Line::from(vec![
                    Span::styled(l, style),
                    Span::styled(chunk, style),
                ]));
            }
        };
        match self {
            VerifyState::Idle => {
                wrapped(
                    &mut out,
                    "",
                    "Press Enter (or v) to start. The timeline stays usable meanwhile (Tab).",
                    t.plain(),
                );
            }
            VerifyState::Running {
                started,
                done,
                total,
                ..
            } => {
                let elapsed = now.saturating_duration_since(*started);
                let secs = elapsed.as_secs_f64();
                let mut s = format!("elapsed {}", clock(elapsed));
                if *done > 0 && secs > 0.0 {
                    let rate = *done as f64 / secs;
                    let left = total.saturating_sub(*done) as f64 / rate;
                    s = format!(
                        "{} entries/s · {s} · ETA {}",
                        thousands(rate as u64),
                        clock(Duration::from_secs_f64(left))
                    );
                } else {
                    s.push_str(" · rate and ETA after the first progress report");
                }
                out.push(Line::styled(format!("verifying… {s}"), t.plain()));
            }
            VerifyState::Done { result: Err(e), .. } => {
                wrapped(&mut out, "✘ ", &format!("could not verify: {e}"), t.bad());
            }
            VerifyState::Done {
                result: Ok(r),
                elapsed,
                ..
            } => {
                let took = format!(
                    "took {}{}",
                    duration(*elapsed),
                    if elapsed.as_secs_f64() > 0.0 {
                        format!(
                            " ({} entries/s)",
                            thousands((r.entries as f64 / elapsed.as_secs_f64()) as u64)
                        )
                    } else {
                        String::new()
                    }
                );
                match &r.failure {
                    None => {
                        wrapped(
                            &mut out,
                            "✔ ",
                            &format!(
                                "verified {} entries: every link, hash, signature, seal and commitment checks out",
                                thousands(r.entries)
                            ),
                            t.ok(),
                        );
                        if let Some(h) = &r.head {
                            wrapped(
                                &mut out,
                                "  head    ",
                                &format!("seq {}  {}", h.seq, h.hash),
                                t.plain(),
                            );
                        }
                        if let Some(id) = &r.ledger_id {
                            wrapped(&mut out, "  ledger  ", &id.to_hex(), t.plain());
                        }
                        wrapped(
                            &mut out,
                            "  seals   ",
                            &format!(
                                "{}   keys {}   redacted {}",
                                thousands(r.seals),
                                r.keys,
                                r.redacted
                            ),
                            t.plain(),
                        );
                        wrapped(&mut out, "  time    ", &took, t.plain());
                        if !r.unerased.is_empty() {
                            let seqs: Vec<String> =
                                r.unerased.iter().map(|s| s.to_string()).collect();
                            wrapped(
                                &mut out,
                                "⚠ ",
                                &format!(
                                    "{} redacted entr{} still ha{} personal data on disk (seq {}): erasure incomplete",
                                    r.unerased.len(),
                                    if r.unerased.len() == 1 { "y" } else { "ies" },
                                    if r.unerased.len() == 1 { "s" } else { "ve" },
                                    seqs.join(", ")
                                ),
                                t.warn(),
                            );
                        }
                    }
                    Some(f) => {
                        wrapped(
                            &mut out,
                            "✘ ",
                            &format!("verification FAILED at seq {}", f.seq),
                            t.bad(),
                        );
                        wrapped(&mut out, "  ", &f.message, t.bad());
                        if r.remedy == Some(igl_ledger::Remedy::Rebuild) {
                            wrapped(
                                &mut out,
                                "  ",
                                "only derived data differs: `igl rebuild` rewrites it from the entries",
                                t.warn(),
                            );
                        }
                        wrapped(
                            &mut out,
                            "  checked ",
                            &format!("{} entries", thousands(r.entries)),
                            t.plain(),
                        );
                        wrapped(&mut out, "  time    ", &took, t.plain());
                        out.push(Line::default());
                        out.push(Line::from(vec![
                            Span::raw("Press "),
                            Span::styled("Enter", t.key()),
                            Span::raw(format!(" to jump to seq {} in the timeline.", f.seq)),
                        ]));
                    }
                }
            }
        }
        out
    }
}
