//! igl-ledger: the igl ledger on RocksDB.
//!
//! [`Ledger`] appends signed events as hash-chained entries in one atomic, fsync'd write batch
//! sealed by the appender's key, reads them back, and verifies the whole chain. The chain rules
//! live in [`chain`] and are shared by append and verify. Key files are in [`keys`].

pub mod bundle;
pub mod chain;
pub mod compliance;
pub mod demo;
pub mod error;
pub mod import;
pub mod index;
pub mod keys;
pub mod merkle;
pub mod projection;
pub mod reconcile;
pub mod review;
pub mod rows;
pub mod store;
pub mod subject;
pub mod subject_map;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tiles;
pub mod time;
pub mod transparency;
pub mod verify;
pub mod view;
pub mod witness;

pub use chain::{Head, KeyRecord};
pub use error::{LedgerError, Remedy, Result};
pub use store::{AppendReceipt, Ledger, PayloadState, RebuildReport, StoredEntry};
pub use verify::{Failure, VerifyReport};
