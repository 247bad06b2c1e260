//! What both command languages print the same way: error lines, `stats`, `check`.

use core::fmt;
use std::io::{self, Write};

use policy::Count;

use crate::Shell;

impl Shell {
    /// Reports a rejected line or a failed operation as one line on `w`:
    /// `line N: error: <what>` in a script, `error: <what>` interactively. The run's exit
    /// status becomes 1.
    pub(crate) fn error<W: Write>(&mut self, w: &mut W, line_no: usize, what: fmt::Arguments<'_>) -> io::Result<()> {
        self.failed = true;
        // Consecutive refused lines, for `REFUSED_LIMIT`; a second error on the same line
        // (another piece of it) does not count twice.
        let (last, run) = self.refused;
        self.refused = match line_no {
            n if n == last => (n, run),
            n if n == last + 1 => (n, run + 1),
            n => (n, 1),
        };
        if self.interactive { writeln!(w, "error: {what}") } else { writeln!(w, "line {line_no}: error: {what}") }
    }

    /// `stats`: the machine's counters and occupancy, one fact a line.
    pub(crate) fn print_stats<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let s = self.kernel.stats();
        let c = s.counters;
        writeln!(
            w,
            "processes: {} live, {} created, {} exited, {} killed, {}",
            s.live_processes,
            c.processes_created,
            c.processes_exited,
            c.kills,
            Count(c.forks, "fork")
        )?;
        writeln!(w, "pages: {} mapped, {} allocated, {} freed", s.pages_mapped, c.pages_allocated, c.pages_freed)?;
        writeln!(w, "user frames: {} of {} free, {} shared", s.user_frames_free, s.user_frames, s.frames_shared)?;
        writeln!(w, "kernel frames: {} of {} free", s.kernel_frames_free, s.kernel_frames)?;
        writeln!(w, "copy-on-write: {}, {}", Count(c.cow_faults, "fault"), Count(c.cow_copies, "copy"))?;
        writeln!(w, "refused accesses: {}", c.refused)?;
        match self.kernel.demand_config() {
            // Demand paging forks copy-on-write whatever the policy (docs/demand-paging.md).
            Some(_) => writeln!(w, "fork policy: cow (demand paging)")?,
            None => writeln!(w, "fork policy: {}", policy_name(self.kernel.fork_policy()))?,
        }
        self.print_paging_stats(w)
    }

    /// `ps`: one line per live process in pid order: its pid, the pid it was forked from (`-`
    /// if created), the pages it maps, how many of those share their frame with another entry
    /// (copy-on-write), and the page faults it took (copy-on-write faults handled). The current
    /// process (`ajou`) is marked `*`. On standard output in both profiles.
    pub(crate) fn print_ps<W: Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"  PID  PARENT  PAGES  SHARED  FAULTS\n")?;
        let current = self.kernel.current();
        for p in self.kernel.processes() {
            let Ok(s) = self.kernel.process_stats(p.pid()) else { continue };
            let mark = if current == Some(s.pid) { '*' } else { ' ' };
            let parent = s.parent.map_or_else(|| "-".to_string(), |p| p.to_string());
            writeln!(
                w,
                "{mark}{:>4}  {parent:>6}  {:>5}  {:>6}  {:>6}",
                s.pid, s.pages_mapped, s.pages_shared, s.cow_faults
            )?;
        }
        Ok(())
    }

    /// `check`: verifies the machine's invariants; a violation counts as a failure.
    pub(crate) fn print_check<W: Write>(&mut self, w: &mut W) -> io::Result<()> {
        match self.kernel.check() {
            Ok(()) => w.write_all(b"check: ok\n"),
            Err(e) => {
                self.failed = true;
                writeln!(w, "check: failed: {e}")
            }
        }
    }
}

/// The name `fork_policy` and `--fork-policy` use for a policy.
pub(crate) fn policy_name(p: kernel::ForkPolicy) -> &'static str {
    match p {
        kernel::ForkPolicy::Eager => "eager",
        kernel::ForkPolicy::CopyOnWrite => "cow",
    }
}
