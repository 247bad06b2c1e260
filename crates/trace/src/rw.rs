//! `rw`: one access per line, a hexadecimal address and `R` or `W` (`0041f7a0 R`), as in the
//! Pitt CS1550 (`gcc.trace`, `bzip.trace`), USF COP4600 and Adelaide traces (all read with
//! `fscanf("%x %c")`). Accepted spellings: upper or lower case `r`/`w`, an optional `0x`,
//! spaces or tabs between, and further fields after the kind (ignored, as `fscanf` would).

use crate::error::Malformed;
use crate::hex::{field, hex, is_blank_or_comment, push_hex};
use crate::record::{Kind, Parsed, Record};

/// Parses one `rw` line. Blank lines and `#` comments are skipped.
///
/// # Errors
/// A bad address, or a kind other than `R`, `W`, `r`, `w` (or none).
pub fn parse(line: &[u8]) -> Result<Parsed, Malformed> {
    // The common shape, `%08x R`, checked first: eleven bytes, no scanning.
    if line.len() == 10 && line[8] == b' ' {
        if let (Ok(addr), Some(kind)) = (hex8(&line[..8]), kind(line[9])) {
            return Ok(Parsed::Record(Record { addr, kind, size: 1 }));
        }
    }
    if is_blank_or_comment(line) {
        return Ok(Parsed::Skip);
    }
    let (a, rest) = field(line);
    let (k, _) = field(rest);
    let addr = hex(a)?;
    let kind = match k {
        [c] => kind(*c).ok_or(Malformed("kind is not R or W"))?,
        [] => return Err(Malformed("missing R or W after the address")),
        _ => return Err(Malformed("kind is not R or W")),
    };
    Ok(Parsed::Record(Record { addr, kind, size: 1 }))
}

fn kind(c: u8) -> Option<Kind> {
    match c {
        b'R' | b'r' => Some(Kind::Read),
        b'W' | b'w' => Some(Kind::Write),
        _ => None,
    }
}

/// Each byte's value as a hexadecimal digit, 0x80 for a byte that is not one.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Eight hexadecimal digits by table, without a branch a digit: the fast path of [`parse`].
#[inline]
fn hex8(s: &[u8]) -> Result<u64, ()> {
    let mut v = 0u64;
    let mut bad = 0u8;
    for &c in s {
        let d = HEX_VALUE[usize::from(c)];
        bad |= d;
        v = (v << 4) | u64::from(d & 0xf);
    }
    if bad & 0x80 == 0 { Ok(v) } else { Err(()) }
}

/// The common line `%08x R` parsed without looking for its end: `bytes` starts a line and
/// holds at least 11 bytes; `Some` only when its 11th is the `\n` and the line is a record.
#[inline]
pub(crate) fn parse_fixed(bytes: &[u8]) -> Option<Record> {
    if bytes.len() < 11 || bytes[10] != b'\n' || bytes[8] != b' ' {
        return None;
    }
    let kind = kind(bytes[9])?;
    let addr = hex8(&bytes[..8]).ok()?;
    Some(Record { addr, kind, size: 1 })
}

/// Appends `record` as `%08x R` or `%08x W` (a fetch is written as a read, a modify as a write).
pub fn write(record: &Record, out: &mut Vec<u8>) {
    push_hex(out, record.addr, 8);
    out.extend_from_slice(if record.kind.writes() { b" W\n" } else { b" R\n" });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn rec(line: &str, addr: u64, kind: Kind) {
        assert_eq!(parse(line.as_bytes()), Ok(Parsed::Record(Record { addr, kind, size: 1 })));
    }

    #[test]
    fn spellings() {
        rec("0041f7a0 R", 0x0041_f7a0, Kind::Read);
        rec("31348900 W", 0x3134_8900, Kind::Write);
        rec("0041f7f0 w", 0x0041_f7f0, Kind::Write);
        rec("0041f7f0 r", 0x0041_f7f0, Kind::Read);
        rec("0x41F7A0\tR", 0x0041_f7a0, Kind::Read);
        rec("  41f7a0   W   extra fields", 0x0041_f7a0, Kind::Write);
        rec("7fffffffffff R", 0x7fff_ffff_ffff, Kind::Read);
    }

    #[test]
    fn skipped_and_malformed() {
        assert_eq!(parse(b""), Ok(Parsed::Skip));
        assert_eq!(parse(b"# comment"), Ok(Parsed::Skip));
        assert_eq!(parse(b"0041f7a0"), Err(Malformed("missing R or W after the address")));
        assert_eq!(parse(b"0041f7a0 X"), Err(Malformed("kind is not R or W")));
        assert_eq!(parse(b"0041f7a0 RW"), Err(Malformed("kind is not R or W")));
        assert_eq!(parse(b"0041g7a0 R"), Err(Malformed("address is not hexadecimal")));
    }
}
