//! Intel Pin's pinatrace (`ManualExamples/pinatrace.cpp`): `0x40052e: W 0x7ffd1234`, the
//! instruction pointer, a colon, `R` or `W`, and the data address; the last line is `#eof`.
//! The instruction pointer is checked but not used: only the data access is a record.

use crate::error::Malformed;
use crate::hex::{field, hex, is_blank_or_comment, push_hex};
use crate::record::{Kind, Parsed, Record};

/// Parses one pinatrace line. Blank lines and `#` lines (`#eof`) are skipped.
///
/// # Errors
/// A missing `:` after the instruction pointer, a kind other than `R`/`W`, a bad address.
pub fn parse(line: &[u8]) -> Result<Parsed, Malformed> {
    if is_blank_or_comment(line) {
        return Ok(Parsed::Skip);
    }
    let (ip, rest) = field(line);
    let ip = ip.strip_suffix(b":").ok_or(Malformed("missing `:` after the instruction pointer"))?;
    hex(ip)?;
    let (k, rest) = field(rest);
    let kind = match k {
        b"R" | b"r" => Kind::Read,
        b"W" | b"w" => Kind::Write,
        _ => return Err(Malformed("kind is not R or W")),
    };
    let (a, _) = field(rest);
    let addr = hex(a)?;
    Ok(Parsed::Record(Record { addr, kind, size: 1 }))
}

/// Appends `record` as `0x0: R 0xADDR` (the instruction pointer is not kept in a record).
pub fn write(record: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(if record.kind.writes() { b"0x0: W 0x" } else { b"0x0: R 0x" });
    push_hex(out, record.addr, 1);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let r = |addr, kind| Ok(Parsed::Record(Record { addr, kind, size: 1 }));
        assert_eq!(parse(b"0x40052e: W 0x7ffd1234"), r(0x7ffd_1234, Kind::Write));
        assert_eq!(parse(b"0x40052e: R 0x601040"), r(0x60_1040, Kind::Read));
        assert_eq!(parse(b"#eof"), Ok(Parsed::Skip));
        assert_eq!(parse(b"0x40052e W 0x10"), Err(Malformed("missing `:` after the instruction pointer")));
        assert_eq!(parse(b"0x40052e: X 0x10"), Err(Malformed("kind is not R or W")));
    }
}
