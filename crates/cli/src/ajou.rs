//! The `ajou` command language: the 2021 Ajou course framework's shell, byte for byte.
//!
//! The framework's standard error is what graders diff, so every line printed there follows
//! its `printf` formats exactly (see `spec/ajou-2021.md`). Where the framework has no defined
//! behaviour (it asserts or reads past its arrays), this shell prints one error line on
//! standard output, where the framework's own chatter goes, changes nothing and goes on.

use std::io::{self, Write};

use kernel::{Access, AccessError, MapPageError, Perm, Pid, PoolKind, SwitchOutcome, Vpn};

use crate::out::{Line, Sink};
use crate::parse::{Shown, Tokens, c_number, is, rw_letters};
use crate::{Flow, Shell};

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

/// A command in the shape that generated and hand-written scripts almost always use: the full
/// lower-case name, one space, a decimal number of up to three digits and, for `alloc`, ` r` or ` rw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quick {
    Alloc { vpn: Vpn, write: bool },
    Free(Vpn),
    Access(Vpn, Access),
    Switch(Pid),
}

/// The [`Quick`] command on the line at the start of `text` and the line's length, if the
/// line has exactly that shape, ends with a newline and names a VPN below `vpn_count`; `None`
/// sends it to the general tokenizer.
///
/// A million-line script spent a third of its run in the tokenizer's byte loop and the search
/// for the line's end; matching the line against a few fixed shapes finds both in one pass
/// with no per-byte classification. It must agree with the general path on every line it
/// accepts: it accepts only words the tokenizer would split the same way, numbers that
/// `c_number` reads as the same decimal value (no sign, no leading zero) and valid VPNs, and
/// leaves every error and every other spelling to the general path.
fn quick(text: &[u8], vpn_count: u32) -> Option<(Quick, usize)> {
    /// The number of one to three digits after the command word, and what follows it.
    ///
    /// Computed for each possible length and selected, rather than in a loop over the digits:
    /// the lengths of random VPNs vary from line to line, and a loop exit that the branch
    /// predictor cannot guess costs more than the arithmetic. (Three digits cover every VPN and
    /// the pids of any realistic script; a longer number takes the general path.)
    fn number(rest: &[u8]) -> Option<(u32, &[u8])> {
        let digit = |i: usize| rest.get(i).filter(|b| b.is_ascii_digit()).map(|&b| u32::from(b - b'0'));
        let [d0, d1, d2] = [digit(0), digit(1), digit(2)];
        let (len, n) = match (d0, d1, d2) {
            (Some(a), Some(b), Some(c)) => (3, a * 100 + b * 10 + c),
            (Some(a), Some(b), None) => (2, a * 10 + b),
            (Some(a), None, _) => (1, a),
            (None, ..) => return None,
        };
        // No fourth digit after three (past a shorter number, `rest` may already hold the next
        // line), and no leading zero (`c_number` would read the word as octal).
        if (len == 3 && digit(3).is_some()) || (len > 1 && d0 == Some(0)) {
            return None;
        }
        Some((n, &rest[len..]))
    }
    let vpn = |n: u32| (n < vpn_count).then(|| Vpn::new(n));
    // The length of the line, if `rest` (after the number) is `end` and a newline.
    let line_end = |rest: &[u8], end: &[u8]| {
        (rest.starts_with(end) && rest.get(end.len()) == Some(&b'\n')).then(|| text.len() - rest.len() + end.len() + 1)
    };
    let (cmd, rest) = if let Some(rest) = text.strip_prefix(b"read ") {
        let (n, rest) = number(rest)?;
        (Quick::Access(vpn(n)?, Access::Read), rest)
    } else if let Some(rest) = text.strip_prefix(b"write ") {
        let (n, rest) = number(rest)?;
        (Quick::Access(vpn(n)?, Access::Write), rest)
    } else if let Some(rest) = text.strip_prefix(b"free ") {
        let (n, rest) = number(rest)?;
        (Quick::Free(vpn(n)?), rest)
    } else if let Some(rest) = text.strip_prefix(b"switch ") {
        let (n, rest) = number(rest)?;
        (Quick::Switch(Pid::new(n)), rest)
    } else if let Some(rest) = text.strip_prefix(b"alloc ") {
        let (n, rest) = number(rest)?;
        let (write, len) = match line_end(rest, b" rw") {
            Some(len) => (true, len),
            None => (false, line_end(rest, b" r")?),
        };
        return Some((Quick::Alloc { vpn: vpn(n)?, write }, len));
    } else {
        return None;
    };
    Some((cmd, line_end(rest, b"")?))
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::{Machine, Shell};

    /// One log behind two writers: what a terminal shows when both streams go to it.
    #[derive(Clone, Default)]
    struct Terminal(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl std::io::Write for Terminal {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_printing_on_both_streams_interleaves_them_as_printed() {
        // `show` prints entries on standard error and a blank line after each inner table on
        // standard output: on a terminal the blank line follows the table.
        let mut sh = Shell::new(Machine::Ajou, false, None).unwrap();
        let term = Terminal::default();
        let (mut out, mut err) = (term.clone(), term.clone());
        for (i, line) in ["alloc 0 r", "alloc 17 rw", "show"].into_iter().enumerate() {
            sh.execute(line.as_bytes(), i + 1, &mut out, &mut err).unwrap();
        }
        let shown = String::from_utf8(term.0.borrow().clone()).unwrap();
        let expected = "alloc   0 --> 0  \nalloc  17 --> 1  \n\n*** PID 0 ***\n00:00 v  | 0  \n\n01:01 vw | 1  \n\n";
        assert_eq!(shown, expected);
    }

    /// Runs `script` through one shell; returns (stdout, stderr, failed).
    #[track_caller]
    fn run(interactive: bool, script: &str) -> (String, String, bool) {
        let mut sh = Shell::new(Machine::Ajou, interactive, None).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for (i, line) in script.lines().enumerate() {
            if sh.execute(line.as_bytes(), i + 1, &mut out, &mut err).unwrap() == crate::Flow::Stop {
                break;
            }
        }
        sh.kernel().check().unwrap();
        (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap(), sh.failed())
    }

    #[test]
    fn alloc_read_write_and_their_formats() {
        let (out, err, failed) = run(false, "ALLOC 3 RW\nread 3\nw 3\na 0x10 r\nwrite 16\naccess 16 r\n");
        assert_eq!(out, "");
        assert_eq!(
            err,
            "alloc   3 --> 0  \n  3 --> 0  \n  3 --> 0  \nalloc  16 --> 1  \nUnable to access 16\n 16 --> 1  \n"
        );
        assert!(!failed, "a refused access is the machine's answer, not a failure");
    }

    #[test]
    fn alloc_w_alone_is_read_write_and_other_letters_are_ignored() {
        let (_, err, _) = run(false, "alloc 1 w\nread 1\nwrite 1\nalloc 2 rx\nwrite 2\n");
        assert_eq!(err, "alloc   1 --> 0  \n  1 --> 0  \n  1 --> 0  \nalloc   2 --> 1  \nUnable to access 2\n");
    }

    #[test]
    fn alloc_of_an_allocated_vpn_ends_the_run() {
        let (_, err, failed) = run(false, "alloc 5 r\nalloc 5 rw\nalloc 6 r\n");
        assert_eq!(err, "alloc   5 --> 0  \n5 is already allocated to 0\n");
        assert!(!failed, "the framework's own end of the run, not a refused line");
    }

    #[test]
    fn full_memory_ends_the_run() {
        let script: String = (0..129).map(|v| format!("alloc {v} r\n")).collect::<String>() + "pages\n";
        let (_, err, failed) = run(false, &script);
        assert!(err.ends_with("alloc 127 --> 127\nmemory is full\n"), "{err}");
        assert!(!failed, "the framework's own end of the run, not a refused line");
    }

    #[test]
    fn free_prints_before_freeing_and_refuses_unallocated() {
        let (_, err, failed) = run(false, "alloc 1 rw\nfree 1\nfree 1\nread 1\nalloc 1 r\n");
        assert_eq!(
            err,
            "alloc   1 --> 0  \nfree 1 (pfn 0)\n1 is not allocated\nUnable to access 1\nalloc   1 --> 0  \n"
        );
        assert!(!failed, "freeing an unallocated page is the framework's ordinary output");
    }

    #[test]
    fn show_hides_invalid_entries_in_scripts_only() {
        let script = "alloc 1 rw\nalloc 17 r\nfree 1\nshow\n";
        let (out, err, _) = run(false, script);
        assert_eq!(out, "\n\n");
        assert_eq!(err, "alloc   1 --> 0  \nalloc  17 --> 1  \nfree 1 (pfn 0)\n\n*** PID 0 ***\n01:01 v  | 1  \n");
        let (out, err, _) = run(true, script);
        assert_eq!(out, "\n\n");
        let table: Vec<&str> = err.lines().skip(5).collect();
        assert_eq!(table.len(), 32);
        assert_eq!(table[1], "00:01    | 0  ");
        assert_eq!(table[17], "01:01 v  | 1  ");
        assert_eq!(table[31], "01:15    | 0  ");
    }

    #[test]
    fn switch_forks_copy_on_write_and_pages_counts() {
        let (_, err, _) = run(false, "alloc 0 rw\nswitch 1\npages\nwrite 0\npages\nswitch 0\nshow\nswitch 0\n");
        assert_eq!(
            err,
            "alloc   0 --> 0  \n  0: 2\n\n  0 --> 1  \n  0: 1\n  1: 1\n\n\n*** PID 0 ***\n00:00 v  | 0  \n"
        );
    }

    #[test]
    fn unknown_commands_go_to_stdout_lower_cased() {
        let (out, err, failed) = run(false, "Fly\nshow 3\nREAD 1 2\nexit now\nframes\npages#\n");
        // A known name with the wrong number of words gets its usage on a second line.
        assert_eq!(
            out,
            "Unknown command fly\nUnknown command show\nline 2: usage: show (no arguments) (1 argument given)\n\
             Unknown command read\nline 3: usage: read VPN (2 arguments given)\n\
             Unknown command exit\nline 4: usage: exit (no arguments) (1 argument given)\n\
             Unknown command frames\nUnknown command pages#\n"
        );
        assert_eq!(err, "");
        assert!(!failed, "the framework goes on after an unknown command: ordinary output");
    }

    #[test]
    fn undefined_input_is_an_error_on_stdout_and_changes_nothing() {
        let (out, err, failed) = run(
            false,
            "alloc 1 r\nread 256\nalloc -1 r\nwrite 0x100\nfree 4294967552\nalloc 2 r w\naccess 1 x\nalloc 2 x\n\
             switch 0\nread 77\n",
        );
        assert_eq!(err, "alloc   1 --> 0  \nUnable to access 77\n");
        assert!(failed);
        let want = [
            "line 2: error: vpn 256 is outside 0..255",
            "line 3: error: vpn '-1' reads as 4294967295, outside 0..255",
            "line 4: error: vpn '0x100' reads as 256, outside 0..255",
            "line 5: error: vpn '4294967552' reads as 256, outside 0..255",
            "line 6: error: too many words: a command has at most 3",
            "line 7: error: access takes r or w: 'x' has neither",
            "line 8: error: alloc takes flags with r or w: 'x' has neither",
            "line 9: error: switch 0: already the current process, nothing done",
            "line 10: error: vpn 77: its inner page table was never allocated",
        ];
        assert_eq!(out.lines().collect::<Vec<_>>(), want);
    }

    #[test]
    fn words_are_numbers_as_strtoimax_reads_them() {
        let script = "alloc 3 rw\nalloc 7 rw\nalloc 0 rw\nwrite 3#x\nread 7abc\nread abc\nread 0x\nread 08\n\
                      read 4294967299\naccess 3 rw\nread +7\nr 0x07\nw 03\n";
        let (out, err, failed) = run(false, script);
        assert_eq!(out, "");
        let reads = ["  3 --> 0  ", "  7 --> 1  ", "  0 --> 2  ", "  0 --> 2  ", "  0 --> 2  ", "  3 --> 0  "];
        let want = ["alloc   3 --> 0  ", "alloc   7 --> 1  ", "alloc   0 --> 2  "].into_iter().chain(reads).chain([
            "  3 --> 0  ",
            "  7 --> 1  ",
            "  7 --> 1  ",
            "  3 --> 0  ",
        ]);
        assert_eq!(err.lines().collect::<Vec<_>>(), want.collect::<Vec<_>>());
        assert!(!failed);
    }

    #[test]
    fn odd_pids_are_32_bit_numbers() {
        let (out, err, failed) =
            run(false, "alloc 1 rw\nswitch -1\nshow\ns 0x\ns 4294967296\nshow\nswitch 99999999999999999999\nshow\n");
        assert_eq!(out, "\nline 5: error: switch 0: already the current process, nothing done\n\n\n");
        assert_eq!(
            err,
            "alloc   1 --> 0  \n\n*** PID 4294967295 ***\n00:01 v  | 0  \n\n*** PID 0 ***\n00:01 v  | 0  \n\
             \n*** PID 4294967295 ***\n00:01 v  | 0  \n"
        );
        assert!(failed, "`s 4294967296` is a switch to pid 0, the current one: refused");
    }

    #[test]
    fn interactive_errors_have_no_line_number() {
        let (out, _, _) = run(true, "read 999\n");
        assert_eq!(out, "error: vpn 999 is outside 0..255\n");
    }

    #[test]
    fn comments_blank_lines_nul_and_exit() {
        let (out, err, failed) = run(false, "# comment\n\n   \nalloc 1 rw # note\nread 1\0 junk\nexit\nread 1\n");
        assert_eq!(out, "");
        assert_eq!(err, "alloc   1 --> 0  \n  1 --> 0  \n");
        assert!(!failed);
    }

    /// Lines in the shapes [`super::quick`] takes and in near misses of them: other spellings,
    /// signs, leading zeros, hexadecimal, out-of-range numbers, extra words and bytes.
    fn near_quick_line() -> impl Strategy<Value = Vec<u8>> {
        let cmd = prop::sample::select(vec![
            "read", "write", "free", "switch", "alloc", "READ", "Write", "r", "w", "f", "s", "a", "rea", "reads",
            "access", "show", "frames", "pages#",
        ]);
        let sep = prop::sample::select(vec![" ", " ", " ", "  ", "\t", "", "\x0b"]);
        let num = prop_oneof![
            4 => (0u32..300).prop_map(|n| n.to_string()),
            1 => (0u32..300).prop_map(|n| format!("0{n}")),
            1 => (0u32..300).prop_map(|n| format!("0x{n:x}")),
            1 => (0u32..300).prop_map(|n| format!("+{n}")),
            1 => (0u32..300).prop_map(|n| format!("-{n}")),
            1 => prop::sample::select(vec!["4294967295", "4294967296", "999999999", "1000000000", "", "1a", "٣"])
                .prop_map(String::from),
            // Words strtoimax reads by their longest valid prefix, and 32-bit wraps.
            2 => prop::sample::select(vec![
                "3#x", "7abc", "abc", "0x", "08", "019", "0x1fg", "4294967299", "4294967552", "-4294967289",
                "99999999999999999999", "-99999999999999999999", "12.5", "+", "-",
            ])
            .prop_map(String::from),
        ];
        let flags = prop::sample::select(vec![
            "", " r", " rw", " w", " R", " wr", " rw x", " x", " r#", " rww", " write", " read", " #rw", " x#w",
        ]);
        let end = prop::sample::select(vec!["\n", "", " \n", "\r\n", " # note\n", "\0x\n", "x\n", "#x\n"]);
        (cmd, sep, num, flags, end).prop_map(|(c, s, n, f, e)| format!("{c}{s}{n}{f}{e}").into_bytes())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Whatever the quick path takes, in `run_script` or `execute`, must run exactly as the
        /// general tokenizer runs it: the same output on both streams, the same failure flag
        /// and the same machine afterwards.
        #[test]
        fn quick_lines_run_as_the_general_path_runs_them(
            lines in prop::collection::vec(near_quick_line(), 1..60),
            interactive in any::<bool>(),
        ) {
            let script = lines.concat();
            let mut fast = Shell::new(Machine::Ajou, interactive, None).unwrap();
            let (mut fast_out, mut fast_err) = (vec![], vec![]);
            fast.run_script(&script[..], None, &mut fast_out, &mut fast_err).unwrap();
            // `execute`, line by line, takes the quick path too.
            let mut each = Shell::new(Machine::Ajou, interactive, None).unwrap();
            let (mut each_out, mut each_err) = (vec![], vec![]);
            // The general path alone, on the same lines as `run_script` cuts them.
            let mut slow = Shell::new(Machine::Ajou, interactive, None).unwrap();
            let (mut slow_out, mut slow_err) = (vec![], vec![]);
            for (i, line) in script.split_inclusive(|&b| b == b'\n').enumerate() {
                let s = super::general(&mut slow, line, i + 1, &mut slow_out, &mut slow_err).unwrap();
                let e = each.execute(line, i + 1, &mut each_out, &mut each_err).unwrap();
                prop_assert_eq!(e, s);
                if s == crate::Flow::Stop {
                    break;
                }
            }
            for (sh, out, err) in [(&mut fast, &fast_out, &fast_err), (&mut each, &each_out, &each_err)] {
                prop_assert_eq!(String::from_utf8_lossy(err), String::from_utf8_lossy(&slow_err));
                prop_assert_eq!(String::from_utf8_lossy(out), String::from_utf8_lossy(&slow_out));
                prop_assert_eq!(sh.failed(), slow.failed());
                prop_assert_eq!(sh.kernel().stats(), slow.kernel().stats());
                let (mut a, mut b) = (vec![], vec![]);
                super::general(sh, b"show", 0, &mut Vec::new(), &mut a).unwrap();
                super::general(&mut slow, b"show", 0, &mut Vec::new(), &mut b).unwrap();
                prop_assert_eq!(a, b, "the same page tables");
            }
        }
    }

    #[test]
    fn quick_takes_the_generated_shapes_and_nothing_looser() {
        use super::{Quick, quick};
        use kernel::{Access, Pid, Vpn};
        let v = Vpn::new;
        let q = |text: &[u8]| quick(text, 256);
        assert_eq!(q(b"read 251\nwrite 3\n"), Some((Quick::Access(v(251), Access::Read), 9)));
        assert_eq!(q(b"write 0\n"), Some((Quick::Access(v(0), Access::Write), 8)));
        assert_eq!(q(b"free 17\n"), Some((Quick::Free(v(17)), 8)));
        assert_eq!(q(b"switch 229\n"), Some((Quick::Switch(Pid::new(229)), 11)));
        assert_eq!(q(b"switch 0\n"), Some((Quick::Switch(Pid::new(0)), 9)));
        assert_eq!(q(b"alloc 87 rw\n"), Some((Quick::Alloc { vpn: v(87), write: true }, 12)));
        assert_eq!(q(b"alloc 3 r\nread 3\n"), Some((Quick::Alloc { vpn: v(3), write: false }, 10)));
        // What follows the line does not matter, even digits (a line that starts with a number).
        assert_eq!(q(b"free 5\n77\n"), Some((Quick::Free(v(5)), 7)));
        assert_eq!(q(b"read 42\n7\n"), Some((Quick::Access(v(42), Access::Read), 8)));
        for general in [
            &b"read 1"[..],
            b"read 256\n",
            b"read 010\n",
            b"read 0x10\n",
            b"read +1\n",
            b"read  1\n",
            b"read 1 \n",
            b"read 1\r\n",
            b"read 1x\n",
            b"read \n",
            b"Read 1\n",
            b"r 1\n",
            b"alloc 1 w\n",
            b"alloc 1 rw",
            b"alloc 1 rwx\n",
            b"alloc 1\n",
            b"switch 1000\n",
            b"switch 01\n",
            b"read 00\n",
            b"free 1 # note\n",
            b"show\n",
        ] {
            assert_eq!(q(general), None, "{:?}", String::from_utf8_lossy(general));
        }
    }

    /// Runs `script` in TLB mode; returns stderr.
    #[track_caller]
    fn run_tlb(script: &str) -> String {
        let mut sh = Shell::new(Machine::Ajou, false, None).unwrap();
        sh.enable_tlb().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        sh.run_script(script.as_bytes(), None, &mut out, &mut err).unwrap();
        sh.kernel().check().unwrap();
        String::from_utf8(err).unwrap()
    }

    #[test]
    fn tlb_mode_marks_hits_and_misses() {
        let err = run_tlb("alloc 5 rw\nread 5\nwrite 5\nread 6\ntlb\nfree 5\nread 5\ntlb\n");
        assert_eq!(
            err,
            "alloc   5 --> 0  \nx |   5 --> 0  \no |   5 --> 0  \nUnable to access 6\n  5 -> 0  \n\
             free 5 (pfn 0)\nUnable to access 5\n"
        );
    }

    #[test]
    fn tlb_is_flushed_on_switch_and_refills_after_copy_on_write() {
        let err =
            run_tlb("alloc 5 rw\nread 5\nswitch 1\ntlb\nwrite 5\nwrite 5\nswitch 1\ntlb\nswitch 0\ntlb\nread 5\n");
        assert_eq!(
            err,
            "alloc   5 --> 0  \nx |   5 --> 0  \nx |   5 --> 1  \no |   5 --> 1  \n  5 -> 1  \nx |   5 --> 0  \n"
        );
    }

    #[test]
    fn tlb_hits_ignore_permissions_as_the_framework_did() {
        // The framework's lookup_tlb is not told the access kind: a cached read-only page hits
        // on write too.
        let err = run_tlb("alloc 5 r\nwrite 5\nread 5\nwrite 5\n");
        assert_eq!(err, "alloc   5 --> 0  \nUnable to access 5\nx |   5 --> 0  \no |   5 --> 0  \n");
    }

    #[test]
    fn tlb_is_an_unknown_command_without_the_mode() {
        let (out, _, _) = run(false, "tlb\n");
        assert_eq!(out, "Unknown command tlb\n");
        assert!(!run(false, "help\n").0.contains("tlb"));
        let mut sh = Shell::new(Machine::Ajou, false, None).unwrap();
        sh.enable_tlb().unwrap();
        let mut out = Vec::new();
        sh.execute(b"help", 1, &mut out, &mut Vec::new()).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\n  tlb "));
        let mut mtl = Shell::new(Machine::Mtl458, false, None).unwrap();
        assert!(mtl.enable_tlb().is_err());
    }

    #[test]
    fn extras_stats_and_check() {
        let (out, _, failed) = run(false, "alloc 1 rw\nstats\ncheck\n");
        assert!(out.contains("processes: 1 live"), "{out}");
        assert!(out.contains("user frames: 127 of 128 free"), "{out}");
        assert!(out.ends_with("check: ok\n"), "{out}");
        assert!(!failed);
    }
}
