//! `2q` (Johnson and Shasha, VLDB 1994, the full version): three queues. `A1in`, a FIFO of
//! resident pages seen once; `Am`, an LRU of resident pages seen again; `A1out`, a FIFO of the
//! numbers of pages recently evicted from `A1in` (no frame: "ghosts"). `Kin = max(1, ⌊n/4⌋)`,
//! `Kout = max(1, ⌊n/2⌋)`.
//! - A hit in `Am` moves the page to `Am`'s recent end; a hit in `A1in` changes nothing.
//! - A miss on a page in `A1out` loads it into `Am` (and drops its ghost); any other miss
//!   loads it at `A1in`'s tail.
//! - With memory full, if `A1in` holds more than `Kin` pages, or `Am` is empty, `A1in`'s
//!   oldest page is evicted and its number joins `A1out` (whose oldest number is dropped
//!   beyond `Kout`); otherwise `Am`'s least recent page is evicted, leaving no ghost.
//!
//! O(1) amortised.

use std::collections::{HashMap, VecDeque};

use crate::list::List;
use crate::{Frame, FrameBits, FrameNote, Page, Policy, Ref};

/// Full 2Q: `A1in` FIFO, `Am` LRU, `A1out` ghosts.
#[derive(Debug, Clone)]
pub struct TwoQ {
    a1in: List,
    am: List,
    kin: usize,
    kout: usize,
    page: Vec<Page>,
    /// `A1out`: ghost numbers in order, with the sequence number that is current for each in
    /// `ghost` (entries whose number no longer matches are stale and skipped).
    order: VecDeque<(Page, u64)>,
    ghost: HashMap<Page, u64>,
    seq: u64,
}

impl TwoQ {
    /// 2Q over `frames` frames.
    pub fn new(frames: usize) -> TwoQ {
        TwoQ {
            a1in: List::new(frames),
            am: List::new(frames),
            kin: (frames / 4).max(1),
            kout: (frames / 2).max(1),
            page: vec![0; frames],
            order: VecDeque::new(),
            ghost: HashMap::new(),
            seq: 0,
        }
    }

    fn add_ghost(&mut self, page: Page) {
        self.seq += 1;
        self.ghost.insert(page, self.seq);
        self.order.push_back((page, self.seq));
        while self.ghost.len() > self.kout {
            match self.order.pop_front() {
                Some((p, s)) if self.ghost.get(&p) == Some(&s) => {
                    self.ghost.remove(&p);
                }
                Some(_) => {}
                None => break,
            }
        }
        // Stale entries (ghosts that were hit) are dropped in bulk, so `order` stays
        // within a constant factor of `Kout`.
        if self.order.len() > 2 * self.kout + 2 {
            let ghost = &self.ghost;
            self.order.retain(|(p, s)| ghost.get(p) == Some(s));
        }
    }
}

impl Policy for TwoQ {
    fn hit(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        if self.am.contains(f) {
            self.am.move_to_back(f);
        }
    }
    fn insert(&mut self, f: Frame, r: Ref, _: &mut dyn FrameBits) {
        if let Some(p) = self.page.get_mut(f.0) {
            *p = r.page;
        }
        if self.ghost.remove(&r.page).is_some() {
            self.am.push_back(f);
        } else {
            self.a1in.push_back(f);
        }
    }
    fn victim(&mut self, _: Ref, _: &mut dyn FrameBits) -> Frame {
        let from_a1in = self.a1in.len() > self.kin || self.am.len() == 0;
        let f = if from_a1in { self.a1in.front() } else { self.am.front() };
        f.or(self.a1in.front()).unwrap_or(Frame(0))
    }
    fn evict(&mut self, f: Frame) {
        if self.a1in.contains(f) {
            self.a1in.remove(f);
            let page = self.page.get(f.0).copied().unwrap_or(0);
            self.add_ghost(page);
        } else {
            self.am.remove(f);
        }
    }
    fn remove(&mut self, f: Frame) {
        self.a1in.remove(f);
        self.am.remove(f);
    }
    fn note(&self, f: Frame, _: &dyn FrameBits) -> Option<FrameNote> {
        Some(FrameNote::Segment(if self.am.contains(f) { "am" } else { "in" }))
    }
}
