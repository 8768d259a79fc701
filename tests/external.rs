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

fn dev_pki(dir: &Path) -> eucdoc::sign::devpki::DevPkiFiles {
    eucdoc::sign::devpki::generate(dir, DEV_PASSWORD, time::UtcDateTime::now().unix_timestamp())
        .unwrap()
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
    let verified = eucdoc(&[
        "verify",
        signed.to_str().unwrap(),
        "--trust",
        pki.root.to_str().unwrap(),
        "--crl",
        pki.crl.to_str().unwrap(),
        "--crl",
        pki.root_crl.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["indication"], "TOTAL-PASSED", "{report:#}");
    assert_eq!(verified.status.code(), Some(0));
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
            "not a DER CMS",
        ),
        (
            "garbage",
            b"this is not a signature".to_vec(),
            Some(&certificate),
            "neither DER, PEM nor base64",
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
