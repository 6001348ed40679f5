//! Crash harness (`harness = false`): a child process appends to a ledger in a loop and is
//! SIGKILLed at random moments; after each kill the ledger must open, verify, and hold every
//! event the child acknowledged.
//!
//! The child is this same executable, re-run with `IGL_CRASH_CHILD` set. It opens the ledger
//! through `igl_ledger`, appends batches of 1 to 50 events (some with personal data) from one or
//! several threads sharing one `Ledger` handle, and after each `append` returns `Ok` writes an
//! ack line (seq range, head hash, event ids) to a side file and fsyncs it. It also reports its
//! phase (opening, idle, appending, acking, closing, rebuilding) in a small file the parent polls,
//! so kills can be aimed at each phase and counted by where they landed.
//!
//! ```text
//! cargo test --test crash                      # 200 cycles (or IGL_CRASH_CYCLES)
//! cargo test --test crash -- --cycles 1000     # the long local run
//! cargo test --test crash -- --seed 42         # replay a run (the seed is printed)
//! ```
//!
//! The last line is libtest's `test result: ...`, which CI counts.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use igl_ledger::testkit::Genesis;
use igl_ledger::{Ledger, LedgerError, keys};
use igl_schema::{
    CourseId, Date, Event, EventId, KeyEnrolled, LedgerId, OrgId, PersonEnrolled, PersonId, Pii,
    Role, Salt, SigningKey, Submission, Timestamp, TrainingCompleted, public_key,
};

const DEFAULT_CYCLES: u64 = 200;
/// Start a fresh ledger once the current one holds this many entries (keeps each verify short).
const MAX_ENTRIES: u64 = 150;

// Phases the child reports (slot 0: the process; slots 1..: its appender threads).
const P_NONE: u64 = 0;
const P_OPENING: u64 = 1;
const P_IDLE: u64 = 2;
const P_APPENDING: u64 = 3;
const P_ACKING: u64 = 4;
const P_CLOSING: u64 = 5;
const P_CLOSED: u64 = 6;
const P_REBUILDING: u64 = 7;
const SLOTS: usize = 8;
const MAX_THREADS: usize = 4;

/// A small deterministic RNG (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn key(label: &str) -> SigningKey {
    SigningKey::from_bytes(blake3::hash(label.as_bytes()).as_bytes())
}

fn admin_key() -> SigningKey {
    key("igl crash harness admin")
}

fn ig_key() -> SigningKey {
    key("igl crash harness ig officer")
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

fn date(s: &str) -> Date {
    Date::parse(s).expect("date")
}

fn random<const N: usize>() -> [u8; N] {
    keys::random_bytes().expect("random bytes")
}

/// The files of one ledger under test.
struct Files {
    ledger: PathBuf,
    acks: PathBuf,
    phase: PathBuf,
    stderr: PathBuf,
}

impl Files {
    fn new(dir: &Path) -> Files {
        Files {
            ledger: dir.join("ledger"),
            acks: dir.join("acks"),
            phase: dir.join("phase"),
            stderr: dir.join("child.stderr"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The child.

/// Writes phases into fixed slots of the phase file (plain writes, no fsync: the parent reads
/// them from the page cache, which a SIGKILL does not lose).
struct Phase(File);

impl Phase {
    fn set(&self, slot: usize, phase: u64, count: u64) {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&phase.to_le_bytes());
        b[8..].copy_from_slice(&count.to_le_bytes());
        self.0
            .write_all_at(&b, (slot * 16) as u64)
            .expect("write the phase file");
    }
}

/// One batch of `n` signed events: training records, and people enrolled with personal data.
fn batch(rng: &mut Rng, lid: LedgerId, ig: &SigningKey, n: u64) -> Vec<Submission> {
    (0..n)
        .map(|_| {
            let person = PersonId::new(format!("P{}", rng.range(100, 999))).expect("person id");
            let (event, salt) = if rng.chance(30) {
                let e = Event::PersonEnrolled(PersonEnrolled {
                    person,
                    name: Pii::new(format!("Person {}", rng.below(10_000))),
                    job_title: Pii::new("Social Worker"),
                    business_unit: "Adult Social Care".into(),
                    organisation: OrgId::new("council").expect("org id"),
                    line_manager: None,
                });
                (e, Salt(random()))
            } else {
                let e = Event::TrainingCompleted(TrainingCompleted {
                    person,
                    course: CourseId::new("protecting-information").expect("course id"),
                    completed_on: date("2025-05-01"),
                    expires_on: Some(date("2026-05-01")),
                });
                (e, Salt([0; 32]))
            };
            Submission::sign(
                lid,
                event,
                ts("2025-06-01T09:00:00Z"),
                EventId(random()),
                [],
                ig,
                salt,
            )
            .expect("sign an event")
        })
        .collect()
}

/// The ack line of an append the ledger acknowledged: `first last head_hash id,id,...`.
fn ack_line(r: &igl_ledger::AppendReceipt, subs: &[Submission]) -> String {
    let ids: Vec<String> = subs
        .iter()
        .map(|s| hex::encode(s.event.body.event_id.0))
        .collect();
    format!(
        "{} {} {} {}\n",
        r.first_seq,
        r.last_seq,
        r.head_hash.to_hex(),
        ids.join(",")
    )
}

/// `IGL_CRASH_CHILD=append:THREADS:BATCHES:SEED` (BATCHES 0: until killed) or `rebuild`.
fn child(dir: &Path, spec: &str) -> ExitCode {
    let f = Files::new(dir);
    let phase = Phase(
        OpenOptions::new()
            .write(true)
            .open(&f.phase)
            .expect("open the phase file"),
    );
    let parts: Vec<&str> = spec.split(':').collect();
    phase.set(0, P_OPENING, 0);
    if parts[0] == "rebuild" {
        let mut ledger = Ledger::open_for_rebuild(&f.ledger).expect("open for rebuild");
        phase.set(0, P_REBUILDING, 0);
        ledger.rebuild(|_| {}).expect("rebuild");
        phase.set(0, P_CLOSING, 0);
        drop(ledger);
        phase.set(0, P_CLOSED, 0);
        return ExitCode::SUCCESS;
    }
    let threads: usize = parts[1].parse().expect("threads");
    let batches: u64 = parts[2].parse().expect("batches");
    let seed: u64 = parts[3].parse().expect("seed");
    let ledger = Ledger::open(&f.ledger).expect("open the ledger");
    phase.set(0, P_IDLE, 0);
    let acks = Mutex::new(
        OpenOptions::new()
            .append(true)
            .open(&f.acks)
            .expect("open the ack file"),
    );
    let ig = ig_key();
    let lid = ledger.ledger_id().expect("the ledger id");
    std::thread::scope(|s| {
        for t in 0..threads {
            let (ledger, acks, phase, ig) = (&ledger, &acks, &phase, &ig);
            s.spawn(move || {
                let mut rng = Rng(seed ^ (t as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
                let mut done = 0u64;
                while batches == 0 || done < batches {
                    let n = if rng.chance(10) {
                        rng.range(20, 50)
                    } else {
                        rng.range(1, 6)
                    };
                    let subs = batch(&mut rng, lid, ig, n);
                    phase.set(t + 1, P_APPENDING, done);
                    let r = ledger
                        .append(&subs, ig, Timestamp::now())
                        .unwrap_or_else(|e| panic!("append: {e}"));
                    phase.set(t + 1, P_ACKING, done);
                    {
                        let mut a = acks.lock().expect("ack file lock");
                        a.write_all(ack_line(&r, &subs).as_bytes())
                            .expect("write the ack file");
                        a.sync_data().expect("fsync the ack file");
                    }
                    done += 1;
                    phase.set(t + 1, P_IDLE, done);
                }
            });
        }
    });
    phase.set(0, P_CLOSING, 0);
    drop(ledger);
    phase.set(0, P_CLOSED, 0);
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------------------------
// The parent.

/// Creates a ledger: genesis, then the IG officer's key, who appends everything else.
fn create(path: &Path) {
    let admin = admin_key();
    let lid = LedgerId(random());
    let genesis = Genesis::new(lid, ts("2025-01-01T09:00:00Z"))
        .council("council", "Crash Test Council")
        .event_id(EventId(random()))
        .sign(&admin);
    let (ledger, _) =
        Ledger::create(path, &genesis, &admin, Timestamp::now()).expect("create the ledger");
    let enrol = Submission::sign(
        lid,
        Event::KeyEnrolled(KeyEnrolled {
            key: public_key(&ig_key()),
            person: PersonId::new("P2").expect("person id"),
            role: Role::IgOfficer,
            reason: None,
        }),
        ts("2025-01-01T09:00:00Z"),
        EventId(random()),
        [],
        &admin,
        Salt([0; 32]),
    )
    .expect("sign the enrolment");
    ledger
        .append(&[enrol], &admin, Timestamp::now())
        .expect("enrol the IG officer");
}

/// What a cycle asks of the child, and when it is killed.
#[derive(Clone, Copy, Debug)]
enum Plan {
    /// Kill this long after the spawn (aimed at the open).
    Open(Duration),
    /// Kill once this many batches were acknowledged (summed over threads), plus a little.
    Append(u64, Duration),
    /// The child appends a few batches per thread then closes; kill this long after it starts
    /// closing.
    Close(Duration),
    /// The child rebuilds the derived data; kill this long after the spawn.
    Rebuild(Duration),
}

/// Where a kill landed, from the phase file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Landed {
    BeforeOpen,
    Opening,
    MidAppend,
    Acking,
    Idle,
    Closing,
    Rebuilding,
    /// The child had finished (exited 0) before the kill.
    Exited,
}

const LANDED: [(Landed, &str); 8] = [
    (Landed::BeforeOpen, "before the open"),
    (Landed::Opening, "during the open"),
    (Landed::MidAppend, "mid-append"),
    (Landed::Acking, "writing an ack"),
    (Landed::Idle, "between appends"),
    (Landed::Closing, "during the close/flush"),
    (Landed::Rebuilding, "during a rebuild"),
    (Landed::Exited, "after a clean exit"),
];

fn read_phase(file: &File) -> [(u64, u64); SLOTS] {
    let mut out = [(P_NONE, 0); SLOTS];
    let mut b = [0u8; SLOTS * 16];
    if file.read_exact_at(&mut b, 0).is_ok() {
        for (o, c) in out.iter_mut().zip(b.chunks_exact(16)) {
            *o = (
                u64::from_le_bytes(c[..8].try_into().unwrap()),
                u64::from_le_bytes(c[8..].try_into().unwrap()),
            );
        }
    }
    out
}

fn landed(p: &[(u64, u64); SLOTS]) -> Landed {
    match p[0].0 {
        P_NONE => Landed::BeforeOpen,
        P_OPENING => Landed::Opening,
        P_REBUILDING => Landed::Rebuilding,
        P_CLOSING => Landed::Closing,
        P_CLOSED => Landed::Closing,
        _ => {
            let threads = &p[1..];
            if threads.iter().any(|t| t.0 == P_APPENDING) {
                Landed::MidAppend
            } else if threads.iter().any(|t| t.0 == P_ACKING) {
                Landed::Acking
            } else {
                Landed::Idle
            }
        }
    }
}

/// Running means of how long phases take, so kill delays can be aimed at them.
struct Timing {
    open: Duration,
    close: Duration,
    rebuild: Duration,
}

fn ema(old: Duration, new: Duration) -> Duration {
    (old * 3 + new) / 4
}

fn jitter(rng: &mut Rng, upto: Duration) -> Duration {
    Duration::from_micros(rng.below(upto.as_micros().max(1) as u64 + 1))
}

fn spawn_child(dir: &Path, spec: &str) -> Child {
    let f = Files::new(dir);
    File::create(&f.phase)
        .and_then(|p| p.set_len((SLOTS * 16) as u64))
        .expect("reset the phase file");
    let stderr = File::create(&f.stderr).expect("create the child's stderr file");
    Command::new(std::env::current_exe().expect("current exe"))
        .env("IGL_CRASH_CHILD", spec)
        .env("IGL_CRASH_DIR", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("spawn the child")
}

/// Runs one cycle's child to its kill (or its end). Returns where the kill landed.
fn run_child(dir: &Path, spec: &str, plan: Plan, timing: &mut Timing) -> Result<Landed, String> {
    let f = Files::new(dir);
    let start = Instant::now();
    let mut child = spawn_child(dir, spec);
    let phase = match File::open(&f.phase) {
        Ok(p) => p,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("opening the phase file: {e}"));
        }
    };
    let mut opened_at: Option<Instant> = None;
    let mut closing_at: Option<Instant> = None;
    let mut kill_at: Option<Instant> = match plan {
        Plan::Open(d) | Plan::Rebuild(d) => Some(start + d),
        _ => None,
    };
    let status = loop {
        let now = Instant::now();
        if let Some(k) = kill_at
            && now >= k
        {
            // SIGKILL.
            child.kill().map_err(|e| format!("kill: {e}"))?;
            let p = read_phase(&phase);
            let status = child.wait().map_err(|e| format!("wait: {e}"))?;
            if status.signal() != Some(9) {
                // It ended by itself just before the signal: success, or a failure to report.
                break status;
            }
            return Ok(landed(&p));
        }
        if let Some(status) = child.try_wait().map_err(|e| format!("wait: {e}"))? {
            break status;
        }
        let p = read_phase(&phase);
        if opened_at.is_none() && p[0].0 >= P_IDLE {
            opened_at = Some(now);
            if p[0].0 != P_REBUILDING {
                timing.open = ema(timing.open, now - start);
            }
        }
        match plan {
            Plan::Append(n, extra) if kill_at.is_none() => {
                let acked: u64 = p[1..].iter().map(|t| t.1).sum();
                if opened_at.is_some() && acked >= n {
                    kill_at = Some(now + extra);
                }
            }
            Plan::Close(d) if closing_at.is_none() && p[0].0 >= P_CLOSING => {
                closing_at = Some(now);
                kill_at = Some(now + d);
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_micros(400));
    };
    if !status.success() {
        let err = std::fs::read_to_string(&f.stderr).unwrap_or_default();
        return Err(format!("the child failed on its own ({status}):\n{err}"));
    }
    let end = Instant::now();
    if let Some(c) = closing_at {
        timing.close = ema(timing.close, end - c);
    }
    if matches!(plan, Plan::Rebuild(_)) {
        timing.rebuild = ema(timing.rebuild, end - start);
    }
    Ok(Landed::Exited)
}

/// One acknowledged append, read back from the ack file.
struct Ack {
    first: u64,
    last: u64,
    head: String,
    ids: Vec<String>,
}

/// Reads the ack file; a torn last line (the child was killed while writing it) is cut off, so
/// the next child appends after a whole line. Returns the acks and whether a line was torn.
fn read_acks(path: &Path) -> Result<(Vec<Ack>, bool), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading acks: {e}"))?;
    let whole = text.rfind('\n').map_or(0, |i| i + 1);
    let torn = whole < text.len();
    if torn {
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(whole as u64))
            .map_err(|e| format!("cutting the torn ack: {e}"))?;
    }
    let mut acks = Vec::new();
    for line in text[..whole].lines() {
        let mut it = line.split(' ');
        let bad = || format!("bad ack line {line:?}");
        let first = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let last = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let head = it.next().ok_or_else(bad)?.to_string();
        let ids: Vec<String> = it
            .next()
            .ok_or_else(bad)?
            .split(',')
            .map(String::from)
            .collect();
        if ids.len() as u64 != last - first + 1 {
            return Err(bad());
        }
        acks.push(Ack {
            first,
            last,
            head,
            ids,
        });
    }
    Ok((acks, torn))
}

/// After a kill: the ledger opens (read-only or read-write), verifies in full, and holds every
/// acknowledged entry with its acknowledged hash and event ids. Returns the head seq and how
/// many entries were durable but unacknowledged (written, then killed before the ack).
fn check(dir: &Path, read_write: bool, after_rebuild: bool) -> Result<(u64, u64), String> {
    let f = Files::new(dir);
    let (acks, _) = read_acks(&f.acks)?;
    let open = |rw: bool| {
        if rw {
            Ledger::open(&f.ledger)
        } else {
            Ledger::open_read_only(&f.ledger)
        }
    };
    let ledger = match open(read_write) {
        Ok(l) => l,
        // A rebuild killed half-way leaves a ledger that says it must be rebuilt; it is.
        Err(LedgerError::NeedsRebuild { .. }) if after_rebuild => {
            let mut l = Ledger::open_for_rebuild(&f.ledger)
                .map_err(|e| format!("opening to finish the rebuild: {e}"))?;
            l.rebuild(|_| {})
                .map_err(|e| format!("finishing the rebuild: {e}"))?;
            drop(l);
            open(read_write).map_err(|e| format!("opening after the rebuild: {e}"))?
        }
        Err(e) => return Err(format!("the ledger does not open after the kill: {e}")),
    };
    let report = ledger
        .verify(&mut |_| {})
        .map_err(|e| format!("verify: {e}"))?;
    if let Some(fl) = &report.failure {
        return Err(format!("verify failed at seq {}: {}", fl.seq, fl.message));
    }
    let head = report.head.ok_or("the ledger has no head")?;
    for a in &acks {
        if a.last > head.seq {
            return Err(format!(
                "acknowledged entries {}..={} are missing: the head is at seq {}",
                a.first, a.last, head.seq
            ));
        }
        for (i, id) in a.ids.iter().enumerate() {
            let seq = a.first + i as u64;
            let e = ledger
                .entry(seq)
                .map_err(|e| format!("reading seq {seq}: {e}"))?
                .ok_or_else(|| format!("acknowledged entry {seq} is missing"))?;
            let got = hex::encode(e.entry.event.body.event_id.0);
            if got != *id {
                return Err(format!(
                    "seq {seq}: holds event {got}, but the ack says {id}"
                ));
            }
            if seq == a.last && e.hash.to_hex() != a.head {
                return Err(format!(
                    "seq {seq}: hash {} differs from the acknowledged head {}",
                    e.hash.to_hex(),
                    a.head
                ));
            }
        }
    }
    drop(ledger);
    // Acks never overlap; every other entry was in flight when a child died (written, but
    // killed before its ack).
    let mut ranges: Vec<(u64, u64)> = acks.iter().map(|a| (a.first, a.last)).collect();
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        if w[1].0 <= w[0].1 {
            return Err(format!(
                "two acknowledged appends overlap: {}..={} and {}..={}",
                w[0].0, w[0].1, w[1].0, w[1].1
            ));
        }
    }
    let acked: u64 = ranges.iter().map(|(a, b)| b - a + 1).sum();
    let unacked = (head.seq + 1 - 2)
        .checked_sub(acked)
        .ok_or("more entries acknowledged than stored")?;
    Ok((head.seq, unacked))
}

struct Args {
    cycles: u64,
    seed: u64,
    list: bool,
    filtered_out: bool,
}

fn args() -> Result<Args, String> {
    let mut cycles = match std::env::var("IGL_CRASH_CYCLES") {
        Ok(s) => s
            .parse()
            .map_err(|_| format!("IGL_CRASH_CYCLES={s:?} is not a number"))?,
        Err(_) => DEFAULT_CYCLES,
    };
    let mut seed = match std::env::var("IGL_CRASH_SEED") {
        Ok(s) => Some(
            s.parse()
                .map_err(|_| format!("IGL_CRASH_SEED={s:?} is not a number"))?,
        ),
        Err(_) => None,
    };
    let mut list = false;
    let mut filtered_out = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or_else(|| format!("{name} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{name} {v:?} is not a number"))
        };
        match a.as_str() {
            "--cycles" => cycles = value("--cycles")?,
            "--seed" => seed = Some(value("--seed")?),
            "--list" => list = true,
            // libtest options cargo may pass on; they mean nothing here.
            "--nocapture" | "--quiet" | "-q" | "--include-ignored" | "--exact" => {}
            "--ignored" => filtered_out = true,
            s if s.starts_with("--test-threads")
                || s.starts_with("--format")
                || s.starts_with("--color") => {}
            s if s.starts_with('-') => {
                return Err(format!(
                    "unknown option {s}; use --cycles N, --seed S (or IGL_CRASH_CYCLES, IGL_CRASH_SEED)"
                ));
            }
            // A test-name filter: this binary's one test is `crash`.
            filter => filtered_out |= !"crash".contains(filter),
        }
    }
    let seed = seed.unwrap_or_else(|| u64::from_le_bytes(random()));
    Ok(Args {
        cycles,
        seed,
        list,
        filtered_out,
    })
}

fn main() -> ExitCode {
    if let (Ok(spec), Ok(dir)) = (
        std::env::var("IGL_CRASH_CHILD"),
        std::env::var("IGL_CRASH_DIR"),
    ) {
        return child(Path::new(&dir), &spec);
    }
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("crash: {e}");
            return ExitCode::from(2);
        }
    };
    if a.list {
        println!("crash: test");
        return ExitCode::SUCCESS;
    }
    if a.filtered_out {
        println!("\nrunning 0 tests\n");
        println!("test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out");
        return ExitCode::SUCCESS;
    }
    println!("\nrunning 1 test");
    println!(
        "crash: {} cycles, seed {} (replay with `cargo test --test crash -- --cycles {} --seed {}`)",
        a.cycles, a.seed, a.cycles, a.seed
    );
    match run(a.cycles, a.seed) {
        Ok(()) => {
            println!("test crash ... ok\n");
            println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("test crash ... FAILED\n");
            println!("crash: seed {}: {e}", a.seed);
            println!(
                "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
            );
            ExitCode::from(101)
        }
    }
}

fn run(cycles: u64, seed: u64) -> Result<(), String> {
    let started = Instant::now();
    let mut rng = Rng(seed);
    let tmp = tempfile::Builder::new()
        .prefix("igl-crash-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;
    let mut generation = 0u32;
    let mut dir = PathBuf::new();
    let mut fresh = true;
    let mut timing = Timing {
        open: Duration::from_millis(20),
        close: Duration::from_millis(5),
        rebuild: Duration::from_millis(40),
    };
    let mut counts = std::collections::BTreeMap::<Landed, u64>::new();
    let (mut threaded, mut rebuilds, mut torn_acks) = (0u64, 0u64, 0u64);
    // Entries durable but never acknowledged (written, then killed before the ack), per ledger.
    let (mut unacked_done, mut unacked) = (0u64, 0u64);
    let (mut entries_done, mut last_head) = (0u64, 0u64);
    for cycle in 0..cycles {
        if fresh {
            unacked_done += unacked;
            generation += 1;
            dir = tmp.path().join(format!("g{generation}"));
            std::fs::create_dir_all(&dir).map_err(|e| format!("{e}"))?;
            let f = Files::new(&dir);
            create(&f.ledger);
            File::create(&f.acks).map_err(|e| format!("{e}"))?;
            fresh = false;
        }
        let threads = if rng.chance(50) {
            1
        } else {
            rng.range(2, MAX_THREADS as u64)
        };
        let roll = rng.below(100);
        let (spec, plan) = if roll < 6 {
            rebuilds += 1;
            let d = jitter(&mut rng, timing.open + timing.rebuild * 5 / 4);
            ("rebuild".to_string(), Plan::Rebuild(d))
        } else {
            let (batches, plan) = if roll < 26 {
                (0, Plan::Open(jitter(&mut rng, timing.open * 11 / 10)))
            } else if roll < 80 {
                let n = rng.below(6);
                (
                    0,
                    Plan::Append(n, jitter(&mut rng, Duration::from_millis(3))),
                )
            } else {
                let b = rng.range(1, 4);
                (b, Plan::Close(jitter(&mut rng, timing.close * 11 / 10)))
            };
            if threads > 1 {
                threaded += 1;
            }
            (format!("append:{threads}:{batches}:{}", rng.next()), plan)
        };
        let where_ = run_child(&dir, &spec, plan, &mut timing)
            .map_err(|e| format!("cycle {cycle} ({spec}, {plan:?}): {e}"))?;
        *counts.entry(where_).or_default() += 1;
        let f = Files::new(&dir);
        let (_, torn) = read_acks(&f.acks).map_err(|e| format!("cycle {cycle}: {e}"))?;
        torn_acks += u64::from(torn);
        let (head, now_unacked) = check(&dir, cycle % 5 == 4, spec == "rebuild")
            .map_err(|e| format!("cycle {cycle} ({spec}, {plan:?}, killed {where_:?}): {e}"))?;
        unacked = now_unacked;
        last_head = head;
        if head >= MAX_ENTRIES {
            entries_done += head + 1;
            fresh = true;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let unacked = unacked_done + unacked;
    let landed: Vec<String> = LANDED
        .iter()
        .filter_map(|(l, name)| counts.get(l).map(|n| format!("{n} {name}")))
        .collect();
    println!(
        "crash: {cycles} cycles in {secs:.1} s ({threaded} with 2-{MAX_THREADS} appender threads, {rebuilds} rebuilds, {generation} ledgers); kills: {}; {torn_acks} torn ack lines; every acknowledged entry present and every ledger verified; {unacked} entries durable but unacknowledged (killed between the write and the ack); ~{} entries appended",
        landed.join(", "),
        entries_done + if fresh { 0 } else { last_head + 1 }
    );
    Ok(())
}
