//! Grading: runs a student's simulator beside the reference, compares what both print byte for
//! byte, and explains the first difference from the reference machine's state at that point.
//!
//! The flow of one case ([`grade_case`]):
//! 1. the reference runs the script line by line through a [`Reference`] (the `cli` crate's
//!    shell implements it; this crate sits below `cli` and never parses the command language
//!    itself beyond the words it explains), which gives each line's graded output;
//! 2. the student's program runs on the same script in a child process with a time limit, a
//!    memory limit and a bounded capture ([`run`]), as the course ran it (`./vm SCRIPT`);
//! 3. the two outputs are compared; the first differing byte is mapped to its output line and
//!    to the script line that printed it ([`compare`]);
//! 4. the reference is replayed up to that line, and the machine's state before and after it
//!    gives the explanation and the current process's page table ([`explain`]).
//!
//! [`random`] writes random scripts that use only input whose behaviour the spec fixes;
//! [`mtl458`] builds the C harness that turns a student's seven functions into a program;
//! [`report`] renders a summary table, JSON and Gradescope's `results.json`.

pub mod compare;
pub mod explain;
pub mod mtl458;
mod outcome;
pub mod random;
pub mod reference;
pub mod report;
pub mod run;
pub mod visible;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use compare::Divergence;
pub use explain::Explanation;
pub use outcome::{Case, CaseResult, GradeError, Verdict};
pub use reference::{Flavour, LineOutput, Reference, Session};
pub use run::{Limits, Outcome, StudentRun};

/// How the student's program is run on a script file.
#[derive(Debug, Clone, Serialize)]
pub struct Student {
    /// The executable.
    pub program: PathBuf,
    /// Arguments before the script's path (`-t` for the framework's TLB generation).
    pub args: Vec<String>,
    /// The command language: which output is graded and how the reference runs.
    pub flavour: Flavour,
    /// The TLB generation of the `ajou` framework (`-t`): the reference runs with it too.
    pub tlb: bool,
}

impl Student {
    /// The student's command line for `script`: `program args... script`.
    pub fn command_line(&self, script: &Path) -> Vec<String> {
        let mut v = vec![self.program.display().to_string()];
        v.extend(self.args.iter().cloned());
        v.push(script.display().to_string());
        v
    }
}

/// Grades one case: runs the reference and the student, compares, explains.
///
/// `script_path` is the file the student reads (for a generated case, a temporary file holding
/// `case.script`).
///
/// # Errors
/// [`GradeError`] when the reference itself cannot run (I/O); a student that crashes, hangs or
/// cannot be started is a failed case, not an error.
pub fn grade_case(
    reference: &dyn Reference,
    student: &Student,
    case: &Case,
    script_path: &Path,
    limits: &Limits,
) -> Result<CaseResult, GradeError> {
    let lines = compare::split_lines(&case.script);
    if student.flavour == Flavour::Mtl458 {
        if let Some((line, word)) = mtl458::unsupported(&lines) {
            let reason =
                format!("'{word}' is not one of the calls the harness replays through the student's functions");
            return Ok(CaseResult::new(case, Verdict::Invalid { line, reason }));
        }
    }
    let expected = match reference::replay(reference, student.flavour, student.tlb, &lines)? {
        Ok(outputs) => outputs,
        Err(invalid) => {
            return Ok(CaseResult::new(case, Verdict::Invalid { line: invalid.line, reason: invalid.reason }));
        }
    };
    let run = run::run_student(student, script_path, limits);
    let run = match run {
        Ok(r) => r,
        Err(e) => return Ok(CaseResult::new(case, Verdict::Error { reason: e.to_string() })),
    };
    let received = &run.graded;
    let want: Vec<u8> = expected.iter().flat_map(|o| o.graded.iter().copied()).collect();
    let normal_exit = matches!(run.outcome, Outcome::Exited { .. });
    if want == *received && normal_exit {
        return Ok(CaseResult::new(case, Verdict::Pass));
    }
    let divergence = compare::first_difference(&lines, &expected, received);
    let explanation = match &divergence {
        Some(d) => Some(Box::new(explain::explain(reference, student.flavour, student.tlb, &lines, d)?)),
        None => None,
    };
    let crash = compare::crash_report(&lines, &expected, received, &run.outcome).map(Box::new);
    let divergence = divergence.map(Box::new);
    Ok(CaseResult::new(
        case,
        Verdict::Fail { stderr_tail: run.other_tail(), outcome: run.outcome, divergence, explanation, crash },
    ))
}
