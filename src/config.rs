//! The service's configuration: one TOML file plus `EUCDOC_*` environment variables, every key
//! with a default, so that no configuration at all runs the service on embedded defaults
//! (SQLite and a filesystem archive under `./data`, a development PKI, a development token).
//! README ("Configuration") lists every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What can go wrong reading the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and key).
        message: String,
    },
    /// An environment variable has a value that does not parse.
    #[error("environment variable {name}: {message}")]
    Environment {
        /// The variable.
        name: String,
        /// Why.
        message: String,
    },
    /// A value is out of range.
    #[error("{key}: {message}")]
    Invalid {
        /// The configuration key.
        key: String,
        /// Why.
        message: String,
    },
}

/// Scopes a token may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Issue documents.
    Issue,
    /// Verify signed documents.
    Verify,
    /// Read the registry and the archive.
    Read,
    /// Revoke documents.
    Admin,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 4] = [Scope::Issue, Scope::Verify, Scope::Read, Scope::Admin];

    /// The scope's name in configuration and errors.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Issue => "issue",
            Scope::Verify => "verify",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

/// One API token: only its SHA-256 is configured, never the token itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who uses it (written to the audit log).
    pub name: String,
    /// SHA-256 of the token, lowercase hex (`printf %s TOKEN | sha256sum`).
    pub sha256: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
}

/// The signing key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigningConfig {
    /// PKCS#12 key store; absent: the development PKI's officer key (test documents).
    pub p12: Option<PathBuf>,
    /// Environment variable holding the key store's password.
    pub password_env: Option<String>,
    /// Further chain certificates (PEM or DER) to embed.
    pub chain: Vec<PathBuf>,
    /// PAdES level: "b-b" (default), "b-t", "b-lt", "b-lta".
    pub level: Option<String>,
    /// TSA URL (B-T and above).
    pub tsa_url: Option<String>,
    /// OCSP responder URL (B-LT and above; default: the one each certificate names).
    pub ocsp_url: Option<String>,
    /// CRL files for B-LT when OCSP does not answer.
    pub crls: Vec<PathBuf>,
}

/// Bounds on requests and work.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, bytes.
    pub body_bytes: usize,
    /// Largest application package (`POST /v1/applications`: two signed documents and scanned
    /// attachments), bytes.
    pub package_bytes: usize,
    /// Render/sign or verify jobs running at once (default: the number of cores).
    pub workers: usize,
    /// Jobs waiting beyond those running before requests get 503.
    pub queue: usize,
    /// Longest a request may take, seconds.
    pub request_seconds: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            body_bytes: 2 * 1024 * 1024,
            package_bytes: 32 * 1024 * 1024,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            queue: 64,
            request_seconds: 60,
        }
    }
}

/// Drafts of external signing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DraftsConfig {
    /// A draft not signed within this many seconds is voided (its number recorded as voided).
    pub expire_seconds: u64,
    /// How often expired drafts are looked for, seconds (they are also voided when touched).
    pub sweep_seconds: u64,
}

impl Default for DraftsConfig {
    fn default() -> Self {
        Self {
            expire_seconds: 24 * 3600,
            sweep_seconds: 60,
        }
    }
}

/// The officers' desk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskConfig {
    /// A desk session unused this many seconds ends.
    pub session_idle_seconds: u64,
    /// A desk session ends this many seconds after sign-in, used or not.
    pub session_max_seconds: u64,
    /// Mark cookies Secure: set when the service is reached over TLS (behind a proxy).
    pub secure_cookies: bool,
    /// Where the officers' pages find NCALayer (its WebSocket).
    pub ncalayer_url: String,
    /// Officers who sign in with their NCA AUTH certificate: the IIN it names decides who.
    pub officers: Vec<DeskOfficer>,
}

/// An officer who may sign in to the desk with an EDS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskOfficer {
    /// The IIN the officer's AUTH certificate names (SERIALNUMBER "IIN…").
    pub iin: String,
    /// The name shown and audited.
    pub name: String,
    /// What the officer may do.
    pub scopes: Vec<Scope>,
}

impl Default for DeskConfig {
    fn default() -> Self {
        Self {
            session_idle_seconds: 30 * 60,
            session_max_seconds: 12 * 3600,
            secure_cookies: false,
            ncalayer_url: "wss://127.0.0.1:13579/".into(),
            officers: Vec::new(),
        }
    }
}

/// The public check page (/v1/check/{number}) and its "compare your copy".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// The largest copy one may compare, in bytes (over it: 413).
    pub max_upload_bytes: usize,
    /// Comparisons one address may ask for per minute (over it: 429 with Retry-After).
    pub compares_per_minute: u32,
    /// The request header that names the client's address when a reverse proxy sits in front
    /// (e.g. "x-forwarded-for": its last entry is taken, the one the proxy added). Unset: the
    /// peer address of the connection.
    pub client_address_header: Option<String>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 2 * 1024 * 1024,
            compares_per_minute: 20,
            client_address_header: None,
        }
    }
}

/// OAI-PMH at /oai for archive ingestion.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OaiConfig {
    /// Harvesting without a token. Off: the read scope is needed.
    pub public: bool,
    /// Records per answer before a resumption token.
    pub page_size: i64,
    /// The namespace of record identifiers (`oai:{this}:{number}`): a domain name of the
    /// repository.
    pub repository_identifier: String,
    /// Identify's adminEmail.
    pub admin_email: String,
}

impl Default for OaiConfig {
    fn default() -> Self {
        Self {
            public: false,
            page_size: 100,
            repository_identifier: "eucdoc.localhost".into(),
            admin_email: "archive@eucdoc.localhost".into(),
        }
    }
}

/// Long-term renewal of archived documents by `eucdoc serve` (`eucdoc archive refresh` does the
/// same on demand).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RenewalConfig {
    /// How often `serve` renews the documents due; 0 (the default): never, leave it to
    /// `eucdoc archive refresh`. Uses `[signing] tsa_url`.
    pub every_seconds: u64,
    /// A document is due when its newest document timestamp's certificates end within this many
    /// days (or it has none).
    pub horizon_days: u64,
}

impl Default for RenewalConfig {
    fn default() -> Self {
        Self {
            every_seconds: 0,
            horizon_days: 365,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite registry, the archive, the development PKI and token.
    pub data_dir: PathBuf,
    /// Registry: `sqlite://PATH` or `postgres://...` (default: SQLite in `data_dir`).
    pub database_url: Option<String>,
    /// Archive: `s3://bucket/prefix` (endpoint and credentials from the `AWS_*` environment
    /// variables), `file:///folder` or a folder (default: `archive` in `data_dir`).
    pub archive_url: Option<String>,
    /// An archived PDF without a registry record is moved to `orphans/` at start only once it
    /// is this old, so that a process starting beside others on one archive never takes a
    /// document still being issued by another. At least `limits.request_seconds`.
    pub orphan_grace_seconds: u64,
    /// Base URL of the public check page that QR codes point to.
    pub base_url: String,
    /// Registry number format: `{form}` (EUC, IIC, REF), `{year}`, `{seq}` or `{seq:0N}`.
    pub number_format: String,
    /// Trust anchors (PEM or DER) of `POST /v1/verify`; the development root is added in
    /// development mode.
    pub trust: Vec<PathBuf>,
    /// CRLs (PEM or DER) that `POST /v1/verify` and the check of officers' certificates for
    /// drafts have at hand (the CA's latest); the development CRLs are added in development
    /// mode.
    pub crls: Vec<PathBuf>,
    /// API tokens; empty: a development token with every scope is generated.
    pub tokens: Vec<TokenConfig>,
    /// The signing key.
    pub signing: SigningConfig,
    /// Bounds.
    pub limits: LimitsConfig,
    /// Drafts of external signing (the officer's token through NCALayer).
    pub drafts: DraftsConfig,
    /// The officers' desk (/desk/).
    pub desk: DeskConfig,
    /// The public check page.
    pub check: CheckConfig,
    /// OAI-PMH.
    pub oai: OaiConfig,
    /// Long-term renewal in `serve`.
    pub renewal: RenewalConfig,
    /// Log format: "text" or "json".
    pub log_format: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            archive_url: None,
            orphan_grace_seconds: 600,
            base_url: "http://127.0.0.1:8080".into(),
            number_format: "KZ-{form}-{year}-{seq:06}".into(),
            trust: Vec::new(),
            crls: Vec::new(),
            tokens: Vec::new(),
            signing: SigningConfig::default(),
            limits: LimitsConfig::default(),
            drafts: DraftsConfig::default(),
            desk: DeskConfig::default(),
            check: CheckConfig::default(),
            oai: OaiConfig::default(),
            renewal: RenewalConfig::default(),
            log_format: "text".into(),
        }
    }
}

impl Config {
    /// Reads `file` (when given) over the defaults, then the `EUCDOC_*` variables of `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            None => Config::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Syntax {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?
            }
        };
        let parse_env = |name: &str, message: String| ConfigError::Environment {
            name: name.into(),
            message,
        };
        if let Some(value) = env("EUCDOC_LISTEN") {
            config.listen = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_LISTEN", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_DATA_DIR") {
            config.data_dir = value.into();
        }
        if let Some(value) = env("EUCDOC_DATABASE_URL") {
            config.database_url = Some(value);
        }
        if let Some(value) = env("EUCDOC_ARCHIVE_URL") {
            config.archive_url = Some(value);
        }
        if let Some(value) = env("EUCDOC_ORPHAN_GRACE_SECONDS") {
            config.orphan_grace_seconds = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_ORPHAN_GRACE_SECONDS", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_BASE_URL") {
            config.base_url = value;
        }
        if let Some(value) = env("EUCDOC_NUMBER_FORMAT") {
            config.number_format = value;
        }
        if let Some(value) = env("EUCDOC_SIGNING_P12") {
            config.signing.p12 = Some(value.into());
        }
        if let Some(value) = env("EUCDOC_SIGNING_PASSWORD_ENV") {
            config.signing.password_env = Some(value);
        }
        if let Some(value) = env("EUCDOC_TSA_URL") {
            config.signing.tsa_url = Some(value);
        }
        if let Some(value) = env("EUCDOC_OCSP_URL") {
            config.signing.ocsp_url = Some(value);
        }
        if let Some(value) = env("EUCDOC_WORKERS") {
            config.limits.workers = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_WORKERS", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_QUEUE") {
            config.limits.queue = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_QUEUE", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_BODY_BYTES") {
            config.limits.body_bytes = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_BODY_BYTES", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_PACKAGE_BYTES") {
            config.limits.package_bytes = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_PACKAGE_BYTES", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_DRAFT_EXPIRE_SECONDS") {
            config.drafts.expire_seconds = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_DRAFT_EXPIRE_SECONDS", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_DESK_SESSION_IDLE_SECONDS") {
            config.desk.session_idle_seconds = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_DESK_SESSION_IDLE_SECONDS", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_DESK_NCALAYER_URL") {
            config.desk.ncalayer_url = value;
        }
        if let Some(value) = env("EUCDOC_CHECK_COMPARES_PER_MINUTE") {
            config.check.compares_per_minute = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_CHECK_COMPARES_PER_MINUTE", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_CHECK_MAX_UPLOAD_BYTES") {
            config.check.max_upload_bytes = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_CHECK_MAX_UPLOAD_BYTES", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_OAI_PUBLIC") {
            config.oai.public = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_OAI_PUBLIC", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_OAI_PAGE_SIZE") {
            config.oai.page_size = value
                .parse()
                .map_err(|e| parse_env("EUCDOC_OAI_PAGE_SIZE", format!("{e}")))?;
        }
        if let Some(value) = env("EUCDOC_LOG_FORMAT") {
            config.log_format = value;
        }
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        if self.limits.workers == 0 {
            return Err(invalid("limits.workers", "must be at least 1"));
        }
        if self.limits.package_bytes < 1024 {
            return Err(invalid("limits.package_bytes", "must be at least 1024"));
        }
        if self.limits.body_bytes < 1024 {
            return Err(invalid("limits.body_bytes", "must be at least 1024"));
        }
        if self.drafts.expire_seconds == 0 || self.drafts.sweep_seconds == 0 {
            return Err(invalid(
                "drafts",
                "expire_seconds and sweep_seconds must be at least 1",
            ));
        }
        if self.desk.session_idle_seconds == 0
            || self.desk.session_max_seconds < self.desk.session_idle_seconds
        {
            return Err(invalid(
                "desk",
                "session_idle_seconds must be at least 1 and at most session_max_seconds",
            ));
        }
        if !(self.desk.ncalayer_url.starts_with("wss://")
            || self.desk.ncalayer_url.starts_with("ws://"))
            || self.desk.ncalayer_url.contains(['"', '\'', ';', ' '])
        {
            return Err(invalid(
                "desk.ncalayer_url",
                "must be a ws:// or wss:// URL",
            ));
        }
        for officer in &self.desk.officers {
            if officer.iin.len() != 12 || !officer.iin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("desk.officers.iin", "must be 12 digits"));
            }
        }
        if self.renewal.every_seconds > 0 && self.signing.tsa_url.is_none() {
            return Err(invalid(
                "renewal.every_seconds",
                "renewal needs a TSA: set [signing] tsa_url",
            ));
        }
        if self.orphan_grace_seconds < self.limits.request_seconds {
            return Err(invalid(
                "orphan_grace_seconds",
                "must be at least limits.request_seconds: a younger PDF may still be committing",
            ));
        }
        if !(1..=1000).contains(&self.oai.page_size) {
            return Err(invalid("oai.page_size", "must be between 1 and 1000"));
        }
        if self.oai.repository_identifier.is_empty()
            || !self
                .oai
                .repository_identifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        {
            return Err(invalid(
                "oai.repository_identifier",
                "must be a domain name (letters, digits, dots, hyphens)",
            ));
        }
        if self.check.compares_per_minute == 0 {
            return Err(invalid("check.compares_per_minute", "must be at least 1"));
        }
        if self.check.max_upload_bytes < 1024
            || self.check.max_upload_bytes > crate::verify::MAX_INPUT_BYTES
        {
            return Err(invalid(
                "check.max_upload_bytes",
                "must be between 1024 and the verifier's limit (64 MiB)",
            ));
        }
        if self
            .check
            .client_address_header
            .as_deref()
            .is_some_and(|name| axum::http::HeaderName::from_bytes(name.as_bytes()).is_err())
        {
            return Err(invalid(
                "check.client_address_header",
                "must be a header name",
            ));
        }
        if !self.number_format.contains("{seq") {
            return Err(invalid("number_format", "must contain {seq} or {seq:0N}"));
        }
        for token in &self.tokens {
            if token.sha256.len() != 64 || hex::decode(&token.sha256).is_err() {
                return Err(invalid(
                    "tokens.sha256",
                    "must be 64 hex digits (the SHA-256 of the token)",
                ));
            }
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(invalid("log_format", "must be \"text\" or \"json\""));
        }
        Ok(())
    }

    /// The registry URL: the configured one, or SQLite in the data folder.
    pub fn registry_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("registry.db").display()
            )
        })
    }

    /// The archive's URL or folder (default: `archive` in `data_dir`).
    pub fn archive_location(&self) -> String {
        self.archive_url
            .clone()
            .unwrap_or_else(|| self.data_dir.join("archive").display().to_string())
    }
}

/// The registry number for `form`, `year` and sequence `seq` in `format`.
pub fn format_number(format: &str, form_code: &str, year: i32, seq: i64) -> String {
    let mut out = format
        .replace("{form}", form_code)
        .replace("{year}", &year.to_string());
    // {seq:0N} pads to N digits; {seq} does not pad.
    while let Some(start) = out.find("{seq") {
        let Some(end) = out[start..].find('}').map(|e| start + e) else {
            break;
        };
        let spec = &out[start + 4..end];
        let width = spec
            .strip_prefix(":0")
            .and_then(|w| w.parse::<usize>().ok())
            .unwrap_or(0);
        out.replace_range(start..=end, &format!("{seq:0width$}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_format() {
        assert_eq!(
            format_number("KZ-{form}-{year}-{seq:06}", "EUC", 2026, 123),
            "KZ-EUC-2026-000123"
        );
        assert_eq!(
            format_number("{form}/{seq}/{year}", "IIC", 2027, 5),
            "IIC/5/2027"
        );
    }

    #[test]
    fn a_toml_file_sets_every_section_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eucdoc.toml");
        std::fs::write(
            &path,
            r#"
listen = "0.0.0.0:8443"
database_url = "postgres://eucdoc@db/eucdoc"
number_format = "{form}-{year}/{seq:05}"
[[tokens]]
name = "upstream"
sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
scopes = ["issue", "read"]
[signing]
level = "b-t"
tsa_url = "http://tsp.pki.gov.kz/"
[limits]
queue = 8
"#,
        )
        .unwrap();
        let config = Config::load(Some(&path), |_| None).unwrap();
        assert_eq!(config.listen.port(), 8443);
        assert_eq!(config.registry_url(), "postgres://eucdoc@db/eucdoc");
        assert_eq!(config.tokens[0].scopes, vec![Scope::Issue, Scope::Read]);
        assert_eq!(config.signing.level.as_deref(), Some("b-t"));
        assert_eq!(config.limits.queue, 8);
        assert_eq!(config.limits.body_bytes, 2 * 1024 * 1024, "defaults kept");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisten_port = 2\n").unwrap();
        let error = Config::load(Some(&path), |_| None).unwrap_err();
        assert!(error.to_string().contains("listen_port"), "{error}");
        std::fs::write(
            &path,
            "[[tokens]]\nname = \"x\"\nsha256 = \"short\"\nscopes = []\n",
        )
        .unwrap();
        assert!(matches!(
            Config::load(Some(&path), |_| None),
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn environment_overrides_the_file_and_bad_values_are_named() {
        let config = Config::load(None, |name| match name {
            "EUCDOC_LISTEN" => Some("0.0.0.0:9000".into()),
            "EUCDOC_WORKERS" => Some("3".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.limits.workers, 3);
        let error = Config::load(None, |name| {
            (name == "EUCDOC_WORKERS").then(|| "many".to_string())
        })
        .unwrap_err();
        assert!(error.to_string().contains("EUCDOC_WORKERS"), "{error}");
    }
}
