//! The `ARG name value` lines every OSTEP simulator prints first, one per option.

use crate::ParseError;

/// One `ARG ` line: `text` is what follows `ARG `, e.g. `policy FIFO` or
/// `address space size 16k` (names may hold spaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLine<'a> {
    /// The line after its `ARG ` prefix, without the line end.
    pub text: &'a str,
}

/// The leading run of `ARG ` lines of a problem text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The lines in order; `lines[i]` is line `i + 1` of the text.
    pub lines: Vec<HeaderLine<'a>>,
}

impl<'a> Header<'a> {
    /// Reads the `ARG ` lines at the start of `text`.
    ///
    /// # Errors
    /// [`ParseError::Empty`] for an empty text; [`ParseError::Expected`] (line 1) when the
    /// first line is not an `ARG ` line.
    pub fn read(text: &'a str) -> Result<Header<'a>, ParseError> {
        let mut lines = Vec::new();
        for line in split_lines(text) {
            match line.strip_prefix("ARG ") {
                Some(rest) => lines.push(HeaderLine { text: rest }),
                None => break,
            }
        }
        if lines.is_empty() {
            let first = split_lines(text).next().ok_or(ParseError::Empty)?;
            return Err(ParseError::Expected {
                line: 1,
                expected: "an `ARG name value` line",
                found: first.to_owned(),
            });
        }
        Ok(Header { lines })
    }

    /// The value of the option `name` on header line `index` (0-based), if that line names it:
    /// `ARG name value` gives `value`, and `ARG name` (an empty value printed as `name `) gives
    /// the empty string.
    pub fn value_at(&self, index: usize, name: &str) -> Option<&'a str> {
        let text = self.lines.get(index)?.text;
        let rest = text.strip_prefix(name)?;
        if rest.is_empty() { Some(rest) } else { rest.strip_prefix(' ') }
    }

    /// True if the header's lines name exactly `names`, in that order.
    pub fn names_are(&self, names: &[&str]) -> bool {
        self.lines.len() == names.len() && names.iter().enumerate().all(|(i, n)| self.value_at(i, n).is_some())
    }
}

/// The lines of `text`, without their `\n` or `\r\n` ends. A final line end does not start
/// another line.
pub(crate) fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n').map(|l| {
        let l = l.strip_suffix('\n').unwrap_or(l);
        l.strip_suffix('\r').unwrap_or(l)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_empty_values() {
        let h = Header::read("ARG addresses 1,2\nARG addressfile \nARG notrace False\n\nx").unwrap();
        assert_eq!(h.lines.len(), 3);
        assert_eq!(h.value_at(0, "addresses"), Some("1,2"));
        assert_eq!(h.value_at(1, "addressfile"), Some(""));
        assert_eq!(h.value_at(0, "addressfile"), None);
        assert_eq!(h.value_at(2, "notrace"), Some("False"));
        assert!(h.names_are(&["addresses", "addressfile", "notrace"]));
        assert!(!h.names_are(&["addresses", "addressfile"]));
    }

    #[test]
    fn a_prefix_of_a_name_is_not_the_name() {
        let h = Header::read("ARG addressfile x\n").unwrap();
        assert_eq!(h.value_at(0, "address"), None);
    }

    #[test]
    fn no_header() {
        assert_eq!(Header::read(""), Err(ParseError::Empty));
        assert!(matches!(Header::read("hello\n"), Err(ParseError::Expected { line: 1, .. })));
    }

    #[test]
    fn crlf_line_ends() {
        let lines: Vec<_> = split_lines("a\r\nb\nc").collect();
        assert_eq!(lines, ["a", "b", "c"]);
    }
}
