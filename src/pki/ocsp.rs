//! One OCSP checker (RFC 6960) for `sign`, before it embeds a response, and for `verify`, when it
//! judges one. A response speaks for a certificate when it is successful, its signature
//! verifies, its signer is the issuer or a responder the issuer certified for OCSP signing, it
//! covers this certificate, and, when it says good, it is fresh for the time asked
//! ([`super::ocsp_answer_is_fresh`]). A revoked or on-hold answer is taken as it stands, however
//! old: a negative answer is never ignored (a suspended key must not sign, and a verification
//! cannot pass on it either way). GOST responses are checked through [`crate::gost`], the
//! others through OpenSSL (`OCSP_basic_verify` with the responder's path to the anchors).

use openssl::hash::MessageDigest;
use openssl::ocsp::{OcspCertId, OcspCertStatus, OcspFlag, OcspResponse, OcspResponseStatus};
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};

/// What a response says of the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Good,
    /// Revoked, at a time (Unix seconds) when stated, for a reason when stated.
    Revoked {
        at: Option<i64>,
        reason: Option<String>,
    },
    /// Revoked with certificateHold (suspended, may be lifted), since a time when stated.
    OnHold {
        since: Option<i64>,
    },
}

/// What the responder's signature is checked against (OpenSSL responses) and when.
pub struct Checking<'a> {
    /// Trust anchors for the responder's certificate path.
    pub anchors: &'a [X509],
    /// Other certificates that may complete that path.
    pub untrusted: &'a [X509],
    /// The time the status is wanted for (Unix seconds): the validation time, possibly past.
    pub time: i64,
    /// The current time (Unix seconds), for answers from the future.
    pub now: i64,
}

/// The status of `cert` (issued by `issuer`) in the first of `responses` (DER) that speaks for
/// it; otherwise why none does, one reason per response.
pub fn status(
    cert: &X509,
    issuer: &X509,
    responses: &[Vec<u8>],
    checking: &Checking,
) -> Result<Status, String> {
    if responses.is_empty() {
        return Err("no OCSP response".into());
    }
    let gost = cert
        .to_der()
        .is_ok_and(|der| super::cert::is_gost_signed(&der));
    let mut reasons = Vec::new();
    for der in responses {
        let checked = if gost {
            gost_status(cert, issuer, der, checking)
        } else {
            openssl_status(cert, issuer, der, checking)
        };
        match checked {
            Ok(status) => return Ok(status),
            Err(reason) => reasons.push(reason),
        }
    }
    reasons.dedup();
    Err(reasons.join("; "))
}

/// Whether a good answer of `this_update`..`next_update` speaks for `checking.time`.
fn fresh(this_update: i64, next_update: Option<i64>, checking: &Checking) -> Result<(), String> {
    super::ocsp_answer_is_fresh(this_update, next_update, checking.time, checking.now)
}

fn openssl_status(
    cert: &X509,
    issuer: &X509,
    der: &[u8],
    checking: &Checking,
) -> Result<Status, String> {
    let response = OcspResponse::from_der(der).map_err(|_| "not an OCSP response".to_string())?;
    if response.status() != OcspResponseStatus::SUCCESSFUL {
        return Err(format!(
            "the responder's status is {}",
            response.status().as_raw()
        ));
    }
    let basic = response.basic().map_err(|e| e.to_string())?;
    let store = store(checking.anchors, checking.time).map_err(|e| e.to_string())?;
    let mut stack = Stack::new().map_err(|e| e.to_string())?;
    for c in checking.untrusted.iter().chain([issuer]) {
        stack.push(c.clone()).map_err(|e| e.to_string())?;
    }
    basic
        .verify(&stack, &store, OcspFlag::empty())
        .map_err(|e| format!("the response does not verify for this certificate ({e})"))?;
    let id =
        OcspCertId::from_cert(MessageDigest::sha1(), cert, issuer).map_err(|e| e.to_string())?;
    let found = basic
        .find_status(&id)
        .ok_or("the response does not cover this certificate")?;
    let this_update = super::openssl_time(&found.this_update.to_string())
        .ok_or("the response's thisUpdate cannot be read")?;
    let next_update = match found.next_update() {
        Some(t) => Some(
            super::openssl_time(&t.to_string())
                .ok_or("the response's nextUpdate cannot be read")?,
        ),
        None => None,
    };
    let hold = found.reason
        == openssl::ocsp::OcspRevokedStatus::from_raw(
            openssl::x509::CrlReason::CERTIFICATE_HOLD.as_raw(),
        );
    match found.status {
        OcspCertStatus::GOOD => fresh(this_update, next_update, checking).map(|()| Status::Good),
        OcspCertStatus::REVOKED if hold => Ok(Status::OnHold {
            since: found
                .revocation_time
                .and_then(|t| super::openssl_time(&t.to_string())),
        }),
        OcspCertStatus::REVOKED => Ok(Status::Revoked {
            at: found
                .revocation_time
                .and_then(|t| super::openssl_time(&t.to_string())),
            reason: None,
        }),
        _ => Err("the responder does not know the certificate (unknown)".into()),
    }
}

fn gost_status(
    cert: &X509,
    issuer: &X509,
    der: &[u8],
    checking: &Checking,
) -> Result<Status, String> {
    let (cert_der, issuer_der) = (
        cert.to_der().map_err(|e| e.to_string())?,
        issuer.to_der().map_err(|e| e.to_string())?,
    );
    let answer = crate::gost::check_ocsp_response(der).map_err(|e| e.to_string())?;
    if !answer.signature_valid {
        return Err("the response's signature does not verify".into());
    }
    if !super::gost_ocsp_responder_is_authorised(&answer.responder, &issuer_der) {
        return Err("the responder is neither the issuer nor certified by it for OCSP".into());
    }
    let (serial, issuer) = {
        use der::Decode;
        let serial = x509_cert::Certificate::from_der(&cert_der)
            .map(|c| hex::encode_upper(c.tbs_certificate.serial_number.as_bytes()))
            .map_err(|e| e.to_string())?;
        let issuer = x509_cert::Certificate::from_der(&issuer_der).map_err(|e| e.to_string())?;
        (serial, issuer)
    };
    // RFC 6960, 4.1.1: the CertID names the certificate by its issuer's name and key hashes
    // and its serial number.
    let issuer_name = {
        use der::Encode;
        issuer
            .tbs_certificate
            .subject
            .to_der()
            .map_err(|e| e.to_string())?
    };
    let issuer_key = issuer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    let names_this_certificate = |s: &crate::gost::OcspStatus| {
        s.serial == serial
            && super::digest_by_oid(&s.issuer_hash_algorithm, &[&issuer_name])
                .is_some_and(|hash| hash == s.issuer_name_hash)
            && super::digest_by_oid(&s.issuer_hash_algorithm, &[issuer_key])
                .is_some_and(|hash| hash == s.issuer_key_hash)
    };
    let single = answer
        .statuses
        .iter()
        .find(|s| names_this_certificate(s))
        .ok_or("the response does not cover this certificate")?;
    let on_hold = single.reason.as_deref() == Some("certificateHold");
    match single.status.as_str() {
        "good" => fresh(single.this_update, single.next_update, checking).map(|()| Status::Good),
        "revoked" if on_hold => Ok(Status::OnHold {
            since: single.revoked_at,
        }),
        "revoked" => Ok(Status::Revoked {
            at: single.revoked_at,
            reason: single.reason.clone(),
        }),
        _ => Err("the responder does not know the certificate (unknown)".into()),
    }
}

fn store(anchors: &[X509], time: i64) -> Result<X509Store, openssl::error::ErrorStack> {
    let mut builder = X509StoreBuilder::new()?;
    for anchor in anchors {
        builder.add_cert(anchor.clone())?;
    }
    let mut param = X509VerifyParam::new()?;
    param.set_time(time as _);
    param.set_flags(X509VerifyFlags::PARTIAL_CHAIN | X509VerifyFlags::USE_CHECK_TIME)?;
    builder.set_param(&param)?;
    Ok(builder.build())
}
