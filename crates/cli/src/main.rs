//! `vmsim`: the simulator's command-line entry point. Parses options and hands over to the
//! `cli` library: a script file, standard input, or an interactive session on a terminal.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use cli::{Machine, Shell, io_why, status};

/// A virtual-memory simulator for teaching: page tables, fork, copy-on-write.
///
/// With SCRIPT, runs it; without, runs standard input as a script, or an interactive shell
/// (line editing, history, `help`, `ps`) when standard input is a terminal. Without SCRIPT,
/// ajou is in the framework's interactive mode either way: `show` prints invalid entries too.
///
/// ajou reads input as the course framework does: lines in pieces of at most 4,095 bytes
/// (fgets), each a command; words split at blanks, lower-cased, a word starting with # ends
/// the command; numbers as C strtoimax(word, NULL, 0) cut to 32 bits, the longest valid prefix
/// (7abc is 7, abc is 0, -1 is 4294967295); flag words OR their letters r and w. It refuses,
/// with one line on standard output, only what the framework crashes on: a VPN of 256 or more,
/// four or more words, flags with neither r nor w, a switch to the current pid, an access
/// under a never-allocated inner table, a copy-on-write copy with no free frame.
#[derive(Debug, Parser)]
#[command(name = "vmsim", version, max_term_width = 80, after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
struct Args {
    /// A tool other than the shell (without one, `vmsim` runs SCRIPT as always).
    #[command(subcommand)]
    command: Option<Command>,

    /// The machine and its command language: `ajou` reproduces the Ajou 2021 course
    /// framework byte for byte (its output on standard error); `mtl458` is the MTL458
    /// 200 MiB machine.
    #[arg(long, value_enum, default_value = "ajou")]
    profile: Machine,

    /// How fork gives the child its memory: copy every page now (`eager`) or share pages
    /// until written (`cow`). Default: the profile's (ajou: cow, mtl458: eager).
    #[arg(long, value_enum)]
    fork_policy: Option<Fork>,

    /// ajou only: the TLB mode of the framework's later years (2021 Fall on): accesses
    /// print `o |` (hit) or `x |` (miss), `tlb` lists the TLB, `switch` flushes it.
    #[arg(short = 't', long)]
    tlb: bool,

    /// Print each script line on standard output before its output, after the prompt
    /// (`>> alloc 3 rw`). Standard error is unchanged.
    #[arg(long)]
    echo: bool,

    /// Run a script that does not look like text (most lines of its first block binary: NUL
    /// or control bytes, invalid UTF-8); without it such a file is refused with status 2.
    #[arg(long)]
    force: bool,

    /// Any machine instead of a course profile: a preset, a machine file or a custom geometry.
    #[command(flatten)]
    machine: cli::machine::MachineArgs,

    /// Demand paging on a general machine: frames, policy, swap (see docs/demand-paging.md).
    #[command(flatten)]
    demand: cli::demand::DemandArgs,

    /// A script of commands, one per line. Relative file names in it (mtl458 `create_ps`)
    /// are taken from the script's directory.
    script: Option<PathBuf>,
}

/// The subcommands: each parses its own options and calls `cli::<name>::run`.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Answer an OSTEP homework problem (paging-policy.py, paging-linear-translate.py,
    /// paging-multilevel-translate.py) byte for byte, as its `-c` would.
    Solve(cli::solve::Args),
    /// Grade a student's simulator against the reference: the first difference, explained.
    Grade(cli::grade::GradeArgs),
    /// Write a random ajou script that uses only input the framework defines.
    Gen(cli::r#gen::GenArgs),
    /// Write a step-through HTML page of a script's run: every command's output, every
    /// process's page tables, the frames and their map counts (see docs/view.md).
    View(cli::view::ViewArgs),
    /// Replay a memory trace through N page frames under a replacement policy.
    Replay(cli::replay::Args),
    /// Replay a trace under several policies at several memory sizes; table, CSV, SVG curve.
    Sweep(cli::sweep::Args),
    /// Record a command's memory trace under Valgrind's lackey, compressed.
    Record(cli::record::Args),
    /// Run a reference string through replacement policies: a trace, a faults-against-frames
    /// table (Belady's anomaly flagged), or OSTEP paging-policy.py lines.
    Replace(cli::replace::Args),
}

/// The end of `--help`: the exit status and where the shell's own notes go.
const AFTER_HELP: &str = "\
Exit status (every profile):
  0    every line was accepted (ajou: whatever the course framework runs
       through: `Unknown command`, `Unable to access`, `is not allocated`,
       and `is already allocated` / `memory is full`, which end the run)
  1    a line was refused or an operation failed (ajou: input the framework
       crashes on; mtl458: an unknown command, a bad argument or an
       operation's error, but not a kill), or the script stopped after 100
       consecutive refused lines
  2    usage error, or the script could not be opened or read, or is not
       text (see --force)
  141  an output pipe was closed (`vmsim s | head`): the run ends quietly

Standard output carries this program's own notes; in the ajou profile
standard error is exactly the course framework's. `ps` lists the processes
in both profiles.";

/// `--fork-policy` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Fork {
    /// Copy every page at fork time.
    Eager,
    /// Copy-on-write: share frames read-only, copy a page on its first write.
    Cow,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(command) = &args.command {
        let mut out = io::stdout().lock();
        // Grading reports its own status (0 only when every case passes); a failure to grade
        // at all is 2, apart from the failing cases' 1.
        let (done, error_status) = match command {
            Command::Solve(a) => (cli::solve::run(a, &mut out).map(|()| 0), 1),
            Command::Grade(a) => (cli::grade::run(a), 2),
            Command::Gen(a) => (cli::r#gen::run(a), 2),
            Command::View(a) => (cli::view::run(a), 1),
            Command::Replay(a) => (cli::replay::run(a, &mut out).map(|()| 0), 0),
            Command::Sweep(a) => (cli::sweep::run(a, &mut out).map(|()| 0), 0),
            Command::Record(a) => (cli::record::run(a, &mut out).map(|()| 0), 1),
            Command::Replace(a) => (cli::replace::run(a, &mut out).map(|()| 0), 0),
        };
        return match done.and_then(|status| Ok(out.flush().map(|()| status)?)) {
            Ok(status) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
            Err(e) if e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) => {
                ExitCode::from(status::CLOSED_PIPE)
            }
            Err(e) => {
                // A bare I/O error is standard output failing (`> /dev/full`): say so in words.
                let message = match e.downcast_ref::<io::Error>() {
                    Some(io) if e.chain().count() == 1 => format!("cannot write the output: {}", io_why(io)),
                    _ => format!("{e:#}"),
                };
                // Standard error may be a closed pipe too: never panic on it.
                let _ = writeln!(io::stderr(), "vmsim: {message}");
                // 0 marks the subcommands whose status depends on the error: 2 for their
                // arguments or input, 1 for an output they could not write (docs/usage.md).
                ExitCode::from(if error_status == 0 { status::of_subcommand_error(&e) } else { error_status })
            }
        };
    }
    let profile = match args.machine.profile() {
        Ok(p) => p.unwrap_or_else(|| args.profile.profile()),
        Err(e) => Args::command().error(ErrorKind::InvalidValue, format!("{e:#}")).exit(),
    };
    if args.tlb && cli::machine::language(&profile) != Machine::Ajou {
        Args::command().error(ErrorKind::ArgumentConflict, "--tlb is for the ajou profile only").exit();
    }
    let status = match run(&args, profile) {
        Ok(status) => status,
        Err(Failed::Pipe) => status::CLOSED_PIPE,
        Err(Failed::Message(status, message)) => {
            // Standard error may be the closed pipe itself: nothing more to say then.
            let _ = writeln!(io::stderr(), "vmsim: {message}");
            status
        }
    };
    ExitCode::from(status)
}

/// Why a run ended early.
enum Failed {
    /// An output stream was closed: end quietly.
    Pipe,
    /// One line to print, and the exit status.
    Message(u8, String),
}

impl From<io::Error> for Failed {
    /// An error writing the output (reading errors are turned into messages where they occur).
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::BrokenPipe => Failed::Pipe,
            _ => Failed::Message(status::UNREADABLE, format!("cannot write the output: {}", io_why(&e))),
        }
    }
}

fn run(args: &Args, profile: kernel::Profile) -> Result<u8, Failed> {
    let interactive = args.script.is_none() && io::stdin().is_terminal();
    let base = args.script.as_deref().map(cli::script_dir);
    let mut shell = Shell::with_profile(profile, interactive, base)
        .map_err(|e| Failed::Message(status::UNREADABLE, format!("cannot start the machine: {e:#}")))?;
    // Without a file argument the ajou framework is in its interactive mode even when standard
    // input is a pipe (`vmsim < script`): `show` prints invalid entries too.
    shell.set_console(args.script.is_none());
    if let Some(f) = args.fork_policy {
        shell.set_fork_policy(match f {
            Fork::Eager => kernel::ForkPolicy::Eager,
            Fork::Cow => kernel::ForkPolicy::CopyOnWrite,
        });
    }
    args.demand.apply(&mut shell).map_err(|e| Failed::Message(status::UNREADABLE, format!("{e:#}")))?;
    if args.tlb {
        shell.enable_tlb().map_err(|e| Failed::Message(status::UNREADABLE, format!("{e:#}")))?;
    }
    shell.set_echo(args.echo);
    if interactive {
        return match cli::run_interactive(&mut shell) {
            Ok(s) => Ok(u8::try_from(s).unwrap_or(status::REFUSED)),
            Err(e) => Err(match e.downcast_ref::<io::Error>() {
                Some(io) if io.kind() == io::ErrorKind::BrokenPipe => Failed::Pipe,
                _ => Failed::Message(status::UNREADABLE, format!("{e:#}")),
            }),
        };
    }
    let (name, input): (String, Box<dyn Read>) = match &args.script {
        Some(path) => (path.display().to_string(), Box::new(open(path)?)),
        None => ("standard input".to_string(), Box::new(io::stdin().lock())),
    };
    let read_error = std::cell::Cell::new(None);
    let mut input = BufReader::with_capacity(1 << 16, Tagged { inner: input, error: &read_error });
    let first = match input.fill_buf() {
        Ok(block) => block,
        Err(e) => {
            return Err(Failed::Message(status::UNREADABLE, format!("cannot read script {name}: {}", io_why(&e))));
        }
    };
    if !args.force {
        if let Some(why) = cli::not_text(first) {
            return Err(Failed::Message(
                status::UNREADABLE,
                format!("refusing script {name}: it is not text ({why}); --force runs it anyway"),
            ));
        }
    }
    // On a terminal the two streams must interleave as produced: pass each line's output on
    // at once (stdout is line-buffered, stderr unbuffered). Elsewhere, large blocks.
    let on_terminal = io::stdout().is_terminal() || io::stderr().is_terminal();
    let script = args.script.as_deref();
    let result = if on_terminal {
        shell.set_line_flush(true);
        shell.run_script(input, script, &mut io::stdout().lock(), &mut io::stderr().lock())
    } else {
        let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
        let mut err = BufWriter::with_capacity(1 << 16, io::stderr().lock());
        shell.run_script(input, script, &mut out, &mut err).and_then(|s| {
            out.flush()?;
            err.flush()?;
            Ok(s)
        })
    };
    match result {
        Ok(s) => Ok(u8::try_from(s).unwrap_or(status::REFUSED)),
        Err(e) => match read_error.take() {
            Some(e) => Err(Failed::Message(status::UNREADABLE, format!("cannot read script {name}: {}", io_why(&e)))),
            None => Err(e.into()),
        },
    }
}

/// Opens a script file: not a directory.
fn open(path: &Path) -> Result<File, Failed> {
    let cannot =
        |what: String| Failed::Message(status::UNREADABLE, format!("cannot open script {}: {what}", path.display()));
    let f = File::open(path).map_err(|e| cannot(io_why(&e)))?;
    match f.metadata() {
        Ok(m) if m.is_dir() => Err(cannot("it is a directory".to_string())),
        _ => Ok(f),
    }
}

/// A reader that remembers its error, so that a failed run can tell a script it could not
/// read (status 2) from output it could not write.
struct Tagged<'a, R> {
    inner: R,
    error: &'a std::cell::Cell<Option<io::Error>>,
}

impl<R: Read> Read for Tagged<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| self.error.set(Some(io::Error::new(e.kind(), e.to_string()))))
    }
}
