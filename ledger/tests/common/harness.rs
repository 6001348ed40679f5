//! The compliance and projection tests' names: the library's test kit
//! (`igl_ledger::testkit`, with its [`Council`]) and what those tests use from the crates.
#![allow(unused_imports)]

pub use igl_ledger::Ledger;
pub use igl_ledger::compliance::{self, Config, Finding, State, Status, rules};
pub use igl_ledger::testkit::*;
pub use igl_schema::*;
