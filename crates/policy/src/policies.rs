//! The policies, one a file, each with its exact rule (tie-breaks included) in its module
//! documentation. Costs are per reference, `n` frames.

pub mod aging;
pub mod clock;
pub mod fifo;
pub mod lfu;
pub mod lru;
pub mod mru;
pub mod nru;
pub mod opt;
pub mod random;
pub mod sfifo;
pub mod sieve;
pub mod twoq;
pub mod wsclock;

#[cfg(test)]
mod tests {
    use crate::{Frame, FrameBits, Options, Ref, Spec, build};

    /// A view with holes, as one process's frames under local replacement: frames that hold
    /// no page, which the policies that scan by frame number must pass over.
    struct Holes {
        resident: Vec<bool>,
        referenced: Vec<bool>,
    }

    impl FrameBits for Holes {
        fn frames(&self) -> usize {
            self.resident.len()
        }
        fn referenced(&self, f: Frame) -> bool {
            self.referenced[f.0]
        }
        fn clear_referenced(&mut self, f: Frame) {
            self.referenced[f.0] = false;
        }
        fn modified(&self, _: Frame) -> bool {
            false
        }
        fn resident(&self, f: Frame) -> bool {
            self.resident[f.0]
        }
    }

    #[test]
    fn the_scanning_policies_never_name_a_hole() {
        for name in ["clock", "second", "nru", "wsclock", "random"] {
            let spec: Spec = name.parse().unwrap();
            // Built for 8 frames; the view has 5, of which 1 and 3 are holes.
            let mut p = build(spec, 8, &Options { seed: 3, tau: 0, ..Options::default() }, &[]).unwrap();
            let mut bits = Holes { resident: vec![true, false, true, false, true], referenced: vec![false; 5] };
            for f in [0, 2, 4] {
                p.insert(Frame(f), Ref { page: f as u64, time: f as u64, write: false }, &mut bits);
            }
            for t in 0..40 {
                // Holes look unreferenced: a policy that does not skip them would pick one.
                bits.referenced = vec![t % 3 == 0, false, t % 2 == 0, false, t % 5 == 0];
                let r = Ref { page: 100 + t, time: 10 + t, write: false };
                let v = p.victim(r, &mut bits);
                assert!(bits.resident[v.0], "{name}: victim {v:?} at {t}");
                p.evict(v);
                p.insert(v, r, &mut bits);
            }
        }
    }
}
