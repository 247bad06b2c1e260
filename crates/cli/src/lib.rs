//! The simulator's shell: reads commands (a script, standard input or a terminal), drives one
//! [`kernel::Kernel`], and prints what the machine's course printed.
//!
//! Two machines, two command languages:
//! - [`Machine::Ajou`]: the 2021 Ajou course framework's shell, byte for byte (`alloc 3 rw`,
//!   `read 3`, `switch 1`, `show`, `pages`), with its output on standard error;
//! - [`Machine::Mtl458`]: one command per `mtl458` operation (`create_ps`, `fork_ps`,
//!   `allocate_pages`, `read_mem`, `print_page_table`, ...), output on standard output, errors
//!   on standard error.
//!
//! ```
//! let script = b"alloc 3 rw\nswitch 1\nwrite 3\n";
//! let (mut out, mut err) = (Vec::new(), Vec::new());
//! let status = cli::run_script(cli::Machine::Ajou, &script[..], None, &mut out, &mut err)?;
//! assert_eq!(status, 0);
//! assert_eq!(err, b"alloc   3 --> 0  \n  3 --> 1  \n");
//! # Ok::<(), std::io::Error>(())
//! ```

mod ajou;
mod colour;
pub mod demand;
pub mod r#gen;
pub mod grade;
mod interactive;
pub mod machine;
mod mtl458;
mod out;
mod parse;
mod picture;
pub mod record;
pub mod replace;
pub mod replay;
mod report;
pub mod solve;
pub mod status;
pub mod sweep;
mod text;
mod tlb;
pub mod tracefile;
pub mod view;
mod walk;

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use kernel::{ForkPolicy, Kernel, Profile};

pub use interactive::run_interactive;
pub use text::{io_why, not_text, read_text_capped};

/// The machine a shell simulates, and so its command language and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Machine {
    /// The Ajou 2021 course framework: 128 frames, two-level tables, copy-on-write `switch`.
    Ajou,
    /// The MTL458 machine: 200 MiB, byte-addressed processes, `create_ps` / `fork_ps` / ...
    Mtl458,
}

impl Machine {
    /// The kernel profile it runs on.
    pub fn profile(self) -> Profile {
        match self {
            Machine::Ajou => Profile::AJOU,
            Machine::Mtl458 => Profile::MTL458,
        }
    }
}

/// Whether the shell goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// The run is over (`exit`, or an `ajou` error that ends the framework's run).
    Stop,
}

/// One machine and the shell's state around it.
#[derive(Debug)]
pub struct Shell {
    kernel: Kernel,
    machine: Machine,
    interactive: bool,
    /// The `ajou` framework's interactive mode: input from standard input rather than a file
    /// argument, terminal or not. `show` then prints invalid entries too.
    console: bool,
    base_dir: Option<PathBuf>,
    failed: bool,
    /// The `-t` TLB of the framework's later years, when enabled (`ajou` only).
    tlb: Option<tlb::Tlb>,
    /// `--echo`: each line is printed on standard output before its output.
    echo: bool,
    /// Both streams go to a terminal: each line's output is passed on as it is printed, so
    /// that standard output and standard error interleave as they were produced.
    line_flush: bool,
    /// The last line refused, and how many consecutive lines up to it were refused.
    refused: (usize, usize),
}

impl Shell {
    /// A fresh machine. `interactive` selects the interactive behaviour where the course made a
    /// difference (`ajou`'s `show` prints invalid entries too, see [`Shell::set_console`];
    /// error lines carry no line number). `base_dir` is where relative `create_ps` files are
    /// looked up (the current directory if `None`).
    ///
    /// # Errors
    /// If the machine's memory cannot be set up.
    pub fn new(machine: Machine, interactive: bool, base_dir: Option<PathBuf>) -> anyhow::Result<Shell> {
        Shell::with_profile(machine.profile(), interactive, base_dir)
    }

    /// A fresh machine of any profile: the `ajou` profile speaks the `ajou` language, every
    /// other (`mtl458` and the general machines of `--machine`) the `mtl458` language.
    /// `interactive` and `base_dir` as for [`Shell::new`].
    ///
    /// # Errors
    /// If the machine's memory cannot be set up.
    pub fn with_profile(profile: Profile, interactive: bool, base_dir: Option<PathBuf>) -> anyhow::Result<Shell> {
        let machine = if profile == Profile::AJOU { Machine::Ajou } else { Machine::Mtl458 };
        let kernel = Kernel::new(profile)?;
        Ok(Shell {
            kernel,
            machine,
            interactive,
            console: interactive,
            base_dir,
            failed: false,
            tlb: None,
            echo: false,
            line_flush: false,
            refused: (0, 0),
        })
    }

    /// Puts the shell back in the state [`Shell::new`] built it in, with the same machine,
    /// interactivity and base directory: the machine as at boot ([`kernel::Kernel::reset`]),
    /// no TLB mode, echo and line flushing off, no failure recorded. Cheaper than a new shell
    /// for the 200 MiB `mtl458` machine, which is why the fuzz targets reuse one this way.
    pub fn reset(&mut self) {
        self.kernel.reset();
        self.console = self.interactive;
        self.failed = false;
        self.tlb = None;
        self.echo = false;
        self.line_flush = false;
        self.refused = (0, 0);
    }

    /// Sets whether the shell reads what the `ajou` framework reads in its interactive mode:
    /// standard input, because no script file was named, whether or not it is a terminal
    /// (`vmsim < script`). Then `show` prints every entry of an existing inner table, invalid
    /// ones included, as the framework does; reading a file it prints only valid entries.
    /// [`Shell::new`] sets it to its `interactive` argument. No effect on `mtl458`.
    pub fn set_console(&mut self, console: bool) {
        self.console = console;
    }

    /// `--echo`: prints each line of a script on standard output before its output, after the
    /// prompt an interactive session would show (`>> alloc 3 rw`), so that a run reads like a
    /// session. Standard error is unchanged.
    pub fn set_echo(&mut self, echo: bool) {
        self.echo = echo;
    }

    /// For output to a terminal: [`Shell::run_script`] then passes each line's output on to
    /// `out` and `err` as it is printed, and flushes both after each line, so that on one
    /// terminal the two streams appear in the order they were produced (`show`'s blank lines
    /// after their tables). The streams given should be unbuffered or line-buffered. Without
    /// it, output is gathered in large blocks: much faster, for files and pipes.
    pub fn set_line_flush(&mut self, line_flush: bool) {
        self.line_flush = line_flush;
    }

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

    /// The machine.
    pub fn kernel(&self) -> &kernel::Kernel {
        &self.kernel
    }

    /// The machine, to change it directly (tests, the fork-policy option).
    pub fn kernel_mut(&mut self) -> &mut kernel::Kernel {
        &mut self.kernel
    }

    /// Which machine this shell simulates.
    pub fn machine(&self) -> Machine {
        self.machine
    }

    /// Turns on the TLB compatibility mode of the Ajou framework's later years (2021 Fall on,
    /// its `-t` option): accesses print `o |` (TLB hit) or `x |` (miss) before ` %3u --> %-3u`,
    /// the `tlb` command lists the entries, `switch` flushes the TLB and `free` drops the VPN's
    /// entry. As in the framework, the TLB caches frames without permissions, so an access to a
    /// cached VPN hits whether it reads or writes.
    ///
    /// # Errors
    /// On an `mtl458` shell, which has no such mode.
    pub fn enable_tlb(&mut self) -> anyhow::Result<()> {
        if self.machine != Machine::Ajou {
            anyhow::bail!("the TLB mode is for the ajou profile only");
        }
        self.tlb = Some(tlb::Tlb::new(self.kernel.profile().format.vpn_count()));
        Ok(())
    }

    /// The `-t` TLB's valid entries (VPN, frame) in the order `tlb` lists them, or `None` when
    /// the mode is off: for views of the machine, which read it and change nothing.
    pub fn tlb_entries(&self) -> Option<impl Iterator<Item = (kernel::Vpn, kernel::Pfn)> + '_> {
        self.tlb.as_ref().map(|t| t.valid())
    }

    /// Changes how later forks copy memory.
    pub fn set_fork_policy(&mut self, policy: ForkPolicy) {
        self.kernel.set_fork_policy(policy);
    }

    /// Whether any line so far was rejected or failed.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The exit status so far: 0, or 1 if [`Shell::failed`].
    pub fn status(&self) -> i32 {
        i32::from(self.failed)
    }

    /// The prompt an interactive session shows, with the current process where the machine
    /// has one (`ajou`: `pid 0 >> `; `mtl458` names a pid in every command instead).
    pub fn session_prompt(&self) -> String {
        match (self.machine, self.kernel.current()) {
            (Machine::Ajou, Some(pid)) => format!("pid {pid} {}", self.prompt()),
            _ => self.prompt().to_string(),
        }
    }

    /// The plain prompt: what `--echo` prints before each line, and the end of
    /// [`Shell::session_prompt`].
    pub fn prompt(&self) -> &'static str {
        match self.machine {
            Machine::Ajou => ">> ",
            Machine::Mtl458 => "mtl458> ",
        }
    }

    /// What an interactive session prints first.
    pub fn banner(&self) -> &'static str {
        match self.machine {
            Machine::Ajou => {
                "vmsim: the Ajou 2021 virtual memory simulator\n\
                 (128 page frames, 2-level page tables, copy-on-write fork on switch)\n\
                 Enter 'help' or '?' for help, 'ps' to list the processes, 'exit' to leave.\n\n"
            }
            Machine::Mtl458 => {
                "vmsim: the MTL458 machine\n\
                 (200 MiB RAM, 4 MiB processes, single-level page tables)\n\
                 Enter 'help' or '?' for help, 'ps' to list the processes, 'exit' to leave.\n\n"
            }
        }
    }

    /// Where a file named in a command is looked up.
    fn resolve(&self, path: &Path) -> PathBuf {
        match &self.base_dir {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.to_path_buf(),
        }
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

/// Runs a whole script on a fresh `machine` and returns the exit status: 0 if every command was
/// accepted, 1 if some line was rejected (bad input) or an operation returned an error.
///
/// `script_path` is shown as given (`ajou` prints `Use file "<path>" for input.` on `out`
/// first), and its directory is where relative `create_ps` files are found. Scripts run with
/// the non-interactive behaviour.
///
/// # Errors
/// Errors reading `input` or writing `out` or `err`.
pub fn run_script<R: BufRead, O: Write, E: Write>(
    machine: Machine,
    input: R,
    script_path: Option<&Path>,
    out: &mut O,
    err: &mut E,
) -> io::Result<i32> {
    let base = script_path.map(script_dir);
    let mut shell = Shell::new(machine, false, base).map_err(io::Error::other)?;
    shell.run_script(input, script_path, out, err)
}

/// Refuses a policy option (`--period`, `--tau`, `--seed`, `--opt-ties`) that none of
/// `specs` reads, so that it cannot look as if it did something: `given` pairs each parameter
/// with whether the user set it. Which policy reads which is the `policy` crate's
/// ([`policy::Spec::uses`]).
///
/// # Errors
/// The first set parameter no policy of `specs` reads, as `--period: only nru and aging take
/// a tick period, not fifo`.
pub(crate) fn check_policy_options(
    specs: &[policy::Spec],
    given: impl IntoIterator<Item = (policy::Parameter, bool)>,
) -> anyhow::Result<()> {
    let set = given.into_iter().filter_map(|(p, set)| set.then_some(p));
    policy::check_used(specs, set).map_err(|e| {
        let flag = format!("--{}", e.parameter.name());
        anyhow::Error::new(e).context(flag)
    })
}

/// The directory relative file names in the script at `path` are taken from.
pub fn script_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
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
