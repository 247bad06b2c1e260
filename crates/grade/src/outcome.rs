//! A case, its result, and the errors of grading itself.

use serde::Serialize;

use crate::compare::{Crash, Divergence};
use crate::explain::Explanation;
use crate::run::Outcome;

/// One script to grade.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// Its name in reports: the file's name, or `random-SEED`.
    pub name: String,
    /// The script's bytes.
    #[serde(skip)]
    pub script: Vec<u8>,
}

/// What grading one case found.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Byte for byte the reference's output, and a normal exit.
    Pass,
    /// Different output, or a crash, time-out or runaway output.
    Fail {
        /// How the student's program ended.
        outcome: Outcome,
        /// The first difference, if the outputs differ (a crash after complete output has none).
        divergence: Option<Box<Divergence>>,
        /// Why the reference printed what it did at that line.
        explanation: Option<Box<Explanation>>,
        /// For a crash or time-out: where in the script it happened.
        crash: Option<Box<Crash>>,
        /// The last lines of the student's ungraded stream (an assertion message, say).
        stderr_tail: Option<String>,
    },
    /// The reference refuses the script: it is outside what the course defines.
    Invalid {
        /// The refused line, 1-based.
        line: usize,
        /// The reference's message.
        reason: String,
    },
    /// The student's program could not be run at all.
    Error {
        /// What went wrong.
        reason: String,
    },
}

/// One graded case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Its verdict, with the details of a failure.
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl CaseResult {
    pub(crate) fn new(case: &Case, verdict: Verdict) -> Self {
        CaseResult { name: case.name.clone(), verdict }
    }

    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        matches!(self.verdict, Verdict::Pass)
    }
}

/// Grading itself failed (not the student).
#[derive(Debug, thiserror::Error)]
pub enum GradeError {
    /// The reference machine failed to run (I/O on its own buffers, or it could not be built).
    #[error("the reference simulator failed: {0}")]
    Reference(#[source] std::io::Error),
    /// A generated script was refused by the reference: a bug in the generator.
    #[error("generated line {line} ({text:?}) was refused by the reference: {reason}")]
    Generator {
        /// The line, 1-based.
        line: usize,
        /// Its text.
        text: String,
        /// The reference's message.
        reason: String,
    },
}
