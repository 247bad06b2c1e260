//! The demand-paging rows of `cargo xtask bench`: references per second for every policy on
//! one 1,000,000-reference string, through the policy crate's own driver
//! (`crates/policy/benches/policies.rs`) and through the kernel with demand paging on
//! (`crates/kernel/benches/demand.rs`: a 4-level x86-64 walk per reference, accessed and dirty
//! bits in the entries, the reverse map, 4 KiB swap copies), side by side. `opt` has no kernel
//! row: a running machine does not know its future references.

use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use super::estimate;

/// References in each benchmark's string.
const REFERENCES: f64 = 1_000_000.0;

/// The policies as the benches name them (`sfifo:25` as `sfifo-25`), in `Spec::ALL`'s order.
const POLICIES: [&str; 14] = [
    "fifo", "lru", "opt", "clock", "second", "nru", "aging", "wsclock", "lfu", "mru", "random", "sfifo-25", "sieve",
    "2q",
];

/// One policy's figures: nanoseconds per whole string.
#[derive(Debug, Clone)]
pub struct Row {
    /// The policy.
    pub policy: &'static str,
    /// Through `policy::Simulator`.
    pub driver_ns: f64,
    /// Through the kernel, if measured.
    pub kernel_ns: Option<f64>,
}

/// The estimates of both benches, which must have run since `since`.
///
/// # Errors
/// A missing or stale estimate.
pub fn gather(criterion: &Path, since: SystemTime) -> anyhow::Result<Vec<Row>> {
    POLICIES
        .iter()
        .map(|&policy| {
            let driver_ns = estimate(criterion, &format!("policy/{policy}"), since)?;
            let kernel_ns = match policy {
                "opt" => None,
                _ => Some(estimate(criterion, &format!("demand/{policy}"), since)?),
            };
            Ok(Row { policy, driver_ns, kernel_ns })
        })
        .collect()
}

fn per_second(ns: f64) -> String {
    let rate = REFERENCES / (ns * 1e-9);
    if rate >= 1e6 { format!("{:.1} M", rate / 1e6) } else { format!("{:.0} k", rate / 1e3) }
}

/// The section of `docs/performance.md`.
pub fn render(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Demand paging: references per second, every policy\n");
    let _ = writeln!(
        s,
        "One 1,000,000-reference string (1,024 frames; 80% of references to 512 hot pages, 20% \
         to 16,384 cold ones, one in eight a write), through the policy crate's driver \
         (`cargo bench -p policy --bench policies`) and through the kernel with demand paging \
         on an x86-64 machine, lazy pages and a swap slot per page (`cargo bench -p kernel \
         --bench demand`). Median of criterion's samples; each iteration builds the machine and \
         runs the whole string.\n"
    );
    let _ = writeln!(s, "| policy | driver refs/s | kernel refs/s | kernel ns/ref |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for r in rows {
        let (kernel, per_ref) = match r.kernel_ns {
            Some(ns) => (per_second(ns), format!("{:.0}", ns / REFERENCES)),
            None => ("(needs the future)".to_string(), "-".to_string()),
        };
        let _ = writeln!(s, "| `{}` | {} | {kernel} | {per_ref} |", r.policy, per_second(r.driver_ns));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_render_rates_and_the_missing_opt() {
        let rows = [
            Row { policy: "lru", driver_ns: 20e6, kernel_ns: Some(500e6) },
            Row { policy: "opt", driver_ns: 80e6, kernel_ns: None },
        ];
        let s = render(&rows);
        assert!(s.contains("| `lru` | 50.0 M | 2.0 M | 500 |"), "{s}");
        assert!(s.contains("| `opt` | 12.5 M | (needs the future) | - |"), "{s}");
    }
}
