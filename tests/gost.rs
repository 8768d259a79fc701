//! GOST R 34.10-2015 (512) verification against Kazakhstan's test NCA material
//! (../shared/corpora/kz-nca/ncanode-test): certificates, the CRL, OCSP responses.

mod common;

use common::gost::{der, gost_cms, gost_signed_pdf, nca, verify_as_of_2022};
use common::root;
use eucdoc::gost;
use eucdoc::sign;

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

    // One bit changed in the signed response data (the certificate's serial number): the
    // signature fails.
    let mut tampered = nca("ocsp/ocsp_response_ceo_2015_revoked.bin");
    let serial = x509_serial(&der("keys/KEY_CEO_REVOKED_2015.cert.pem"));
    let at = tampered
        .windows(serial.len())
        .position(|w| w == serial.as_slice())
        .expect("the serial number is in the response");
    tampered[at + 5] ^= 1;
    let answer = gost::check_ocsp_response(&tampered).unwrap();
    assert!(!answer.signature_valid);
}

/// The OpenSSL gost engine (Debian's libengine-gost-openssl, installed by scripts/test.sh) as an
/// independent oracle for GOST R 34.10-2012 512 paramSet A: it signs, we verify; we sign, it
/// verifies. Its signature is s‖r big-endian (the Kazakh r‖s little-endian reversed as a whole);
/// its OIDs are the Russian 1.2.643.7.1.x, its key encoding x‖y little-endian like Kazakhstan's.
mod engine {
    use super::*;
    use der::{Decode, Encode};
    use std::path::Path;

    const RUSSIAN_KEY: &str = "1.2.643.7.1.1.1.2";
    const RUSSIAN_PARAMSET_A: &str = "1.2.643.7.1.2.1.2.1";
    const RUSSIAN_STREEBOG_512: &str = "1.2.643.7.1.1.2.3";

    fn openssl(args: &[&str]) -> std::process::Output {
        let out = common::run("openssl", args);
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// A key made by the engine: its PEM path, scalar (little-endian) and public key.
    fn engine_key(dir: &Path, name: &str) -> (std::path::PathBuf, Vec<u8>, Vec<u8>) {
        let path = dir.join(format!("{name}.pem"));
        openssl(&[
            "genpkey",
            "-engine",
            "gost",
            "-algorithm",
            "gost2012_512",
            "-pkeyopt",
            "paramset:A",
            "-out",
            path.to_str().unwrap(),
        ]);
        let pkcs8 = openssl(&[
            "pkey",
            "-engine",
            "gost",
            "-in",
            path.to_str().unwrap(),
            "-outform",
            "DER",
        ])
        .stdout;
        let info = pkcs8::PrivateKeyInfo::from_der(&pkcs8).unwrap();
        assert_eq!(info.algorithm.oid.to_string(), RUSSIAN_KEY);
        let scalar = der::asn1::OctetString::from_der(info.private_key)
            .map(|o| o.as_bytes().to_vec())
            .unwrap_or_else(|_| info.private_key.to_vec());
        let spki = openssl(&[
            "pkey",
            "-engine",
            "gost",
            "-in",
            path.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
        ])
        .stdout;
        let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(&spki).unwrap();
        let key = der::asn1::OctetString::from_der(spki.subject_public_key.raw_bytes())
            .unwrap()
            .as_bytes()
            .to_vec();
        (path, scalar, key)
    }

    /// A public key in the engine's (Russian) SubjectPublicKeyInfo, as PEM.
    fn russian_spki_pem(key: &[u8]) -> String {
        let oid = |s: &str| der::asn1::ObjectIdentifier::new_unwrap(s);
        let params = vec![oid(RUSSIAN_PARAMSET_A), oid(RUSSIAN_STREEBOG_512)];
        let spki = x509_cert::spki::SubjectPublicKeyInfoOwned {
            algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
                oid: oid(RUSSIAN_KEY),
                parameters: Some(der::Any::from_der(&params.to_der().unwrap()).unwrap()),
            },
            subject_public_key: der::asn1::BitString::from_bytes(
                &der::asn1::OctetString::new(key).unwrap().to_der().unwrap(),
            )
            .unwrap(),
        };
        let der = spki.to_der().unwrap();
        let body = base64_lines(&der);
        format!("-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n")
    }

    fn base64_lines(der: &[u8]) -> String {
        let out = openssl_base64(der);
        out.lines().map(|l| format!("{l}\n")).collect()
    }

    fn openssl_base64(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = common::write_temp(dir.path(), "in.bin", bytes);
        String::from_utf8(openssl(&["base64", "-in", path.to_str().unwrap()]).stdout).unwrap()
    }

    #[test]
    fn streebog_matches_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        for message in [&b""[..], b"abc", &[0x5a; 1000][..]] {
            let path = common::write_temp(dir.path(), "m.bin", message);
            let out = openssl(&[
                "dgst",
                "-engine",
                "gost",
                "-md_gost12_512",
                "-r",
                path.to_str().unwrap(),
            ]);
            let text = String::from_utf8_lossy(&out.stdout);
            let engine_hex = text.split_whitespace().next().unwrap().to_lowercase();
            assert_eq!(engine_hex, hex::encode(gost::streebog512(message)));
        }
    }

    #[test]
    fn engine_signatures_verify_here_and_ours_verify_there() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..3 {
            let (key_path, scalar, public) = engine_key(dir.path(), &format!("k{round}"));
            let ours = gost::GostKey::from_scalar_le(&scalar).unwrap();
            assert_eq!(
                ours.public_key(),
                public.as_slice(),
                "same public key from the scalar"
            );
            for (i, message) in [&b"application 1"[..], &[round as u8; 4097][..]]
                .iter()
                .enumerate()
            {
                let message_path = common::write_temp(dir.path(), &format!("m{i}.bin"), message);
                let signature_path = dir.path().join("s.bin");
                // The engine signs; we verify (its s‖r big-endian reversed = our r‖s LE).
                openssl(&[
                    "dgst",
                    "-engine",
                    "gost",
                    "-md_gost12_512",
                    "-sign",
                    key_path.to_str().unwrap(),
                    "-out",
                    signature_path.to_str().unwrap(),
                    message_path.to_str().unwrap(),
                ]);
                let mut theirs = std::fs::read(&signature_path).unwrap();
                theirs.reverse();
                assert_eq!(gost::verify_message(&public, message, &theirs), Ok(true));
                let mut wrong = message.to_vec();
                wrong[0] ^= 1;
                assert_eq!(gost::verify_message(&public, &wrong, &theirs), Ok(false));
                // We sign; the engine verifies.
                let signature = ours.sign_message(message).unwrap();
                assert!(engine_verifies(
                    dir.path(),
                    &public,
                    &message_path,
                    &signature
                ));
            }
        }
        // A key of ours, never seen by the engine, in its key format: it verifies our signature.
        let key = gost::GostKey::generate().unwrap();
        let message_path = common::write_temp(dir.path(), "fresh.bin", b"fresh key");
        let signature = key.sign_message(b"fresh key").unwrap();
        assert!(engine_verifies(
            dir.path(),
            key.public_key(),
            &message_path,
            &signature
        ));
    }

    /// The OpenSSL gost engine, an implementation other than ours, accepts the signature value
    /// that `eucdoc sign` with the NCA's GOST 2015 key store put into the PDF's CMS, over the
    /// DER of its signed attributes (RFC 5652 §5.4), with the certificate's public key.
    #[test]
    fn engine_accepts_the_cms_signature_of_a_cli_signed_pdf() {
        use cms::content_info::ContentInfo;
        use cms::signed_data::SignedData;
        let dir = tempfile::tempdir().unwrap();
        let pdf = std::fs::read(super::cli_signed_pdf(dir.path())).unwrap();
        // The /Contents hex string is the gap the /ByteRange leaves.
        let at = pdf
            .windows(10)
            .rposition(|w| w == b"/ByteRange")
            .expect("a signature's /ByteRange");
        let open = at + pdf[at..].iter().position(|b| *b == b'[').unwrap();
        let close = open + pdf[open..].iter().position(|b| *b == b']').unwrap();
        let range: Vec<usize> = std::str::from_utf8(&pdf[open + 1..close])
            .unwrap()
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        let (start, length) = (range[1] + 1, range[2] - range[1] - 2);
        let contents = hex::decode(&pdf[start..start + length]).unwrap();
        let mut reader = der::SliceReader::new(&contents).unwrap();
        let info = <ContentInfo as der::Decode>::decode(&mut reader).unwrap();
        let signed = SignedData::from_der(&info.content.to_der().unwrap()).unwrap();
        let signer = signed.signer_infos.0.get(0).unwrap();
        assert_eq!(
            signer.signature_algorithm.oid.to_string(),
            gost::SIGNATURE_512
        );
        let attributes = signer.signed_attrs.as_ref().unwrap().to_der().unwrap();
        let attributes_path = common::write_temp(dir.path(), "attributes.der", &attributes);
        let certificate =
            x509_cert::Certificate::from_der(&der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem"))
                .unwrap();
        let public =
            gost::public_key_of(&certificate.tbs_certificate.subject_public_key_info).unwrap();
        assert!(engine_verifies(
            dir.path(),
            &public,
            &attributes_path,
            signer.signature.as_bytes()
        ));
        let mut changed = attributes.clone();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        let changed_path = common::write_temp(dir.path(), "changed.der", &changed);
        assert!(!engine_verifies(
            dir.path(),
            &public,
            &changed_path,
            signer.signature.as_bytes()
        ));
    }

    /// Whether the engine accepts our signature (r‖s little-endian, reversed for it) of the
    /// message in `message_path` under `public` (written as its SubjectPublicKeyInfo).
    fn engine_verifies(dir: &Path, public: &[u8], message_path: &Path, signature: &[u8]) -> bool {
        let mut reversed = signature.to_vec();
        reversed.reverse();
        let signature_path = common::write_temp(dir, "ours.sig", &reversed);
        let public_pem = common::write_temp(dir, "ours.pem", russian_spki_pem(public).as_bytes());
        // Not `openssl()`: a refusal exits non-zero, and is an answer here.
        let out = common::run(
            "openssl",
            &[
                "dgst",
                "-engine",
                "gost",
                "-md_gost12_512",
                "-verify",
                public_pem.to_str().unwrap(),
                "-signature",
                signature_path.to_str().unwrap(),
                message_path.to_str().unwrap(),
            ],
        );
        String::from_utf8_lossy(&out.stdout).contains("Verified OK")
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Any message, any key: a signature verifies, and fails for another message or a
        /// changed signature.
        #[test]
        fn sign_verify_round_trip(message in proptest::collection::vec(any::<u8>(), 0..2048), flip in 0usize..128) {
            let key = gost::GostKey::generate().unwrap();
            let signature = key.sign_message(&message).unwrap();
            prop_assert_eq!(gost::verify_message(key.public_key(), &message, &signature), Ok(true));
            let mut other = message.clone();
            other.push(1);
            prop_assert_eq!(gost::verify_message(key.public_key(), &other, &signature), Ok(false));
            let mut changed = signature;
            changed[flip] ^= 0x10;
            prop_assert_ne!(gost::verify_message(key.public_key(), &message, &changed), Ok(true));
        }
    }
}

/// The CA's GOST 2015 key stores (password Aa123456) give the key of their certificate: its
/// public key is d·G; what it signs verifies with the certificate; a wrong password is an error.
#[test]
fn nca_2015_key_stores_give_the_certificates_keys() {
    use der::Decode;
    for (p12, cert) in [
        (
            "keys/KEY_INDIVIDUAL_VALID_2015.p12",
            "keys/KEY_INDIVIDUAL_VALID_2015.cert.pem",
        ),
        (
            "keys/KEY_CEO_REVOKED_2015.p12",
            "keys/KEY_CEO_REVOKED_2015.cert.pem",
        ),
    ] {
        let key = gost::GostKey::from_pkcs12(&nca(p12), "Aa123456").unwrap();
        let certificate = x509_cert::Certificate::from_der(&der(cert)).unwrap();
        let public =
            gost::public_key_of(&certificate.tbs_certificate.subject_public_key_info).unwrap();
        assert_eq!(key.public_key(), public.as_slice(), "{p12}");
        let signature = key
            .sign_message(b"application for an end-user certificate")
            .unwrap();
        assert_eq!(
            gost::verify_message(
                &public,
                b"application for an end-user certificate",
                &signature
            ),
            Ok(true)
        );
        assert!(gost::GostKey::from_pkcs12(&nca(p12), "Aa123457").is_err());
        // Its Debug output names the public key only.
        let shown = format!("{key:?}");
        assert!(
            shown.contains("public") && !shown.contains(" d:"),
            "{shown}"
        );
    }
}

/// CMS signatures made with the CA's GOST 2015 test keys pass `verify` at a time inside the
/// certificate's validity given the CA's CRL, with the signer's IIN and roles; tampering fails;
/// the CEO key, on hold, is INDETERMINATE / TRY_LATER.
#[test]
fn gost_cms_signatures_verify_with_the_cas_keys_and_crl() {
    use eucdoc::verify::{self, Indication, SubIndication, VerifyOptions};
    let ca = der("ca/nca_gost2015_test.cer");
    let crl = nca("crl/nca_gost2022_test.crl");
    let at = time::macros::utc_datetime!(2022-12-01 12:00:00);
    let options = |crls: Vec<Vec<u8>>, at: time::UtcDateTime| VerifyOptions {
        trust_anchors: vec![ca.clone()],
        at: Some(at),
        crls,
        ..Default::default()
    };
    let content = "Өтінім / Заявка № 42".as_bytes();
    let key =
        gost::GostKey::from_pkcs12(&nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"), "Aa123456").unwrap();
    let cms = gost_cms(
        &key,
        &der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem"),
        content,
    );
    let verdict = |report: &verify::Report| {
        (
            report.signatures[0].indication,
            report.signatures[0].sub_indication,
        )
    };

    let report = verify::verify(&cms, None, &options(vec![crl.clone()], at)).unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    let signature = &report.signatures[0];
    let signer = signature.signer.as_ref().unwrap();
    assert_eq!(signer.iin.as_deref(), Some("123456789012"));
    assert!(
        signer.roles.contains(&"individual".to_string()),
        "{:?}",
        signer.roles
    );
    assert_eq!(signer.key, "SIGN");
    assert!(
        signature
            .warnings
            .iter()
            .any(|w| w.contains("IIN 123456789012")),
        "the test IIN's check digit is a warning: {:?}",
        signature.warnings
    );
    assert_eq!(signature.chain.len(), 2);
    assert_eq!(
        (
            signature.revocation[0].status,
            signature.revocation[0].source.as_str()
        ),
        (verify::CertificateStatus::Good, "CRL"),
        "{:?}",
        signature.revocation
    );

    // Content changed inside the CMS: the digest fails.
    let at_content = cms
        .windows(content.len())
        .position(|w| w == content)
        .unwrap();
    let mut tampered = cms.clone();
    tampered[at_content] ^= 1;
    let report = verify::verify(&tampered, None, &options(vec![crl.clone()], at)).unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::TotalFailed, Some(SubIndication::HashFailure))
    );
    // The signature value changed: the GOST verification fails.
    let signature_value = key.sign_message(b"something else").unwrap();
    let mut forged = gost_cms(
        &key,
        &der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem"),
        content,
    );
    let original = {
        // The signature is the last 128 bytes before the end of the SignerInfo (no unsigned
        // attributes): replace it.
        let len = forged.len();
        len - 128..len
    };
    forged[original].copy_from_slice(&signature_value);
    let report = verify::verify(&forged, None, &options(vec![crl.clone()], at)).unwrap();
    assert_eq!(
        verdict(&report),
        (
            Indication::TotalFailed,
            Some(SubIndication::SigCryptoFailure)
        )
    );
    // Without the CRL the status is unknown; after the certificate expired, no proof of time.
    let report = verify::verify(&cms, None, &options(vec![], at)).unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::Indeterminate, Some(SubIndication::TryLater))
    );
    let later = time::macros::utc_datetime!(2024-06-01 12:00:00);
    let report = verify::verify(&cms, None, &options(vec![crl.clone()], later)).unwrap();
    assert_eq!(
        verdict(&report),
        (
            Indication::Indeterminate,
            Some(SubIndication::OutOfBoundsNoPoe)
        )
    );
    // Not chaining to the anchor: another CA as anchor.
    let report = verify::verify(
        &cms,
        None,
        &VerifyOptions {
            trust_anchors: vec![der("ca/nca_rsa_test.crt")],
            at: Some(at),
            crls: vec![crl.clone()],
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

    // The CEO key is on hold (certificateHold on the CRL): not passed, TRY_LATER.
    let ceo =
        gost::GostKey::from_pkcs12(&nca("keys/KEY_CEO_REVOKED_2015.p12"), "Aa123456").unwrap();
    let cms = gost_cms(&ceo, &der("keys/KEY_CEO_REVOKED_2015.cert.pem"), content);
    let report = verify::verify(&cms, None, &options(vec![crl.clone()], at)).unwrap();
    assert_eq!(
        verdict(&report),
        (Indication::Indeterminate, Some(SubIndication::TryLater)),
        "{}",
        report.to_text()
    );
    assert_eq!(
        report.signatures[0].revocation[0].status,
        verify::CertificateStatus::OnHold
    );
    // The NCA's OCSP responses, checked and believed (responder issued by the CA): the CEO's
    // says certificateHold; the "valid" individual key's says certificateHold too (a quirk of
    // the test material, reported as the data says): both TRY_LATER, naming OCSP. They date from
    // 2022-09-02, without nextUpdate: a negative answer counts however old it is.
    let with_ocsp = |ocsp: &str| VerifyOptions {
        trust_anchors: vec![ca.clone()],
        at: Some(at),
        ocsps: vec![nca(ocsp)],
        offline: true,
        ..Default::default()
    };
    let ocsp_report = verify::verify(
        &cms,
        None,
        &with_ocsp("ocsp/ocsp_response_ceo_2015_revoked.bin"),
    )
    .unwrap();
    assert_eq!(
        verdict(&ocsp_report),
        (Indication::Indeterminate, Some(SubIndication::TryLater))
    );
    let entry = &ocsp_report.signatures[0].revocation[0];
    assert_eq!(
        (entry.status, entry.source.as_str()),
        (verify::CertificateStatus::OnHold, "OCSP, certificateHold"),
        "{entry:?}"
    );
    let individual = gost_cms(
        &key,
        &der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem"),
        content,
    );
    let ocsp_report = verify::verify(
        &individual,
        None,
        &with_ocsp("ocsp/ocsp_response_individual_2015.bin"),
    )
    .unwrap();
    assert_eq!(
        verdict(&ocsp_report),
        (Indication::Indeterminate, Some(SubIndication::TryLater))
    );
    assert!(
        ocsp_report.signatures[0].revocation[0]
            .source
            .contains("OCSP")
    );
    assert_eq!(
        report.signatures[0].signer.as_ref().unwrap().bin.as_deref(),
        Some("123456789021")
    );
}

/// A PAdES signature made by our signer with the CA's GOST 2015 test key passes `verify` at a
/// time inside the certificate's validity, given the CA's CRL (library and CLI); one byte
/// changed in the signed range fails; the wrong certificate for the key is refused.
#[test]
fn gost_pades_signature_verifies() {
    use eucdoc::verify::{self, Indication, SubIndication, VerifyOptions};
    let pdf = gost_signed_pdf();
    let options = VerifyOptions {
        trust_anchors: vec![der("ca/nca_gost2015_test.cer")],
        at: Some(time::macros::utc_datetime!(2022-12-01 12:00:00)),
        crls: vec![nca("crl/nca_gost2022_test.crl")],
        ..Default::default()
    };
    let report = verify::verify_pdf(&pdf, &options).unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    assert_eq!(
        report.signatures[0].signer.as_ref().unwrap().iin.as_deref(),
        Some("123456789012")
    );
    // The CLI, as an officer runs it.
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = common::write_temp(dir.path(), "gost.pdf", &pdf);
    let ca_path = common::write_temp(dir.path(), "ca.cer", &der("ca/nca_gost2015_test.cer"));
    let crl_path = common::write_temp(dir.path(), "ca.crl", &nca("crl/nca_gost2022_test.crl"));
    let out = common::run(
        env!("CARGO_BIN_EXE_eucdoc"),
        &[
            "verify",
            pdf_path.to_str().unwrap(),
            "--trust",
            ca_path.to_str().unwrap(),
            "--crl",
            crl_path.to_str().unwrap(),
            "--at",
            "2022-12-01T12:00:00Z",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["signer"]["iin"], "123456789012");
    let mut tampered = pdf.clone();
    tampered[200] ^= 1;
    let report = verify::verify_pdf(&tampered, &options).unwrap();
    assert_eq!(
        (
            report.signatures[0].indication,
            report.signatures[0].sub_indication
        ),
        (Indication::TotalFailed, Some(SubIndication::HashFailure)),
        "{}",
        report.to_text()
    );
    assert!(
        sign::GostSigner::from_pkcs12(
            &nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"),
            "Aa123456",
            &der("keys/KEY_CEO_REVOKED_2015.cert.pem"),
            &[],
        )
        .is_err(),
        "a certificate of another key is refused"
    );
}

const GOST_PASSWORD_VARIABLE: &str = "EUCDOC_TEST_GOST_PASSWORD";

fn key_store_path(name: &str) -> std::path::PathBuf {
    common::gost::nca_path(&format!("keys/{name}"))
}

/// `eucdoc ARGS --p12 KEY_INDIVIDUAL_VALID_2015.p12 --password-env … --at 2022-12-01T12:00:00Z`
/// (inside the key's validity), which must succeed.
fn eucdoc_with_gost_key(args: &[&str]) {
    let p12 = key_store_path("KEY_INDIVIDUAL_VALID_2015.p12");
    let mut all = args.to_vec();
    all.extend([
        "--p12",
        p12.to_str().unwrap(),
        "--password-env",
        GOST_PASSWORD_VARIABLE,
        "--at",
        "2022-12-01T12:00:00Z",
    ]);
    let out = eucdoc_with_password(&all, "Aa123456");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `eucdoc ARGS` with the key store's password in the environment.
fn eucdoc_with_password(args: &[&str], password: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_eucdoc"))
        .args(args)
        .env(GOST_PASSWORD_VARIABLE, password)
        .output()
        .unwrap()
}

/// The NCA's GOST 2015 key store signs through `eucdoc sign` as a new user tries it (the key's
/// algorithm, certificate and chain read from the store itself), and through `render --p12`
/// (one document and a JSON Lines batch); every result passes `eucdoc verify` against the test
/// NCA with its CRL, with the signer's IIN and role.
#[test]
fn gost_key_store_signs_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let signed = cli_signed_pdf(dir.path());
    let (code, report) = verify_as_of_2022(dir.path(), &signed);
    assert_eq!(code, 0, "{report:#}");
    let signer = &report["signatures"][0]["signer"];
    assert_eq!(signer["iin"], "123456789012", "{report:#}");
    assert!(
        signer["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap_or_default().contains("individual")),
        "{report:#}"
    );
    let example = root().join("examples/end-user-certificate.json");
    let rendered = dir.path().join("rendered.pdf");
    eucdoc_with_gost_key(&[
        "render",
        example.to_str().unwrap(),
        "-o",
        rendered.to_str().unwrap(),
    ]);
    let (code, report) = verify_as_of_2022(dir.path(), &rendered);
    assert_eq!(code, 0, "{report:#}");
    // A batch of two documents.
    let mut document: serde_json::Value =
        serde_json::from_slice(&common::example("end-user-certificate.json")).unwrap();
    let mut lines = String::new();
    for number in ["KZ-EUC-2022-000001", "KZ-EUC-2022-000002"] {
        document["number"] = number.into();
        lines.push_str(&serde_json::to_string(&document).unwrap());
        lines.push('\n');
    }
    let jsonl = common::write_temp(dir.path(), "batch.jsonl", lines.as_bytes());
    let out_dir = dir.path().join("batch");
    eucdoc_with_gost_key(&[
        "render",
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
    ]);
    for number in ["KZ-EUC-2022-000001", "KZ-EUC-2022-000002"] {
        let (code, report) = verify_as_of_2022(dir.path(), &out_dir.join(format!("{number}.pdf")));
        assert_eq!(code, 0, "{number}: {report:#}");
    }
}

/// A one-page PDF signed by `eucdoc sign` with KEY_INDIVIDUAL_VALID_2015.p12 at 2022-12-01.
fn cli_signed_pdf(dir: &std::path::Path) -> std::path::PathBuf {
    let unsigned = common::unsigned_example(dir, "unsigned.pdf");
    let signed = dir.join("signed.pdf");
    eucdoc_with_gost_key(&[
        "sign",
        unsigned.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
    ]);
    signed
}

/// Every refusal of a key store is one line in plain words, exit 2, no file written, no
/// OpenSSL error stack, the password never echoed: the CEO key on hold (with the CA's CRL),
/// a certificate expired at the signing time, a wrong password, an empty, truncated or foreign
/// file, and a GOST 34.310-2004 key (named: not supported).
#[test]
fn gost_key_store_refusals_are_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let unsigned = common::unsigned_example(dir.path(), "unsigned.pdf");
    let ca = common::write_temp(dir.path(), "ca.cer", &der("ca/nca_gost2015_test.cer"));
    let crl = common::write_temp(dir.path(), "ca.crl", &nca("crl/nca_gost2022_test.crl"));
    let valid = key_store_path("KEY_INDIVIDUAL_VALID_2015.p12");
    let truncated = common::write_temp(
        dir.path(),
        "truncated.p12",
        &std::fs::read(&valid).unwrap()[..700],
    );
    let empty = common::write_temp(dir.path(), "empty.p12", b"");
    let foreign = root().join("examples/end-user-certificate.json");
    let cases: Vec<(std::path::PathBuf, &str, &str, Vec<&str>, &str)> = vec![
        (
            key_store_path("KEY_CEO_REVOKED_2015.p12"),
            "Aa123456",
            "2022-12-01T12:00:00Z",
            vec![
                "--crl",
                crl.to_str().unwrap(),
                "--chain",
                ca.to_str().unwrap(),
            ],
            "on hold (certificateHold) since 2022-07-27",
        ),
        (
            valid.clone(),
            "Aa123456",
            "2026-11-30T12:00:00Z",
            vec![],
            "holds a GOST 34.10-2015 (512-bit) key whose certificate expired on 2023-07-28",
        ),
        (
            valid.clone(),
            "Wrong-Password-42",
            "2022-12-01T12:00:00Z",
            vec![],
            "wrong password",
        ),
        (empty, "Aa123456", "2022-12-01T12:00:00Z", vec![], "empty"),
        (
            truncated,
            "Aa123456",
            "2022-12-01T12:00:00Z",
            vec![],
            "not a PKCS#12 key store",
        ),
        (
            foreign,
            "Aa123456",
            "2022-12-01T12:00:00Z",
            vec![],
            "not a PKCS#12 key store",
        ),
        (
            key_store_path("KEY_CEO_SIGN_REVOKED_2004.p12"),
            "Qwerty12",
            "2022-06-01T12:00:00Z",
            vec![],
            "GOST 34.310-2004",
        ),
    ];
    for (p12, password, at, extra, expected) in cases {
        let output = dir.path().join("out.pdf");
        let mut args = vec![
            "sign",
            unsigned.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "--p12",
            p12.to_str().unwrap(),
            "--password-env",
            GOST_PASSWORD_VARIABLE,
            "--at",
            at,
        ];
        args.extend(extra);
        let out = eucdoc_with_password(&args, password);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", p12.display());
        assert!(stderr.contains(expected), "{}: {stderr}", p12.display());
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(
            !stderr.contains("routines") && !stderr.contains(":error:"),
            "no OpenSSL error stack: {stderr}"
        );
        assert!(!stderr.contains(password), "the password is not echoed");
        assert!(!output.exists(), "nothing written for {}", p12.display());
    }
}

/// The library opens every kind of key store the CA issues by what it holds: GOST 2015 keys
/// with the certificate from the store's encrypted certificate bag, RSA keys as before.
#[test]
fn key_stores_are_opened_by_their_algorithm() {
    use eucdoc::sign::{KeyAlgorithm, KeyStoreSigner, Signer};
    let at = time::macros::utc_datetime!(2022-12-01 12:00:00).unix_timestamp();
    let gost =
        KeyStoreSigner::open(&nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"), "Aa123456", at).unwrap();
    assert_eq!(gost.algorithm(), KeyAlgorithm::Gost2015With512);
    assert_eq!(
        gost.certificate_der(),
        der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem").as_slice(),
        "the certificate comes from the store's RC2-40 certificate bag"
    );
    let signature = gost.sign(b"to be signed").unwrap();
    let public = {
        use der::Decode;
        let cert = x509_cert::Certificate::from_der(gost.certificate_der()).unwrap();
        gost::public_key_of(&cert.tbs_certificate.subject_public_key_info).unwrap()
    };
    assert_eq!(
        gost::verify_message(&public, b"to be signed", &signature),
        Ok(true)
    );
    let rsa = KeyStoreSigner::open(
        &nca("keys/KEY_INDIVIDUAL_VALID_SIGN_2004.p12"),
        "Qwerty12",
        time::macros::utc_datetime!(2021-06-01 12:00:00).unix_timestamp(),
    )
    .unwrap();
    assert_eq!(rsa.algorithm(), KeyAlgorithm::RsaSha256);
    // Debug output shows no key material.
    let shown = format!("{gost:?}");
    assert!(
        !shown.contains(" d:") && !shown.contains("key_info"),
        "{shown}"
    );
}

/// Deterministic nonces (RFC 6979 with HMAC-SHA-512): the same digest gives the same
/// signature, another digest another r; both verify.
#[test]
fn gost_nonces_are_deterministic_and_distinct() {
    let key =
        gost::GostKey::from_pkcs12(&nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"), "Aa123456").unwrap();
    let first = key.sign_message(b"document one").unwrap();
    let again = key.sign_message(b"document one").unwrap();
    let other = key.sign_message(b"document two").unwrap();
    assert_eq!(first, again);
    assert_ne!(first[..64], other[..64], "another nonce for another digest");
    assert_eq!(
        gost::verify_message(key.public_key(), b"document one", &first),
        Ok(true)
    );
    assert_eq!(
        gost::verify_message(key.public_key(), b"document two", &other),
        Ok(true)
    );
    // The scalars at both ends of the range sign too.
    let mut one = [0u8; 64];
    one[0] = 1;
    let smallest = gost::GostKey::from_scalar_le(&one).unwrap();
    let signature = smallest.sign_message(b"edge").unwrap();
    assert_eq!(
        gost::verify_message(smallest.public_key(), b"edge", &signature),
        Ok(true)
    );
    let mut q_minus_one =
        hex::decode("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B274").unwrap();
    q_minus_one.reverse();
    let largest = gost::GostKey::from_scalar_le(&q_minus_one).unwrap();
    let signature = largest.sign_message(b"edge").unwrap();
    assert_eq!(
        gost::verify_message(largest.public_key(), b"edge", &signature),
        Ok(true)
    );
    let mut q = q_minus_one.clone();
    q[0] += 1;
    assert!(
        gost::GostKey::from_scalar_le(&q).is_err(),
        "q is out of range"
    );
    assert!(
        gost::GostKey::from_scalar_le(&[0u8; 64]).is_err(),
        "0 is out of range"
    );
}

/// External signing with a GOST 2015 key (the officer's token): the draft's digest is
/// Streebog-512 of its byte ranges; a CMS made for that digest the way NCALayer signs
/// (content-type and message-digest, Kazakh GOST OIDs) embeds, and the PDF passes the verifier
/// against the test NCA with its CRL; a CMS over another digest is refused.
#[test]
fn gost_external_signing_round_trip() {
    use eucdoc::verify::{self, Indication, VerifyOptions};
    let certificate = der("keys/KEY_INDIVIDUAL_VALID_2015.cert.pem");
    let key =
        gost::GostKey::from_pkcs12(&nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"), "Aa123456").unwrap();
    let at = time::macros::utc_datetime!(2022-12-01 12:00:00);
    let rendered = common::render_bytes(&common::example("end-user-certificate.json"));
    let renderer = common::renderer();
    let levels = sign::LevelOptions::default();
    let draft = sign::external::prepare(
        &rendered.pdf,
        &certificate,
        &[],
        &renderer,
        &sign::StampOptions {
            place: &rendered.signature_place,
            position: None,
            time: at,
            levels: &levels,
            watermark_pages: false,
        },
    )
    .unwrap();
    assert_eq!(draft.digest_algorithm.name(), "streebog512");
    assert_eq!(draft.digest.len(), 64);
    let cms = common::gost::gost_cms_over_digest(&key, &certificate, &draft.digest);
    let signed =
        sign::external::embed(&draft.pdf, &certificate, &cms, at.unix_timestamp()).unwrap();
    let report = verify::verify_pdf(
        &signed,
        &VerifyOptions {
            trust_anchors: vec![der("ca/nca_gost2015_test.cer")],
            at: Some(at),
            crls: vec![nca("crl/nca_gost2022_test.crl")],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    let mut other = draft.digest.clone();
    other[0] ^= 1;
    let wrong = common::gost::gost_cms_over_digest(&key, &certificate, &other);
    let refused = sign::external::embed(&draft.pdf, &certificate, &wrong, at.unix_timestamp())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("message-digest"), "{refused}");
}

/// A loopback HTTP server that answers up to `count` POSTs with `body` (the CA's recorded OCSP
/// response: no GOST OCSP responder can be run here) and then stops; its URL.
fn replaying_responder(body: Vec<u8>, count: usize) -> String {
    use std::io::{BufRead, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let Ok(stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut request = vec![0u8; length];
            let _ = reader.read_exact(&mut request);
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// With `--ocsp`, a GOST key's status is asked before signing and the GOST-signed answer is
/// checked (signature by the responder certificate it carries, which the CA certified): the
/// CA's recorded responses say the CEO key and the individual key are on hold, so neither signs;
/// a responder that answers garbage leaves the CA's CRL to decide (the individual key is not on
/// it: it signs), and with no CRL either there is no status and no signature.
#[test]
fn gost_key_status_is_asked_by_ocsp_before_signing() {
    let dir = tempfile::tempdir().unwrap();
    let unsigned = common::unsigned_example(dir.path(), "unsigned.pdf");
    let ca = common::write_temp(dir.path(), "ca.cer", &der("ca/nca_gost2015_test.cer"));
    let crl = common::write_temp(dir.path(), "ca.crl", &nca("crl/nca_gost2022_test.crl"));
    let output = dir.path().join("out.pdf");
    let sign_with = |key: &str, url: &str, with_crl: bool| {
        let base = gost_sign_arguments(&unsigned, &output, key, &ca);
        let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
        args.extend(["--ocsp", url]);
        if with_crl {
            args.extend(["--crl", crl.to_str().unwrap()]);
        }
        let out = eucdoc_with_password(&args, "Aa123456");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let ceo = replaying_responder(nca("ocsp/ocsp_response_ceo_2015_revoked.bin"), 1);
    let (code, stderr) = sign_with("KEY_CEO_REVOKED_2015.p12", &ceo, false);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("on hold (certificateHold) since 2022-07-27") && stderr.contains("OCSP"),
        "{stderr}"
    );
    assert!(!output.exists());
    let individual = replaying_responder(nca("ocsp/ocsp_response_individual_2015.bin"), 1);
    let (code, stderr) = sign_with("KEY_INDIVIDUAL_VALID_2015.p12", &individual, false);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("on hold (certificateHold)"), "{stderr}");
    assert!(!output.exists());
    let garbage = replaying_responder(b"not an OCSP response".to_vec(), 2);
    let (code, stderr) = sign_with("KEY_INDIVIDUAL_VALID_2015.p12", &garbage, true);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(output.exists());
    std::fs::remove_file(&output).unwrap();
    let (code, stderr) = sign_with("KEY_INDIVIDUAL_VALID_2015.p12", &garbage, false);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no status"), "{stderr}");
    assert!(!output.exists());
}

/// `sign UNSIGNED -o OUTPUT --p12 <the NCA's key store KEY> --password-env … --at
/// 2022-12-01T12:00:00Z --chain CA`, for [`eucdoc_with_password`].
fn gost_sign_arguments(
    unsigned: &std::path::Path,
    output: &std::path::Path,
    key: &str,
    ca: &std::path::Path,
) -> Vec<String> {
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    [
        "sign".to_string(),
        path(unsigned),
        "-o".into(),
        path(output),
        "--p12".into(),
        path(&key_store_path(key)),
        "--password-env".into(),
        GOST_PASSWORD_VARIABLE.into(),
        "--at".into(),
        "2022-12-01T12:00:00Z".into(),
        "--chain".into(),
        path(ca),
    ]
    .to_vec()
}

/// `eucdoc sign` with KEY_INDIVIDUAL_VALID_2015.p12 at 2022-12-01 at `level` with the GOST
/// `tsa`, the test NCA's CRL and `extra` arguments: the signed PDF, or the failed run.
fn gost_signed_with_tsa(
    dir: &std::path::Path,
    level: &str,
    tsa: &common::gost::GostTsa,
    extra: &[&str],
) -> Result<std::path::PathBuf, std::process::Output> {
    let unsigned = common::unsigned_example(dir, "unsigned.pdf");
    let signed = dir.join(format!("{level}.pdf"));
    let crl = common::gost::nca_path("crl/nca_gost2022_test.crl");
    let ca = common::gost::nca_path("ca/nca_gost2015_test.cer");
    let base = gost_sign_arguments(&unsigned, &signed, "KEY_INDIVIDUAL_VALID_2015.p12", &ca);
    let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
    args.extend([
        "--level",
        level,
        "--tsa",
        &tsa.url,
        "--crl",
        crl.to_str().unwrap(),
    ]);
    args.extend(extra);
    let out = eucdoc_with_password(&args, "Aa123456");
    if out.status.success() {
        Ok(signed)
    } else {
        assert!(!signed.exists(), "a failed signing writes no file");
        Err(out)
    }
}

/// `eucdoc verify PDF --format json ARGS` at the real time: exit code and report.
fn verify_now(pdf: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["verify", pdf.to_str().unwrap(), "--format", "json"];
    all.extend(args);
    let out = common::run(env!("CARGO_BIN_EXE_eucdoc"), &all);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code().unwrap_or(-1), report)
}

/// PAdES B-T with a GOST key and a GOST TSA that is not ours (the OpenSSL gost engine's `openssl
/// ts`, TC 26 OIDs, clock at 2022-12-01): verified today, when the signer's certificate (valid
/// to 2023) has long expired, the token is the proof of existence and the signature is
/// TOTAL-PASSED at the token's time. The token counts only when its TSA is trusted and its
/// status is known: without the TSA's root, or without its CRL, the same signature has no proof
/// of time and is INDETERMINATE (OUT_OF_BOUNDS_NO_POE).
#[test]
fn gost_signature_timestamp_from_a_gost_tsa_is_the_proof_of_time() {
    let dir = tempfile::tempdir().unwrap();
    let tsa = common::gost::start_gost_tsa("2022-12-01 12:00:00");
    let signed = gost_signed_with_tsa(dir.path(), "b-t", &tsa, &[]).unwrap_or_else(|out| {
        panic!("b-t: {}", String::from_utf8_lossy(&out.stderr));
    });
    let nca = common::gost::nca_path("ca/nca_gost2015_test.cer");
    let nca_crl = common::gost::nca_path("crl/nca_gost2022_test.crl");
    let (nca, nca_crl) = (nca.to_str().unwrap(), nca_crl.to_str().unwrap());
    let (root, root_crl) = (tsa.root.to_str().unwrap(), tsa.crl.to_str().unwrap());

    let (code, report) = verify_now(
        &signed,
        &[
            "--trust", nca, "--trust", root, "--crl", nca_crl, "--crl", root_crl,
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    let signature = &report["signatures"][0];
    assert_eq!(signature["indication"], "TOTAL-PASSED", "{report:#}");
    let timestamp = signature["timestamp"].as_str().unwrap_or_default();
    assert!(timestamp.starts_with("2022-12-01T12:0"), "{report:#}");
    assert_eq!(signature["validation_time"], timestamp, "{report:#}");
    assert_eq!(signature["signer"]["iin"], "123456789012", "{report:#}");
    assert_eq!(signature["level"], "PAdES B-T", "{report:#}");
    // /M as the signer wrote it (Astana time), in RFC 3339.
    assert_eq!(
        signature["claimed_signing_time"], "2022-12-01T17:00:00+05:00",
        "{report:#}"
    );

    for (args, why) in [
        (
            vec!["--trust", nca, "--crl", nca_crl],
            "the path ends at a self-signed certificate that is not trusted",
        ),
        (
            vec!["--trust", nca, "--trust", root, "--crl", nca_crl],
            "no CRL of its issuer",
        ),
    ] {
        let (code, report) = verify_now(&signed, &args);
        assert_ne!(code, 0, "{report:#}");
        let signature = &report["signatures"][0];
        assert_eq!(signature["indication"], "INDETERMINATE", "{report:#}");
        assert_eq!(
            signature["sub_indication"], "OUT_OF_BOUNDS_NO_POE",
            "{report:#}"
        );
        assert!(signature["timestamp"].is_null(), "{report:#}");
        let checks = [
            &signature["intact"],
            &signature["valid"],
            &signature["trusted"],
        ];
        assert_eq!(
            checks,
            [true, true, false],
            "expired, not broken: {report:#}"
        );
        let warnings = signature["warnings"].to_string();
        assert!(
            warnings.contains("the signature timestamp is not trusted") && warnings.contains(why),
            "{why}: {report:#}"
        );
    }
}

/// PAdES B-LTA with a GOST key and the GOST TSA: the document security store carries the GOST
/// chains and CRLs of the signer and of the TSA, so `eucdoc verify` needs only the two trust
/// anchors; today the signature is TOTAL-PASSED at its timestamp's time (2022) and the document
/// timestamp is TOTAL-PASSED too. Without the TSA's CRL the signing stops (exit 1) with a
/// one-line error naming the TSA, and writes nothing.
#[test]
fn gost_b_lta_carries_the_gost_validation_data() {
    let dir = tempfile::tempdir().unwrap();
    let tsa = common::gost::start_gost_tsa("2022-12-01 12:00:00");
    let root_crl = tsa.crl.to_str().unwrap();
    let signed = gost_signed_with_tsa(dir.path(), "b-lta", &tsa, &["--crl", root_crl])
        .unwrap_or_else(|out| panic!("b-lta: {}", String::from_utf8_lossy(&out.stderr)));
    let nca = common::gost::nca_path("ca/nca_gost2015_test.cer");
    let (code, report) = verify_now(
        &signed,
        &[
            "--trust",
            nca.to_str().unwrap(),
            "--trust",
            tsa.root.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    let signatures = report["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 2, "{report:#}");
    assert_eq!(signatures[0]["indication"], "TOTAL-PASSED", "{report:#}");
    assert!(
        signatures[0]["validation_time"]
            .as_str()
            .unwrap_or_default()
            .starts_with("2022-12-01"),
        "{report:#}"
    );
    assert_eq!(signatures[1]["sub_filter"], "ETSI.RFC3161", "{report:#}");
    assert_eq!(signatures[1]["indication"], "TOTAL-PASSED", "{report:#}");
    assert_eq!(signatures[0]["level"], "PAdES B-LTA", "{report:#}");
    assert_eq!(
        signatures[0]["modification_level"], "lta-updates",
        "{report:#}"
    );
    assert_eq!(signatures[1]["level"], "document timestamp", "{report:#}");
    assert_eq!(signatures[1]["modification_level"], "none", "{report:#}");
    for signature in signatures {
        let checks = [
            &signature["intact"],
            &signature["valid"],
            &signature["trusted"],
        ];
        assert_eq!(checks, [true, true, true], "{report:#}");
    }
    for signature in signatures {
        for entry in signature["revocation"].as_array().unwrap() {
            assert_eq!(
                (&entry["status"], &entry["source"]),
                (&"good".into(), &"CRL".into()),
                "{report:#}"
            );
        }
    }

    let again = tempfile::tempdir().unwrap();
    let failed = gost_signed_with_tsa(again.path(), "b-lt", &tsa, &[]);
    let out = failed.expect_err("b-lt without the TSA's CRL");
    // Exit 1: the input is fine, the validation data are missing.
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no validation data") && stderr.contains("GOST TSA"),
        "{stderr}"
    );
}

/// GOST timestamp tokens are checked here, not by OpenSSL (which cannot): a token of the GOST
/// TSA (the gost engine's) verifies and gives its TSTInfo; one byte changed in its TSTInfo or in
/// its signature value is refused, each for its reason; the NCA's 2004-generation token (GOST
/// 34.11-95) is refused by name, not with an OpenSSL error.
#[test]
fn gost_timestamp_tokens_are_checked_and_tampering_is_refused() {
    use eucdoc::pki::timestamp::verified_tst_info;
    let tsa = common::gost::start_gost_tsa("2022-12-01 12:00:00");
    let digest = sign::Digest::Sha256.hash(b"a signature value");
    let token = sign::timestamp::Tsa::new(&tsa.url)
        .timestamp(sign::Digest::Sha256, &digest)
        .unwrap();
    let info = verified_tst_info(&token).unwrap();
    assert_eq!(info.message_imprint.hashed_message.as_bytes(), digest);
    assert_eq!(
        info.gen_time.to_unix_duration().as_secs() / 60,
        1_669_896_000 / 60,
        "genTime is the TSA's clock, 2022-12-01 12:00 UTC"
    );
    // The TSTInfo's imprint bytes, and the last byte (the signature value's).
    let position = token
        .windows(digest.len())
        .position(|w| w == digest.as_slice())
        .unwrap();
    for (at, reason) in [
        (position, "does not match its message-digest"),
        (token.len() - 1, "GOST signature does not verify"),
    ] {
        let mut tampered = token.clone();
        tampered[at] ^= 0x01;
        let error = verified_tst_info(&tampered).unwrap_err();
        assert!(error.contains(reason), "{error}");
    }
    let error = verified_tst_info(&nca("tsp/tsp_token.bin")).unwrap_err();
    assert!(error.contains("only Streebog-512 is supported"), "{error}");
}
