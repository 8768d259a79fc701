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
//! document carries (DSS, the CMS, Adobe's archival attribute) or, when asked, fetched from the
//! responders the certificates name; later revisions compared object by object with the signed
//! one; the signer's IIN/BIN and roles.

pub mod chain;
mod changes;
mod cms;
pub mod etsi;
mod gost_path;
pub mod many;
mod pdf;
pub mod report;

use der::Decode;
use lopdf::{Document, Object};
use openssl::x509::{X509, X509VerifyResult};

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
    let (der, was_ber) =
        crate::pki::cms_der_noting_ber(input).map_err(VerifyError::UnknownFormat)?;
    let mut report = verify_cms(&der, detached, options)?;
    if was_ber {
        report.warnings.push(BER_NOTE.into());
    }
    Ok(report)
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

/// The DER of a CMS given as DER or BER, PEM or bare base64 (see [`crate::pki::cms_der`]).
fn anchors_of(options: &VerifyOptions) -> Result<Vec<X509>, VerifyError> {
    options
        .trust_anchors
        .iter()
        .map(|der| parse_certificate(der).map_err(|e| VerifyError::TrustAnchor(e.to_string())))
        .collect()
}

fn read_dss(document: &Document) -> Evidence {
    let mut dss = Evidence::default();
    let Some(dict) = document
        .catalog()
        .ok()
        .and_then(|c| c.get(b"DSS").ok())
        .and_then(|d| document.dereference(d).ok())
        .and_then(|(_, d)| d.as_dict().ok())
    else {
        return dss;
    };
    for (key, out) in [
        (&b"Certs"[..], &mut dss.certs),
        (b"OCSPs", &mut dss.ocsps),
        (b"CRLs", &mut dss.crls),
    ] {
        let Some(Ok((_, Object::Array(items)))) =
            dict.get(key).ok().map(|a| document.dereference(a))
        else {
            continue;
        };
        for item in items {
            if let Ok((_, Object::Stream(stream))) = document.dereference(item)
                && let Ok(content) = stream.get_plain_content_with_limit(MAX_STREAM_BYTES)
            {
                out.push(content);
            }
        }
    }
    dss
}

fn load_pdf(bytes: &[u8]) -> Result<Document, String> {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(MAX_STREAM_BYTES),
        ..Default::default()
    };
    let document = Document::load_mem_with_options(bytes, options).map_err(|e| e.to_string())?;
    if document.objects.len() > MAX_OBJECTS {
        return Err(format!(
            "{} objects; the limit is {MAX_OBJECTS}",
            document.objects.len()
        ));
    }
    Ok(document)
}

/// Verifies every signature of a PDF.
pub fn verify_pdf(file: &[u8], options: &VerifyOptions) -> Result<Report, VerifyError> {
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
    let dss = Evidence {
        budget: Evidence::for_options(options).budget,
        ..read_dss(&document)
    };
    let mut found = pdf::find_signatures(&document);
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
        .map(|signature| verify_pdf_signature(file, &document, signature, &dss, &anchors, options))
        .collect();
    mark_b_lta(&mut signatures);
    Ok(Report::new("pdf", signatures, warnings))
}

fn memchr_count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Verifies every SignerInfo of a CMS SignedData over its encapsulated content or `detached`.
pub fn verify_cms(
    der: &[u8],
    detached: Option<&[u8]>,
    options: &VerifyOptions,
) -> Result<Report, VerifyError> {
    check_size(der.len())?;
    let anchors = anchors_of(options)?;
    let parsed = cms::parse(der).map_err(|(_, reason)| VerifyError::UnknownFormat(reason))?;
    let encapsulated = parsed.encapsulated();
    let mut warnings = Vec::new();
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

/// Builds one signature's report step by step. Every failure found is kept; the most specific
/// one decides the indication (see [`rank`]) and the reasons list them all, deciding one first.
struct Outcome {
    report: SignatureReport,
    failures: Vec<Failure>,
}

/// One failed check: its indication, sub-indication (none for a change after signing, which
/// EN 319 102-1 has none for) and the reason in words.
struct Failure {
    indication: Indication,
    sub: Option<SubIndication>,
    reason: String,
}

/// How specific a failure is; the highest decides. As rustls-webpki ranks its path errors, a
/// failure that says what is wrong with this signature outranks one that says something could
/// not be established: TOTAL-FAILED (proven wrong) before INDETERMINATE, and within each, the
/// signature's own bytes before its signer's certificate before missing data.
fn rank(indication: Indication, sub: Option<SubIndication>) -> u8 {
    use SubIndication as S;
    match (indication, sub) {
        (Indication::TotalFailed, Some(S::HashFailure)) => 100,
        (Indication::TotalFailed, Some(S::SigCryptoFailure)) => 99,
        (Indication::TotalFailed, None) => 98,
        (Indication::TotalFailed, Some(S::Revoked)) => 97,
        (Indication::TotalFailed, Some(S::FormatFailure)) => 96,
        (Indication::TotalFailed, Some(_)) => 95,
        (Indication::Indeterminate, Some(S::FormatFailure)) => 60,
        (Indication::Indeterminate, Some(S::CryptoConstraintsFailure)) => 59,
        (Indication::Indeterminate, Some(S::OutOfBoundsNoPoe)) => 58,
        (Indication::Indeterminate, Some(S::Expired | S::NotYetValid)) => 57,
        (Indication::Indeterminate, Some(S::ChainConstraintsFailure)) => 56,
        (Indication::Indeterminate, Some(S::NoCertificateChainFound)) => 55,
        (Indication::Indeterminate, Some(S::TryLater)) => 54,
        (Indication::Indeterminate, _) => 50,
        (Indication::TotalPassed, _) => 0,
    }
}

impl Outcome {
    fn new(
        field: Option<String>,
        sub_filter: Option<String>,
        validation_time: time::UtcDateTime,
        claimed_signing_time: Option<String>,
    ) -> Self {
        Outcome {
            report: SignatureReport {
                field,
                sub_filter,
                indication: Indication::TotalPassed,
                sub_indication: None,
                reasons: Vec::new(),
                intact: None,
                valid: None,
                trusted: None,
                modification_level: None,
                level: None,
                signer: None,
                claimed_signing_time,
                timestamp: None,
                validation_time: rfc3339(validation_time.unix_timestamp()),
                chain: Vec::new(),
                revocation: Vec::new(),
                modifications: Vec::new(),
                coverage: None,
                warnings: Vec::new(),
            },
            failures: Vec::new(),
        }
    }

    /// Records a failure; the checks go on.
    fn note(&mut self, indication: Indication, sub: SubIndication, reason: impl Into<String>) {
        self.failures.push(Failure {
            indication,
            sub: Some(sub),
            reason: reason.into(),
        });
    }

    /// The signed content changed after signing: TOTAL-FAILED for that reason. ETSI EN 319
    /// 102-1 has no sub-indication for it (the signature itself is intact and valid), so none
    /// is given; `modification_level` and the reasons say what happened.
    fn note_modified(&mut self, reason: impl Into<String>) {
        self.report.modification_level = Some(ModificationLevel::Other);
        self.failures.push(Failure {
            indication: Indication::TotalFailed,
            sub: None,
            reason: reason.into(),
        });
    }

    /// The revocation lines of the signer's path into the report, its failures noted.
    fn take_revocation(&mut self, statuses: PathRevocation) {
        self.report.revocation = statuses.lines;
        for (indication, sub, reason) in statuses.failures {
            self.note(indication, sub, reason);
        }
    }

    /// Whether a failure so far already proves the signature wrong (TOTAL-FAILED): later
    /// checks still run for the report, but nothing is fetched for them.
    fn failed_for_good(&self) -> bool {
        self.failures
            .iter()
            .any(|f| f.indication == Indication::TotalFailed)
    }

    /// Records a failure after which nothing more can be checked, and ends the report.
    fn fail(
        mut self,
        indication: Indication,
        sub: SubIndication,
        reason: impl Into<String>,
    ) -> SignatureReport {
        self.note(indication, sub, reason);
        self.finish()
    }

    /// The report, its indication decided by the highest-ranked failure (the first found among
    /// equals), every reason listed, deciding one first.
    fn finish(mut self) -> SignatureReport {
        self.failures
            .sort_by_key(|f| std::cmp::Reverse(rank(f.indication, f.sub)));
        if let Some(decisive) = self.failures.first() {
            self.report.indication = decisive.indication;
            self.report.sub_indication = decisive.sub;
        }
        self.report
            .reasons
            .extend(self.failures.into_iter().map(|f| f.reason));
        self.report
    }
}

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, ISO 32000-1, 7.9.4; every part after the year
/// optional, no offset meaning UTC) in RFC 3339.
fn pdf_date_rfc3339(text: &str) -> Option<String> {
    let digits = text.strip_prefix("D:").unwrap_or(text);
    let number = |from: usize, len: usize, default: u8| -> Option<u8> {
        match digits.get(from..from + len) {
            Some(part) if part.bytes().all(|b| b.is_ascii_digit()) => part.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year: i32 = digits.get(0..4)?.parse().ok()?;
    let (month, day) = (number(4, 2, 1)?, number(6, 2, 1)?);
    let (hour, minute, second) = (number(8, 2, 0)?, number(10, 2, 0)?, number(12, 2, 0)?);
    let digits_end = digits
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| i)
        .unwrap_or(digits.len())
        .min(14);
    let zone = &digits[digits_end..];
    let offset = match zone.chars().next() {
        None | Some('Z') => time::UtcOffset::UTC,
        Some(sign @ ('+' | '-')) => {
            let numbers: Vec<i8> = zone[1..]
                .split('\'')
                .filter(|part| !part.is_empty())
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let (hours, minutes) = (*numbers.first()?, numbers.get(1).copied().unwrap_or(0));
            let factor = if sign == '-' { -1 } else { 1 };
            time::UtcOffset::from_hms(factor * hours, factor * minutes, 0).ok()?
        }
        Some(_) => return None,
    };
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let time = time::Time::from_hms(hour, minute, second).ok()?;
    time::PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// A signature proper, or a timestamp token standing as one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Signature,
    DocumentTimestamp,
}

fn verify_pdf_signature(
    file: &[u8],
    last: &Document,
    signature: &pdf::FoundSignature,
    dss: &Evidence,
    anchors: &[X509],
    options: &VerifyOptions,
) -> SignatureReport {
    let claimed = signature.m.as_deref().map(|m| (m, pdf_date_rfc3339(m)));
    let mut outcome = Outcome::new(
        signature.field.clone(),
        signature.sub_filter.clone(),
        validation_time_of(options),
        claimed.as_ref().and_then(|(_, rfc3339)| rfc3339.clone()),
    );
    if let Some((m, None)) = claimed {
        outcome
            .report
            .warnings
            .push(format!("the signing time /M {m:?} is not a PDF date"));
    }
    let (range, der) = match pdf::check_byte_range(file, signature) {
        Ok(checked) => checked,
        Err(problem) => {
            if let Some((ranges, der)) = &problem.readable {
                report_cryptography_anyway(&mut outcome, file, ranges, der, signature);
            }
            return outcome.fail(
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                problem.reason,
            );
        }
    };
    if range.ber {
        outcome.report.warnings.push(BER_NOTE.into());
    }
    let [_, a, b, c] = range.range;
    outcome.report.coverage = Some(Coverage {
        byte_range: [0, a as u64, b as u64, c as u64],
        whole_file: range.whole_file,
        bytes_after: (file.len() - (b + c)) as u64,
    });
    let parts: [&[u8]; 2] = [&file[..a], &file[b..b + c]];
    let sub_filter = signature.sub_filter.as_deref().unwrap_or_default();
    let kind = if signature.kind.as_deref() == Some("DocTimeStamp") || sub_filter == "ETSI.RFC3161"
    {
        Kind::DocumentTimestamp
    } else {
        Kind::Signature
    };
    let mut evidence = dss.clone();
    let check = match (kind, sub_filter) {
        (Kind::DocumentTimestamp, _) => {
            let (check, certificates) = cms::check_timestamp(&der, &parts);
            evidence.certs.extend(certificates);
            check
        }
        (Kind::Signature, "ETSI.CAdES.detached" | "adbe.pkcs7.detached" | "adbe.pkcs7.sha1") => {
            let parsed = match cms::parse(&der) {
                Ok(parsed) => parsed,
                Err((sub, reason)) => return outcome.fail(Indication::TotalFailed, sub, reason),
            };
            if parsed.signer_count() != 1 {
                return outcome.fail(
                    Indication::TotalFailed,
                    SubIndication::FormatFailure,
                    format!(
                        "{} SignerInfos; a PDF signature has exactly one",
                        parsed.signer_count()
                    ),
                );
            }
            evidence.extend(&Evidence {
                certs: parsed.certificates.clone(),
                ocsps: parsed.ocsps.clone(),
                crls: parsed.crls.clone(),
                budget: None,
            });
            match (sub_filter, parsed.encapsulated()) {
                ("adbe.pkcs7.sha1", Some(content)) => {
                    // The CMS signs the SHA-1 digest of the byte ranges (ISO 32000-1, 12.8.3.3).
                    let digest =
                        openssl::hash::hash(openssl::hash::MessageDigest::sha1(), &parts.concat())
                            .map(|d| d.to_vec())
                            .unwrap_or_default();
                    if content != digest {
                        outcome.report.intact = Some(false);
                        return outcome.fail(
                            Indication::TotalFailed,
                            SubIndication::HashFailure,
                            "the encapsulated SHA-1 digest does not match the signed bytes",
                        );
                    }
                    outcome
                        .report
                        .warnings
                        .push("adbe.pkcs7.sha1: the document is signed through SHA-1".into());
                    cms::check(&parsed, 0, &[&content])
                }
                ("adbe.pkcs7.sha1", None) => {
                    return outcome.fail(
                        Indication::TotalFailed,
                        SubIndication::FormatFailure,
                        "adbe.pkcs7.sha1 without the encapsulated digest",
                    );
                }
                (_, Some(_)) => {
                    return outcome.fail(
                        Indication::TotalFailed,
                        SubIndication::FormatFailure,
                        "the CMS encapsulates content; this /SubFilter requires a detached one",
                    );
                }
                (_, None) => cms::check(&parsed, 0, &parts),
            }
        }
        (Kind::Signature, other) => {
            return outcome.fail(
                Indication::Indeterminate,
                SubIndication::FormatFailure,
                format!("/SubFilter {other} is not supported"),
            );
        }
    };
    // Changes after signing, before anything else can pass the signature.
    if !range.whole_file && check.outcome.is_ok() {
        let signed = match load_pdf(&file[..b + c]) {
            Ok(signed) => signed,
            Err(e) => {
                return outcome.fail(
                    Indication::Indeterminate,
                    SubIndication::FormatFailure,
                    format!("the signed revision cannot be read on its own: {e}"),
                );
            }
        };
        let changes = changes::changes_after(&signed, last);
        if changes.is_empty() {
            outcome
                .report
                .warnings
                .push("later revisions only add validation data, signatures or timestamps".into());
        } else {
            outcome.report.modifications = changes;
            outcome.note_modified("the document was modified after signing");
        }
    }
    if outcome.report.modification_level.is_none() {
        outcome.report.modification_level = Some(if range.whole_file {
            ModificationLevel::None
        } else {
            ModificationLevel::LtaUpdates
        });
    }
    outcome.report.level = Some(pades_level(
        kind,
        sub_filter,
        &check,
        !range.whole_file && dss.has_validation_data(),
    ));
    assess(outcome, check, &evidence, kind, anchors, options)
}

/// For a signature refused for its /ByteRange: whether the bytes it does name are intact and
/// its value verifies, and who signed, so the report says what pyHanko and EU DSS would show
/// beside the refusal. Only the report's facts change, never the verdict.
fn report_cryptography_anyway(
    outcome: &mut Outcome,
    file: &[u8],
    ranges: &[(usize, usize)],
    der: &[u8],
    signature: &pdf::FoundSignature,
) {
    let parts: Vec<&[u8]> = ranges
        .iter()
        .map(|(offset, length)| &file[*offset..offset + length])
        .collect();
    let check = if signature.kind.as_deref() == Some("DocTimeStamp")
        || signature.sub_filter.as_deref() == Some("ETSI.RFC3161")
    {
        cms::check_timestamp(der, &parts).0
    } else {
        match cms::parse(der) {
            Ok(parsed) if parsed.signer_count() == 1 && parsed.encapsulated().is_none() => {
                cms::check(&parsed, 0, &parts)
            }
            _ => return,
        }
    };
    outcome.report.intact = check.intact;
    outcome.report.valid = check.valid;
    if let Some((signer, warnings)) = check.signer.as_deref().and_then(signer_of) {
        outcome.report.signer = Some(signer);
        outcome.report.warnings.extend(warnings);
    }
}

/// The PAdES baseline level (ETSI EN 319 142-1, 6) a PDF signature meets, as far as its own
/// structure shows: B-B (ETSI.CAdES.detached with a signing-certificate(-v2) attribute), B-T (a
/// signature timestamp over it), B-LT (a later DSS with certificates and revocation data).
/// B-LTA (a later document timestamp) is decided for the whole file by [`mark_b_lta`].
fn pades_level(
    kind: Kind,
    sub_filter: &str,
    check: &cms::CmsCheck,
    later_validation_data: bool,
) -> String {
    if kind == Kind::DocumentTimestamp {
        return "document timestamp".into();
    }
    if sub_filter != "ETSI.CAdES.detached" {
        return format!(
            "CMS, not PAdES: /SubFilter {sub_filter} (PAdES baseline signatures use ETSI.CAdES.detached)"
        );
    }
    if !check.certificate_bound {
        return "CMS, not PAdES: no signing-certificate(-v2) attribute binds the signer's certificate"
            .into();
    }
    match (!check.timestamps.is_empty(), later_validation_data) {
        (false, _) => "PAdES B-B".into(),
        (true, false) => "PAdES B-T".into(),
        (true, true) => "PAdES B-LT".into(),
    }
}

/// A B-LT signature that a later document timestamp covers is B-LTA.
fn mark_b_lta(signatures: &mut [SignatureReport]) {
    let end = |s: &SignatureReport| {
        s.coverage
            .as_ref()
            .map(|c| c.byte_range[2] + c.byte_range[3])
    };
    let timestamp_ends: Vec<u64> = signatures
        .iter()
        .filter(|s| s.level.as_deref() == Some("document timestamp") && s.intact == Some(true))
        .filter_map(end)
        .collect();
    for signature in signatures.iter_mut() {
        if signature.level.as_deref() == Some("PAdES B-LT")
            && end(signature).is_some_and(|e| timestamp_ends.iter().any(|t| *t > e))
        {
            signature.level = Some("PAdES B-LTA".into());
        }
    }
}

/// Everything after the cryptography: identity, key usage, timestamp, path, revocation.
fn assess(
    mut outcome: Outcome,
    check: cms::CmsCheck,
    evidence: &Evidence,
    kind: Kind,
    anchors: &[X509],
    options: &VerifyOptions,
) -> SignatureReport {
    outcome
        .report
        .warnings
        .extend(check.warnings.iter().cloned());
    if outcome.report.claimed_signing_time.is_none() {
        outcome.report.claimed_signing_time = check.claimed_signing_time.clone();
    }
    if let Some((signer, warnings)) = check.signer.as_deref().and_then(signer_of) {
        outcome.report.signer = Some(signer);
        outcome.report.warnings.extend(warnings);
    }
    outcome.report.intact = check.intact;
    outcome.report.valid = check.valid;
    let cryptography_holds = check.outcome.is_ok();
    if let Err((sub, reason)) = &check.outcome {
        let indication = match sub {
            SubIndication::CryptoConstraintsFailure => Indication::Indeterminate,
            _ => Indication::TotalFailed,
        };
        outcome.note(indication, *sub, reason.clone());
    }
    // The signer's certificate is still judged when the cryptography failed (the report says
    // who it claims to be and whether they are trusted); without one nothing more can be.
    let Some(signer_der) = check.signer.as_ref() else {
        if cryptography_holds {
            return outcome.fail(
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                "no signer certificate",
            );
        }
        return outcome.finish();
    };
    if kind == Kind::Signature && !has_non_repudiation(signer_der) {
        outcome.note(
            Indication::Indeterminate,
            SubIndication::ChainConstraintsFailure,
            "the signer's key lacks nonRepudiation (an AUTH key must not sign documents)",
        );
    }
    let mut evidence = evidence.clone();
    if outcome.failed_for_good() {
        evidence.budget = None;
    }
    evidence.ocsps.extend(check.ocsps.iter().cloned());
    evidence.crls.extend(check.crls.iter().cloned());
    evidence.ocsps.extend(options.ocsps.iter().cloned());
    evidence.crls.extend(options.crls.iter().cloned());
    // The validation time: a verified signature timestamp proves the signature existed then.
    let mut time = validation_time_of(options).unix_timestamp();
    if kind == Kind::DocumentTimestamp {
        outcome.report.timestamp = check.claimed_signing_time.clone();
    }
    // The earliest signature timestamp whose TSA is trusted proves the time.
    let timestamps = if cryptography_holds {
        check.timestamps.as_slice()
    } else {
        &[]
    };
    for timestamp in timestamps {
        let mut certs = evidence.certs.clone();
        certs.extend(timestamp.certificates.iter().cloned());
        let untrusted = unique_certificates(&certs);
        match timestamp_is_trusted(timestamp, &untrusted, &evidence, anchors, options) {
            Ok(()) => {
                time = timestamp.time;
                outcome.report.timestamp = Some(rfc3339(timestamp.time));
                evidence
                    .certs
                    .extend(timestamp.certificates.iter().cloned());
                break;
            }
            Err(reason) => outcome
                .report
                .warnings
                .push(format!("the signature timestamp is not trusted: {reason}")),
        }
    }
    outcome.report.validation_time = rfc3339(time);
    assess_path(outcome, signer_der, &evidence, anchors, options, time)
}

/// Whether a signing certificate (DER) is trusted and not revoked at the options' time (or
/// now): its path to one of the options' anchors, through `intermediates` and revocation from
/// the options' CRLs and OCSP responses, GOST or not — what a signature by it would be judged
/// on. The report names the signer, the chain and each certificate's status; its indication
/// says whether the certificate passes. For a certificate announced before it signs (external
/// signing).
pub fn check_certificate(
    certificate_der: &[u8],
    intermediates: &[Vec<u8>],
    options: &VerifyOptions,
) -> SignatureReport {
    let time = validation_time_of(options);
    let mut outcome = Outcome::new(None, None, time, None);
    if let Some((signer, warnings)) = signer_of(certificate_der) {
        outcome.report.signer = Some(signer);
        outcome.report.warnings.extend(warnings);
    }
    let evidence = Evidence {
        certs: intermediates.to_vec(),
        ocsps: options.ocsps.clone(),
        crls: options.crls.clone(),
        ..Evidence::for_options(options)
    };
    let anchors = match anchors_of(options) {
        Ok(anchors) => anchors,
        Err(e) => {
            return outcome.fail(
                Indication::Indeterminate,
                SubIndication::NoCertificateChainFound,
                format!("trust anchors: {e}"),
            );
        }
    };
    assess_path(
        outcome,
        certificate_der,
        &evidence,
        &anchors,
        options,
        time.unix_timestamp(),
    )
}

/// The path of `signer_der` to an anchor and the revocation status of its certificates at
/// `time`: the last part of every signature's assessment.
fn assess_path(
    outcome: Outcome,
    signer_der: &[u8],
    evidence: &Evidence,
    anchors: &[X509],
    options: &VerifyOptions,
    time: i64,
) -> SignatureReport {
    if gost_path::is_gost_signed(signer_der) {
        return assess_gost(outcome, signer_der, evidence, options, time);
    }
    let mut outcome = outcome;
    let Ok(leaf) = parse_certificate(signer_der) else {
        return outcome.fail(
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            "unreadable signer certificate",
        );
    };
    let untrusted = unique_certificates(&evidence.certs);
    let path = match chain::validate_path(
        anchors,
        &untrusted,
        &leaf,
        &chain::PathOptions {
            time,
            ..Default::default()
        },
    ) {
        Ok(path) => path,
        Err(failure) => {
            let sub = match failure.sub_indication {
                SubIndication::Expired | SubIndication::NotYetValid => {
                    SubIndication::OutOfBoundsNoPoe
                }
                other => other,
            };
            outcome.report.trusted = Some(false);
            return outcome.fail(Indication::Indeterminate, sub, failure.reason);
        }
    };
    outcome.report.trusted = Some(true);
    outcome.report.chain = path.iter().map(subject_line).collect();
    let statuses = revocation_of_path(&path, &untrusted, evidence, anchors, time);
    outcome.take_revocation(statuses);
    outcome.finish()
}

/// Each distinct certificate once: documents carry the same ones in the CMS and the DSS.
fn unique_certificates(ders: &[Vec<u8>]) -> Vec<X509> {
    let mut seen = std::collections::HashSet::new();
    ders.iter()
        .filter(|der| seen.insert(der.as_slice()))
        .filter_map(|der| parse_certificate(der).ok())
        .collect()
}

/// Parses a certificate through a small process-wide cache. OpenSSL 3.0 takes ~0.13 ms to
/// decode one (its provider-based key decoders), more than the rest of a verification, and the
/// same CA, TSA and responder certificates recur in every document. Keyed by the DER's SHA-256;
/// bounded (cleared when full).
fn parse_certificate(der: &[u8]) -> Result<X509, openssl::error::ErrorStack> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const CAPACITY: usize = 4096;
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], X509>>> = OnceLock::new();
    let key = openssl::sha::sha256(der);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(cert) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(cert);
    }
    let cert = X509::from_der(der)?;
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(key, cert.clone());
    }
    Ok(cert)
}

/// Path and revocation for a GOST-signed certificate (OpenSSL cannot check GOST signatures).
fn assess_gost(
    mut outcome: Outcome,
    signer_der: &[u8],
    evidence: &Evidence,
    options: &VerifyOptions,
    time: i64,
) -> SignatureReport {
    let path = match gost_path::validate(signer_der, &evidence.certs, &options.trust_anchors, time)
    {
        Ok(path) => path,
        Err((sub, reason)) => {
            let sub = match sub {
                SubIndication::Expired | SubIndication::NotYetValid => {
                    SubIndication::OutOfBoundsNoPoe
                }
                other => other,
            };
            outcome.report.trusted = Some(false);
            return outcome.fail(Indication::Indeterminate, sub, reason);
        }
    };
    outcome.report.trusted = Some(true);
    let subject = |der: &[u8]| {
        x509_cert::Certificate::from_der(der)
            .map(|c| c.tbs_certificate.subject.to_string())
            .unwrap_or_default()
    };
    outcome.report.chain = path.iter().map(|c| subject(c)).collect();
    outcome.take_revocation(gost_revocation(&path, evidence, time));
    outcome.finish()
}

/// The status at `time` of every certificate of a GOST `path` below its anchor (OCSP first,
/// then CRLs): one line each, and the failures.
fn gost_revocation(path: &[Vec<u8>], evidence: &Evidence, time: i64) -> PathRevocation {
    let mut statuses = PathRevocation::default();
    for depth in 0..path.len().saturating_sub(1) {
        let name = x509_cert::Certificate::from_der(&path[depth])
            .map(|c| c.tbs_certificate.subject.to_string())
            .unwrap_or_default();
        let status_from = |ocsps: &[Vec<u8>], crls: &[Vec<u8>]| {
            gost_path::ocsp_status(&path[depth], &path[depth + 1], ocsps, time).unwrap_or_else(
                || gost_path::crl_status(&path[depth], &path[depth + 1], crls, time),
            )
        };
        let mut status = status_from(&evidence.ocsps, &evidence.crls);
        if let (CertStatus::Unknown(_), Some(budget)) = (&status, &evidence.budget)
            && let (Ok(cert), Ok(issuer)) = (
                parse_certificate(&path[depth]),
                parse_certificate(&path[depth + 1]),
            )
        {
            let (fetched, failures) = crate::pki::fetch::status_from_sources(
                &cert,
                &issuer,
                budget,
                &evidence.ocsps,
                &evidence.crls,
                |ocsps, crls| settled(status_from(ocsps, crls)),
            );
            status = fetched_status(fetched, &failures);
        }
        statuses.judge(&name, depth, status, time);
    }
    statuses
}

fn subject_line(cert: &X509) -> String {
    cert.to_der()
        .ok()
        .and_then(|der| x509_cert::Certificate::from_der(&der).ok())
        .map(|c| c.tbs_certificate.subject.to_string())
        .unwrap_or_default()
}

/// The TSA of a signature timestamp chains to a trust anchor at the timestamp's time, has the
/// timeStamping extended key usage, and is not revoked.
fn timestamp_is_trusted(
    timestamp: &cms::SignatureTimestamp,
    untrusted: &[X509],
    evidence: &Evidence,
    anchors: &[X509],
    options: &VerifyOptions,
) -> Result<(), String> {
    if !has_time_stamping_eku(&timestamp.tsa) {
        return Err("the TSA's certificate lacks the timeStamping extended key usage".into());
    }
    if gost_path::is_gost_signed(&timestamp.tsa) {
        let pool: Vec<Vec<u8>> = evidence
            .certs
            .iter()
            .chain(&timestamp.certificates)
            .cloned()
            .collect();
        let path = gost_path::validate(
            &timestamp.tsa,
            &pool,
            &options.trust_anchors,
            timestamp.time,
        )
        .map_err(|(_, reason)| reason)?;
        return gost_revocation(&path, evidence, timestamp.time).passed();
    }
    let tsa = parse_certificate(&timestamp.tsa).map_err(|e| e.to_string())?;
    let path = chain::validate_path(
        anchors,
        untrusted,
        &tsa,
        &chain::PathOptions {
            time: timestamp.time,
            ..Default::default()
        },
    )
    .map_err(|failure| failure.reason)?;
    revocation_of_path(&path, untrusted, evidence, anchors, timestamp.time).passed()
}

/// The status of every certificate of `path` below its trust anchor: OCSP first, then CRLs
/// (checked by OpenSSL with the certificate's own path), then, when allowed, the responders the
/// certificate names. One line per certificate, and the failures.
fn revocation_of_path(
    path: &[X509],
    untrusted: &[X509],
    evidence: &Evidence,
    anchors: &[X509],
    time: i64,
) -> PathRevocation {
    let mut statuses = PathRevocation::default();
    // The last certificate of the path is the trust anchor.
    for (depth, cert) in path.iter().enumerate().take(path.len().saturating_sub(1)) {
        let Some(issuer) = path
            .get(depth + 1)
            .filter(|issuer| issuer.issued(cert) == X509VerifyResult::OK)
        else {
            continue;
        };
        if depth > 0 && crate::pki::has_ocsp_nocheck(cert) {
            continue;
        }
        let name = subject_line(cert);
        let status_from = |ocsps: &[Vec<u8>], crls: &[Vec<u8>]| {
            cert_status(cert, issuer, untrusted, ocsps, crls, anchors, time)
        };
        let mut status = status_from(&evidence.ocsps, &evidence.crls);
        if let (CertStatus::Unknown(_), Some(budget)) = (&status, &evidence.budget) {
            let (fetched, failures) = crate::pki::fetch::status_from_sources(
                cert,
                issuer,
                budget,
                &evidence.ocsps,
                &evidence.crls,
                |ocsps, crls| settled(status_from(ocsps, crls)),
            );
            status = fetched_status(fetched, &failures);
        }
        statuses.judge(&name, depth, status, time);
    }
    statuses
}

/// A status and whether it is settled (anything but unknown): whether to look further.
fn settled(status: CertStatus) -> (CertStatus, bool) {
    let settled = !matches!(status, CertStatus::Unknown(_));
    (status, settled)
}

/// A status found with fetched data says so; an unknown one names the sources that did not
/// answer.
fn fetched_status(status: CertStatus, failures: &[String]) -> CertStatus {
    match status {
        CertStatus::Good(source) => CertStatus::Good(format!(
            "{source}, fetched from the certificate's responder"
        )),
        CertStatus::Revoked(source, at) => CertStatus::Revoked(
            format!("{source}, fetched from the certificate's responder"),
            at,
        ),
        CertStatus::Unknown(reason) if !failures.is_empty() => {
            CertStatus::Unknown(format!("{reason}; fetching: {}", failures.join("; ")))
        }
        other => other,
    }
}

/// A certificate's status and where it came from.
enum CertStatus {
    Good(String),
    /// Source and revocation time (Unix seconds) when known.
    Revoked(String, Option<i64>),
    OnHold(String),
    /// Why nothing usable was found.
    Unknown(String),
}

/// The revocation status of a path's certificates: a report line each, and what failed.
#[derive(Default)]
struct PathRevocation {
    lines: Vec<Revocation>,
    failures: Vec<(Indication, SubIndication, String)>,
}

impl PathRevocation {
    /// Adds the report line for certificate `depth` of the path (`name`) and decides: revoked
    /// is TOTAL-FAILED / REVOKED unless revoked after the validation time; on hold and unknown
    /// are INDETERMINATE / TRY_LATER.
    fn judge(&mut self, name: &str, depth: usize, status: CertStatus, time: i64) {
        let entry = |status: CertificateStatus, source: &str, revoked_at: Option<i64>| Revocation {
            certificate: name.to_string(),
            status,
            source: source.to_string(),
            revoked_at: revoked_at.map(rfc3339),
        };
        let (line, failure) = match status {
            CertStatus::Good(source) => (entry(CertificateStatus::Good, &source, None), None),
            CertStatus::Revoked(source, Some(revoked_at)) if revoked_at > time => (
                entry(
                    CertificateStatus::RevokedAfterValidationTime,
                    &source,
                    Some(revoked_at),
                ),
                None,
            ),
            CertStatus::Revoked(source, revoked_at) => (
                entry(CertificateStatus::Revoked, &source, revoked_at),
                Some((
                    Indication::TotalFailed,
                    SubIndication::Revoked,
                    format!("certificate {depth} of the path is revoked ({source})"),
                )),
            ),
            CertStatus::OnHold(source) => (
                entry(CertificateStatus::OnHold, &source, None),
                Some((
                    Indication::Indeterminate,
                    SubIndication::TryLater,
                    format!("certificate {depth} of the path is on hold ({source})"),
                )),
            ),
            CertStatus::Unknown(reason) => (
                entry(CertificateStatus::Unknown, &reason, None),
                Some((
                    Indication::Indeterminate,
                    SubIndication::TryLater,
                    format!(
                        "no usable revocation data for certificate {depth} of the path: {reason}"
                    ),
                )),
            ),
        };
        self.lines.push(line);
        self.failures.extend(failure);
    }

    /// `Ok` when no certificate failed, else the first failure's reason.
    fn passed(self) -> Result<(), String> {
        match self.failures.into_iter().next() {
            Some((_, _, reason)) => Err(reason),
            None => Ok(()),
        }
    }
}

fn cert_status(
    cert: &X509,
    issuer: &X509,
    untrusted: &[X509],
    ocsps: &[Vec<u8>],
    crls: &[Vec<u8>],
    anchors: &[X509],
    time: i64,
) -> CertStatus {
    match chain::ocsp_status(cert, issuer, ocsps, anchors, untrusted, time) {
        chain::OcspStatus::Good => return CertStatus::Good("OCSP".into()),
        chain::OcspStatus::Revoked { at, hold } => {
            return if hold {
                CertStatus::OnHold("OCSP".into())
            } else {
                CertStatus::Revoked("OCSP".into(), at)
            };
        }
        chain::OcspStatus::Unknown => {}
    }
    if crls.is_empty() {
        return CertStatus::Unknown("no OCSP response or CRL for it".into());
    }
    let current = chain::current_crls(crls, time);
    if current.is_empty() {
        return CertStatus::Unknown(format!(
            "every CRL at hand was past its nextUpdate at {}",
            rfc3339(time)
        ));
    }
    // The path was validated at `time`; here only the CRLs' signatures, scope and entries.
    let checked = chain::validate_path(
        anchors,
        untrusted,
        cert,
        &chain::PathOptions {
            time,
            crls: current,
            revocation: chain::Revocation::EndCertificate,
            skip_time_checks: true,
            ..Default::default()
        },
    );
    match checked {
        Ok(_) => CertStatus::Good("CRL".into()),
        Err(failure) if failure.sub_indication == SubIndication::Revoked => {
            match chain::crl_entry(cert, issuer, crls) {
                Some(entry) if entry.reason.as_deref() == Some("certificateHold") => {
                    CertStatus::OnHold("CRL".into())
                }
                Some(entry) => CertStatus::Revoked("CRL".into(), Some(entry.revoked_at)),
                None => CertStatus::Revoked("CRL".into(), None),
            }
        }
        Err(failure) => CertStatus::Unknown(failure.reason),
    }
}

fn extensions_of(der: &[u8]) -> Vec<x509_cert::ext::Extension> {
    x509_cert::Certificate::from_der(der)
        .ok()
        .and_then(|c| c.tbs_certificate.extensions)
        .unwrap_or_default()
}

fn has_non_repudiation(der: &[u8]) -> bool {
    extensions_of(der)
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE)
        .and_then(|e| x509_cert::ext::pkix::KeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|usage| usage.non_repudiation())
}

pub(crate) fn eku_of(der: &[u8]) -> Vec<String> {
    extensions_of(der)
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        .and_then(|e| {
            x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok()
        })
        .map(|eku| eku.0.iter().map(|oid| oid.to_string()).collect())
        .unwrap_or_default()
}

fn has_time_stamping_eku(der: &[u8]) -> bool {
    eku_of(der).iter().any(|oid| oid == "1.3.6.1.5.5.7.3.8")
}

/// Role names of the extended key usage OIDs (kz-pki.md, "Roles").
fn role_name(oid: &str) -> String {
    match oid {
        "1.2.398.3.3.4.1.1" => "individual".into(),
        "1.2.398.3.3.4.1.2" => "employee of a legal entity".into(),
        "1.2.398.3.3.4.1.2.1" => "first head".into(),
        "1.2.398.3.3.4.1.2.2" => "right to sign".into(),
        "1.2.398.3.3.4.1.2.3" => "right to sign financial documents".into(),
        "1.2.398.3.3.4.1.2.4" => "HR officer".into(),
        "1.2.398.3.3.4.1.2.5" => "employee".into(),
        other if other.starts_with("1.2.398.3.3.4.1.2.6.") => {
            format!("information system ({other})")
        }
        "1.3.6.1.5.5.7.3.4" => "email protection".into(),
        "1.3.6.1.5.5.7.3.2" => "client authentication".into(),
        "1.3.6.1.5.5.7.3.8" => "time stamping".into(),
        other => other.into(),
    }
}

/// Who a certificate (DER) names, per kz-pki.md, and warnings about the identity (IIN/BIN
/// check digits: NCA test certificates fail them, so this is a warning, never silent and never a
/// failure). `None` when it is not a readable certificate.
pub fn signer_from_certificate(der: &[u8]) -> Option<(Signer, Vec<String>)> {
    signer_of(der)
}

fn signer_of(der: &[u8]) -> Option<(Signer, Vec<String>)> {
    let identity = crate::pki::identity::SignerIdentity::from_der(der).ok()?;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let roles = eku_of(der).iter().map(|oid| role_name(oid)).collect();
    let mut warnings = Vec::new();
    for (label, value) in [("IIN", &identity.iin), ("BIN", &identity.bin)] {
        if let Some(value) = value
            && let Err(error) = crate::model::check_bin_iin(value)
        {
            warnings.push(format!(
                "the certificate's {label} {value} is not valid: {error}"
            ));
        }
    }
    let key = if has_non_repudiation(der) {
        "SIGN"
    } else {
        "AUTH"
    };
    Some((
        Signer {
            full_name: identity.full_name,
            iin: identity.iin,
            bin: identity.bin,
            organisation: identity.organisation,
            serial: identity.serial_hex,
            roles,
            key: key.into(),
            subject: cert.tbs_certificate.subject.to_string(),
            issuer: cert.tbs_certificate.issuer.to_string(),
            certificate: der.to_vec(),
        },
        warnings,
    ))
}

#[cfg(test)]
mod tests {
    use super::{Indication, Outcome, SubIndication, pdf_date_rfc3339};

    #[test]
    fn the_most_specific_failure_decides_and_every_reason_is_kept() {
        let mut outcome = Outcome::new(None, None, time::UtcDateTime::UNIX_EPOCH, None);
        outcome.note(
            Indication::Indeterminate,
            SubIndication::TryLater,
            "no revocation data",
        );
        outcome.note(
            Indication::Indeterminate,
            SubIndication::ChainConstraintsFailure,
            "AUTH key",
        );
        let report = outcome.finish();
        assert_eq!(
            (report.indication, report.sub_indication),
            (
                Indication::Indeterminate,
                Some(SubIndication::ChainConstraintsFailure)
            )
        );
        assert_eq!(report.reasons, ["AUTH key", "no revocation data"]);

        let mut outcome = Outcome::new(None, None, time::UtcDateTime::UNIX_EPOCH, None);
        outcome.note(
            Indication::Indeterminate,
            SubIndication::OutOfBoundsNoPoe,
            "expired",
        );
        outcome.note_modified("modified");
        let report = outcome.fail(Indication::TotalFailed, SubIndication::Revoked, "revoked");
        assert_eq!(
            (report.indication, report.sub_indication),
            (Indication::TotalFailed, None)
        );
        assert_eq!(report.reasons, ["modified", "revoked", "expired"]);

        let report = Outcome::new(None, None, time::UtcDateTime::UNIX_EPOCH, None).finish();
        assert_eq!(report.indication, Indication::TotalPassed);
        assert!(report.reasons.is_empty());
    }

    #[test]
    fn pdf_dates_become_rfc3339() {
        for (pdf, rfc3339) in [
            ("D:20221201170000+05'00'", Some("2022-12-01T17:00:00+05:00")),
            ("D:20221201170000+05'00", Some("2022-12-01T17:00:00+05:00")),
            ("D:20221201120000Z", Some("2022-12-01T12:00:00Z")),
            ("D:20221201120000", Some("2022-12-01T12:00:00Z")),
            ("D:2022", Some("2022-01-01T00:00:00Z")),
            ("D:20221201120000-03'30'", Some("2022-12-01T12:00:00-03:30")),
            ("D:20221301120000Z", None),
            ("yesterday", None),
            ("D:2022120112000O+05'00'", None),
        ] {
            assert_eq!(pdf_date_rfc3339(pdf).as_deref(), rfc3339, "{pdf}");
        }
    }
}
