//! A PDF page as a PNG image, for the desk's preview of an archived document: rendered by hayro
//! (the PDF renderer Typst itself builds on), from the archived bytes, never from the data.

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The file does not read as a PDF.
    #[error("the PDF cannot be read")]
    Unreadable,
    /// It has no such page.
    #[error("the PDF has no page {0}")]
    NoPage(usize),
    /// The image could not be encoded.
    #[error("the image cannot be encoded: {0}")]
    Encode(String),
}

/// The largest preview side, pixels: enough to read a form on a screen, bounded for memory.
const MAX_SIDE: f32 = 2000.0;

/// Page `index` (from 0) of `pdf` as a PNG, `width` pixels wide (at most 2000 on any side).
pub fn page_png(pdf: &[u8], index: usize, width: u16) -> Result<Vec<u8>, PreviewError> {
    let pdf = Pdf::new(pdf.to_vec()).map_err(|_| PreviewError::Unreadable)?;
    let pages = pdf.pages();
    let page = pages.get(index).ok_or(PreviewError::NoPage(index + 1))?;
    let (page_width, page_height) = page.render_dimensions();
    if page_width <= 0.0 || page_height <= 0.0 {
        return Err(PreviewError::Unreadable);
    }
    let scale = (f32::from(width) / page_width)
        .min(MAX_SIDE / page_width)
        .min(MAX_SIDE / page_height);
    let pixmap = hayro::render(
        page,
        &hayro::RenderCache::new(),
        &InterpreterSettings::default(),
        &hayro::RenderSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: hayro::vello_cpu::color::palette::css::WHITE,
            ..Default::default()
        },
    );
    pixmap
        .into_png()
        .map_err(|e| PreviewError::Encode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            page_png(b"not a pdf", 0, 600),
            Err(PreviewError::Unreadable)
        ));
    }
}
