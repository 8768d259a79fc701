//! The input contract (`../shared/domain.md`, "Input contract"): exactly these keys, no others.
//!
//! Field values stay strings as sent (dates ISO 8601, quantities decimal strings) so that what is
//! printed is exactly what upstream sent; `validate` proves them well-formed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which document the input describes (the `form` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// Form 1 of Appendix 4: End-User Certificate.
    EndUserCertificate,
    /// Form 2 of Appendix 4: International Import Certificate.
    ImportCertificate,
    /// Appendix 2 of the Rules: motivated refusal.
    Refusal,
}

impl Form {
    /// Every form, in the order of the legal text.
    pub const ALL: [Form; 3] = [
        Form::EndUserCertificate,
        Form::ImportCertificate,
        Form::Refusal,
    ];

    /// The value of the `form` key.
    pub fn key(self) -> &'static str {
        match self {
            Form::EndUserCertificate => "end_user_certificate",
            Form::ImportCertificate => "import_certificate",
            Form::Refusal => "refusal",
        }
    }

    /// The form whose `form` key is `key`.
    pub fn from_key(key: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.key() == key)
    }
}

impl std::fmt::Display for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A Kazakh importer or end user (boxes 1 and 2): country, address, phone, BIN (IIN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Full legal name of the company, or full name of the individual.
    #[schemars(length(min = 1, max = 300))]
    pub name: String,
    /// ISO 3166-1 alpha-2 country code, such as `KZ`.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    /// Postal address.
    #[schemars(length(min = 1, max = 500))]
    pub address: String,
    /// Telephone number.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
    /// BIN (legal entity) or IIN (individual): 12 digits with a valid check digit.
    #[schemars(regex(pattern = r"^[0-9]{12}$"))]
    pub bin_iin: String,
}

/// The foreign exporter (box 3 of Form 1, box 2 of Form 2): country and address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exporter {
    /// Full legal name.
    #[schemars(length(min = 1, max = 300))]
    pub name: String,
    /// ISO 3166-1 alpha-2 country code, such as `DE`.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    /// Postal address.
    #[schemars(length(min = 1, max = 500))]
    pub address: String,
}

/// One goods line of an End-User Certificate (boxes 6 to 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodsLine {
    /// Name of the goods (box 6).
    #[schemars(length(min = 1, max = 500))]
    pub name: String,
    /// Description of the goods (box 6).
    #[schemars(length(min = 1, max = 2000))]
    pub description: String,
    /// 10-digit EAEU commodity code, chapter 01–97 but not 77 (box 7).
    #[schemars(regex(pattern = r"^[0-9]{10}$"))]
    pub hs_code: String,
    /// Code of the goods under the control lists, such as `5A002.a` (box 8).
    #[schemars(length(min = 1, max = 60))]
    pub control_list_code: String,
    /// Unit of measure, such as `дана` or `кг` (box 9).
    #[schemars(length(min = 1, max = 30))]
    pub unit: String,
    /// Quantity: a positive decimal string such as `12` or `0.5`, never a JSON number (box 10).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub quantity: String,
}

/// One goods line of an International Import Certificate (boxes 3 to 7; no description box).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportGoodsLine {
    /// Name of the goods (box 3).
    #[schemars(length(min = 1, max = 500))]
    pub name: String,
    /// 10-digit EAEU commodity code, chapter 01–97 but not 77 (box 4).
    #[schemars(regex(pattern = r"^[0-9]{10}$"))]
    pub hs_code: String,
    /// Code of the goods under the control lists (box 5).
    #[schemars(length(min = 1, max = 60))]
    pub control_list_code: String,
    /// Unit of measure (box 6).
    #[schemars(length(min = 1, max = 30))]
    pub unit: String,
    /// Quantity: a positive decimal string, never a JSON number (box 7).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub quantity: String,
}

/// The foreign-trade contract or other alienation document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Contract number.
    #[schemars(length(min = 1, max = 100))]
    pub number: String,
    /// Contract date, ISO 8601 `YYYY-MM-DD`, not after the issue date.
    #[schemars(extend("format" = "date"))]
    pub date: String,
}

/// The officer who signs for the Industry Committee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// Surname, name and patronymic (if any).
    #[schemars(length(min = 1, max = 150))]
    pub full_name: String,
    /// Position in the Committee.
    #[schemars(length(min = 1, max = 300))]
    pub position: String,
}

/// Form 1: End-User Certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndUserCertificate {
    /// Always `end_user_certificate`.
    #[schemars(extend("const" = "end_user_certificate"))]
    pub form: Form,
    /// Registry number; absent or null when the registry assigns it.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"))]
    pub number: Option<String>,
    /// Issue date, ISO 8601 `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub issue_date: String,
    /// Box 1: importer.
    pub importer: Party,
    /// Box 2: end user.
    pub end_user: Party,
    /// Box 3: exporter.
    pub exporter: Exporter,
    /// Box 4: place where the goods are installed and/or used.
    #[schemars(length(min = 1, max = 1000))]
    pub place_of_use: String,
    /// Box 5: purpose of use of the goods.
    #[schemars(length(min = 1, max = 2000))]
    pub purpose_of_use: String,
    /// Boxes 6–10: goods lines (1 to 500; one certificate per contract).
    #[schemars(length(min = 1, max = 500))]
    pub goods: Vec<GoodsLine>,
    /// Box 11: contract number and date.
    pub contract: Contract,
    /// The signing officer.
    pub signer: Signer,
}

/// Form 2: International Import Certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportCertificate {
    /// Always `import_certificate`.
    #[schemars(extend("const" = "import_certificate"))]
    pub form: Form,
    /// Registry number; absent or null when the registry assigns it.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"))]
    pub number: Option<String>,
    /// Issue date, ISO 8601 `YYYY-MM-DD`; printed in box 10.
    #[schemars(extend("format" = "date"))]
    pub issue_date: String,
    /// Box 1: importer.
    pub importer: Party,
    /// Box 2: exporter.
    pub exporter: Exporter,
    /// Boxes 3–7: goods lines (1 to 500).
    #[schemars(length(min = 1, max = 500))]
    pub goods: Vec<ImportGoodsLine>,
    /// Box 8: contract number and date.
    pub contract: Contract,
    /// Box 10: the signing officer of the authorised body.
    pub signer: Signer,
}

/// The addressee of a refusal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Organisation name (or the individual's full name).
    #[schemars(length(min = 1, max = 300))]
    pub name: String,
    /// Legal address.
    #[schemars(length(min = 1, max = 500))]
    pub legal_address: String,
    /// BIN or IIN.
    #[schemars(regex(pattern = r"^[0-9]{12}$"))]
    pub bin_iin: String,
}

/// The application being refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Date of the application, ISO 8601, not after the issue date.
    #[schemars(extend("format" = "date"))]
    pub date: String,
    /// Incoming number of the application.
    #[schemars(length(min = 1, max = 100))]
    pub number: String,
}

/// Appendix 2 of the Rules: motivated refusal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Always `refusal`.
    #[schemars(extend("const" = "refusal"))]
    pub form: Form,
    /// Registry number; absent or null when the registry assigns it.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"))]
    pub number: Option<String>,
    /// Issue date, ISO 8601 `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub issue_date: String,
    /// Addressee block.
    pub recipient: Recipient,
    /// The application refused.
    pub application: Application,
    /// Grounds for refusal: one paragraph each (1 to 20).
    #[schemars(length(min = 1, max = 20))]
    pub grounds: Vec<String>,
    /// The signing officer.
    pub signer: Signer,
}

/// A parsed document of any form.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// Form 1.
    EndUserCertificate(EndUserCertificate),
    /// Form 2.
    ImportCertificate(ImportCertificate),
    /// Motivated refusal.
    Refusal(Refusal),
}

impl Document {
    /// The document's form.
    pub fn form(&self) -> Form {
        match self {
            Document::EndUserCertificate(_) => Form::EndUserCertificate,
            Document::ImportCertificate(_) => Form::ImportCertificate,
            Document::Refusal(_) => Form::Refusal,
        }
    }

    /// The registry number, when the input carries one.
    pub fn number(&self) -> Option<&str> {
        match self {
            Document::EndUserCertificate(d) => d.number.as_deref(),
            Document::ImportCertificate(d) => d.number.as_deref(),
            Document::Refusal(d) => d.number.as_deref(),
        }
    }

    /// Sets the registry number (see [`super::Input::with_number`]).
    pub(super) fn set_number(&mut self, number: &str) {
        let slot = match self {
            Document::EndUserCertificate(d) => &mut d.number,
            Document::ImportCertificate(d) => &mut d.number,
            Document::Refusal(d) => &mut d.number,
        };
        *slot = Some(number.to_string());
    }

    /// The signing officer's position as the document states it.
    pub fn signer_position(&self) -> Option<&str> {
        Some(match self {
            Document::EndUserCertificate(d) => &d.signer.position,
            Document::ImportCertificate(d) => &d.signer.position,
            Document::Refusal(d) => &d.signer.position,
        })
    }

    /// The applicant's BIN or IIN: the importer of a certificate, the recipient of a refusal.
    pub fn applicant_bin_iin(&self) -> &str {
        match self {
            Document::EndUserCertificate(d) => &d.importer.bin_iin,
            Document::ImportCertificate(d) => &d.importer.bin_iin,
            Document::Refusal(d) => &d.recipient.bin_iin,
        }
    }

    /// The issue date as sent (ISO 8601, validated).
    pub fn issue_date(&self) -> &str {
        match self {
            Document::EndUserCertificate(d) => &d.issue_date,
            Document::ImportCertificate(d) => &d.issue_date,
            Document::Refusal(d) => &d.issue_date,
        }
    }
}
