//! The CMS signature (RFC 5652, 5.4 and 5.6): the signer's certificate, the signed attributes
//! (content-type, message-digest, signing-certificate(-v2)), the signature value; the signature
//! timestamp (RFC 3161 token in the unsigned attributes, ETSI EN 319 122-1, 5.3) and the
//! revocation data a CMS may carry (its `crls` field and Adobe's revocation-info-archival
//! attribute).

use cms::content_info::ContentInfo;
use cms::revocation::RevocationInfoChoice;
use cms::signed_data::SignerInfo;
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode, Sequence};
use openssl::hash::MessageDigest;
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};
use x509_cert::Certificate;

use super::report::SubIndication;
use crate::gost;

use crate::pki::oid::{
    ID_AA_TIME_STAMP_TOKEN as ID_SIGNATURE_TIMESTAMP, ID_ADBE_REVOCATION, ID_CONTENT_TYPE,
    ID_MESSAGE_DIGEST, ID_RI_OCSP_RESPONSE, ID_RSASSA_PSS as RSA_PSS, ID_SIGNED_DATA,
    ID_SIGNING_TIME,
};
impl CmsCheck {
    fn empty() -> Self {
        CmsCheck {
            signer: None,
            outcome: Ok(()),
            claimed_signing_time: None,
            timestamps: Vec::new(),
            crls: Vec::new(),
            ocsps: Vec::new(),
            warnings: Vec::new(),
            intact: None,
            valid: None,
            certificate_bound: false,
        }
    }
}

/// Largest number of SignerInfos read from one CMS.
pub const MAX_SIGNER_INFOS: usize = 64;

/// A failed check: the sub-indication and the reason.
pub type Failure = (SubIndication, String);

fn format(reason: impl Into<String>) -> Failure {
    (SubIndication::FormatFailure, reason.into())
}

fn der_error(e: impl std::fmt::Display) -> Failure {
    format(e.to_string())
}

/// A parsed SignedData with what it carries besides the signatures.
pub struct Parsed {
    signed: SignedDataCertificatesAsRead,
    /// Every certificate (DER).
    pub certificates: Vec<Vec<u8>>,
    /// CRLs from the `crls` field (DER).
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses from the `crls` field (RFC 5940) (DER).
    pub ocsps: Vec<Vec<u8>>,
    /// Oddities that change nothing signed (repeated certificates or unsigned attributes).
    pub warnings: Vec<String>,
}

impl Parsed {
    /// Number of SignerInfos.
    pub fn signer_count(&self) -> usize {
        self.signed.signer_infos.0.len()
    }

    /// The encapsulated content, when the signature is not detached.
    pub fn encapsulated(&self) -> Option<Vec<u8>> {
        let content = self.signed.encap_content_info.econtent.as_ref()?;
        // eContent is an OCTET STRING.
        content
            .decode_as::<OctetString>()
            .ok()
            .map(|o| o.as_bytes().to_vec())
    }
}

/// SignedData (RFC 5652, 5.1) with its certificates kept as read: each is decoded where it is
/// used, by its DER, through the process-wide caches (the same CA and signer certificates come
/// in every document), instead of every certificate's names here on every parse.
#[derive(Sequence)]
struct SignedDataCertificatesAsRead {
    version: cms::content_info::CmsVersion,
    digest_algorithms: cms::signed_data::DigestAlgorithmIdentifiers,
    encap_content_info: cms::signed_data::EncapsulatedContentInfo,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    certificates: Option<der::asn1::SetOfVec<der::Any>>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    crls: Option<cms::revocation::RevocationInfoChoices>,
    signer_infos: cms::signed_data::SignerInfos,
}

/// Parses a ContentInfo holding a SignedData, in DER: every caller has brought a CMS that may be
/// BER (RFC 5652) to DER already ([`crate::pki::ber::to_der`]), and a token inside it is DER.
pub fn parse(der: &[u8]) -> Result<Parsed, Failure> {
    let info =
        ContentInfo::from_der(der).map_err(|e| format(format!("not a CMS ContentInfo: {e}")))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(format(format!(
            "the CMS holds {}, not SignedData",
            info.content_type
        )));
    }
    let signed_der = info.content.to_der().map_err(der_error)?;
    let mut warnings = Vec::new();
    let signed = match SignedDataCertificatesAsRead::from_der(&signed_der) {
        Ok(signed) => signed,
        // Equal elements in a SET OF outside what was signed are legal DER the `der` crate
        // refuses: drop the copies, say so, and read it again.
        Err(e) => crate::pki::ber::without_repeats(&signed_der)
            .and_then(|(fixed, notes)| {
                warnings = notes;
                SignedDataCertificatesAsRead::from_der(&fixed).ok()
            })
            .ok_or_else(|| format(format!("not a CMS SignedData: {e}")))?,
    };
    if signed.signer_infos.0.len() > MAX_SIGNER_INFOS {
        return Err(format(format!(
            "{} SignerInfos; at most {MAX_SIGNER_INFOS} are read",
            signed.signer_infos.0.len()
        )));
    }
    let mut certificates = Vec::new();
    // CertificateChoices: a certificate is a SEQUENCE; the other choices are tagged [0]..[3]
    // (attribute and other certificates) and play no part here.
    for choice in signed.certificates.iter().flat_map(|set| set.iter()) {
        if der::Tagged::tag(choice) == der::Tag::Sequence {
            certificates.push(choice.to_der().map_err(der_error)?);
        }
    }
    let mut crls = Vec::new();
    let mut ocsps = Vec::new();
    for choice in signed.crls.iter().flat_map(|set| set.0.iter()) {
        match choice {
            RevocationInfoChoice::Crl(crl) => crls.push(crl.to_der().map_err(der_error)?),
            // The cms crate models OtherRevocationInfoFormat as an AlgorithmIdentifier.
            RevocationInfoChoice::Other(other) if other.other_format.oid == ID_RI_OCSP_RESPONSE => {
                if let Some(response) = &other.other_format.parameters {
                    ocsps.push(response.to_der().map_err(der_error)?)
                }
            }
            RevocationInfoChoice::Other(_) => {}
        }
    }
    Ok(Parsed {
        signed,
        certificates,
        crls,
        ocsps,
        warnings,
    })
}

/// A verified signature timestamp.
#[derive(Debug, Clone)]
pub struct SignatureTimestamp {
    /// genTime, Unix seconds.
    pub time: i64,
    /// The TSA's certificate (DER).
    pub tsa: Vec<u8>,
    /// Certificates the token carries (DER).
    pub certificates: Vec<Vec<u8>>,
}

/// What the CMS check found.
#[derive(Debug)]
pub struct CmsCheck {
    /// The signer's certificate (DER), when identified.
    pub signer: Option<Vec<u8>>,
    /// `Ok` when the signature is intact and cryptographically valid.
    pub outcome: Result<(), Failure>,
    /// The signing-time attribute, RFC 3339.
    pub claimed_signing_time: Option<String>,
    /// The signature timestamps that are cryptographically valid over this signature, earliest
    /// first.
    pub timestamps: Vec<SignatureTimestamp>,
    /// CRLs from the revocation-info-archival attribute (DER).
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses from the revocation-info-archival attribute (DER).
    pub ocsps: Vec<Vec<u8>>,
    /// Things worth knowing.
    pub warnings: Vec<String>,
    /// Whether the signed content matches the message-digest (null: not reached).
    pub intact: Option<bool>,
    /// Whether the signature value verifies (null: not reached).
    pub valid: Option<bool>,
    /// Whether a signing-certificate(-v2) attribute names the signer's certificate.
    pub certificate_bound: bool,
}

fn digest_of(oid: &ObjectIdentifier) -> Option<MessageDigest> {
    use crate::pki::oid;
    Some(match *oid {
        oid::ID_SHA_1 => MessageDigest::sha1(),
        oid::ID_SHA_256 => MessageDigest::sha256(),
        oid::ID_SHA_384 => MessageDigest::sha384(),
        oid::ID_SHA_512 => MessageDigest::sha512(),
        oid::ID_SHAKE_256 => MessageDigest::shake_256(),
        _ => return None,
    })
}

/// Checks SignerInfo `index` of `parsed` over `parts` (the signed content, in pieces).
pub fn check(parsed: &Parsed, index: usize, parts: &[&[u8]]) -> CmsCheck {
    let mut check = CmsCheck::empty();
    check.warnings.extend(parsed.warnings.iter().cloned());
    check.outcome = check_inner(parsed, index, parts, &mut check);
    check
}

fn check_inner(
    parsed: &Parsed,
    index: usize,
    parts: &[&[u8]],
    check: &mut CmsCheck,
) -> Result<(), Failure> {
    let signer_info = parsed
        .signed
        .signer_infos
        .0
        .get(index)
        .ok_or_else(|| format("no SignerInfo"))?;
    let signer_der = find_signer(parsed, signer_info)?;
    check.signer = Some(signer_der.clone());
    let digest_oid = signer_info.digest_alg.oid;
    let key_algorithm = key_algorithm_of(&signer_der)?;
    let algorithm = signer_info.signature_algorithm.oid.to_string();
    // GOST 34.10-2015 512 with Streebog-512 is verified (Kazakh or TC 26 OIDs); other GOST
    // variants (the 2004 generation, 256-bit keys) are not.
    let digest_name = digest_oid.to_string();
    let gost_signature = if gost::is_gost(&algorithm)
        || gost::is_gost(&key_algorithm)
        || gost::is_gost(&digest_name)
    {
        let key_512 = key_algorithm == gost::KEY_512 || key_algorithm == gost::TC26_KEY_512;
        let signature_512 = [
            gost::SIGNATURE_512,
            gost::KEY_512,
            gost::TC26_SIGNATURE_512,
            gost::TC26_KEY_512,
        ]
        .contains(&algorithm.as_str());
        if !(key_512 && signature_512 && gost::is_streebog512(&digest_name)) {
            return Err((
                SubIndication::CryptoConstraintsFailure,
                format!(
                    "GOST signature {algorithm} with key {key_algorithm} and digest {digest_oid} is not supported (only GOST 34.10-2015 512 with Streebog-512)"
                ),
            ));
        }
        true
    } else {
        false
    };
    let data_digest = crate::pki::digest_by_oid(&digest_name, parts).ok_or_else(|| {
        (
            SubIndication::CryptoConstraintsFailure,
            format!("unsupported digest algorithm {digest_oid}"),
        )
    })?;
    if crate::pki::is_sha1(&digest_name) {
        check.warnings.push("the signature uses SHA-1".into());
    }

    let signed_message = match &signer_info.signed_attrs {
        Some(attributes) => {
            let value_of = |oid: ObjectIdentifier| {
                let mut matching = attributes.iter().filter(|a| a.oid == oid);
                let first = matching.next();
                // RFC 5652, 5.3: these attributes occur once, with one value.
                if matching.next().is_some() || first.is_some_and(|a| a.values.len() != 1) {
                    return Err(format(format!("the attribute {oid} is repeated")));
                }
                Ok(first.and_then(|a| a.values.get(0)))
            };
            let content_type = value_of(ID_CONTENT_TYPE)?
                .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| format("the content-type attribute is missing"))?;
            let encapsulated_type = parsed.signed.encap_content_info.econtent_type;
            if content_type != encapsulated_type {
                return Err(format(format!(
                    "content-type is {content_type}, the encapsulated content is {encapsulated_type}"
                )));
            }
            let message_digest = value_of(ID_MESSAGE_DIGEST)?
                .and_then(|v| v.decode_as::<OctetString>().ok())
                .ok_or_else(|| format("the message-digest attribute is missing"))?;
            check.intact = Some(message_digest.as_bytes() == data_digest.as_slice());
            if message_digest.as_bytes() != data_digest.as_slice() {
                return Err((
                    SubIndication::HashFailure,
                    "the signed content does not match the message-digest attribute".into(),
                ));
            }
            if let Some(time) = value_of(ID_SIGNING_TIME)?
                .and_then(|v| v.to_der().ok())
                .and_then(|der| x509_cert::time::Time::from_der(&der).ok())
            {
                check.claimed_signing_time =
                    Some(super::rfc3339(time.to_unix_duration().as_secs() as i64));
            }
            check.certificate_bound =
                check_signing_certificate(attributes, &signer_der, &mut check.warnings)?;
            check.warnings.extend(repeated_attributes(attributes));
            if let Some(value) = value_of(ID_ADBE_REVOCATION)? {
                read_adbe_revocation(&value.to_der().map_err(der_error)?, check);
            }
            // The signature covers the attributes as an explicit SET OF (RFC 5652, 5.4).
            attributes.to_der().map_err(der_error)?
        }
        None => {
            check
                .warnings
                .push("no signed attributes (not PAdES/CAdES baseline)".into());
            parts.concat()
        }
    };

    if gost_signature {
        let signer = Certificate::from_der(&signer_der).map_err(der_error)?;
        let key = gost::public_key_of(&signer.tbs_certificate.subject_public_key_info)
            .map_err(|e| (SubIndication::CryptoConstraintsFailure, e.to_string()))?;
        let signature = signer_info.signature.as_bytes();
        let verified = gost::verify_message_as(&algorithm, &key, &signed_message, signature);
        if let Ok(valid) = verified {
            record_validity(check, valid);
        }
        return match verified {
            Ok(true) => {
                read_signature_timestamp(signer_info, check);
                Ok(())
            }
            Ok(false) => Err((
                SubIndication::SigCryptoFailure,
                "the GOST signature value does not verify with the signer's public key".into(),
            )),
            Err(gost::GostError::Unsupported(reason)) => {
                Err((SubIndication::CryptoConstraintsFailure, reason))
            }
            Err(error) => Err(format(error.to_string())),
        };
    }
    let digest = digest_of(&digest_oid).ok_or_else(|| {
        (
            SubIndication::CryptoConstraintsFailure,
            format!("unsupported digest algorithm {digest_oid}"),
        )
    })?;
    let public_key = crate::pki::cert::parse(&signer_der)
        .and_then(|c| c.public_key())
        .map_err(|e| format(format!("the signer's public key: {e}")))?;
    let unsupported = |e: openssl::error::ErrorStack| {
        (
            SubIndication::CryptoConstraintsFailure,
            format!("the signature algorithm {algorithm} with this key is not supported: {e}"),
        )
    };
    // EdDSA signs the message itself (RFC 8419): no digest in the verifier.
    let eddsa = matches!(
        public_key.id(),
        openssl::pkey::Id::ED25519 | openssl::pkey::Id::ED448
    );
    let mut verifier = if eddsa {
        Verifier::new_without_digest(&public_key)
    } else {
        Verifier::new(digest, &public_key)
    }
    .map_err(unsupported)?;
    if !eddsa && signer_info.signature_algorithm.oid == RSA_PSS {
        verifier
            .set_rsa_padding(Padding::PKCS1_PSS)
            .map_err(der_error)?;
        verifier
            .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
            .map_err(der_error)?;
        verifier.set_rsa_mgf1_md(digest).map_err(der_error)?;
    }
    let valid = verifier
        .verify_oneshot(signer_info.signature.as_bytes(), &signed_message)
        .unwrap_or(false);
    record_validity(check, valid);
    if !valid {
        return Err((
            SubIndication::SigCryptoFailure,
            "the signature value does not verify with the signer's public key".into(),
        ));
    }
    read_signature_timestamp(signer_info, check);
    Ok(())
}

/// One warning per attribute type that occurs more than once among a SignerInfo's signed
/// attributes (legal in the SET OF, but ETSI EN 319 122-1 and RFC 5035 expect one each). The
/// ones RFC 5652 requires to be single (content-type, message-digest, signing-time) are refused
/// before this; signing-certificate attributes are all checked by [`crate::pki::ess::binding`].
fn repeated_attributes(attributes: &x509_cert::attr::Attributes) -> Vec<String> {
    let mut counts: Vec<(ObjectIdentifier, usize)> = Vec::new();
    for attribute in attributes.iter() {
        match counts.iter_mut().find(|(oid, _)| *oid == attribute.oid) {
            Some((_, count)) => *count += 1,
            None => counts.push((attribute.oid, 1)),
        }
    }
    counts
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(oid, count)| format!("the signed attribute {oid} occurs {count} times"))
        .collect()
}

/// Records whether the signature value verified; without signed attributes it covers the
/// content itself, so it also says whether the content is intact.
fn record_validity(check: &mut CmsCheck, valid: bool) {
    check.valid = Some(valid);
    if check.intact.is_none() {
        check.intact = Some(valid);
    }
}

/// A certificate's public-key algorithm (dotted), by its DER; memoised, as the same signers
/// recur.
fn key_algorithm_of(certificate_der: &[u8]) -> Result<String, Failure> {
    static CACHE: crate::pki::cert::Memo<String> = crate::pki::cert::Memo::new();
    CACHE.get_or_try(&[certificate_der], || {
        Certificate::from_der(certificate_der)
            .map(|c| {
                c.tbs_certificate
                    .subject_public_key_info
                    .algorithm
                    .oid
                    .to_string()
            })
            .map_err(der_error)
    })
}

/// The certificate the SignerInfo names, by issuer and serial or by subject key identifier.
fn find_signer(parsed: &Parsed, signer_info: &SignerInfo) -> Result<Vec<u8>, Failure> {
    crate::pki::signer_certificate(&signer_info.sid, &parsed.certificates)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| format("the signer's certificate is not in the CMS"))
}

/// ISO 32000-1, 12.8.3.3.2: RevocationInfoArchival.
#[derive(Sequence)]
struct RevocationInfoArchival {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    crl: Option<Vec<der::Any>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    ocsp: Option<Vec<der::Any>>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    other: Option<Vec<der::Any>>,
}

fn read_adbe_revocation(der: &[u8], check: &mut CmsCheck) {
    let Ok(archival) = RevocationInfoArchival::from_der(der) else {
        check
            .warnings
            .push("unreadable revocation-info-archival attribute".into());
        return;
    };
    for (items, out) in [
        (archival.crl, &mut check.crls),
        (archival.ocsp, &mut check.ocsps),
    ] {
        for item in items.into_iter().flatten() {
            if let Ok(der) = item.to_der() {
                out.push(der);
            }
        }
    }
}

/// The signature timestamp: the token's signature and its imprint over this signature value.
/// A token that does not check out is a warning and gives no time (ETSI EN 319 102-1, 5.4).
/// A signature may carry several (EN 319 122-1, 5.3): every one is checked, and those that
/// check out are kept, earliest first (whose TSA is trusted is decided later).
fn read_signature_timestamp(signer_info: &SignerInfo, check: &mut CmsCheck) {
    let tokens: Vec<&der::Any> = signer_info
        .unsigned_attrs
        .iter()
        .flat_map(|a| a.iter())
        .filter(|a| a.oid == ID_SIGNATURE_TIMESTAMP)
        .flat_map(|a| a.values.iter())
        .collect();
    let several = tokens.len() > 1;
    for (index, token) in tokens.into_iter().enumerate() {
        match signature_timestamp(signer_info, token) {
            Ok(timestamp) => check.timestamps.push(timestamp),
            Err(reason) if several => check.warnings.push(format!(
                "signature timestamp {} of several is not usable: {reason}",
                index + 1
            )),
            Err(reason) => check
                .warnings
                .push(format!("the signature timestamp is not usable: {reason}")),
        }
    }
    check.timestamps.sort_by_key(|t| t.time);
}

/// One signature timestamp token, checked: its signature, its imprint over this signature
/// value, its TSA.
fn signature_timestamp(
    signer_info: &SignerInfo,
    token: &der::Any,
) -> Result<SignatureTimestamp, String> {
    let token = token.to_der().map_err(|e| e.to_string())?;
    let info = crate::pki::timestamp::verified_tst_info(&token)?;
    if !crate::pki::timestamp::imprint_matches(&info, &[signer_info.signature.as_bytes()])? {
        return Err("its imprint is not over this signature".into());
    }
    let parsed = parse(&token).map_err(|(_, reason)| reason)?;
    let token_signer = parsed.signed.signer_infos.0.get(0).ok_or("no SignerInfo")?;
    let tsa = find_signer(&parsed, token_signer).map_err(|(_, reason)| reason)?;
    let time = info.gen_time.to_unix_duration().as_secs() as i64;
    Ok(SignatureTimestamp {
        time,
        tsa,
        certificates: parsed.certificates,
    })
}

/// Checks a document or signature timestamp token (RFC 3161) over `parts`: the token's own
/// signature and its message imprint. Returns the check with the TSA as signer and genTime.
pub fn check_timestamp(der: &[u8], parts: &[&[u8]]) -> (CmsCheck, Vec<Vec<u8>>) {
    let mut check = CmsCheck::empty();
    let mut certificates = Vec::new();
    check.outcome = (|| {
        let parsed = parse(der)?;
        certificates = parsed.certificates.clone();
        let signer_info = parsed
            .signed
            .signer_infos
            .0
            .get(0)
            .ok_or_else(|| format("no SignerInfo"))?;
        check.signer = Some(find_signer(&parsed, signer_info)?);
        let info = match crate::pki::timestamp::verified_tst_info(der) {
            Ok(info) => info,
            Err(reason) => {
                check.valid = Some(false);
                return Err((SubIndication::SigCryptoFailure, reason));
            }
        };
        check.valid = Some(true);
        let matches = crate::pki::timestamp::imprint_matches(&info, parts)
            .map_err(|reason| (SubIndication::CryptoConstraintsFailure, reason))?;
        check.intact = Some(matches);
        if !matches {
            return Err((
                SubIndication::HashFailure,
                "the timestamp's imprint is not over the signed bytes".into(),
            ));
        }
        check.claimed_signing_time = Some(super::rfc3339(
            info.gen_time.to_unix_duration().as_secs() as i64,
        ));
        Ok(())
    })();
    (check, certificates)
}

/// The signing-certificate(-v2) attribute, when present, must name the signer's certificate;
/// whether there is one.
fn check_signing_certificate(
    attributes: &x509_cert::attr::Attributes,
    signer_der: &[u8],
    warnings: &mut Vec<String>,
) -> Result<bool, Failure> {
    use crate::pki::ess::{Binding, binding};
    match binding(attributes, signer_der) {
        Binding::Names => Ok(true),
        Binding::Absent => {
            warnings.push("no signing-certificate attribute binds the signer's certificate".into());
            Ok(false)
        }
        Binding::NamesAnother => Err(format(
            "the signing-certificate attribute names another certificate than the signer's",
        )),
        Binding::Unreadable(reason) => Err(format(reason)),
    }
}
