//! A machine's general page-table format: geometry, entry layout and the rule for the address
//! bits above the walked ones.

use crate::{EntryLayout, Geometry, LayoutError};

/// The format of a machine's page tables: how addresses split ([`Geometry`]), how entries
/// look ([`EntryLayout`]), and whether the unused high address bits must copy the top walked
/// bit (x86-64's canonical addresses, RISC-V's Sv39..Sv57) or be zero.
///
/// The walker ([`MachineFormat::walk`]) and the table operations ([`MachineFormat::map`] and
/// friends) serve every format; [`crate::Preset`] names the real machines' formats.
///
/// ```
/// use paging::{EntryBits, MachineFormat, Preset, Request};
/// use phys::{Arena, FramePool, PoolKind};
///
/// let x86 = Preset::X86_64.format();
/// let mut arena = Arena::new(16)?;
/// let mut frames = FramePool::new(PoolKind::Kernel, 0..8); // frames for tables
/// let root = x86.new_table(&mut arena, &mut frames)?;
/// let rw = EntryBits::READ | EntryBits::WRITE | EntryBits::USER;
/// x86.map(&mut arena, &mut frames, root, 0x7fff_0000_0000, 12, 3, rw)?; // 4 KiB page at frame 12
/// let walk = x86.access(&mut arena, root, 0x7fff_0000_0abc, Request::WRITE);
/// assert_eq!(walk.steps().len(), 4);
/// let t = walk.outcome()?;
/// assert_eq!(t.phys.as_u64(), 12 * 4096 + 0xabc);
/// assert!(t.bits.contains(EntryBits::ACCESSED | EntryBits::DIRTY)); // set by the MMU
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MachineFormat {
    geometry: Geometry,
    layout: EntryLayout,
    sign_extend: bool,
}

impl MachineFormat {
    /// A format from its parts. `sign_extend`: addresses must be sign-extended from the top
    /// walked bit (x86-64, RISC-V); otherwise the bits above it must be zero.
    ///
    /// # Errors
    /// [`LayoutError`] if the layout does not fit the geometry ([`EntryLayout::validate`]).
    pub fn new(geometry: Geometry, layout: EntryLayout, sign_extend: bool) -> Result<Self, LayoutError> {
        layout.validate(&geometry)?;
        Ok(MachineFormat { geometry, layout, sign_extend })
    }

    /// For presets, whose layouts are checked by the tests.
    pub(crate) const fn new_unchecked(geometry: Geometry, layout: EntryLayout, sign_extend: bool) -> Self {
        MachineFormat { geometry, layout, sign_extend }
    }

    /// The geometry.
    #[inline]
    pub const fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The entry layout.
    #[inline]
    pub const fn layout(&self) -> &EntryLayout {
        &self.layout
    }

    /// Whether addresses are sign-extended from the top walked bit.
    #[inline]
    pub const fn sign_extend(&self) -> bool {
        self.sign_extend
    }

    /// Whether `va` is an address of this format: its bits above the walked ones are zero,
    /// or (sign-extended formats) all equal to the top walked bit.
    #[inline]
    pub const fn is_canonical(&self, va: u64) -> bool {
        let bits = self.geometry.va_bits();
        if bits >= 64 {
            return true;
        }
        if self.sign_extend {
            let top = (va as i64) >> (bits - 1);
            top == 0 || top == -1
        } else {
            va >> bits == 0
        }
    }

    /// The lowest address at and above which no user address exists: `2^va_bits` for a
    /// zero-extended format, `2^(va_bits-1)` (the lower half) for a sign-extended one. The
    /// kernel's processes live below it.
    #[inline]
    pub const fn lower_half_end(&self) -> u64 {
        let bits = self.geometry.va_bits();
        let bits = if self.sign_extend { bits - 1 } else { bits };
        if bits >= 64 { u64::MAX } else { 1 << bits }
    }
}
