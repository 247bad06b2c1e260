//! Reading input lines in place: tokens, numbers, sizes and permission flags.
//!
//! Every parser here works on byte slices of the line as read, never copies it and never
//! allocates: a script of a million lines is parsed a million times, and input may be any
//! bytes (non-UTF-8, NULs, very long words).

use core::fmt;

use kernel::Perm;

/// C `isspace` in the C locale: the separators the course framework's tokenizer splits on.
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The first tokens of a line: up to `N` of them, and whether there were more.
///
/// A token that *starts* with `#` ends the line, as in the course framework (`write 2 # note`,
/// but `write 2#3` is one token `2#3`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tokens<'a, const N: usize> {
    toks: [&'a [u8]; N],
    len: usize,
    more: bool,
}

impl<'a, const N: usize> Tokens<'a, N> {
    /// Splits `line`; scanning stops at a comment or once more than `N` tokens are seen, so the
    /// cost is bounded by the position of the `N + 1`-th token. A NUL byte is an ordinary byte.
    #[inline]
    pub(crate) fn new(line: &'a [u8]) -> Self {
        Self::split::<false>(line)
    }

    /// As [`Tokens::new`], but a NUL byte ends the line, as it ends the C string the `ajou`
    /// framework reads a line into.
    #[inline]
    pub(crate) fn c_string(line: &'a [u8]) -> Self {
        Self::split::<true>(line)
    }

    #[inline]
    fn split<const NUL_ENDS: bool>(line: &'a [u8]) -> Self {
        let mut t = Tokens { toks: [&[][..]; N], len: 0, more: false };
        let mut i = 0;
        while i < line.len() {
            if is_space(line[i]) {
                i += 1;
                continue;
            }
            if line[i] == b'#' || (NUL_ENDS && line[i] == 0) {
                break;
            }
            let start = i;
            while i < line.len() && !is_space(line[i]) && !(NUL_ENDS && line[i] == 0) {
                i += 1;
            }
            match t.toks.get_mut(t.len) {
                Some(slot) => {
                    *slot = &line[start..i];
                    t.len += 1;
                }
                None => {
                    t.more = true;
                    break;
                }
            }
        }
        t
    }

    /// The tokens kept (at most `N`).
    #[inline]
    pub(crate) fn as_slice(&self) -> &[&'a [u8]] {
        &self.toks[..self.len]
    }

    /// Whether the line had more than `N` tokens.
    #[inline]
    pub(crate) fn more(&self) -> bool {
        self.more
    }
}

/// Why a word is not an acceptable number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadNumber {
    /// It is not written as a number at all (or has trailing junk).
    NotANumber,
    /// It has a minus sign and is not zero.
    Negative,
    /// It does not fit in 64 bits.
    TooLarge,
}

impl fmt::Display for BadNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadNumber::NotANumber => "is not a number",
            BadNumber::Negative => "is negative",
            BadNumber::TooLarge => "is too large",
        })
    }
}

/// The value of `digits` in `radix` (2..=16), case-insensitive. All digits are checked before
/// overflow is reported, so `99999999999999999999x` is "not a number" rather than "too large".
fn digits(digits: &[u8], radix: u32) -> Result<u64, BadNumber> {
    if digits.is_empty() {
        return Err(BadNumber::NotANumber);
    }
    let mut value: Option<u64> = Some(0);
    for &b in digits {
        let d = (b as char).to_digit(radix).ok_or(BadNumber::NotANumber)?;
        value = value.and_then(|v| v.checked_mul(u64::from(radix))).and_then(|v| v.checked_add(u64::from(d)));
    }
    value.ok_or(BadNumber::TooLarge)
}

/// A number as the `ajou` framework reads one: C `strtoimax(word, NULL, 0)`, stored in an
/// `unsigned int` (the rule of `spec/ajou-2021.md`, "Input").
///
/// An optional sign, then `0x` hexadecimal (only when a hexadecimal digit follows the `x`),
/// `0` octal or decimal; **the longest valid prefix** is the number and the rest of the word is
/// ignored, so a word with no digits reads as 0 (`abc`, `0x`, `-`), and `08` as 0, `7abc` as 7,
/// `3#x` as 3. A magnitude past `intmax_t` saturates at `INTMAX_MAX` (or `INTMAX_MIN` with a
/// minus sign), then the value is cut to its low 32 bits, two's complement: `-1` and
/// `99999999999999999999` are 4,294,967,295, `4294967299` is 3, `-99999999999999999999` is 0.
/// Never fails: every word is some number to the framework.
pub(crate) fn c_number(word: &[u8]) -> u32 {
    let (negative, rest) = match word {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, word),
    };
    let (radix, digits) = match rest {
        [b'0', b'x' | b'X', h, ..] if h.is_ascii_hexdigit() => (16, &rest[2..]),
        // The leading 0 is an octal digit itself: `0` and `08` read as 0.
        [b'0', ..] => (8, rest),
        _ => (10, rest),
    };
    // The magnitude, saturated one past `INTMAX_MAX`: enough to tell both saturations apart.
    const LIMIT: u64 = 1 << 63;
    let mut magnitude = 0u64;
    for &b in digits {
        let Some(d) = (b as char).to_digit(radix) else { break };
        magnitude = magnitude.saturating_mul(u64::from(radix)).saturating_add(u64::from(d)).min(LIMIT);
    }
    let value: i64 = match (negative, magnitude) {
        (false, m) => i64::try_from(m).unwrap_or(i64::MAX),
        // `-LIMIT` is `INTMAX_MIN` itself, and the saturation of anything larger.
        (true, m) => 0i64.wrapping_sub_unsigned(m),
    };
    // `unsigned int x = strtoimax(...)`: the low 32 bits.
    value as u32
}

/// A number as the `mtl458` shell reads one: decimal (leading zeros allowed, never octal) or
/// `0x` hexadecimal.
pub(crate) fn number(word: &[u8]) -> Result<u64, BadNumber> {
    fn unsigned(word: &[u8]) -> Result<u64, BadNumber> {
        match word {
            [b'0', b'x' | b'X', hex @ ..] => digits(hex, 16),
            _ => digits(word, 10),
        }
    }
    match word {
        // Say "negative" rather than "not a number" when that is what is wrong.
        [b'-', rest @ ..] if !matches!(unsigned(rest), Err(BadNumber::NotANumber)) => Err(BadNumber::Negative),
        _ => unsigned(word),
    }
}

/// A byte count or address: a [`number`] with an optional binary suffix, `K`/`KiB` (1,024) or
/// `M`/`MiB` (1,048,576), in either case: `4K`, `1M`, `0x10K`, `2MiB`.
pub(crate) fn size(word: &[u8]) -> Result<u64, BadNumber> {
    const SUFFIXES: [(&[u8], u64); 4] = [(b"kib", 1 << 10), (b"mib", 1 << 20), (b"k", 1 << 10), (b"m", 1 << 20)];
    for (suffix, scale) in SUFFIXES {
        if let Some(at) = word.len().checked_sub(suffix.len()) {
            if at > 0 && word[at..].eq_ignore_ascii_case(suffix) {
                return number(&word[..at])?.checked_mul(scale).ok_or(BadNumber::TooLarge);
            }
        }
    }
    number(word)
}

/// The `ajou` framework's flag word: `r` and `w` anywhere in it give read and write; other
/// letters are ignored, as the framework ignores them. Returns `(read, write)`.
pub(crate) fn rw_letters(word: &[u8]) -> (bool, bool) {
    let has = |c: u8| word.iter().any(|b| b.eq_ignore_ascii_case(&c));
    (has(b'r'), has(b'w'))
}

/// Why a flag word is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadFlags {
    /// A letter other than `r`, `w`, `x`, or one of them twice.
    Letters,
    /// A number outside 0..=7.
    Number,
}

impl fmt::Display for BadFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadFlags::Letters => "is not a set of the letters r, w, x (each at most once)",
            BadFlags::Number => "is not O_READ(1) | O_WRITE(2) | O_EX(4), a number 0..7",
        })
    }
}

/// `mtl458` protection flags: letters from `rwx` in any order (`rw`, `xr`), or the numeric sum
/// of `O_READ` (1), `O_WRITE` (2) and `O_EX` (4) (`3`, `0x5`).
pub(crate) fn perm(word: &[u8]) -> Result<Perm, BadFlags> {
    if word.first().is_some_and(u8::is_ascii_digit) {
        return number(word).ok().and_then(|n| u32::try_from(n).ok()).and_then(Perm::from_bits).ok_or(BadFlags::Number);
    }
    if word.is_empty() {
        return Err(BadFlags::Letters);
    }
    let mut p = Perm::empty();
    for b in word {
        let bit = match b.to_ascii_lowercase() {
            b'r' => Perm::READ,
            b'w' => Perm::WRITE,
            b'x' => Perm::EXEC,
            _ => return Err(BadFlags::Letters),
        };
        if p.contains(bit) {
            return Err(BadFlags::Letters);
        }
        p |= bit;
    }
    Ok(p)
}

/// Case-insensitive equality of a token and a command name.
#[inline]
pub(crate) fn is(word: &[u8], name: &str) -> bool {
    word.eq_ignore_ascii_case(name.as_bytes())
}

/// A token as error messages show it: lossy UTF-8, control characters escaped, long words cut,
/// so that one message stays one short line whatever the input was.
pub(crate) struct Shown<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 40;
        let (bytes, cut) = if self.0.len() > MAX { (&self.0[..MAX], true) } else { (self.0, false) };
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() {
                    write!(f, "{}", c.escape_debug())?;
                } else {
                    f.write_fmt(format_args!("{c}"))?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        if cut { f.write_str("...") } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn toks<const N: usize>(line: &str) -> (Vec<&str>, bool) {
        let t = Tokens::<N>::new(line.as_bytes());
        (t.as_slice().iter().map(|s| std::str::from_utf8(s).unwrap()).collect(), t.more())
    }

    #[test]
    fn tokens_split_on_c_white_space() {
        assert_eq!(toks::<3>("alloc 3 rw\n"), (vec!["alloc", "3", "rw"], false));
        assert_eq!(toks::<3>("  \tread\x0b\x0c7\r\n"), (vec!["read", "7"], false));
        assert_eq!(toks::<3>(""), (vec![], false));
        assert_eq!(toks::<3>(" \n"), (vec![], false));
    }

    #[test]
    fn a_token_starting_with_hash_ends_the_line() {
        assert_eq!(toks::<3>("write 2  # Should be unable"), (vec!["write", "2"], false));
        assert_eq!(toks::<3>("# all comment"), (vec![], false));
        assert_eq!(toks::<3>("#"), (vec![], false));
        assert_eq!(toks::<3>("write 2#3"), (vec!["write", "2#3"], false));
        assert_eq!(toks::<3>("a b c # d e f"), (vec!["a", "b", "c"], false));
    }

    #[test]
    fn a_nul_byte_ends_a_c_string_line_only() {
        let c = |line: &'static str| {
            let t = Tokens::<3>::c_string(line.as_bytes());
            (t.as_slice().iter().map(|s| std::str::from_utf8(s).unwrap()).collect::<Vec<_>>(), t.more())
        };
        assert_eq!(c("write\0 2"), (vec!["write"], false));
        assert_eq!(c("write 2\0junk"), (vec!["write", "2"], false));
        assert_eq!(c("\0 a b c d"), (vec![], false));
        assert_eq!(toks::<3>("write 2\0junk"), (vec!["write", "2\0junk"], false));
    }

    #[test]
    fn more_tokens_than_kept_are_flagged() {
        assert_eq!(toks::<3>("a b c d"), (vec!["a", "b", "c"], true));
        assert_eq!(toks::<3>("a b c d e f g"), (vec!["a", "b", "c"], true));
        assert_eq!(toks::<3>("a b c\n"), (vec!["a", "b", "c"], false));
    }

    #[test]
    fn c_numbers_follow_strtoimax_base_0_cut_to_32_bits() {
        for (word, want) in [
            ("0", 0),
            ("10", 10),
            ("0x1f", 31),
            ("0X1F", 31),
            ("017", 15),
            ("00", 0),
            ("+5", 5),
            ("-0", 0),
            ("4294967295", 4_294_967_295),
            // The longest valid prefix; the rest of the word is ignored.
            ("3#x", 3),
            ("7abc", 7),
            ("12abc", 12),
            ("0x1fg", 31),
            ("019", 1),
            ("1.5", 1),
            // No digits at all: 0.
            ("abc", 0),
            ("", 0),
            ("-", 0),
            ("+-1", 0),
            ("0x", 0),
            ("0xg", 0),
            ("08", 0),
            ("x1", 0),
            // Negative values and wrapping into 32 bits.
            ("-1", 4_294_967_295),
            ("-0x10", 4_294_967_280),
            ("-2147483648", 2_147_483_648),
            ("4294967296", 0),
            ("4294967299", 3),
            ("0x100000005", 5),
            // Saturation at INTMAX_MAX (low 32 bits all ones) and INTMAX_MIN (low 32 bits 0).
            ("9223372036854775807", 4_294_967_295),
            ("9223372036854775808", 4_294_967_295),
            ("99999999999999999999", 4_294_967_295),
            ("18446744073709551621", 4_294_967_295),
            ("-9223372036854775807", 1),
            ("-9223372036854775808", 0),
            ("-99999999999999999999", 0),
            ("-99999999999999999999999x", 0),
        ] {
            assert_eq!(c_number(word.as_bytes()), want, "{word}");
        }
    }

    /// The naive reading: the value of the longest prefix as an unbounded integer, clamped to
    /// `intmax_t`, cut to 32 bits.
    fn strtoimax_model(word: &str) -> u32 {
        let (neg, rest) = match word.as_bytes().first() {
            Some(b'-') => (true, &word[1..]),
            Some(b'+') => (false, &word[1..]),
            _ => (false, word),
        };
        let lower = rest.to_ascii_lowercase();
        let (radix, digits) = if lower.starts_with("0x") && lower[2..].starts_with(|c: char| c.is_ascii_hexdigit()) {
            (16, &lower[2..])
        } else if lower.starts_with('0') {
            (8, &lower[..])
        } else {
            (10, &lower[..])
        };
        let len = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
        let mut v: i128 = 0;
        for c in digits[..len].chars() {
            v = (v * i128::from(radix) + i128::from(c.to_digit(radix).unwrap())).min(1 << 64);
        }
        let v = if neg { -v } else { v };
        v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64 as u32
    }

    proptest::proptest! {
        #[test]
        fn c_numbers_agree_with_a_naive_strtoimax(word in "[-+]?(0[xX]?)?[0-9a-fA-Fxg#]{0,24}") {
            proptest::prop_assert_eq!(c_number(word.as_bytes()), strtoimax_model(&word), "{}", word);
        }
    }

    #[test]
    fn mtl458_numbers_are_decimal_or_hex() {
        assert_eq!(number(b"10"), Ok(10));
        assert_eq!(number(b"010"), Ok(10));
        assert_eq!(number(b"0x10"), Ok(16));
        assert_eq!(number(b"0XfF"), Ok(255));
        assert_eq!(number(b"0x"), Err(BadNumber::NotANumber));
        assert_eq!(number(b"1.5"), Err(BadNumber::NotANumber));
        assert_eq!(number(b"-3"), Err(BadNumber::Negative));
        assert_eq!(number(b"-x"), Err(BadNumber::NotANumber));
        assert_eq!(number(b"+3"), Err(BadNumber::NotANumber));
        assert_eq!(number(b"99999999999999999999"), Err(BadNumber::TooLarge));
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        for (word, want) in [
            ("4096", 4096),
            ("4K", 4096),
            ("4k", 4096),
            ("1M", 1 << 20),
            ("1m", 1 << 20),
            ("2MiB", 2 << 20),
            ("8kib", 8 << 10),
            ("0x1000", 4096),
            ("0x10K", 16 << 10),
            ("0xb", 11),
            ("0K", 0),
        ] {
            assert_eq!(size(word.as_bytes()), Ok(want), "{word}");
        }
        for (word, why) in [
            ("K", BadNumber::NotANumber),
            ("M", BadNumber::NotANumber),
            ("4G", BadNumber::NotANumber),
            ("4KK", BadNumber::NotANumber),
            ("1.5M", BadNumber::NotANumber),
            ("-4K", BadNumber::Negative),
            ("17592186044416M", BadNumber::TooLarge),
        ] {
            assert_eq!(size(word.as_bytes()), Err(why), "{word}");
        }
    }

    #[test]
    fn ajou_flag_words_or_their_letters() {
        assert_eq!(rw_letters(b"r"), (true, false));
        assert_eq!(rw_letters(b"w"), (false, true));
        assert_eq!(rw_letters(b"rw"), (true, true));
        assert_eq!(rw_letters(b"WR"), (true, true));
        assert_eq!(rw_letters(b"rx"), (true, false));
        assert_eq!(rw_letters(b"x"), (false, false));
    }

    #[test]
    fn mtl458_flags_are_letters_or_a_sum() {
        let rw = Perm::READ | Perm::WRITE;
        for (word, want) in [
            ("r", Perm::READ),
            ("rw", rw),
            ("wr", rw),
            ("RX", Perm::READ | Perm::EXEC),
            ("xwr", Perm::all()),
            ("3", rw),
            ("7", Perm::all()),
            ("0", Perm::empty()),
            ("0x5", Perm::READ | Perm::EXEC),
        ] {
            assert_eq!(perm(word.as_bytes()), Ok(want), "{word}");
        }
        for (word, why) in [
            ("", BadFlags::Letters),
            ("rr", BadFlags::Letters),
            ("rwq", BadFlags::Letters),
            ("-", BadFlags::Letters),
            ("8", BadFlags::Number),
            ("3x", BadFlags::Number),
            ("99999999999999999999999", BadFlags::Number),
        ] {
            assert_eq!(perm(word.as_bytes()), Err(why), "{word}");
        }
    }

    #[test]
    fn shown_words_stay_one_short_line() {
        assert_eq!(Shown(b"abc").to_string(), "abc");
        assert_eq!(Shown(b"a\x1bb").to_string(), "a\\u{1b}b");
        assert_eq!(Shown(b"\xff\xfeok").to_string(), "\\xff\\xfeok");
        let long = [b'z'; 100];
        assert_eq!(Shown(&long).to_string(), format!("{}...", "z".repeat(40)));
        assert_eq!(Shown("é".as_bytes()).to_string(), "é");
    }
}
