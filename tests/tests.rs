//! Integration tests of the `igl` binary: the real executable, real RocksDB in temporary
//! directories.
//!
//! The modules live in `tests/integration/` rather than beside this file because Cargo builds
//! every `tests/*.rs` as its own test binary (unless the package sets `autotests = false`).

#[path = "integration/util.rs"]
mod util;

#[path = "integration/cli.rs"]
mod cli;

#[path = "integration/input.rs"]
mod input;

#[path = "integration/keyfiles.rs"]
mod keyfiles;

#[path = "integration/process.rs"]
mod process;

#[path = "integration/tamper.rs"]
mod tamper;

#[path = "integration/sar.rs"]
mod sar;

#[path = "integration/readme.rs"]
mod readme;

#[path = "integration/import.rs"]
mod import;

#[path = "integration/rebuild.rs"]
mod rebuild;

#[path = "integration/projection.rs"]
mod projection;

#[path = "integration/damage.rs"]
mod damage;

#[path = "integration/diskfull.rs"]
mod diskfull;

#[path = "integration/stored.rs"]
mod stored;

#[path = "integration/proof.rs"]
mod proof;

#[path = "integration/interop.rs"]
mod interop;

#[path = "integration/publish.rs"]
mod publish;

#[path = "integration/interop_tiles.rs"]
mod interop_tiles;

#[path = "integration/witness_http.rs"]
mod witness_http;

#[path = "integration/walkthrough.rs"]
mod walkthrough;

#[path = "integration/review.rs"]
mod review;

#[path = "integration/views.rs"]
mod views;

#[path = "integration/layout.rs"]
mod layout;
