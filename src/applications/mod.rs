//! Incoming application packages (the order's annexes, `../shared/seed/`): the application,
//! the importer's (end user's) guarantee obligation, and attachments. Each document arrives as a
//! signed PDF with its `data.json` attached, or as its JSON with a detached CMS (what NCALayer
//! makes). [`check_package`] verifies every signature with all of the verifier's rules, checks
//! who signed for whom (kz-pki.md), and compares the documents by meaning, each check reported
//! with the fields it compared.

mod compare;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{
    self, ApplicantKind, ApplicationDocument, Certificate, GuaranteeObligation, Incoming,
    IncomingKind, ValidationErrors,
};
use crate::verify::{self, Indication, Report, VerifyOptions};

/// Most files in one package: the two documents and their signatures, and the attachments.
pub const MAX_FILES: usize = 32;
/// Most pages one file of a package may have.
const MAX_PAGES: usize = 10_000;

/// Why a package cannot be checked at all (the answer is 4xx; nothing is kept).
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file is not what it claims or cannot be read.
    #[error("{file}: {reason}")]
    Unreadable {
        /// The file's name in the package.
        file: String,
        /// Why.
        reason: String,
    },
    /// A document's data is invalid; every problem with its path.
    #[error("{file}: invalid {document}: {errors}")]
    Invalid {
        /// The file's name in the package.
        file: String,
        /// Which document.
        document: IncomingKind,
        /// Every problem, with its JSON path.
        errors: ValidationErrors,
    },
    /// The package lacks a document, or has one twice, or too many files.
    #[error("{0}")]
    Incomplete(String),
}

/// One file of a package, as sent.
#[derive(Debug, Clone)]
pub struct PackageFile {
    /// Its name (the multipart part's file name, or the path on the command line).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What the package comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed: the package may be answered with a certificate.
    Accepted,
    /// At least one check failed (named in `checks`).
    Rejected,
    /// A defence-order import (para 12 of the Rules): its certificate is signed on paper on the
    /// exporting country's form, so the package is not processed electronically.
    PaperOnly,
}

/// One value a check compared, under the name of where it came from ("application",
/// "guarantee_obligation", "certificate", "attachments").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Compared {
    /// The field, by meaning: `goods[0].quantity`, `contract.number`, `signer.bin`.
    pub field: String,
    /// Where each value came from, and the value.
    pub values: BTreeMap<String, String>,
    /// Whether the values agree.
    pub agree: bool,
}

/// One check of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Check {
    /// Stable name: `application.signatures`, `guarantee_obligation.end_user_signer`, `goods`...
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why not, one line each.
    pub problems: Vec<String>,
    /// What it compared.
    pub compared: Vec<Compared>,
}

/// How a document of the package came.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DocumentReport {
    /// `application`, `guarantee_obligation` or `attachment`.
    pub role: String,
    /// The file (a PDF, or the JSON; `signature_file` names its CMS).
    pub file: String,
    /// The detached CMS signing the JSON.
    pub signature_file: Option<String>,
    /// Pages (PDFs).
    pub pages: Option<usize>,
    /// The verification of its signatures (none for an unsigned attachment).
    pub verification: Option<Report>,
}

/// The answer for a package.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageReport {
    /// Accepted, rejected or paper only.
    pub verdict: Verdict,
    /// The certificate applied for.
    pub certificate: Certificate,
    /// The application's incoming number, when it has one.
    pub application_number: Option<String>,
    /// The application's date.
    pub application_date: String,
    /// The applicant's BIN or IIN.
    pub applicant_bin_iin: String,
    /// The applicant's name.
    pub applicant_name: String,
    /// Every check, in a fixed order (none for a paper-only package).
    pub checks: Vec<Check>,
    /// Every file, with its verification.
    pub documents: Vec<DocumentReport>,
    /// What the verdict means for the officer, one line.
    pub summary: String,
    /// The application itself, for linking what is issued to it.
    #[serde(skip)]
    #[schemars(skip)]
    pub application: Option<ApplicationDocument>,
}

impl PackageReport {
    /// The check named `name`.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The names of the checks that failed.
    pub fn failed(&self) -> Vec<&str> {
        failed_names(&self.checks)
    }
}

fn failed_names(checks: &[Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.as_str())
        .collect()
}

/// A document of the package read and verified.
struct Submitted<T> {
    document: T,
    report: Report,
    file: String,
    signature_file: Option<String>,
    pages: Option<usize>,
}

/// Checks a package: its files in any order (classified by content: a PDF with a `data.json`
/// of an application or guarantee obligation; a JSON document with its detached CMS, paired by
/// name, `X.json` with `X.json.cms`, `X.cms`, `X.p7s` or `X.sig`, or the only two there are;
/// any other PDF an attachment).
pub fn check_package(
    files: &[PackageFile],
    options: &VerifyOptions,
) -> Result<PackageReport, PackageError> {
    if files.len() > MAX_FILES {
        return Err(PackageError::Incomplete(format!(
            "{} files; the limit is {MAX_FILES}",
            files.len()
        )));
    }
    let mut applications = Vec::new();
    let mut obligations = Vec::new();
    let mut attachments = Vec::new();
    let (pdfs, jsons, signatures) = sort_files(files)?;
    for file in pdfs {
        let verify::PdfExamined {
            report,
            attachment: data,
            pages,
        } = verify::verify_pdf_and_attachment(
            &file.bytes,
            options,
            "data.json",
            model::MAX_INPUT_BYTES,
        )
        .map_err(|e| unreadable(&file.name, e.to_string()))?;
        if pages > MAX_PAGES {
            return Err(unreadable(
                &file.name,
                format!("{pages} pages; the limit is {MAX_PAGES}"),
            ));
        }
        let pages = Some(pages);
        match data.map(|data| incoming(&file.name, &data)).transpose()? {
            Some(document) => place(
                document,
                report,
                &file.name,
                None,
                pages,
                &mut applications,
                &mut obligations,
            ),
            None => attachments.push(DocumentReport {
                role: "attachment".into(),
                file: file.name.clone(),
                signature_file: None,
                pages,
                verification: (!report.signatures.is_empty()).then_some(report),
            }),
        }
    }
    for (json, cms) in pair(&jsons, &signatures)? {
        let document = incoming(&json.name, &json.bytes)?;
        let report = verify::verify_cms(&cms.bytes, Some(&json.bytes), options)
            .map_err(|e| unreadable(&cms.name, e.to_string()))?;
        if report.signatures.iter().any(|s| s.intact == Some(false)) {
            return Err(unreadable(
                &cms.name,
                format!("the signature is over other data than {}", json.name),
            ));
        }
        place(
            document,
            report,
            &json.name,
            Some(&cms.name),
            None,
            &mut applications,
            &mut obligations,
        );
    }
    let application = only(applications, IncomingKind::Application)?;
    if application.document.defence_order {
        return Ok(paper_only(&application));
    }
    let obligation = only(obligations, IncomingKind::GuaranteeObligation)?;
    let mut checks = vec![
        signatures_check("application.signatures", &application.report),
        signatures_check("guarantee_obligation.signatures", &obligation.report),
        compare::application_signer(&application.document, &application.report),
    ];
    checks.extend(compare::obligation_signers(
        &obligation.document,
        &obligation.report,
    ));
    checks.extend(compare::consistency(
        &application.document,
        &obligation.document,
    ));
    checks.push(compare::sheets(&application.document, &attachments));
    let verdict = if checks.iter().all(|c| c.passed) {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    };
    let summary = match verdict {
        Verdict::Accepted => "every check passed".to_string(),
        _ => format!("failed: {}", failed_names(&checks).join(", ")),
    };
    let mut documents = vec![
        document_report("application", &application),
        document_report("guarantee_obligation", &obligation),
    ];
    documents.extend(attachments);
    Ok(PackageReport {
        verdict,
        certificate: application.document.certificate,
        application_number: application.document.number.clone(),
        application_date: application.document.date.clone(),
        applicant_bin_iin: application.document.applicant.bin_iin.clone(),
        applicant_name: application.document.applicant.name.clone(),
        checks,
        documents,
        summary,
        application: Some(application.document),
    })
}

fn unreadable(file: &str, reason: impl Into<String>) -> PackageError {
    PackageError::Unreadable {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// PDFs, JSON documents and (the rest) signatures.
type Sorted<'a> = (
    Vec<&'a PackageFile>,
    Vec<&'a PackageFile>,
    Vec<&'a PackageFile>,
);

fn sort_files(files: &[PackageFile]) -> Result<Sorted<'_>, PackageError> {
    let (mut pdfs, mut jsons, mut signatures) = (Vec::new(), Vec::new(), Vec::new());
    for file in files {
        let start = file
            .bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |i| &file.bytes[i..]);
        if file.bytes.is_empty() {
            return Err(unreadable(&file.name, "the file is empty"));
        } else if file.bytes.starts_with(b"%PDF-") {
            pdfs.push(file);
        } else if start.starts_with(b"{") {
            jsons.push(file);
        } else {
            signatures.push(file);
        }
    }
    Ok((pdfs, jsons, signatures))
}

/// Each JSON document with its detached signature.
fn pair<'a>(
    jsons: &[&'a PackageFile],
    signatures: &[&'a PackageFile],
) -> Result<Vec<(&'a PackageFile, &'a PackageFile)>, PackageError> {
    if jsons.len() == 1 && signatures.len() == 1 {
        return Ok(vec![(jsons[0], signatures[0])]);
    }
    let stem = |name: &str| -> String {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let mut stem = base;
        for suffix in [".cms", ".p7s", ".sig", ".json"] {
            stem = stem.strip_suffix(suffix).unwrap_or(stem);
        }
        stem.to_string()
    };
    let mut pairs = Vec::new();
    let mut used = vec![false; signatures.len()];
    for json in jsons {
        let found = signatures
            .iter()
            .enumerate()
            .find(|(i, cms)| !used[*i] && stem(&cms.name) == stem(&json.name));
        let Some((i, cms)) = found else {
            return Err(unreadable(
                &json.name,
                "no detached signature for it: send X.json with X.json.cms, X.cms, X.p7s or X.sig",
            ));
        };
        used[i] = true;
        pairs.push((*json, *cms));
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(unreadable(
            &signatures[i].name,
            "neither a PDF nor a JSON document, nor the signature of one in the package",
        ));
    }
    Ok(pairs)
}

fn incoming(file: &str, data: &[u8]) -> Result<Incoming, PackageError> {
    model::parse_incoming(data).map_err(|errors| {
        // Which document it meant to be, for the message; "application" when it does not say.
        let document = serde_json::from_slice::<serde_json::Value>(data)
            .ok()
            .and_then(|v| {
                v.get("document")
                    .and_then(|d| d.as_str())
                    .and_then(IncomingKind::from_key)
            })
            .unwrap_or(IncomingKind::Application);
        PackageError::Invalid {
            file: file.to_string(),
            document,
            errors,
        }
    })
}

fn place(
    document: Incoming,
    report: Report,
    file: &str,
    signature_file: Option<&str>,
    pages: Option<usize>,
    applications: &mut Vec<Submitted<ApplicationDocument>>,
    obligations: &mut Vec<Submitted<GuaranteeObligation>>,
) {
    let (file, signature_file) = (file.to_string(), signature_file.map(str::to_string));
    match document {
        Incoming::Application(document) => applications.push(Submitted {
            document,
            report,
            file,
            signature_file,
            pages,
        }),
        Incoming::GuaranteeObligation(document) => obligations.push(Submitted {
            document,
            report,
            file,
            signature_file,
            pages,
        }),
    }
}

fn only<T>(mut found: Vec<Submitted<T>>, kind: IncomingKind) -> Result<Submitted<T>, PackageError> {
    match found.len() {
        1 => found
            .pop()
            .ok_or_else(|| PackageError::Incomplete(String::new())),
        0 => Err(PackageError::Incomplete(format!(
            "the package has no {}: send it as a signed PDF with data.json attached, or as JSON with its detached CMS",
            kind.key().replace('_', " ")
        ))),
        n => Err(PackageError::Incomplete(format!(
            "the package has {n} documents of kind {kind}; one is expected"
        ))),
    }
}

fn document_report<T>(role: &str, submitted: &Submitted<T>) -> DocumentReport {
    DocumentReport {
        role: role.into(),
        file: submitted.file.clone(),
        signature_file: submitted.signature_file.clone(),
        pages: submitted.pages,
        verification: Some(submitted.report.clone()),
    }
}

fn paper_only(application: &Submitted<ApplicationDocument>) -> PackageReport {
    let document = &application.document;
    PackageReport {
        verdict: Verdict::PaperOnly,
        certificate: document.certificate,
        application_number: document.number.clone(),
        application_date: document.date.clone(),
        applicant_bin_iin: document.applicant.bin_iin.clone(),
        applicant_name: document.applicant.name.clone(),
        checks: Vec::new(),
        documents: vec![document_report("application", application)],
        application: Some(application.document.clone()),
        summary: "a defence-order import (para 12 of the Rules): the certificate is signed on paper on the exporting country's form by the first head of the authorised body for the state defence order; not processed electronically".into(),
    }
}

/// Every signature of a document passed with all of the verifier's rules.
fn signatures_check(name: &str, report: &Report) -> Check {
    let mut problems = Vec::new();
    if report.signatures.is_empty() {
        problems.push("the document has no signature".to_string());
    }
    for (i, signature) in report.signatures.iter().enumerate() {
        if signature.indication != Indication::TotalPassed {
            let who = signature
                .signer
                .as_ref()
                .map_or("unknown signer".to_string(), |s| s.full_name.clone());
            problems.push(format!(
                "signature {} ({who}): {}{}",
                i + 1,
                signature.indication.name(),
                if signature.reasons.is_empty() {
                    String::new()
                } else {
                    format!(": {}", signature.reasons.join("; "))
                }
            ));
        }
    }
    Check {
        name: name.into(),
        passed: problems.is_empty(),
        problems,
        compared: Vec::new(),
    }
}

/// Whether the applicant is a legal entity (signs by BIN) or a person (by IIN).
fn signs_by_bin(kind: ApplicantKind) -> bool {
    kind == ApplicantKind::LegalEntity
}

/// How a certificate about to be issued disagrees with the application it answers, with the
/// same comparisons as the package's checks (empty: it matches): (what, why) pairs.
pub fn certificate_mismatches(
    application: &ApplicationDocument,
    document: &model::Document,
) -> Vec<(String, String)> {
    use crate::model::{Document, IncomingGoodsLine};
    let line =
        |name: &str, description: Option<&str>, hs: &str, code: &str, unit: &str, q: &str| {
            IncomingGoodsLine {
                name: name.into(),
                description: description.map(str::to_string),
                hs_code: hs.into(),
                control_list_code: code.into(),
                unit: unit.into(),
                quantity: q.into(),
            }
        };
    let given = match document {
        Document::EndUserCertificate(d) => compare::Terms {
            importer: &d.importer,
            end_user: Some(&d.end_user),
            exporter: &d.exporter,
            goods: std::borrow::Cow::Owned(
                d.goods
                    .iter()
                    .map(|g| {
                        line(
                            &g.name,
                            Some(&g.description),
                            &g.hs_code,
                            &g.control_list_code,
                            &g.unit,
                            &g.quantity,
                        )
                    })
                    .collect(),
            ),
            contract: &d.contract,
        },
        Document::ImportCertificate(d) => compare::Terms {
            importer: &d.importer,
            end_user: None,
            exporter: &d.exporter,
            goods: std::borrow::Cow::Owned(
                d.goods
                    .iter()
                    .map(|g| {
                        line(
                            &g.name,
                            None,
                            &g.hs_code,
                            &g.control_list_code,
                            &g.unit,
                            &g.quantity,
                        )
                    })
                    .collect(),
            ),
            contract: &d.contract,
        },
        Document::Refusal(_) => return Vec::new(),
    };
    let mut mismatches = Vec::new();
    if document.form() != application.certificate.form() {
        mismatches.push((
            "form".to_string(),
            format!(
                "the application asks for {}, not {}",
                application.certificate.form(),
                document.form()
            ),
        ));
    }
    for check in compare::terms_agree(
        &compare::Terms::of_request(application),
        &given,
        application.certificate.has_end_user(),
        compare::CERTIFICATE_SIDE,
    ) {
        for problem in check.problems {
            mismatches.push((check.name.clone(), problem));
        }
    }
    mismatches
}

/// The package's files as one zip (stored, not deflated: PDFs are compressed already), each
/// under its base name, numbered in the order sent.
pub fn package_zip(files: &[PackageFile]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, file) in files.iter().enumerate() {
        let base = file.name.rsplit(['/', '\\']).next().unwrap_or("file");
        let safe: String = base
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        writer
            .start_file(format!("{:02}-{safe}", i + 1), options)
            .map_err(|e| e.to_string())?;
        writer.write_all(&file.bytes).map_err(|e| e.to_string())?;
    }
    Ok(writer.finish().map_err(|e| e.to_string())?.into_inner())
}
