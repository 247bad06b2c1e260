//! The `ajou` command language: the 2021 Ajou course framework's shell, byte for byte.
//!
//! The framework's standard error is what graders diff, so every line printed there follows
//! its `printf` formats exactly (see `spec/ajou-2021.md`). Where the framework has no defined
//! behaviour (it asserts or reads past its arrays), this shell prints one error line on
//! standard output, where the framework's own chatter goes, changes nothing and goes on.

mod quick;
#[cfg(test)]
mod tests;

use std::io::{self, Write};

use kernel::{Access, AccessError, MapPageError, Perm, Pid, PoolKind, SwitchOutcome, Vpn};

use crate::out::{Line, Sink};
use crate::parse::{Shown, Tokens, c_number, is, rw_letters};
use crate::{Flow, Shell};

use quick::{Quick, quick};

/// Tokens a command may have; a line with more is undefined in the framework.
const MAX_TOKENS: usize = 3;

/// One line of `ajou` input.
pub(crate) fn execute<O: Write, S: Sink>(
    sh: &mut Shell,
    line: &[u8],
    line_no: usize,
    out: &mut O,
    err: &mut S,
) -> io::Result<Flow> {
    match execute_quick(sh, line, line_no, out, err)? {
        Some((flow, len)) if len == line.len() => Ok(flow),
        _ => general(sh, line, line_no, out, err),
    }
}

/// Runs the line at the start of `text` if it is a [`Quick`] command, and returns its flow
/// and its length (newline included); `None` if it is not, having done nothing.
///
/// [`Shell::run_script`] calls this on the unread rest of its buffer, so that the common lines
/// are found and parsed in one pass, without a separate search for their end.
pub(crate) fn execute_quick<O: Write, S: Sink>(
    sh: &mut Shell,
    text: &[u8],
    line_no: usize,
    out: &mut O,
    err: &mut S,
) -> io::Result<Option<(Flow, usize)>> {
    let Some((cmd, len)) = quick(text, sh.kernel.profile().format.vpn_count()) else { return Ok(None) };
    let flow = match cmd {
        Quick::Alloc { vpn, write } => alloc(sh, vpn, write, line_no, out, err)?,
        Quick::Free(vpn) => free(sh, vpn, line_no, out, err).map(|()| Flow::Continue)?,
        Quick::Access(vpn, kind) => access(sh, vpn, kind, line_no, out, err).map(|()| Flow::Continue)?,
        Quick::Switch(pid) => switch(sh, pid, line_no, out).map(|()| Flow::Continue)?,
    };
    Ok(Some((flow, len)))
}

/// One line of `ajou` input, any spelling: split into words as the framework splits them.
fn general<O: Write, S: Sink>(
    sh: &mut Shell,
    line: &[u8],
    line_no: usize,
    out: &mut O,
    err: &mut S,
) -> io::Result<Flow> {
    let t = Tokens::<MAX_TOKENS>::c_string(line);
    if t.more() {
        sh.error(out, line_no, format_args!("too many words: a command has at most {MAX_TOKENS}"))?;
        return Ok(Flow::Continue);
    }
    match *t.as_slice() {
        [] => {}
        [cmd] => {
            if is(cmd, "exit") {
                return Ok(Flow::Stop);
            } else if is(cmd, "show") {
                show(sh, line_no, out, err)?;
            } else if is(cmd, "pages") {
                pages(sh, err)?;
            } else if is(cmd, "help") || is(cmd, "?") {
                out.write_all(HELP.as_bytes())?;
                if sh.tlb.is_some() {
                    out.write_all(HELP_TLB.as_bytes())?;
                }
                out.write_all(HELP_EXTRAS.as_bytes())?;
            } else if sh.tlb.is_some() && is(cmd, "tlb") {
                show_tlb(sh, err)?;
            } else if is(cmd, "ps") {
                sh.print_ps(out)?;
            } else if sh.interactive && is(cmd, "quit") {
                // Interactive only: in a script `quit` is the framework's unknown command.
                return Ok(Flow::Stop);
            } else if is(cmd, "stats") {
                sh.print_stats(out)?;
            } else if is(cmd, "check") {
                sh.print_check(out)?;
            } else {
                unknown(sh, cmd, t.as_slice().len(), line_no, out)?;
            }
        }
        [cmd, arg] => {
            if is(cmd, "switch") || is(cmd, "s") {
                // Every word is a pid to the framework: `-1` is 4294967295.
                switch(sh, Pid::new(c_number(arg)), line_no, out)?;
            } else if is(cmd, "free") || is(cmd, "f") {
                if let Some(vpn) = vpn(sh, arg, line_no, out)? {
                    free(sh, vpn, line_no, out, err)?;
                }
            } else if is(cmd, "read") || is(cmd, "r") {
                if let Some(vpn) = vpn(sh, arg, line_no, out)? {
                    access(sh, vpn, Access::Read, line_no, out, err)?;
                }
            } else if is(cmd, "write") || is(cmd, "w") {
                if let Some(vpn) = vpn(sh, arg, line_no, out)? {
                    access(sh, vpn, Access::Write, line_no, out, err)?;
                }
            } else {
                unknown(sh, cmd, t.as_slice().len(), line_no, out)?;
            }
        }
        [cmd, vpn_word, flags] => {
            if is(cmd, "alloc") || is(cmd, "a") {
                let Some(vpn) = vpn(sh, vpn_word, line_no, out)? else { return Ok(Flow::Continue) };
                // The framework ORs the letters r and w of the word and ignores the rest. A word
                // with neither (`alloc 3 x`) is undefined there (solutions differ): refused.
                // `w` alone maps a read/write page, as most solutions do.
                let (read, write) = rw_letters(flags);
                if !read && !write {
                    let flags = Shown(flags);
                    sh.error(out, line_no, format_args!("alloc takes flags with r or w: '{flags}' has neither"))?;
                    return Ok(Flow::Continue);
                }
                return alloc(sh, vpn, write, line_no, out, err);
            } else if is(cmd, "access") {
                // The framework tests for `r` first: `access 3 rw` is a read.
                let kind = match rw_letters(flags) {
                    (true, _) => Access::Read,
                    (false, true) => Access::Write,
                    (false, false) => {
                        let flags = Shown(flags);
                        sh.error(out, line_no, format_args!("access takes r or w: '{flags}' has neither"))?;
                        return Ok(Flow::Continue);
                    }
                };
                if let Some(vpn) = vpn(sh, vpn_word, line_no, out)? {
                    access(sh, vpn, kind, line_no, out, err)?;
                }
            } else {
                unknown(sh, cmd, t.as_slice().len(), line_no, out)?;
            }
        }
        _ => unreachable_tokens(),
    }
    Ok(Flow::Continue)
}

/// `Tokens::<3>` never holds more than three tokens.
#[cold]
fn unreachable_tokens() {
    debug_assert!(false, "more tokens than Tokens keeps");
}

/// The usage of each command the framework knows, by its names: printed after `Unknown
/// command` when the name is right but the number of words is not.
const USAGE: &[(&[&str], &str)] = &[
    (&["alloc", "a"], "alloc VPN r|rw"),
    (&["free", "f"], "free VPN"),
    (&["read", "r"], "read VPN"),
    (&["write", "w"], "write VPN"),
    (&["access"], "access VPN r|w"),
    (&["switch", "s"], "switch PID"),
    (&["show"], "show (no arguments)"),
    (&["pages"], "pages (no arguments)"),
    (&["exit"], "exit (no arguments)"),
    (&["help", "?"], "help (no arguments)"),
];

/// `Unknown command <word>`, with the word lower-cased as the framework lower-cases the line;
/// then, if the word names a command given the wrong number of words (`read`, `alloc 3`), a
/// second line on standard output with its usage. Both on standard output, where the
/// framework prints the first.
#[cold]
fn unknown<O: Write>(sh: &mut Shell, cmd: &[u8], words: usize, line_no: usize, out: &mut O) -> io::Result<()> {
    unknown_line(cmd, out)?;
    if let Some((_, usage)) = USAGE.iter().find(|(names, _)| names.iter().any(|n| is(cmd, n))) {
        let n = words - 1;
        let s = if n == 1 { "" } else { "s" };
        if sh.interactive {
            writeln!(out, "usage: {usage} ({n} argument{s} given)")?;
        } else {
            writeln!(out, "line {line_no}: usage: {usage} ({n} argument{s} given)")?;
        }
    }
    Ok(())
}

/// The framework's own line for an unknown command.
/// The framework goes on after it, so it is ordinary output, not a refused line.
fn unknown_line<O: Write>(cmd: &[u8], out: &mut O) -> io::Result<()> {
    out.write_all(b"Unknown command ")?;
    for chunk in cmd.chunks(256) {
        let mut lower = [0u8; 256];
        let lower = &mut lower[..chunk.len()];
        lower.copy_from_slice(chunk);
        lower.make_ascii_lowercase();
        out.write_all(lower)?;
    }
    out.write_all(b"\n")
}

/// The VPN in `word` as the framework reads it ([`c_number`]), or an error line if that is
/// past the address space (the framework would index past its tables).
fn vpn<O: Write>(sh: &mut Shell, word: &[u8], line_no: usize, out: &mut O) -> io::Result<Option<Vpn>> {
    let count = sh.kernel.profile().format.vpn_count();
    let n = c_number(word);
    if n < count {
        return Ok(Some(Vpn::new(n)));
    }
    let last = count - 1;
    let mut plain = Line::new();
    if word == plain.num(u64::from(n)).as_bytes() {
        sh.error(out, line_no, format_args!("vpn {n} is outside 0..{last}"))?;
    } else {
        let shown = Shown(word);
        sh.error(out, line_no, format_args!("vpn '{shown}' reads as {n}, outside 0..{last}"))?;
    }
    Ok(None)
}

/// The current process; `ajou` always has one (process 0 boots current and none exits).
fn current<O: Write>(sh: &mut Shell, line_no: usize, out: &mut O) -> io::Result<Option<Pid>> {
    match sh.kernel.current() {
        Some(pid) => Ok(Some(pid)),
        None => {
            sh.error(out, line_no, format_args!("there is no current process"))?;
            Ok(None)
        }
    }
}

/// `alloc VPN FLAGS`: `alloc %3u --> %-3u`; an allocated VPN or full memory ends the run.
fn alloc<O: Write, S: Sink>(
    sh: &mut Shell,
    vpn: Vpn,
    write: bool,
    line_no: usize,
    out: &mut O,
    err: &mut S,
) -> io::Result<Flow> {
    let Some(pid) = current(sh, line_no, out)? else { return Ok(Flow::Continue) };
    // Valid implies readable on this machine: `alloc VPN w` maps a read/write page.
    let perm = if write { Perm::READ | Perm::WRITE } else { Perm::READ };
    // The framework's "already allocated" check is a translation, which asks the TLB first.
    let cached = sh.tlb.as_ref().and_then(|t| t.lookup(vpn));
    let mapped = match cached {
        Some(frame) => Err(MapPageError::AlreadyMapped { vpn, frame }),
        None => sh.kernel.map_page(pid, vpn, perm),
    };
    match mapped {
        Ok(pfn) => {
            let mut l = Line::new();
            l.text(b"alloc ").right(u64::from(vpn.as_u32()), 3, b' ').text(b" --> ");
            err.line(l.left(u64::from(pfn.as_u32()), 3).text(b"\n"))?;
            Ok(Flow::Continue)
        }
        // Both end the framework's run, as its answer to the script, not a crash: the exit
        // status is not changed.
        Err(MapPageError::AlreadyMapped { vpn, frame }) => {
            let mut l = Line::new();
            l.num(u64::from(vpn.as_u32())).text(b" is already allocated to ").num(u64::from(frame.as_u32()));
            err.line(l.text(b"\n"))?;
            Ok(run_ends(sh, out)?)
        }
        Err(MapPageError::OutOfMemory { pool: PoolKind::User }) => {
            err.write_all(b"memory is full\n")?;
            Ok(run_ends(sh, out)?)
        }
        // The framework mallocs its tables and never runs out of them; this machine keeps them in
        // a kernel pool that can, so that is an error of its own, not "memory is full".
        Err(e) => {
            sh.error(out, line_no, format_args!("alloc: {e}"))?;
            Ok(Flow::Continue)
        }
    }
}

/// After a line on which the framework ends its run: a script ends there too; an interactive
/// session goes on (losing the machine to a typo helps nobody), saying so on standard output.
#[cold]
fn run_ends<O: Write>(sh: &mut Shell, out: &mut O) -> io::Result<Flow> {
    if !sh.interactive {
        return Ok(Flow::Stop);
    }
    out.write_all(b"note: the course framework ends its run here; this session goes on\n")?;
    Ok(Flow::Continue)
}

/// `free VPN`: `free %u (pfn %u)` before freeing, or `%u is not allocated`.
fn free<O: Write, S: Sink>(sh: &mut Shell, vpn: Vpn, line_no: usize, out: &mut O, err: &mut S) -> io::Result<()> {
    let Some(pid) = current(sh, line_no, out)? else { return Ok(()) };
    // Without the TLB the frame printed is the table's: unmapping first walks the table once
    // instead of twice (a table load that misses the cache is most of a `free`), and the line
    // is the same since nothing is printed between the two. Any refusal is `not allocated`, as
    // when the entry is looked up first (the current process always exists).
    if sh.tlb.is_none() {
        let mut l = Line::new();
        match sh.kernel.unmap_page(pid, vpn) {
            Ok(frame) => {
                l.text(b"free ").num(u64::from(vpn.as_u32())).text(b" (pfn ").num(u64::from(frame.as_u32()));
                err.line(l.text(b")\n"))?;
            }
            Err(_) => {
                err.line(l.num(u64::from(vpn.as_u32())).text(b" is not allocated\n"))?;
            }
        }
        return Ok(());
    }
    let mut l = Line::new();
    let cached = sh.tlb.as_ref().and_then(|t| t.lookup(vpn));
    let frame = match (cached, sh.kernel.entry(pid, vpn)) {
        (Some(frame), _) => Some(frame),
        (None, Ok(e)) if e.is_present() => Some(e.frame()),
        _ => None,
    };
    match frame {
        Some(frame) => {
            l.text(b"free ").num(u64::from(vpn.as_u32())).text(b" (pfn ").num(u64::from(frame.as_u32()));
            err.line(l.text(b")\n"))?;
            if let Some(t) = &mut sh.tlb {
                t.remove(vpn);
            }
            if let Err(e) = sh.kernel.unmap_page(pid, vpn) {
                sh.error(out, line_no, format_args!("free: {e}"))?;
            }
        }
        _ => {
            err.line(l.num(u64::from(vpn.as_u32())).text(b" is not allocated\n"))?;
        }
    }
    Ok(())
}

/// `read VPN`, `write VPN`, `access VPN r|w`: `%3u --> %-3u` or `Unable to access %u`.
///
/// A refused access is the simulated machine's answer, not an error of the script, except in
/// the two cases where the framework's fault handler (student code) crashes or solutions
/// differ: the VPN's inner table was never allocated, or a copy-on-write copy finds no free
/// frame. Those print the same line and are refused besides (a note, exit status 1).
fn access<O: Write, S: Sink>(
    sh: &mut Shell,
    vpn: Vpn,
    kind: Access,
    line_no: usize,
    out: &mut O,
    err: &mut S,
) -> io::Result<()> {
    let Some(pid) = current(sh, line_no, out)? else { return Ok(()) };
    let n = u64::from(vpn.as_u32());
    let mut l = Line::new();
    // With the TLB, a hit answers without the page table, as the framework's MMU did.
    if let Some(pfn) = sh.tlb.as_ref().and_then(|t| t.lookup(vpn)) {
        l.text(b"o | ").right(n, 3, b' ').text(b" --> ").left(u64::from(pfn.as_u32()), 3).text(b"\n");
        err.line(&l)?;
        return Ok(());
    }
    match sh.kernel.touch(pid, vpn, kind) {
        Ok(pfn) => {
            if let Some(t) = &mut sh.tlb {
                t.insert(vpn, pfn);
                l.text(b"x | ");
            }
            err.line(l.right(n, 3, b' ').text(b" --> ").left(u64::from(pfn.as_u32()), 3).text(b"\n"))?;
            Ok(())
        }
        Err(e) => {
            err.line(l.text(b"Unable to access ").num(n).text(b"\n"))?;
            match e {
                AccessError::Fault(_) if has_inner_table(sh, pid, vpn) => Ok(()),
                AccessError::Fault(_) => {
                    sh.error(out, line_no, format_args!("vpn {n}: its inner page table was never allocated"))
                }
                AccessError::OutOfMemory { .. } => {
                    sh.error(out, line_no, format_args!("vpn {n}: no free frame for the copy-on-write copy"))
                }
                e => sh.error(out, line_no, format_args!("{e}")),
            }
        }
    }
}

/// Whether `pid` has the inner (leaf) table that would hold `vpn`'s entry.
#[cold]
fn has_inner_table(sh: &Shell, pid: Pid, vpn: Vpn) -> bool {
    let dir = sh.kernel.profile().format.dir_index(vpn);
    sh.kernel.leaf_tables(pid).is_ok_and(|mut leaves| leaves.any(|l| l.dir_index == dir))
}

/// `switch PID`: to an existing process, or a copy-on-write fork with that pid. A switch to
/// the current process is left to student code in the framework (solutions differ): refused,
/// nothing done.
///
/// Interactively, a note on standard output says which it did (the framework prints nothing).
fn switch<O: Write>(sh: &mut Shell, pid: Pid, line_no: usize, out: &mut O) -> io::Result<()> {
    let from = sh.kernel.current();
    match sh.kernel.switch(pid) {
        Ok(SwitchOutcome::AlreadyCurrent) => {
            sh.error(out, line_no, format_args!("switch {pid}: already the current process, nothing done"))
        }
        Ok(outcome @ (SwitchOutcome::Switched | SwitchOutcome::Forked)) => {
            if let Some(t) = &mut sh.tlb {
                t.flush();
            }
            if sh.interactive {
                switch_note(sh, outcome, from, pid, out)?;
            }
            Ok(())
        }
        Err(e) => sh.error(out, line_no, format_args!("switch: {e}")),
    }
}

/// The interactive note of `switch`.
#[cold]
fn switch_note<O: Write>(
    sh: &Shell,
    outcome: SwitchOutcome,
    from: Option<Pid>,
    pid: Pid,
    out: &mut O,
) -> io::Result<()> {
    match (outcome, from) {
        // A switch to the current process is refused before this.
        (SwitchOutcome::AlreadyCurrent, _) => Ok(()),
        (SwitchOutcome::Switched, _) => writeln!(out, "note: switched to process {pid}"),
        (SwitchOutcome::Forked, Some(parent)) => {
            let how = crate::report::policy_name(sh.kernel.fork_policy());
            writeln!(out, "note: forked process {pid} from process {parent} ({how} fork) and switched to it")
        }
        (SwitchOutcome::Forked, None) => writeln!(out, "note: forked process {pid} and switched to it"),
    }
}

/// `show`: the current page table. Entries go to standard error, the blank line after each
/// inner table to standard output, exactly as the framework splits them. Reading a script file,
/// invalid entries are skipped; in the framework's interactive mode (no file argument, see
/// [`Shell::set_console`]) every entry of an existing inner table is printed.
fn show<O: Write, S: Sink>(sh: &mut Shell, line_no: usize, out: &mut O, err: &mut S) -> io::Result<()> {
    let Some(pid) = current(sh, line_no, out)? else { return Ok(()) };
    let mut l = Line::new();
    err.line(l.text(b"\n*** PID ").num(u64::from(pid.as_u32())).text(b" ***\n"))?;
    let verbose = sh.console;
    let Ok(leaves) = sh.kernel.leaf_tables(pid) else { return Ok(()) };
    for leaf in leaves {
        for (j, e) in leaf.entries.iter().enumerate() {
            if !verbose && !e.is_present() {
                continue;
            }
            let f = e.flags();
            let mut l = Line::new();
            l.right(leaf.dir_index as u64, 2, b'0').text(b":").right(j as u64, 2, b'0').text(b" ");
            l.text(if e.is_present() { b"v" } else { b" " });
            l.text(if f.contains(kernel::PteFlags::WRITE) { b"w" } else { b" " });
            err.line(l.text(b" | ").left(u64::from(e.frame().as_u32()), 3).text(b"\n"))?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// `tlb` (TLB mode only): `%3d -> %-3d` for every valid slot, in slot order.
fn show_tlb<S: Sink>(sh: &Shell, err: &mut S) -> io::Result<()> {
    let Some(tlb) = &sh.tlb else { return Ok(()) };
    for (vpn, pfn) in tlb.valid() {
        let mut l = Line::new();
        l.right(u64::from(vpn.as_u32()), 3, b' ').text(b" -> ").left(u64::from(pfn.as_u32()), 3).text(b"\n");
        err.line(&l)?;
    }
    Ok(())
}

/// `pages`: `%3u: %d` for every frame some entry maps, then a blank line.
fn pages<S: Sink>(sh: &Shell, err: &mut S) -> io::Result<()> {
    for (pfn, count) in sh.kernel.mem().map_counts.nonzero() {
        let mut l = Line::new();
        err.line(l.right(u64::from(pfn.as_u32()), 3, b' ').text(b": ").num(u64::from(count)).text(b"\n"))?;
    }
    err.write_all(b"\n")
}

/// What `help` prints (on standard output, as the framework's help), up to the extras.
// No line-continuation backslash here: it would also eat the first line's indentation.
const HELP: &str = "  help | ?             : print this help
  exit                 : end the simulation

  switch PID   (s)     : make process PID current; fork it from the current
                         process (copy-on-write) if it does not exist
  show                 : show the page table of the current process
  pages                : show the map count of every mapped page frame

  alloc VPN r|rw  (a)  : map a free page frame at VPN, read-only or read/write
  free VPN     (f)     : unmap the page at VPN
  access VPN r|w       : access VPN for read or write
  read VPN     (r)     : same as access VPN r
  write VPN    (w)     : same as access VPN w

";

/// The line `help` adds in TLB mode, before the extras.
const HELP_TLB: &str = "  tlb                  : list the TLB entries (TLB mode)\n\n";

/// The rest of `help`: this project's extras.
const HELP_EXTRAS: &str = "  Not in the course framework (their output goes to standard output):
  ps                   : list the processes (pid, parent, pages, shared, faults)
  stats                : machine statistics
  check                : verify the machine's invariants
  quit                 : end an interactive session (in a script: unknown)

  Numbers are read as C strtoimax(word, NULL, 0) into 32 bits: 10, 0x1f, 017,
  and the longest valid prefix of any word (7abc is 7, abc is 0, -1 is
  4294967295). VPNs are 0..255. A word starting with # starts a comment.
  Translations, errors of the simulated machine, page tables and map counts go
  to standard error; refused lines, to standard output.

";
