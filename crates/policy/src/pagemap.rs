//! A small open-addressing hash map from page numbers to values: the driver's page -> frame
//! table, and OPT's next-use pass.
//!
//! Why not `std::collections::HashMap`: the lookup is the whole cost of a hit, and a map keyed
//! by a page number needs neither SipHash (traces are the user's own input, so there is no
//! attacker to resist) nor deletion (the driver marks an evicted page instead of removing
//! it). Linear probing in one flat array of (key, value) pairs, a multiplicative (Fibonacci)
//! hash, at most half full: a lookup is one multiply and, almost always, one cache line.
//! Memory grows with the distinct pages held, never with the frames asked for.

use crate::Page;

/// The key that marks an empty slot; the page `u64::MAX` itself is kept beside the table.
const EMPTY: Page = Page::MAX;
/// The smallest table, in slots.
const MIN_SLOTS: usize = 16;

/// A map from pages to `V`.
#[derive(Debug, Clone)]
pub(crate) struct PageMap<V> {
    slots: Vec<(Page, V)>,
    /// `64 - log2(slots.len())`: the hash keeps the product's top bits.
    shift: u32,
    len: usize,
    /// The value of page `u64::MAX`, which cannot live in `slots`.
    max_page: Option<V>,
}

/// Where a page is, or would go, in a [`PageMap`], so that a caller can write there without a
/// second probe. [`PageMap::set`] checks it, so a slot kept after the map grew is safe, only
/// slower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot<V> {
    /// The page is at this index, with this value.
    Found(usize, V),
    /// The page is absent; this empty index ends its probe run.
    Vacant(usize),
    /// The page `u64::MAX`, kept beside the table.
    Max(Option<V>),
}

impl<V: Copy + Default> PageMap<V> {
    /// An empty map.
    pub(crate) fn new() -> PageMap<V> {
        PageMap::with_slots(MIN_SLOTS)
    }

    fn with_slots(n: usize) -> PageMap<V> {
        PageMap { slots: vec![(EMPTY, V::default()); n], shift: 64 - n.trailing_zeros(), len: 0, max_page: None }
    }

    /// Where `page` is, or would be inserted.
    #[inline]
    pub(crate) fn find(&self, page: Page) -> Slot<V> {
        if page == EMPTY {
            return Slot::Max(self.max_page);
        }
        let mask = self.mask();
        let mut i = self.home(page);
        loop {
            let (k, v) = self.slots[i];
            if k == page {
                return Slot::Found(i, v);
            }
            if k == EMPTY {
                return Slot::Vacant(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the value of `page` at `slot`, which [`find`](Self::find) returned for it (for a
    /// `Vacant` slot the page is added). A slot that is not `page`'s (or not empty) any more,
    /// or a table half full, falls back to [`insert`](Self::insert).
    #[inline]
    pub(crate) fn set(&mut self, slot: Slot<V>, page: Page, value: V) {
        match slot {
            Slot::Found(i, _) if self.slots.get(i).is_some_and(|s| s.0 == page) => self.slots[i].1 = value,
            Slot::Vacant(i)
                if (self.len + 1) * 2 <= self.slots.len() && self.slots.get(i).is_some_and(|s| s.0 == EMPTY) =>
            {
                self.slots[i] = (page, value);
                self.len += 1;
            }
            _ => {
                self.insert(page, value);
            }
        }
    }

    #[inline]
    fn home(&self, page: Page) -> usize {
        // The top bits of the product by 2^64 / phi are well mixed even for sequential pages;
        // the shift leaves an index below `slots.len()`.
        (page.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The value of `page`, if present.
    #[inline]
    pub(crate) fn get(&self, page: Page) -> Option<V> {
        if page == EMPTY {
            return self.max_page;
        }
        let mask = self.mask();
        let mut i = self.home(page);
        loop {
            let (k, v) = self.slots[i];
            if k == page {
                return Some(v);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the value of `page`; returns the previous one.
    pub(crate) fn insert(&mut self, page: Page, value: V) -> Option<V> {
        if page == EMPTY {
            return self.max_page.replace(value);
        }
        let mask = self.mask();
        let mut i = self.home(page);
        loop {
            let (k, v) = self.slots[i];
            if k == page {
                self.slots[i].1 = value;
                return Some(v);
            }
            if k == EMPTY {
                // At most half full: probe runs stay short, and a lookup always meets an
                // empty slot.
                if (self.len + 1) * 2 > self.slots.len() {
                    self.grow();
                    return self.insert(page, value);
                }
                self.slots[i] = (page, value);
                self.len += 1;
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let max_page = self.max_page.take();
        *self = PageMap::with_slots(old.len() * 2);
        self.max_page = max_page;
        for (k, v) in old {
            if k != EMPTY {
                self.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Against `std`'s map, on keys crowded into a few slots' worth of hashes and the
        /// sentinel page.
        #[test]
        fn behaves_as_a_hash_map(ops in proptest::collection::vec((0u8..3, prop_oneof![0u64..40, Just(u64::MAX), any::<u64>()], any::<u32>()), 0..400)) {
            let mut fast = PageMap::<u32>::new();
            let mut slow = HashMap::new();
            for (op, k, v) in ops {
                match op {
                    0 => prop_assert_eq!(fast.insert(k, v), slow.insert(k, v)),
                    1 => {
                        let slot = fast.find(k);
                        let before = match slot {
                            Slot::Found(_, v) => Some(v),
                            Slot::Max(v) => v,
                            Slot::Vacant(_) => None,
                        };
                        prop_assert_eq!(before, slow.get(&k).copied());
                        fast.set(slot, k, v);
                        slow.insert(k, v);
                    }
                    _ => prop_assert_eq!(fast.get(k), slow.get(&k).copied()),
                }
                prop_assert_eq!(fast.len + usize::from(fast.max_page.is_some()), slow.len());
            }
            for (k, v) in &slow {
                prop_assert_eq!(fast.get(*k), Some(*v));
            }
        }
    }
}
