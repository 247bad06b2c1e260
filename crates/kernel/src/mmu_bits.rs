//! The frames' accessed and dirty bits as a replacement policy reads them under demand paging
//! ([`MmuBits`], at the entries' addresses the reverse map keeps), and `with_policy!`, which
//! lends them to the global policy.

use paging::{EntryAddr, Format, PteFlags};
use phys::Arena;
use policy::{Frame, FrameBits};

use crate::demand::Mapper;

/// The frames' R and M bits as the policy reads them: the accessed and dirty bits of every
/// entry that maps the frame (any one set is the frame's bit set), read and cleared at the
/// entries' addresses the reverse map holds ([`Mapper`]): no walk.
pub(crate) struct MmuBits<'a> {
    pub(crate) arena: &'a mut Arena,
    /// The machine's table format, which decodes the entries.
    pub(crate) format: Format,
    pub(crate) rmap: &'a [Vec<Mapper>],
}

impl MmuBits<'_> {
    fn entries(&self, f: Frame) -> impl Iterator<Item = EntryAddr> + '_ {
        self.rmap.get(f.0).map_or(&[][..], Vec::as_slice).iter().filter_map(|m| m.entry)
    }

    fn any(&self, f: Frame, flag: PteFlags) -> bool {
        self.entries(f).any(|at| self.format.has_flags_at(self.arena, at, flag).unwrap_or(false))
    }
}

impl FrameBits for MmuBits<'_> {
    fn frames(&self) -> usize {
        self.rmap.len()
    }
    fn referenced(&self, f: Frame) -> bool {
        self.any(f, PteFlags::ACCESSED)
    }
    fn clear_referenced(&mut self, f: Frame) {
        let rmap = self.rmap;
        for at in rmap.get(f.0).map_or(&[][..], Vec::as_slice).iter().filter_map(|m| m.entry) {
            let _ = self.format.clear_flags_at(self.arena, at, PteFlags::ACCESSED);
        }
    }
    fn modified(&self, f: Frame) -> bool {
        self.any(f, PteFlags::DIRTY)
    }
}

/// Runs `f` on the policy with the machine's bits: split borrows of the kernel's fields.
macro_rules! with_policy {
    ($k:expr, |$p:ident, $bits:ident| $body:expr) => {{
        let k = &mut *$k;
        match k.demand.as_deref_mut() {
            Some(d) => {
                let mut $bits = MmuBits { arena: &mut k.mem.arena, format: k.profile.format, rmap: &d.rmap };
                let $p = &mut d.policy;
                Some($body)
            }
            None => None,
        }
    }};
}
pub(crate) use with_policy;
