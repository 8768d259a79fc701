//! End-to-end rendering: the examples render to PDF/A-3b documents that tools we did not write
//! (poppler, qpdf, zbar) read back as exactly what was sent.

mod common;

use common::*;
use eucdoc::model;
use sha2::{Digest, Sha256};

const HEADER_KK: &str = "\"Қазақстан Республикасы Өнеркәсіп және құрылыс министрлігі Өнеркәсіп комитеті\" республикалық мемлекеттік мекемесі";
const HEADER_RU: &str = "Республиканское государственное учреждение \"Комитет промышленности Министерства промышленности и строительства Республики Казахстан\"";

/// Box labels and fixed texts of Form 1, verbatim from the seed (Appendix 4, form 1).
const FORM1_LABELS: &[&str] = &[
    "ТҮПКІЛІКТІ ПАЙДАЛАНУШЫСЫНЫҢ СЕРТИФИКАТЫ",
    "№ СЕРТИФИКАТ",
    "1. Импорттаушы (елі, мекенжайы және телефоны) БСН (ЖСН)",
    "2. Түпкілікті пайдаланушы (елі, мекенжайы және телефоны) БСН (ЖСН)",
    "3. Экспорттаушы (ел, мекен-жайы)",
    "4. Өзіндік ерекшелігі бар тауардың орнатылатын және (немесе) пайдаланылатын орны",
    "5. Өзіндік ерекшелігі бар тауарды пайдалану мақсаты:",
    "6. Тауардың атауы және сипаттамасы",
    "7. Еуразиялық экономикалық одақтың сыртқы экономикалық қызметінің бірыңғай тауар номенклатурасының он таңбалы коды",
    "8. Тауардың бақылау тізімдері бойынша коды",
    "9. Өлшем бірлігі",
    "10. Саны",
    "11. Сыртқы сауда келісімінің (келісімшартының) немесе өзге де иеліктен шығару құжатының нөмірі, күні",
    "12. Осы арқылы 6-бағанда көрсетілген өзіндік ерекшелігі бар тауарлардың 5-бағанда көрсетілген мақсаттарда пайдаланылатыны және үшінші елдерге қайта экспортталмайтыны, сондай-ақ үшінші тұлғаларға берілмейтіні, экспорттаушы елдің (немесе) шыққан елдің құзыретті органының және Қазақстан Республикасының уәкілетті органының рұқсатынсыз қолданылмайтыны расталады.",
    "Осы құжат қол қойылған күннен бастап алты ай ішінде экспорттаушы елдің уәкілетті мемлекеттік органына ұсынылуы тиіс.",
    HEADER_KK,
    HEADER_RU,
];

/// Form 2, verbatim from the seed (Appendix 4, form 2).
const FORM2_LABELS: &[&str] = &[
    "ХАЛЫҚАРАЛЫҚ ИМПОРТТЫҚ СЕРТИФИКАТ",
    "№ СЕРТИФИКАТ",
    "1. Импорттаушы (елі, мекенжайы және телефоны) БСН (ЖСН)",
    "2. Экспорттаушы (ел, мекен-жайы)",
    "3. Ерекше тауардың атауы",
    "4. Еуразиялық экономикалық одақтың сыртқы экономикалық қызметінің бірыңғай тауар номенклатурасының он таңбалы коды",
    "5. Тауардың бақылау тізімдері бойынша коды",
    "6. Өлшем бірлігі",
    "7. Саны",
    "8. Сыртқы сауда келісімінің (келісімшартының) немесе өзге де иеліктен шығару құжатының нөмірі, күні",
    "9. Осымен 3-бағанда көрсетілген өзіндік ерекшелігі бар тауарлардың Қазақстан Республикасына импортталатыны және экспорттаушы елдің және (немесе) шығарылған елдің құзыретті органының және Қазақстан Республикасының уәкілетті органының рұқсатынсыз үшінші елдерге және үшінші тұлғаларға берілмейтіні расталады. Осы құжат қол қойылған күннен бастап алты ай ішінде экспорттаушы елдің уәкілетті мемлекеттік органына ұсынылуға тиіс.",
    "10. Қазақстан Республикасының өзіндік ерекшелігі бар тауарларды бақылау жөніндегі уәкілетті органы",
    "Аты-жөні. (болған жағдайда)",
    "Лауазымы",
    "күні",
    HEADER_KK,
    HEADER_RU,
];

/// The refusal, verbatim from the seed (Appendix 2 of the Rules).
const REFUSAL_LABELS: &[&str] = &[
    "Дәлелді бас тарту",
    "Астана қ.",
    "г. Астана",
    "Берілген күні:",
    "Нөмір:",
    "Сіздің өтінішіңізді",
    "қарағаннан кейін мынаны хабарлайды:",
    HEADER_KK,
    HEADER_RU,
];

/// The three examples, one per form.
const EXAMPLES: [&str; 3] = [
    "end-user-certificate.json",
    "import-certificate.json",
    "refusal.json",
];

fn check_example(file: &str, labels: &[&str]) {
    let json = example(file);
    let rendered = render_bytes(&json);
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_temp(dir.path(), "out.pdf", &rendered.pdf);
    let text = pdf_text(&pdf, None);

    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let mut values = Vec::new();
    strings(&value, "", &mut values);
    for (path, v) in values.iter().filter(|(p, _)| p != "form") {
        assert!(
            text.contains(&fold(&printed(v))),
            "{file}: value of {path} ({v:?}) not found in:\n{text}"
        );
    }
    for label in labels {
        assert!(
            text.contains(label),
            "{file}: label {label:?} not found in:\n{text}"
        );
    }
    assert!(text.contains(&format!("Бет / Страница 1 / {}", rendered.pages)));

    // The attachment is the input, byte for byte.
    let out = run("pdfdetach", &["-list", pdf.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("data.json"));
    let saved = dir.path().join("saved.json");
    let out = run(
        "pdfdetach",
        &[
            "-savefile",
            "data.json",
            "-o",
            saved.to_str().unwrap(),
            pdf.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        json,
        "{file}: data.json differs from the input"
    );

    // XMP declares PDF/A-3b.
    let out = run("pdfinfo", &["-meta", pdf.to_str().unwrap()]);
    let xmp = String::from_utf8_lossy(&out.stdout);
    let part = xmp.contains("<pdfaid:part>3</pdfaid:part>") || xmp.contains("pdfaid:part=\"3\"");
    let conformance = xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>")
        || xmp.contains("pdfaid:conformance=\"B\"");
    assert!(
        part && conformance,
        "{file}: XMP does not declare PDF/A-3b:\n{xmp}"
    );
    assert!(
        xmp.contains("<dc:language><rdf:Bag><rdf:li>kk</rdf:li>"),
        "{file}: language"
    );
    assert!(
        xmp.contains("<xmp:CreateDate>2026-03-02T09:30:00"),
        "{file}: creation date"
    );
    let out = run("pdfinfo", &[pdf.to_str().unwrap()]);
    let info = String::from_utf8_lossy(&out.stdout);
    let title = info
        .lines()
        .find_map(|l| l.strip_prefix("Title:"))
        .unwrap_or_default()
        .trim();
    let number = value["number"].as_str().unwrap();
    assert!(
        title.ends_with(&format!("№ {number}")) && title.len() > number.len() + 10,
        "{file}: title {title:?}"
    );

    let out = run("qpdf", &["--check", pdf.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{file}: qpdf --check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The QR code decodes to the check URL, whose hash we recompute independently with Python's
    // canonical JSON (sorted keys, no white space, UTF-8: RFC 8785 for string-only data).
    let decoded = common::qr_on_page(&pdf, rendered.signature_place.page);
    let canonical = run(
        "python3",
        &[
            "-c",
            "import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1],encoding='utf-8')),sort_keys=True,separators=(',',':'),ensure_ascii=False))",
            root().join("examples").join(file).to_str().unwrap(),
        ],
    );
    assert!(canonical.status.success());
    let sha = hex::encode(Sha256::digest(&canonical.stdout));
    assert_eq!(
        decoded,
        format!("{BASE_URL}/v1/check/{number}?sha256={sha}")
    );
    assert_eq!(decoded, rendered.check_url);
}

#[test]
fn end_user_certificate_example() {
    check_example("end-user-certificate.json", FORM1_LABELS);
}

#[test]
fn import_certificate_example() {
    check_example("import-certificate.json", FORM2_LABELS);
}

#[test]
fn refusal_example() {
    check_example("refusal.json", REFUSAL_LABELS);
}

#[test]
fn identical_input_and_time_give_identical_bytes() {
    let json = example("end-user-certificate.json");
    let a = render_bytes(&json);
    let b = render_bytes(&json);
    assert_eq!(a.pdf, b.pdf);
    let input = model::parse(&json).unwrap();
    let later = renderer()
        .render(
            &input,
            "KZ-EUC-2026-000123",
            fixed_time() + time::Duration::hours(1),
        )
        .unwrap();
    assert_ne!(
        a.pdf, later.pdf,
        "the rendering time is part of the document"
    );
}

/// A stamp's bytes depend on what it says and on the second it is rendered in (the PDF's dates),
/// on nothing else: the signer keeps stamps' appearances by what they say.
#[test]
fn a_stamp_depends_only_on_its_data_and_second() {
    let stamp = |time: &str| eucdoc::render::Stamp {
        width: 220.0,
        height: 70.0,
        full_name: "ТЕСТОВ ТЕСТ".into(),
        position: Some("Төраға / Председатель".into()),
        iin: Some("123456789011".into()),
        bin: None,
        serial: "01AB".into(),
        time: time.into(),
        test: true,
    };
    // Each render by a new renderer, so nothing kept between them could make them agree.
    let render = |time: &str, at| renderer().render_stamp(&stamp(time), at).unwrap();
    let now = fixed_time();
    let first = render("02.03.2026 14:30:00", now);
    let later_in_the_second = render(
        "02.03.2026 14:30:00",
        now + time::Duration::milliseconds(999),
    );
    assert_eq!(first, later_in_the_second);
    let next_second = render("02.03.2026 14:30:00", now + time::Duration::seconds(1));
    assert_ne!(first, next_second);
    let other_time = render("02.03.2026 14:30:01", now);
    assert_ne!(first, other_time);
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "stamp.pdf", &other_time);
    assert!(
        pdf_text(&path, None).contains("02.03.2026 14:30:01"),
        "the stamp prints its own time"
    );
}

#[test]
fn hostile_strings_print_literally() {
    let hostile = r#"#eval("1+1") ]$x$ <b> @x \ #import "@preview/x:1.0.0" <script>alert(1)</script> {{x}} %PDF"#;
    let mut value: serde_json::Value =
        serde_json::from_slice(&example("end-user-certificate.json")).unwrap();
    value["purpose_of_use"] = hostile.into();
    value["goods"][1]["description"] = hostile.into();
    value["exporter"]["name"] = format!("Muster {hostile}").into();
    value["signer"]["full_name"] = "*bold* _emph_ `raw` = heading".into();
    let json = serde_json::to_vec(&value).unwrap();
    let rendered = render_bytes(&json);
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_temp(dir.path(), "hostile.pdf", &rendered.pdf);
    // Narrow cells may wrap a value anywhere, so compare without white space.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let text = squeeze(&pdf_text(&pdf, None));
    assert!(
        text.matches(&squeeze(hostile)).count() >= 3,
        "hostile text not printed literally:\n{text}"
    );
    assert!(text.contains(&squeeze("*bold* _emph_ `raw` = heading")));
}

#[test]
fn character_outside_the_font_is_rejected_with_its_path() {
    let mut value: serde_json::Value =
        serde_json::from_slice(&example("end-user-certificate.json")).unwrap();
    value["goods"][1]["name"] = "Камера 漢字".into();
    value["importer"]["address"] = "Алматы \u{1F600}".into();
    let errors = model::parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    let paths: Vec<&str> = errors.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["importer.address", "goods[1].name"], "{errors}");
    assert!(errors.errors()[1].reason.contains("U+6F22"), "{errors}");
    assert!(
        errors.errors()[1]
            .reason
            .contains("not in the document font")
    );
}

/// A 500-line goods list flows over pages: "page N of M" agrees on every page and the table
/// header is repeated on each page that holds goods rows.
#[test]
fn five_hundred_goods_lines_paginate_consistently() {
    let rendered = render_bytes(&common::five_hundred_lines());
    let pages = rendered.pages;
    assert!(
        pages >= 10,
        "500 lines should take many pages, took {pages}"
    );
    assert_eq!(
        rendered.signature_place.page, pages,
        "signature place is on the last page"
    );
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_temp(dir.path(), "long.pdf", &rendered.pdf);
    let mut seen_lines = 0;
    for page in 1..=pages {
        let text = pdf_text(&pdf, Some((page, page)));
        assert!(
            text.contains(&format!("Бет / Страница {page} / {pages}")),
            "page {page} lacks its page number:\n{text}"
        );
        assert!(
            text.contains("№ KZ-EUC-2026-000123"),
            "page {page} lacks the number"
        );
        let rows = text.matches("Тауар жолы ").count();
        if rows > 0 {
            assert!(
                text.contains("6. Тауардың атауы және сипаттамасы") && text.contains("10. Саны"),
                "page {page} has goods rows but no table header:\n{text}"
            );
        }
        seen_lines += rows;
    }
    assert_eq!(seen_lines, 500);
    let text = pdf_text(&pdf, None);
    assert!(text.contains("Тауар жолы 500"));
}

#[test]
fn signature_place_is_inside_the_page() {
    for file in EXAMPLES {
        let rendered = render_bytes(&example(file));
        let place = rendered.signature_place;
        assert!(
            place.width > 200.0 && place.height > 70.0,
            "{file}: {place:?}"
        );
        let [llx, lly, urx, ury] = place.pdf_rect();
        assert!(
            llx >= 0.0 && lly >= 0.0 && urx <= 595.3 && ury <= place.page_height,
            "{file}: {place:?}"
        );
        assert!((place.page_height - 841.89).abs() < 0.1, "A4");
    }
}

#[test]
fn number_is_validated_before_it_reaches_the_url() {
    let input = model::parse(&example("end-user-certificate.json")).unwrap();
    for bad in ["", "../x", "KZ/1", "a b", "x?y=1", &"9".repeat(41)] {
        assert!(
            renderer().render(&input, bad, fixed_time()).is_err(),
            "number {bad:?} should be refused"
        );
    }
}

/// Each embedded font's /FontBBox is the union of the boxes of the glyphs actually embedded, read
/// back from the subset with ttf-parser (krilla's own numbers, with the vendored krilla measuring
/// each glyph on the original font: vendor/krilla/EUCDOC.md, change 4).
#[test]
fn font_boxes_are_the_union_of_the_embedded_glyphs() {
    for file in EXAMPLES {
        let rendered = render_bytes(&example(file));
        let pdf = lopdf::Document::load_mem(&rendered.pdf).expect("the PDF parses");
        let mut fonts = 0;
        for object in pdf.objects.values() {
            let Ok(descriptor) = object.as_dict() else {
                continue;
            };
            if descriptor.get(b"Type").and_then(|t| t.as_name()).ok()
                != Some(&b"FontDescriptor"[..])
            {
                continue;
            }
            let stated: Vec<f32> = descriptor
                .get(b"FontBBox")
                .and_then(|b| b.as_array())
                .expect("a FontBBox")
                .iter()
                .map(|v| v.as_float().expect("a number"))
                .collect();
            let subset = descriptor
                .get(b"FontFile2")
                .and_then(|r| r.as_reference())
                .and_then(|id| pdf.get_object(id))
                .and_then(|o| o.as_stream())
                .and_then(|s| s.decompressed_content())
                .expect("an embedded TrueType subset");
            let face = ttf_parser::Face::parse(&subset, 0).expect("the subset parses");
            let per_mille = 1000.0 / f32::from(face.units_per_em());
            let boxes: Vec<ttf_parser::Rect> = (0..face.number_of_glyphs())
                .filter_map(|g| face.glyph_bounding_box(ttf_parser::GlyphId(g)))
                .collect();
            assert!(
                boxes.len() > 20,
                "{file}: {} glyphs with outlines",
                boxes.len()
            );
            let union = [
                boxes.iter().map(|b| b.x_min).min(),
                boxes.iter().map(|b| b.y_min).min(),
                boxes.iter().map(|b| b.x_max).max(),
                boxes.iter().map(|b| b.y_max).max(),
            ]
            .map(|v| f32::from(v.expect("glyphs")) * per_mille);
            assert_eq!(stated.len(), 4, "{file}: {stated:?}");
            for (stated, union) in stated.iter().zip(union) {
                assert!(
                    (stated - union).abs() < 0.5,
                    "{file}: FontBBox {stated:?} against the glyphs' union {union:?}"
                );
            }
            fonts += 1;
        }
        // Regular and bold at least.
        assert!(fonts >= 2, "{file}: {fonts} font descriptors");
    }
}
