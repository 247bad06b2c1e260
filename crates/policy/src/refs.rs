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

/// Why a reference string could not be read: the first bad reference, by line and position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// A token that is not a page number.
    #[error("line {line}, reference {index}: `{token}` is not a page number (0..2^64, optionally followed by w)")]
    NotAPage {
        /// The line of the text, from 1.
        line: usize,
        /// The reference's position in the string, from 1.
        index: usize,
        /// The token.
        token: String,
    },
    /// A comma with no page number before it (`1,,2`, `,1`): a reference left out, which a
    /// run without it would silently count wrong.
    #[error("line {line}, reference {index} is empty: a comma with no page number before it")]
    Empty {
        /// The line of the text, from 1.
        line: usize,
        /// The position the missing reference would have had, from 1.
        index: usize,
    },
}

/// Parses a reference string: references separated by commas, spaces, tabs or line ends; each
/// a decimal page number, optionally followed by `w` or `W` for a write. A `#` starts a
/// comment to the end of its line. A comma at the end of a line is allowed (a list continued
/// on the next line), but not one with no reference before it.
///
/// # Errors
/// [`RefError::NotAPage`] for the first token that is not a page number, [`RefError::Empty`]
/// for a comma with nothing before it (`1,,2`).
pub fn parse_refs(text: &str) -> Result<Vec<Reference>, RefError> {
    let mut refs = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split(',').peekable();
        while let Some(field) = fields.next() {
            let mut tokens = field.split_whitespace().peekable();
            if tokens.peek().is_none() && fields.peek().is_some() {
                return Err(RefError::Empty { line: line_no + 1, index: refs.len() + 1 });
            }
            for token in tokens {
                let (digits, write) = match token.strip_suffix(['w', 'W']) {
                    Some(d) => (d, true),
                    None => (token, false),
                };
                let page = digits
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| digits.parse::<Page>().ok())
                    .flatten()
                    .ok_or_else(|| RefError::NotAPage {
                        line: line_no + 1,
                        index: refs.len() + 1,
                        token: shown(token),
                    })?;
                refs.push(Reference { page, write });
            }
        }
    }
    Ok(refs)
}

/// A token as an error message shows it: at most 40 characters, control characters escaped,
/// so that a two-megabyte token (or a terminal escape) is still one readable line.
fn shown(token: &str) -> String {
    let mut s = String::new();
    for c in token.chars().take(40) {
        if c.is_control() {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    if token.chars().count() > 40 {
        s.push_str("...");
    }
    s
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
        let err = parse_refs("1,2\n3,x4").unwrap_err();
        assert_eq!(err, RefError::NotAPage { line: 2, index: 4, token: "x4".into() });
        let token = |text| match parse_refs(text).unwrap_err() {
            RefError::NotAPage { index, token, .. } => (index, token),
            e => panic!("{e}"),
        };
        assert_eq!(token("-1"), (1, "-1".into()));
        assert_eq!(token("+1"), (1, "+1".into()));
        assert_eq!(token("w").1, "w");
        assert!(parse_refs("99999999999999999999999").is_err());
        // A huge token is cut, a control character escaped: the message stays one short line.
        let (_, token) = token(&"9".repeat(2_000_000));
        assert_eq!(token, format!("{}...", "9".repeat(40)));
        assert_eq!(parse_refs("1 \u{1b}[2J").unwrap_err().to_string().lines().count(), 1);
        assert!(parse_refs("1 \u{1b}[2J").unwrap_err().to_string().contains("`\\u{1b}[2J`"));
    }

    #[test]
    fn an_empty_reference_is_an_error_naming_its_position() {
        let empty = |line, index| Err(RefError::Empty { line, index });
        assert_eq!(parse_refs("1,,2"), empty(1, 2));
        assert_eq!(parse_refs("1, ,2"), empty(1, 2));
        assert_eq!(parse_refs(",1"), empty(1, 1));
        assert_eq!(parse_refs("1 2\n3,\t,4"), empty(2, 4));
        assert_eq!(
            parse_refs("1,,2").unwrap_err().to_string(),
            "line 1, reference 2 is empty: a comma with no page number before it"
        );
        // A comma ending a line continues the list; a comment after it is not a reference.
        assert_eq!(parse_refs("1,2,\n3, # three\n").unwrap(), [1, 2, 3].map(Reference::read));
        assert_eq!(parse_refs("1, 2 ,3").unwrap(), [1, 2, 3].map(Reference::read));
    }
}
