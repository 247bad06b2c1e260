//! Format detection from the first lines of a trace.

use crate::hex::is_blank_or_comment;
use crate::record::{Format, Parsed};

/// Lines of the sample that detection looks at.
const SAMPLE_LINES: usize = 1000;

/// Guesses the format of a trace from `sample`, its first bytes (complete lines; a last line
/// without its `\n` is looked at too).
///
/// The rule: every format parses the first 1,000 lines; a format is a candidate when it finds
/// at least one record and no malformed line; the candidate with the most records wins, ties
/// going to the earlier of [`Format::ALL`] (so `3 w` lines, valid as both `rw` and `pages`,
/// are `rw`; a file of bare numbers is `pages`). Returns `None` when no format is a candidate.
#[must_use]
pub fn detect_format(sample: &[u8]) -> Option<Format> {
    let lines: Vec<&[u8]> = sample.split(|&c| c == b'\n').take(SAMPLE_LINES).collect();
    let mut best: Option<(Format, usize)> = None;
    for format in Format::ALL {
        let mut records = 0;
        let mut malformed = false;
        for line in &lines {
            match format.parse(line) {
                Ok(Parsed::Record(_)) => records += 1,
                Ok(Parsed::Skip) => {}
                Err(_) => {
                    malformed = true;
                    break;
                }
            }
        }
        if !malformed && records > 0 && best.is_none_or(|(_, n)| records > n) {
            best = Some((format, records));
        }
    }
    best.map(|(f, _)| f)
}

/// When no format is a candidate: the format (the earliest of [`Format::ALL`] on a tie) that
/// read the most records before its first malformed line, with that line's 1-based number, what
/// was wrong and the line itself. It tells a user which line spoiled the detection. `None` when
/// no format read a record before failing.
#[must_use]
pub fn near_miss(sample: &[u8]) -> Option<(Format, u64, &'static str, &[u8])> {
    let mut best: Option<(Format, usize, u64, &'static str, &[u8])> = None;
    for format in Format::ALL {
        let mut records = 0;
        for (i, line) in sample.split(|&c| c == b'\n').take(SAMPLE_LINES).enumerate() {
            match format.parse(line) {
                Ok(Parsed::Record(_)) => records += 1,
                Ok(Parsed::Skip) => {}
                Err(why) => {
                    if records > 0 && best.is_none_or(|b| records > b.1) {
                        best = Some((format, records, i as u64 + 1, why.0, line));
                    }
                    break;
                }
            }
        }
    }
    best.map(|(f, _, line, what, text)| (f, line, what, text))
}

/// Whether `sample` holds nothing but blank lines and comments.
pub(crate) fn is_empty_text(sample: &[u8]) -> bool {
    sample.split(|&c| c == b'\n').all(|l| is_blank_or_comment(l.strip_suffix(b"\r").unwrap_or(l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn detects(text: &str, f: Option<Format>) {
        assert_eq!(detect_format(text.as_bytes()), f, "{text}");
    }

    #[test]
    fn each_format() {
        detects("==1== Lackey\nI  04001020,2\n L 1ffefff8,8\n", Some(Format::Lackey));
        detects("0041f7a0 R\n13f5e2c0 W\n", Some(Format::Rw));
        detects("l 0x1fffff58\ns 0x1fffff50\n", Some(Format::Ls));
        detects("2 401a30\n0 7fff0000\n1 7fff0008\n", Some(Format::Din));
        detects("0x40052e: W 0x7ffd1234\n#eof\n", Some(Format::Pin));
        detects("1\n2\n3w\n", Some(Format::Pages));
        detects("1 w\n2 r\n", Some(Format::Rw));
        detects("hello\n", None);
        detects("", None);
    }

    #[test]
    fn a_bad_line_among_records_is_named() {
        let (f, line, _, text) = near_miss(b"0041f7a0 R\n00001000 W\ngarbage here\n00002000 R\n").unwrap();
        assert_eq!((f, line, text), (Format::Rw, 3, &b"garbage here"[..]));
        assert_eq!(near_miss(b"hello\n"), None);
    }
}
