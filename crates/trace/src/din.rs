//! Dinero `din` (Dinero III/IV input): a label and a hexadecimal address a line, `2 401a30`.
//! Labels: 0 data read, 1 data write, 2 instruction fetch; 3 (escape, unknown access) and 4
//! (escape, cache flush) are not memory accesses and are skipped. Further fields are ignored,
//! as Dinero does. Source: the Dinero IV documentation of the `din` input format.

use crate::error::Malformed;
use crate::hex::{field, hex, is_blank_or_comment, push_hex};
use crate::record::{Kind, Parsed, Record};

/// Parses one `din` line. Blank lines, `#` comments and labels 3 and 4 are skipped.
///
/// # Errors
/// A label other than 0-4, or a bad or missing address.
pub fn parse(line: &[u8]) -> Result<Parsed, Malformed> {
    if is_blank_or_comment(line) {
        return Ok(Parsed::Skip);
    }
    let (label, rest) = field(line);
    let kind = match label {
        b"0" => Kind::Read,
        b"1" => Kind::Write,
        b"2" => Kind::Fetch,
        b"3" | b"4" => return Ok(Parsed::Skip),
        _ => return Err(Malformed("label is not 0, 1, 2, 3 or 4")),
    };
    let (a, _) = field(rest);
    let addr = hex(a)?;
    Ok(Parsed::Record(Record { addr, kind, size: 1 }))
}

/// Appends `record` as `label address` (a modify is written as a write).
pub fn write(record: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(match record.kind {
        Kind::Read => b"0 ",
        Kind::Write | Kind::Modify => b"1 ",
        Kind::Fetch => b"2 ",
    });
    push_hex(out, record.addr, 1);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let r = |addr, kind| Ok(Parsed::Record(Record { addr, kind, size: 1 }));
        assert_eq!(parse(b"0 7fff1234"), r(0x7fff_1234, Kind::Read));
        assert_eq!(parse(b"1 0x10"), r(0x10, Kind::Write));
        assert_eq!(parse(b"2 401a30 0"), r(0x40_1a30, Kind::Fetch));
        assert_eq!(parse(b"3 0"), Ok(Parsed::Skip));
        assert_eq!(parse(b"4 0"), Ok(Parsed::Skip));
        assert_eq!(parse(b"5 10"), Err(Malformed("label is not 0, 1, 2, 3 or 4")));
        assert_eq!(parse(b"0"), Err(Malformed("missing hexadecimal address")));
    }
}
