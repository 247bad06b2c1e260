//! The step-through page in a real browser: headless Chromium opens the page of the course's
//! `cow-2` script, steps to the end and back, and the page must show what the spec says.
//!
//! Chromium runs with `--dump-dom`: the page's own script runs, then a small harness script
//! (appended to a copy of the page, in this file) clicks the page's buttons and presses its
//! arrow keys and writes what the page then shows into the DOM, which Chromium prints.
//!
//! Without Chromium the test is skipped with a message, except under `CI=true`, where it fails:
//! `.ci/run` installs Debian's `chromium` first. `VMSIM_CHROMIUM` names another binary;
//! `VMSIM_UPDATE_SCREENSHOT=1` also rewrites `docs/view-cow-2.png` (the last step).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cli::Machine;

/// The workspace's root (two levels above this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether a missing tool must fail the test rather than skip it.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The Chromium binary, or `None` (after saying so) when the test may skip.
fn chromium() -> Option<PathBuf> {
    let candidates = std::env::var_os("VMSIM_CHROMIUM")
        .map(|p| vec![PathBuf::from(p)])
        .unwrap_or_else(|| ["chromium", "chromium-browser", "google-chrome"].map(PathBuf::from).to_vec());
    for c in candidates {
        let found = Command::new(&c).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
        if found.is_ok_and(|s| s.success()) {
            return Some(c);
        }
    }
    assert!(!in_ci(), "CI=true but no chromium found: .ci/run installs it (apt-get install chromium)");
    eprintln!("SKIPPED view_browser: no chromium on PATH (install Debian's chromium, or set VMSIM_CHROMIUM)");
    None
}

/// Runs headless Chromium on `url` with `extra` arguments and returns its standard output.
/// A fresh profile directory each run, nothing from the network, and a hard time limit.
fn run_chromium(bin: &Path, url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed on {url}: {status}");
            break;
        }
        if start.elapsed() > Duration::from_secs(180) {
            child.kill().unwrap();
            panic!("chromium did not finish {url} within 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// Appended to the page: step to the end with the "last" button, back with ArrowLeft, and
/// report what the page shows after each as JSON in `<pre id="test-result">`.
const HARNESS: &str = r#"<script>
window.addEventListener('load', function () {
  function seen() {
    var rows = [], frames = {};
    document.querySelectorAll('tr.entry').forEach(function (tr) {
      rows.push([+tr.dataset.pid, +tr.dataset.vpn, +tr.dataset.frame, tr.dataset.flags]);
    });
    document.querySelectorAll('#frames .cell[data-frame]').forEach(function (c) {
      frames[c.dataset.frame] = +c.dataset.count;
    });
    return { step: +document.body.dataset.step, rows: rows, frames: frames,
             current: document.querySelector('.proc.current') ? +document.querySelector('.proc.current').dataset.pid : -1 };
  }
  var out = { loaded: seen() };
  document.getElementById('last').click();
  out.end = seen();
  for (var i = 0; i < BACK; i++) {
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
  }
  out.back = seen();
  var pre = document.createElement('pre');
  pre.id = 'test-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
</body>"#;

/// What the harness reports for one moment.
#[derive(Debug, PartialEq)]
struct Seen {
    step: u64,
    /// (pid, vpn) -> (frame, flags)
    rows: BTreeMap<(u64, u64), (u64, String)>,
    frames: BTreeMap<u64, u64>,
    current: i64,
}

fn seen(v: &serde_json::Value) -> Seen {
    let rows = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |i: usize| r[i].as_u64().unwrap();
            ((n(0), n(1)), (n(2), r[3].as_str().unwrap().to_string()))
        })
        .collect();
    let frames =
        v["frames"].as_object().unwrap().iter().map(|(k, c)| (k.parse().unwrap(), c.as_u64().unwrap())).collect();
    Seen { step: v["step"].as_u64().unwrap(), rows, frames, current: v["current"].as_i64().unwrap() }
}

/// The harness's report in Chromium's dump of the DOM.
fn result(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"test-result\">").expect("the harness ran and wrote its result") + 22;
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    serde_json::from_str(&text).unwrap()
}

/// One `show` block: VPN -> (frame, writable).
type Table = BTreeMap<u64, (u64, bool)>;

/// The entries of each `show` block of an `ajou` standard error, in order: the pid, and for
/// each valid entry the VPN, the frame and whether it is writable (`OO:II vw | F`; VPN = OO x
/// 16 + II, spec/ajou-2021.md).
fn show_blocks(stderr: &str) -> Vec<(u64, Table)> {
    let mut blocks: Vec<(u64, Table)> = Vec::new();
    for line in stderr.lines() {
        if let Some(pid) = line.strip_prefix("*** PID ").and_then(|l| l.strip_suffix(" ***")) {
            blocks.push((pid.parse().unwrap(), BTreeMap::new()));
        } else if line.len() > 10 && line.as_bytes()[2] == b':' && line.contains(" | ") {
            let outer: u64 = line[0..2].parse().unwrap();
            let inner: u64 = line[3..5].parse().unwrap();
            let writable = &line[7..8] == "w";
            let frame: u64 = line.split(" | ").nth(1).unwrap().trim().parse().unwrap();
            blocks.last_mut().unwrap().1.insert(outer * 16 + inner, (frame, writable));
        }
    }
    blocks
}

/// The permission letters of the page's flags (`rw`, `r cow`, ...): what precedes ` cow`.
fn perm(flags: &str) -> &str {
    flags.split(' ').next().unwrap_or("")
}

/// The map counts `pages` printed last (`%3u: %d`).
fn last_pages(stderr: &str) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for line in stderr.lines() {
        if let Some((f, c)) = line.split_once(": ")
            && let (Ok(f), Ok(c)) = (f.trim().parse(), c.trim().parse())
        {
            counts.insert(f, c);
        }
    }
    counts
}

#[test]
fn the_cow_2_page_steps_to_the_end_and_back_in_chromium() {
    let Some(bin) = chromium() else { return };
    let conformance = root().join("../shared/conformance/ajou-2021");
    let script_path = conformance.join("cases/cow-2");
    let script = std::fs::read(&script_path).expect("../shared/conformance/ajou-2021/cases/cow-2 beside the workspace");
    let stderr = std::fs::read_to_string(conformance.join("expected/cow-2.stderr")).unwrap();
    let lines: Vec<&str> = std::str::from_utf8(&script).unwrap().lines().collect();

    let rec = cli::view::record(Machine::Ajou, false, &script_path, &script).unwrap();
    assert_eq!(rec.steps.len(), lines.len(), "one step per script line");
    let page = view::render_page(&rec).unwrap();
    assert!(!page.contains("http://") && !page.contains("https://"), "the page needs no network");
    let dir = tempfile::tempdir().unwrap();
    let (plain, harnessed) = (dir.path().join("cow-2.html"), dir.path().join("cow-2-test.html"));
    std::fs::write(&plain, &page).unwrap();
    // The step the harness goes back to: the second `show` (line 10), after process 1's write.
    let shows: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].trim() == "show").map(|i| i + 1).collect();
    let back_to = shows[1];
    let back = lines.len() - back_to;
    std::fs::write(&harnessed, page.replacen("</body>", &HARNESS.replace("BACK", &back.to_string()), 1)).unwrap();

    let url = |p: &Path, step: usize| format!("file://{}#step={step}", p.display());
    let report = result(&run_chromium(&bin, &url(&harnessed, 0), &["--dump-dom"]));
    let (loaded, end, back) = (seen(&report["loaded"]), seen(&report["end"]), seen(&report["back"]));
    assert_eq!(loaded.step, 0);
    assert_eq!(end.step, lines.len() as u64);
    assert_eq!(back.step, back_to as u64);

    // The end: process 2's table is its last `show` (line 16): every later line runs in process
    // 0 after `switch 0`, and a copy-on-write fault changes only the faulting process's entry.
    let blocks = show_blocks(&stderr);
    let (pid, last_of_2) = blocks.iter().rev().find(|(pid, _)| *pid == 2).unwrap();
    let rows_of = |s: &Seen, pid: u64| -> BTreeMap<u64, (u64, String)> {
        s.rows.iter().filter(|((p, _), _)| *p == pid).map(|((_, v), e)| (*v, e.clone())).collect()
    };
    let shown = rows_of(&end, *pid);
    assert_eq!(shown.keys().collect::<Vec<_>>(), last_of_2.keys().collect::<Vec<_>>(), "process 2's VPNs");
    // Pages allocated `rw` that are not writable now are write-protected copy-on-write.
    let rw: Vec<u64> =
        lines.iter().filter_map(|l| l.strip_prefix("alloc ")?.strip_suffix(" rw")?.parse().ok()).collect();
    for (vpn, &(frame, writable)) in last_of_2 {
        let (f, flags) = &shown[vpn];
        assert_eq!(*f, frame, "process 2, VPN {vpn}: frame");
        assert_eq!(perm(flags).contains('w'), writable, "process 2, VPN {vpn}: write bit ({flags})");
        assert_eq!(flags.contains("cow"), !writable && rw.contains(vpn), "process 2, VPN {vpn}: cow mark ({flags})");
    }
    // Every frame's map count is what the final `pages` printed; the others are free.
    let counts = last_pages(&stderr);
    assert_eq!(end.frames.len(), 128, "the 128 user frames of the ajou machine");
    for (frame, count) in &end.frames {
        assert_eq!(count, counts.get(frame).unwrap_or(&0), "frame {frame}'s map count");
    }
    assert_eq!(end.current, 0);

    // Back at line 10: process 2 does not exist yet, process 1 is current with the table its
    // `show` printed then.
    assert!(rows_of(&back, 2).is_empty(), "process 2 is forked only at line {}", shows[2] - 1);
    assert_eq!(back.current, 1);
    let (pid, block) = &blocks[1];
    assert_eq!(*pid, 1);
    let shown = rows_of(&back, 1);
    assert_eq!(shown.len(), block.len());
    for (vpn, &(frame, writable)) in block {
        assert_eq!((shown[vpn].0, perm(&shown[vpn].1).contains('w')), (frame, writable), "process 1, VPN {vpn}");
    }
    // And stepping back restores exactly the state a fresh page opened at that step shows.
    let direct = result(&run_chromium(&bin, &url(&harnessed, back_to), &["--dump-dom"]));
    assert_eq!(seen(&direct["loaded"]), back, "stepping back to {back_to} = opening #step={back_to}");

    if std::env::var_os("VMSIM_UPDATE_SCREENSHOT").is_some() {
        let shot = root().join("docs/view-cow-2.png");
        let arg = format!("--screenshot={}", shot.display());
        run_chromium(&bin, &url(&plain, lines.len()), &[&arg, "--window-size=1400,1000"]);
        assert!(shot.exists());
    }
}
