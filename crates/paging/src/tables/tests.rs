//! General-table tests: the presets by hand, the course presets against the course walker,
//! and random geometries and layouts against a `BTreeMap` model.

use std::collections::{BTreeMap, BTreeSet};

use phys::{FramePool, PoolKind};
use proptest::prelude::*;

use super::*;
use crate::{EntryLayout, Geometry, LeafRule, Op, PermBit, Preset, Request};

const RWU: EntryBits = EntryBits::READ.union(EntryBits::WRITE).union(EntryBits::USER);

fn memory(frames: u32, tables: u32) -> (Arena, FramePool) {
    (Arena::new(frames).unwrap(), FramePool::new(PoolKind::Kernel, 0..tables))
}

#[test]
fn x86_64_base_and_huge_pages_translate_and_record_access() {
    let f = Preset::X86_64.format();
    let (mut a, mut pool) = memory(64, 32);
    let root = f.new_table(&mut a, &mut pool).unwrap();
    f.map(&mut a, &mut pool, root, 0x40_0000, 40, 3, RWU).unwrap();
    f.map(&mut a, &mut pool, root, 0x4000_0000, 0x200, 2, EntryBits::READ | EntryBits::USER).unwrap();
    f.map(&mut a, &mut pool, root, 0xffff_8000_0000_0000, 0x4_0000, 1, EntryBits::READ).unwrap();
    // PML4, PDPT, PD, PT for the first; a PD under the same PDPT for the second; one more
    // PDPT for the kernel half.
    assert_eq!(f.table_frames(&a, root).len(), 6);
    let w = f.access(&mut a, root, 0x40_0123, Request::WRITE);
    let t = w.outcome().unwrap();
    assert_eq!((t.phys.as_u64(), t.level, t.page_size), (40 * 4096 + 0x123, 3, 4096));
    assert!(t.bits.contains(EntryBits::ACCESSED | EntryBits::DIRTY));
    assert!(w.steps()[..3].iter().all(|s| s.entry.bits.contains(EntryBits::ACCESSED)), "x86 sets A in tables");
    let huge = f.walk(&a, root, 0x4012_3456, Some(Request::READ)).outcome().unwrap();
    assert_eq!((huge.phys.as_u64(), huge.level), (0x200 * 4096 + 0x12_3456, 2));
    let err = f.walk(&a, root, 0x4012_3456, Some(Request::WRITE)).outcome().unwrap_err();
    assert_eq!((err.kind, err.level), (FaultKind::Protection, 2));
    // A supervisor-only page: user reads fault, supervisor reads translate.
    let k = 0xffff_8000_1234_5678;
    assert_eq!(f.walk(&a, root, k, Some(Request::READ)).outcome().unwrap_err().kind, FaultKind::Protection);
    let sup = Request { op: Op::Read, user: false };
    assert_eq!(f.walk(&a, root, k, Some(sup)).outcome().unwrap().phys.as_u64(), 0x4_0000 * 4096 + 0x1234_5678);
    let miss = f.walk(&a, root, 0x8000_0000, None);
    assert_eq!(miss.steps().len(), 2);
    assert_eq!((miss.outcome().unwrap_err().kind, miss.outcome().unwrap_err().level), (FaultKind::NotPresent, 1));
    assert_eq!(f.walk(&a, root, 0x8000_0000_0000, None).outcome().unwrap_err().kind, FaultKind::NonCanonical);
    assert_eq!(
        f.map(&mut a, &mut pool, root, 0x40_1000, 41, 2, RWU),
        Err(MapError::Misaligned { va: 0x40_1000, frame: 41, size: 2 << 20 })
    );
    assert_eq!(
        f.map(&mut a, &mut pool, root, 0x40_0000, 0, 2, RWU),
        Err(MapError::AlreadyMapped { va: 0x40_0000, level: 2 })
    );
    assert_eq!(
        f.map(&mut a, &mut pool, root, 0x4010_0000, 9, 3, RWU),
        Err(MapError::AlreadyMapped { va: 0x4010_0000, level: 2 })
    );
    let listed: Vec<_> = f.mappings(&a, root).iter().map(|m| (m.va, m.level)).collect();
    assert_eq!(listed, [(0x40_0000, 3), (0x4000_0000, 2), (0xffff_8000_0000_0000, 1)]);
    let old = f.update(&mut a, root, 0x40_0000, EntryBits::empty(), EntryBits::ACCESSED | EntryBits::DIRTY).unwrap();
    assert!(old.entry.bits.contains(EntryBits::DIRTY));
    assert!(!f.lookup(&a, root, 0x40_0000).unwrap().entry.bits.intersects(EntryBits::ACCESSED | EntryBits::DIRTY));
    let copy = f.duplicate(&mut a, &mut pool, root).unwrap();
    assert_eq!(
        f.mappings(&a, copy).iter().map(|m| m.entry.raw).collect::<Vec<_>>(),
        f.mappings(&a, root).iter().map(|m| m.entry.raw).collect::<Vec<_>>()
    );
    f.unmap(&mut a, root, 0x4000_0000).unwrap();
    assert!(f.lookup(&a, root, 0x4000_0000).is_none() && f.lookup(&a, copy, 0x4000_0000).is_some());
    f.free_tables(&a, &mut pool, copy).unwrap();
    f.free_tables(&a, &mut pool, root).unwrap();
    assert_eq!(pool.free_count(), 32);
}

#[test]
fn the_course_presets_walk_as_the_course_walker_does() {
    use crate::{Format, PageTable, PteFlags, Vpn};
    for (preset, format) in [(Preset::Ajou, Format::AJOU), (Preset::Mtl458, Format::MTL458)] {
        let f = preset.format();
        let mut m = phys::PhysMemory::new(phys::MemoryLayout { frames: 64, kernel: 0..32, user: 32..64 }).unwrap();
        let t = PageTable::new(&mut m.arena, &mut m.kernel, format).unwrap();
        let flags = [
            PteFlags::READ,
            PteFlags::READ | PteFlags::WRITE | PteFlags::ORIG_WRITE,
            PteFlags::READ | PteFlags::COW | PteFlags::ORIG_WRITE,
        ];
        for (i, vpn) in [0u32, 5, 17, 200, 255].into_iter().enumerate() {
            t.map(&mut m.arena, &mut m.kernel, Vpn::new(vpn), phys::Pfn::new(40 + i as u32), flags[i % 3]).unwrap();
        }
        for vpn in 0..format.vpn_count() + 3 {
            let course = t.translate(&m.arena, Vpn::new(vpn));
            let general = f.lookup(&m.arena, u64::from(t.root().as_u32()), u64::from(vpn) << 12);
            assert_eq!(general.map(|g| g.entry.raw), course.map(|c| u64::from(c.bits())), "{preset} vpn {vpn}");
            if let (Some(g), Some(c)) = (general, course) {
                assert_eq!(g.entry.frame, u64::from(c.frame().as_u32()));
                assert_eq!(g.entry.bits.contains(EntryBits::WRITE), c.flags().contains(PteFlags::WRITE));
                assert_eq!(g.entry.bits.contains(EntryBits::COW), c.flags().contains(PteFlags::COW));
            }
        }
        // And the other way round: what the general tables write, the course walker reads.
        let root = f.new_table(&mut m.arena, &mut m.kernel).unwrap();
        f.map(
            &mut m.arena,
            &mut m.kernel,
            root,
            0x13 << 12,
            50,
            f.geometry().levels() - 1,
            EntryBits::READ | EntryBits::WRITE,
        )
        .unwrap();
        let c = PageTable::from_root(phys::Pfn::new(root as u32), format).translate(&m.arena, Vpn::new(0x13)).unwrap();
        assert_eq!((c.frame(), c.flags()), (phys::Pfn::new(50), PteFlags::PRESENT | PteFlags::READ | PteFlags::WRITE));
    }
}

#[test]
fn riscv_and_arm_presets_map_every_page_size() {
    for preset in [
        Preset::Sv32,
        Preset::Sv39,
        Preset::Sv48,
        Preset::Sv57,
        Preset::Aarch64_4k,
        Preset::X86_32,
        Preset::X86_64_5Level,
    ] {
        let f = preset.format();
        let g = *f.geometry();
        let (mut a, mut pool) = memory(64, 32);
        let root = f.new_table(&mut a, &mut pool).unwrap();
        for level in (0..g.levels()).filter(|&l| f.layout().leaf_allowed(l, g.levels())) {
            let size = g.level_page_size(level);
            let va = size * 3;
            let frame = (size >> 12) * 5;
            f.map(&mut a, &mut pool, root, va, frame, level, RWU)
                .unwrap_or_else(|e| panic!("{preset} level {level}: {e}"));
            let t = f.access(&mut a, root, va + size - 1, Request::WRITE).outcome().unwrap();
            assert_eq!((t.level, t.phys.as_u64()), (level, frame * 4096 + size - 1), "{preset}");
            assert_eq!(
                f.lookup(&a, root, va).unwrap().entry.bits.contains(EntryBits::ACCESSED),
                f.layout().accessed.is_some()
            );
        }
    }
}

/// A small deterministic generator for layouts and operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A random format whose tables fit in a page: 1..=5 levels of unequal bits, a page of
/// 16 B..64 KiB, entries of 1, 2, 4 or 8 bytes, flag bits scattered below a frame field.
fn random_format(rng: &mut Rng) -> MachineFormat {
    loop {
        let width = [1u8, 2, 4, 8][rng.below(4) as usize];
        let page_shift = 4 + rng.below(13) as u8;
        let max_bits = (page_shift - width.trailing_zeros() as u8).min(12);
        if max_bits == 0 {
            continue;
        }
        let levels = 1 + rng.below(5) as usize;
        let bits: Vec<u8> = (0..levels).map(|_| 1 + rng.below(u64::from(max_bits)) as u8).collect();
        let Ok(g) = Geometry::new(&bits, page_shift, width) else { continue };
        if g.va_bits() > 60 {
            continue;
        }
        let entry_bits = u32::from(width) * 8;
        // Flag positions from a shuffled list; what is left at the top is the frame field.
        let mut free: Vec<u8> = (0..entry_bits as u8).collect();
        for i in (1..free.len()).rev() {
            free.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let flags_room = (entry_bits as usize).saturating_sub(4).min(12);
        let mut flags: Vec<u8> = free[..flags_room.min(free.len())].to_vec();
        let frame_shift = flags.iter().copied().max().map_or(0, |m| m + 1);
        flags.retain(|&b| b < frame_shift);
        let frame_bits = (entry_bits as u8 - frame_shift).min(24);
        if frame_bits < 3 {
            continue;
        }
        let mut take = |rng: &mut Rng, p: u64| if rng.chance(p) { flags.pop() } else { None };
        let valid = match take(rng, 100) {
            Some(v) => v,
            None => continue,
        };
        let rule = rng.below(4);
        let mut perm = |rng: &mut Rng, need_set: bool| match (take(rng, 80), need_set, rng.chance(30)) {
            (Some(b), true, _) | (Some(b), false, false) => PermBit::Set(b),
            (Some(b), false, true) => PermBit::Clear(b),
            (None, _, _) => PermBit::Implied,
        };
        let riscv = rule == 2;
        let (read, write, exec) = (perm(rng, riscv), perm(rng, riscv), perm(rng, riscv));
        let user = perm(rng, false);
        if riscv && ![read, write, exec].iter().all(|p| matches!(p, PermBit::Set(_))) {
            continue;
        }
        let leaf = match rule {
            1 => take(rng, 100).map_or(LeafRule::LastLevel, LeafRule::HugeBit),
            2 => LeafRule::PermBits,
            3 => take(rng, 100).map_or(LeafRule::LastLevel, LeafRule::TableBit),
            _ => LeafRule::LastLevel,
        };
        let huge_levels =
            if leaf == LeafRule::LastLevel { 0 } else { (rng.next() as u8) & ((1u8 << (levels - 1)) - 1) };
        let layout = EntryLayout {
            valid,
            read,
            write,
            exec,
            user,
            accessed: take(rng, 70),
            dirty: take(rng, 70),
            global: take(rng, 30),
            cow: take(rng, 50),
            orig_write: take(rng, 50),
            leaf,
            huge_levels,
            frame_shift,
            frame_bits,
            table_bits: 0,
            perms_in_tables: false,
            accessed_in_tables: rng.chance(50),
        };
        let sign = rng.chance(30);
        return MachineFormat::new(g, layout, sign).expect("a generated layout is valid");
    }
}

/// What the model knows of a page.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Page {
    level: usize,
    frame: u64,
    bits: EntryBits,
}

fn run(seed: u64, ops: usize) {
    let mut rng = Rng(seed | 1);
    let f = random_format(&mut rng);
    let g = *f.geometry();
    let l = *f.layout();
    let levels = g.levels();
    // Memory: enough 4 KiB arena frames for the format's frames the field can name, at most
    // 4 MiB; the first table_frames of them hold tables.
    let field_frames = 1u64 << l.frame_bits.min(20);
    let frames = field_frames.min((4 << 20) >> g.page_shift());
    let bytes = (frames << g.page_shift()).max(4096);
    let tables = (frames / 2).min(64) as u32;
    let mut arena = Arena::new(bytes.div_ceil(4096) as u32).unwrap();
    let mut pool = FramePool::new(PoolKind::Kernel, 0..tables);
    let root = f.new_table(&mut arena, &mut pool).unwrap();
    let mut pages: BTreeMap<u64, Page> = BTreeMap::new();
    // Tables that exist, by (level, the address bits above that level's index).
    let mut made: BTreeSet<(usize, u64)> = BTreeSet::new();
    let key =
        |level: usize, va: u64| (level, (va & (g.va_span() >> 1 << 1 | (g.va_span() - 1))) >> g.level_shift(level - 1));
    let canon = |va: u64| {
        let bits = g.va_bits();
        if f.sign_extend() && bits < 64 {
            (((va << (64 - bits)) as i64) >> (64 - bits)) as u64
        } else {
            va & (g.va_span() - 1)
        }
    };
    let leaf_levels: Vec<usize> = (0..levels).filter(|&lv| l.leaf_allowed(lv, levels)).collect();
    let flag_pool = [
        EntryBits::READ,
        EntryBits::WRITE,
        EntryBits::EXEC,
        EntryBits::USER,
        EntryBits::ACCESSED,
        EntryBits::DIRTY,
        EntryBits::GLOBAL,
        EntryBits::COW,
        EntryBits::ORIG_WRITE,
    ];
    let random_bits = |rng: &mut Rng| {
        let mut b = EntryBits::empty();
        for x in flag_pool {
            if rng.chance(50) {
                b |= x;
            }
        }
        b
    };
    let covering = |pages: &BTreeMap<u64, Page>, va: u64| {
        pages.range(..=va).next_back().filter(|(s, p)| va - **s < g.level_page_size(p.level)).map(|(s, p)| (*s, *p))
    };
    let ctx = format!("seed {seed:#x}, format {f:?}");
    for step in 0..ops {
        let level = leaf_levels[rng.below(leaf_levels.len() as u64) as usize];
        let size = g.level_page_size(level);
        // Addresses cluster in a few places so that tables are shared and pages collide.
        let va = if rng.chance(50) {
            if let Some((&s, _)) = pages.iter().nth(rng.below(pages.len() as u64) as usize) { s } else { 0 }
        } else {
            canon((rng.below(8) << (g.va_bits().saturating_sub(3))) | (rng.below(4) * size))
        };
        let va = canon(va) & !(size - 1);
        match rng.below(5) {
            0 | 1 => {
                let frame = rng.below(l.frame_mask().min(1 << 20)) & !((size >> g.page_shift()) - 1);
                let mut bits = random_bits(&mut rng);
                if l.leaf == LeafRule::PermBits {
                    bits |= EntryBits::READ;
                }
                let got = f.map(&mut arena, &mut pool, root, va, frame, level, bits);
                // The model's answer.
                let unrepresentable = bits - l.representable();
                let expected = if !unrepresentable.is_empty() {
                    Err(MapError::Encode(EncodeError::Unrepresentable { bits: unrepresentable }))
                } else if let Some(lv) = (0..level).find(|&lv| covering(&pages, va).is_some_and(|(_, p)| p.level == lv))
                {
                    Err(MapError::AlreadyMapped { va, level: lv })
                } else if pages.get(&va).is_some_and(|p| p.level == level)
                    || (level + 1 < levels && made.contains(&key(level + 1, va)))
                {
                    Err(MapError::AlreadyMapped { va, level })
                } else {
                    let mut result = Ok(());
                    for lv in 1..=level {
                        if !made.contains(&key(lv, va)) {
                            if made.len() + 1 >= tables as usize {
                                result = Err(());
                                break;
                            }
                            made.insert(key(lv, va));
                        }
                    }
                    match result {
                        Ok(()) => {
                            pages.insert(va, Page { level, frame, bits: EntryBits::VALID | l.implied() | bits });
                            Ok(())
                        }
                        Err(()) => {
                            Err(MapError::TableFrame(AllocError::Exhausted { pool: PoolKind::Kernel, frames: tables }))
                        }
                    }
                };
                assert_eq!(got, expected, "step {step}: map {va:#x} level {level} frame {frame:#x} {bits:?}; {ctx}");
            }
            2 => {
                let (set, clear) = (random_bits(&mut rng) & !(EntryBits::READ), random_bits(&mut rng));
                let got = f.update(&mut arena, root, va, set, clear).map(|m| m.va);
                let expected = match covering(&pages, va) {
                    None => None,
                    Some((s, p)) => {
                        let bad =
                            (set - l.representable()) | (clear & l.implied()) | (clear & (set - EntryBits::all()));
                        let new = ((p.bits - clear) | set) | l.implied();
                        let gone = l.leaf == LeafRule::PermBits
                            && (!new.intersects(EntryBits::READ | EntryBits::WRITE | EntryBits::EXEC)
                                || (new.contains(EntryBits::WRITE) && !new.contains(EntryBits::READ)));
                        if bad.is_empty() && !gone {
                            pages.insert(s, Page { bits: new, ..p });
                            Some(Ok(s))
                        } else {
                            Some(Err(()))
                        }
                    }
                };
                match (got, expected) {
                    (Err(UpdateError::NotMapped(_)), None) => {}
                    (Ok(a), Some(Ok(b))) => assert_eq!(a, b, "step {step}: update {va:#x}; {ctx}"),
                    (Err(UpdateError::Encode(_) | UpdateError::NotALeaf { .. }), Some(Err(()))) => {}
                    (got, exp) => {
                        panic!("step {step}: update {va:#x} set {set:?} clear {clear:?}: {got:?}, model {exp:?}; {ctx}")
                    }
                }
            }
            3 => {
                // Unmap at any address inside a page: the whole page (base or huge) goes, its
                // tables stay.
                let offset = rng.below(size);
                let got = f.unmap(&mut arena, root, va + offset).map(|m| (m.va, m.level, m.entry.frame, m.entry.bits));
                match covering(&pages, va + offset) {
                    None => assert!(
                        matches!(got, Err(UpdateError::NotMapped(_))),
                        "step {step}: unmap {:#x} of nothing: {got:?}; {ctx}",
                        va + offset
                    ),
                    Some((s, p)) => {
                        assert_eq!(
                            got,
                            Ok((s, p.level, p.frame, p.bits)),
                            "step {step}: unmap {:#x}; {ctx}",
                            va + offset
                        );
                        pages.remove(&s);
                        assert!(f.lookup(&arena, root, va + offset).is_none(), "step {step}; {ctx}");
                    }
                }
            }
            _ => {
                let offset = rng.below(size);
                let op = [Op::Read, Op::Write, Op::Execute][rng.below(3) as usize];
                let request = Request { op, user: true };
                let got = f.access(&mut arena, root, va + offset, request).outcome();
                match covering(&pages, va + offset) {
                    None => assert!(got.is_err(), "step {step}: access {va:#x} of nothing: {got:?}; {ctx}"),
                    Some((s, p)) => {
                        if p.bits.contains(request.needs()) {
                            let t = got.unwrap_or_else(|e| panic!("step {step}: {e}; {ctx}"));
                            assert_eq!(t.phys.as_u64(), (p.frame << g.page_shift()) + (va + offset - s), "{ctx}");
                            assert_eq!(t.level, p.level);
                            let mut bits = p.bits | (EntryBits::ACCESSED & l.representable());
                            if op == Op::Write {
                                bits |= EntryBits::DIRTY & l.representable();
                            }
                            pages.insert(s, Page { bits, ..p });
                        } else {
                            assert_eq!(got.map_err(|e| e.kind), Err(FaultKind::Protection), "step {step}; {ctx}");
                        }
                    }
                }
            }
        }
        // After every step: the whole table listed is the model, bit for bit.
        let listed: Vec<(u64, Page)> = f
            .mappings(&arena, root)
            .iter()
            .map(|m| (m.va, Page { level: m.level, frame: m.entry.frame, bits: m.entry.bits }))
            .collect();
        let model: Vec<(u64, Page)> = pages.iter().map(|(&v, &p)| (v, p)).collect();
        assert_eq!(listed, model, "step {step}; {ctx}");
        assert_eq!(f.table_frames(&arena, root).len(), 1 + made.len(), "step {step}; {ctx}");
    }
    // Duplicating and freeing gives every table frame back.
    if let Ok(copy) = f.duplicate(&mut arena, &mut pool, root) {
        let entries = |root: u64| f.mappings(&arena, root).iter().map(|m| (m.va, m.level, m.entry)).collect::<Vec<_>>();
        assert_eq!(entries(copy), entries(root), "{ctx}");
        f.free_tables(&arena, &mut pool, copy).unwrap();
    }
    f.free_tables(&arena, &mut pool, root).unwrap();
    assert_eq!(pool.free_count(), tables, "{ctx}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Map, unmap, update (protect, clear accessed/dirty) and access in random formats agree
    /// with the model after every step.
    #[test]
    fn random_formats_match_the_model(seed in any::<u64>(), ops in 1usize..60) {
        run(seed, ops);
    }
}
