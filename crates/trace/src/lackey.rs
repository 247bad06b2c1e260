//! Valgrind lackey (`valgrind --tool=lackey --trace-mem=yes`): `I  04001020,2` (an instruction
//! fetch), ` L 1ffefff8,8` (load), ` S ...` (store), ` M ...` (modify: one access that reads
//! and writes). Address hexadecimal, size decimal bytes.
//!
//! Every other line (`==123==` banners, the program's own output when it shares the log) is
//! not a record and is skipped; a line that starts like a record (`I  `, ` L `, ` S `, ` M `)
//! but does not continue like one is malformed. Source of the syntax: lackey's `lk_main.c`
//! prints `"I  %08lx,%lu\n"` and `" %c %08lx,%lu\n"`.

use crate::error::Malformed;
use crate::hex::{decimal, hex, push_hex, trim_start};
use crate::record::{Kind, Parsed, Record};

/// Parses one lackey line.
///
/// # Errors
/// A record line with a bad address, a missing `,size`, or a size of 0 or above `u32::MAX`.
pub fn parse(line: &[u8]) -> Result<Parsed, Malformed> {
    let (kind, rest) = match line {
        [b'I', b' ', b' ', rest @ ..] => (Kind::Fetch, rest),
        [b' ', c @ (b'L' | b'S' | b'M'), b' ', rest @ ..] => (
            match c {
                b'L' => Kind::Read,
                b'S' => Kind::Write,
                _ => Kind::Modify,
            },
            rest,
        ),
        _ => return Ok(Parsed::Skip),
    };
    let rest = trim_start(rest);
    let comma = rest.iter().position(|&c| c == b',').ok_or(Malformed("missing `,size` after the address"))?;
    let addr = hex(&rest[..comma])?;
    let size_text = rest[comma + 1..].trim_ascii_end();
    let size = decimal(size_text, "size is not a decimal number")?;
    let size = u32::try_from(size).map_err(|_| Malformed("size too large"))?;
    if size == 0 {
        return Err(Malformed("size 0"));
    }
    Ok(Parsed::Record(Record { addr, kind, size }))
}

/// Appends `record` as lackey prints it.
pub fn write(record: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(match record.kind {
        Kind::Fetch => b"I  ",
        Kind::Read => b" L ",
        Kind::Write => b" S ",
        Kind::Modify => b" M ",
    });
    push_hex(out, record.addr, 8);
    out.push(b',');
    out.extend_from_slice(record.size.max(1).to_string().as_bytes());
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn rec(line: &str, addr: u64, kind: Kind, size: u32) {
        assert_eq!(parse(line.as_bytes()), Ok(Parsed::Record(Record { addr, kind, size })));
    }

    #[test]
    fn records() {
        rec("I  04001020,2", 0x0400_1020, Kind::Fetch, 2);
        rec(" L 1ffefff8,8", 0x1ffe_fff8, Kind::Read, 8);
        rec(" S 1ffefff0,4", 0x1ffe_fff0, Kind::Write, 4);
        rec(" M 0421c7f0,4", 0x0421_c7f0, Kind::Modify, 4);
        rec(" M 0421c7f0,4 ", 0x0421_c7f0, Kind::Modify, 4);
    }

    #[test]
    fn banners_and_output_are_skipped() {
        for line in ["==12345== Lackey, an example Valgrind tool", "hello world", "", "I am output", "  L x"] {
            assert_eq!(parse(line.as_bytes()), Ok(Parsed::Skip), "{line}");
        }
    }

    #[test]
    fn malformed() {
        assert_eq!(parse(b" L 1ffefff8"), Err(Malformed("missing `,size` after the address")));
        assert_eq!(parse(b" L zz,8"), Err(Malformed("address is not hexadecimal")));
        assert_eq!(parse(b" S 10,0"), Err(Malformed("size 0")));
        assert_eq!(parse(b"I  10,x"), Err(Malformed("size is not a decimal number")));
    }
}
