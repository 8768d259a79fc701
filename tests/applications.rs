//! Incoming application packages (issue 15): the application and the guarantee obligation,
//! rendered by eucdoc's templates, signed with the development PKI's keys (PAdES with eucdoc's
//! signer, detached CMS with OpenSSL's) and with the CA's GOST 2015 test key at its time; every
//! kind of mismatch fails exactly its check; malformed and hostile packages are refused.

mod common;

use std::sync::OnceLock;

use eucdoc::applications::{PackageError, PackageFile, PackageReport, Verdict, check_package};
use eucdoc::render::{RenderConfig, Renderer};
use eucdoc::{devpki, gost, sign};
use serde_json::{Value, json};

use common::gost::{der, gost_cms_with, nca, nca_path};

const PASSWORD: &str = "eucdoc-dev";

fn now() -> time::UtcDateTime {
    time::UtcDateTime::now()
}

fn pki() -> &'static (tempfile::TempDir, devpki::DevPkiFiles) {
    static PKI: OnceLock<(tempfile::TempDir, devpki::DevPkiFiles)> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let files = devpki::generate(dir.path(), PASSWORD, now().unix_timestamp()).unwrap();
        (dir, files)
    })
}

fn key_store(name: &str) -> Vec<u8> {
    std::fs::read(pki().0.path().join(name)).unwrap()
}

fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(|| Renderer::new(RenderConfig::default()).unwrap())
}

/// Verification against the development PKI's root with its CRLs at hand, fetching nothing.
fn offline() -> eucdoc::verify::VerifyOptions {
    eucdoc::verify::VerifyOptions {
        trust_anchors: sign::certificates_from_file(&std::fs::read(&pki().1.root).unwrap())
            .unwrap(),
        crls: vec![
            std::fs::read(&pki().1.crl).unwrap(),
            std::fs::read(&pki().1.root_crl).unwrap(),
        ],
        offline: true,
        ..Default::default()
    }
}

fn example(name: &str) -> Value {
    serde_json::from_slice(&common::example(&format!("incoming/{name}"))).unwrap()
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap()
}

/// The PDF of an incoming document, signed (PAdES B-B) by each key store in turn.
fn signed_pdf(value: &Value, signers: &[&str]) -> Vec<u8> {
    signed_pdf_of(pki().0.path(), value, signers)
}

/// As [`signed_pdf`], with the key stores of the development PKI in `pki`.
fn signed_pdf_of(pki: &std::path::Path, value: &Value, signers: &[&str]) -> Vec<u8> {
    let now = now();
    let mut pdf = renderer().render_incoming(&bytes(value), now).unwrap();
    for (i, store) in signers.iter().enumerate() {
        let signer = sign::Pkcs12Signer::from_pkcs12(
            &std::fs::read(pki.join(store)).unwrap(),
            PASSWORD,
            now.unix_timestamp(),
        )
        .unwrap();
        let request = sign::SignRequest {
            field_name: format!("Signature{}", i + 1),
            ..sign::SignRequest::basic(now)
        };
        pdf = sign::sign_pdf(&pdf, &signer, &request).unwrap();
    }
    pdf
}

/// A detached CMS over `data` made by OpenSSL with the key store's key (any key, an AUTH one
/// too: what NCALayer would make with it).
fn openssl_cms(store: &str, data: &[u8]) -> Vec<u8> {
    use openssl::cms::{CMSOptions, CmsContentInfo};
    let parsed = openssl::pkcs12::Pkcs12::from_der(&key_store(store))
        .unwrap()
        .parse2(PASSWORD)
        .unwrap();
    let mut chain = openssl::stack::Stack::new().unwrap();
    for certificate in parsed.ca.into_iter().flatten() {
        chain.push(certificate).unwrap();
    }
    CmsContentInfo::sign(
        parsed.cert.as_deref(),
        parsed.pkey.as_deref(),
        Some(&chain),
        Some(data),
        CMSOptions::DETACHED | CMSOptions::BINARY,
    )
    .unwrap()
    .to_der()
    .unwrap()
}

/// A PDF of `pages` pages with no data: an attachment (a contract copy, a translation).
fn attachment(pages: usize) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut document = Document::with_version("1.7");
    let pages_id = document.new_object_id();
    let mut kids = Vec::new();
    for _ in 0..pages {
        let content = document.add_object(Stream::new(dictionary! {}, b"".to_vec()));
        kids.push(Object::Reference(document.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content,
        })));
    }
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
        }),
    );
    let catalog = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    document.trailer.set("Root", catalog);
    let mut out = Vec::new();
    document.save_to(&mut out).unwrap();
    out
}

fn file(name: &str, bytes: Vec<u8>) -> PackageFile {
    PackageFile {
        name: name.into(),
        bytes,
    }
}

/// The consistent package: the application signed by the importer's head, the obligation by
/// the importer's and the end user's heads, two pages attached (as the application declares).
fn package_with(
    application: &Value,
    obligation: &Value,
    obligation_signers: &[&str],
) -> Vec<PackageFile> {
    vec![
        file(
            "application.pdf",
            signed_pdf(application, &["applicant-company-head.p12"]),
        ),
        file("obligation.pdf", signed_pdf(obligation, obligation_signers)),
        file("contract.pdf", attachment(2)),
    ]
}

const BOTH_HEADS: [&str; 2] = ["applicant-company-head.p12", "end-user-head.p12"];

fn check(files: &[PackageFile]) -> PackageReport {
    check_package(files, &offline()).unwrap_or_else(|e| panic!("{e}"))
}

/// Exactly `name` failed, and it says why.
fn only_failed(report: &PackageReport, name: &str) {
    assert_eq!(report.failed(), [name], "{report:#?}");
    assert_eq!(report.verdict, Verdict::Rejected);
    let failed = report.check(name).unwrap();
    assert!(!failed.problems.is_empty(), "{failed:#?}");
    assert!(report.summary.contains(name), "{}", report.summary);
}

#[test]
fn a_consistent_package_passes_every_check() {
    let report = check(&package_with(
        &example("application.json"),
        &example("guarantee-obligation.json"),
        &BOTH_HEADS,
    ));
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "application.signatures",
            "guarantee_obligation.signatures",
            "application.signer",
            "guarantee_obligation.importer_signer",
            "guarantee_obligation.end_user_signer",
            "certificate",
            "importer",
            "end_user",
            "exporter",
            "goods",
            "contract",
            "dates",
            "sheets",
        ]
    );
    // Each check says what it compared: three goods lines of five fields each, all agreeing.
    let goods = report.check("goods").unwrap();
    assert_eq!(goods.compared.len(), 15, "{goods:#?}");
    assert!(goods.compared.iter().all(|c| c.agree));
    let quantity = &goods.compared[4];
    assert_eq!(quantity.field, "goods[0].quantity");
    assert_eq!(quantity.values["application"], "2");
    assert_eq!(quantity.values["guarantee_obligation"], "2");
    assert_eq!(
        report.application_number.as_deref(),
        Some("KZ-APP-2026-004512")
    );
    assert_eq!(report.documents.len(), 3);
    assert_eq!(report.documents[2].pages, Some(2));
    let signer = report.check("application.signer").unwrap();
    assert!(
        signer.compared[0].values["certificate"].starts_with("091240012346 (")
            && signer.compared[0].values["certificate"].contains("first head"),
        "{signer:#?}"
    );
}

#[test]
fn the_same_package_as_json_with_detached_cms_and_goods_in_another_order_passes() {
    let application = example("application.json");
    let mut obligation = example("guarantee-obligation.json");
    // By meaning, not by position or spelling: lines reordered, names in other case and quotes,
    // a quantity written "4.0".
    let goods = obligation["goods"].as_array_mut().unwrap();
    goods.reverse();
    goods[1]["quantity"] = json!("4.0");
    obligation["importer"]["name"] = json!("жшс \"АЛАТАУ  ТЕХНОЛОДЖИ\"");
    let application_json = bytes(&application);
    let report = check(&[
        file("application.json", application_json.clone()),
        file(
            "application.json.cms",
            openssl_cms("applicant-company-head.p12", &application_json),
        ),
        file("obligation.pdf", signed_pdf(&obligation, &BOTH_HEADS)),
        file("translation.pdf", attachment(1)),
        file("contract.pdf", attachment(1)),
    ]);
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
    assert_eq!(
        report.documents[0].signature_file.as_deref(),
        Some("application.json.cms")
    );
}

#[test]
fn each_mismatch_fails_exactly_its_check() {
    let application = example("application.json");
    let obligation = example("guarantee-obligation.json");
    let changed = |path: &[&str], value: Value| {
        let mut copy = obligation.clone();
        let mut target = &mut copy;
        for step in path {
            target = match step.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*step],
            };
        }
        *target = value;
        copy
    };

    let quantity = check(&package_with(
        &application,
        &changed(&["goods", "2", "quantity"], json!("12")),
        &BOTH_HEADS,
    ));
    only_failed(&quantity, "goods");
    let goods = quantity.check("goods").unwrap();
    let differing: Vec<&str> = goods
        .compared
        .iter()
        .filter(|c| !c.agree)
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(differing, ["goods[2].quantity"], "{goods:#?}");

    let code = check(&package_with(
        &application,
        &changed(&["goods", "1", "control_list_code"], json!("6A003.b.4.a")),
        &BOTH_HEADS,
    ));
    only_failed(&code, "goods");
    assert!(
        code.check("goods").unwrap().problems[0].contains(
            "control_list_code is 6A003.b.4.b in the application, 6A003.b.4.a in the obligation"
        ),
        "{code:#?}"
    );

    let mut missing_line = obligation.clone();
    missing_line["goods"].as_array_mut().unwrap().remove(1);
    let missing = check(&package_with(&application, &missing_line, &BOTH_HEADS));
    only_failed(&missing, "goods");
    assert!(
        missing.check("goods").unwrap().problems[0].contains("goods line 2 (Жылу бейнелеу камерасы TK-640, 8525893000) of the application is not in the obligation"),
        "{missing:#?}"
    );

    let contract = check(&package_with(
        &application,
        &changed(&["contract", "number"], json!("MM-KZ/2026-018")),
        &BOTH_HEADS,
    ));
    only_failed(&contract, "contract");

    let one_signature = check(&package_with(
        &application,
        &obligation,
        &["applicant-company-head.p12"],
    ));
    only_failed(&one_signature, "guarantee_obligation.end_user_signer");
    assert!(
        one_signature
            .check("guarantee_obligation.end_user_signer")
            .unwrap()
            .problems[0]
            .contains("no signature of the end user (BIN 150340005675)"),
        "{one_signature:#?}"
    );

    let mut wrong_sheets = application.clone();
    wrong_sheets["sheets_attached"] = json!(3);
    let sheets = check(&package_with(&wrong_sheets, &obligation, &BOTH_HEADS));
    only_failed(&sheets, "sheets");
    assert_eq!(
        sheets.check("sheets").unwrap().problems,
        ["the application declares 3 sheets attached; the attachments have 2 pages"]
    );
}

/// The application by someone who may not sign it: another company's head, or the applicant's
/// employee without the right to sign.
#[test]
fn the_application_signed_by_another_bin_or_an_employee_fails_its_signer_check() {
    let application = example("application.json");
    let obligation = signed_pdf(&example("guarantee-obligation.json"), &BOTH_HEADS);
    for (store, expected) in [
        (
            "end-user-head.p12",
            "no signature of the applicant (BIN 091240012346); signed by 150340005675",
        ),
        (
            "applicant-company-employee.p12",
            "neither its first head nor a person with the right to sign",
        ),
    ] {
        let report = check(&[
            file("application.pdf", signed_pdf(&application, &[store])),
            file("obligation.pdf", obligation.clone()),
            file("contract.pdf", attachment(2)),
        ]);
        only_failed(&report, "application.signer");
        let problem = &report.check("application.signer").unwrap().problems[0];
        assert!(problem.contains(expected), "{store}: {problem}");
    }
}

/// An individual's import certificate package (no end user), the application signed with the
/// applicant's AUTH key: the signature fails the verifier's rules, and only that check fails.
#[test]
fn an_auth_key_fails_the_signature_check_of_an_individuals_package() {
    let (application, obligation) = individual_package();
    let application_json = bytes(&application);
    let report = check(&[
        file("application.json", application_json.clone()),
        file(
            "application.p7s",
            openssl_cms("auth-only.p12", &application_json),
        ),
        file(
            "obligation.pdf",
            signed_pdf(&obligation, &["applicant-individual.p12"]),
        ),
    ]);
    only_failed(&report, "application.signatures");
    let problems = &report.check("application.signatures").unwrap().problems;
    assert!(problems[0].contains("AUTH"), "{problems:?}");
    assert!(
        report
            .check("guarantee_obligation.end_user_signer")
            .is_none()
    );

    // The same package signed with the applicant's SIGN key passes.
    let report = check(&[
        file("application.json", application_json.clone()),
        file(
            "application.p7s",
            openssl_cms("applicant-individual.p12", &application_json),
        ),
        file(
            "obligation.pdf",
            signed_pdf(&obligation, &["applicant-individual.p12"]),
        ),
    ]);
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
}

/// An International Import Certificate package of the development PKI's individual
/// (IIN 850712300453), nothing attached.
fn individual_package() -> (Value, Value) {
    let person = json!({
        "name": "Оспанова Әйгерім Нұрланқызы", "country": "KZ",
        "address": "050000, Алматы қ., Сейфуллин даңғ., 1", "phone": "+7 701 000 00 00",
        "bin_iin": "850712300453"
    });
    let mut application = example("application.json");
    application["certificate"] = json!("import_certificate");
    application["applicant"] = json!({
        "kind": "individual", "name": "Оспанова Әйгерім Нұрланқызы", "bin_iin": "850712300453",
        "address": "050000, Алматы қ., Сейфуллин даңғ., 1", "phone": "+7 701 000 00 00"
    });
    application["signatory"] = json!("Оспанова Әйгерім Нұрланқызы");
    application["sheets_attached"] = json!(0);
    let request = application["request"].as_object_mut().unwrap();
    request.insert("importer".into(), person.clone());
    for key in ["end_user", "place_of_use", "purpose_of_use"] {
        request.remove(key);
    }
    let mut obligation = example("guarantee-obligation.json");
    obligation["certificate"] = json!("import_certificate");
    obligation["importer"] = person;
    obligation["importer_signatory"]["full_name"] = json!("Оспанова Әйгерім Нұрланқызы");
    obligation["importer_signatory"]["position"] = json!("жеке тұлға");
    let object = obligation.as_object_mut().unwrap();
    object.remove("end_user");
    object.remove("end_user_signatory");
    (application, obligation)
}

/// Both documents signed as NCALayer does with the CA's GOST 2015 test key, verified at a time
/// inside its validity with the test CA and its CRL: the GOST signatures pass; the test key's
/// IIN (IIN123456789012: no valid birth date, so no applicant can carry it) is not the
/// applicant's, which the signer checks say, naming it.
#[test]
fn gost_2015_signatures_of_the_test_ca_are_checked_at_their_time() {
    let (mut application, mut obligation) = individual_package();
    application["date"] = json!("2022-12-01");
    application["request"]["contract"]["date"] = json!("2022-11-01");
    obligation["contract"]["date"] = json!("2022-11-01");
    obligation["importer_signatory"]["date"] = json!("2022-11-20");
    let key =
        gost::GostKey::from_pkcs12(&nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"), "Aa123456").unwrap();
    let certificate = der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem");
    let (application_json, obligation_json) = (bytes(&application), bytes(&obligation));
    let files = [
        file("application.json", application_json.clone()),
        file(
            "application.cms",
            gost_cms_with(&key, &certificate, &application_json, false),
        ),
        file("obligation.json", obligation_json.clone()),
        file(
            "obligation.cms",
            gost_cms_with(&key, &certificate, &obligation_json, false),
        ),
    ];
    let options = eucdoc::verify::VerifyOptions {
        trust_anchors: vec![der("ca/nca_gost2015_test.cer")],
        crls: vec![std::fs::read(nca_path("crl/nca_gost2022_test.crl")).unwrap()],
        at: Some(time::macros::datetime!(2022-12-01 12:30).as_utc()),
        offline: true,
        ..Default::default()
    };
    let report = check_package(&files, &options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report.failed(),
        ["application.signer", "guarantee_obligation.importer_signer"],
        "{report:#?}"
    );
    let signer = report.check("application.signer").unwrap();
    assert!(
        signer.problems[0].contains("signed by 123456789012"),
        "{signer:#?}"
    );
    let verification = report.documents[0].verification.as_ref().unwrap();
    assert_eq!(verification.indication.name(), "TOTAL-PASSED");

    // The CMS of the obligation over the application's data: refused, naming the file.
    let crossed = [
        file("application.json", application_json.clone()),
        file(
            "application.cms",
            gost_cms_with(&key, &certificate, &obligation_json, false),
        ),
        file("obligation.json", obligation_json),
        file(
            "obligation.cms",
            gost_cms_with(&key, &certificate, &application_json, false),
        ),
    ];
    match check_package(&crossed, &options) {
        Err(PackageError::Unreadable { file, reason }) => {
            assert_eq!(file, "application.cms");
            assert!(reason.contains("over other data"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// A defence-order import is answered "paper only" and not processed.
#[test]
fn a_defence_order_import_is_paper_only() {
    let mut application = example("application.json");
    application["defence_order"] = json!(true);
    let report = check(&[file(
        "application.pdf",
        signed_pdf(&application, &["applicant-company-head.p12"]),
    )]);
    assert_eq!(report.verdict, Verdict::PaperOnly);
    assert!(report.checks.is_empty());
    assert!(report.summary.contains("paper"), "{}", report.summary);
}

#[test]
fn malformed_and_hostile_packages_are_refused_with_the_path() {
    let application = example("application.json");
    let obligation = signed_pdf(&example("guarantee-obligation.json"), &BOTH_HEADS);
    let signed_application = signed_pdf(&application, &["applicant-company-head.p12"]);

    // A truncated PDF.
    let truncated = signed_application[..signed_application.len() / 2].to_vec();
    match check_package(
        &[
            file("application.pdf", truncated),
            file("obligation.pdf", obligation.clone()),
        ],
        &offline(),
    ) {
        Err(PackageError::Unreadable { file, .. }) => assert_eq!(file, "application.pdf"),
        other => panic!("{other:?}"),
    }

    // 10,000 goods lines.
    let mut huge = application.clone();
    let line = huge["request"]["goods"][0].clone();
    huge["request"]["goods"] = Value::Array(vec![line; 10_000]);
    let huge_json = bytes(&huge);
    match check_package(
        &[
            file("application.json", huge_json.clone()),
            file(
                "application.cms",
                openssl_cms("applicant-company-head.p12", &huge_json),
            ),
            file("obligation.pdf", obligation.clone()),
        ],
        &offline(),
    ) {
        Err(PackageError::Invalid { file, errors, .. }) => {
            assert_eq!(file, "application.json");
            assert!(errors.has_path("request.goods"), "{errors}");
        }
        other => panic!("{other:?}"),
    }

    // JSON nested ten thousand deep.
    let deep = format!(
        "{{\"document\": \"application\", \"request\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    )
    .into_bytes();
    match check_package(
        &[
            file("application.json", deep.clone()),
            file(
                "application.cms",
                openssl_cms("applicant-company-head.p12", &deep),
            ),
            file("obligation.pdf", obligation.clone()),
        ],
        &offline(),
    ) {
        Err(PackageError::Invalid { file, errors, .. }) => {
            assert_eq!(file, "application.json");
            assert!(errors.has_path("$"), "{errors}");
        }
        other => panic!("{other:?}"),
    }

    // No obligation; a JSON without its signature; an invalid box.
    match check_package(
        &[file("application.pdf", signed_application.clone())],
        &offline(),
    ) {
        Err(PackageError::Incomplete(reason)) => {
            assert!(reason.contains("no guarantee obligation"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    match check_package(
        &[
            file("application.json", bytes(&application)),
            file("obligation.pdf", obligation.clone()),
        ],
        &offline(),
    ) {
        Err(PackageError::Unreadable { file, reason }) => {
            assert_eq!(file, "application.json");
            assert!(reason.contains("no detached signature"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut bad_code = application.clone();
    bad_code["request"]["goods"][1]["hs_code"] = json!("7712345678");
    let bad_json = bytes(&bad_code);
    match check_package(
        &[
            file("application.json", bad_json.clone()),
            file(
                "application.cms",
                openssl_cms("applicant-company-head.p12", &bad_json),
            ),
            file("obligation.pdf", obligation),
        ],
        &offline(),
    ) {
        Err(PackageError::Invalid { errors, .. }) => {
            assert!(errors.has_path("request.goods[1].hs_code"), "{errors}")
        }
        other => panic!("{other:?}"),
    }
}

/// Over HTTP: multipart in, the report out; the same refusals as problem+json with the path.
#[test]
fn post_v1_applications_checks_a_package() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The service's own development PKI signs this package, so its root is the service's anchor.
    let (_server, base, token) = common::browser::serve(&data, &[]);
    let pki = data.join("dev-pki");
    let sign_with = |value: &Value, stores: &[&str]| signed_pdf_of(&pki, value, stores);
    let application = sign_with(
        &example("application.json"),
        &["applicant-company-head.p12"],
    );
    let obligation = sign_with(&example("guarantee-obligation.json"), &BOTH_HEADS);
    let post = |parts: &[(&str, &[u8])]| {
        let boundary = "eucdoc-package-boundary";
        let mut body = Vec::new();
        for (name, bytes) in parts {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let response = common::browser::agent()
            .post(format!("{base}/v1/applications?offline=true"))
            .header("Authorization", &format!("Bearer {token}"))
            .header(
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send(&body[..])
            .unwrap();
        let status = response.status().as_u16();
        let mut response = response;
        let text = response.body_mut().read_to_string().unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, body)
    };
    let contract = attachment(2);
    let (status, report) = post(&[
        ("application.pdf", &application),
        ("obligation.pdf", &obligation),
        ("contract.pdf", &contract),
    ]);
    assert_eq!(status, 201, "{report:#}");
    assert_eq!(report["verdict"], "accepted", "{report:#}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 13);
    let application_id = report["application_id"].as_str().unwrap().to_string();
    let get = |path: &str| {
        let mut response = common::browser::agent()
            .get(format!("{base}{path}"))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
        )
    };
    let issue = |body: &Value, query: &str| {
        let mut response = common::browser::agent()
            .post(format!("{base}/v1/documents{query}"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(&bytes(body)[..])
            .unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
        )
    };
    let (status, kept) = get(&format!("/v1/applications/{application_id}"));
    assert_eq!(status, 200, "{kept:#}");
    assert_eq!(kept["number"], "KZ-APP-2026-004512");
    assert_eq!(kept["report"]["verdict"], "accepted");
    assert_eq!(kept["package_sha256"].as_str().unwrap().len(), 64);

    // A certificate issued against the package: it must match it.
    let certificate: Value =
        serde_json::from_slice(&common::example("end-user-certificate.json")).unwrap();
    let linked = format!("?application_id={application_id}");
    let mut other = certificate.clone();
    other["goods"][0]["quantity"] = json!("3");
    other["contract"]["number"] = json!("MM-KZ/2026-099");
    let (status, problem) = issue(&other, &linked);
    assert_eq!(status, 422, "{problem:#}");
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["goods", "contract"], "{problem:#}");
    assert!(
        problem["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("quantity is 2 in the application, 3 in the certificate"),
        "{problem:#}"
    );
    // A draft for the officer's own key names the package too, and must match it the same way.
    let officer =
        openssl::pkcs12::Pkcs12::from_der(&std::fs::read(pki.join("officer.p12")).unwrap())
            .unwrap()
            .parse2(PASSWORD)
            .unwrap()
            .cert
            .unwrap()
            .to_der()
            .unwrap();
    let draft = |document: &Value| {
        use base64::Engine;
        let body = json!({
            "document": document,
            "certificate": base64::engine::general_purpose::STANDARD.encode(&officer),
            "application_id": application_id,
        });
        let mut response = common::browser::agent()
            .post(format!("{base}/v1/drafts"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(&bytes(&body)[..])
            .unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
        )
    };
    let (status, problem) = draft(&other);
    assert_eq!(status, 422, "{problem:#}");
    assert_eq!(
        problem["errors"][0]["path"], "document.goods",
        "{problem:#}"
    );
    let (status, drafted) = draft(&certificate);
    assert_eq!(status, 201, "{drafted:#}");
    let (_, drafted) = get(&format!(
        "/v1/documents/{}",
        drafted["id"].as_str().unwrap()
    ));
    assert_eq!(
        drafted["application_id"],
        application_id.as_str(),
        "{drafted:#}"
    );

    let (status, issued) = issue(&certificate, &linked);
    assert_eq!(status, 201, "{issued:#}");
    assert_eq!(issued["application_id"], application_id.as_str());
    let (status, missing) = issue(&certificate, "?application_id=no-such-package");
    assert_eq!(status, 422, "{missing:#}");
    assert_eq!(missing["errors"][0]["path"], "application_id");

    // A refusal takes the application's number and date from the package.
    let mut refusal: Value = serde_json::from_slice(&common::example("refusal.json")).unwrap();
    refusal.as_object_mut().unwrap().remove("application");
    refusal["recipient"]["bin_iin"] = json!("091240012346");
    let (status, refused) = issue(&refusal, &linked);
    assert_eq!(status, 201, "{refused:#}");
    let (_, record) = get(&format!(
        "/v1/documents/{}",
        refused["id"].as_str().unwrap()
    ));
    assert_eq!(
        record["application_id"],
        application_id.as_str(),
        "{record:#}"
    );
    let (status, refused_pdf) = {
        let mut response = common::browser::agent()
            .get(format!(
                "{base}/v1/documents/{}/package",
                refused["id"].as_str().unwrap()
            ))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        (
            response.status().as_u16(),
            response
                .body_mut()
                .with_config()
                .limit(50_000_000)
                .read_to_vec()
                .unwrap(),
        )
    };
    assert_eq!(status, 200);
    // The bag is stored, not deflated: its data.json and audit trail read as text.
    let bag = String::from_utf8_lossy(&refused_pdf);
    assert!(
        bag.contains("\"number\": \"KZ-APP-2026-004512\""),
        "the refusal's data names the application"
    );
    assert!(bag.contains("\"date\": \"2026-02-10\""));
    assert!(
        bag.contains(&format!("\\\"application_id\\\":\\\"{application_id}\\\"")),
        "the audit names the package"
    );

    // Search and the package's record show the link.
    let (_, found) = get(&format!("/v1/documents?application_id={application_id}"));
    // The certificate, its draft and the refusal.
    assert_eq!(found["documents"].as_array().unwrap().len(), 3, "{found:#}");
    let (_, kept) = get(&format!("/v1/applications/{application_id}"));
    assert_eq!(kept["documents"].as_array().unwrap().len(), 3, "{kept:#}");

    // A rejected package is answered, not kept.
    let (status, rejected) = post(&[
        ("application.pdf", &application),
        ("obligation.pdf", &obligation),
    ]);
    assert_eq!(status, 200, "{rejected:#}");
    assert_eq!(rejected["verdict"], "rejected");
    assert!(rejected.get("application_id").is_none());

    let mut huge = example("application.json");
    let line = huge["request"]["goods"][0].clone();
    huge["request"]["goods"] = Value::Array(vec![line; 10_000]);
    let huge = bytes(&huge);
    let huge_cms = openssl_cms("applicant-company-head.p12", &huge);
    let (status, problem) = post(&[
        ("application.json", &huge),
        ("application.json.cms", &huge_cms),
        ("obligation.pdf", &obligation),
    ]);
    assert_eq!(status, 422, "{problem:#}");
    assert_eq!(
        problem["errors"][0]["path"], "application.json:request.goods",
        "{problem:#}"
    );

    let (status, problem) = post(&[("application.pdf", &application)]);
    assert_eq!(status, 400, "{problem:#}");
    assert_eq!(problem["code"], "incomplete-package");

    let (status, problem) = post(&[
        ("application.pdf", &application[..application.len() / 3]),
        ("obligation.pdf", &obligation),
    ]);
    assert_eq!(status, 422, "{problem:#}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("application.pdf: "),
        "{problem:#}"
    );
}

/// `eucdoc application render` and `check`: the rendered documents carry the seed's wording
/// and their data; the CLI's exit code follows the verdict.
#[test]
fn the_cli_renders_and_checks_a_package() {
    let dir = tempfile::tempdir().unwrap();
    let eucdoc = env!("CARGO_BIN_EXE_eucdoc");
    let rendered = dir.path().join("obligation.pdf");
    let application = dir.path().join("application.pdf");
    for (input, output, seeds) in [
        (
            "guarantee-obligation.json",
            &rendered,
            &[
                "Импорттаушының (түпкілікті пайдаланушының) кепілдік міндеттемесі",
                "9. Сыртқы сауда келісімінің (келісімшартының) немесе өзге де иеліктен шығару құжатының нөмірі, күні",
                "5-бағанда көрсетілген мақсаттарда пайдалануға",
                "Цифрлық осциллограф MM-8004",
            ][..],
        ),
        (
            "application.json",
            &application,
            &[
                "Түпкілікті пайдаланушысының сертификатын алуға өтініш",
                "барлық қоса беріліп отырған құжаттар шындыққа сәйкес келеді және жарамды болып табылады",
                "Толтыру күні 2026 жылғы \"10\" ақпан",
            ][..],
        ),
    ] {
        let input = common::root().join("examples/incoming").join(input);
        let out = common::run(
            eucdoc,
            &[
                "application",
                "render",
                input.to_str().unwrap(),
                "-o",
                output.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = common::fold(&common::pdf_text(output, None));
        for seed in seeds {
            assert!(text.contains(&common::fold(seed)), "{seed} not in {text}");
        }
    }
    for kind in ["application", "guarantee_obligation", "application-report"] {
        let out = common::run(eucdoc, &["schema", kind]);
        assert!(out.status.success(), "{kind}");
        let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(schema["properties"].is_object(), "{kind}: {schema}");
    }

    // Checked from files: signed, accepted (exit 0); the obligation unsigned, rejected (exit 1).
    let files = [
        (
            application.clone(),
            signed_pdf(
                &example("application.json"),
                &["applicant-company-head.p12"],
            ),
        ),
        (
            rendered.clone(),
            signed_pdf(&example("guarantee-obligation.json"), &BOTH_HEADS),
        ),
        (dir.path().join("contract.pdf"), attachment(2)),
    ];
    for (path, bytes) in &files {
        std::fs::write(path, bytes).unwrap();
    }
    let root = pki().1.root.to_str().unwrap().to_string();
    let crl = pki().1.crl.to_str().unwrap().to_string();
    let root_crl = pki().1.root_crl.to_str().unwrap().to_string();
    let mut args = vec!["application", "check"];
    let paths: Vec<String> = files
        .iter()
        .map(|(p, _)| p.to_str().unwrap().to_string())
        .collect();
    args.extend(paths.iter().map(String::as_str));
    args.extend([
        "--trust",
        &root,
        "--crl",
        &crl,
        "--crl",
        &root_crl,
        "--offline",
    ]);
    let out = common::run(eucdoc, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("Accepted"), "{stdout}");
    assert!(stdout.contains("passed goods"), "{stdout}");

    std::fs::write(
        &rendered,
        renderer()
            .render_incoming(
                &common::example("incoming/guarantee-obligation.json"),
                now(),
            )
            .unwrap(),
    )
    .unwrap();
    let out = common::run(eucdoc, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED guarantee_obligation.signatures"),
        "{stdout}"
    );
}

/// The officers' desk: the package page, signed in with a token, in Russian; the report as a
/// page, the package kept.
#[test]
fn the_desk_shows_a_package_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_server, base, token) = common::browser::serve(&data, &[]);
    let agent = common::browser::agent();
    let cookies_of = |response: &ureq::http::Response<ureq::Body>| -> Vec<String> {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .collect()
    };
    let page = agent.get(format!("{base}/desk/sign-in")).call().unwrap();
    let sign_in_cookie = cookies_of(&page)
        .into_iter()
        .find(|c| c.starts_with("eucdoc_desk_signin="))
        .unwrap();
    let csrf = sign_in_cookie
        .trim_start_matches("eucdoc_desk_signin=")
        .to_string();
    let signed_in = agent
        .post(format!("{base}/desk/sign-in"))
        .header("Cookie", &sign_in_cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("csrf={csrf}&token={token}"))
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = cookies_of(&signed_in)
        .into_iter()
        .find(|c| c.starts_with("eucdoc_desk="))
        .unwrap();
    let cookie = format!("{session}; eucdoc_lang=ru");
    let mut form_page = agent
        .get(format!("{base}/desk/applications"))
        .header("Cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(form_page.status(), 200);
    let html = form_page.body_mut().read_to_string().unwrap();
    assert!(html.contains("Проверка пакета заявления"), "{html}");
    let form_csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();

    let pki = data.join("dev-pki");
    let sign_with = |value: &Value, stores: &[&str]| signed_pdf_of(&pki, value, stores);
    let mut quantity = example("guarantee-obligation.json");
    quantity["goods"][0]["quantity"] = json!("5");
    for (obligation, accepted) in [
        (example("guarantee-obligation.json"), true),
        (quantity, false),
    ] {
        let parts: Vec<(&str, Vec<u8>)> = vec![
            (
                "application.pdf",
                sign_with(
                    &example("application.json"),
                    &["applicant-company-head.p12"],
                ),
            ),
            ("obligation.pdf", sign_with(&obligation, &BOTH_HEADS)),
            ("contract.pdf", attachment(2)),
        ];
        let boundary = "eucdoc-desk-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{form_csrf}\r\n"
        )
        .into_bytes();
        for (name, bytes) in &parts {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut answer = agent
            .post(format!("{base}/desk/applications"))
            .header("Cookie", &cookie)
            .header(
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send(&body[..])
            .unwrap();
        assert_eq!(answer.status(), 200);
        let html = answer.body_mut().read_to_string().unwrap();
        if accepted {
            assert!(
                html.contains("Пакет принят: все проверки пройдены"),
                "{html}"
            );
            assert!(html.contains("id=\"application-id\""), "{html}");
            assert!(
                html.contains("Подписант — гарантийное обязательство (Конечный пользователь)"),
                "{html}"
            );
        } else {
            assert!(html.contains("Пакет не принят"), "{html}");
            assert!(
                !html.contains("id=\"application-id\""),
                "a rejected package is not kept"
            );
            let goods_row = html.split("id=\"check-goods\"").nth(1).unwrap();
            let goods_row = goods_row.split("</tr>").next().unwrap();
            assert!(goods_row.contains("Не пройдена"), "{goods_row}");
            assert!(
                goods_row.contains("quantity is 2 in the application, 5 in the obligation"),
                "{goods_row}"
            );
            assert!(goods_row.contains("class=\"differs\""), "{goods_row}");
        }
    }
}
