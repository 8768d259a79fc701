//! "Compare your copy": is the PDF someone received the document the registry holds? Byte for
//! byte (SHA-256 against the archived PDF's); if not, the archived PDF followed by later
//! revisions (signatures or changes added after issue); if not, another file carrying the same
//! data (another revision); else not this document. The copy is verified either way, and never
//! stored.
//!
//! No number oracle: [`examine`], the costly part (hashing, parsing, verifying), does not
//! depend on the number, so an unknown number and a known one with another file take the same
//! time; and a copy reveals the registry's answer only when it proves it is the document.

use serde::Serialize;

use super::CheckAnswer;
use crate::registry::DocumentRecord;
use crate::verify::{ModificationLevel, Report, VerifyOptions};

/// The attachment every eucdoc document carries (PDF/A-3 associated file).
const DATA_ATTACHMENT: &str = "data.json";
/// At most this much of a copy's data.json is read (the input limit of the forms).
const MAX_DATA_BYTES: usize = crate::model::MAX_INPUT_BYTES;

/// What a copy is, before it is compared with any record.
#[derive(Debug, Clone)]
pub struct Examined {
    sha256: [u8; 32],
    size: usize,
    /// SHA-256 of the copy up to the end of each revision (each `%%EOF`, with and without its
    /// end-of-line): the archived PDF is one of them when the copy extends it.
    revisions: Vec<(usize, [u8; 32])>,
    report: Result<Report, String>,
    /// The canonical SHA-256 of the copy's data.json and the number it names.
    data: Option<(String, Option<String>)>,
}

/// Hashes, parses and verifies `copy` with `options` (the work that does not depend on which
/// number is asked about).
pub fn examine(copy: &[u8], options: &VerifyOptions) -> Examined {
    let (report, attachment) = match crate::verify::verify_pdf_and_attachment(
        copy,
        options,
        DATA_ATTACHMENT,
        MAX_DATA_BYTES,
    ) {
        Ok(examined) => (Ok(examined.report), examined.attachment),
        Err(error) => (Err(error.to_string()), None),
    };
    Examined {
        sha256: openssl::sha::sha256(copy),
        size: copy.len(),
        revisions: revision_hashes(copy),
        report,
        data: attachment.as_deref().and_then(data_identity),
    }
}

/// Whether the copy is the document, and what differs when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Byte for byte the archived PDF.
    Identical,
    /// The archived PDF with later revisions appended (signatures, changes).
    LaterRevision,
    /// Not the archived file, but it carries the document's data (same number and data hash)
    /// under signatures that match it: another revision or a re-made copy.
    OtherRevision,
    /// None of the above (including any copy for an unknown number).
    NotThisDocument,
}

/// One signature of the copy, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CopySignature {
    /// Who signed, as the certificate names them.
    pub signer: Option<String>,
    /// "TOTAL-PASSED", "TOTAL-FAILED" or "INDETERMINATE".
    pub indication: String,
    /// Whether the signed bytes are unchanged.
    pub intact: Option<bool>,
    /// Whether the signature value verifies.
    pub valid: Option<bool>,
    /// The claimed signing time (RFC 3339).
    pub claimed_signing_time: Option<String>,
    /// Added after the document was issued (only known when the copy extends it).
    pub after_issue: bool,
}

/// The answer of `POST /v1/check/{number}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// What the copy is.
    pub verdict: Verdict,
    /// SHA-256 of the copy (hex).
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The number the copy's data.json names, when it names another than the one asked about.
    pub claimed_number: Option<String>,
    /// For a later revision: how many signatures were added after issue.
    pub added_signatures: Option<usize>,
    /// For a later revision: what changed after issue ("none", "lta-updates", "form-filling",
    /// "annotations", "other"), as the issued signature's verification found it.
    pub modification_level: Option<String>,
    /// The copy's signatures taken together ("TOTAL-PASSED"...), when it could be read.
    pub indication: Option<String>,
    /// Each signature of the copy.
    pub signatures: Vec<CopySignature>,
    /// Why the copy's signatures could not be read, when they could not.
    pub unreadable: Option<String>,
    /// The public answer about the number: the document's when the copy proves it (identical,
    /// later or other revision), else unknown.
    pub document: CheckAnswer,
}

/// Compares what [`examine`] found with the record of `number` (None: no such number), whose
/// archived PDF is `record.pdf_sha256` or, before a long-term renewal, one of `earlier` (hex):
/// each is the document, the later ones with archive timestamps added.
pub fn compare(
    number: &str,
    examined: &Examined,
    record: Option<&DocumentRecord>,
    earlier: &[String],
    now: time::UtcDateTime,
) -> Comparison {
    let record = record.filter(|r| r.status != "draft");
    let archived: Vec<[u8; 32]> = record
        .into_iter()
        .flat_map(|r| std::iter::once(&r.pdf_sha256).chain(earlier))
        .filter_map(|hex_hash| <[u8; 32]>::try_from(hex::decode(hex_hash).ok()?).ok())
        .collect();
    let is_archived = |hash: &[u8; 32]| archived.iter().any(|a| openssl::memcmp::eq(hash, a));
    let issued_end = if is_archived(&examined.sha256) {
        Some(examined.size)
    } else {
        examined
            .revisions
            .iter()
            .find(|(_, hash)| is_archived(hash))
            .map(|(end, _)| *end)
    };
    let same_data = match (record, &examined.data) {
        (Some(record), Some((data_sha256, claimed))) => {
            super::same_hex(data_sha256, &record.data_sha256)
                && claimed.as_deref() == Some(record.number.as_str())
        }
        _ => false,
    };
    let report = examined.report.as_ref().ok();
    // A copy whose signatures do not match its content was changed after signing: whatever
    // data it carries, it is not a revision anybody signed.
    let sound = report.is_some_and(|r| {
        !r.signatures.is_empty()
            && r.signatures
                .iter()
                .all(|s| s.intact == Some(true) && s.valid == Some(true))
    });
    let verdict = match issued_end {
        Some(end) if end == examined.size => Verdict::Identical,
        Some(_) => Verdict::LaterRevision,
        None if same_data && sound => Verdict::OtherRevision,
        None => Verdict::NotThisDocument,
    };
    let signatures: Vec<CopySignature> = report
        .map(|report| {
            report
                .signatures
                .iter()
                .map(|signature| copy_signature(signature, issued_end))
                .collect()
        })
        .unwrap_or_default();
    let later = verdict == Verdict::LaterRevision;
    let document = match record {
        Some(record) if verdict != Verdict::NotThisDocument => CheckAnswer::of(record, now),
        _ => CheckAnswer::unknown(number, now),
    };
    Comparison {
        verdict,
        sha256: hex::encode(examined.sha256),
        size: examined.size as u64,
        claimed_number: examined
            .data
            .as_ref()
            .and_then(|(_, claimed)| claimed.clone())
            .filter(|claimed| claimed != number),
        added_signatures: later.then(|| signatures.iter().filter(|s| s.after_issue).count()),
        modification_level: later
            .then(|| issued_modification_level(report?, issued_end?))
            .flatten()
            .map(|level| level.name().to_string()),
        indication: report.map(|r| r.indication.name().to_string()),
        signatures,
        unreadable: examined.report.as_ref().err().cloned(),
        document,
    }
}

/// The copy's hash at the end of each revision: after `%%EOF`, and after its end-of-line. No
/// more revisions than the verifier reads (a file of nothing but `%%EOF`s costs no more).
fn revision_hashes(copy: &[u8]) -> Vec<(usize, [u8; 32])> {
    let mut ends: Vec<usize> = Vec::new();
    let eofs = memchr::memmem::find_iter(copy, b"%%EOF").take(crate::verify::MAX_REVISIONS);
    for at in eofs {
        let end = at + 5;
        ends.push(end);
        let eol = match copy.get(end..end + 2) {
            Some(b"\r\n") => 2,
            _ if matches!(copy.get(end), Some(b'\n' | b'\r')) => 1,
            _ => 0,
        };
        if eol > 0 {
            ends.push(end + eol);
        }
    }
    let mut hasher = openssl::sha::Sha256::new();
    let mut hashed = 0;
    let mut out = Vec::with_capacity(ends.len());
    for end in ends {
        hasher.update(&copy[hashed..end]);
        hashed = end;
        out.push((end, hasher.clone().finish()));
    }
    out
}

/// The canonical SHA-256 (RFC 8785, as the QR code's) of a data.json, and the number it names.
fn data_identity(json: &[u8]) -> Option<(String, Option<String>)> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let sha256 = crate::model::canonical_sha256(&value).ok()?;
    let number = value["number"].as_str().map(str::to_string);
    Some((hex::encode(sha256), number))
}

fn copy_signature(
    signature: &crate::verify::SignatureReport,
    issued_end: Option<usize>,
) -> CopySignature {
    CopySignature {
        signer: signature.signer.as_ref().map(|s| s.full_name.clone()),
        indication: signature.indication.name().into(),
        intact: signature.intact,
        valid: signature.valid,
        claimed_signing_time: signature.claimed_signing_time.clone(),
        after_issue: issued_end.is_some_and(|end| signed_end(signature) > end as u64),
    }
}

/// Where a signature's signed revision ends (the end of its /ByteRange).
fn signed_end(signature: &crate::verify::SignatureReport) -> u64 {
    signature
        .coverage
        .as_ref()
        .map(|c| c.byte_range[2].saturating_add(c.byte_range[3]))
        .unwrap_or(0)
}

/// The changes after issue, as found for the last signature inside the issued revision.
fn issued_modification_level(report: &Report, issued_end: usize) -> Option<ModificationLevel> {
    report
        .signatures
        .iter()
        .filter(|s| s.coverage.is_some() && signed_end(s) <= issued_end as u64)
        .max_by_key(|s| signed_end(s))
        .and_then(|s| s.modification_level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_end_after_each_eof_and_its_line_end() {
        let file = b"%PDF-1.7\n1\n%%EOF\r\n2\n%%EOF";
        let ends: Vec<usize> = revision_hashes(file).iter().map(|(end, _)| *end).collect();
        assert_eq!(ends, [16, 18, file.len()]);
        let (end, hash) = revision_hashes(file)[1];
        assert_eq!(hash, openssl::sha::sha256(&file[..end]));
    }

    #[test]
    fn data_is_identified_by_its_canonical_hash() {
        let (one, number) =
            data_identity(br#"{"b": 1, "number": "KZ-1", "a": "x"}"#).unwrap_or_default();
        let (two, _) = data_identity(br#"{"number":"KZ-1","a":"x","b":1}"#).unwrap_or_default();
        assert_eq!(one, two);
        assert_eq!(number.as_deref(), Some("KZ-1"));
        assert!(data_identity(b"not json").is_none());
    }
}
