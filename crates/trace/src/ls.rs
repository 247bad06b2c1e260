//! `ls`: `l 0x1fffff58` (load), `s 0x...` (store), `m 0x...` (modify: reads and writes), one
//! access a line, hexadecimal address with or without `0x`. Fields after the address (a size
//! or a process number in some course traces) are ignored. Upper-case `L`/`S`/`M` are taken too.

use crate::error::Malformed;
use crate::hex::{field, hex, is_blank_or_comment, push_hex};
use crate::record::{Kind, Parsed, Record};

/// Parses one `ls` line. Blank lines and `#` comments are skipped.
///
/// # Errors
/// A first field other than `l`, `s`, `m`, or a bad or missing address.
pub fn parse(line: &[u8]) -> Result<Parsed, Malformed> {
    if is_blank_or_comment(line) {
        return Ok(Parsed::Skip);
    }
    let (k, rest) = field(line);
    let kind = match k {
        b"l" | b"L" => Kind::Read,
        b"s" | b"S" => Kind::Write,
        b"m" | b"M" => Kind::Modify,
        _ => return Err(Malformed("kind is not l, s or m")),
    };
    let (a, _) = field(rest);
    let addr = hex(a)?;
    Ok(Parsed::Record(Record { addr, kind, size: 1 }))
}

/// Appends `record` as `l 0x%08x` (a fetch is written as a load).
pub fn write(record: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(match record.kind {
        Kind::Read | Kind::Fetch => b"l 0x",
        Kind::Write => b"s 0x",
        Kind::Modify => b"m 0x",
    });
    push_hex(out, record.addr, 8);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let r = |addr, kind| Ok(Parsed::Record(Record { addr, kind, size: 1 }));
        assert_eq!(parse(b"l 0x1fffff58"), r(0x1fff_ff58, Kind::Read));
        assert_eq!(parse(b"s 0x1fffff50 4"), r(0x1fff_ff50, Kind::Write));
        assert_eq!(parse(b"m 7fff0010"), r(0x7fff_0010, Kind::Modify));
        assert_eq!(parse(b"x 0x10"), Err(Malformed("kind is not l, s or m")));
        assert_eq!(parse(b"l"), Err(Malformed("missing hexadecimal address")));
        assert_eq!(parse(b"l 0x"), Err(Malformed("missing hexadecimal address")));
    }
}
