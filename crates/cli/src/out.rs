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

    /// Appends `bytes`, or nothing if they do not fit: lines are short by construction, and a
    /// line cut at a piece boundary is better than a panic.
    ///
    /// The pieces passed here are constants at their call sites, so after inlining the copy is
    /// a few moves of known length; digits, whose length is known only at run time, are written
    /// by [`Line::digits`] instead, since a copy of run-time length is a call to `memcpy` (an
    /// eighth of a long script's run time when every piece was copied that way).
    #[inline]
    pub(crate) fn text(&mut self, bytes: &[u8]) -> &mut Self {
        let end = self.len + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
        }
        self
    }

    /// Appends `count` copies of `b` (the padding of a field: at most a few bytes).
    #[inline]
    fn fill(&mut self, b: u8, count: usize) {
        for _ in 0..count {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    /// Appends the decimal digits of `n` (whole, or nothing if they do not fit), written in
    /// place from the last digit back: no intermediate buffer to copy from.
    #[inline]
    fn digits(&mut self, mut n: u64) {
        let count = decimal_len(n);
        let end = self.len + count;
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            for d in dst.iter_mut().rev() {
                *d = digit(n);
                n /= 10;
            }
            self.len = end;
        }
    }

    /// `%u`.
    #[inline]
    pub(crate) fn num(&mut self, n: u64) -> &mut Self {
        self.digits(n);
        self
    }

    /// `%Nu` (`fill` b' ') or `%0Nd` (`fill` b'0'): right-aligned in `width` columns.
    #[inline]
    pub(crate) fn right(&mut self, n: u64, width: usize, fill: u8) -> &mut Self {
        if width == 3 && n < 1000 {
            // The `ajou` formats' `%3u`: each column a digit or the fill, chosen without a branch
            // on the number of digits (which a random VPN would mispredict).
            let pick = |show: bool, d: u8| if show { d } else { fill };
            return self.text(&[pick(n >= 100, digit(n / 100)), pick(n >= 10, digit(n / 10)), digit(n)]);
        }
        self.fill(fill, width.saturating_sub(decimal_len(n)));
        self.digits(n);
        self
    }

    /// `%-Nu`: left-aligned in `width` columns.
    #[inline]
    pub(crate) fn left(&mut self, n: u64, width: usize) -> &mut Self {
        if width == 3 && n < 1000 {
            // `%-3u`: the digits from the first significant one, then spaces; selected, not
            // copied out of a stack array (reading back bytes just stored one by one stalls).
            let [a, b, c] = [digit(n / 100), digit(n / 10), digit(n)];
            let cols = match decimal_len(n) {
                3 => [a, b, c],
                2 => [b, c, b' '],
                _ => [c, b' ', b' '],
            };
            return self.text(&cols);
        }
        self.digits(n);
        self.fill(b' ', width.saturating_sub(decimal_len(n)));
        self
    }

    /// `%02x`.
    #[inline]
    pub(crate) fn hex2(&mut self, b: u8) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.text(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
    }

    /// Appends the line to `v`, the staged output of an `ajou` run.
    ///
    /// The whole 64-byte buffer is copied and the unused tail dropped: a copy of constant
    /// length is a few vector moves, where a copy of the line's own length is a call to
    /// `memcpy` that branches on the length (12, 14 to 18 bytes: mispredicted), which was 7% of
    /// the benchmark script's run time.
    #[inline]
    pub(crate) fn put(&self, v: &mut Vec<u8>) {
        let end = v.len() + self.len;
        v.extend_from_slice(&self.buf);
        v.truncate(end);
    }

    /// Writes the line out in one call.
    #[inline]
    pub(crate) fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(&self.buf[..self.len])
    }

    /// The bytes so far.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Where the `ajou` shell prints its standard-error lines: any writer, each line in one
/// `write_all`, or the staging `Vec` of a script run, which takes a line by a copy of constant
/// length ([`Line::put`]).
pub(crate) trait Sink: Write {
    /// Appends the line.
    fn line(&mut self, l: &Line) -> io::Result<()>;
}

impl Sink for Vec<u8> {
    #[inline]
    fn line(&mut self, l: &Line) -> io::Result<()> {
        l.put(self);
        Ok(())
    }
}

/// A writer used as a [`Sink`] directly: the line reaches it at once, so that what is printed
/// on standard output in between (`show`'s blank lines) keeps its place, as on a terminal.
pub(crate) struct Direct<'a, W: ?Sized>(pub(crate) &'a mut W);

impl<W: Write + ?Sized> Write for Direct<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write + ?Sized> Sink for Direct<'_, W> {
    #[inline]
    fn line(&mut self, l: &Line) -> io::Result<()> {
        l.write_to(self.0)
    }
}

/// How many decimal digits `n` has; without a branch for the small numbers the formats print
/// most (`ilog10` of a `u64` is a loop of its own).
#[inline]
fn decimal_len(n: u64) -> usize {
    if n < 1000 { 1 + usize::from(n >= 10) + usize::from(n >= 100) } else { n.ilog10() as usize + 1 }
}

/// The last decimal digit of `n`, as ASCII.
#[inline]
fn digit(n: u64) -> u8 {
    b'0' + (n % 10) as u8
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
        for (n, right, zeros, left) in [
            (0, "  0", "000", "0  "),
            (7, "  7", "007", "7  "),
            (42, " 42", "042", "42 "),
            (100, "100", "100", "100"),
            (999, "999", "999", "999"),
            (1000, "1000", "1000", "1000"),
        ] {
            check(|l| _ = l.text(b"|").right(n, 3, b' ').text(b"|"), &format!("|{right}|"));
            check(|l| _ = l.text(b"|").right(n, 3, b'0').text(b"|"), &format!("|{zeros}|"));
            check(|l| _ = l.text(b"|").left(n, 3).text(b"|"), &format!("|{left}|"));
        }
        check(|l| _ = l.text(b"0x").hex2(0x0a).text(b" 0x").hex2(0xff), "0x0a 0xff");
    }

    #[test]
    fn overlong_lines_are_cut_at_a_piece_not_panicking() {
        let mut l = Line::new();
        for _ in 0..20 {
            l.num(u64::MAX);
        }
        // Three numbers of 20 digits fit in 64 bytes; the fourth does not, nor any after it.
        assert_eq!(l.as_bytes(), "18446744073709551615".repeat(3).as_bytes());
        l.text(b"four").text(b"five");
        assert_eq!(&l.as_bytes()[60..], b"four", "a piece that fits still goes in");
        let mut l = Line::new();
        l.fill(b' ', 100);
        assert_eq!(l.as_bytes(), [b' '; CAPACITY]);
    }
}
