//! Where `igl verify`'s time goes on a ledger: the record alone (entries, payloads, seals,
//! signatures, chain rules) against the full verification (plus the stored Merkle tree, the
//! indexes and the history projection recomputed from the entries).
//!
//! ```sh
//! cargo run --release --example verify_phases -- demo-ledger
//! ```

use std::time::Instant;

use igl_ledger::Ledger;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: verify_phases LEDGER_DIR");
        std::process::exit(2);
    };
    let t = Instant::now();
    let ledger = Ledger::open_read_only(dir.as_ref())?;
    let open = t.elapsed();
    let t = Instant::now();
    let record = ledger.verify_record(&mut |_| {})?;
    let record_time = t.elapsed();
    let t = Instant::now();
    let full = ledger.verify(&mut |_| {})?;
    let full_time = t.elapsed();
    let n = full.entries.max(1) as f64;
    println!("open                      {:>9.3} s", open.as_secs_f64());
    println!(
        "verify the record         {:>9.3} s  ({:.0} entries/s){}",
        record_time.as_secs_f64(),
        n / record_time.as_secs_f64(),
        if record.ok() { "" } else { "  ✘ failed" }
    );
    println!(
        "verify with derived data  {:>9.3} s  ({:.0} entries/s){}",
        full_time.as_secs_f64(),
        n / full_time.as_secs_f64(),
        if full.ok() { "" } else { "  ✘ failed" }
    );
    Ok(())
}
