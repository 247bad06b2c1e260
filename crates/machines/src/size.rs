//! Sizes as users write them: `4096`, `0x1000`, `4K`, `256M`, `1G` (binary units).

/// A size that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a size (a number with an optional K, M or G suffix, such as 256M)")]
pub struct SizeError {
    /// The text given.
    pub text: String,
}

/// The number of bytes `text` names: a decimal or `0x` number, optionally followed by `K`,
/// `M` or `G` (KiB, MiB, GiB; a trailing `B` or `iB` is allowed).
///
/// # Errors
/// [`SizeError`] for anything else, or a size that overflows 64 bits.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let err = || SizeError { text: text.to_owned() };
    let t = text.trim();
    let t = t.strip_suffix("iB").or_else(|| t.strip_suffix('B')).unwrap_or(t);
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 10),
        Some((i, 'M' | 'm')) => (&t[..i], 20),
        Some((i, 'G' | 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    let n = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse::<u64>(),
    }
    .map_err(|_| err())?;
    n.checked_mul(1 << shift).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (t, n) in [
            ("4096", 4096),
            ("4K", 4096),
            ("256M", 256 << 20),
            ("1G", 1 << 30),
            ("0x1000", 4096),
            ("64KiB", 65536),
            ("2MB", 2 << 20),
        ] {
            assert_eq!(parse_size(t), Ok(n), "{t}");
        }
        for t in ["", "K", "4T", "-1", "99999999999999G", "4 K"] {
            assert!(parse_size(t).is_err(), "{t}");
        }
    }
}
