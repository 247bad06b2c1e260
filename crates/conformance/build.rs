//! Decides whether the conformance tests run or are ignored, so that a skip shows in
//! `cargo test`'s closing summary (`N ignored`) instead of passing without checking.
//!
//! They are ignored only when `../shared/conformance` is missing beside the workspace and the
//! run is not CI: under `CI=true` they run, and a missing corpus fails them.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let corpus = Path::new(&manifest).join("../../../shared/conformance");
    println!("cargo::rustc-check-cfg=cfg(corpus_missing)");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-changed=build.rs");
    // A path that does not exist makes cargo rerun this script on every build, so the tests
    // start running as soon as the corpus appears. That costs a rebuild of this small crate
    // only, which is why the tests live here and not in `cli`.
    println!("cargo::rerun-if-changed={}", corpus.display());
    if !corpus.is_dir() && !ci() {
        println!("cargo::rustc-cfg=corpus_missing");
    }
}

/// Whether this is a CI run (`CI` set to anything but empty, `0` or `false`).
fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}
