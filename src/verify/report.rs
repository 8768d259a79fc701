//! The verification report (schema version 2): an overall result and, per signature, an
//! indication with an ETSI EN 319 102-1 sub-indication, what was found on the way (intact,
//! valid, trusted, modifications, PAdES level), the evidence and warnings.

use schemars::JsonSchema;
use serde::Serialize;

/// Version of the JSON report's schema; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// ETSI EN 319 102-1 main indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Indication {
    /// Every check passed.
    TotalPassed,
    /// A check failed: the signature is not valid.
    TotalFailed,
    /// A check could not be concluded (missing data, unsupported algorithm, unknown trust).
    Indeterminate,
}

impl Indication {
    /// Its name, as the JSON report writes it.
    pub fn name(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL-PASSED",
            Indication::TotalFailed => "TOTAL-FAILED",
            Indication::Indeterminate => "INDETERMINATE",
        }
    }
}

/// ETSI EN 319 102-1 sub-indications used so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubIndication {
    /// The signed data's digest does not match the message-digest attribute.
    HashFailure,
    /// The signature value does not verify with the signer's public key.
    SigCryptoFailure,
    /// The signature's structure is broken (ByteRange, CMS, attributes).
    FormatFailure,
    /// No path from the signer's certificate to a trust anchor.
    NoCertificateChainFound,
    /// The path or the certificate violates a constraint (key usage, validity of a CA).
    ChainConstraintsFailure,
    /// The signer's certificate had expired at the validation time.
    Expired,
    /// The signer's certificate was not yet valid at the validation time.
    NotYetValid,
    /// The signature uses an algorithm this verifier does not implement (GOST so far).
    CryptoConstraintsFailure,
    /// The certificate's status could not be established from the data at hand.
    TryLater,
    /// The validation time is outside the certificate's validity and nothing proves the
    /// signature existed while it was valid.
    OutOfBoundsNoPoe,
    /// The signer's certificate is revoked.
    Revoked,
}

/// What changed in the document after a signature, in pyHanko's terms, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ModificationLevel {
    /// The signature covers the whole file.
    None,
    /// Later revisions only add validation data (DSS) or document timestamps.
    LtaUpdates,
    /// Later revisions add signatures or fill in form fields (DocMDP permission 2).
    FormFilling,
    /// Later revisions add, change or remove annotations (DocMDP permission 3).
    Annotations,
    /// Something else the signer saw changed (the signature is TOTAL-FAILED).
    Other,
}

impl ModificationLevel {
    /// Its name, as the JSON report writes it (pyHanko's levels).
    pub fn name(self) -> &'static str {
        match self {
            ModificationLevel::None => "none",
            ModificationLevel::LtaUpdates => "lta-updates",
            ModificationLevel::FormFilling => "form-filling",
            ModificationLevel::Annotations => "annotations",
            ModificationLevel::Other => "other",
        }
    }
}

/// A certificate's revocation status at the validation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateStatus {
    /// Not revoked.
    Good,
    /// Revoked, but after the validation time (a timestamped signature still holds).
    RevokedAfterValidationTime,
    /// Revoked.
    Revoked,
    /// Suspended (certificateHold).
    OnHold,
    /// No usable revocation data.
    Unknown,
}

/// The revocation status of one certificate of the path, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Revocation {
    /// The certificate's subject.
    pub certificate: String,
    /// Its status.
    pub status: CertificateStatus,
    /// Where the status came from ("CRL", "OCSP, keyCompromise", "… fetched from the
    /// certificate's responder"), or why there is none.
    pub source: String,
    /// When it was revoked (RFC 3339), when known.
    pub revoked_at: Option<String>,
}

/// What a signature covers and what came after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Coverage {
    /// The /ByteRange as written.
    pub byte_range: [u64; 4],
    /// Whether the signed ranges reach the end of the file.
    pub whole_file: bool,
    /// Bytes of the file after the signed revision (later incremental updates).
    pub bytes_after: u64,
}

/// Who signed, as the certificate says (kz-pki.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Signer {
    /// Full name (CN + patronymic).
    pub full_name: String,
    /// IIN from SERIALNUMBER.
    pub iin: Option<String>,
    /// BIN from OU.
    pub bin: Option<String>,
    /// Organisation from O.
    pub organisation: Option<String>,
    /// Certificate serial number, hex.
    pub serial: String,
    /// Roles from the extended key usage (kz-pki.md), by name; unknown OIDs as dotted text.
    pub roles: Vec<String>,
    /// "SIGN" (nonRepudiation) or "AUTH" (no nonRepudiation).
    pub key: String,
    /// The certificate's subject, one line.
    pub subject: String,
    /// The certificate's issuer, one line.
    pub issuer: String,
    /// The certificate (DER), for the ETSI report's validation objects; not in the JSON.
    #[serde(skip)]
    pub certificate: Vec<u8>,
}

/// The result for one signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SignatureReport {
    /// The field name (`/T`), when the signature is in a PDF form field.
    pub field: Option<String>,
    /// The /SubFilter.
    pub sub_filter: Option<String>,
    /// The main indication.
    pub indication: Indication,
    /// Why, when not passed.
    pub sub_indication: Option<SubIndication>,
    /// One-line reasons behind the sub-indication.
    pub reasons: Vec<String>,
    /// Whether the signed bytes are the ones the signature's digest names (null: not reached).
    pub intact: Option<bool>,
    /// Whether the signature value verifies with the signer's key (null: not reached).
    pub valid: Option<bool>,
    /// Whether the signer's certificate has a path to a trust anchor at the validation time
    /// (null: not reached).
    pub trusted: Option<bool>,
    /// What changed after signing (PDF signatures only).
    pub modification_level: Option<ModificationLevel>,
    /// The profile the signature meets: "PAdES B-B", "PAdES B-T", "PAdES B-LT", "PAdES B-LTA",
    /// "document timestamp", or "CMS, not PAdES: " and why.
    pub level: Option<String>,
    /// Who signed, when the certificate could be read.
    pub signer: Option<Signer>,
    /// The claimed signing time (the PDF's `/M`, else the CMS signing-time attribute), RFC 3339
    /// with the signer's UTC offset; nothing proves it.
    pub claimed_signing_time: Option<String>,
    /// The time of the signature's verified timestamp (RFC 3339): the signature existed then.
    /// For a document timestamp, its own time.
    pub timestamp: Option<String>,
    /// The time the chain and revocation were validated at (RFC 3339): the timestamp's time
    /// when there is one, else the requested time or now.
    pub validation_time: String,
    /// The certificate path, signer first, trust anchor last (subjects), when one was found.
    pub chain: Vec<String>,
    /// Per certificate of the path below the anchor: its status and where it came from.
    pub revocation: Vec<Revocation>,
    /// What changed after signing (empty when nothing but allowed additions).
    pub modifications: Vec<String>,
    /// What the signature covers.
    pub coverage: Option<Coverage>,
    /// Things worth knowing that do not change the indication.
    pub warnings: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What was verified: "pdf" or "cms".
    pub input: String,
    /// Overall: TOTAL-PASSED only when every signature passed.
    pub indication: Indication,
    /// One entry per signature, in file order.
    pub signatures: Vec<SignatureReport>,
    /// Problems with the file as a whole.
    pub warnings: Vec<String>,
}

impl Report {
    /// Builds the report; the overall indication is the worst of the signatures' (no signature
    /// at all is INDETERMINATE: there is nothing to rely on).
    pub fn new(input: &str, signatures: Vec<SignatureReport>, warnings: Vec<String>) -> Self {
        let indication = if signatures.is_empty() {
            Indication::Indeterminate
        } else if signatures
            .iter()
            .any(|s| s.indication == Indication::TotalFailed)
        {
            Indication::TotalFailed
        } else if signatures
            .iter()
            .any(|s| s.indication == Indication::Indeterminate)
        {
            Indication::Indeterminate
        } else {
            Indication::TotalPassed
        };
        Self {
            schema_version: REPORT_SCHEMA_VERSION,
            input: input.into(),
            indication,
            signatures,
            warnings,
        }
    }

    /// The exit code of `eucdoc verify`: 0 all passed, 1 any failed, 3 any indeterminate.
    pub fn exit_code(&self) -> u8 {
        match self.indication {
            Indication::TotalPassed => 0,
            Indication::TotalFailed => 1,
            Indication::Indeterminate => 3,
        }
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut out = format!("Overall: {}\n", self.indication.name());
        for warning in &self.warnings {
            out.push_str(&format!("warning: {warning}\n"));
        }
        for (i, s) in self.signatures.iter().enumerate() {
            out.push_str(&format!(
                "\nSignature {} ({}): {}{}\n",
                i + 1,
                s.field.as_deref().unwrap_or("-"),
                s.indication.name(),
                s.sub_indication
                    .map(|x| format!(
                        " / {}",
                        serde_json::to_value(x)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    ))
                    .unwrap_or_default()
            ));
            for reason in &s.reasons {
                out.push_str(&format!("  reason: {reason}\n"));
            }
            if let Some(level) = &s.level {
                out.push_str(&format!("  level: {level}\n"));
            }
            let yes_no = |value: Option<bool>| match value {
                Some(true) => "yes",
                Some(false) => "no",
                None => "not checked",
            };
            out.push_str(&format!(
                "  intact: {}; valid: {}; trusted: {}\n",
                yes_no(s.intact),
                yes_no(s.valid),
                yes_no(s.trusted)
            ));
            if let Some(level) = s.modification_level {
                let name = match level {
                    ModificationLevel::None => "none",
                    ModificationLevel::LtaUpdates => "validation data or timestamps only",
                    ModificationLevel::FormFilling => "form filling or further signatures",
                    ModificationLevel::Annotations => "annotations",
                    ModificationLevel::Other => "the signed content changed",
                };
                out.push_str(&format!("  changes after signing: {name}\n"));
            }
            if let Some(signer) = &s.signer {
                out.push_str(&format!("  signer: {}\n", signer.full_name));
                if let Some(iin) = &signer.iin {
                    out.push_str(&format!("  IIN: {iin}\n"));
                }
                if let Some(bin) = &signer.bin {
                    out.push_str(&format!("  BIN: {bin}\n"));
                }
                if let Some(org) = &signer.organisation {
                    out.push_str(&format!("  organisation: {org}\n"));
                }
                if !signer.roles.is_empty() {
                    out.push_str(&format!("  roles: {}\n", signer.roles.join(", ")));
                }
                out.push_str(&format!("  key: {}\n", signer.key));
                out.push_str(&format!("  certificate serial: {}\n", signer.serial));
            }
            if let Some(time) = &s.claimed_signing_time {
                out.push_str(&format!("  claimed signing time: {time}\n"));
            }
            if let Some(time) = &s.timestamp {
                out.push_str(&format!("  timestamp: {time}\n"));
            }
            out.push_str(&format!("  validated at: {}\n", s.validation_time));
            for (depth, subject) in s.chain.iter().enumerate() {
                out.push_str(&format!("  chain {depth}: {subject}\n"));
            }
            for entry in &s.revocation {
                let status = serde_json::to_value(entry.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let at = entry
                    .revoked_at
                    .as_deref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  revocation: {}: {status}{at} ({})\n",
                    entry.certificate, entry.source
                ));
            }
            for line in &s.modifications {
                out.push_str(&format!("  modified: {line}\n"));
            }
            if let Some(c) = &s.coverage {
                out.push_str(&format!(
                    "  byte range: {:?}; {}\n",
                    c.byte_range,
                    if c.whole_file {
                        "covers the whole file".to_string()
                    } else {
                        format!("{} bytes added after signing", c.bytes_after)
                    }
                ));
            }
            for warning in &s.warnings {
                out.push_str(&format!("  warning: {warning}\n"));
            }
        }
        out
    }
}
