//! `vmsim replace`: a reference string through one or more replacement policies (the
//! `policy` crate): a step-by-step trace with totals, a faults-against-frames table that flags
//! Belady's anomaly, or OSTEP `paging-policy.py -c` lines (the `ostep` crate).

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::{Context, anyhow, bail};
use policy::{Count, FrameNote, OptTies, Options, Parameter, Reference, Simulator, Spec};

/// The most frames a run may have (each costs a few words; a typo must not cost gigabytes).
const MAX_FRAMES: usize = 1 << 20;

/// The most frame counts in one `--frames A..B` table, as for `vmsim sweep`: each is a run of
/// every policy from empty frames, so `1..1048576` ran past 20 s (and printed a million rows).
const MAX_SIZES: usize = 65_536;

/// The largest reference file or standard input read (a few million references; a trace of
/// more is for `vmsim replay --trace-format pages`, which streams).
const MAX_REFS_BYTES: u64 = 64 << 20;

/// Options of `vmsim replace`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Policies, comma-separated: fifo, lru, opt, clock, second, nru, aging, wsclock, lfu,
    /// mru, random, sfifo:P, sieve, 2q (with --format ostep: fifo, lru, mru, opt, unopt).
    #[arg(long, default_value = "lru")]
    pub policy: String,
    /// Frames: a number (a trace of every reference), or a range `A..B` (a table of faults
    /// for A to B frames, inclusive, with any Belady anomaly flagged).
    #[arg(long, default_value = "3")]
    pub frames: String,
    /// `text`: this tool's trace; `ostep`: exactly the `Access:` and `FINALSTATS` lines of
    /// OSTEP's `paging-policy.py -c`, with that script's tie rules.
    #[arg(long, value_enum, ignore_case = true, default_value = "text")]
    pub format: Format,
    /// opt: which page goes among those never used again: the least recently used (`lru`,
    /// the default) or the one in the lowest frame (`frame`). This option and the three
    /// below are refused when no policy given reads them, and with --format ostep.
    #[arg(long, value_enum, ignore_case = true, value_name = "lru|frame")]
    pub opt_ties: Option<Ties>,
    /// nru, aging: references between two ticks (R cleared, counters shifted; default 4).
    #[arg(long, value_name = "REFS", allow_negative_numbers = true)]
    pub period: Option<u64>,
    /// wsclock: the working-set window, in references (default 4).
    #[arg(long, value_name = "REFS", allow_negative_numbers = true)]
    pub tau: Option<u64>,
    /// random: the generator's seed (default 0).
    #[arg(long, value_name = "SEED", allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// The reference string, e.g. `1,2,3,4,1,2,5` (`3w` is a write of page 3), or a file of
    /// such page numbers (separated by commas, spaces or lines; `#` comments), or `-` for
    /// standard input. An argument of only digits, `w`, commas and spaces is a string, and so
    /// is one with a comma that names no file.
    pub refs: String,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A line per reference, then totals.
    Text,
    /// OSTEP paging-policy.py's `-c` lines.
    Ostep,
}

/// `--opt-ties` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Ties {
    /// The least recently used of the pages never used again.
    Lru,
    /// The one in the lowest frame.
    Frame,
}

/// Runs `vmsim replace`, writing to `out`.
///
/// # Errors
/// An unknown policy, a bad frame count or range, an unreadable file, a token that is not a
/// page number (located by line and position), or a combination this mode cannot run.
pub fn run<W: Write>(args: &Args, out: &mut W) -> anyhow::Result<()> {
    let refs = read_refs(&args.refs)?;
    let frames = parse_frames(&args.frames)?;
    let names: Vec<&str> = args.policy.split(',').map(str::trim).collect();
    let mut text = String::new();
    let given = [
        (Parameter::OptTies, args.opt_ties.is_some()),
        (Parameter::Period, args.period.is_some()),
        (Parameter::Tau, args.tau.is_some()),
        (Parameter::Seed, args.seed.is_some()),
    ];
    if args.format == Format::Ostep {
        // paging-policy.py has none of these options (its opt has its own tie rule).
        if let Some((p, _)) = given.iter().find(|(_, set)| *set) {
            bail!("--{}: --format ostep runs paging-policy.py's policies, which take no such option", p.name());
        }
        let (lo, hi) = frames;
        if lo != hi {
            bail!("--format ostep takes one frame count, not a range");
        }
        let pages = refs
            .iter()
            .map(|r| i64::try_from(r.page).map_err(|_| anyhow!("page {} is beyond paging-policy.py's range", r.page)))
            .collect::<anyhow::Result<Vec<i64>>>()?;
        for name in names {
            let policy = ostep::policy::Policy::from_script_name(&name.to_ascii_uppercase())
                .ok()
                .ok_or_else(|| anyhow!("--format ostep: unknown policy `{name}` (fifo, lru, mru, opt, unopt)"))?;
            text.push_str(&ostep::policy::trace(policy, i64::try_from(lo).unwrap_or(i64::MAX), &pages)?);
        }
        return Ok(out.write_all(text.as_bytes())?);
    }
    let specs = names.iter().map(|n| n.parse::<Spec>().context("--policy")).collect::<anyhow::Result<Vec<Spec>>>()?;
    // An option is fine when any policy given reads it (`--policy fifo,nru --period 2`).
    crate::check_policy_options(&specs, given)?;
    let default = Options::default();
    let options = Options {
        opt_ties: match args.opt_ties {
            None => default.opt_ties,
            Some(Ties::Lru) => OptTies::Lru,
            Some(Ties::Frame) => OptTies::Frame,
        },
        period: args.period.unwrap_or(default.period),
        tau: args.tau.unwrap_or(default.tau),
        seed: args.seed.unwrap_or(default.seed),
    };
    if options.period == 0 {
        // Said here, with the option's name, rather than by the first policy built.
        return Err(anyhow::Error::new(policy::BuildError::ZeroPeriod).context("--period"));
    }
    match frames {
        (n, m) if n == m => {
            for (i, spec) in specs.iter().enumerate() {
                if i > 0 {
                    out.write_all(b"\n")?;
                }
                trace(out, *spec, n, &options, &refs)?;
            }
        }
        (lo, hi) => sweep(&mut text, &specs, lo, hi, &options, &refs)?,
    }
    Ok(out.write_all(text.as_bytes())?)
}

/// The references of `arg`: the string itself, standard input (`-`) or a file.
fn read_refs(arg: &str) -> anyhow::Result<Vec<Reference>> {
    // A list with a comma that names no file is a string too, so that a typo in it (`1,x,2`)
    // is reported as the reference it is, not as a file that does not exist.
    let is_string = arg.chars().all(|c| c.is_ascii_digit() || matches!(c, 'w' | 'W' | ',' | ' '))
        || (arg.contains(',') && !std::path::Path::new(arg).exists());
    let text = if is_string {
        arg.to_owned()
    } else if arg == "-" {
        crate::read_text_capped(io::stdin().lock(), MAX_REFS_BYTES)
            .map_err(|why| anyhow!("cannot read the references on standard input: {why}"))?
    } else {
        let file = std::fs::File::open(arg)
            .map_err(|e| anyhow!("cannot read references from {arg}: {}", crate::io_why(&e)))?;
        crate::read_text_capped(file, MAX_REFS_BYTES)
            .map_err(|why| anyhow!("cannot read references from {arg}: {why}"))?
    };
    let refs = policy::parse_refs(&text).with_context(|| match (is_string, arg) {
        (true, _) => "the reference string".to_owned(),
        (false, "-") => "standard input".to_owned(),
        (false, file) => file.to_owned(),
    })?;
    if refs.is_empty() {
        match (is_string, arg) {
            (true, _) => bail!("no reference in the reference string"),
            (false, "-") => bail!("no reference on standard input"),
            (false, file) => bail!("no reference in {file}"),
        }
    }
    Ok(refs)
}

/// `N` or `A..B` (inclusive), each in 1..=MAX_FRAMES.
fn parse_frames(s: &str) -> anyhow::Result<(usize, usize)> {
    let num = |t: &str| -> anyhow::Result<usize> {
        match t.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_FRAMES).contains(&n) => Ok(n),
            _ => bail!("--frames: `{t}` is not a frame count in 1..={MAX_FRAMES}"),
        }
    };
    match s.split_once("..") {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b.strip_prefix('=').unwrap_or(b))?);
            if a > b {
                bail!("--frames: the range {s} is empty");
            }
            if b - a >= MAX_SIZES {
                bail!("--frames: the range {s} has {} sizes; a table has at most {MAX_SIZES}", b - a + 1);
            }
            Ok((a, b))
        }
        None => num(s).map(|n| (n, n)),
    }
}

/// One policy, one frame count: a line per reference, then the totals, written to `sink` a
/// line at a time: a line holds every frame, so the whole trace (references x frames) is never
/// held in memory (it was: 200 references with `--frames 1048576` took 430 MB).
fn trace<W: Write>(
    sink: &mut W,
    spec: Spec,
    frames: usize,
    options: &Options,
    refs: &[Reference],
) -> anyhow::Result<()> {
    let mut sim = Simulator::new(spec, frames, options, refs)?;
    let mut line = String::new();
    let out = &mut line;
    let _ = writeln!(out, "{spec}, {}, {}", Count(frames, "frame"), Count(refs.len(), "reference"));
    let _ = writeln!(out, "{:>5}  {:<6}  {:<4}  {:<9}  frames", "t", "ref", "hit?", "victim");
    let mut cell = String::new();
    for r in refs {
        let step = sim.access(*r);
        let reference = format!("{}{}", r.page, if r.write { "w" } else { "" });
        let victim = match step.victim {
            Some((p, true)) => format!("{p} dirty"),
            Some((p, false)) => p.to_string(),
            None => "-".to_owned(),
        };
        let _ =
            write!(out, "{:>5}  {reference:<6}  {:<4}  {victim:<9} ", step.time, if step.hit { "hit" } else { "miss" });
        for (_, page, note) in sim.frames() {
            cell.clear();
            match page {
                Some(p) => {
                    let _ = write!(cell, "{p}");
                }
                None => cell.push('-'),
            }
            match note {
                Some(FrameNote::R(r)) => {
                    let _ = write!(cell, "(R={})", u8::from(r));
                }
                Some(FrameNote::RM(r, m)) => {
                    let _ = write!(cell, "(R={},M={})", u8::from(r), u8::from(m));
                }
                Some(FrameNote::Counter(c)) => {
                    let _ = write!(cell, "({c:08b})");
                }
                Some(FrameNote::Count(n)) => {
                    let _ = write!(cell, "(n={n})");
                }
                Some(FrameNote::RLast(r, t)) => {
                    let _ = write!(cell, "(R={},t={t})", u8::from(r));
                }
                Some(FrameNote::Segment(s)) => {
                    let _ = write!(cell, "({s})");
                }
                None => {}
            }
            let _ = write!(out, " {cell}");
        }
        if let Some(h) = sim.hand() {
            let _ = write!(out, "  hand {}", h.0);
        }
        out.push('\n');
        sink.write_all(out.as_bytes())?;
        out.clear();
    }
    // The same words as the shell's `stats` (`policy::Stats`'s one written form).
    let _ = writeln!(out, "totals: {}", sim.stats());
    sink.write_all(out.as_bytes())?;
    Ok(())
}

/// Faults for every frame count of `lo..=hi` under every policy, then the anomalies.
fn sweep(
    out: &mut String,
    specs: &[Spec],
    lo: usize,
    hi: usize,
    options: &Options,
    refs: &[Reference],
) -> anyhow::Result<()> {
    let mut faults = vec![Vec::new(); specs.len()];
    for n in lo..=hi {
        for (i, spec) in specs.iter().enumerate() {
            let mut sim = Simulator::new(*spec, n, options, refs)?;
            for r in refs {
                sim.access(*r);
            }
            faults[i].push(sim.stats().faults);
        }
    }
    let names: Vec<String> = specs.iter().map(Spec::to_string).collect();
    let widths: Vec<usize> = names.iter().map(|n| n.len().max(6)).collect();
    let _ = write!(out, "frames");
    for (name, w) in names.iter().zip(&widths) {
        let _ = write!(out, "  {name:>w$}");
    }
    out.push('\n');
    for (k, n) in (lo..=hi).enumerate() {
        let _ = write!(out, "{n:>6}");
        for (f, w) in faults.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", f[k]);
        }
        out.push('\n');
    }
    let mut any = false;
    for (name, f) in names.iter().zip(&faults) {
        for (k, pair) in f.windows(2).enumerate() {
            if pair[1] > pair[0] {
                any = true;
                let n = lo + k;
                let _ = writeln!(
                    out,
                    "Belady's anomaly: {name} faults {} times with {}, more than {} with {n}",
                    pair[1],
                    Count(n + 1, "frame"),
                    pair[0]
                );
            }
        }
    }
    if !any {
        let _ = writeln!(out, "no Belady anomaly (no policy faults more with more frames)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(parse_frames("3").unwrap(), (3, 3));
        assert_eq!(parse_frames("1..8").unwrap(), (1, 8));
        assert_eq!(parse_frames("2..=4").unwrap(), (2, 4));
        for bad in ["0", "x", "5..2", "1..", "..3", "99999999"] {
            assert!(parse_frames(bad).is_err(), "{bad}");
        }
    }

    /// A sink that takes at most `max` bytes in one write and counts what it was given.
    struct Small {
        max: usize,
        got: usize,
    }

    impl Write for Small {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            assert!(buf.len() <= self.max, "one write of {} bytes", buf.len());
            self.got += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_trace_is_written_a_line_at_a_time() {
        // 100 references on 65,536 frames: each line is about 131 KB (" -" or " N" a frame), the
        // whole trace about 13 MB, which was built in memory and written at once.
        let refs: Vec<String> = (1..=100).map(|p| p.to_string()).collect();
        let args = Args {
            policy: "fifo".into(),
            frames: "65536".into(),
            format: Format::Text,
            opt_ties: None,
            period: None,
            tau: None,
            seed: None,
            refs: refs.join(","),
        };
        let mut sink = Small { max: 1 << 20, got: 0 };
        run(&args, &mut sink).unwrap();
        // The header, 100 lines of 65,536 frames and more, the totals.
        assert!(sink.got > 100 * 2 * 65_536, "{}", sink.got);
    }
}
