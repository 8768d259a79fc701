//! Verification of signed documents: parse, cryptography, chain, revocation, changes after
//! signing, Kazakh identity → a [`Report`]. A bad signature is a report, never an `Err`; `Err` is
//! only for input that cannot be read at all (not a PDF, not a CMS, over the size limit).
//!
//! Inputs, told apart by content ([`verify`]): PDF (PAdES `ETSI.CAdES.detached`,
//! `adbe.pkcs7.detached`, `adbe.pkcs7.sha1`, document timestamps `ETSI.RFC3161`) and CMS
//! SignedData, attached or detached, as DER, PEM or bare base64 (what NCALayer produces).
//!
//! Per signature: the /ByteRange exactly (PDF), the CMS (signed attributes, message digest,
//! signing-certificate binding, RSA PKCS#1 v1.5 / PSS and ECDSA), the signature timestamp, the
//! certificate path at the validation time (the timestamp's time when there is one), key usage,
//! revocation of every certificate below the trust anchor from OCSP responses and CRLs the
//! document carries (DSS, the CMS, Adobe's archival attribute) or, unless offline, fetched from
//! the responders the certificates name; later revisions compared object by object with the
//! signed one; the signer's IIN/BIN and roles.
//!
//! This module coordinates: it reads the input and the document-wide evidence (DSS) and hands
//! each signature to [`signature`] (PDF) or to the CMS checks; [`trust`] and [`revocation`]
//! judge the certificates, [`outcome`] ranks what failed.

pub mod chain;
mod changes;
mod cms;
pub mod etsi;
mod gost_path;
pub mod many;
mod outcome;
mod pdf;
pub mod report;
mod revocation;
mod signature;
mod signer;
mod trust;

use outcome::Outcome;
use signature::{Kind, assess, mark_b_lta, verify_pdf_signature};
pub use signer::signer_from_certificate;
pub use trust::check_certificate;

use crate::pki::pdf_reader::PdfFile;
use lopdf::Object;
use openssl::x509::X509;

pub use report::{
    CertificateStatus, Coverage, Indication, ModificationLevel, Report, Revocation,
    SignatureReport, Signer, SubIndication,
};

/// Largest input verified.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// Largest number of revisions (incremental updates) in a PDF.
pub const MAX_REVISIONS: usize = 1_000;
/// Largest number of signatures verified in one document.
pub const MAX_SIGNATURES: usize = 100;
/// Largest number of indirect objects in a PDF.
pub const MAX_OBJECTS: usize = 2_000_000;
/// Largest size one PDF stream may decompress to.
pub const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;

/// What cannot be verified at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The input is over [`MAX_INPUT_BYTES`].
    #[error("the input is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Bytes given.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a PDF this verifier can read.
    #[error("not a readable PDF: {0}")]
    Unreadable(String),
    /// Neither a PDF nor a CMS SignedData (DER, PEM or base64).
    #[error("neither a PDF nor a CMS signature: {0}")]
    UnknownFormat(String),
    /// Detached data was given for a PDF, which carries its own.
    #[error("detached data applies to a detached CMS signature, not to a PDF")]
    DataForPdf,
    /// A trust anchor cannot be read.
    #[error("trust anchor: {0}")]
    TrustAnchor(String),
}

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Trust anchors (DER).
    pub trust_anchors: Vec<Vec<u8>>,
    /// Validation time when no timestamp gives one (default: now).
    pub at: Option<time::UtcDateTime>,
    /// Never ask the OCSP responders and CRL distribution points the certificates name. By
    /// default they are asked (plain HTTP, within `fetch_limits`) for a certificate whose
    /// status the document and the options do not give, as Acrobat, pyHanko and EU DSS do.
    pub offline: bool,
    /// How much one verification may fetch.
    pub fetch_limits: crate::pki::fetch::FetchLimits,
    /// CRLs (DER) at hand besides those the document carries, e.g. the CA's latest.
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses (DER) at hand besides those the document carries.
    pub ocsps: Vec<Vec<u8>>,
    /// What the signatures are for: documents (a SIGN key, nonRepudiation) by default, or
    /// signing in (an AUTH key, clientAuth).
    pub purpose: Purpose,
}

/// What a signature is for, which decides the key it needs (kz-pki.md: SIGN and AUTH keys).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purpose {
    /// Signing a document: the key must have nonRepudiation.
    #[default]
    Document,
    /// Proving who one is (signing a server's challenge): the key must have clientAuth.
    Authentication,
}

/// Revocation data and certificates available to every signature of one input.
#[derive(Default, Clone)]
struct Evidence {
    certs: Vec<Vec<u8>>,
    ocsps: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    /// What is left for fetching; `None` offline.
    budget: Option<std::sync::Arc<crate::pki::fetch::Budget>>,
}

impl Evidence {
    /// Nothing yet, with a fresh fetching budget unless the options say offline.
    fn for_options(options: &VerifyOptions) -> Self {
        Evidence {
            budget: (!options.offline)
                .then(|| std::sync::Arc::new(crate::pki::fetch::Budget::new(options.fetch_limits))),
            ..Default::default()
        }
    }

    /// Whether it holds certificates and revocation data (what B-LT adds).
    fn has_validation_data(&self) -> bool {
        let revocation_data = !self.crls.is_empty() || !self.ocsps.is_empty();
        !self.certs.is_empty() && revocation_data
    }

    fn extend(&mut self, other: &Evidence) {
        self.certs.extend(other.certs.iter().cloned());
        self.ocsps.extend(other.ocsps.iter().cloned());
        self.crls.extend(other.crls.iter().cloned());
    }
}

/// Verifies a PDF or a CMS signature, told apart by content. `detached` is the signed data of a
/// detached CMS.
pub fn verify(
    input: &[u8],
    detached: Option<&[u8]>,
    options: &VerifyOptions,
) -> Result<Report, VerifyError> {
    check_size(input.len())?;
    if looks_like_pdf(input) {
        if detached.is_some() {
            return Err(VerifyError::DataForPdf);
        }
        return verify_pdf(input, options);
    }
    verify_cms(input, detached, options)
}

/// Said of a CMS in BER: legal, and read with its signed attributes checked over their DER.
const BER_NOTE: &str = "the CMS is encoded in BER, not DER (RFC 5652 allows it; the signed attributes were checked over their DER encoding, 5.4)";

fn check_size(size: usize) -> Result<(), VerifyError> {
    if size > MAX_INPUT_BYTES {
        return Err(VerifyError::TooLarge {
            size,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

/// "%PDF-" within the first kilobyte, as readers accept.
fn looks_like_pdf(input: &[u8]) -> bool {
    let head = &input[..input.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

/// The options' trust anchors, parsed.
fn anchors_of(options: &VerifyOptions) -> Result<Vec<X509>, VerifyError> {
    options
        .trust_anchors
        .iter()
        .map(|der| {
            crate::pki::cert::parse(der).map_err(|e| VerifyError::TrustAnchor(e.to_string()))
        })
        .collect()
}

fn read_dss(document: &PdfFile) -> Evidence {
    let mut dss = Evidence::default();
    let Some(Object::Dictionary(dict)) = document
        .catalog()
        .and_then(|c| document.resolve_key(c, b"DSS"))
    else {
        return dss;
    };
    for (key, out) in [
        (&b"Certs"[..], &mut dss.certs),
        (b"OCSPs", &mut dss.ocsps),
        (b"CRLs", &mut dss.crls),
    ] {
        let Some(Object::Array(items)) = document.resolve_key(dict, key) else {
            continue;
        };
        for item in items {
            if let Some(Object::Stream(stream)) = document.resolve(item)
                && let Ok(content) = stream.get_plain_content_with_limit(MAX_STREAM_BYTES)
            {
                out.push(content);
            }
        }
    }
    dss
}

/// Opens a PDF for reading (objects parsed as checks ask for them), within the object limit.
fn load_pdf(bytes: &[u8]) -> Result<PdfFile<'_>, String> {
    within_object_limit(PdfFile::open(bytes, MAX_STREAM_BYTES)?)
}

/// The revision of `document` that ends at byte `end` (what a signature signed), within the
/// same limits.
fn load_revision<'a>(document: &PdfFile<'a>, end: usize) -> Result<PdfFile<'a>, String> {
    within_object_limit(document.revision(end)?)
}

fn within_object_limit(document: PdfFile<'_>) -> Result<PdfFile<'_>, String> {
    let objects = document.object_count();
    if objects > MAX_OBJECTS {
        return Err(format!("{objects} objects; the limit is {MAX_OBJECTS}"));
    }
    Ok(document)
}

/// Verifies every signature of a PDF.
pub fn verify_pdf(file: &[u8], options: &VerifyOptions) -> Result<Report, VerifyError> {
    let (anchors, document) = load_within_limits(file, options)?;
    Ok(verify_loaded_pdf(file, &document, anchors, options))
}

/// The trust anchors and the parsed PDF, or why the file is refused before any signature is
/// looked at (size, header, revisions, objects).
fn load_within_limits<'a>(
    file: &'a [u8],
    options: &VerifyOptions,
) -> Result<(Vec<X509>, PdfFile<'a>), VerifyError> {
    check_size(file.len())?;
    if !looks_like_pdf(file) {
        return Err(VerifyError::Unreadable("no %PDF- header".into()));
    }
    let anchors = anchors_of(options)?;
    let revisions = memchr_count(file, b"%%EOF");
    if revisions > MAX_REVISIONS {
        return Err(VerifyError::Unreadable(format!(
            "{revisions} revisions; the limit is {MAX_REVISIONS}"
        )));
    }
    let document = load_pdf(file).map_err(VerifyError::Unreadable)?;
    Ok((anchors, document))
}

/// What [`verify_pdf_and_attachment`] read from one parse of a PDF.
#[derive(Debug, Clone)]
pub struct PdfExamined {
    /// The verification of every signature.
    pub report: Report,
    /// The embedded file asked for, decoded, when it is there.
    pub attachment: Option<Vec<u8>>,
    /// Pages in the page tree.
    pub pages: usize,
}

/// As [`verify_pdf`], and the embedded file `attachment` (at most `limit` bytes decoded) and the
/// page count read from the same parse: the public check compares a copy's `data.json` with the
/// registry; an application package compares its documents' and counts its attachments' pages.
pub fn verify_pdf_and_attachment(
    file: &[u8],
    options: &VerifyOptions,
    attachment: &str,
    limit: usize,
) -> Result<PdfExamined, VerifyError> {
    let (anchors, document) = load_within_limits(file, options)?;
    Ok(PdfExamined {
        attachment: pdf::embedded_file(&document, attachment, limit),
        pages: document.page_count(),
        report: verify_loaded_pdf(file, &document, anchors, options),
    })
}

fn verify_loaded_pdf(
    file: &[u8],
    document: &PdfFile,
    anchors: Vec<X509>,
    options: &VerifyOptions,
) -> Report {
    let dss = Evidence {
        budget: Evidence::for_options(options).budget,
        ..read_dss(document)
    };
    let mut found = pdf::find_signatures(document);
    let mut warnings = Vec::new();
    if found.is_empty() {
        warnings.push("the document has no signature".into());
    }
    if found.len() > MAX_SIGNATURES {
        warnings.push(format!(
            "{} signatures; only the first {MAX_SIGNATURES} are verified",
            found.len()
        ));
        found.truncate(MAX_SIGNATURES);
    }
    let mut signatures: Vec<SignatureReport> = found
        .iter()
        .map(|signature| verify_pdf_signature(file, document, signature, &dss, &anchors, options))
        .collect();
    mark_b_lta(&mut signatures);
    Report::new("pdf", signatures, warnings)
}

fn memchr_count(haystack: &[u8], needle: &[u8]) -> usize {
    memchr::memmem::find_iter(haystack, needle).count()
}

/// Verifies every SignerInfo of a CMS SignedData (DER, BER, PEM or bare base64) over its
/// encapsulated content or `detached`.
pub fn verify_cms(
    input: &[u8],
    detached: Option<&[u8]>,
    options: &VerifyOptions,
) -> Result<Report, VerifyError> {
    check_size(input.len())?;
    let anchors = anchors_of(options)?;
    let (der, was_ber) =
        crate::pki::cms_der_noting_ber(input).map_err(VerifyError::UnknownFormat)?;
    let parsed = cms::parse(&der).map_err(|(_, reason)| VerifyError::UnknownFormat(reason))?;
    let encapsulated = parsed.encapsulated();
    let mut warnings = Vec::new();
    if was_ber {
        warnings.push(BER_NOTE.into());
    }
    let content: Option<&[u8]> = match (&encapsulated, detached) {
        (Some(inner), Some(outer)) => {
            if inner.as_slice() != outer {
                warnings.push(
                    "the CMS encapsulates content that differs from the detached data given; the encapsulated content is what was signed".into(),
                );
            }
            Some(inner)
        }
        (Some(inner), None) => Some(inner),
        (None, Some(outer)) => Some(outer),
        (None, None) => None,
    };
    let evidence = Evidence {
        certs: parsed.certificates.clone(),
        ocsps: parsed.ocsps.clone(),
        crls: parsed.crls.clone(),
        ..Evidence::for_options(options)
    };
    let mut signatures = Vec::new();
    for index in 0..parsed.signer_count() {
        let outcome = Outcome::new(None, None, validation_time_of(options), None);
        let Some(content) = content else {
            signatures.push(outcome.fail(
                Indication::Indeterminate,
                SubIndication::FormatFailure,
                "a detached signature: the signed data must be given (--data)",
            ));
            continue;
        };
        let check = cms::check(&parsed, index, &[content]);
        let mut outcome = outcome;
        outcome.report.level = Some("CMS, not PAdES: a CMS file, not a PDF signature".into());
        signatures.push(assess(
            outcome,
            check,
            &evidence,
            Kind::Signature,
            &anchors,
            options,
        ));
    }
    if signatures.is_empty() {
        warnings.push("the CMS has no SignerInfo".into());
    }
    Ok(Report::new("cms", signatures, warnings))
}

fn validation_time_of(options: &VerifyOptions) -> time::UtcDateTime {
    options.at.unwrap_or_else(time::UtcDateTime::now)
}

pub(crate) fn rfc3339(unix: i64) -> String {
    time::UtcDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
