//! `walk PID ADDR`: the MMU's walk of one address, level by level, as text.

use std::io::{self, Write};

use kernel::{MachineFormat, Pid, VirtAddr};
use paging::{EntryBits, EntryKind, Walk};

/// A size in bytes as `4 KiB`, `2 MiB`, `1 GiB`, `32 B`.
fn size(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} B")
}

/// The entry's meaning, as words.
fn bits(b: EntryBits) -> String {
    const NAMES: [(EntryBits, &str); 10] = [
        (EntryBits::VALID, "valid"),
        (EntryBits::READ, "read"),
        (EntryBits::WRITE, "write"),
        (EntryBits::EXEC, "exec"),
        (EntryBits::USER, "user"),
        (EntryBits::ACCESSED, "accessed"),
        (EntryBits::DIRTY, "dirty"),
        (EntryBits::GLOBAL, "global"),
        (EntryBits::COW, "cow"),
        (EntryBits::ORIG_WRITE, "orig-write"),
    ];
    let words: Vec<&str> = NAMES.iter().filter(|(f, _)| b.contains(*f)).map(|(_, n)| *n).collect();
    words.join(" ")
}

/// The machine's shape in one phrase: `levels 9/9/9/9, 4 KiB pages, 8-byte entries`.
pub(crate) fn shape(format: &MachineFormat) -> String {
    let g = format.geometry();
    let levels: Vec<String> = g.level_bits_all().iter().map(u8::to_string).collect();
    format!("levels {}, {} pages, {}-byte entries", levels.join("/"), size(g.page_size()), g.entry_bytes())
}

/// Prints `walk` of `addr` in `pid` on the machine `name` of `format`.
pub(crate) fn print<O: Write>(
    out: &mut O,
    name: &str,
    format: &MachineFormat,
    pid: Pid,
    addr: VirtAddr,
    walk: &Walk,
) -> io::Result<()> {
    let g = format.geometry();
    let digits = usize::from(g.entry_bytes()) * 2;
    writeln!(out, "walk pid {pid} address {:#x} on {name} ({})", addr.as_u64(), shape(format))?;
    for s in walk.steps() {
        let e = &s.entry;
        write!(
            out,
            "  level {}: table frame {:#x} at {:#x}, index {}: entry at {:#x} = 0x{:0digits$x}",
            s.level,
            s.table,
            s.table_addr.as_u64(),
            s.index,
            s.entry_addr.as_u64(),
            e.raw,
        )?;
        let words = bits(e.bits);
        let words = if words.is_empty() { String::new() } else { format!(" [{words}]") };
        match e.kind {
            EntryKind::Invalid => writeln!(out, " [not present]")?,
            EntryKind::Reserved => writeln!(out, "{words} reserved")?,
            EntryKind::Table => writeln!(out, "{words} -> table at frame {:#x}", e.frame)?,
            EntryKind::Leaf if s.level + 1 == g.levels() => writeln!(out, "{words} -> page at frame {:#x}", e.frame)?,
            EntryKind::Leaf => {
                writeln!(out, "{words} -> {} huge page at frame {:#x}", size(g.level_page_size(s.level)), e.frame)?
            }
        }
    }
    match walk.outcome() {
        Ok(t) => writeln!(
            out,
            "  physical address {:#x} ({} page at frame {:#x})",
            t.phys.as_u64(),
            size(t.page_size),
            t.frame
        ),
        Err(f) => writeln!(out, "  page fault at level {}: {}", f.level, f.kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(
            [size(4096), size(2 << 20), size(1 << 30), size(32), size(6144)],
            ["4 KiB", "2 MiB", "1 GiB", "32 B", "6 KiB"]
        );
        assert_eq!(bits(EntryBits::VALID | EntryBits::DIRTY | EntryBits::COW), "valid dirty cow");
    }
}
