//! The formats of real machines and of the two course machines, with their hardware's bits.
//!
//! Sources: Intel SDM vol. 3A §4.3 (32-bit paging, PSE 4 MiB pages) and §4.5 (4- and 5-level
//! paging: P 0, R/W 1, U/S 2, A 5, D 6, PS 7, G 8, bits 9..11 ignored by hardware (ours:
//! copy-on-write 9, original write 10), XD 63, address bits 12..51); the RISC-V privileged
//! specification §4.3-4.6 (Sv32, Sv39, Sv48, Sv57: V R W X U G A D in bits 0..7, RSW 8..9
//! (ours: copy-on-write 8, original write 9), PPN from bit 10); the Arm ARM D8.3 (VMSAv8-64,
//! 4 KiB granule, 48-bit addresses: bit 0 valid, bit 1 table/page, AP\[1\] bit 6 EL0
//! access, AP\[2\] bit 7 read-only, AF bit 10, output address bits 12..47, UXN bit 54,
//! software bits 55..58 (ours: copy-on-write 55, original write 56)). Arm marks dirtiness
//! through DBM and AP\[2\], not a bit of its own, so its preset has no dirty bit; nG (bit 11)
//! is "not global", the opposite sense of [`crate::EntryBits::GLOBAL`], so it is not mapped.

use core::fmt;
use core::str::FromStr;

use crate::{EntryLayout, Geometry, LeafRule, MachineFormat, PermBit};

/// A named machine format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// The Ajou course machine: 16 x 16 two-level tables of 4-byte entries, 4 KiB pages.
    Ajou,
    /// The mtl458 course machine: one level of 1,024 4-byte entries, 4 KiB pages.
    Mtl458,
    /// IA-32 without PAE: 10/10 bits, 4-byte entries, 4 MiB pages (PSE) in the directory.
    X86_32,
    /// x86-64 4-level paging: 9/9/9/9 bits, 8-byte entries, 2 MiB and 1 GiB pages.
    X86_64,
    /// x86-64 5-level paging (LA57): 5 x 9 bits.
    X86_64_5Level,
    /// RISC-V Sv32: 10/10 bits, 4-byte entries, 4 MiB megapages.
    Sv32,
    /// RISC-V Sv39: 3 x 9 bits, 8-byte entries, 2 MiB and 1 GiB pages.
    Sv39,
    /// RISC-V Sv48: 4 x 9 bits.
    Sv48,
    /// RISC-V Sv57: 5 x 9 bits.
    Sv57,
    /// AArch64, 4 KiB granule, 48-bit addresses (TTBR0: the lower range), 2 MiB and 1 GiB
    /// blocks.
    Aarch64_4k,
}

/// A name that is no preset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown machine `{name}` (known: {})", Preset::names())]
pub struct UnknownPreset {
    /// The name given.
    pub name: String,
}

const fn geometry(bits: &[u8], entry_bytes: u8) -> Geometry {
    match Geometry::new(bits, 12, entry_bytes) {
        Ok(g) => g,
        Err(_) => panic!("a preset geometry is invalid"),
    }
}

/// The course machines' entry: P 0, R 1, W 2, X 3, software 9 and 10, frame 12..31.
pub(crate) const COURSE: EntryLayout = EntryLayout {
    valid: 0,
    read: PermBit::Set(1),
    write: PermBit::Set(2),
    exec: PermBit::Set(3),
    user: PermBit::Implied,
    accessed: None,
    dirty: None,
    global: None,
    cow: Some(9),
    orig_write: Some(10),
    leaf: LeafRule::LastLevel,
    huge_levels: 0,
    frame_shift: 12,
    frame_bits: 20,
    table_bits: 0,
    perms_in_tables: false,
    accessed_in_tables: false,
};

const fn x86(exec: PermBit, frame_bits: u8, huge_levels: u8) -> EntryLayout {
    EntryLayout {
        valid: 0,
        read: PermBit::Implied,
        write: PermBit::Set(1),
        exec,
        user: PermBit::Set(2),
        accessed: Some(5),
        dirty: Some(6),
        global: Some(8),
        cow: Some(9),
        orig_write: Some(10),
        leaf: LeafRule::HugeBit(7),
        huge_levels,
        frame_shift: 12,
        frame_bits,
        table_bits: 0b110,
        perms_in_tables: true,
        accessed_in_tables: true,
    }
}

const fn riscv(frame_bits: u8, huge_levels: u8) -> EntryLayout {
    EntryLayout {
        valid: 0,
        read: PermBit::Set(1),
        write: PermBit::Set(2),
        exec: PermBit::Set(3),
        user: PermBit::Set(4),
        global: Some(5),
        accessed: Some(6),
        dirty: Some(7),
        cow: Some(8),
        orig_write: Some(9),
        leaf: LeafRule::PermBits,
        huge_levels,
        frame_shift: 10,
        frame_bits,
        table_bits: 0,
        perms_in_tables: false,
        accessed_in_tables: false,
    }
}

const AARCH64: EntryLayout = EntryLayout {
    valid: 0,
    read: PermBit::Implied,
    write: PermBit::Clear(7),
    exec: PermBit::Clear(54),
    user: PermBit::Set(6),
    accessed: Some(10),
    dirty: None,
    global: None,
    cow: Some(55),
    orig_write: Some(56),
    leaf: LeafRule::TableBit(1),
    huge_levels: 0b0110,
    frame_shift: 12,
    frame_bits: 36,
    table_bits: 0,
    perms_in_tables: false,
    accessed_in_tables: false,
};

impl Preset {
    /// Every preset, in the order `--machine` lists them.
    pub const ALL: [Preset; 10] = [
        Preset::Ajou,
        Preset::Mtl458,
        Preset::X86_32,
        Preset::X86_64,
        Preset::X86_64_5Level,
        Preset::Sv32,
        Preset::Sv39,
        Preset::Sv48,
        Preset::Sv57,
        Preset::Aarch64_4k,
    ];

    /// The preset's name as `--machine` takes it.
    pub const fn name(self) -> &'static str {
        match self {
            Preset::Ajou => "ajou",
            Preset::Mtl458 => "mtl458",
            Preset::X86_32 => "x86-32",
            Preset::X86_64 => "x86-64",
            Preset::X86_64_5Level => "x86-64-5level",
            Preset::Sv32 => "sv32",
            Preset::Sv39 => "sv39",
            Preset::Sv48 => "sv48",
            Preset::Sv57 => "sv57",
            Preset::Aarch64_4k => "aarch64-4k",
        }
    }

    /// Every name, comma-separated, for messages.
    pub fn names() -> String {
        Preset::ALL.map(Preset::name).join(", ")
    }

    /// The preset's format.
    pub const fn format(self) -> MachineFormat {
        let (g, l, sign) = match self {
            Preset::Ajou => (geometry(&[4, 4], 4), COURSE, false),
            Preset::Mtl458 => (geometry(&[10], 4), COURSE, false),
            Preset::X86_32 => (geometry(&[10, 10], 4), x86(PermBit::Implied, 20, 0b1), false),
            Preset::X86_64 => (geometry(&[9; 4], 8), x86(PermBit::Clear(63), 40, 0b0110), true),
            Preset::X86_64_5Level => (geometry(&[9; 5], 8), x86(PermBit::Clear(63), 40, 0b0_1100), true),
            Preset::Sv32 => (geometry(&[10, 10], 4), riscv(22, 0b1), false),
            Preset::Sv39 => (geometry(&[9; 3], 8), riscv(44, 0b011), true),
            Preset::Sv48 => (geometry(&[9; 4], 8), riscv(44, 0b0111), true),
            Preset::Sv57 => (geometry(&[9; 5], 8), riscv(44, 0b0_1111), true),
            Preset::Aarch64_4k => (geometry(&[9; 4], 8), AARCH64, false),
        };
        MachineFormat::new_unchecked(g, l, sign)
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = UnknownPreset;

    /// A preset by its name in any case (`x86-64`, `X86-64`, `SV39`): the names differ in
    /// more than case, and a user who writes the architecture as its manual does should not
    /// be refused.
    ///
    /// # Errors
    /// [`UnknownPreset`], whose message lists the names as [`Preset::name`] writes them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPreset { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_named_once() {
        for p in Preset::ALL {
            let f = p.format();
            assert_eq!(f.layout().validate(f.geometry()), Ok(()), "{p}");
            assert_eq!(p.name().parse::<Preset>(), Ok(p));
            // Real tables are one page each.
            for l in 0..f.geometry().levels() {
                assert!(f.geometry().table_bytes(l) <= 4096, "{p} level {l}");
            }
        }
        assert!("x86".parse::<Preset>().unwrap_err().to_string().contains("x86-64-5level"));
        // Any case (`X86-64` and `SV39` were refused), and the canonical names when unknown.
        assert_eq!(
            ("X86-64".parse(), "SV39".parse(), "AArch64-4K".parse()),
            (Ok(Preset::X86_64), Ok(Preset::Sv39), Ok(Preset::Aarch64_4k))
        );
        assert_eq!("MTL458".parse::<Preset>(), Ok(Preset::Mtl458));
        let unknown = "X86".parse::<Preset>().unwrap_err().to_string();
        assert!(unknown.starts_with("unknown machine `X86` (known: ajou, mtl458, x86-32, x86-64,"), "{unknown}");
        let va = |p: Preset| p.format().geometry().va_bits();
        assert_eq!(Preset::ALL.map(va), [20, 22, 32, 48, 57, 32, 39, 48, 57, 48]);
    }

    #[test]
    fn canonical_addresses() {
        let x = Preset::X86_64.format();
        assert!(x.is_canonical(0x0000_7fff_ffff_ffff) && x.is_canonical(0xffff_8000_0000_0000));
        assert!(!x.is_canonical(0x0000_8000_0000_0000) && !x.is_canonical(0xfff0_0000_0000_0000));
        assert_eq!(x.lower_half_end(), 1 << 47);
        let a = Preset::Aarch64_4k.format();
        assert!(a.is_canonical(0xffff_ffff_ffff) && !a.is_canonical(0xffff_8000_0000_0000));
        assert_eq!(Preset::X86_32.format().lower_half_end(), 1 << 32);
    }
}
