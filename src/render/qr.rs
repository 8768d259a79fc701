//! The QR code that takes a reader to the public check page, drawn as vector graphics.

use qrcodegen::{QrCode, QrCodeEcc};

/// The check URL: `{base_url}/v1/check/{number}?sha256={hex}`. The hash of the canonical input
/// makes the link unguessable, so registry numbers cannot be enumerated through it.
pub fn check_url(base_url: &str, number: &str, sha256_hex: &str) -> String {
    format!(
        "{}/v1/check/{number}?sha256={sha256_hex}",
        base_url.trim_end_matches('/')
    )
}

/// The four-module quiet zone that ISO/IEC 18004 requires around the symbol.
const QUIET_ZONE: i32 = 4;

/// The QR code of `text` as an SVG, one unit per module, quiet zone included. Each run of dark
/// modules in a row is one rectangle of the path, which keeps the SVG small and quick to parse.
pub fn svg(text: &str) -> Result<String, qrcodegen::DataTooLong> {
    // Level M survives a fold or a stamp over ~15 % of the symbol.
    let code = QrCode::encode_text(text, QrCodeEcc::Medium)?;
    let size = code.size();
    let full = size + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(16 * (size * size / 4) as usize);
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            path.push_str(&format!(
                "M{} {}h{}v1h-{}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start,
                x - start
            ));
        }
    }
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{full}" height="{full}" "#,
            r#"viewBox="0 0 {full} {full}" shape-rendering="crispEdges">"#,
            r##"<rect width="{full}" height="{full}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
        ),
        full = full,
        path = path
    ))
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
    fn svg_is_vector_with_merged_runs() {
        let svg = svg("https://eucdoc.example.kz/v1/check/X?sha256=00").unwrap();
        assert!(svg.contains("<path"));
        assert!(!svg.contains("<image"));
        // The finder pattern's top edge is one run of seven modules at the quiet-zone offset.
        assert!(svg.contains("M4 4h7v1h-7z"), "{svg}");
    }

    #[test]
    fn too_long_is_an_error() {
        assert!(svg(&"x".repeat(5000)).is_err());
    }
}
