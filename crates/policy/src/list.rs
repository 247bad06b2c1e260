//! An intrusive doubly linked list over frame indices: O(1) push, remove and move, the
//! order structure behind FIFO, LRU, MRU, SIEVE, 2Q and segmented FIFO.

use crate::Frame;

const NIL: usize = usize::MAX;

/// A list of distinct frames in `0..n`, front (oldest) to back (newest).
#[derive(Debug, Clone)]
pub(crate) struct List {
    prev: Vec<usize>,
    next: Vec<usize>,
    member: Vec<bool>,
    head: usize,
    tail: usize,
    len: usize,
}

impl List {
    #[inline]
    pub(crate) fn new(n: usize) -> List {
        List { prev: vec![NIL; n], next: vec![NIL; n], member: vec![false; n], head: NIL, tail: NIL, len: 0 }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn contains(&self, f: Frame) -> bool {
        self.member.get(f.0).copied().unwrap_or(false)
    }

    /// The front (oldest) frame.
    #[inline]
    pub(crate) fn front(&self) -> Option<Frame> {
        (self.head != NIL).then_some(Frame(self.head))
    }

    /// The back (newest) frame.
    #[inline]
    pub(crate) fn back(&self) -> Option<Frame> {
        (self.tail != NIL).then_some(Frame(self.tail))
    }

    /// The frame after `f` (towards the back).
    #[inline]
    pub(crate) fn next_of(&self, f: Frame) -> Option<Frame> {
        let n = *self.next.get(f.0)?;
        (n != NIL).then_some(Frame(n))
    }

    /// Appends `f` at the back; a frame already in the list or out of range is ignored.
    #[inline]
    pub(crate) fn push_back(&mut self, f: Frame) {
        if f.0 >= self.member.len() || self.member[f.0] {
            return;
        }
        self.member[f.0] = true;
        self.prev[f.0] = self.tail;
        self.next[f.0] = NIL;
        if self.tail == NIL {
            self.head = f.0;
        } else {
            self.next[self.tail] = f.0;
        }
        self.tail = f.0;
        self.len += 1;
    }

    /// Removes `f`; a frame not in the list is ignored.
    #[inline]
    pub(crate) fn remove(&mut self, f: Frame) {
        if !self.contains(f) {
            return;
        }
        let (p, n) = (self.prev[f.0], self.next[f.0]);
        if p == NIL {
            self.head = n;
        } else {
            self.next[p] = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.prev[n] = p;
        }
        self.member[f.0] = false;
        self.prev[f.0] = NIL;
        self.next[f.0] = NIL;
        self.len -= 1;
    }

    /// Moves `f` to the back (appends it when absent).
    #[inline]
    pub(crate) fn move_to_back(&mut self, f: Frame) {
        if self.tail != f.0 {
            self.remove(f);
            self.push_back(f);
        }
    }

    /// Removes and returns the front frame.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Frame> {
        let f = self.front()?;
        self.remove(f);
        Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(l: &List) -> Vec<usize> {
        let mut v = Vec::new();
        let mut f = l.front();
        while let Some(x) = f {
            v.push(x.0);
            f = l.next_of(x);
        }
        v
    }

    #[test]
    fn push_remove_move() {
        let mut l = List::new(4);
        for i in [2, 0, 3] {
            l.push_back(Frame(i));
        }
        assert_eq!(order(&l), [2, 0, 3]);
        l.move_to_back(Frame(2));
        assert_eq!(order(&l), [0, 3, 2]);
        l.remove(Frame(3));
        assert_eq!(order(&l), [0, 2]);
        assert_eq!(l.pop_front(), Some(Frame(0)));
        assert_eq!((l.len(), l.back(), l.next_of(Frame(2))), (1, Some(Frame(2)), None));
        l.push_back(Frame(9));
        assert_eq!(l.len(), 1);
    }
}
