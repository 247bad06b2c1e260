//! The library behind `cargo xtask`: one module a subcommand, so that tests can drive them too.

use std::path::{Path, PathBuf};

pub mod bench;
pub mod fuzz;
pub mod soak;
pub mod testcases;

/// The workspace root: the parent of this crate's manifest directory, wherever the command runs.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
