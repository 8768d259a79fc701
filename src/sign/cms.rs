//! The CMS SignedData of a PAdES baseline signature (ETSI EN 319 142-1, 5.3; RFC 5652):
//! detached (no encapsulated content), one SignerInfo, signed attributes content-type,
//! message-digest and ESS signing-certificate-v2 (RFC 5035), and no signing-time (the PDF's /M
//! carries the claimed time). Built with the RustCrypto `cms`/`der`/`x509-cert` types: no
//! hand-written DER.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use der::asn1::{Null, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::SignError;
use super::signer::{Digest, KeyAlgorithm, Signer};
use super::timestamp::Tsa;
use crate::pki::ess::{
    EssCertIdV2, ID_AA_SIGNING_CERTIFICATE_V2, IssuerSerial, SigningCertificateV2,
};

use crate::pki::oid::{
    ECDSA_WITH_SHA_256 as ECDSA_WITH_SHA256, ECDSA_WITH_SHA_384 as ECDSA_WITH_SHA384,
    ID_AA_TIME_STAMP_TOKEN as ID_AA_SIGNATURE_TIME_STAMP_TOKEN, ID_SHA_256 as ID_SHA256,
    ID_SHA_384 as ID_SHA384, SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA,
};

fn der_error(e: der::Error) -> SignError {
    SignError::Cms(e.to_string())
}

pub(super) fn digest_algorithm(digest: Digest) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: match digest {
            Digest::Sha256 => ID_SHA256,
            Digest::Sha384 => ID_SHA384,
            Digest::Streebog512 => ObjectIdentifier::new_unwrap(crate::gost::DIGEST_512),
        },
        parameters: None,
    }
}

fn signature_algorithm(algorithm: KeyAlgorithm) -> Result<AlgorithmIdentifierOwned, SignError> {
    Ok(match algorithm {
        // PKCS#1 algorithms carry an explicit NULL (RFC 4055, 2.1).
        KeyAlgorithm::RsaSha256 => AlgorithmIdentifierOwned {
            oid: SHA256_WITH_RSA,
            parameters: Some(Any::encode_from(&Null).map_err(der_error)?),
        },
        KeyAlgorithm::EcdsaP256Sha256 => AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        KeyAlgorithm::EcdsaP384Sha384 => AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA384,
            parameters: None,
        },
        KeyAlgorithm::Gost2015With512 => AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(crate::gost::SIGNATURE_512),
            parameters: None,
        },
    })
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, SignError> {
    let mut values = SetOfVec::new();
    values.insert(value).map_err(der_error)?;
    Ok(Attribute { oid, values })
}

/// The signed attributes over `document_digest`.
fn signed_attributes(
    digest: Digest,
    document_digest: &[u8],
    certificate: &Certificate,
    certificate_der: &[u8],
) -> Result<SetOfVec<Attribute>, SignError> {
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: match digest {
                Digest::Sha256 => None,
                other => Some(digest_algorithm(other)),
            },
            cert_hash: OctetString::new(digest.hash(certificate_der)).map_err(der_error)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    certificate.tbs_certificate.issuer.clone(),
                )],
                serial_number: certificate.tbs_certificate.serial_number.clone(),
            }),
        }],
    };
    let mut attributes = SetOfVec::new();
    for attr in [
        attribute(
            ID_CONTENT_TYPE,
            Any::encode_from(&ID_DATA).map_err(der_error)?,
        )?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(document_digest).map_err(der_error)?)
                .map_err(der_error)?,
        )?,
        attribute(
            ID_AA_SIGNING_CERTIFICATE_V2,
            Any::encode_from(&ess).map_err(der_error)?,
        )?,
    ] {
        attributes.insert(attr).map_err(der_error)?;
    }
    Ok(attributes)
}

/// A built signature: the CMS, and its timestamp token when there is one.
#[derive(Debug, Clone)]
pub struct BuiltSignature {
    /// DER ContentInfo(SignedData).
    pub cms: Vec<u8>,
    /// The signature timestamp token (DER ContentInfo), for B-T and above.
    pub timestamp_token: Option<Vec<u8>>,
}

/// Builds the DER ContentInfo(SignedData) for a document whose digest is `document_digest`,
/// having `signer` sign the DER of the signed attributes (RFC 5652, 5.4).
pub fn signed_data(
    signer: &dyn Signer,
    document_digest: &[u8],
    tsa: Option<&Tsa>,
) -> Result<BuiltSignature, SignError> {
    let algorithm = signer.algorithm();
    let digest = algorithm.digest();
    let certificate = Certificate::from_der(signer.certificate_der()).map_err(der_error)?;
    let attributes = signed_attributes(
        digest,
        document_digest,
        &certificate,
        signer.certificate_der(),
    )?;
    // The signature covers the attributes encoded as an explicit SET OF, not as [0] IMPLICIT.
    let signature = signer.sign(&attributes.to_der().map_err(der_error)?)?;
    // PAdES B-T: a signature timestamp over the signature value (RFC 3161, appendix A).
    let mut timestamp_token = None;
    let unsigned_attrs = match tsa {
        Some(tsa) => {
            // RFC 3161 lets the imprint's digest differ from the signature's. A GOST
            // signature's imprint is SHA-256, which every TSA takes (the NCA's included), where
            // Streebog-512's OID (Kazakh or TC 26) would depend on the TSA.
            let imprint = match digest {
                Digest::Streebog512 => Digest::Sha256,
                other => other,
            };
            let token = tsa.timestamp(imprint, &imprint.hash(&signature))?;
            timestamp_token = Some(token.clone());
            let mut attributes = SetOfVec::new();
            attributes
                .insert(attribute(
                    ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
                    Any::from_der(&token).map_err(der_error)?,
                )?)
                .map_err(der_error)?;
            Some(attributes)
        }
        None => None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate.issuer.clone(),
            serial_number: certificate.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: digest_algorithm(digest),
        signed_attrs: Some(attributes),
        signature_algorithm: signature_algorithm(algorithm)?,
        signature: OctetString::new(signature).map_err(der_error)?,
        unsigned_attrs,
    };
    let mut certificates = SetOfVec::new();
    certificates
        .insert(CertificateChoices::Certificate(certificate))
        .map_err(der_error)?;
    for der in signer.chain_der() {
        let cert = Certificate::from_der(der).map_err(der_error)?;
        // A store may repeat a certificate; a SET OF holds it once.
        if !certificates
            .iter()
            .any(|c| matches!(c, CertificateChoices::Certificate(x) if *x == cert))
        {
            certificates
                .insert(CertificateChoices::Certificate(cert))
                .map_err(der_error)?;
        }
    }
    let mut digest_algorithms = SetOfVec::new();
    digest_algorithms
        .insert(digest_algorithm(digest))
        .map_err(der_error)?;
    let mut signer_infos = SetOfVec::new();
    signer_infos.insert(signer_info).map_err(der_error)?;
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(certificates)),
        crls: None,
        signer_infos: SignerInfos(signer_infos),
    };
    let cms = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(der_error)?,
    }
    .to_der()
    .map_err(der_error)?;
    Ok(BuiltSignature {
        cms,
        timestamp_token,
    })
}

/// The certificates a CMS SignedData carries (DER), such as a TSA's chain in its token.
pub fn certificates(content_info_der: &[u8]) -> Result<Vec<Vec<u8>>, SignError> {
    let info = ContentInfo::from_der(content_info_der).map_err(der_error)?;
    let signed =
        SignedData::from_der(&info.content.to_der().map_err(der_error)?).map_err(der_error)?;
    let mut out = Vec::new();
    for choice in signed.certificates.iter().flat_map(|set| set.0.iter()) {
        if let CertificateChoices::Certificate(cert) = choice {
            out.push(cert.to_der().map_err(der_error)?);
        }
    }
    Ok(out)
}
