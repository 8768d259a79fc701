//! The object identifiers eucdoc reads and writes: const-oid's database where it has them, and
//! the few it lacks (RFC 3161, RFC 5940, ISO 32000's Adobe attribute, SHAKE256, Kazakhstan's
//! roles) declared here once. GOST's identifiers live with the GOST code ([`crate::gost`]).

use const_oid::ObjectIdentifier;

pub use const_oid::db::rfc4519::{CN, GIVEN_NAME, O, OU, SERIAL_NUMBER};
pub use const_oid::db::rfc5280::{
    ANY_POLICY, ID_AD_OCSP, ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_NAME_CONSTRAINTS, ID_KP_CLIENT_AUTH, ID_KP_EMAIL_PROTECTION, ID_KP_OCSP_SIGNING,
    ID_KP_TIME_STAMPING, ID_PE_AUTHORITY_INFO_ACCESS,
};
pub use const_oid::db::rfc5911::{
    ID_AA_SIGNING_CERTIFICATE, ID_AA_SIGNING_CERTIFICATE_V_2, ID_CONTENT_TYPE, ID_MESSAGE_DIGEST,
    ID_SIGNED_DATA, ID_SIGNING_TIME,
};
pub use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ID_RSASSA_PSS, ID_SHA_1, ID_SHA_256, ID_SHA_384,
    ID_SHA_512, SHA_256_WITH_RSA_ENCRYPTION,
};
pub use const_oid::db::rfc6960::ID_PKIX_OCSP_NOCHECK;

/// id-ct-TSTInfo (RFC 3161, 2.4.2).
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-aa-timeStampToken, the signature timestamp attribute (RFC 3161, appendix A).
pub const ID_AA_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// Adobe's revocation-info-archival signed attribute (ISO 32000-1, 12.8.3.3.2).
pub const ID_ADBE_REVOCATION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.8");
/// id-ri-ocsp-response, OCSP responses among a SignedData's CRLs (RFC 5940, 4.1).
pub const ID_RI_OCSP_RESPONSE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");
/// id-shake256 (FIPS 202; RFC 8419 digests with it, 512 bits, for Ed448).
pub const ID_SHAKE_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.12");

/// Kazakhstan's roles in the extended key usage (kz-pki.md, "Roles").
pub mod role {
    /// Individual.
    pub const INDIVIDUAL: &str = "1.2.398.3.3.4.1.1";
    /// Employee of a legal entity.
    pub const EMPLOYEE_OF_LEGAL_ENTITY: &str = "1.2.398.3.3.4.1.2";
    /// First head (director).
    pub const FIRST_HEAD: &str = "1.2.398.3.3.4.1.2.1";
    /// Person with the right to sign.
    pub const RIGHT_TO_SIGN: &str = "1.2.398.3.3.4.1.2.2";
    /// Person with the right to sign financial documents.
    pub const RIGHT_TO_SIGN_FINANCIAL: &str = "1.2.398.3.3.4.1.2.3";
    /// HR officer.
    pub const HR_OFFICER: &str = "1.2.398.3.3.4.1.2.4";
    /// Employee.
    pub const EMPLOYEE: &str = "1.2.398.3.3.4.1.2.5";
    /// Information systems: this prefix, then the system's own arc.
    pub const INFORMATION_SYSTEM_PREFIX: &str = "1.2.398.3.3.4.1.2.6.";
}

/// A role's name in words (the report's `roles`): Kazakh roles and the common extended key
/// usages; any other OID as it is.
pub fn role_name(oid: &str) -> String {
    match oid {
        role::INDIVIDUAL => "individual".into(),
        role::EMPLOYEE_OF_LEGAL_ENTITY => "employee of a legal entity".into(),
        role::FIRST_HEAD => "first head".into(),
        role::RIGHT_TO_SIGN => "right to sign".into(),
        role::RIGHT_TO_SIGN_FINANCIAL => "right to sign financial documents".into(),
        role::HR_OFFICER => "HR officer".into(),
        role::EMPLOYEE => "employee".into(),
        other if other.starts_with(role::INFORMATION_SYSTEM_PREFIX) => {
            format!("information system ({other})")
        }
        other if other == ID_KP_EMAIL_PROTECTION.to_string() => "email protection".into(),
        other if other == ID_KP_CLIENT_AUTH.to_string() => "client authentication".into(),
        other if other == ID_KP_TIME_STAMPING.to_string() => "time stamping".into(),
        other => other.into(),
    }
}
