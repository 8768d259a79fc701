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
