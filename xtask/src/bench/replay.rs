//! The trace-replay rows of `cargo xtask bench`: `vmsim replay` on a 1M-record `rw` trace
//! (LRU with 64 frames from the plain file and from gzip, OPT, through the `x86-64` machine
//! with a 64-entry TLB), a sweep of 4 policies x 9 sizes, and libCacheSim's LRU on the same
//! references, side by side in the same run.
//!
//! libCacheSim is the PyPI package `libcachesim`, installed into its own venv
//! (`<target>/bench-venv`, made with `python3 -m venv` only when missing). It reads a plain
//! text file of the trace's page numbers, one a line (its `PLAIN_TXT_TRACE` reader), and its
//! time is taken inside Python around opening that reader and `process_trace` (interpreter
//! start and import excluded, which favours it); `vmsim`'s time is the whole process, from
//! exec to exit (which does not favour it). The two alternate, and each one's best of
//! three runs counts: on a shared machine the fastest run met the least interference. When the
//! package cannot be installed, the row says why and the other rows are still measured.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Records in the generated trace.
pub const RECORDS: u64 = 1_000_000;
/// Timed runs of each row; the fastest counts.
const RUNS: usize = 3;

/// The Python side: opens the page-number file as libCacheSim's plain-text trace, runs its
/// LRU over it, prints the miss ratio and the seconds taken.
const LIBCACHESIM_PY: &str = r#"import sys, time
import libcachesim as lcs
path, frames = sys.argv[1], int(sys.argv[2])
params = lcs.ReaderInitParam(ignore_obj_size=True, obj_id_is_num=True, obj_id_is_num_set=True)
start = time.perf_counter()
reader = lcs.TraceReader(path, lcs.TraceType.PLAIN_TXT_TRACE, params)
cache = lcs.LRU(frames)
miss_ratio, _ = cache.process_trace(reader)
seconds = time.perf_counter() - start
print(f"{miss_ratio:.9f} {seconds:.9f}")
"#;

/// One timed row.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was run.
    pub what: String,
    /// The command, to reproduce it.
    pub command: String,
    /// The best time, or why there is none.
    pub result: Result<Duration, String>,
    /// Records (or references) the time covers.
    pub records: u64,
    /// The target, in words, and whether it was met.
    pub target: Option<(String, bool)>,
}

impl Row {
    /// Records a second, if measured.
    #[must_use]
    pub fn rate(&self) -> Option<f64> {
        self.result.as_ref().ok().map(|t| self.records as f64 / t.as_secs_f64())
    }
}

/// Every figure of the replay rows.
#[derive(Debug, Clone)]
pub struct Figures {
    /// vmsim's rows, LRU plain first.
    pub rows: Vec<Row>,
    /// libCacheSim's LRU on the same references, or why it was not measured.
    pub libcachesim: Result<Duration, String>,
    /// libCacheSim's miss ratio and vmsim's fault ratio, which must agree.
    pub miss_ratios: Option<(f64, f64)>,
}

/// The generated trace: the same generator as `crates/replay/benches/replay.rs` (90% of
/// references to a hot set of 200 pages, the rest to 2,000; one in five a write), written as
/// `%08x R` lines, and the page numbers of its 4 KiB pages, one a line, for libCacheSim.
///
/// # Errors
/// A file cannot be written.
pub fn write_trace(trace: &Path, pages: &Path, gz: &Path) -> anyhow::Result<()> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut text = Vec::with_capacity(RECORDS as usize * 11);
    let mut page_lines = Vec::with_capacity(RECORDS as usize * 7);
    for _ in 0..RECORDS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let r = x;
        let page = if r % 10 < 9 { (r >> 8) % 200 } else { (r >> 8) % 2000 };
        let addr = ((page * 7919) % (1 << 20)) << 12 | (r >> 40) & 0xfff;
        let kind = if (r >> 32) % 5 == 0 { 'W' } else { 'R' };
        writeln!(text, "{addr:08x} {kind}")?;
        writeln!(page_lines, "{}", addr >> 12)?;
    }
    fs::write(trace, &text).with_context(|| format!("writing {}", trace.display()))?;
    fs::write(pages, &page_lines).with_context(|| format!("writing {}", pages.display()))?;
    let mut enc = flate2::write::GzEncoder::new(
        BufWriter::new(File::create(gz).with_context(|| format!("creating {}", gz.display()))?),
        flate2::Compression::default(),
    );
    enc.write_all(&text)?;
    enc.finish()?.flush()?;
    Ok(())
}

/// Runs `vmsim ARGS` with its output in `log`; the wall time of the whole process.
fn time_vmsim(vmsim: &Path, args: &[String], log: &Path) -> anyhow::Result<Duration> {
    let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let start = Instant::now();
    let child = Command::new(vmsim)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running {}", vmsim.display()))?;
    let t = start.elapsed();
    if !child.status.success() {
        let err = String::from_utf8_lossy(&child.stderr);
        bail!("{} ({})", err.lines().next().unwrap_or("no message"), child.status);
    }
    Ok(t)
}

/// The venv's python with libcachesim importable, installing it when missing.
fn libcachesim_python(target: &Path, out: &mut impl Write) -> Result<PathBuf, String> {
    let venv = target.join("bench-venv");
    let python = venv.join("bin").join("python");
    let importable =
        |p: &Path| Command::new(p).args(["-c", "import libcachesim"]).output().is_ok_and(|o| o.status.success());
    if importable(&python) {
        return Ok(python);
    }
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let o = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if o.status.success() {
            return Ok(());
        }
        let err = String::from_utf8_lossy(&o.stderr);
        let last = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no message");
        Err(format!("{what} failed: {last}"))
    };
    if !python.exists() {
        let _ = writeln!(out, "    creating {} (python3 -m venv)", venv.display());
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv), "python3 -m venv")?;
    }
    let _ = writeln!(out, "    installing libcachesim from PyPI into it");
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "libcachesim"]), "pip install libcachesim")?;
    if importable(&python) { Ok(python) } else { Err("libcachesim installed but cannot be imported".into()) }
}

/// One libCacheSim run: (miss ratio, seconds).
fn time_libcachesim(python: &Path, script: &Path, pages: &Path) -> Result<(f64, Duration), String> {
    let o = Command::new(python)
        .arg(script)
        .arg(pages)
        .arg("64")
        .output()
        .map_err(|e| format!("running {}: {e}", python.display()))?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        return Err(format!("libCacheSim failed: {}", err.lines().last().unwrap_or("no message")));
    }
    let text = String::from_utf8_lossy(&o.stdout);
    let mut words = text.split_whitespace();
    let parse = |w: Option<&str>| w.and_then(|w| w.parse::<f64>().ok());
    match (parse(words.next()), parse(words.next())) {
        (Some(ratio), Some(s)) => Ok((ratio, Duration::from_secs_f64(s))),
        _ => Err(format!("libCacheSim printed `{}`", text.trim())),
    }
}

/// The page-fault count `vmsim replay --json` printed into `log`.
fn faults_in(log: &Path) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(log).ok()?).ok()?;
    v.get("page_faults")?.as_u64()
}

/// Measures every replay row with the release `vmsim` in `work`; `target` holds the venv.
///
/// # Errors
/// The trace cannot be written, or a `vmsim` row that must work fails.
pub fn measure(vmsim: &Path, work: &Path, target: &Path, out: &mut impl Write) -> anyhow::Result<Figures> {
    let trace = work.join("replay-1m.trace");
    let pages = work.join("replay-1m.pages");
    let gz = work.join("replay-1m.trace.gz");
    writeln!(out, "==> replay: a 1M-record rw trace in {}", trace.display())?;
    write_trace(&trace, &pages, &gz)?;
    let script = work.join("libcachesim_lru.py");
    fs::write(&script, LIBCACHESIM_PY)?;
    let python = libcachesim_python(target, out);
    if let Err(why) = &python {
        writeln!(out, "    libCacheSim not measured: {why}")?;
    }

    let t = trace.display().to_string();
    let g = gz.display().to_string();
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let lru = words(&format!("replay {t} --frames 64 --policy lru --json"));
    let log = work.join("replay-lru.json");
    let mut best = Duration::MAX;
    let mut lcs_best: Result<Duration, String> = Err("not run".into());
    let mut lcs_ratio = None;
    for _ in 0..RUNS {
        best = best.min(time_vmsim(vmsim, &lru, &log)?);
        if let Ok(py) = &python {
            match time_libcachesim(py, &script, &pages) {
                Ok((ratio, s)) => {
                    lcs_ratio = Some(ratio);
                    lcs_best = Ok(lcs_best.map_or(s, |b: Duration| b.min(s)));
                }
                Err(e) => lcs_best = Err(e),
            }
        }
    }
    if let Err(why) = &python {
        lcs_best = Err(why.clone());
    }
    let vmsim_ratio = faults_in(&log).map(|f| f as f64 / RECORDS as f64);
    let lcs_rate = lcs_best.as_ref().ok().map(|t| RECORDS as f64 / t.as_secs_f64());
    let lru_rate = RECORDS as f64 / best.as_secs_f64();
    let mut rows = vec![Row {
        what: "`lru`, 64 frames, end to end from the plain file".into(),
        command: format!("vmsim {}", lru.join(" ")),
        result: Ok(best),
        records: RECORDS,
        target: lcs_rate.map(|l| (format!("faster than libCacheSim, aim 3× ({:.1} M/s)", 3.0 * l / 1e6), lru_rate > l)),
    }];

    // A target is a time limit in seconds, with its words.
    let mut row = |what: &str, args: String, target: Option<(&str, f64)>| {
        let a = words(&args);
        let log = work.join(format!("replay-row-{}.out", rows.len()));
        let mut result = Err(String::new());
        for _ in 0..RUNS {
            match time_vmsim(vmsim, &a, &log) {
                Ok(t) => result = Ok(result.map_or(t, |b: Duration| b.min(t))),
                Err(e) => {
                    result = Err(format!("{e:#}"));
                    break;
                }
            }
        }
        let target =
            target.map(|(words, limit)| (words.to_owned(), result.as_ref().is_ok_and(|t| t.as_secs_f64() < limit)));
        rows.push(Row { what: what.into(), command: format!("vmsim {args}"), result, records: RECORDS, target });
    };
    row("`lru`, 64 frames, from gzip", format!("replay {g} --frames 64 --policy lru --json"), None);
    row(
        "`opt`, 64 frames, end to end (next-use pass included)",
        format!("replay {t} --frames 64 --policy opt --json"),
        Some(("under 0.5 s", 0.5)),
    );
    row(
        "`lru`, 64 frames, through the `x86-64` machine with a 64-entry TLB",
        format!("replay {t} --frames 64 --policy lru --machine x86-64 --tlb 64 --json"),
        None,
    );
    row(
        "sweep of fifo, lru, clock, opt × 9 sizes (4..1024 frames), records of the trace",
        format!("sweep {t} --policies fifo,lru,clock,opt --frames 4,8,...,1024"),
        None,
    );
    for r in &rows {
        match (&r.result, r.rate()) {
            (Ok(t), Some(rate)) => {
                writeln!(out, "    {}: {:.3} s, {:.1} M records/s", r.what, t.as_secs_f64(), rate / 1e6)?;
            }
            (Err(e), _) => writeln!(out, "    {}: not measured: {e}", r.what)?,
            _ => {}
        }
    }
    match &lcs_best {
        Ok(t) => writeln!(out, "    libCacheSim LRU, 64 objects, plain page numbers: {:.3} s", t.as_secs_f64())?,
        Err(e) => writeln!(out, "    libCacheSim: not measured: {e}")?,
    }
    Ok(Figures { rows, libcachesim: lcs_best, miss_ratios: lcs_ratio.zip(vmsim_ratio) })
}

/// The replay section of the report, in Markdown.
#[must_use]
pub fn render(f: &Figures) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### Trace replay (1,000,000 `rw` records, 4 KiB pages)\n");
    let _ = writeln!(s, "| what | time | records/s | target | met |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for r in &f.rows {
        let (time, rate) = match (&r.result, r.rate()) {
            (Ok(t), Some(rate)) => (format!("{:.3} s", t.as_secs_f64()), format!("{:.1} M", rate / 1e6)),
            (Err(e), _) => (format!("not measured: {e}"), "-".into()),
            _ => ("-".into(), "-".into()),
        };
        let (target, met) = match &r.target {
            Some((t, ok)) => (t.clone(), if *ok { "yes" } else { "**no**" }),
            None => ("-".into(), "-"),
        };
        let _ = writeln!(s, "| {} | {time} | {rate} | {target} | {met} |", r.what);
    }
    match &f.libcachesim {
        Ok(t) => {
            let lcs = RECORDS as f64 / t.as_secs_f64();
            let _ = writeln!(
                s,
                "| libCacheSim `LRU(64)` on the same page numbers (PyPI `libcachesim`, plain text reader) | {:.3} s | {:.1} M | baseline | - |",
                t.as_secs_f64(),
                lcs / 1e6
            );
            if let Some(vm) = f.rows.first().and_then(Row::rate) {
                let _ = writeln!(s, "\nvmsim / libCacheSim, LRU with 64 frames: **{:.2}×**.", vm / lcs);
            }
        }
        Err(e) => {
            let _ = writeln!(s, "\nlibCacheSim was not measured: {e}.");
        }
    }
    if let Some((lcs, vm)) = f.miss_ratios {
        let _ = writeln!(s, "Miss ratios: libCacheSim {lcs:.6}, vmsim {vm:.6} (they must agree).");
    }
    let _ = writeln!(s, "\nCommands (the trace is written to `<target>/vmsim-bench/`):\n");
    for r in &f.rows {
        let _ = writeln!(s, "- `{}`", r.command);
    }
    s
}
