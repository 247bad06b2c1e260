//! The `mtl458` command language: one command per operation of the course's machine.
//!
//! Results go to standard output; a rejected line or a failed operation is one line on
//! standard error and makes the exit status 1. A kill is the simulated machine's answer to an
//! illegal access, not an error of the script: its one line goes to standard output.

use std::io::{self, Read, Write};
use std::path::Path;

use kernel::{AccessError, AllocateError, CreateError, ForkPolicy, Perm, Pid, PteFlags, SegmentSizes, VirtAddr};

use crate::out::Line;
use crate::parse::{BadNumber, Shown, Tokens, is, number, perm, size};
use crate::report::policy_name;
use crate::{Flow, Shell};

/// The most words a command has (`create_ps CODE RO RW STACK FILE`).
const MAX_TOKENS: usize = 6;

/// The commands, their argument counts and usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    CreatePs,
    ExitPs,
    ForkPs,
    AllocatePages,
    DeallocatePages,
    ReadMem,
    WriteMem,
    PrintPageTable,
    Ps,
    Walk,
    ForkPolicy,
    Stats,
    Check,
    Exit,
    Help,
}

/// Name, command, fewest and most arguments, usage.
const COMMANDS: &[(&str, Cmd, usize, usize, &str)] = &[
    ("create_ps", Cmd::CreatePs, 4, 5, "create_ps CODE RO RW STACK [FILE]"),
    ("exit_ps", Cmd::ExitPs, 1, 1, "exit_ps PID"),
    ("fork_ps", Cmd::ForkPs, 1, 1, "fork_ps PID"),
    ("allocate_pages", Cmd::AllocatePages, 4, 4, "allocate_pages PID ADDR N FLAGS"),
    ("deallocate_pages", Cmd::DeallocatePages, 3, 3, "deallocate_pages PID ADDR N"),
    ("read_mem", Cmd::ReadMem, 2, 2, "read_mem PID ADDR"),
    ("write_mem", Cmd::WriteMem, 3, 3, "write_mem PID ADDR BYTE"),
    ("print_page_table", Cmd::PrintPageTable, 1, 2, "print_page_table PID [--valid]"),
    ("ps", Cmd::Ps, 0, 0, "ps"),
    ("walk", Cmd::Walk, 2, 2, "walk PID ADDR"),
    ("fork_policy", Cmd::ForkPolicy, 0, 1, "fork_policy [eager|cow]"),
    ("stats", Cmd::Stats, 0, 0, "stats"),
    ("check", Cmd::Check, 0, 0, "check"),
    ("exit", Cmd::Exit, 0, 0, "exit"),
    ("quit", Cmd::Exit, 0, 0, "quit"),
    ("help", Cmd::Help, 0, 0, "help"),
    ("?", Cmd::Help, 0, 0, "?"),
];

/// A rejected line: the message, already formatted. Only built on the error path.
struct Rejected(String);

/// One line of `mtl458` input.
pub(crate) fn execute<O: Write, E: Write>(
    sh: &mut Shell,
    line: &[u8],
    line_no: usize,
    out: &mut O,
    err: &mut E,
) -> io::Result<Flow> {
    let t = Tokens::<MAX_TOKENS>::new(line);
    let Some((&word, args)) = t.as_slice().split_first() else { return Ok(Flow::Continue) };
    let Some(&(name, cmd, min, max, usage)) = COMMANDS.iter().find(|c| is(word, c.0)) else {
        let word = Shown(word);
        sh.error(err, line_no, format_args!("unknown command '{word}' (try 'help')"))?;
        return Ok(Flow::Continue);
    };
    if t.more() || args.len() < min || args.len() > max {
        let n = if t.more() { "more than 5".to_string() } else { args.len().to_string() };
        sh.error(err, line_no, format_args!("{name}: wrong number of arguments ({n}); usage: {usage}"))?;
        return Ok(Flow::Continue);
    }
    match run(sh, cmd, args, out) {
        Ok(flow) => Ok(flow),
        Err(Failure::Io(e)) => Err(e),
        Err(Failure::Rejected(Rejected(what))) => {
            sh.error(err, line_no, format_args!("{name}: {what}"))?;
            Ok(Flow::Continue)
        }
    }
}

/// Why a command did not complete.
enum Failure {
    /// Bad input or an operation's error: reported, and the run goes on.
    Rejected(Rejected),
    /// Writing the output failed.
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<Rejected> for Failure {
    fn from(r: Rejected) -> Self {
        Failure::Rejected(r)
    }
}

/// Rejects the line with a message.
fn reject<T>(what: impl std::fmt::Display) -> Result<T, Failure> {
    Err(Failure::Rejected(Rejected(what.to_string())))
}

/// A numeric argument: `name` for the message, `parse` for the syntax, at most `max`.
fn arg(name: &str, word: &[u8], parse: fn(&[u8]) -> Result<u64, BadNumber>, max: u64) -> Result<u64, Failure> {
    let shown = Shown(word);
    match parse(word) {
        Ok(n) if n <= max => Ok(n),
        Ok(_) | Err(BadNumber::TooLarge) => reject(format_args!("{name} {shown} is too large (at most {max})")),
        Err(why) => reject(format_args!("{name} '{shown}' {why}")),
    }
}

fn pid(word: &[u8]) -> Result<Pid, Failure> {
    Ok(Pid::new(arg("PID", word, number, u64::from(u32::MAX))? as u32))
}

fn addr(word: &[u8]) -> Result<VirtAddr, Failure> {
    Ok(VirtAddr::new(arg("ADDR", word, size, u64::MAX)?))
}

/// A page count: 0 would be accepted by the machine and do nothing, silently, so it is
/// refused with the reason.
fn pages(word: &[u8]) -> Result<u32, Failure> {
    match arg("N", word, number, u64::from(u32::MAX))? as u32 {
        0 => reject("N is 0: no page to map or unmap (the line does nothing)"),
        n => Ok(n),
    }
}

fn flags(word: &[u8]) -> Result<Perm, Failure> {
    match perm(word) {
        // Pages nobody may read, write or execute: every access would kill the process.
        Ok(p) if p.is_empty() => {
            let word = Shown(word);
            reject(format_args!("FLAGS '{word}' gives no permission: use r, w, x or a number 1..7"))
        }
        Ok(p) => Ok(p),
        Err(why) => {
            let word = Shown(word);
            reject(format_args!("FLAGS '{word}' {why}"))
        }
    }
}

/// Prints a kill (the machine's answer, not a failure) or rejects with the error.
fn killed_or_rejected<O: Write>(
    out: &mut O,
    fault: Option<kernel::Fault>,
    e: &dyn std::fmt::Display,
) -> Result<(), Failure> {
    match fault {
        Some(f) if f.killed => Ok(writeln!(out, "{f}")?),
        _ => reject(e),
    }
}

fn run<O: Write>(sh: &mut Shell, cmd: Cmd, args: &[&[u8]], out: &mut O) -> Result<Flow, Failure> {
    let k = &mut sh.kernel;
    match (cmd, args) {
        (Cmd::CreatePs, [code, ro, rw, stack, file @ ..]) => {
            let sizes = SegmentSizes {
                code: arg("CODE", code, size, u64::MAX)?,
                ro_data: arg("RO", ro, size, u64::MAX)?,
                rw_data: arg("RW", rw, size, u64::MAX)?,
                stack: arg("STACK", stack, size, u64::MAX)?,
            };
            let capacity = sizes.code.saturating_add(sizes.ro_data);
            let data = match file {
                [f] => read_data(sh, f, capacity)?,
                _ => Data { bytes: Vec::new(), file_len: 0 },
            };
            match sh.kernel.create_ps(sizes, &data.bytes) {
                Ok(p) => {
                    let mut l = Line::new();
                    l.text(b"created pid ").num(u64::from(p.as_u32())).text(b"\n").write_to(out)?;
                }
                Err(CreateError::DataTooLong { capacity, .. }) => {
                    let f = Shown(file.first().copied().unwrap_or_default());
                    let len = data.file_len;
                    return reject(format_args!(
                        "FILE '{f}' has {len} bytes, more than code + ro data ({capacity} bytes)"
                    ));
                }
                Err(e) => return reject(e),
            }
        }
        (Cmd::ExitPs, [p]) => {
            if let Err(e) = k.exit_ps(pid(p)?) {
                return reject(e);
            }
        }
        (Cmd::ForkPs, [p]) => {
            let parent = pid(p)?;
            match k.fork_ps(parent) {
                Ok(child) => {
                    let mut l = Line::new();
                    l.text(b"forked pid ").num(u64::from(parent.as_u32())).text(b": child pid ");
                    l.num(u64::from(child.as_u32())).text(b"\n").write_to(out)?;
                }
                Err(e) => return reject(e),
            }
        }
        (Cmd::AllocatePages, [p, a, n, f]) => {
            let (p, a, n, f) = (pid(p)?, addr(a)?, pages(n)?, flags(f)?);
            if let Err(e) = k.allocate_pages(p, a, n, f) {
                let fault = if let AllocateError::Fault(f) = e { Some(f) } else { None };
                killed_or_rejected(out, fault, &e)?;
            }
        }
        (Cmd::DeallocatePages, [p, a, n]) => {
            let (p, a, n) = (pid(p)?, addr(a)?, pages(n)?);
            if let Err(e) = k.deallocate_pages(p, a, n) {
                let fault = if let AllocateError::Fault(f) = e { Some(f) } else { None };
                killed_or_rejected(out, fault, &e)?;
            }
        }
        (Cmd::ReadMem, [p, a]) => {
            let (p, a) = (pid(p)?, addr(a)?);
            match k.read_mem(p, a) {
                Ok(b) => Line::new().text(b"0x").hex2(b).text(b"\n").write_to(out)?,
                Err(e) => {
                    let fault = if let AccessError::Fault(f) = e { Some(f) } else { None };
                    killed_or_rejected(out, fault, &e)?;
                }
            }
        }
        (Cmd::WriteMem, [p, a, b]) => {
            let (p, a, b) = (pid(p)?, addr(a)?, arg("BYTE", b, number, u64::from(u8::MAX))? as u8);
            if let Err(e) = k.write_mem(p, a, b) {
                let fault = if let AccessError::Fault(f) = e { Some(f) } else { None };
                killed_or_rejected(out, fault, &e)?;
            }
        }
        (Cmd::PrintPageTable, [p]) => print_page_table(sh, pid(p)?, false, out)?,
        (Cmd::PrintPageTable, [a, b]) => {
            // `--valid` on either side of the pid.
            let (p, opt) = if a.starts_with(b"-") { (b, a) } else { (a, b) };
            if !is(opt, "--valid") {
                let opt = Shown(opt);
                return reject(format_args!("'{opt}' is not an option (only --valid)"));
            }
            print_page_table(sh, pid(p)?, true, out)?;
        }
        (Cmd::Ps, []) => sh.print_ps(out)?,
        (Cmd::Walk, [p, a]) => {
            let (p, a) = (pid(p)?, addr(a)?);
            match k.walk(p, a) {
                Ok(w) => {
                    let profile = k.profile();
                    crate::walk::print(out, profile.name, &profile.format.machine_format(), p, a, &w)?;
                }
                Err(e) => return reject(e),
            }
        }
        (Cmd::ForkPolicy, []) => writeln!(out, "fork policy: {}", policy_name(k.fork_policy()))?,
        (Cmd::ForkPolicy, [w]) => {
            let policy = if is(w, "eager") {
                ForkPolicy::Eager
            } else if is(w, "cow") || is(w, "copy-on-write") {
                ForkPolicy::CopyOnWrite
            } else {
                let w = Shown(w);
                return reject(format_args!("'{w}' is not a fork policy (eager or cow)"));
            };
            k.set_fork_policy(policy);
        }
        (Cmd::Stats, []) => sh.print_stats(out)?,
        (Cmd::Check, []) => sh.print_check(out)?,
        (Cmd::Exit, []) => return Ok(Flow::Stop),
        (Cmd::Help, []) => out.write_all(HELP.as_bytes())?,
        // The arity was checked against the same table.
        _ => return reject("wrong number of arguments"),
    }
    Ok(Flow::Continue)
}

/// The initial bytes of a `create_ps` and the file's full length.
struct Data {
    bytes: Vec<u8>,
    file_len: u64,
}

/// Reads at most `capacity + 1` bytes of the file named `word` (enough to tell it is too long
/// without reading all of a huge file), and never more than the address space holds.
fn read_data(sh: &Shell, word: &[u8], capacity: u64) -> Result<Data, Failure> {
    let path = sh.resolve(&path_of(word));
    let limit = capacity.min(sh.kernel.profile().address_space_size()).saturating_add(1);
    let read = || -> io::Result<Data> {
        let f = std::fs::File::open(&path)?;
        let file_len = f.metadata()?.len();
        let mut bytes = Vec::new();
        f.take(limit).read_to_end(&mut bytes)?;
        Ok(Data { file_len: file_len.max(bytes.len() as u64), bytes })
    };
    match read() {
        Ok(d) => Ok(d),
        // The path as it was looked up (the script's directory joined to the word): once.
        Err(e) => reject(format_args!("cannot read FILE {}: {}", path.display(), crate::io_why(&e))),
    }
}

/// A path from a word's bytes, as given where the platform allows.
fn path_of(word: &[u8]) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Path::new(std::ffi::OsStr::from_bytes(word)).to_path_buf()
    }
    #[cfg(not(unix))]
    {
        std::path::PathBuf::from(String::from_utf8_lossy(word).into_owned())
    }
}

/// `print_page_table PID`: the course skeleton's format, one line per entry of the table;
/// with `valid`, only the present entries (the same lines, fewer of them).
fn print_page_table<O: Write>(sh: &Shell, pid: Pid, valid: bool, out: &mut O) -> Result<(), Failure> {
    let leaves = match sh.kernel.leaf_tables(pid) {
        Ok(l) => l,
        Err(e) => return reject(e),
    };
    out.write_all(b"------ Printing page table-------\n")?;
    if sh.kernel.profile().format.is_general() {
        // A large address space has billions of entries: only the present ones are printed.
        for (vpn, e) in sh.kernel.mapped(pid).into_iter().flatten() {
            page_line(vpn.as_u64(), e, out)?;
        }
        return Ok(());
    }
    for leaf in leaves {
        for (i, e) in leaf.entries.iter().enumerate() {
            if valid && !e.is_present() {
                continue;
            }
            page_line(leaf.first_vpn.as_u64() + i as u64, *e, out)?;
        }
    }
    Ok(())
}

/// One line of `print_page_table`.
fn page_line<O: Write>(vpn: u64, e: kernel::Pte, out: &mut O) -> io::Result<()> {
    let f = e.flags();
    let bit = |flag: PteFlags| u64::from(f.contains(flag));
    let mut l = Line::new();
    l.text(b"Page num: ").num(vpn);
    l.text(b", frame num: ").num(u64::from(e.frame().as_u32()));
    l.text(b", R:").num(bit(PteFlags::READ)).text(b", W:").num(bit(PteFlags::WRITE));
    l.text(b", X:").num(bit(PteFlags::EXEC)).text(b", P").num(bit(PteFlags::PRESENT)).text(b"\n");
    l.write_to(out)
}

/// What `help` prints.
const HELP: &str = "\
Processes (pids are numbers; the lowest free one is used):
  create_ps CODE RO RW STACK [FILE]  create a process; sizes in bytes, multiples
                                     of 4K; FILE fills code + ro data (relative
                                     to the script)
  fork_ps PID                        fork a process (see fork_policy)
  exit_ps PID                        end a process and free its memory
Memory:
  allocate_pages PID ADDR N FLAGS    map N zeroed pages from page-aligned ADDR
  deallocate_pages PID ADDR N        unmap N pages from ADDR
  read_mem PID ADDR                  print the byte at ADDR as 0xHH
  write_mem PID ADDR BYTE            write BYTE (0..255) at ADDR
  print_page_table PID [--valid]     print all 1,024 page-table entries
                                     (--valid, or a large machine: only the
                                     present ones)
  ps                                 list the processes: pid, parent, pages
  walk PID ADDR                      the MMU's walk of ADDR, level by level
Machine:
  fork_policy [eager|cow]            show or set how fork copies memory
  stats                              machine statistics
  check                              verify the machine's invariants
  help | ?                           this help
  exit | quit                        end the session
Numbers are decimal or 0x hex; sizes and addresses may end in K or M (4K, 1M).
FLAGS are letters from rwx (rw, rx), or O_READ(1) | O_WRITE(2) | O_EX(4)
as a number (3).
An illegal access kills the process: 'segmentation fault: pid P killed: ...'.
A word starting with # starts a comment.
";

#[cfg(test)]
mod tests {
    use crate::{Flow, Machine, Shell};

    /// Runs `script` through one shell; returns (stdout, stderr, failed).
    #[track_caller]
    fn run(script: &str) -> (String, String, bool) {
        let mut sh = Shell::new(Machine::Mtl458, false, None).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for (i, line) in script.lines().enumerate() {
            if sh.execute(line.as_bytes(), i + 1, &mut out, &mut err).unwrap() == Flow::Stop {
                break;
            }
        }
        sh.kernel().check().unwrap();
        (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap(), sh.failed())
    }

    #[test]
    fn create_fork_exit() {
        let (out, err, failed) =
            run("create_ps 4K 4K 4K 8K\ncreate_ps 0x1000 0 0 0x1000\nfork_ps 1\nexit_ps 0\nexit_ps 2\n");
        assert_eq!(out, "created pid 0\ncreated pid 1\nforked pid 1: child pid 2\n");
        assert_eq!(err, "");
        assert!(!failed);
    }

    #[test]
    fn read_and_write_mem() {
        let (out, err, _) = run(
            "create_ps 4K 4K 4K 4K\nwrite_mem 0 0x2000 0xAB\nread_mem 0 0x2000\nread_mem 0 8192\nwrite_mem 0 0x2001 7\nread_mem 0 0x2001\nread_mem 0 0\n",
        );
        assert_eq!(out, "created pid 0\n0xab\n0xab\n0x07\n0x00\n");
        assert_eq!(err, "");
    }

    #[test]
    fn allocate_and_deallocate_pages_print_nothing() {
        let (out, err, failed) = run(
            "create_ps 4K 0 0 4K\nallocate_pages 0 0x100000 2 rw\nwrite_mem 0 0x101000 1\ndeallocate_pages 0 1M 2\n",
        );
        assert_eq!(out, "created pid 0\n");
        assert_eq!(err, "");
        assert!(!failed);
    }

    #[test]
    fn a_kill_is_one_line_on_stdout_and_not_a_failure() {
        let (out, err, failed) = run("create_ps 4K 0 4K 4K\nwrite_mem 0 0 1\nread_mem 0 0\n");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[1].starts_with("segmentation fault: pid 0 killed"), "{out}");
        assert_eq!(err, "line 3: error: read_mem: no process with pid 0\n");
        assert!(failed, "only the read of a dead process failed");

        let (out, err, failed) = run("create_ps 4K 0 4K 4K\ndeallocate_pages 0 0x100000 1\n");
        assert!(out.lines().nth(1).unwrap().starts_with("segmentation fault: pid 0 killed"), "{out}");
        assert_eq!(err, "");
        assert!(!failed);
    }

    #[test]
    fn print_page_table_format() {
        let (out, _, _) = run("create_ps 4K 4K 4K 4K\nprint_page_table 0\n");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1 + 1 + 1024);
        assert_eq!(lines[1], "------ Printing page table-------");
        assert_eq!(lines[2], "Page num: 0, frame num: 18432, R:1, W:0, X:1, P1");
        assert_eq!(lines[3], "Page num: 1, frame num: 18433, R:1, W:0, X:0, P1");
        assert_eq!(lines[4], "Page num: 2, frame num: 18434, R:1, W:1, X:0, P1");
        assert_eq!(lines[5], "Page num: 3, frame num: 0, R:0, W:0, X:0, P0");
        assert_eq!(lines[1025], "Page num: 1023, frame num: 18435, R:1, W:1, X:0, P1");
    }

    #[test]
    fn print_page_table_shows_the_write_bit_under_copy_on_write() {
        let (out, _, _) = run("fork_policy cow\ncreate_ps 0 0 4K 0\nfork_ps 0\nprint_page_table 0\n");
        assert!(out.contains("\nPage num: 0, frame num: 18432, R:1, W:0, X:0, P1\n"), "{out}");
    }

    #[test]
    fn fork_policy_shows_and_sets() {
        let (out, err, failed) = run("fork_policy\nfork_policy COW\nfork_policy\nfork_policy lazy\n");
        assert_eq!(out, "fork policy: eager\nfork policy: cow\n");
        assert_eq!(err, "line 4: error: fork_policy: 'lazy' is not a fork policy (eager or cow)\n");
        assert!(failed);
    }

    #[test]
    fn errors_are_one_line_on_stderr() {
        let (out, err, failed) =
            run("frobnicate\ncreate_ps 4K\ncreate_ps 1 0 0 0\nread_mem x 0\nwrite_mem 0 0 256\nexit_ps 9\n\
             allocate_pages 0 0 1 rwz\ncreate_ps 4K 0 0 0 no-such-file\nfork_ps 4294967296\n\
             create_ps 4K 0 0 4K\nallocate_pages 0 0x100001 1 r\ncreate_ps 1 2 3 4 5 6\n");
        assert_eq!(out, "created pid 0\n");
        let want = [
            "line 1: error: unknown command 'frobnicate' (try 'help')",
            "line 2: error: create_ps: wrong number of arguments (1); usage: create_ps CODE RO RW STACK [FILE]",
            "line 3: error: create_ps: code size 0x1 is not a multiple of the page size",
            "line 4: error: read_mem: PID 'x' is not a number",
            "line 5: error: write_mem: BYTE 256 is too large (at most 255)",
            "line 6: error: exit_ps: no process with pid 9",
            "line 7: error: allocate_pages: FLAGS 'rwz' is not a set of the letters r, w, x (each at most once)",
            "line 9: error: fork_ps: PID 4294967296 is too large (at most 4294967295)",
            "line 11: error: allocate_pages: address 0x100001 is not page-aligned",
            "line 12: error: create_ps: wrong number of arguments (more than 5); usage: create_ps CODE RO RW STACK [FILE]",
        ];
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), want.len() + 1, "{err}");
        assert!(lines[7].starts_with("line 8: error: create_ps: cannot read FILE no-such-file: no such file"), "{err}");
        let without_file: Vec<&str> = lines.iter().enumerate().filter(|(i, _)| *i != 7).map(|(_, l)| *l).collect();
        assert_eq!(without_file, want);
        assert!(failed);
    }

    #[test]
    fn comments_case_and_exit() {
        let (out, err, failed) = run("# a comment\n\nCREATE_PS 4k 0 0 4k # trailing\nquit\ncreate_ps 4K 0 0 4K\n");
        assert_eq!(out, "created pid 0\n");
        assert_eq!(err, "");
        assert!(!failed);
    }

    #[test]
    fn stats_check_help() {
        let (out, _, failed) = run("create_ps 4K 0 0 4K\nstats\ncheck\nhelp\n");
        assert!(out.contains("processes: 1 live"), "{out}");
        assert!(out.contains("check: ok\n"), "{out}");
        assert!(out.contains("print_page_table PID"), "{out}");
        assert!(!failed);
    }
}
