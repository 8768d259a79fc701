//! Validation data for PAdES B-LT: for every certificate that needs it, an OCSP response
//! (RFC 6960) or a CRL (RFC 5280), each checked before it is embedded: the response's or CRL's
//! own signature and its issuer's authority, the certificate's status, freshness. A certificate
//! that is revoked stops the signing; one with no usable data stops it too (no silent B-T).

use std::time::Duration;

use openssl::x509::{X509, X509VerifyResult};

use super::SignError;
use crate::pki::cert::has_ocsp_nocheck;

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
            .is_some_and(|der| crate::pki::cert::is_gost_signed(der))
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
        if crate::pki::cert::is_gost_signed(der) && !root && !has_ocsp_nocheck(cert) {
            gost_certificates.push(der.clone());
        }
    }
    if !signer_only {
        for der in &gost_certificates {
            gost_validation_data(der, &data.certs.clone(), sources, now, &mut data)?;
        }
    }
    // The responder's path ends at a self-signed certificate of the chain.
    let anchors: Vec<X509> = certs.iter().filter(|c| self_signed(c)).cloned().collect();
    let checked = if signer_only {
        &certs[..certs.len().min(1)]
    } else {
        &certs[..]
    };
    for cert in checked.iter().filter(|c| {
        !self_signed(c)
            && !has_ocsp_nocheck(c)
            && !c
                .to_der()
                .is_ok_and(|der| crate::pki::cert::is_gost_signed(&der))
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
            Some(url) => ocsp_status(cert, issuer, &url, (&anchors, &certs), sources.timeout, now)?,
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
        if crl.is_err() {
            crl = crl_status(cert, issuer, &fetch_crls(cert, sources.timeout), now)?;
        }
        match crl {
            Ok(crl) => {
                if !data.crls.contains(&crl) {
                    data.crls.push(crl);
                }
            }
            Err(why_not_crl) => {
                return Err(SignError::Revocation(format!(
                    "no validation data for \"{}\": {why_not_ocsp}, and {why_not_crl} (give --ocsp URL or --crl FILE)",
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
    (anchors, untrusted): (&[X509], &[X509]),
    timeout: Duration,
    now: i64,
) -> Result<Result<Vec<u8>, String>, SignError> {
    let request = crate::pki::fetch::ocsp_request(cert, issuer).map_err(ssl("OCSP"))?;
    let body = match crate::pki::fetch::post(url, "application/ocsp-request", &request, timeout) {
        Ok(body) => body,
        Err(e) => return Ok(Err(format!("OCSP {url}: {e}"))),
    };
    checked_ocsp(cert, issuer, url, body, anchors, untrusted, now)
}

/// A fetched OCSP response, checked by the one checker ([`crate::pki::ocsp`]): good gives the
/// response to embed; revoked or on hold stops the signing; anything else says why it is not
/// usable, so that the CRL may decide.
fn checked_ocsp(
    cert: &X509,
    issuer: &X509,
    url: &str,
    body: Vec<u8>,
    anchors: &[X509],
    untrusted: &[X509],
    now: i64,
) -> Result<Result<Vec<u8>, String>, SignError> {
    use crate::pki::ocsp;
    let checking = ocsp::Checking {
        anchors,
        untrusted,
        time: now,
        now,
    };
    let status = match ocsp::status(cert, issuer, std::slice::from_ref(&body), &checking) {
        Ok(status) => status,
        Err(reason) => return Ok(Err(format!("OCSP {url}: {reason}"))),
    };
    let (state, since) = match status {
        ocsp::Status::Good => return Ok(Ok(body)),
        ocsp::Status::OnHold { since } => ("on hold (certificateHold)".to_string(), since),
        ocsp::Status::Revoked { at, reason } => (
            reason.map_or_else(|| "revoked".to_string(), |r| format!("revoked ({r})")),
            at,
        ),
    };
    Err(SignError::Revoked {
        authority: format!("OCSP {url}: \"{}\"", subject(cert)),
        state,
        since: since
            .map(super::signer::utc_text)
            .unwrap_or_else(|| "an unstated time".into()),
    })
}

/// `Ok(Ok(crl))` when a CRL of `issuer` among `crls` is usable at `now` and does not list
/// `cert` (the one CRL checker, [`crate::pki::crl`]); `Ok(Err(reason))` when none is usable;
/// `Err` when the certificate is listed.
fn crl_status(
    cert: &X509,
    issuer: &X509,
    crls: &[Vec<u8>],
    now: i64,
) -> Result<Result<Vec<u8>, String>, SignError> {
    let (cert_der, issuer_der) = (
        cert.to_der().map_err(ssl("certificate"))?,
        issuer.to_der().map_err(ssl("certificate"))?,
    );
    match crate::pki::crl::status(&cert_der, &issuer_der, crls, now) {
        Ok((index, None)) => Ok(crate::pki::crl::der_of(&crls[index])),
        Ok((_, Some(entry))) => Err(SignError::Revoked {
            authority: format!("CRL: \"{}\"", subject(cert)),
            state: match entry.reason.as_deref() {
                Some("certificateHold") => "on hold (certificateHold)".into(),
                Some(reason) => format!("revoked ({reason})"),
                None => "revoked".into(),
            },
            since: super::signer::utc_text(entry.revoked_at),
        }),
        Err(reason) => Ok(Err(reason)),
    }
}

/// The CRLs at the certificate's http:// distribution points (unreachable ones are skipped;
/// what is fetched is checked like any CRL), each request within `timeout`.
fn fetch_crls(cert: &X509, timeout: Duration) -> Vec<Vec<u8>> {
    use crate::pki::fetch::{Budget, FetchLimits, crls};
    crls(
        cert,
        &Budget::new(FetchLimits {
            total: timeout,
            requests: 4,
        }),
    )
    .crls
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
    let cert = X509::from_der(cert_der).map_err(ssl("certificate"))?;
    let issuer = X509::from_der(issuer_der).map_err(ssl("certificate"))?;
    // A GOST responder's authority is checked against the issuer itself (pki::ocsp).
    ocsp_status(&cert, &issuer, url, (&[], &[]), timeout, now)
}
