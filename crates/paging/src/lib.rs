//! Page-table entries and the walkers of page tables: any machine's, and the course machines'
//! on a fast path of their own.
//!
//! **Any machine.** A [`MachineFormat`] is a [`Geometry`] (1 to 5 levels of unequal index
//! bits, a base page of 16 B to 64 KiB, entries of 1, 2, 4 or 8 bytes) and an
//! [`EntryLayout`] (where the valid bit, the permissions, the accessed and dirty bits, the
//! huge-page marker ([`LeafRule`]), the software bits and the frame-number field sit).
//! [`Preset`] names the real ones (x86-32, x86-64, x86-64 5-level, Sv32..Sv57, AArch64 4 KiB)
//! and the two course machines. One walker serves them all: [`MachineFormat::walk`] records
//! every level it reads ([`Walk`]), [`MachineFormat::access`] also sets the accessed and dirty
//! bits as the MMU does, and [`MachineFormat::map`], [`MachineFormat::unmap`],
//! [`MachineFormat::update`] (protect, clear accessed/dirty), [`MachineFormat::mappings`],
//! [`MachineFormat::duplicate`] and [`MachineFormat::free_tables`] manage tables in the arena.
//! Frame numbers there are `u64`s in the format's base pages (a page's physical address is
//! `frame << page_shift`); table frames come from any [`phys::FrameAllocator`], whose numbers
//! are read in those units. A not-present entry is one whose valid bit is clear: its other
//! bits are free for the kernel (a swap slot, later).
//!
//! **The course machines.** Their tables are walked by the types below, compiled for their
//! constant shifts (the simulator's hot path); the `ajou` and `mtl458` presets describe the
//! same bytes, and a test holds the general walker to the same answers.
//!
//! A [`Pte`] is a 32-bit integer: [`PteFlags`] in the low bits, a frame number in the high 20.
//! A [`PageTable`] is a root frame plus a [`Format`]; the tables themselves live in frames of
//! the arena and are read and written through `bytemuck` casts of those frames, never copied
//! into host structures. Table frames come from a [`phys::FrameAllocator`] (the kernel pool).
//!
//! ```
//! use paging::{Format, PageTable, PteFlags, Vpn};
//! use phys::{MemoryLayout, PhysMemory, Pfn};
//!
//! let mut mem = PhysMemory::new(MemoryLayout::AJOU)?;
//! let table = PageTable::new(&mut mem.arena, &mut mem.kernel, Format::AJOU)?;
//! table.map(&mut mem.arena, &mut mem.kernel, Vpn::new(0x12), Pfn::new(7), PteFlags::READ)?;
//! let pte = table.translate(&mem.arena, Vpn::new(0x12)).expect("mapped");
//! assert_eq!(pte.frame(), Pfn::new(7));
//! assert!(pte.flags().contains(PteFlags::PRESENT | PteFlags::READ));
//! assert!(table.translate(&mem.arena, Vpn::new(0x13)).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod addr;
mod format;
mod geometry;
mod layout;
mod machine_format;
mod preset;
mod pte;
mod table;
mod tables;
mod walk;
mod walker;

pub use addr::{VirtAddr, Vpn};
pub use format::{Format, FormatError};
pub use geometry::{Geometry, GeometryError, MAX_LEVEL_BITS, MAX_LEVELS, MAX_PAGE_SHIFT, MIN_PAGE_SHIFT};
pub use layout::{EncodeError, Entry, EntryBits, EntryKind, EntryLayout, LayoutError, LeafRule, PermBit};
pub use machine_format::MachineFormat;
pub use preset::{Preset, UnknownPreset};
pub use pte::{Absent, AbsentKind, FrameTooLarge, Pte, PteFlags};
pub use table::{EntryAddr, LeafTable, MapError, PageTable, UnmapError};
/// Errors of the general tables' operations ([`MachineFormat::map`], [`MachineFormat::update`]).
pub mod general {
    pub use crate::tables::{MapError, UpdateError};
}
pub use tables::Mapping;
pub use walk::{FaultKind, Op, Request, Translation, Walk, WalkFault, WalkStep};
pub use walker::Walker;
