//! External (two-step) signing, for keys that never leave the officer's token (NCALayer; what
//! pyHanko calls interrupted signing and EU DSS getDataToSign / signDocument): the document is
//! prepared with the officer's certificate (its stamp drawn, `/Contents` reserved), the digest
//! of its byte ranges leaves, and the detached CMS that comes back is checked against the draft
//! and its certificate before it is embedded. Nothing here touches a key.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use x509_cert::Certificate;

use super::signer::{Digest, KeyAlgorithm, Signer, check_may_sign, describe_key, gost_public_key};
use super::{SignError, StampOptions, pdf};

/// A document prepared for a signature made elsewhere.
#[derive(Debug)]
pub struct Draft {
    /// The prepared PDF: the document with the stamp, `/ByteRange` set and `/Contents` empty.
    pub pdf: Vec<u8>,
    /// The digest of its byte ranges, which the token signs (NCALayer's
    /// `createCAdESFromBase64Hash`, or `basics.sign` with `digested: true`).
    pub digest: Vec<u8>,
    /// The digest's algorithm: the one of the certificate's key.
    pub digest_algorithm: Digest,
}

impl Digest {
    /// The name APIs give it: "sha256", "sha384", "streebog512".
    pub fn name(self) -> &'static str {
        match self {
            Digest::Sha256 => "sha256",
            Digest::Sha384 => "sha384",
            Digest::Streebog512 => "streebog512",
        }
    }

    fn oid(self) -> ObjectIdentifier {
        super::cms::digest_algorithm(self).oid
    }
}

/// The algorithm a signature with `certificate_der`'s key is made with.
pub fn key_algorithm(certificate_der: &[u8]) -> Result<KeyAlgorithm, SignError> {
    if gost_public_key(certificate_der).is_ok() {
        return Ok(KeyAlgorithm::Gost2015With512);
    }
    let key = openssl::x509::X509::from_der(certificate_der)
        .and_then(|c| c.public_key())
        .map_err(|_| {
            SignError::UnsupportedKey(
                "the certificate's key is of no algorithm eucdoc knows".into(),
            )
        })?;
    match (key.id(), key.bits()) {
        (openssl::pkey::Id::RSA, 2048..=4096) => Ok(KeyAlgorithm::RsaSha256),
        (openssl::pkey::Id::EC, 256) => Ok(KeyAlgorithm::EcdsaP256Sha256),
        (openssl::pkey::Id::EC, 384) => Ok(KeyAlgorithm::EcdsaP384Sha384),
        (id, bits) => Err(SignError::UnsupportedKey(format!("{id:?}-{bits}"))),
    }
}

/// The certificate may sign documents at `now` (Unix seconds): a key eucdoc knows, with
/// nonRepudiation (not an AUTH key), inside its validity. Trust and revocation are the
/// caller's to check (the service validates the path with the verifier).
pub fn check_certificate(certificate_der: &[u8], now: i64) -> Result<KeyAlgorithm, SignError> {
    let algorithm = key_algorithm(certificate_der)?;
    check_may_sign(
        certificate_der,
        &describe_key(algorithm, certificate_der),
        now,
    )?;
    Ok(algorithm)
}

/// A certificate whose key is elsewhere: it stands in for the signer while the document is
/// prepared (the stamp, the room to reserve) and cannot sign.
struct CertificateOnly {
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    algorithm: KeyAlgorithm,
}

impl Signer for CertificateOnly {
    fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::KeyOperation(
            "the key is on the officer's token: sign the draft's digest there".into(),
        ))
    }
}

/// Prepares `pdf` for a PAdES B-B signature by the key of `certificate_der` (checked with
/// [`check_certificate`] at the stamp's time) that is made elsewhere: the stamp shows the
/// certificate's name, IIN, BIN and serial; `chain` sizes the room reserved for the CMS that
/// will come back.
pub fn prepare(
    pdf: &[u8],
    certificate_der: &[u8],
    chain: &[Vec<u8>],
    renderer: &crate::render::Renderer,
    options: &StampOptions<'_>,
) -> Result<Draft, SignError> {
    let algorithm = check_certificate(certificate_der, options.time.unix_timestamp())?;
    if options.levels.tsa.is_some() || options.levels.validation.is_some() {
        return Err(SignError::External(
            "a signature made elsewhere is PAdES B-B here (no timestamp or validation data)".into(),
        ));
    }
    let signer = CertificateOnly {
        certificate: certificate_der.to_vec(),
        chain: chain.to_vec(),
        algorithm,
    };
    let request = super::stamp_request(&signer, renderer, options)?;
    let prepared = super::prepare_for(pdf, &signer, &request)?;
    let digest_algorithm = algorithm.digest();
    let digest = digest_algorithm.hash_parts(&prepared.signed_bytes());
    Ok(Draft {
        pdf: prepared.bytes,
        digest,
        digest_algorithm,
    })
}

/// The digest a draft's signature must cover, and its algorithm (that of the certificate).
pub fn draft_digest(
    draft_pdf: &[u8],
    certificate_der: &[u8],
) -> Result<(Vec<u8>, Digest), SignError> {
    let prepared = pdf::Prepared::from_draft(draft_pdf.to_vec())?;
    let algorithm = key_algorithm(certificate_der)?.digest();
    Ok((algorithm.hash_parts(&prepared.signed_bytes()), algorithm))
}

/// Embeds `cms` (DER, PEM or base64, as NCALayer returns it) into the draft after checking it
/// with [`check_signature`] against the draft's digest and `certificate_der`, which must still
/// be allowed to sign at `now`. Returns the signed PDF.
pub fn embed(
    draft_pdf: &[u8],
    certificate_der: &[u8],
    cms: &[u8],
    now: i64,
) -> Result<Vec<u8>, SignError> {
    let prepared = pdf::Prepared::from_draft(draft_pdf.to_vec())?;
    let algorithm = check_certificate(certificate_der, now)?;
    let digest = algorithm.digest().hash_parts(&prepared.signed_bytes());
    let cms = cms_der(cms)?;
    check_signature(&cms, certificate_der, &digest, algorithm)?;
    prepared.embed(&cms)
}

/// The DER of a CMS given as DER, PEM (any label) or bare base64 with any line breaks.
pub fn cms_der(bytes: &[u8]) -> Result<Vec<u8>, SignError> {
    crate::pki::cms_der(bytes).map_err(|e| SignError::External(format!("the CMS: {e}")))
}

/// The certificate (DER) a CMS carries for its one signer, for a draft whose certificate was
/// not kept (the CLI's `--embed` without `--certificate`).
pub fn signer_certificate(cms: &[u8]) -> Result<Vec<u8>, SignError> {
    use cms::cert::CertificateChoices;
    let info = ContentInfo::from_der(cms)
        .map_err(|e| refuse(format!("not a DER CMS ContentInfo ({e})")))?;
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| refuse(format!("unreadable SignedData ({e})")))?;
    let signer_info = signed
        .signer_infos
        .0
        .get(0)
        .ok_or_else(|| refuse("the CMS has no signer"))?;
    signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .find(|c| crate::pki::names_certificate(&signer_info.sid, c))
        .ok_or_else(|| refuse("the CMS does not carry its signer's certificate"))?
        .to_der()
        .map_err(|e| refuse(e.to_string()))
}

fn refuse(why: impl Into<String>) -> SignError {
    SignError::External(why.into())
}

/// Checks a detached CMS (DER) made elsewhere for a draft: one SignerInfo, no encapsulated
/// content; signed by `certificate_der` (issuer and serial, or subject key identifier); digest
/// algorithm that of the key; content-type id-data; message-digest equal to `digest`; a
/// signing-certificate(-v2) attribute, when present, naming this certificate; and the signature
/// value over the DER of the signed attributes (RFC 5652 §5.4) verifying with the certificate's
/// key. A signing-time attribute (NCALayer may add one) is accepted.
pub fn check_signature(
    cms: &[u8],
    certificate_der: &[u8],
    digest: &[u8],
    algorithm: KeyAlgorithm,
) -> Result<(), SignError> {
    let info = ContentInfo::from_der(cms)
        .map_err(|e| refuse(format!("not a DER CMS ContentInfo ({e})")))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(refuse("the CMS is not SignedData"));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| refuse(format!("unreadable SignedData ({e})")))?;
    if signed.encap_content_info.econtent.is_some() {
        return Err(refuse(
            "the CMS encapsulates content; a detached signature of the digest is expected",
        ));
    }
    let count = signed.signer_infos.0.len();
    let signer_info = match signed.signer_infos.0.get(0) {
        Some(info) if count == 1 => info,
        _ => return Err(refuse(format!("one signer expected, the CMS has {count}"))),
    };
    let certificate = Certificate::from_der(certificate_der)
        .map_err(|e| refuse(format!("unreadable certificate ({e})")))?;
    if !crate::pki::names_certificate(&signer_info.sid, &certificate) {
        return Err(refuse(
            "it was signed with another certificate than the draft's",
        ));
    }
    if signer_info.digest_alg.oid != algorithm.digest().oid() {
        return Err(refuse(format!(
            "its digest algorithm is {}, the key's is {}",
            signer_info.digest_alg.oid,
            algorithm.digest().name()
        )));
    }
    let attributes = signer_info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| refuse("it has no signed attributes"))?;
    let single = |oid: ObjectIdentifier, name: &str| {
        let mut found = attributes.iter().filter(|a| a.oid == oid);
        match (found.next(), found.next()) {
            (Some(attribute), None) if attribute.values.len() == 1 => attribute
                .values
                .get(0)
                .cloned()
                .ok_or_else(|| refuse(format!("its {name} attribute is empty"))),
            (None, _) => Err(refuse(format!("it has no {name} attribute"))),
            _ => Err(refuse(format!("its {name} attribute is repeated"))),
        }
    };
    let content_type = single(ID_CONTENT_TYPE, "content-type")?
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| refuse("its content-type attribute is not an OID"))?;
    if content_type != ID_DATA {
        return Err(refuse("its content-type is not id-data"));
    }
    let message_digest = single(ID_MESSAGE_DIGEST, "message-digest")?
        .decode_as::<OctetString>()
        .map_err(|_| refuse("its message-digest attribute is not an OCTET STRING"))?;
    if message_digest.as_bytes() != digest {
        return Err(refuse(
            "its message-digest is not the draft's digest (it signs another document)",
        ));
    }
    check_signing_certificate(attributes, certificate_der)?;
    let signed_attributes = attributes
        .to_der()
        .map_err(|e| refuse(format!("signed attributes ({e})")))?;
    let signature = signer_info.signature.as_bytes();
    let valid = match algorithm {
        KeyAlgorithm::Gost2015With512 => {
            if signer_info.signature_algorithm.oid.to_string() != crate::gost::SIGNATURE_512 {
                return Err(refuse(format!(
                    "its signature algorithm {} is not GOST 34.10-2015 512",
                    signer_info.signature_algorithm.oid
                )));
            }
            let public = gost_public_key(certificate_der)?;
            crate::gost::verify_message(&public, &signed_attributes, signature) == Ok(true)
        }
        _ => {
            let digest = match algorithm.digest() {
                Digest::Sha384 => openssl::hash::MessageDigest::sha384(),
                _ => openssl::hash::MessageDigest::sha256(),
            };
            openssl::x509::X509::from_der(certificate_der)
                .and_then(|c| c.public_key())
                .and_then(|key| {
                    openssl::sign::Verifier::new(digest, &key)?
                        .verify_oneshot(signature, &signed_attributes)
                })
                .unwrap_or(false)
        }
    };
    if !valid {
        return Err(refuse(
            "its signature value does not verify with the certificate's key",
        ));
    }
    Ok(())
}

/// A signing-certificate(-v2) attribute, when present, must name `certificate_der` first.
fn check_signing_certificate(
    attributes: &x509_cert::attr::Attributes,
    certificate_der: &[u8],
) -> Result<(), SignError> {
    use crate::pki::ess::{Binding, binding};
    match binding(attributes, certificate_der) {
        Binding::Absent | Binding::Names => Ok(()),
        Binding::NamesAnother => Err(refuse(
            "its signing-certificate attribute names another certificate",
        )),
        Binding::Unreadable(reason) => Err(refuse(format!("its {reason}"))),
    }
}
