//! Verification of signed documents: parse, cryptography, chain, revocation, Kazakh identity →
//! a [`Report`]. A bad signature is a report, never an `Err`; `Err` is only for input that cannot
//! be read at all.
//!
//! This first slice covers PDF signatures (PAdES `ETSI.CAdES.detached`, `adbe.pkcs7.detached`)
//! and document timestamps: exact /ByteRange checks, CMS (signed attributes, message digest,
//! signing-certificate binding, RSA PKCS#1 v1.5 / PSS and ECDSA), the certificate path at the
//! validation time, key usage, revocation from the document's DSS, the signer's IIN/BIN.
//! Later revisions are compared object by object with the signed one: only validation data,
//! further signatures and document timestamps may be added.

mod chain;
mod changes;
mod cms;
mod pdf;
pub mod report;

use der::Decode;
use lopdf::{Document, Object};
use openssl::stack::Stack;
use openssl::x509::{X509, X509VerifyResult};

pub use report::{Coverage, Indication, Report, SignatureReport, Signer, SubIndication};

/// Largest file verified.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

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
}

/// The document security store's contents (ETSI EN 319 142-1, 5.4.2).
#[derive(Default)]
struct Dss {
    certs: Vec<Vec<u8>>,
    ocsps: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
}

fn read_dss(document: &Document) -> Dss {
    const MAX_ITEM_BYTES: usize = 64 * 1024 * 1024;
    let mut dss = Dss::default();
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
                && let Ok(content) = stream.get_plain_content_with_limit(MAX_ITEM_BYTES)
            {
                out.push(content);
            }
        }
    }
    dss
}

/// Verifies every signature of a PDF.
pub fn verify_pdf(file: &[u8], options: &VerifyOptions) -> Result<Report, VerifyError> {
    if file.len() > MAX_INPUT_BYTES {
        return Err(VerifyError::TooLarge {
            size: file.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    if !file.starts_with(b"%PDF-") {
        return Err(VerifyError::Unreadable("no %PDF- header".into()));
    }
    for der in &options.trust_anchors {
        X509::from_der(der).map_err(|e| VerifyError::TrustAnchor(e.to_string()))?;
    }
    let document = Document::load_mem(file).map_err(|e| VerifyError::Unreadable(e.to_string()))?;
    let dss = read_dss(&document);
    let found = pdf::find_signatures(&document);
    let mut warnings = Vec::new();
    if found.is_empty() {
        warnings.push("the document has no signature".into());
    }
    let signatures = found
        .iter()
        .map(|signature| verify_one(file, &document, signature, &dss, options))
        .collect();
    Ok(Report::new(signatures, warnings))
}

fn rfc3339(time: time::UtcDateTime) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| time.to_string())
}

/// Builds one signature's report step by step; the first failure decides.
struct Outcome {
    report: SignatureReport,
}

impl Outcome {
    fn fail(
        mut self,
        indication: Indication,
        sub: SubIndication,
        reason: impl Into<String>,
    ) -> SignatureReport {
        self.report.indication = indication;
        self.report.sub_indication = Some(sub);
        self.report.reasons.push(reason.into());
        self.report
    }
}

fn verify_one(
    file: &[u8],
    last: &Document,
    signature: &pdf::FoundSignature,
    dss: &Dss,
    options: &VerifyOptions,
) -> SignatureReport {
    let validation_time = options.at.unwrap_or_else(time::UtcDateTime::now);
    let outcome = Outcome {
        report: SignatureReport {
            field: signature.field.clone(),
            sub_filter: signature.sub_filter.clone(),
            indication: Indication::TotalPassed,
            sub_indication: None,
            reasons: Vec::new(),
            signer: None,
            claimed_signing_time: signature.m.clone(),
            validation_time: rfc3339(validation_time),
            coverage: None,
            warnings: Vec::new(),
        },
    };
    let (range, der) = match pdf::check_byte_range(file, signature) {
        Ok(checked) => checked,
        Err(reason) => {
            return outcome.fail(
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                reason,
            );
        }
    };
    let [_, a, b, c] = range.range;
    let mut outcome = outcome;
    outcome.report.coverage = Some(Coverage {
        byte_range: [0, a as u64, b as u64, c as u64],
        whole_file: range.whole_file,
        bytes_after: (file.len() - (b + c)) as u64,
    });
    let parts: [&[u8]; 2] = [&file[..a], &file[b..b + c]];
    let sub_filter = signature.sub_filter.as_deref().unwrap_or_default();
    let document_timestamp =
        signature.kind.as_deref() == Some("DocTimeStamp") || sub_filter == "ETSI.RFC3161";
    if !document_timestamp && !matches!(sub_filter, "ETSI.CAdES.detached" | "adbe.pkcs7.detached") {
        return outcome.fail(
            Indication::Indeterminate,
            SubIndication::FormatFailure,
            format!("/SubFilter {sub_filter} is not supported yet"),
        );
    }
    let cms = if document_timestamp {
        cms::check_timestamp(&der, &parts)
    } else {
        cms::check(&der, &parts)
    };
    outcome.report.warnings.extend(cms.warnings.iter().cloned());
    if let Some((signer, warnings)) = cms.signer.as_deref().and_then(signer_of) {
        outcome.report.signer = Some(signer);
        outcome.report.warnings.extend(warnings);
    }
    if let Err((sub, reason)) = cms.outcome {
        let indication = match sub {
            SubIndication::CryptoConstraintsFailure => Indication::Indeterminate,
            _ => Indication::TotalFailed,
        };
        return outcome.fail(indication, sub, reason);
    }
    if !range.whole_file {
        // The document as signed, against the final one.
        let signed = match Document::load_mem(&file[..b + c]) {
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
        if !changes.is_empty() {
            let mut report = outcome.fail(
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                "the document was modified after signing",
            );
            report.reasons.extend(changes);
            return report;
        }
        outcome
            .report
            .warnings
            .push("later revisions only add validation data, signatures or timestamps".into());
    }
    let Some(signer_der) = cms.signer.as_ref() else {
        return outcome.fail(
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            "no signer certificate",
        );
    };
    if !document_timestamp && !has_non_repudiation(signer_der) {
        return outcome.fail(
            Indication::Indeterminate,
            SubIndication::ChainConstraintsFailure,
            "the signer's key lacks nonRepudiation (an AUTH key must not sign documents)",
        );
    }
    // The path at the validation time, with every certificate the document carries.
    let store = match chain::store(&options.trust_anchors, validation_time.unix_timestamp()) {
        Ok(store) => store,
        Err(reason) => {
            return outcome.fail(
                Indication::Indeterminate,
                SubIndication::NoCertificateChainFound,
                reason,
            );
        }
    };
    let Ok(leaf) = X509::from_der(signer_der) else {
        return outcome.fail(
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            "unreadable signer certificate",
        );
    };
    let mut untrusted = match Stack::new() {
        Ok(stack) => stack,
        Err(e) => {
            return outcome.fail(
                Indication::Indeterminate,
                SubIndication::FormatFailure,
                e.to_string(),
            );
        }
    };
    for der in cms.certificates.iter().chain(dss.certs.iter()) {
        if let Ok(cert) = X509::from_der(der) {
            let _ = untrusted.push(cert);
        }
    }
    let path = match chain::validate(&store, &leaf, &untrusted) {
        Ok(path) => path,
        Err((sub, reason)) => {
            let sub = match sub {
                SubIndication::Expired | SubIndication::NotYetValid => {
                    SubIndication::OutOfBoundsNoPoe
                }
                other => other,
            };
            return outcome.fail(Indication::Indeterminate, sub, reason);
        }
    };
    // Revocation, from what the document carries. Trust anchors need none.
    if let Some(issuer) = path
        .iter()
        .skip(1)
        .find(|i| i.issued(&leaf) == X509VerifyResult::OK)
    {
        match chain::status(&leaf, issuer, &dss.ocsps, &dss.crls, &store, &untrusted) {
            chain::Status::Good(source) => outcome
                .report
                .warnings
                .push(format!("revocation: good ({source})")),
            chain::Status::Revoked(source) => {
                return outcome.fail(
                    Indication::TotalFailed,
                    SubIndication::Revoked,
                    format!("revoked ({source})"),
                );
            }
            chain::Status::Unknown(reason) => {
                return outcome.fail(Indication::Indeterminate, SubIndication::TryLater, reason);
            }
        }
    }
    outcome.report
}

fn has_non_repudiation(der: &[u8]) -> bool {
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return false;
    };
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE)
        .and_then(|e| x509_cert::ext::pkix::KeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|usage| usage.non_repudiation())
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

/// Who signed, and warnings about the identity (IIN/BIN check digits: NCA test certificates
/// fail them, so this is a warning, never silent and never a failure).
fn signer_of(der: &[u8]) -> Option<(Signer, Vec<String>)> {
    let identity = crate::sign::SignerIdentity::from_der(der).ok()?;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let roles = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        .and_then(|e| {
            x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok()
        })
        .map(|eku| {
            eku.0
                .iter()
                .map(|oid| role_name(&oid.to_string()))
                .collect()
        })
        .unwrap_or_default();
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
        },
        warnings,
    ))
}
