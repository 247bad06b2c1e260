//! Number parsing shared by the formats: hexadecimal addresses and decimal sizes, in place.

use crate::error::Malformed;

/// Parses a hexadecimal number with an optional `0x`/`0X` prefix, up to 64 bits.
pub(crate) fn hex(s: &[u8]) -> Result<u64, Malformed> {
    let digits = s.strip_prefix(b"0x").or_else(|| s.strip_prefix(b"0X")).unwrap_or(s);
    if digits.is_empty() {
        return Err(Malformed("missing hexadecimal address"));
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(Malformed("address is not hexadecimal")),
        };
        if v >> 60 != 0 {
            return Err(Malformed("address does not fit in 64 bits"));
        }
        v = (v << 4) | u64::from(d);
    }
    Ok(v)
}

/// Parses an unsigned decimal number up to 64 bits.
pub(crate) fn decimal(s: &[u8], what: &'static str) -> Result<u64, Malformed> {
    if s.is_empty() {
        return Err(Malformed(what));
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return Err(Malformed(what));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or(Malformed("number does not fit in 64 bits"))?;
    }
    Ok(v)
}

/// Splits off the next field separated by spaces or tabs; returns (field, rest).
pub(crate) fn field(s: &[u8]) -> (&[u8], &[u8]) {
    let s = trim_start(s);
    let end = s.iter().position(|&c| c == b' ' || c == b'\t').unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// `s` without leading spaces and tabs.
pub(crate) fn trim_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(s.len());
    &s[start..]
}

/// Whether a line is blank or a `#` comment: skipped by every format.
pub(crate) fn is_blank_or_comment(line: &[u8]) -> bool {
    let t = trim_start(line);
    t.is_empty() || t[0] == b'#'
}

/// Appends `v` as lower-case hexadecimal, at least `width` digits.
pub(crate) fn push_hex(out: &mut Vec<u8>, v: u64, width: usize) {
    let digits = if v == 0 { 1 } else { (64 - v.leading_zeros() as usize).div_ceil(4) };
    for _ in digits..width {
        out.push(b'0');
    }
    for i in (0..digits).rev() {
        let d = ((v >> (i * 4)) & 0xf) as u8;
        out.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_accepts_prefix_and_case() {
        assert_eq!(hex(b"0x1fFF"), Ok(0x1fff));
        assert_eq!(hex(b"0041f7a0"), Ok(0x41f7a0));
        assert_eq!(hex(b"ffffffffffffffff"), Ok(u64::MAX));
        assert!(hex(b"1ffffffffffffffff").is_err());
        assert!(hex(b"0x").is_err());
        assert!(hex(b"12g").is_err());
    }

    #[test]
    fn push_hex_pads() {
        let mut v = Vec::new();
        push_hex(&mut v, 0x1f, 8);
        assert_eq!(v, b"0000001f");
        v.clear();
        push_hex(&mut v, 0, 1);
        assert_eq!(v, b"0");
    }
}
