//! RFC 3161 timestamp tokens: the token's own CMS signature (RFC 3161, 2.4.2) and its TSTInfo.
//! RSA/ECDSA tokens are checked by OpenSSL's CMS code; GOST 2015 tokens (Kazakh or TC 26 OIDs),
//! which OpenSSL cannot check, here with [`crate::gost`]. The TSA's chain and revocation are
//! the caller's (the verifier checks them at validation time against its own anchors).

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode};
use openssl::cms::{CMSOptions, CmsContentInfo};
use x509_tsp::TstInfo;

use super::ess::{self, Binding};
use crate::gost;

use super::oid::{ID_CONTENT_TYPE, ID_CT_TST_INFO, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};

/// The TSTInfo of a token whose CMS signature verifies.
pub fn verified_tst_info(token: &[u8]) -> Result<TstInfo, String> {
    // Tokens may be BER like any CMS.
    let (token, _) = super::ber::to_der(token).map_err(|e| format!("token: {e}"))?;
    let token = token.as_slice();
    if let Some(signed) = gost_signed(token) {
        return gost_tst_info(&signed);
    }
    let mut cms = CmsContentInfo::from_der(token).map_err(|e| format!("token: {e}"))?;
    let mut content = Vec::new();
    cms.verify(
        None,
        None,
        None,
        Some(&mut content),
        CMSOptions::NO_SIGNER_CERT_VERIFY | CMSOptions::BINARY,
    )
    .map_err(|e| format!("the token's signature does not verify: {e}"))?;
    // The verified content is the TSTInfo DER.
    TstInfo::from_der(&content).map_err(|e| format!("TSTInfo: {e}"))
}

/// The token's SignedData when its signer uses a GOST algorithm.
fn gost_signed(token: &[u8]) -> Option<SignedData> {
    let info = ContentInfo::from_der(token).ok()?;
    if info.content_type != ID_SIGNED_DATA {
        return None;
    }
    let signed: SignedData = info.content.decode_as().ok()?;
    let signer = signed.signer_infos.0.get(0)?;
    (gost::is_gost(&signer.signature_algorithm.oid.to_string())
        || gost::is_gost(&signer.digest_alg.oid.to_string()))
    .then_some(signed)
}

/// RFC 3161, 2.4.2 and RFC 5652, 5.4 for a GOST token: one SignerInfo; the content is a
/// TSTInfo; signed attributes with that content-type, the Streebog-512 message-digest of the
/// TSTInfo, and a signing-certificate(-v2) naming the TSA's certificate, which the token
/// carries; the signature value over the attributes verifies with that certificate's key.
fn gost_tst_info(signed: &SignedData) -> Result<TstInfo, String> {
    let [signer_info] = signed.signer_infos.0.as_slice() else {
        return Err("a timestamp token has exactly one SignerInfo".into());
    };
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err("the token's content is not a TSTInfo".into());
    }
    let content = signed
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|c| c.decode_as::<OctetString>().ok())
        .ok_or("the token carries no TSTInfo")?;
    let digest_algorithm = signer_info.digest_alg.oid.to_string();
    if !gost::is_streebog512(&digest_algorithm) {
        return Err(format!(
            "GOST token with digest {digest_algorithm} (only Streebog-512 is supported)"
        ));
    }
    let attributes = signer_info
        .signed_attrs
        .as_ref()
        .ok_or("the token has no signed attributes")?;
    let single = |oid: ObjectIdentifier| {
        let mut matching = attributes.iter().filter(|a| a.oid == oid);
        match (matching.next(), matching.next()) {
            (Some(attribute), None) if attribute.values.len() == 1 => attribute.values.get(0),
            _ => None,
        }
    };
    if single(ID_CONTENT_TYPE).and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        != Some(ID_CT_TST_INFO)
    {
        return Err("the token's content-type attribute is not id-ct-TSTInfo".into());
    }
    let message_digest = single(ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("the token's message-digest attribute is missing")?;
    if message_digest.as_bytes() != gost::streebog512(content.as_bytes()) {
        return Err("the token's TSTInfo does not match its message-digest".into());
    }
    let certificates: Vec<Vec<u8>> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(cert) => cert.to_der().ok(),
            _ => None,
        })
        .collect();
    let tsa = super::signer_certificate(&signer_info.sid, &certificates)
        .ok_or("the TSA's certificate is not in the token")?;
    match ess::binding(attributes, tsa) {
        Binding::Names => {}
        Binding::Absent => return Err("the token has no signing-certificate attribute".into()),
        Binding::NamesAnother => {
            return Err("the token's signing-certificate names another certificate".into());
        }
        Binding::Unreadable(reason) => return Err(format!("the token's {reason}")),
    }
    let key = x509_cert::Certificate::from_der(tsa)
        .map_err(|e| e.to_string())
        .and_then(|c| {
            gost::public_key_of(&c.tbs_certificate.subject_public_key_info)
                .map_err(|e| e.to_string())
        })
        .map_err(|e| format!("the TSA's key: {e}"))?;
    let signed_attributes = attributes.to_der().map_err(|e| e.to_string())?;
    let algorithm = signer_info.signature_algorithm.oid.to_string();
    match gost::verify_message_as(
        &algorithm,
        &key,
        &signed_attributes,
        signer_info.signature.as_bytes(),
    ) {
        Ok(true) => TstInfo::from_der(content.as_bytes()).map_err(|e| format!("TSTInfo: {e}")),
        Ok(false) => Err("the token's GOST signature does not verify".into()),
        Err(e) => Err(format!("the token's signature: {e}")),
    }
}

/// Whether a TSTInfo's message imprint is the digest of `parts` (concatenated) in the imprint's
/// own algorithm. `Err` names an algorithm that is not supported.
pub fn imprint_matches(info: &TstInfo, parts: &[&[u8]]) -> Result<bool, String> {
    let algorithm = info.message_imprint.hash_algorithm.oid.to_string();
    let digest = super::digest_by_oid(&algorithm, parts)
        .ok_or_else(|| format!("unsupported message imprint algorithm {algorithm}"))?;
    Ok(info.message_imprint.hashed_message.as_bytes() == digest.as_slice())
}
