//! Operations for lock-step runs: [`Op`], which names its targets relative to the machine's
//! state (the n-th live process, the n-th mapped page), and [`Action`], the concrete call it
//! resolves to at the moment it runs.
//!
//! Relative selectors keep random sequences interesting: most ops reach a live process and a
//! mapped page whatever came before, and a sequence shrunk by deleting ops still means
//! something. Each selector also has a raw form, for bogus pids and addresses.

use std::collections::BTreeMap;

use kernel::{Access, ForkPolicy, PAGE_SIZE, Perm, Pid, SegmentSizes, VirtAddr, Vpn};

use crate::Model;

const PAGE: u64 = PAGE_SIZE as u64;

/// Which process an op targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum PidSel {
    /// The live process at this index (modulo the number alive) in pid order; with none alive,
    /// the index itself as a pid.
    Live(u8),
    /// The current process (`ajou`); with none, the lowest live pid, or pid 0.
    Current,
    /// This pid, alive or not.
    Raw(u32),
}

/// Which page an op targets, in the process it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum PageSel {
    /// The mapped page at this index (modulo the number mapped) in VPN order; with none
    /// mapped, the index itself as a VPN.
    Mapped(u16),
    /// The mapped page whose own permission is writable at this index (modulo their number);
    /// with none, as [`PageSel::Mapped`].
    Writable(u16),
    /// The unmapped page of the address space at this index (modulo their number): where an
    /// allocation fits.
    Unmapped(u16),
    /// `delta` pages away from the mapped page at `index` (clamped at VPN 0): the edges of
    /// segments and ranges.
    Near {
        /// As in [`PageSel::Mapped`].
        index: u16,
        /// Pages to move.
        delta: i8,
    },
    /// This VPN, mapped or not, in range or not.
    Vpn(u32),
}

/// Which byte an access targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AddrSel {
    /// A byte of a page.
    In {
        /// The page.
        page: PageSel,
        /// The offset in it, modulo the page size.
        offset: u16,
    },
    /// This address.
    Raw(u64),
}

/// A fork policy, as ops carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Policy {
    /// [`ForkPolicy::Eager`].
    Eager,
    /// [`ForkPolicy::CopyOnWrite`].
    CopyOnWrite,
}

impl From<Policy> for ForkPolicy {
    fn from(p: Policy) -> Self {
        match p {
            Policy::Eager => ForkPolicy::Eager,
            Policy::CopyOnWrite => ForkPolicy::CopyOnWrite,
        }
    }
}

/// One operation of a lock-step run, with relative targets.
///
/// Byte-sized "tweak" fields make rare cases rare under uniform random input (a fuzzer's):
/// values below a threshold mean "the ordinary case".
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Op {
    /// `create_ps`.
    Create {
        /// Pages of code, ro data, rw data and stack.
        pages: [u8; 4],
        /// 0..=223: sizes as given; 224..=239: one segment (`tweak % 4`) gets `tweak - 223`
        /// extra bytes, misaligned; 240..=247: the stack is the whole address space;
        /// 248..=255: code is nearly 2^64 bytes, so the total overflows.
        tweak: u8,
        /// Bytes of initial data, at most code + ro data; 0xFFF0 and above ask for
        /// `data_len - 0xFFEF` bytes more than fit.
        data_len: u16,
        /// Seeds the data's bytes.
        seed: u8,
    },
    /// `exit_ps`.
    Exit {
        /// The process.
        pid: PidSel,
    },
    /// `fork_ps`, after setting the fork policy if one is given (it stays in force).
    Fork {
        /// The parent.
        pid: PidSel,
        /// The policy to set first.
        policy: Option<Policy>,
    },
    /// `set_fork_policy`.
    SetForkPolicy {
        /// The policy.
        policy: Policy,
    },
    /// `allocate_pages`.
    Allocate {
        /// The process.
        pid: PidSel,
        /// The first page.
        at: PageSel,
        /// Pages.
        count: u16,
        /// Permission bits (`O_READ` 1, `O_WRITE` 2, `O_EX` 4; others ignored).
        perm: u8,
        /// 240 and above: the address is off the page boundary by this many bytes.
        misalign: u8,
    },
    /// `deallocate_pages`.
    Deallocate {
        /// The process.
        pid: PidSel,
        /// The first page.
        at: PageSel,
        /// Pages.
        count: u16,
        /// As for [`Op::Allocate`].
        misalign: u8,
    },
    /// `read_mem`.
    Read {
        /// The process.
        pid: PidSel,
        /// The byte.
        addr: AddrSel,
    },
    /// `write_mem`.
    Write {
        /// The process.
        pid: PidSel,
        /// The byte.
        addr: AddrSel,
        /// The value.
        byte: u8,
    },
    /// `map_page` (`alloc`).
    MapPage {
        /// The process.
        pid: PidSel,
        /// The page.
        vpn: PageSel,
        /// Permission bits, as for [`Op::Allocate`].
        perm: u8,
    },
    /// `unmap_page` (`free`).
    UnmapPage {
        /// The process.
        pid: PidSel,
        /// The page.
        vpn: PageSel,
    },
    /// `touch` (`read` / `write` of a VPN).
    Touch {
        /// The process.
        pid: PidSel,
        /// The page.
        vpn: PageSel,
        /// A write rather than a read.
        write: bool,
    },
    /// `switch`.
    Switch {
        /// The process to switch to, or to fork.
        pid: PidSel,
    },
    /// `clear_accessed_dirty`: how a replacement policy resets a page's accessed and dirty
    /// bits (a general machine's; the course machines' entries have none).
    ClearAccessedDirty {
        /// The process.
        pid: PidSel,
        /// The page.
        vpn: PageSel,
    },
}

/// An op resolved against the machine: the exact call made on both the kernel and the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `create_ps(sizes, data)` with `data_len` bytes from [`data_byte`]`(seed, i)`.
    Create {
        /// The segment sizes.
        sizes: SegmentSizes,
        /// Bytes of data.
        data_len: usize,
        /// The data's seed.
        seed: u8,
    },
    /// `exit_ps(pid)`.
    Exit {
        /// The process.
        pid: Pid,
    },
    /// `set_fork_policy(policy)` if given, then `fork_ps(pid)`.
    Fork {
        /// The parent.
        pid: Pid,
        /// The policy set first.
        policy: Option<ForkPolicy>,
    },
    /// `set_fork_policy(policy)`.
    SetForkPolicy {
        /// The policy.
        policy: ForkPolicy,
    },
    /// `allocate_pages(pid, addr, count, perm)`.
    Allocate {
        /// The process.
        pid: Pid,
        /// The start.
        addr: VirtAddr,
        /// Pages.
        count: u32,
        /// Protections.
        perm: Perm,
    },
    /// `deallocate_pages(pid, addr, count)`.
    Deallocate {
        /// The process.
        pid: Pid,
        /// The start.
        addr: VirtAddr,
        /// Pages.
        count: u32,
    },
    /// `read_mem(pid, addr)`.
    Read {
        /// The process.
        pid: Pid,
        /// The byte.
        addr: VirtAddr,
    },
    /// `write_mem(pid, addr, byte)`.
    Write {
        /// The process.
        pid: Pid,
        /// The byte.
        addr: VirtAddr,
        /// The value.
        byte: u8,
    },
    /// `map_page(pid, vpn, perm)`.
    MapPage {
        /// The process.
        pid: Pid,
        /// The page.
        vpn: Vpn,
        /// Protections.
        perm: Perm,
    },
    /// `unmap_page(pid, vpn)`.
    UnmapPage {
        /// The process.
        pid: Pid,
        /// The page.
        vpn: Vpn,
    },
    /// `touch(pid, vpn, access)`.
    Touch {
        /// The process.
        pid: Pid,
        /// The page.
        vpn: Vpn,
        /// Read or write.
        access: Access,
    },
    /// `switch(pid)`.
    Switch {
        /// The process.
        pid: Pid,
    },
    /// `clear_accessed_dirty(pid, vpn)`.
    ClearAccessedDirty {
        /// The process.
        pid: Pid,
        /// The page.
        vpn: Vpn,
    },
}

/// The data repeats every this many bytes: a prime, so that no shift by whole pages (a byte
/// copied to the wrong page) maps the data onto itself, and more than 16 pages.
pub const DATA_PERIOD: usize = 65_537;

/// How far apart two consecutive seeds' data start in the one sequence every seed's data is
/// cut from: 256 seeds, 256 distinct starts inside one period.
const SEED_SHIFT: usize = 257;

/// Byte `j` of the sequence every seed's data is cut from, repeating every [`DATA_PERIOD`].
fn sequence_byte(j: usize) -> u8 {
    ((((j % DATA_PERIOD) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 56) as u8 | 1
}

/// Byte `i` of the initial data of a `create_ps` with `seed`: never zero, varies within a page,
/// from page to page and from seed to seed, so that a byte copied to the wrong place shows.
/// Every seed's data is the same sequence (repeating every [`DATA_PERIOD`] bytes) from a
/// different start, so that a harness can hand out any seed's data, megabytes long, as a slice
/// of one buffer ([`DataSource`]) instead of making it for each create.
pub fn data_byte(seed: u8, i: usize) -> u8 {
    sequence_byte(i + usize::from(seed) * SEED_SHIFT)
}

/// The data a [`Action::Create`] passes.
pub fn create_data(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| data_byte(seed, i)).collect()
}

/// One buffer that every seed's [`create_data`] is a slice of, grown to the longest asked for:
/// a create can pass megabytes (`Op::Create`'s `data_len` of 0xFFF0 and above), and making them
/// for each create was most of a fuzz execution.
#[derive(Debug, Clone, Default)]
pub struct DataSource {
    /// `sequence_byte(j)` at `j`.
    bytes: Vec<u8>,
}

impl DataSource {
    /// [`create_data`]`(seed, len)`, without making it.
    pub fn data(&mut self, seed: u8, len: usize) -> &[u8] {
        let start = usize::from(seed) * SEED_SHIFT;
        let end = start + len;
        let first = end.min(DATA_PERIOD);
        if self.bytes.len() < first {
            self.bytes.extend((self.bytes.len()..first).map(sequence_byte));
        }
        // Past the first period, a copy of it.
        while self.bytes.len() < end {
            let at = self.bytes.len();
            let n = (end - at).min(DATA_PERIOD);
            self.bytes.extend_from_within(at - DATA_PERIOD..at - DATA_PERIOD + n);
        }
        &self.bytes[start..end]
    }
}

fn perm_of(bits: u8) -> Perm {
    Perm::from_bits_truncate(u32::from(bits))
}

impl PidSel {
    /// The pid this selects now.
    pub fn resolve(self, m: &Model) -> Pid {
        Pid::new(match self {
            PidSel::Live(i) => {
                let n = m.live();
                if n == 0 { u32::from(i) } else { m.pids().nth(usize::from(i) % n).unwrap_or_default() }
            }
            PidSel::Current => m.current().or_else(|| m.pids().next()).unwrap_or(0),
            PidSel::Raw(p) => p,
        })
    }
}

impl PageSel {
    /// The VPN this selects now in `pid`. Under demand paging a process's pages are its
    /// present and its absent (lazy, swapped) ones alike.
    pub fn resolve(self, m: &Model, pid: Pid) -> u32 {
        let proc = m.process(pid.as_u32());
        // Most processes have no absent page: their present pages are all, without a copy.
        let merged: Option<BTreeMap<u32, Perm>> = proc.filter(|p| !p.absent.is_empty()).map(|p| {
            p.pages.iter().map(|(&v, pg)| (v, pg.perm)).chain(p.absent.iter().map(|(&v, a)| (v, a.perm))).collect()
        });
        let present = proc.map(|p| &p.pages);
        let len = merged.as_ref().map_or(present.map_or(0, |p| p.len()), BTreeMap::len);
        let keys = || -> Box<dyn Iterator<Item = u32> + '_> {
            match &merged {
                Some(all) => Box::new(all.keys().copied()),
                None => Box::new(present.into_iter().flat_map(|p| p.keys().copied())),
            }
        };
        let nth = |i: u16| keys().nth(usize::from(i) % len.max(1));
        match self {
            PageSel::Mapped(i) => nth(i).unwrap_or(u32::from(i)),
            PageSel::Writable(i) => {
                let writable: Vec<u32> = match &merged {
                    Some(all) => all.iter().filter(|(_, p)| p.contains(Perm::WRITE)).map(|(&v, _)| v).collect(),
                    None => present
                        .map(|p| p.iter().filter(|(_, pg)| pg.perm.contains(Perm::WRITE)).map(|(&v, _)| v).collect())
                        .unwrap_or_default(),
                };
                match writable.len() {
                    0 => nth(i).unwrap_or(u32::from(i)),
                    n => writable[usize::from(i) % n],
                }
            }
            PageSel::Unmapped(i) => {
                // The n-th unmapped VPN, counted past the mapped ones below it: a walk of the
                // mapped pages, not of the address space (a general machine has billions).
                let vpn_count = (m.address_space_size() / PAGE).min(u64::from(u32::MAX));
                let free = vpn_count.saturating_sub(len as u64);
                if free == 0 {
                    return u32::from(i);
                }
                let mut v = u64::from(i) % free;
                for m in keys() {
                    if u64::from(m) <= v {
                        v += 1;
                    } else {
                        break;
                    }
                }
                v as u32
            }
            PageSel::Near { index, delta } => {
                let base = nth(index).unwrap_or(0);
                base.saturating_add_signed(i32::from(delta))
            }
            PageSel::Vpn(v) => v,
        }
    }
}

impl AddrSel {
    /// The address this selects now in `pid`.
    pub fn resolve(self, m: &Model, pid: Pid) -> VirtAddr {
        VirtAddr::new(match self {
            AddrSel::In { page, offset } => u64::from(page.resolve(m, pid)) * PAGE + u64::from(offset) % PAGE,
            AddrSel::Raw(a) => a,
        })
    }
}

fn range_start(m: &Model, pid: Pid, at: PageSel, misalign: u8) -> VirtAddr {
    let offset = if misalign >= 240 { u64::from(misalign) } else { 0 };
    VirtAddr::new(u64::from(at.resolve(m, pid)) * PAGE + offset)
}

impl Op {
    /// The concrete call this op makes on a machine in the state `m` describes.
    pub fn resolve(&self, m: &Model) -> Action {
        match *self {
            Op::Create { pages, tweak, data_len, seed } => {
                let [code, ro_data, rw_data, stack] = pages.map(|p| u64::from(p) * PAGE);
                let mut sizes = SegmentSizes { code, ro_data, rw_data, stack };
                let space = m.address_space_size();
                match tweak {
                    224..=239 => {
                        let extra = u64::from(tweak - 223);
                        match tweak % 4 {
                            0 => sizes.code += extra,
                            1 => sizes.ro_data += extra,
                            2 => sizes.rw_data += extra,
                            _ => sizes.stack += extra,
                        }
                    }
                    240..=247 => sizes.stack = space,
                    248..=255 => sizes.code = u64::MAX - (PAGE - 1),
                    _ => {}
                }
                // Capped so that a huge (refused) segment never asks for a huge buffer: by the
                // address space, and by 16 MiB for a general machine's space of gigabytes
                // (only a segment the create refuses as too large is ever that big).
                let capacity = sizes.code.saturating_add(sizes.ro_data).min(space).min(16 << 20);
                let len = if data_len >= 0xFFF0 {
                    capacity + u64::from(data_len - 0xFFEF)
                } else {
                    u64::from(data_len).min(capacity)
                };
                Action::Create { sizes, data_len: len as usize, seed }
            }
            Op::Exit { pid } => Action::Exit { pid: pid.resolve(m) },
            Op::Fork { pid, policy } => Action::Fork { pid: pid.resolve(m), policy: policy.map(Into::into) },
            Op::SetForkPolicy { policy } => Action::SetForkPolicy { policy: policy.into() },
            Op::Allocate { pid, at, count, perm, misalign } => {
                let pid = pid.resolve(m);
                let addr = range_start(m, pid, at, misalign);
                Action::Allocate { pid, addr, count: u32::from(count), perm: perm_of(perm) }
            }
            Op::Deallocate { pid, at, count, misalign } => {
                let pid = pid.resolve(m);
                Action::Deallocate { pid, addr: range_start(m, pid, at, misalign), count: u32::from(count) }
            }
            Op::Read { pid, addr } => {
                let pid = pid.resolve(m);
                Action::Read { pid, addr: addr.resolve(m, pid) }
            }
            Op::Write { pid, addr, byte } => {
                let pid = pid.resolve(m);
                Action::Write { pid, addr: addr.resolve(m, pid), byte }
            }
            Op::MapPage { pid, vpn, perm } => {
                let pid = pid.resolve(m);
                Action::MapPage { pid, vpn: Vpn::new(vpn.resolve(m, pid)), perm: perm_of(perm) }
            }
            Op::UnmapPage { pid, vpn } => {
                let pid = pid.resolve(m);
                Action::UnmapPage { pid, vpn: Vpn::new(vpn.resolve(m, pid)) }
            }
            Op::Touch { pid, vpn, write } => {
                let pid = pid.resolve(m);
                let access = if write { Access::Write } else { Access::Read };
                Action::Touch { pid, vpn: Vpn::new(vpn.resolve(m, pid)), access }
            }
            Op::Switch { pid } => Action::Switch { pid: pid.resolve(m) },
            Op::ClearAccessedDirty { pid, vpn } => {
                let pid = pid.resolve(m);
                Action::ClearAccessedDirty { pid, vpn: Vpn::new(vpn.resolve(m, pid)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::Profile;

    #[test]
    fn selectors_reach_live_processes_and_mapped_pages() {
        let mut m = Model::new(&Profile::AJOU);
        for v in [3, 40, 41] {
            m.map_page(Pid::new(0), Vpn::new(v), Perm::READ).unwrap();
        }
        m.switch(Pid::new(7)).unwrap();
        assert_eq!(PidSel::Live(3).resolve(&m), Pid::new(7));
        assert_eq!(PidSel::Current.resolve(&m), Pid::new(7));
        assert_eq!(PageSel::Mapped(4).resolve(&m, Pid::new(7)), 40);
        assert_eq!(PageSel::Near { index: 0, delta: -5 }.resolve(&m, Pid::new(0)), 0);
        assert_eq!(PageSel::Near { index: 2, delta: 2 }.resolve(&m, Pid::new(0)), 43);
        assert_eq!(PageSel::Mapped(9).resolve(&m, Pid::new(99)), 9);
        assert_eq!(PageSel::Unmapped(3).resolve(&m, Pid::new(0)), 4);
        assert_eq!(PageSel::Unmapped(253).resolve(&m, Pid::new(0)), 0);
        assert_eq!(PageSel::Writable(0).resolve(&m, Pid::new(0)), 3);
        let a = AddrSel::In { page: PageSel::Mapped(1), offset: 4097 }.resolve(&m, Pid::new(0));
        assert_eq!(a, VirtAddr::new(40 * 4096 + 1));
    }

    #[test]
    fn create_tweaks() {
        let m = Model::new(&Profile::MTL458);
        let create = |tweak, data_len| Op::Create { pages: [2, 1, 1, 1], tweak, data_len, seed: 0 }.resolve(&m);
        let Action::Create { sizes, data_len, .. } = create(0, 100) else { panic!() };
        assert_eq!((sizes.code, data_len), (2 * PAGE, 100));
        let Action::Create { data_len, .. } = create(0, 0xFFEF) else { panic!() };
        assert_eq!(data_len, 3 * PAGE_SIZE);
        let Action::Create { data_len, .. } = create(0, 0xFFF1) else { panic!() };
        assert_eq!(data_len, 3 * PAGE_SIZE + 2);
        let Action::Create { sizes, .. } = create(225, 0) else { panic!() };
        assert_eq!(sizes.ro_data, PAGE + 2);
        let Action::Create { sizes, .. } = create(240, 0) else { panic!() };
        assert_eq!(sizes.stack, 4 << 20);
        assert!(data_byte(1, 0) != 0 && data_byte(1, 4096) != data_byte(2, 4096));
        // No shift by whole pages (up to 16) leaves the data unchanged, and no two seeds agree
        // on a page.
        for pages in 1..=16 {
            assert!((0..PAGE_SIZE).any(|i| data_byte(3, i) != data_byte(3, i + pages * PAGE_SIZE)), "{pages} pages");
        }
        for seed in 1..=255 {
            assert!((0..PAGE_SIZE).any(|i| data_byte(0, i) != data_byte(seed, i)), "seed {seed}");
        }
        assert!((0..=255).all(|seed| (0..3 * DATA_PERIOD).all(|i| data_byte(seed, i) != 0)));
        // No shift by whole pages (up to 16) leaves the data unchanged.
        for pages in 1..=16 {
            assert!((0..PAGE_SIZE).any(|i| data_byte(3, i) != data_byte(3, i + pages * PAGE_SIZE)), "{pages} pages");
        }
        // A data source's slices are create_data, whatever was asked before.
        let mut source = DataSource::default();
        let long = [DATA_PERIOD - 1, 3 * DATA_PERIOD + 5, 0, 3 * DATA_PERIOD + 70_000];
        for (seed, lens) in [(0, [0, 0, 3, 1]), (1, [1, 9, 8, 4096]), (2, [4097, 4100, 9000, 7]), (255, long)] {
            for len in lens {
                assert!(source.data(seed, len) == create_data(seed, len).as_slice(), "seed {seed}, {len} bytes");
            }
        }
    }
}
