//! `vmsim grade`: parses its arguments, gives the `grade` crate this crate's shell as the
//! reference, and prints the report. The grading itself is `grade`'s.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use grade::random::GenOptions;
use grade::{Case, CaseResult, Flavour, Limits, LineOutput, Reference, Session, Student};

use crate::{Flow, Machine, Shell};

/// Arguments of `vmsim grade`.
#[derive(Debug, clap::Args)]
pub struct GradeArgs {
    /// The student's simulator, run as the course runs it: `PATH [-t] SCRIPT`, graded on
    /// standard error against the `ajou` profile.
    #[arg(long, value_name = "PATH", required_unless_present = "mtl458", conflicts_with = "mtl458")]
    pub student: Option<PathBuf>,

    /// An MTL458 student's C file (the seven functions): built with the harness and `--cc`,
    /// graded on the transcript against `--profile mtl458`.
    #[arg(long, value_name = "STUDENT.c")]
    pub mtl458: Option<PathBuf>,

    /// With --mtl458: the student's own `mmu.h` instead of the shipped one.
    #[arg(long, value_name = "PATH", requires = "mtl458")]
    pub header: Option<PathBuf>,

    /// The C compiler for --mtl458.
    #[arg(long, default_value = "cc")]
    pub cc: String,

    /// The framework's TLB generation: the student runs with `-t`, and so does the reference.
    #[arg(short = 't', long)]
    pub tlb: bool,

    /// Script files, or directories of them (every file inside, in name order).
    #[arg(value_name = "CASES")]
    pub cases: Vec<PathBuf>,

    /// Also grade N random scripts (`vmsim gen`; ajou only). Default 10 when no CASES.
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,

    /// The first random script's seed; the i-th has seed S + i.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Commands per random script.
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub commands: usize,

    /// Print the results as JSON instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Also write Gradescope's results.json to PATH.
    #[arg(long, value_name = "PATH")]
    pub gradescope: Option<PathBuf>,

    /// Points per case in results.json.
    #[arg(long, default_value_t = 1.0)]
    pub points: f64,

    /// Wall-clock limit per case, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub time_limit: f64,

    /// Address-space limit per case, in MiB; 0 for none (sanitizer builds need none).
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub memory_limit: u64,
}

/// The shell as `grade`'s reference machine. `base` is where relative `create_ps` files are
/// found (the case's directory, as for `vmsim SCRIPT`).
pub(crate) struct ShellReference {
    pub(crate) base: Option<PathBuf>,
}

struct ShellSession(Shell);

impl Session for ShellSession {
    fn execute(&mut self, line: &[u8], line_no: usize) -> io::Result<LineOutput> {
        let was_failed = self.0.failed();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let flow = self.0.execute(line, line_no, &mut out, &mut err)?;
        let (graded, other) = match self.0.machine() {
            Machine::Ajou => (err, out),
            Machine::Mtl458 => (out, err),
        };
        // A refused line prints only its message, on the ungraded stream, and fails the run.
        // Lines that print graded output ("is not allocated") or an `Unknown command` are
        // the framework's own behaviour, whatever exit status the shell gives them.
        let rejected = !was_failed && self.0.failed() && graded.is_empty() && !other.starts_with(b"Unknown command");
        Ok(LineOutput { graded, other, stop: flow == Flow::Stop, rejected })
    }

    fn kernel(&self) -> &kernel::Kernel {
        self.0.kernel()
    }
}

impl Reference for ShellReference {
    fn start(&self, flavour: Flavour, tlb: bool) -> io::Result<Box<dyn Session>> {
        let machine = match flavour {
            Flavour::Ajou => Machine::Ajou,
            Flavour::Mtl458 => Machine::Mtl458,
        };
        let mut shell = Shell::new(machine, false, self.base.clone()).map_err(io::Error::other)?;
        if tlb {
            shell.enable_tlb().map_err(io::Error::other)?;
        }
        Ok(Box::new(ShellSession(shell)))
    }
}

/// Runs `vmsim grade` and returns the exit status: 0 only when every case passes.
///
/// # Errors
/// Unreadable cases, a harness that does not build, a failure of the reference, I/O.
pub fn run(args: &GradeArgs) -> anyhow::Result<i32> {
    let limits = Limits {
        time: Duration::from_secs_f64(args.time_limit.max(0.001)),
        memory: (args.memory_limit > 0).then_some(args.memory_limit.saturating_mul(1 << 20)),
        output: Limits::default().output,
    };
    let work = tempfile::tempdir().context("creating a temporary directory")?;
    let student = match (&args.student, &args.mtl458) {
        (Some(p), None) => Student {
            program: p.clone(),
            args: if args.tlb { vec!["-t".into()] } else { Vec::new() },
            flavour: Flavour::Ajou,
            tlb: args.tlb,
        },
        (None, Some(c)) => {
            if args.tlb {
                bail!("-t is for the ajou framework only");
            }
            let exe = grade::mtl458::build(c, args.header.as_deref(), &args.cc, work.path())?;
            Student { program: exe, args: Vec::new(), flavour: Flavour::Mtl458, tlb: false }
        }
        _ => bail!("give exactly one of --student PATH and --mtl458 STUDENT.c"),
    };
    let mut cases: Vec<(Case, PathBuf)> = Vec::new();
    for path in &args.cases {
        for file in case_files(path)? {
            let script = read_case(&file)?;
            let name =
                file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            cases.push((Case { name, script }, file));
        }
    }
    let random = args.random.unwrap_or(if args.cases.is_empty() { 10 } else { 0 });
    if random > 0 && student.flavour == Flavour::Mtl458 {
        bail!("--random generates ajou scripts only; give mtl458 CASES");
    }
    for i in 0..random as u64 {
        let seed = args.seed + i;
        let opts = GenOptions { seed, commands: args.commands, tlb: args.tlb };
        let script = grade::random::generate(&ShellReference { base: None }, &opts)?;
        let name = format!("random-s{seed}-n{}", args.commands);
        let file = work.path().join(&name);
        std::fs::write(&file, &script)?;
        cases.push((Case { name, script }, file));
    }
    let mut results: Vec<CaseResult> = Vec::with_capacity(cases.len());
    for (case, file) in &cases {
        let reference = ShellReference { base: Some(crate::script_dir(file)) };
        results.push(grade::grade_case(&reference, &student, case, file, &limits)?);
    }
    let mut stdout = io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", grade::report::json(&results)?)?;
    } else {
        write!(stdout, "{}", grade::report::text(&results))?;
    }
    if let Some(path) = &args.gradescope {
        std::fs::write(path, grade::report::gradescope(&results, args.points)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if results.iter().all(CaseResult::passed) { 0 } else { 1 })
}

/// The most bytes of a case read: a bound on the memory an endless file (`/dev/zero`) takes.
const MAX_CASE_BYTES: u64 = 64 << 20;

/// A case script, read in bounded memory.
///
/// # Errors
/// The file cannot be read, or is larger than [`MAX_CASE_BYTES`].
fn read_case(file: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let cannot = |why: String| anyhow::anyhow!("cannot read case {}: {why}", file.display());
    let mut script = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_CASE_BYTES + 1).read_to_end(&mut script))
        .map_err(|e| cannot(crate::io_why(&e)))?;
    if script.len() as u64 > MAX_CASE_BYTES {
        return Err(cannot(format!("larger than {MAX_CASE_BYTES} bytes")));
    }
    Ok(script)
}

/// A case path: the file itself, or every file in the directory, in name order.
///
/// # Errors
/// The path cannot be read, or is a directory with no file in it (a run that grades nothing
/// must not pass).
fn case_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read case {}: {}", path.display(), crate::io_why(&e)))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("listing {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no case in {}: the directory holds no file", path.display());
    }
    Ok(files)
}
