//! An intrusive doubly linked list of frame indices (most recent at the front), O(1) to move a
//! frame to the front, remove it, or take the back: the recency order of LRU and of SFIFO's
//! secondary.

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub(crate) struct FrameList {
    prev: Vec<u32>,
    next: Vec<u32>,
    linked: Vec<bool>,
    head: u32,
    tail: u32,
    len: usize,
}

impl FrameList {
    pub(crate) fn new(n: usize) -> Self {
        FrameList { prev: vec![NIL; n], next: vec![NIL; n], linked: vec![false; n], head: NIL, tail: NIL, len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn contains(&self, f: usize) -> bool {
        self.linked[f]
    }

    pub(crate) fn remove(&mut self, f: usize) {
        if !self.linked[f] {
            return;
        }
        let (p, n) = (self.prev[f], self.next[f]);
        if p == NIL {
            self.head = n;
        } else {
            self.next[p as usize] = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.prev[n as usize] = p;
        }
        self.linked[f] = false;
        self.len -= 1;
    }

    pub(crate) fn push_front(&mut self, f: usize) {
        self.remove(f);
        // Frame indices are below MAX_FRAMES < 2^32 (checked by the driver).
        let fi = f as u32;
        self.prev[f] = NIL;
        self.next[f] = self.head;
        if self.head == NIL {
            self.tail = fi;
        } else {
            self.prev[self.head as usize] = fi;
        }
        self.head = fi;
        self.linked[f] = true;
        self.len += 1;
    }

    /// Moves `f` to the front when it is not there already (the common hit of a hot page).
    #[inline]
    pub(crate) fn touch(&mut self, f: usize) {
        if self.head as usize != f {
            self.push_front(f);
        }
    }

    pub(crate) fn pop_back(&mut self) -> Option<usize> {
        if self.tail == NIL {
            return None;
        }
        let f = self.tail as usize;
        self.remove(f);
        Some(f)
    }
}
