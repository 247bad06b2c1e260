//! Machine descriptions: which machine a user asks for, built into a kernel [`Profile`].
//!
//! Three ways to name a machine: a [`Preset`] (`x86-64`, `sv39`, ... and the two course
//! machines, which give their course profiles unchanged), a custom geometry (levels, page
//! size, entry width: [`custom_format`], with a default entry layout for the width), or a
//! TOML machine file ([`MachineFile`], [`from_toml`]). [`parse_size`] reads sizes such as
//! `256M`.
//!
//! ```
//! use machines::{Spec, build};
//!
//! let p = build(&Spec::Preset("x86-64".parse()?), Some(256 << 20))?;
//! assert_eq!(p.address_space_size(), 1 << 47);
//! let custom = machines::custom_format(&[10, 10, 12], 4096, 8);
//! assert!(custom.is_err()); // a level of 12 bits with 8-byte entries does not fit a page
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod file;
mod size;

pub use file::{EntryFile, MachineFile, from_toml};
pub use size::{SizeError, parse_size};

use kernel::{Format, Profile};
use paging::{
    EntryLayout, FormatError, Geometry, GeometryError, LayoutError, LeafRule, MachineFormat, PermBit, Preset,
};

/// The memory of a general machine unless told otherwise: 256 MiB.
pub const DEFAULT_MEMORY: u64 = 256 << 20;

/// A machine asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// A named preset.
    Preset(Preset),
    /// A format described otherwise (custom geometry, machine file), with its name.
    Format {
        /// The name shown in messages and `walk`.
        name: &'static str,
        /// The format.
        format: MachineFormat,
    },
}

/// A machine that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A bad geometry.
    #[error(transparent)]
    Geometry(#[from] GeometryError),
    /// A layout that does not fit.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// A format the kernel cannot run.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A machine the kernel cannot build.
    #[error(transparent)]
    Machine(#[from] kernel::MachineError),
    /// A bad size.
    #[error(transparent)]
    Size(#[from] SizeError),
    /// An unknown preset.
    #[error(transparent)]
    Preset(#[from] paging::UnknownPreset),
    /// A page size that is not a power of two.
    #[error("a page of {bytes} bytes is not a power of two")]
    PageSize {
        /// The size.
        bytes: u64,
    },
    /// An unreadable machine file.
    #[error("machine file: {0}")]
    File(String),
}

/// A format of `levels` (root first), pages of `page_size` bytes and entries of `entry_bytes`
/// bytes, with the default layout for that width: 8 bytes as x86-64's entry, 4 as x86-32's
/// (neither with huge pages), 2 bytes `V R W X A D` in bits 0..5, software bits 6 and 7 and
/// the frame in bits 8..15, 1 byte valid in bit 7 (as OSTEP's), write in 6, software bits 5
/// and 4 and the frame in bits 0..3. Addresses are zero-extended.
///
/// # Errors
/// [`SpecError::PageSize`], [`SpecError::Geometry`], [`SpecError::Layout`] (a table larger
/// than what the width's frame field allows is still a valid format; the kernel refuses it
/// when it builds the machine).
pub fn custom_format(levels: &[u8], page_size: u64, entry_bytes: u8) -> Result<MachineFormat, SpecError> {
    if !page_size.is_power_of_two() {
        return Err(SpecError::PageSize { bytes: page_size });
    }
    let shift = page_size.trailing_zeros().min(255) as u8;
    let geometry = Geometry::new(levels, shift, entry_bytes)?;
    if let Some(l) = (0..geometry.levels()).find(|&l| geometry.table_bytes(l) > page_size) {
        return Err(SpecError::Machine(kernel::MachineError::TableTooLarge {
            level: l,
            bytes: geometry.table_bytes(l),
        }));
    }
    let layout = default_layout(entry_bytes);
    Ok(MachineFormat::new(geometry, layout, false)?)
}

/// The default entry layout of a width (see [`custom_format`]).
pub fn default_layout(entry_bytes: u8) -> EntryLayout {
    let mut l = match entry_bytes {
        8 => *Preset::X86_64.format().layout(),
        4 => *Preset::X86_32.format().layout(),
        2 => EntryLayout {
            valid: 0,
            read: PermBit::Set(1),
            write: PermBit::Set(2),
            exec: PermBit::Set(3),
            user: PermBit::Implied,
            accessed: Some(4),
            dirty: Some(5),
            global: None,
            cow: Some(6),
            orig_write: Some(7),
            leaf: LeafRule::LastLevel,
            huge_levels: 0,
            frame_shift: 8,
            frame_bits: 8,
            table_bits: 0,
            perms_in_tables: false,
            accessed_in_tables: false,
        },
        _ => EntryLayout {
            valid: 7,
            read: PermBit::Implied,
            write: PermBit::Set(6),
            exec: PermBit::Implied,
            user: PermBit::Implied,
            accessed: None,
            dirty: None,
            global: None,
            cow: Some(5),
            orig_write: Some(4),
            leaf: LeafRule::LastLevel,
            huge_levels: 0,
            frame_shift: 0,
            frame_bits: 4,
            table_bits: 0,
            perms_in_tables: false,
            accessed_in_tables: false,
        },
    };
    // A custom geometry's levels are not x86's: no huge pages.
    l.huge_levels = 0;
    l
}

/// The kernel profile of `spec` with `memory` bytes (default [`DEFAULT_MEMORY`]). The course
/// presets give their course profiles, whose memory is fixed: `memory` must then be `None`.
///
/// # Errors
/// [`SpecError::Format`] if the kernel cannot run the format (pages other than 4 KiB, no
/// software bits), [`SpecError::Machine`] for a bad memory size, [`SpecError::File`] for a
/// memory size given to a course machine.
pub fn build(spec: &Spec, memory: Option<u64>) -> Result<Profile, SpecError> {
    let (name, format) = match spec {
        Spec::Preset(Preset::Ajou | Preset::Mtl458) if memory.is_some() => {
            return Err(SpecError::File("the course machines have fixed memory; --memory is for the others".into()));
        }
        Spec::Preset(Preset::Ajou) => return Ok(Profile::AJOU),
        Spec::Preset(Preset::Mtl458) => return Ok(Profile::MTL458),
        Spec::Preset(p) => (p.name(), p.format()),
        Spec::Format { name, format } => (*name, *format),
    };
    let format = Format::general(format)?;
    Ok(Profile::machine(name, format, memory.unwrap_or(DEFAULT_MEMORY))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_custom_machines_build() {
        for p in Preset::ALL {
            let profile = build(&Spec::Preset(p), None).unwrap();
            assert_eq!(profile.name, p.name());
        }
        assert_eq!(build(&Spec::Preset(Preset::Ajou), None).unwrap(), Profile::AJOU);
        assert!(build(&Spec::Preset(Preset::Mtl458), Some(1 << 20)).is_err());
        let f = custom_format(&[9, 9, 9, 9], 4096, 8).unwrap();
        assert_eq!(*f.layout(), EntryLayout { huge_levels: 0, ..*Preset::X86_64.format().layout() });
        let p = build(&Spec::Format { name: "custom", format: f }, Some(1 << 20)).unwrap();
        assert_eq!(p.address_space_size(), 1 << 48);
        let two = custom_format(&[4, 4, 3], 4096, 2).unwrap();
        assert!(build(&Spec::Format { name: "custom", format: two }, Some(1 << 20)).is_ok());
        assert!(matches!(
            build(&Spec::Format { name: "custom", format: two }, Some(2 << 20)),
            Err(SpecError::Machine(kernel::MachineError::FrameField { .. }))
        ));
        let small_pages = custom_format(&[4, 4], 256, 4).unwrap();
        assert!(matches!(build(&Spec::Format { name: "c", format: small_pages }, None), Err(SpecError::Format(_))));
        assert!(matches!(custom_format(&[9], 3000, 8), Err(SpecError::PageSize { bytes: 3000 })));
        assert!(matches!(custom_format(&[10, 10], 4096, 8), Err(SpecError::Machine(_))));
        assert!(matches!(custom_format(&[], 4096, 8), Err(SpecError::Geometry(_))));
    }
}
