//! The kernel's errors: one enum per operation, each carrying the facts.

use paging::{VirtAddr, Vpn};
use phys::{Pfn, PoolKind};

use crate::Pid;

/// Why an access or a range operation was illegal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultReason {
    /// Read of a page that is not mapped.
    ReadUnmapped,
    /// Write to a page that is not mapped.
    WriteUnmapped,
    /// Read of a mapped page without read permission.
    NotReadable,
    /// Write to a mapped page without write permission.
    NotWritable,
    /// The address lies past the end of the address space.
    OutOfRange,
    /// `allocate_pages` over a page that is already allocated.
    AlreadyAllocated,
    /// `deallocate_pages` over a page that is not allocated.
    NotAllocated,
}

impl core::fmt::Display for FaultReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            FaultReason::ReadUnmapped => "read of an unmapped page",
            FaultReason::WriteUnmapped => "write to an unmapped page",
            FaultReason::NotReadable => "read of a page without read permission",
            FaultReason::NotWritable => "write to a read-only page",
            FaultReason::OutOfRange => "address outside the address space",
            FaultReason::AlreadyAllocated => "page already allocated",
            FaultReason::NotAllocated => "page not allocated",
        })
    }
}

/// An illegal access, and whether the process was killed for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
#[must_use = "a fault may have killed the process"]
pub struct Fault {
    /// The process that made the access.
    pub pid: Pid,
    /// The address it touched (for a range, the first offending page).
    pub addr: VirtAddr,
    /// What was wrong.
    pub reason: FaultReason,
    /// Whether the process was ended for it (`mtl458`); if not, it goes on (`ajou`).
    pub killed: bool,
}

impl Fault {
    fn describe(&self) -> String {
        if self.killed {
            format!("segmentation fault: pid {} killed: {} at {}", self.pid, self.reason, self.addr)
        } else {
            format!("pid {}: {} at {}", self.pid, self.reason, self.addr)
        }
    }
}

/// No process has the pid given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no process with pid {pid}")]
pub struct NoSuchProcess {
    /// The pid given.
    pub pid: Pid,
}

/// `create_ps` failed; nothing was allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// A segment size is not a multiple of the page size.
    #[error("{segment} size {size:#x} is not a multiple of the page size")]
    Misaligned {
        /// Which segment.
        segment: &'static str,
        /// Its size in bytes.
        size: u64,
    },
    /// The segments do not fit in the address space.
    #[error("segments of {total:#x} bytes do not fit in the {limit:#x}-byte address space")]
    TooLarge {
        /// Their total size.
        total: u64,
        /// The address space size.
        limit: u64,
    },
    /// The initial data is longer than code and read-only data together.
    #[error("initial data of {len} bytes is longer than code + ro data ({capacity} bytes)")]
    DataTooLong {
        /// The data's length.
        len: usize,
        /// Code plus read-only data, in bytes.
        capacity: u64,
    },
    /// The process table is full.
    #[error("too many processes: at most {limit} may be alive at once")]
    TooManyProcesses {
        /// The limit.
        limit: usize,
    },
    /// Not enough free frames.
    #[error("out of memory: {} needed, {free} free", crate::Count(.needed, &format!("{pool} frame")))]
    OutOfMemory {
        /// Which pool ran short.
        pool: PoolKind,
        /// Frames needed.
        needed: u32,
        /// Frames free.
        free: u32,
    },
    /// Demand paging: a page had to be evicted and the swap area has no free slot. Nothing
    /// changed.
    #[error(transparent)]
    SwapFull(#[from] SwapFull),
}

/// `exit_ps` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExitError {
    /// No such process.
    #[error(transparent)]
    NoSuchProcess(#[from] NoSuchProcess),
}

/// `fork_ps` or a forking `switch` failed; nothing was allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ForkError {
    /// The parent does not exist.
    #[error(transparent)]
    NoSuchProcess(#[from] NoSuchProcess),
    /// The child's pid is taken.
    #[error("pid {pid} is already in use")]
    PidInUse {
        /// The pid asked for.
        pid: Pid,
    },
    /// The process table is full.
    #[error("too many processes: at most {limit} may be alive at once")]
    TooManyProcesses {
        /// The limit.
        limit: usize,
    },
    /// Not enough free frames.
    #[error("out of memory: {} needed, {free} free", crate::Count(.needed, &format!("{pool} frame")))]
    OutOfMemory {
        /// Which pool ran short.
        pool: PoolKind,
        /// Frames needed.
        needed: u32,
        /// Frames free.
        free: u32,
    },
    /// There is no current process to fork from (`switch` on a machine without one).
    #[error("there is no current process to fork from")]
    NoCurrentProcess,
}

/// Mapping one page failed; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MapPageError {
    /// No such process.
    #[error(transparent)]
    NoSuchProcess(#[from] NoSuchProcess),
    /// The VPN is outside the address space.
    #[error("vpn {vpn} is outside the address space of {vpn_count} pages")]
    VpnOutOfRange {
        /// The VPN given.
        vpn: Vpn,
        /// Pages in the address space.
        vpn_count: u32,
    },
    /// The VPN already maps a frame.
    #[error("{vpn} is already allocated to {frame}")]
    AlreadyMapped {
        /// The VPN given.
        vpn: Vpn,
        /// The frame it maps.
        frame: Pfn,
    },
    /// No frame is free.
    #[error("out of memory: no free {pool} frame")]
    OutOfMemory {
        /// Which pool ran short.
        pool: PoolKind,
    },
    /// Demand paging: the page is allocated but has no frame now (swapped out, or lazy and
    /// not touched yet).
    #[error("{vpn} is allocated but not present")]
    Absent {
        /// The VPN given.
        vpn: Vpn,
    },
    /// Demand paging: a page had to be evicted and the swap area has no free slot. Nothing
    /// changed.
    #[error(transparent)]
    SwapFull(#[from] SwapFull),
}

/// Unmapping one page failed; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnmapPageError {
    /// No such process.
    #[error(transparent)]
    NoSuchProcess(#[from] NoSuchProcess),
    /// The VPN maps nothing (or is outside the address space).
    #[error("{vpn} is not allocated")]
    NotMapped {
        /// The VPN given.
        vpn: Vpn,
    },
    /// Demand paging: the page is allocated but has no frame now (swapped out, or lazy and
    /// not touched yet); `deallocate_pages` frees it. Nothing changed.
    #[error("{vpn} is allocated but not present")]
    Absent {
        /// The VPN given.
        vpn: Vpn,
    },
}

/// `allocate_pages` or `deallocate_pages` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AllocateError {
    /// No such process.
    #[error(transparent)]
    NoSuchProcess(#[from] NoSuchProcess),
    /// The start address is not page-aligned; nothing changed.
    #[error("address {addr} is not page-aligned")]
    Misaligned {
        /// The address given.
        addr: VirtAddr,
    },
    /// Not enough free frames; nothing was mapped and the process lives on.
    #[error("out of memory: {} needed, {free} free", crate::Count(.needed, &format!("{pool} frame")))]
    OutOfMemory {
        /// Which pool ran short.
        pool: PoolKind,
        /// Frames needed.
        needed: u32,
        /// Frames free.
        free: u32,
    },
    /// The range was illegal (already allocated, not allocated, or past the address space).
    #[error(transparent)]
    Fault(#[from] Fault),
    /// Demand paging: a page had to be evicted and the swap area has no free slot. Nothing
    /// changed.
    #[error(transparent)]
    SwapFull(#[from] SwapFull),
}

/// `read_mem`, `write_mem` or `touch` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// No such process.
    #[error(transparent)]
    NoSuchProcess(#[from] NoSuchProcess),
    /// The access was illegal.
    #[error(transparent)]
    Fault(#[from] Fault),
    /// A copy-on-write fault needed a frame and none was free; nothing changed and the
    /// process lives on.
    #[error("out of memory: pid {pid} needs a frame to copy {addr} on write, none is free")]
    OutOfMemory {
        /// The process.
        pid: Pid,
        /// The address written.
        addr: VirtAddr,
    },
    /// Demand paging: a page had to be evicted and the swap area has no free slot. Nothing
    /// changed.
    #[error(transparent)]
    SwapFull(#[from] SwapFull),
}

/// Demand paging needed to evict a page and every swap slot is in use, or an operation that
/// maps several pages (a non-lazy `allocate_pages` or `map_page`, `create_ps`) could need more
/// evictions than there are free slots and was refused up front. The operation that met it
/// changed nothing (the policy was not even asked for a victim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}", self.said())]
pub struct SwapFull {
    /// Slots in the swap area.
    pub slots: u32,
    /// Slots free when it was refused (0 for a single eviction).
    pub free: u32,
    /// Evictions the operation could need, each a fresh slot (1 for a single eviction).
    pub needed: u32,
}

impl SwapFull {
    /// The message: "all slots are in use" is said only when it is true, since an operation
    /// refused up front may meet free slots, only too few of them.
    fn said(&self) -> String {
        if self.free == 0 {
            match self.slots {
                1 => "swap full: the one swap slot is in use, no page can be evicted".to_owned(),
                n => format!("swap full: all {n} swap slots are in use, no page can be evicted"),
            }
        } else {
            // Here 1 <= free < needed <= slots: only the verb follows a count that may be 1.
            let verb = if self.free == 1 { "is" } else { "are" };
            format!(
                "swap full: this needs up to {} evictions, but only {} of the {} swap slots {verb} free",
                self.needed, self.free, self.slots
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_one_are_said_in_the_singular() {
        // They said `1 user frames needed`, `all 1 swap slots are in use`, `1 of the 3 swap
        // slots are free`.
        let oom = CreateError::OutOfMemory { pool: PoolKind::User, needed: 1, free: 0 };
        assert_eq!(oom.to_string(), "out of memory: 1 user frame needed, 0 free");
        let oom = AllocateError::OutOfMemory { pool: PoolKind::User, needed: 2, free: 1 };
        assert_eq!(oom.to_string(), "out of memory: 2 user frames needed, 1 free");
        let one = SwapFull { slots: 1, free: 0, needed: 1 };
        assert_eq!(one.to_string(), "swap full: the one swap slot is in use, no page can be evicted");
        let all = SwapFull { slots: 2, free: 0, needed: 1 };
        assert_eq!(all.to_string(), "swap full: all 2 swap slots are in use, no page can be evicted");
        let few = SwapFull { slots: 3, free: 1, needed: 2 };
        assert_eq!(few.to_string(), "swap full: this needs up to 2 evictions, but only 1 of the 3 swap slots is free");
    }
}
