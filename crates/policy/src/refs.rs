//! Reference strings as students write them: page numbers separated by commas and/or white
//! space, a `w` suffix marking a write (`3w`).

use crate::Page;

/// One reference of a string: a page, read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The page referenced.
    pub page: Page,
    /// A write (`3w`) rather than a read (`3`).
    pub write: bool,
}

impl Reference {
    /// A read of `page`.
    pub fn read(page: Page) -> Reference {
        Reference { page, write: false }
    }

    /// A write of `page`.
    pub fn write(page: Page) -> Reference {
        Reference { page, write: true }
    }
}

/// A token of a reference string that is not a page number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, reference {index}: `{token}` is not a page number (0..2^64, optionally followed by w)")]
pub struct RefError {
    /// The line of the text, from 1.
    pub line: usize,
    /// The reference's position in the string, from 1.
    pub index: usize,
    /// The token.
    pub token: String,
}

/// Parses a reference string: tokens separated by commas, spaces, tabs or line ends; each a
/// decimal page number, optionally followed by `w` or `W` for a write. Empty tokens (`1,,2`)
/// are skipped; a `#` starts a comment to the end of its line.
///
/// # Errors
/// [`RefError`] for the first token that is not a page number.
pub fn parse_refs(text: &str) -> Result<Vec<Reference>, RefError> {
    let mut refs = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for token in line.split(|c: char| c == ',' || c.is_whitespace()).filter(|t| !t.is_empty()) {
            let (digits, write) = match token.strip_suffix(['w', 'W']) {
                Some(d) => (d, true),
                None => (token, false),
            };
            let page = digits
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| digits.parse::<Page>().ok())
                .flatten()
                .ok_or_else(|| RefError { line: line_no + 1, index: refs.len() + 1, token: token.to_owned() })?;
            refs.push(Reference { page, write });
        }
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_spaces_writes_comments() {
        let r = parse_refs("1,2, 3w\n# a comment\n4W 5 # five\n").unwrap();
        let want =
            [Reference::read(1), Reference::read(2), Reference::write(3), Reference::write(4), Reference::read(5)];
        assert_eq!(r, want);
    }

    #[test]
    fn bad_tokens_are_located() {
        assert_eq!(parse_refs("1,2\n3,x4").unwrap_err(), RefError { line: 2, index: 4, token: "x4".into() });
        assert_eq!(parse_refs("-1").unwrap_err().index, 1);
        assert_eq!(parse_refs("+1").unwrap_err().index, 1);
        assert_eq!(parse_refs("w").unwrap_err().token, "w");
        assert!(parse_refs("99999999999999999999999").is_err());
    }
}
