//! OAI-PMH 2.0 (<http://www.openarchives.org/OAI/openarchivesprotocol.html>) for archive
//! ingestion: the request's arguments checked as the protocol says ([`parse`]), and the XML of
//! its answers. The registry work is [`crate::service::Service::oai`]; `crate::http` serves it at
//! `/oai`.
//!
//! Records are the final documents, one per registry number, dated by their last change (issue,
//! revocation, voiding). A revoked document stays a record, with status "revoked" in its
//! metadata (it was issued and is archived); a voided number (a draft never signed: nothing was
//! issued) is a deleted record (`deletedRecord` is "persistent"). Sets are the forms.

use base64::Engine;
use quick_xml::escape::escape;

use crate::registry::DocumentRecord;

/// The metadata formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Simple Dublin Core, which every repository offers.
    OaiDc,
    /// eucdoc's own: the registry's identifiers, hashes, status and the package's link.
    Eucdoc,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 2] = [Format::OaiDc, Format::Eucdoc];

    /// Its metadataPrefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Format::OaiDc => "oai_dc",
            Format::Eucdoc => "eucdoc",
        }
    }

    /// The format a metadataPrefix names, when offered.
    pub fn from_prefix(prefix: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.prefix() == prefix)
    }

    fn of(prefix: &str) -> Result<Format, OaiError> {
        Format::from_prefix(prefix).ok_or_else(|| {
            OaiError::CannotDisseminateFormat(format!(
                "{prefix} is not offered; ListMetadataFormats names oai_dc and eucdoc"
            ))
        })
    }

    fn schema_and_namespace(self, base_url: &str) -> (String, &'static str) {
        match self {
            Format::OaiDc => (
                "http://www.openarchives.org/OAI/2.0/oai_dc.xsd".into(),
                "http://www.openarchives.org/OAI/2.0/oai_dc/",
            ),
            Format::Eucdoc => (format!("{base_url}/oai/eucdoc.xsd"), EUCDOC_NAMESPACE),
        }
    }
}

/// The namespace of the eucdoc metadata format.
pub const EUCDOC_NAMESPACE: &str = "https://eucdoc.kz/oai/eucdoc/1.0";

/// The sets: one per form.
pub const SETS: [&str; 3] = ["end_user_certificate", "import_certificate", "refusal"];

/// A protocol error, with the code the protocol names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OaiError {
    /// No verb, an unknown one, or more than one.
    #[error("{0}")]
    BadVerb(String),
    /// A missing, unknown, repeated or malformed argument.
    #[error("{0}")]
    BadArgument(String),
    /// A resumption token this repository did not issue.
    #[error("{0}")]
    BadResumptionToken(String),
    /// A metadataPrefix not offered.
    #[error("{0}")]
    CannotDisseminateFormat(String),
    /// An identifier this repository does not know.
    #[error("{0}")]
    IdDoesNotExist(String),
    /// The list is empty.
    #[error("no record matches the request")]
    NoRecordsMatch,
}

impl OaiError {
    /// The protocol's error code.
    pub fn code(&self) -> &'static str {
        match self {
            OaiError::BadVerb(_) => "badVerb",
            OaiError::BadArgument(_) => "badArgument",
            OaiError::BadResumptionToken(_) => "badResumptionToken",
            OaiError::CannotDisseminateFormat(_) => "cannotDisseminateFormat",
            OaiError::IdDoesNotExist(_) => "idDoesNotExist",
            OaiError::NoRecordsMatch => "noRecordsMatch",
        }
    }
}

/// Where ListIdentifiers and ListRecords look, and where the last page ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListArgs {
    /// The metadataPrefix.
    #[serde(rename = "p")]
    pub prefix: String,
    /// Changed at or after (registry time).
    #[serde(rename = "f")]
    pub from: String,
    /// Changed before (registry time).
    #[serde(rename = "u")]
    pub until: String,
    /// The set (form).
    #[serde(rename = "s")]
    pub set: Option<String>,
    /// The last (change time, id) listed, for the next page.
    #[serde(rename = "a")]
    pub after: Option<(String, String)>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// About the repository.
    Identify,
    /// The formats offered (for one record, when an identifier is given).
    ListMetadataFormats {
        /// The record's identifier.
        identifier: Option<String>,
    },
    /// The sets.
    ListSets,
    /// Headers only.
    ListIdentifiers(ListArgs),
    /// Whole records.
    ListRecords(ListArgs),
    /// One record.
    GetRecord {
        /// The record's identifier.
        identifier: String,
        /// The format.
        prefix: String,
    },
}

/// Checks the request's arguments (`pairs`, from the query or the form body) as the protocol
/// says for its verb.
pub fn parse(pairs: &[(String, String)]) -> Result<Request, OaiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        if seen.contains(&name.as_str()) {
            return Err(if name == "verb" {
                OaiError::BadVerb("the verb is given more than once".into())
            } else {
                OaiError::BadArgument(format!("{name} is given more than once"))
            });
        }
        seen.push(name);
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let verb = get("verb").ok_or_else(|| OaiError::BadVerb("no verb".into()))?;
    let allowed: &[&str] = match verb {
        "Identify" | "ListSets" => &["resumptionToken"],
        "ListMetadataFormats" => &["identifier"],
        "ListIdentifiers" | "ListRecords" => {
            &["metadataPrefix", "from", "until", "set", "resumptionToken"]
        }
        "GetRecord" => &["identifier", "metadataPrefix"],
        other => return Err(OaiError::BadVerb(format!("{other} is not an OAI-PMH verb"))),
    };
    if let Some((name, _)) = pairs
        .iter()
        .find(|(n, _)| n != "verb" && !allowed.contains(&n.as_str()))
    {
        return Err(OaiError::BadArgument(format!(
            "{verb} does not take {name}"
        )));
    }
    match verb {
        "Identify" => {
            if get("resumptionToken").is_some() {
                return Err(OaiError::BadArgument("Identify takes no arguments".into()));
            }
            Ok(Request::Identify)
        }
        "ListSets" => match get("resumptionToken") {
            Some(_) => Err(OaiError::BadResumptionToken(
                "the sets fit one answer: no resumption token was issued".into(),
            )),
            None => Ok(Request::ListSets),
        },
        "ListMetadataFormats" => Ok(Request::ListMetadataFormats {
            identifier: get("identifier").map(str::to_string),
        }),
        "GetRecord" => {
            let identifier = get("identifier")
                .ok_or_else(|| OaiError::BadArgument("GetRecord needs identifier".into()))?;
            let prefix = get("metadataPrefix")
                .ok_or_else(|| OaiError::BadArgument("GetRecord needs metadataPrefix".into()))?;
            Format::of(prefix)?;
            Ok(Request::GetRecord {
                identifier: identifier.into(),
                prefix: prefix.into(),
            })
        }
        _ => {
            let args = match get("resumptionToken") {
                Some(token) => {
                    if pairs.len() > 2 {
                        return Err(OaiError::BadArgument(
                            "resumptionToken is an exclusive argument".into(),
                        ));
                    }
                    decode_token(token)?
                }
                None => list_args(get("metadataPrefix"), get("from"), get("until"), get("set"))?,
            };
            Ok(if verb == "ListRecords" {
                Request::ListRecords(args)
            } else {
                Request::ListIdentifiers(args)
            })
        }
    }
}

fn list_args(
    prefix: Option<&str>,
    from: Option<&str>,
    until: Option<&str>,
    set: Option<&str>,
) -> Result<ListArgs, OaiError> {
    let prefix = prefix.ok_or_else(|| {
        OaiError::BadArgument("metadataPrefix is required without a resumptionToken".into())
    })?;
    Format::of(prefix)?;
    let from_time = from.map(|f| bound(f, "from", false)).transpose()?;
    let until_time = until.map(|u| bound(u, "until", true)).transpose()?;
    if let (Some(from), Some(until)) = (from, until)
        && from.len() != until.len()
    {
        return Err(OaiError::BadArgument(
            "from and until must have the same granularity".into(),
        ));
    }
    let from_time = from_time.unwrap_or_else(|| "0000".into());
    let until_time = until_time.unwrap_or_else(|| "9999".into());
    if from_time >= until_time {
        return Err(OaiError::BadArgument("from is later than until".into()));
    }
    Ok(ListArgs {
        prefix: prefix.into(),
        from: from_time,
        until: until_time,
        set: set.map(str::to_string),
        after: None,
    })
}

/// A from/until argument (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, the repository's granularity) as
/// a registry time; `until` is inclusive, so its bound is the next second (or day).
fn bound(text: &str, name: &str, until: bool) -> Result<String, OaiError> {
    let bad = || {
        OaiError::BadArgument(format!(
            "{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, not {text:?}"
        ))
    };
    let day = time::macros::format_description!("[year]-[month]-[day]");
    let second =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let time = if text.len() == 10 {
        let date = time::Date::parse(text, &day).map_err(|_| bad())?;
        let start = date.with_hms(0, 0, 0).map_err(|_| bad())?.as_utc();
        if until {
            start + time::Duration::DAY
        } else {
            start
        }
    } else {
        let at = time::PrimitiveDateTime::parse(text, &second)
            .map_err(|_| bad())?
            .as_utc();
        if until {
            at + time::Duration::SECOND
        } else {
            at
        }
    };
    Ok(crate::registry::registry_time(time))
}

/// The token of the page after `args` (its `after` set): opaque to harvesters.
pub fn encode_token(args: &ListArgs) -> String {
    let json = serde_json::to_vec(args).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_token(token: &str) -> Result<ListArgs, OaiError> {
    let bad = || OaiError::BadResumptionToken(format!("{token:?} was not issued here"));
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let args: ListArgs = serde_json::from_slice(&json).map_err(|_| bad())?;
    if Format::of(&args.prefix).is_err() || args.after.is_none() {
        return Err(bad());
    }
    Ok(args)
}

/// The record identifier of registry number `number`.
pub fn identifier(repository: &str, number: &str) -> String {
    format!("oai:{repository}:{number}")
}

/// The registry number an identifier names, when it is one of this repository's.
pub fn number_of<'a>(repository: &str, identifier: &'a str) -> Option<&'a str> {
    identifier
        .strip_prefix("oai:")?
        .strip_prefix(repository)?
        .strip_prefix(':')
}

/// A registry time as an OAI datestamp (seconds, UTC).
pub fn datestamp(registry_time: &str) -> String {
    format!("{}Z", registry_time.get(..19).unwrap_or(registry_time))
}

/// What the XML of a record needs besides the record.
#[derive(Debug, Clone, Copy)]
pub struct Repository<'a> {
    /// The service's base URL (no trailing slash).
    pub base_url: &'a str,
    /// The namespace part of identifiers (a domain name).
    pub identifier: &'a str,
}

/// A record's header.
pub fn header_xml(repo: Repository, record: &DocumentRecord, changed: &str) -> String {
    let deleted = if record.status == "voided" {
        " status=\"deleted\""
    } else {
        ""
    };
    format!(
        "<header{deleted}><identifier>{}</identifier><datestamp>{}</datestamp><setSpec>{}</setSpec></header>",
        escape(identifier(repo.identifier, &record.number).as_str()),
        datestamp(changed),
        escape(record.form.as_str())
    )
}

/// A whole record: header and, unless deleted, its metadata in `format`.
pub fn record_xml(
    repo: Repository,
    record: &DocumentRecord,
    changed: &str,
    format: Format,
) -> String {
    let header = header_xml(repo, record, changed);
    if record.status == "voided" {
        return format!("<record>{header}</record>");
    }
    let package = format!("{}/v1/documents/{}/package", repo.base_url, record.id);
    let form_name = crate::check::Names::of(&format!("form_{}", record.form)).en;
    let authority = crate::check::Names::of("authority").en;
    let issue_date = crate::model::stored_issue_date(&record.data)
        .unwrap_or_else(|| record.issued_at.get(..10).unwrap_or("").to_string());
    let metadata = match format {
        Format::OaiDc => {
            let mut description = format!("Status: {}.", record.status);
            if let Some(at) = &record.revoked_at {
                description.push_str(&format!(" Revoked at {}.", datestamp(at)));
            }
            format!(
                "<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" \
                 xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
                 xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">\
                 <dc:title>{} {}</dc:title><dc:identifier>{}</dc:identifier>\
                 <dc:publisher>{}</dc:publisher><dc:date>{}</dc:date><dc:type>Text</dc:type>\
                 <dc:format>application/pdf</dc:format><dc:language>kk</dc:language>\
                 <dc:description>{}</dc:description><dc:relation>{}</dc:relation></oai_dc:dc>",
                escape(form_name.as_str()),
                escape(record.number.as_str()),
                escape(record.number.as_str()),
                escape(authority.as_str()),
                escape(issue_date.as_str()),
                escape(description.as_str()),
                escape(package.as_str()),
            )
        }
        Format::Eucdoc => format!(
            "<eucdoc:document xmlns:eucdoc=\"{EUCDOC_NAMESPACE}\" \
             xsi:schemaLocation=\"{EUCDOC_NAMESPACE} {}/oai/eucdoc.xsd\">\
             <eucdoc:number>{}</eucdoc:number><eucdoc:id>{}</eucdoc:id><eucdoc:form>{}</eucdoc:form>\
             <eucdoc:status>{}</eucdoc:status><eucdoc:issueDate>{}</eucdoc:issueDate>\
             <eucdoc:signedAt>{}</eucdoc:signedAt>{}\
             <eucdoc:pdfSha256>{}</eucdoc:pdfSha256><eucdoc:dataSha256>{}</eucdoc:dataSha256>\
             <eucdoc:package>{}</eucdoc:package></eucdoc:document>",
            escape(repo.base_url),
            escape(record.number.as_str()),
            escape(record.id.as_str()),
            escape(record.form.as_str()),
            escape(record.status.as_str()),
            escape(issue_date.as_str()),
            datestamp(&record.issued_at),
            record
                .revoked_at
                .as_deref()
                .map(|at| format!("<eucdoc:revokedAt>{}</eucdoc:revokedAt>", datestamp(at)))
                .unwrap_or_default(),
            escape(record.pdf_sha256.as_str()),
            escape(record.data_sha256.as_str()),
            escape(package.as_str()),
        ),
    };
    format!("<record>{header}<metadata>{metadata}</metadata></record>")
}

/// ListMetadataFormats' body.
pub fn formats_xml(base_url: &str) -> String {
    let mut out = String::from("<ListMetadataFormats>");
    for format in Format::ALL {
        let (schema, namespace) = format.schema_and_namespace(base_url);
        out.push_str(&format!(
            "<metadataFormat><metadataPrefix>{}</metadataPrefix><schema>{}</schema>\
             <metadataNamespace>{namespace}</metadataNamespace></metadataFormat>",
            format.prefix(),
            escape(schema.as_str())
        ));
    }
    out.push_str("</ListMetadataFormats>");
    out
}

/// ListSets' body.
pub fn sets_xml() -> String {
    let mut out = String::from("<ListSets>");
    for set in SETS {
        let name = crate::check::Names::of(&format!("form_{set}")).en;
        out.push_str(&format!(
            "<set><setSpec>{set}</setSpec><setName>{}</setName></set>",
            escape(name.as_str())
        ));
    }
    out.push_str("</ListSets>");
    out
}

/// Identify's body.
pub fn identify_xml(repo: Repository, admin_email: &str, earliest: &str) -> String {
    format!(
        "<Identify><repositoryName>{} — eucdoc</repositoryName><baseURL>{}/oai</baseURL>\
         <protocolVersion>2.0</protocolVersion><adminEmail>{}</adminEmail>\
         <earliestDatestamp>{}</earliestDatestamp><deletedRecord>persistent</deletedRecord>\
         <granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>",
        escape(crate::check::Names::of("authority").en.as_str()),
        escape(repo.base_url),
        escape(admin_email),
        earliest
    )
}

/// The whole answer: `body` (or the error) in the OAI-PMH envelope. The request element echoes
/// the arguments, except after badVerb and badArgument, as the protocol says.
pub fn envelope(
    base_url: &str,
    pairs: &[(String, String)],
    now: time::UtcDateTime,
    body: Result<String, OaiError>,
) -> String {
    let echo = !matches!(
        body,
        Err(OaiError::BadVerb(_)) | Err(OaiError::BadArgument(_))
    );
    let mut attributes = String::new();
    if echo {
        for (name, value) in pairs {
            attributes.push_str(&format!(
                " {}=\"{}\"",
                escape(name.as_str()),
                escape(value.as_str())
            ));
        }
    }
    let body = body.unwrap_or_else(|error| {
        format!(
            "<error code=\"{}\">{}</error>",
            error.code(),
            escape(error.to_string().as_str())
        )
    });
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd\">\
         <responseDate>{}</responseDate><request{attributes}>{}/oai</request>{body}</OAI-PMH>\n",
        datestamp(&crate::registry::registry_time(now)),
        escape(base_url)
    )
}

/// The XML Schema of the eucdoc metadata format, served at /oai/eucdoc.xsd.
pub const EUCDOC_XSD: &str = include_str!("../docs/oai/eucdoc.xsd");

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn arguments_are_checked_as_the_protocol_says() {
        let code = |list: &[(&str, &str)]| parse(&pairs(list)).err().map(|e| e.code());
        assert_eq!(code(&[]), Some("badVerb"));
        assert_eq!(code(&[("verb", "Harvest")]), Some("badVerb"));
        assert_eq!(
            code(&[("verb", "Identify"), ("verb", "Identify")]),
            Some("badVerb")
        );
        assert_eq!(
            code(&[("verb", "Identify"), ("set", "x")]),
            Some("badArgument")
        );
        assert_eq!(code(&[("verb", "ListRecords")]), Some("badArgument"));
        assert_eq!(
            code(&[("verb", "ListRecords"), ("metadataPrefix", "marc21")]),
            Some("cannotDisseminateFormat")
        );
        assert_eq!(
            code(&[
                ("verb", "ListRecords"),
                ("metadataPrefix", "oai_dc"),
                ("from", "2026-13-01")
            ]),
            Some("badArgument")
        );
        assert_eq!(
            code(&[
                ("verb", "ListRecords"),
                ("metadataPrefix", "oai_dc"),
                ("from", "2026-01-01"),
                ("until", "2026-01-01T00:00:00Z")
            ]),
            Some("badArgument")
        );
        assert_eq!(
            code(&[("verb", "ListIdentifiers"), ("resumptionToken", "nonsense")]),
            Some("badResumptionToken")
        );
        assert_eq!(
            code(&[
                ("verb", "ListIdentifiers"),
                ("resumptionToken", "x"),
                ("metadataPrefix", "oai_dc")
            ]),
            Some("badArgument")
        );
        assert_eq!(
            code(&[("verb", "GetRecord"), ("identifier", "x")]),
            Some("badArgument")
        );
    }

    #[test]
    fn until_is_inclusive_at_the_repositorys_granularity() {
        let args = list_args(Some("oai_dc"), Some("2026-11-30"), Some("2026-11-30"), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.from, "2026-11-30T00:00:00.000000Z");
        assert_eq!(args.until, "2026-12-01T00:00:00.000000Z");
        let args = list_args(
            Some("eucdoc"),
            None,
            Some("2026-11-30T10:00:59Z"),
            Some("refusal"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.until, "2026-11-30T10:01:00.000000Z");
    }

    #[test]
    fn tokens_carry_the_list_and_its_place() {
        let mut args = list_args(Some("oai_dc"), None, None, Some("refusal"))
            .unwrap_or_else(|e| panic!("{e}"));
        args.after = Some(("2026-11-30T10:00:00.000001Z".into(), "id".into()));
        let token = encode_token(&args);
        let parsed = parse(&pairs(&[
            ("verb", "ListRecords"),
            ("resumptionToken", &token),
        ]));
        assert_eq!(parsed, Ok(Request::ListRecords(args)));
    }

    #[test]
    fn identifiers_name_registry_numbers() {
        let id = identifier("eucdoc.localhost", "KZ-EUC-2026-000001");
        assert_eq!(id, "oai:eucdoc.localhost:KZ-EUC-2026-000001");
        assert_eq!(
            number_of("eucdoc.localhost", &id),
            Some("KZ-EUC-2026-000001")
        );
        assert_eq!(number_of("other.org", &id), None);
        assert_eq!(
            datestamp("2026-11-30T10:00:00.123456Z"),
            "2026-11-30T10:00:00Z"
        );
    }
}
