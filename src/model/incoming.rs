//! What applicants send in (`../shared/domain.md`, "The documents the service receives"; the
//! order's annexes in `../shared/seed/`): the application for a certificate (Appendix 1 to the
//! list of basic requirements, form 1 for the End-User Certificate, form 2 for the International
//! Import Certificate) and the importer's (end user's) guarantee obligation (Appendix 2). Each is
//! JSON like the outgoing forms, keyed by `document`; its PDF carries it as `data.json`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::types::{Contract, Exporter, Party};

/// Which incoming document the input is (the `document` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncomingKind {
    /// The application (Appendix 1, form 1 or 2).
    Application,
    /// The importer's (end user's) guarantee obligation (Appendix 2).
    GuaranteeObligation,
}

impl IncomingKind {
    /// Both kinds.
    pub const ALL: [IncomingKind; 2] =
        [IncomingKind::Application, IncomingKind::GuaranteeObligation];

    /// The value of the `document` key.
    pub fn key(self) -> &'static str {
        match self {
            IncomingKind::Application => "application",
            IncomingKind::GuaranteeObligation => "guarantee_obligation",
        }
    }

    /// The kind whose `document` key is `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

impl std::fmt::Display for IncomingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// The certificate applied for: form 1 or form 2 of the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    /// Form 1: an End-User Certificate.
    EndUserCertificate,
    /// Form 2: an International Import Certificate.
    ImportCertificate,
}

impl Certificate {
    /// The outgoing form that answers it.
    pub fn form(self) -> super::Form {
        match self {
            Certificate::EndUserCertificate => super::Form::EndUserCertificate,
            Certificate::ImportCertificate => super::Form::ImportCertificate,
        }
    }

    /// Whether the certificate names an end user (form 1 does; form 2 does not).
    pub fn has_end_user(self) -> bool {
        self == Certificate::EndUserCertificate
    }
}

/// Who applies, as the application's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// A legal entity: full name, BIN, number of its state registration certificate.
    LegalEntity,
    /// An individual: full name, IIN.
    Individual,
    /// A sole proprietor: full name, IIN, number of the notice of starting business.
    SoleProprietor,
}

/// The applicant (the application's header).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    /// Legal entity, individual or sole proprietor.
    pub kind: ApplicantKind,
    /// Full name of the legal entity, or surname, name and patronymic of the individual.
    #[schemars(length(min = 1, max = 300))]
    pub name: String,
    /// BIN (legal entity) or IIN (individual, sole proprietor).
    #[schemars(regex(pattern = r"^[0-9]{12}$"))]
    pub bin_iin: String,
    /// Number of the state registration certificate or reference (legal entity), or of the
    /// notice of starting business (sole proprietor); none for an individual.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub registration_number: Option<String>,
    /// Postal address: index, region, city, district, settlement, street, building.
    #[schemars(length(min = 1, max = 500))]
    pub address: String,
    /// Telephone number.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
}

/// One goods line as the applicant asks for it, and as the obligation states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingGoodsLine {
    /// Name of the goods.
    #[schemars(length(min = 1, max = 500))]
    pub name: String,
    /// Description (characteristics) of the goods; form 2 has no such box.
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub description: Option<String>,
    /// 10-digit EAEU commodity code.
    #[schemars(regex(pattern = r"^[0-9]{10}$"))]
    pub hs_code: String,
    /// Code of the goods under the control lists.
    #[schemars(length(min = 1, max = 60))]
    pub control_list_code: String,
    /// Unit of measure.
    #[schemars(length(min = 1, max = 30))]
    pub unit: String,
    /// Quantity: a positive decimal string, never a JSON number.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub quantity: String,
}

/// The certificate the applicant asks for: what the portal's application form collects besides
/// the header, and what the officer issues when the package holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The importer.
    pub importer: Party,
    /// The end user (form 1 only).
    #[serde(default)]
    pub end_user: Option<Party>,
    /// The foreign exporter.
    pub exporter: Exporter,
    /// Place where the goods are installed and/or used (form 1 only).
    #[serde(default)]
    #[schemars(length(min = 1, max = 1000))]
    pub place_of_use: Option<String>,
    /// Purpose of use (form 1 only).
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub purpose_of_use: Option<String>,
    /// Goods lines (1 to 500).
    #[schemars(length(min = 1, max = 500))]
    pub goods: Vec<IncomingGoodsLine>,
    /// The foreign-trade contract.
    pub contract: Contract,
}

/// The application (Appendix 1 to the list of basic requirements).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationDocument {
    /// Always `application`.
    #[schemars(extend("const" = "application"))]
    pub document: IncomingKind,
    /// Form 1 (End-User Certificate) or form 2 (International Import Certificate).
    pub certificate: Certificate,
    /// The incoming number the portal gave the application, when it has one.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub number: Option<String>,
    /// Date of filling in ("Толтыру күні"), ISO 8601.
    #[schemars(extend("format" = "date"))]
    pub date: String,
    /// Full name of the service provider the application is addressed to.
    #[schemars(length(min = 1, max = 300))]
    pub provider: String,
    /// The applicant.
    pub applicant: Applicant,
    /// Surname, name and patronymic of who signs the application ("Өтініш беруші").
    #[schemars(length(min = 1, max = 150))]
    pub signatory: String,
    /// Number of sheets attached ("Қоса беріледі ___ парақ").
    #[schemars(range(min = 0, max = 10000))]
    pub sheets_attached: u32,
    /// An import within the state defence order (para 12 of the Rules): certificates for it are
    /// signed on paper on the exporting country's form, not issued electronically.
    #[serde(default)]
    pub defence_order: bool,
    /// The certificate asked for.
    pub request: Request,
}

/// Who signs the guarantee obligation for one party (boxes 13 and 14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Surname, name and patronymic (if any).
    #[schemars(length(min = 1, max = 150))]
    pub full_name: String,
    /// Position.
    #[schemars(length(min = 1, max = 300))]
    pub position: String,
    /// Date signed, ISO 8601.
    #[schemars(extend("format" = "date"))]
    pub date: String,
}

/// The importer's (end user's) guarantee obligation (Appendix 2), with its own box numbering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeObligation {
    /// Always `guarantee_obligation`.
    #[schemars(extend("const" = "guarantee_obligation"))]
    pub document: IncomingKind,
    /// The certificate it is given for.
    pub certificate: Certificate,
    /// Box 1: importer.
    pub importer: Party,
    /// Box 2: end user; not required for an International Import Certificate.
    #[serde(default)]
    pub end_user: Option<Party>,
    /// Box 3: exporter.
    pub exporter: Exporter,
    /// Box 4: place of installation and/or use.
    #[schemars(length(min = 1, max = 1000))]
    pub place_of_use: String,
    /// Box 5. The seed prints it with box 4's label ("Өнімді орнату және (немесе) пайдалану
    /// орны"); box 12's undertaking ("5-бағанда көрсетілген мақсаттарда") shows it is the
    /// purpose of use. The template keeps the seed's wording.
    #[schemars(length(min = 1, max = 2000))]
    pub purpose_of_use: String,
    /// Boxes 6 (name and description), 7 (code), 8 (control-list code), 10 (unit) and 11
    /// (quantity), one line per goods (1 to 500).
    #[schemars(length(min = 1, max = 500))]
    pub goods: Vec<IncomingGoodsLine>,
    /// Box 9: number and date of the contract or other alienation document.
    pub contract: Contract,
    /// Box 13: the importer's signatory.
    pub importer_signatory: Signatory,
    /// Box 14: the end user's signatory (with box 2).
    #[serde(default)]
    pub end_user_signatory: Option<Signatory>,
}

/// A parsed incoming document.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The application.
    Application(ApplicationDocument),
    /// The guarantee obligation.
    GuaranteeObligation(GuaranteeObligation),
}

impl Incoming {
    /// Its kind.
    pub fn kind(&self) -> IncomingKind {
        match self {
            Incoming::Application(_) => IncomingKind::Application,
            Incoming::GuaranteeObligation(_) => IncomingKind::GuaranteeObligation,
        }
    }
}
