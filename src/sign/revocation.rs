//! Validation data for PAdES B-LT: for every certificate that needs it, an OCSP response
//! (RFC 6960) or a CRL (RFC 5280), each checked before it is embedded: the response's or CRL's
//! own signature and its issuer's authority, the certificate's status, freshness. A certificate
//! that is revoked stops the signing; one with no usable data stops it too (no silent B-T).

use std::time::Duration;

use openssl::hash::MessageDigest;
use openssl::ocsp::{
    OcspCertId, OcspCertStatus, OcspFlag, OcspRequest, OcspResponse, OcspResponseStatus,
};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{CrlStatus, X509, X509Crl, X509VerifyResult};

use super::SignError;
use crate::pki::cert::has_ocsp_nocheck;

/// Clock skew tolerated on OCSP thisUpdate/nextUpdate, in seconds.
const OCSP_SKEW_SECONDS: u32 = 300;

/// Where revocation data comes from.
#[derive(Debug, Clone, Default)]
pub struct RevocationSources {
    /// An OCSP responder for every certificate (else the one each certificate names in its AIA).
    pub ocsp_url: Option<String>,
    /// CRLs (DER or PEM), used when OCSP is not available or does not know a certificate.
    pub crls: Vec<Vec<u8>>,
    /// Time limit of one request.
    pub timeout: Duration,
}

/// What goes into the document security store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationData {
    /// Certificates (DER).
    pub certs: Vec<Vec<u8>>,
    /// OCSP responses (DER).
    pub ocsps: Vec<Vec<u8>>,
    /// CRLs (DER).
    pub crls: Vec<Vec<u8>>,
}

fn ssl(context: &str) -> impl Fn(openssl::error::ErrorStack) -> SignError + '_ {
    move |e| SignError::Revocation(format!("{context}: {e}"))
}

fn subject(cert: &X509) -> String {
    cert.subject_name()
        .entries()
        .filter_map(|e| e.data().to_string().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

fn self_signed(cert: &X509) -> bool {
    cert.issued(cert) == X509VerifyResult::OK
}

/// Collects validation data for every certificate in `certificates` (DER, any order: the
/// signer's chain and the TSA's) that is neither a trust anchor nor an OCSP responder with
/// nocheck. `now` is Unix seconds.
pub fn collect(
    certificates: &[Vec<u8>],
    sources: &RevocationSources,
    now: i64,
) -> Result<ValidationData, SignError> {
    gather(certificates, sources, now, false)
}

/// Checks the status of the first of `certificates` (the signer's; the rest is its chain) before
/// signing: an error if it is revoked or no status can be had.
pub fn check_signer(
    certificates: &[Vec<u8>],
    sources: &RevocationSources,
    now: i64,
) -> Result<(), SignError> {
    gather(certificates, sources, now, true).map(|_| ())
}

fn gather(
    certificates: &[Vec<u8>],
    sources: &RevocationSources,
    now: i64,
    signer_only: bool,
) -> Result<ValidationData, SignError> {
    let mut certs: Vec<X509> = Vec::new();
    let mut data = ValidationData::default();
    if signer_only
        && certificates
            .first()
            .is_some_and(|der| is_gost_certificate(der))
    {
        return check_gost_signer(certificates, sources, now).map(|()| data);
    }
    for der in certificates {
        if !data.certs.contains(der) {
            data.certs.push(der.clone());
            certs.push(X509::from_der(der).map_err(ssl("certificate"))?);
        }
    }
    // OpenSSL cannot check GOST signatures: GOST-signed certificates get their data here, the
    // rest below.
    let mut gost_certificates = Vec::new();
    for (der, cert) in data.certs.iter().zip(&certs) {
        // OpenSSL cannot read a GOST key, so it cannot tell a GOST root either: its own key
        // verifies its signature.
        let root = super::issuer_in(der, std::slice::from_ref(der)).is_some();
        if is_gost_certificate(der) && !root && !has_ocsp_nocheck(cert) {
            gost_certificates.push(der.clone());
        }
    }
    if !signer_only {
        for der in &gost_certificates {
            gost_validation_data(der, &data.certs.clone(), sources, now, &mut data)?;
        }
    }
    let mut store = X509StoreBuilder::new().map_err(ssl("store"))?;
    for cert in certs.iter().filter(|c| self_signed(c)) {
        store.add_cert(cert.clone()).map_err(ssl("store"))?;
    }
    let store = store.build();
    let mut untrusted = Stack::new().map_err(ssl("store"))?;
    for cert in &certs {
        untrusted.push(cert.clone()).map_err(ssl("store"))?;
    }
    let checked = if signer_only {
        &certs[..certs.len().min(1)]
    } else {
        &certs[..]
    };
    for cert in checked.iter().filter(|c| {
        !self_signed(c)
            && !has_ocsp_nocheck(c)
            && !c.to_der().is_ok_and(|der| is_gost_certificate(&der))
    }) {
        let issuer = certs
            .iter()
            .find(|i| i.issued(cert) == X509VerifyResult::OK)
            .ok_or_else(|| {
                SignError::Revocation(format!(
                    "the issuer of \"{}\" is not available",
                    subject(cert)
                ))
            })?;
        let url = sources.ocsp_url.clone().or_else(|| {
            cert.ocsp_responders()
                .ok()
                .and_then(|r| r.iter().next().map(|s| s.to_string()))
        });
        // OCSP first; a responder that does not vouch for this certificate (not its CA's, or
        // "unknown") leaves the CRL to decide. Nothing unverified is ever embedded.
        let ocsp = match url {
            Some(url) => ocsp_status(cert, issuer, &url, &store, &untrusted, sources.timeout)?,
            None => Err("no OCSP responder".to_string()),
        };
        let why_not_ocsp = match ocsp {
            Ok(response) => {
                data.ocsps.push(response);
                continue;
            }
            Err(reason) => reason,
        };
        // A CRL given, else the one the certificate names (CRL distribution points).
        let mut crl = crl_status(cert, issuer, &sources.crls, now)?;
        if crl.is_none() {
            crl = crl_status(cert, issuer, &fetch_crls(cert, sources.timeout), now)?;
        }
        match crl {
            Some(crl) => {
                if !data.crls.contains(&crl) {
                    data.crls.push(crl);
                }
            }
            None => {
                return Err(SignError::Revocation(format!(
                    "no validation data for \"{}\": {why_not_ocsp}, and no CRL of its issuer (give --ocsp URL or --crl FILE)",
                    subject(cert)
                )));
            }
        }
    }
    Ok(data)
}

/// `Ok(Ok(response))` if the responder vouches `cert` good; `Ok(Err(reason))` if it gives no
/// usable answer (unreachable, not authoritative, unknown); `Err` if the certificate is revoked.
fn ocsp_status(
    cert: &X509,
    issuer: &X509,
    url: &str,
    store: &openssl::x509::store::X509Store,
    untrusted: &Stack<X509>,
    timeout: Duration,
) -> Result<Result<Vec<u8>, String>, SignError> {
    let id = || OcspCertId::from_cert(MessageDigest::sha1(), cert, issuer).map_err(ssl("OCSP"));
    let mut request = OcspRequest::new().map_err(ssl("OCSP"))?;
    request.add_id(id()?).map_err(ssl("OCSP"))?;
    let request = request.to_der().map_err(ssl("OCSP"))?;
    let body = match post(url, "application/ocsp-request", &request, timeout) {
        Ok(body) => body,
        Err(e) => return Ok(Err(format!("OCSP {url}: {e}"))),
    };
    let Ok(response) = OcspResponse::from_der(&body) else {
        return Ok(Err(format!("OCSP {url}: not an OCSP response")));
    };
    if response.status() != OcspResponseStatus::SUCCESSFUL {
        return Ok(Err(format!(
            "OCSP {url}: responder status {}",
            response.status().as_raw()
        )));
    }
    let basic = response.basic().map_err(ssl("OCSP response"))?;
    // The response's signature, and the responder's authority: the CA itself, or a certificate
    // it issued for OCSP signing, chaining to a trust anchor.
    if let Err(e) = basic.verify(untrusted, store, OcspFlag::empty()) {
        return Ok(Err(format!(
            "OCSP {url}: the response does not verify for this certificate ({e})"
        )));
    }
    let id = id()?;
    let Some(status) = basic.find_status(&id) else {
        return Ok(Err(format!(
            "OCSP {url}: the response does not cover this certificate"
        )));
    };
    if let Err(e) = status.check_validity(OCSP_SKEW_SECONDS, None) {
        return Ok(Err(format!("OCSP {url}: stale response ({e})")));
    }
    match status.status {
        OcspCertStatus::GOOD => Ok(Ok(body)),
        OcspCertStatus::REVOKED => Err(SignError::Revoked {
            authority: format!("OCSP {url}: \"{}\"", subject(cert)),
            state: if status.reason == openssl::ocsp::OcspRevokedStatus::STATUS_CERTIFICATE_HOLD {
                "on hold (certificateHold)".into()
            } else {
                "revoked".into()
            },
            since: status
                .revocation_time
                .map(|t| t.to_string())
                .unwrap_or_else(|| "an unstated time".into()),
        }),
        _ => Ok(Err(format!("OCSP {url}: status unknown"))),
    }
}

/// A CRL of `issuer` that verifies, is current and does not list `cert`.
fn crl_status(
    cert: &X509,
    issuer: &X509,
    crls: &[Vec<u8>],
    now: i64,
) -> Result<Option<Vec<u8>>, SignError> {
    let issuer_key = issuer.public_key().map_err(ssl("CRL"))?;
    for raw in crls {
        let crl = X509Crl::from_der(raw)
            .or_else(|_| X509Crl::from_pem(raw))
            .map_err(ssl("CRL"))?;
        if crl.issuer_name().to_der().ok() != issuer.subject_name().to_der().ok() {
            continue;
        }
        if !crl.verify(&issuer_key).map_err(ssl("CRL"))? {
            return Err(SignError::Crl(
                "a CRL's signature does not verify against its issuer".into(),
            ));
        }
        let now_asn1 = openssl::asn1::Asn1Time::from_unix(now).map_err(ssl("CRL"))?;
        if crl.next_update().is_some_and(|next| next < now_asn1) {
            return Err(SignError::Crl("a CRL is past its nextUpdate".into()));
        }
        return match crl.get_by_cert(cert) {
            CrlStatus::NotRevoked => Ok(Some(crl.to_der().map_err(ssl("CRL"))?)),
            CrlStatus::Revoked(entry) | CrlStatus::RemoveFromCrl(entry) => {
                Err(SignError::Revoked {
                    authority: format!("CRL: \"{}\"", subject(cert)),
                    state: "revoked".into(),
                    since: entry.revocation_date().to_string(),
                })
            }
        };
    }
    Ok(None)
}

/// The CRLs at the certificate's http:// distribution points (unreachable ones are skipped;
/// what is fetched is checked like any CRL), each request within `timeout`.
fn fetch_crls(cert: &X509, timeout: Duration) -> Vec<Vec<u8>> {
    use crate::pki::fetch::{Budget, FetchLimits, crls_of};
    crls_of(
        cert,
        &Budget::new(FetchLimits {
            total: timeout,
            requests: 4,
        }),
    )
}

/// POSTs `body` over plain HTTP (OCSP and TSA answers are signed) and reads a bounded answer.
pub(super) fn post(
    url: &str,
    content_type: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    crate::pki::fetch::post(url, content_type, body, timeout)
}

/// Whether a certificate is signed with one of Kazakhstan's GOST algorithms.
fn is_gost_certificate(der: &[u8]) -> bool {
    use der::Decode;
    x509_cert::Certificate::from_der(der)
        .is_ok_and(|c| crate::gost::is_gost(&c.signature_algorithm.oid.to_string()))
}

/// Whether a certificate (DER) is a CA's (basicConstraints cA).
fn is_ca(der: &[u8]) -> bool {
    use der::Decode;
    x509_cert::Certificate::from_der(der).is_ok_and(|c| {
        c.tbs_certificate.extensions.iter().flatten().any(|e| {
            e.extn_id == const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS
                && x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes())
                    .is_ok_and(|b| b.ca)
        })
    })
}

/// The status of a GOST signer's certificate (the first of `certificates`; its issuer among
/// the rest) before signing: OCSP from `sources` or the certificate's AIA, checked with the GOST
/// primitives (the response's signature by the responder certificate it carries, which must be
/// the issuer or certified by it for OCSP signing); where OCSP gives no usable answer, the
/// issuer's CRL among `sources.crls`. Revoked or on hold → [`SignError::Revoked`]; no status
/// at all → [`SignError::Revocation`].
fn check_gost_signer(
    certificates: &[Vec<u8>],
    sources: &RevocationSources,
    now: i64,
) -> Result<(), SignError> {
    let Some((signer, chain)) = certificates.split_first() else {
        return Ok(());
    };
    let issuer = super::issuer_in(signer, chain).ok_or_else(|| {
        SignError::Revocation(
            "the issuer of the signing certificate is not available (add it with --chain)".into(),
        )
    })?;
    let why_not_ocsp = match gost_ocsp(signer, issuer, sources, now)? {
        Ok(_) => return Ok(()),
        Err(reason) => reason,
    };
    if super::check_against_crls(signer, issuer, &sources.crls)? {
        return Ok(());
    }
    Err(SignError::Revocation(format!(
        "no status for the signing certificate: {why_not_ocsp}, and no CRL of its issuer \
         (give --crl FILE)"
    )))
}

/// The GOST OCSP answer for `cert_der` from `sources`' responder or the one its AIA names (see
/// [`gost_ocsp_status`]).
fn gost_ocsp(
    cert_der: &[u8],
    issuer_der: &[u8],
    sources: &RevocationSources,
    now: i64,
) -> Result<Result<Vec<u8>, String>, SignError> {
    let url = sources.ocsp_url.clone().or_else(|| {
        X509::from_der(cert_der)
            .ok()?
            .ocsp_responders()
            .ok()?
            .iter()
            .next()
            .map(|s| s.to_string())
    });
    match url {
        Some(url) => gost_ocsp_status(cert_der, issuer_der, &url, sources.timeout, now),
        None => Ok(Err("no OCSP responder".to_string())),
    }
}

/// B-LT validation data for a GOST-signed certificate (its issuer among `pool`): a good OCSP
/// response, else a current CRL of its issuer (given, else from its distribution points) that
/// verifies and does not list it. Revoked or on hold, or no data at all, stops the signing.
fn gost_validation_data(
    cert_der: &[u8],
    pool: &[Vec<u8>],
    sources: &RevocationSources,
    now: i64,
    data: &mut ValidationData,
) -> Result<(), SignError> {
    use der::Decode;
    let name = x509_cert::Certificate::from_der(cert_der)
        .map(|c| c.tbs_certificate.subject.to_string())
        .unwrap_or_default();
    let Some(issuer) = super::issuer_in(cert_der, pool) else {
        // The top of the chain as the key store and --chain give it (the NCA's test CA names a
        // root that is not published) is the anchor a verifier trusts: it needs no status.
        if is_ca(cert_der) {
            return Ok(());
        }
        return Err(SignError::Revocation(format!(
            "the issuer of \"{name}\" is not available"
        )));
    };
    let why_not_ocsp = match gost_ocsp(cert_der, issuer, sources, now)? {
        Ok(response) => {
            data.ocsps.push(response);
            return Ok(());
        }
        Err(reason) => reason,
    };
    let mut crl = super::current_crl_of(cert_der, issuer, &sources.crls, now)?;
    if crl.is_none() {
        let fetched = X509::from_der(cert_der)
            .map(|cert| fetch_crls(&cert, sources.timeout))
            .unwrap_or_default();
        crl = super::current_crl_of(cert_der, issuer, &fetched, now)?;
    }
    match crl {
        Some(crl) => {
            if !data.crls.contains(&crl) {
                data.crls.push(crl);
            }
            Ok(())
        }
        None => Err(SignError::Revocation(format!(
            "no validation data for \"{name}\": {why_not_ocsp}, and no current CRL of its \
             issuer (give --ocsp URL or --crl FILE)"
        ))),
    }
}

/// `Ok(Ok(response))` if the responder vouches the GOST certificate good; `Ok(Err(reason))` if
/// it gives no usable answer; `Err` if it says revoked or on hold.
fn gost_ocsp_status(
    cert_der: &[u8],
    issuer_der: &[u8],
    url: &str,
    timeout: Duration,
    now: i64,
) -> Result<Result<Vec<u8>, String>, SignError> {
    use der::Decode;
    let cert = X509::from_der(cert_der).map_err(ssl("certificate"))?;
    let issuer = X509::from_der(issuer_der).map_err(ssl("certificate"))?;
    let id = OcspCertId::from_cert(MessageDigest::sha1(), &cert, &issuer).map_err(ssl("OCSP"))?;
    let mut request = OcspRequest::new().map_err(ssl("OCSP"))?;
    request.add_id(id).map_err(ssl("OCSP"))?;
    let request = request.to_der().map_err(ssl("OCSP"))?;
    let body = match post(url, "application/ocsp-request", &request, timeout) {
        Ok(body) => body,
        Err(e) => return Ok(Err(format!("OCSP {url}: {e}"))),
    };
    let answer = match crate::gost::check_ocsp_response(&body) {
        Ok(answer) => answer,
        Err(e) => return Ok(Err(format!("OCSP {url}: {e}"))),
    };
    if !answer.signature_valid {
        return Ok(Err(format!(
            "OCSP {url}: the response's signature does not verify"
        )));
    }
    let authorised = crate::pki::gost_ocsp_responder_is_authorised(&answer.responder, issuer_der);
    if !authorised {
        return Ok(Err(format!(
            "OCSP {url}: the responder is neither the issuer nor certified by it for OCSP"
        )));
    }
    let serial = x509_cert::Certificate::from_der(cert_der)
        .map(|c| hex::encode_upper(c.tbs_certificate.serial_number.as_bytes()))
        .map_err(|e| SignError::Revocation(e.to_string()))?;
    let Some(status) = answer.statuses.iter().find(|s| s.serial == serial) else {
        return Ok(Err(format!(
            "OCSP {url}: the response does not cover this certificate"
        )));
    };
    if status.this_update > now + i64::from(OCSP_SKEW_SECONDS) {
        return Ok(Err(format!("OCSP {url}: the response is from the future")));
    }
    match status.status.as_str() {
        "good" => Ok(Ok(body)),
        "revoked" => Err(SignError::Revoked {
            authority: format!("OCSP {url}"),
            state: match status.reason.as_deref() {
                Some("certificateHold") => "on hold (certificateHold)".into(),
                Some(reason) => format!("revoked ({reason})"),
                None => "revoked".into(),
            },
            since: status
                .revoked_at
                .map(super::signer::utc_text)
                .unwrap_or_else(|| "an unstated time".into()),
        }),
        _ => Ok(Err(format!("OCSP {url}: status unknown"))),
    }
}
