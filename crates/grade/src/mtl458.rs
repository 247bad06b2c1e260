//! MTL458 students write seven C functions, not a program. The harness in
//! `crates/grade/harness/` (`mtl458_harness.c`, and `mmu.h` declaring the functions as the
//! assignment gives them) is built with the system C compiler at grade time, linked with a
//! student's source file, and replays a `vmsim --profile mtl458` script through those
//! functions, printing the transcript lines the shell prints on standard output:
//! `created pid P`, `forked pid P: child pid C`, `0xHH` for `read_mem`, the student's own
//! `print_page_table`, and `segmentation fault: pid P killed` when the student's code sets
//! `error_no` to `ERR_SEG_FAULT` (how the assignment's skeleton reports a kill).
//!
//! The reference's kill line also names the reason and the address, which the seven functions
//! cannot report; [`normalize_kills`] cuts it after `killed` before comparing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The harness's C source.
pub const HARNESS_C: &str = include_str!("../harness/mtl458_harness.c");
/// The header declaring the assignment's functions, written as `mmu.h` beside the harness.
pub const MMU_H: &str = include_str!("../harness/mmu.h");

/// The harness could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Writing the sources or running the compiler failed.
    #[error("building the mtl458 harness: {0}")]
    Io(#[from] std::io::Error),
    /// The compiler refused the student's file (or the harness with it).
    #[error("{cc} could not build {student} with the harness:\n{message}")]
    Compile {
        /// The compiler.
        cc: String,
        /// The student's file.
        student: String,
        /// The compiler's messages (at most 4 KiB).
        message: String,
    },
}

/// Builds the harness with `student` (a C file) in `dir` and returns the executable's path.
///
/// `header` replaces the shipped `mmu.h` (a student's own, when they extended `struct PCB`);
/// `cc` is the compiler (`cc` by default in the shell).
///
/// # Errors
/// [`BuildError`] with the compiler's messages.
pub fn build(student: &Path, header: Option<&Path>, cc: &str, dir: &Path) -> Result<PathBuf, BuildError> {
    let harness = dir.join("mtl458_harness.c");
    std::fs::write(&harness, HARNESS_C)?;
    match header {
        Some(h) => std::fs::copy(h, dir.join("mmu.h")).map(|_| ())?,
        None => std::fs::write(dir.join("mmu.h"), MMU_H)?,
    }
    let exe = dir.join("mtl458_harness");
    // -fcommon: the skeleton's `int error_no;` may be a tentative definition in a header-like
    // style; -w: a student's warnings are not the grader's business.
    let out = Command::new(cc)
        .arg("-std=gnu11")
        .arg("-O1")
        .arg("-w")
        .arg("-fcommon")
        .arg("-I")
        .arg(dir)
        .arg("-o")
        .arg(&exe)
        .arg(&harness)
        .arg(student)
        .output()?;
    if !out.status.success() {
        let mut message = String::from_utf8_lossy(&out.stderr).into_owned();
        if message.len() > 4096 {
            let mut cut = 4096;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("\n...");
        }
        return Err(BuildError::Compile { cc: cc.into(), student: student.display().to_string(), message });
    }
    Ok(exe)
}

/// The reference's `mtl458` transcript as the harness can print it: each
/// `segmentation fault: pid P killed: REASON at ADDR` line cut after `killed`.
///
/// ```
/// let t = b"created pid 0\nsegmentation fault: pid 0 killed: write to read-only page at 0x0\n";
/// assert_eq!(grade::mtl458::normalize_kills(t), b"created pid 0\nsegmentation fault: pid 0 killed\n");
/// ```
pub fn normalize_kills(transcript: &[u8]) -> Vec<u8> {
    const KILL: &[u8] = b"segmentation fault: pid ";
    let mut out = Vec::with_capacity(transcript.len());
    for line in transcript.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(KILL) {
            if let Some(at) = line.windows(7).position(|w| w == b" killed") {
                out.extend_from_slice(&line[..at + 7]);
                out.push(b'\n');
                continue;
            }
        }
        out.extend_from_slice(line);
    }
    out
}

/// The commands the harness replays: the seven functions, `print_page_table`, and the end.
const REPLAYED: &[&str] = &[
    "create_ps",
    "exit_ps",
    "fork_ps",
    "allocate_pages",
    "deallocate_pages",
    "read_mem",
    "write_mem",
    "print_page_table",
    "exit",
    "quit",
];

/// The first line (1-based) whose command the harness cannot replay, with its word.
pub fn unsupported(lines: &[&[u8]]) -> Option<(usize, String)> {
    lines.iter().enumerate().find_map(|(i, l)| {
        let text = String::from_utf8_lossy(l);
        let word = text.split_ascii_whitespace().next()?;
        if word.starts_with('#') || REPLAYED.iter().any(|r| r.eq_ignore_ascii_case(word)) {
            None
        } else {
            Some((i + 1, word.to_string()))
        }
    })
}
