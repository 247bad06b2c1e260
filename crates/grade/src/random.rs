//! Random `ajou` scripts that use only input whose framework behaviour the spec fixes.
//!
//! Each command is chosen from the reference machine's state at that point (the generator
//! runs every line it writes), so that the script never reaches what the spec lists as
//! undefined or as ending the run:
//! - VPNs stay below 256; `alloc` only of a VPN that does not translate, and only while a
//!   frame is free (no "already allocated", no "memory is full"), with flags `r` or `rw`;
//! - `read`, `write` and `free` only of VPNs whose inner table exists in the current process
//!   (an access through a missing page directory crashes some solutions); many are mapped,
//!   some are not (`Unable to access` and `is not allocated` are defined output);
//! - a `write` that would need a copy-on-write copy only while a frame is free;
//! - `switch` never to the current pid; pids stay small, so forks stay cheap;
//! - `tlb` only with `-t`. Numbers are decimal or `0x` hexadecimal.
//!
//! The random source is ChaCha8 seeded with the seed: the same seed gives the same script on
//! every platform and release.

use kernel::{Pid, PteFlags, Vpn};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::GradeError;
use crate::reference::{Flavour, Reference, Session};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenOptions {
    /// The seed: one seed, one script.
    pub seed: u64,
    /// How many commands.
    pub commands: usize,
    /// Use the TLB generation (`-t`): adds `tlb` commands, and the reference runs with its TLB.
    pub tlb: bool,
}

/// The VPNs the generator prefers: the first outer entries, so that inner tables fill up
/// and pages are shared, with an occasional VPN anywhere below 256.
const HOT_OUTER: u32 = 4;
/// VPNs per inner table of the `ajou` format (16 x 16).
const INNER: u32 = 16;
/// Outer entries of the `ajou` format.
const OUTER: u32 = 16;
/// Pids used by `switch`: 0..PIDS.
const PIDS: u32 = 5;

/// A random script of `opts.commands` lines.
///
/// # Errors
/// [`GradeError::Reference`] if the reference fails; [`GradeError::Generator`] if it refuses
/// a generated line or the run ends early (a bug in this generator).
/// `vmsim gen --seed S --commands N` prints the result; the `cli` crate's tests grade
/// generated scripts against a C simulator written independently of the reference.
pub fn generate(reference: &dyn Reference, opts: &GenOptions) -> Result<Vec<u8>, GradeError> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut session = reference.start(Flavour::Ajou, opts.tlb).map_err(GradeError::Reference)?;
    let mut script = Vec::new();
    for n in 1..=opts.commands {
        let line = next_line(&mut rng, session.as_ref(), opts.tlb);
        let out = session.execute(line.as_bytes(), n).map_err(GradeError::Reference)?;
        if out.rejected || out.stop {
            let reason = if out.stop {
                "the run ended".to_string()
            } else {
                String::from_utf8_lossy(&out.other).trim().to_string()
            };
            return Err(GradeError::Generator { line: n, text: line.trim_end().to_string(), reason });
        }
        script.extend_from_slice(line.as_bytes());
    }
    Ok(script)
}

fn below(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    // The modulo bias is at most n / 2^32: irrelevant for choosing commands.
    rng.next_u32() % n.max(1)
}

fn spell(rng: &mut ChaCha8Rng, n: u32) -> String {
    if below(rng, 10) == 0 { format!("{n:#x}") } else { n.to_string() }
}

/// One line chosen from the machine's state.
fn next_line(rng: &mut ChaCha8Rng, s: &dyn Session, tlb: bool) -> String {
    let k = s.kernel();
    let Some(cur) = k.current() else { return "pages\n".into() };
    let free = k.mem().user.free_count();
    let mapped: Vec<(u32, kernel::Pte)> =
        k.mapped(cur).map(|it| it.map(|(v, e)| (v.as_u32(), e)).collect()).unwrap_or_default();
    let leaves: Vec<u32> = k.leaf_tables(cur).map(|it| it.map(|l| l.first_vpn.as_u32()).collect()).unwrap_or_default();
    // A VPN in an existing inner table: mapped three times in four, when there are any.
    let known_vpn = |rng: &mut ChaCha8Rng| -> Option<u32> {
        if !mapped.is_empty() && below(rng, 4) != 0 {
            return Some(mapped[below(rng, mapped.len() as u32) as usize].0);
        }
        let leaf = *leaves.get(below(rng, leaves.len().max(1) as u32) as usize)?;
        Some(leaf + below(rng, INNER))
    };
    for _ in 0..16 {
        let roll = below(rng, 100);
        match roll {
            0..30 => {
                let outer = if below(rng, 10) == 0 { below(rng, OUTER) } else { below(rng, HOT_OUTER) };
                let vpn = outer * INNER + below(rng, INNER);
                let present = k.entry(cur, Vpn::new(vpn)).is_ok_and(|e| e.is_present());
                if present || free == 0 {
                    continue;
                }
                let flags = if below(rng, 10) < 6 { "rw" } else { "r" };
                return format!("alloc {} {flags}\n", spell(rng, vpn));
            }
            30..52 => {
                let Some(vpn) = known_vpn(rng) else { continue };
                return format!("read {}\n", spell(rng, vpn));
            }
            52..77 => {
                let Some(vpn) = known_vpn(rng) else { continue };
                let e = k.entry(cur, Vpn::new(vpn)).unwrap_or(kernel::Pte::EMPTY);
                let f = e.flags();
                let copies = e.is_present()
                    && !f.contains(PteFlags::WRITE)
                    && f.contains(PteFlags::ORIG_WRITE)
                    && k.mem().map_counts.get(e.frame()) > 1;
                if copies && free == 0 {
                    continue;
                }
                return format!("write {}\n", spell(rng, vpn));
            }
            77..87 => {
                let Some(vpn) = known_vpn(rng) else { continue };
                return format!("free {}\n", spell(rng, vpn));
            }
            87..95 => {
                let pid = below(rng, PIDS);
                if Pid::new(pid) == cur {
                    continue;
                }
                return format!("switch {pid}\n");
            }
            95..97 => return "show\n".into(),
            97..99 => return "pages\n".into(),
            _ if tlb => return "tlb\n".into(),
            _ => return "pages\n".into(),
        }
    }
    "pages\n".into()
}
