//! Byte-for-byte comparison: the first differing byte, its output line, and the script line
//! whose output it belongs to.

use serde::Serialize;

use crate::reference::LineOutput;
use crate::run::Outcome;
use crate::visible;

/// The first place where the student's output differs from the reference's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// The script line (1-based) whose output it is. When the student printed more than the
    /// reference, the first script line after the reference's last output.
    pub line: usize,
    /// That script line, as written.
    pub script: String,
    /// Script lines just before `line` that print nothing in the reference (first, last), where
    /// an extra line of output may come from instead.
    pub silent_before: Option<(usize, usize)>,
    /// The output line (1-based) that differs.
    pub output_line: usize,
    /// Byte offset of the first difference in the output.
    pub offset: usize,
    /// The expected output line, made visible; `None` when the reference printed nothing more.
    pub expected: Option<String>,
    /// The received output line, made visible; `None` when the student's output ended.
    pub received: Option<String>,
}

/// Where a crash or time-out happened, as far as the output shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crash {
    /// What ended the program.
    pub what: String,
    /// The last script line whose whole output the student printed correctly, if any.
    pub last_complete: Option<usize>,
    /// The script lines it died in, as far as output tells: (first, last), 1-based.
    pub between: (usize, usize),
    /// The last of those lines, as written (the line it was most likely running).
    pub script: String,
}

/// `script` cut into lines, each with its newline (the last may have none).
pub fn split_lines(script: &[u8]) -> Vec<&[u8]> {
    script.split_inclusive(|&b| b == b'\n').collect()
}

/// The output range of each script line in the concatenated output.
fn ranges(expected: &[LineOutput]) -> Vec<(usize, usize)> {
    let mut at = 0;
    expected
        .iter()
        .map(|o| {
            let r = (at, at + o.graded.len());
            at = r.1;
            r
        })
        .collect()
}

/// The output line around byte `at` of `bytes`: from the start of its line to its newline.
fn line_at(bytes: &[u8], start: usize) -> Option<&[u8]> {
    if start >= bytes.len() {
        return None;
    }
    let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| start + p + 1);
    Some(&bytes[start..end])
}

/// The first difference between the reference's output (`expected`, one entry per script line
/// that ran) and `received`, or `None` when they are equal.
pub fn first_difference(lines: &[&[u8]], expected: &[LineOutput], received: &[u8]) -> Option<Divergence> {
    let want: Vec<u8> = expected.iter().flat_map(|o| o.graded.iter().copied()).collect();
    let at = want.iter().zip(received).position(|(a, b)| a != b).unwrap_or(want.len().min(received.len()));
    if at == want.len() && at == received.len() {
        return None;
    }
    let start = want[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let output_line = want[..start].iter().filter(|&&b| b == b'\n').count() + 1;
    let ranges = ranges(expected);
    // The line whose output holds byte `at`; past the end, the line after the last output.
    let line_idx = match ranges.iter().position(|&(s, e)| s <= at && at < e) {
        Some(i) => i,
        None => {
            let last_output = ranges.iter().rposition(|&(s, e)| e > s);
            last_output.map_or(0, |i| i + 1).min(expected.len().saturating_sub(1))
        }
    };
    let first_silent = ranges[..line_idx].iter().rposition(|&(s, e)| e > s).map_or(0, |i| i + 1);
    let silent_before = (first_silent < line_idx).then_some((first_silent + 1, line_idx));
    Some(Divergence {
        line: line_idx + 1,
        script: lines.get(line_idx).map(|l| visible::script_line(l)).unwrap_or_default(),
        silent_before,
        output_line,
        offset: at,
        expected: line_at(&want, start).map(visible::show),
        received: line_at(received, start).map(visible::show),
    })
}

/// For a program that crashed, timed out or flooded: the script lines it died in.
pub fn crash_report(lines: &[&[u8]], expected: &[LineOutput], received: &[u8], outcome: &Outcome) -> Option<Crash> {
    if matches!(outcome, Outcome::Exited { .. }) {
        return None;
    }
    let ranges = ranges(expected);
    let want: Vec<u8> = expected.iter().flat_map(|o| o.graded.iter().copied()).collect();
    // Lines whose whole output was received correctly.
    let good = ranges.iter().take_while(|&&(s, e)| e <= received.len() && received[s..e] == want[s..e]).count();
    let last_complete = ranges[..good].iter().rposition(|&(s, e)| e > s).map(|i| i + 1);
    // It may have died in the last complete line itself, after printing its output.
    let first = last_complete.unwrap_or(1);
    // It died before printing the next line's output: the next line that prints something,
    // or the last line that ran.
    let next = last_complete.unwrap_or(0);
    let last = ranges.iter().enumerate().skip(next).find(|(_, (s, e))| e > s).map_or(expected.len(), |(i, _)| i + 1);
    let last = last.max(first).min(lines.len().max(1));
    Some(Crash {
        what: outcome.to_string(),
        last_complete,
        between: (first.min(last), last),
        script: lines.get(last - 1).map(|l| visible::script_line(l)).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(s: &str) -> LineOutput {
        LineOutput { graded: s.as_bytes().to_vec(), ..LineOutput::default() }
    }

    #[test]
    fn names_the_line_and_both_texts() {
        let lines: Vec<&[u8]> = vec![b"alloc 1 rw\n", b"switch 1\n", b"write 1\n"];
        let exp = [out("alloc   1 --> 0  \n"), out(""), out("  1 --> 1  \n")];
        let d = first_difference(&lines, &exp, b"alloc   1 --> 0  \n  1 --> 0  \n").unwrap();
        assert_eq!(d.line, 3);
        assert_eq!(d.script, "write 1");
        assert_eq!(d.output_line, 2);
        assert_eq!(d.silent_before, Some((2, 2)));
        assert_eq!(d.expected.as_deref(), Some("··1·-->·1··⏎"));
        assert_eq!(d.received.as_deref(), Some("··1·-->·0··⏎"));
        assert!(first_difference(&lines, &exp, b"alloc   1 --> 0  \n  1 --> 1  \n").is_none());
    }

    #[test]
    fn missing_and_extra_output() {
        let lines: Vec<&[u8]> = vec![b"alloc 1 rw\n", b"read 1\n", b"show\n"];
        let exp = [out("alloc   1 --> 0  \n"), out("  1 --> 0  \n"), out("")];
        let d = first_difference(&lines, &exp, b"alloc   1 --> 0  \n").unwrap();
        assert_eq!((d.line, d.received.as_deref()), (2, None));
        let d = first_difference(&lines, &exp, b"alloc   1 --> 0  \n  1 --> 0  \nextra\n").unwrap();
        assert_eq!((d.line, d.expected.as_deref(), d.received.as_deref()), (3, None, Some("extra⏎")));
    }

    #[test]
    fn a_crash_is_placed_between_the_last_complete_output_and_the_next() {
        let lines: Vec<&[u8]> = vec![b"alloc 1 rw\n", b"switch 1\n", b"write 1\n", b"read 1\n"];
        let exp = [out("alloc   1 --> 0  \n"), out(""), out("  1 --> 1  \n"), out("  1 --> 1  \n")];
        let sig = Outcome::Signaled { signal: 11, name: "SIGSEGV".into(), meaning: "segmentation fault".into() };
        let c = crash_report(&lines, &exp, b"alloc   1 --> 0  \n", &sig).unwrap();
        assert_eq!((c.last_complete, c.between, c.script.as_str()), (Some(1), (1, 3), "write 1"));
        assert!(crash_report(&lines, &exp, b"", &Outcome::Exited { code: 0 }).is_none());
    }
}
