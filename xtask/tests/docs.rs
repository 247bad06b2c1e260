//! Keeps the shell transcripts in the documentation in step with what the shell prints now.
//!
//! A transcript is a fenced code block right after a marker comment (invisible once rendered):
//!
//! ```text
//! <!-- transcript: ajou script=../shared/conformance/ajou-2021/cases/cow-2 lines=6-10 stream=stderr -->
//! <!-- transcript: ajou script=../shared/conformance/ajou-2021/cases/cow-2 after=26 stream=stderr -->
//! <!-- transcript: mtl458 session -->
//! ```
//!
//! - The first word is the machine: `ajou` or `mtl458`. Every block starts on a fresh machine.
//! - `script=PATH` (relative to the workspace root) with `lines=A-B`: lines `1..A` of the script
//!   run unseen, then lines `A..=B` are shown, each non-blank one as `> LINE` followed by what
//!   it printed. The block's text is produced entirely from the script.
//! - `script=PATH` with `after=N`: lines `1..=N` run unseen, then the block's own `> LINE`
//!   lines run, each followed by what it printed.
//! - `session`: an interactive session, as on a terminal (interactive behaviour, errors without
//!   line numbers): the block's own lines that start with the shell's prompt (`>> ` after
//!   `pid N ` for `ajou`, `mtl458> `) are the input. Without `session` the shell runs as it runs a script.
//! - `tlb` (`ajou` only): the shell runs in the TLB mode of `vmsim -t`.
//! - `stream=stderr`, `stream=stdout` or `stream=both` (the default): which output is shown;
//!   `both` interleaves them in the order the shell wrote them.
//!
//! Outputs are compared byte for byte, trailing spaces included (`%-3u` pads with them).
//! When the shell's output changes on purpose, regenerate every block with
//! `VMSIM_UPDATE_DOCS=1 cargo test -p xtask --test docs`, then read `git diff` and fix the
//! prose around any block whose meaning changed.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cli::{Flow, Machine, Shell};

/// Set to regenerate the transcripts in place instead of comparing them.
const UPDATE_VAR: &str = "VMSIM_UPDATE_DOCS";

/// The documents scanned for transcripts, relative to the workspace root, besides `docs/*.md`.
const ROOT_DOCS: [&str; 1] = ["ARCHITECTURE.md"];

/// The official script whose walk-through is `docs/cow-2.md`.
const COW_2: &str = "../shared/conformance/ajou-2021/cases/cow-2";

/// Which of the shell's outputs a transcript shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
    Both,
}

/// Where a transcript's input lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    /// The block's own input lines, on a fresh machine.
    Block,
    /// Lines `first..=last` (1-based) of a script, after the lines before them.
    ScriptLines { script: PathBuf, first: usize, last: usize },
    /// The block's own input lines, after lines `1..=upto` of a script.
    ScriptThen { script: PathBuf, upto: usize },
}

/// What a marker asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    machine: Machine,
    interactive: bool,
    tlb: bool,
    input: Input,
    stream: Stream,
}

/// One transcript found in a document.
#[derive(Debug, Clone)]
struct Transcript {
    /// 1-based line of the marker, for messages.
    marker_line: usize,
    /// The marker's text, for messages.
    marker: String,
    spec: Spec,
    /// Byte range of the block's body (between the fences) in the document.
    body: std::ops::Range<usize>,
}

/// A marker or block that cannot be understood.
#[derive(Debug)]
struct Malformed {
    line: usize,
    what: String,
}

/// Parses `<!-- transcript: ... -->` (already stripped to the `...`).
fn parse_spec(words: &str) -> Result<Spec, String> {
    let mut words = words.split_whitespace();
    let machine = match words.next() {
        Some("ajou") => Machine::Ajou,
        Some("mtl458") => Machine::Mtl458,
        other => return Err(format!("the first word must be ajou or mtl458, not {other:?}")),
    };
    let (mut interactive, mut tlb, mut script, mut lines, mut after, mut stream) =
        (false, false, None, None, None, Stream::Both);
    for w in words {
        match w.split_once('=') {
            None if w == "session" => interactive = true,
            None if w == "tlb" && machine == Machine::Ajou => tlb = true,
            Some(("script", p)) => script = Some(PathBuf::from(p)),
            Some(("lines", r)) => {
                let (a, b) = r.split_once('-').ok_or_else(|| format!("lines={r}: expected A-B"))?;
                let (a, b) = (a.parse::<usize>(), b.parse::<usize>());
                match (a, b) {
                    (Ok(a), Ok(b)) if 1 <= a && a <= b => lines = Some((a, b)),
                    _ => return Err(format!("lines={r}: expected A-B with 1 <= A <= B")),
                }
            }
            Some(("after", n)) => after = Some(n.parse::<usize>().map_err(|_| format!("after={n}: not a number"))?),
            Some(("stream", s)) => {
                stream = match s {
                    "stdout" => Stream::Stdout,
                    "stderr" => Stream::Stderr,
                    "both" => Stream::Both,
                    _ => return Err(format!("stream={s}: expected stdout, stderr or both")),
                }
            }
            _ => return Err(format!("unknown word {w:?}")),
        }
    }
    let input = match (script, lines, after) {
        (None, None, None) => Input::Block,
        (Some(script), Some((first, last)), None) => Input::ScriptLines { script, first, last },
        (Some(script), None, Some(upto)) => Input::ScriptThen { script, upto },
        _ => return Err("script= needs exactly one of lines=A-B and after=N; they need script=".into()),
    };
    Ok(Spec { machine, interactive, tlb, input, stream })
}

/// Every transcript of a document, in order.
fn find_transcripts(doc: &str) -> Result<Vec<Transcript>, Malformed> {
    // (line number, byte offset of the line, the line without its newline)
    let mut lines = Vec::new();
    let mut offset = 0;
    for (i, l) in doc.split_inclusive('\n').enumerate() {
        lines.push((i + 1, offset, l.trim_end_matches(['\n', '\r'])));
        offset += l.len();
    }
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (n, _, text) = lines[i];
        i += 1;
        let Some(inner) = text.trim().strip_prefix("<!-- transcript:") else { continue };
        let Some(inner) = inner.strip_suffix("-->") else {
            return Err(Malformed { line: n, what: "a transcript marker must end on its own line with -->".into() });
        };
        let spec = parse_spec(inner).map_err(|what| Malformed { line: n, what })?;
        let opens = lines.get(i).is_some_and(|(_, _, l)| l.starts_with("```"));
        if !opens {
            return Err(Malformed { line: n, what: "the marker must be followed at once by a ``` block".into() });
        }
        let start = lines.get(i + 1).map_or(doc.len(), |l| l.1);
        let Some(close) = lines[i + 1..].iter().position(|(_, _, l)| l.trim_end() == "```") else {
            return Err(Malformed { line: n, what: "the block after the marker is never closed".into() });
        };
        let close = i + 1 + close;
        found.push(Transcript { marker_line: n, marker: text.trim().to_string(), spec, body: start..lines[close].1 });
        i = close + 1;
    }
    Ok(found)
}

/// A writer that keeps its own bytes and also appends them to a log shared with another one,
/// so that standard output and standard error can be seen both apart and in the order written.
struct Tee {
    own: Vec<u8>,
    merged: Rc<RefCell<Vec<u8>>>,
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.own.extend_from_slice(buf);
        self.merged.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One shell, with its outputs captured line by line.
struct Session {
    shell: Shell,
    out: Tee,
    err: Tee,
    merged: Rc<RefCell<Vec<u8>>>,
    stopped: bool,
}

impl Session {
    fn new(machine: Machine, interactive: bool, tlb: bool) -> Session {
        let merged = Rc::new(RefCell::new(Vec::new()));
        let mut shell = Shell::new(machine, interactive, None).expect("the machine starts");
        if tlb {
            shell.enable_tlb().expect("an ajou shell has the TLB mode");
        }
        Session {
            shell,
            out: Tee { own: Vec::new(), merged: merged.clone() },
            err: Tee { own: Vec::new(), merged: merged.clone() },
            merged,
            stopped: false,
        }
    }

    /// Runs one line and returns what it printed on `stream`.
    fn run(&mut self, line: &str, line_no: usize, stream: Stream) -> Result<String, String> {
        if self.stopped {
            return Err(format!("line {line_no} ({line:?}) comes after the run ended"));
        }
        self.out.own.clear();
        self.err.own.clear();
        self.merged.borrow_mut().clear();
        let flow = self
            .shell
            .execute(line.as_bytes(), line_no, &mut self.out, &mut self.err)
            .map_err(|e| format!("the shell failed to write: {e}"))?;
        self.stopped = flow == Flow::Stop;
        let bytes = match stream {
            Stream::Stdout => self.out.own.clone(),
            Stream::Stderr => self.err.own.clone(),
            Stream::Both => self.merged.borrow().clone(),
        };
        String::from_utf8(bytes).map_err(|_| format!("line {line_no} ({line:?}) printed bytes that are not UTF-8"))
    }
}

/// The lines of a script, without their newlines.
fn script_lines(root: &Path, script: &Path) -> Result<Vec<String>, String> {
    let path = root.join(script);
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text.lines().map(str::to_string).collect())
}

/// Whether a transcript needs a file that only exists when `../shared` is beside the workspace.
fn needs_missing_shared(root: &Path, spec: &Spec) -> bool {
    match &spec.input {
        Input::ScriptLines { script, .. } | Input::ScriptThen { script, .. } => {
            script.starts_with("../shared") && !root.join(script).exists()
        }
        Input::Block => false,
    }
}

/// What a transcript's body must be, given its current body (where its own input lines are).
fn render(root: &Path, spec: &Spec, body: &str) -> Result<String, String> {
    let mut s = Session::new(spec.machine, spec.interactive, spec.tlb);
    let prompt = if spec.interactive { s.shell.prompt().to_string() } else { "> ".to_string() };
    // A session's prompt names the current pid (`pid 1 >> `): it is the plain prompt after
    // `pid N `.
    let input_of = |l: &str| -> Option<String> {
        let l = match l.strip_prefix("pid ") {
            Some(rest) if spec.interactive => {
                rest.trim_start_matches(|c: char| c.is_ascii_digit()).strip_prefix(' ')?
            }
            _ => l,
        };
        l.strip_prefix(prompt.as_str()).map(str::to_string)
    };
    let own_inputs = || -> Vec<String> { body.lines().filter_map(input_of).collect() };
    // (line number, text) of every line to show.
    let shown: Vec<(usize, String)> = match &spec.input {
        Input::Block => own_inputs().into_iter().enumerate().map(|(i, l)| (i + 1, l)).collect(),
        Input::ScriptLines { script, first, last } => {
            let lines = script_lines(root, script)?;
            if *last > lines.len() {
                return Err(format!("lines={first}-{last}, but {} has {} lines", script.display(), lines.len()));
            }
            for (i, l) in lines[..first - 1].iter().enumerate() {
                s.run(l, i + 1, spec.stream)?;
            }
            (*first..=*last).map(|n| (n, lines[n - 1].clone())).collect()
        }
        Input::ScriptThen { script, upto } => {
            let lines = script_lines(root, script)?;
            if *upto > lines.len() {
                return Err(format!("after={upto}, but {} has {} lines", script.display(), lines.len()));
            }
            for (i, l) in lines[..*upto].iter().enumerate() {
                s.run(l, i + 1, spec.stream)?;
            }
            own_inputs().into_iter().enumerate().map(|(i, l)| (upto + 1 + i, l)).collect()
        }
    };
    if shown.is_empty() {
        return Err(format!("no input line: input lines start with {prompt:?}"));
    }
    let mut text = String::new();
    for (n, line) in shown {
        let shown_prompt = if spec.interactive { s.shell.session_prompt() } else { prompt.clone() };
        let printed = s.run(&line, n, spec.stream)?;
        if line.trim().is_empty() {
            continue;
        }
        let _ = writeln!(text, "{shown_prompt}{line}");
        text.push_str(&printed);
    }
    Ok(text)
}

/// A transcript that differs from what the shell prints.
#[derive(Debug)]
struct Stale {
    report: String,
}

/// Checks (or, with `update`, rewrites) every transcript of the document at `path`.
/// Returns how many transcripts it holds and those that are stale; with `update` the stale
/// ones have been rewritten.
fn check_doc(root: &Path, path: &Path, update: bool) -> Result<(usize, Vec<Stale>), String> {
    let doc = fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let shown = path.strip_prefix(root).unwrap_or(path).display().to_string();
    let transcripts =
        find_transcripts(&doc).map_err(|m| format!("{shown}:{}: malformed transcript: {}", m.line, m.what))?;
    let mut stale = Vec::new();
    let mut fixed = doc.clone();
    // From the end, so that the byte ranges before a rewritten block stay valid.
    for t in transcripts.iter().rev() {
        if needs_missing_shared(root, &t.spec) {
            // CI always has the corpus: there a missing one is a failure, never a skip.
            if xtask::testcases::ci() {
                return Err(format!("{shown}:{}: ../shared not found beside the workspace (CI=true)", t.marker_line));
            }
            eprintln!("note: {shown}:{}: ../shared not found beside the workspace; transcript skipped", t.marker_line);
            continue;
        }
        let body = &doc[t.body.clone()];
        let want = render(root, &t.spec, body).map_err(|e| format!("{shown}:{}: {e}", t.marker_line))?;
        if want != body {
            let diff = similar::TextDiff::from_lines(body, want.as_str())
                .unified_diff()
                .context_radius(2)
                .header("in the document", "printed by the shell now")
                .to_string();
            stale.push(Stale {
                report: format!(
                    "{shown}:{}: the transcript after\n  {}\nis out of step:\n{diff}",
                    t.marker_line, t.marker
                ),
            });
            fixed.replace_range(t.body.clone(), &want);
        }
    }
    if update && fixed != doc {
        fs::write(path, fixed).map_err(|e| format!("cannot write {shown}: {e}"))?;
    }
    stale.reverse();
    Ok((transcripts.len(), stale))
}

/// The documents that may hold transcripts: `ARCHITECTURE.md` and `docs/*.md`.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = ROOT_DOCS.iter().map(|d| root.join(d)).filter(|p| p.is_file()).collect();
    if let Ok(entries) = fs::read_dir(root.join("docs")) {
        let mut md: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "md")).collect();
        md.sort();
        docs.extend(md);
    }
    docs
}

/// The message that tells a maintainer what to do about stale transcripts.
fn update_advice(stale: &[Stale]) -> String {
    let reports: Vec<&str> = stale.iter().map(|s| s.report.as_str()).collect();
    format!(
        "{n} transcript(s) in the documentation no longer match the shell.\n\n{}\n\
         If the shell's new output is intended, regenerate them with\n    \
         {UPDATE_VAR}=1 cargo test -p xtask --test docs\n\
         then review `git diff -- ARCHITECTURE.md docs/` and update the prose around each changed block.",
        reports.join("\n"),
        n = stale.len(),
    )
}

#[test]
fn transcripts_in_the_docs_match_the_shell() {
    let root = xtask::workspace_root();
    let update = std::env::var_os(UPDATE_VAR).is_some();
    let mut total = 0;
    let mut stale = Vec::new();
    for doc in documents(&root) {
        let (n, s) = check_doc(&root, &doc, update).unwrap_or_else(|e| panic!("{e}"));
        total += n;
        stale.extend(s);
    }
    assert!(total > 0, "no transcript found in ARCHITECTURE.md or docs/*.md");
    if update {
        for s in &stale {
            eprintln!("updated: {}", s.report.lines().next().unwrap_or_default());
        }
    } else {
        assert!(stale.is_empty(), "{}", update_advice(&stale));
    }
}

/// `docs/cow-2.md` walks through the whole script: every non-blank line of it is in a checked
/// transcript, so no step can be left out or described from memory.
#[test]
fn the_cow_2_walk_through_shows_every_line_of_the_script() {
    let root = xtask::workspace_root();
    let doc = fs::read_to_string(root.join("docs/cow-2.md")).expect("docs/cow-2.md exists");
    let Ok(lines) = script_lines(&root, Path::new(COW_2)) else {
        eprintln!("note: {COW_2} not found; the cow-2 coverage check is skipped");
        return;
    };
    let transcripts = find_transcripts(&doc).unwrap_or_else(|m| panic!("docs/cow-2.md:{}: {}", m.line, m.what));
    let mut covered = vec![false; lines.len()];
    for t in &transcripts {
        if let Input::ScriptLines { script, first, last } = &t.spec.input {
            if script == Path::new(COW_2) {
                assert_eq!(t.spec.machine, Machine::Ajou, "line {}: cow-2 is an ajou script", t.marker_line);
                assert_eq!(t.spec.stream, Stream::Stderr, "line {}: show what the graders diff", t.marker_line);
                for c in &mut covered[first - 1..*last] {
                    *c = true;
                }
            }
        }
    }
    let missing: Vec<usize> =
        (1..=lines.len()).filter(|&n| !covered[n - 1] && !lines[n - 1].trim().is_empty()).collect();
    assert!(missing.is_empty(), "lines {missing:?} of cow-2 are in no transcript of docs/cow-2.md");
}

/// The transcripts run a script line by line; that must print exactly what running the whole
/// script does (`cli::run_script`, as `vmsim SCRIPT` and the scenario runner do).
#[test]
fn line_by_line_runs_print_what_a_whole_script_run_prints() {
    let root = xtask::workspace_root();
    let mut scripts: Vec<(Machine, PathBuf)> = vec![(Machine::Ajou, PathBuf::from(COW_2))];
    for (machine, dir) in [(Machine::Ajou, "testcases/ajou"), (Machine::Mtl458, "testcases/mtl458")] {
        for name in ["exit.vm", "kills.vm", "fork-chain-cow.vm", "cow-chain.vm"] {
            let p = Path::new(dir).join(name);
            if root.join(&p).is_file() {
                scripts.push((machine, p));
            }
        }
    }
    let mut compared = 0;
    for (machine, script) in scripts {
        let Ok(lines) = script_lines(&root, &script) else { continue };
        let mut s = Session::new(machine, false, false);
        let (mut out, mut err) = (String::new(), String::new());
        for (i, l) in lines.iter().enumerate() {
            if s.stopped {
                break;
            }
            s.run(l, i + 1, Stream::Both).unwrap();
            out.push_str(std::str::from_utf8(&s.out.own).unwrap());
            err.push_str(std::str::from_utf8(&s.err.own).unwrap());
        }
        let text = fs::read(root.join(&script)).unwrap();
        let (mut whole_out, mut whole_err) = (Vec::new(), Vec::new());
        cli::run_script(machine, &text[..], None, &mut whole_out, &mut whole_err).unwrap();
        assert_eq!(out.as_bytes(), whole_out, "{}: standard output", script.display());
        assert_eq!(err.as_bytes(), whole_err, "{}: standard error", script.display());
        compared += 1;
    }
    assert!(compared >= 2, "too few scripts found to compare");
}

/// The checker itself: a wrong transcript is caught with a diff and the way to update it, and
/// the update writes exactly what the shell prints.
#[test]
fn a_stale_transcript_is_reported_and_can_be_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.md");
    let wrong = "# Doc\n\n<!-- transcript: ajou -->\n```text\n> alloc 3 rw\nalloc   3 --> 7  \n> read 3\n```\nAfter.\n";
    fs::write(&doc, wrong).unwrap();
    let (n, stale) = check_doc(dir.path(), &doc, false).unwrap();
    assert_eq!((n, stale.len()), (1, 1));
    assert!(stale[0].report.contains("doc.md:3:"), "{}", stale[0].report);
    assert!(stale[0].report.contains("-alloc   3 --> 7  \n+alloc   3 --> 0  \n"), "{}", stale[0].report);
    assert!(update_advice(&stale).contains("VMSIM_UPDATE_DOCS=1 cargo test -p xtask --test docs"));
    assert_eq!(fs::read_to_string(&doc).unwrap(), wrong, "checking must not write");

    check_doc(dir.path(), &doc, true).unwrap();
    let right = "# Doc\n\n<!-- transcript: ajou -->\n```text\n> alloc 3 rw\nalloc   3 --> 0  \n> read 3\n  3 --> 0  \n```\nAfter.\n";
    assert_eq!(fs::read_to_string(&doc).unwrap(), right);
    assert_eq!(check_doc(dir.path(), &doc, false).unwrap().1.len(), 0);
}

#[test]
fn markers_are_parsed_strictly() {
    let spec = parse_spec(" ajou script=a/b lines=2-5 stream=stderr ").unwrap();
    let input = Input::ScriptLines { script: PathBuf::from("a/b"), first: 2, last: 5 };
    assert_eq!(spec, Spec { machine: Machine::Ajou, interactive: false, tlb: false, input, stream: Stream::Stderr });
    assert!(parse_spec("ajou session tlb").unwrap().tlb);
    let spec = parse_spec("mtl458 session").unwrap();
    assert_eq!(
        (spec.machine, spec.interactive, spec.input, spec.stream),
        (Machine::Mtl458, true, Input::Block, Stream::Both)
    );
    for bad in [
        "",
        "linux",
        "ajou lines=1-2",
        "ajou script=x",
        "ajou script=x lines=3-2",
        "ajou script=x lines=1-2 after=3",
        "ajou stream=tty",
        "ajou verbose",
        "mtl458 tlb",
    ] {
        assert!(parse_spec(bad).is_err(), "{bad:?} was accepted");
    }
    assert!(find_transcripts("<!-- transcript: ajou -->\nno block\n").is_err());
    assert!(find_transcripts("<!-- transcript: ajou -->\n```\n> show\n").is_err());
    let t = find_transcripts("x\n<!-- transcript: ajou -->\n```text\n> read 1\n```\n").unwrap();
    assert_eq!((t.len(), t[0].marker_line), (1, 2));
}

/// Session blocks show the interactive shell: its prompt, and `show` with invalid entries.
#[test]
fn session_blocks_use_the_prompt_and_the_interactive_shell() {
    // The input lines are found after the plain prompt or after one naming a pid; the
    // rendered block shows the prompt as the session shows it, with the current pid.
    let body = ">> alloc 1 rw\npid 7 >> switch 1\npid 0 >> read 1\n";
    let text = render(Path::new("."), &parse_spec("ajou session").unwrap(), body).unwrap();
    assert_eq!(
        text,
        "pid 0 >> alloc 1 rw\nalloc   1 --> 0  \npid 0 >> switch 1\n\
         note: forked process 1 from process 0 (cow fork) and switched to it\npid 1 >> read 1\n  1 --> 0  \n"
    );
    let text = render(Path::new("."), &parse_spec("mtl458 session").unwrap(), "mtl458> read_mem 0 0\n").unwrap();
    assert_eq!(text, "mtl458> read_mem 0 0\nerror: read_mem: no process with pid 0\n");
}
