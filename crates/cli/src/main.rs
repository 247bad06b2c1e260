//! `vmsim`: the simulator's command-line entry point. Parses options and hands over to the
//! `cli` library: a script file, standard input, or an interactive session on a terminal.

use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use cli::{Machine, Shell};

/// A virtual-memory simulator for teaching: page tables, fork, copy-on-write.
///
/// With SCRIPT, runs it; without, runs standard input as a script, or an interactive shell
/// (line editing, history, `help`) when standard input is a terminal. Without SCRIPT, ajou is
/// in the framework's interactive mode either way: `show` prints invalid entries too.
///
/// ajou reads input as the course framework does: lines in pieces of at most 4,095 bytes
/// (fgets), each a command; words split at blanks, lower-cased, a word starting with # ends
/// the command; numbers as C strtoimax(word, NULL, 0) cut to 32 bits, the longest valid prefix
/// (7abc is 7, abc is 0, -1 is 4294967295); flag words OR their letters r and w. It refuses,
/// with one line on standard output, only what the framework crashes on: a VPN of 256 or more,
/// four or more words, flags with neither r nor w, a switch to the current pid, an access
/// under a never-allocated inner table, a copy-on-write copy with no free frame.
///
/// Exit status: 0 if no line was refused (ajou: "Unable to access", "is not allocated",
/// unknown commands, "memory is full" are the framework's ordinary output); 1 if a line was
/// refused or (mtl458) an operation failed; 2 if the script could not be read.
#[derive(Debug, Parser)]
#[command(name = "vmsim", version, args_conflicts_with_subcommands = true)]
struct Args {
    /// A tool other than the shell (without one, `vmsim` runs SCRIPT as always).
    #[command(subcommand)]
    command: Option<Command>,

    /// The machine and its command language: `ajou` reproduces the Ajou 2021 course framework
    /// byte for byte (output on standard error); `mtl458` is the MTL458 200 MiB machine.
    #[arg(long, value_enum, default_value = "ajou")]
    profile: Machine,

    /// How fork gives the child its memory: copy every page now (`eager`) or share pages
    /// until written (`cow`). Default: the profile's (ajou: cow, mtl458: eager).
    #[arg(long, value_enum)]
    fork_policy: Option<Fork>,

    /// ajou only: the TLB compatibility mode of the framework's later years (2021 Fall on):
    /// accesses print `o |` (TLB hit) or `x |` (miss), `tlb` lists the TLB, `switch` flushes it.
    #[arg(short = 't', long)]
    tlb: bool,

    /// A script of commands, one per line. Relative file names in it (mtl458 `create_ps`) are
    /// taken from the script's directory.
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
}

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
            Command::Replay(a) => (cli::replay::run(a, &mut out).map(|()| 0), 1),
            Command::Sweep(a) => (cli::sweep::run(a, &mut out).map(|()| 0), 1),
            Command::Record(a) => (cli::record::run(a, &mut out).map(|()| 0), 1),
        };
        return match done.and_then(|status| Ok(out.flush().map(|()| status)?)) {
            Ok(status) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
            Err(e) => {
                eprintln!("vmsim: {e:#}");
                ExitCode::from(error_status)
            }
        };
    }
    if args.tlb && args.profile != Machine::Ajou {
        Args::command().error(ErrorKind::ArgumentConflict, "--tlb is for the ajou profile only").exit();
    }
    match run(&args) {
        Ok(status) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
        Err(e) => {
            eprintln!("vmsim: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<i32> {
    let interactive = args.script.is_none() && io::stdin().is_terminal();
    let base = args.script.as_deref().map(cli::script_dir);
    let mut shell = Shell::new(args.profile, interactive, base)?;
    // Without a file argument the ajou framework is in its interactive mode even when standard
    // input is a pipe (`vmsim < script`): `show` prints invalid entries too.
    shell.set_console(args.script.is_none());
    if let Some(f) = args.fork_policy {
        shell.set_fork_policy(match f {
            Fork::Eager => kernel::ForkPolicy::Eager,
            Fork::Cow => kernel::ForkPolicy::CopyOnWrite,
        });
    }
    if args.tlb {
        shell.enable_tlb()?;
    }
    if interactive {
        return cli::run_interactive(&mut shell);
    }
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut err = BufWriter::with_capacity(1 << 16, io::stderr().lock());
    let status = match &args.script {
        Some(path) => match std::fs::File::open(path)
            .and_then(|f| if f.metadata()?.is_dir() { Err(io::Error::other("it is a directory")) } else { Ok(f) })
        {
            Ok(f) => shell.run_script(BufReader::with_capacity(1 << 16, f), Some(path), &mut out, &mut err)?,
            Err(e) => {
                eprintln!("vmsim: cannot read script {}: {e}", path.display());
                return Ok(2);
            }
        },
        None => shell.run_script(io::stdin().lock(), None, &mut out, &mut err)?,
    };
    out.flush()?;
    err.flush()?;
    Ok(status)
}
