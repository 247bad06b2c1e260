//! LRU for every memory size in one pass (Mattson et al., 1970): LRU is a stack algorithm, so a
//! reference hits in c frames exactly when its stack distance (1 + the distinct pages
//! referenced since its previous reference) is at most c. Distances come from a Fenwick tree
//! over reference times holding a mark at each page's latest reference: O(log n) a reference.

use std::collections::HashMap;

use crate::refs::PageRef;

/// The stack-distance histogram of a reference string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackDistances {
    /// `hist[d]`: references at stack distance `d` (index 0 unused).
    hist: Vec<u64>,
    /// First references to a page (infinite distance: a miss at every size).
    cold: u64,
    /// References in all.
    total: u64,
}

impl StackDistances {
    /// Computes the histogram of `refs`.
    #[must_use]
    pub fn new(refs: &[PageRef]) -> Self {
        let n = refs.len();
        let mut tree = vec![0i64; n + 1];
        let add = |tree: &mut Vec<i64>, i: usize, v: i64| {
            let mut i = i + 1;
            while i <= n {
                tree[i] += v;
                i += i & i.wrapping_neg();
            }
        };
        // Marks at times 0..=i.
        let prefix = |tree: &Vec<i64>, i: usize| -> i64 {
            let mut i = i + 1;
            let mut s = 0;
            while i > 0 {
                s += tree[i];
                i &= i - 1;
            }
            s
        };
        let mut last: HashMap<u64, usize> = HashMap::new();
        let mut hist = vec![0u64; 2];
        let mut cold = 0;
        for (t, r) in refs.iter().enumerate() {
            match last.insert(r.page, t) {
                Some(p) => {
                    // Distinct pages referenced after p and before t, plus this page itself.
                    let between = prefix(&tree, t.saturating_sub(1)) - prefix(&tree, p);
                    let d = usize::try_from(between).unwrap_or(0) + 1;
                    if d >= hist.len() {
                        hist.resize(d + 1, 0);
                    }
                    hist[d] += 1;
                    add(&mut tree, p, -1);
                }
                None => cold += 1,
            }
            add(&mut tree, t, 1);
        }
        StackDistances { hist, cold, total: n as u64 }
    }

    /// Page faults of LRU with `frames` frames (cold misses included).
    #[must_use]
    pub fn lru_faults(&self, frames: usize) -> u64 {
        let hits: u64 = self.hist.iter().take(frames.saturating_add(1)).sum();
        self.total - hits
    }

    /// First references (the faults of an infinite memory).
    #[must_use]
    pub fn cold(&self) -> u64 {
        self.cold
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Spec, simulate};
    use proptest::prelude::*;

    #[test]
    fn belady_string() {
        let refs: Vec<PageRef> = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5].map(PageRef::read).to_vec();
        let s = StackDistances::new(&refs);
        // LRU on Belady's string: 10 faults with 3 frames, 8 with 4 (worked by hand).
        assert_eq!((s.lru_faults(3), s.lru_faults(4)), (10, 8));
        assert_eq!(s.cold(), 5);
        assert_eq!(s.lru_faults(5), 5);
    }

    proptest! {
        #[test]
        fn agrees_with_simulation(pages in proptest::collection::vec(0u64..12, 0..300), frames in 1usize..14) {
            let refs: Vec<PageRef> = pages.into_iter().map(PageRef::read).collect();
            let s = StackDistances::new(&refs);
            prop_assert_eq!(s.lru_faults(frames), simulate(&refs, Spec::Lru, frames).unwrap().page_faults);
        }
    }
}
