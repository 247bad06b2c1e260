//! The trace reader: a large buffer refilled from the source, lines found with `memchr`, each
//! parsed in place (no allocation per line).

use std::io::{self, Read};

use crate::detect::{detect_format, is_empty_text, near_miss};
use crate::error::{TraceError, excerpt};
use crate::record::{Format, Parsed, Record};

/// The read buffer: also the longest line accepted (a longer one is not text of any format).
const BUF_SIZE: usize = 1 << 20;
/// How much of the start of a trace format detection looks at.
const DETECT_BYTES: usize = 64 << 10;

/// Which format to read a trace as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// Detect it from the first lines ([`detect_format`]).
    Auto,
    /// This one (`--trace-format`).
    Fixed(Format),
}

/// How strictly to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Count and skip malformed records (`--skip-bad`) instead of stopping with an error.
    pub skip_bad: bool,
}

/// Counts of what a reader has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines read (records, skipped and bad).
    pub lines: u64,
    /// Records returned.
    pub records: u64,
    /// Lines that are not records (blank, comments, banners, program output), skipped.
    pub skipped: u64,
    /// Malformed records skipped under `skip_bad`.
    pub bad: u64,
    /// Bytes of (decompressed) text read.
    pub bytes: u64,
}

/// Reads records from any `Read` (decompress first with [`crate::decompress()`]).
///
/// Memory: one buffer of 1 MiB, whatever the trace's size.
pub struct TraceReader<R> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes from `start` up to here are known to hold no `\n` (so a long line being filled
    /// in small reads is not searched again from its start: no quadratic time).
    searched: usize,
    eof: bool,
    /// Set after an error that cannot be stepped over (I/O, a line too long): the reader then
    /// yields nothing more, so that a caller ignoring errors cannot loop forever.
    failed: bool,
    format: Format,
    options: ReadOptions,
    stats: Stats,
}

/// Whether `b` may appear in a text trace: anything but the C0 control characters and DEL,
/// except tab, the line ends, vertical tab, form feed and escape (a program's own coloured
/// output in a lackey log). A NUL comes early in nearly every binary file.
fn is_text_byte(b: u8) -> bool {
    !(b < 0x20 || b == 0x7f) || matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1b)
}

impl<R: Read> TraceReader<R> {
    /// A reader of `src`, detecting the format from its first 64 KiB unless `choice` names it.
    /// A trace of nothing but blank lines and comments is read as `rw` (it has no records).
    ///
    /// # Errors
    /// [`TraceError::Io`] when reading fails; [`TraceError::NotText`] when the first 64 KiB
    /// hold a byte no text holds (the file is binary); [`TraceError::UnknownFormat`] when no
    /// format matches the first lines.
    pub fn new(src: R, choice: FormatChoice, options: ReadOptions) -> Result<Self, TraceError> {
        let mut r = TraceReader {
            src,
            buf: vec![0; BUF_SIZE],
            start: 0,
            end: 0,
            searched: 0,
            eof: false,
            failed: false,
            format: Format::Rw,
            options,
            stats: Stats::default(),
        };
        while r.end < DETECT_BYTES && !r.eof {
            r.fill()?;
        }
        if let Some(offset) = r.buf[..r.end.min(DETECT_BYTES)].iter().position(|&b| !is_text_byte(b)) {
            let line = memchr::memchr_iter(b'\n', &r.buf[..offset]).count() as u64 + 1;
            return Err(TraceError::NotText { line, offset: offset as u64, byte: r.buf[offset] });
        }
        if let FormatChoice::Fixed(f) = choice {
            r.format = f;
            return Ok(r);
        }
        let sample = &r.buf[..r.end];
        let sample = if r.eof { sample } else { memchr::memrchr(b'\n', sample).map_or(sample, |i| &sample[..i]) };
        r.format = match detect_format(sample) {
            Some(f) => f,
            None if is_empty_text(sample) => Format::Rw,
            None => {
                let first =
                    sample.split(|&c| c == b'\n').find(|l| !l.trim_ascii().is_empty()).map(excerpt).unwrap_or_default();
                let near = near_miss(sample).map_or_else(String::new, |(f, line, what, text)| {
                    format!("; as {f}, line {line} is malformed: {what} in `{}`", excerpt(text))
                });
                return Err(TraceError::UnknownFormat { first, near });
            }
        };
        Ok(r)
    }

    /// The format being read.
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    /// What has been read so far.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Reads more input after the unread bytes, moving them to the front first.
    fn fill(&mut self) -> Result<(), TraceError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.searched = self.searched.saturating_sub(self.start);
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Err(TraceError::LineTooLong { line: self.stats.lines + 1, limit: BUF_SIZE });
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    self.stats.bytes += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The next record, `None` at the end of the trace.
    ///
    /// # Errors
    /// [`TraceError::Malformed`] (unless `skip_bad`), naming the line; [`TraceError::Io`];
    /// [`TraceError::LineTooLong`] for a line over 1 MiB.
    pub fn next_record(&mut self) -> Result<Option<Record>, TraceError> {
        if self.failed {
            return Ok(None);
        }
        let result = self.next_line_record();
        if matches!(result, Err(TraceError::Io(_) | TraceError::LineTooLong { .. })) {
            self.failed = true;
        }
        result
    }

    /// Appends up to `max` next records to `out`; returns how many (0 at the end of the
    /// trace). The same records as [`next_record`](Self::next_record) one by one, but the
    /// course traces' fixed-width lines are parsed in one tight loop over the buffer.
    ///
    /// # Errors
    /// As [`next_record`](Self::next_record); the records before the error are in `out`.
    pub fn next_batch(&mut self, out: &mut Vec<Record>, max: usize) -> Result<usize, TraceError> {
        let mut n = 0;
        while n < max {
            if self.format == Format::Rw && !self.failed {
                let k = self.fixed_run(out, max - n);
                n += k;
                if k > 0 {
                    continue;
                }
            }
            match self.next_record()? {
                Some(r) => {
                    out.push(r);
                    n += 1;
                }
                None => break,
            }
        }
        Ok(n)
    }

    /// Parses up to `max` fixed-width `rw` lines from the buffer (no refill); returns how many.
    fn fixed_run(&mut self, out: &mut Vec<Record>, max: usize) -> usize {
        let lines = self.buf[self.start..self.end].chunks_exact(11).take(max);
        let before = out.len();
        for line in lines {
            match crate::rw::parse_fixed(line) {
                Some(r) => out.push(r),
                None => break,
            }
        }
        let k = out.len() - before;
        self.start += 11 * k;
        self.stats.lines += k as u64;
        self.stats.records += k as u64;
        k
    }

    fn next_line_record(&mut self) -> Result<Option<Record>, TraceError> {
        // The course traces' fixed-width `%08x R` lines are read without searching for their
        // end; anything else takes the general path below.
        if self.format == Format::Rw {
            if let Some(r) = crate::rw::parse_fixed(&self.buf[self.start..self.end]) {
                self.start += 11;
                self.stats.lines += 1;
                self.stats.records += 1;
                return Ok(Some(r));
            }
        }
        loop {
            let from = self.start.max(self.searched);
            let (line_end, next) = match memchr::memchr(b'\n', &self.buf[from..self.end]) {
                Some(i) => (from + i, from + i + 1),
                None if self.eof => {
                    if self.start == self.end {
                        return Ok(None);
                    }
                    (self.end, self.end)
                }
                None => {
                    self.searched = self.end;
                    self.fill()?;
                    continue;
                }
            };
            let line = &self.buf[self.start..line_end];
            self.start = next;
            self.stats.lines += 1;
            match self.format.parse(line) {
                Ok(Parsed::Record(r)) => {
                    self.stats.records += 1;
                    return Ok(Some(r));
                }
                Ok(Parsed::Skip) => self.stats.skipped += 1,
                Err(_) if self.options.skip_bad => self.stats.bad += 1,
                Err(m) => {
                    return Err(TraceError::Malformed {
                        line: self.stats.lines,
                        format: self.format,
                        what: m.0,
                        text: excerpt(line),
                    });
                }
            }
        }
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<Record, TraceError>;

    /// The next record or error. After a malformed line the reader continues with the next
    /// line; after any other error it ends.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Kind;

    /// A source that hands out one byte a read, to exercise refills in the middle of lines.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((&b, rest)), Some(o)) => {
                    *o = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn all(text: &[u8], choice: FormatChoice, options: ReadOptions) -> Result<(Vec<Record>, Stats), TraceError> {
        let mut r = TraceReader::new(Trickle(text), choice, options)?;
        let mut v = Vec::new();
        while let Some(rec) = r.next_record()? {
            v.push(rec);
        }
        Ok((v, *r.stats()))
    }

    #[test]
    fn last_line_without_newline_and_crlf() {
        let (v, s) = all(b"00000010 R\r\n00000020 W", FormatChoice::Auto, ReadOptions::default()).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!((v[1].addr, v[1].kind), (0x20, Kind::Write));
        assert_eq!(s.lines, 2);
    }

    #[test]
    fn lackey_banners_are_counted() {
        let text = b"==7== Lackey\n==7== Command: ./a\nI  00400000,4\nhello\n S 10,8\n";
        let (v, s) = all(text, FormatChoice::Auto, ReadOptions::default()).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(s.skipped, 3);
    }

    #[test]
    fn malformed_names_the_line_or_is_skipped() {
        let text = b"00000010 R\n00000010 Q\n00000030 W\n";
        let err = all(text, FormatChoice::Fixed(Format::Rw), ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "line 2: kind is not R or W in `00000010 Q` (rw format)");
        let (v, s) = all(text, FormatChoice::Fixed(Format::Rw), ReadOptions { skip_bad: true }).unwrap();
        assert_eq!((v.len(), s.bad), (2, 1));
    }

    #[test]
    fn unknown_format_and_empty() {
        assert!(matches!(
            all(b"hello\n", FormatChoice::Auto, ReadOptions::default()),
            Err(TraceError::UnknownFormat { .. })
        ));
        assert_eq!(all(b"\n\n", FormatChoice::Auto, ReadOptions::default()).unwrap().0, vec![]);
    }

    #[test]
    fn batches_are_the_records_one_by_one() {
        let text = b"00000010 R\n00000020 W\n\n0x30 r\n00000040 W\n# end\n00000050 R";
        let (one, stats) = all(text, FormatChoice::Auto, ReadOptions::default()).unwrap();
        for max in [1, 2, 3, 100] {
            let mut r = TraceReader::new(Trickle(text), FormatChoice::Auto, ReadOptions::default()).unwrap();
            let mut v = Vec::new();
            while r.next_batch(&mut v, max).unwrap() > 0 {}
            assert_eq!((&v, r.stats()), (&one, &stats));
        }
        let mut r = TraceReader::new(&text[..], FormatChoice::Auto, ReadOptions::default()).unwrap();
        let mut v = Vec::new();
        assert_eq!(r.next_batch(&mut v, 100).unwrap(), 5);
    }

    #[test]
    fn a_binary_file_is_not_text_and_no_message_holds_its_raw_bytes() {
        // An executable's header, after one good line: refused whether detected or named.
        let bin = b"00001000 R\n\x7fELF\x02\x01\x01\0\0\0";
        for choice in [FormatChoice::Auto, FormatChoice::Fixed(Format::Rw)] {
            let err = TraceReader::new(&bin[..], choice, ReadOptions::default()).err().expect("binary");
            assert!(matches!(err, TraceError::NotText { line: 2, offset: 11, byte: 0x7f }), "{err}");
            assert_eq!(err.to_string(), "line 2: not a text trace (byte 0x7f at offset 11)");
        }
        // Tabs, CR LF and escapes (a program's coloured output in a lackey log) are text.
        let text = b"00001000 R\r\n\t\x1b[1m\n";
        assert!(TraceReader::new(&text[..], FormatChoice::Fixed(Format::Rw), ReadOptions::default()).is_ok());
        // A control character past the first 64 KiB is shown escaped in the malformed line.
        let mut late = b"00001000 R\n".repeat(6000);
        late.extend_from_slice(b"0000\x07\x08 R\n");
        let mut r = TraceReader::new(&late[..], FormatChoice::Fixed(Format::Rw), ReadOptions::default()).unwrap();
        let err = r.find_map(Result::err).expect("the bad line");
        assert!(err.to_string().contains("`0000\\u{7}\\u{8} R`"), "{err}");
    }

    #[test]
    fn long_line_is_an_error() {
        let text = vec![b'1'; BUF_SIZE + 10];
        let r = all(&text, FormatChoice::Fixed(Format::Pages), ReadOptions::default());
        assert!(matches!(r, Err(TraceError::LineTooLong { line: 1, .. })));
    }
}
