//! Property tests: random records written in each format read back the same (as far as the
//! format can say), and no input bytes make a reader panic or loop.

use proptest::prelude::*;
use trace::{Format, FormatChoice, Kind, ReadOptions, Record, TraceReader, decompress};

/// What `format` keeps of `r`: the kinds it can say, and the size only where it has one.
fn as_kept(format: Format, r: Record) -> Record {
    let kind = match (format, r.kind) {
        (Format::Lackey, k) => k,
        (Format::Ls, Kind::Fetch) => Kind::Read,
        (Format::Ls, k) => k,
        (Format::Din, Kind::Modify) => Kind::Write,
        (Format::Din, k) => k,
        (_, k) if k.writes() => Kind::Write,
        _ => Kind::Read,
    };
    let size = if format == Format::Lackey { r.size } else { 1 };
    Record { addr: r.addr, kind, size }
}

fn record() -> impl Strategy<Value = Record> {
    (
        any::<u64>(),
        prop_oneof![Just(Kind::Read), Just(Kind::Write), Just(Kind::Fetch), Just(Kind::Modify)],
        1..=u32::MAX,
    )
        .prop_map(|(addr, kind, size)| Record { addr, kind, size })
}

fn format() -> impl Strategy<Value = Format> {
    proptest::sample::select(Format::ALL.to_vec())
}

fn read_all(bytes: &[u8], choice: FormatChoice) -> Result<Vec<Record>, trace::TraceError> {
    let (_, src) = decompress(bytes)?;
    TraceReader::new(src, choice, ReadOptions::default())?.collect()
}

proptest! {
    #[test]
    fn round_trip(format in format(), records in proptest::collection::vec(record(), 0..200)) {
        let mut text = Vec::new();
        for r in &records {
            format.write(r, &mut text);
        }
        let back = read_all(&text, FormatChoice::Fixed(format)).unwrap();
        let want: Vec<Record> = records.iter().map(|&r| as_kept(format, r)).collect();
        prop_assert_eq!(back, want);
    }

    #[test]
    fn detection_finds_the_writer(format in format(), records in proptest::collection::vec(record(), 1..50)) {
        let mut text = Vec::new();
        for r in &records {
            format.write(r, &mut text);
        }
        let got = TraceReader::new(&text[..], FormatChoice::Auto, ReadOptions::default()).map(|r| r.format());
        // `pages` lines with a write read as `rw` when every line has a kind, and `Nw` lines with
        // no space are pages only; other formats must be found exactly.
        if format == Format::Pages {
            prop_assert!(matches!(got, Ok(Format::Pages | Format::Rw)));
            if let Ok(f) = got {
                prop_assert_eq!(read_all(&text, FormatChoice::Fixed(f)).unwrap().len(), records.len());
            }
        } else {
            prop_assert_eq!(got.unwrap(), format);
        }
    }

    #[test]
    fn no_panic_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400), skip in any::<bool>()) {
        for choice in std::iter::once(FormatChoice::Auto).chain(Format::ALL.map(FormatChoice::Fixed)) {
            if let Ok((_, src)) = decompress(&bytes[..]) {
                if let Ok(r) = TraceReader::new(src, choice, ReadOptions { skip_bad: skip }) {
                    for item in r.take(1000) {
                        let _ = item;
                    }
                }
            }
        }
    }

    #[test]
    fn no_panic_on_text_like_lines(lines in proptest::collection::vec("[ ILSMlsmRWrw0-9a-fx:,#=]{0,20}", 0..40)) {
        let text = lines.join("\n");
        for choice in std::iter::once(FormatChoice::Auto).chain(Format::ALL.map(FormatChoice::Fixed)) {
            if let Ok(r) = TraceReader::new(text.as_bytes(), choice, ReadOptions::default()) {
                for item in r.take(1000) {
                    let _ = item;
                }
            }
        }
    }
}
