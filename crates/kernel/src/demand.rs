//! Demand paging on general machines: fewer user frames than pages, a swap area, and a
//! replacement policy from the `policy` crate driven by the MMU's accessed and dirty bits.
//!
//! The rules (the guide is `docs/demand-paging.md`):
//!
//! - **Frames.** At most [`DemandConfig::frames`] user frames hold pages at once (always the
//!   lowest free ones, so they are the first `frames` frames of the user pool). A page that
//!   needs a frame when all are in use makes room first: the policy picks a victim.
//! - **Eviction.** Before the policy is asked, the swap area must have a free slot, or the
//!   operation fails with [`SwapFull`](crate::SwapFull) having changed nothing. The victim is written to swap
//!   when it is dirty (some entry mapping it has the MMU's dirty bit) or has no copy there yet:
//!   to the slot that holds its copy, or else the lowest free slot. That is a *dirty eviction*
//!   and a disk write; otherwise it is a *clean eviction* and nothing is written. Then every
//!   entry that mapped the frame (the reverse map) becomes an absent entry naming the slot
//!   ([`paging::Absent`], with the page's flags minus accessed and dirty), the slot counts one
//!   user per such entry, and the frame is free.
//! - **Faults.** A touch of an absent entry is a page fault (every miss counts, cold ones
//!   included). A lazily allocated page gets the lowest free frame, zeroed: a minor fault. A
//!   swapped page whose slot is still cached in a resident frame (another sharer read it back)
//!   is a minor fault too: a read maps that frame again, shared. Otherwise the page is read
//!   from its slot into the lowest free frame: a major fault and a disk read; the frame keeps
//!   the slot as its clean copy (the swap cache). The slot loses the faulting entry as a user.
//! - **Sharing.** A page brought in while others still share it (its frame is mapped by
//!   another entry, or other entries still name its slot) is mapped copy-on-write if its own
//!   permission is writable. A write fault on a swapped page always gives the writer a private
//!   frame with the page's bytes (from the cached frame, or from the disk), writable; a slot
//!   left with no user and no cached frame is freed. The copy-on-write handler copies when the
//!   frame is mapped twice **or** its slot still has users, so that a page read back from swap
//!   is never written under the entries that still expect the slot's bytes.
//! - **Fork** under demand paging shares copy-on-write whatever the fork policy (an eager copy
//!   would need frames a full memory does not have): present pages as usual, and a swapped page
//!   by giving the child's entry the same slot (one more user), both write-protected.
//! - **References.** Every successful access is one reference: a hit if the page was present
//!   (the policy's `hit`), or the fault that brought it in (the policy's `insert`); the
//!   policy's `tick` follows each. Allocating a page without `lazy` maps it at once (the
//!   policy's `insert`, no reference, accessed bit clear).
//!
//! A page, for the policy, is `pid << 48 | vpn` ([`page_id`]).
//!
//! This file holds the state and its setup and queries; the hooks the other operations call
//! are in `hooks.rs`, the policy's view of the R and M bits in `mmu_bits.rs`, making room in
//! `evict.rs`, faults in `page_in.rs`, the swap area in `swap.rs`, local replacement in
//! `local.rs`, and the invariants in `check.rs`.

use paging::{EntryAddr, Vpn};
use phys::Pfn;
use policy::{Policy, Stats};

use crate::Kernel;
use crate::error::NoSuchProcess;
use crate::process::Pid;
use crate::swap::{MAX_SWAP_SLOTS, SwapArea};

/// How demand paging runs on a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DemandConfig {
    /// User frames that may hold pages at once (`--frames`), 1 ..= the user pool's size.
    pub frames: u32,
    /// Slots of 4 KiB in the swap area (`--swap`), 1 ..= [`MAX_SWAP_SLOTS`] (and what an
    /// absent entry's frame field can name).
    pub swap_slots: u32,
    /// `allocate_pages` maps nothing: each page gets its frame at its first touch (`--lazy`).
    pub lazy: bool,
}

/// Which pages a fault may evict when a process needs a frame (`--scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Any resident page: one policy over every frame ([`Kernel::enable_demand_paging`]).
    Global,
    /// The process's own pages, within an equal share of the frames
    /// ([`Kernel::enable_local_demand_paging`]).
    Local,
}

/// Demand paging could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemandError {
    /// The course profiles keep their exact behaviour.
    #[error("demand paging runs on general machines only, not on {name}")]
    CourseProfile {
        /// The profile's name.
        name: &'static str,
    },
    /// Processes exist already.
    #[error("demand paging is set up on an empty machine; {live} processes are alive")]
    NotEmpty {
        /// Live processes.
        live: usize,
    },
    /// The frame count is 0 or more than the user pool.
    #[error("demand paging needs 1 to {available} frames, not {frames}")]
    Frames {
        /// Frames asked for.
        frames: u32,
        /// User frames the machine has.
        available: u32,
    },
    /// The slot count is 0 or too large.
    #[error("a swap area on this machine has 1 to {max} slots, not {slots}")]
    Slots {
        /// Slots asked for.
        slots: u32,
        /// The most allowed.
        max: u32,
    },
    /// `opt` needs the whole reference string, which a running machine does not know.
    #[error("opt needs the whole reference string in advance, which a running machine does not have")]
    NeedsFuture,
    /// The policy refused its parameters.
    #[error(transparent)]
    Policy(#[from] policy::BuildError),
}

/// The page a policy sees for `pid`'s `vpn`: `pid << 48 | vpn` (VPNs of the general formats
/// have at most 45 bits).
pub fn page_id(pid: Pid, vpn: Vpn) -> u64 {
    (u64::from(pid.as_u32()) << 48) | (vpn.as_u64() & ((1 << 48) - 1))
}

/// One entry of the reverse map: `pid`'s `vpn` maps the frame, and its present entry lives at
/// `entry`.
///
/// The address is remembered so that a policy's reading or clearing of a frame's R and M bits
/// is one load or store of the entry ([`Format::flags_at`]) rather than a walk of the table
/// per mapping: the scanning policies (nru, aging, wsclock) visit every frame on a fault or a
/// period tick, and a walk each made the `demand/nru` bench row cost about 68 s a million
/// references. The entry stays the only record of the bits (the MMU sets them there, a
/// student walks them, `clear_accessed_dirty` clears them there). The address stays right
/// for as long as the mapping does: a page table's tables stay in their frames until the
/// whole table is freed, and every change of a mapping (unmap, copy-on-write copy, eviction,
/// exit) removes its reverse-map entry, the new mapping adding one with a fresh address.
/// `check` holds every address to a walk.
///
/// [`Format::flags_at`]: paging::Format::flags_at
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Mapper {
    pub(crate) pid: Pid,
    pub(crate) vpn: Vpn,
    /// `None` only if the entry was not found when the mapping was recorded, which `check`
    /// reports; its bits then read as clear.
    pub(crate) entry: Option<EntryAddr>,
}

/// What the last fault left for the access that follows it to account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    /// A page fault brought the page in (counted as a fault): the policy's `insert`, or its
    /// `hit` if the frame was already resident (`fresh` false: shared from the swap cache).
    Loaded {
        /// The frame was filled by this fault.
        fresh: bool,
    },
    /// A copy-on-write copy moved the page to a new frame: a hit, and the policy's `insert`.
    Copied,
}

/// The demand-paging state of a machine.
pub(crate) struct Demand {
    pub(crate) config: DemandConfig,
    pub(crate) policy: Box<dyn Policy>,
    /// The user pool's first frame: frame index `i` is frame `base + i`.
    pub(crate) base: u32,
    /// Reverse map: the entries that map each frame index, and where each lives.
    pub(crate) rmap: Vec<Vec<Mapper>>,
    /// The slot each frame index holds a clean copy of, if any.
    pub(crate) link: Vec<Option<u32>>,
    pub(crate) swap: SwapArea,
    pub(crate) time: u64,
    pub(crate) stats: Stats,
    pub(crate) pending: Option<Pending>,
    /// Local replacement's charges and per-process policies (`policy` then serves nothing).
    pub(crate) local: Option<crate::local::Local>,
}

impl core::fmt::Debug for Demand {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Demand").field("config", &self.config).field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl Demand {
    pub(crate) fn frame_index(&self, frame: Pfn) -> Option<usize> {
        let i = frame.as_u32().checked_sub(self.base)? as usize;
        (i < self.rmap.len()).then_some(i)
    }
}

impl Kernel {
    /// Turns on demand paging with the policy `spec` (see the `policy` crate), on a general
    /// machine with no process yet.
    ///
    /// # Errors
    /// [`DemandError`]: a course profile, processes alive, frames or slots out of range,
    /// `opt` (use [`Kernel::enable_demand_paging_with`] with a policy built from the whole
    /// reference string), or options the policy refuses.
    ///
    /// # Examples
    /// Belady's example through the kernel: FIFO takes 9 faults with 3 frames, 10 with 4.
    /// ```
    /// use kernel::{Access, DemandConfig, Format, Kernel, Perm, Preset, Profile, SegmentSizes, Vpn};
    ///
    /// let faults = |frames| -> Result<u64, Box<dyn std::error::Error>> {
    ///     let format = Format::general(Preset::X86_64.format())?;
    ///     let mut k = Kernel::new(Profile::machine("x86-64", format, 1 << 20)?)?;
    ///     let config = DemandConfig { frames, swap_slots: 8, lazy: true };
    ///     k.enable_demand_paging(config, policy::Spec::Fifo, &policy::Options::default())?;
    ///     let p = k.create_ps(SegmentSizes::default(), &[])?;
    ///     k.allocate_pages(p, kernel::VirtAddr::new(0x1000), 5, Perm::READ | Perm::WRITE)?;
    ///     for page in [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5] {
    ///         k.touch(p, Vpn::new(page), Access::Read)?;
    ///     }
    ///     k.check()?;
    ///     Ok(k.paging_stats().map_or(0, |s| s.faults))
    /// };
    /// assert_eq!((faults(3)?, faults(4)?), (9, 10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enable_demand_paging(
        &mut self,
        config: DemandConfig,
        spec: policy::Spec,
        options: &policy::Options,
    ) -> Result<(), DemandError> {
        if spec == policy::Spec::Opt {
            return Err(DemandError::NeedsFuture);
        }
        self.check_demand_config(config)?;
        let policy = policy::build(spec, config.frames as usize, options, &[])?;
        self.enable_demand_paging_with(config, policy)
    }

    /// Turns on demand paging with local replacement (`--scope local`): each live process
    /// may hold an equal share of the frames, and a process at its share replaces among its
    /// own pages with its own instance of the policy `spec` (the rules are in
    /// `docs/demand-paging.md`, "Local replacement").
    ///
    /// # Errors
    /// As [`Kernel::enable_demand_paging`].
    pub fn enable_local_demand_paging(
        &mut self,
        config: DemandConfig,
        spec: policy::Spec,
        options: &policy::Options,
    ) -> Result<(), DemandError> {
        if spec == policy::Spec::Opt {
            return Err(DemandError::NeedsFuture);
        }
        self.check_demand_config(config)?;
        let local = crate::local::Local::new(spec, options, config.frames as usize)?;
        self.enable_demand_paging(config, spec, options)?;
        if let Some(d) = self.demand.as_deref_mut() {
            d.local = Some(local);
        }
        Ok(())
    }

    /// Turns on demand paging with a policy built by the caller for exactly `config.frames`
    /// frames (for `opt`: from the reference string, in [`page_id`]s, that will be run).
    ///
    /// # Errors
    /// As [`Kernel::enable_demand_paging`], `opt` aside.
    pub fn enable_demand_paging_with(
        &mut self,
        config: DemandConfig,
        policy: Box<dyn Policy>,
    ) -> Result<(), DemandError> {
        self.check_demand_config(config)?;
        let frames = config.frames as usize;
        self.demand = Some(Box::new(Demand {
            config,
            policy,
            base: self.mem.user.range().start,
            rmap: vec![Vec::new(); frames],
            link: vec![None; frames],
            swap: SwapArea::new(config.swap_slots),
            time: 0,
            stats: Stats::default(),
            pending: None,
            local: None,
        }));
        Ok(())
    }

    fn check_demand_config(&self, config: DemandConfig) -> Result<(), DemandError> {
        let Some(m) = self.profile.format.machine() else {
            return Err(DemandError::CourseProfile { name: self.profile.name });
        };
        if self.procs.len() > 0 {
            return Err(DemandError::NotEmpty { live: self.procs.len() });
        }
        let available = self.mem.user.len();
        if config.frames == 0 || config.frames > available {
            return Err(DemandError::Frames { frames: config.frames, available });
        }
        // An absent entry's frame field holds slot + 2.
        let field = m.layout().frame_mask().saturating_sub(1);
        let max = MAX_SWAP_SLOTS.min(u32::try_from(field).unwrap_or(u32::MAX));
        if config.swap_slots == 0 || config.swap_slots > max {
            return Err(DemandError::Slots { slots: config.swap_slots, max });
        }
        Ok(())
    }

    /// The replacement scope, if demand paging is on.
    pub fn demand_scope(&self) -> Option<Scope> {
        self.demand.as_ref().map(|d| if d.local.is_some() { Scope::Local } else { Scope::Global })
    }

    /// The demand-paging configuration, if demand paging is on.
    pub fn demand_config(&self) -> Option<DemandConfig> {
        self.demand.as_ref().map(|d| d.config)
    }

    /// The machine's demand-paging counts, if demand paging is on. A *minor* fault here is a
    /// lazy page's first touch or a swapped page still cached in a resident frame; a *major*
    /// one reads its swap slot ([`Stats`] gives the policy driver's reading too).
    pub fn paging_stats(&self) -> Option<Stats> {
        self.demand.as_ref().map(|d| d.stats)
    }

    /// `pid`'s demand-paging counts (all zero when demand paging is off): the faults it took,
    /// and the evictions its faults (or allocations) caused, whoever owned the evicted page.
    ///
    /// # Errors
    /// [`NoSuchProcess`].
    pub fn process_paging_stats(&self, pid: Pid) -> Result<Stats, NoSuchProcess> {
        Ok(self.lookup(pid)?.paging)
    }

    /// Absent entries that name swap `slot`, or `None` if there is no such slot.
    pub fn swap_slot_users(&self, slot: u32) -> Option<u32> {
        self.demand.as_ref()?.swap.users(slot)
    }

    /// Swap slots in use (named by an entry or caching a resident page's copy).
    pub fn swap_slots_used(&self) -> u32 {
        self.demand.as_ref().map_or(0, |d| d.config.swap_slots - d.swap.free())
    }

    /// The policy's clock hand, for the policies that have one (global replacement only: a
    /// local one has a hand per process).
    pub fn policy_hand(&self) -> Option<usize> {
        let d = self.demand.as_ref()?;
        if d.local.is_some() {
            return None;
        }
        d.policy.hand().map(|f| f.0)
    }
}

#[cfg(test)]
mod tests {
    use paging::{AbsentKind, PteFlags};
    use policy::{Frame, FrameBits};

    use super::*;
    use crate::mmu_bits::MmuBits;
    use crate::{Perm, Profile, SegmentSizes, VirtAddr};

    fn kernel(frames: u32, slots: u32) -> Kernel {
        let format = paging::Format::general(paging::Preset::X86_64.format()).unwrap();
        let mut k = Kernel::new(Profile::machine("x86-64", format, 1 << 20).unwrap()).unwrap();
        let config = DemandConfig { frames, swap_slots: slots, lazy: true };
        k.enable_demand_paging(config, policy::Spec::Fifo, &policy::Options::default()).unwrap();
        k
    }

    #[test]
    fn an_eviction_records_the_slot_in_the_entry_and_a_fault_brings_the_bytes_back() {
        let mut k = kernel(1, 4);
        let p = k.create_ps(SegmentSizes::default(), &[]).unwrap();
        k.allocate_pages(p, VirtAddr::new(0), 2, Perm::READ | Perm::WRITE).unwrap();
        k.write_mem(p, VirtAddr::new(7), 42).unwrap();
        k.write_mem(p, VirtAddr::new(0x1000), 1).unwrap(); // evicts page 0 to slot 0
        let table = k.process(p).unwrap().table();
        let a = table.absent(&k.mem.arena, Vpn::new(0)).unwrap();
        assert_eq!(a.kind, AbsentKind::Swapped(0));
        assert!(a.flags.contains(PteFlags::WRITE | PteFlags::ORIG_WRITE));
        assert_eq!(k.swap_slot_users(0), Some(1));
        assert_eq!(k.read_mem(p, VirtAddr::new(7)).unwrap(), 42); // page 1 to slot 1
        let s = k.paging_stats().unwrap();
        assert_eq!((s.minor_faults, s.major_faults, s.dirty_evictions), (2, 1, 2));
        // Page 0 came back from slot 0, which it keeps as its clean copy.
        assert_eq!((k.swap_slot_users(0), k.swap_slots_used()), (Some(0), 2));
        k.check().unwrap();
    }

    /// The reverse map's entry addresses are the policy's only way to the R and M bits: one
    /// that names another page's entry is caught by `check`, and a right one reads the bits
    /// the MMU set and clears them in the page's entry.
    #[test]
    fn check_catches_a_stale_entry_address_and_a_right_one_reads_the_mmu_bits() {
        let mut k = kernel(4, 4);
        let p = k.create_ps(SegmentSizes::default(), &[]).unwrap();
        k.allocate_pages(p, VirtAddr::new(0), 2, Perm::READ | Perm::WRITE).unwrap();
        k.write_mem(p, VirtAddr::new(0x1000), 1).unwrap();
        k.read_mem(p, VirtAddr::new(0)).unwrap();
        k.check().unwrap();
        let table = k.process(p).unwrap().table();
        let frame = |k: &Kernel, v| table.translate(&k.mem.arena, Vpn::new(v)).unwrap().frame();
        let (f0, f1) = (frame(&k, 0), frame(&k, 1));
        let d = k.demand.as_deref().unwrap();
        let (i0, i1) = (d.frame_index(f0).unwrap(), d.frame_index(f1).unwrap());
        let mut bits = MmuBits { arena: &mut k.mem.arena, format: k.profile.format, rmap: &d.rmap };
        assert_eq!((bits.referenced(Frame(i1)), bits.modified(Frame(i1))), (true, true));
        assert_eq!((bits.referenced(Frame(i0)), bits.modified(Frame(i0))), (true, false));
        bits.clear_referenced(Frame(i1));
        assert!(!bits.referenced(Frame(i1)));
        assert!(bits.referenced(Frame(i0)), "only frame {i1}'s entry was cleared");
        let flags = table.translate(&k.mem.arena, Vpn::new(1)).unwrap().flags();
        assert_eq!(flags & (PteFlags::ACCESSED | PteFlags::DIRTY), PteFlags::DIRTY);
        k.check().unwrap();
        let d = k.demand.as_deref_mut().unwrap();
        d.rmap[i0][0].entry = d.rmap[i1][0].entry;
        assert!(k.check().unwrap_err().to_string().contains("entry is at"));
    }
}
