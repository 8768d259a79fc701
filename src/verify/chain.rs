//! The certificate path from the signer to a trust anchor, at the validation time (RFC 5280, 6),
//! with OpenSSL's path validation; and the signer's status from the revocation data the
//! document carries (DSS), each response or CRL checked before it is believed.

use openssl::hash::MessageDigest;
use openssl::ocsp::{OcspCertId, OcspCertStatus, OcspFlag, OcspResponse, OcspResponseStatus};
use openssl::stack::Stack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{CrlStatus, X509, X509Crl, X509StoreContext, X509VerifyResult};

use super::report::SubIndication;

/// Builds a store of trust anchors whose checks run at `time` (Unix seconds).
pub fn store(anchors: &[Vec<u8>], time: i64) -> Result<X509Store, String> {
    let mut builder = X509StoreBuilder::new().map_err(|e| e.to_string())?;
    for der in anchors {
        let cert = X509::from_der(der).map_err(|e| format!("trust anchor: {e}"))?;
        builder.add_cert(cert).map_err(|e| e.to_string())?;
    }
    // Anchors need not be self-signed (the NCA test intermediates are anchors in tests).
    builder
        .set_flags(X509VerifyFlags::PARTIAL_CHAIN)
        .map_err(|e| e.to_string())?;
    let mut param = openssl::x509::verify::X509VerifyParam::new().map_err(|e| e.to_string())?;
    param.set_time(time as _);
    param
        .set_flags(X509VerifyFlags::PARTIAL_CHAIN | X509VerifyFlags::USE_CHECK_TIME)
        .map_err(|e| e.to_string())?;
    builder.set_param(&param).map_err(|e| e.to_string())?;
    Ok(builder.build())
}

/// Validates the path from `leaf` through `untrusted` to an anchor of `store`; returns the chain
/// (leaf first) or the sub-indication and reason.
pub fn validate(
    store: &X509Store,
    leaf: &X509,
    untrusted: &Stack<X509>,
) -> Result<Vec<X509>, (SubIndication, String)> {
    let mut context =
        X509StoreContext::new().map_err(|e| (SubIndication::FormatFailure, e.to_string()))?;
    context
        .init(store, leaf, untrusted, |ctx| {
            let ok = ctx.verify_cert()?;
            let chain: Vec<X509> = ctx
                .chain()
                .map(|c| c.iter().map(|x| x.to_owned()).collect())
                .unwrap_or_default();
            Ok((ok, ctx.error(), ctx.error_depth(), chain))
        })
        .map_err(|e| (SubIndication::FormatFailure, e.to_string()))
        .and_then(|(ok, error, depth, chain)| {
            if ok {
                return Ok(chain);
            }
            let reason = format!("{} (certificate {depth} of the path)", error.error_string());
            Err((sub_indication(error, depth), reason))
        })
}

fn sub_indication(error: X509VerifyResult, depth: u32) -> SubIndication {
    // X509_V_ERR_* (openssl/x509_vfy.h).
    match (error.as_raw(), depth) {
        (10, 0) => SubIndication::Expired,
        (9, 0) => SubIndication::NotYetValid,
        (2 | 18 | 19 | 20 | 21, _) => SubIndication::NoCertificateChainFound,
        _ => SubIndication::ChainConstraintsFailure,
    }
}

/// The signer's status according to the OCSP responses and CRLs the document carries.
pub enum Status {
    /// A verified response or CRL says good.
    Good(String),
    /// A verified response or CRL says revoked.
    Revoked(String),
    /// Nothing usable.
    Unknown(String),
}

/// Looks for `leaf`'s status (issued by `issuer`) in `ocsps` and `crls` (DER).
pub fn status(
    leaf: &X509,
    issuer: &X509,
    ocsps: &[Vec<u8>],
    crls: &[Vec<u8>],
    store: &X509Store,
    untrusted: &Stack<X509>,
) -> Status {
    for der in ocsps {
        let Ok(response) = OcspResponse::from_der(der) else {
            continue;
        };
        if response.status() != OcspResponseStatus::SUCCESSFUL {
            continue;
        }
        let Ok(basic) = response.basic() else {
            continue;
        };
        if basic.verify(untrusted, store, OcspFlag::empty()).is_err() {
            continue;
        }
        let Ok(id) = OcspCertId::from_cert(MessageDigest::sha1(), leaf, issuer) else {
            continue;
        };
        if let Some(found) = basic.find_status(&id) {
            match found.status {
                OcspCertStatus::GOOD => {
                    return Status::Good("OCSP response in the document".into());
                }
                OcspCertStatus::REVOKED => {
                    return Status::Revoked("OCSP response in the document".into());
                }
                _ => {}
            }
        }
    }
    let Ok(issuer_key) = issuer.public_key() else {
        return Status::Unknown("the issuer's key is unreadable".into());
    };
    for der in crls {
        let Ok(crl) = X509Crl::from_der(der) else {
            continue;
        };
        if crl.issuer_name().to_der().ok() != issuer.subject_name().to_der().ok() {
            continue;
        }
        if !crl.verify(&issuer_key).unwrap_or(false) {
            continue;
        }
        return match crl.get_by_cert(leaf) {
            CrlStatus::NotRevoked => Status::Good("CRL in the document".into()),
            _ => Status::Revoked("CRL in the document".into()),
        };
    }
    Status::Unknown(
        "the document carries no OCSP response or CRL for the signer's certificate".into(),
    )
}
