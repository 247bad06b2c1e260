//! Whether a script looks like text: a binary file given as a script would otherwise print
//! one error line for every few bytes of it.

/// Why the first block of a script (`block`: what the first read returned) is not text, or
/// `None` if it looks like text: more than half of its lines are not text (below).
///
/// A line is text when it is UTF-8 or, if it holds a NUL byte, when what comes before the NUL
/// is some UTF-8 with no control character but blanks: the ajou framework reads lines with
/// `fgets` and a NUL ends the command (`docs/ajou.md`, `../shared/spec/ajou-2021.md`), so a
/// script with a stray NUL is run as the framework runs it. A binary file (an executable,
/// `/dev/zero`) has control bytes, NUL bytes or invalid UTF-8 at the start of nearly every line.
///
/// ```
/// assert_eq!(cli::not_text(b"alloc 3 rw\nshow\n"), None);
/// assert_eq!(cli::not_text(b"\x7fELF\x02\x01\x01\0\0\0"), Some("a NUL byte at offset 7".to_string()));
/// assert_eq!(cli::not_text(b"alloc 1 rw\0\xffjunk\nread 1\n"), None);
/// assert!(cli::not_text(b"\xff\xfe\n\xc3(\nshow\n").is_some());
/// ```
pub fn not_text(block: &[u8]) -> Option<String> {
    // The last line may be cut by the end of the block (in the middle of a character too):
    // it is not judged unless it is the only one.
    let mut lines: Vec<&[u8]> = block.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    if lines.len() > 1 && block.last() != Some(&b'\n') {
        lines.pop();
    }
    let bad: Vec<&&[u8]> = lines.iter().filter(|l| !is_text_line(l)).collect();
    if bad.len() * 2 <= lines.len() {
        return None;
    }
    match bad.iter().any(|l| l.contains(&0)).then(|| memchr::memchr(0, block)).flatten() {
        Some(at) => Some(format!("a NUL byte at offset {at}")),
        None if lines.len() == 1 => Some("invalid UTF-8 in its only line".to_owned()),
        None => Some(format!("invalid UTF-8 in {} of its first {} lines", bad.len(), lines.len())),
    }
}

/// Whether a line (without its `\n`) reads as text; see [`not_text`].
fn is_text_line(line: &[u8]) -> bool {
    match memchr::memchr(0, line) {
        None => std::str::from_utf8(line).is_ok(),
        Some(nul) => std::str::from_utf8(&line[..nul]).is_ok_and(|read| {
            !read.trim().is_empty() && !read.chars().any(|c| c.is_control() && !c.is_ascii_whitespace() && c != '\x0b')
        }),
    }
}

/// An I/O error in a few plain words for a message that already names the file: no
/// `(os error N)`, no capital letter (`no such file`, `permission denied`).
pub fn io_why(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = text.chars();
            chars.next().map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
        }
    }
}

/// Reads all of `src` as UTF-8 text of at most `limit` bytes, in bounded memory: an endless
/// input (`/dev/zero`) is refused once it passes the limit instead of exhausting memory.
///
/// # Errors
/// The reason in plain words for a message that already names the input: the input is larger
/// than `limit` bytes, is not UTF-8, or could not be read ([`io_why`]).
pub fn read_text_capped(src: impl std::io::Read, limit: u64) -> Result<String, String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    src.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io_why(&e))?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod capped_tests {
    use super::read_text_capped;

    #[test]
    fn text_up_to_the_limit_is_read_and_more_is_refused() {
        assert_eq!(read_text_capped(&b"1,2,3"[..], 5), Ok("1,2,3".to_string()));
        assert_eq!(read_text_capped(&b"1,2,3,"[..], 5), Err("larger than 5 bytes".to_string()));
        assert_eq!(read_text_capped(&b"1\xff"[..], 5), Err("not UTF-8 text (at byte 1)".to_string()));
    }
}
