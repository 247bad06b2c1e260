//! Page-table entries and the walkers of single- and two-level page tables.
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
mod pte;
mod table;

pub use addr::{VirtAddr, Vpn};
pub use format::{Format, FormatError};
pub use pte::{FrameTooLarge, Pte, PteFlags};
pub use table::{LeafTable, MapError, PageTable, UnmapError, Walker};
