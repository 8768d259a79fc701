//! The QR code that takes a reader to the public check page, drawn as vector graphics.

use qrcode::{EcLevel, QrCode};

/// The check URL: `{base_url}/v1/check/{number}?sha256={hex}`. The hash of the canonical input
/// makes the link unguessable, so registry numbers cannot be enumerated through it.
pub fn check_url(base_url: &str, number: &str, sha256_hex: &str) -> String {
    format!(
        "{}/v1/check/{number}?sha256={sha256_hex}",
        base_url.trim_end_matches('/')
    )
}

/// The QR code of `text` as an SVG with one unit per module and a four-module quiet zone.
pub fn svg(text: &str) -> Result<String, qrcode::types::QrError> {
    // Level M survives a fold or a stamp over ~15 % of the symbol.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_shape() {
        assert_eq!(
            check_url("https://eucdoc.example.kz/", "KZ-EUC-2026-000001", "ab12"),
            "https://eucdoc.example.kz/v1/check/KZ-EUC-2026-000001?sha256=ab12"
        );
    }

    #[test]
    fn svg_is_vector() {
        let svg = svg("https://eucdoc.example.kz/v1/check/X?sha256=00").unwrap();
        assert!(svg.contains("<path"));
        assert!(!svg.contains("<image"));
    }
}
