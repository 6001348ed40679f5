//! igl-tui tests: snapshots of every screen at 80×24 and 120×40, key handling driving the app
//! state, and the timeline reading only its visible window of a large ledger.
//!
//! All run on real ledgers (RocksDB in temp dirs) built deterministically by [`common`], so the
//! hashes, signatures and proofs in the snapshots are the same on every run.

mod common;
mod keys;
mod snapshots;
mod window;
