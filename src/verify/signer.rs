//! Who signed, for the report: the Kazakh identity a certificate names ([`crate::pki::identity`]),
//! its roles and whether it is a SIGN or an AUTH key.

use der::Decode;

use super::report::Signer;
use crate::pki::cert;

/// Who a certificate (DER) names, per kz-pki.md, and warnings about the identity (IIN/BIN
/// check digits: NCA test certificates fail them, so this is a warning, never silent and never a
/// failure). `None` when it is not a readable certificate. Memoised: the same signers recur,
/// and reading one parses the certificate four times and prints two names.
pub fn signer_from_certificate(der: &[u8]) -> Option<(Signer, Vec<String>)> {
    static CACHE: cert::Memo<Option<(Signer, Vec<String>)>> = cert::Memo::new();
    CACHE.get_or(&[der], || read(der))
}

fn read(der: &[u8]) -> Option<(Signer, Vec<String>)> {
    let identity = crate::pki::identity::SignerIdentity::from_der(der).ok()?;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let roles = cert::eku_of(der)
        .iter()
        .map(|oid| crate::pki::oid::role_name(oid))
        .collect();
    let mut warnings = Vec::new();
    for (label, value) in [("IIN", &identity.iin), ("BIN", &identity.bin)] {
        if let Some(value) = value
            && let Err(error) = crate::model::check_bin_iin(value)
        {
            warnings.push(format!(
                "the certificate's {label} {value} is not valid: {error}"
            ));
        }
    }
    let key = if cert::has_non_repudiation(der) {
        "SIGN"
    } else {
        "AUTH"
    };
    Some((
        Signer {
            full_name: identity.full_name,
            iin: identity.iin,
            bin: identity.bin,
            organisation: identity.organisation,
            serial: identity.serial_hex,
            roles,
            key: key.into(),
            subject: cert.tbs_certificate.subject.to_string(),
            issuer: cert.tbs_certificate.issuer.to_string(),
            certificate: der.to_vec(),
        },
        warnings,
    ))
}
