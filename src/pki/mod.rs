//! The core under both `sign` and `verify` (neither imports the other): digests named by OID,
//! which certificate a CMS SignerInfo names, the ESS signing-certificate attributes that bind it
//! (RFC 2634, RFC 5035), RFC 3161 timestamp tokens (RSA/ECDSA through OpenSSL, GOST 2015
//! through [`crate::gost`]), BER, who a Kazakh certificate names, and revocation data fetched
//! under a budget, and the xref-driven PDF reader (the verifier's checks and the signer's
//! incremental update both read only the objects they need).

pub mod ber;
pub mod cert;
pub mod crl;
pub mod ess;
pub mod fetch;
pub mod identity;
pub mod ocsp;
pub mod oid;
pub(crate) mod ossl;
pub(crate) mod pdf_reader;
pub mod timestamp;

use cms::signed_data::SignerIdentifier;
use der::Decode;
use x509_cert::Certificate;

/// RFC 6960, 4.2.2.2: whether the GOST responder certificate `responder` (DER) may answer for
/// certificates of `issuer` (DER): it is the issuer itself, or the issuer certified it (GOST
/// signature) for OCSP signing (id-kp-OCSPSigning).
pub fn gost_ocsp_responder_is_authorised(responder: &[u8], issuer: &[u8]) -> bool {
    if responder == issuer {
        return true;
    }
    crate::gost::verify_certificate(responder, issuer) == Ok(true)
        && cert::eku_of(responder).contains(&oid::ID_KP_OCSP_SIGNING.to_string())
}

/// The DER of a CMS (or any one ASN.1 element) given as DER or BER (brought to DER, see
/// [`ber`]), PEM (any "-----BEGIN ...-----" label) or bare base64; nothing may follow it.
pub fn cms_der(input: &[u8]) -> Result<Vec<u8>, String> {
    cms_der_noting_ber(input).map(|(der, _)| der)
}

/// As [`cms_der`], and whether the encoding was BER rather than DER (for the report).
pub fn cms_der_noting_ber(input: &[u8]) -> Result<(Vec<u8>, bool), String> {
    use base64::Engine;
    let binary = if input.first() == Some(&0x30) {
        input.to_vec()
    } else {
        let text = std::str::from_utf8(input)
            .map_err(|_| "binary data that is not BER or DER".to_string())?;
        let body = match text.find("-----BEGIN") {
            Some(start) => {
                let after_label = text[start..]
                    .find('\n')
                    .map(|i| start + i + 1)
                    .ok_or("a PEM header without a body")?;
                let end = text[after_label..]
                    .find("-----END")
                    .map(|i| after_label + i)
                    .ok_or("a PEM body without an END line")?;
                &text[after_label..end]
            }
            None => text,
        };
        let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| format!("not base64: {e}"))?
    };
    if binary.first() != Some(&0x30) {
        return Err("the data is not a BER or DER SEQUENCE".into());
    }
    let (der, used) = ber::to_der(&binary).map_err(|e| e.to_string())?;
    if used != binary.len() {
        return Err(format!(
            "{} bytes follow the encoded value",
            binary.len() - used
        ));
    }
    let was_ber = der != binary;
    Ok((der, was_ber))
}

/// The digest of `parts` (concatenated) with the algorithm `oid` names: SHA-1, SHA-2,
/// SHAKE256 (512 bits, for Ed448) or Streebog-512 (Kazakh or TC 26 OID). `None` for any other algorithm.
pub fn digest_by_oid(name: &str, parts: &[&[u8]]) -> Option<Vec<u8>> {
    use sha2::Digest;
    fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut hasher = D::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize().to_vec()
    }
    if crate::gost::is_streebog512(name) {
        let mut hasher = streebog::Streebog512::new();
        parts.iter().for_each(|p| hasher.update(p));
        return Some(hasher.finalize().to_vec());
    }
    Some(match const_oid::ObjectIdentifier::new(name).ok()? {
        oid::ID_SHA_1 => {
            let mut hasher = openssl::sha::Sha1::new();
            parts.iter().for_each(|p| hasher.update(p));
            hasher.finish().to_vec()
        }
        oid::ID_SHA_256 => run::<sha2::Sha256>(parts),
        oid::ID_SHA_384 => run::<sha2::Sha384>(parts),
        oid::ID_SHA_512 => run::<sha2::Sha512>(parts),
        // RFC 8419, 2.3: with Ed448, id-shake256 digests to 512 bits.
        oid::ID_SHAKE_256 => {
            let mut hasher =
                openssl::hash::Hasher::new(openssl::hash::MessageDigest::shake_256()).ok()?;
            for part in parts {
                hasher.update(part).ok()?;
            }
            let mut digest = vec![0; 64];
            hasher.finish_xof(&mut digest).ok()?;
            digest
        }
        _ => return None,
    })
}

/// Whether `oid` names SHA-1 (accepted in old signatures, with a warning).
pub fn is_sha1(name: &str) -> bool {
    const_oid::ObjectIdentifier::new(name).is_ok_and(|named| named == oid::ID_SHA_1)
}

/// Whether the SignerInfo's identifier names `certificate`: by issuer and serial number, or by
/// subject key identifier.
pub fn names_certificate(sid: &SignerIdentifier, certificate: &Certificate) -> bool {
    CertificateId::of(certificate).is_named_by(sid)
}

/// What a SignerIdentifier can name a certificate by.
#[derive(Clone)]
struct CertificateId {
    issuer: x509_cert::name::Name,
    serial_number: x509_cert::serial_number::SerialNumber,
    subject_key_identifier: Option<x509_cert::ext::pkix::SubjectKeyIdentifier>,
}

impl CertificateId {
    fn of(certificate: &Certificate) -> Self {
        let tbs = &certificate.tbs_certificate;
        CertificateId {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
            subject_key_identifier: tbs
                .extensions
                .iter()
                .flatten()
                .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
                .and_then(|e| {
                    x509_cert::ext::pkix::SubjectKeyIdentifier::from_der(e.extn_value.as_bytes())
                        .ok()
                }),
        }
    }

    fn is_named_by(&self, sid: &SignerIdentifier) -> bool {
        match sid {
            SignerIdentifier::IssuerAndSerialNumber(id) => {
                id.issuer == self.issuer && id.serial_number == self.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                self.subject_key_identifier.as_ref() == Some(ski)
            }
        }
    }
}

/// The certificate among `certificates` (DER) that `sid` names.
pub fn signer_certificate<'a>(
    sid: &SignerIdentifier,
    certificates: &'a [Vec<u8>],
) -> Option<&'a [u8]> {
    // The same signer, CA and TSA certificates come in every document: read once.
    static IDS: cert::Memo<Option<CertificateId>> = cert::Memo::new();
    certificates
        .iter()
        .find(|der| {
            IDS.get_or(&[der], || {
                Certificate::from_der(der)
                    .ok()
                    .map(|c| CertificateId::of(&c))
            })
            .is_some_and(|id| id.is_named_by(sid))
        })
        .map(Vec::as_slice)
}

/// OpenSSL's printed time ("Jun  1 12:00:00 2022 GMT") as Unix seconds.
pub(crate) fn openssl_time(text: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
    );
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// Clock skew allowed between a responder and eucdoc (RFC 6960 leaves it to local policy).
const OCSP_SKEW_SECONDS: i64 = 300;
/// How long an OCSP answer without nextUpdate speaks for a later time (RFC 6960, 4.2.2.1:
/// without nextUpdate, newer information is always available).
const OCSP_NO_NEXT_UPDATE_SECONDS: i64 = 24 * 3600;

/// Whether an OCSP "good" answer of `this_update`..`next_update` speaks for the
/// certificate's status at `time` (the validation time, possibly in the past), judged against
/// `now`:
/// - not issued in the future (beyond the allowed skew);
/// - issued at or after `time` (it says the certificate was not revoked by then), or `time`
///   lies within its validity (up to nextUpdate; without one, a day after thisUpdate).
///
/// A "revoked" or on-hold answer needs no freshness ([`ocsp`]): it is never ignored.
pub fn ocsp_answer_is_fresh(
    this_update: i64,
    next_update: Option<i64>,
    time: i64,
    now: i64,
) -> Result<(), String> {
    if this_update > now + OCSP_SKEW_SECONDS {
        return Err("the OCSP response's thisUpdate is in the future".into());
    }
    if this_update + OCSP_SKEW_SECONDS >= time {
        return Ok(());
    }
    let valid_until = next_update.unwrap_or(this_update + OCSP_NO_NEXT_UPDATE_SECONDS);
    if time <= valid_until + OCSP_SKEW_SECONDS {
        return Ok(());
    }
    Err(match next_update {
        Some(_) => "the OCSP response's nextUpdate is before the validation time".into(),
        None => {
            "the OCSP response has no nextUpdate and is more than a day older than the validation time"
                .into()
        }
    })
}

#[cfg(test)]
mod freshness_tests {
    use super::ocsp_answer_is_fresh;

    #[test]
    fn ocsp_answers_speak_for_their_own_time_and_later_ones_for_earlier() {
        let day = 24 * 3600;
        let now = 100 * day;
        // Issued after the validation time: fresh.
        assert!(ocsp_answer_is_fresh(50 * day, None, 40 * day, now).is_ok());
        // Within thisUpdate..nextUpdate: fresh; past nextUpdate: stale.
        assert!(ocsp_answer_is_fresh(50 * day, Some(57 * day), 56 * day, now).is_ok());
        assert!(ocsp_answer_is_fresh(50 * day, Some(57 * day), 58 * day, now).is_err());
        // Without nextUpdate: a day.
        assert!(ocsp_answer_is_fresh(now - 3600, None, now, now).is_ok());
        assert!(ocsp_answer_is_fresh(now - 2 * day, None, now, now).is_err());
        // From the future: refused, however it relates to the validation time.
        assert!(ocsp_answer_is_fresh(now + day, None, now, now).is_err());
        assert!(ocsp_answer_is_fresh(now + 60, None, now, now).is_ok());
    }
}
