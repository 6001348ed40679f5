//! A library call run on a worker thread (the audit, the campaigns), so the screen that asked
//! for it keeps answering keys: one type for every screen that needs one. A screen holds a
//! [`Job`], starts it when first shown and polls it on every tick. (Verify streams progress
//! as it goes and has its own channel, in [`crate::verify`].)

use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Every job thread's name starts with this: the panic hook leaves the terminal alone for
/// them and records the panic ([`record_panic`]) for the screen to report.
pub const THREAD_PREFIX: &str = "igl-job-";

/// Panics of job threads, by thread name, until their screen reads them.
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Called by the panic hook when a job thread panics.
pub fn record_panic(thread: &str, message: String) {
    if let Ok(mut p) = PANICS.lock() {
        p.push((thread.to_string(), message));
    }
}

fn thread_name(what: &str) -> String {
    format!("{THREAD_PREFIX}{what}")
}

fn take_panic(thread: &str) -> Option<String> {
    let mut p = PANICS.lock().ok()?;
    let i = p.iter().position(|(t, _)| t == thread)?;
    Some(p.remove(i).1)
}

/// Where a job stands.
pub enum Job<T> {
    /// Not started (a screen starts its job when it is first shown).
    Idle,
    Running {
        rx: Receiver<Result<T, String>>,
        started: Instant,
        /// What is being worked out, for messages ("audit", "campaigns"); it names the thread.
        what: &'static str,
    },
    Done {
        result: Result<T, String>,
        elapsed: Duration,
    },
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread of its own, named after `what`.
    pub fn start(
        what: &'static str,
        work: impl FnOnce() -> Result<T, String> + Send + 'static,
    ) -> Job<T> {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(thread_name(what))
            .spawn(move || {
                let _ = tx.send(work());
            });
        match spawned {
            Ok(_) => Job::Running {
                rx,
                started: Instant::now(),
                what,
            },
            Err(e) => Job::Done {
                result: Err(format!("could not start the {what} thread: {e}")),
                elapsed: Duration::ZERO,
            },
        }
    }

    /// Takes the result if it has come. Returns whether it came just now.
    pub fn poll(&mut self) -> bool {
        let Job::Running { rx, started, what } = &*self else {
            return false;
        };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => {
                let why =
                    take_panic(&thread_name(what)).unwrap_or_else(|| "no reason given".into());
                Err(format!("the {what} thread stopped: {why}"))
            }
        };
        *self = Job::Done {
            result,
            elapsed: started.elapsed(),
        };
        true
    }
}

impl<T> Job<T> {
    pub fn idle(&self) -> bool {
        matches!(self, Job::Idle)
    }

    pub fn running(&self) -> bool {
        matches!(self, Job::Running { .. })
    }

    /// The result, when the job is done and succeeded.
    pub fn value(&self) -> Option<&T> {
        match self {
            Job::Done { result: Ok(v), .. } => Some(v),
            _ => None,
        }
    }

    /// Why the job failed, when it did.
    pub fn error(&self) -> Option<&str> {
        match self {
            Job::Done { result: Err(e), .. } => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T: Send + 'static>(job: &mut Job<T>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !job.poll() {
            assert!(Instant::now() < deadline, "the job did not finish");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_job_reports_its_result_once() {
        let mut job = Job::start("sum", || Ok(2 + 2));
        wait(&mut job);
        assert_eq!(job.value(), Some(&4));
        assert!(!job.poll(), "done only once");
        let mut job: Job<u32> = Job::start("refusal", || Err("no ledger".into()));
        wait(&mut job);
        assert_eq!(job.error(), Some("no ledger"));
    }

    #[test]
    fn a_panicking_job_is_reported_with_its_panic() {
        let mut job: Job<u32> = Job::start("panicky", || {
            let name = std::thread::current()
                .name()
                .unwrap_or_default()
                .to_string();
            assert!(name.starts_with(THREAD_PREFIX), "{name}");
            // What the panic hook does for a job thread.
            record_panic(&name, "worker gave up".into());
            panic!("worker gave up");
        });
        wait(&mut job);
        let e = job.error().expect("an error");
        assert!(
            e.contains("the panicky thread stopped") && e.contains("worker gave up"),
            "{e}"
        );
    }
}
