//! Running lines on a [`Shell`]: one line ([`Shell::execute`]), or a whole script read in
//! bounded memory as the machine's course read it ([`Shell::run_script`]), stopped after
//! [`REFUSED_LIMIT`] consecutive refused lines.

use std::io::{self, BufRead, Write};
use std::path::Path;

use crate::{Flow, Machine, Shell, ajou, mtl458, out, picture};

impl Shell {
    /// Runs one input line: raw bytes, possibly not UTF-8, possibly without its newline.
    /// `line_no` (1-based) is used in error messages when not interactive.
    ///
    /// # Errors
    /// Only errors writing to `out` or `err`; bad input is reported on them and remembered
    /// (see [`Shell::failed`]).
    ///
    /// # Examples
    /// ```
    /// use cli::{Flow, Machine, Shell};
    ///
    /// let mut sh = Shell::new(Machine::Mtl458, false, None)?;
    /// let (mut out, mut err) = (Vec::new(), Vec::new());
    /// assert_eq!(sh.execute(b"create_ps 4K 0 4K 4K", 1, &mut out, &mut err)?, Flow::Continue);
    /// sh.execute(b"write_mem 0 0x1000 7", 2, &mut out, &mut err)?;
    /// sh.execute(b"read_mem 0 0x1000", 3, &mut out, &mut err)?;
    /// sh.execute(b"read_mem 9 0", 4, &mut out, &mut err)?;
    /// assert_eq!(out, b"created pid 0\n0x07\n");
    /// assert_eq!(err, b"line 4: error: read_mem: no process with pid 9\n");
    /// assert!(sh.failed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute<O: Write, E: Write>(
        &mut self,
        line: &[u8],
        line_no: usize,
        out: &mut O,
        err: &mut E,
    ) -> io::Result<Flow> {
        if let Some(flow) = picture::show_svg(self, line, line_no, out, err)? {
            return Ok(flow);
        }
        // Standard error is written as it is printed, not staged: `show` prints on both
        // streams, and one line's output must interleave as it does on a terminal.
        match self.machine {
            Machine::Ajou => {
                // The framework's `fgets` cuts a long line into pieces, each a command.
                let mut flow = Flow::Continue;
                for piece in line.chunks(AJOU_PIECE) {
                    flow = ajou::execute(self, piece, line_no, out, &mut out::Direct(err))?;
                    // Each piece is a command of its own in `run_script` too, and the refused
                    // lines are counted per piece there.
                    if self.refused_limit_reached() {
                        self.stop_refused(line_no, out, err)?;
                        return Ok(Flow::Stop);
                    }
                    if flow == Flow::Stop {
                        break;
                    }
                }
                Ok(flow)
            }
            Machine::Mtl458 => {
                let flow = mtl458::execute(self, line, line_no, out, err)?;
                if self.refused_limit_reached() {
                    self.stop_refused(line_no, out, err)?;
                    return Ok(Flow::Stop);
                }
                Ok(flow)
            }
        }
    }

    /// Whether a script (not an interactive session) has just reached [`REFUSED_LIMIT`]
    /// consecutive refused lines and must stop: the same rule for [`Shell::execute`] and
    /// [`Shell::run_script`], so that a line-by-line driver stops where a script run does.
    fn refused_limit_reached(&self) -> bool {
        self.refused.1 >= REFUSED_LIMIT && !self.interactive
    }

    /// Runs one line. An `ajou` shell appends what it prints on standard error to `staged`
    /// (lines are assembled there without a copy of run-time length, see `out::Line::put`); the
    /// caller passes it on to `err`.
    fn step<O: Write, E: Write>(
        &mut self,
        line: &[u8],
        line_no: usize,
        out: &mut O,
        err: &mut E,
        staged: &mut Vec<u8>,
    ) -> io::Result<Flow> {
        if self.echo {
            self.echo_line(line, out)?;
        }
        if let Some(flow) = picture::show_svg(self, line, line_no, out, err)? {
            return Ok(flow);
        }
        let flow = match self.machine {
            Machine::Ajou if self.line_flush => {
                err.write_all(staged)?;
                staged.clear();
                ajou::execute(self, line, line_no, out, &mut out::Direct(err))?
            }
            Machine::Ajou => ajou::execute(self, line, line_no, out, staged)?,
            Machine::Mtl458 => mtl458::execute(self, line, line_no, out, err)?,
        };
        if self.line_flush {
            out.flush()?;
            err.flush()?;
        }
        if self.refused_limit_reached() {
            self.stop_refused(line_no, out, err)?;
            return Ok(Flow::Stop);
        }
        Ok(flow)
    }

    /// `--echo`: the prompt and the line (without its line end) on standard output.
    #[cold]
    fn echo_line<O: Write>(&self, line: &[u8], out: &mut O) -> io::Result<()> {
        let end = line.iter().rposition(|&b| b != b'\n' && b != b'\r').map_or(0, |i| i + 1);
        out.write_all(self.prompt().as_bytes())?;
        out.write_all(&line[..end])?;
        out.write_all(b"\n")
    }

    /// Ends a script after [`REFUSED_LIMIT`] consecutive refused lines, with one line saying
    /// so where the profile's errors go (`ajou`: standard output, `mtl458`: standard error).
    #[cold]
    fn stop_refused<O: Write, E: Write>(&mut self, line_no: usize, out: &mut O, err: &mut E) -> io::Result<()> {
        let first = line_no + 1 - self.refused.1;
        let w: &mut dyn Write = if self.machine == Machine::Ajou { out } else { err };
        writeln!(
            w,
            "line {line_no}: stopped: {REFUSED_LIMIT} consecutive lines refused (lines {first} to {line_no}); \
             the rest of the script was not run"
        )?;
        w.flush()
    }

    /// Runs every line of `input` until its end or a line that stops the run, and returns the
    /// exit status: 0 if every line was accepted, 1 if any was rejected or failed.
    /// `script_path` is the name to show (`ajou` prints `Use file "<path>" for input.` first);
    /// it does not change where files are looked up, [`Shell::new`]'s `base_dir` does.
    ///
    /// Lines are read as the machine's course read them, in bounded memory whatever the input:
    /// `ajou` reads as the framework's `fgets` into a 4,096-byte buffer, so a line longer than
    /// 4,095 bytes is cut into pieces of at most 4,095 bytes, each a command of its own;
    /// `mtl458` reads whole lines of up to 1 MiB and refuses a longer one (one error line, the
    /// line skipped to its end). The last line needs no newline.
    ///
    /// # Errors
    /// Errors reading `input` or writing `out` or `err`.
    pub fn run_script<R: BufRead, O: Write, E: Write>(
        &mut self,
        mut input: R,
        script_path: Option<&Path>,
        out: &mut O,
        err: &mut E,
    ) -> io::Result<i32> {
        if let (Machine::Ajou, Some(path)) = (self.machine, script_path) {
            out.write_all(b"Use file \"")?;
            write_path(out, path)?;
            out.write_all(b"\" for input.\n")?;
        }
        let limit = match self.machine {
            Machine::Ajou => AJOU_PIECE,
            // The newline is not part of the line.
            Machine::Mtl458 => MTL458_LINE + 1,
        };
        // Pieces that lie whole in the reader's buffer run in place; only a piece cut by the end
        // of the buffer is gathered in `partial` (never more than `limit` bytes).
        let mut partial = Vec::new();
        // `mtl458`: the rest of a line over the limit is being skipped.
        let mut skipping = false;
        // Standard error of an `ajou` run, passed on to `err` in blocks of about STAGE bytes.
        let mut staged = Vec::with_capacity(STAGE + STAGE / 8);
        // Newlines read so far: a piece's line number is one more.
        let mut lines = 0usize;
        loop {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                if !partial.is_empty() && !skipping {
                    self.step(&partial, lines + 1, out, err, &mut staged)?;
                }
                break;
            }
            let mut used = 0;
            let mut flow = Flow::Continue;
            while flow == Flow::Continue {
                let rest = &buf[used..];
                if skipping {
                    let Some(nl) = memchr::memchr(b'\n', rest) else {
                        used = buf.len();
                        break;
                    };
                    used += nl + 1;
                    lines += 1;
                    skipping = false;
                    continue;
                }
                // An `ajou` line in one of the common shapes is parsed where it lies, which
                // also finds its end; any other piece is cut at its newline or its limit first.
                let quick = match self.machine {
                    Machine::Ajou if partial.is_empty() && !self.echo && !self.line_flush => {
                        ajou::execute_quick(self, rest, lines + 1, out, &mut staged)?
                    }
                    _ => None,
                };
                let (f, len) = match quick {
                    Some(done) => {
                        lines += 1;
                        done
                    }
                    None => {
                        let room = limit - partial.len();
                        let window = &rest[..rest.len().min(room)];
                        let len = match memchr::memchr(b'\n', window) {
                            Some(nl) => nl + 1,
                            None if window.len() == room => room,
                            // The piece goes on past this buffer.
                            None => break,
                        };
                        let piece = &rest[..len];
                        let ended = piece.last() == Some(&b'\n');
                        let f = if !ended && self.machine == Machine::Mtl458 {
                            partial.clear();
                            skipping = true;
                            self.line_too_long(lines + 1, err)?;
                            Flow::Continue
                        } else if partial.is_empty() {
                            self.step(piece, lines + 1, out, err, &mut staged)?
                        } else {
                            partial.extend_from_slice(piece);
                            let f = self.step(&partial, lines + 1, out, err, &mut staged)?;
                            partial.clear();
                            f
                        };
                        lines += usize::from(ended);
                        (f, len)
                    }
                };
                used += len;
                flow = f;
                if staged.len() >= STAGE {
                    err.write_all(&staged)?;
                    staged = shrunk(staged);
                }
            }
            if flow == Flow::Stop {
                input.consume(used);
                break;
            }
            partial.extend_from_slice(&buf[used..]);
            let len = buf.len();
            input.consume(len);
        }
        err.write_all(&staged)?;
        Ok(self.status())
    }

    /// `mtl458`: the error for a line over [`MTL458_LINE`] bytes.
    #[cold]
    fn line_too_long<E: Write>(&mut self, line_no: usize, err: &mut E) -> io::Result<()> {
        self.error(err, line_no, format_args!("the line is longer than {MTL458_LINE} bytes: skipped"))
    }
}

/// A script stops after this many consecutive refused lines (a binary file run with `--force`,
/// a script for the other profile): the first lines say what is wrong, the rest would only
/// repeat it. `ajou`'s `Unknown command` lines are not refusals (the framework goes on).
pub const REFUSED_LIMIT: usize = 100;

/// How much of an `ajou` run's standard error [`Shell::run_script`] gathers before passing it on.
const STAGE: usize = 1 << 16;

/// The longest piece of a line the `ajou` framework reads as one command: `fgets` into a
/// buffer of 4,096 bytes keeps one for the terminating NUL.
const AJOU_PIECE: usize = 4_095;

/// The longest line the `mtl458` shell reads, newline excluded; longer ones are refused, so
/// that no input (a file without newlines, `/dev/zero`) can make the shell hold more.
const MTL458_LINE: usize = 1 << 20;

/// `buf` emptied, and given back to the allocator if one huge line made it big.
fn shrunk(mut buf: Vec<u8>) -> Vec<u8> {
    buf.clear();
    if buf.capacity() > 2 * STAGE { Vec::new() } else { buf }
}

/// Writes a path's bytes as given (not lossily converted where the platform allows).
fn write_path<W: Write>(w: &mut W, path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        w.write_all(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        write!(w, "{}", path.display())
    }
}
