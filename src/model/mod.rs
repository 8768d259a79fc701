//! Typed, validated input: the JSON contract of `../shared/domain.md`.
//!
//! [`parse`] takes the bytes upstream sent and returns an [`Input`] or every problem found, each
//! with its JSON path. Three stages: JSON syntax; structure against the schema generated from the
//! types (types, required and unknown keys); then the domain rules (check digits, codes, dates,
//! lengths, font coverage).

mod countries;
mod error;
mod ids;
mod incoming;
mod schema;
mod types;
mod validate;

use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use error::{FieldError, ValidationErrors};
pub use ids::{IdError, IdKind, check_bin_iin};
pub use incoming::{
    Applicant, ApplicantKind, ApplicationDocument, Certificate, GuaranteeObligation, Incoming,
    IncomingGoodsLine, IncomingKind, Request, Signatory,
};
pub use schema::{incoming_schema, json_schema};
pub use types::{
    Application, Contract, Document, EndUserCertificate, Exporter, Form, GoodsLine,
    ImportCertificate, ImportGoodsLine, Party, Recipient, Refusal, Signer,
};
pub use validate::{MAX_GOODS_LINES, MAX_GROUNDS};

/// Largest input accepted, in bytes: 500 goods lines at their length limits fit comfortably.
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;

/// Validated input: the typed document plus the exact bytes sent and their canonical hash.
#[derive(Debug, Clone)]
pub struct Input {
    document: Document,
    json: Vec<u8>,
    canonical_sha256: [u8; 32],
}

impl Input {
    /// The typed document.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The bytes exactly as sent (attached to the PDF as `data.json`).
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// SHA-256 of the input in RFC 8785 canonical JSON: the same data always gives the same hash,
    /// whatever its key order or white space.
    pub fn canonical_sha256(&self) -> [u8; 32] {
        self.canonical_sha256
    }

    /// [`Self::canonical_sha256`] as lowercase hex.
    pub fn canonical_sha256_hex(&self) -> String {
        hex::encode(self.canonical_sha256)
    }

    /// This input with `number` as its registry number: in the typed document, and in the JSON
    /// (pretty-printed, as the PDF attaches it and the registry keeps it), with the hash of the
    /// new JSON. The same as [`parse`] of that JSON, without validating again what the number
    /// does not touch: only the number and the size are checked. Issuing calls this for every
    /// document, and the whole validation took about a sixth of a millisecond.
    pub fn with_number(&self, number: &str) -> Result<Input, ValidationErrors> {
        validate_number(number)?;
        let mut value: Value = serde_json::from_slice(&self.json)
            .map_err(|e| ValidationErrors::single("$", format!("not valid JSON: {e}")))?;
        let Some(object) = value.as_object_mut() else {
            return Err(ValidationErrors::single("$", "must be a JSON object"));
        };
        object.insert("number".into(), Value::String(number.into()));
        let json = serde_json::to_vec_pretty(&value)
            .map_err(|e| ValidationErrors::single("$", format!("cannot write JSON: {e}")))?;
        within_size(&json)?;
        let mut document = self.document.clone();
        document.set_number(number);
        Ok(Input {
            document,
            json,
            canonical_sha256: canonical_sha256(&value)?,
        })
    }
}

/// SHA-256 of `value` in RFC 8785 canonical JSON: an input's [`Input::canonical_sha256`], the
/// hash the QR code carries. The check page computes it with this for a data.json it is given.
pub fn canonical_sha256(value: &Value) -> Result<[u8; 32], ValidationErrors> {
    let canonical = serde_json_canonicalizer::to_vec(value)
        .map_err(|e| ValidationErrors::single("$", format!("cannot canonicalise: {e}")))?;
    Ok(Sha256::digest(&canonical).into())
}

/// Parses and validates one input document.
pub fn parse(bytes: &[u8]) -> Result<Input, ValidationErrors> {
    within_size(bytes)?;
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ValidationErrors::single("$", format!("not valid JSON: {e}")))?;
    let form = form_of(&value)?;
    let structure = schema::check(form, &value);
    let structural = structure.errors;
    // Unknown keys are reported, and the rules still run on the known ones.
    let known = schema::without(&value, &structure.unknown_keys);
    let (document, rules) = match form {
        Form::EndUserCertificate => typed(&known, &structural, validate::end_user_certificate)
            .map(|(d, r)| (Document::EndUserCertificate(d), r)),
        Form::ImportCertificate => typed(&known, &structural, validate::import_certificate)
            .map(|(d, r)| (Document::ImportCertificate(d), r)),
        Form::Refusal => {
            typed(&known, &structural, validate::refusal).map(|(d, r)| (Document::Refusal(d), r))
        }
    }?;
    let errors = with_unexplained(rules, structural);
    if !errors.is_empty() {
        return Err(ValidationErrors(errors));
    }
    Ok(Input {
        document,
        json: bytes.to_vec(),
        canonical_sha256: canonical_sha256(&value)?,
    })
}

/// Parses and validates an incoming document (an application or a guarantee obligation, by its
/// `document` key), with every problem found at its path; the same stages as [`parse`].
pub fn parse_incoming(bytes: &[u8]) -> Result<Incoming, ValidationErrors> {
    within_size(bytes)?;
    // serde_json refuses nesting deeper than 128 levels, so deep JSON is an error here, not a
    // stack overflow.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ValidationErrors::single("$", format!("not valid JSON: {e}")))?;
    let kind = incoming_kind_of(&value)?;
    let structure = schema::check_incoming(kind, &value);
    let structural = structure.errors;
    let known = schema::without(&value, &structure.unknown_keys);
    let (incoming, rules) = match kind {
        IncomingKind::Application => typed(&known, &structural, validate::application)
            .map(|(d, r)| (Incoming::Application(d), r)),
        IncomingKind::GuaranteeObligation => {
            typed(&known, &structural, validate::guarantee_obligation)
                .map(|(d, r)| (Incoming::GuaranteeObligation(d), r))
        }
    }?;
    let errors = with_unexplained(rules, structural);
    if errors.is_empty() {
        Ok(incoming)
    } else {
        Err(ValidationErrors(errors))
    }
}

fn within_size(bytes: &[u8]) -> Result<(), ValidationErrors> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ValidationErrors::single(
            "$",
            format!(
                "input is {} bytes; the limit is {MAX_INPUT_BYTES}",
                bytes.len()
            ),
        ));
    }
    Ok(())
}

/// The rules' errors, and the structural ones no rule explains more precisely (a rule's message
/// is more precise than the schema's for the same field: the rule's is kept).
fn with_unexplained(rules: Vec<FieldError>, structural: Vec<FieldError>) -> Vec<FieldError> {
    let unexplained: Vec<FieldError> = structural
        .into_iter()
        .filter(|s| !rules.iter().any(|r| r.path == s.path))
        .collect();
    let mut errors = rules;
    errors.extend(unexplained);
    errors
}

fn incoming_kind_of(value: &Value) -> Result<IncomingKind, ValidationErrors> {
    let expected = "one of \"application\", \"guarantee_obligation\"";
    match value.as_object().map(|o| o.get("document")) {
        None => Err(ValidationErrors::single("$", "must be a JSON object")),
        Some(None) => Err(ValidationErrors::single(
            "document",
            format!("is required: {expected}"),
        )),
        Some(Some(Value::String(key))) => IncomingKind::from_key(key).ok_or_else(|| {
            ValidationErrors::single(
                "document",
                format!("unknown document \"{key}\": expected {expected}"),
            )
        }),
        Some(Some(_)) => Err(ValidationErrors::single(
            "document",
            format!("must be a string: {expected}"),
        )),
    }
}

/// The issue date (`issue_date`, the same key in every form) of an input validated before, e.g.
/// a registry record's: read, not validated again.
pub fn stored_issue_date(json: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IssueDate {
        issue_date: String,
    }
    serde_json::from_str::<IssueDate>(json)
        .ok()
        .map(|d| d.issue_date)
}

/// Checks a registry number (assigned by the registry or given on the command line).
pub fn validate_number(number: &str) -> Result<(), ValidationErrors> {
    validate::registry_number(number).map_err(|e| ValidationErrors(vec![e]))
}

fn form_of(value: &Value) -> Result<Form, ValidationErrors> {
    let Some(object) = value.as_object() else {
        return Err(ValidationErrors::single("$", "must be a JSON object"));
    };
    let expected = || {
        Form::ALL
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match object.get("form") {
        None => Err(ValidationErrors::single(
            "form",
            format!("is required: one of {}", expected()),
        )),
        Some(Value::String(key)) => Form::from_key(key).ok_or_else(|| {
            ValidationErrors::single(
                "form",
                format!("unknown form \"{key}\": expected one of {}", expected()),
            )
        }),
        Some(_) => Err(ValidationErrors::single(
            "form",
            format!("must be a string: one of {}", expected()),
        )),
    }
}

/// Deserialises into the form's type and applies its rules. Structural errors that stop the
/// typed view are returned as they are.
fn typed<T: DeserializeOwned>(
    value: &Value,
    structural: &[FieldError],
    rules: fn(&T) -> Result<(), Vec<FieldError>>,
) -> Result<(T, Vec<FieldError>), ValidationErrors> {
    match T::deserialize(value) {
        Ok(document) => {
            let errors = rules(&document).err().unwrap_or_default();
            Ok((document, errors))
        }
        Err(e) if structural.is_empty() => {
            // The schema and the types disagree: report it rather than guess.
            Err(ValidationErrors::single("$", e.to_string()))
        }
        Err(_) => Err(ValidationErrors(structural.to_vec())),
    }
}
