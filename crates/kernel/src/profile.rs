//! Profiles: the configuration that makes one kernel behave as one machine or the other.

use paging::{Format, PteFlags};
use phys::{MemoryLayout, PAGE_SIZE};

/// The most memory a general machine can have: 4 GiB, the frames a kernel [`paging::Pte`]
/// can name (2^20 of 4 KiB).
pub const MAX_MACHINE_MEMORY: u64 = 1 << 32;
/// The least: 64 KiB, so that both pools have a few frames.
pub const MIN_MACHINE_MEMORY: u64 = 16 * PAGE_SIZE as u64;

/// A general machine that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MachineError {
    /// The memory size is not a whole number of 4 KiB frames or is out of range.
    #[error("a machine's memory is a multiple of 4 KiB from 64 KiB to 4 GiB, not {bytes} bytes")]
    Memory {
        /// The size asked for.
        bytes: u64,
    },
    /// The entries' frame field cannot name every frame of the memory.
    #[error("{frames} frames of memory need more than the entries' {bits}-bit frame field")]
    FrameField {
        /// Frames of memory.
        frames: u32,
        /// Bits of the field.
        bits: u8,
    },
    /// A table of some level is larger than one page: the kernel allocates one-page tables.
    #[error("a table of level {level} takes {bytes} bytes, more than one 4 KiB page")]
    TableTooLarge {
        /// The level.
        level: usize,
        /// Its size.
        bytes: u64,
    },
}

/// How `fork` gives the child its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForkPolicy {
    /// Share every frame read-only; copy a page on the first write to it.
    CopyOnWrite,
    /// Copy every page into new frames at fork time.
    Eager,
}

/// What an illegal memory access does to the process that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultAction {
    /// The process is ended exactly as `exit_ps` ends it (`mtl458`).
    Kill,
    /// The access is refused and the process goes on (`ajou`'s "Unable to access").
    Refuse,
}

bitflags::bitflags! {
    /// A page's permissions as a user asks for them. The values are those of `mtl458`'s
    /// `O_READ`, `O_WRITE` and `O_EX`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Perm: u32 {
        /// `O_READ`: the page may be read.
        const READ = 1;
        /// `O_WRITE`: the page may be written.
        const WRITE = 2;
        /// `O_EX`: the page may be executed.
        const EXEC = 4;
    }
}

impl Perm {
    /// The PTE flags for a page mapped with these permissions. A writable page also carries
    /// [`PteFlags::ORIG_WRITE`], the record that copy-on-write restores writing from.
    pub fn pte_flags(self) -> PteFlags {
        let mut f = PteFlags::empty();
        f.set(PteFlags::READ, self.contains(Perm::READ));
        f.set(PteFlags::WRITE | PteFlags::ORIG_WRITE, self.contains(Perm::WRITE));
        f.set(PteFlags::EXEC, self.contains(Perm::EXEC));
        f
    }
}

/// A machine: everything that differs between `ajou` and `mtl458`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// A short name, as the shell's `--profile` takes it.
    pub name: &'static str,
    /// Where the kernel and user pools sit.
    pub memory: MemoryLayout,
    /// The page-table shape; it also fixes the size of an address space.
    pub format: Format,
    /// The most processes alive at once, if limited.
    pub max_processes: Option<usize>,
    /// How `fork` copies memory, until changed with [`crate::Kernel::set_fork_policy`].
    pub fork_policy: ForkPolicy,
    /// What an illegal access does.
    pub on_fault: FaultAction,
    /// Whether process 0 exists, empty and current, when the machine starts.
    pub boot_process: bool,
}

impl Profile {
    /// The `mtl458` machine: 200 MiB, single-level tables of 1,024 entries (4 MiB processes),
    /// at most 100 processes, eager fork, kill on illegal access.
    pub const MTL458: Profile = Profile {
        name: "mtl458",
        memory: MemoryLayout::MTL458,
        format: Format::MTL458,
        max_processes: Some(100),
        fork_policy: ForkPolicy::Eager,
        on_fault: FaultAction::Kill,
        boot_process: false,
    };

    /// The `ajou` machine: 128 user frames, 16x16 tables, copy-on-write fork, refused accesses,
    /// process 0 at boot.
    pub const AJOU: Profile = Profile {
        name: "ajou",
        memory: MemoryLayout::AJOU,
        format: Format::AJOU,
        max_processes: None,
        fork_policy: ForkPolicy::CopyOnWrite,
        on_fault: FaultAction::Refuse,
        boot_process: true,
    };

    /// A machine of any general `format` (see [`Format::general`]) with `memory` bytes of RAM,
    /// running the `mtl458` rules: the first quarter of the frames holds page tables, the rest
    /// processes' pages; at most 100 processes; eager fork until changed; kill on an illegal
    /// access; no process at boot. A process's address space is the format's lower half
    /// ([`Profile::address_space_size`]).
    ///
    /// # Errors
    /// [`MachineError::Memory`] for a size that is not 64 KiB ..= 4 GiB in whole frames;
    /// [`MachineError::FrameField`] if the entries cannot name every frame;
    /// [`MachineError::TableTooLarge`] if a table is larger than a page.
    pub fn machine(name: &'static str, format: Format, memory: u64) -> Result<Profile, MachineError> {
        if !(MIN_MACHINE_MEMORY..=MAX_MACHINE_MEMORY).contains(&memory) || memory % PAGE_SIZE as u64 != 0 {
            return Err(MachineError::Memory { bytes: memory });
        }
        let frames = (memory / PAGE_SIZE as u64) as u32;
        let m = format.machine_format();
        let bits = m.layout().frame_bits;
        if bits < 32 && u64::from(frames) > 1u64 << bits {
            return Err(MachineError::FrameField { frames, bits });
        }
        let g = m.geometry();
        if let Some(level) = (0..g.levels()).find(|&l| g.table_bytes(l) > PAGE_SIZE as u64) {
            return Err(MachineError::TableTooLarge { level, bytes: g.table_bytes(level) });
        }
        let tables = frames / 4;
        Ok(Profile {
            name,
            memory: MemoryLayout { frames, kernel: 0..tables, user: tables..frames },
            format,
            max_processes: Some(100),
            fork_policy: ForkPolicy::Eager,
            on_fault: FaultAction::Kill,
            boot_process: false,
        })
    }

    /// Bytes in one address space: pages the format maps times the page size (a general
    /// machine's: its lower half, where processes live).
    pub fn address_space_size(&self) -> u64 {
        self.format.vpns().saturating_mul(PAGE_SIZE as u64)
    }
}
