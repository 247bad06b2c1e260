//! Resident memory of the `mtl458` machine (`VmRSS` from `/proc/self/status`, Linux only):
//! fresh, after course check 7's 64-process fill with nothing written, and after the same fill
//! with every byte of every page written; and what a fresh `ajou` machine adds, whose kernel
//! pool for page tables is large enough that no script runs out of it.
//!
//! The arena is 200 MiB of zeroed allocation that the host only backs where it is written, so a
//! fresh machine should cost a few MiB and a full one about the bytes written plus the tables.
//! The fill without writes shows the lazy zeroing: mapping a frame that was never written does
//! not touch it.
//!
//! Run: `cargo run --release -p kernel --example rss`. It prints `NAME BYTES` lines (and `#`
//! comments) that `cargo xtask bench` reads; every figure is the whole process's `VmRSS`, but
//! `ajou_fresh`, the growth of it that creating an `ajou` machine caused.

use std::error::Error;
use std::fs;

use kernel::{Kernel, PAGE_SIZE, Pid, Profile, SegmentSizes, VirtAddr};

/// Processes of check 7, each 1 MiB of code and 1 MiB of stack: all 32,768 user frames.
const PROCESSES: usize = 64;
const SEGMENT: u64 = 1 << 20;

/// The process's resident set, in bytes.
fn vm_rss() -> Result<u64, Box<dyn Error>> {
    let status = fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or("no VmRSS line in /proc/self/status")?;
    let kib: u64 = line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse()?;
    Ok(kib * 1024)
}

fn fill(k: &mut Kernel, data: &[u8]) -> Result<Vec<Pid>, Box<dyn Error>> {
    let sizes = SegmentSizes { code: SEGMENT, stack: SEGMENT, ..Default::default() };
    let pids = (0..PROCESSES).map(|_| k.create_ps(sizes, data)).collect::<Result<Vec<_>, _>>()?;
    if k.stats().user_frames_free != 0 {
        return Err(format!("the fill left {} user frames free", k.stats().user_frames_free).into());
    }
    Ok(pids)
}

fn main() -> Result<(), Box<dyn Error>> {
    // Made before the first measurement, so that every figure includes it alike.
    let code: Vec<u8> = (0..SEGMENT).map(|i| (i % 251) as u8 + 1).collect();
    let before = vm_rss()?;

    let ajou = Kernel::new(Profile::AJOU)?;
    let ajou_fresh = vm_rss()?.saturating_sub(before);
    drop(ajou);

    let mut k = Kernel::new(Profile::MTL458)?;
    let fresh = vm_rss()?;

    let pids = fill(&mut k, &[])?;
    let fill_lazy = vm_rss()?;
    for pid in pids {
        k.exit_ps(pid)?;
    }

    // Code is written by create_ps from `code`; the stack by one write_mem per byte.
    let pids = fill(&mut k, &code)?;
    let mut written = 0u64;
    for &pid in &pids {
        written += SEGMENT;
        let stack = k.stack_start(pid).ok_or("a create_ps process has a stack")?.as_u64();
        for a in stack..stack + SEGMENT {
            k.write_mem(pid, VirtAddr::new(a), (a % 253) as u8 + 1)?;
            written += 1;
        }
    }
    let fill_written = vm_rss()?;
    // The bytes must really be there: a sample read back through translation.
    for &pid in &pids {
        let stack = k.stack_start(pid).ok_or("a create_ps process has a stack")?.as_u64();
        for a in [0, SEGMENT / 2, SEGMENT - 1] {
            if k.read_mem(pid, VirtAddr::new(a))? != code[a as usize] {
                return Err(format!("pid {pid:?}: code byte {a} is wrong").into());
            }
            let s = stack + a;
            if k.read_mem(pid, VirtAddr::new(s))? != (s % 253) as u8 + 1 {
                return Err(format!("pid {pid:?}: stack byte {s} is wrong").into());
            }
        }
    }
    k.check()?;
    let st = k.stats();
    let tables = u64::from(st.kernel_frames - st.kernel_frames_free) * PAGE_SIZE as u64;

    println!("# VmRSS of this process, in bytes; written and tables are what the written fill holds");
    println!("before {before}");
    println!("fresh {fresh}");
    println!("fill_lazy {fill_lazy}");
    println!("fill_written {fill_written}");
    println!("written {written}");
    println!("tables {tables}");
    println!("ajou_fresh {ajou_fresh}");
    Ok(())
}
