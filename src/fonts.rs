//! The bundled font family (Liberation Serif 2, SIL OFL 1.1, from Debian's `fonts-liberation2`).
//!
//! Fonts are compiled into the binary; no system font is ever read, so a document renders the
//! same on every machine.

use std::sync::LazyLock;

use typst::foundations::Bytes;
use typst::text::Font;

/// The raw font files: regular, bold, italic, bold italic.
const FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/LiberationSerif-Regular.ttf"),
    include_bytes!("../fonts/LiberationSerif-Bold.ttf"),
    include_bytes!("../fonts/LiberationSerif-Italic.ttf"),
    include_bytes!("../fonts/LiberationSerif-BoldItalic.ttf"),
];

/// The family name templates select.
pub const FAMILY: &str = "Liberation Serif";

static FONTS: LazyLock<Vec<Font>> = LazyLock::new(|| {
    FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect()
});

/// The parsed bundled fonts (parsed once per process).
pub fn bundled() -> &'static [Font] {
    &FONTS
}

/// Whether every bundled face has a glyph for `c`.
///
/// Typst silently renders a character the font lacks as a blank, so input is checked against
/// this before rendering. A value may be set in any face (bold labels, italic notes), hence all
/// faces must have it. Line breaks are layout, not glyphs.
pub fn can_print(c: char) -> bool {
    c == '\n' || PRINTABLE.contains(c as u32)
}

/// The characters every face has, as sorted, disjoint ranges (127 of them). Typst's
/// `Coverage::contains` walks its runs from the start, four faces per character; validating
/// a certificate asked it about every character and took about 1 % of issuing's CPU.
static PRINTABLE: LazyLock<Ranges> = LazyLock::new(|| {
    let mut faces = FONTS.iter().map(|font| &font.info().coverage);
    let Some(first) = faces.next() else {
        return Ranges(Vec::new());
    };
    let rest: Vec<_> = faces.collect();
    Ranges::from_sorted(
        first
            .iter()
            .filter(|&c| rest.iter().all(|coverage| coverage.contains(c))),
    )
});

/// A set of code points as sorted, disjoint, inclusive ranges.
struct Ranges(Vec<(u32, u32)>);

impl Ranges {
    fn from_sorted(codepoints: impl Iterator<Item = u32>) -> Self {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for c in codepoints {
            match ranges.last_mut() {
                Some((_, end)) if end.checked_add(1) == Some(c) => *end = c,
                _ => ranges.push((c, c)),
            }
        }
        Ranges(ranges)
    }

    fn contains(&self, c: u32) -> bool {
        // The first range that ends at or after `c` holds it, if it starts at or before it.
        let at = self.0.partition_point(|&(_, end)| end < c);
        self.0.get(at).is_some_and(|&(start, _)| start <= c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_four_faces_load() {
        assert_eq!(bundled().len(), 4);
        assert!(bundled().iter().all(|f| f.info().family == FAMILY));
    }

    #[test]
    fn printable_is_every_faces_coverage() {
        // The table agrees with asking each face, over the whole Basic Multilingual Plane and
        // a block above it.
        let by_face = |c: u32| FONTS.iter().all(|font| font.info().coverage.contains(c));
        let mut printable = 0;
        for c in (0..0x1_0000).chain(0x1_F000..0x1_F100) {
            assert_eq!(PRINTABLE.contains(c), by_face(c), "U+{c:04X}");
            printable += u32::from(by_face(c));
        }
        // Liberation Serif has Latin, Cyrillic and Greek: hundreds of characters, not a few.
        assert!(printable > 1000, "{printable}");
        assert!(!PRINTABLE.contains(u32::MAX));
    }

    #[test]
    fn covers_kazakh_russian_and_typography() {
        for c in "ӘәҒғҚқҢңӨөҰұҮүҺһІіЁёЖжЩщЪъ«»№–—“”ÄÖÜäöüß€".chars()
        {
            assert!(can_print(c), "{c} should be printable");
        }
        for c in ['\u{E000}', '漢', '\u{1F600}', 'ᚠ'] {
            assert!(!can_print(c), "{c} should not be printable");
        }
    }
}
