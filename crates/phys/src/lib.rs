//! Physical memory of the simulated machine: the byte arena, its frame pools and map counts.
//!
//! The machine's RAM is one [`Arena`] of bytes cut into 4 KiB frames. Frames are handed out by
//! [`FramePool`]s, each a contiguous range of the arena (a kernel pool where page tables live, a
//! user pool for process pages), always lowest-numbered first. [`MapCounts`] records, per frame,
//! how many page-table entries map it. [`PhysMemory`] bundles the four for one machine, laid out
//! by a [`MemoryLayout`].
//!
//! This crate knows nothing of page tables or processes: it is the hardware.
//!
//! ```
//! use phys::{FrameAllocator, MemoryLayout, PhysMemory, PAGE_SIZE};
//!
//! let mut mem = PhysMemory::new(MemoryLayout::MTL458)?;
//! let frame = mem.user.allocate_frame()?;
//! assert_eq!(frame.as_u32(), 18_432); // the first user frame, right after the 72 MiB OS region
//! mem.arena.write_byte(frame.start_address(), 0xab)?;
//! assert_eq!(mem.arena.frame(frame)?[0], 0xab);
//! assert_eq!(mem.arena.frame(frame)?.len(), PAGE_SIZE);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod addr;
mod arena;
mod map_count;
mod memory;
mod pool;

pub use addr::{PAGE_SHIFT, PAGE_SIZE, Pfn, PhysAddr};
pub use arena::{AddressError, Arena, ArenaError, MAX_FRAMES};
pub use map_count::{MapCountError, MapCounts};
pub use memory::{LayoutError, MemoryLayout, PhysMemory};
pub use pool::{AllocError, FrameAllocator, FramePool, FreeError, PoolKind};
