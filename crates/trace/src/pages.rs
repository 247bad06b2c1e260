//! `pages`: one decimal page number a line, `w` after it (with or without a space) for a write:
//! `3`, `3w`, `3 w`; `r` may mark a read. Records carry the page number in `addr`
//! ([`crate::Format::gives_pages`]). The spelling of `vmsim replace` reference-string files.

use crate::error::Malformed;
use crate::hex::{decimal, field, is_blank_or_comment};
use crate::record::{Kind, Parsed, Record};

/// Parses one `pages` line. Blank lines and `#` comments are skipped.
///
/// # Errors
/// A page number that is not decimal, or a suffix other than `w`/`r` (either case).
pub fn parse(line: &[u8]) -> Result<Parsed, Malformed> {
    if is_blank_or_comment(line) {
        return Ok(Parsed::Skip);
    }
    let (first, rest) = field(line);
    let (num, suffix) = match first.last() {
        Some(b'w' | b'W' | b'r' | b'R') => (&first[..first.len() - 1], &first[first.len() - 1..]),
        _ => (first, field(rest).0),
    };
    let addr = decimal(num, "page number is not decimal")?;
    let kind = match suffix {
        b"" | b"r" | b"R" => Kind::Read,
        b"w" | b"W" => Kind::Write,
        _ => return Err(Malformed("suffix is not w or r")),
    };
    Ok(Parsed::Record(Record { addr, kind, size: 1 }))
}

/// Appends `record` as `N` or `Nw`.
pub fn write(record: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(record.addr.to_string().as_bytes());
    if record.kind.writes() {
        out.push(b'w');
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let r = |addr, kind| Ok(Parsed::Record(Record { addr, kind, size: 1 }));
        assert_eq!(parse(b"3"), r(3, Kind::Read));
        assert_eq!(parse(b"3w"), r(3, Kind::Write));
        assert_eq!(parse(b"12 w"), r(12, Kind::Write));
        assert_eq!(parse(b" 7 r"), r(7, Kind::Read));
        assert_eq!(parse(b"w"), Err(Malformed("page number is not decimal")));
        assert_eq!(parse(b"3x"), Err(Malformed("page number is not decimal")));
        assert_eq!(parse(b"3 q"), Err(Malformed("suffix is not w or r")));
    }
}
