//! Our x86-64 tables, read by an independent implementation: the `x86_64` crate's page-table
//! types take each table's raw entries from our arena, and a walk that uses only that crate's
//! index, flag and address functions must translate every address as our walker does.

use paging::{EntryBits, MachineFormat, Op, Preset, Request};
use phys::{Arena, FramePool, PoolKind};
use proptest::prelude::*;
use x86_64::structures::paging::{PageTable, PageTableFlags, PageTableIndex};
use x86_64::{PhysAddr, VirtAddr};

/// The table at physical `addr` as the `x86_64` crate's type: every entry's 64 bits copied as
/// they are. The entry is rebuilt from its raw bits alone (`set_addr` with address 0 and the
/// raw value as flags ORs them together): no decoding of ours is involved.
fn table(arena: &Arena, addr: PhysAddr) -> Option<PageTable> {
    let bytes = arena.read_bytes(phys::PhysAddr::new(addr.as_u64()), 4096).ok()?;
    let mut t = PageTable::new();
    for (i, raw) in bytes.chunks_exact(8).enumerate() {
        let raw = u64::from_le_bytes(raw.try_into().ok()?);
        t[i].set_addr(PhysAddr::new(0), PageTableFlags::from_bits_retain(raw));
    }
    Some(t)
}

/// The translation of `va` by the `x86_64` crate's types, and the leaf's flags.
fn reference(arena: &Arena, root: u64, va: VirtAddr) -> Option<(u64, PageTableFlags)> {
    let indices: [PageTableIndex; 4] = [va.p4_index(), va.p3_index(), va.p2_index(), va.p1_index()];
    let mut addr = PhysAddr::new(root * 4096);
    for (level, index) in indices.into_iter().enumerate() {
        let t = table(arena, addr)?;
        let e = &t[index];
        let flags = e.flags();
        if !flags.contains(PageTableFlags::PRESENT) {
            return None;
        }
        // A PS bit in the PDPT (1 GiB) or the PD (2 MiB) makes the entry the page.
        if (level == 1 || level == 2) && flags.contains(PageTableFlags::HUGE_PAGE) {
            let size = if level == 1 { 1u64 << 30 } else { 1 << 21 };
            return Some((e.addr().as_u64() + (va.as_u64() & (size - 1)), flags));
        }
        if level == 3 {
            return Some((e.addr().as_u64() + u64::from(va.page_offset()), flags));
        }
        addr = e.addr();
    }
    None
}

#[track_caller]
fn same(f: &MachineFormat, arena: &Arena, root: u64, va: u64) {
    let ours = f.walk(arena, root, va, None).outcome().ok();
    // The crate takes the walked bits of an address; a non-canonical one is ours to refuse.
    let theirs = if f.is_canonical(va) { reference(arena, root, VirtAddr::new_truncate(va)) } else { None };
    assert_eq!(ours.map(|t| t.phys.as_u64()), theirs.map(|t| t.0), "va {va:#x}");
    if let (Some(o), Some((_, flags))) = (ours, theirs) {
        let pairs = [
            (EntryBits::WRITE, flags.contains(PageTableFlags::WRITABLE)),
            (EntryBits::USER, flags.contains(PageTableFlags::USER_ACCESSIBLE)),
            (EntryBits::EXEC, !flags.contains(PageTableFlags::NO_EXECUTE)),
            (EntryBits::ACCESSED, flags.contains(PageTableFlags::ACCESSED)),
            (EntryBits::DIRTY, flags.contains(PageTableFlags::DIRTY)),
            (EntryBits::GLOBAL, flags.contains(PageTableFlags::GLOBAL)),
            (EntryBits::COW, flags.contains(PageTableFlags::BIT_9)),
            (EntryBits::ORIG_WRITE, flags.contains(PageTableFlags::BIT_10)),
        ];
        for (bit, set) in pairs {
            assert_eq!(o.bits.contains(bit), set, "va {va:#x}: {bit:?}");
        }
    }
}

/// A mapping to make: which of a few regions, which page in it, its level, its permissions,
/// and whether the MMU then reads or writes it.
fn mapping() -> impl Strategy<Value = (u8, u16, usize, u8, u8)> {
    (0u8..6, any::<u16>(), 1usize..4, any::<u8>(), 0u8..3)
}

/// Low user space, a 2 MiB boundary, the top of the lower half, the middle of it, the kernel
/// half's start and its top 2 GiB.
const REGIONS: [u64; 6] =
    [0, 0x40_0000, 0x7fff_c000_0000, 0x0000_5555_0000_0000, 0xffff_8000_0000_0000, 0xffff_ffff_8000_0000];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random base, 2 MiB and 1 GiB pages in both halves of the address space, some of them
    /// read or written through the MMU: every mapped page's first, a middle and its last byte,
    /// and the addresses just outside it, translate alike.
    #[test]
    fn the_x86_64_crate_reads_our_tables_as_our_walker_does(maps in proptest::collection::vec(mapping(), 1..40)) {
        let f = Preset::X86_64.format();
        let mut arena = Arena::new(256).unwrap();
        let mut pool = FramePool::new(PoolKind::Kernel, 0..128);
        let root = f.new_table(&mut arena, &mut pool).unwrap();
        let mut made = 0;
        for (region, page, level, perms, touch) in maps {
            let size = f.geometry().level_page_size(level);
            let va = (REGIONS[usize::from(region)] & !(size - 1)).wrapping_add(u64::from(page % 8) * size);
            let frame = (u64::from(page) % 64) * (size >> 12) + (1 << 20);
            let mut bits = EntryBits::READ;
            let optional = [EntryBits::WRITE, EntryBits::EXEC, EntryBits::USER, EntryBits::GLOBAL, EntryBits::COW, EntryBits::ORIG_WRITE];
            for (i, b) in optional.into_iter().enumerate() {
                if perms & (1 << i) != 0 {
                    bits |= b;
                }
            }
            if f.map(&mut arena, &mut pool, root, va, frame, level, bits).is_ok() {
                made += 1;
                let op = [None, Some(Op::Read), Some(Op::Write)][usize::from(touch)];
                if let Some(op) = op {
                    let _ = f.access(&mut arena, root, va + size / 2, Request { op, user: false });
                }
            }
        }
        let mappings = f.mappings(&arena, root);
        prop_assert_eq!(mappings.len(), made);
        for m in mappings {
            let at = |d: u64| m.va.wrapping_add(d);
            for va in [m.va, at(m.size / 2 + 5), at(m.size - 1), m.va.wrapping_sub(1), at(m.size)] {
                same(&f, &arena, root, va);
            }
        }
    }
}

#[test]
fn a_hand_made_table_agrees_on_every_page_size() {
    let f = Preset::X86_64.format();
    let mut arena = Arena::new(64).unwrap();
    let mut pool = FramePool::new(PoolKind::Kernel, 0..32);
    let root = f.new_table(&mut arena, &mut pool).unwrap();
    let rw = EntryBits::READ | EntryBits::WRITE | EntryBits::USER;
    f.map(&mut arena, &mut pool, root, 0x1000, 0x777, 3, rw).unwrap();
    f.map(&mut arena, &mut pool, root, 0x20_0000, 0x400, 2, rw).unwrap();
    f.map(&mut arena, &mut pool, root, 0x4000_0000, 0x8_0000, 1, rw).unwrap();
    let write = Request { op: Op::Write, user: true };
    assert!(f.access(&mut arena, root, 0x4000_0123, write).outcome().is_ok());
    for va in [0x1000, 0x1fff, 0x2000, 0x20_0000, 0x3f_ffff, 0x4000_0123, 0x7fff_ffff, 0x8000_0000] {
        same(&f, &arena, root, va);
    }
    assert_eq!(reference(&arena, root, VirtAddr::new(0x4000_0123)).map(|t| t.0), Some(0x8000_0123));
}
