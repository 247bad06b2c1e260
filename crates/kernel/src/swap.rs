//! The swap area of demand paging: slots of 4 KiB, taken lowest first, each counting the
//! absent entries that name it and the resident frame that caches its bytes, if any.
//!
//! The area knows nothing of page tables or policies: demand paging (`evict.rs`, `page_in.rs`,
//! the hooks in `hooks.rs`) decides when a page goes out or comes back, and tells the area
//! which slot gains or loses a user, a cached frame or bytes. A slot is free exactly when no
//! entry names it and no frame caches it; the checker (`SwapArea::check`) holds the counts to
//! the entries actually found in the tables.

use std::collections::BTreeSet;

/// The most swap slots a machine may have: 2^20 (4 GiB of swap), so that the area's
/// bookkeeping stays bounded.
pub const MAX_SWAP_SLOTS: u32 = 1 << 20;

/// One swap slot.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Absent entries that name it.
    users: u32,
    /// The frame index that holds its bytes now, if any (the swap cache).
    cached: Option<u32>,
}

/// The swap area: `len` slots, their users and cached frames, and the bytes of those written.
#[derive(Debug)]
pub(crate) struct SwapArea {
    slots: Vec<Slot>,
    /// The slots' bytes, kept only once written (a slot never written costs no page).
    disk: Vec<Option<Box<[u8]>>>,
    /// Free slots below `unused`; every slot from `unused` up is free too.
    freed: BTreeSet<u32>,
    unused: u32,
}

impl SwapArea {
    /// An area of `len` free slots (the caller bounds `len` by [`MAX_SWAP_SLOTS`]).
    pub(crate) fn new(len: u32) -> SwapArea {
        SwapArea {
            slots: vec![Slot::default(); len as usize],
            disk: vec![None; len as usize],
            freed: BTreeSet::new(),
            unused: 0,
        }
    }

    /// The number of slots.
    pub(crate) fn len(&self) -> u32 {
        self.slots.len() as u32
    }

    /// Slots neither named by an entry nor caching a frame.
    pub(crate) fn free(&self) -> u32 {
        self.freed.len() as u32 + (self.len() - self.unused)
    }

    /// The lowest free slot, taken (still with no user: the caller adds them).
    pub(crate) fn take(&mut self) -> Option<u32> {
        if let Some(s) = self.freed.pop_first() {
            return Some(s);
        }
        (self.unused < self.len()).then(|| {
            self.unused += 1;
            self.unused - 1
        })
    }

    /// Absent entries that name `slot`, or `None` past the area.
    pub(crate) fn users(&self, slot: u32) -> Option<u32> {
        self.slots.get(slot as usize).map(|s| s.users)
    }

    /// The frame index caching `slot`, if any.
    pub(crate) fn cached(&self, slot: u32) -> Option<u32> {
        self.slots.get(slot as usize).and_then(|s| s.cached)
    }

    /// `n` more absent entries name `slot`.
    pub(crate) fn add_users(&mut self, slot: u32, n: u32) {
        if let Some(s) = self.slots.get_mut(slot as usize) {
            s.users += n;
        }
    }

    /// One absent entry naming `slot` is gone (read back, freed, or its process ended); the
    /// slot is freed if that was its last use. Returns the users left.
    pub(crate) fn drop_user(&mut self, slot: u32) -> u32 {
        let Some(s) = self.slots.get_mut(slot as usize) else { return 0 };
        s.users = s.users.saturating_sub(1);
        let left = s.users;
        self.release_if_unused(slot);
        left
    }

    /// Frame index `frame` now caches `slot` (`Some`), or `slot`'s cached frame left
    /// memory (`None`: the slot is freed if no entry names it).
    pub(crate) fn set_cached(&mut self, slot: u32, frame: Option<u32>) {
        if let Some(s) = self.slots.get_mut(slot as usize) {
            s.cached = frame;
        }
        if frame.is_none() {
            self.release_if_unused(slot);
        }
    }

    /// Writes a page's bytes to `slot`.
    pub(crate) fn write(&mut self, slot: u32, bytes: &[u8]) {
        let Some(disk) = self.disk.get_mut(slot as usize) else { return };
        // A slot written before keeps its buffer: no allocation per swap write.
        match disk {
            Some(buf) if buf.len() == bytes.len() => buf.copy_from_slice(bytes),
            other => *other = Some(Box::from(bytes)),
        }
    }

    /// The bytes written to `slot`, if it was ever written.
    pub(crate) fn read(&self, slot: u32) -> Option<&[u8]> {
        self.disk.get(slot as usize).and_then(Option::as_deref)
    }

    /// Frees `slot` if no entry names it and no frame caches it.
    fn release_if_unused(&mut self, slot: u32) {
        let Some(s) = self.slots.get(slot as usize) else { return };
        if s.users == 0 && s.cached.is_none() && !self.is_free(slot) {
            self.disk[slot as usize] = None;
            self.freed.insert(slot);
            // Keep `freed` below `unused` so that `take` stays lowest-first.
            while self.unused > 0 && self.freed.last() == Some(&(self.unused - 1)) {
                self.freed.pop_last();
                self.unused -= 1;
            }
        }
    }

    fn is_free(&self, slot: u32) -> bool {
        slot >= self.unused || self.freed.contains(&slot)
    }

    /// Checks the area against `users`, the absent entries found naming each slot, and
    /// `links`, the slot each frame index says it caches.
    ///
    /// # Errors
    /// The first disagreement, in words (or as [`crate::InvariantError::SwapSlot`] for a
    /// user count).
    pub(crate) fn check(&self, users: &[u32], links: &[Option<u32>]) -> Result<(), crate::InvariantError> {
        use crate::InvariantError as E;
        for (slot, (s, &actual)) in self.slots.iter().zip(users).enumerate() {
            let slot = slot as u32;
            if s.users != actual {
                return Err(E::SwapSlot { slot, recorded: s.users, actual });
            }
            if self.is_free(slot) != (s.users == 0 && s.cached.is_none()) {
                return Err(E::Demand(format!(
                    "swap slot {slot} is free: {}, but has {} users",
                    self.is_free(slot),
                    s.users
                )));
            }
            if let Some(i) = s.cached {
                if links.get(i as usize) != Some(&Some(slot)) {
                    return Err(E::Demand(format!(
                        "swap slot {slot} is cached in frame index {i}, which does not say so"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_lowest_first_and_freed_ones_reused() {
        let mut a = SwapArea::new(4);
        assert_eq!([a.take(), a.take(), a.take()], [Some(0), Some(1), Some(2)]);
        assert_eq!(a.free(), 1);
        a.release_if_unused(1);
        a.release_if_unused(2);
        // The highest freed slots fold back into the untouched range.
        assert_eq!((a.unused, a.freed.len()), (1, 0));
        assert_eq!([a.take(), a.take(), a.take(), a.take()], [Some(1), Some(2), Some(3), None]);
        a.release_if_unused(1);
        assert_eq!(a.take(), Some(1));
        // A slot with a user is not freed.
        a.add_users(0, 1);
        a.release_if_unused(0);
        assert_eq!(a.free(), 0);
        // Its last user gone, it is.
        assert_eq!(a.drop_user(0), 0);
        assert_eq!(a.free(), 1);
        assert_eq!(a.take(), Some(0));
    }

    #[test]
    fn a_cached_slot_stays_until_its_frame_leaves_and_its_bytes_go_with_it() {
        let mut a = SwapArea::new(2);
        let s = a.take().unwrap();
        a.write(s, &[7; 16]);
        a.set_cached(s, Some(3));
        a.release_if_unused(s);
        assert_eq!((a.free(), a.cached(s), a.read(s).map(|b| b[0])), (1, Some(3), Some(7)));
        a.check(&[0, 0], &[None, None, None, Some(s)]).unwrap();
        // A frame that does not link back is caught.
        assert!(a.check(&[0, 0], &[None, None, None, None]).is_err());
        assert!(a.check(&[1, 0], &[None, None, None, Some(s)]).is_err());
        a.set_cached(s, None);
        assert_eq!((a.free(), a.read(s)), (2, None));
    }
}
