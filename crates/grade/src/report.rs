//! Reports: the text a person reads (a summary table, then each failure in full), JSON for
//! tools, and Gradescope's `results.json` (the autograder specification's `tests` array: a
//! `name`, `score`, `max_score`, `status` and `output` per case, the total in `score`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::outcome::{CaseResult, Verdict};

/// The one-word verdict of a case.
pub fn verdict_word(r: &CaseResult) -> &'static str {
    match &r.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail { .. } => "FAIL",
        Verdict::Invalid { .. } => "invalid",
        Verdict::Error { .. } => "ERROR",
    }
}

/// One line saying what went wrong, or `""` for a pass.
pub fn headline(r: &CaseResult) -> String {
    match &r.verdict {
        Verdict::Pass => String::new(),
        Verdict::Fail { outcome, divergence, crash, .. } => {
            let mut s = match divergence {
                Some(d) => format!("line {}: {}: output line {} differs", d.line, d.script, d.output_line),
                None => "output complete".to_string(),
            };
            if let Some(c) = crash {
                let _ = write!(s, "; {}", c.what);
            } else if !matches!(outcome, crate::Outcome::Exited { code: 0 }) {
                let _ = write!(s, "; {outcome}");
            }
            s
        }
        Verdict::Invalid { line, reason } => format!("line {line} is outside the framework's definition: {reason}"),
        Verdict::Error { reason } => reason.clone(),
    }
}

/// The summary table: one row per case, then the total.
pub fn table(results: &[CaseResult]) -> String {
    let width = results.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let mut s = format!("{:<width$}  {:<7}  detail\n", "case", "verdict");
    for r in results {
        let _ = writeln!(s, "{:<width$}  {:<7}  {}", r.name, verdict_word(r), headline(r));
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let _ = writeln!(s, "{passed}/{} cases pass", results.len());
    s
}

/// Everything about one case that did not pass: the difference, the reasons, the page table,
/// the crash. Empty for a pass.
pub fn details(r: &CaseResult) -> String {
    let mut s = String::new();
    match &r.verdict {
        Verdict::Pass => {}
        Verdict::Invalid { .. } | Verdict::Error { .. } => {
            let _ = writeln!(s, "{}: {}", r.name, headline(r));
        }
        Verdict::Fail { outcome, divergence, explanation, crash, stderr_tail } => {
            let _ = writeln!(s, "{}: {}", r.name, headline(r));
            if let Some(d) = divergence {
                let _ = writeln!(s, "  first difference at script line {}: {}", d.line, d.script);
                let _ = writeln!(s, "    expected: {}", d.expected.as_deref().unwrap_or("(no more output)"));
                let _ = writeln!(s, "    received: {}", d.received.as_deref().unwrap_or("(no more output)"));
            }
            if let Some(e) = explanation {
                let _ = writeln!(s, "  why the reference prints that:");
                for w in &e.why {
                    let _ = writeln!(s, "    - {w}");
                }
                if let Some(pid) = e.pid {
                    let _ = writeln!(s, "  page table of pid {pid} before line {}:", e.line);
                    for l in &e.page_table {
                        let _ = writeln!(s, "    {l}");
                    }
                }
                if let Some(tlb) = &e.tlb {
                    let empty = if tlb.is_empty() { " empty" } else { "" };
                    let _ = writeln!(s, "  TLB before line {}:{empty}", e.line);
                    for l in tlb {
                        let _ = writeln!(s, "    {l}");
                    }
                }
            }
            if let Some(c) = crash {
                let last = c.last_complete.map_or("no line's output was complete".to_string(), |l| {
                    format!("the last complete output was line {l}'s")
                });
                let (a, b) = c.between;
                let place = if a == b { format!("line {b}") } else { format!("lines {a}..{b}") };
                let _ = writeln!(s, "  the program {}; {last}; it stopped in {place} (line {b}: {})", c.what, c.script);
            } else if !matches!(outcome, crate::Outcome::Exited { .. }) {
                let _ = writeln!(s, "  the program {outcome}");
            }
            if let Some(t) = stderr_tail {
                let _ = writeln!(s, "  its other output ended with:");
                for l in t.lines() {
                    let _ = writeln!(s, "    {l}");
                }
            }
        }
    }
    s
}

/// The whole human report: the table, then details of every case that did not pass.
pub fn text(results: &[CaseResult]) -> String {
    let mut s = table(results);
    for r in results.iter().filter(|r| !r.passed()) {
        s.push('\n');
        s.push_str(&details(r));
    }
    s
}

/// Every result as JSON, with a summary.
///
/// # Errors
/// Only if serialisation fails (it does not for these types).
pub fn json(results: &[CaseResult]) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Json<'a> {
        passed: usize,
        total: usize,
        cases: &'a [CaseResult],
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    serde_json::to_string_pretty(&Json { passed, total: results.len(), cases: results })
}

/// Gradescope's `results.json`: `points` per case, all or nothing.
///
/// # Errors
/// Only if serialisation fails.
pub fn gradescope(results: &[CaseResult], points: f64) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Test {
        name: String,
        score: f64,
        max_score: f64,
        status: &'static str,
        output: String,
    }
    #[derive(Serialize)]
    struct Results {
        score: f64,
        output: String,
        tests: Vec<Test>,
    }
    let tests: Vec<Test> = results
        .iter()
        .map(|r| Test {
            name: r.name.clone(),
            score: if r.passed() { points } else { 0.0 },
            max_score: points,
            status: if r.passed() { "passed" } else { "failed" },
            output: details(r),
        })
        .collect();
    let score = tests.iter().map(|t| t.score).sum();
    let passed = results.iter().filter(|r| r.passed()).count();
    let output = format!("{passed}/{} cases produce the reference's output byte for byte", results.len());
    serde_json::to_string_pretty(&Results { score, output, tests })
}
