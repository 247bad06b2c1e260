//! The reference simulator as grading sees it: a fresh machine that runs one script line at a
//! time and says what it printed, with the machine open for inspection between lines.
//!
//! The shell that runs the command languages lives in the `cli` crate, above this one; it
//! implements [`Reference`], so this crate depends only on the kernel (layers point down).

use std::io;

use kernel::Kernel;
use serde::Serialize;

use crate::GradeError;

/// Which course's command language a case is written in, and so which output is graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    /// The Ajou 2021 framework: a program `./vm SCRIPT`, graded on standard error.
    Ajou,
    /// MTL458: seven C functions, replayed by the harness; graded on the transcript it prints
    /// (standard output), kill lines compared up to `killed` (see [`crate::mtl458`]).
    Mtl458,
}

/// What the reference printed for one line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineOutput {
    /// The graded stream: standard error for `ajou`, standard output for `mtl458`.
    pub graded: Vec<u8>,
    /// The other stream (notes, `Unknown command`, error lines). Never graded.
    pub other: Vec<u8>,
    /// The line ended the run (`exit`, or an `ajou` error that ends the framework's run).
    pub stop: bool,
    /// The reference refused the line: the script is outside what the course's framework
    /// defines, so it cannot be graded. `other` says why.
    pub rejected: bool,
}

/// One running reference machine.
pub trait Session {
    /// Runs one script line (its bytes, newline included if it had one). `line_no` is 1-based.
    ///
    /// # Errors
    /// Only I/O errors of the reference's own output buffers.
    fn execute(&mut self, line: &[u8], line_no: usize) -> io::Result<LineOutput>;

    /// The machine, to explain what it did.
    fn kernel(&self) -> &Kernel;
}

/// A factory of fresh reference machines.
pub trait Reference {
    /// A fresh machine for `flavour`, with the `ajou` TLB generation (`-t`) if `tlb`.
    ///
    /// # Errors
    /// If the machine cannot be built (its memory cannot be set up, or the flavour does not
    /// support `tlb`).
    fn start(&self, flavour: Flavour, tlb: bool) -> io::Result<Box<dyn Session>>;
}

/// A script the reference refuses: line `line` (1-based) is outside the course's definition.
#[derive(Debug, Clone)]
pub(crate) struct Invalid {
    pub(crate) line: usize,
    pub(crate) reason: String,
}

/// Runs `lines` on a fresh reference machine and returns each line's output, up to the line
/// that stops the run; or the first line the reference refuses.
///
/// For `mtl458` the graded output of each line is normalised as the harness prints it
/// ([`crate::mtl458::normalize_kills`]).
pub(crate) fn replay(
    reference: &dyn Reference,
    flavour: Flavour,
    tlb: bool,
    lines: &[&[u8]],
) -> Result<Result<Vec<LineOutput>, Invalid>, GradeError> {
    let mut session = reference.start(flavour, tlb).map_err(GradeError::Reference)?;
    let mut outputs = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let mut out = session.execute(line, i + 1).map_err(GradeError::Reference)?;
        if out.rejected {
            let reason = String::from_utf8_lossy(&out.other).trim_end().to_string();
            return Ok(Err(Invalid { line: i + 1, reason }));
        }
        if flavour == Flavour::Mtl458 {
            out.graded = crate::mtl458::normalize_kills(&out.graded);
        }
        let stop = out.stop;
        outputs.push(out);
        if stop {
            break;
        }
    }
    Ok(Ok(outputs))
}
