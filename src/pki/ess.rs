//! ESS signing-certificate attributes (RFC 2634 v1 with SHA-1, RFC 5035 v2 with any digest):
//! the signed binding of a CMS signature to its signer's certificate, built by `sign` and checked
//! by `verify` and by the timestamp checks.

use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode, Sequence};
use x509_cert::attr::Attributes;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

pub use super::oid::{
    ID_AA_SIGNING_CERTIFICATE, ID_AA_SIGNING_CERTIFICATE_V_2 as ID_AA_SIGNING_CERTIFICATE_V2,
};

/// RFC 5035 IssuerSerial.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    /// The issuer's name.
    pub issuer: Vec<GeneralName>,
    /// The certificate's serial number.
    pub serial_number: SerialNumber,
}

/// RFC 5035 ESSCertIDv2. `hash_algorithm` is DEFAULT sha-256, so DER omits it for SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    /// The digest algorithm (absent: SHA-256).
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// The certificate's digest.
    pub cert_hash: OctetString,
    /// The certificate's issuer and serial number.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// RFC 5035 SigningCertificateV2 (policies, when present, are not read).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// The signer's certificate first.
    pub certs: Vec<EssCertIdV2>,
}

/// RFC 2634 ESSCertID (SHA-1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertId {
    /// SHA-1 of the certificate.
    pub cert_hash: OctetString,
    /// The certificate's issuer and serial number.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// RFC 2634 SigningCertificate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificate {
    /// The signer's certificate first.
    pub certs: Vec<EssCertId>,
}

/// What a SignerInfo's signing-certificate attribute says about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// No signing-certificate(-v2) attribute.
    Absent,
    /// The attribute's first ESSCertID is the certificate's digest.
    Names,
    /// The attribute names another certificate.
    NamesAnother,
    /// The attribute cannot be read or uses a digest not checked here; the reason.
    Unreadable(String),
}

/// Whether the signing-certificate(-v2) attributes among `attributes` name `certificate_der`
/// first (RFC 5035, 3: the first ESSCertID is the signer's). Signers may write both versions,
/// and a hostile one may repeat them: every value of every such attribute is read, and any that
/// names another certificate (or cannot be read) decides over those that name this one.
pub fn binding(attributes: &Attributes, certificate_der: &[u8]) -> Binding {
    let mut found = Binding::Absent;
    for attribute in attributes
        .iter()
        .filter(|a| a.oid == ID_AA_SIGNING_CERTIFICATE_V2 || a.oid == ID_AA_SIGNING_CERTIFICATE)
    {
        if attribute.values.is_empty() {
            return Binding::Unreadable("empty signing-certificate attribute".into());
        }
        for value in attribute.values.iter() {
            match value_binding(attribute.oid, value, certificate_der) {
                Binding::Names => found = Binding::Names,
                other => return other,
            }
        }
    }
    found
}

/// What one value of a signing-certificate(-v2) attribute says about `certificate_der`.
fn value_binding(oid: ObjectIdentifier, value: &der::Any, certificate_der: &[u8]) -> Binding {
    let Ok(value_der) = value.to_der() else {
        return Binding::Unreadable("unreadable signing-certificate attribute".into());
    };
    let unreadable = |what: &str| Binding::Unreadable(what.to_string());
    let (algorithm, hash) = if oid == ID_AA_SIGNING_CERTIFICATE {
        match SigningCertificate::from_der(&value_der).map(|p| p.certs.into_iter().next()) {
            Ok(Some(first)) => (super::oid::ID_SHA_1.to_string(), first.cert_hash),
            Ok(None) => return unreadable("empty signing-certificate"),
            Err(e) => return Binding::Unreadable(format!("unreadable signing-certificate: {e}")),
        }
    } else {
        match SigningCertificateV2::from_der(&value_der).map(|p| p.certs.into_iter().next()) {
            Ok(Some(first)) => (
                first
                    .hash_algorithm
                    .map(|a| a.oid.to_string())
                    .unwrap_or_else(|| super::oid::ID_SHA_256.to_string()),
                first.cert_hash,
            ),
            Ok(None) => return unreadable("empty signing-certificate-v2"),
            Err(e) => {
                return Binding::Unreadable(format!("unreadable signing-certificate-v2: {e}"));
            }
        }
    };
    match super::digest_by_oid(&algorithm, &[certificate_der]) {
        Some(expected) if expected.as_slice() == hash.as_bytes() => Binding::Names,
        Some(_) => Binding::NamesAnother,
        None => Binding::Unreadable(format!(
            "the signing-certificate attribute uses digest {algorithm}, which is not checked"
        )),
    }
}
