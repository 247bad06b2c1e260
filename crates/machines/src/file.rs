//! TOML machine files: a geometry, an entry layout (a preset's, a width's default, or every
//! bit spelled out) and a memory size.
//!
//! ```toml
//! name = "my-x86"          # shown by `walk`; default "custom"
//! base = "x86-64"          # start from a preset (optional)
//! levels = [9, 9, 9, 9]    # root first (default: the base's)
//! page_size = "4K"         # or 4096
//! entry_size = 8           # bytes: 1, 2, 4 or 8
//! memory = "256M"
//! sign_extend = true       # addresses sign-extended from the top bit (x86-64, RISC-V)
//!
//! [entry]                  # any field overrides the base or the width's default
//! valid = 0
//! read = "implied"         # "implied", "set:N" (granted when bit N is set), "clear:N"
//! write = "set:1"
//! exec = "clear:63"
//! user = "set:2"
//! accessed = 5
//! dirty = 6
//! cow = 9                  # software bits the kernel needs for copy-on-write
//! orig_write = 10
//! leaf = "huge:7"          # "last", "huge:N" (x86 PS), "perm" (RISC-V), "table:N" (Arm)
//! huge_levels = [1, 2]
//! frame_shift = 12
//! frame_bits = 40
//! ```

use paging::{EntryLayout, Geometry, LeafRule, MachineFormat, PermBit, Preset};
use serde::Deserialize;

use crate::{SpecError, custom_format, parse_size};

/// A size as a number of bytes or a string such as `"256M"`.
#[derive(Debug, Clone)]
enum Size {
    Bytes(u64),
    Text(String),
}

/// By hand rather than `untagged`, so that a wrong value (`memory = -1`) is reported as what a
/// size is, not as "data did not match any variant of untagged enum Size".
impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Size;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a size: a number of bytes (4096) or a string such as \"256M\"")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Size, E> {
                Ok(Size::Bytes(n))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Size, E> {
                u64::try_from(n).map(Size::Bytes).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
            }
            fn visit_str<E: serde::de::Error>(self, t: &str) -> Result<Size, E> {
                Ok(Size::Text(t.to_owned()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Size {
    fn bytes(&self) -> Result<u64, SpecError> {
        match self {
            Size::Bytes(n) => Ok(*n),
            Size::Text(t) => Ok(parse_size(t)?),
        }
    }
}

/// A machine file, as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineFile {
    name: Option<String>,
    base: Option<String>,
    levels: Option<Vec<u8>>,
    page_size: Option<Size>,
    entry_size: Option<u8>,
    memory: Option<Size>,
    sign_extend: Option<bool>,
    entry: Option<EntryFile>,
}

/// The `[entry]` table of a machine file: every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryFile {
    valid: Option<u8>,
    read: Option<String>,
    write: Option<String>,
    exec: Option<String>,
    user: Option<String>,
    accessed: Option<u8>,
    dirty: Option<u8>,
    global: Option<u8>,
    cow: Option<u8>,
    orig_write: Option<u8>,
    leaf: Option<String>,
    huge_levels: Option<Vec<u8>>,
    frame_shift: Option<u8>,
    frame_bits: Option<u8>,
    table_bits: Option<u64>,
    perms_in_tables: Option<bool>,
    accessed_in_tables: Option<bool>,
}

fn perm(field: &str, text: &str) -> Result<PermBit, SpecError> {
    let bad =
        || SpecError::File(format!("[entry] {field} = \"{text}\": expected \"implied\", \"set:N\" or \"clear:N\""));
    if text == "implied" {
        return Ok(PermBit::Implied);
    }
    let (kind, n) = text.split_once(':').ok_or_else(bad)?;
    let n: u8 = n.parse().map_err(|_| bad())?;
    match kind {
        "set" => Ok(PermBit::Set(n)),
        "clear" => Ok(PermBit::Clear(n)),
        _ => Err(bad()),
    }
}

fn leaf(text: &str) -> Result<LeafRule, SpecError> {
    let bad = || {
        SpecError::File(format!("[entry] leaf = \"{text}\": expected \"last\", \"huge:N\", \"perm\" or \"table:N\""))
    };
    match text {
        "last" => return Ok(LeafRule::LastLevel),
        "perm" => return Ok(LeafRule::PermBits),
        _ => {}
    }
    let (kind, n) = text.split_once(':').ok_or_else(bad)?;
    let n: u8 = n.parse().map_err(|_| bad())?;
    match kind {
        "huge" => Ok(LeafRule::HugeBit(n)),
        "table" => Ok(LeafRule::TableBit(n)),
        _ => Err(bad()),
    }
}

impl EntryFile {
    fn apply(&self, mut l: EntryLayout) -> Result<EntryLayout, SpecError> {
        let set = |v: Option<u8>, into: &mut Option<u8>| {
            if v.is_some() {
                *into = v;
            }
        };
        if let Some(v) = self.valid {
            l.valid = v;
        }
        for (name, text, into) in [
            ("read", &self.read, &mut l.read),
            ("write", &self.write, &mut l.write),
            ("exec", &self.exec, &mut l.exec),
            ("user", &self.user, &mut l.user),
        ] {
            if let Some(t) = text {
                *into = perm(name, t)?;
            }
        }
        set(self.accessed, &mut l.accessed);
        set(self.dirty, &mut l.dirty);
        set(self.global, &mut l.global);
        set(self.cow, &mut l.cow);
        set(self.orig_write, &mut l.orig_write);
        if let Some(t) = &self.leaf {
            l.leaf = leaf(t)?;
        }
        if let Some(levels) = &self.huge_levels {
            l.huge_levels = levels.iter().filter(|&&x| x < 8).fold(0, |m, &x| m | 1 << x);
            if levels.iter().any(|&x| x >= 8) {
                return Err(SpecError::File(format!("[entry] huge_levels = {levels:?}: levels are 0..=4")));
            }
        }
        if let Some(v) = self.frame_shift {
            l.frame_shift = v;
        }
        if let Some(v) = self.frame_bits {
            l.frame_bits = v;
        }
        if let Some(v) = self.table_bits {
            l.table_bits = v;
        }
        if let Some(v) = self.perms_in_tables {
            l.perms_in_tables = v;
        }
        if let Some(v) = self.accessed_in_tables {
            l.accessed_in_tables = v;
        }
        Ok(l)
    }
}

/// Reads a machine file: its name, format and memory size (if it gives one).
///
/// # Errors
/// [`SpecError::File`] naming the line of a TOML error or the field at fault; the geometry,
/// layout and size errors of the values.
pub fn from_toml(text: &str) -> Result<(String, MachineFormat, Option<u64>), SpecError> {
    let file: MachineFile = toml::from_str(text).map_err(|e| SpecError::File(one_line(&e.to_string())))?;
    let base = file.base.as_deref().map(str::parse::<Preset>).transpose()?.map(Preset::format);
    let page_size = file.page_size.as_ref().map(Size::bytes).transpose()?;
    let format = match (base, &file.levels, page_size, file.entry_size) {
        (Some(b), None, None, None) => b,
        (Some(b), levels, page, width) => {
            let g = b.geometry();
            let levels = levels.clone().unwrap_or_else(|| g.level_bits_all().to_vec());
            let page = page.unwrap_or(g.page_size());
            if !page.is_power_of_two() {
                return Err(SpecError::PageSize { bytes: page });
            }
            let geometry = Geometry::new(&levels, page.trailing_zeros() as u8, width.unwrap_or(g.entry_bytes()))?;
            // The base's huge pages stay where they still stand above the last level.
            let mut layout = *b.layout();
            layout.huge_levels &= (1u8 << (geometry.levels() - 1)) - 1;
            MachineFormat::new(geometry, layout, b.sign_extend())?
        }
        (None, Some(levels), page, width) => custom_format(levels, page.unwrap_or(4096), width.unwrap_or(8))?,
        (None, None, _, _) => return Err(SpecError::File("a machine file needs `base` or `levels`".into())),
    };
    let layout = match &file.entry {
        Some(e) => e.apply(*format.layout())?,
        None => *format.layout(),
    };
    let format = MachineFormat::new(*format.geometry(), layout, file.sign_extend.unwrap_or(format.sign_extend()))?;
    let memory = file.memory.as_ref().map(Size::bytes).transpose()?;
    Ok((file.name.unwrap_or_else(|| "custom".to_owned()), format, memory))
}

/// A TOML error on one line: its message without the source excerpt.
fn one_line(message: &str) -> String {
    let mut lines = message.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('|'));
    let first = lines.next().unwrap_or("invalid TOML").trim().to_owned();
    match lines.next_back() {
        Some(last) if last.trim() != first => format!("{first}: {}", last.trim()),
        _ => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_size_says_what_a_size_is() {
        for text in ["memory = -1\nbase = \"x86-64\"\n", "page_size = true\nbase = \"x86-64\"\n"] {
            let e = from_toml(text).unwrap_err().to_string();
            assert!(e.contains("expected a size: a number of bytes (4096) or a string such as \"256M\""), "{e}");
            assert!(e.contains("line 1"), "{e}");
        }
        let (_, _, memory) = from_toml("memory = 65536\nbase = \"x86-64\"\n").unwrap();
        assert_eq!(memory, Some(65536));
    }

    #[test]
    fn a_file_from_a_preset_with_overrides() {
        let (name, f, memory) =
            from_toml("name = \"mine\"\nbase = \"sv39\"\nmemory = \"64M\"\n[entry]\ncow = 8\n").unwrap();
        assert_eq!((name.as_str(), memory), ("mine", Some(64 << 20)));
        assert_eq!(f, Preset::Sv39.format());
        let (_, f, _) =
            from_toml("levels = [9, 9, 9, 9]\npage_size = 4096\nentry_size = 8\nsign_extend = true\n").unwrap();
        assert_eq!(f.geometry(), Preset::X86_64.format().geometry());
        assert_eq!(f.layout().huge_levels, 0);
        assert!(f.sign_extend());
        let (_, f, _) = from_toml("base = \"x86-64\"\nlevels = [9, 9, 9]\n").unwrap();
        assert_eq!(f.geometry().va_bits(), 39);
        // RISC-V's leaf rule needs read, write and execute bits, which x86-32's entry lacks.
        let e = from_toml("levels = [8, 8]\nentry_size = 4\n[entry]\nleaf = \"perm\"\n").unwrap_err();
        assert!(matches!(e, SpecError::Layout(paging::LayoutError::PermBitsNeedBits)), "{e}");
        let (_, f, _) = from_toml("levels = [8, 8]\nentry_size = 4\n[entry]\nwrite = \"clear:11\"\n").unwrap();
        assert_eq!(f.layout().write, PermBit::Clear(11));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let e = from_toml("levels = [9, 9]\nwierd = 1\n").unwrap_err().to_string();
        assert!(e.contains("wierd"), "{e}");
        let e = from_toml("base = \"vax\"\n").unwrap_err().to_string();
        assert!(e.contains("unknown machine `vax`"), "{e}");
        let e = from_toml("levels = [9]\n[entry]\nread = \"on\"\n").unwrap_err().to_string();
        assert!(e.contains("[entry] read"), "{e}");
        let e = from_toml("levels = [9]\n[entry]\nleaf = \"huge\"\n").unwrap_err().to_string();
        assert!(e.contains("[entry] leaf"), "{e}");
        let e = from_toml("name = 3\n").unwrap_err().to_string();
        assert!(e.starts_with("machine file:") && e.contains("line 1"), "{e}");
        assert!(from_toml("").is_err());
        assert!(from_toml("levels = [9, 0]").is_err());
        assert!(from_toml("levels = [9]\n[entry]\ncow = 0\n").is_err()); // overlaps valid
    }
}
