//! Reading a problem text line by line, and the bits of Python's number syntax and `%`
//! formatting the OSTEP scripts rely on.
//!
//! The scripts print numbers with Python's `%` operator and read their options with `int()`;
//! both differ from Rust's defaults for negative and oversized values, which the scripts let
//! through (`-A -5` is accepted and printed as `0x-0000005`).

use std::fmt;

use crate::ParseError;

/// The lines of a problem text with their 1-based numbers; a trailing `\r` (a text saved with
/// DOS line ends) is not part of a line.
#[derive(Debug, Clone)]
pub(crate) struct Lines<'a> {
    rest: std::iter::Peekable<std::iter::Enumerate<std::str::Lines<'a>>>,
    /// The number of the line after the last one returned.
    next_no: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lines { rest: text.lines().enumerate().peekable(), next_no: 1 }
    }

    /// The next line and its number, or an error naming `expected` at the end of the text.
    pub(crate) fn next(&mut self, expected: &str) -> Result<(usize, &'a str), ParseError> {
        match self.rest.next() {
            Some((i, l)) => {
                self.next_no = i + 2;
                Ok((i + 1, l.strip_suffix('\r').unwrap_or(l)))
            }
            None => Err(ParseError::new(self.next_no, expected, None)),
        }
    }

    /// The next line without taking it.
    pub(crate) fn peek(&mut self) -> Option<&'a str> {
        self.rest.peek().map(|&(_, l)| l.strip_suffix('\r').unwrap_or(l))
    }

    /// Takes the next line, which must be exactly `want`; `expected` names it in the error.
    pub(crate) fn exact(&mut self, want: &str, expected: &str) -> Result<usize, ParseError> {
        let (no, line) = self.next(expected)?;
        if line == want { Ok(no) } else { Err(ParseError::new(no, expected, Some(line))) }
    }

    /// Takes the next line, which must start with `prefix`, and returns the rest of it.
    pub(crate) fn after(&mut self, prefix: &str, expected: &str) -> Result<(usize, &'a str), ParseError> {
        let (no, line) = self.next(expected)?;
        match line.strip_prefix(prefix) {
            Some(rest) => Ok((no, rest)),
            None => Err(ParseError::new(no, expected, Some(line))),
        }
    }

    /// The number the next line would have.
    pub(crate) fn next_no(&mut self) -> usize {
        self.rest.peek().map_or(self.next_no, |&(i, _)| i + 1)
    }
}

/// Python's `int(s)` for base-10 text: surrounding whitespace, an optional sign, digits with
/// single underscores between them. `None` where Python raises `ValueError`, or when the
/// value does not fit an `i128` (far beyond anything the scripts can use).
pub(crate) fn py_int(s: &str) -> Option<i128> {
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let mut value: i128 = 0;
    for b in digits.bytes().filter(|&b| b != b'_') {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    Some(if negative { -value } else { value })
}

/// The scripts' `convert(size)`: a Python integer, optionally followed by `k`, `m` or `g`
/// (either case) for 2^10, 2^20, 2^30. `None` where the script's `int()` would fail.
pub(crate) fn py_size(s: &str) -> Option<i128> {
    let last = s.chars().last()?;
    let unit: i128 = match last {
        'k' | 'K' => 1 << 10,
        'm' | 'M' => 1 << 20,
        'g' | 'G' => 1 << 30,
        _ => return py_int(s),
    };
    py_int(&s[..s.len() - 1])?.checked_mul(unit)
}

/// Reads a hexadecimal number as Python's `%x` prints it: digits, with a `-` in front for a
/// negative value (which `%08x` pads after the sign: `-000000f`). Lower-case digits only.
pub(crate) fn read_py_hex(s: &str) -> Option<i128> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    // Leading zeros are padding; what is left must fit.
    let value = i128::from_str_radix(digits, 16).ok()?;
    Some(if negative { -value } else { value })
}

/// Python's `'%0Nx' % value` (`width` N): lower-case hex, zero-padded to `width` characters,
/// counting a leading `-` for a negative value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PyHex {
    pub(crate) value: i128,
    pub(crate) width: usize,
}

impl fmt::Display for PyHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value < 0 {
            let width = self.width.saturating_sub(1);
            write!(f, "-{:0width$x}", self.value.unsigned_abs())
        } else {
            write!(f, "{:0width$x}", self.value, width = self.width)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn hex(value: i128, width: usize, want: &str) {
        assert_eq!(PyHex { value, width }.to_string(), want);
    }

    #[test]
    fn python_hex_pads_after_the_sign() {
        hex(0x3229, 8, "00003229");
        hex(-15, 8, "-000000f");
        hex(0x1_0000_0005, 8, "100000005");
        hex(0, 2, "00");
        hex(0x6bc, 3, "6bc");
        hex(0xa, 0, "a");
    }

    #[test]
    fn python_hex_reads_back_what_it_prints() {
        for v in [0, 1, -1, 0x3229, -0x7fff_ffff, 1 << 40] {
            for w in [0, 2, 8] {
                assert_eq!(read_py_hex(&PyHex { value: v, width: w }.to_string()), Some(v));
            }
        }
        assert_eq!(read_py_hex("0x10"), None);
        assert_eq!(read_py_hex("ABC"), None);
        assert_eq!(read_py_hex(""), None);
        assert_eq!(read_py_hex("-"), None);
    }

    #[test]
    fn python_int_and_sizes() {
        assert_eq!(py_int(" 42 "), Some(42));
        assert_eq!(py_int("-7"), Some(-7));
        assert_eq!(py_int("+7"), Some(7));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("_1"), None);
        assert_eq!(py_int("0x10"), None);
        assert_eq!(py_int(""), None);
        assert_eq!(py_int("-"), None);
        assert_eq!(py_size("16k"), Some(16 * 1024));
        assert_eq!(py_size("1M"), Some(1 << 20));
        assert_eq!(py_size("2g"), Some(2 << 30));
        assert_eq!(py_size("4096"), Some(4096));
        assert_eq!(py_size("k"), None);
        assert_eq!(py_size(""), None);
        assert_eq!(py_size("4kb"), None);
    }

    #[test]
    fn lines_are_numbered_and_lose_their_carriage_return() {
        let mut l = Lines::new("a\r\nb\n");
        assert_eq!(l.next("x"), Ok((1, "a")));
        assert_eq!(l.peek(), Some("b"));
        assert_eq!(l.exact("c", "the letter c"), Err(ParseError::new(2, "the letter c", Some("b"))));
        let e = l.next("more").unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.to_string(), "line 3: expected more, found the end of the text");
    }

    #[test]
    fn long_lines_are_cut_in_errors() {
        let long = "x".repeat(200);
        let e = ParseError::new(1, "y", Some(&long));
        assert!(matches!(e, ParseError::Line { found: Some(f), .. } if f.len() == 63));
    }
}
