//! The one-pass parser of `ajou` lines in their common shapes (`read 42`, `alloc 3 rw`): it
//! finds the command and the line's end together, and leaves every other spelling to the
//! general tokenizer in `ajou.rs`.

use kernel::{Access, Pid, Vpn};

/// A command in the shape that generated and hand-written scripts almost always use: the full
/// lower-case name, one space, a decimal number of up to three digits and, for `alloc`, ` r` or ` rw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quick {
    Alloc { vpn: Vpn, write: bool },
    Free(Vpn),
    Access(Vpn, Access),
    Switch(Pid),
}

/// The [`Quick`] command on the line at the start of `text` and the line's length, if the
/// line has exactly that shape, ends with a newline and names a VPN below `vpn_count`; `None`
/// sends it to the general tokenizer.
///
/// A million-line script spent a third of its run in the tokenizer's byte loop and the search
/// for the line's end; matching the line against a few fixed shapes finds both in one pass
/// with no per-byte classification. It must agree with the general path on every line it
/// accepts: it accepts only words the tokenizer would split the same way, numbers that
/// `c_number` reads as the same decimal value (no sign, no leading zero) and valid VPNs, and
/// leaves every error and every other spelling to the general path.
pub(super) fn quick(text: &[u8], vpn_count: u32) -> Option<(Quick, usize)> {
    /// The number of one to three digits after the command word, and what follows it.
    ///
    /// Computed for each possible length and selected, rather than in a loop over the digits:
    /// the lengths of random VPNs vary from line to line, and a loop exit that the branch
    /// predictor cannot guess costs more than the arithmetic. (Three digits cover every VPN and
    /// the pids of any realistic script; a longer number takes the general path.)
    fn number(rest: &[u8]) -> Option<(u32, &[u8])> {
        let digit = |i: usize| rest.get(i).filter(|b| b.is_ascii_digit()).map(|&b| u32::from(b - b'0'));
        let [d0, d1, d2] = [digit(0), digit(1), digit(2)];
        let (len, n) = match (d0, d1, d2) {
            (Some(a), Some(b), Some(c)) => (3, a * 100 + b * 10 + c),
            (Some(a), Some(b), None) => (2, a * 10 + b),
            (Some(a), None, _) => (1, a),
            (None, ..) => return None,
        };
        // No fourth digit after three (past a shorter number, `rest` may already hold the next
        // line), and no leading zero (`c_number` would read the word as octal).
        if (len == 3 && digit(3).is_some()) || (len > 1 && d0 == Some(0)) {
            return None;
        }
        Some((n, &rest[len..]))
    }
    let vpn = |n: u32| (n < vpn_count).then(|| Vpn::new(n));
    // The length of the line, if `rest` (after the number) is `end` and a newline.
    let line_end = |rest: &[u8], end: &[u8]| {
        (rest.starts_with(end) && rest.get(end.len()) == Some(&b'\n')).then(|| text.len() - rest.len() + end.len() + 1)
    };
    let (cmd, rest) = if let Some(rest) = text.strip_prefix(b"read ") {
        let (n, rest) = number(rest)?;
        (Quick::Access(vpn(n)?, Access::Read), rest)
    } else if let Some(rest) = text.strip_prefix(b"write ") {
        let (n, rest) = number(rest)?;
        (Quick::Access(vpn(n)?, Access::Write), rest)
    } else if let Some(rest) = text.strip_prefix(b"free ") {
        let (n, rest) = number(rest)?;
        (Quick::Free(vpn(n)?), rest)
    } else if let Some(rest) = text.strip_prefix(b"switch ") {
        let (n, rest) = number(rest)?;
        (Quick::Switch(Pid::new(n)), rest)
    } else if let Some(rest) = text.strip_prefix(b"alloc ") {
        let (n, rest) = number(rest)?;
        let (write, len) = match line_end(rest, b" rw") {
            Some(len) => (true, len),
            None => (false, line_end(rest, b" r")?),
        };
        return Some((Quick::Alloc { vpn: vpn(n)?, write }, len));
    } else {
        return None;
    };
    Some((cmd, line_end(rest, b"")?))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ajou::general;
    use crate::{Machine, Shell};

    /// Lines in the shapes [`quick`] takes and in near misses of them: other spellings,
    /// signs, leading zeros, hexadecimal, out-of-range numbers, extra words and bytes.
    fn near_quick_line() -> impl Strategy<Value = Vec<u8>> {
        let cmd = prop::sample::select(vec![
            "read", "write", "free", "switch", "alloc", "READ", "Write", "r", "w", "f", "s", "a", "rea", "reads",
            "access", "show", "frames", "pages#",
        ]);
        let sep = prop::sample::select(vec![" ", " ", " ", "  ", "\t", "", "\x0b"]);
        let num = prop_oneof![
            4 => (0u32..300).prop_map(|n| n.to_string()),
            1 => (0u32..300).prop_map(|n| format!("0{n}")),
            1 => (0u32..300).prop_map(|n| format!("0x{n:x}")),
            1 => (0u32..300).prop_map(|n| format!("+{n}")),
            1 => (0u32..300).prop_map(|n| format!("-{n}")),
            1 => prop::sample::select(vec!["4294967295", "4294967296", "999999999", "1000000000", "", "1a", "٣"])
                .prop_map(String::from),
            // Words strtoimax reads by their longest valid prefix, and 32-bit wraps.
            2 => prop::sample::select(vec![
                "3#x", "7abc", "abc", "0x", "08", "019", "0x1fg", "4294967299", "4294967552", "-4294967289",
                "99999999999999999999", "-99999999999999999999", "12.5", "+", "-",
            ])
            .prop_map(String::from),
        ];
        let flags = prop::sample::select(vec![
            "", " r", " rw", " w", " R", " wr", " rw x", " x", " r#", " rww", " write", " read", " #rw", " x#w",
        ]);
        let end = prop::sample::select(vec!["\n", "", " \n", "\r\n", " # note\n", "\0x\n", "x\n", "#x\n"]);
        (cmd, sep, num, flags, end).prop_map(|(c, s, n, f, e)| format!("{c}{s}{n}{f}{e}").into_bytes())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Whatever the quick path takes, in `run_script` or `execute`, must run exactly as the
        /// general tokenizer runs it: the same output on both streams, the same failure flag
        /// and the same machine afterwards.
        #[test]
        fn quick_lines_run_as_the_general_path_runs_them(
            lines in prop::collection::vec(near_quick_line(), 1..60),
            interactive in any::<bool>(),
        ) {
            let script = lines.concat();
            let mut fast = Shell::new(Machine::Ajou, interactive, None).unwrap();
            let (mut fast_out, mut fast_err) = (vec![], vec![]);
            fast.run_script(&script[..], None, &mut fast_out, &mut fast_err).unwrap();
            // `execute`, line by line, takes the quick path too.
            let mut each = Shell::new(Machine::Ajou, interactive, None).unwrap();
            let (mut each_out, mut each_err) = (vec![], vec![]);
            // The general path alone, on the same lines as `run_script` cuts them.
            let mut slow = Shell::new(Machine::Ajou, interactive, None).unwrap();
            let (mut slow_out, mut slow_err) = (vec![], vec![]);
            for (i, line) in script.split_inclusive(|&b| b == b'\n').enumerate() {
                let s = general(&mut slow, line, i + 1, &mut slow_out, &mut slow_err).unwrap();
                let e = each.execute(line, i + 1, &mut each_out, &mut each_err).unwrap();
                prop_assert_eq!(e, s);
                if s == crate::Flow::Stop {
                    break;
                }
            }
            for (sh, out, err) in [(&mut fast, &fast_out, &fast_err), (&mut each, &each_out, &each_err)] {
                prop_assert_eq!(String::from_utf8_lossy(err), String::from_utf8_lossy(&slow_err));
                prop_assert_eq!(String::from_utf8_lossy(out), String::from_utf8_lossy(&slow_out));
                prop_assert_eq!(sh.failed(), slow.failed());
                prop_assert_eq!(sh.kernel().stats(), slow.kernel().stats());
                let (mut a, mut b) = (vec![], vec![]);
                general(sh, b"show", 0, &mut Vec::new(), &mut a).unwrap();
                general(&mut slow, b"show", 0, &mut Vec::new(), &mut b).unwrap();
                prop_assert_eq!(a, b, "the same page tables");
            }
        }
    }

    #[test]
    fn quick_takes_the_generated_shapes_and_nothing_looser() {
        let v = Vpn::new;
        let q = |text: &[u8]| quick(text, 256);
        assert_eq!(q(b"read 251\nwrite 3\n"), Some((Quick::Access(v(251), Access::Read), 9)));
        assert_eq!(q(b"write 0\n"), Some((Quick::Access(v(0), Access::Write), 8)));
        assert_eq!(q(b"free 17\n"), Some((Quick::Free(v(17)), 8)));
        assert_eq!(q(b"switch 229\n"), Some((Quick::Switch(Pid::new(229)), 11)));
        assert_eq!(q(b"switch 0\n"), Some((Quick::Switch(Pid::new(0)), 9)));
        assert_eq!(q(b"alloc 87 rw\n"), Some((Quick::Alloc { vpn: v(87), write: true }, 12)));
        assert_eq!(q(b"alloc 3 r\nread 3\n"), Some((Quick::Alloc { vpn: v(3), write: false }, 10)));
        // What follows the line does not matter, even digits (a line that starts with a number).
        assert_eq!(q(b"free 5\n77\n"), Some((Quick::Free(v(5)), 7)));
        assert_eq!(q(b"read 42\n7\n"), Some((Quick::Access(v(42), Access::Read), 8)));
        for general in [
            &b"read 1"[..],
            b"read 256\n",
            b"read 010\n",
            b"read 0x10\n",
            b"read +1\n",
            b"read  1\n",
            b"read 1 \n",
            b"read 1\r\n",
            b"read 1x\n",
            b"read \n",
            b"Read 1\n",
            b"r 1\n",
            b"alloc 1 w\n",
            b"alloc 1 rw",
            b"alloc 1 rwx\n",
            b"alloc 1\n",
            b"switch 1000\n",
            b"switch 01\n",
            b"read 00\n",
            b"free 1 # note\n",
            b"show\n",
        ] {
            assert_eq!(q(general), None, "{:?}", String::from_utf8_lossy(general));
        }
    }
}
