//! The QR code that takes a reader to the public check page, drawn as vector graphics.

use std::sync::{Arc, Mutex};

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
const QUIET_ZONE: usize = 4;

/// The QR code of `text` as an SVG, one unit per module, quiet zone included. The dark modules
/// are one path of their outlines (see [`outline`]), which keeps the SVG small and quick to
/// parse and draw.
pub fn svg(text: &str) -> Result<String, qrcodegen::DataTooLong> {
    // Level M survives a fold or a stamp over ~15 % of the symbol.
    let modules = encode(text, QrCodeEcc::Medium)?;
    let full = modules.size + 2 * QUIET_ZONE;
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{full}" height="{full}" "#,
            r#"viewBox="0 0 {full} {full}" shape-rendering="crispEdges">"#,
            r##"<rect width="{full}" height="{full}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
        ),
        full = full,
        path = outline(&modules)
    ))
}

/// A symbol's modules, a bit each, by rows and by columns (the penalty score reads both).
#[derive(Clone, Debug, PartialEq)]
struct Modules {
    size: usize,
    rows: Vec<Line>,
    columns: Vec<Line>,
}

impl Modules {
    fn light(size: usize) -> Self {
        Self {
            size,
            rows: vec![[0; 3]; size],
            columns: vec![[0; 3]; size],
        }
    }

    fn of(code: &QrCode) -> Self {
        let size = usize::try_from(code.size()).unwrap_or(0);
        let mut modules = Self::light(size);
        for (y, row) in modules.rows.iter_mut().enumerate() {
            for (x, column) in modules.columns.iter_mut().enumerate() {
                // Coordinates below 177 fit an i32.
                let dark = u64::from(code.get_module(x as i32, y as i32));
                row[x / 64] |= dark << (x % 64);
                column[y / 64] |= dark << (y % 64);
            }
        }
        modules
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        is_dark_at(&self.rows[y], x)
    }

    /// `self` with the modules of `changes` flipped, written into `into`.
    fn flipped_into(&self, changes: &Modules, into: &mut Modules) {
        let flip = |a: &[Line], b: &[Line], out: &mut [Line]| {
            for ((a, b), out) in a.iter().zip(b).zip(out) {
                *out = std::array::from_fn(|word| a[word] ^ b[word]);
            }
        };
        into.size = self.size;
        flip(&self.rows, &changes.rows, &mut into.rows);
        flip(&self.columns, &changes.columns, &mut into.columns);
    }
}

/// For one version and level: the modules that differ between a symbol under mask 0 and the
/// same symbol under mask `i` (entry `i - 1`, for masks 1 to 7).
struct MaskChanges {
    version: Version,
    level: QrCodeEcc,
    changes: Vec<Modules>,
}

impl MaskChanges {
    fn is_for(&self, version: Version, level: QrCodeEcc) -> bool {
        self.version == version && self.level == level
    }
}

/// Learnt once per version and level: at most 40 × 4 entries, of 15 KB for the check URL's
/// symbol (45 modules a side) and 59 KB for the largest.
static MASK_CHANGES: Mutex<Vec<Arc<MaskChanges>>> = Mutex::new(Vec::new());

/// The modules of `text` as `QrCode::encode_text` encodes it, the same symbol, with the mask
/// chosen here.
///
/// qrcodegen chooses the mask by encoding the symbol under each of the eight and scoring each
/// module by module: 0.53 ms for the check URL's symbol, about 8 % of a one-page document's
/// rendering. Here the symbol is encoded once, under mask 0. A mask flips the same modules
/// whatever the data (the data area's, by its pattern) and rewrites the format bits, which
/// depend only on the level and the mask; so the modules that change from mask 0 to mask `i`
/// depend only on the version and the level, and are learnt from the first symbol of each
/// (qrcodegen encoding it under all eight). Each mask's symbol is then mask 0's with those
/// modules flipped, and its score is computed on runs found with bit operations. The choice and
/// the symbol are qrcodegen's own: the tests compare them on hundreds of texts.
fn encode(text: &str, level: QrCodeEcc) -> Result<Modules, qrcodegen::DataTooLong> {
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
    let under_mask_0 = encode_with(0)?;
    let version = under_mask_0.version();
    let final_level = under_mask_0.error_correction_level();
    let base = Modules::of(&under_mask_0);
    let known = lock_mask_changes()
        .iter()
        .find(|known| known.is_for(version, final_level))
        .cloned();
    let mask_changes = match known {
        Some(known) => known,
        None => {
            let mut changes = Vec::with_capacity(7);
            for mask in 1..8 {
                let mut change = Modules::light(base.size);
                Modules::of(&encode_with(mask)?).flipped_into(&base, &mut change);
                changes.push(change);
            }
            let learnt = Arc::new(MaskChanges {
                version,
                level: final_level,
                changes,
            });
            let mut known = lock_mask_changes();
            // Another thread may have learnt the same meanwhile: one entry per key.
            if !known.iter().any(|entry| entry.is_for(version, final_level)) {
                known.push(Arc::clone(&learnt));
            }
            learnt
        }
    };
    let mut best = base.clone();
    let mut lowest = mask_penalty(&best);
    let mut candidate = Modules::light(base.size);
    for changes in &mask_changes.changes {
        base.flipped_into(changes, &mut candidate);
        let penalty = mask_penalty(&candidate);
        // The first mask with the lowest score wins, as in qrcodegen.
        if penalty < lowest {
            std::mem::swap(&mut best, &mut candidate);
            lowest = penalty;
        }
    }
    Ok(best)
}

fn lock_mask_changes() -> std::sync::MutexGuard<'static, Vec<Arc<MaskChanges>>> {
    // The list is only ever pushed to whole, so a panic elsewhere cannot leave it half-written.
    crate::lock_unpoisoned(&MASK_CHANGES)
}

/// The outlines of the dark modules as SVG path data, quiet zone included: closed rectilinear
/// loops along every boundary (of holes too), a command per corner. Each dark module's sides
/// that face a light module become edges running clockwise around it, so the loops wind
/// clockwise around dark areas and anticlockwise around holes, and the default (nonzero) fill
/// covers exactly the dark modules. A path of rectangles, one per run of a row, took 2,495
/// commands for a check URL's symbol against 1,533 here, and Typst's parsing and krilla's
/// drawing of them cost more than encoding the symbol.
fn outline(modules: &Modules) -> String {
    const RIGHT: u8 = 1;
    const DOWN: u8 = 2;
    const LEFT: u8 = 4;
    const UP: u8 = 8;
    let size = modules.size;
    // Corners of the modules, (size + 1)², with the directions of the edges leaving each.
    let side = size + 1;
    let mut leaving = vec![0u8; side * side];
    let dark = |x: usize, y: usize| x < size && y < size && modules.is_dark(x, y);
    for y in 0..size {
        for x in 0..size {
            if !modules.is_dark(x, y) {
                continue;
            }
            if y == 0 || !dark(x, y - 1) {
                leaving[y * side + x] |= RIGHT;
            }
            if !dark(x + 1, y) {
                leaving[y * side + x + 1] |= DOWN;
            }
            if !dark(x, y + 1) {
                leaving[(y + 1) * side + x + 1] |= LEFT;
            }
            if x == 0 || !dark(x - 1, y) {
                leaving[(y + 1) * side + x] |= UP;
            }
        }
    }
    let mut path = String::with_capacity(8 * size * size / 2);
    // Numbers written by hand: `write!` was a fifth of the QR code's cost.
    let mut digits = itoa::Buffer::new();
    let mut push = |path: &mut String, command: &str, number: usize| {
        path.push_str(command);
        path.push_str(digits.format(number));
    };
    for start in 0..leaving.len() {
        while leaving[start] != 0 {
            // As many edges arrive at every corner as leave it, so a walk from here can only
            // end back here.
            push(&mut path, "M", start % side + QUIET_ZONE);
            push(&mut path, " ", start / side + QUIET_ZONE);
            let mut corner = start;
            let mut heading = any_direction(leaving[start]);
            let mut length = 0usize;
            loop {
                leaving[corner] &= !heading;
                corner = match heading {
                    RIGHT => corner + 1,
                    DOWN => corner + side,
                    LEFT => corner - 1,
                    _ => corner - side,
                };
                length += 1;
                if corner == start {
                    // The last edge is the close.
                    path.push('z');
                    break;
                }
                // Straight on where the boundary goes on; at a corner where two dark modules
                // touch diagonally either turn keeps the loops closed.
                let next = if leaving[corner] & heading != 0 {
                    heading
                } else {
                    any_direction(leaving[corner])
                };
                if next != heading {
                    let command = match heading {
                        RIGHT => "h",
                        DOWN => "v",
                        LEFT => "h-",
                        _ => "v-",
                    };
                    push(&mut path, command, length);
                    (heading, length) = (next, 0);
                }
            }
        }
    }
    path
}

/// One of the directions set in `directions` (its lowest bit).
fn any_direction(directions: u8) -> u8 {
    directions & directions.wrapping_neg()
}

/// Modules of one row or column, a bit each (bit `i` of word `i / 64`); a symbol has at most
/// 177 modules a side.
type Line = [u64; 3];

/// Module `i` of `line` is dark.
fn is_dark_at(line: &Line, i: usize) -> bool {
    line[i / 64] >> (i % 64) & 1 == 1
}

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
fn mask_penalty(modules: &Modules) -> u32 {
    let Modules {
        size,
        rows,
        columns,
    } = modules;
    let size = *size;
    if size == 0 {
        return 0;
    }
    // Pairs (i, i + 1) inside the line.
    let pairs = first_bits(size - 1);
    let mut penalty: u32 = rows
        .iter()
        .chain(columns)
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
    if is_dark_at(line, 0) {
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
    if is_dark_at(line, size - 1) {
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
            // The same modules: the same size (version), and the same format bits (level and
            // mask).
            assert_eq!(ours, Modules::of(&expected), "{text:?} at {level:?}");
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

    /// The modules inside the loops of `path` (as [`outline`] writes it), by their winding
    /// numbers: what a nonzero fill paints.
    fn painted(path: &str, size: usize) -> Vec<Vec<bool>> {
        // Vertical edges as (x, top, bottom, +1 downwards or −1 upwards).
        let mut edges = Vec::new();
        let (mut start, mut at) = ((0i64, 0i64), (0i64, 0i64));
        let mut rest = path;
        while let Some(command) = rest.chars().next() {
            let end = rest[1..]
                .find(|c: char| c.is_ascii_alphabetic())
                .map_or(rest.len(), |i| i + 1);
            let numbers: Vec<i64> = rest[1..end]
                .split(' ')
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let to = match command {
                'M' => {
                    start = (numbers[0], numbers[1]);
                    start
                }
                'h' => (at.0 + numbers[0], at.1),
                'v' => (at.0, at.1 + numbers[0]),
                'z' => start,
                other => panic!("unexpected command {other} in {path}"),
            };
            assert!(to.0 == at.0 || to.1 == at.1 || command == 'M', "{path}");
            if command != 'M' && to.0 == at.0 && to.1 != at.1 {
                edges.push((at.0, at.1.min(to.1), at.1.max(to.1), (to.1 - at.1).signum()));
            }
            at = to;
            rest = &rest[end..];
        }
        (0..size)
            .map(|y| {
                (0..size)
                    .map(|x| {
                        // A ray from the module's centre to the right.
                        let (cx, cy) =
                            ((x + QUIET_ZONE) as f64 + 0.5, (y + QUIET_ZONE) as f64 + 0.5);
                        let winding: i64 = edges
                            .iter()
                            .filter(|&&(ex, top, bottom, _)| {
                                ex as f64 > cx && (top as f64) < cy && cy < bottom as f64
                            })
                            .map(|edge| edge.3)
                            .sum();
                        winding != 0
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_outline_paints_exactly_the_dark_modules() {
        for (i, text) in sample_texts().iter().take(120).enumerate() {
            let Ok(modules) = encode(text, QrCodeEcc::Medium) else {
                continue;
            };
            let path = outline(&modules);
            let painted = painted(&path, modules.size);
            for (y, row) in painted.iter().enumerate() {
                for (x, &paint) in row.iter().enumerate() {
                    assert_eq!(paint, modules.is_dark(x, y), "text {i}, module ({x}, {y})");
                }
            }
            // A loop's straight sides are one command each: never two in one direction.
            for pair in ["h1h", "v1v", "h2h", "v2v"] {
                assert!(!path.contains(pair), "{pair} in {path}");
            }
        }
    }

    #[test]
    fn svg_is_vector_with_one_command_per_corner() {
        let svg = svg("https://eucdoc.example.kz/v1/check/X?sha256=00").unwrap();
        assert!(svg.contains("<path"));
        assert!(!svg.contains("<image"));
        // The top-left finder pattern: its outer square, seven modules a side, at the quiet
        // zone's offset, then the light ring inside it, walked the other way round.
        assert!(svg.contains(r#"d="M4 4h7v7h-7z"#), "{svg}");
        assert!(svg.contains("M5 5v5h5v-5z"), "{svg}");
    }

    #[test]
    fn too_long_is_an_error() {
        assert!(svg(&"x".repeat(5000)).is_err());
    }
}
