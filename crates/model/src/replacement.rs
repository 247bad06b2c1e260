//! A naive restatement of the page replacement policies courses check (issue 13's rules), to
//! test the `policy` crate and trace replays against: a vector of frames scanned linearly,
//! every choice made by searching for it, nothing clever.
//!
//! Rules, for `n` frames starting empty: a reference to a resident page is a hit; any other is
//! a fault (cold ones included). While a frame is free the page goes to the lowest free frame.
//! Otherwise the victim is:
//! - `Fifo`: the page loaded earliest;
//! - `Lru`: the page whose last reference is oldest;
//! - `Opt`: the page whose next reference is furthest; among pages never referenced again,
//!   the least recently used;
//! - `Clock`: a hand over frames `0..n` (at 0 until memory is full); a loaded page has R=1, a
//!   hit sets R=1; on a fault the hand clears R=1 frames and advances, evicts the first R=0
//!   frame and moves one past it;
//! - `Second`: as `Clock`, but a loaded page has R=0.
//!
//! A write dirties its page until the page is evicted; evicting a dirty page is a disk write.

/// A policy, as the model states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// First in, first out.
    Fifo,
    /// Least recently used.
    Lru,
    /// Belady's MIN, least recently used among pages never used again.
    Opt,
    /// The clock; a loaded page has R=1.
    Clock,
    /// Second chance: the clock with a loaded page's R=0.
    Second,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// References to a resident page.
    pub hits: u64,
    /// All other references.
    pub faults: u64,
    /// Evictions of a page written since it was loaded.
    pub dirty_evictions: u64,
    /// Per reference, the page evicted for it, if any.
    pub victims: Vec<Option<u64>>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    page: u64,
    loaded: usize,
    last: usize,
    r: bool,
    dirty: bool,
}

/// Runs `refs` (page, write) through `frames` frames under `rule`. With 0 frames every
/// reference faults and nothing is evicted.
#[must_use]
pub fn run(rule: Rule, frames: usize, refs: &[(u64, bool)]) -> Outcome {
    let mut slots: Vec<Option<Slot>> = vec![None; frames];
    let mut hand = 0;
    let mut out = Outcome::default();
    for (t, &(page, write)) in refs.iter().enumerate() {
        if let Some(s) = slots.iter_mut().flatten().find(|s| s.page == page) {
            out.hits += 1;
            s.last = t;
            s.r = true;
            s.dirty |= write;
            out.victims.push(None);
            continue;
        }
        out.faults += 1;
        let fresh = Slot { page, loaded: t, last: t, r: rule != Rule::Second, dirty: write };
        if let Some(free) = slots.iter().position(Option::is_none) {
            slots[free] = Some(fresh);
            out.victims.push(None);
            continue;
        }
        if frames == 0 {
            out.victims.push(None);
            continue;
        }
        let all: Vec<Slot> = slots.iter().flatten().copied().collect();
        let v = match rule {
            Rule::Fifo => (0..frames).min_by_key(|&i| all[i].loaded).unwrap_or(0),
            Rule::Lru => (0..frames).min_by_key(|&i| all[i].last).unwrap_or(0),
            Rule::Opt => {
                let next = |p: u64| refs[t + 1..].iter().position(|r| r.0 == p).unwrap_or(usize::MAX);
                // Furthest next use first; among equals (never used again) the oldest last use.
                (0..frames).max_by_key(|&i| (next(all[i].page), usize::MAX - all[i].last)).unwrap_or(0)
            }
            Rule::Clock | Rule::Second => loop {
                let i = hand;
                hand = (hand + 1) % frames;
                match &mut slots[i] {
                    Some(s) if s.r => s.r = false,
                    _ => break i,
                }
            },
        };
        let old = slots[v].map(|s| (s.page, s.dirty));
        if let Some((p, dirty)) = old {
            out.dirty_evictions += u64::from(dirty);
            out.victims.push(Some(p));
        } else {
            out.victims.push(None);
        }
        slots[v] = Some(fresh);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn belady_by_hand() {
        let refs: Vec<(u64, bool)> = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5].map(|p| (p, false)).to_vec();
        let f = |rule, n| run(rule, n, &refs).faults;
        assert_eq!((f(Rule::Fifo, 3), f(Rule::Fifo, 4)), (9, 10));
        assert_eq!((f(Rule::Lru, 3), f(Rule::Lru, 4)), (10, 8));
        assert_eq!((f(Rule::Opt, 3), f(Rule::Opt, 4)), (7, 6));
        assert_eq!((f(Rule::Clock, 3), f(Rule::Second, 3)), (9, 10));
    }
}
