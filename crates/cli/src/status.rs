//! The exit status of `vmsim`, one rule for every profile (stated in `--help`, the README and
//! `docs/usage.md`).

/// Every line was accepted. In `ajou` that is whatever the course framework runs through:
/// `Unknown command`, `Unable to access`, `is not allocated` are its ordinary output, and
/// `is already allocated` / `memory is full` end its run normally.
pub const OK: u8 = 0;

/// A line was refused or an operation failed, by the profile's rules (`ajou`: input the
/// framework crashes on; `mtl458`: an unknown command, a bad argument or an operation's error,
/// but not a kill, which is the machine's answer), or the script was stopped after
/// [`crate::REFUSED_LIMIT`] consecutive refused lines.
pub const REFUSED: u8 = 1;

/// The run could not start or could not read its script: a usage error (clap's own status
/// for one), a script that cannot be opened or read, or one that is not text without
/// `--force`.
pub const UNREADABLE: u8 = 2;

/// An output stream was closed (`vmsim s | head -1`): the run ends at once and quietly, with
/// the status of a Unix tool killed by `SIGPIPE` (128 + 13).
pub const CLOSED_PIPE: u8 = 141;

/// An output file that `replay`, `sweep` or `replace` could not write (status [`REFUSED`]): the
/// one failure of theirs that is not about their arguments or input. Every other error of those
/// subcommands is a usage error or input that cannot be read (status [`UNREADABLE`]).
#[derive(Debug)]
pub struct OutputError(pub String);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OutputError {}

/// The status of a failed `replay`, `sweep` or `replace`: [`REFUSED`] when an output could not
/// be written (an [`OutputError`], or a bare I/O error from writing standard output), else
/// [`UNREADABLE`] (a usage error, or a trace or reference string that cannot be opened or read).
#[must_use]
pub fn of_subcommand_error(e: &anyhow::Error) -> u8 {
    let output = e.chain().any(|c| c.is::<OutputError>()) || (e.chain().count() == 1 && e.is::<std::io::Error>());
    if output { REFUSED } else { UNREADABLE }
}
