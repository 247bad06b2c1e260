//! Building output lines on the stack: the C `printf` conversions the course formats use
//! (`%u`, `%3u`, `%-3u`, `%02d`), without the `core::fmt` machinery or an allocation.
//!
//! The hot commands of a long script each print one short line; assembling it here and handing
//! it to the writer in one `write_all` keeps the per-command cost to a few nanoseconds.

use std::io::{self, Write};

/// Room for the longest line built here: a `print_page_table` line is at most 52 bytes, an
/// `ajou` line at most 45 (`%u is already allocated to %u` with 10-digit numbers).
const CAPACITY: usize = 64;

/// One output line under construction.
pub(crate) struct Line {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Line {
    /// An empty line.
    #[inline]
    pub(crate) fn new() -> Self {
        Line { buf: [0; CAPACITY], len: 0 }
    }

    /// Appends `bytes`. Lines are short by construction; anything past the capacity is dropped
    /// rather than panicking.
    ///
    /// A byte loop, not `copy_from_slice`: the pieces are a few bytes long, and a copy of
    /// run-time length is a call to `memcpy` for each, which profiling showed to be an eighth
    /// of a long script's run time.
    #[inline]
    pub(crate) fn text(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.byte(b);
        }
        self
    }

    /// Appends one byte (dropped past the capacity).
    #[inline]
    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// `%u`.
    #[inline]
    pub(crate) fn num(&mut self, n: u64) -> &mut Self {
        self.right(n, 0, b' ')
    }

    /// `%Nu` (`fill` b' ') or `%0Nd` (`fill` b'0'): right-aligned in `width` columns.
    #[inline]
    pub(crate) fn right(&mut self, n: u64, width: usize, fill: u8) -> &mut Self {
        let mut digits = [0u8; 20];
        let d = decimal(n, &mut digits);
        for _ in d.len()..width {
            self.byte(fill);
        }
        self.text(d)
    }

    /// `%-Nu`: left-aligned in `width` columns.
    #[inline]
    pub(crate) fn left(&mut self, n: u64, width: usize) -> &mut Self {
        let mut digits = [0u8; 20];
        let d = decimal(n, &mut digits);
        let len = d.len();
        self.text(d);
        for _ in len..width {
            self.byte(b' ');
        }
        self
    }

    /// `%02x`.
    #[inline]
    pub(crate) fn hex2(&mut self, b: u8) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.text(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
    }

    /// Writes the line out in one call.
    #[inline]
    pub(crate) fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(&self.buf[..self.len])
    }

    /// The bytes so far.
    #[cfg(test)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The decimal digits of `n`, written at the end of `buf`.
#[inline]
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(build: impl FnOnce(&mut Line), want: &str) {
        let mut l = Line::new();
        build(&mut l);
        assert_eq!(std::str::from_utf8(l.as_bytes()).unwrap(), want);
    }

    #[test]
    fn printf_conversions() {
        check(|l| _ = l.right(5, 3, b' ').text(b" --> ").left(12, 3).text(b"\n"), "  5 --> 12 \n");
        check(|l| _ = l.right(7, 3, b' ').text(b"|").left(0, 3).text(b"|"), "  7|0  |");
        check(|l| _ = l.right(1234, 3, b' ').text(b"|").left(1234, 3).text(b"|"), "1234|1234|");
        check(|l| _ = l.right(3, 2, b'0').text(b":").right(15, 2, b'0'), "03:15");
        check(|l| _ = l.num(0).text(b" ").num(u64::MAX), "0 18446744073709551615");
        check(|l| _ = l.text(b"0x").hex2(0x0a).text(b" 0x").hex2(0xff), "0x0a 0xff");
    }

    #[test]
    fn overlong_lines_are_cut_not_panicking() {
        let mut l = Line::new();
        for _ in 0..20 {
            l.num(u64::MAX);
        }
        assert_eq!(l.as_bytes().len(), CAPACITY);
    }
}
