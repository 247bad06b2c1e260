//! Every preset machine runs the mtl458 operations (create, allocate anywhere, read, write,
//! fork by both policies, copy-on-write, deallocate, exit, kill) with `check` after each, and
//! records accessed and dirty bits where its entries have them.

use kernel::{AccessError, ForkPolicy, Kernel, Perm, Pid, Profile, PteFlags, SegmentSizes, VirtAddr, Vpn};
use paging::{Format, Preset};

fn machine(preset: Preset) -> Kernel {
    let format = Format::general(preset.format()).unwrap();
    Kernel::new(Profile::machine(preset.name(), format, 16 << 20).unwrap()).unwrap()
}

#[track_caller]
fn checked(k: &Kernel) {
    if let Err(e) = k.check() {
        panic!("{}: {e}", k.profile().name);
    }
}

const GENERAL: [Preset; 8] = [
    Preset::X86_32,
    Preset::X86_64,
    Preset::X86_64_5Level,
    Preset::Sv32,
    Preset::Sv39,
    Preset::Sv48,
    Preset::Sv57,
    Preset::Aarch64_4k,
];

#[test]
fn every_preset_runs_processes_through_their_lives() {
    for preset in GENERAL {
        for policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
            let mut k = machine(preset);
            k.set_fork_policy(policy);
            let space = k.profile().address_space_size();
            let sizes = SegmentSizes { code: 4096, ro_data: 4096, rw_data: 8192, stack: 8192 };
            let p = k.create_ps(sizes, b"hello").unwrap();
            checked(&k);
            assert_eq!(k.read_mem(p, VirtAddr::new(4)).unwrap(), b'o');
            assert_eq!(k.stack_start(p), Some(VirtAddr::new(space - 8192)));
            // Pages far apart: the top of the address space, its middle.
            let high = VirtAddr::new(space - 64 * 4096);
            let mid = VirtAddr::new(space / 2 + 4096);
            let rw = Perm::READ | Perm::WRITE;
            k.allocate_pages(p, high, 3, rw).unwrap();
            k.allocate_pages(p, mid, 1, rw).unwrap();
            checked(&k);
            k.write_mem(p, VirtAddr::new(high.as_u64() + 4097), 7).unwrap();
            k.write_mem(p, VirtAddr::new(space - 1), 9).unwrap(); // the stack's last byte
            let child = k.fork_ps(p).unwrap();
            checked(&k);
            assert_eq!(k.read_mem(child, VirtAddr::new(high.as_u64() + 4097)).unwrap(), 7);
            k.write_mem(child, VirtAddr::new(high.as_u64() + 4097), 8).unwrap();
            checked(&k);
            assert_eq!(k.read_mem(p, VirtAddr::new(high.as_u64() + 4097)).unwrap(), 7, "{preset} {policy:?}");
            assert_eq!(k.read_mem(child, VirtAddr::new(space - 1)).unwrap(), 9);
            k.deallocate_pages(p, high, 3).unwrap();
            checked(&k);
            // A write to read-only data kills.
            match k.write_mem(child, VirtAddr::new(4096), 1) {
                Err(AccessError::Fault(f)) => assert!(f.killed),
                other => panic!("{preset}: {other:?}"),
            }
            checked(&k);
            k.exit_ps(p).unwrap();
            checked(&k);
            assert_eq!(k.mem().user.free_count(), k.mem().user.len(), "{preset}");
            assert_eq!(k.mem().kernel.free_count(), k.mem().kernel.len(), "{preset}");
        }
    }
}

#[test]
fn the_mmu_sets_accessed_and_dirty_bits_and_the_kernel_clears_them() {
    for preset in GENERAL {
        let mut k = machine(preset);
        let layout = *preset.format().layout();
        let p = k.create_ps(SegmentSizes { code: 0, ro_data: 0, rw_data: 4096, stack: 4096 }, b"").unwrap();
        let fresh = k.entry(p, Vpn::new(0)).unwrap().flags();
        assert!(!fresh.intersects(PteFlags::ACCESSED | PteFlags::DIRTY), "{preset}: {fresh:?}");
        k.read_mem(p, VirtAddr::new(5)).unwrap();
        let read = k.entry(p, Vpn::new(0)).unwrap().flags();
        assert_eq!(read.contains(PteFlags::ACCESSED), layout.accessed.is_some(), "{preset}");
        assert!(!read.contains(PteFlags::DIRTY));
        k.write_mem(p, VirtAddr::new(5), 1).unwrap();
        let written = k.entry(p, Vpn::new(0)).unwrap().flags();
        assert_eq!(written.contains(PteFlags::DIRTY), layout.dirty.is_some(), "{preset}");
        let old = k.clear_accessed_dirty(p, Vpn::new(0)).unwrap();
        assert_eq!(old.flags(), written);
        assert!(!k.entry(p, Vpn::new(0)).unwrap().flags().intersects(PteFlags::ACCESSED | PteFlags::DIRTY));
        // Every access sets them again: no TLB hides the second read.
        k.read_mem(p, VirtAddr::new(6)).unwrap();
        assert_eq!(k.entry(p, Vpn::new(0)).unwrap().flags().contains(PteFlags::ACCESSED), layout.accessed.is_some());
        checked(&k);
    }
}

#[test]
fn addresses_past_the_lower_half_kill() {
    let mut k = machine(Preset::X86_64);
    let p = k.create_ps(SegmentSizes { code: 0, ro_data: 0, rw_data: 4096, stack: 4096 }, b"").unwrap();
    let space = k.profile().address_space_size();
    assert_eq!(space, 1 << 47);
    assert!(k.allocate_pages(p, VirtAddr::new(space - 4096), 2, Perm::READ).is_err());
    checked(&k);
    assert!(k.process(p).is_none(), "the out-of-range allocation killed the process");
    let q = k.create_ps(SegmentSizes { code: 0, ro_data: 0, rw_data: 4096, stack: 4096 }, b"").unwrap();
    assert!(matches!(k.read_mem(q, VirtAddr::new(0xffff_8000_0000_0000)), Err(AccessError::Fault(_))));
    checked(&k);
    let _ = Pid::new(0);
}

#[test]
fn bad_machines_are_refused() {
    let f = Format::general(Preset::X86_64.format()).unwrap();
    assert!(Profile::machine("x", f, 4096).is_err());
    assert!(Profile::machine("x", f, (1 << 32) + 4096).is_err());
    assert!(Profile::machine("x", f, (1 << 20) + 1).is_err());
    assert!(Profile::machine("x", f, 256 << 20).is_ok());
}
