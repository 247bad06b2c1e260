//! The simulated kernel: processes, fork, page allocation, translation, copy-on-write, kills.
//!
//! One [`Kernel`] value owns a whole machine: its physical memory, every process and its page
//! table, and the statistics. A [`Profile`] configures it (memory layout, table format, process
//! limit, fork policy, what an illegal access does); both machines of the project, `ajou` and
//! `mtl458`, run on the same code.
//!
//! The `mtl458` operations, on a 200 MiB machine with single-level tables:
//!
//! ```
//! use kernel::{Kernel, Perm, Profile, SegmentSizes, VirtAddr};
//!
//! let mut k = Kernel::new(Profile::MTL458)?;
//! let pid = k.create_ps(SegmentSizes { code: 4096, ro_data: 4096, rw_data: 4096, stack: 8192 }, b"hi")?;
//! assert_eq!(k.read_mem(pid, VirtAddr::new(1))?, b'i');
//! k.write_mem(pid, VirtAddr::new(2 * 4096), 7)?; // rw data
//! let child = k.fork_ps(pid)?;
//! k.write_mem(child, VirtAddr::new(2 * 4096), 9)?;
//! assert_eq!(k.read_mem(pid, VirtAddr::new(2 * 4096))?, 7); // isolated after fork
//! k.allocate_pages(pid, VirtAddr::new(0x10_0000), 2, Perm::READ | Perm::WRITE)?;
//! let killed = k.write_mem(pid, VirtAddr::new(0), 1).unwrap_err(); // code is read-only
//! assert!(killed.to_string().starts_with("segmentation fault: pid 0 killed"));
//! assert!(k.process(pid).is_none());
//! k.check()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The `ajou` operations, on 128 frames with 16x16 tables and copy-on-write fork:
//!
//! ```
//! use kernel::{Access, Kernel, Perm, Pid, Profile, Vpn};
//!
//! let mut k = Kernel::new(Profile::AJOU)?;
//! let p0 = k.current().expect("process 0 exists at boot");
//! assert_eq!(k.map_page(p0, Vpn::new(2), Perm::READ | Perm::WRITE)?.as_u32(), 0);
//! k.switch(Pid::new(1))?; // forks process 1 from process 0, sharing frame 0
//! assert_eq!(k.mem().map_counts.get(phys::Pfn::new(0)), 2);
//! let frame = k.touch(Pid::new(1), Vpn::new(2), Access::Write)?; // copy-on-write fault
//! assert_eq!(frame.as_u32(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
mod check;
mod create;
mod demand;
mod error;
mod evict;
mod fork;
mod hooks;
mod local;
mod machine;
mod mmu_bits;
mod page_in;
mod pages;
mod process;
mod profile;
mod stats;
mod swap;
mod tlb;

pub use access::Access;
pub use check::InvariantError;
pub use create::SegmentSizes;
pub use demand::{DemandConfig, DemandError, Scope, page_id};
pub use error::{
    AccessError, AllocateError, CreateError, ExitError, Fault, FaultReason, ForkError, MapPageError, NoSuchProcess,
    SwapFull, UnmapPageError,
};
pub use machine::{Kernel, SwitchOutcome};
pub use paging::{Absent, AbsentKind, Format, LeafTable, MachineFormat, Preset, Pte, PteFlags, VirtAddr, Vpn};
pub use phys::{PAGE_SIZE, Pfn, PoolKind};
/// Demand-paging counts, for a machine or for one process: the policy crate's
/// [`policy::Stats`], the same type its reference-string driver counts with (its doc gives
/// both readings of a minor fault).
pub use policy::{Count, Stats as PagingStats};
pub use process::{Pid, Process};
pub use profile::{FaultAction, ForkPolicy, MAX_MACHINE_MEMORY, MIN_MACHINE_MEMORY, MachineError, Perm, Profile};
pub use stats::{Counters, MachineStats, ProcessStats};
pub use swap::MAX_SWAP_SLOTS;

#[cfg(test)]
mod tests;
