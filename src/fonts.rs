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
    c == '\n'
        || FONTS
            .iter()
            .all(|font| font.info().coverage.contains(c as u32))
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
