//! Runs a student's program on one script with a time limit, a memory limit and bounded
//! capture, and says how it ended.
//!
//! The limits are set without `unsafe` code in this process: the program is started through
//! `/bin/sh`, whose `ulimit` sets the address-space (`-v`), CPU-time (`-t`) and core-file
//! (`-c 0`) limits and then `exec`s the program, so the child *is* the student's process and
//! its signals are its own. The wall-clock limit is [`wait_timeout`]'s, then `SIGKILL`.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use wait_timeout::ChildExt;

use crate::{Flavour, Student};

/// Limits for one run of a student's program.
#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    /// Wall-clock time, after which the program is killed (`SIGKILL`).
    pub time: Duration,
    /// Address-space limit in bytes (`ulimit -v`), or `None` for none (sanitizer builds
    /// reserve terabytes of address space).
    pub memory: Option<u64>,
    /// Bytes of the graded stream kept; a program that prints more is stopped (its pipe is
    /// closed) and fails with [`Outcome::OutputLimit`].
    pub output: usize,
}

impl Default for Limits {
    /// 10 s, 1 GiB, 8 MiB: far above what any correct solution needs on the course's scripts
    /// (the `mtl458` machine alone is a 200 MiB array).
    fn default() -> Self {
        Limits { time: Duration::from_secs(10), memory: Some(1 << 30), output: 8 << 20 }
    }
}

/// How the program ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// It exited by itself with this status.
    Exited {
        /// The exit status.
        code: i32,
    },
    /// A signal ended it (a crash, an abort, the CPU limit).
    Signaled {
        /// The signal number.
        signal: i32,
        /// Its name, `SIGSEGV`.
        name: String,
        /// What it usually means, `segmentation fault`.
        meaning: String,
    },
    /// It ran past the wall-clock limit and was killed.
    TimedOut {
        /// The limit, in milliseconds.
        limit_ms: u64,
    },
    /// It printed more than the output limit and was stopped.
    OutputLimit {
        /// The limit, in bytes.
        limit: usize,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exited { code } => write!(f, "exited with status {code}"),
            Outcome::Signaled { name, meaning, .. } => write!(f, "was killed by {name} ({meaning})"),
            Outcome::TimedOut { limit_ms } => {
                write!(f, "timed out after {} s and was killed", *limit_ms as f64 / 1000.0)
            }
            Outcome::OutputLimit { limit } => write!(f, "printed more than {limit} bytes and was stopped"),
        }
    }
}

/// What a run captured.
#[derive(Debug, Clone)]
pub struct StudentRun {
    /// How it ended.
    pub outcome: Outcome,
    /// The graded stream (standard error for `ajou`, standard output for `mtl458`), at most
    /// [`Limits::output`] bytes.
    pub graded: Vec<u8>,
    /// The start of the other stream, at most [`OTHER_LIMIT`] bytes (`ajou`'s standard output
    /// is not kept at all: nobody grades it and students print debugging there).
    pub other: Vec<u8>,
}

/// How much of the ungraded stream is kept.
pub const OTHER_LIMIT: usize = 64 << 10;

impl StudentRun {
    /// The last two non-empty lines of the ungraded stream, if any (an assertion message).
    pub fn other_tail(&self) -> Option<String> {
        let text = String::from_utf8_lossy(&self.other);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = &lines[lines.len().saturating_sub(2)..];
        (!tail.is_empty()).then(|| tail.join("\n"))
    }
}

/// The program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program is missing or not a file.
    #[error("cannot run {path}: {why}")]
    NotRunnable {
        /// The program.
        path: String,
        /// Why.
        why: String,
    },
    /// Spawning or waiting failed.
    #[error("running {path}: {source}")]
    Io {
        /// The program.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Runs `student` on `script` under `limits`.
///
/// # Errors
/// [`RunError`] if the program does not exist or cannot be spawned; everything the program
/// itself does (crash, hang, flood) is an [`Outcome`].
pub fn run_student(student: &Student, script: &Path, limits: &Limits) -> Result<StudentRun, RunError> {
    let path = student.program.display().to_string();
    match std::fs::metadata(&student.program) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(RunError::NotRunnable { path, why: "not a file".into() }),
        Err(e) => return Err(RunError::NotRunnable { path, why: e.to_string() }),
    }
    let mut limits_sh = String::from("ulimit -c 0; ");
    if let Some(bytes) = limits.memory {
        limits_sh.push_str(&format!("ulimit -v {} || exit 125; ", bytes.div_ceil(1024)));
    }
    // The CPU limit is a backstop one second past the wall-clock limit (a busy loop that the
    // wall clock already kills); it also catches a program that forks a runaway child.
    limits_sh.push_str(&format!("ulimit -t {}; ", limits.time.as_secs() + 2));
    limits_sh.push_str("exec \"$0\" \"$@\"");
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(limits_sh).arg(&student.program).args(&student.args).arg(script);
    cmd.stdin(Stdio::null());
    let (graded_is_stderr, keep_other) = match student.flavour {
        Flavour::Ajou => (true, false),
        Flavour::Mtl458 => (false, true),
    };
    if graded_is_stderr {
        cmd.stderr(Stdio::piped()).stdout(if keep_other { Stdio::piped() } else { Stdio::null() });
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let io = |source| RunError::Io { path: path.clone(), source };
    let mut child = cmd.spawn().map_err(io)?;
    let (graded_pipe, other_pipe): (Pipe, Pipe) = if graded_is_stderr {
        (child.stderr.take().map(|p| Box::new(p) as _), child.stdout.take().map(|p| Box::new(p) as _))
    } else {
        (child.stdout.take().map(|p| Box::new(p) as _), child.stderr.take().map(|p| Box::new(p) as _))
    };
    let graded = graded_pipe.map(|p| reader(p, limits.output));
    let other = other_pipe.map(|p| reader(p, OTHER_LIMIT));
    let status = wait(&mut child, limits.time).map_err(io)?;
    let (graded, flooded) = join(graded);
    let (other, _) = join(other);
    let outcome = if flooded {
        Outcome::OutputLimit { limit: limits.output }
    } else {
        match status {
            None => Outcome::TimedOut { limit_ms: limits.time.as_millis() as u64 },
            Some(s) => outcome_of(s),
        }
    };
    Ok(StudentRun { outcome, graded, other })
}

/// A child's output pipe, whichever stream it is.
type Pipe = Option<Box<dyn Read + Send>>;

/// Waits up to `limit`; on a time-out kills the child and returns `None`.
fn wait(child: &mut Child, limit: Duration) -> std::io::Result<Option<std::process::ExitStatus>> {
    match child.wait_timeout(limit)? {
        Some(s) => Ok(Some(s)),
        None => {
            // It may have exited between the time-out and the kill; then the kill fails
            // harmlessly and the wait below collects it, but it still counts as a time-out.
            let _ = child.kill();
            child.wait()?;
            Ok(None)
        }
    }
}

/// Reads a pipe on its own thread, keeping at most `limit` bytes. Past the limit it stops
/// reading and drops the pipe, so a runaway writer gets `SIGPIPE` instead of filling memory.
fn reader(mut pipe: Box<dyn Read + Send>, limit: usize) -> JoinHandle<(Vec<u8>, bool)> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => return (kept, false),
                Ok(n) => {
                    let room = limit - kept.len();
                    if n > room {
                        kept.extend_from_slice(&buf[..room]);
                        return (kept, true);
                    }
                    kept.extend_from_slice(&buf[..n]);
                }
            }
        }
    })
}

fn join(h: Option<JoinHandle<(Vec<u8>, bool)>>) -> (Vec<u8>, bool) {
    h.and_then(|h| h.join().ok()).unwrap_or_default()
}

fn outcome_of(status: std::process::ExitStatus) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Outcome::Exited { code },
        (None, Some(signal)) => {
            let (name, meaning) = signal_name(signal);
            Outcome::Signaled { signal, name, meaning }
        }
        (None, None) => Outcome::Exited { code: -1 },
    }
}

/// A signal's name and what it usually means for a student's simulator.
pub fn signal_name(signal: i32) -> (String, String) {
    let known: &[(i32, &str, &str)] = &[
        (libc::SIGSEGV, "SIGSEGV", "segmentation fault"),
        (libc::SIGABRT, "SIGABRT", "abort, e.g. a failed assert()"),
        (libc::SIGFPE, "SIGFPE", "arithmetic error, e.g. division by zero"),
        (libc::SIGBUS, "SIGBUS", "bus error"),
        (libc::SIGILL, "SIGILL", "illegal instruction"),
        (libc::SIGTRAP, "SIGTRAP", "trap"),
        (libc::SIGKILL, "SIGKILL", "killed"),
        (libc::SIGXCPU, "SIGXCPU", "CPU time limit exceeded"),
        (libc::SIGPIPE, "SIGPIPE", "wrote to a closed pipe"),
        (libc::SIGTERM, "SIGTERM", "terminated"),
    ];
    match known.iter().find(|k| k.0 == signal) {
        Some(&(_, n, m)) => (n.to_string(), m.to_string()),
        None => (format!("signal {signal}"), "a signal".to_string()),
    }
}
