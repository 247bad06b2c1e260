//! Walker tests: unit cases, and random operation sequences against a `BTreeMap` model.

use std::collections::{BTreeMap, BTreeSet};

use phys::{FramePool, MemoryLayout, PhysMemory};
use proptest::prelude::*;

use super::*;
use crate::{VirtAddr, Walker};

fn machine() -> PhysMemory {
    PhysMemory::new(MemoryLayout { frames: 64, kernel: 0..40, user: 40..64 }).unwrap()
}

const RW: PteFlags = PteFlags::READ.union(PteFlags::WRITE);

#[test]
fn two_level_creates_leaves_lazily_and_keeps_them() {
    let mut m = machine();
    let t = PageTable::new(&mut m.arena, &mut m.kernel, Format::AJOU).unwrap();
    assert_eq!(t.table_frames(&m.arena).count(), 1);
    t.map(&mut m.arena, &mut m.kernel, Vpn::new(0x21), Pfn::new(50), RW).unwrap();
    t.map(&mut m.arena, &mut m.kernel, Vpn::new(0x22), Pfn::new(51), PteFlags::READ).unwrap();
    assert_eq!(t.table_frames(&m.arena).collect::<Vec<_>>(), [Pfn::new(0), Pfn::new(1)]);
    assert_eq!(
        t.map(&mut m.arena, &mut m.kernel, Vpn::new(0x21), Pfn::new(52), RW),
        Err(MapError::AlreadyMapped { vpn: Vpn::new(0x21), frame: Pfn::new(50) })
    );
    assert_eq!(t.unmap(&mut m.arena, Vpn::new(0x21)).map(Pte::frame), Ok(Pfn::new(50)));
    assert_eq!(t.unmap(&mut m.arena, Vpn::new(0x21)), Err(UnmapError::NotMapped { vpn: Vpn::new(0x21) }));
    assert_eq!(t.unmap(&mut m.arena, Vpn::new(0x50)), Err(UnmapError::NotMapped { vpn: Vpn::new(0x50) }));
    t.unmap(&mut m.arena, Vpn::new(0x22)).unwrap();
    // The emptied leaf stays, as the ajou framework's does.
    let leaves: Vec<_> = t.leaves(&m.arena).map(|l| (l.dir_index, l.first_vpn)).collect();
    assert_eq!(leaves, [(2, Vpn::new(0x20))]);
    t.free(&m.arena, &mut m.kernel).unwrap();
    assert_eq!(m.kernel.free_count(), 40);
}

#[test]
fn a_walker_from_no_table_translates_nothing() {
    let m = machine();
    for format in [Format::MTL458, Format::AJOU, Format::two_level(2, 3).unwrap()] {
        let w = Walker::new(format);
        assert_eq!(w.format(), format);
        for root in [u32::MAX, m.arena.frames()] {
            assert_eq!(w.translate(&m.arena, Pfn::new(root), VirtAddr::new(0)), None, "{format:?} from {root}");
        }
    }
}

#[test]
fn a_walker_never_truncates_an_address_to_a_mapped_page() {
    let mut m = machine();
    for format in [Format::MTL458, Format::AJOU] {
        let t = PageTable::new(&mut m.arena, &mut m.kernel, format).unwrap();
        t.map(&mut m.arena, &mut m.kernel, Vpn::new(0), Pfn::new(7), PteFlags::READ).unwrap();
        let w = Walker::new(format);
        assert_eq!(w.translate(&m.arena, t.root(), VirtAddr::new(9)).map(Pte::frame), Some(Pfn::new(7)));
        // Page 2^32 and page 2^32 + vpn_count would be page 0 in 32 bits or modulo the table.
        for page in [1u64 << 32, (1 << 32) + u64::from(format.vpn_count()), u64::from(format.vpn_count())] {
            assert_eq!(w.translate(&m.arena, t.root(), VirtAddr::new(page << 12)), None, "{format:?} page {page}");
        }
    }
}

#[test]
fn out_of_range_vpns_are_errors() {
    let mut m = machine();
    let t = PageTable::new(&mut m.arena, &mut m.kernel, Format::AJOU).unwrap();
    let vpn = Vpn::new(256);
    assert_eq!(
        t.map(&mut m.arena, &mut m.kernel, vpn, Pfn::new(1), RW),
        Err(MapError::VpnOutOfRange { vpn, vpn_count: 256 })
    );
    assert_eq!(t.protect(&mut m.arena, vpn, RW), Err(UnmapError::VpnOutOfRange { vpn, vpn_count: 256 }));
    assert_eq!(t.translate(&m.arena, vpn), None);
}

#[test]
fn a_table_frame_shortage_is_an_error_and_changes_nothing() {
    let mut m = machine();
    let mut tiny = FramePool::new(phys::PoolKind::Kernel, 0..1);
    let t = PageTable::new(&mut m.arena, &mut tiny, Format::AJOU).unwrap();
    let e = t.map(&mut m.arena, &mut tiny, Vpn::new(3), Pfn::new(45), RW);
    assert!(matches!(e, Err(MapError::TableFrame(_))));
    assert_eq!(t.mapped(&m.arena).count(), 0);
    assert_eq!(t.duplicate(&mut m.arena, &mut tiny).err().map(|e| matches!(e, MapError::TableFrame(_))), Some(true));
    assert_eq!(tiny.free_count(), 0);
}

#[test]
fn protect_and_remap_keep_what_they_should() {
    let mut m = machine();
    let t = PageTable::new(&mut m.arena, &mut m.kernel, Format::MTL458).unwrap();
    t.map(&mut m.arena, &mut m.kernel, Vpn::new(1023), Pfn::new(60), RW).unwrap();
    let old = t.protect(&mut m.arena, Vpn::new(1023), PteFlags::READ | PteFlags::COW).unwrap();
    assert_eq!(old.flags(), RW | PteFlags::PRESENT);
    let now = t.translate(&m.arena, Vpn::new(1023)).unwrap();
    assert_eq!((now.frame(), now.flags()), (Pfn::new(60), PteFlags::PRESENT | PteFlags::READ | PteFlags::COW));
    t.remap(&mut m.arena, Vpn::new(1023), Pfn::new(61), RW).unwrap();
    assert_eq!(t.translate(&m.arena, Vpn::new(1023)).map(Pte::frame), Some(Pfn::new(61)));
    assert_eq!(t.table_frames(&m.arena).collect::<Vec<_>>(), [t.root()]);
}

#[test]
fn duplicate_and_zip_see_the_same_entries() {
    let mut m = machine();
    let t = PageTable::new(&mut m.arena, &mut m.kernel, Format::AJOU).unwrap();
    for (v, f) in [(0, 40), (17, 41), (255, 42)] {
        t.map(&mut m.arena, &mut m.kernel, Vpn::new(v), Pfn::new(f), RW).unwrap();
    }
    let c = t.duplicate(&mut m.arena, &mut m.kernel).unwrap();
    assert_eq!(t.mapped(&m.arena).collect::<Vec<_>>(), c.mapped(&m.arena).collect::<Vec<_>>());
    assert_eq!(c.table_frames(&m.arena).count(), 4);
    let mut seen = 0;
    t.zip_leaves_mut(&c, &mut m.arena, |_, a, b| {
        for (x, y) in a.iter_mut().zip(b) {
            if x.is_present() {
                *y = y.with_flags(PteFlags::PRESENT | PteFlags::READ);
                seen += 1;
            }
        }
    })
    .unwrap();
    assert_eq!(seen, 3);
    assert!(c.mapped(&m.arena).all(|(_, e)| !e.flags().contains(PteFlags::WRITE)));
    assert!(t.mapped(&m.arena).all(|(_, e)| e.flags().contains(PteFlags::WRITE)));
}

#[derive(Debug, Clone)]
enum Op {
    Map(u32, u32, u8),
    Unmap(u32),
    Protect(u32, u8),
    Translate(u32),
}

fn flags_of(bits: u8) -> PteFlags {
    PteFlags::from_bits_truncate(u32::from(bits) << 1) & (PteFlags::READ | PteFlags::WRITE | PteFlags::EXEC)
}

fn ops(vpns: u32) -> impl Strategy<Value = Vec<Op>> {
    // A few VPNs past the range so that the range checks are exercised too.
    let vpn = 0..vpns + 4;
    prop::collection::vec(
        prop_oneof![
            4 => (vpn.clone(), 40u32..64, any::<u8>()).prop_map(|(v, f, b)| Op::Map(v, f, b)),
            2 => vpn.clone().prop_map(Op::Unmap),
            1 => (vpn.clone(), any::<u8>()).prop_map(|(v, b)| Op::Protect(v, b)),
            2 => vpn.prop_map(Op::Translate),
        ],
        1..300,
    )
}

fn run_against_model(format: Format, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut m = machine();
    let t = PageTable::new(&mut m.arena, &mut m.kernel, format).unwrap();
    let mut model: BTreeMap<u32, (u32, PteFlags)> = BTreeMap::new();
    let n = format.vpn_count();
    for op in ops {
        match op {
            Op::Map(v, f, b) => {
                let r = t.map(&mut m.arena, &mut m.kernel, Vpn::new(v), Pfn::new(f), flags_of(b));
                match (v < n, model.get(&v)) {
                    (false, _) => prop_assert!(
                        matches!(r, Err(MapError::VpnOutOfRange { vpn_count, .. }) if vpn_count == n),
                        "{:?}",
                        r
                    ),
                    (true, Some(&(old, _))) => {
                        prop_assert_eq!(r, Err(MapError::AlreadyMapped { vpn: Vpn::new(v), frame: Pfn::new(old) }))
                    }
                    (true, None) => {
                        prop_assert_eq!(r, Ok(()));
                        model.insert(v, (f, flags_of(b) | PteFlags::PRESENT));
                    }
                }
            }
            Op::Unmap(v) => {
                let r = t.unmap(&mut m.arena, Vpn::new(v));
                match model.remove(&v) {
                    Some((f, fl)) => prop_assert_eq!(r, Ok(Pte::new(Pfn::new(f), fl).unwrap())),
                    None => prop_assert!(r.is_err()),
                }
            }
            Op::Protect(v, b) => {
                let r = t.protect(&mut m.arena, Vpn::new(v), flags_of(b));
                match model.get_mut(&v) {
                    Some(e) => {
                        prop_assert!(r.is_ok());
                        e.1 = flags_of(b) | PteFlags::PRESENT;
                    }
                    None => prop_assert!(r.is_err()),
                }
            }
            Op::Translate(v) => {
                let got = t.translate(&m.arena, Vpn::new(v)).map(|e| (e.frame().as_u32(), e.flags()));
                prop_assert_eq!(got, model.get(&v).copied());
                // The walker that owners of bare roots use must agree, on every path it has.
                let walked = Walker::new(format).translate(
                    &m.arena,
                    t.root(),
                    VirtAddr::new(Vpn::new(v).start_address().as_u64() + 5),
                );
                prop_assert_eq!(walked.map(|e| (e.frame().as_u32(), e.flags())), got);
                // So must the course machines' walk that leaves general formats to its caller.
                let course = Walker::new(format).translate_course(
                    &m.arena,
                    t.root(),
                    VirtAddr::new(Vpn::new(v).start_address().as_u64() + 5),
                );
                prop_assert_eq!(course, walked);
            }
        }
        let walked: Vec<_> = t.mapped(&m.arena).map(|(v, e)| (v.as_u32(), (e.frame().as_u32(), e.flags()))).collect();
        let expect: Vec<_> = model.iter().map(|(&v, &e)| (v, e)).collect();
        prop_assert_eq!(walked, expect);
    }
    // Freeing returns every table frame.
    t.free(&m.arena, &mut m.kernel).unwrap();
    prop_assert_eq!(m.kernel.free_count(), 40);
    Ok(())
}

proptest! {
    #[test]
    fn single_level_matches_a_btreemap(ops in ops(1024)) {
        run_against_model(Format::MTL458, ops)?;
    }

    #[test]
    fn two_level_matches_a_btreemap(ops in ops(256)) {
        run_against_model(Format::AJOU, ops)?;
    }

    #[test]
    fn single_level_of_any_width_matches_a_btreemap(leaf in 1u8..=10, ops in ops(1024)) {
        run_against_model(Format::single_level(leaf).unwrap(), ops)?;
    }

    #[test]
    fn any_split_matches_a_btreemap(dir in 1u8..=5, leaf in 1u8..=5, ops in ops(1024)) {
        run_against_model(Format::two_level(dir, leaf).unwrap(), ops)?;
    }
}

#[test]
fn a_general_format_runs_through_the_same_calls() {
    let mut m = PhysMemory::new(MemoryLayout { frames: 64, kernel: 0..40, user: 40..64 }).unwrap();
    let format = Format::general(crate::Preset::X86_64.format()).unwrap();
    let t = PageTable::new(&mut m.arena, &mut m.kernel, format).unwrap();
    let high = Vpn::from_u64((1 << 35) - 1); // the last page of the lower half
    let vpns = [Vpn::new(0), Vpn::new(1), high];
    assert_eq!(t.tables_needed(&m.arena, vpns.into_iter()), 6);
    assert_eq!(format.tables_for(vpns.into_iter()), 7);
    for (i, v) in vpns.into_iter().enumerate() {
        t.map(&mut m.arena, &mut m.kernel, v, Pfn::new(50 + i as u32), RW | PteFlags::ORIG_WRITE).unwrap();
    }
    assert_eq!(t.table_frames(&m.arena).count(), 7);
    assert_eq!(t.tables_needed(&m.arena, vpns.into_iter()), 0);
    let e = t.translate(&m.arena, high).unwrap();
    assert_eq!((e.frame(), e.flags()), (Pfn::new(52), PteFlags::PRESENT | RW | PteFlags::ORIG_WRITE));
    let w = Walker::new(format);
    assert_eq!(w.translate(&m.arena, t.root(), high.start_address()).map(Pte::frame), Some(Pfn::new(52)));
    assert_eq!(w.translate(&m.arena, t.root(), VirtAddr::new(1 << 47)), None);
    // The course machines' walk walks no general table: it leaves them to its caller.
    assert_eq!(w.translate_course(&m.arena, t.root(), high.start_address()), None);
    assert_eq!(w.translate_course(&m.arena, t.root(), VirtAddr::new(0)), None);
    assert_eq!(
        t.map(&mut m.arena, &mut m.kernel, Vpn::new(1), Pfn::new(60), RW),
        Err(MapError::AlreadyMapped { vpn: Vpn::new(1), frame: Pfn::new(51) })
    );
    assert!(matches!(
        t.map(&mut m.arena, &mut m.kernel, Vpn::from_u64(1 << 35), Pfn::new(60), RW),
        Err(MapError::VpnOutOfRange { .. })
    ));
    let cow = PteFlags::READ | PteFlags::COW | PteFlags::ORIG_WRITE;
    t.protect(&mut m.arena, Vpn::new(1), cow).unwrap();
    assert_eq!(t.translate(&m.arena, Vpn::new(1)).unwrap().flags(), PteFlags::PRESENT | cow);
    let copy = t.duplicate(&mut m.arena, &mut m.kernel).unwrap();
    t.remap(&mut m.arena, Vpn::new(1), Pfn::new(61), RW).unwrap();
    assert_eq!(copy.translate(&m.arena, Vpn::new(1)).unwrap().frame(), Pfn::new(51));
    assert_eq!(t.unmap(&mut m.arena, Vpn::new(1)).map(Pte::frame), Ok(Pfn::new(61)));
    assert_eq!(t.unmap(&mut m.arena, Vpn::new(1)), Err(UnmapError::NotMapped { vpn: Vpn::new(1) }));
    let listed: Vec<_> = copy.mapped(&m.arena).map(|(v, e)| (v, e.frame())).collect();
    assert_eq!(listed, [(Vpn::new(0), Pfn::new(50)), (Vpn::new(1), Pfn::new(51)), (high, Pfn::new(52))]);
    assert_eq!(t.leaves(&m.arena).count(), 0);
    copy.free(&m.arena, &mut m.kernel).unwrap();
    t.free(&m.arena, &mut m.kernel).unwrap();
    assert_eq!(m.kernel.free_count(), 40);
}

/// Regression: a walk uses only a VPN's index bits, so a VPN one past the space named VPN 0's
/// entry; `absent` found VPN 0's swapped entry for it, and the kernel brought "it" in (the lock
/// step against the model: a read at 4 GiB on x86-32 with page 0 swapped out).
#[test]
fn absent_entries_are_not_found_past_the_space() {
    use crate::{Absent, AbsentKind, Preset};
    for preset in [Preset::X86_32, Preset::Sv32] {
        let format = Format::general(preset.format()).unwrap();
        let mut m = PhysMemory::new(MemoryLayout { frames: 64, kernel: 0..40, user: 40..64 }).unwrap();
        let t = PageTable::new(&mut m.arena, &mut m.kernel, format).unwrap();
        let swapped = Absent { kind: AbsentKind::Swapped(3), flags: RW | PteFlags::ORIG_WRITE };
        t.set_absent(&mut m.arena, &mut m.kernel, Vpn::new(0), swapped).unwrap();
        let past = Vpn::from_u64(u64::from(format.vpn_count()));
        assert_eq!(t.absent(&m.arena, past), None, "{preset:?}");
        assert_eq!(t.take_absent(&mut m.arena, past), None, "{preset:?}");
        assert!(t.absent(&m.arena, Vpn::new(0)).is_some(), "{preset:?}: VPN 0's entry is untouched");
    }
}

#[test]
fn absent_entries_round_trip_on_every_preset() {
    use crate::{Absent, AbsentKind, Preset};
    for preset in Preset::ALL {
        let Ok(format) = Format::general(preset.format()) else { continue };
        if format.vpn_count() < 8 {
            continue;
        }
        let mut m = PhysMemory::new(MemoryLayout { frames: 64, kernel: 0..40, user: 40..64 }).unwrap();
        let Ok(t) = PageTable::new(&mut m.arena, &mut m.kernel, format) else { continue };
        let cow = PteFlags::READ | PteFlags::COW | PteFlags::ORIG_WRITE;
        t.map(&mut m.arena, &mut m.kernel, Vpn::new(1), Pfn::new(50), cow).unwrap();
        let lazy = Absent { kind: AbsentKind::Lazy, flags: RW | PteFlags::ORIG_WRITE };
        let swapped = Absent { kind: AbsentKind::Swapped(0), flags: cow };
        // A fresh VPN (tables created on the way) and a present one (its entry returned).
        assert_eq!(t.set_absent(&mut m.arena, &mut m.kernel, Vpn::new(5), lazy), Ok(None), "{preset:?}");
        let old = t.set_absent(&mut m.arena, &mut m.kernel, Vpn::new(1), swapped).unwrap();
        assert_eq!(old.map(Pte::frame), Some(Pfn::new(50)), "{preset:?}");
        assert_eq!(t.translate(&m.arena, Vpn::new(1)), None, "{preset:?}: an absent entry is not present");
        assert_eq!(t.mapped(&m.arena).count(), 0);
        // Flags come back as a present entry's would: permissions the layout implies added.
        let mut implied = |a: Absent| {
            let probe = Pfn::new(52);
            t.map(&mut m.arena, &mut m.kernel, Vpn::new(3), probe, a.flags).unwrap();
            let flags = t.unmap(&mut m.arena, Vpn::new(3)).unwrap().flags() - PteFlags::PRESENT;
            Absent { kind: a.kind, flags }
        };
        let (swapped, lazy) = (implied(swapped), implied(lazy));
        assert_eq!(t.absent(&m.arena, Vpn::new(1)), Some(swapped), "{preset:?}");
        assert_eq!(t.absent(&m.arena, Vpn::new(5)), Some(lazy), "{preset:?}");
        assert_eq!(t.absent(&m.arena, Vpn::new(2)), None);
        let copy = t.duplicate(&mut m.arena, &mut m.kernel).unwrap();
        assert_eq!(copy.absent_entries(&m.arena), [(Vpn::new(1), swapped), (Vpn::new(5), lazy)], "{preset:?}");
        assert_eq!(t.take_absent(&mut m.arena, Vpn::new(1)), Some(swapped));
        assert_eq!(t.take_absent(&mut m.arena, Vpn::new(1)), None);
        assert_eq!(t.absent_entries(&m.arena), [(Vpn::new(5), lazy)]);
        // A page brought back in maps over its absent entry.
        t.take_absent(&mut m.arena, Vpn::new(5)).unwrap();
        t.map(&mut m.arena, &mut m.kernel, Vpn::new(5), Pfn::new(51), RW).unwrap();
        assert_eq!(t.translate(&m.arena, Vpn::new(5)).map(Pte::frame), Some(Pfn::new(51)));
    }
    let mut m = PhysMemory::new(MemoryLayout::AJOU).unwrap();
    let t = PageTable::new(&mut m.arena, &mut m.kernel, Format::AJOU).unwrap();
    let lazy = Absent { kind: AbsentKind::Lazy, flags: RW };
    assert_eq!(t.set_absent(&mut m.arena, &mut m.kernel, Vpn::new(1), lazy), Err(MapError::NotGeneral));
}

/// An entry's address read and cleared in place agrees with a walk, on every preset and on the
/// course formats: the accessed and dirty bits the MMU sets show at the address, clearing one
/// there is what a walk then finds, and the address names nothing once the page is unmapped.
#[test]
fn entry_addresses_read_and_clear_what_a_walk_finds() {
    use crate::Preset;
    let mut formats = vec![Format::AJOU, Format::MTL458];
    formats.extend(Preset::ALL.iter().filter_map(|p| Format::general(p.format()).ok()));
    let mut checked = 0;
    for format in formats {
        let mut m = machine();
        let Ok(t) = PageTable::new(&mut m.arena, &mut m.kernel, format) else { continue };
        checked += 1;
        let vpns = [Vpn::new(0), Vpn::new(1), Vpn::from_u64(format.vpns() - 1)];
        for (i, &v) in vpns.iter().enumerate() {
            t.map(&mut m.arena, &mut m.kernel, v, Pfn::new(50 + i as u32), RW).unwrap();
        }
        let at: Vec<EntryAddr> = vpns.iter().map(|&v| t.entry_addr(&m.arena, v).unwrap()).collect();
        assert_eq!(at.iter().collect::<BTreeSet<_>>().len(), 3, "{format:?}: one entry a page");
        let walked = |m: &PhysMemory, v: Vpn| t.translate(&m.arena, v).map(Pte::flags);
        t.record_access(&mut m.arena, vpns[1], true);
        for (&v, &a) in vpns.iter().zip(&at) {
            assert_eq!(format.flags_at(&m.arena, a), walked(&m, v), "{format:?} {v:?}");
        }
        for flags in [PteFlags::ACCESSED, PteFlags::DIRTY, PteFlags::ACCESSED | PteFlags::DIRTY, RW] {
            let has = walked(&m, vpns[1]).map(|f| f.contains(flags));
            assert_eq!(format.has_flags_at(&m.arena, at[1], flags), has, "{format:?} {flags:?}");
        }
        assert!(format.clear_flags_at(&mut m.arena, at[1], PteFlags::ACCESSED), "{format:?}");
        assert_eq!(format.flags_at(&m.arena, at[1]), walked(&m, vpns[1]), "{format:?}");
        assert!(!walked(&m, vpns[1]).unwrap().contains(PteFlags::ACCESSED), "{format:?}");
        // Neighbours are untouched.
        assert_eq!(format.flags_at(&m.arena, at[0]), walked(&m, vpns[0]), "{format:?}");
        t.unmap(&mut m.arena, vpns[1]).unwrap();
        assert_eq!((format.flags_at(&m.arena, at[1]), t.entry_addr(&m.arena, vpns[1])), (None, None));
        assert!(!format.clear_flags_at(&mut m.arena, at[1], PteFlags::DIRTY), "{format:?}");
        assert_eq!(format.has_flags_at(&m.arena, at[1], PteFlags::DIRTY), None, "{format:?}");
        assert_eq!(t.entry_addr(&m.arena, Vpn::from_u64(format.vpns())), None);
    }
    assert!(checked >= 8, "only {checked} formats checked");
}

proptest! {
    /// The shortcuts the kernel's R/M reads take agree with a full decode on any raw entry of
    /// any preset: the kind alone, and a flag's mask.
    #[test]
    fn kind_and_flag_masks_agree_with_decode(raw in any::<u64>(), preset in 0..crate::Preset::ALL.len(), level in 0usize..5) {
        use crate::{EntryBits, EntryKind};
        let m = crate::Preset::ALL[preset].format();
        let levels = m.geometry().levels();
        let level = level % levels;
        let width = u32::from(m.geometry().entry_bytes()) * 8;
        let raw = if width >= 64 { raw } else { raw & ((1 << width) - 1) };
        let l = m.layout();
        let e = l.decode(raw, level, levels);
        prop_assert_eq!(l.kind(raw, level, levels), e.kind);
        for bits in [EntryBits::ACCESSED, EntryBits::DIRTY, EntryBits::ACCESSED | EntryBits::DIRTY, EntryBits::COW] {
            if let (Some(mask), EntryKind::Leaf) = (l.flag_mask(bits), e.kind) {
                prop_assert_eq!(raw & mask == mask, e.bits.contains(bits));
                let cleared = l.update(raw, EntryBits::empty(), bits).unwrap();
                prop_assert_eq!(raw & !mask, cleared);
            }
        }
        prop_assert_eq!(l.flag_mask(EntryBits::READ), None);
    }
}
