//! Benchmarks of igl's hot paths, each beside the limit it should approach on the same machine.
//!
//! ```sh
//! cargo bench --bench ledger                          # 100,000 entries
//! IGL_BENCH_ENTRIES=1000000 cargo bench --bench ledger
//! ```
//!
//! The ledger is built once per size through the real append path (signed by a system feed,
//! sealed, fsync'd) and kept in `target/tmp/bench-ledgers/N`. The groups:
//!
//! - `verify`: `Ledger::verify` of the whole ledger, against the **limit**: blake3 of the same
//!   entry bytes plus ed25519 batch verification of the same signatures, on every core; and
//!   `limit_strict`, the same with `verify_strict` one signature at a time (what igl must use).
//! - `append`: appending a batch of 1,000 events already signed by their author (a system feed)
//!   through `Ledger::append` (every signature checked, chain rules, indexes, Merkle nodes, seal,
//!   one fsync'd write), against the **limit**: `verify_strict` of the same signatures on every
//!   core, each key decompressed once, then one fsync'd RocksDB write batch of their bytes.
//! - `group_commit`: 64 batches of 10 events appended by one thread, then by 8 threads sharing
//!   one handle, whose batches share fsyncs (the fsyncs used are printed).
//! - `sar`: a subject-access lookup of a service user with about 100 entries (target < 5 ms).
//! - `proof`: an inclusion proof of an entry in the whole tree (target < 1 ms).
//! - `subject_index`: checking the proof that a service user's entries are complete (the proof
//!   alone, and their whole subject bundle; target < 50 ms at 1M entries, proof < 10 KB), and
//!   making it (reading every subject's head at the checkpoint). The proof's size is printed.
//! - `import`: `igl import access` of a 10,000-row audit export (CSV parsing, each row's stable
//!   id looked up, signing, appending in sealed batches of 5,000), against the **limit**: the
//!   same events signed and appended in the same batches with no CSV and no lookups. Peak memory
//!   at 100k and 1M rows is measured with the release binary (docs/PERFORMANCE.md, *Memory*).
//! - `audit`: the compliance audit of the demo council (`igl_ledger::demo`, built once with about
//!   N entries, as `igl demo --entries N` builds it): every other entry folded through the type
//!   index, the record accesses judged as they stream past, all 18 rules, as of its last day.
//!   There is no limit to set it against yet; its memory is measured with the release binary
//!   (docs/PERFORMANCE.md, *The demo and the commands at scale*).
//! - `tui`: the first frame of `igl tui` (opening the ledger included; target < 300 ms) and a
//!   page down (target < 16 ms), at 120×40.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use igl_ledger::Ledger;
use igl_ledger::testkit::Genesis;
use igl_schema::*;

/// Entries per service user.
/// The id of every ledger the benchmarks build (each in its own directory).
const LID: LedgerId = LedgerId([3; 16]);

const ENTRIES_PER_RECORD: u64 = 100;
const BATCH: u64 = 5_000;

fn entries() -> u64 {
    std::env::var("IGL_BENCH_ENTRIES")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn ts(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros).expect("in range")
}

const T0: i64 = 1_767_258_000_000_000; // 2026-01-01T09:00:00Z

fn event_id(i: u64) -> EventId {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&i.to_be_bytes());
    id[8] = 0xbe;
    EventId(id)
}

/// A record access by the Eclipse audit feed: person `i % 2000` opens service user
/// `i / ENTRIES_PER_RECORD`'s record (so each service user has about 100 entries).
fn access(i: u64, records: u64, feed: &SigningKey) -> Submission {
    let e = Event::RecordAccessed(RecordAccessed {
        person: PersonId::new(format!("P{:05}", 100 + i % 2_000)).unwrap(),
        system: SystemId::new("Eclipse").unwrap(),
        record: RecordId::new(format!("SU-{:06}", i % records)).unwrap(),
        purpose: Pii::new("Care review"),
        device: None,
    });
    let mut salt = [7u8; 32];
    salt[..8].copy_from_slice(&i.to_be_bytes());
    Submission::sign(LID, e, ts(T0 + i as i64), event_id(i), [], feed, Salt(salt)).unwrap()
}

/// Where a bench ledger of `n` entries is kept: `bench-ledgers/{prefix}fF-dD{suffix}/n`, one
/// directory per format and derived-data layout, so a ledger built by an older igl is never
/// reused.
fn bench_dir(prefix: &str, suffix: &str, n: u64) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bench-ledgers")
        .join(format!(
            "{prefix}f{}-d{}{suffix}",
            igl_schema::FORMAT_VERSION,
            igl_ledger::store::DERIVED_VERSION
        ))
        .join(n.to_string())
}

/// Builds (once) a ledger of `n` entries and returns its path.
fn ledger(n: u64) -> PathBuf {
    let dir = bench_dir("", "-c2", n);
    if dir.join("COMPLETE").exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("building a {n}-entry ledger in {} (once)…", dir.display());
    let admin = key(1);
    let feed = key(2);
    let genesis = Genesis::new(LID, ts(T0))
        .council("bench-council", "Bench Council")
        .admin("P00001")
        .event_id(event_id(u64::MAX))
        .sign(&admin);
    let (l, _) = Ledger::create(&dir, &genesis, &admin, ts(T0)).unwrap();
    let enrol = Submission::sign(
        LID,
        Event::KeyEnrolled(KeyEnrolled {
            key: public_key(&feed),
            person: PersonId::new("SYS-ECLIPSE").unwrap(),
            role: Role::SystemFeed,
            reason: None,
        }),
        ts(T0),
        event_id(u64::MAX - 1),
        [],
        &admin,
        Salt([0; 32]),
    )
    .unwrap();
    l.append(&[enrol], &admin, ts(T0)).unwrap();
    let records = (n / ENTRIES_PER_RECORD).max(1);
    let started = std::time::Instant::now();
    let mut i = 2;
    while i < n {
        let end = (i + BATCH).min(n);
        let subs: Vec<Submission> = (i..end).map(|j| access(j, records, &feed)).collect();
        l.append(&subs, &feed, ts(T0 + end as i64)).unwrap();
        i = end;
    }
    eprintln!("appended {n} entries in {:.0?}", started.elapsed());
    // Two checkpoints, as a council signs one before answering a request: bundles are proved
    // against the second and prove subject lists complete up to the first. Each verifies the
    // whole ledger first.
    for k in 1..=2 {
        let started = std::time::Instant::now();
        l.checkpoint(
            &admin,
            ts(T0 + n as i64 + k),
            event_id(u64::MAX - 1 - k as u64),
        )
        .unwrap();
        eprintln!(
            "checkpoint {k} (a whole verify) in {:.0?}",
            started.elapsed()
        );
    }
    drop(l);
    std::fs::write(dir.join("COMPLETE"), b"").unwrap();
    dir
}

fn verify(c: &mut Criterion) {
    let n = entries();
    let path = ledger(n);
    let l = Ledger::open_read_only(&path).unwrap();
    let total = l.head().unwrap().unwrap().seq + 1;
    // The limit's inputs, read once, and only if a limit is run (a filter that selects other
    // groups must not read a 10M-entry ledger into memory): every entry's bytes, signing
    // message, signature and key.
    let inputs = std::cell::OnceCell::new();
    let read_inputs = || {
        let mut bytes = Vec::new();
        let mut msgs = Vec::new();
        let mut sigs = Vec::new();
        let mut keys = Vec::new();
        for e in l.entries(0) {
            let e = e.unwrap();
            bytes.push(e.entry.encode());
            msgs.push(e.entry.event.body.signing_message());
            sigs.push(ed25519_dalek::Signature::from_bytes(
                &e.entry.event.signature.0,
            ));
            keys.push(
                ed25519_dalek::VerifyingKey::from_bytes(&e.entry.event.body.author.0).unwrap(),
            );
        }
        (bytes, msgs, sigs, keys)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(total));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(format!("ledger/{total}"), |b| {
        b.iter(|| {
            let r = l.verify(&mut |_| {}).unwrap();
            assert!(r.ok());
        })
    });
    g.bench_function(format!("limit/{total}"), |b| {
        let (bytes, msgs, sigs, keys) = inputs.get_or_init(&read_inputs);
        b.iter(|| {
            on_every_core(bytes.len(), threads, |lo, hi| {
                for b in &bytes[lo..hi] {
                    black_box(blake3::hash(b));
                }
                for chunk in (lo..hi).collect::<Vec<_>>().chunks(256) {
                    let (a, z) = (chunk[0], chunk[chunk.len() - 1] + 1);
                    let m: Vec<&[u8]> = msgs[a..z].iter().map(|m| m.as_slice()).collect();
                    ed25519_dalek::verify_batch(&m, &sigs[a..z], &keys[a..z]).unwrap();
                }
            })
        })
    });
    // What igl must do instead of batch verification: `verify_strict`, one signature at a time
    // (batch verification is cofactorless with random coefficients and can accept a signature
    // whose R has a small-order component that `verify_strict` rejects; see PERFORMANCE.md).
    g.bench_function(format!("limit_strict/{total}"), |b| {
        let (bytes, msgs, sigs, keys) = inputs.get_or_init(&read_inputs);
        b.iter(|| {
            on_every_core(bytes.len(), threads, |lo, hi| {
                let signed = msgs[lo..hi].iter().zip(&sigs[lo..hi]).zip(&keys[lo..hi]);
                for (b, ((m, sig), k)) in bytes[lo..hi].iter().zip(signed) {
                    black_box(blake3::hash(b));
                    k.verify_strict(m, sig).unwrap();
                }
            })
        })
    });
    g.finish();
}

/// Runs `work(lo, hi)` on `threads` threads over equal slices of `0..len`.
fn on_every_core(len: usize, threads: usize, work: impl Fn(usize, usize) + Sync) {
    let per = len.div_ceil(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (lo, hi) = ((t * per).min(len), ((t + 1) * per).min(len));
            let work = &work;
            s.spawn(move || work(lo, hi));
        }
    })
}

fn append(c: &mut Criterion) {
    const N: u64 = 1_000;
    let admin = key(1);
    let feed = key(2);
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    // A fresh small ledger: the append path's cost does not depend on the ledger's size
    // (point reads of keys and the Merkle frontier only).
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_small(dir.path(), &admin, &feed);
    let l = Ledger::open(&path).unwrap();
    // The events arrive signed (by the feed, elsewhere): signing them is setup, not timed.
    let mut next = 1_000_000u64;
    let mut signed = || {
        next += N;
        let subs: Vec<Submission> = (next..next + N).map(|j| access(j, 1_000, &feed)).collect();
        (next, subs)
    };
    g.bench_function("ledger/1000", |b| {
        b.iter_batched(
            &mut signed,
            |(first, subs)| {
                l.append(&subs, &feed, ts(T0 + first as i64 + N as i64))
                    .unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    drop(l);
    // The limit: check the same signatures as append must (`verify_strict`, on every core, each
    // key decompressed once per thread), then one fsync'd write batch of the events' bytes.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut o = rocksdb::Options::default();
    o.create_if_missing(true);
    o.set_compression_type(rocksdb::DBCompressionType::Lz4);
    let raw = rocksdb::DB::open(&o, dir.path().join("raw")).unwrap();
    let mut w = rocksdb::WriteOptions::default();
    w.set_sync(true);
    g.bench_function("limit/1000", |b| {
        b.iter_batched(
            &mut signed,
            |(first, subs)| {
                on_every_core(subs.len(), threads, |lo, hi| {
                    let mut keys = VerifyingKeys::default();
                    for s in &subs[lo..hi] {
                        s.event.verify_signature_cached(&mut keys).unwrap();
                    }
                });
                let mut wb = rocksdb::WriteBatch::default();
                for (j, s) in (first..).zip(&subs) {
                    wb.put(j.to_be_bytes(), codec::encode(&s.event));
                }
                raw.write_opt(wb, &w).unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Group commit: 64 batches of 10 events, appended one after another by one thread (one fsync
/// each) or by 8 threads through one shared handle (concurrent appenders share fsyncs).
fn group_commit(c: &mut Criterion) {
    const BATCHES: u64 = 64;
    const EVENTS: u64 = 10;
    const THREADS: u64 = 8;
    let admin = key(1);
    let feed = key(2);
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_small(dir.path(), &admin, &feed);
    let l = Ledger::open(&path).unwrap();
    let mut g = c.benchmark_group("group_commit");
    g.throughput(Throughput::Elements(BATCHES * EVENTS));
    g.sample_size(10);
    let mut next = 10_000_000u64;
    let batch = |first: u64| -> Vec<Submission> {
        (first..first + EVENTS)
            .map(|j| access(j, 1_000, &feed))
            .collect()
    };
    g.bench_function(format!("serial/{BATCHES}x{EVENTS}"), |b| {
        b.iter(|| {
            for _ in 0..BATCHES {
                let first = next;
                next += EVENTS;
                l.append(&batch(first), &feed, ts(T0 + first as i64))
                    .unwrap();
            }
        })
    });
    let syncs = l.wal_syncs();
    let mut appends = 0u64;
    g.bench_function(format!("{THREADS}_threads/{BATCHES}x{EVENTS}"), |b| {
        b.iter(|| {
            let base = next;
            next += BATCHES * EVENTS;
            appends += BATCHES;
            std::thread::scope(|s| {
                for t in 0..THREADS {
                    let (l, batch, feed) = (&l, &batch, &feed);
                    s.spawn(move || {
                        for k in 0..BATCHES / THREADS {
                            let first = base + (t * (BATCHES / THREADS) + k) * EVENTS;
                            l.append(&batch(first), feed, ts(T0 + first as i64))
                                .unwrap();
                        }
                    });
                }
            })
        })
    });
    g.finish();
    eprintln!(
        "group commit: {} fsyncs for {appends} concurrent appends",
        l.wal_syncs() - syncs
    );
}

fn ledger_small(dir: &Path, admin: &SigningKey, feed: &SigningKey) -> PathBuf {
    let path = dir.join("small");
    let genesis = Genesis::new(LID, ts(T0))
        .council("bench-council", "Bench Council")
        .admin("P00001")
        .event_id(event_id(u64::MAX))
        .sign(admin);
    let (l, _) = Ledger::create(&path, &genesis, admin, ts(T0)).unwrap();
    let enrol = Submission::sign(
        LID,
        Event::KeyEnrolled(KeyEnrolled {
            key: public_key(feed),
            person: PersonId::new("SYS-ECLIPSE").unwrap(),
            role: Role::SystemFeed,
            reason: None,
        }),
        ts(T0),
        event_id(u64::MAX - 1),
        [],
        admin,
        Salt([0; 32]),
    )
    .unwrap();
    l.append(&[enrol], admin, ts(T0)).unwrap();
    path
}

fn lookups(c: &mut Criterion) {
    let n = entries();
    let path = ledger(n);
    let l = Ledger::open_read_only(&path).unwrap();
    let size = l.head().unwrap().unwrap().seq + 1;
    let su = Subject::ServiceUser(RecordId::new(format!("SU-{:06}", 42)).unwrap());
    let held = igl_ledger::subject::sar::subject_access(&l, &su, None)
        .unwrap()
        .len();
    let mut g = c.benchmark_group("sar");
    g.bench_function(format!("subject_access/{held}_of_{size}"), |b| {
        b.iter(|| igl_ledger::subject::sar::subject_access(&l, black_box(&su), None).unwrap())
    });
    g.finish();
    let mut g = c.benchmark_group("proof");
    let seq = size / 3;
    g.bench_function(format!("inclusion/{size}"), |b| {
        b.iter(|| l.inclusion_proof(black_box(seq), size - 1).unwrap())
    });
    g.finish();

    // The subject index: the proof that a service user's ~100 entries are all of them, its
    // size, and what checking it costs (the proof alone, and the whole subject bundle with
    // every signature and inclusion proof).
    use igl_ledger::bundle::{self, Claim, Trust};
    use igl_ledger::subject_map::{self, Named};
    let cp = l.latest_checkpoint().unwrap().unwrap();
    let n_cp = cp.checkpoint.size;
    let named = Named::Subject(su.clone());
    let at = bundle::index_checkpoint(&l, n_cp).unwrap();
    let seqs = l.subject_list(&named, at).unwrap();
    let b = bundle::make(
        &l,
        &cp,
        Claim::Subject {
            subjects: vec![named.to_string()],
        },
        &seqs,
    )
    .unwrap();
    let proof = &b.subject_index[0];
    let proof_bytes = serde_json::to_string_pretty(proof).unwrap().len();
    let entry_bytes: usize = b.entries.iter().map(|e| e.entry.len() / 2).sum();
    let text = b.to_text();
    let admin_pk = public_key(&key(1));
    let id = l.ledger_id().unwrap();
    let map = {
        let e = l.entry(at).unwrap().unwrap();
        match e.entry.event.body.event {
            Event::CheckpointRecorded(c) => (c.subject_map_size, c.subject_map_root),
            _ => unreachable!("the checkpoint's entry"),
        }
    };
    let hashes: std::collections::BTreeMap<u64, igl_schema::Hash32> = seqs
        .iter()
        .map(|s| (*s, l.entry(*s).unwrap().unwrap().hash))
        .collect();
    eprintln!(
        "subject index at {n_cp} entries: {} subjects in the map; the proof for {} ({} entries) is {proof_bytes} bytes of JSON ({} sibling hashes), beside {entry_bytes} bytes of entries; the bundle is {} bytes",
        map.0,
        named,
        seqs.len(),
        proof.proof.len(),
        text.len()
    );
    let mut g = c.benchmark_group("subject_index");
    g.bench_function(format!("check/{}_of_{n_cp}", seqs.len()), |bch| {
        bch.iter(|| {
            subject_map::check(black_box(proof), &id, at, map, |s| hashes.get(&s).copied()).unwrap()
        })
    });
    g.bench_function(format!("verify_bundle/{}_of_{n_cp}", seqs.len()), |bch| {
        bch.iter(|| bundle::verify(black_box(&text), Trust::Key(&admin_pk)).unwrap())
    });
    g.sample_size(10);
    g.bench_function(format!("prove/{n_cp}"), |bch| {
        bch.iter(|| {
            let m = l.subject_map_at(at).unwrap();
            l.subject_proof(&m, &named, at).unwrap()
        })
    });
    g.finish();
}

/// Builds (once) the demo council with about `n` entries and returns its path.
fn demo_ledger(n: u64) -> PathBuf {
    let dir = bench_dir("demo-", "", n);
    if dir.join("COMPLETE").exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "building the demo council with about {n} entries in {} (once)…",
        dir.display()
    );
    let options = igl_ledger::demo::Options {
        people: 48,
        seed: 2026,
        entries: Some(n),
    };
    igl_ledger::demo::build(&dir.join("ledger"), &options, &mut |_, _| {}).unwrap();
    std::fs::write(dir.join("COMPLETE"), b"").unwrap();
    dir
}

fn audit(c: &mut Criterion) {
    let n = entries();
    let path = demo_ledger(n).join("ledger");
    let l = Ledger::open_read_only(&path).unwrap();
    let size = l.head().unwrap().unwrap().seq + 1;
    let as_of = ts_parse("2026-11-20T23:00:00Z");
    let config = igl_ledger::compliance::Config::default();
    let mut g = c.benchmark_group("audit");
    g.sample_size(10);
    g.bench_function(format!("demo/{size}"), |b| {
        b.iter(|| {
            let state = igl_ledger::compliance::load(&l, Some(as_of)).unwrap();
            igl_ledger::compliance::audit(&state, &config, None).len()
        })
    });
    g.finish();
}

fn ts_parse(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn tui(c: &mut Criterion) {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;
    let n = entries();
    let path = ledger(n);
    let area = Rect::new(0, 0, 120, 40);
    let mut g = c.benchmark_group("tui");
    g.bench_function(format!("first_frame/{n}"), |b| {
        b.iter(|| {
            let src = igl_tui::LedgerSource::open(&path).unwrap();
            let mut app = igl_tui::App::new(Box::new(src), igl_tui::Theme::no_color());
            let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
            app.prepare(area);
            term.draw(|f| app.draw(f)).unwrap();
        })
    });
    let src = igl_tui::LedgerSource::open(&path).unwrap();
    let mut app = igl_tui::App::new(Box::new(src), igl_tui::Theme::no_color());
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    app.prepare(area);
    let page = crossterm_key();
    g.bench_function(format!("page_down/{n}"), |b| {
        b.iter(|| {
            if app.cursor_seq() == Some(n - 1) {
                app.handle(home());
            }
            app.handle(page);
            app.prepare(area);
            term.draw(|f| app.draw(f)).unwrap();
        })
    });
    g.finish();
}

fn home() -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Home,
        crossterm::event::KeyModifiers::NONE,
    )
}

fn crossterm_key() -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::PageDown,
        crossterm::event::KeyModifiers::NONE,
    )
}

/// An audit export of `n` distinct rows, the `k`th run of them (each run's rows are new).
fn access_csv(n: u64, k: u64) -> Vec<u8> {
    let mut s = String::from("user,record,accessed_at,purpose,device\n");
    for i in 0..n {
        let t = ts(T0 + ((k * n + i) * 1_000_000) as i64);
        s.push_str(&format!(
            "P{:05},SU-{:06},{},Case review,PCC-LT-{}\n",
            i % 400,
            i % 20_000,
            t,
            i % 50
        ));
    }
    s.into_bytes()
}

fn import(c: &mut Criterion) {
    const N: u64 = 10_000;
    let admin = key(1);
    let feed = key(2);
    let mut g = c.benchmark_group("import");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_small(dir.path(), &admin, &feed);
    let l = Ledger::open(&path).unwrap();
    let system = SystemId::new("Eclipse").unwrap();
    let mapping = igl_ledger::import::AccessMapping::default();
    let mut run = 0u64;
    g.bench_function("access_csv/10000", |b| {
        b.iter_batched(
            || {
                run += 1;
                access_csv(N, run)
            },
            |csv| {
                let r = igl_ledger::import::import_access(
                    &l,
                    "bench.csv",
                    &csv[..],
                    &mapping,
                    &system,
                    &feed,
                    5_000,
                    false,
                    None,
                    &mut igl_ledger::import::Salts::Random,
                    |_| {},
                )
                .unwrap();
                assert_eq!(r.new as u64, N);
            },
            BatchSize::PerIteration,
        )
    });
    // The limit: the same rows already parsed, signed and appended in the same batches.
    g.bench_function("limit/10000", |b| {
        b.iter_batched(
            || {
                run += 1;
                let mut rows = Vec::new();
                igl_ledger::import::read_access(
                    "bench.csv",
                    &access_csv(N, run)[..],
                    &mapping,
                    &system,
                    LID,
                    |r| {
                        rows.push(r);
                        Ok::<(), igl_ledger::import::ImportError>(())
                    },
                )
                .unwrap();
                rows
            },
            |rows| {
                for chunk in rows.chunks(5_000) {
                    let subs: Vec<Submission> = chunk
                        .iter()
                        .map(|r| {
                            Submission::sign(
                                LID,
                                r.event.clone(),
                                r.occurred_at,
                                r.event_id,
                                [],
                                &feed,
                                Salt([7; 32]),
                            )
                            .unwrap()
                        })
                        .collect();
                    l.append(&subs, &feed, Timestamp::now()).unwrap();
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    verify,
    append,
    group_commit,
    lookups,
    import,
    audit,
    tui
);
criterion_main!(benches);
