//! One CRL checker (RFC 5280, 6.3) for `sign` and `verify`: a CRL speaks for a certificate when
//! its issuer is the certificate's issuer by name, its signature verifies with that issuer's key
//! (GOST through [`crate::gost`], the others through OpenSSL), and it is current for the time
//! asked (its nextUpdate not before it; a CRL issued later is the best evidence), and its scope
//! covers the certificate (RFC 5280, 5.2.5 and 6.3.3: a complete, direct CRL whose issuing
//! distribution point, if any, names one of the certificate's distribution points and covers its
//! kind and every reason; no unknown critical extension). The entry is read the same way for
//! every algorithm.

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
    static CACHE: super::cert::Memo<bool> = super::cert::Memo::new();
    CACHE.get_or_try(&[crl, issuer_der], || check_signature(crl, issuer_der))
}

fn check_signature(crl: &[u8], issuer_der: &[u8]) -> Result<bool, String> {
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
    let list = CertificateList::from_der(crl).map_err(|e| e.to_string())?;
    let certificate = x509_cert::Certificate::from_der(certificate_der)
        .map_err(|e| format!("unreadable certificate: {e}"))?;
    checked_entry(&list, crl, &certificate, issuer_der)
}

/// The certificate's entry in `list` (whose DER is `crl`), once its signature is checked.
fn checked_entry(
    list: &CertificateList,
    crl: &[u8],
    certificate: &x509_cert::Certificate,
    issuer_der: &[u8],
) -> Result<Option<CrlEntry>, String> {
    if !signed_by(crl, issuer_der)? {
        return Err("the CRL's signature does not verify against its issuer".into());
    }
    Ok(crate::gost::list_entry(
        list,
        certificate.tbs_certificate.serial_number.as_bytes(),
    ))
}

/// What the first usable CRL of `crls` (DER or PEM) says of `certificate_der` at `time`: which
/// CRL (its index) and the entry (`None`: not listed). Otherwise why none is usable.
pub fn status(
    certificate_der: &[u8],
    issuer_der: &[u8],
    crls: &[Vec<u8>],
    time: i64,
) -> Result<(usize, Option<CrlEntry>), String> {
    let mut reasons = Vec::new();
    for (index, given) in crls.iter().enumerate() {
        match judge(certificate_der, issuer_der, given)? {
            Judgement::Unreadable => reasons.push("a CRL cannot be read".to_string()),
            Judgement::OtherIssuer => {}
            Judgement::Judged { next_update, said } => {
                if next_update.is_some_and(|next| next < time) {
                    reasons.push("its issuer's CRL is past its nextUpdate".into());
                    continue;
                }
                match said {
                    Ok(entry) => return Ok((index, entry)),
                    Err(reason) => reasons.push(reason),
                }
            }
        }
    }
    reasons.dedup();
    if reasons.is_empty() {
        return Err("no CRL of its issuer".into());
    }
    Err(reasons.join("; "))
}

/// What one CRL says of a certificate, whatever the time.
#[derive(Clone)]
enum Judgement {
    Unreadable,
    /// Issued by another issuer: silent on the certificate.
    OtherIssuer,
    /// Its nextUpdate (Unix seconds), and its entry for the certificate if it is usable for it
    /// (scope and signature checked), else why not.
    Judged {
        next_update: Option<i64>,
        said: Result<Option<CrlEntry>, String>,
    },
}

/// What `given` (a CRL, DER or PEM) says of the certificate apart from the time; an unreadable
/// certificate or issuer is an error. Memoised: the same CRLs judge the same certificates in
/// every document, and a CRL can be large to parse.
fn judge(certificate_der: &[u8], issuer_der: &[u8], given: &[u8]) -> Result<Judgement, String> {
    static CACHE: super::cert::Memo<Result<Judgement, String>> = super::cert::Memo::new();
    CACHE.get_or(&[certificate_der, issuer_der, given], || {
        let issuer_name = x509_cert::Certificate::from_der(issuer_der)
            .map_err(|e| format!("unreadable issuer: {e}"))?
            .tbs_certificate
            .subject;
        let certificate = x509_cert::Certificate::from_der(certificate_der)
            .map_err(|e| format!("unreadable certificate: {e}"))?;
        // DER is read once; PEM is brought to DER first.
        let (crl, list) = match CertificateList::from_der(given) {
            Ok(list) => (std::borrow::Cow::Borrowed(given), list),
            Err(_) => match der_of(given).and_then(|der| {
                Ok((
                    CertificateList::from_der(&der).map_err(|e| e.to_string())?,
                    der,
                ))
            }) {
                Ok((list, der)) => (std::borrow::Cow::Owned(der), list),
                Err(_) => return Ok(Judgement::Unreadable),
            },
        };
        if list.tbs_cert_list.issuer != issuer_name {
            return Ok(Judgement::OtherIssuer);
        }
        let next_update = list
            .tbs_cert_list
            .next_update
            .map(|next| next.to_unix_duration().as_secs() as i64);
        let said = covers(&list, &certificate)
            .and_then(|()| checked_entry(&list, &crl, &certificate, issuer_der));
        Ok(Judgement::Judged { next_update, said })
    })
}

/// RFC 5280, 5.2 and 6.3.3: whether `list` is a complete CRL whose scope includes the
/// certificate. What this checker does not handle (indirect, delta or reason-partitioned CRLs)
/// makes the CRL unusable, never a silent "not listed".
fn covers(list: &CertificateList, certificate: &x509_cert::Certificate) -> Result<(), String> {
    use super::oid;
    use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
    use x509_cert::ext::pkix::{BasicConstraints, CrlDistributionPoints};
    const ID_CE_DELTA_CRL_INDICATOR: const_oid::ObjectIdentifier =
        const_oid::db::rfc5280::ID_CE_DELTA_CRL_INDICATOR;
    const ID_CE_ISSUING_DISTRIBUTION_POINT: const_oid::ObjectIdentifier =
        const_oid::db::rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT;
    const UNDERSTOOD: [const_oid::ObjectIdentifier; 4] = [
        ID_CE_ISSUING_DISTRIBUTION_POINT,
        const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        const_oid::db::rfc5280::ID_CE_CRL_NUMBER,
        ID_CE_DELTA_CRL_INDICATOR,
    ];
    let extensions = list
        .tbs_cert_list
        .crl_extensions
        .as_deref()
        .unwrap_or_default();
    if let Some(unknown) = extensions
        .iter()
        .find(|e| e.critical && !UNDERSTOOD.contains(&e.extn_id))
    {
        return Err(format!(
            "its issuer's CRL has an unknown critical extension {}",
            unknown.extn_id
        ));
    }
    if extensions
        .iter()
        .any(|e| e.extn_id == ID_CE_DELTA_CRL_INDICATOR)
    {
        return Err("a delta CRL is not a complete CRL".into());
    }
    let Some(idp) = extensions
        .iter()
        .find(|e| e.extn_id == ID_CE_ISSUING_DISTRIBUTION_POINT)
    else {
        return Ok(());
    };
    let idp = IssuingDistributionPoint::from_der(idp.extn_value.as_bytes()).map_err(|e| {
        format!("its issuer's CRL has an unreadable issuing distribution point: {e}")
    })?;
    if idp.indirect_crl {
        return Err("indirect CRLs are not supported".into());
    }
    if idp.only_some_reasons.is_some() {
        return Err("its issuer's CRL covers only some reasons".into());
    }
    if idp.only_contains_attribute_certs {
        return Err("its issuer's CRL covers only attribute certificates".into());
    }
    let extension = |wanted: const_oid::ObjectIdentifier| {
        certificate
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == wanted)
            .map(|e| e.extn_value.as_bytes().to_vec())
    };
    let is_ca = extension(const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS)
        .and_then(|der| BasicConstraints::from_der(&der).ok())
        .is_some_and(|basic| basic.ca);
    if idp.only_contains_user_certs && is_ca {
        return Err("its issuer's CRL covers only end-entity certificates".into());
    }
    if idp.only_contains_ca_certs && !is_ca {
        return Err("its issuer's CRL covers only CA certificates".into());
    }
    if let Some(scope) = &idp.distribution_point {
        let named = extension(oid::ID_CE_CRL_DISTRIBUTION_POINTS)
            .and_then(|der| CrlDistributionPoints::from_der(&der).ok())
            .is_some_and(|points| {
                points
                    .0
                    .iter()
                    .filter_map(|point| point.distribution_point.as_ref())
                    .any(|name| same_point(name, scope, &list.tbs_cert_list.issuer))
            });
        if !named {
            return Err(
                "its issuer's CRL is for a distribution point the certificate does not name".into(),
            );
        }
    }
    Ok(())
}

/// RFC 5280, 6.3.3 (b)(2)(i): one of the names of a certificate's distribution point matches one
/// of the CRL's issuing distribution point; a name relative to the CRL issuer is that issuer's
/// name with the relative one appended (4.2.1.13).
fn same_point(
    certificate: &x509_cert::ext::pkix::name::DistributionPointName,
    crl: &x509_cert::ext::pkix::name::DistributionPointName,
    crl_issuer: &x509_cert::name::Name,
) -> bool {
    let ours = full_names(certificate, crl_issuer);
    full_names(crl, crl_issuer)
        .iter()
        .any(|name| ours.contains(name))
}

fn full_names(
    point: &x509_cert::ext::pkix::name::DistributionPointName,
    crl_issuer: &x509_cert::name::Name,
) -> Vec<x509_cert::ext::pkix::name::GeneralName> {
    use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
    match point {
        DistributionPointName::FullName(names) => names.clone(),
        DistributionPointName::NameRelativeToCRLIssuer(relative) => {
            let mut rdns = crl_issuer.0.clone();
            rdns.push(relative.clone());
            vec![GeneralName::DirectoryName(x509_cert::name::RdnSequence(
                rdns,
            ))]
        }
    }
}
