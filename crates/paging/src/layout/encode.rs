//! Writing a general entry in its layout: a leaf, a pointer to a table, or an update of
//! some of its bits, refused with an `EncodeError` when the layout cannot hold it.

use super::{EncodeError, EntryBits, EntryLayout, LeafRule, PermBit, bit};

impl EntryLayout {
    /// The raw leaf entry for `frame` with `bits` (plus `VALID`) at `level` of `levels`.
    /// Implied permissions are granted whether asked or not.
    ///
    /// # Errors
    /// [`EncodeError::NoLeafHere`] above the last level where no huge page may stand;
    /// [`EncodeError::FrameTooLarge`]; [`EncodeError::Unrepresentable`] for bits the layout has
    /// no place for, or (RISC-V) a leaf with none of read, write, execute.
    pub fn encode_leaf(&self, frame: u64, bits: EntryBits, level: usize, levels: usize) -> Result<u64, EncodeError> {
        if !self.leaf_allowed(level, levels) {
            return Err(EncodeError::NoLeafHere { level });
        }
        let mut raw = self.frame_field(frame)? | bit(self.valid);
        let mut missing = bits - self.representable();
        // An implied permission is granted whether asked or not: the layout cannot deny it.
        let mut perm = |p: PermBit, b: EntryBits| raw |= p.encode(bits.contains(b)).unwrap_or(0);
        perm(self.read, EntryBits::READ);
        perm(self.write, EntryBits::WRITE);
        perm(self.exec, EntryBits::EXEC);
        perm(self.user, EntryBits::USER);
        for (b, pos) in self.single_bits() {
            if let (true, Some(p)) = (bits.contains(b), pos) {
                raw |= bit(p);
            }
        }
        let last = level + 1 == levels;
        match self.leaf {
            LeafRule::HugeBit(b) if !last => raw |= bit(b),
            LeafRule::TableBit(b) if last => raw |= bit(b),
            LeafRule::PermBits if !bits.intersects(EntryBits::READ | EntryBits::WRITE | EntryBits::EXEC) => {
                missing |= EntryBits::READ;
            }
            _ => {}
        }
        if !missing.is_empty() {
            return Err(EncodeError::Unrepresentable { bits: missing });
        }
        Ok(raw)
    }

    /// The raw entry pointing to a table at `frame`.
    ///
    /// # Errors
    /// [`EncodeError::FrameTooLarge`].
    pub fn encode_table(&self, frame: u64) -> Result<u64, EncodeError> {
        let mut raw = self.frame_field(frame)? | bit(self.valid) | self.table_bits;
        if let LeafRule::TableBit(b) = self.leaf {
            raw |= bit(b);
        }
        Ok(raw)
    }

    /// `raw` with the meaning-bits in `set` set and those in `clear` cleared, the frame and
    /// every other bit kept. Permissions are granted or withdrawn whatever their polarity.
    ///
    /// # Errors
    /// [`EncodeError::Unrepresentable`] for a bit the layout has no place for.
    pub fn update(&self, raw: u64, set: EntryBits, clear: EntryBits) -> Result<u64, EncodeError> {
        let mut raw = raw;
        let mut missing = EntryBits::empty();
        let perms = [
            (EntryBits::READ, self.read),
            (EntryBits::WRITE, self.write),
            (EntryBits::EXEC, self.exec),
            (EntryBits::USER, self.user),
        ];
        for (b, p) in perms {
            for (want, grant) in [(clear, false), (set, true)] {
                if !want.contains(b) {
                    continue;
                }
                match p {
                    PermBit::Implied if grant => {}
                    PermBit::Implied => missing |= b,
                    PermBit::Set(x) | PermBit::Clear(x) => {
                        let on = grant == matches!(p, PermBit::Set(_));
                        raw = if on { raw | bit(x) } else { raw & !bit(x) };
                    }
                }
            }
        }
        for (b, pos) in self.single_bits() {
            match pos {
                Some(p) => {
                    if clear.contains(b) {
                        raw &= !bit(p);
                    }
                    if set.contains(b) {
                        raw |= bit(p);
                    }
                }
                None if set.contains(b) => missing |= b,
                None => {}
            }
        }
        if missing.is_empty() { Ok(raw) } else { Err(EncodeError::Unrepresentable { bits: missing }) }
    }

    fn frame_field(&self, frame: u64) -> Result<u64, EncodeError> {
        if frame & !self.frame_mask() != 0 {
            return Err(EncodeError::FrameTooLarge { frame, bits: self.frame_bits });
        }
        Ok(frame << self.frame_shift)
    }
}
