//! `vmsim view SCRIPT [-o FILE.html]`: runs a script through the same shell as `vmsim SCRIPT`
//! and writes the step-through page of the run (the `view` crate renders it).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use view::{Recorder, Stream, Transcript};

use crate::{Flow, Machine, Shell, script_dir};

/// The arguments of `vmsim view`.
#[derive(Debug, clap::Args)]
pub struct ViewArgs {
    /// The script to run, one command per line.
    pub script: PathBuf,

    /// Where to write the page: default the script's file name with `.html` added, in the
    /// current directory; `-` for standard output.
    #[arg(short, long, value_name = "FILE.html")]
    pub output: Option<PathBuf>,

    /// The machine and its command language, as for `vmsim` itself.
    #[arg(long, value_enum, default_value = "ajou")]
    pub profile: Machine,

    /// ajou only: the TLB mode of the framework's later years; the page shows the TLB.
    #[arg(short = 't', long)]
    pub tlb: bool,
}

/// Runs `args.script`, recording the machine after every line, and writes the page. Returns
/// the exit status: 0 when the page was written (whatever the script did: its errors are on
/// the page), 2 if the script could not be read.
///
/// # Errors
/// If the page cannot be rendered or written, or the script is too long to show.
pub fn run(args: &ViewArgs) -> anyhow::Result<i32> {
    let text = match read_script(&args.script) {
        Ok(t) => t,
        Err(message) => {
            eprintln!("vmsim: {message}");
            return Ok(2);
        }
    };
    let rec = record(args.profile, args.tlb, &args.script, &text)?;
    let steps = rec.steps.len();
    let page = view::render_page(&rec)?;
    let target = match &args.output {
        Some(p) if p.as_os_str() == "-" => {
            io::stdout().lock().write_all(page.as_bytes())?;
            return Ok(0);
        }
        Some(p) => p.clone(),
        None => default_output(&args.script),
    };
    std::fs::write(&target, &page)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", target.display(), crate::io_why(&e)))?;
    println!("wrote {}: {}, {} bytes", target.display(), policy::Count(steps, "step"), page.len());
    Ok(0)
}

/// The most bytes of script read: far more than the [`view::MAX_STEPS`] commands a page
/// holds, and a bound on the memory an endless input (`/dev/zero`) can take.
const MAX_SCRIPT_BYTES: u64 = 64 << 20;

/// The script at `path`, read in bounded memory and refused unless it looks like text (as
/// `vmsim SCRIPT` refuses it without `--force`).
///
/// # Errors
/// The line to print: the script cannot be read (`no such file`, `it is a directory`), is
/// larger than [`MAX_SCRIPT_BYTES`], or is not text (a NUL byte, lines of invalid UTF-8).
fn read_script(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let name = path.display();
    let cannot = |why: String| format!("cannot read script {name}: {why}");
    let file = std::fs::File::open(path).map_err(|e| cannot(crate::io_why(&e)))?;
    let mut text = Vec::new();
    file.take(MAX_SCRIPT_BYTES + 1).read_to_end(&mut text).map_err(|e| cannot(crate::io_why(&e)))?;
    if text.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(cannot(format!("larger than {MAX_SCRIPT_BYTES} bytes")));
    }
    if let Some(why) = crate::not_text(&text[..text.len().min(1 << 16)]) {
        return Err(format!("refusing script {name}: it is not text ({why})"));
    }
    Ok(text)
}

/// Runs `text` (the script at `path`) on a fresh `machine` and records every line.
///
/// Lines are cut at each newline and given to [`Shell::execute`], as `vmsim SCRIPT` cuts them;
/// what a line prints on either stream is kept with it, in the order it was printed.
///
/// # Errors
/// If the machine cannot be built, the TLB mode does not apply, or the script has more lines
/// than a page holds.
pub fn record(machine: Machine, tlb: bool, path: &Path, text: &[u8]) -> anyhow::Result<view::Recording> {
    let mut shell = Shell::new(machine, false, Some(script_dir(path)))?;
    if tlb {
        shell.enable_tlb()?;
    }
    let log = Transcript::default();
    let (mut out, mut err) = (log.writer(Stream::Out), log.writer(Stream::Err));
    // What the shell prints before the first line (`ajou`: `Use file "..." for input.`).
    shell.run_script(&b""[..], Some(path), &mut out, &mut err)?;
    let title = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let tlb_now = |sh: &Shell| sh.tlb_entries().map(Iterator::collect::<Vec<_>>);
    let mut rec = Recorder::new(&title, shell.kernel(), tlb_now(&shell).as_deref(), log.take());
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        let flow = shell.execute(line, i + 1, &mut out, &mut err)?;
        rec.step(line, log.take(), shell.kernel(), tlb_now(&shell).as_deref())?;
        if flow == Flow::Stop {
            break;
        }
    }
    Ok(rec.finish())
}

/// `SCRIPT.html` in the current directory, from the script's file name.
fn default_output(script: &Path) -> PathBuf {
    let mut name = script.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "vmsim".into());
    name.push(".html");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_that_cannot_be_read_or_is_not_text_is_one_line_and_no_page() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("a.out");
        std::fs::write(&binary, b"\x7fELF\x02\x01\x01\0\0\0").unwrap();
        let why = |p: &Path| read_script(p).unwrap_err();
        assert_eq!(why(dir.path()), format!("cannot read script {}: it is a directory", dir.path().display()));
        assert!(why(&dir.path().join("nope")).ends_with(": no such file"));
        assert_eq!(
            why(&binary),
            format!("refusing script {}: it is not text (a NUL byte at offset 7)", binary.display())
        );
        // An endless input stops at the bound instead of filling memory (or, before, hanging).
        assert!(why(Path::new("/dev/zero")).ends_with(&format!("larger than {MAX_SCRIPT_BYTES} bytes")));
        let args =
            ViewArgs { script: binary, output: Some(dir.path().join("p.html")), profile: Machine::Ajou, tlb: false };
        assert_eq!(run(&args).unwrap(), 2);
        assert!(!dir.path().join("p.html").exists());
    }

    #[test]
    fn an_mtl458_run_records_a_step_per_line_and_a_kill_ends_the_process() {
        let script = b"create_ps 4K 0 4K 4K\nfork_ps 0\nwrite_mem 1 0 1\nread_mem 0 0\n";
        let rec = record(Machine::Mtl458, false, Path::new("t.vm"), script).unwrap();
        assert_eq!(rec.steps.len(), 4);
        assert_eq!(rec.steps[0].output[0].text, "created pid 0");
        assert_eq!(rec.steps[1].delta.processes_added.len(), 1, "the fork");
        // A write to code kills process 1: it is gone, and so is its share of each frame.
        assert_eq!(rec.steps[2].delta.processes_removed, [1]);
        assert!(rec.steps[2].output[0].text.starts_with("segmentation fault: pid 1 killed"));
        assert!(rec.steps[3].delta.is_empty(), "a read changes nothing");
        assert!(!rec.machine.tlb && !rec.machine.directory);
    }

    #[test]
    fn the_ajou_preamble_and_a_stop_end_the_recording_where_the_shell_stops() {
        let rec = record(Machine::Ajou, true, Path::new("s"), b"alloc 1 r\nalloc 1 r\nread 1\n").unwrap();
        assert_eq!(rec.preamble[0].text, "Use file \"s\" for input.");
        assert_eq!(rec.steps.len(), 2, "an allocated VPN ends the framework's run");
        assert_eq!(rec.steps[1].output[0].text, "1 is already allocated to 0");
        assert!(rec.machine.tlb);
    }
}
