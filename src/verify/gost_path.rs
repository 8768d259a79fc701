//! Certificate paths and revocation for GOST 34.10-2015 certificates, which OpenSSL cannot
//! check: each certificate's signature by its issuer's key ([`crate::gost`]), validity at the
//! validation time, issuers that are CAs allowed to sign certificates, a trust anchor at the
//! end; then the status of every certificate below the anchor from GOST-signed CRLs (checked
//! against their issuer, current at the validation time).

use der::Decode;
use x509_cert::Certificate;

use super::report::SubIndication;
use crate::gost;

/// Longest path followed.
const MAX_DEPTH: usize = 8;

fn within_validity(cert: &Certificate, time: i64) -> Result<(), SubIndication> {
    let validity = &cert.tbs_certificate.validity;
    if time < validity.not_before.to_unix_duration().as_secs() as i64 {
        return Err(SubIndication::NotYetValid);
    }
    if time > validity.not_after.to_unix_duration().as_secs() as i64 {
        return Err(SubIndication::Expired);
    }
    Ok(())
}

fn may_sign_certificates(cert: &Certificate) -> bool {
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
    let extensions = cert.tbs_certificate.extensions.iter().flatten();
    let mut ca = false;
    let mut key_cert_sign = true;
    for extension in extensions {
        if extension.extn_id == const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS {
            ca = BasicConstraints::from_der(extension.extn_value.as_bytes()).is_ok_and(|b| b.ca);
        }
        if extension.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE {
            key_cert_sign = KeyUsage::from_der(extension.extn_value.as_bytes())
                .is_ok_and(|k| k.key_cert_sign());
        }
    }
    ca && key_cert_sign
}

/// The path from `leaf` to one of `anchors` through `pool` (all DER), valid at `time`; the
/// path is leaf first, anchor last.
pub fn validate(
    leaf: &[u8],
    pool: &[Vec<u8>],
    anchors: &[Vec<u8>],
    time: i64,
) -> Result<Vec<Vec<u8>>, (SubIndication, String)> {
    let format = |e: der::Error| (SubIndication::FormatFailure, e.to_string());
    let mut path = vec![leaf.to_vec()];
    let mut current = Certificate::from_der(leaf).map_err(format)?;
    within_validity(&current, time).map_err(|sub| {
        (
            sub,
            "the signer's certificate is outside its validity at the validation time".into(),
        )
    })?;
    for depth in 0..MAX_DEPTH {
        if anchors
            .iter()
            .any(|a| a.as_slice() == path[depth].as_slice())
        {
            return Ok(path);
        }
        let issuer_name = &current.tbs_certificate.issuer;
        let candidates = anchors
            .iter()
            .map(|a| (a, true))
            .chain(pool.iter().map(|c| (c, false)));
        let mut next = None;
        for (der, is_anchor) in candidates {
            let Ok(candidate) = Certificate::from_der(der) else {
                continue;
            };
            if &candidate.tbs_certificate.subject != issuer_name {
                continue;
            }
            if gost::verify_certificate(&path[depth], der) == Ok(true) {
                next = Some((der.clone(), candidate, is_anchor));
                break;
            }
        }
        // A self-signed certificate that is not an anchor ends the path untrusted.
        if next
            .as_ref()
            .is_some_and(|(der, _, is_anchor)| !is_anchor && der == &path[depth])
        {
            return Err((
                SubIndication::NoCertificateChainFound,
                format!(
                    "the path ends at a self-signed certificate that is not trusted ({})",
                    current.tbs_certificate.subject
                ),
            ));
        }
        let Some((der, issuer, is_anchor)) = next else {
            return Err((
                SubIndication::NoCertificateChainFound,
                format!(
                    "no trusted GOST issuer verifies certificate {depth} of the path ({})",
                    current.tbs_certificate.issuer
                ),
            ));
        };
        if !may_sign_certificates(&issuer) {
            return Err((
                SubIndication::ChainConstraintsFailure,
                format!("certificate {} of the path is not a CA", depth + 1),
            ));
        }
        within_validity(&issuer, time).map_err(|_| {
            (
                SubIndication::ChainConstraintsFailure,
                format!(
                    "certificate {} of the path is outside its validity",
                    depth + 1
                ),
            )
        })?;
        path.push(der);
        if is_anchor {
            return Ok(path);
        }
        current = issuer;
    }
    Err((
        SubIndication::ChainConstraintsFailure,
        format!("the path is longer than {MAX_DEPTH} certificates"),
    ))
}
