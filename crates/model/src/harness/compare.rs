//! Comparing the kernel with the model: after a step, what the step touched (statistics, swap
//! state, processes, pages with their bytes); every so many steps, everything
//! (`full_compare`). Each comparison returns the first difference as a sentence.

use kernel::{Kernel, PAGE_SIZE, Perm, Pfn, Pid, PteFlags, VirtAddr, Vpn};
use paging::AbsentKind;

use crate::{FrameBytes, Model};

pub(super) fn compare_stats(k: &Kernel, m: &Model) -> Result<(), String> {
    let (got, want) = (k.stats(), m.stats());
    if got != want {
        return Err(format!("stats: kernel {got:?}, model {want:?}"));
    }
    let (got, want) = (k.paging_stats(), m.paging_stats());
    if got != want {
        return Err(format!("paging stats: kernel {got:?}, model {want:?}"));
    }
    Ok(())
}

/// Demand paging's visible state: every slot's users, the slots in use, the policy's hand.
pub(super) fn compare_swap(k: &Kernel, m: &Model) -> Result<(), String> {
    let Some(config) = m.demand_config() else { return Ok(()) };
    if k.demand_config() != Some(config) {
        return Err(format!("demand paging: kernel {:?}, model {config:?}", k.demand_config()));
    }
    for slot in 0..config.swap_slots {
        let (got, want) = (k.swap_slot_users(slot), m.swap_slot_users(slot));
        if got != want {
            return Err(format!("swap slot {slot}: kernel {got:?} users, model {want:?}"));
        }
    }
    let (got, want) = (k.swap_slots_used(), m.swap_slots_used());
    if got != want {
        return Err(format!("swap slots in use: kernel {got}, model {want}"));
    }
    let (got, want) = (k.policy_hand(), m.policy_hand());
    if got != want {
        return Err(format!("policy hand: kernel {got:?}, model {want:?}"));
    }
    Ok(())
}

/// `pid`'s absent entries (demand paging): lazy or swapped, with their flags.
fn compare_absent(k: &Kernel, m: &Model, pid: u32) -> Result<(), String> {
    let (Some(kp), Some(mp)) = (k.process(Pid::new(pid)), m.process(pid)) else { return Ok(()) };
    let got: Vec<(u32, AbsentKind, PteFlags)> =
        kp.table().absent_entries(&k.mem().arena).into_iter().map(|(v, a)| (v.as_u32(), a.kind, a.flags)).collect();
    let want: Vec<(u32, AbsentKind, PteFlags)> = mp.absent.iter().map(|(&v, a)| (v, a.kind(), a.flags())).collect();
    if got != want {
        let i = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        return Err(format!(
            "pid {pid}: {} absent pages in the kernel, {} in the model; first difference: kernel {:?}, model {:?}",
            got.len(),
            want.len(),
            got.get(i),
            want.get(i)
        ));
    }
    let (got, want) = (k.process_paging_stats(Pid::new(pid)).ok(), m.process_paging_stats(pid));
    if got != want {
        return Err(format!("pid {pid} paging stats: kernel {got:?}, model {want:?}"));
    }
    Ok(())
}

fn compare_bytes(k: &Kernel, m: &Model, pid: u32, vpn: u32, frame: u32) -> Result<(), String> {
    let got = k.mem().arena.frame(Pfn::new(frame)).map_err(|e| format!("pid {pid} vpn {vpn}: {e}"))?;
    let want = m.frame_bytes(frame);
    static ZERO: FrameBytes = [0; PAGE_SIZE];
    let same = got == &want.unwrap_or(&ZERO)[..];
    if same {
        return Ok(());
    }
    let want_at = |i: usize| want.map_or(0, |b| b[i]);
    let i = (0..got.len()).find(|&i| got[i] != want_at(i)).unwrap_or(0);
    Err(format!(
        "pid {pid} vpn {vpn} frame {frame}: byte {i:#x} is {:#04x} in the kernel, {:#04x} in the model",
        got[i],
        want_at(i)
    ))
}

pub(super) fn compare_page(k: &Kernel, m: &Model, pid: u32, vpn: u32) -> Result<(), String> {
    let Some(p) = m.process(pid) else {
        return match k.process(Pid::new(pid)) {
            Some(_) => Err(format!("pid {pid} is alive in the kernel, not in the model")),
            None => Ok(()),
        };
    };
    let e = k.entry(Pid::new(pid), Vpn::new(vpn)).map_err(|e| format!("pid {pid} alive in the model only: {e}"))?;
    match (p.pages.get(&vpn), e.is_present()) {
        (None, false) => {
            let got = k.process(Pid::new(pid)).and_then(|kp| kp.table().absent(&k.mem().arena, Vpn::new(vpn)));
            let want = p.absent.get(&vpn);
            match (got, want) {
                (None, None) => Ok(()),
                (Some(g), Some(w)) if g.kind == w.kind() && g.flags == w.flags() => {
                    let (got, want) = (k.process_paging_stats(Pid::new(pid)).ok(), m.process_paging_stats(pid));
                    if got != want {
                        return Err(format!("pid {pid} paging stats: kernel {got:?}, model {want:?}"));
                    }
                    Ok(())
                }
                (g, w) => Err(format!(
                    "pid {pid} vpn {vpn}: kernel absent entry {g:?}, model {:?}",
                    w.map(|a| (a.kind(), a.flags()))
                )),
            }
        }
        (None, true) => Err(format!("pid {pid} vpn {vpn}: kernel maps {e:?}, model maps nothing")),
        (Some(page), false) => Err(format!("pid {pid} vpn {vpn}: kernel maps nothing, model maps {page:?}")),
        (Some(page), true) => {
            if e.frame().as_u32() != page.frame || e.flags() != page.flags() {
                return Err(format!(
                    "pid {pid} vpn {vpn}: kernel maps {e:?}, model frame {} flags {:?}",
                    page.frame,
                    page.flags()
                ));
            }
            compare_bytes(k, m, pid, vpn, page.frame)
        }
    }
}

pub(super) fn compare_process(k: &Kernel, m: &Model, pid: u32) -> Result<(), String> {
    let (kp, mp) = (k.process(Pid::new(pid)), m.process(pid));
    let (kp, mp) = match (kp, mp) {
        (None, None) => return Ok(()),
        (Some(kp), Some(mp)) => (kp, mp),
        (kp, _) => {
            return Err(format!("pid {pid}: alive in the kernel {}, in the model {}", kp.is_some(), mp.is_some()));
        }
    };
    let got: Vec<(u32, u32, _)> = k
        .mapped(Pid::new(pid))
        .map_err(|e| e.to_string())?
        .map(|(v, e)| (v.as_u32(), e.frame().as_u32(), e.flags()))
        .collect();
    let want: Vec<(u32, u32, _)> = mp.pages.iter().map(|(&v, p)| (v, p.frame, p.flags())).collect();
    if got != want {
        let i = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        return Err(format!(
            "pid {pid}: {} pages mapped in the kernel, {} in the model; first difference: kernel {:?}, model {:?}",
            got.len(),
            want.len(),
            got.get(i),
            want.get(i)
        ));
    }
    for &(vpn, frame, _) in &want {
        compare_bytes(k, m, pid, vpn, frame)?;
    }
    let (ks, ms) = (k.process_stats(Pid::new(pid)).map_err(|e| e.to_string())?, m.process_stats(pid));
    if Some(ks) != ms {
        return Err(format!("pid {pid} stats: kernel {ks:?}, model {ms:?}"));
    }
    if kp.segments() != mp.segments {
        return Err(format!("pid {pid} segments: kernel {:?}, model {:?}", kp.segments(), mp.segments));
    }
    if kp.table().root().as_u32() != mp.root {
        return Err(format!("pid {pid} root table: kernel frame {}, model frame {}", kp.table().root(), mp.root));
    }
    let mut leaves = Vec::new();
    for leaf in k.leaf_tables(Pid::new(pid)).map_err(|e| e.to_string())? {
        leaves.push((leaf.dir_index as u32, leaf.frame.as_u32()));
        // The spec: "An entry that is not present is all zero: frame 0, no permission bits."
        if let Some((i, e)) = leaf.entries.iter().enumerate().find(|(_, e)| !e.is_present() && e.bits() != 0) {
            return Err(format!(
                "pid {pid} vpn {}: entry not present but not zero: {e:?}",
                leaf.first_vpn.as_u32() as usize + i
            ));
        }
    }
    if Some(&leaves) != m.leaf_tables(pid).as_ref() {
        return Err(format!("pid {pid} leaf tables: kernel {leaves:?}, model {:?}", m.leaf_tables(pid)));
    }
    if k.profile().format.is_general() {
        let frames: Vec<u32> = kp.table().table_frames(&k.mem().arena).map(|f| f.as_u32()).collect();
        if Some(&frames) != m.table_frames_of(pid).as_ref() {
            return Err(format!("pid {pid} table frames: kernel {frames:?}, model {:?}", m.table_frames_of(pid)));
        }
    }
    compare_absent(k, m, pid)?;
    let pages = mp.pages.len() + mp.absent.len();
    if kp.pages_mapped() as usize != pages {
        return Err(format!("pid {pid}: kernel counts {} pages, model {pages}", kp.pages_mapped()));
    }
    Ok(())
}

pub(super) fn full_compare(k: &mut Kernel, m: &mut Model) -> Result<(), String> {
    let got: Vec<u32> = k.processes().map(|p| p.pid().as_u32()).collect();
    let want: Vec<u32> = m.pids().collect();
    if got != want {
        return Err(format!("live pids: kernel {got:?}, model {want:?}"));
    }
    if k.current().map(Pid::as_u32) != m.current() {
        return Err(format!("current: kernel {:?}, model {:?}", k.current(), m.current()));
    }
    if k.fork_policy() != m.fork_policy() {
        return Err(format!("fork policy: kernel {:?}, model {:?}", k.fork_policy(), m.fork_policy()));
    }
    compare_stats(k, m)?;
    compare_swap(k, m)?;
    for &pid in &want {
        compare_process(k, m, pid)?;
    }
    let got: Vec<(u32, u32)> = k.mem().map_counts.nonzero().map(|(f, c)| (f.as_u32(), c)).collect();
    let want: Vec<(u32, u32)> = m.frame_refs().collect();
    if got != want {
        return Err(format!("map counts: kernel {got:?}, model {want:?}"));
    }
    let got: Vec<u32> = k.mem().user.allocated().map(Pfn::as_u32).collect();
    let want: Vec<u32> = m.frame_refs().map(|(f, _)| f).collect();
    if got != want {
        return Err(format!("allocated user frames: kernel {got:?}, model {want:?}"));
    }
    let got: Vec<u32> = k.mem().kernel.allocated().map(Pfn::as_u32).collect();
    let want = m.kernel_allocated();
    if got != want {
        return Err(format!("allocated kernel frames: kernel {got:?}, model {want:?}"));
    }
    // One byte of every readable page through each side's own translation path. A read
    // changes nothing but, on a general machine, the page's accessed bit: on both sides.
    let readable: Vec<(u32, u32)> = m
        .pids()
        .filter_map(|pid| m.process(pid).map(|p| (pid, p)))
        .flat_map(|(pid, p)| p.pages.iter().filter(|(_, pg)| pg.perm.contains(Perm::READ)).map(move |(&v, _)| (pid, v)))
        .collect();
    for (pid, vpn) in readable {
        let page_size = PAGE_SIZE as u64;
        let addr = u64::from(vpn) * page_size + u64::from(vpn).wrapping_mul(73) % page_size;
        let got = k.read_mem(Pid::new(pid), VirtAddr::new(addr));
        let want = m.read_mem(Pid::new(pid), VirtAddr::new(addr)).ok();
        if got.as_ref().ok() != want.as_ref() {
            return Err(format!("read_mem(pid {pid}, {addr:#x}): kernel {got:?}, model {want:?}"));
        }
    }
    Ok(())
}
