//! Link settings for the `igl` binary only (no dependency is rebuilt for them).
//!
//! Release builds keep line tables for igl's own crates (`[profile.release]` in Cargo.toml), so
//! a panic's backtrace names igl's functions, files and lines; the rest of their debug info is
//! split into `igl.dwp` beside the binary. Here the debug sections left in the binary are
//! compressed (zlib, which the standard library's backtrace reads) when it is linked.
//! docs/PERFORMANCE.md, "The binary", has the sizes.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if release && linux {
        println!("cargo::rustc-link-arg-bins=-Wl,--compress-debug-sections=zlib");
    }
}
