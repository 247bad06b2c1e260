//! Memory-trace readers: every format yields the same [`Record`] (address, kind, size), read in
//! place from a large buffer, from plain, gzip or zstd input detected by its magic bytes.
//!
//! ```
//! use trace::{FormatChoice, ReadOptions, TraceReader, Kind};
//! let text = b"0041f7a0 R\n13f5e2c0 W\n";
//! let mut r = TraceReader::new(&text[..], FormatChoice::Auto, ReadOptions::default()).unwrap();
//! assert_eq!(r.format(), trace::Format::Rw);
//! let first = r.next_record().unwrap().unwrap();
//! assert_eq!((first.addr, first.kind), (0x0041_f7a0, Kind::Read));
//! ```
#![forbid(unsafe_code)]

mod decompress;
mod detect;
pub mod din;
mod error;
mod hex;
pub mod lackey;
pub mod ls;
pub mod pages;
pub mod pin;
mod reader;
mod record;
pub mod rw;

pub use decompress::{Compression, compress, decompress};
pub use detect::{detect_format, near_miss};
pub use error::{Malformed, TraceError};
pub use reader::{FormatChoice, ReadOptions, Stats, TraceReader};
pub use record::{Format, Kind, Parsed, Record};
