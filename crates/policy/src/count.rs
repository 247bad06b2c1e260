//! `1 frame`, `3 frames`: a count with its noun in the number the count needs, for the
//! messages and reports of this crate and of the crates above it (kernel, replay, cli).

use std::fmt;

/// A count and a singular noun, written as `1 frame`, `0 frames`, `3 swap slots`,
/// `2 entries`, `4 misses`. The plural is the regular English one: `-es` after `s`, `x`, `ch`
/// or `sh`, `-ies` for a `y` after a consonant, else `-s`; a noun that is not regular has no
/// place here. Any integer type: the count is written as its own `Display` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count<'a, N>(pub N, pub &'a str);

impl<N: fmt::Display> fmt::Display for Count<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Count(n, noun) = self;
        let n = n.to_string();
        if n == "1" {
            return write!(f, "1 {noun}");
        }
        let consonant_y = noun.strip_suffix('y').and_then(|s| s.chars().last()).is_some_and(|c| !"aeiou".contains(c));
        if consonant_y {
            write!(f, "{n} {}ies", &noun[..noun.len() - 1])
        } else if ["s", "x", "ch", "sh"].iter().any(|end| noun.ends_with(end)) {
            write!(f, "{n} {noun}es")
        } else {
            write!(f, "{n} {noun}s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Count;

    #[test]
    fn one_is_singular_and_the_rest_plural() {
        let said = |n: u64, noun| Count(n, noun).to_string();
        assert_eq!(
            (said(1, "frame"), said(0, "frame"), said(2, "frame")),
            ("1 frame".into(), "0 frames".into(), "2 frames".into())
        );
        assert_eq!(said(1, "swap slot"), "1 swap slot");
        assert_eq!(
            (said(3, "miss"), said(3, "entry"), said(3, "copy"), said(3, "day")),
            ("3 misses".into(), "3 entries".into(), "3 copies".into(), "3 days".into())
        );
        assert_eq!(
            (Count(1usize, "process").to_string(), Count(11u32, "process").to_string()),
            ("1 process".into(), "11 processes".into())
        );
    }
}
