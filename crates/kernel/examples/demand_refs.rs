//! Runs the first N references of the kernel `demand` bench's string through a machine under
//! demand paging, for counting instructions per reference where wall time is unreliable (a
//! loaded machine): `valgrind --tool=cachegrind --cache-sim=no` on N references and on 0, the
//! difference over N. See docs/demand-paging.md, "Speed".
//!
//! `cargo build --release -p kernel --example demand_refs`, then
//! `target/release/examples/demand_refs POLICY N`.

use kernel::{Access, DemandConfig, Format, Kernel, Perm, Preset, Profile, SegmentSizes, VirtAddr, Vpn};
use policy::{Options, Spec};

/// The bench's string (`crates/kernel/benches/demand.rs`): xorshift64; 80% of references to
/// 512 hot pages, 20% to 16,384 cold ones, one in eight a write.
fn references(n: usize) -> Vec<(u32, bool)> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let page = if x % 10 < 8 { (x >> 8) % 512 } else { 512 + (x >> 8) % 16_384 };
            (page as u32, (x >> 40) % 8 == 0)
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(spec), Some(n)) = (args.next(), args.next()) else {
        return Err("usage: demand_refs POLICY N".into());
    };
    let spec: Spec = spec.parse()?;
    let refs = references(n.parse()?);
    let pages = 512 + 16_384;
    let format = Format::general(Preset::X86_64.format())?;
    let mut k = Kernel::new(Profile::machine("x86-64", format, 64 << 20)?)?;
    k.enable_demand_paging(DemandConfig { frames: 1024, swap_slots: pages, lazy: true }, spec, &Options::default())?;
    let p = k.create_ps(SegmentSizes::default(), &[])?;
    k.allocate_pages(p, VirtAddr::new(0), pages, Perm::READ | Perm::WRITE)?;
    for &(page, write) in &refs {
        k.touch(p, Vpn::new(page), if write { Access::Write } else { Access::Read })?;
    }
    let s = k.paging_stats().ok_or("demand paging is on")?;
    println!("{spec}: {s}");
    Ok(())
}
