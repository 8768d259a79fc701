//! GOST R 34.10-2015 (512) verification against Kazakhstan's test NCA material
//! (../shared/corpora/kz-nca/ncanode-test): certificates, the CRL, OCSP responses.

mod common;

use common::root;
use eucdoc::gost;
use eucdoc::sign;

fn nca(path: &str) -> Vec<u8> {
    std::fs::read(
        root()
            .join("../shared/corpora/kz-nca/ncanode-test")
            .join(path),
    )
    .expect("shared corpora beside the project")
}

fn der(path: &str) -> Vec<u8> {
    sign::certificates_from_file(&nca(path))
        .expect("certificate")
        .remove(0)
}

/// The end-user certificates the test NCA issued verify against it; one bit flipped in the
/// signed part, the signature or the issuer's key fails.
#[test]
fn nca_2015_certificates_verify_and_tampering_fails() {
    let ca = der("ca/nca_gost2015_test.cer");
    let mut leaves = vec![
        der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem"),
        der("keys/KEY_CEO_REVOKED_2015.cert.pem"),
    ];
    for (p12, password) in [
        ("keys/KEY_INDIVIDUAL_VALID_2015.p12", "Aa123456"),
        ("keys/KEY_CEO_REVOKED_2015.p12", "Aa123456"),
    ] {
        // The certificate bag, read by OpenSSL (which refuses the GOST key bag itself).
        let path = root()
            .join("../shared/corpora/kz-nca/ncanode-test")
            .join(p12);
        let out = common::run(
            "openssl",
            &[
                "pkcs12",
                "-in",
                path.to_str().unwrap(),
                "-nokeys",
                "-legacy",
                "-passin",
                &format!("pass:{password}"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        leaves.push(
            sign::certificates_from_file(&out.stdout)
                .expect("p12 certificate")
                .remove(0),
        );
    }
    for leaf in &leaves {
        assert_eq!(gost::verify_certificate(leaf, &ca), Ok(true));
        // A bit flipped in the TBS (the serial number, at a fixed place near the start).
        let mut tbs = leaf.clone();
        tbs[20] ^= 1;
        assert_eq!(gost::verify_certificate(&tbs, &ca), Ok(false));
        // In the signature (its last byte).
        let mut signature = leaf.clone();
        let last = signature.len() - 1;
        signature[last] ^= 1;
        assert_eq!(gost::verify_certificate(&signature, &ca), Ok(false));
    }
    // In the issuer's key: not a point of the curve any more, or another key.
    let key_at = ca
        .windows(3)
        .position(|w| w == [0x04, 0x81, 0x80])
        .expect("the CA's key");
    let mut other = ca.clone();
    other[key_at + 3 + 10] ^= 1;
    assert_ne!(gost::verify_certificate(&leaves[0], &other), Ok(true));
    // The CA is self-signed? It names another issuer (its root is not available), so it does
    // not verify itself.
    assert_eq!(gost::verify_certificate(&ca, &ca), Ok(false));
}

/// The test NCA's 2022 CRL verifies against it and lists the CEO 2015 key as on hold.
#[test]
fn nca_2015_crl_verifies_and_lists_the_ceo_key_on_hold() {
    let ca = der("ca/nca_gost2015_test.cer");
    let crl = nca("crl/nca_gost2022_test.crl");
    assert_eq!(gost::verify_crl(&crl, &ca), Ok(true));
    let mut tampered = crl.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(gost::verify_crl(&tampered, &ca), Ok(false));
    let ceo = x509_serial(&der("keys/KEY_CEO_REVOKED_2015.cert.pem"));
    let entry = gost::crl_entry(&crl, &ceo)
        .unwrap()
        .expect("the CEO key is listed");
    assert_eq!(entry.reason.as_deref(), Some("certificateHold"));
    let individual = x509_serial(&der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem"));
    assert_eq!(gost::crl_entry(&crl, &individual).unwrap(), None);
}

fn x509_serial(cert: &[u8]) -> Vec<u8> {
    use der::Decode;
    x509_cert::Certificate::from_der(cert)
        .unwrap()
        .tbs_certificate
        .serial_number
        .as_bytes()
        .to_vec()
}

/// The 2015 OCSP responses verify against the responder certificate they carry, which the test
/// NCA issued; their statuses are reported as the data says (quirks included, kz-pki.md).
#[test]
fn nca_2015_ocsp_responses_verify_and_say_what_they_say() {
    let ca = der("ca/nca_gost2015_test.cer");
    let individual =
        gost::check_ocsp_response(&nca("ocsp/ocsp_response_individual_2015.bin")).unwrap();
    assert!(individual.signature_valid);
    assert_eq!(
        gost::verify_certificate(&individual.responder, &ca),
        Ok(true)
    );
    let status = &individual.statuses[0];
    assert_eq!(
        status.serial,
        hex::encode_upper(x509_serial(&der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem")))
    );
    // The "valid" key reported revoked, certificateHold, at 1970-01-01: reported, not corrected.
    assert_eq!(status.status, "revoked");
    assert_eq!(status.reason.as_deref(), Some("certificateHold"));
    assert_eq!(status.revoked_at, Some(0));

    let ceo = gost::check_ocsp_response(&nca("ocsp/ocsp_response_ceo_2015_revoked.bin")).unwrap();
    assert!(ceo.signature_valid);
    assert_eq!(ceo.statuses[0].status, "revoked");
    assert_eq!(ceo.statuses[0].reason.as_deref(), Some("certificateHold"));
    // 2022-07-27T10:25:30Z.
    assert_eq!(ceo.statuses[0].revoked_at, Some(1_658_917_530));

    // One byte changed in the signed response data: the signature fails.
    let mut tampered = nca("ocsp/ocsp_response_ceo_2015_revoked.bin");
    let at = tampered.len() / 3;
    tampered[at] ^= 1;
    // (Or it no longer parses: either way it is not believed.)
    if let Ok(answer) = gost::check_ocsp_response(&tampered) {
        assert!(!answer.signature_valid);
    }
}
