//! The counts of a paging run, one type for the policy driver and the kernel alike, and their
//! one written form.

use core::fmt;

use crate::Count;

/// Counts of a paging run: of a [`crate::Simulator`] over a reference string, or of a kernel
/// under demand paging (for the machine, or for one process).
///
/// Every count means the same in both, except how a fault is split into minor and major:
///
/// - **The driver** ([`crate::Simulator`]) has no page tables: a fault on a page never
///   referenced before is *minor* (a zero-filled frame, no disk read), and a fault on a page
///   referenced before (so evicted since) is *major* (read back from the disk).
/// - **The kernel** (`kernel::Kernel::paging_stats`) knows where a page is: a lazily allocated
///   page's first touch (a zeroed frame) and a swapped page whose slot is still cached in a
///   resident frame (another sharer read it back: the frame is shared, or copied for a write)
///   are *minor*; a page read from its swap slot is *major*. A page mapped at allocation
///   (not lazy) takes no fault at all at its first touch, where the driver counts a minor one.
///
/// In both, `faults = minor_faults + major_faults`, `references = hits + faults`,
/// `disk_reads = major_faults` and `disk_writes = dirty_evictions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// References made: accesses that succeeded, `hits + faults`.
    pub references: u64,
    /// References to a resident (present) page.
    pub hits: u64,
    /// References to a page not resident: every miss, cold ones included
    /// (`minor_faults + major_faults`).
    pub faults: u64,
    /// Faults served without the disk (see the type's doc for the two readings).
    pub minor_faults: u64,
    /// Faults that read the page back from the disk (its swap slot).
    pub major_faults: u64,
    /// Evictions that wrote nothing: the page was not written since it was loaded (and, in
    /// the kernel, its swap slot already held its copy).
    pub clean_evictions: u64,
    /// Evictions that wrote the page: written since it was loaded (or, in the kernel, with no
    /// copy in swap yet: an anonymous page's only copy is in memory).
    pub dirty_evictions: u64,
    /// Pages written to the disk: the dirty evictions (nothing is flushed at the end).
    pub disk_writes: u64,
    /// Pages read from the disk: the major faults.
    pub disk_reads: u64,
}

impl Stats {
    /// Evictions of either kind.
    #[must_use]
    pub fn evictions(&self) -> u64 {
        self.clean_evictions + self.dirty_evictions
    }
}

/// The one written form of the counts, as `vmsim replace` totals and the shell's `stats`
/// print them: `12 references, 2 hits, 10 faults (5 minor, 5 major), 7 evictions (7 clean,
/// 0 dirty), 0 disk writes, 5 disk reads`, each count's noun singular for 1 (`1 hit`).
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {} ({} minor, {} major), {} ({} clean, {} dirty), {}, {}",
            Count(self.references, "reference"),
            Count(self.hits, "hit"),
            Count(self.faults, "fault"),
            self.minor_faults,
            self.major_faults,
            Count(self.evictions(), "eviction"),
            self.clean_evictions,
            self.dirty_evictions,
            Count(self.disk_writes, "disk write"),
            Count(self.disk_reads, "disk read")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_count_has_its_place_in_the_written_form() {
        let s = Stats {
            references: 1,
            hits: 2,
            faults: 3,
            minor_faults: 4,
            major_faults: 5,
            clean_evictions: 6,
            dirty_evictions: 7,
            disk_writes: 8,
            disk_reads: 9,
        };
        assert_eq!(
            s.to_string(),
            "1 reference, 2 hits, 3 faults (4 minor, 5 major), 13 evictions (6 clean, 7 dirty), 8 disk writes, 9 disk reads"
        );
        // Each count of 1 in the singular (they said `1 hits`, `1 faults`).
        let one = Stats {
            references: 1,
            hits: 0,
            faults: 1,
            minor_faults: 1,
            clean_evictions: 1,
            disk_writes: 1,
            disk_reads: 1,
            ..s
        };
        assert_eq!(
            one.to_string(),
            "1 reference, 0 hits, 1 fault (1 minor, 5 major), 8 evictions (1 clean, 7 dirty), 1 disk write, 1 disk read"
        );
        let one = Stats { hits: 1, clean_evictions: 0, dirty_evictions: 1, ..one };
        assert!(
            one.to_string().contains(", 1 hit, 1 fault (1 minor, 5 major), 1 eviction (0 clean, 1 dirty),"),
            "{one}"
        );
    }
}
