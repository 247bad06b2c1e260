//! Output lines with their invisible characters made visible: the differences that diff shows
//! as "the same line" (a trailing space of `%-3u`, a tab for spaces, a missing newline).

/// `bytes` as one line of text in which nothing is invisible: a space is `·`, a tab `→`, a
/// carriage return `\r`, the newline `⏎`, other control bytes and bytes that are not UTF-8
/// `\xNN`. A line without its newline simply ends.
///
/// ```
/// assert_eq!(grade::visible::show(b"  2 --> 4  \n"), "··2·-->·4··⏎");
/// assert_eq!(grade::visible::show(b"a\tb\r\x01\xff"), "a→b\\r\\x01\\xff");
/// ```
pub fn show(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                ' ' => s.push('·'),
                '\t' => s.push('→'),
                '\n' => s.push('⏎'),
                '\r' => s.push_str("\\r"),
                c if c.is_control() => {
                    let mut b = [0; 4];
                    for byte in c.encode_utf8(&mut b).bytes() {
                        s.push_str(&format!("\\x{byte:02x}"));
                    }
                }
                c => s.push(c),
            }
        }
        for byte in chunk.invalid() {
            s.push_str(&format!("\\x{byte:02x}"));
        }
    }
    s
}

/// A script line as written: without its newline, spaces kept, control bytes escaped.
pub fn script_line(bytes: &[u8]) -> String {
    let trimmed = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    show(trimmed).replace('·', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_space_and_a_missing_newline_differ_visibly() {
        assert_ne!(show(b"  2 --> 4  \n"), show(b"  2 --> 4\n"));
        assert_ne!(show(b"free 3\n"), show(b"free 3"));
        assert_eq!(show(b"free 3"), "free·3");
    }

    #[test]
    fn script_lines_keep_spaces() {
        assert_eq!(script_line(b"alloc 3 rw\n"), "alloc 3 rw");
        assert_eq!(script_line(b"w\t2\r\n"), "w→2\\r");
    }
}
