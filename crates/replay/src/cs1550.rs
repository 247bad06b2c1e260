//! The Pitt CS1550 project 3 (`vmsim`) summary block: the algorithm in capitals, then frames,
//! accesses, faults and writes to disk, one `Label: value` a line.

use std::fmt::Write;

use policy::Spec;

use crate::memory::Counts;

/// The CS1550 summary of a replay of `frames` frames under `policy`.
#[must_use]
pub fn summary(policy: Spec, frames: usize, counts: &Counts) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(s, "Algorithm: {}", policy.to_string().to_ascii_uppercase());
    let _ = writeln!(s, "Number of frames: {frames}");
    let _ = writeln!(s, "Total memory accesses: {}", counts.references);
    let _ = writeln!(s, "Total page faults: {}", counts.page_faults);
    let _ = writeln!(s, "Total writes to disk: {}", counts.disk_writes);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block() {
        let c = Counts { references: 12, page_faults: 9, disk_writes: 2, ..Counts::default() };
        assert_eq!(
            summary(Spec::Clock, 3, &c),
            "Algorithm: CLOCK\nNumber of frames: 3\nTotal memory accesses: 12\nTotal page faults: 9\nTotal writes to disk: 2\n"
        );
    }
}
