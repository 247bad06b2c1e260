//! Compressed input: gzip or zstd recognised by their magic bytes, decompressed by a `Read`
//! adapter in front of the same parser (flate2 for gzip, ruzstd, a pure-Rust decoder, for zstd).

use std::io::{self, Cursor, Read};

/// gzip's magic bytes (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// A zstd frame's magic number, 0xFD2FB528 little-endian (RFC 8878, section 3.1.1).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How a trace file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    Plain,
    /// gzip (one or more members).
    Gzip,
    /// zstd (one frame).
    Zstd,
}

impl Compression {
    /// `plain`, `gzip` or `zstd`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Compression::Plain => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Looks at the first bytes of `src` and returns the text it holds: `src` itself when plain,
/// or a decompressing reader. The bytes looked at are not lost.
///
/// # Errors
/// Reading `src` fails, or a zstd frame header is invalid.
pub fn decompress<'a, R: Read + 'a>(mut src: R) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match src.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let whole = Cursor::new(head[..n].to_vec()).chain(src);
    if head[..n].starts_with(&GZIP_MAGIC) {
        Ok((Compression::Gzip, Box::new(flate2::read::MultiGzDecoder::new(whole))))
    } else if head[..n] == ZSTD_MAGIC {
        let decoder = ruzstd::decoding::StreamingDecoder::new(whole)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
        Ok((Compression::Zstd, Box::new(decoder)))
    } else {
        Ok((Compression::Plain, Box::new(whole)))
    }
}

/// Copies `src` to `dst`, compressed as `compression` (gzip at the default level, zstd at
/// ruzstd's fastest, holding the text in memory); returns the bytes read.
///
/// # Errors
/// Reading `src` or writing `dst` fails.
pub fn compress<R: Read, W: io::Write>(compression: Compression, mut src: R, dst: W) -> io::Result<u64> {
    match compression {
        Compression::Plain => {
            let mut dst = dst;
            io::copy(&mut src, &mut dst)
        }
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(dst, flate2::Compression::default());
            let n = io::copy(&mut src, &mut e)?;
            e.finish()?;
            Ok(n)
        }
        Compression::Zstd => {
            // ruzstd's streaming encoder panics on an I/O error, so it is given a slice (which
            // cannot fail) and the result is written here: the text is held in memory whole.
            let mut text = Vec::new();
            src.read_to_end(&mut text)?;
            let packed = ruzstd::encoding::compress_to_vec(&text[..], ruzstd::encoding::CompressionLevel::Fastest);
            let mut dst = dst;
            dst.write_all(&packed)?;
            Ok(text.len() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: &[u8]) -> (Compression, Vec<u8>) {
        let (c, mut r) = decompress(bytes).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        (c, out)
    }

    #[test]
    fn plain_keeps_its_first_bytes() {
        assert_eq!(read_all(b"0041f7a0 R\n"), (Compression::Plain, b"0041f7a0 R\n".to_vec()));
        assert_eq!(read_all(b"ab"), (Compression::Plain, b"ab".to_vec()));
        assert_eq!(read_all(b""), (Compression::Plain, Vec::new()));
    }

    #[test]
    fn gzip_round_trip() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"1 w\n2\n").unwrap();
        let gz = e.finish().unwrap();
        assert_eq!(read_all(&gz), (Compression::Gzip, b"1 w\n2\n".to_vec()));
    }

    #[test]
    fn zstd_round_trip() {
        let z = ruzstd::encoding::compress_to_vec(&b"l 0x10\n"[..], ruzstd::encoding::CompressionLevel::Fastest);
        assert_eq!(read_all(&z), (Compression::Zstd, b"l 0x10\n".to_vec()));
    }

    #[test]
    fn compress_then_decompress() {
        for c in [Compression::Plain, Compression::Gzip, Compression::Zstd] {
            let mut packed = Vec::new();
            assert_eq!(compress(c, &b"I  00400000,4\n"[..], &mut packed).unwrap(), 14);
            assert_eq!(read_all(&packed), (c, b"I  00400000,4\n".to_vec()));
        }
    }

    #[test]
    fn bad_zstd_is_an_error_not_a_panic() {
        assert!(
            decompress(&[0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff][..]).is_err() || {
                let (_, mut r) = decompress(&[0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff][..]).unwrap();
                r.read_to_end(&mut Vec::new()).is_err()
            }
        );
    }
}
