//! Every validation rule has a failing case asserting its path and reason; problems come back
//! together, never one at a time.

mod common;

use common::example;
use eucdoc::model::{self, Form};
use serde_json::{Value, json};

fn base(file: &str) -> Value {
    serde_json::from_slice(&example(file)).unwrap()
}

fn euc() -> Value {
    base("end-user-certificate.json")
}

/// Errors of `value` as (path, reason) pairs; panics when it is valid.
fn errors(value: &Value) -> Vec<(String, String)> {
    model::parse(&serde_json::to_vec(value).unwrap())
        .expect_err("input should be invalid")
        .errors()
        .iter()
        .map(|e| (e.path.clone(), e.reason.clone()))
        .collect()
}

/// Asserts that the only error is at `path` and its reason contains `reason`.
fn assert_only(value: &Value, path: &str, reason: &str) {
    let errors = errors(value);
    assert_eq!(
        errors.len(),
        1,
        "expected one error at {path}, got {errors:?}"
    );
    assert_eq!(errors[0].0, path, "{errors:?}");
    assert!(
        errors[0].1.contains(reason),
        "reason {:?} lacks {reason:?}",
        errors[0].1
    );
}

fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    *value
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = new;
    value
}

#[test]
fn examples_are_valid() {
    for (file, form) in [
        ("end-user-certificate.json", Form::EndUserCertificate),
        ("import-certificate.json", Form::ImportCertificate),
        ("refusal.json", Form::Refusal),
    ] {
        let input = model::parse(&example(file)).unwrap_or_else(|e| panic!("{file}:\n{e}"));
        assert_eq!(input.document().form(), form);
    }
}

#[test]
fn not_json_and_not_an_object() {
    assert_eq!(model::parse(b"{").unwrap_err().errors()[0].path, "$");
    assert!(
        model::parse(b"{").unwrap_err().errors()[0]
            .reason
            .contains("not valid JSON")
    );
    assert!(
        model::parse(b"[1]").unwrap_err().errors()[0]
            .reason
            .contains("JSON object")
    );
}

#[test]
fn form_is_required_and_known() {
    let mut v = euc();
    v.as_object_mut().unwrap().remove("form");
    assert_only(&v, "form", "is required");
    assert_only(
        &with(euc(), "/form", json!("licence")),
        "form",
        "unknown form \"licence\"",
    );
    assert_only(&with(euc(), "/form", json!(1)), "form", "must be a string");
}

#[test]
fn unknown_keys_are_rejected_everywhere() {
    let mut v = euc();
    v["extra"] = json!(1);
    v["importer"]["fax"] = json!("1");
    v["goods"][2]["weight"] = json!("1");
    let errors = errors(&v);
    let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        paths,
        ["extra", "goods[2].weight", "importer.fax"],
        "{errors:?}"
    );
    assert!(errors.iter().all(|e| e.1.contains("unknown key")));
}

#[test]
fn keys_of_other_forms_are_unknown() {
    // An import certificate has no end user, place or purpose of use (domain.md).
    let mut v = base("import-certificate.json");
    v["end_user"] = euc()["end_user"].clone();
    v["goods"][0]["description"] = json!("x");
    let errors = errors(&v);
    let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(paths, ["end_user", "goods[0].description"], "{errors:?}");
}

#[test]
fn missing_keys_are_named() {
    let mut v = euc();
    v.as_object_mut().unwrap().remove("exporter");
    v["goods"][0].as_object_mut().unwrap().remove("hs_code");
    let errors = errors(&v);
    let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(paths, ["exporter", "goods[0].hs_code"], "{errors:?}");
    assert!(errors.iter().all(|e| e.1 == "is required"));
}

#[test]
fn wrong_types_are_named() {
    assert_only(
        &with(euc(), "/goods/0/quantity", json!(12)),
        "goods[0].quantity",
        "never JSON numbers",
    );
    assert_only(
        &with(euc(), "/importer", json!("x")),
        "importer",
        "must be object",
    );
    assert_only(&with(euc(), "/goods", json!({})), "goods", "must be array");
}

#[test]
fn bin_iin_check_digit_and_structure() {
    assert_only(
        &with(euc(), "/importer/bin_iin", json!("091240012345")),
        "importer.bin_iin",
        "check digit is 5, expected 6",
    );
    assert_only(
        &with(euc(), "/end_user/bin_iin", json!("15034000567")),
        "end_user.bin_iin",
        "12 digits",
    );
    assert_only(
        &with(euc(), "/end_user/bin_iin", json!("15034000567X")),
        "end_user.bin_iin",
        "12 digits",
    );
    // 991301...: an IIN (fifth digit 0) whose month is 13 has no birth date.
    assert_only(
        &with(euc(), "/end_user/bin_iin", json!("991301000001")),
        "end_user.bin_iin",
        "birth date",
    );
    assert_only(
        &with(
            base("refusal.json"),
            "/recipient/bin_iin",
            json!("121040035793"),
        ),
        "recipient.bin_iin",
        "check digit",
    );
}

#[test]
fn hs_code_rules() {
    let path = "goods[1].hs_code";
    assert_only(
        &with(euc(), "/goods/1/hs_code", json!("85258930")),
        path,
        "exactly 10 digits",
    );
    assert_only(
        &with(euc(), "/goods/1/hs_code", json!("85258930OO")),
        path,
        "exactly 10 digits",
    );
    assert_only(
        &with(euc(), "/goods/1/hs_code", json!("7712345678")),
        path,
        "chapter 77",
    );
    assert_only(
        &with(euc(), "/goods/1/hs_code", json!("0012345678")),
        path,
        "chapter 00",
    );
    assert_only(
        &with(euc(), "/goods/1/hs_code", json!("9812345678")),
        path,
        "chapter 98",
    );
    // Chapters 01 and 97 are the ends of the range and valid.
    for code in ["0101210000", "9701100000"] {
        assert!(
            model::parse(
                &serde_json::to_vec(&with(euc(), "/goods/1/hs_code", json!(code))).unwrap()
            )
            .is_ok()
        );
    }
}

#[test]
fn quantity_rules() {
    let path = "goods[0].quantity";
    for (bad, reason) in [
        ("0", "greater than zero"),
        ("0.000", "greater than zero"),
        ("-3", "decimal string"),
        ("1e3", "decimal string"),
        ("1,5", "decimal string"),
        ("1.", "decimal string"),
        (".5", "decimal string"),
        ("", "decimal string"),
        ("007", "leading zeros"),
        ("1.1234567", "at most"),
        ("1234567890123456", "at most"),
    ] {
        assert_only(&with(euc(), "/goods/0/quantity", json!(bad)), path, reason);
    }
    for good in ["1", "0.5", "125.500", "100000"] {
        assert!(
            model::parse(
                &serde_json::to_vec(&with(euc(), "/goods/0/quantity", json!(good))).unwrap()
            )
            .is_ok()
        );
    }
}

#[test]
fn dates_and_their_order() {
    assert_only(
        &with(euc(), "/issue_date", json!("02.03.2026")),
        "issue_date",
        "YYYY-MM-DD",
    );
    assert_only(
        &with(euc(), "/issue_date", json!("2026-02-30")),
        "issue_date",
        "YYYY-MM-DD",
    );
    assert_only(
        &with(euc(), "/contract/date", json!("2026-3-1")),
        "contract.date",
        "YYYY-MM-DD",
    );
    assert_only(
        &with(euc(), "/contract/date", json!("2026-03-03")),
        "contract.date",
        "after the issue date",
    );
    assert_only(
        &with(
            base("refusal.json"),
            "/application/date",
            json!("2026-04-01"),
        ),
        "application.date",
        "after the issue date",
    );
    // The same day is allowed.
    assert!(
        model::parse(
            &serde_json::to_vec(&with(euc(), "/contract/date", json!("2026-03-02"))).unwrap()
        )
        .is_ok()
    );
}

#[test]
fn boxes_must_not_be_empty() {
    assert_only(
        &with(euc(), "/place_of_use", json!("   ")),
        "place_of_use",
        "must not be empty",
    );
    assert_only(
        &with(euc(), "/signer/full_name", json!("")),
        "signer.full_name",
        "must not be empty",
    );
    assert_only(
        &with(euc(), "/goods/2/unit", json!("")),
        "goods[2].unit",
        "must not be empty",
    );
    assert_only(
        &with(base("refusal.json"), "/grounds/1", json!("")),
        "grounds[1]",
        "must not be empty",
    );
}

#[test]
fn length_limits() {
    assert_only(
        &with(euc(), "/importer/name", json!("Ә".repeat(301))),
        "importer.name",
        "limit is 300",
    );
    assert_only(
        &with(euc(), "/goods/0/description", json!("x".repeat(2001))),
        "goods[0].description",
        "limit is 2000",
    );
    assert_only(
        &with(euc(), "/purpose_of_use", json!("x".repeat(2001))),
        "purpose_of_use",
        "limit is 2000",
    );
    // Characters, not bytes: 300 two-byte letters are fine.
    assert!(
        model::parse(
            &serde_json::to_vec(&with(euc(), "/importer/name", json!("Ә".repeat(300)))).unwrap()
        )
        .is_ok()
    );
}

#[test]
fn goods_count_is_one_to_five_hundred() {
    assert_only(
        &with(euc(), "/goods", json!([])),
        "goods",
        "at least one goods line",
    );
    let line = euc()["goods"][0].clone();
    let many: Vec<Value> = (0..501).map(|_| line.clone()).collect();
    assert_only(&with(euc(), "/goods", json!(many)), "goods", "limit is 500");
    let enough: Vec<Value> = (0..500).map(|_| line.clone()).collect();
    assert!(
        model::parse(&serde_json::to_vec(&with(euc(), "/goods", json!(enough))).unwrap()).is_ok()
    );
}

#[test]
fn grounds_count() {
    assert_only(
        &with(base("refusal.json"), "/grounds", json!([])),
        "grounds",
        "at least one",
    );
    let many: Vec<Value> = (0..21).map(|i| json!(format!("Негіздеме {i}"))).collect();
    assert_only(
        &with(base("refusal.json"), "/grounds", json!(many)),
        "grounds",
        "limit is 20",
    );
}

#[test]
fn country_codes() {
    assert_only(
        &with(euc(), "/exporter/country", json!("Germany")),
        "exporter.country",
        "ISO 3166-1",
    );
    assert_only(
        &with(euc(), "/exporter/country", json!("XX")),
        "exporter.country",
        "ISO 3166-1",
    );
    assert_only(
        &with(euc(), "/importer/country", json!("DE")),
        "importer.country",
        "must be \"KZ\"",
    );
}

#[test]
fn phone_shape() {
    assert_only(
        &with(euc(), "/importer/phone", json!("call me")),
        "importer.phone",
        "phone number",
    );
    assert_only(
        &with(euc(), "/importer/phone", json!("+7 1")),
        "importer.phone",
        "5 to 15 digits",
    );
}

#[test]
fn control_characters_and_line_breaks() {
    assert_only(
        &with(euc(), "/importer/name", json!("ЖШС\u{0007}")),
        "importer.name",
        "U+0007",
    );
    assert_only(
        &with(euc(), "/importer/name", json!("ЖШС\nАлатау")),
        "importer.name",
        "line breaks are not allowed",
    );
    // Multi-line boxes take line breaks.
    assert!(
        model::parse(
            &serde_json::to_vec(&with(euc(), "/purpose_of_use", json!("бір\nекі"))).unwrap()
        )
        .is_ok()
    );
}

#[test]
fn registry_number_shape() {
    assert_only(
        &with(euc(), "/number", json!("KZ/EUC 1")),
        "number",
        "check URL",
    );
    assert_only(
        &with(euc(), "/number", json!("-KZ")),
        "number",
        "starting with a letter or digit",
    );
    // Null or absent: the registry assigns it.
    assert!(
        model::parse(&serde_json::to_vec(&with(euc(), "/number", Value::Null)).unwrap()).is_ok()
    );
    let mut v = euc();
    v.as_object_mut().unwrap().remove("number");
    assert!(model::parse(&serde_json::to_vec(&v).unwrap()).is_ok());
}

#[test]
fn many_problems_come_back_together() {
    let mut v = euc();
    v["issue_date"] = json!("yesterday");
    v["importer"]["bin_iin"] = json!("091240012345");
    v["goods"][0]["hs_code"] = json!("77");
    v["goods"][2]["hs_code"] = json!("7700000000");
    v["goods"][1]["quantity"] = json!("0");
    v["signer"]["position"] = json!("");
    v["contract"]["number"] = json!(" ");
    let errors = errors(&v);
    let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "issue_date",
            "importer.bin_iin",
            "goods[0].hs_code",
            "goods[1].quantity",
            "goods[2].hs_code",
            "contract.number",
            "signer.position",
        ],
        "{errors:?}"
    );
    // Each reason is one line.
    assert!(errors.iter().all(|e| !e.1.contains('\n')));
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = vec![b' '; model::MAX_INPUT_BYTES + 1];
    let errors = model::parse(&big).unwrap_err();
    assert!(errors.errors()[0].reason.contains("the limit is"));
}

#[test]
fn canonical_hash_ignores_key_order_and_white_space() {
    let a = model::parse(&example("refusal.json")).unwrap();
    let v: Value = serde_json::from_slice(&example("refusal.json")).unwrap();
    let compact = serde_json::to_vec(&v).unwrap();
    let b = model::parse(&compact).unwrap();
    assert_eq!(a.canonical_sha256(), b.canonical_sha256());
    assert_ne!(a.json(), b.json());
    let c = model::parse(
        &serde_json::to_vec(&with(v, "/grounds/0", json!("Басқа негіздеме"))).unwrap(),
    )
    .unwrap();
    assert_ne!(a.canonical_sha256(), c.canonical_sha256());
}

#[test]
fn schema_is_generated_for_every_form() {
    for form in Form::ALL {
        let schema = model::json_schema(form);
        assert_eq!(schema["additionalProperties"], json!(false), "{form}");
        assert_eq!(schema["properties"]["form"]["const"], json!(form.key()));
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            required.contains(&"issue_date") && required.contains(&"signer"),
            "{form}: {required:?}"
        );
        assert!(!required.contains(&"number"), "number may be absent");
    }
    let euc = model::json_schema(Form::EndUserCertificate);
    assert_eq!(euc["properties"]["goods"]["maxItems"], json!(500));
}

proptest::proptest! {
    /// Arbitrary bytes never panic the parser; they are either valid or come back with paths.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        if let Err(errors) = model::parse(&bytes) {
            proptest::prop_assert!(!errors.errors().is_empty());
        }
    }

    /// Arbitrary text in any box is either accepted or refused at that box's path.
    #[test]
    fn arbitrary_text_is_accepted_or_named(text in "\\PC{0,40}") {
        let v = with(euc(), "/goods/1/description", json!(text));
        if let Err(errors) = model::parse(&serde_json::to_vec(&v).unwrap()) {
            proptest::prop_assert!(errors.errors().iter().all(|e| e.path == "goods[1].description"), "{errors}");
        }
    }
}

#[test]
fn numbering_an_input_is_parsing_the_numbered_json() {
    // `Input::with_number` skips validating again; it must give exactly what `parse` gives for
    // the numbered JSON, for each form, with and without a number in the input.
    for file in [
        "end-user-certificate.json",
        "import-certificate.json",
        "refusal.json",
    ] {
        for carried in [None, Some(Value::Null), Some(json!("KZ-OLD-1"))] {
            let mut value = base(file);
            match &carried {
                Some(number) => value["number"] = number.clone(),
                None => _ = value.as_object_mut().unwrap().remove("number"),
            }
            let input = model::parse(&serde_json::to_vec(&value).unwrap()).unwrap();
            let numbered = input.with_number("KZ-EUC-2026-000042").unwrap();
            let parsed = model::parse(numbered.json()).unwrap();
            assert_eq!(numbered.document(), parsed.document(), "{file} {carried:?}");
            assert_eq!(numbered.document().number(), Some("KZ-EUC-2026-000042"));
            assert_eq!(numbered.canonical_sha256(), parsed.canonical_sha256());
            assert_ne!(numbered.canonical_sha256(), input.canonical_sha256());
            let json: Value = serde_json::from_slice(numbered.json()).unwrap();
            assert_eq!(json["number"], "KZ-EUC-2026-000042", "{file}");
            value["number"] = json!("KZ-EUC-2026-000042");
            assert_eq!(json, value);
        }
    }
    // The number is still checked: it is part of the check URL.
    let input = model::parse(&example("end-user-certificate.json")).unwrap();
    let error = input.with_number("KZ/../x").unwrap_err();
    assert_eq!(error.errors()[0].path, "number");
}
