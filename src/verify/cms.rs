//! The CMS signature (RFC 5652, 5.4 and 5.6): the signer's certificate, the signed attributes
//! (content-type, message-digest, signing-certificate(-v2)), the signature value.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode};
use openssl::hash::MessageDigest;
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};
use x509_cert::Certificate;

use super::report::SubIndication;

const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
/// Kazakh GOST key and signature algorithms (kz-pki.md): recognised, not yet verified.
const GOST_PREFIX: &str = "1.2.398.3.10.1.1.";

/// A failed check: the sub-indication and the reason.
pub type Failure = (SubIndication, String);

/// What the CMS check found.
#[derive(Debug)]
pub struct CmsCheck {
    /// The signer's certificate (DER), when identified.
    pub signer: Option<Vec<u8>>,
    /// Every certificate in the CMS (DER).
    pub certificates: Vec<Vec<u8>>,
    /// `Ok` when the signature is intact and cryptographically valid.
    pub outcome: Result<(), Failure>,
    /// Things worth knowing.
    pub warnings: Vec<String>,
}

fn format(reason: impl Into<String>) -> Failure {
    (SubIndication::FormatFailure, reason.into())
}

fn digest_of(oid: &ObjectIdentifier) -> Option<MessageDigest> {
    Some(match oid.to_string().as_str() {
        "1.3.14.3.2.26" => MessageDigest::sha1(),
        "2.16.840.1.101.3.4.2.1" => MessageDigest::sha256(),
        "2.16.840.1.101.3.4.2.2" => MessageDigest::sha384(),
        "2.16.840.1.101.3.4.2.3" => MessageDigest::sha512(),
        _ => return None,
    })
}

/// Checks a detached CMS over `parts` (the signed byte ranges).
pub fn check(der: &[u8], parts: &[&[u8]]) -> CmsCheck {
    let mut check = CmsCheck {
        signer: None,
        certificates: Vec::new(),
        outcome: Ok(()),
        warnings: Vec::new(),
    };
    check.outcome = check_inner(
        der,
        parts,
        &mut check.signer,
        &mut check.certificates,
        &mut check.warnings,
    );
    check
}

fn check_inner(
    der: &[u8],
    parts: &[&[u8]],
    signer_out: &mut Option<Vec<u8>>,
    certificates_out: &mut Vec<Vec<u8>>,
    warnings: &mut Vec<String>,
) -> Result<(), Failure> {
    let (signed, signer_der) = parse_signed(der, certificates_out)?;
    *signer_out = Some(signer_der.clone());
    if signed.encap_content_info.econtent.is_some() {
        return Err(format(
            "the CMS encapsulates content; a PDF signature must be detached",
        ));
    }
    let signer = Certificate::from_der(&signer_der).map_err(|e| format(e.to_string()))?;
    let signer_info = signed
        .signer_infos
        .0
        .get(0)
        .ok_or_else(|| format("no SignerInfo"))?;
    let digest_oid = signer_info.digest_alg.oid;
    let digest = digest_of(&digest_oid).ok_or_else(|| {
        (
            SubIndication::CryptoConstraintsFailure,
            format!("unsupported digest algorithm {digest_oid}"),
        )
    })?;
    if digest == MessageDigest::sha1() {
        warnings.push("the signature uses SHA-1".into());
    }
    let mut hasher = openssl::hash::Hasher::new(digest).map_err(|e| format(e.to_string()))?;
    for part in parts {
        hasher.update(part).map_err(|e| format(e.to_string()))?;
    }
    let data_digest = hasher.finish().map_err(|e| format(e.to_string()))?;

    let signed_message = match &signer_info.signed_attrs {
        Some(attributes) => {
            let value_of = |oid: ObjectIdentifier| {
                attributes
                    .iter()
                    .find(|a| a.oid == oid)
                    .and_then(|a| a.values.get(0))
            };
            let content_type = value_of(ID_CONTENT_TYPE)
                .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| format("the content-type attribute is missing"))?;
            if content_type != ID_DATA {
                return Err(format(format!(
                    "content-type is {content_type}, not id-data"
                )));
            }
            let message_digest = value_of(ID_MESSAGE_DIGEST)
                .and_then(|v| v.decode_as::<OctetString>().ok())
                .ok_or_else(|| format("the message-digest attribute is missing"))?;
            if message_digest.as_bytes() != &*data_digest {
                return Err((
                    SubIndication::HashFailure,
                    "the signed bytes do not match the message-digest attribute".into(),
                ));
            }
            check_signing_certificate(attributes, &signer_der, warnings)?;
            // The signature covers the attributes as an explicit SET OF (RFC 5652, 5.4).
            attributes.to_der().map_err(|e| format(e.to_string()))?
        }
        None => {
            warnings.push("no signed attributes (not PAdES baseline)".into());
            parts.concat()
        }
    };

    let algorithm = signer_info.signature_algorithm.oid.to_string();
    let key_algorithm = signer
        .tbs_certificate
        .subject_public_key_info
        .algorithm
        .oid
        .to_string();
    if algorithm.starts_with(GOST_PREFIX) || key_algorithm.starts_with(GOST_PREFIX) {
        return Err((
            SubIndication::CryptoConstraintsFailure,
            "GOST signatures are not supported yet (unsupported algorithm)".into(),
        ));
    }
    let public_key = openssl::x509::X509::from_der(&signer_der)
        .and_then(|c| c.public_key())
        .map_err(|e| format(format!("the signer's public key: {e}")))?;
    let mut verifier = Verifier::new(digest, &public_key).map_err(|e| format(e.to_string()))?;
    if signer_info.signature_algorithm.oid == RSA_PSS {
        verifier
            .set_rsa_padding(Padding::PKCS1_PSS)
            .map_err(|e| format(e.to_string()))?;
        verifier
            .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
            .map_err(|e| format(e.to_string()))?;
        verifier
            .set_rsa_mgf1_md(digest)
            .map_err(|e| format(e.to_string()))?;
    }
    let valid = verifier
        .verify_oneshot(signer_info.signature.as_bytes(), &signed_message)
        .unwrap_or(false);
    if valid {
        Ok(())
    } else {
        Err((
            SubIndication::SigCryptoFailure,
            "the signature value does not verify with the signer's public key".into(),
        ))
    }
}

/// Parses a SignedData with exactly one SignerInfo; collects its certificates (DER) and returns
/// it with the signer's certificate (DER).
fn parse_signed(
    der: &[u8],
    certificates_out: &mut Vec<Vec<u8>>,
) -> Result<(SignedData, Vec<u8>), Failure> {
    let info =
        ContentInfo::from_der(der).map_err(|e| format(format!("not a CMS ContentInfo: {e}")))?;
    let signed = SignedData::from_der(&info.content.to_der().map_err(|e| format(e.to_string()))?)
        .map_err(|e| format(format!("not a CMS SignedData: {e}")))?;
    let certificates: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            _ => None,
        })
        .collect();
    for cert in &certificates {
        certificates_out.push(cert.to_der().map_err(|e| format(e.to_string()))?);
    }
    let infos: Vec<_> = signed.signer_infos.0.iter().collect();
    let [signer_info] = infos.as_slice() else {
        return Err(format(format!(
            "{} SignerInfos; a PAdES signature has exactly one",
            infos.len()
        )));
    };
    let signer = certificates
        .iter()
        .find(|cert| match &signer_info.sid {
            SignerIdentifier::IssuerAndSerialNumber(id) => {
                cert.tbs_certificate.issuer == id.issuer
                    && cert.tbs_certificate.serial_number == id.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => cert
                .tbs_certificate
                .extensions
                .iter()
                .flatten()
                .find(|e| e.extn_id == ID_SKI)
                .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
                .is_some_and(|value| value.as_bytes() == ski.0.as_bytes()),
        })
        .ok_or_else(|| format("the signer's certificate is not in the CMS"))?;
    let signer_der = signer.to_der().map_err(|e| format(e.to_string()))?;
    Ok((signed, signer_der))
}

/// Checks a document timestamp (RFC 3161 token) over `parts`: the token's own signature and its
/// message imprint.
pub fn check_timestamp(der: &[u8], parts: &[&[u8]]) -> CmsCheck {
    let mut check = CmsCheck {
        signer: None,
        certificates: Vec::new(),
        outcome: Ok(()),
        warnings: Vec::new(),
    };
    let outcome = timestamp_inner(der, parts, &mut check.signer, &mut check.certificates);
    check.outcome = outcome;
    check
}

fn timestamp_inner(
    der: &[u8],
    parts: &[&[u8]],
    signer_out: &mut Option<Vec<u8>>,
    certificates_out: &mut Vec<Vec<u8>>,
) -> Result<(), Failure> {
    let (_, signer_der) = parse_signed(der, certificates_out)?;
    *signer_out = Some(signer_der);
    let info = crate::sign::timestamp::verified_tst_info(der)
        .map_err(|reason| (SubIndication::SigCryptoFailure, reason))?;
    let digest = digest_of(&info.message_imprint.hash_algorithm.oid).ok_or_else(|| {
        (
            SubIndication::CryptoConstraintsFailure,
            "unsupported message imprint algorithm".to_string(),
        )
    })?;
    let mut hasher = openssl::hash::Hasher::new(digest).map_err(|e| format(e.to_string()))?;
    for part in parts {
        hasher.update(part).map_err(|e| format(e.to_string()))?;
    }
    let expected = hasher.finish().map_err(|e| format(e.to_string()))?;
    if info.message_imprint.hashed_message.as_bytes() != &*expected {
        return Err((
            SubIndication::HashFailure,
            "the document timestamp's imprint is not over the signed bytes".into(),
        ));
    }
    Ok(())
}

/// The signing-certificate(-v2) attribute, when present, must name the signer's certificate.
fn check_signing_certificate(
    attributes: &x509_cert::attr::Attributes,
    signer_der: &[u8],
    warnings: &mut Vec<String>,
) -> Result<(), Failure> {
    let Some(attribute) = attributes
        .iter()
        .find(|a| a.oid == ID_SIGNING_CERTIFICATE_V2 || a.oid == ID_SIGNING_CERTIFICATE)
    else {
        warnings.push("no signing-certificate attribute binds the signer's certificate".into());
        return Ok(());
    };
    use crate::sign::cms::{SigningCertificate, SigningCertificateV2};
    let value = attribute
        .values
        .get(0)
        .ok_or_else(|| format("empty signing-certificate attribute"))?;
    let value_der = value.to_der().map_err(|e| format(e.to_string()))?;
    // The first ESSCertID names the signer (RFC 5035, 3).
    let (digest, hash) = if attribute.oid == ID_SIGNING_CERTIFICATE {
        let parsed = SigningCertificate::from_der(&value_der)
            .map_err(|e| format(format!("unreadable signing-certificate: {e}")))?;
        let first = parsed
            .certs
            .first()
            .ok_or_else(|| format("empty signing-certificate"))?;
        (MessageDigest::sha1(), first.cert_hash.clone())
    } else {
        let parsed = SigningCertificateV2::from_der(&value_der)
            .map_err(|e| format(format!("unreadable signing-certificate-v2: {e}")))?;
        let first = parsed
            .certs
            .first()
            .ok_or_else(|| format("empty signing-certificate-v2"))?;
        let digest = match &first.hash_algorithm {
            None => MessageDigest::sha256(),
            Some(algorithm) => digest_of(&algorithm.oid)
                .ok_or_else(|| format("unsupported ESSCertIDv2 hash algorithm"))?,
        };
        (digest, first.cert_hash.clone())
    };
    let expected = openssl::hash::hash(digest, signer_der).map_err(|e| format(e.to_string()))?;
    if hash.as_bytes() == &*expected {
        Ok(())
    } else {
        Err(format(
            "the signing-certificate attribute names another certificate than the signer's",
        ))
    }
}
