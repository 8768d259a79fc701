//! PAdES B-B signatures that tools we did not write accept: poppler's pdfsig (with the dev root
//! trusted in an NSS database), `openssl cms -verify`, pyHanko, qpdf.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::{TestTsa, example, renderer, root, run, start_tsa_of, write_temp};
use eucdoc::devpki;
use eucdoc::model;
use eucdoc::sign::{self, SignError, Signer};

const PASSWORD: &str = "test-password";

/// The tests' signing time: now, fixed once per run. Signing talks to a real TSA and OCSP
/// responder, which answer at the real time, so the test PKI is made at the real time too.
fn now() -> time::UtcDateTime {
    static NOW: OnceLock<time::UtcDateTime> = OnceLock::new();
    *NOW.get_or_init(|| {
        let now = time::UtcDateTime::now();
        now.replace_nanosecond(0).unwrap_or(now)
    })
}

/// One development PKI for the whole test binary.
fn pki() -> &'static (tempfile::TempDir, devpki::DevPkiFiles) {
    static PKI: OnceLock<(tempfile::TempDir, devpki::DevPkiFiles)> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let files = devpki::generate(dir.path(), PASSWORD, now().unix_timestamp()).unwrap();
        (dir, files)
    })
}

fn pki_file(name: &str) -> PathBuf {
    pki().0.path().join(name)
}

fn open(name: &str) -> Result<sign::KeyStoreSigner, SignError> {
    let store = std::fs::read(pki_file(name)).unwrap();
    let crl = std::fs::read(&pki().1.crl).unwrap();
    sign::open_signer(&store, PASSWORD, now().unix_timestamp(), &[crl], &[])
}

/// Renders the Form 1 example and signs it with the officer's key, as `render --p12` does.
fn signed_example() -> (Vec<u8>, Vec<u8>) {
    let input = model::parse(&example("end-user-certificate.json")).unwrap();
    let signer = open("officer.p12").unwrap();
    let renderer = renderer();
    let rendered = renderer
        .render_marked(
            &input,
            "KZ-EUC-2026-000123",
            now(),
            sign::is_test_signer(&signer),
        )
        .unwrap();
    let signed = sign::sign_with_stamp(
        &rendered.pdf,
        &signer,
        &renderer,
        &sign::StampOptions {
            place: &rendered.signature_place,
            position: input.document().signer_position(),
            time: now(),
            levels: &sign::LevelOptions::default(),
            watermark_pages: false,
        },
    )
    .unwrap();
    (rendered.pdf, signed)
}

/// The ByteRange and the DER in /Contents, read from the file as any verifier would.
fn byte_range_and_cms(pdf: &[u8]) -> ([usize; 4], Vec<u8>) {
    let text = String::from_utf8_lossy(pdf);
    let key = text.rfind("/ByteRange").expect("a ByteRange");
    let start = key + text[key..].find('[').unwrap() + 1;
    let end = start + text[start..].find(']').unwrap();
    let numbers: Vec<usize> = text[start..end]
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let range: [usize; 4] = numbers.try_into().unwrap();
    let hex = &pdf[range[1] + 1..range[2] - 1];
    let mut der = hex::decode(hex).unwrap();
    // Strip the zero padding after the DER (its length is in the DER header).
    let len = der_length(&der);
    der.truncate(len);
    (range, der)
}

fn der_length(der: &[u8]) -> usize {
    match der[1] {
        n if n < 0x80 => 2 + n as usize,
        n => {
            let count = (n & 0x7f) as usize;
            let mut len = 0usize;
            for b in &der[2..2 + count] {
                len = len * 256 + *b as usize;
            }
            2 + count + len
        }
    }
}

#[test]
fn byte_range_covers_all_but_contents_and_original_is_a_prefix() {
    let (original, signed) = signed_example();
    assert!(
        signed.starts_with(&original),
        "the original bytes must stay untouched"
    );
    let (range, cms) = byte_range_and_cms(&signed);
    assert_eq!(range[0], 0);
    assert_eq!(
        range[2] + range[3],
        signed.len(),
        "the second range reaches EOF"
    );
    assert_eq!(signed[range[1]], b'<');
    assert_eq!(signed[range[2] - 1], b'>');
    assert!(range[1] > original.len(), "the hole is in the update");
    assert!(!cms.is_empty());
}

fn tool_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn pdfsig_reports_valid_and_trusted() {
    let (_, signed) = signed_example();
    let dir = tool_dir();
    let pdf = write_temp(dir.path(), "signed.pdf", &signed);
    // An NSS database that trusts the development root.
    let db = dir.path().join("nss");
    std::fs::create_dir(&db).unwrap();
    let db_arg = format!("sql:{}", db.display());
    assert!(
        run("certutil", &["-N", "-d", &db_arg, "--empty-password"])
            .status
            .success()
    );
    let out = run(
        "certutil",
        &[
            "-A",
            "-d",
            &db_arg,
            "-n",
            "eucdoc-dev-root",
            "-t",
            "C,C,C",
            "-i",
            pki().1.root.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        "certutil",
        &[
            "-A",
            "-d",
            &db_arg,
            "-n",
            "eucdoc-dev-nca",
            "-t",
            ",,",
            "-i",
            pki().1.nca.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let out = run("pdfsig", &["-nssdir", &db_arg, pdf.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("Signature Validation: Signature is Valid."),
        "{report}"
    );
    assert!(
        report.contains("Certificate Validation: Certificate is Trusted."),
        "{report}"
    );
    assert!(
        report.contains("Signature Type: ETSI.CAdES.detached"),
        "{report}"
    );
    assert!(report.contains("Total document signed"), "{report}");
    assert!(report.contains("IIN880101300123"), "{report}");
}

#[test]
fn openssl_cms_verifies_and_attributes_are_pades_baseline() {
    let (_, signed) = signed_example();
    let dir = tool_dir();
    let (range, cms) = byte_range_and_cms(&signed);
    let cms_path = write_temp(dir.path(), "sig.der", &cms);
    let mut content = signed[..range[1]].to_vec();
    content.extend_from_slice(&signed[range[2]..range[2] + range[3]]);
    let content_path = write_temp(dir.path(), "content.bin", &content);
    let out = openssl_cms_verify(
        cms_path.to_str().unwrap(),
        content_path.to_str().unwrap(),
        pki().1.root.to_str().unwrap(),
        &[],
    );
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Verification successful"));
    let out = run(
        "openssl",
        &[
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            cms_path.to_str().unwrap(),
        ],
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("id-smime-aa-signingCertificateV2"),
        "{printed}"
    );
    assert!(
        printed.contains("pkcs9-messageDigest") || printed.contains("messageDigest"),
        "{printed}"
    );
    assert!(
        !printed.contains("signingTime"),
        "PAdES baseline forbids signing-time:\n{printed}"
    );
    assert!(
        printed.contains("eContent: <ABSENT>"),
        "detached:\n{printed}"
    );
    // The tampered content fails.
    let mut tampered = content.clone();
    tampered[1000] ^= 1;
    let tampered_path = write_temp(dir.path(), "tampered.bin", &tampered);
    let out = openssl_cms_verify(
        cms_path.to_str().unwrap(),
        tampered_path.to_str().unwrap(),
        pki().1.root.to_str().unwrap(),
        &[],
    );
    assert!(!out.status.success());
}

#[test]
fn signed_pdf_is_still_pdf_a_and_qpdf_clean() {
    let (_, signed) = signed_example();
    let dir = tool_dir();
    let pdf = write_temp(dir.path(), "signed.pdf", &signed);
    let out = run("qpdf", &["--check", pdf.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run("pdfinfo", &["-meta", pdf.to_str().unwrap()]);
    let xmp = String::from_utf8_lossy(&out.stdout);
    assert!(
        xmp.contains("<pdfaid:part>3</pdfaid:part>")
            && xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>")
    );
}

#[test]
fn stamp_and_watermark_are_visible_and_say_test() {
    let (_, signed) = signed_example();
    let dir = tool_dir();
    let pdf = write_temp(dir.path(), "signed.pdf", &signed);
    let text = common::pdf_text(&pdf, None);
    for expected in [
        "ЭЛЕКТРОНДЫҚ ЦИФРЛЫҚ ҚОЛТАҢБАМЕН ҚОЛ ҚОЙЫЛДЫ",
        "ПОДПИСАНО ЭЛЕКТРОННОЙ ЦИФРОВОЙ ПОДПИСЬЮ",
        "ЖҰМАБЕКОВ ЕРЛАН СЕРІКҰЛЫ",
        "ЖСН / ИИН: 880101300123",
        "БСН / БИН: 130940001234",
        &astana(now()),
        "ТЕСТ ҚҰЖАТ — ЗАҢДЫ КҮШІ ЖОҚ / ТЕСТОВЫЙ ДОКУМЕНТ",
        "ТЕСТОВЫЙ ДОКУМЕНТ",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // Rasterised, the stamp's frame is drawn in the reserved place: its ink is red.
    let prefix = dir.path().join("page");
    assert!(
        run(
            "pdftoppm",
            &[
                "-r",
                "72",
                "-png",
                pdf.to_str().unwrap(),
                prefix.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
}

fn now_rfc3339() -> String {
    let t = now();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// "DD.MM.YYYY HH:MM:SS" at UTC+5, computed here independently of the library.
fn astana(time: time::UtcDateTime) -> String {
    let local = time + time::Duration::hours(5);
    format!(
        "{:02}.{:02}.{} {:02}:{:02}:{:02}",
        local.day(),
        local.month() as u8,
        local.year(),
        local.hour(),
        local.minute(),
        local.second()
    )
}

fn refused(name: &str) -> SignError {
    open(name).expect_err("the key must be refused")
}

#[test]
fn unusable_keys_are_refused_with_clear_errors() {
    assert!(matches!(refused("revoked.p12"), SignError::Revoked { .. }));
    assert!(matches!(refused("auth-only.p12"), SignError::NotForSigning));
    assert!(matches!(
        refused("expired.p12"),
        SignError::CertificateExpired { .. }
    ));
    let store = std::fs::read(pki_file("officer.p12")).unwrap();
    let wrong = sign::open_signer(&store, "wrong", now().unix_timestamp(), &[], &[]).unwrap_err();
    assert!(matches!(wrong, SignError::WrongPassword), "{wrong}");
    assert!(
        !wrong.to_string().contains("wrong\""),
        "the password is never echoed"
    );
    // A key that is fine without a CRL check is refused with the CRL that lists it.
    let revoked = std::fs::read(pki_file("revoked.p12")).unwrap();
    assert!(sign::open_signer(&revoked, PASSWORD, now().unix_timestamp(), &[], &[]).is_ok());
}

#[test]
fn cli_refusals_exit_2_and_write_nothing() {
    let dir = tool_dir();
    let out = dir.path().join("out.pdf");
    for (store, crl, reason) in [
        ("revoked.p12", true, "revoked"),
        ("auth-only.p12", false, "nonRepudiation"),
        ("expired.p12", false, "expired"),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_eucdoc"));
        command
            .args(["render", "examples/end-user-certificate.json", "-o"])
            .arg(&out)
            .arg("--p12")
            .arg(pki_file(store))
            .args([
                "--password-env",
                "EUCDOC_TEST_PASSWORD",
                "--at",
                &now_rfc3339(),
            ])
            .env("EUCDOC_TEST_PASSWORD", PASSWORD)
            .current_dir(root());
        if crl {
            command.arg("--crl").arg(&pki().1.crl);
        }
        let result = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{store}: {stderr}");
        assert!(stderr.contains(reason), "{store}: {stderr}");
        assert!(!out.exists(), "{store}: no file may be written");
    }
    let result = Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .args(["render", "examples/end-user-certificate.json", "-o"])
        .arg(&out)
        .arg("--p12")
        .arg(pki_file("officer.p12"))
        .args(["--password-env", "EUCDOC_TEST_PASSWORD"])
        .env("EUCDOC_TEST_PASSWORD", "not-the-password")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("wrong password") && !stderr.contains("not-the-password"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn cli_sign_signs_any_pdf() {
    let dir = tool_dir();
    let plain = write_temp(
        dir.path(),
        "plain.pdf",
        &common::render_bytes(&example("refusal.json")).pdf,
    );
    let out = dir.path().join("signed.pdf");
    cli_sign_as_applicant(&plain, &out);
    let report = run("pdfsig", &[out.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains("Signature is Valid."),
        "ECDSA P-256 signature: {report}"
    );
    let plain_bytes = std::fs::read(&plain).unwrap();
    assert!(std::fs::read(&out).unwrap().starts_with(&plain_bytes));
    // A development key on a PDF eucdoc did not sign before: the watermark is behind the page,
    // and the stamp says so too.
    let text = common::pdf_text(&out, None);
    // Rotated text comes out in pieces: compare without white space.
    let squeezed: String = text.split_whitespace().collect();
    assert!(squeezed.starts_with("ТЕСТҚҰЖАТТЕСТОВЫЙДОКУМЕНТ"), "{text}");
    assert!(text.contains("ТЕСТ ҚҰЖАТ — ЗАҢДЫ КҮШІ ЖОҚ"), "{text}");
    assert!(!common::pdf_text(&plain, None).contains("ТЕСТОВЫЙ ДОКУМЕНТ"));
}

/// Verification against the development PKI's root with its CRLs at hand, fetching nothing.
fn dev_pki_offline() -> eucdoc::verify::VerifyOptions {
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

/// `eucdoc sign INPUT -o OUTPUT` with the development PKI's applicant key; it must succeed.
fn cli_sign_as_applicant(input: &std::path::Path, output: &std::path::Path) {
    let result = Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .arg("sign")
        .arg(input)
        .arg("-o")
        .arg(output)
        .arg("--p12")
        .arg(pki_file("applicant-company-head.p12"))
        .args([
            "--password-env",
            "EUCDOC_TEST_PASSWORD",
            "--at",
            &now_rfc3339(),
        ])
        .env("EUCDOC_TEST_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

/// The key stores of Kazakhstan's test CA (RC2-40 / 3DES / SHA-1 MAC) load through the legacy
/// provider and sign, at a time inside their validity; the CA's own CRL refuses its revoked keys;
/// its AUTH key and its GOST key are refused with their reasons.
#[test]
fn nca_key_stores_load_sign_and_refuse() {
    let nca = root().join("../shared/corpora/kz-nca/ncanode-test");
    let read =
        |path: &str| std::fs::read(nca.join(path)).expect("shared corpora beside the project");
    let ca = sign::certificates_from_file(&read("ca/nca_rsa_test.crt")).unwrap();
    let crl = read("crl/nca_rsa_test.crl");
    let open = |key: &str, at: time::UtcDateTime, crls: &[Vec<u8>]| {
        sign::open_signer(
            &read(&format!("keys/{key}")),
            "Qwerty12",
            at.unix_timestamp(),
            crls,
            &ca,
        )
    };
    // Inside the valid key's validity (2021-01-18 to 2022-01-18).
    let valid_time = time::macros::utc_datetime!(2021-06-01 12:00:00);
    let signer = open("KEY_INDIVIDUAL_VALID_SIGN_2004.p12", valid_time, &[]).unwrap();
    assert_eq!(signer_iin(&signer).as_deref(), Some("123456789011"));
    assert_eq!(
        signer.chain_der().len(),
        1,
        "the NCA certificate is added to the chain"
    );
    let pdf = common::render_bytes(&example("refusal.json")).pdf;
    let place = sign::default_place(&pdf).unwrap();
    let signed = sign::sign_with_stamp(
        &pdf,
        &signer,
        &renderer(),
        &sign::StampOptions {
            place: &place,
            position: None,
            time: valid_time,
            levels: &sign::LevelOptions::default(),
            watermark_pages: false,
        },
    )
    .unwrap();
    let dir = tool_dir();
    let path = write_temp(dir.path(), "nca.pdf", &signed);
    let report = run("pdfsig", &[path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&report.stdout).contains("Signature is Valid."));
    // The CMS verifies against the test NCA as trust anchor.
    let (range, cms) = byte_range_and_cms(&signed);
    let cms_path = write_temp(dir.path(), "sig.der", &cms);
    let mut content = signed[..range[1]].to_vec();
    content.extend_from_slice(&signed[range[2]..range[2] + range[3]]);
    let content_path = write_temp(dir.path(), "content.bin", &content);
    // The test NCA is the anchor: its root is not available (SOURCES.md).
    let out = openssl_cms_verify(
        cms_path.to_str().unwrap(),
        content_path.to_str().unwrap(),
        nca.join("ca/nca_rsa_test.crt").to_str().unwrap(),
        &[
            "-partial_chain",
            "-attime",
            &valid_time.unix_timestamp().to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Our verifier, at that time, with the test NCA as anchor and the CA's CRL in the DSS: the
    // signature passes, and the test IIN's bad check digit is a warning, not silence.
    let with_crl = sign::pdf::add_dss(
        &signed,
        &sign::revocation::ValidationData {
            certs: Vec::new(),
            ocsps: Vec::new(),
            crls: vec![crl.clone()],
        },
    )
    .unwrap();
    let report = eucdoc::verify::verify_pdf(
        &with_crl,
        &eucdoc::verify::VerifyOptions {
            trust_anchors: ca.clone(),
            at: Some(valid_time),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        report.indication,
        eucdoc::verify::Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    let signer = report.signatures[0].signer.as_ref().unwrap();
    assert_eq!(signer.iin.as_deref(), Some("123456789011"));
    assert!(
        report.signatures[0]
            .warnings
            .iter()
            .any(|w| w.contains("IIN 123456789011 is not valid")),
        "{}",
        report.to_text()
    );
    // Expired now; a wrong password is named as such.
    assert!(matches!(
        open("KEY_INDIVIDUAL_VALID_SIGN_2004.p12", now(), &[]),
        Err(SignError::CertificateExpired { .. })
    ));
    assert!(matches!(
        sign::open_signer(
            &read("keys/KEY_INDIVIDUAL_VALID_SIGN_2004.p12"),
            "Qwerty13",
            valid_time.unix_timestamp(),
            &[],
            &[]
        ),
        Err(SignError::WrongPassword)
    ));
    // The revoked keys (valid 2022-01-18 to 2023-01-18) are on the CA's CRL of 2022-03-29.
    let listed_time = time::macros::utc_datetime!(2022-06-01 12:00:00);
    assert!(
        open("KEY_INDIVIDUAL_SIGN_REVOKED_2004.p12", listed_time, &[]).is_ok(),
        "no status, no refusal"
    );
    assert!(matches!(
        open(
            "KEY_INDIVIDUAL_SIGN_REVOKED_2004.p12",
            listed_time,
            std::slice::from_ref(&crl)
        ),
        Err(SignError::Revoked { .. })
    ));
    assert!(matches!(
        open("KEY_INDIVIDUAL_AUTH_REVOKED_2004.p12", listed_time, &[]),
        Err(SignError::NotForSigning)
    ));
    // The CEO key is GOST 34.310-2004: not a key eucdoc signs with (yet), and said so.
    let gost = open("KEY_CEO_SIGN_REVOKED_2004.p12", listed_time, &[]).unwrap_err();
    assert!(
        matches!(gost, SignError::UnsupportedKey(_) | SignError::KeyStore(_)),
        "{gost}"
    );
}

fn signer_iin(signer: &dyn sign::Signer) -> Option<String> {
    sign::SignerIdentity::from_der(signer.certificate_der())
        .ok()?
        .iin
}

/// pyHanko (installed by scripts/test.sh into a venv; EUCDOC_PYHANKO names its python) finds
/// the signature intact and trusted against the development root.
#[test]
fn pyhanko_validates_intact_and_trusted() {
    let (_, signed) = signed_example();
    let dir = tool_dir();
    let pdf = write_temp(dir.path(), "signed.pdf", &signed);
    let stdout = pyhanko_against_dev_chain(&pdf);
    assert!(
        stdout.contains("intact True valid True trusted True"),
        "{stdout}"
    );
    assert!(stdout.contains("coverage ENTIRE_FILE"), "{stdout}");
}

/// pyHanko's validation of the first signature of `pdf` against the development root and NCA
/// (soft-fail revocation: B-B carries none): "intact … valid … trusted … coverage …
/// modification …" and "timestamp INTACT_AND_VALID TRUSTED" of its signature timestamp.
fn pyhanko_against_dev_chain(pdf: &std::path::Path) -> String {
    let script = r#"
import sys
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko.keys import load_cert_from_pemder
root = load_cert_from_pemder(sys.argv[2])
nca = load_cert_from_pemder(sys.argv[3])
vc = ValidationContext(trust_roots=[root], other_certs=[nca], allow_fetching=False, revocation_mode='soft-fail')
with open(sys.argv[1], 'rb') as f:
    sig = PdfFileReader(f).embedded_signatures[0]
    status = validate_pdf_signature(sig, vc, ts_validation_context=vc)
    ts = status.timestamp_validity
    print('intact', status.intact, 'valid', status.valid, 'trusted', status.trusted, 'coverage', status.coverage.name, 'modification', status.modification_level.name)
    print('timestamp', ts is not None and ts.intact and ts.valid, ts.trusted if ts else None)
"#;
    pyhanko(
        script,
        &[
            pdf.to_str().unwrap(),
            pki().1.root.to_str().unwrap(),
            pki().1.nca.to_str().unwrap(),
        ],
    )
}

fn start_tsa() -> TestTsa {
    start_tsa_of(pki().0.path())
}

/// An OCSP responder for the test NCA: `openssl ocsp` with the dev PKI's index.
fn start_ocsp() -> TestTsa {
    let dir = tempfile::tempdir().unwrap();
    let responder = common::start_responder(
        &[
            "ocsp",
            pki().1.nca_index.to_str().unwrap(),
            pki().1.nca.to_str().unwrap(),
            pki_file("ocsp.pem").to_str().unwrap(),
            pki_file("ocsp-key.pem").to_str().unwrap(),
        ],
        &[],
        None,
    );
    TestTsa {
        url: responder.url.clone(),
        responder,
        dir,
    }
}

fn signed_b_t(tsa: &sign::timestamp::Tsa) -> Result<Vec<u8>, SignError> {
    let input = model::parse(&example("import-certificate.json")).unwrap();
    let signer = open("officer.p12").unwrap();
    let renderer = renderer();
    let rendered = renderer
        .render_marked(&input, "KZ-IIC-2026-000045", now(), true)
        .unwrap();
    sign::sign_with_stamp(
        &rendered.pdf,
        &signer,
        &renderer,
        &sign::StampOptions {
            place: &rendered.signature_place,
            position: input.document().signer_position(),
            time: now(),
            levels: &sign::LevelOptions {
                tsa: Some(tsa.clone()),
                ..Default::default()
            },
            watermark_pages: false,
        },
    )
}

#[test]
fn b_t_carries_a_verified_signature_timestamp() {
    let tsa = start_tsa();
    let signed = signed_b_t(&sign::timestamp::Tsa::new(&tsa.url)).unwrap();
    let dir = tool_dir();
    let (_, cms) = byte_range_and_cms(&signed);
    let cms_path = write_temp(dir.path(), "sig.der", &cms);
    let out = run(
        "openssl",
        &[
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            cms_path.to_str().unwrap(),
        ],
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("id-smime-aa-timeStampToken"), "{printed}");
    // pyHanko sees the timestamp, valid and trusted against the same root (the TSA's chain).
    let pdf = write_temp(dir.path(), "bt.pdf", &signed);
    let stdout = pyhanko_against_dev_chain(&pdf);
    assert!(
        stdout.contains("intact True valid True trusted True"),
        "{stdout}"
    );
    assert!(stdout.contains("timestamp True True"), "{stdout}");
}

#[test]
fn a_failing_tsa_is_an_error_never_a_silent_b_b() {
    // Nothing listens there once the shim is gone.
    let url = {
        let tsa = start_tsa();
        tsa.url.clone()
    };
    let mut tsa = sign::timestamp::Tsa::new(&url);
    tsa.timeout = std::time::Duration::from_secs(3);
    assert!(matches!(signed_b_t(&tsa), Err(SignError::Timestamp(_))));
    // A server that answers something else is refused too.
    let wrong = sign::timestamp::Tsa::new("https://127.0.0.1:9/tsa");
    assert!(matches!(signed_b_t(&wrong), Err(SignError::Timestamp(_))));
    // The CLI exits 1 and writes nothing.
    let dir = tool_dir();
    let out = dir.path().join("out.pdf");
    let result = Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .args(["render", "examples/refusal.json", "-o"])
        .arg(&out)
        .arg("--p12")
        .arg(pki_file("officer.p12"))
        .args([
            "--password-env",
            "EUCDOC_TEST_PASSWORD",
            "--at",
            &now_rfc3339(),
            "--level",
            "b-t",
            "--tsa",
            &url,
        ])
        .env("EUCDOC_TEST_PASSWORD", PASSWORD)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(
        result.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(String::from_utf8_lossy(&result.stderr).contains("timestamp"));
    assert!(!out.exists());
    // b-t without a TSA is a usage error.
    let result = Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .args(["render", "examples/refusal.json", "-o"])
        .arg(&out)
        .arg("--p12")
        .arg(pki_file("officer.p12"))
        .args(["--password-env", "EUCDOC_TEST_PASSWORD", "--level", "b-t"])
        .env("EUCDOC_TEST_PASSWORD", PASSWORD)
        .env_remove("EUCDOC_TSA_URL")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
}

/// pyHanko reads the document security store and validates with hard-fail revocation checking
/// and no network: the signature, its timestamp and (B-LTA) the document timestamp.
const PYHANKO_LTV: &str = r#"
import sys
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.keys import load_cert_from_pemder
root = load_cert_from_pemder(sys.argv[2])
with open(sys.argv[1], 'rb') as f:
    r = PdfFileReader(f)
    dss = DocumentSecurityStore.read_dss(r)
    vc = dss.as_validation_context({'trust_roots': [root], 'allow_fetching': False, 'revocation_mode': 'hard-fail'})
    st = validate_pdf_signature(r.embedded_regular_signatures[0], vc, ts_validation_context=vc)
    ts = st.timestamp_validity
    print('signature intact', st.intact, 'valid', st.valid, 'trusted', st.trusted, 'modification', st.modification_level.name)
    print('timestamp', ts.intact and ts.valid and ts.trusted)
    print('dss ocsps', len(dss.ocsps), 'crls', len(dss.crls))
    for doc_ts in r.embedded_timestamp_signatures:
        tst = validate_pdf_timestamp(doc_ts, validation_context=vc)
        print('document timestamp', tst.intact, tst.valid, tst.trusted, tst.coverage.name)
"#;

fn long_term(archive_timestamp: bool, ocsp: &str, tsa: &str) -> sign::LevelOptions {
    sign::LevelOptions {
        tsa: Some(sign::timestamp::Tsa::new(tsa)),
        validation: Some(sign::revocation::RevocationSources {
            ocsp_url: Some(ocsp.to_string()),
            crls: vec![std::fs::read(&pki().1.root_crl).unwrap()],
            timeout: std::time::Duration::from_secs(10),
        }),
        archive_timestamp,
    }
}

fn sign_example_with(key: &str, levels: &sign::LevelOptions) -> Result<Vec<u8>, SignError> {
    let input = model::parse(&example("end-user-certificate.json")).unwrap();
    let signer = sign::open_signer(
        &std::fs::read(pki_file(key)).unwrap(),
        PASSWORD,
        now().unix_timestamp(),
        &[],
        &[],
    )?;
    let renderer = renderer();
    let rendered = renderer
        .render_marked(&input, "KZ-EUC-2026-000123", now(), true)
        .unwrap();
    sign::sign_with_stamp(
        &rendered.pdf,
        &signer,
        &renderer,
        &sign::StampOptions {
            place: &rendered.signature_place,
            position: None,
            time: now(),
            levels,
            watermark_pages: false,
        },
    )
}

#[test]
fn b_lt_and_b_lta_validate_offline_with_revocation_checking() {
    let tsa = start_tsa();
    let ocsp = start_ocsp();
    let dir = tool_dir();
    for archive in [false, true] {
        let signed =
            sign_example_with("officer.p12", &long_term(archive, &ocsp.url, &tsa.url)).unwrap();
        let pdf = write_temp(dir.path(), "lt.pdf", &signed);
        let stdout = pyhanko(
            PYHANKO_LTV,
            &[pdf.to_str().unwrap(), pki().1.root.to_str().unwrap()],
        );
        assert!(
            stdout
                .contains("signature intact True valid True trusted True modification LTA_UPDATES"),
            "archive={archive}: {stdout}"
        );
        assert!(stdout.contains("timestamp True"), "{stdout}");
        // The officer's and the TSA's certificates by OCSP, the test NCA's by the root's CRL.
        assert!(stdout.contains("dss ocsps 2 crls 1"), "{stdout}");
        assert_eq!(
            stdout.contains("document timestamp True True True ENTIRE_FILE"),
            archive,
            "{stdout}"
        );
        let out = run("qpdf", &["--check", pdf.to_str().unwrap()]);
        assert!(out.status.success());
        let xmp = run("pdfinfo", &["-meta", pdf.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&xmp.stdout).contains("<pdfaid:part>3</pdfaid:part>"));
    }
}

#[test]
fn b_lt_refuses_a_key_the_ocsp_responder_says_is_revoked() {
    let tsa = start_tsa();
    let ocsp = start_ocsp();
    let result = sign_example_with("revoked.p12", &long_term(false, &ocsp.url, &tsa.url));
    assert!(
        matches!(result, Err(SignError::Revoked { .. })),
        "{result:?}"
    );
}

#[test]
fn b_lt_without_revocation_data_is_an_error() {
    let tsa = start_tsa();
    let mut levels = long_term(false, "http://127.0.0.1:9/ocsp", &tsa.url);
    if let Some(sources) = levels.validation.as_mut() {
        sources.timeout = std::time::Duration::from_secs(2);
    }
    let result = sign_example_with("officer.p12", &levels);
    assert!(
        matches!(&result, Err(SignError::Revocation(reason)) if reason.contains("no validation data")),
        "{result:?}"
    );
}

#[test]
fn batches_are_signed_with_one_key() {
    let dir = tool_dir();
    let lines: Vec<String> = [
        "end-user-certificate.json",
        "import-certificate.json",
        "refusal.json",
    ]
    .iter()
    .enumerate()
    .map(|(i, file)| {
        let mut v: serde_json::Value = serde_json::from_slice(&example(file)).unwrap();
        v["number"] = format!("SIGNED-{i}").into();
        serde_json::to_string(&v).unwrap()
    })
    .collect();
    let jsonl = write_temp(dir.path(), "batch.jsonl", lines.join("\n").as_bytes());
    let out_dir = dir.path().join("out");
    let result = Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .args(["render", "--jsonl"])
        .arg(&jsonl)
        .arg("--out-dir")
        .arg(&out_dir)
        .arg("--p12")
        .arg(pki_file("officer.p12"))
        .args([
            "--password-env",
            "EUCDOC_TEST_PASSWORD",
            "--at",
            &now_rfc3339(),
        ])
        .env("EUCDOC_TEST_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    for i in 0..3 {
        let pdf = out_dir.join(format!("SIGNED-{i}.pdf"));
        let report = run("pdfsig", &[pdf.to_str().unwrap()]);
        let report = String::from_utf8_lossy(&report.stdout);
        assert!(
            report.contains("Signature is Valid."),
            "SIGNED-{i}: {report}"
        );
        assert!(
            common::pdf_text(&pdf, None).contains("ТЕСТОВЫЙ ДОКУМЕНТ"),
            "test watermark"
        );
    }
}

/// Certificates that name their CRLs (distribution points) are enough for B-LT: the signer
/// fetches the CRLs there, checks them and embeds them.
#[test]
fn b_lt_fetches_the_crls_the_certificates_name() {
    let served = tempfile::tempdir().unwrap();
    let server = common::serve_directory(served.path());
    let port = server.port;
    let urls = devpki::DevPkiUrls {
        ocsp: None,
        crl_base: Some(format!("http://127.0.0.1:{port}")),
    };
    devpki::generate_with(served.path(), PASSWORD, now().unix_timestamp(), &urls).unwrap();
    let tsa = start_tsa_of(served.path());
    let signer = sign::open_signer(
        &std::fs::read(served.path().join("officer.p12")).unwrap(),
        PASSWORD,
        now().unix_timestamp(),
        &[],
        &[],
    )
    .unwrap();
    let pdf = common::render_bytes(&example("refusal.json")).pdf;
    let place = sign::default_place(&pdf).unwrap();
    let levels = sign::LevelOptions {
        tsa: Some(sign::timestamp::Tsa::new(&tsa.url)),
        validation: Some(sign::revocation::RevocationSources {
            ocsp_url: None,
            crls: Vec::new(),
            timeout: std::time::Duration::from_secs(10),
        }),
        archive_timestamp: false,
    };
    let signed = sign::sign_with_stamp(
        &pdf,
        &signer,
        &renderer(),
        &sign::StampOptions {
            place: &place,
            position: None,
            time: now(),
            levels: &levels,
            watermark_pages: true,
        },
    );
    drop(server);
    let signed = signed.unwrap();
    let dir = tool_dir();
    let path = write_temp(dir.path(), "cdp.pdf", &signed);
    let stdout = pyhanko(
        PYHANKO_LTV,
        &[
            path.to_str().unwrap(),
            served.path().join("root.pem").to_str().unwrap(),
        ],
    );
    assert!(
        stdout.contains("signature intact True valid True trusted True"),
        "{stdout}"
    );
    // The NCA's CRL (officer, TSA) and the root's (NCA), fetched; no OCSP.
    assert!(stdout.contains("dss ocsps 0 crls 2"), "{stdout}");
}

/// Runs a pyHanko script (pyHanko is installed by scripts/test.sh into a venv whose python
/// EUCDOC_PYHANKO names) with `args`; fails the test when the script fails.
fn pyhanko(script: &str, args: &[&str]) -> String {
    let python = std::env::var("EUCDOC_PYHANKO")
        .expect("EUCDOC_PYHANKO must name the venv python with pyHanko (scripts/test.sh sets it)");
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    let out = run(&python, &all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `openssl cms -verify` of a detached CMS over `content`, anchored at `ca_file`, with `extra`
/// options (any purpose: document signing keys carry emailProtection, not an S/MIME purpose).
fn openssl_cms_verify(
    cms: &str,
    content: &str,
    ca_file: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        cms,
        "-content",
        content,
        "-CAfile",
        ca_file,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ];
    args.extend_from_slice(extra);
    run("openssl", &args)
}

/// `--ocsp` at any level asks the responder about the key before it signs.
#[test]
fn cli_asks_the_ocsp_responder_before_signing() {
    let ocsp = start_ocsp();
    let dir = tool_dir();
    let plain = write_temp(
        dir.path(),
        "plain.pdf",
        &common::render_bytes(&example("refusal.json")).pdf,
    );
    let sign_with = |key: &str, out: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_eucdoc"))
            .arg("sign")
            .arg(&plain)
            .arg("-o")
            .arg(out)
            .arg("--p12")
            .arg(pki_file(key))
            .args([
                "--password-env",
                "EUCDOC_TEST_PASSWORD",
                "--ocsp",
                &ocsp.url,
                "--at",
                &now_rfc3339(),
            ])
            .env("EUCDOC_TEST_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    };
    let revoked_out = dir.path().join("revoked.pdf");
    let result = sign_with("revoked.p12", &revoked_out);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("revoked"), "{stderr}");
    assert!(!revoked_out.exists());
    let good_out = dir.path().join("good.pdf");
    let result = sign_with("officer.p12", &good_out);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(good_out.exists());
}

/// A self-signed signing key of the given kind in a PKCS#12 store, and its certificate (PEM).
fn self_signed_store(key: openssl::pkey::PKey<openssl::pkey::Private>) -> (Vec<u8>, Vec<u8>) {
    use openssl::x509::extension::KeyUsage;
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "EUCDOC DEV SELF-SIGNED")
        .unwrap();
    let name = name.build();
    let mut builder = openssl::x509::X509Builder::new().unwrap();
    builder.set_version(2).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(&key).unwrap();
    let serial = openssl::bn::BigNum::from_u32(7)
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    builder.set_serial_number(&serial).unwrap();
    let start = openssl::asn1::Asn1Time::from_unix(now().unix_timestamp() - 3600).unwrap();
    let end = openssl::asn1::Asn1Time::from_unix(now().unix_timestamp() + 86400).unwrap();
    builder.set_not_before(&start).unwrap();
    builder.set_not_after(&end).unwrap();
    builder
        .append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .non_repudiation()
                .build()
                .unwrap(),
        )
        .unwrap();
    let digest = if key.bits() == 384 {
        openssl::hash::MessageDigest::sha384()
    } else {
        openssl::hash::MessageDigest::sha256()
    };
    builder.sign(&key, digest).unwrap();
    let cert = builder.build();
    let store = openssl::pkcs12::Pkcs12::builder()
        .pkey(&key)
        .cert(&cert)
        .build2(PASSWORD)
        .unwrap();
    (store.to_der().unwrap(), cert.to_pem().unwrap())
}

/// ECDSA P-384 (SHA-384) and RSA-4096 keys sign too, and tools we did not write verify them.
#[test]
fn p384_and_rsa_4096_keys_sign() {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    let p384 = openssl::pkey::PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::SECP384R1).unwrap()).unwrap(),
    )
    .unwrap();
    let rsa4096 =
        openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(4096).unwrap()).unwrap();
    let pdf = common::render_bytes(&example("refusal.json")).pdf;
    let dir = tool_dir();
    for (label, key, algorithm) in [
        ("p384", p384, sign::KeyAlgorithm::EcdsaP384Sha384),
        ("rsa4096", rsa4096, sign::KeyAlgorithm::RsaSha256),
    ] {
        let (store, cert_pem) = self_signed_store(key);
        let signer = sign::open_signer(&store, PASSWORD, now().unix_timestamp(), &[], &[]).unwrap();
        assert_eq!(signer.algorithm(), algorithm);
        let request = sign::SignRequest::basic(now());
        let signed = sign::sign_pdf(&pdf, &signer, &request).unwrap();
        let path = write_temp(dir.path(), &format!("{label}.pdf"), &signed);
        let report = run("pdfsig", &[path.to_str().unwrap()]);
        assert!(
            String::from_utf8_lossy(&report.stdout).contains("Signature is Valid."),
            "{label}"
        );
        let (range, cms) = byte_range_and_cms(&signed);
        let cms_path = write_temp(dir.path(), &format!("{label}.der"), &cms);
        let mut content = signed[..range[1]].to_vec();
        content.extend_from_slice(&signed[range[2]..range[2] + range[3]]);
        let content_path = write_temp(dir.path(), &format!("{label}.bin"), &content);
        let ca = write_temp(dir.path(), &format!("{label}.pem"), &cert_pem);
        let out = openssl_cms_verify(
            cms_path.to_str().unwrap(),
            content_path.to_str().unwrap(),
            ca.to_str().unwrap(),
            &[],
        );
        assert!(
            out.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---- Verification of what we (and pyHanko) sign: tests/sign.rs holds the responders. ----

fn verify(pdf: &[u8]) -> eucdoc::verify::Report {
    let root = sign::certificates_from_file(&std::fs::read(&pki().1.root).unwrap()).unwrap();
    eucdoc::verify::verify_pdf(
        pdf,
        &eucdoc::verify::VerifyOptions {
            trust_anchors: root,
            at: None,
            ..Default::default()
        },
    )
    .unwrap()
}

fn verdict(
    report: &eucdoc::verify::Report,
) -> (
    eucdoc::verify::Indication,
    Option<eucdoc::verify::SubIndication>,
) {
    (
        report.signatures[0].indication,
        report.signatures[0].sub_indication,
    )
}

#[test]
fn verify_passes_b_lt_and_b_lta_and_names_the_signer() {
    use eucdoc::verify::Indication;
    let tsa = start_tsa();
    let ocsp = start_ocsp();
    for archive in [false, true] {
        let signed =
            sign_example_with("officer.p12", &long_term(archive, &ocsp.url, &tsa.url)).unwrap();
        let report = verify(&signed);
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{}",
            report.to_text()
        );
        assert_eq!(report.signatures.len(), if archive { 2 } else { 1 });
        let signer = report.signatures[0].signer.as_ref().unwrap();
        assert_eq!(signer.iin.as_deref(), Some("880101300123"));
        assert_eq!(signer.bin.as_deref(), Some("130940001234"));
        assert_eq!(signer.key, "SIGN");
        assert!(
            signer
                .roles
                .iter()
                .any(|r| r == "employee of a legal entity")
                && signer.roles.iter().any(|r| r == "right to sign"),
            "{:?}",
            signer.roles
        );
        assert_eq!(report.exit_code(), 0);
        // The signature timestamp is the validation time: long after the certificates expire,
        // the signature still passes on the evidence it carries.
        let first = &report.signatures[0];
        assert!(first.timestamp.is_some(), "{}", report.to_text());
        assert_eq!(first.timestamp.as_ref(), Some(&first.validation_time));
        let root = sign::certificates_from_file(&std::fs::read(&pki().1.root).unwrap()).unwrap();
        let later = eucdoc::verify::verify_pdf(
            &signed,
            &eucdoc::verify::VerifyOptions {
                trust_anchors: root,
                at: Some(now() + time::Duration::days(365 * 30)),
                ..Default::default()
            },
        )
        .unwrap();
        // (A B-LTA's document timestamp itself needs a newer one by then: not asserted here.)
        assert_eq!(
            later.signatures[0].indication,
            Indication::TotalPassed,
            "{}",
            later.to_text()
        );
    }
}

#[test]
fn verify_b_b_without_revocation_data_is_indeterminate_try_later() {
    use eucdoc::verify::{Indication, SubIndication};
    let (_, signed) = signed_example();
    let report = verify(&signed);
    assert_eq!(
        verdict(&report),
        (Indication::Indeterminate, Some(SubIndication::TryLater)),
        "{}",
        report.to_text()
    );
    assert_eq!(report.exit_code(), 3);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["signatures"][0]["indication"], "INDETERMINATE");
    assert_eq!(json["signatures"][0]["sub_indication"], "TRY_LATER");
}

#[test]
fn verify_detects_tampering_and_broken_structure() {
    use eucdoc::verify::{Indication, SubIndication};
    let (original, signed) = signed_example();
    let (range, _) = byte_range_and_cms(&signed);
    // One byte changed inside the signed range.
    let mut flipped = signed.clone();
    flipped[original.len() / 2] ^= 0x01;
    assert_eq!(
        verdict(&verify(&flipped)),
        (Indication::TotalFailed, Some(SubIndication::HashFailure))
    );
    // A ByteRange that leaves a gap outside /Contents (same width, so the file stays aligned).
    // Byte offsets (the file is not UTF-8, so search bytes, not text).
    let find_from = |needle: &[u8], from: usize| {
        from + signed[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    let key = signed
        .windows(10)
        .rposition(|w| w == b"/ByteRange")
        .unwrap();
    let bracket = find_from(b"[", key) + 1;
    let close = find_from(b"]", key);
    let width = close - bracket;
    let gap = format!("0 {} {} {}", range[1] - 10, range[2], range[3]);
    let mut gapped = signed.clone();
    gapped[bracket..close].copy_from_slice(format!("{gap:<width$}").as_bytes());
    assert_eq!(
        verdict(&verify(&gapped)),
        (Indication::TotalFailed, Some(SubIndication::FormatFailure))
    );
    // An empty /Contents (all zeros).
    let mut empty = signed.clone();
    for byte in &mut empty[range[1] + 1..range[2] - 1] {
        *byte = b'0';
    }
    assert_eq!(
        verdict(&verify(&empty)),
        (Indication::TotalFailed, Some(SubIndication::FormatFailure))
    );
    // Another document's /Contents in this one's hole.
    let input = model::parse(&example("end-user-certificate.json")).unwrap();
    let other = renderer()
        .render_marked(&input, "KZ-EUC-2026-000999", now(), true)
        .unwrap();
    let signer = open("officer.p12").unwrap();
    let other_signed = sign::sign_with_stamp(
        &other.pdf,
        &signer,
        &renderer(),
        &sign::StampOptions {
            place: &other.signature_place,
            position: None,
            time: now(),
            levels: &sign::LevelOptions::default(),
            watermark_pages: false,
        },
    )
    .unwrap();
    let (other_range, _) = byte_range_and_cms(&other_signed);
    let other_hole = &other_signed[other_range[1]..other_range[2]];
    let mut swapped = signed.clone();
    assert_eq!(
        other_hole.len(),
        range[2] - range[1],
        "same key, same reserve"
    );
    swapped[range[1]..range[2]].copy_from_slice(other_hole);
    assert_eq!(
        verdict(&verify(&swapped)),
        (Indication::TotalFailed, Some(SubIndication::HashFailure))
    );
    // Not a PDF at all: an error, not a report.
    assert!(eucdoc::verify::verify_pdf(b"hello", &Default::default()).is_err());
}

#[test]
fn verify_reports_content_changed_or_pages_added_after_signing() {
    let (_, signed) = signed_example();
    // Overlay: a later revision replaces the page's content stream.
    let document = lopdf::Document::load_mem(&signed).unwrap();
    let page_id = *document.get_pages().get(&1).unwrap();
    let contents = document
        .get_dictionary(page_id)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .clone();
    let content_id = match contents {
        lopdf::Object::Reference(id) => id,
        lopdf::Object::Array(items) => items[0].as_reference().unwrap(),
        _ => panic!("unexpected /Contents"),
    };
    let mut update = lopdf::IncrementalDocument::create_from(signed.clone(), document);
    update.new_document.set_object(
        content_id,
        lopdf::Stream::new(
            lopdf::Dictionary::new(),
            b"BT /F1 24 Tf (PAID) Tj ET".to_vec(),
        ),
    );
    let mut overlaid = Vec::new();
    update.save_to(&mut overlaid).unwrap();
    assert_modified(&verify(&overlaid), "redefined after signing");
    // A page added in a later revision: the page tree changes.
    let document = lopdf::Document::load_mem(&signed).unwrap();
    let pages_id = document
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(signed.clone(), document);
    update.opt_clone_object_to_new_document(pages_id).unwrap();
    let mut page = lopdf::Dictionary::new();
    page.set("Type", lopdf::Object::Name(b"Page".to_vec()));
    page.set("Parent", lopdf::Object::Reference(pages_id));
    page.set(
        "MediaBox",
        lopdf::Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
    );
    let new_page = update.new_document.add_object(page);
    let pages = update.new_document.get_dictionary_mut(pages_id).unwrap();
    let mut kids = pages.get(b"Kids").unwrap().as_array().unwrap().clone();
    kids.push(lopdf::Object::Reference(new_page));
    pages.set("Kids", kids);
    pages.set("Count", 2);
    let mut added = Vec::new();
    update.save_to(&mut added).unwrap();
    assert_modified(&verify(&added), "page tree");
    // Overlay by annotation: a visible, unsigned signature field covering the page. (A new
    // signature field is allowed only when it holds a signature or shows nothing.)
    let document = lopdf::Document::load_mem(&signed).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(signed.clone(), document);
    update.opt_clone_object_to_new_document(page_id).unwrap();
    let mut field = lopdf::Dictionary::new();
    field.set("FT", lopdf::Object::Name(b"Sig".to_vec()));
    field.set("Type", lopdf::Object::Name(b"Annot".to_vec()));
    field.set("Subtype", lopdf::Object::Name(b"Widget".to_vec()));
    field.set("T", lopdf::Object::string_literal("Overlay"));
    field.set(
        "Rect",
        lopdf::Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
    );
    field.set("P", lopdf::Object::Reference(page_id));
    let field_id = update.new_document.add_object(field);
    let annots = update
        .new_document
        .get_dictionary(page_id)
        .unwrap()
        .get(b"Annots")
        .unwrap()
        .clone();
    match annots {
        lopdf::Object::Reference(id) => {
            update.opt_clone_object_to_new_document(id).unwrap();
            let lopdf::Object::Array(items) = update.new_document.get_object_mut(id).unwrap()
            else {
                panic!("/Annots is not an array")
            };
            items.push(lopdf::Object::Reference(field_id));
        }
        lopdf::Object::Array(mut items) => {
            items.push(lopdf::Object::Reference(field_id));
            update
                .new_document
                .get_dictionary_mut(page_id)
                .unwrap()
                .set("Annots", items);
        }
        other => panic!("unexpected /Annots {other:?}"),
    }
    let mut covered = Vec::new();
    update.save_to(&mut covered).unwrap();
    assert_modified(&verify(&covered), "redefined after signing");
}

/// The report says TOTAL-FAILED for a modification (the signature itself intact and valid, no
/// ETSI sub-indication, modification level "other") and names it.
fn assert_modified(report: &eucdoc::verify::Report, needle: &str) {
    use eucdoc::verify::{Indication, ModificationLevel};
    assert_eq!(
        verdict(report),
        (Indication::TotalFailed, None),
        "{}",
        report.to_text()
    );
    let signature = &report.signatures[0];
    assert_eq!(
        (
            signature.intact,
            signature.valid,
            signature.modification_level
        ),
        (Some(true), Some(true), Some(ModificationLevel::Other)),
        "{}",
        report.to_text()
    );
    assert!(
        report.signatures[0]
            .modifications
            .iter()
            .chain(&report.signatures[0].reasons)
            .any(|r| r.contains(needle)),
        "{}",
        report.to_text()
    );
}

#[test]
fn verify_signer_not_chaining_auth_and_expired() {
    use eucdoc::verify::{Indication, SubIndication};
    let (_, signed) = signed_example();
    // Another root as the only anchor.
    let other = tempfile::tempdir().unwrap();
    let other_pki = devpki::generate(other.path(), PASSWORD, now().unix_timestamp()).unwrap();
    let anchors = sign::certificates_from_file(&std::fs::read(&other_pki.root).unwrap()).unwrap();
    let report = eucdoc::verify::verify_pdf(
        &signed,
        &eucdoc::verify::VerifyOptions {
            trust_anchors: anchors,
            at: None,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        verdict(&report),
        (
            Indication::Indeterminate,
            Some(SubIndication::NoCertificateChainFound)
        )
    );
    // After the certificate's validity, with no timestamp to prove the signature was made in it.
    let root = sign::certificates_from_file(&std::fs::read(&pki().1.root).unwrap()).unwrap();
    let later = now() + time::Duration::days(2 * 365);
    let report = eucdoc::verify::verify_pdf(
        &signed,
        &eucdoc::verify::VerifyOptions {
            trust_anchors: root,
            at: Some(later),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        verdict(&report),
        (
            Indication::Indeterminate,
            Some(SubIndication::OutOfBoundsNoPoe)
        ),
        "{}",
        report.to_text()
    );
    // An AUTH key's signature (made by pyHanko, which does not refuse it).
    let dir = tool_dir();
    let plain = write_temp(
        dir.path(),
        "plain.pdf",
        &common::render_bytes(&example("refusal.json")).pdf,
    );
    let auth_signed = dir.path().join("auth.pdf");
    pyhanko(
        PYHANKO_SIGN,
        &[
            plain.to_str().unwrap(),
            pki_file("auth-only.p12").to_str().unwrap(),
            PASSWORD,
            auth_signed.to_str().unwrap(),
        ],
    );
    let report = verify(&std::fs::read(&auth_signed).unwrap());
    assert_eq!(
        verdict(&report),
        (
            Indication::Indeterminate,
            Some(SubIndication::ChainConstraintsFailure)
        ),
        "{}",
        report.to_text()
    );
    assert!(report.signatures[0].reasons[0].contains("nonRepudiation"));
}

/// Signs a PDF with pyHanko (PAdES, invisible): `IN KEY.p12 PASSWORD OUT`.
const PYHANKO_SIGN: &str = r#"
import sys
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
signer = signers.SimpleSigner.load_pkcs12(sys.argv[2], passphrase=sys.argv[3].encode())
with open(sys.argv[1], 'rb') as f, open(sys.argv[4], 'wb') as out:
    w = IncrementalPdfFileWriter(f)
    meta = signers.PdfSignatureMetadata(field_name='Signature1', subfilter=fields.SigSeedSubFilter.PADES)
    signers.sign_pdf(w, meta, signer=signer, output=out)
print('signed')
"#;

/// A signature pyHanko makes verifies in ours: intact and trusted (INDETERMINATE only for want
/// of revocation data, which a B-B signature does not carry).
#[test]
fn verify_accepts_pyhanko_signatures() {
    use eucdoc::verify::{Indication, SubIndication};
    let dir = tool_dir();
    let plain = write_temp(
        dir.path(),
        "plain.pdf",
        &common::render_bytes(&example("import-certificate.json")).pdf,
    );
    let out = dir.path().join("pyhanko.pdf");
    pyhanko(
        PYHANKO_SIGN,
        &[
            plain.to_str().unwrap(),
            pki_file("officer.p12").to_str().unwrap(),
            PASSWORD,
            out.to_str().unwrap(),
        ],
    );
    let signed = std::fs::read(&out).unwrap();
    let report = verify(&signed);
    assert_eq!(
        verdict(&report),
        (Indication::Indeterminate, Some(SubIndication::TryLater)),
        "{}",
        report.to_text()
    );
    // With the CRLs of the signer's CA and of the root (the CA's status is needed too), it passes.
    let mut with_crl = signed.clone();
    let document = lopdf::Document::load_mem(&with_crl).unwrap();
    let data = sign::revocation::ValidationData {
        certs: Vec::new(),
        ocsps: Vec::new(),
        crls: vec![
            std::fs::read(&pki().1.crl).unwrap(),
            std::fs::read(&pki().1.root_crl).unwrap(),
        ],
    };
    drop(document);
    with_crl = sign::pdf::add_dss(&with_crl, &data).unwrap();
    let report = verify(&with_crl);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
}

#[test]
fn cli_verify_exit_codes() {
    let tsa = start_tsa();
    let ocsp = start_ocsp();
    let dir = tool_dir();
    let passed = write_temp(
        dir.path(),
        "lt.pdf",
        &sign_example_with("officer.p12", &long_term(false, &ocsp.url, &tsa.url)).unwrap(),
    );
    let (_, b_b) = signed_example();
    let indeterminate = write_temp(dir.path(), "bb.pdf", &b_b);
    let mut flipped = b_b.clone();
    flipped[1000] ^= 1;
    let failed = write_temp(dir.path(), "bad.pdf", &flipped);
    let garbage = write_temp(dir.path(), "garbage.pdf", b"not a pdf");
    let code = |file: &std::path::Path, format: &str| {
        Command::new(env!("CARGO_BIN_EXE_eucdoc"))
            .arg("verify")
            .arg(file)
            .arg("--trust")
            .arg(&pki().1.root)
            .args(["--format", format])
            .output()
            .unwrap()
    };
    assert_eq!(code(&passed, "text").status.code(), Some(0));
    assert_eq!(code(&failed, "text").status.code(), Some(1));
    assert_eq!(code(&indeterminate, "text").status.code(), Some(3));
    assert_eq!(code(&garbage, "text").status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&code(&passed, "json").stdout).unwrap();
    assert_eq!(json["indication"], "TOTAL-PASSED");
    assert_eq!(json["signatures"][0]["signer"]["iin"], "880101300123");
}

/// A signature may carry several signature timestamps (ETSI EN 319 122-1, 5.3). One that
/// cannot be used is a warning naming it, and the one that checks out still proves the time.
#[test]
fn several_signature_timestamps_each_checked_and_a_bad_one_is_a_warning() {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::{Decode, Encode};
    let tsa = start_tsa();
    let signed = signed_b_t(&sign::timestamp::Tsa::new(&tsa.url)).unwrap();
    let (range, cms) = byte_range_and_cms(&signed);
    let mut info = ContentInfo::from_der(&cms).unwrap();
    let mut data: SignedData = info.content.decode_as().unwrap();
    let mut signers = data.signer_infos.0.clone().into_vec();
    let mut attributes = signers[0].unsigned_attrs.clone().unwrap().into_vec();
    let timestamp = attributes
        .iter_mut()
        .find(|a| a.oid.to_string() == "1.2.840.113549.1.9.16.2.14")
        .unwrap();
    // A second value that is no timestamp token at all.
    let not_a_token = der::asn1::OctetString::new(*b"not a token").unwrap();
    timestamp
        .values
        .insert(der::Any::encode_from(&not_a_token).unwrap())
        .unwrap();
    signers[0].unsigned_attrs = Some(der::asn1::SetOfVec::try_from(attributes).unwrap());
    data.signer_infos.0 = der::asn1::SetOfVec::try_from(signers).unwrap();
    info.content = der::Any::encode_from(&data).unwrap();
    let changed = info.to_der().unwrap();
    // Written back into the same /Contents gap: the unsigned attributes are not signed.
    let gap = range[2] - range[1] - 2;
    let mut hex_text = hex::encode_upper(&changed).into_bytes();
    assert!(hex_text.len() <= gap, "the gap holds the changed CMS");
    hex_text.resize(gap, b'0');
    let mut pdf = signed.clone();
    pdf[range[1] + 1..range[2] - 1].copy_from_slice(&hex_text);
    let report = eucdoc::verify::verify_pdf(&pdf, &dev_pki_offline()).unwrap();
    let signature = &report.signatures[0];
    assert_eq!(
        signature.indication,
        eucdoc::verify::Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    assert!(signature.timestamp.is_some(), "{}", report.to_text());
    assert!(
        signature
            .warnings
            .iter()
            .any(|w| w.contains("of several is not usable")),
        "{}",
        report.to_text()
    );
}

/// An OCSP "good" answer speaks only for its own time (RFC 6960, 4.2.2.1): a real `openssl
/// ocsp` responder's answer (nextUpdate a day later) makes the officer's certificate good by
/// OCSP now, and is not used three days later.
#[test]
fn an_ocsp_good_answer_counts_only_while_fresh() {
    use eucdoc::verify::{CertificateStatus, VerifyOptions};
    let responder = start_ocsp();
    let (_, signed) = signed_example();
    let dir = tool_dir();
    let officer_pem = dir.path().join("officer.pem");
    let response = dir.path().join("response.der");
    for args in [
        vec![
            "pkcs12",
            "-in",
            pki_file("officer.p12").to_str().unwrap(),
            "-passin",
            "pass:test-password",
            "-clcerts",
            "-nokeys",
            "-out",
            officer_pem.to_str().unwrap(),
        ],
        vec![
            "ocsp",
            "-issuer",
            pki().1.nca.to_str().unwrap(),
            "-cert",
            officer_pem.to_str().unwrap(),
            "-url",
            &responder.url,
            "-noverify",
            "-respout",
            response.to_str().unwrap(),
        ],
    ] {
        let out = run("openssl", &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let verify_at = |at: time::UtcDateTime| {
        eucdoc::verify::verify_pdf(
            &signed,
            &VerifyOptions {
                trust_anchors: sign::certificates_from_file(&std::fs::read(&pki().1.root).unwrap())
                    .unwrap(),
                ocsps: vec![std::fs::read(&response).unwrap()],
                at: Some(at),
                offline: true,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let fresh = verify_at(time::UtcDateTime::now());
    let officer = &fresh.signatures[0].revocation[0];
    assert_eq!(
        (officer.status, officer.source.as_str()),
        (CertificateStatus::Good, "OCSP"),
        "{}",
        fresh.to_text()
    );
    let later = verify_at(time::UtcDateTime::now() + time::Duration::days(3));
    let officer = &later.signatures[0].revocation[0];
    assert_ne!(
        (officer.status, officer.source.as_str()),
        (CertificateStatus::Good, "OCSP"),
        "{}",
        later.to_text()
    );
    if officer.status == CertificateStatus::Unknown {
        assert!(
            officer
                .source
                .contains("nextUpdate is before the validation time"),
            "{officer:?}"
        );
    }
}

/// A signed PDF with two text fields on its page, "Quantity" (fillable) and "Locked"
/// (read-only), both merged with their widgets, and the signature's CRLs for verifying it.
fn signed_with_form() -> (Vec<u8>, eucdoc::verify::VerifyOptions) {
    use lopdf::{Dictionary, Object};
    let input = model::parse(&example("end-user-certificate.json")).unwrap();
    let rendered = renderer()
        .render_marked(&input, "KZ-EUC-2026-000124", now(), true)
        .unwrap();
    let mut document = lopdf::Document::load_mem(&rendered.pdf).unwrap();
    let page_id = *document.get_pages().get(&1).unwrap();
    let mut fields = Vec::new();
    for (name, flags, y) in [("Quantity", 0, 100), ("Locked", 1, 140)] {
        let mut field = Dictionary::new();
        field.set("FT", Object::Name(b"Tx".to_vec()));
        field.set("T", Object::string_literal(name));
        field.set("V", Object::string_literal("5"));
        field.set("Ff", flags);
        field.set("Type", Object::Name(b"Annot".to_vec()));
        field.set("Subtype", Object::Name(b"Widget".to_vec()));
        field.set(
            "Rect",
            Object::Array(vec![50.into(), y.into(), 150.into(), (y + 20).into()]),
        );
        field.set("P", Object::Reference(page_id));
        fields.push(Object::Reference(document.add_object(field)));
    }
    document
        .get_dictionary_mut(page_id)
        .unwrap()
        .set("Annots", Object::Array(fields.clone()));
    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(fields));
    document.catalog_mut().unwrap().set("AcroForm", form);
    let mut with_form = Vec::new();
    document.save_to(&mut with_form).unwrap();
    let signer = open("officer.p12").unwrap();
    let signed = sign::sign_pdf(&with_form, &signer, &sign::SignRequest::basic(now())).unwrap();
    let options = dev_pki_offline();
    (signed, options)
}

/// The id of the text field named `name` in `document`.
fn field_named(document: &lopdf::Document, name: &str) -> lopdf::ObjectId {
    document
        .objects
        .iter()
        .find(|(_, o)| {
            o.as_dict()
                .ok()
                .and_then(|d| d.get(b"T").ok())
                .is_some_and(|t| t.as_str().ok() == Some(name.as_bytes()))
        })
        .map(|(id, _)| *id)
        .unwrap()
}

/// `signed` with one more revision: the field `name` filled in with "7" and a new appearance.
fn filled(signed: &[u8], name: &str) -> Vec<u8> {
    use lopdf::{Dictionary, Object, Stream};
    let document = lopdf::Document::load_mem(signed).unwrap();
    let field_id = field_named(&document, name);
    let mut update = lopdf::IncrementalDocument::create_from(signed.to_vec(), document);
    let appearance = update.new_document.add_object(Stream::new(
        Dictionary::from_iter([
            ("Type", Object::Name(b"XObject".to_vec())),
            ("Subtype", Object::Name(b"Form".to_vec())),
            (
                "BBox",
                Object::Array(vec![0.into(), 0.into(), 100.into(), 20.into()]),
            ),
        ]),
        b"BT /Helv 12 Tf 2 5 Td (7) Tj ET".to_vec(),
    ));
    update.opt_clone_object_to_new_document(field_id).unwrap();
    let field = update.new_document.get_dictionary_mut(field_id).unwrap();
    field.set("V", Object::string_literal("7"));
    field.set(
        "AP",
        Dictionary::from_iter([("N", Object::Reference(appearance))]),
    );
    let mut out = Vec::new();
    update.save_to(&mut out).unwrap();
    out
}

/// What changes after signing, in pyHanko's levels: a filled-in form field is form filling and
/// a note added to the page is annotations (both allowed without a certification signature,
/// named in the report and warned about); filling a read-only field or taking a widget off the
/// page is another change, and breaks the signature.
#[test]
fn verify_classifies_form_filling_and_annotations() {
    use eucdoc::verify::{Indication, ModificationLevel};
    use lopdf::{Dictionary, Object};
    let (signed, options) = signed_with_form();
    let check = |pdf: &[u8]| eucdoc::verify::verify_pdf(pdf, &options).unwrap();
    let report = check(&signed);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    assert_eq!(
        report.signatures[0].modification_level,
        Some(ModificationLevel::None)
    );

    let report = check(&filled(&signed, "Quantity"));
    let signature = &report.signatures[0];
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    assert_eq!(
        signature.modification_level,
        Some(ModificationLevel::FormFilling)
    );
    assert!(
        signature
            .modifications
            .iter()
            .any(|m| m.contains("Quantity") && m.contains("filled in")),
        "{:?}",
        signature.modifications
    );
    assert!(signature.warnings.iter().any(|w| w.contains("form fields")));

    let report = check(&filled(&signed, "Locked"));
    assert_modified(&report, "a form field");

    // A text note added to the page.
    let document = lopdf::Document::load_mem(&signed).unwrap();
    let page_id = *document.get_pages().get(&1).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(signed.clone(), document);
    update.opt_clone_object_to_new_document(page_id).unwrap();
    let note = update.new_document.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Annot".to_vec())),
        ("Subtype", Object::Name(b"Text".to_vec())),
        (
            "Rect",
            Object::Array(vec![300.into(), 300.into(), 320.into(), 320.into()]),
        ),
        ("Contents", Object::string_literal("checked")),
    ]));
    let page = update.new_document.get_dictionary_mut(page_id).unwrap();
    let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().clone();
    annots.push(Object::Reference(note));
    page.set("Annots", annots.clone());
    let mut annotated = Vec::new();
    update.save_to(&mut annotated).unwrap();
    let report = check(&annotated);
    let signature = &report.signatures[0];
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    assert_eq!(
        signature.modification_level,
        Some(ModificationLevel::Annotations)
    );
    assert!(signature.warnings.iter().any(|w| w.contains("annotations")));

    // pyHanko classes the same files alike.
    let dir = tempfile::tempdir().unwrap();
    let (form_path, note_path) = (dir.path().join("filled.pdf"), dir.path().join("note.pdf"));
    std::fs::write(&form_path, filled(&signed, "Quantity")).unwrap();
    std::fs::write(&note_path, &annotated).unwrap();
    let script = std::fs::read_to_string(root().join("tests/support/pyhanko_corpus.py")).unwrap();
    let rows = pyhanko(
        &script,
        &[form_path.to_str().unwrap(), note_path.to_str().unwrap()],
    );
    let levels: Vec<String> = rows
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            row["modification"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    // pyHanko has no rule for annotations ("the most lenient document modification policy
    // (i.e. addition of comments and annotations) is not supported", its docs' known issues) and
    // calls the note OTHER; eucdoc names it as DocMDP permission 3 does, and warns, as EU DSS's
    // default policy does for annotations.
    assert_eq!(levels, ["FORM_FILLING", "OTHER"], "{rows}");

    // A form field's widget taken off the page.
    let document = lopdf::Document::load_mem(&signed).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(signed.clone(), document);
    update.opt_clone_object_to_new_document(page_id).unwrap();
    let page = update.new_document.get_dictionary_mut(page_id).unwrap();
    let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().clone();
    annots.remove(0);
    page.set("Annots", annots);
    let mut removed = Vec::new();
    update.save_to(&mut removed).unwrap();
    assert_modified(&check(&removed), "a page");
}

/// A countersignature (the applicant signs what the officer signed, with a development key)
/// keeps the first signature: the new field takes a name of its own and no watermark is drawn
/// over the signed pages. Both signatures pass in eucdoc, and pyHanko rates the change after the
/// first as form filling.
#[test]
fn a_countersignature_keeps_the_signature_before_it() {
    use eucdoc::verify::{Indication, ModificationLevel};
    let dir = tool_dir();
    let (_, signed) = signed_example();
    let first = write_temp(dir.path(), "signed.pdf", &signed);
    let countersigned = dir.path().join("countersigned.pdf");
    cli_sign_as_applicant(&first, &countersigned);
    let options = dev_pki_offline();
    let report =
        eucdoc::verify::verify_pdf(&std::fs::read(&countersigned).unwrap(), &options).unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    let fields: Vec<_> = report
        .signatures
        .iter()
        .map(|s| s.field.clone().unwrap_or_default())
        .collect();
    assert_eq!(fields, ["Signature1", "Signature2"]);
    assert_eq!(
        report.signatures[0].modification_level,
        Some(ModificationLevel::FormFilling)
    );
    // The stamp says "test"; no watermark was put behind the officer's signed page.
    let text = common::pdf_text(&countersigned, None);
    assert!(text.contains("ТЕСТ ҚҰЖАТ — ЗАҢДЫ КҮШІ ЖОҚ"), "{text}");
    assert!(
        !String::from_utf8_lossy(&std::fs::read(&countersigned).unwrap())
            .contains("EucdocTestWatermark")
    );

    let script = std::fs::read_to_string(root().join("tests/support/pyhanko_corpus.py")).unwrap();
    let rows = pyhanko(&script, &[countersigned.to_str().unwrap()]);
    let verdicts: Vec<(String, bool, bool)> = rows
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                row["modification"].as_str().unwrap_or_default().to_string(),
                row["intact"].as_bool().unwrap_or(false),
                row["valid"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("FORM_FILLING".to_string(), true, true),
            ("NONE".to_string(), true, true)
        ],
        "{rows}"
    );
}
