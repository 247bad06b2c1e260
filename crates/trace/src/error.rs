//! Errors of the trace readers.

use std::io;

use crate::record::Format;

/// Why one line is not a valid record: a static description, e.g. `"address is not hexadecimal"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub &'static str);

/// An error reading a trace.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The underlying reader (file, decompressor) failed. The message is in the text, and the
    /// I/O error is deliberately not the `source` too: a chain printer (anyhow's `{:#}`) would
    /// say it twice (`corrupt deflate stream: corrupt deflate stream`).
    #[error("reading the trace: {0}")]
    Io(io::Error),
    /// A line that looks like a record is not a valid one (and `skip_bad` was off).
    #[error("line {line}: {what} in `{text}` ({format} format)")]
    Malformed {
        /// 1-based line number in the (decompressed) trace.
        line: u64,
        /// The format it was read as.
        format: Format,
        /// What was wrong.
        what: &'static str,
        /// The line, lossily decoded and cut to 80 characters.
        text: String,
    },
    /// A line longer than the reader's limit: not a trace of any supported format.
    #[error("line {line} is longer than {limit} bytes: not a text trace")]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// A byte that no text trace holds (a NUL or another control character) among the first
    /// 64 KiB: the file is binary (an executable, an unknown compression), not a trace.
    #[error("line {line}: not a text trace (byte {byte:#04x} at offset {offset})")]
    NotText {
        /// 1-based line number of the byte.
        line: u64,
        /// Its offset in the (decompressed) trace, from 0.
        offset: u64,
        /// The byte.
        byte: u8,
    },
    /// The first lines match no format (or no format unambiguously).
    #[error(
        "cannot tell the trace format from its first lines (first line: `{first}`{near}); name it with --trace-format"
    )]
    UnknownFormat {
        /// The first non-blank line, cut to 80 characters.
        first: String,
        /// Empty, or which line spoiled the likeliest format (`; as rw, line 2 is malformed:
        /// ...`), so that a user sees what to fix or skip (`--skip-bad`).
        near: String,
    },
}

impl From<io::Error> for TraceError {
    fn from(e: io::Error) -> Self {
        TraceError::Io(e)
    }
}

/// A line as it appears in error messages: lossy UTF-8, at most 80 characters, control
/// characters escaped (`\u{1b}`), so that no byte of a binary file reaches a terminal raw.
pub(crate) fn excerpt(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut s = String::new();
    for c in text.chars().take(80) {
        if c.is_control() && c != '\t' {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    if text.chars().count() > 80 {
        s.push_str("...");
    }
    s
}
