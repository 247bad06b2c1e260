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
    if let Some((digits, [b' ', k])) = line.split_first_chunk::<8>() {
        if let (Some(addr), Some(kind)) = (hex8(*digits), kind(*k)) {
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

/// Eight hexadecimal digits (the first the most significant) as one number, in a handful of
/// word operations instead of a loop over the bytes (SWAR: SIMD within a register): the fast
/// path of [`parse`] and of [`parse_fixed`]. `None` when a byte is not a hexadecimal digit.
#[inline]
fn hex8(s: [u8; 8]) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let v = u64::from_le_bytes(s);
    if v & HIGH != 0 {
        return None;
    }
    // With every byte below 0x80 neither sum carries into the next byte: a byte's high bit
    // says b >= lo in the first, b > hi in the second.
    let within = |lo: u8, hi: u8| (v + ONES * u64::from(0x80 - lo)) & !(v + ONES * u64::from(0x7f - hi)) & HIGH;
    if within(b'0', b'9') | within(b'a', b'f') | within(b'A', b'F') != HIGH {
        return None;
    }
    // A digit's value: its low nibble, plus 9 for a letter (bit 6 set in `a`-`f`, `A`-`F`).
    let d = (v & 0x0f0f_0f0f_0f0f_0f0f) + ((v >> 6) & ONES) * 9;
    // Byte 0 (the lowest) is the most significant digit: pack pairs, then quads, then halves.
    let d = ((d & 0x0f00_0f00_0f00_0f00) >> 8) | ((d & 0x000f_000f_000f_000f) << 4);
    let d = ((d & 0x00ff_0000_00ff_0000) >> 16) | ((d & 0x0000_00ff_0000_00ff) << 8);
    Some(((d & 0x0000_ffff_0000_0000) >> 32) | ((d & 0x0000_0000_0000_ffff) << 16))
}

/// The common line `%08x R` parsed without looking for its end: `bytes` starts a line;
/// `Some` only when it holds at least 11 bytes, its 11th is the `\n` and the line is a record.
#[inline(always)]
pub(crate) fn parse_fixed(bytes: &[u8]) -> Option<Record> {
    let line: &[u8; 11] = bytes.get(..11)?.try_into().ok()?;
    if line[10] != b'\n' || line[8] != b' ' {
        return None;
    }
    let kind = kind(line[9])?;
    let (digits, _) = line.split_first_chunk::<8>()?;
    let addr = hex8(*digits)?;
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

    proptest::proptest! {
        /// The word-at-a-time digits against the general parser, on any eight bytes and on
        /// digits of every case.
        #[test]
        fn hex8_is_hex(bytes in proptest::array::uniform8(proptest::prelude::any::<u8>()), digits in "[0-9a-fA-F]{8}") {
            proptest::prop_assert_eq!(hex8(bytes), hex(&bytes).ok().filter(|_| !bytes.starts_with(b"0x") && !bytes.starts_with(b"0X")));
            let d: [u8; 8] = digits.as_bytes().try_into().unwrap();
            proptest::prop_assert_eq!(hex8(d), Some(u64::from_str_radix(&digits, 16).unwrap()));
        }
    }

    #[test]
    fn hex8_edges() {
        for (s, v) in [(b"00000000", Some(0)), (b"ffffffff", Some(0xffff_ffff)), (b"FfFf0a9A", Some(0xffff_0a9a))] {
            assert_eq!(hex8(*s), v);
        }
        for bad in
            [b"0000000g", b"/0000000", b"0000:000", b"@0000000", b"G0000000", b"`0000000", b"0000000 ", b"\xff0000000"]
        {
            assert_eq!(hex8(*bad), None, "{bad:?}");
        }
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
