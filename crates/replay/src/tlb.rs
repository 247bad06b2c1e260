//! A TLB model in front of the page table: ENTRIES entries in sets of WAYS, LRU within a set,
//! the set chosen by the low bits of the page number (page mod sets). An evicted page's entry
//! is dropped (the shootdown a kernel does), so a TLB hit is always a resident page.

use crate::error::ReplayError;

/// A TLB's shape: `entries` in sets of `ways` (fully associative when `ways == entries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlbConfig {
    /// Total entries, >= 1.
    pub entries: usize,
    /// Entries a set, >= 1, dividing `entries`.
    pub ways: usize,
}

/// TLB hits and misses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TlbCounts {
    /// References whose translation was in the TLB.
    pub hits: u64,
    /// References that walked the page table (and filled an entry).
    pub misses: u64,
}

/// The TLB: per set, `ways` slots of (page, last use), each holding a translation (the
/// frame, and whether the entry has seen a write, as hardware caches the dirty bit).
#[derive(Debug, Clone)]
pub struct Tlb {
    sets: usize,
    ways: usize,
    /// `page + 1` a slot, 0 for an empty slot.
    tags: Vec<u64>,
    stamps: Vec<u64>,
    frames: Vec<u64>,
    dirty: Vec<bool>,
    clock: u64,
    counts: TlbCounts,
}

impl Tlb {
    /// An empty TLB of shape `config`.
    ///
    /// # Errors
    /// [`ReplayError::TlbShape`] when a count is 0, `ways` does not divide `entries`, or the
    /// TLB is larger than 2^20 entries.
    pub fn new(config: TlbConfig) -> Result<Self, ReplayError> {
        let TlbConfig { entries, ways } = config;
        if entries == 0 || ways == 0 || entries % ways != 0 || entries > 1 << 20 {
            return Err(ReplayError::TlbShape { entries, ways });
        }
        Ok(Tlb {
            sets: entries / ways,
            ways,
            tags: vec![0; entries],
            stamps: vec![0; entries],
            frames: vec![0; entries],
            dirty: vec![false; entries],
            clock: 0,
            counts: TlbCounts::default(),
        })
    }

    fn set(&self, page: u64) -> std::ops::Range<usize> {
        // `sets` fits in u64 and the remainder is below it, so both casts are lossless.
        let s = (page % self.sets as u64) as usize;
        s * self.ways..(s + 1) * self.ways
    }

    /// Looks `page` up: on a hit (counted) its entry becomes the most recently used and its
    /// translation is returned: (slot, frame, dirty). A miss is counted and changes nothing:
    /// [`fill`](Self::fill) loads the translation after the walk.
    pub fn lookup(&mut self, page: u64) -> Option<(usize, u64, bool)> {
        self.clock += 1;
        let tag = page.wrapping_add(1);
        for i in self.set(page) {
            if self.tags[i] == tag {
                self.stamps[i] = self.clock;
                self.counts.hits += 1;
                return Some((i, self.frames[i], self.dirty[i]));
            }
        }
        self.counts.misses += 1;
        None
    }

    /// Loads `page`'s translation into its set's least recently used (or first empty) entry.
    pub fn fill(&mut self, page: u64, frame: u64, dirty: bool) {
        let range = self.set(page);
        let mut lru = range.start;
        for i in range {
            if self.stamps[i] < self.stamps[lru] {
                lru = i;
            }
        }
        self.tags[lru] = page.wrapping_add(1);
        self.stamps[lru] = self.clock;
        self.frames[lru] = frame;
        self.dirty[lru] = dirty;
    }

    /// Marks the entry in `slot` as having seen a write.
    pub fn set_dirty(&mut self, slot: usize) {
        if let Some(d) = self.dirty.get_mut(slot) {
            *d = true;
        }
    }

    /// Looks `page` up: a hit refreshes its entry; a miss fills the set's least recently used
    /// (or first empty) entry.
    pub fn access(&mut self, page: u64) {
        self.clock += 1;
        let tag = page.wrapping_add(1);
        let range = self.set(page);
        let mut lru = range.start;
        for i in range {
            if self.tags[i] == tag {
                self.stamps[i] = self.clock;
                self.counts.hits += 1;
                return;
            }
            if self.stamps[i] < self.stamps[lru] {
                lru = i;
            }
        }
        self.counts.misses += 1;
        self.tags[lru] = tag;
        self.stamps[lru] = self.clock;
    }

    /// Drops `page`'s entry, if any (its page was evicted).
    pub fn invalidate(&mut self, page: u64) {
        let tag = page.wrapping_add(1);
        for i in self.set(page) {
            if self.tags[i] == tag {
                self.tags[i] = 0;
                self.stamps[i] = 0;
            }
        }
    }

    /// Hits and misses so far.
    #[must_use]
    pub fn counts(&self) -> TlbCounts {
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_within_a_set() {
        // 2 entries, fully associative: 1 2 1 3 2 -> miss miss hit miss(evicts 2) miss.
        let mut t = Tlb::new(TlbConfig { entries: 2, ways: 2 }).unwrap();
        for p in [1, 2, 1, 3, 2] {
            t.access(p);
        }
        assert_eq!(t.counts(), TlbCounts { hits: 1, misses: 4 });
    }

    #[test]
    fn direct_mapped_and_invalidate() {
        // 2 sets of 1: pages 0 and 2 share set 0.
        let mut t = Tlb::new(TlbConfig { entries: 2, ways: 1 }).unwrap();
        for p in [0, 1, 2, 1, 0] {
            t.access(p);
        }
        assert_eq!(t.counts(), TlbCounts { hits: 1, misses: 4 });
        t.invalidate(1);
        t.access(1);
        assert_eq!(t.counts().misses, 5);
    }

    #[test]
    fn lookup_then_fill_is_access() {
        // 4 entries in 2 sets of 2, against `access` on the same pages.
        let pages = [0, 2, 4, 0, 1, 3, 5, 1, 2, 6, 0];
        let (mut a, mut b) = (
            Tlb::new(TlbConfig { entries: 4, ways: 2 }).unwrap(),
            Tlb::new(TlbConfig { entries: 4, ways: 2 }).unwrap(),
        );
        for p in pages {
            a.access(p);
            if b.lookup(p).is_none() {
                b.fill(p, p + 100, false);
            }
        }
        assert_eq!(a.counts(), b.counts());
        assert_eq!(b.lookup(0).map(|(_, f, _)| f), Some(100));
    }

    #[test]
    fn bad_shapes() {
        assert!(Tlb::new(TlbConfig { entries: 6, ways: 4 }).is_err());
        assert!(Tlb::new(TlbConfig { entries: 0, ways: 1 }).is_err());
    }
}
