//! Reading a general entry in its layout: what it is at a level (`EntryLayout::decode`,
//! `EntryLayout::kind`) and the masks that test and clear its flags in place.

use super::{Entry, EntryBits, EntryKind, EntryLayout, LeafRule, bit};

impl EntryLayout {
    /// Decodes `raw`, read at `level` of a table of `levels` levels.
    pub fn decode(&self, raw: u64, level: usize, levels: usize) -> Entry {
        let frame = (raw >> self.frame_shift) & self.frame_mask();
        if raw & bit(self.valid) == 0 {
            return Entry { raw, kind: EntryKind::Invalid, bits: EntryBits::empty(), frame };
        }
        let mut bits = EntryBits::VALID;
        bits.set(EntryBits::READ, self.read.granted(raw));
        bits.set(EntryBits::WRITE, self.write.granted(raw));
        bits.set(EntryBits::EXEC, self.exec.granted(raw));
        bits.set(EntryBits::USER, self.user.granted(raw));
        let flag = |b: Option<u8>| b.is_some_and(|b| raw & bit(b) != 0);
        bits.set(EntryBits::ACCESSED, flag(self.accessed));
        bits.set(EntryBits::DIRTY, flag(self.dirty));
        bits.set(EntryBits::GLOBAL, flag(self.global));
        bits.set(EntryBits::COW, flag(self.cow));
        bits.set(EntryBits::ORIG_WRITE, flag(self.orig_write));
        let rwx = (bits.contains(EntryBits::READ), bits.contains(EntryBits::WRITE), bits.contains(EntryBits::EXEC));
        let kind = self.kind_of(raw, rwx, level, levels);
        Entry { raw, kind, bits, frame }
    }

    /// The kind of the entry `raw` read at `level` of a table of `levels` levels, as
    /// [`EntryLayout::decode`] gives it, without decoding its other bits.
    #[inline]
    pub fn kind(&self, raw: u64, level: usize, levels: usize) -> EntryKind {
        if raw & bit(self.valid) == 0 {
            return EntryKind::Invalid;
        }
        if level + 1 == levels {
            return self.last_level_kind(raw);
        }
        let rwx = (self.read.granted(raw), self.write.granted(raw), self.exec.granted(raw));
        self.kind_of(raw, rwx, level, levels)
    }

    /// [`EntryLayout::kind`] of the valid entry `raw` at the last level, where every base
    /// page's entry is (the kernel reads R and M there for every frame a policy scans): a
    /// leaf unless the rule reserves it. `kind_of` decides the same, with more to decide.
    #[inline(always)]
    pub(crate) fn last_level_kind(&self, raw: u64) -> EntryKind {
        match self.leaf {
            LeafRule::LastLevel | LeafRule::HugeBit(_) => EntryKind::Leaf,
            LeafRule::PermBits => match (self.read.granted(raw), self.write.granted(raw), self.exec.granted(raw)) {
                (false, true, _) | (false, false, false) => EntryKind::Reserved,
                _ => EntryKind::Leaf,
            },
            LeafRule::TableBit(b) if raw & bit(b) != 0 => EntryKind::Leaf,
            LeafRule::TableBit(_) => EntryKind::Reserved,
        }
    }

    /// The kind of the valid entry `raw` whose read, write and execute permissions are `rwx`.
    #[inline]
    fn kind_of(&self, raw: u64, (read, write, exec): (bool, bool, bool), level: usize, levels: usize) -> EntryKind {
        let last = level + 1 == levels;
        let allowed = self.leaf_allowed(level, levels);
        match self.leaf {
            LeafRule::LastLevel => {
                if last {
                    EntryKind::Leaf
                } else {
                    EntryKind::Table
                }
            }
            LeafRule::HugeBit(b) => match (last, raw & bit(b) != 0) {
                (true, _) => EntryKind::Leaf,
                (false, false) => EntryKind::Table,
                (false, true) if allowed => EntryKind::Leaf,
                (false, true) => EntryKind::Reserved,
            },
            LeafRule::PermBits => {
                if write && !read {
                    EntryKind::Reserved
                } else if !(read || write || exec) {
                    if last { EntryKind::Reserved } else { EntryKind::Table }
                } else if allowed {
                    EntryKind::Leaf
                } else {
                    EntryKind::Reserved
                }
            }
            LeafRule::TableBit(b) => match (last, raw & bit(b) != 0) {
                (true, true) => EntryKind::Leaf,
                (true, false) => EntryKind::Reserved,
                (false, true) => EntryKind::Table,
                (false, false) if allowed => EntryKind::Leaf,
                (false, false) => EntryKind::Reserved,
            },
        }
    }

    /// Whether `raw` is a leaf at the last level (valid, and not reserved by the leaf rule):
    /// [`EntryLayout::kind`] there, inlined for the kernel's per-frame R/M reads.
    #[inline(always)]
    pub(crate) fn is_last_level_leaf(&self, raw: u64) -> bool {
        raw & bit(self.valid) != 0 && self.last_level_kind(raw) == EntryKind::Leaf
    }

    /// The bits of a raw entry that store `bits`, when every one of them is a flag with a
    /// position of its own in this layout (accessed, dirty, global, copy-on-write, original
    /// write): a flag is then tested or cleared with one mask, as the kernel's replacement
    /// policies test and clear the accessed bit on every frame. `None` if `bits` holds a
    /// permission, the valid bit, or a flag the layout has no place for.
    #[inline]
    pub fn flag_mask(&self, bits: EntryBits) -> Option<u64> {
        let flags = EntryBits::ACCESSED | EntryBits::DIRTY | EntryBits::GLOBAL | EntryBits::COW | EntryBits::ORIG_WRITE;
        if !flags.contains(bits) {
            return None;
        }
        let mut mask = 0;
        for (b, pos) in self.single_bits() {
            if bits.contains(b) {
                mask |= bit(pos?);
            }
        }
        Some(mask)
    }
}
