//! Golden pages: what each example, and a 500-line certificate, says and looks like, kept in
//! tests/golden/. Speed work on rendering must never change what the documents say: the text
//! layer (poppler's `pdftotext -layout`) must stay exactly the same, and the pages rasterised
//! by `pdftoppm` (grey, 36 dpi) must stay the same within a small pixel tolerance.
//!
//! After a deliberate change of a template: `EUCDOC_UPDATE_GOLDEN=1 cargo test --test golden`
//! rewrites the files; review their diff before committing it.

mod common;

use std::path::{Path, PathBuf};

use common::{example, render_bytes, run, write_temp};

/// Resolution of the rasterised pages: enough to see every box, line and letter row moved.
const DPI: &str = "36";
/// A pixel differs when its grey level moves by more than this.
const LEVEL_TOLERANCE: u8 = 48;
/// At most this share of a page's pixels may differ (anti-aliasing of the same drawing).
const PIXEL_SHARE: f64 = 0.002;

fn golden_dir() -> PathBuf {
    common::root().join("tests/golden")
}

fn updating() -> bool {
    std::env::var_os("EUCDOC_UPDATE_GOLDEN").is_some()
}

/// How `actual` differs from the golden text file `name` (nothing when updating: it is
/// written).
fn text_change(name: &str, actual: &str) -> Option<String> {
    let path = golden_dir().join(name);
    if updating() {
        std::fs::write(&path, actual).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (EUCDOC_UPDATE_GOLDEN=1 writes it)", path.display()));
    (expected != actual).then(|| {
        let line = expected
            .lines()
            .zip(actual.lines())
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("{a:?} became {b:?}"))
            .unwrap_or_else(|| "the length".into());
        format!("{name}: the text layer changed: {line}")
    })
}

/// A PNG's size and grey levels.
fn pixels(png: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    buffer.truncate(frame.buffer_size());
    // pdftoppm -gray may still write RGB triples (all three equal): keep one channel.
    let grey = match frame.color_type {
        png::ColorType::Grayscale => buffer,
        png::ColorType::Rgb => buffer.iter().step_by(3).copied().collect(),
        other => panic!("{}: a {other:?} PNG", png.display()),
    };
    (frame.width, frame.height, grey)
}

/// How the rasterised `page` of `pdf` differs from the golden PNG `name` (nothing when
/// updating: it is written).
fn page_change(pdf: &Path, page: usize, name: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let page_text = page.to_string();
    let out = run(
        "pdftoppm",
        &[
            "-gray",
            "-png",
            "-r",
            DPI,
            "-f",
            &page_text,
            "-l",
            &page_text,
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let actual = dir.path().join("page.png");
    let golden = golden_dir().join(name);
    if updating() {
        std::fs::copy(&actual, &golden).unwrap();
        return None;
    }
    let (width, height, expected) = pixels(&golden);
    let (actual_width, actual_height, got) = pixels(&actual);
    if (width, height) != (actual_width, actual_height) {
        return Some(format!("{name}: the page size changed"));
    }
    let differing = expected
        .iter()
        .zip(&got)
        .filter(|(a, b)| a.abs_diff(**b) > LEVEL_TOLERANCE)
        .count();
    let share = differing as f64 / expected.len() as f64;
    (share > PIXEL_SHARE).then(|| {
        let kept = std::env::temp_dir().join(format!("eucdoc-golden-actual-{name}"));
        std::fs::copy(&actual, &kept).unwrap();
        format!(
            "{name}: {differing} pixels ({:.3} %) differ from the golden page; this run's page is {}",
            share * 100.0,
            kept.display()
        )
    })
}

/// The text layer as laid out on the pages (not in content-stream order, which speed work may
/// change without changing what a page says).
fn layout_text(pdf: &Path) -> String {
    let out = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The example `file` rendered at the fixed time: its text and every page.
fn check_example(file: &str, stem: &str) {
    let rendered = render_bytes(&example(file));
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_temp(dir.path(), "document.pdf", &rendered.pdf);
    let mut changes: Vec<String> = text_change(&format!("{stem}.txt"), &layout_text(&pdf))
        .into_iter()
        .collect();
    for page in 1..=rendered.pages {
        changes.extend(page_change(&pdf, page, &format!("{stem}-{page}.png")));
    }
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn end_user_certificate_stays_the_same() {
    check_example("end-user-certificate.json", "end-user-certificate");
}

#[test]
fn import_certificate_stays_the_same() {
    check_example("import-certificate.json", "import-certificate");
}

#[test]
fn refusal_stays_the_same() {
    check_example("refusal.json", "refusal");
}

/// 500 goods lines over many pages: the whole text, and the first, a middle and the last page.
#[test]
fn five_hundred_lines_stay_the_same() {
    let rendered = render_bytes(&common::five_hundred_lines());
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_temp(dir.path(), "document.pdf", &rendered.pdf);
    let mut changes: Vec<String> = text_change("500-lines.txt", &layout_text(&pdf))
        .into_iter()
        .collect();
    let last = rendered.pages;
    for (page, name) in [(1, "first"), (last / 2, "middle"), (last, "last")] {
        changes.extend(page_change(&pdf, page, &format!("500-lines-{name}.png")));
    }
    assert!(changes.is_empty(), "{changes:#?}");
}

/// The comparison sees a change: one goods quantity changed, or the goods lines' order, is
/// caught in the text and on the page.
#[test]
fn a_changed_document_is_caught() {
    if updating() {
        return;
    }
    let mut value: serde_json::Value =
        serde_json::from_slice(&example("end-user-certificate.json")).unwrap();
    value["goods"][0]["quantity"] = "7".into();
    let goods = value["goods"].as_array().unwrap().clone();
    let changed = render_bytes(&serde_json::to_vec(&value).unwrap());
    value["goods"] = goods.into_iter().rev().collect::<Vec<_>>().into();
    let reordered = render_bytes(&serde_json::to_vec(&value).unwrap());
    let dir = tempfile::tempdir().unwrap();
    for (name, rendered) in [("changed.pdf", changed), ("reordered.pdf", reordered)] {
        let pdf = write_temp(dir.path(), name, &rendered.pdf);
        assert!(
            text_change("end-user-certificate.txt", &layout_text(&pdf)).is_some(),
            "{name}: text"
        );
    }
    let pdf = dir.path().join("reordered.pdf");
    assert!(
        page_change(&pdf, 1, "end-user-certificate-1.png").is_some(),
        "reordered goods lines: page"
    );
}
