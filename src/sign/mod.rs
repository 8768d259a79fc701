//! Signing: PAdES signatures with the officer's EDS key (ETSI EN 319 142-1).
//!
//! Staged, so that a token or HSM can do the key operation: [`pdf::prepare`] writes the
//! incremental update with reserved `/ByteRange` and `/Contents`; the byte ranges are digested;
//! [`cms::signed_data`] builds the signed attributes and hands their DER to [`Signer::sign`],
//! the only place a key is touched; [`pdf::Prepared::embed`] writes the CMS into the hole.

mod appearance;
pub mod cms;
pub mod external;
pub mod pdf;
pub mod renew;
pub mod revocation;
mod signer;
pub mod timestamp;

pub use crate::pki::identity::SignerIdentity;
pub use signer::{Digest, GostSigner, KeyAlgorithm, KeyStoreSigner, Pkcs12Signer, Signer};

/// Why a document was not signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key store cannot be read.
    #[error("key store: {0}")]
    KeyStore(String),
    /// The key store's password is wrong.
    #[error("key store: wrong password")]
    WrongPassword,
    /// The key's type or size is not one eucdoc signs with.
    #[error(
        "unsupported key: {0} (eucdoc signs with GOST 34.10-2015 512-bit, RSA 2048–4096, \
         ECDSA P-256 or P-384 keys)"
    )]
    UnsupportedKey(String),
    /// The certificate's validity ended before the signing time.
    #[error("the key store holds {key} key whose certificate expired on {not_after}")]
    CertificateExpired {
        /// The key, in words ("a GOST 34.10-2015 (512-bit)").
        key: String,
        /// notAfter, "YYYY-MM-DD hh:mm:ss UTC".
        not_after: String,
    },
    /// The certificate's validity starts after the signing time.
    #[error("the key store holds {key} key whose certificate is valid only from {not_before}")]
    CertificateNotYetValid {
        /// The key, in words.
        key: String,
        /// notBefore, "YYYY-MM-DD hh:mm:ss UTC".
        not_before: String,
    },
    /// The key lacks nonRepudiation: an authentication (AUTH) key must not sign documents.
    #[error("the key may not sign documents: its certificate lacks nonRepudiation (an AUTH key?)")]
    NotForSigning,
    /// The certificate is revoked or on hold according to the CRL given.
    #[error("the signing certificate is {state} since {since} ({authority})")]
    Revoked {
        /// Who says so: "CRL of …", "OCSP …".
        authority: String,
        /// "revoked", "revoked (keyCompromise)", "on hold (certificateHold)".
        state: String,
        /// revocationDate, "YYYY-MM-DD hh:mm:ss UTC".
        since: String,
    },
    /// The CRL given cannot be used.
    #[error("CRL: {0}")]
    Crl(String),
    /// The private-key operation failed.
    #[error("signing failed: {0}")]
    KeyOperation(String),
    /// A signature made elsewhere (NCALayer, a token) does not fit the draft it is for.
    #[error("the signature does not fit the draft: {0}")]
    External(String),
    /// The signature just made does not verify with the certificate's public key (a faulty key,
    /// token or certificate): it is not embedded.
    #[error(
        "the signature made does not verify with the certificate's public key; nothing was signed"
    )]
    SignatureCheck,
    /// The CMS structure could not be encoded.
    #[error("CMS: {0}")]
    Cms(String),
    /// Validation data for B-LT could not be obtained or does not check out.
    #[error("revocation data: {0}")]
    Revocation(String),
    /// The TSA failed or answered something unusable (never a silent drop to a lower level).
    #[error("timestamp: {0}")]
    Timestamp(String),
    /// The PDF cannot be read or updated.
    #[error("PDF: {0}")]
    Pdf(String),
    /// The CMS does not fit the reserved `/Contents` (a sizing defect; never truncated).
    #[error("the signature needs {needed} bytes but {reserved} were reserved")]
    ContentsTooSmall {
        /// Bytes of DER.
        needed: usize,
        /// Bytes reserved.
        reserved: usize,
    },
}

/// What to sign and how it shows.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The signature field's name.
    pub field_name: String,
    /// The signing time claimed in `/M` (the signature itself carries no signing-time).
    pub time: time::UtcDateTime,
    /// Where and how the signature shows.
    pub widget: pdf::Widget,
    /// The TSA for a signature timestamp (PAdES B-T); `None` for B-B.
    pub tsa: Option<timestamp::Tsa>,
    /// Where validation data comes from, for PAdES B-LT (needs `tsa`).
    pub validation: Option<revocation::RevocationSources>,
    /// Add a document timestamp over the whole, for PAdES B-LTA (needs `validation`).
    pub archive_timestamp: bool,
    /// Drawn behind every page in the signed update: the test watermark for PDFs signed with a
    /// development key that eucdoc did not render.
    pub background: Option<pdf::PageBackground>,
}

impl SignRequest {
    /// An invisible PAdES B-B signature in field "Signature1" at `time`.
    pub fn basic(time: time::UtcDateTime) -> Self {
        Self {
            field_name: "Signature1".into(),
            time,
            widget: pdf::Widget::invisible(),
            tsa: None,
            validation: None,
            archive_timestamp: false,
            background: None,
        }
    }
}

/// PAdES baseline levels (ETSI EN 319 142-1, 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Basic signature.
    BB,
    /// With a signature timestamp.
    BT,
    /// With validation data in the DSS.
    BLt,
    /// With a document timestamp over everything.
    BLta,
}

impl SignRequest {
    /// The level this request makes, or why it cannot be made.
    pub fn level(&self) -> Result<Level, SignError> {
        match (&self.tsa, &self.validation, self.archive_timestamp) {
            (None, None, false) => Ok(Level::BB),
            (Some(_), None, false) => Ok(Level::BT),
            (Some(_), Some(_), false) => Ok(Level::BLt),
            (Some(_), Some(_), true) => Ok(Level::BLta),
            (None, Some(_), _) | (None, None, true) => {
                Err(SignError::Timestamp("B-LT and B-LTA need a TSA".into()))
            }
            (Some(_), None, true) => Err(SignError::Revocation(
                "B-LTA needs the validation data of B-LT".into(),
            )),
        }
    }
}

/// Kazakhstan's time zone since 1 March 2024: UTC+5 everywhere.
pub const ASTANA_OFFSET_HOURS: i8 = 5;

/// `time` in Astana time.
pub fn astana(time: time::UtcDateTime) -> time::OffsetDateTime {
    let offset =
        time::UtcOffset::from_hms(ASTANA_OFFSET_HOURS, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time.to_offset(offset)
}

/// A PDF date string (ISO 32000-1, 7.9.4) of `time` in Astana time.
pub fn pdf_date(time: time::UtcDateTime) -> String {
    let local = astana(time);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+{:02}'00'",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute(),
        local.second(),
        ASTANA_OFFSET_HOURS
    )
}

/// Bytes of DER to reserve: the chain, the signature, the attributes, and room for a
/// timestamp token, so that one pass always fits (never a trial signature).
fn reserve_for(signer: &dyn Signer) -> usize {
    const ATTRIBUTES_AND_STRUCTURE: usize = 2048;
    const SIGNATURE: usize = 1024;
    const TIMESTAMP_TOKEN: usize = 8192;
    let certificates: usize =
        signer.certificate_der().len() + signer.chain_der().iter().map(Vec::len).sum::<usize>();
    ATTRIBUTES_AND_STRUCTURE + SIGNATURE + TIMESTAMP_TOKEN + certificates
}

/// Signs `pdf` (PAdES B-B) and returns the signed file: the original bytes plus one incremental
/// update.
pub fn sign_pdf(
    pdf: &[u8],
    signer: &dyn Signer,
    request: &SignRequest,
) -> Result<Vec<u8>, SignError> {
    request.level()?;
    let prepared = prepare_for(pdf, signer, request)?;
    let digest = signer
        .algorithm()
        .digest()
        .hash_parts(&prepared.signed_bytes());
    let built = cms::signed_data(signer, &digest, request.tsa.as_ref())?;
    let mut signed = prepared.embed(&built.cms)?;
    if let Some(sources) = &request.validation {
        let mut certificates = vec![signer.certificate_der().to_vec()];
        certificates.extend(signer.chain_der().iter().cloned());
        if let Some(token) = &built.timestamp_token {
            certificates.extend(cms::certificates(token)?);
        }
        let data = revocation::collect(&certificates, sources, request.time.unix_timestamp())?;
        signed = pdf::add_dss(&signed, &data)?;
    }
    if let (true, Some(tsa)) = (request.archive_timestamp, &request.tsa) {
        signed = add_document_timestamp(&signed, tsa)?;
    }
    Ok(signed)
}

/// The incremental update with the signature field, widget and dictionary for `signer`'s
/// signature, `/Contents` reserved for it.
fn prepare_for(
    pdf: &[u8],
    signer: &dyn Signer,
    request: &SignRequest,
) -> Result<pdf::Prepared, SignError> {
    pdf::prepare(
        pdf,
        &request.field_name,
        &pdf::SignatureKind::Signature {
            m: pdf_date(request.time),
        },
        reserve_for(signer),
        &request.widget,
        request.background.as_ref(),
    )
}

/// Adds a document timestamp (PAdES B-LTA) over the whole file in a new incremental update.
pub fn add_document_timestamp(pdf: &[u8], tsa: &timestamp::Tsa) -> Result<Vec<u8>, SignError> {
    const TOKEN_RESERVE: usize = 12 * 1024;
    let prepared = pdf::prepare(
        pdf,
        "DocumentTimestamp1",
        &pdf::SignatureKind::DocumentTimestamp,
        TOKEN_RESERVE,
        &pdf::Widget::invisible(),
        None,
    )?;
    let digest = Digest::Sha256.hash_parts(&prepared.signed_bytes());
    let token = tsa.timestamp(Digest::Sha256, &digest)?;
    prepared.embed(&token)
}

/// A CRL's DER, from DER or PEM bytes.
fn crl_der(crl: &[u8]) -> Result<Vec<u8>, SignError> {
    crate::pki::crl::der_of(crl).map_err(SignError::Crl)
}

/// Whether `issuer_der`'s key made the signature of `certificate_der` (GOST or OpenSSL's
/// algorithms).
fn signed_by(certificate_der: &[u8], issuer_der: &[u8]) -> bool {
    use der::Decode;
    let Ok(certificate) = x509_cert::Certificate::from_der(certificate_der) else {
        return false;
    };
    if crate::gost::is_gost(&certificate.signature_algorithm.oid.to_string()) {
        return crate::gost::verify_certificate(certificate_der, issuer_der) == Ok(true);
    }
    let (Ok(certificate), Ok(issuer)) = (
        openssl::x509::X509::from_der(certificate_der),
        openssl::x509::X509::from_der(issuer_der),
    ) else {
        return false;
    };
    issuer
        .public_key()
        .and_then(|key| certificate.verify(&key))
        .unwrap_or(false)
}

/// Refuses a certificate that `crl` (DER or PEM) lists as revoked or on hold. The CRL's own
/// signature (GOST or OpenSSL's algorithms) is checked against `issuer_der` first.
pub fn check_not_revoked(
    certificate_der: &[u8],
    issuer_der: &[u8],
    crl: &[u8],
) -> Result<(), SignError> {
    use der::Decode;
    let crl = crl_der(crl)?;
    let entry =
        crate::pki::crl::entry_in(certificate_der, issuer_der, &crl).map_err(SignError::Crl)?;
    match entry {
        None => Ok(()),
        // A delta CRL's way of saying "no longer on hold".
        Some(entry) if entry.reason.as_deref() == Some("removeFromCRL") => Ok(()),
        Some(entry) => Err(SignError::Revoked {
            authority: format!(
                "CRL of {}",
                x509_cert::crl::CertificateList::from_der(&crl)
                    .map(|list| list.tbs_cert_list.issuer.to_string())
                    .unwrap_or_default()
            ),
            state: match entry.reason.as_deref() {
                Some("certificateHold") => "on hold (certificateHold)".into(),
                Some(reason) => format!("revoked ({reason})"),
                None => "revoked".into(),
            },
            since: signer::utc_text(entry.revoked_at),
        }),
    }
}

/// How far to take a signature: the TSA (B-T), validation data (B-LT), archive timestamp (B-LTA).
#[derive(Debug, Clone, Default)]
pub struct LevelOptions {
    /// TSA for B-T and above.
    pub tsa: Option<timestamp::Tsa>,
    /// Revocation sources for B-LT and above.
    pub validation: Option<revocation::RevocationSources>,
    /// B-LTA.
    pub archive_timestamp: bool,
}

impl LevelOptions {
    /// The options of a PAdES level by name ("b-b", "b-t", "b-lt", "b-lta") with its TSA URL,
    /// OCSP responder URL (else the ones the certificates name) and CRLs; `Err` names what is
    /// missing or inconsistent.
    pub fn for_level(
        level: &str,
        tsa_url: Option<&str>,
        ocsp_url: Option<String>,
        crls: Vec<Vec<u8>>,
    ) -> Result<Self, String> {
        let tsa = || {
            tsa_url
                .map(timestamp::Tsa::new)
                .ok_or_else(|| format!("level {level} needs a TSA URL"))
        };
        let validation = revocation::RevocationSources {
            ocsp_url,
            crls,
            timeout: std::time::Duration::from_secs(10),
        };
        match level {
            "b-b" if tsa_url.is_some() => Err(
                "a TSA is given but the level is b-b: use b-t for a timestamped signature".into(),
            ),
            "b-b" => Ok(Self::default()),
            "b-t" => Ok(Self {
                tsa: Some(tsa()?),
                ..Default::default()
            }),
            "b-lt" | "b-lta" => Ok(Self {
                tsa: Some(tsa()?),
                validation: Some(validation),
                archive_timestamp: level == "b-lta",
            }),
            other => Err(format!("level {other}: expected b-b, b-t, b-lt or b-lta")),
        }
    }
}

/// How a stamped signature is made.
#[derive(Debug, Clone, Copy)]
pub struct StampOptions<'a> {
    /// Where the stamp goes.
    pub place: &'a crate::render::SignaturePlace,
    /// The signer's position as the document states it.
    pub position: Option<&'a str>,
    /// The signing time.
    pub time: time::UtcDateTime,
    /// The PAdES level's needs.
    pub levels: &'a LevelOptions,
    /// Put the test watermark behind every page when the key is a development key (for PDFs
    /// whose template did not draw it).
    pub watermark_pages: bool,
}

/// Renders the stamp for `signer` into `place` and signs `pdf` with it at the level `levels`
/// asks for (see [`StampOptions`]).
pub fn sign_with_stamp(
    pdf: &[u8],
    signer: &dyn Signer,
    renderer: &crate::render::Renderer,
    options: &StampOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let request = stamp_request(signer, renderer, options)?;
    sign_pdf(pdf, signer, &request)
}

/// The request of a signature with `signer`'s stamp (name, IIN, BIN, serial, time from its
/// certificate) in the place `options` give.
fn stamp_request(
    signer: &dyn Signer,
    renderer: &crate::render::Renderer,
    options: &StampOptions<'_>,
) -> Result<SignRequest, SignError> {
    let StampOptions {
        place,
        position,
        time,
        levels,
        watermark_pages,
    } = *options;
    let identity = SignerIdentity::from_der(signer.certificate_der())
        .map_err(|e| SignError::KeyStore(format!("unreadable certificate: {e}")))?;
    let test = is_test_signer(signer);
    let stamp = crate::render::Stamp {
        width: place.width,
        height: place.height,
        full_name: identity.full_name,
        position: position.map(str::to_string),
        iin: identity.iin,
        bin: identity.bin,
        serial: identity.serial_hex,
        time: astana_time_text(time),
        test,
    };
    Ok(SignRequest {
        field_name: "Signature1".into(),
        time,
        widget: pdf::Widget {
            page: place.page,
            rect: place.pdf_rect(),
            appearance: Some(appearance::stamp_appearance(renderer, &stamp, time)?),
        },
        tsa: levels.tsa.clone(),
        validation: levels.validation.clone(),
        archive_timestamp: levels.archive_timestamp,
        background: if watermark_pages && test {
            Some(test_watermark(renderer, time)?)
        } else {
            None
        },
    })
}

/// Certificates from PEM (one or more) or DER bytes, as DER.
pub fn certificates_from_file(bytes: &[u8]) -> Result<Vec<Vec<u8>>, SignError> {
    let ssl = |e: openssl::error::ErrorStack| SignError::KeyStore(format!("certificate file: {e}"));
    if bytes.starts_with(b"-----") || bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        openssl::x509::X509::stack_from_pem(bytes)
            .map_err(ssl)?
            .iter()
            .map(|c| c.to_der().map_err(ssl))
            .collect()
    } else {
        Ok(vec![
            openssl::x509::X509::from_der(bytes)
                .and_then(|c| c.to_der())
                .map_err(ssl)?,
        ])
    }
}

/// The test watermark, 420 × 260 pt, as a page background.
fn test_watermark(
    renderer: &crate::render::Renderer,
    time: time::UtcDateTime,
) -> Result<pdf::PageBackground, SignError> {
    const SIZE: (f64, f64) = (420.0, 260.0);
    let watermark = renderer
        .render_watermark(SIZE.0, SIZE.1, time)
        .map_err(|e| SignError::Pdf(format!("watermark: {e}")))?;
    Ok(pdf::PageBackground {
        appearance: appearance::import_first_page(&watermark)?,
        size: SIZE,
    })
}

/// Whether the signer's certificate or chain comes from the development PKI.
pub fn is_test_signer(signer: &dyn Signer) -> bool {
    std::iter::once(signer.certificate_der())
        .chain(signer.chain_der().iter().map(Vec::as_slice))
        .any(crate::pki::cert::is_development_certificate)
}

/// "02.03.2026 14:30:00" in Astana time.
pub fn astana_time_text(time: time::UtcDateTime) -> String {
    let local = astana(time);
    format!(
        "{:02}.{:02}.{:04} {:02}:{:02}:{:02}",
        local.day(),
        u8::from(local.month()),
        local.year(),
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// A stamp place for a PDF the renderer did not make: 80 × 28 mm in the bottom right corner of
/// the last page, 15 mm from the edges.
pub fn default_place(pdf: &[u8]) -> Result<crate::render::SignaturePlace, SignError> {
    const MM: f64 = 72.0 / 25.4;
    let document = pdf::load_for_update(pdf)?.into_document();
    let pages = document.get_pages();
    let (&number, &page_id) = pages
        .iter()
        .next_back()
        .ok_or_else(|| SignError::Pdf("the document has no pages".into()))?;
    let media_box = pdf::page_media_box(&document, page_id)
        .ok_or_else(|| SignError::Pdf(format!("page {number} has no usable /MediaBox")))?;
    let [llx, lly, urx, ury] = media_box;
    let (page_width, page_height) = (urx - llx, ury - lly);
    let (width, height) = (80.0 * MM, 28.0 * MM);
    Ok(crate::render::SignaturePlace {
        page: number as usize,
        x: page_width - 15.0 * MM - width,
        y: page_height - 15.0 * MM - height,
        width,
        height,
        page_height,
    })
}

/// Opens a key store for signing at `now` (Unix seconds), whatever its key's algorithm (GOST
/// 34.10-2015 512-bit, RSA, ECDSA; see [`KeyStoreSigner::open`]). `chain` adds certificates
/// (DER) to the chain the key store carries. A key that one of `crls` (DER or PEM, its
/// issuer's CRL) lists as revoked or on hold is refused; its issuer must then be in the chain.
pub fn open_signer(
    p12: &[u8],
    password: &str,
    now: i64,
    crls: &[Vec<u8>],
    chain: &[Vec<u8>],
) -> Result<KeyStoreSigner, SignError> {
    let mut signer = KeyStoreSigner::open(p12, password, now)?;
    signer.add_chain(chain);
    if !crls.is_empty() {
        let issuer = issuer_in(signer.certificate_der(), signer.chain_der()).ok_or_else(|| {
            SignError::Crl(
                "the key store does not hold the certificate's issuer, so the CRL cannot be \
                 checked (add it with --chain)"
                    .into(),
            )
        })?;
        check_against_crls(signer.certificate_der(), issuer, crls)?;
    }
    Ok(signer)
}

/// The certificate among `chain` whose key signed `certificate_der`.
pub(super) fn issuer_in<'a>(certificate_der: &[u8], chain: &'a [Vec<u8>]) -> Option<&'a [u8]> {
    chain
        .iter()
        .find(|candidate| signed_by(certificate_der, candidate))
        .map(Vec::as_slice)
}

/// The first of `crls` (DER or PEM) that `issuer_der` issued and that is current at `now`,
/// as DER, once [`check_not_revoked`] has passed `certificate_der` with it.
pub(super) fn current_crl_of(
    certificate_der: &[u8],
    issuer_der: &[u8],
    crls: &[Vec<u8>],
    now: i64,
) -> Result<Option<Vec<u8>>, SignError> {
    use der::Decode;
    let issuer_name = x509_cert::Certificate::from_der(issuer_der)
        .map_err(|e| SignError::Crl(e.to_string()))?
        .tbs_certificate
        .subject;
    for crl in crls {
        let crl = crl_der(crl)?;
        let list = x509_cert::crl::CertificateList::from_der(&crl)
            .map_err(|e| SignError::Crl(e.to_string()))?;
        let stale = list
            .tbs_cert_list
            .next_update
            .is_some_and(|next| (next.to_unix_duration().as_secs() as i64) < now);
        if list.tbs_cert_list.issuer == issuer_name && !stale {
            check_not_revoked(certificate_der, issuer_der, &crl)?;
            return Ok(Some(crl));
        }
    }
    Ok(None)
}

/// Checks `certificate_der` with each of `crls` (DER or PEM) that `issuer_der` issued (by name;
/// see [`check_not_revoked`]): whether any of them was such a CRL.
pub(super) fn check_against_crls(
    certificate_der: &[u8],
    issuer_der: &[u8],
    crls: &[Vec<u8>],
) -> Result<bool, SignError> {
    use der::Decode;
    let issuer_name = x509_cert::Certificate::from_der(issuer_der)
        .map_err(|e| SignError::Crl(e.to_string()))?
        .tbs_certificate
        .subject;
    let mut checked = false;
    for crl in crls {
        let crl = crl_der(crl)?;
        let crl_issuer = x509_cert::crl::CertificateList::from_der(&crl)
            .map_err(|e| SignError::Crl(e.to_string()))?
            .tbs_cert_list
            .issuer;
        if crl_issuer == issuer_name {
            check_not_revoked(certificate_der, issuer_der, &crl)?;
            checked = true;
        }
    }
    Ok(checked)
}
