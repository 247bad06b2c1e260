//! Whether a script looks like text: a binary file given as a script would otherwise print
//! one error line for every few bytes of it.

/// Why the first block of a script (`block`: what the first read returned) is not text, or
/// `None` if it looks like text: a NUL byte anywhere in it, or invalid UTF-8 in more than half
/// of its lines.
///
/// ```
/// assert_eq!(cli::not_text(b"alloc 3 rw\nshow\n"), None);
/// assert_eq!(cli::not_text(b"alloc\0"), Some("a NUL byte at offset 5".to_string()));
/// assert!(cli::not_text(b"\xff\xfe\n\xc3(\nshow\n").is_some());
/// ```
pub fn not_text(block: &[u8]) -> Option<String> {
    if let Some(at) = memchr::memchr(0, block) {
        return Some(format!("a NUL byte at offset {at}"));
    }
    // The last line may be cut by the end of the block (in the middle of a character too):
    // it is not judged unless it is the only one.
    let mut lines: Vec<&[u8]> = block.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    if lines.len() > 1 && block.last() != Some(&b'\n') {
        lines.pop();
    }
    let invalid = lines.iter().filter(|l| std::str::from_utf8(l).is_err()).count();
    (invalid * 2 > lines.len()).then(|| format!("invalid UTF-8 in {invalid} of its first {} lines", lines.len()))
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
