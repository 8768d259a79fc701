//! One CRL checker (RFC 5280, 6.3) for `sign` and `verify`: a CRL speaks for a certificate when
//! its issuer is the certificate's issuer by name, its signature verifies with that issuer's key
//! (GOST through [`crate::gost`], the others through OpenSSL), and it is current for the time
//! asked (its nextUpdate not before it; a CRL issued later is the best evidence). The entry is
//! read the same way for every algorithm. `verify` additionally runs RSA/EC CRLs through
//! OpenSSL's path validation, for their scope (issuing distribution points, indirect CRLs),
//! which PKITS exercises.

use der::Decode;
use x509_cert::crl::CertificateList;

pub use crate::gost::CrlEntry;

/// The CRL (DER) of `crl_bytes`, given as DER or PEM.
pub fn der_of(crl_bytes: &[u8]) -> Result<Vec<u8>, String> {
    if CertificateList::from_der(crl_bytes).is_ok() {
        return Ok(crl_bytes.to_vec());
    }
    openssl::x509::X509Crl::from_pem(crl_bytes)
        .and_then(|c| c.to_der())
        .map_err(|_| "not a CRL (DER or PEM)".to_string())
}

/// Whether `crl` (DER) is signed by `issuer_der`'s key.
pub fn signed_by(crl: &[u8], issuer_der: &[u8]) -> Result<bool, String> {
    let parsed = CertificateList::from_der(crl).map_err(|e| e.to_string())?;
    if crate::gost::is_gost(&parsed.signature_algorithm.oid.to_string()) {
        return crate::gost::verify_crl(crl, issuer_der).map_err(|e| e.to_string());
    }
    let key = super::cert::parse(issuer_der)
        .and_then(|issuer| issuer.public_key())
        .map_err(|e| e.to_string())?;
    openssl::x509::X509Crl::from_der(crl)
        .and_then(|c| c.verify(&key))
        .map_err(|e| e.to_string())
}

/// The entry of `certificate_der` in `crl` (DER), once the CRL's signature is checked against
/// `issuer_der`: `None` when it is not listed.
pub fn entry_in(
    certificate_der: &[u8],
    issuer_der: &[u8],
    crl: &[u8],
) -> Result<Option<CrlEntry>, String> {
    if !signed_by(crl, issuer_der)? {
        return Err("the CRL's signature does not verify against its issuer".into());
    }
    let certificate = x509_cert::Certificate::from_der(certificate_der)
        .map_err(|e| format!("unreadable certificate: {e}"))?;
    crate::gost::crl_entry(crl, certificate.tbs_certificate.serial_number.as_bytes())
        .map_err(|e| e.to_string())
}

/// What the first usable CRL of `crls` says of `certificate_der` at `time`: which CRL (its
/// index) and the entry (`None`: not listed). Otherwise why none is usable.
pub fn status(
    certificate_der: &[u8],
    issuer_der: &[u8],
    crls: &[Vec<u8>],
    time: i64,
) -> Result<(usize, Option<CrlEntry>), String> {
    let issuer_name = x509_cert::Certificate::from_der(issuer_der)
        .map_err(|e| format!("unreadable issuer: {e}"))?
        .tbs_certificate
        .subject;
    let mut reasons = Vec::new();
    for (index, crl) in crls.iter().enumerate() {
        let Ok(crl) = der_of(crl) else {
            reasons.push("a CRL cannot be read".to_string());
            continue;
        };
        let Ok(list) = CertificateList::from_der(&crl) else {
            continue;
        };
        if list.tbs_cert_list.issuer != issuer_name {
            continue;
        }
        if list
            .tbs_cert_list
            .next_update
            .is_some_and(|next| (next.to_unix_duration().as_secs() as i64) < time)
        {
            reasons.push("its issuer's CRL is past its nextUpdate".into());
            continue;
        }
        match entry_in(certificate_der, issuer_der, &crl) {
            Ok(entry) => return Ok((index, entry)),
            Err(reason) => reasons.push(reason),
        }
    }
    reasons.dedup();
    if reasons.is_empty() {
        return Err("no CRL of its issuer".into());
    }
    Err(reasons.join("; "))
}
