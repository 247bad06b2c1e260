//! What `replay` and `sweep` share: opening a trace (file or `-`, decompressed by its magic
//! bytes), sizes with a `K`/`M`/`G` suffix, and the progress bar (a terminal only, and only once
//! a run has taken a second).

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use trace::{Compression, Format, FormatChoice, ReadOptions, TraceReader};

/// Options for reading a trace, shared by the subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct TraceArgs {
    /// The trace: plain text, gzip or zstd (told by its first bytes); `-` reads standard input.
    pub trace: std::path::PathBuf,

    /// The trace's format (default: detected from its first lines): lackey, rw, ls, din, pin,
    /// pages.
    #[arg(long, value_name = "FORMAT")]
    pub trace_format: Option<Format>,

    /// Count and skip malformed records instead of stopping at the first.
    #[arg(long)]
    pub skip_bad: bool,

    /// Page size in bytes, a power of two, with an optional K, M or G suffix (binary).
    #[arg(long, default_value = "4K", value_parser = parse_size)]
    pub page_size: u64,

    /// A record that crosses a page boundary references every page it covers (default: only
    /// the page of its first byte, as the courses count).
    #[arg(long)]
    pub straddle: bool,
}

/// An opened trace: the reader, how it was stored, its size on disk when known.
pub struct Opened {
    /// The record reader.
    pub reader: TraceReader<Box<dyn Read>>,
    /// Plain, gzip or zstd.
    pub compression: Compression,
    /// The file's size in bytes (None for standard input).
    pub file_size: Option<u64>,
}

/// Opens `args.trace`.
///
/// # Errors
/// The file cannot be opened or read, or its format cannot be told.
pub fn open(args: &TraceArgs) -> anyhow::Result<Opened> {
    let name = args.trace.display().to_string();
    let (src, file_size): (Box<dyn Read>, Option<u64>) = if args.trace == Path::new("-") {
        (Box::new(io::stdin().lock()), None)
    } else {
        let f = File::open(&args.trace).map_err(|e| anyhow!("cannot open trace {name}: {}", crate::io_why(&e)))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let (compression, text) =
        trace::decompress(src).map_err(|e| anyhow!("cannot read trace {name}: {}", crate::io_why(&e)))?;
    let choice = args.trace_format.map_or(FormatChoice::Auto, FormatChoice::Fixed);
    let reader = TraceReader::new(text, choice, ReadOptions { skip_bad: args.skip_bad })
        .with_context(|| format!("trace {name}"))?;
    Ok(Opened { reader, compression, file_size })
}

/// Parses a size: decimal digits and an optional `K`, `M` or `G` (powers of 1024), `B` allowed
/// after it (`4K`, `4KB`, `8192`).
///
/// # Errors
/// Not a number, an unknown suffix, or an overflow.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix(['B', 'b']).unwrap_or(t);
    let (digits, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m' | 'M') => (&t[..t.len() - 1], 1 << 20),
        Some('g' | 'G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not a size (digits with an optional K, M or G)"))
}

/// A progress bar that appears only on a terminal, and only once `Instant` is a second old.
pub struct Progress {
    start: Instant,
    total: Option<u64>,
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl Progress {
    /// A progress of `total` bytes (when known) for text on standard error.
    #[must_use]
    pub fn new(total: Option<u64>) -> Self {
        Progress { start: Instant::now(), total, bar: None, enabled: io::stderr().is_terminal() }
    }

    /// Reports `done` bytes so far.
    pub fn update(&mut self, done: u64) {
        if !self.enabled || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = match self.total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            if let Ok(style) = ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {eta}") {
                bar.set_style(style);
            }
            bar
        });
        bar.set_position(done);
    }

    /// Removes the bar, if one was shown.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Seconds since the start.
    #[must_use]
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// `--frames` lists: `4,8,16`, ranges `4..64` (every size), and doubling `4,8,...,1024`.
///
/// # Errors
/// A list that is empty or not numbers.
pub fn parse_frames(s: &str) -> anyhow::Result<Vec<usize>> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if *p == "..." {
            // Doubling (or the step of the two sizes before) up to the next size.
            let (Some(&a), Some(&b), Some(end)) = (out.iter().rev().nth(1), out.last(), parts.get(i + 1)) else {
                bail!("`...` needs two sizes before it and one after: 4,8,...,1024");
            };
            let end: usize = end.parse().with_context(|| format!("`{end}` is not a number of frames"))?;
            if b <= a {
                bail!("`{a},{b},...`: the two sizes before `...` must go up");
            }
            // Checked: a size past `usize` is past `end` too (an unchecked step wrapped to 0 and
            // then pushed 0 without end). The count is checked as it grows, not after.
            let mut cur: usize = b;
            loop {
                let next = if Some(b) == a.checked_mul(2) { cur.checked_mul(2) } else { cur.checked_add(b - a) };
                match next {
                    Some(n) if n < end => {
                        out.push(n);
                        cur = n;
                    }
                    _ => break,
                }
                if out.len() > 1 << 16 {
                    bail!("more than 65536 sizes");
                }
            }
        } else if let Some((a, b)) = p.split_once("..") {
            let a: usize = a.parse().with_context(|| format!("`{p}` is not a range of frames"))?;
            let b: usize = b.parse().with_context(|| format!("`{p}` is not a range of frames"))?;
            if b < a || b - a > 1 << 16 {
                bail!("`{p}`: a range must go up, by at most 65536 sizes");
            }
            out.extend(a..=b);
        } else {
            out.push(p.parse().with_context(|| format!("`{p}` is not a number of frames"))?);
        }
        if out.len() > 1 << 16 {
            bail!("more than 65536 sizes");
        }
    }
    if out.is_empty() {
        bail!("no frame counts given");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("8192"), Ok(8192));
        assert_eq!(parse_size("1MB"), Ok(1 << 20));
        assert!(parse_size("4X").is_err());
    }

    #[test]
    fn frame_lists() {
        assert_eq!(parse_frames("4,8,...,64").unwrap(), vec![4, 8, 16, 32, 64]);
        assert_eq!(parse_frames("1..4").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(parse_frames("3,5").unwrap(), vec![3, 5]);
        assert_eq!(parse_frames("2,4,...,10").unwrap(), vec![2, 4, 8, 10]);
        assert_eq!(parse_frames("1,2,...,4").unwrap(), vec![1, 2, 4]);
        assert!(parse_frames("x").is_err());
    }

    #[test]
    fn a_doubling_or_step_to_a_huge_end_is_bounded_and_never_overflows() {
        // Doubling to 2^64 - 1 stops at 2^63, then the end (it overflowed: a panic, or in
        // release a wrap to 0 and zeros pushed without end).
        let v = parse_frames("1,2,...,18446744073709551615").unwrap();
        assert_eq!((v.len(), v[63], v[64]), (65, 1usize << 63, usize::MAX));
        let e = parse_frames("1,2,...,18446744073709551615,1..65536").unwrap_err();
        assert_eq!(e.to_string(), "more than 65536 sizes");
        assert_eq!(parse_frames("1,3,...,18446744073709551615").unwrap_err().to_string(), "more than 65536 sizes");
        // A step that goes down underflowed.
        let e = parse_frames("8,4,...,64").unwrap_err();
        assert_eq!(e.to_string(), "`8,4,...`: the two sizes before `...` must go up");
        assert!(parse_frames("4,4,...,64").is_err());
    }
}
