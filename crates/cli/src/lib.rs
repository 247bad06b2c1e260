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
mod script;
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
pub use script::REFUSED_LIMIT;
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
