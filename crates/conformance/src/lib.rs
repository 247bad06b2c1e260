//! The course's official conformance corpus (`../shared/conformance/` beside the workspace,
//! read in place, never copied) as tests of the built shell: see `tests/`.
//!
//! When the corpus is missing, the tests are `#[ignore]`d (the build script decides), so
//! `cargo test` says `N ignored` instead of reporting them as passed; under `CI=true` they run
//! and fail, because CI always has the corpus.

use std::path::PathBuf;

/// `../shared/conformance/<suite>` beside the workspace (it may not exist).
pub fn suite_dir(suite: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance").join(suite)
}
