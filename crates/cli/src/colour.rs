//! Colour on a terminal, for interactive sessions only: permission flags, frames mapped more
//! than once, refused accesses, kills and errors.
//!
//! A stream is coloured only when the session is interactive, the stream is a terminal and
//! `NO_COLOR` is unset or empty (<https://no-color.org>). A script's run, a pipe or a file
//! never gets an escape sequence, so an `ajou` run's standard error, which graders diff, stays
//! byte for byte the framework's. The commands print plain text; each finished line is
//! painted here, on its way to the terminal, with the map counts read from the kernel.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::{self, IsTerminal, Write};
use std::rc::Rc;

use anstyle::{AnsiColor, Style};

use crate::{Flow, Machine, Shell};

const FLAG_ON: Style = AnsiColor::Green.on_default();
const WRITE_ON: Style = AnsiColor::Yellow.on_default().bold();
const SHARED: Style = AnsiColor::Magenta.on_default().bold();
const FAULT: Style = AnsiColor::Red.on_default().bold();
const HIT: Style = AnsiColor::Green.on_default().bold();
const MISS: Style = AnsiColor::Yellow.on_default();

/// Whether a stream gets colour: a terminal, and `NO_COLOR` unset or empty.
pub(crate) fn wanted(is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Which of the two streams get colour in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Palette {
    pub(crate) out: bool,
    pub(crate) err: bool,
}

impl Palette {
    /// For an interactive session on this process's standard output and error.
    pub(crate) fn detect() -> Self {
        let no_color = std::env::var_os("NO_COLOR");
        Palette {
            out: wanted(io::stdout().is_terminal(), no_color.as_deref()),
            err: wanted(io::stderr().is_terminal(), no_color.as_deref()),
        }
    }
}

/// What one command wrote, in order: (to standard error?, bytes).
type Chunks = Vec<(bool, Vec<u8>)>;

/// Both streams of one command, in the order written.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Chunks>>);

/// One stream into a [`Log`]; `true` is standard error.
struct LogWriter(Log, bool);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.0.borrow_mut().push((self.1, buf.to_vec()));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs one interactive line, colouring what goes to the streams `palette` allows.
pub(crate) fn execute<O: Write, E: Write>(
    sh: &mut Shell,
    line: &[u8],
    line_no: usize,
    palette: Palette,
    out: &mut O,
    err: &mut E,
) -> io::Result<Flow> {
    if palette == (Palette { out: false, err: false }) {
        return sh.execute(line, line_no, out, err);
    }
    let log = Log::default();
    let flow = sh.execute(line, line_no, &mut LogWriter(log.clone(), false), &mut LogWriter(log.clone(), true))?;
    for (is_err, bytes) in log.0.take() {
        let (w, on): (&mut dyn Write, bool) = if is_err { (err, palette.err) } else { (out, palette.out) };
        if !on {
            w.write_all(&bytes)?;
            continue;
        }
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            match std::str::from_utf8(piece) {
                Ok(text) => w.write_all(paint(sh, text).as_bytes())?,
                Err(_) => w.write_all(piece)?,
            }
        }
    }
    Ok(flow)
}

/// `text` with `style`, reset after.
fn styled(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// One line (its newline included, if any) with colour added; the text itself unchanged.
pub(crate) fn paint(sh: &Shell, line: &str) -> String {
    let shared = |frame: &str| {
        frame.trim().parse::<u32>().is_ok_and(|f| sh.kernel().mem().map_counts.get(kernel::Pfn::new(f)) > 1)
    };
    // The frame number styled, the padding and newline after it not.
    let frame = |f: &str| {
        let n = f.trim_end();
        if shared(n) { styled(SHARED, n) + &f[n.len()..] } else { f.to_string() }
    };
    if line.contains("error:") || line.starts_with("segmentation fault") || line.starts_with("Unable to access") {
        let (body, nl) = line.split_at(line.trim_end_matches('\n').len());
        return styled(FAULT, body) + nl;
    }
    match sh.machine() {
        Machine::Ajou => {
            // `OO:II vw | PFN` (show): the flags and the frame.
            let b = line.as_bytes();
            if b.len() > 10 && b[2] == b':' && &line[8..11] == " | " && b[..2].iter().all(u8::is_ascii_digit) {
                let v = if b[6] == b'v' { styled(FLAG_ON, "v") } else { line[6..7].to_string() };
                let w = if b[7] == b'w' { styled(WRITE_ON, "w") } else { line[7..8].to_string() };
                // An invalid entry (interactive `show` lists them) maps no frame.
                let f = if b[6] == b'v' { frame(&line[11..]) } else { line[11..].to_string() };
                return format!("{} {v}{w} | {f}", &line[..5]);
            }
            // TLB hit and miss marks, `o | ` and `x | `.
            if let Some(rest) = line.strip_prefix("o | ") {
                return styled(HIT, "o") + " | " + rest;
            }
            if let Some(rest) = line.strip_prefix("x | ") {
                return styled(MISS, "x") + " | " + rest;
            }
            // `pages`: `%3u: %d`, the count when over 1.
            if let Some((f, c)) = line.split_once(": ")
                && !f.is_empty()
                && f.trim_start().bytes().all(|b| b.is_ascii_digit())
                && c.trim().parse::<u32>().is_ok_and(|c| c > 1)
            {
                let (c, nl) = c.split_at(c.trim_end_matches('\n').len());
                return format!("{f}: {}{nl}", styled(SHARED, c));
            }
            line.to_string()
        }
        Machine::Mtl458 => {
            // `Page num: N, frame num: F, R:1, W:0, X:1, P1` (print_page_table).
            let Some(rest) = line.strip_prefix("Page num: ") else { return line.to_string() };
            let Some((vpn, rest)) = rest.split_once(", frame num: ") else { return line.to_string() };
            let Some((f, bits)) = rest.split_once(", ") else { return line.to_string() };
            let present = bits.trim_end().ends_with("P1");
            let bits = ["R:1", "W:1", "X:1", "P1"].iter().fold(bits.to_string(), |acc, on| {
                let style = if *on == "W:1" { WRITE_ON } else { FLAG_ON };
                acc.replace(on, &styled(style, on))
            });
            let f = if present { frame(f) } else { f.to_string() };
            format!("Page num: {vpn}, frame num: {f}, {bits}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(wanted(true, None));
        assert!(wanted(true, Some(OsStr::new(""))), "an empty NO_COLOR does not count");
        assert!(!wanted(true, Some(OsStr::new("1"))));
        assert!(!wanted(false, None), "never into a pipe or a file");
    }

    /// The line with its escape sequences removed.
    fn plain(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn painting_adds_colour_and_changes_no_character() {
        let mut sh = Shell::new(Machine::Ajou, true, None).unwrap();
        for (i, l) in ["alloc 2 rw", "alloc 3 r", "switch 1", "write 2"].iter().enumerate() {
            sh.execute(l.as_bytes(), i + 1, &mut io::sink(), &mut io::sink()).unwrap();
        }
        // Frame 1 (VPN 3) is shared by both processes; frame 2 is process 1's copy.
        let cases = [
            ("00:02 vw | 2  \n", true),
            ("00:03 v  | 1  \n", true),
            ("  1: 2\n", true),
            ("  2: 1\n", false),
            ("Unable to access 7\n", true),
            ("alloc   2 --> 0  \n", false),
        ];
        for (line, coloured) in cases {
            let painted = paint(&sh, line);
            assert_eq!(plain(&painted), line);
            assert_eq!(painted != line, coloured, "{line:?} -> {painted:?}");
        }
        assert!(paint(&sh, "00:03 v  | 1  \n").ends_with(&(styled(SHARED, "1") + "  \n")), "the shared frame");
        assert!(!paint(&sh, "00:02 vw | 2  \n").contains(&styled(SHARED, "2")), "a private frame");
        assert_eq!(paint(&sh, "00:04    | 1  \n"), "00:04    | 1  \n", "an invalid entry maps no frame");
        let mtl = Shell::new(Machine::Mtl458, true, None).unwrap();
        let line = "Page num: 0, frame num: 18432, R:1, W:0, X:1, P1\n";
        assert_eq!(plain(&paint(&mtl, line)), line);
        assert!(paint(&mtl, line).contains(&styled(FLAG_ON, "R:1")));
    }

    #[test]
    fn without_colour_the_output_is_the_shells_own() {
        let mut a = Shell::new(Machine::Ajou, true, None).unwrap();
        let mut b = Shell::new(Machine::Ajou, true, None).unwrap();
        let off = Palette { out: false, err: false };
        let on = Palette { out: true, err: true };
        let (mut o1, mut e1, mut o2, mut e2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, l) in ["alloc 2 rw", "switch 1", "show", "read 9", "frobnicate"].iter().enumerate() {
            execute(&mut a, l.as_bytes(), i + 1, off, &mut o1, &mut e1).unwrap();
            execute(&mut b, l.as_bytes(), i + 1, on, &mut o2, &mut e2).unwrap();
        }
        assert!(!e1.contains(&0x1b) && !o1.contains(&0x1b));
        assert!(e2.contains(&0x1b));
        assert_eq!(plain(&String::from_utf8(e2).unwrap()).into_bytes(), e1);
        assert_eq!(plain(&String::from_utf8(o2).unwrap()).into_bytes(), o1);
    }
}
