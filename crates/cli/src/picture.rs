//! `show --svg FILE`: the machine's current state as an SVG picture (drawn by the `view`
//! crate), in both command languages. It prints one confirmation line on standard output and
//! nothing on standard error, so that an `ajou` transcript is the same with or without it.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::{Flow, Machine, Shell};

/// Runs `line` if it is `show --svg FILE` and returns its flow; `None` (having done nothing)
/// for any other line. An error (no file named, the file cannot be written) is reported as
/// the shell's other errors are: standard output for `ajou`, standard error for `mtl458`.
pub(crate) fn show_svg<O: Write, E: Write>(
    sh: &mut Shell,
    line: &[u8],
    line_no: usize,
    out: &mut O,
    err: &mut E,
) -> io::Result<Option<Flow>> {
    // Checked first and cheaply: every `mtl458` line passes here.
    if !line.trim_ascii_start().starts_with(b"show") {
        return Ok(None);
    }
    let mut words = line.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty());
    if words.next() != Some(b"show") || words.next() != Some(b"--svg") {
        return Ok(None);
    }
    let (file, extra) = (words.next(), words.next());
    let result = match (file, extra) {
        (Some(file), None) => write_svg(sh, file, line_no),
        (None, _) => Err("usage: show --svg FILE".to_string()),
        (Some(_), Some(_)) => Err("one file name only (usage: show --svg FILE)".to_string()),
    };
    match result {
        Ok(path) => writeln!(out, "wrote {}", path.display())?,
        Err(why) => match sh.machine() {
            Machine::Ajou => sh.error(out, line_no, format_args!("show --svg: {why}"))?,
            Machine::Mtl458 => sh.error(err, line_no, format_args!("show --svg: {why}"))?,
        },
    }
    Ok(Some(Flow::Continue))
}

/// Draws the machine now and writes it to `file` (relative names from the script's
/// directory, as `create_ps` files are); returns the path written.
fn write_svg(sh: &Shell, file: &[u8], line_no: usize) -> Result<PathBuf, String> {
    let name = String::from_utf8(file.to_vec()).map_err(|_| "the file name is not UTF-8".to_string())?;
    let path = sh.resolve(std::path::Path::new(&name));
    let tlb: Option<Vec<_>> = sh.tlb_entries().map(Iterator::collect);
    let snap = view::Snapshot::take(sh.kernel(), tlb.as_deref());
    let title = format!("vmsim {}: the machine after line {line_no}", sh.kernel().profile().name);
    let svg = view::render_svg(&snap, &title).map_err(|e| e.to_string())?;
    std::fs::write(&path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use crate::{Machine, Shell};

    #[track_caller]
    fn run(machine: Machine, lines: &[&str]) -> (String, String) {
        let mut sh = Shell::new(machine, true, None).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for (i, l) in lines.iter().enumerate() {
            sh.execute(l.as_bytes(), i + 1, &mut out, &mut err).unwrap();
        }
        (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn show_svg_writes_the_picture_and_prints_only_on_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state.svg");
        let cmd = format!("show --svg {}", file.display());
        let (out, err) = run(Machine::Ajou, &["alloc 2 rw", "switch 1", &cmd]);
        assert_eq!(err, "alloc   2 --> 0  \n", "standard error is the framework's alone");
        // Interactively `switch` notes what it did (standard output), then the picture.
        let note = "note: forked process 1 from process 0 (cow fork) and switched to it\n";
        assert_eq!(out, format!("{note}wrote {}\n", file.display()));
        let svg = std::fs::read_to_string(&file).unwrap();
        assert!(svg.contains("PID 1 (current)") && svg.contains("r cow"), "{svg}");
    }

    #[test]
    fn show_svg_errors_go_where_each_language_puts_errors() {
        let (out, err) = run(Machine::Ajou, &["show --svg"]);
        assert_eq!((out.as_str(), err.as_str()), ("error: show --svg: usage: show --svg FILE\n", ""));
        let (out, err) = run(Machine::Mtl458, &["show --svg /nonexistent-dir/x.svg"]);
        assert_eq!(out, "");
        assert!(err.starts_with("error: show --svg: cannot write /nonexistent-dir/x.svg: "), "{err}");
    }

    #[test]
    fn plain_show_is_untouched() {
        let (out, err) = run(Machine::Ajou, &["alloc 0 r", "show"]);
        assert!(err.contains("*** PID 0 ***"), "{err}");
        assert!(!out.contains("wrote"));
    }
}
