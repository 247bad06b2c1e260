//! The byte arena: the machine's RAM, allocated lazily and zeroed by the host's allocator.

use crate::{PAGE_SIZE, Pfn, PhysAddr};

/// Words of storage behind one frame. The arena is stored as `u64`s so that every frame is
/// 8-byte aligned, which lets page tables be read through `bytemuck` casts of their frame.
const WORDS_PER_FRAME: usize = PAGE_SIZE / size_of::<u64>();

/// The largest arena this crate builds: 2^22 frames, 16 GiB. The limit keeps an absurd request
/// an error instead of an allocation failure, which would abort the host process.
pub const MAX_FRAMES: u32 = 1 << 22;

/// The arena could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArenaError {
    /// The requested size is over [`MAX_FRAMES`].
    #[error("an arena of {frames} frames is larger than the limit of {MAX_FRAMES} frames")]
    TooLarge {
        /// The number of frames asked for.
        frames: u32,
    },
}

/// An access named a byte or frame outside the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// A byte address past the end of the arena.
    #[error("physical address {addr} is outside the arena of {size:#x} bytes")]
    Address {
        /// The address asked for.
        addr: PhysAddr,
        /// The arena's size in bytes.
        size: u64,
    },
    /// A frame number past the end of the arena.
    #[error("frame {frame} is outside the arena of {frames} frames")]
    Frame {
        /// The frame asked for.
        frame: Pfn,
        /// The number of frames in the arena.
        frames: u32,
    },
    /// A frame cannot be viewed as a slice of the requested type (its alignment exceeds 8).
    #[error("frame {frame} cannot be viewed as the requested type")]
    Cast {
        /// The frame asked for.
        frame: Pfn,
    },
}

/// The machine's RAM: `frames * PAGE_SIZE` bytes.
///
/// Creating an arena costs almost no resident memory: the storage comes from the allocator's
/// zeroed allocation (`calloc`, i.e. fresh anonymous pages for large sizes), so a page of the
/// host becomes resident only when written. To keep it that way the arena never writes a frame
/// that is already zero: it tracks, per frame, whether the frame may hold non-zero bytes
/// ("dirty"), and [`Arena::zero_frame`] only clears dirty frames.
pub struct Arena {
    words: Box<[u64]>,
    dirty: Vec<u64>,
    frames: u32,
}

impl Arena {
    /// A zeroed arena of `frames` frames.
    ///
    /// # Errors
    /// [`ArenaError::TooLarge`] if `frames` is over [`MAX_FRAMES`].
    pub fn new(frames: u32) -> Result<Self, ArenaError> {
        if frames > MAX_FRAMES {
            return Err(ArenaError::TooLarge { frames });
        }
        let words = frames as usize * WORDS_PER_FRAME;
        Ok(Arena {
            // `vec![0; n]` of an integer type is allocated with `alloc_zeroed`: no page is touched.
            words: vec![0u64; words].into_boxed_slice(),
            // Grown as frames are written: a bitmap sized for 131,072 frames would be 16 KiB
            // of the host's memory for a machine that uses a few hundred.
            dirty: Vec::new(),
            frames,
        })
    }

    /// The number of frames.
    #[inline]
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// The size in bytes.
    #[inline]
    pub fn size(&self) -> u64 {
        self.frames as u64 * PAGE_SIZE as u64
    }

    /// The whole arena as bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.words)
    }

    /// The whole arena viewed as a slice of `T`; empty if `T` needs more than 8-byte alignment
    /// or its size does not divide the arena. Indexing one flat view is what makes translation
    /// cheap: a table entry is `view[table_frame * entries_per_frame + index]`, one bounds check.
    #[inline]
    pub fn view<T: bytemuck::Pod>(&self) -> &[T] {
        bytemuck::try_cast_slice(&self.words).unwrap_or(&[])
    }

    /// The byte at `addr`.
    ///
    /// # Errors
    /// [`AddressError::Address`] if `addr` is outside the arena.
    #[inline]
    pub fn read_byte(&self, addr: PhysAddr) -> Result<u8, AddressError> {
        match self.bytes().get(addr.as_u64() as usize) {
            Some(&b) => Ok(b),
            None => Err(self.address_error(addr)),
        }
    }

    /// Writes `byte` at `addr`.
    ///
    /// # Errors
    /// [`AddressError::Address`] if `addr` is outside the arena.
    #[inline]
    pub fn write_byte(&mut self, addr: PhysAddr, byte: u8) -> Result<(), AddressError> {
        let i = addr.as_u64() as usize;
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.words);
        match bytes.get_mut(i) {
            Some(b) => {
                *b = byte;
                mark_dirty(&mut self.dirty, Pfn::containing(addr));
                Ok(())
            }
            None => Err(self.address_error(addr)),
        }
    }

    /// The `len` bytes from `addr`: for tables and pages whose size is not the arena's
    /// 4 KiB frame (a general paging format's entries are read this way).
    ///
    /// # Errors
    /// [`AddressError::Address`] if any byte of the range is outside the arena.
    #[inline]
    pub fn read_bytes(&self, addr: PhysAddr, len: usize) -> Result<&[u8], AddressError> {
        let start = addr.as_u64();
        match start.checked_add(len as u64) {
            Some(end) if end <= self.size() => Ok(&self.bytes()[start as usize..end as usize]),
            _ => Err(self.address_error(addr)),
        }
    }

    /// The `len` bytes from `addr`, writable. Every frame they touch is marked as possibly
    /// non-zero.
    ///
    /// # Errors
    /// [`AddressError::Address`] if any byte of the range is outside the arena.
    pub fn write_bytes(&mut self, addr: PhysAddr, len: usize) -> Result<&mut [u8], AddressError> {
        let start = addr.as_u64();
        let end = match start.checked_add(len as u64) {
            Some(end) if end <= self.size() => end,
            _ => return Err(self.address_error(addr)),
        };
        if len > 0 {
            for frame in (start >> crate::PAGE_SHIFT)..=((end - 1) >> crate::PAGE_SHIFT) {
                mark_dirty(&mut self.dirty, Pfn::new(frame as u32));
            }
        }
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.words);
        Ok(&mut bytes[start as usize..end as usize])
    }

    /// Makes the `len` bytes from `addr` zero. Frames never written since they were last zeroed
    /// are skipped, as [`Arena::zero_frame`] skips them; a frame covered whole becomes clean.
    ///
    /// # Errors
    /// [`AddressError::Address`] if any byte of the range is outside the arena.
    pub fn zero_bytes(&mut self, addr: PhysAddr, len: usize) -> Result<(), AddressError> {
        let start = addr.as_u64();
        let end = match start.checked_add(len as u64) {
            Some(end) if end <= self.size() => end,
            _ => return Err(self.address_error(addr)),
        };
        let mut at = start;
        while at < end {
            let frame = Pfn::containing(PhysAddr::new(at));
            let frame_end = frame.start_address().as_u64() + PAGE_SIZE as u64;
            let stop = frame_end.min(end);
            if self.is_dirty(frame) {
                if at == frame.start_address().as_u64() && stop == frame_end {
                    self.zero_frame(frame)?;
                } else {
                    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.words);
                    bytes[at as usize..stop as usize].fill(0);
                }
            }
            at = stop;
        }
        Ok(())
    }

    /// The 4 KiB of `frame`.
    ///
    /// # Errors
    /// [`AddressError::Frame`] if `frame` is outside the arena.
    #[inline]
    pub fn frame(&self, frame: Pfn) -> Result<&[u8], AddressError> {
        Ok(bytemuck::cast_slice(self.frame_words(frame)?))
    }

    /// The 4 KiB of `frame`, writable. The frame is marked as possibly non-zero.
    ///
    /// # Errors
    /// [`AddressError::Frame`] if `frame` is outside the arena.
    #[inline]
    pub fn frame_mut(&mut self, frame: Pfn) -> Result<&mut [u8], AddressError> {
        Ok(bytemuck::cast_slice_mut(self.frame_words_mut(frame)?))
    }

    /// The frame viewed as a slice of `T` (for example page-table entries).
    ///
    /// # Errors
    /// [`AddressError::Frame`] if `frame` is outside the arena, [`AddressError::Cast`] if `T`
    /// needs more than 8-byte alignment.
    #[inline]
    pub fn frame_as<T: bytemuck::Pod>(&self, frame: Pfn) -> Result<&[T], AddressError> {
        bytemuck::try_cast_slice(self.frame_words(frame)?).map_err(|_| AddressError::Cast { frame })
    }

    /// The frame viewed as a mutable slice of `T`. The frame is marked as possibly non-zero.
    ///
    /// # Errors
    /// As [`Arena::frame_as`].
    #[inline]
    pub fn frame_as_mut<T: bytemuck::Pod>(&mut self, frame: Pfn) -> Result<&mut [T], AddressError> {
        bytemuck::try_cast_slice_mut(self.frame_words_mut(frame)?).map_err(|_| AddressError::Cast { frame })
    }

    /// Two distinct frames viewed as mutable slices of `T` at once (for example a parent's and a
    /// child's page table). Both frames are marked as possibly non-zero.
    ///
    /// # Errors
    /// [`AddressError::Frame`] if either frame is outside the arena or both are the same frame,
    /// [`AddressError::Cast`] if `T` needs more than 8-byte alignment.
    pub fn frame_pair_as_mut<T: bytemuck::Pod>(
        &mut self,
        a: Pfn,
        b: Pfn,
    ) -> Result<(&mut [T], &mut [T]), AddressError> {
        let ra = self.word_range(a)?;
        let rb = self.word_range(b)?;
        if a == b {
            return Err(AddressError::Frame { frame: b, frames: self.frames });
        }
        mark_dirty(&mut self.dirty, a);
        mark_dirty(&mut self.dirty, b);
        let (wa, wb) = if ra.start < rb.start {
            let (lo, hi) = self.words.split_at_mut(rb.start);
            (&mut lo[ra], &mut hi[..WORDS_PER_FRAME])
        } else {
            let (lo, hi) = self.words.split_at_mut(ra.start);
            (&mut hi[..WORDS_PER_FRAME], &mut lo[rb])
        };
        let ta = bytemuck::try_cast_slice_mut(wa).map_err(|_| AddressError::Cast { frame: a })?;
        let tb = bytemuck::try_cast_slice_mut(wb).map_err(|_| AddressError::Cast { frame: b })?;
        Ok((ta, tb))
    }

    /// Copies all of `src` over `dst`.
    ///
    /// # Errors
    /// [`AddressError::Frame`] if either frame is outside the arena.
    pub fn copy_frame(&mut self, src: Pfn, dst: Pfn) -> Result<(), AddressError> {
        let s = self.word_range(src)?;
        let d = self.word_range(dst)?;
        if s.start != d.start {
            self.words.copy_within(s, d.start);
            mark_dirty(&mut self.dirty, dst);
        }
        Ok(())
    }

    /// Makes every byte of `frame` zero. A frame never written since it was last zeroed is left
    /// untouched, so that zeroing costs nothing (and no resident memory) for fresh frames.
    ///
    /// # Errors
    /// [`AddressError::Frame`] if `frame` is outside the arena.
    pub fn zero_frame(&mut self, frame: Pfn) -> Result<(), AddressError> {
        let r = self.word_range(frame)?;
        let (word, bit) = dirty_bit(frame);
        if let Some(w) = self.dirty.get_mut(word)
            && *w & bit != 0
        {
            self.words[r].fill(0);
            *w &= !bit;
        }
        Ok(())
    }

    /// Makes every byte of the arena zero again, as [`Arena::new`] left it, clearing only the
    /// frames written since they were last zeroed: the cost is the dirty frames' bytes plus one
    /// bit per frame, not the arena's size. Used to reuse one machine for many runs.
    pub fn zero_all(&mut self) {
        for (word, bits) in self.dirty.iter_mut().enumerate() {
            let mut b = *bits;
            while b != 0 {
                let frame = word * 64 + b.trailing_zeros() as usize;
                self.words[frame * WORDS_PER_FRAME..(frame + 1) * WORDS_PER_FRAME].fill(0);
                b &= b - 1;
            }
            *bits = 0;
        }
    }

    /// Whether `frame` may hold non-zero bytes (it was written since it was last zeroed).
    /// Frames outside the arena are reported clean.
    pub fn is_dirty(&self, frame: Pfn) -> bool {
        let (word, bit) = dirty_bit(frame);
        self.dirty.get(word).is_some_and(|w| w & bit != 0)
    }

    fn frame_words(&self, frame: Pfn) -> Result<&[u64], AddressError> {
        let r = self.word_range(frame)?;
        Ok(&self.words[r])
    }

    fn frame_words_mut(&mut self, frame: Pfn) -> Result<&mut [u64], AddressError> {
        let r = self.word_range(frame)?;
        mark_dirty(&mut self.dirty, frame);
        Ok(&mut self.words[r])
    }

    #[inline]
    fn word_range(&self, frame: Pfn) -> Result<core::ops::Range<usize>, AddressError> {
        if frame.as_u32() < self.frames {
            let start = frame.index() * WORDS_PER_FRAME;
            Ok(start..start + WORDS_PER_FRAME)
        } else {
            Err(AddressError::Frame { frame, frames: self.frames })
        }
    }

    #[cold]
    fn address_error(&self, addr: PhysAddr) -> AddressError {
        AddressError::Address { addr, size: self.size() }
    }
}

impl core::fmt::Debug for Arena {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Arena").field("frames", &self.frames).finish_non_exhaustive()
    }
}

#[inline]
fn dirty_bit(frame: Pfn) -> (usize, u64) {
    (frame.index() / 64, 1u64 << (frame.index() % 64))
}

/// Callers have already checked that `frame` is inside the arena. The bitmap grows to the
/// highest frame written, never past the arena.
#[inline]
fn mark_dirty(dirty: &mut Vec<u64>, frame: Pfn) {
    let (word, bit) = dirty_bit(frame);
    match dirty.get_mut(word) {
        Some(w) => *w |= bit,
        None => grow_dirty(dirty, word, bit),
    }
}

#[cold]
#[inline(never)]
fn grow_dirty(dirty: &mut Vec<u64>, word: usize, bit: u64) {
    dirty.resize(word + 1, 0);
    dirty[word] |= bit;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_bounds_are_errors() {
        let mut a = Arena::new(4).unwrap();
        assert_eq!(a.size(), 4 * 4096);
        a.write_byte(PhysAddr::new(4096 * 3 + 7), 9).unwrap();
        assert_eq!(a.read_byte(PhysAddr::new(4096 * 3 + 7)), Ok(9));
        assert!(a.read_byte(PhysAddr::new(4 * 4096)).is_err());
        assert!(a.write_byte(PhysAddr::new(u64::MAX), 1).is_err());
        assert!(a.frame(Pfn::new(4)).is_err());
        assert!(a.zero_frame(Pfn::new(4)).is_err());
        assert!(a.copy_frame(Pfn::new(0), Pfn::new(9)).is_err());
    }

    #[test]
    fn zero_all_restores_a_fresh_arena() {
        let mut a = Arena::new(130).unwrap();
        for f in [0u32, 63, 64, 129] {
            a.write_bytes(PhysAddr::new(u64::from(f) * PAGE_SIZE as u64 + 5), 2).unwrap().fill(7);
        }
        a.zero_all();
        let fresh = Arena::new(130).unwrap();
        for f in 0..130 {
            assert!(!a.is_dirty(Pfn::new(f)), "frame {f} still dirty");
        }
        assert!(a.words == fresh.words, "every byte is zero again");
    }

    #[test]
    fn zeroing_clears_only_dirty_frames() {
        let mut a = Arena::new(3).unwrap();
        assert!(!a.is_dirty(Pfn::new(1)));
        a.frame_mut(Pfn::new(1)).unwrap()[100] = 5;
        assert!(a.is_dirty(Pfn::new(1)));
        a.copy_frame(Pfn::new(1), Pfn::new(2)).unwrap();
        assert_eq!(a.frame(Pfn::new(2)).unwrap()[100], 5);
        assert!(a.is_dirty(Pfn::new(2)));
        a.zero_frame(Pfn::new(1)).unwrap();
        assert!(!a.is_dirty(Pfn::new(1)));
        assert!(a.frame(Pfn::new(1)).unwrap().iter().all(|&b| b == 0));
        assert_eq!(a.frame(Pfn::new(2)).unwrap()[100], 5);
    }

    #[test]
    fn frame_pairs_borrow_two_frames_in_either_order() {
        let mut a = Arena::new(4).unwrap();
        let (x, y) = a.frame_pair_as_mut::<u32>(Pfn::new(3), Pfn::new(1)).unwrap();
        x[0] = 3;
        y[0] = 1;
        assert_eq!(a.read_byte(PhysAddr::new(3 * 4096)), Ok(3));
        assert_eq!(a.read_byte(PhysAddr::new(4096)), Ok(1));
        assert!(a.frame_pair_as_mut::<u32>(Pfn::new(2), Pfn::new(2)).is_err());
        assert!(a.frame_pair_as_mut::<u32>(Pfn::new(2), Pfn::new(4)).is_err());
    }

    #[test]
    fn the_flat_view_sees_every_frame() {
        let mut a = Arena::new(2).unwrap();
        a.write_byte(PhysAddr::new(4096 + 4), 0x11).unwrap();
        let v = a.view::<u32>();
        assert_eq!(v.len(), 2048);
        assert_eq!(v[1024 + 1], 0x11);
        assert!(a.view::<[u64; 3]>().is_empty());
    }

    #[test]
    fn frames_cast_to_wider_pod_types() {
        let mut a = Arena::new(2).unwrap();
        a.frame_as_mut::<u32>(Pfn::new(1)).unwrap()[3] = 0xdead_beef;
        assert_eq!(a.frame_as::<u32>(Pfn::new(1)).unwrap().len(), 1024);
        assert_eq!(a.read_byte(PhysAddr::new(4096 + 12)), Ok(0xef));
    }

    #[test]
    fn byte_ranges_cross_frames_and_keep_the_dirty_record() {
        let mut a = Arena::new(3).unwrap();
        a.write_bytes(PhysAddr::new(4094), 4).unwrap().copy_from_slice(&[1, 2, 3, 4]);
        assert!(a.is_dirty(Pfn::new(0)) && a.is_dirty(Pfn::new(1)) && !a.is_dirty(Pfn::new(2)));
        assert_eq!(a.read_bytes(PhysAddr::new(4094), 4), Ok(&[1u8, 2, 3, 4][..]));
        assert!(a.read_bytes(PhysAddr::new(3 * 4096 - 1), 2).is_err());
        assert!(a.write_bytes(PhysAddr::new(u64::MAX), 2).is_err());
        a.zero_bytes(PhysAddr::new(4095), 4097).unwrap();
        assert_eq!(a.read_bytes(PhysAddr::new(4094), 4), Ok(&[1u8, 0, 0, 0][..]));
        assert!(a.is_dirty(Pfn::new(0)) && !a.is_dirty(Pfn::new(1)));
        assert!(a.zero_bytes(PhysAddr::new(3 * 4096), 1).is_err());
    }

    #[test]
    fn absurd_sizes_are_refused_not_allocated() {
        assert_eq!(Arena::new(MAX_FRAMES + 1).unwrap_err(), ArenaError::TooLarge { frames: MAX_FRAMES + 1 });
        assert_eq!(Arena::new(u32::MAX).unwrap_err(), ArenaError::TooLarge { frames: u32::MAX });
    }
}
