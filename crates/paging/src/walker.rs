//! The simulated MMU: [`Walker`], which walks a table from a bare root frame, and the walk
//! behind [`PageTable::translate`](crate::PageTable::translate); the two course machines'
//! formats are compiled for their constant shifts, any other format walks out of line.

use phys::{Arena, Pfn};

use crate::table::general;
use crate::{Format, Pte, VirtAddr, Vpn};

/// Entries in one frame: the stride of a table in the arena's flat view of entries.
const ENTRIES_PER_FRAME: usize = phys::PAGE_SIZE / size_of::<Pte>();

/// The simulated MMU of a machine whose page tables all have one format: it walks a table
/// given only its root frame, for owners that keep roots in a compact form of their own.
///
/// It is prepared once from the format so that the walk of a single-level table, the
/// `mtl458` machine's, takes no shift and no decision on the format: the VPN's range check is
/// one compare against a number the walker holds, and the VPN then indexes the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walker {
    /// The format's VPN count if it has one level, else 0: no VPN passes the one-level check.
    flat_vpns: u32,
    format: Format,
}

impl Walker {
    /// The walker for tables of `format`.
    pub const fn new(format: Format) -> Self {
        let flat = !format.has_directory() && !format.is_general();
        Walker { flat_vpns: if flat { format.vpn_count() } else { 0 }, format }
    }

    /// The format it walks.
    pub const fn format(&self) -> Format {
        self.format
    }

    /// The present entry mapping the page that holds `addr` in the table whose root is `root`,
    /// as [`PageTable::translate`] gives it. A root outside the arena (such as `u32::MAX`)
    /// translates nothing. It takes the address, not a [`Vpn`], so that one compare checks a
    /// single-level table's range and an address too large for any VPN alike. Always inlined:
    /// it is the hot path of every simulated access.
    ///
    /// [`PageTable::translate`]: crate::PageTable::translate
    #[inline(always)]
    pub fn translate(&self, arena: &Arena, root: Pfn, addr: VirtAddr) -> Option<Pte> {
        let all = arena.view::<Pte>();
        let page = addr.as_u64() >> phys::PAGE_SHIFT;
        if page < u64::from(self.flat_vpns) {
            let e = *all.get(root.index() * ENTRIES_PER_FRAME + page as usize)?;
            return e.is_present().then_some(e);
        }
        translate_any(arena, all, root, self.format, Vpn::containing(addr)?)
    }

    /// [`Walker::translate`] for a caller with a path of its own for general formats: the
    /// same entry on a course format, `None` (nothing walked) on a general one. The format is
    /// tested only where a single-level table's walk has not already answered, so that the
    /// `mtl458` machine's walk still decides nothing on the format, and a caller's test of the
    /// format stays on its path of failed walks.
    #[inline(always)]
    pub fn translate_course(&self, arena: &Arena, root: Pfn, addr: VirtAddr) -> Option<Pte> {
        let all = arena.view::<Pte>();
        let page = addr.as_u64() >> phys::PAGE_SHIFT;
        if page < u64::from(self.flat_vpns) {
            let e = *all.get(root.index() * ENTRIES_PER_FRAME + page as usize)?;
            return e.is_present().then_some(e);
        }
        if self.format.is_general() {
            return None;
        }
        translate_any(arena, all, root, self.format, Vpn::containing(addr)?)
    }
}

/// The walk for any format, with the two machines' formats compiled for their constants. The
/// shapes are told apart by the two index widths alone (a general format has widths no course
/// format has), so that the course machines pay two byte compares.
#[inline]
pub(crate) fn translate_any(arena: &Arena, all: &[Pte], root: Pfn, format: Format, vpn: Vpn) -> Option<Pte> {
    match (format.dir_bits(), format.leaf_bits()) {
        (0, 10) => walk(all, root, Format::MTL458, vpn),
        (4, 4) => walk(all, root, Format::AJOU, vpn),
        _ => walk_any(arena, all, root, format, vpn),
    }
}

/// [`walk`] with the format's shifts read at run time, or the general walker: out of line, so
/// that callers' loops do not carry its code and registers for formats no course machine has.
#[inline(never)]
fn walk_any(arena: &Arena, all: &[Pte], root: Pfn, format: Format, vpn: Vpn) -> Option<Pte> {
    match format.machine() {
        Some(m) => general::translate(m, arena, root, vpn),
        None => walk(all, root, format, vpn),
    }
}

/// The walk behind [`translate_any`]: `all` is the arena as one slice of entries. Always inlined,
/// so that a constant `format` folds every shift and mask.
#[inline(always)]
fn walk(all: &[Pte], root: Pfn, format: Format, vpn: Vpn) -> Option<Pte> {
    if !format.contains(vpn) {
        return None;
    }
    let leaf = if format.has_directory() {
        let dir = *all.get(root.index() * ENTRIES_PER_FRAME + format.dir_index(vpn))?;
        if !dir.is_present() {
            return None;
        }
        dir.frame()
    } else {
        root
    };
    let e = *all.get(leaf.index() * ENTRIES_PER_FRAME + format.leaf_index(vpn))?;
    e.is_present().then_some(e)
}
