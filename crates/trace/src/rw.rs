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

/// Eight hexadecimal digits, without a loop over a prefix check: the fast path of [`parse`].
fn hex8(s: &[u8]) -> Result<u64, ()> {
    let mut v = 0u64;
    for &c in s {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(()),
        };
        v = (v << 4) | u64::from(d);
    }
    Ok(v)
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
