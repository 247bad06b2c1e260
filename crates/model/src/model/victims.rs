//! The replacement policies restated for a running machine: which page leaves memory when a
//! frame is needed, chosen by the model itself from `docs/policies.md`'s rules, not by the
//! `policy` crate.
//!
//! In `model::replacement`'s style: one plain vector of what each frame index holds, every
//! choice made by scanning it, nothing clever. Order is kept as event numbers (a counter bumped
//! at every load, reference or move between segments), so "the earliest loaded", "the least
//! recently used", "the head of a FIFO" are minimums. The R and M bits are not kept here: they
//! are the entries' accessed and dirty bits, read and cleared through [`Bits`].
//!
//! `opt` needs the whole reference string in advance (as the kernel's does): a running machine
//! has it only when a test plans every access ([`Victims::with_future`]).

use policy::{OptTies, Options, Spec};

/// The frames' R and M bits, as the machine's entries hold them.
pub(super) trait Bits {
    /// R: some entry mapping frame index `i` has its accessed bit.
    fn referenced(&self, i: usize) -> bool;
    /// Clears R in every entry mapping `i`.
    fn clear_referenced(&mut self, i: usize);
    /// M: some entry mapping `i` has its dirty bit.
    fn modified(&self, i: usize) -> bool;
    /// The indices the policy sees: every frame, or (one process's numbers under local
    /// replacement) as many as that process has numbered.
    fn view(&self) -> usize;
    /// Whether index `i` holds a page of the view (local replacement leaves holes where a
    /// process gave a frame up; the scanning policies pass over them).
    fn resident(&self, i: usize) -> bool;
}

/// One reference as the policies see it: the page (`pid << 48 | vpn`) and the time (successful
/// accesses so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reference {
    pub(super) page: u64,
    pub(super) time: u64,
}

/// What the model keeps about an occupied frame index.
#[derive(Debug, Clone, Copy)]
struct Held {
    /// The page loaded (2q remembers evicted page numbers).
    page: u64,
    /// The event of its load (fifo, sieve's queue).
    loaded: u64,
    /// The event of its last reference, the load included (lru, mru).
    used: u64,
    /// References since the load, the load included (lfu), and the time of the last (its ties).
    count: u64,
    used_at: u64,
    /// Aging's 8-bit counter.
    counter: u8,
    /// In the second segment: sfifo's secondary, 2q's `Am`.
    second: bool,
    /// The event at which it joined the tail of its segment (sfifo, 2q).
    joined: u64,
}

/// A policy's state over `n` frame indices.
#[derive(Debug, Clone)]
pub(super) struct Victims {
    spec: Spec,
    options: Options,
    held: Vec<Option<Held>>,
    /// wsclock's last-use time per frame index, set at load and by the hand.
    last: Vec<u64>,
    /// The hand of clock, second and wsclock.
    hand: usize,
    /// sieve's hand: a frame index, or none (start at the oldest page).
    sieve_hand: Option<usize>,
    /// random's SplitMix64 state.
    rng: u64,
    /// 2q's `A1out`: page numbers evicted from `A1in`, oldest first.
    ghosts: Vec<u64>,
    events: u64,
    /// opt: the page of every reference, by time.
    future: Vec<u64>,
}

impl Victims {
    /// A policy over `n` empty frames; `None` for `opt`.
    pub(super) fn new(spec: Spec, n: usize, options: Options) -> Option<Victims> {
        (spec != Spec::Opt).then(|| Victims::with_future(spec, n, options, Vec::new()))
    }

    /// A policy over `n` empty frames that knows the page of every reference to come, by
    /// time (only `opt` reads it).
    pub(super) fn with_future(spec: Spec, n: usize, options: Options, future: Vec<u64>) -> Victims {
        Victims {
            spec,
            options,
            held: vec![None; n],
            last: vec![0; n],
            hand: 0,
            sieve_hand: None,
            rng: options.seed,
            ghosts: Vec::new(),
            events: 0,
            future,
        }
    }

    fn n(&self) -> usize {
        self.held.len()
    }

    fn event(&mut self) -> u64 {
        self.events += 1;
        self.events
    }

    fn occupied(&self) -> impl Iterator<Item = (usize, Held)> + '_ {
        self.held.iter().enumerate().filter_map(|(i, h)| h.map(|h| (i, h)))
    }

    /// The occupied index with the smallest `key`, the lowest index among equals.
    fn min_by<K: Ord>(&self, key: impl Fn(usize, &Held) -> K) -> Option<usize> {
        self.occupied().min_by_key(|(i, h)| (key(*i, h), *i)).map(|(i, _)| i)
    }

    /// sfifo: the secondary's size `s = min(n * P / 100, n - 1)`; the primary holds `n - s`.
    fn primary_size(&self) -> usize {
        let Spec::SegmentedFifo(p) = self.spec else { return self.n() };
        let n = self.n();
        n - (n * usize::from(p.min(100)) / 100).min(n.saturating_sub(1))
    }

    /// sfifo: `i` joins the primary's tail; while the primary is over its size its head moves
    /// to the secondary's tail.
    fn enter_primary(&mut self, i: usize) {
        let ev = self.event();
        if let Some(h) = self.held[i].as_mut() {
            h.second = false;
            h.joined = ev;
        }
        while self.occupied().filter(|(_, h)| !h.second).count() > self.primary_size() {
            let Some(head) = self.occupied().filter(|(_, h)| !h.second).min_by_key(|(_, h)| h.joined).map(|(i, _)| i)
            else {
                break;
            };
            let ev = self.event();
            if let Some(h) = self.held[head].as_mut() {
                h.second = true;
                h.joined = ev;
            }
        }
    }

    /// sieve: the page loaded just after `i`'s, if any.
    fn newer(&self, i: usize) -> Option<usize> {
        let at = self.held[i]?.loaded;
        self.occupied().filter(|(_, h)| h.loaded > at).min_by_key(|(_, h)| h.loaded).map(|(j, _)| j)
    }

    /// sieve: the oldest page.
    fn oldest(&self) -> Option<usize> {
        self.min_by(|_, h| h.loaded)
    }

    /// The page in frame index `i` was referenced again.
    pub(super) fn hit(&mut self, i: usize, r: Reference) {
        let ev = self.event();
        let Some(h) = self.held.get_mut(i).and_then(Option::as_mut) else { return };
        h.used = ev;
        h.count += 1;
        h.used_at = r.time;
        let second = h.second;
        match self.spec {
            // A hit in the secondary goes back to the primary's tail.
            Spec::SegmentedFifo(_) if second => self.enter_primary(i),
            // A hit in Am moves it to Am's recent end; a hit in A1in changes nothing.
            Spec::TwoQ if second => h.joined = ev,
            _ => {}
        }
    }

    /// `r.page` was loaded into frame index `i` (after the MMU set the bits of the reference
    /// that loaded it, if one did).
    pub(super) fn insert(&mut self, i: usize, r: Reference, bits: &mut dyn Bits) {
        if i >= self.n() {
            return;
        }
        let ev = self.event();
        let mut held = Held {
            page: r.page,
            loaded: ev,
            used: ev,
            count: 1,
            used_at: r.time,
            counter: 0,
            second: false,
            joined: ev,
        };
        self.last[i] = r.time;
        match self.spec {
            // Second chance and SIEVE load a page with R = 0.
            Spec::Second | Spec::Sieve => bits.clear_referenced(i),
            Spec::TwoQ => {
                // A page remembered in A1out goes to Am; any other to A1in.
                if let Some(at) = self.ghosts.iter().position(|&p| p == r.page) {
                    self.ghosts.remove(at);
                    held.second = true;
                }
            }
            _ => {}
        }
        self.held[i] = Some(held);
        if let Spec::SegmentedFifo(_) = self.spec {
            self.enter_primary(i);
        }
    }

    /// Memory is full and `r` needs a frame: the frame index to evict.
    pub(super) fn victim(&mut self, r: Reference, bits: &mut dyn Bits) -> Option<usize> {
        let n = self.n();
        match self.spec {
            Spec::Fifo => self.min_by(|_, h| h.loaded),
            Spec::Lru => self.min_by(|_, h| h.used),
            Spec::Mru => self.occupied().max_by_key(|(_, h)| h.used).map(|(i, _)| i),
            Spec::Lfu => self.min_by(|_, h| (h.count, h.used_at)),
            Spec::Clock | Spec::Second => {
                // Clear R and advance until a frame with R = 0; evict it, the hand one past.
                // The hand goes round the view, passing over holes.
                let n = n.min(bits.view()).max(1);
                for _ in 0..=2 * n {
                    let i = self.hand % n;
                    self.hand = (i + 1) % n;
                    if !bits.resident(i) {
                        continue;
                    }
                    if bits.referenced(i) {
                        bits.clear_referenced(i);
                    } else {
                        return Some(i);
                    }
                }
                Some(self.hand)
            }
            Spec::Nru => self.min_by(|i, _| 2 * u8::from(bits.referenced(i)) + u8::from(bits.modified(i))),
            Spec::Aging => self.min_by(|i, h| (h.counter, bits.referenced(i))),
            Spec::WsClock => Some(self.wsclock(r, bits)),
            Spec::Random => {
                // SplitMix64.
                self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.rng;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                // A draw on a hole goes to the next index holding a page, wrapping.
                let n = n.min(bits.view()).max(1);
                let x = (z % n as u64) as usize;
                Some((0..n).map(|k| (x + k) % n).find(|&i| bits.resident(i)).unwrap_or(x))
            }
            Spec::SegmentedFifo(_) => {
                // The secondary's least recent page, else the primary's head.
                self.min_by(|_, h| (!h.second, h.joined))
            }
            Spec::Sieve => {
                let mut h = self.sieve_hand.or_else(|| self.oldest())?;
                // Past the newest page the hand wraps to the oldest.
                for _ in 0..=2 * self.occupied().count() {
                    if !bits.referenced(h) {
                        break;
                    }
                    bits.clear_referenced(h);
                    h = self.newer(h).or_else(|| self.oldest()).unwrap_or(h);
                }
                self.sieve_hand = self.newer(h);
                Some(h)
            }
            Spec::TwoQ => {
                let kin = (n / 4).max(1);
                let a1in = self.occupied().filter(|(_, h)| !h.second).count();
                let am = self.occupied().filter(|(_, h)| h.second).count();
                let oldest_in = self.min_by(|_, h| (h.second, h.joined)).filter(|&i| !self.is_second(i));
                let oldest_am = self.min_by(|_, h| (!h.second, h.joined)).filter(|&i| self.is_second(i));
                let from_a1in = a1in > kin || am == 0;
                if from_a1in { oldest_in } else { oldest_am }.or(oldest_in)
            }
            Spec::Opt => {
                // Belady's MIN: the page whose next reference (after its last) is furthest;
                // among pages never referenced again, the least recently used (`--opt-ties
                // lru`; then the highest frame) or the lowest frame (`--opt-ties frame`).
                let next = |h: &Held| {
                    let after = usize::try_from(h.used_at).map_or(usize::MAX, |t| t.saturating_add(1));
                    self.future.iter().skip(after).position(|&p| p == h.page).map_or(u64::MAX, |k| (after + k) as u64)
                };
                let key = |i: usize, h: &Held| {
                    let rank = match self.options.opt_ties {
                        OptTies::Lru => u64::MAX - h.used_at,
                        OptTies::Frame => u64::MAX - i as u64,
                    };
                    (next(h), rank, i)
                };
                self.occupied().max_by_key(|(i, h)| key(*i, h)).map(|(i, _)| i)
            }
        }
    }

    fn is_second(&self, i: usize) -> bool {
        self.held[i].is_some_and(|h| h.second)
    }

    /// WSClock with window tau: at most n frames from the hand, advancing after each: R = 1 is
    /// cleared and its last use becomes now; R = 0, older than tau and clean is evicted; the
    /// first R = 0, old, dirty one is remembered. After n: the remembered one, else the oldest
    /// last use (first met from where the scan began); the hand one past it.
    fn wsclock(&mut self, r: Reference, bits: &mut dyn Bits) -> usize {
        let n = self.n().min(bits.view()).max(1);
        let start = self.hand % n;
        let mut dirty_old = None;
        for _ in 0..n {
            let i = self.hand % n;
            self.hand = (i + 1) % n;
            if !bits.resident(i) {
                continue;
            }
            if bits.referenced(i) {
                bits.clear_referenced(i);
                self.last[i] = r.time;
            } else if r.time.saturating_sub(self.last[i]) > self.options.tau {
                if !bits.modified(i) {
                    return i;
                }
                dirty_old.get_or_insert(i);
            }
        }
        let i = dirty_old.unwrap_or_else(|| {
            let mut order = (0..n).map(|k| (start + k) % n).filter(|&i| bits.resident(i));
            let first = order.next().unwrap_or(0);
            order.fold(first, |best, i| if self.last[i] < self.last[best] { i } else { best })
        });
        self.hand = (i + 1) % n;
        i
    }

    /// The page in frame index `i` was evicted (after `victim` named it).
    pub(super) fn evict(&mut self, i: usize) {
        if let (Spec::TwoQ, Some(h)) = (self.spec, self.held.get(i).copied().flatten()) {
            if !h.second {
                // A1out: distinct page numbers, at most Kout = max(1, n / 2), oldest dropped.
                self.ghosts.retain(|&p| p != h.page);
                self.ghosts.push(h.page);
                let kout = (self.n() / 2).max(1);
                if self.ghosts.len() > kout {
                    self.ghosts.drain(..self.ghosts.len() - kout);
                }
            }
        }
        self.remove(i);
    }

    /// The page in frame index `i` left outside replacement (unmapped, its process ended).
    pub(super) fn remove(&mut self, i: usize) {
        if self.sieve_hand == Some(i) {
            self.sieve_hand = self.newer(i);
        }
        if let Some(h) = self.held.get_mut(i) {
            *h = None;
        }
    }

    /// After every reference: nru clears every R, aging shifts R into each occupied frame's
    /// counter (then clears R), every `period` references (at references P, 2P, ...).
    pub(super) fn tick(&mut self, r: Reference, bits: &mut dyn Bits) {
        if (r.time + 1) % self.options.period.max(1) != 0 {
            return;
        }
        match self.spec {
            Spec::Nru => (0..self.n()).for_each(|i| bits.clear_referenced(i)),
            Spec::Aging => {
                for i in 0..self.n() {
                    if let Some(h) = self.held[i].as_mut() {
                        h.counter = (h.counter >> 1) | (u8::from(bits.referenced(i)) << 7);
                        bits.clear_referenced(i);
                    }
                }
            }
            _ => {}
        }
    }

    /// The hand, for the policies that have one (sieve's is the oldest page while it has not
    /// been placed).
    pub(super) fn hand(&self) -> Option<usize> {
        match self.spec {
            Spec::Clock | Spec::Second | Spec::WsClock => Some(self.hand),
            Spec::Sieve => self.sieve_hand.or_else(|| self.oldest()),
            _ => None,
        }
    }
}
