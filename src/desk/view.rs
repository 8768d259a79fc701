//! What the desk shows of a verification: the files an officer dropped, paired into what is
//! verified (a PDF; a CMS signature with its data file), and each report turned into cards in
//! plain words, with the technical reasons kept one click away.

use serde::Serialize;

use super::texts::{self, Lang, text};
use crate::verify::{CertificateStatus, Indication, Report, SignatureReport, SubIndication};

/// File name endings of detached signatures, as NCALayer and the e-government portal save them.
const SIGNATURE_ENDINGS: [&str; 5] = [".p7s", ".cms", ".sig", ".p7m", ".p7b"];

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Its name as the browser gave it.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// One thing to verify.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A PDF, or a CMS with its content inside.
    Document(Upload),
    /// A detached CMS signature and the data file it signs.
    Detached {
        /// The signature.
        signature: Upload,
        /// The data.
        data: Upload,
    },
    /// A file that is neither a PDF nor a signature, and that no signature names.
    Unpaired(Upload),
}

impl Subject {
    /// What is verified (a PDF or a CMS) and the detached data it signs, when there is one.
    pub fn into_parts(self) -> (Upload, Option<Upload>) {
        match self {
            Subject::Document(file) | Subject::Unpaired(file) => (file, None),
            Subject::Detached { signature, data } => (signature, Some(data)),
        }
    }

    /// The name shown for it.
    pub fn name(&self) -> String {
        match self {
            Subject::Document(file) | Subject::Unpaired(file) => file.name.clone(),
            Subject::Detached { signature, data } => format!("{} + {}", signature.name, data.name),
        }
    }
}

fn is_pdf(bytes: &[u8]) -> bool {
    memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some()
}

/// Whether a file is a CMS signature: by its name, or by its first bytes (DER SEQUENCE, PEM, or
/// base64 of a DER SEQUENCE).
fn is_signature(file: &Upload) -> bool {
    let name = file.name.to_lowercase();
    SIGNATURE_ENDINGS.iter().any(|end| name.ends_with(end))
        || file.bytes.first() == Some(&0x30)
        || file.bytes.starts_with(b"-----BEGIN")
        || file.bytes.starts_with(b"MII")
}

/// The name a signature file's data has: "contract.pdf.p7s" signs "contract.pdf".
fn data_name(signature: &str) -> Option<&str> {
    let lower = signature.to_lowercase();
    SIGNATURE_ENDINGS
        .iter()
        .find(|end| lower.ends_with(*end))
        .map(|end| &signature[..signature.len() - end.len()])
}

/// Pairs the uploaded files: every PDF on its own; every signature with the data file it names
/// (or, with exactly one signature and one data file, with that one); a signature without data
/// is verified over the content it holds.
pub fn pair(files: Vec<Upload>) -> Vec<Subject> {
    let (mut signatures, mut data): (Vec<Upload>, Vec<Upload>) = (Vec::new(), Vec::new());
    let mut subjects = Vec::new();
    for file in files {
        if is_pdf(&file.bytes) {
            subjects.push(Subject::Document(file));
        } else if is_signature(&file) {
            signatures.push(file);
        } else {
            data.push(file);
        }
    }
    let only_pair = signatures.len() == 1 && data.len() == 1;
    for signature in signatures {
        let named = data_name(&signature.name)
            .and_then(|wanted| data.iter().position(|d| d.name == wanted))
            .or(only_pair.then_some(0));
        match named {
            Some(index) => subjects.push(Subject::Detached {
                signature,
                data: data.remove(index),
            }),
            None => subjects.push(Subject::Document(signature)),
        }
    }
    subjects.extend(data.into_iter().map(Subject::Unpaired));
    subjects
}

/// One checked file, as the report page shows it.
#[derive(Debug, Serialize)]
pub struct FileView {
    /// What was checked.
    pub name: String,
    /// SHA-256 (hex) of the checked file (the signature, for a detached one).
    pub sha256: String,
    /// Why it could not be verified at all.
    pub error: Option<String>,
    /// "2 of 3 signatures valid".
    pub summary: String,
    /// The whole file's badge: green, amber or red.
    pub badge: &'static str,
    /// One card per signature.
    pub cards: Vec<Card>,
    /// The JSON report, base64, for download.
    pub json_b64: String,
    /// The ETSI TS 119 102-2 report, base64, for download.
    pub xml_b64: String,
}

/// One signature, in plain words.
#[derive(Debug, Serialize)]
pub struct Card {
    /// "Signature 1 (Signature1)".
    pub title: String,
    /// green, amber or red.
    pub badge: &'static str,
    /// Valid / indeterminate / not valid.
    pub verdict: String,
    /// Why, in plain words.
    pub reason: String,
    /// Who signed.
    pub signer: Option<SignerView>,
    /// The claimed signing time (nothing proves it).
    pub claimed_time: Option<String>,
    /// The time a timestamp proves.
    pub proven_time: Option<String>,
    /// The validation time.
    pub validation_time: String,
    /// The certificates of the path, signer first.
    pub chain: Vec<String>,
    /// Revocation per certificate.
    pub revocation: Vec<RevocationView>,
    /// What changed after signing, one line each (empty: nothing).
    pub changes: Vec<String>,
    /// PAdES level or CMS.
    pub level: Option<String>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// The verifier's own reasons (technical).
    pub reasons: Vec<String>,
    /// ETSI indication and sub-indication, technical.
    pub etsi: String,
}

/// Who signed.
#[derive(Debug, Serialize)]
pub struct SignerView {
    /// Full name.
    pub name: String,
    /// IIN.
    pub iin: Option<String>,
    /// BIN.
    pub bin: Option<String>,
    /// Organisation.
    pub organisation: Option<String>,
    /// Roles, comma-separated.
    pub roles: String,
    /// SIGN or AUTH, in words.
    pub key: String,
}

/// One certificate's revocation status.
#[derive(Debug, Serialize)]
pub struct RevocationView {
    /// The certificate's subject.
    pub certificate: String,
    /// Its status, in words.
    pub status: String,
    /// Where it came from.
    pub source: String,
}

fn badge(indication: Indication) -> &'static str {
    match indication {
        Indication::TotalPassed => "green",
        Indication::Indeterminate => "amber",
        Indication::TotalFailed => "red",
    }
}

fn reason_key(signature: &SignatureReport) -> &'static str {
    match (signature.indication, signature.sub_indication) {
        (Indication::TotalPassed, _) => "reason_passed",
        (Indication::TotalFailed, None) => "reason_modified",
        (_, Some(sub)) => match sub {
            SubIndication::HashFailure => "reason_hash_failure",
            SubIndication::SigCryptoFailure => "reason_sig_crypto_failure",
            SubIndication::FormatFailure => "reason_format_failure",
            SubIndication::NoCertificateChainFound => "reason_no_chain",
            SubIndication::ChainConstraintsFailure => "reason_chain_constraints",
            SubIndication::Expired => "reason_expired",
            SubIndication::NotYetValid => "reason_not_yet_valid",
            SubIndication::CryptoConstraintsFailure => "reason_crypto_constraints",
            SubIndication::TryLater => "reason_try_later",
            SubIndication::OutOfBoundsNoPoe => "reason_out_of_bounds",
            SubIndication::Revoked => "reason_revoked",
        },
        (Indication::Indeterminate, None) => "reason_other",
    }
}

fn verdict_key(indication: Indication) -> &'static str {
    match indication {
        Indication::TotalPassed => "verdict_passed",
        Indication::Indeterminate => "verdict_indeterminate",
        Indication::TotalFailed => "verdict_failed",
    }
}

/// A role as the verifier names it (English, kz-pki.md), in `lang` when the texts have it.
fn role_name(role: &str, lang: Lang) -> String {
    let key = format!("role_{}", role.to_lowercase().replace(' ', "_"));
    texts::texts(lang)
        .get(&key)
        .cloned()
        .unwrap_or_else(|| role.to_string())
}

fn card(index: usize, signature: &SignatureReport, lang: Lang) -> Card {
    let t = |key: &str| text(lang, key, &[]);
    let title = match &signature.field {
        Some(field) => format!("{} {} ({field})", t("signature"), index + 1),
        None => format!("{} {}", t("signature"), index + 1),
    };
    let etsi = serde_json::to_value(signature.indication)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let sub = signature
        .sub_indication
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(|s| format!(" / {s}")))
        .unwrap_or_default();
    Card {
        title,
        badge: badge(signature.indication),
        verdict: t(verdict_key(signature.indication)),
        reason: t(reason_key(signature)),
        signer: signature.signer.as_ref().map(|s| SignerView {
            name: s.full_name.clone(),
            iin: s.iin.clone(),
            bin: s.bin.clone(),
            organisation: s.organisation.clone(),
            roles: s
                .roles
                .iter()
                .map(|role| role_name(role, lang))
                .collect::<Vec<_>>()
                .join(", "),
            key: t(if s.key == "SIGN" {
                "key_sign"
            } else {
                "key_auth"
            }),
        }),
        claimed_time: signature.claimed_signing_time.clone(),
        proven_time: signature.timestamp.clone(),
        validation_time: signature.validation_time.clone(),
        chain: signature.chain.clone(),
        revocation: signature
            .revocation
            .iter()
            .map(|r| RevocationView {
                certificate: r.certificate.clone(),
                status: t(match r.status {
                    CertificateStatus::Good | CertificateStatus::RevokedAfterValidationTime => {
                        "status_good"
                    }
                    CertificateStatus::Revoked => "status_revoked",
                    _ => "status_other",
                }),
                source: r.source.clone(),
            })
            .collect(),
        changes: signature.modifications.clone(),
        level: signature.level.clone(),
        warnings: signature.warnings.clone(),
        reasons: signature.reasons.clone(),
        etsi: format!("{etsi}{sub}"),
    }
}

fn base64(text: String) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The view of one checked file (`sha256`: of the file verified): its report, or why there is
/// none.
pub fn file_view(
    name: String,
    sha256: String,
    result: Result<Report, String>,
    lang: Lang,
) -> FileView {
    match result {
        Ok(report) => {
            let valid = report
                .signatures
                .iter()
                .filter(|s| s.indication == Indication::TotalPassed)
                .count();
            let total = report.signatures.len();
            let summary = if total == 0 {
                text(lang, "no_signature", &[])
            } else {
                text(
                    lang,
                    "summary",
                    &[("valid", &valid.to_string()), ("total", &total.to_string())],
                )
            };
            FileView {
                name,
                sha256,
                error: None,
                summary,
                badge: if total == 0 {
                    "amber"
                } else {
                    badge(report.indication)
                },
                cards: report
                    .signatures
                    .iter()
                    .enumerate()
                    .map(|(i, s)| card(i, s, lang))
                    .collect(),
                json_b64: base64(serde_json::to_string_pretty(&report).unwrap_or_default()),
                xml_b64: base64(crate::verify::etsi::to_xml(&report)),
            }
        }
        Err(error) => FileView {
            name,
            sha256,
            error: Some(format!("{}: {error}", text(lang, "unreadable", &[]))),
            summary: String::new(),
            badge: "red",
            cards: Vec::new(),
            json_b64: String::new(),
            xml_b64: String::new(),
        },
    }
}

/// A registry row, as the desk lists it.
#[derive(Debug, Serialize)]
pub struct RecordView {
    /// Opaque id (for links).
    pub id: String,
    /// Registry number.
    pub number: String,
    /// The form's legal name in the language.
    pub form: String,
    /// When issued.
    pub issued_at: String,
    /// The applicant's BIN/IIN.
    pub applicant: String,
    /// issued, revoked, draft or voided.
    pub status: String,
    /// The status in words.
    pub status_text: String,
    /// When revoked.
    pub revoked_at: Option<String>,
    /// Why revoked.
    pub revocation_reason: Option<String>,
    /// The input data, pretty JSON.
    pub data: String,
    /// Who signed (name), when the registry has it.
    pub signer: Option<String>,
}

/// A registry record in words, with its data laid out for reading.
pub fn record_view(record: &crate::registry::DocumentRecord, lang: Lang) -> RecordView {
    let data = serde_json::from_str::<serde_json::Value>(&record.data)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| record.data.clone());
    RecordView {
        data,
        ..row_view(record, lang)
    }
}

/// A registry record as a row of the list: everything but its data.
pub fn row_view(record: &crate::registry::DocumentRecord, lang: Lang) -> RecordView {
    let signer = serde_json::from_str::<serde_json::Value>(&record.signer)
        .ok()
        .and_then(|v| {
            v.get("full_name")
                .or_else(|| v.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_string)
        });
    RecordView {
        id: record.id.clone(),
        number: record.number.clone(),
        form: text(lang, &format!("form_{}", record.form), &[]),
        issued_at: record.issued_at.clone(),
        applicant: record.applicant_bin.clone(),
        status: record.status.clone(),
        status_text: text(lang, &format!("record_{}", record.status), &[]),
        revoked_at: record.revoked_at.clone(),
        revocation_reason: record.revocation_reason.clone(),
        data: String::new(),
        signer,
    }
}

/// One line of a document's audit trail.
#[derive(Debug, Serialize)]
pub struct AuditLine {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Details.
    pub detail: String,
}

/// An application package's report as the desk shows it: the verdict and each check's title
/// in `lang`, what it compared, and the id it is kept under.
pub fn package_view(
    report: &crate::applications::PackageReport,
    kept: Option<&str>,
    lang: Lang,
) -> serde_json::Value {
    use crate::applications::Verdict;
    let text = |key: &str| crate::desk::texts::text(lang, key, &[]);
    let verdict = match report.verdict {
        Verdict::Accepted => "accepted",
        Verdict::Rejected => "rejected",
        Verdict::PaperOnly => "paper_only",
    };
    let checks: Vec<serde_json::Value> = report
        .checks
        .iter()
        .map(|check| {
            let (signatures, signer) = (
                text("application_check_signatures"),
                text("application_check_signer"),
            );
            let (application, obligation) = (
                text("application_doc_application"),
                text("application_doc_obligation"),
            );
            let title = match check.name.as_str() {
                "application.signatures" => format!("{signatures} — {application}"),
                "guarantee_obligation.signatures" => format!("{signatures} — {obligation}"),
                "application.signer" => format!("{signer} — {application}"),
                "guarantee_obligation.importer_signer" => format!(
                    "{signer} — {obligation} ({})",
                    text("application_check_importer")
                ),
                "guarantee_obligation.end_user_signer" => format!(
                    "{signer} — {obligation} ({})",
                    text("application_check_end_user")
                ),
                other => text(&format!("application_check_{other}")),
            };
            serde_json::json!({
                "name": check.name,
                "title": title,
                "passed": check.passed,
                "problems": check.problems,
                "compared": check.compared,
            })
        })
        .collect();
    let documents: Vec<serde_json::Value> = report
        .documents
        .iter()
        .map(|d| {
            serde_json::json!({
                "role": d.role,
                "file": d.file,
                "signature_file": d.signature_file,
                "pages": d.pages,
                "indication": d.verification.as_ref().map(|v| v.indication.name()),
            })
        })
        .collect();
    serde_json::json!({
        "verdict": verdict,
        "verdict_text": text(&format!("application_{verdict}")),
        "summary": report.summary,
        "application_id": kept,
        "checks": checks,
        "documents": documents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, bytes: &[u8]) -> Upload {
        Upload {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn files_pair_into_what_is_verified() {
        let subjects = pair(vec![
            upload("a.pdf", b"%PDF-1.7 ..."),
            upload("data.json", b"{}"),
            upload("data.json.p7s", &[0x30, 0x80]),
            upload("notes.txt", b"hello"),
        ]);
        let names: Vec<String> = subjects.iter().map(Subject::name).collect();
        assert_eq!(names, ["a.pdf", "data.json.p7s + data.json", "notes.txt"]);
        assert!(matches!(subjects[2], Subject::Unpaired(_)));
        // One signature and one data file pair whatever their names.
        let subjects = pair(vec![upload("x.cms", b"MIIB"), upload("y.bin", b"data")]);
        assert_eq!(subjects.len(), 1);
        assert!(matches!(subjects[0], Subject::Detached { .. }));
        // A signature alone holds its content.
        let subjects = pair(vec![upload("x.cms", b"-----BEGIN CMS-----")]);
        assert!(matches!(subjects[0], Subject::Document(_)));
    }

    #[test]
    fn every_registry_status_is_named() {
        let mut record = crate::registry::DocumentRecord {
            id: "x".into(),
            number: "KZ-EUC-2026-000001".into(),
            form: "end_user_certificate".into(),
            year: 2026,
            seq: 1,
            issued_at: "2026-11-30T00:00:00.000000Z".into(),
            applicant_bin: "091240012346".into(),
            data: "{\"a\":1}".into(),
            data_sha256: String::new(),
            pdf_sha256: String::new(),
            pdf_size: 0,
            signer: "{\"full_name\":\"A B\"}".into(),
            status: String::new(),
            revoked_at: None,
            revocation_reason: None,
            application_id: None,
        };
        for (status, kk) in [
            ("issued", "берілген"),
            ("revoked", "кері қайтарылған"),
            ("draft", "жоба (қол қойылмаған)"),
            ("voided", "жойылған жоба"),
        ] {
            record.status = status.into();
            let view = record_view(&record, Lang::Kk);
            assert_eq!(view.status_text, kk);
            assert_eq!(view.signer.as_deref(), Some("A B"));
            assert_eq!(view.form, "Түпкілікті пайдаланушысының сертификаты");
        }
    }

    #[test]
    fn roles_are_named_in_the_language() {
        assert_eq!(role_name("first head", Lang::Ru), "первый руководитель");
        assert_eq!(
            role_name("HR officer", Lang::Kk),
            "кадр қызметінің қызметкері"
        );
        assert_eq!(role_name("1.2.3", Lang::Kk), "1.2.3");
    }

    #[test]
    fn an_unreadable_file_is_red_with_its_reason() {
        let view = file_view(
            "x".into(),
            String::new(),
            Err("no %PDF- header".into()),
            Lang::Ru,
        );
        assert_eq!(view.badge, "red");
        assert!(view.error.unwrap().contains("no %PDF- header"));
    }
}
