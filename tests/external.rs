//! External (two-step) signing through the CLI, with the officer's key behind NCALayer (a
//! test double speaking its protocol, signing with asn1crypto/cryptography):
//! `eucdoc sign IN --prepare --certificate CERT -o DRAFT` → digest → NCALayer signs it →
//! `eucdoc sign DRAFT --embed SIG -o OUT`; the result verifies in eucdoc and in pyHanko, and
//! every CMS that does not fit the draft is refused with nothing written.

mod common;

use std::path::Path;

use base64::Engine;
use common::ncalayer::NcaLayer;
use common::{run, write_temp};

const DEV_PASSWORD: &str = "eucdoc-dev";

fn eucdoc(args: &[&str]) -> std::process::Output {
    run(env!("CARGO_BIN_EXE_eucdoc"), args)
}

fn dev_pki(dir: &Path) -> eucdoc::devpki::DevPkiFiles {
    eucdoc::devpki::generate(dir, DEV_PASSWORD, time::UtcDateTime::now().unix_timestamp()).unwrap()
}

/// `--prepare` with `certificate`: the draft's path and the printed digest.
fn prepare(dir: &Path, certificate: &[u8]) -> (std::path::PathBuf, Vec<u8>, String) {
    let unsigned = common::unsigned_example(dir, "unsigned.pdf");
    let cert = write_temp(dir, "officer.der", certificate);
    let draft = dir.join("draft.pdf");
    let out = eucdoc(&[
        "sign",
        unsigned.to_str().unwrap(),
        "--prepare",
        "--certificate",
        cert.to_str().unwrap(),
        "-o",
        draft.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let digest = base64::engine::general_purpose::STANDARD
        .decode(printed["digest"].as_str().unwrap())
        .unwrap();
    (
        draft,
        digest,
        printed["digest_algorithm"].as_str().unwrap().to_string(),
    )
}

fn embed(dir: &Path, draft: &Path, cms: &[u8], certificate: Option<&[u8]>) -> std::process::Output {
    let cms_path = write_temp(dir, "signature.cms", cms);
    let output = dir.join("signed.pdf");
    let _ = std::fs::remove_file(&output);
    let cert_path = certificate.map(|c| write_temp(dir, "announced.der", c));
    let mut args = vec![
        "sign",
        draft.to_str().unwrap(),
        "--embed",
        cms_path.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ];
    if let Some(path) = &cert_path {
        args.extend(["--certificate", path.to_str().unwrap()]);
    }
    eucdoc(&args)
}

/// `eucdoc verify PDF` against the development PKI (its root trusted, its CRLs given) says
/// TOTAL-PASSED, exit 0; the report.
fn assert_total_passed(pdf: &Path, pki: &eucdoc::devpki::DevPkiFiles) -> serde_json::Value {
    let out = eucdoc(&[
        "verify",
        pdf.to_str().unwrap(),
        "--trust",
        pki.root.to_str().unwrap(),
        "--crl",
        pki.crl.to_str().unwrap(),
        "--crl",
        pki.root_crl.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["indication"], "TOTAL-PASSED", "{report:#}");
    assert_eq!(out.status.code(), Some(0));
    report
}

#[test]
fn cli_external_signing_with_ncalayer() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dev_pki(&dir.path().join("pki"));
    let officer = NcaLayer::start(&pki.officer, DEV_PASSWORD);
    let certificate = officer.certificate();
    let (draft, digest, algorithm) = prepare(dir.path(), &certificate);
    assert_eq!(algorithm, "sha256");
    assert_eq!(digest.len(), 32);
    // The draft's digest is the SHA-256 of its byte ranges.
    let (_, expected) = {
        let bytes = std::fs::read(&draft).unwrap();
        let (d, a) = eucdoc::sign::external::draft_digest(&bytes, &certificate).unwrap();
        (a, d)
    };
    assert_eq!(digest, expected);

    // NCALayer's commonUtils answer (DER bytes here) embeds; the result verifies.
    let cms = officer.sign_hash(&digest);
    let out = embed(dir.path(), &draft, &cms, Some(&certificate));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = dir.path().join("signed.pdf");
    assert_total_passed(&signed, &pki);
    // pyHanko: intact, valid, trusted.
    common::assert_pyhanko_validates(&signed, &pki.root, &[&pki.crl, &pki.root_crl]);

    // basics.sign's base64 answer, without --certificate (the CMS's own certificate).
    let base64_cms = officer.basics_sign_digest(&digest);
    let out = embed(dir.path(), &draft, base64_cms.as_bytes(), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What is refused: the case, the CMS, the certificate given with it, the words expected.
type Refusal<'a> = (&'a str, Vec<u8>, Option<&'a [u8]>, &'a str);

/// What does not fit the draft is refused, exit 2, one line, nothing written: a CMS over
/// another digest, by another key, by an AUTH key, truncated, garbage; an AUTH certificate is
/// refused already at --prepare; a signed PDF is no draft.
#[test]
fn cli_external_signing_refuses_what_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dev_pki(&dir.path().join("pki"));
    let officer = NcaLayer::start(&pki.officer, DEV_PASSWORD);
    let certificate = officer.certificate();
    let (draft, digest, _) = prepare(dir.path(), &certificate);
    let other_key = NcaLayer::start(
        &dir.path().join("pki/applicant-company-head.p12"),
        DEV_PASSWORD,
    );
    let auth_key = NcaLayer::start(&dir.path().join("pki/auth-only.p12"), DEV_PASSWORD);
    let mut other_digest = digest.clone();
    other_digest[0] ^= 1;
    let good = officer.sign_hash(&digest);
    let cases: Vec<Refusal> = vec![
        (
            "another digest",
            officer.sign_hash(&other_digest),
            Some(&certificate),
            "message-digest is not the draft's digest",
        ),
        (
            "another key",
            other_key.sign_hash(&digest),
            Some(&certificate),
            "another certificate",
        ),
        (
            "an AUTH key",
            auth_key.sign_hash(&digest),
            None,
            "nonRepudiation",
        ),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            Some(&certificate),
            "the CMS: BER: truncated",
        ),
        (
            "garbage",
            b"this is not a signature".to_vec(),
            Some(&certificate),
            "the CMS: not base64",
        ),
    ];
    for (what, cms, announced, expected) in cases {
        let out = embed(dir.path(), &draft, &cms, announced);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{what}: {stderr}");
        assert!(!dir.path().join("signed.pdf").exists(), "{what}");
    }
    // The draft stays signable after the refusals.
    let out = embed(dir.path(), &draft, &good, Some(&certificate));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A signed PDF is no draft.
    let signed = std::fs::read(dir.path().join("signed.pdf")).unwrap();
    let signed_path = write_temp(dir.path(), "again.pdf", &signed);
    let out = embed(dir.path(), &signed_path, &good, Some(&certificate));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a document prepared for signing"));
    // An AUTH certificate cannot even prepare.
    let unsigned = common::unsigned_example(dir.path(), "u.pdf");
    let auth_cert = write_temp(dir.path(), "auth.der", &auth_key.certificate());
    let out = eucdoc(&[
        "sign",
        unsigned.to_str().unwrap(),
        "--prepare",
        "--certificate",
        auth_cert.to_str().unwrap(),
        "-o",
        dir.path().join("auth-draft.pdf").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonRepudiation"));
    assert!(!dir.path().join("auth-draft.pdf").exists());
    // A certificate file that holds no certificate is a usage error, not a crash.
    let no_certificate = write_temp(
        dir.path(),
        "none.pem",
        b"-----BEGIN NOTHING-----\nAAAA\n-----END NOTHING-----\n",
    );
    for args in [
        vec![
            "--prepare",
            "--certificate",
            no_certificate.to_str().unwrap(),
        ],
        vec![
            "--embed",
            dir.path().join("signature.cms").to_str().unwrap(),
            "--certificate",
            no_certificate.to_str().unwrap(),
        ],
    ] {
        let output = dir.path().join("none-out.pdf");
        let mut all = vec![
            "sign",
            unsigned.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ];
        all.extend(args);
        let out = eucdoc(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("holds no certificate"), "{stderr}");
        assert!(!output.exists());
    }
}

/// The CMS `der` with every constructed value of definite length made indefinite (X.690 BER, as
/// streaming encoders write it); primitive values and single-octet tags as they are.
fn indefinite(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < der.len() {
        let tag = der[at];
        let first = usize::from(der[at + 1]);
        let (length, header) = if first < 0x80 {
            (first, 2)
        } else {
            let count = first & 0x7f;
            let length = der[at + 2..at + 2 + count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (length, 2 + count)
        };
        let content = &der[at + header..at + header + length];
        if tag & 0x20 != 0 {
            out.extend([tag, 0x80]);
            out.extend(indefinite(content));
            out.extend([0, 0]);
        } else {
            out.extend(&der[at..at + header + length]);
        }
        at += header + length;
    }
    out
}

/// (content start, total length) of the BER element at `at` (single-octet tags).
fn ber_element(ber: &[u8], at: usize) -> (usize, usize) {
    let first = usize::from(ber[at + 1]);
    if first == 0x80 {
        let mut child = at + 2;
        while ber[child..child + 2] != [0, 0] {
            child += ber_element(ber, child).1;
        }
        return (at + 2, child + 2 - at);
    }
    if first < 0x80 {
        return (at + 2, 2 + first);
    }
    let count = first & 0x7f;
    let length = ber[at + 2..at + 2 + count]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    (at + 2 + count, 2 + count + length)
}

/// An attached streaming (indefinite-length) CMS made detached: its eContent cut out of the
/// indefinite EncapsulatedContentInfo, everything else as OpenSSL wrote it.
fn detached(streamed: &[u8]) -> Vec<u8> {
    let (content_info, _) = ber_element(streamed, 0);
    let oid = ber_element(streamed, content_info).1;
    let (explicit, _) = ber_element(streamed, content_info + oid);
    let (signed_data, _) = ber_element(streamed, explicit);
    let version = ber_element(streamed, signed_data).1;
    let algorithms = ber_element(streamed, signed_data + version).1;
    let encapsulated = signed_data + version + algorithms;
    assert_eq!(
        streamed[encapsulated + 1],
        0x80,
        "indefinite EncapsulatedContentInfo"
    );
    let (inner, _) = ber_element(streamed, encapsulated);
    let econtent = inner + ber_element(streamed, inner).1;
    let econtent_length = ber_element(streamed, econtent).1;
    [
        &streamed[..econtent],
        &streamed[econtent + econtent_length..],
    ]
    .concat()
}

/// `pdf` (a draft or a signed PDF) with `cms` written into its last signature's /Contents, in
/// place (zero padding after it), the /ByteRange untouched.
fn with_contents(pdf: &[u8], cms: &[u8]) -> Vec<u8> {
    let [_, a, b, _] = byte_range(pdf);
    let hex = hex::encode_upper(cms);
    assert!(
        hex.len() <= b - a - 2,
        "the CMS fits the reserved /Contents"
    );
    let mut out = pdf.to_vec();
    out[a + 1..b - 1].fill(b'0');
    out[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    out
}

/// The last /ByteRange of `pdf`.
fn byte_range(pdf: &[u8]) -> [usize; 4] {
    let at = pdf
        .windows(10)
        .rposition(|w| w == b"/ByteRange")
        .expect("a /ByteRange");
    let text = String::from_utf8_lossy(&pdf[at..at + 80]);
    let inside = &text[text.find('[').unwrap() + 1..text.find(']').unwrap()];
    let values: Vec<usize> = inside
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    values.try_into().unwrap()
}

/// The bytes a signature over `pdf`'s last /ByteRange covers.
fn signed_bytes(pdf: &[u8]) -> Vec<u8> {
    let [_, a, b, c] = byte_range(pdf);
    [&pdf[..a], &pdf[b..b + c]].concat()
}

/// CMS in BER, which RFC 5652 allows and other signers write, is read like DER: OpenSSL's
/// streaming `openssl cms -sign -binary -stream` (indefinite lengths, the officer's dev key; its
/// content cut out, as the PDF's signature is detached) written straight into the draft's /Contents verifies TOTAL-PASSED in eucdoc and in pyHanko;
/// the same CMS handed to `--embed` (NCALayer may answer in BER) embeds; and a BER re-encoding
/// of the NCALayer double's DER CMS (every constructed value indefinite) verifies too.
#[test]
fn ber_signatures_of_other_signers_verify_and_embed() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dev_pki(&dir.path().join("pki"));
    let officer = NcaLayer::start(&pki.officer, DEV_PASSWORD);
    let certificate = officer.certificate();
    let (draft, digest, _) = prepare(dir.path(), &certificate);
    let draft_bytes = std::fs::read(&draft).unwrap();
    let verify = |pdf: &Path| {
        assert_total_passed(pdf, &pki);
    };

    // OpenSSL's streaming signer, with the officer's key out of its key store.
    let pem = |args: &[&str], name: &str| {
        let path = dir.path().join(name);
        let p12 = pki.officer.to_str().unwrap();
        let mut all = vec!["pkcs12", "-in", p12, "-passin", "pass:eucdoc-dev", "-nodes"];
        all.extend(args);
        all.extend(["-out", path.to_str().unwrap()]);
        let out = run("openssl", &all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    };
    let (cert_pem, key_pem) = (
        pem(&["-clcerts", "-nokeys"], "officer.pem"),
        pem(&["-nocerts"], "officer-key.pem"),
    );
    let content = write_temp(dir.path(), "signed-bytes.bin", &signed_bytes(&draft_bytes));
    let streamed = dir.path().join("streamed.cms");
    let out = run(
        "openssl",
        &[
            "cms",
            "-sign",
            "-binary",
            "-stream",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-in",
            content.to_str().unwrap(),
            "-signer",
            cert_pem.to_str().unwrap(),
            "-inkey",
            key_pem.to_str().unwrap(),
            "-certfile",
            pki.nca.to_str().unwrap(),
            "-out",
            streamed.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `openssl cms` keeps the content when it streams; the PDF's signature is detached.
    let streamed = detached(&std::fs::read(&streamed).unwrap());
    assert_eq!(streamed[1], 0x80, "openssl wrote indefinite lengths (BER)");
    let in_place = write_temp(
        dir.path(),
        "openssl-ber.pdf",
        &with_contents(&draft_bytes, &streamed),
    );
    let report = assert_total_passed(&in_place, &pki);
    // OpenSSL's CMS has no signing-certificate-v2: CMS, not PAdES, and the report says so.
    let level = report["signatures"][0]["level"]
        .as_str()
        .unwrap_or_default();
    assert!(level.starts_with("CMS, not PAdES"), "{report:#}");
    // The report says the CMS was BER.
    assert!(says_ber(&report), "{report:#}");
    common::assert_pyhanko_validates(&in_place, &pki.root, &[&pki.crl, &pki.root_crl]);
    let out = embed(dir.path(), &draft, &streamed, Some(&certificate));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    verify(&dir.path().join("signed.pdf"));

    // Our double's DER answer, re-encoded with indefinite lengths everywhere.
    let ber = indefinite(&officer.sign_hash(&digest));
    assert_ne!(ber, officer.sign_hash(&digest));
    let in_place = write_temp(
        dir.path(),
        "reencoded-ber.pdf",
        &with_contents(&draft_bytes, &ber),
    );
    verify(&in_place);
    let report = assert_total_passed(&in_place, &pki);
    assert!(says_ber(&report), "{report:#}");
    // The DER original says nothing of the kind.
    let report = assert_total_passed(
        &write_temp(
            dir.path(),
            "der.pdf",
            &with_contents(&draft_bytes, &officer.sign_hash(&digest)),
        ),
        &pki,
    );
    assert!(!says_ber(&report), "{report:#}");
    let out = embed(dir.path(), &draft, &ber, Some(&certificate));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the first signature's warnings say its CMS was BER.
fn says_ber(report: &serde_json::Value) -> bool {
    report["signatures"][0]["warnings"]
        .as_array()
        .is_some_and(|warnings| {
            warnings
                .iter()
                .any(|w| w.as_str().unwrap_or_default().contains("encoded in BER"))
        })
}

/// The CMS `der` with its first certificate repeated in the SignedData's certificates (legal
/// DER: a SET OF may hold equal elements), re-encoded with the `der` crate's generic values.
fn with_repeated_certificate(der: &[u8]) -> Vec<u8> {
    use der::{Any, Decode, Encode, Tagged};
    let info = cms::content_info::ContentInfo::from_der(der).unwrap();
    let mut fields: Vec<Any> = Vec::from_der(&info.content.to_der().unwrap()).unwrap();
    let certificates = fields
        .iter_mut()
        .find(|f| f.tag().number().value() == 0 && f.tag().is_context_specific())
        .unwrap();
    let mut reader = der::SliceReader::new(certificates.value()).unwrap();
    let first = Any::decode(&mut reader).unwrap().to_der().unwrap();
    let mut content = certificates.value().to_vec();
    content.extend(&first);
    *certificates = Any::new(certificates.tag(), content).unwrap();
    cms::content_info::ContentInfo {
        content_type: info.content_type,
        content: Any::from_der(&fields.to_der().unwrap()).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// A certificate the CMS carries twice (equal elements in a SET OF, as some signers write) is
/// a warning, not a refusal: the signature verifies TOTAL-PASSED and the report says what was
/// repeated.
#[test]
fn a_repeated_certificate_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dev_pki(&dir.path().join("pki"));
    let officer = NcaLayer::start(&pki.officer, DEV_PASSWORD);
    let certificate = officer.certificate();
    let (draft, digest, _) = prepare(dir.path(), &certificate);
    let repeated = with_repeated_certificate(&officer.sign_hash(&digest));
    let pdf = with_contents(&std::fs::read(&draft).unwrap(), &repeated);
    let path = write_temp(dir.path(), "repeated.pdf", &pdf);
    let report = assert_total_passed(&path, &pki);
    let warnings = report["signatures"][0]["warnings"].to_string();
    assert!(
        warnings.contains("the CMS repeats a certificate"),
        "{report:#}"
    );
}
