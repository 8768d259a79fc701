//! The QR code that takes a reader to the public check page, drawn as vector graphics.

use std::fmt::Write;

use qrcodegen::{Mask, QrCode, QrCodeEcc, QrSegment, Version};

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
    let code = encode(text, QrCodeEcc::Medium)?;
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
            // Written in place: a String per run cost about 1 % of rendering a page.
            let _ = write!(
                path,
                "M{} {}h{}v1h-{}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start,
                x - start
            );
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

/// `text` as `QrCode::encode_text` encodes it, the same symbol, with the mask chosen here.
///
/// qrcodegen scores each mask module by module, with a branch on every module's colour that the
/// processor cannot predict: 0.53 ms for the check URL's symbol, about 8 % of a one-page
/// document's rendering. The same score computed on runs found with bit operations gives the
/// same choice (the tests compare it with qrcodegen's own on hundreds of texts) in 0.35 ms,
/// most of it qrcodegen encoding the symbol once per mask.
fn encode(text: &str, level: QrCodeEcc) -> Result<QrCode, qrcodegen::DataTooLong> {
    let segments = QrSegment::make_segments(text);
    let encode_with = |mask| {
        QrCode::encode_segments_advanced(
            &segments,
            level,
            Version::MIN,
            Version::MAX,
            Some(Mask::new(mask)),
            true,
        )
    };
    let mut best = encode_with(0)?;
    let mut lowest = mask_penalty(&best);
    for mask in 1..8 {
        let code = encode_with(mask)?;
        let penalty = mask_penalty(&code);
        // The first mask with the lowest score wins, as in qrcodegen.
        if penalty < lowest {
            (best, lowest) = (code, penalty);
        }
    }
    Ok(best)
}

/// Modules of one row or column, a bit each (bit `i` of word `i / 64`); a symbol has at most
/// 177 modules a side.
type Line = [u64; 3];

// ISO/IEC 18004's penalty weights, as qrcodegen uses them.
const PENALTY_RUN: u32 = 3;
const PENALTY_BLOCK: u32 = 3;
const PENALTY_FINDER: u32 = 40;
const PENALTY_BALANCE: u32 = 10;

/// The line shifted by one module: bit `i` becomes module `i + 1`.
fn next_modules(line: &Line) -> Line {
    [
        line[0] >> 1 | line[1] << 63,
        line[1] >> 1 | line[2] << 63,
        line[2] >> 1,
    ]
}

/// Bits `0..n` set.
fn first_bits(n: usize) -> Line {
    std::array::from_fn(|word| match n.saturating_sub(64 * word) {
        0 => 0,
        left if left >= 64 => u64::MAX,
        left => (1 << left) - 1,
    })
}

/// qrcodegen's penalty score of a finished symbol (its `get_penalty_score`): runs of five or
/// more, 2×2 blocks, finder-like patterns counted on runs with a light border of the symbol's
/// size either side, and the balance of dark and light.
fn mask_penalty(code: &QrCode) -> u32 {
    let size = usize::try_from(code.size()).unwrap_or(0);
    if size == 0 {
        return 0;
    }
    let mut rows = vec![[0u64; 3]; size];
    let mut columns = vec![[0u64; 3]; size];
    for (y, row) in rows.iter_mut().enumerate() {
        for (x, column) in columns.iter_mut().enumerate() {
            // Coordinates below 177 fit an i32.
            let dark = u64::from(code.get_module(x as i32, y as i32));
            row[x / 64] |= dark << (x % 64);
            column[y / 64] |= dark << (y % 64);
        }
    }
    // Pairs (i, i + 1) inside the line.
    let pairs = first_bits(size - 1);
    let mut penalty: u32 = rows
        .iter()
        .chain(&columns)
        .map(|line| line_penalty(line, size, &pairs))
        .sum();
    for (upper, lower) in rows.iter().zip(&rows[1..]) {
        let (upper_next, lower_next) = (next_modules(upper), next_modules(lower));
        for word in 0..3 {
            let same = !(upper[word] ^ upper_next[word])
                & !(upper[word] ^ lower[word])
                & !(lower[word] ^ lower_next[word])
                & pairs[word];
            penalty += same.count_ones() * PENALTY_BLOCK;
        }
    }
    let dark: u64 = rows
        .iter()
        .flatten()
        .map(|word| u64::from(word.count_ones()))
        .sum();
    let total = (size * size) as u64;
    // The smallest k with (45 − 5k) % ≤ dark share ≤ (55 + 5k) % (the share is never exactly
    // half: a symbol's side is odd).
    let k = (dark * 20)
        .abs_diff(total * 10)
        .div_ceil(total)
        .saturating_sub(1);
    penalty + u32::try_from(k).map_or(u32::MAX, |k| k.saturating_mul(PENALTY_BALANCE))
}

/// Penalties of one line: runs of five or more of one colour, and finder-like patterns
/// (1:1:3:1:1 dark-light with four light modules on one side, the border counting as light).
fn line_penalty(line: &Line, size: usize, pairs: &Line) -> u32 {
    // Run lengths, alternating light and dark and starting and ending light: the borders
    // either side join the line's first and last runs when those are light, else stand alone.
    // Six zeros before them stand for "no run yet" in the pattern test.
    const HISTORY: usize = 6;
    // At most one run per module, and the two borders.
    let mut runs = [0u32; HISTORY + 177 + 2];
    let border = size as u32;
    let mut end = HISTORY;
    runs[end] = border;
    if line[0] & 1 == 1 {
        end += 1;
    }
    let mut penalty = 0;
    let mut start = 0;
    let mut add_run = |length: u32| {
        // Branch-free: which runs are long is what the processor cannot predict.
        penalty += u32::from(length >= 5) * (PENALTY_RUN + length.saturating_sub(5));
        runs[end] += length;
        end += 1;
    };
    let next = next_modules(line);
    for word in 0..3 {
        let mut changes = (line[word] ^ next[word]) & pairs[word];
        while changes != 0 {
            let stop = 64 * word + changes.trailing_zeros() as usize + 1;
            changes &= changes - 1;
            add_run((stop - start) as u32);
            start = stop;
        }
    }
    add_run((size - start) as u32);
    if line[(size - 1) / 64] >> ((size - 1) % 64) & 1 == 1 {
        runs[end] = border;
        end += 1;
    } else {
        runs[end - 1] += border;
    }
    // At each light run, the six runs before it are tested for a dark 1:1:3:1:1 pattern whose
    // module width is the dark run just before it, with four widths of light on one side.
    for light in (HISTORY..end).step_by(2) {
        let run = |back: usize| runs[light - back];
        let n = run(1);
        let core = (n > 0) & (run(2) == n) & (run(3) == 3 * n) & (run(4) == n) & (run(5) == n);
        let patterns = u32::from(core & (run(0) >= 4 * n) & (run(6) >= n))
            + u32::from(core & (run(6) >= 4 * n) & (run(0) >= n));
        penalty += patterns * PENALTY_FINDER;
    }
    penalty
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts of every mode and of lengths up to the largest symbols: numeric, alphanumeric,
    /// URLs and Cyrillic (UTF-8 bytes).
    fn sample_texts() -> Vec<String> {
        let alphabets: [&[char]; 4] = [
            &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
            &[
                'A', 'B', 'K', 'Z', '0', '7', ' ', '$', '%', '*', '+', '-', '.', '/', ':',
            ],
            &[
                'h', 't', 'p', 's', ':', '/', '.', 'k', 'z', '?', '=', '0', 'a', 'f', '-',
            ],
            &['Қ', 'а', 'з', 'ө', 'ң', ' ', 'Ү', 'і', '1', 'ғ'],
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..400)
            .map(|i| {
                let alphabet = alphabets[i % alphabets.len()];
                // Mostly short, some up to a version-40 symbol's capacity.
                let length = if i % 10 == 0 {
                    random() % 2400
                } else {
                    random() % 160
                } + 1;
                (0..length)
                    .map(|_| alphabet[(random() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_symbol_is_qrcodegens_own() {
        let levels = [
            QrCodeEcc::Low,
            QrCodeEcc::Medium,
            QrCodeEcc::Quartile,
            QrCodeEcc::High,
        ];
        let mut versions = std::collections::BTreeSet::new();
        for (i, text) in sample_texts().iter().enumerate() {
            let level = levels[i % levels.len()];
            let Ok(expected) = QrCode::encode_text(text, level) else {
                assert!(encode(text, level).is_err(), "{text:?} fits here only");
                continue;
            };
            let ours = encode(text, level).unwrap();
            assert_eq!(ours.mask(), expected.mask(), "{text:?} at {level:?}");
            assert_eq!(ours.version(), expected.version());
            let size = expected.size();
            for y in 0..size {
                for x in 0..size {
                    assert_eq!(ours.get_module(x, y), expected.get_module(x, y));
                }
            }
            versions.insert(expected.version().value());
        }
        // Sizes that use one, two and three words of a line.
        assert!(versions.iter().any(|&v| v <= 11), "{versions:?}");
        assert!(
            versions.iter().any(|&v| (12..=27).contains(&v)),
            "{versions:?}"
        );
        assert!(versions.iter().any(|&v| v >= 28), "{versions:?}");
    }

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
