//! What the HTTP service does, as a library: issue (validate, render, sign, register, archive),
//! read, search, revoke, verify, and the public check behind the QR code. The HTTP layer
//! (`http`) only translates requests and answers; everything here is reachable from tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Config;
use crate::model::{self, FieldError};
use crate::registry::{
    ApplicationRecord, Archive, ArchiveError, Built, DocumentRecord, Hashed, Idempotency, Registry,
    RegistryError, Search,
};
use crate::render::{RenderConfig, Renderer};
use crate::sign::{self, LevelOptions, Signer};
use crate::verify::{self, Report, VerifyOptions};

/// What the service can fail with; the HTTP layer maps each to a problem response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The input is invalid: every problem with its JSON path.
    #[error("invalid input: {} problem(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// No such document.
    #[error("not found: {0}")]
    NotFound(String),
    /// The same idempotency key came with a different body.
    #[error("the Idempotency-Key was used with a different request")]
    IdempotencyConflict,
    /// Revoking a revoked document.
    #[error("document {0} is revoked already")]
    AlreadyRevoked(String),
    /// Too much work queued: try again later.
    #[error("busy: too many requests are waiting")]
    Busy,
    /// The body is not JSON at all.
    #[error("{0}")]
    Malformed(String),
    /// An application package lacks a document, or has one twice.
    #[error("{0}")]
    IncompletePackage(String),
    /// The signed document could not be verified at all (not a PDF or CMS).
    #[error("unreadable signed document: {0}")]
    Unreadable(String),
    /// A bad search parameter.
    #[error("{name}: {message}")]
    BadParameter {
        /// The parameter.
        name: String,
        /// Why.
        message: String,
    },
    /// Not allowed: a sign-in that does not prove an officer (why, for the officer).
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// The registry failed.
    #[error(transparent)]
    Registry(RegistryError),
    /// The archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// Start-up failed.
    #[error("start-up: {0}")]
    Startup(String),
    /// Rendering or signing failed for a reason that is not the client's input.
    #[error("internal: {0}")]
    Internal(String),
    /// A draft that is not waiting for a signature (signed already, voided, expired).
    #[error("document {number} is {status}, not a draft waiting for its signature")]
    NotADraft {
        /// Its number.
        number: String,
        /// "issued", "voided", "revoked".
        status: String,
    },
    /// A draft still waiting for its signature: there is nothing final to package yet.
    #[error("document {0} is a draft waiting for its signature; nothing final to package yet")]
    NotFinal(String),
    /// A bag could not be built or written.
    #[error(transparent)]
    Bag(#[from] crate::registry::bag::BagError),
    /// Long-term renewal cannot be done (no TSA, a TSA whose certificate ends too soon, no
    /// validation data for a certificate).
    #[error("long-term renewal: {0}")]
    Renewal(String),
}

impl From<RegistryError> for ServiceError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::NotFound(id) => ServiceError::NotFound(id),
            RegistryError::IdempotencyConflict => ServiceError::IdempotencyConflict,
            RegistryError::AlreadyRevoked(number) => ServiceError::AlreadyRevoked(number),
            RegistryError::BadCursor => ServiceError::BadParameter {
                name: "cursor".into(),
                message: "not a cursor this service handed out".into(),
            },
            RegistryError::NotADraft { number, status } => {
                ServiceError::NotADraft { number, status }
            }
            other => ServiceError::Registry(other),
        }
    }
}

/// What long-term renewal needs ([`Service::renewal`]).
#[derive(Debug, Clone)]
pub struct Renewal {
    sources: sign::revocation::RevocationSources,
    tsa: sign::timestamp::Tsa,
    tsa_certificates: Vec<Vec<u8>>,
}

/// What [`Service::renew_document`] did.
#[derive(Debug, Clone)]
pub enum Renewed {
    /// Nothing: the document stays provable past the horizon (or has no signed PDF).
    NotDue,
    /// A new revision is archived and registered: the record as it is now.
    Renewed(Box<DocumentRecord>),
}

/// What [`Service::renew_all`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalSummary {
    /// Final documents looked at.
    pub documents: usize,
    /// Of which renewed now.
    pub renewed: usize,
}

/// An issued document and whether it was issued before under the same idempotency key.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The registry record.
    pub record: DocumentRecord,
    /// True when this is a retry answered with the earlier document.
    pub replayed: bool,
}

pub use crate::check::CheckAnswer;

/// The durations the metrics report.
#[derive(Debug, Clone, Copy, Default)]
pub struct IssueTimings {
    /// Rendering, seconds.
    pub render: f64,
    /// Signing, seconds.
    pub sign: f64,
}

/// Everything the service holds.
pub struct Service {
    config: Config,
    renderer: Arc<Renderer>,
    signer: Arc<dyn Signer>,
    /// The registry's JSON of `signer`'s identity, made once: every issued record carries it.
    signer_json: Arc<str>,
    levels: Arc<LevelOptions>,
    registry: Registry,
    archive: Archive,
    trust_anchors: Vec<Vec<u8>>,
    /// CRLs `verify` has at hand (the development PKI's, in development mode).
    verify_crls: Vec<Vec<u8>>,
    /// The threads render/sign and verify jobs run on.
    workers: crate::workers::Workers,
    /// Jobs admitted (running or waiting); beyond it, Busy.
    admitted: Arc<Semaphore>,
    development: bool,
    /// The development token, when one was generated at this start (printed once).
    pub new_dev_token: Option<String>,
    /// Archive files the registry does not know, found at start.
    pub orphans: Vec<String>,
}

/// The development key stores' password: public, for tests only.
const DEV_PASSWORD: &str = "eucdoc-dev";

impl Service {
    /// Starts from `config`: opens the registry and archive, loads the key (or creates the
    /// development PKI), loads or creates the development token, checks for orphans.
    pub async fn start(config: Config) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            ServiceError::Startup(format!("cannot create {}: {e}", config.data_dir.display()))
        })?;
        let registry = Registry::connect(&config.registry_url()).await?;
        let archive = Archive::open_url(&config.archive_location())?;
        let now = time::UtcDateTime::now();
        let (signer, mut trust_anchors, development) = load_signer(&config, now)?;
        let mut verify_crls = Vec::new();
        if development && config.signing.p12.is_none() {
            for name in ["nca.crl", "root.crl"] {
                let path = config.data_dir.join("dev-pki").join(name);
                verify_crls.push(
                    std::fs::read(&path)
                        .map_err(|e| ServiceError::Startup(format!("{}: {e}", path.display())))?,
                );
            }
        }
        for path in &config.crls {
            let bytes = std::fs::read(path)
                .map_err(|e| ServiceError::Startup(format!("CRL {}: {e}", path.display())))?;
            // The verifier takes DER; PEM is converted once here.
            let der = if bytes.starts_with(b"-----") {
                openssl::x509::X509Crl::from_pem(&bytes)
                    .and_then(|crl| crl.to_der())
                    .map_err(|e| ServiceError::Startup(format!("CRL {}: {e}", path.display())))?
            } else {
                bytes
            };
            verify_crls.push(der);
        }
        for path in &config.trust {
            let bytes = std::fs::read(path).map_err(|e| {
                ServiceError::Startup(format!("trust anchor {}: {e}", path.display()))
            })?;
            trust_anchors.extend(sign::certificates_from_file(&bytes).map_err(|e| {
                ServiceError::Startup(format!("trust anchor {}: {e}", path.display()))
            })?);
        }
        let mut crls = Vec::new();
        for path in &config.signing.crls {
            crls.push(
                std::fs::read(path)
                    .map_err(|e| ServiceError::Startup(format!("CRL {}: {e}", path.display())))?,
            );
        }
        let levels = LevelOptions::for_level(
            config.signing.level.as_deref().unwrap_or("b-b"),
            config.signing.tsa_url.as_deref(),
            config.signing.ocsp_url.clone(),
            crls,
        )
        .map_err(|e| ServiceError::Startup(format!("signing.level: {e}")))?;
        let renderer = Renderer::new(RenderConfig {
            base_url: config.base_url.clone(),
        })
        .map_err(|e| ServiceError::Startup(format!("renderer: {e}")))?;
        let new_dev_token = if config.tokens.is_empty() {
            dev_token(&config.data_dir)?
        } else {
            None
        };
        let known: std::collections::HashSet<String> =
            registry.pdf_hashes().await?.into_iter().collect();
        // An orphan is a PDF whose issue never committed: nobody received it. Or its metadata
        // alone, written first, when the issue stopped before the PDF. It is moved out of the
        // archive (kept for inspection) and reported by the caller. A younger one may be
        // another process's issue on the same archive, not committed yet: it stays.
        let settled_before =
            now - time::Duration::seconds(config.orphan_grace_seconds.min(i64::MAX as u64) as i64);
        let orphans: Vec<String> = archive
            .documents()
            .await?
            .into_iter()
            .filter(|stored| !known.contains(&stored.sha256) && stored.written < settled_before)
            .map(|stored| stored.sha256)
            .collect();
        for orphan in &orphans {
            archive.quarantine(orphan).await?;
        }
        let workers = config.limits.workers;
        let queue = config.limits.queue;
        Ok(Self {
            renderer: Arc::new(renderer),
            signer_json: signer_json(signer.certificate_der()).into(),
            signer,
            levels: Arc::new(levels),
            registry,
            archive,
            trust_anchors,
            verify_crls,
            workers: crate::workers::Workers::new(workers, crate::batch::WORKER_STACK_BYTES)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
            admitted: Arc::new(Semaphore::new(workers + queue)),
            development,
            new_dev_token,
            orphans,
            config,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether documents are signed with the development key (test documents).
    pub fn is_development(&self) -> bool {
        self.development
    }

    /// Signs an officer in to the desk: a new session, recorded in the registry by hash (with
    /// its CSRF token, which each page reads from there), audited with `how`; its id, for the
    /// cookie.
    pub async fn desk_sign_in(
        &self,
        officer: &str,
        scopes: &[String],
        how: &str,
    ) -> Result<String, ServiceError> {
        use crate::desk::session;
        let (id, csrf) = (session::new_secret(), session::new_secret());
        let now = time::UtcDateTime::now();
        self.registry
            .open_session(&crate::registry::NewDeskSession {
                id_sha256: &session::id_hash(&id),
                officer,
                scopes,
                csrf: &csrf,
                now,
                expires_at: self.desk_lifetimes().expires_at(now),
                how,
            })
            .await?;
        Ok(id)
    }

    /// Signs an officer in with an EDS: `cms` (DER, PEM or base64, as NCALayer returns it)
    /// must sign exactly `challenge` with an AUTH key whose certificate passes the verifier
    /// (chain to a trust anchor, revocation) and names the IIN of a configured officer. The new
    /// session's id, as [`Service::desk_sign_in`].
    pub async fn desk_sign_in_eds(
        &self,
        cms: Vec<u8>,
        challenge: Vec<u8>,
    ) -> Result<String, ServiceError> {
        let _admitted = self.admit()?;
        let options = VerifyOptions {
            purpose: verify::Purpose::Authentication,
            ..self.verify_options()
        };
        let report = self
            .run_bounded(move || verify::verify(&cms, Some(&challenge), &options))
            .await?
            .map_err(|e| ServiceError::NotAllowed(format!("the signature cannot be read: {e}")))?;
        let signature = report
            .signatures
            .first()
            .filter(|_| report.signatures.len() == 1)
            .ok_or_else(|| ServiceError::NotAllowed("exactly one signature is needed".into()))?;
        if signature.indication != verify::Indication::TotalPassed {
            return Err(ServiceError::NotAllowed(format!(
                "the signature does not pass: {}",
                signature.reasons.join("; ")
            )));
        }
        let iin = signature
            .signer
            .as_ref()
            .and_then(|s| s.iin.clone())
            .ok_or_else(|| ServiceError::NotAllowed("the certificate names no IIN".into()))?;
        let officer = self
            .config()
            .desk
            .officers
            .iter()
            .find(|o| o.iin == iin)
            .ok_or_else(|| {
                ServiceError::NotAllowed(format!("IIN {iin} is not an officer of this service"))
            })?;
        let scopes: Vec<String> = officer
            .scopes
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        let serial = signature
            .signer
            .as_ref()
            .map(|s| s.serial.clone())
            .unwrap_or_default();
        self.desk_sign_in(
            &officer.name,
            &scopes,
            &format!("EDS, certificate {serial}"),
        )
        .await
    }

    /// The live desk session a cookie's id names, marked seen; `None` when it is unknown, idle
    /// too long, past its absolute expiry, or signed out.
    pub async fn desk_session(
        &self,
        id: &str,
    ) -> Result<Option<crate::registry::DeskSessionRecord>, ServiceError> {
        let now = time::UtcDateTime::now();
        let lifetimes = self.desk_lifetimes();
        Ok(self
            .registry
            .live_session(
                &crate::desk::session::id_hash(id),
                now,
                lifetimes.idle_since(now),
                lifetimes.touch_before(now),
            )
            .await?)
    }

    /// Ends a desk session.
    pub async fn desk_sign_out(&self, id: &str, officer: &str) -> Result<(), ServiceError> {
        Ok(self
            .registry
            .end_session(&crate::desk::session::id_hash(id), officer)
            .await?)
    }

    /// How long desk sessions live.
    pub fn desk_lifetimes(&self) -> crate::desk::session::Lifetimes {
        let desk = &self.config().desk;
        crate::desk::session::Lifetimes {
            idle: std::time::Duration::from_secs(desk.session_idle_seconds),
            absolute: std::time::Duration::from_secs(desk.session_max_seconds),
        }
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The archive.
    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// The trust anchors `verify` uses.
    pub fn trust_anchors(&self) -> &[Vec<u8>] {
        &self.trust_anchors
    }

    /// Admits one request that will need a worker, or says Busy when as many are running and
    /// waiting as the limits allow (the caller answers 503 with Retry-After).
    fn admit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ServiceError> {
        self.admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| ServiceError::Busy)
    }

    /// Runs `job` on a worker thread, at most `workers` at once.
    async fn run_bounded<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        self.workers.run(job).await.map_err(|e| match e {
            crate::workers::WorkersError::Closed => ServiceError::Busy,
            other => ServiceError::Internal(format!("worker: {other}")),
        })
    }

    /// Validates, renders, signs, archives and registers one document. With an idempotency key,
    /// a retry of the same body returns the first document; another body is a conflict.
    /// With `application_id`, the document answers that accepted application package: a
    /// certificate must match it ([`crate::applications::certificate_mismatches`]), a refusal
    /// takes the application's number and date from it; the record names it.
    pub async fn issue(
        &self,
        body: &[u8],
        idempotency_key: Option<&str>,
        application_id: Option<&str>,
        actor: &str,
    ) -> Result<(Issued, IssueTimings), ServiceError> {
        let idempotency = idempotency_key.map(|key| Idempotency {
            token_name: actor.to_string(),
            key: key.to_string(),
            request_sha256: hex::encode(openssl::sha::sha256(body)),
        });
        if let Some(issued) = self.replay(idempotency.as_ref()).await? {
            return Ok((issued, IssueTimings::default()));
        }
        let application = match application_id {
            Some(id) => Some((id, self.application_for(id).await?)),
            None => None,
        };
        let filled = match &application {
            Some((id, application)) => linked_refusal(body, application, id)?,
            None => None,
        };
        let input = parse_input(filled.as_deref().unwrap_or(body))?;
        if let Some((_, application)) = &application {
            matches_application(application, &input)?;
        }
        let application_id = application_id.map(str::to_string);
        let _admitted = self.admit()?;
        let form = input.document().form();
        let year = issue_year(&input);
        let input = Arc::new(input);
        let timings = Arc::new(std::sync::Mutex::new(IssueTimings::default()));
        let result = self
            .registry
            .issue(form.key(), year, idempotency.as_ref(), actor, |seq| {
                let number = self.number(form, year, seq);
                let timings = timings.clone();
                // The registry assigns the number: it replaces any the input carries, in the
                // data the PDF attaches and the registry keeps.
                let numbered = with_number(&input, &number);
                let application_id = application_id.clone();
                async move {
                    let input = Arc::new(numbered?);
                    let mut built = self.build(input, number, year, seq, timings).await?;
                    built.record.application_id = application_id;
                    Ok(built)
                }
            })
            .await;
        let timings = timings.lock().map(|t| *t).unwrap_or_default();
        match result {
            Ok(record) => Ok((
                Issued {
                    record,
                    replayed: false,
                },
                timings,
            )),
            // Two concurrent retries with one key: the loser's insert of the key fails; answer
            // with the winner's document.
            Err(RegistryError::Database(error)) if idempotency.is_some() => {
                match self.replay(idempotency.as_ref()).await? {
                    Some(issued) => Ok((issued, timings)),
                    None => Err(ServiceError::Registry(RegistryError::Database(error))),
                }
            }
            Err(RegistryError::Build(reason)) if reason == BUSY => Err(ServiceError::Busy),
            Err(error) => Err(error.into()),
        }
    }

    /// The unsigned PDF the input would give, for checking before issuing: numbered
    /// "PREVIEW" and marked as a test document, so it can never pass for an issued one.
    pub async fn preview(&self, body: &[u8]) -> Result<Vec<u8>, ServiceError> {
        let input = parse_input(body)?;
        let _admitted = self.admit()?;
        let renderer = self.renderer.clone();
        self.run_bounded(move || {
            renderer
                .render_marked(&input, "PREVIEW", time::UtcDateTime::now(), true)
                .map(|rendered| rendered.pdf)
                .map_err(|e| ServiceError::Internal(format!("render: {e}")))
        })
        .await?
    }

    /// The desk's verification report as a PDF/A signed with the service's key (PAdES B-B,
    /// invisible): `files` as the desk shows them, in `lang`, checked by `officer`. Its QR code
    /// holds the report's fingerprint: each file's SHA-256 and verdict, and when, so a printed
    /// copy can be tied to the files it speaks of.
    pub async fn desk_report_pdf(
        &self,
        files: &[crate::desk::view::FileView],
        lang: crate::desk::Lang,
        officer: &str,
    ) -> Result<Vec<u8>, ServiceError> {
        let now = time::UtcDateTime::now();
        let made_at = crate::registry::registry_time(now);
        let mut fingerprint = format!("eucdoc verification report {made_at}");
        for file in files {
            fingerprint.push_str(&format!(
                "\n{} sha256={} {}",
                file.name,
                file.sha256,
                file.error.as_deref().unwrap_or(&file.summary)
            ));
        }
        let data = serde_json::json!({
            "t": crate::desk::texts::texts(lang),
            "lang": lang.code(),
            "made_at": made_at,
            "officer": officer,
            "files": files,
        });
        let _admitted = self.admit()?;
        let renderer = self.renderer.clone();
        let signer = self.signer.clone();
        self.run_bounded(move || {
            let pdf = renderer
                .render_report(&data, &fingerprint, now)
                .map_err(|e| ServiceError::Internal(format!("report: {e}")))?;
            sign::sign_pdf(&pdf, signer.as_ref(), &sign::SignRequest::basic(now))
                .map_err(|e| ServiceError::Internal(format!("signing the report: {e}")))
        })
        .await?
    }

    /// The document an idempotency key already produced, as a replay.
    async fn replay(
        &self,
        idempotency: Option<&Idempotency>,
    ) -> Result<Option<Issued>, ServiceError> {
        let Some(idempotency) = idempotency else {
            return Ok(None);
        };
        let Some(id) = self.registry.idempotent(idempotency).await? else {
            return Ok(None);
        };
        Ok(Some(Issued {
            record: self.registry.get(&id).await?,
            replayed: true,
        }))
    }

    async fn build(
        &self,
        input: Arc<model::Input>,
        number: String,
        year: i64,
        seq: i64,
        timings: Arc<std::sync::Mutex<IssueTimings>>,
    ) -> Result<Built, String> {
        let renderer = self.renderer.clone();
        let signer = self.signer.clone();
        let levels = self.levels.clone();
        let now = time::UtcDateTime::now();
        let job_number = number.clone();
        let job_input = input.clone();
        let (pdf, render_seconds, sign_seconds) = self
            .run_bounded(move || {
                let started = std::time::Instant::now();
                let test_document = sign::is_test_signer(signer.as_ref());
                let rendered = renderer
                    .render_marked(&job_input, &job_number, now, test_document)
                    .map_err(|e| format!("render: {e}"))?;
                let render_seconds = started.elapsed().as_secs_f64();
                let started = std::time::Instant::now();
                let signed = sign::sign_with_stamp(
                    &rendered.pdf,
                    signer.as_ref(),
                    &renderer,
                    &sign::StampOptions {
                        place: &rendered.signature_place,
                        position: job_input.document().signer_position(),
                        time: now,
                        levels: &levels,
                        watermark_pages: false,
                    },
                )
                .map_err(|e| format!("sign: {e}"))?;
                Ok::<_, String>((signed, render_seconds, started.elapsed().as_secs_f64()))
            })
            .await
            .map_err(|e| match e {
                ServiceError::Busy => BUSY.to_string(),
                other => other.to_string(),
            })??;
        if let Ok(mut t) = timings.lock() {
            *t = IssueTimings {
                render: render_seconds,
                sign: sign_seconds,
            };
        }
        let pdf = Hashed::new(pdf);
        let record = new_record(
            &input,
            number,
            year,
            seq,
            now,
            &pdf,
            self.signer_json.to_string(),
        );
        self.archive_with_record(pdf, &record).await?;
        Ok(Built {
            record,
            draft: None,
        })
    }

    /// Puts `pdf` into the archive with `record` as its metadata (fsynced before the caller
    /// commits the record).
    async fn archive_with_record(
        &self,
        pdf: Hashed,
        record: &DocumentRecord,
    ) -> Result<(), String> {
        let metadata = serde_json::to_vec_pretty(record).map_err(|e| e.to_string())?;
        let pdf_sha256 = self
            .archive
            .put(pdf, metadata)
            .await
            .map_err(|e| e.to_string())?;
        debug_assert_eq!(pdf_sha256, record.pdf_sha256);
        Ok(())
    }

    /// A document's registry record.
    pub async fn get(&self, id: &str) -> Result<DocumentRecord, ServiceError> {
        Ok(self.registry.get(id).await?)
    }

    /// A document's signed PDF, from the archive (checked against its hash).
    pub async fn pdf(&self, id: &str) -> Result<(DocumentRecord, Vec<u8>), ServiceError> {
        let record = self.registry.get(id).await?;
        let pdf = self.archive.get(&record.pdf_sha256).await?;
        Ok((record, pdf))
    }

    /// The archival package of a final document (issued, revoked or voided) as a BagIt bag:
    /// the PDF from the archive (hash-checked), its data, the verification report made now
    /// (JSON and ETSI TS 119 102-2 XML), the registry record and its audit trail.
    pub async fn package(
        &self,
        id: &str,
    ) -> Result<(DocumentRecord, crate::registry::bag::Bag), ServiceError> {
        let (record, pdf) = self.pdf(id).await?;
        if record.status == "draft" {
            return Err(ServiceError::NotFinal(record.number));
        }
        let audit = self.registry.audit_of(&record.id).await?;
        let options = self.verify_options();
        let (report, pdf) = self
            .run_bounded(move || (verify::verify_pdf(&pdf, &options), pdf))
            .await?;
        let mut payload = vec![
            ("document.pdf".to_string(), pdf),
            ("data.json".to_string(), record.data.clone().into_bytes()),
        ];
        match report {
            Ok(report) => {
                payload.push((
                    "verification-report.json".into(),
                    serde_json::to_vec_pretty(&report).unwrap_or_default(),
                ));
                payload.push((
                    "verification-report.xml".into(),
                    verify::etsi::to_xml(&report).into_bytes(),
                ));
            }
            Err(error) => payload.push((
                "verification-report.txt".into(),
                format!("the PDF could not be verified: {error}\n").into_bytes(),
            )),
        }
        let record_json = serde_json::json!({
            "id": record.id, "number": record.number, "form": record.form,
            "year": record.year, "seq": record.seq, "issued_at": record.issued_at,
            "status": record.status, "applicant_bin": record.applicant_bin,
            "data_sha256": record.data_sha256, "pdf_sha256": record.pdf_sha256,
            "pdf_size": record.pdf_size,
            "signer": serde_json::from_str::<serde_json::Value>(&record.signer).unwrap_or_default(),
            "revoked_at": record.revoked_at, "revocation_reason": record.revocation_reason,
        });
        payload.push((
            "record.json".into(),
            serde_json::to_vec_pretty(&record_json).unwrap_or_default(),
        ));
        let audit_json: Vec<serde_json::Value> = audit
            .iter()
            .map(|(at, actor, action, detail)| {
                serde_json::json!({ "at": at, "actor": actor, "action": action, "detail": detail })
            })
            .collect();
        payload.push((
            "audit.json".into(),
            serde_json::to_vec_pretty(&audit_json).unwrap_or_default(),
        ));
        let form_name = crate::check::Names::of(&format!("form_{}", record.form)).en;
        let mut info = vec![
            (
                "Source-Organization",
                crate::check::Names::of("authority").en,
            ),
            ("External-Identifier", record.number.clone()),
            ("Internal-Sender-Identifier", record.id.clone()),
            (
                "External-Description",
                format!("{form_name} {}, {}", record.number, record.status),
            ),
            (
                "Bagging-Date",
                crate::check::astana_date(time::UtcDateTime::now()).to_string(),
            ),
            (
                "Bag-Software-Agent",
                format!("eucdoc {}", env!("CARGO_PKG_VERSION")),
            ),
            ("Eucdoc-Form", record.form.clone()),
            ("Eucdoc-Status", record.status.clone()),
            ("Eucdoc-Issued-At", record.issued_at.clone()),
            ("Eucdoc-Data-SHA256", record.data_sha256.clone()),
            ("Eucdoc-PDF-SHA256", record.pdf_sha256.clone()),
        ];
        if let Some(at) = &record.revoked_at {
            info.push(("Eucdoc-Revoked-At", at.clone()));
        }
        let bag = crate::registry::bag::Bag::new(payload, &info)?;
        Ok((record, bag))
    }

    /// The final documents (issued, revoked, voided) an export takes, oldest first: issued
    /// at or after `since` (RFC 3339 or a date), of `form` when given.
    pub async fn final_documents(
        &self,
        since: Option<&str>,
        form: Option<&str>,
    ) -> Result<Vec<DocumentRecord>, ServiceError> {
        let mut search = Search {
            form: form.map(str::to_string),
            from: since.map(str::to_string),
            limit: 100,
            ..Search::default()
        };
        let mut found = Vec::new();
        loop {
            let (page, next) = self.search(&search).await?;
            found.extend(page.into_iter().filter(|r| r.status != "draft"));
            match next {
                Some(cursor) => search.cursor = Some(cursor),
                None => return Ok(found),
            }
        }
    }

    /// Exports the bags of `records` as the folders `out/{number}`, skipping a document whose
    /// whole bag in its present status is there already (so an interrupted export resumes, and a
    /// document revoked since is packaged again). Bags are made on every core and made durable a
    /// batch at a time ([`crate::registry::bag::publish_all`]); `done` hears of each once it is in
    /// place. On a failure, the bags finished before it are kept.
    pub async fn export(
        &self,
        records: &[DocumentRecord],
        out: &std::path::Path,
        mut done: impl FnMut(&DocumentRecord, Exported),
    ) -> Result<(), ExportFailed> {
        use futures_util::stream::{self, StreamExt};
        const BATCH: usize = 256;
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
        // A batch is made durable and put in place while the next one is made.
        let mut publishing: Option<Publishing> = None;
        for batch in records.chunks(BATCH) {
            let results: Vec<_> = stream::iter(batch)
                .map(|record| async move { (record, self.stage_bag(record, out).await) })
                .buffer_unordered(parallel)
                .collect()
                .await;
            if let Some(earlier) = publishing.take() {
                earlier.finish(&mut done).await?;
            }
            let mut staged = Vec::new();
            let mut finished = Vec::new();
            let mut failure = None;
            for (record, result) in results {
                match result {
                    Ok(Stage::Unchanged) => finished.push((record, Exported::Unchanged)),
                    Ok(Stage::Staged(bag, outcome)) => {
                        staged.push(bag);
                        finished.push((record, outcome));
                    }
                    Err(source) => {
                        failure.get_or_insert(ExportFailed {
                            number: record.number.clone(),
                            source,
                        });
                    }
                }
            }
            let started = Publishing {
                task: tokio::task::spawn_blocking(move || {
                    crate::registry::bag::publish_all(staged)
                }),
                finished,
                first: batch[0].number.clone(),
            };
            if let Some(failure) = failure {
                started.finish(&mut done).await?;
                return Err(failure);
            }
            publishing = Some(started);
        }
        if let Some(last) = publishing {
            last.finish(&mut done).await?;
        }
        Ok(())
    }

    /// `record`'s bag written beside its place under `out`, unless it is there already.
    async fn stage_bag(
        &self,
        record: &DocumentRecord,
        out: &std::path::Path,
    ) -> Result<Stage, ServiceError> {
        let folder = out.join(folder_name(&record.number));
        let status_line = format!("Eucdoc-Status: {}\n", record.status);
        let pdf_line = format!("Eucdoc-PDF-SHA256: {}\n", record.pdf_sha256);
        let before = std::fs::read_to_string(folder.join("bag-info.txt")).ok();
        if before
            .as_deref()
            .is_some_and(|info| info.contains(&status_line) && info.contains(&pdf_line))
        {
            return Ok(Stage::Unchanged);
        }
        let (_, bag) = self.package(&record.id).await?;
        let staged = tokio::task::spawn_blocking(move || bag.stage(&folder))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let outcome = if before.is_some() {
            Exported::Replaced
        } else {
            Exported::Written
        };
        Ok(Stage::Staged(staged, outcome))
    }

    /// What long-term renewal uses: the TSA (`tsa_url`, else `[signing] tsa_url`), the
    /// revocation sources of signing (`[signing] ocsp_url` and `crls`, the `crls` of
    /// verification, the development CRLs in development mode), and the TSA's certificates,
    /// learnt from one token. Refused when those end before `horizon_end` (Unix seconds): a
    /// renewal by this TSA would be due again at once.
    pub async fn renewal(
        &self,
        tsa_url: Option<&str>,
        horizon_end: i64,
    ) -> Result<Renewal, ServiceError> {
        let url = tsa_url
            .or(self.config.signing.tsa_url.as_deref())
            .ok_or_else(|| {
                ServiceError::Renewal("no TSA: give --tsa or set [signing] tsa_url".into())
            })?;
        let tsa = sign::timestamp::Tsa::new(url);
        let mut crls = self.verify_crls.clone();
        for path in &self.config.signing.crls {
            crls.push(
                std::fs::read(path)
                    .map_err(|e| ServiceError::Renewal(format!("CRL {}: {e}", path.display())))?,
            );
        }
        let sources = sign::revocation::RevocationSources {
            ocsp_url: self.config.signing.ocsp_url.clone(),
            crls,
            timeout: std::time::Duration::from_secs(10),
        };
        let probe = tsa.clone();
        let tsa_certificates =
            tokio::task::spawn_blocking(move || sign::renew::tsa_certificates(&probe))
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?
                .map_err(|e| ServiceError::Renewal(format!("the TSA at {url}: {e}")))?;
        match sign::renew::tsa_expiry(&tsa_certificates)
            .map_err(|e| ServiceError::Renewal(e.to_string()))?
        {
            Some(end) if end > horizon_end => {}
            _ => {
                return Err(ServiceError::Renewal(format!(
                    "the certificates of the TSA at {url} end within the horizon: a renewal by it would not last"
                )));
            }
        }
        Ok(Renewal {
            sources,
            tsa,
            tsa_certificates,
        })
    }

    /// Renews `record`'s archived PDF for the long term when it is due before `horizon_end`
    /// (Unix seconds; [`sign::renew::due`]): validation data and a document timestamp in a new
    /// revision, archived beside the earlier one, then the registry points to it (audited as
    /// "renew"). Idempotent: a renewed document is not due again within the horizon.
    pub async fn renew_document(
        &self,
        record: &DocumentRecord,
        horizon_end: i64,
        renewal: &Renewal,
        actor: &str,
    ) -> Result<Renewed, ServiceError> {
        if record.status == "draft" || record.status == "voided" {
            return Ok(Renewed::NotDue);
        }
        let pdf = self.archive.get(&record.pdf_sha256).await?;
        let renewal = renewal.clone();
        let now = time::UtcDateTime::now().unix_timestamp();
        let outcome = tokio::task::spawn_blocking(move || {
            let Some(reason) = sign::renew::due(&pdf, horizon_end)? else {
                return Ok(None);
            };
            let renewed = sign::renew::renew(
                &pdf,
                &renewal.sources,
                &renewal.tsa,
                &renewal.tsa_certificates,
                now,
            )?;
            Ok::<_, sign::SignError>(Some((reason, renewed)))
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|e| ServiceError::Renewal(format!("{}: {e}", record.number)))?;
        let Some((reason, renewed)) = outcome else {
            return Ok(Renewed::NotDue);
        };
        let mut renewed_record = record.clone();
        let renewed = Hashed::new(renewed);
        renewed_record.pdf_sha256 = renewed.sha256().to_string();
        renewed_record.pdf_size = renewed.bytes().len() as i64;
        let metadata = serde_json::to_vec_pretty(&renewed_record)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.archive.put(renewed, metadata).await?;
        let detail = serde_json::json!({
            "number": record.number,
            "previous_pdf_sha256": record.pdf_sha256,
            "pdf_sha256": renewed_record.pdf_sha256,
            "reason": match reason {
                sign::renew::Due::NoArchiveTimestamp => "no document timestamp".to_string(),
                sign::renew::Due::Expires(end) => format!(
                    "the newest document timestamp's certificates end at {}",
                    time::UtcDateTime::from_unix_timestamp(end)
                        .map(crate::registry::registry_time)
                        .unwrap_or_default()
                ),
            },
        });
        let applied = self
            .registry
            .renew(
                &record.id,
                &record.pdf_sha256,
                &renewed_record.pdf_sha256,
                renewed_record.pdf_size,
                actor,
                &detail.to_string(),
            )
            .await?;
        Ok(if applied {
            Renewed::Renewed(Box::new(renewed_record))
        } else {
            // Another process renewed it first; this revision stays an orphan for the sweep.
            Renewed::NotDue
        })
    }

    /// [`Service::renew_all`] with `[renewal] horizon_days` and `[signing] tsa_url`: what
    /// `serve`'s renewal job runs.
    pub async fn renew_due(&self, actor: &str) -> Result<RenewalSummary, ServiceError> {
        let horizon = time::Duration::days(self.config.renewal.horizon_days.min(100_000) as i64);
        let horizon_end = (time::UtcDateTime::now() + horizon).unix_timestamp();
        let renewal = self.renewal(None, horizon_end).await?;
        self.renew_all(horizon_end, &renewal, actor, |_, _, _| {})
            .await
    }

    /// Renews every final document due before `horizon_end` (Unix seconds), one at a time,
    /// calling `progress` after each with the document and what was done. Resumable: each
    /// renewal commits on its own, and a renewed document is not due again. Stops at the first
    /// failure (the documents before it stay renewed).
    pub async fn renew_all(
        &self,
        horizon_end: i64,
        renewal: &Renewal,
        actor: &str,
        mut progress: impl FnMut(usize, &DocumentRecord, &Renewed),
    ) -> Result<RenewalSummary, ServiceError> {
        let records = self.final_documents(None, None).await?;
        let mut summary = RenewalSummary {
            documents: records.len(),
            renewed: 0,
        };
        for record in &records {
            let outcome = self
                .renew_document(record, horizon_end, renewal, actor)
                .await?;
            if matches!(outcome, Renewed::Renewed(_)) {
                summary.renewed += 1;
            }
            progress(records.len(), record, &outcome);
        }
        Ok(summary)
    }

    /// An OAI-PMH request (`pairs`: its arguments) answered: the XML ([`crate::oai`]).
    pub async fn oai(&self, pairs: &[(String, String)]) -> Result<String, ServiceError> {
        let now = time::UtcDateTime::now();
        let base_url = self.config.base_url.trim_end_matches('/');
        let body = match crate::oai::parse(pairs) {
            Ok(request) => self.oai_body(request, base_url).await?,
            Err(error) => Err(error),
        };
        Ok(crate::oai::envelope(base_url, pairs, now, body))
    }

    async fn oai_body(
        &self,
        request: crate::oai::Request,
        base_url: &str,
    ) -> Result<Result<String, crate::oai::OaiError>, ServiceError> {
        use crate::oai::{self, OaiError, Request};
        let settings = &self.config.oai;
        let repo = oai::Repository {
            base_url,
            identifier: &settings.repository_identifier,
        };
        let everything = crate::registry::ChangeWindow {
            from: "0000",
            until: "9999",
            form: None,
            number: None,
        };
        let one = |identifier: &str| -> Result<String, OaiError> {
            oai::number_of(&settings.repository_identifier, identifier)
                .map(str::to_string)
                .ok_or_else(|| {
                    OaiError::IdDoesNotExist(format!("{identifier} is not a record here"))
                })
        };
        Ok(match request {
            Request::Identify => {
                let earliest =
                    self.registry.earliest_change().await?.unwrap_or_else(|| {
                        crate::registry::registry_time(time::UtcDateTime::now())
                    });
                Ok(oai::identify_xml(
                    repo,
                    &settings.admin_email,
                    &oai::datestamp(&earliest),
                ))
            }
            Request::ListSets => Ok(oai::sets_xml()),
            Request::ListMetadataFormats { identifier } => match identifier {
                None => Ok(oai::formats_xml(base_url)),
                Some(identifier) => match one(&identifier) {
                    Err(error) => Err(error),
                    Ok(number) => {
                        let window = crate::registry::ChangeWindow {
                            number: Some(&number),
                            ..everything
                        };
                        if self
                            .registry
                            .changed_documents(&window, None, 1)
                            .await?
                            .is_empty()
                        {
                            Err(OaiError::IdDoesNotExist(format!(
                                "{identifier} is not a record here"
                            )))
                        } else {
                            Ok(oai::formats_xml(base_url))
                        }
                    }
                },
            },
            Request::GetRecord { identifier, prefix } => match one(&identifier) {
                Err(error) => Err(error),
                Ok(number) => {
                    let window = crate::registry::ChangeWindow {
                        number: Some(&number),
                        ..everything
                    };
                    let found = self.registry.changed_documents(&window, None, 1).await?;
                    match (found.first(), crate::oai::Format::from_prefix(&prefix)) {
                        (Some((record, changed)), Some(format)) => Ok(format!(
                            "<GetRecord>{}</GetRecord>",
                            oai::record_xml(repo, record, changed, format)
                        )),
                        _ => Err(OaiError::IdDoesNotExist(format!(
                            "{identifier} is not a record here"
                        ))),
                    }
                }
            },
            Request::ListIdentifiers(args) | Request::ListRecords(args)
                if args
                    .set
                    .as_deref()
                    .is_some_and(|set| !oai::SETS.contains(&set)) =>
            {
                Err(OaiError::NoRecordsMatch)
            }
            Request::ListIdentifiers(args) => self.oai_list(repo, args, None).await?,
            Request::ListRecords(args) => {
                let format = crate::oai::Format::from_prefix(&args.prefix);
                self.oai_list(repo, args, format).await?
            }
        })
    }

    /// A page of ListIdentifiers (`format` None) or ListRecords, with the token of the next.
    async fn oai_list(
        &self,
        repo: crate::oai::Repository<'_>,
        mut args: crate::oai::ListArgs,
        format: Option<crate::oai::Format>,
    ) -> Result<Result<String, crate::oai::OaiError>, ServiceError> {
        use crate::oai;
        let page_size = self.config.oai.page_size;
        let window = crate::registry::ChangeWindow {
            from: &args.from,
            until: &args.until,
            form: args.set.as_deref(),
            number: None,
        };
        let after = args.after.as_ref().map(|(c, i)| (c.as_str(), i.as_str()));
        let mut page = self
            .registry
            .changed_documents(&window, after, page_size + 1)
            .await?;
        if page.is_empty() {
            return Ok(Err(if args.after.is_some() {
                oai::OaiError::BadResumptionToken("the list has ended".into())
            } else {
                oai::OaiError::NoRecordsMatch
            }));
        }
        let more = page.len() as i64 > page_size;
        page.truncate(page_size as usize);
        let verb = if format.is_some() {
            "ListRecords"
        } else {
            "ListIdentifiers"
        };
        let mut out = format!("<{verb}>");
        for (record, changed) in &page {
            out.push_str(&match format {
                Some(format) => oai::record_xml(repo, record, changed, format),
                None => oai::header_xml(repo, record, changed),
            });
        }
        let resumed = args.after.is_some();
        if more {
            args.after = page
                .last()
                .map(|(r, changed)| (changed.clone(), r.id.clone()));
            out.push_str(&format!(
                "<resumptionToken>{}</resumptionToken>",
                oai::encode_token(&args)
            ));
        } else if resumed {
            // The last page of a resumed list says the list is complete.
            out.push_str("<resumptionToken/>");
        }
        out.push_str(&format!("</{verb}>"));
        Ok(Ok(out))
    }

    /// A page of the registry.
    pub async fn search(
        &self,
        search: &Search,
    ) -> Result<(Vec<DocumentRecord>, Option<String>), ServiceError> {
        if let Some(form) = &search.form
            && model::Form::from_key(form).is_none()
        {
            return Err(ServiceError::BadParameter {
                name: "form".into(),
                message: "expected end_user_certificate, import_certificate or refusal".into(),
            });
        }
        for (name, value) in [("from", &search.from), ("to", &search.to)] {
            if let Some(value) = value
                && !is_date_or_time(value)
            {
                return Err(ServiceError::BadParameter {
                    name: name.into(),
                    message: "expected a date (YYYY-MM-DD) or an RFC 3339 time".into(),
                });
            }
        }
        Ok(self.registry.search(search).await?)
    }

    /// Revokes a document.
    pub async fn revoke(
        &self,
        id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<DocumentRecord, ServiceError> {
        if reason.trim().is_empty() || reason.chars().count() > 1000 {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "reason",
                "a reason of 1 to 1000 characters is required",
            )]));
        }
        Ok(self.registry.revoke(id, reason, actor).await?)
    }

    /// Verifies a signed PDF or CMS (with its detached data) against the configured anchors, at
    /// `at` (when no timestamp gives the time; default now), fetching missing revocation data
    /// unless `offline`.
    pub async fn verify(
        &self,
        document: Vec<u8>,
        detached: Option<Vec<u8>>,
        offline: bool,
        at: Option<time::UtcDateTime>,
    ) -> Result<Report, ServiceError> {
        let _admitted = self.admit()?;
        let options = VerifyOptions {
            offline,
            at,
            ..self.verify_options()
        };
        self.run_bounded(move || verify::verify(&document, detached.as_deref(), &options))
            .await?
            .map_err(|e| ServiceError::Unreadable(e.to_string()))
    }

    /// Checks an incoming application package and, when every check passed, keeps it: the
    /// package (a zip of its files) in the archive, then its record in the registry, audited
    /// as "receive-application" by `actor`. The record's id is what documents issued against it
    /// reference.
    pub async fn receive_application(
        &self,
        files: Vec<crate::applications::PackageFile>,
        offline: bool,
        actor: &str,
    ) -> Result<
        (
            crate::applications::PackageReport,
            Option<ApplicationRecord>,
        ),
        ServiceError,
    > {
        let (report, zip) = self.check_application(files, offline).await?;
        let (Some(zip), Some(application)) = (zip, &report.application) else {
            return Ok((report, None));
        };
        let id = uuid::Uuid::new_v4().to_string();
        let report_json =
            serde_json::to_string(&report).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let metadata = serde_json::to_vec_pretty(&serde_json::json!({
            "application_id": id,
            "report": report,
        }))
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let package_sha256 = self.archive.put_package(zip, metadata).await?;
        let record = ApplicationRecord {
            id,
            number: application.number.clone(),
            application_date: application.date.clone(),
            certificate: application.certificate.form().key().to_string(),
            applicant_bin: application.applicant.bin_iin.clone(),
            received_at: crate::registry::registry_time(time::UtcDateTime::now()),
            package_sha256,
            application_data: serde_json::to_string(application)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
            report: report_json,
        };
        self.registry.receive_application(&record, actor).await?;
        Ok((report, Some(record)))
    }

    /// An accepted application package's record.
    pub async fn application(&self, id: &str) -> Result<ApplicationRecord, ServiceError> {
        Ok(self.registry.application(id).await?)
    }

    /// The application of the accepted package `id` (422 at `application_id` when there is
    /// none).
    async fn application_for(&self, id: &str) -> Result<model::ApplicationDocument, ServiceError> {
        let record = match self.registry.application(id).await {
            Ok(record) => record,
            Err(RegistryError::NotFound(_)) => {
                return Err(ServiceError::Invalid(vec![FieldError::new(
                    "application_id",
                    format!("no accepted application package {id}"),
                )]));
            }
            Err(other) => return Err(other.into()),
        };
        serde_json::from_str(&record.application_data)
            .map_err(|e| ServiceError::Internal(format!("stored application {id}: {e}")))
    }

    /// Checks an incoming application package ([`crate::applications::check_package`]) with
    /// every verifier rule on the bounded worker pool; `offline` fetches no revocation data. An
    /// accepted package comes back with its files as one zip, made there too, for keeping.
    async fn check_application(
        &self,
        files: Vec<crate::applications::PackageFile>,
        offline: bool,
    ) -> Result<(crate::applications::PackageReport, Option<Vec<u8>>), ServiceError> {
        use crate::applications::{PackageError, Verdict};
        let _admitted = self.admit()?;
        let options = VerifyOptions {
            offline,
            ..self.verify_options()
        };
        let report = self
            .run_bounded(move || {
                let report = crate::applications::check_package(&files, &options)?;
                let zip = match report.verdict {
                    Verdict::Accepted => Some(crate::applications::package_zip(&files)),
                    _ => None,
                };
                Ok((report, zip))
            })
            .await?;
        let (report, zip) = report.map_err(|error| match error {
            PackageError::Invalid { file, errors, .. } => ServiceError::Invalid(
                errors
                    .0
                    .into_iter()
                    .map(|e| FieldError::new(format!("{file}:{}", e.path), e.reason))
                    .collect(),
            ),
            PackageError::Unreadable { .. } => ServiceError::Unreadable(error.to_string()),
            PackageError::Incomplete(reason) => ServiceError::IncompletePackage(reason),
        })?;
        Ok((report, zip.transpose().map_err(ServiceError::Internal)?))
    }

    /// The public check: genuine, revoked, voided or unknown; without the `sha256` of the
    /// document's data (the QR code's), or with another, unknown ([`crate::check::answer`]).
    pub async fn check(
        &self,
        number: &str,
        sha256: Option<&str>,
    ) -> Result<CheckAnswer, ServiceError> {
        let record = self.registry.by_number(number).await?;
        Ok(crate::check::answer(
            number,
            record.as_ref(),
            sha256,
            time::UtcDateTime::now(),
        ))
    }

    /// "Compare your copy" of `number`: the copy is examined (hashed, verified offline: a public
    /// upload makes the service fetch nothing) whether or not the number exists, then compared
    /// with its record ([`crate::check::compare`]). The copy is not kept. Also the answer the
    /// link (`sha256`) gets from the same record, for the page that shows both.
    pub async fn compare_copy(
        &self,
        number: &str,
        sha256: Option<&str>,
        copy: Vec<u8>,
    ) -> Result<(CheckAnswer, crate::check::compare::Comparison), ServiceError> {
        let _admitted = self.admit()?;
        let options = VerifyOptions {
            offline: true,
            ..self.verify_options()
        };
        let examined = self
            .run_bounded(move || crate::check::compare::examine(&copy, &options))
            .await?;
        let record = self.registry.by_number(number).await?;
        // A copy handed out before a long-term renewal is the document as issued.
        let earlier = match &record {
            Some(record) => self.registry.earlier_revisions(&record.id).await?,
            None => Vec::new(),
        };
        let now = time::UtcDateTime::now();
        Ok((
            crate::check::answer(number, record.as_ref(), sha256, now),
            crate::check::compare::compare(number, &examined, record.as_ref(), &earlier, now),
        ))
    }

    /// Readiness: registry and archive reachable, signing key loaded.
    pub async fn ready(&self) -> Result<(), ServiceError> {
        self.registry.ping().await?;
        self.archive.check().await?;
        if self.signer.certificate_der().is_empty() {
            return Err(ServiceError::Internal("no signing key".into()));
        }
        Ok(())
    }

    /// Closes the registry (graceful shutdown).
    pub async fn close(&self) {
        self.registry.close().await;
    }
}

const BUSY: &str = "busy";

/// The input with `number` set (a validated input stays valid: only the number is checked).
fn with_number(input: &model::Input, number: &str) -> Result<model::Input, String> {
    input
        .with_number(number)
        .map_err(|e| format!("the numbered input is invalid: {e}"))
}

/// Why [`Service::export`] stopped: the document it could not export and the reason.
#[derive(Debug, thiserror::Error)]
#[error("{number}: {source}")]
pub struct ExportFailed {
    /// The document's number.
    pub number: String,
    /// Why.
    #[source]
    pub source: ServiceError,
}

/// A batch of bags being made durable and put in place, and the documents it finishes.
struct Publishing<'a> {
    task: tokio::task::JoinHandle<Result<(), crate::registry::bag::BagError>>,
    finished: Vec<(&'a DocumentRecord, Exported)>,
    first: String,
}

impl<'a> Publishing<'a> {
    /// Waits for the batch, then tells `done` of each of its documents.
    async fn finish(
        self,
        done: &mut impl FnMut(&DocumentRecord, Exported),
    ) -> Result<(), ExportFailed> {
        let failed = |source| ExportFailed {
            number: self.first.clone(),
            source,
        };
        self.task
            .await
            .map_err(|e| failed(ServiceError::Internal(e.to_string())))?
            .map_err(|e| failed(e.into()))?;
        for (record, outcome) in self.finished {
            done(record, outcome);
        }
        Ok(())
    }
}

/// A bag on its way: written beside its place, or not needed.
enum Stage {
    Staged(crate::registry::bag::Staged, Exported),
    Unchanged,
}

/// What [`Service::export`] did with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exported {
    /// A new bag.
    Written,
    /// A bag of the document in an earlier status, replaced.
    Replaced,
    /// The bag was there already.
    Unchanged,
}

/// A registry number as a folder name: anything but letters, digits, `.`, `-` and `_` becomes
/// `_` (a configured number format may hold `/`).
fn folder_name(number: &str) -> String {
    let name: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with('.') {
        format!("_{name}")
    } else {
        name
    }
}

/// The short code of a form in registry numbers.
pub fn form_code(form: model::Form) -> &'static str {
    match form {
        model::Form::EndUserCertificate => "EUC",
        model::Form::ImportCertificate => "IIC",
        model::Form::Refusal => "REF",
    }
}

/// The year whose numbers a document takes: its issue date's (now's, should it lack one).
fn issue_year(input: &model::Input) -> i64 {
    input
        .document()
        .issue_date()
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(|| i64::from(time::UtcDateTime::now().year()))
}

/// A JSON request body: not JSON at all is Malformed (400); JSON of the wrong shape (unknown or
/// missing keys, wrong types) is Invalid (422) with serde's reason.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ServiceError::Malformed(format!("the body is not JSON: {e}"))
        } else {
            ServiceError::Invalid(vec![FieldError::new("$", e.to_string())])
        }
    })
}

/// The registry's JSON of the identity `certificate` (DER) names: a record's `signer`.
fn signer_json(certificate: &[u8]) -> String {
    verify::signer_from_certificate(certificate)
        .map(|(s, _)| serde_json::to_string(&s).unwrap_or_default())
        .unwrap_or_else(|| "{}".into())
}

/// The registry record of a document built from `input` with `number`, whose PDF is `pdf`
/// and whose signer is `signer` ([`signer_json`]); status "issued".
fn new_record(
    input: &model::Input,
    number: String,
    year: i64,
    seq: i64,
    now: time::UtcDateTime,
    pdf: &Hashed,
    signer: String,
) -> DocumentRecord {
    DocumentRecord {
        id: uuid::Uuid::new_v4().to_string(),
        number,
        form: input.document().form().key().to_string(),
        year,
        seq,
        issued_at: crate::registry::registry_time(now),
        applicant_bin: input.document().applicant_bin_iin().to_string(),
        data: String::from_utf8_lossy(input.json()).into_owned(),
        data_sha256: input.canonical_sha256_hex(),
        pdf_sha256: pdf.sha256().to_string(),
        pdf_size: pdf.bytes().len() as i64,
        signer,
        status: "issued".into(),
        revoked_at: None,
        revocation_reason: None,
        application_id: None,
    }
}

/// The body of `POST /v1/drafts`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftRequest {
    /// The form JSON of `POST /v1/documents`.
    document: serde_json::Value,
    /// The officer's signing certificate, base64 DER (NCALayer's getKeyInfo).
    certificate: String,
    /// Intermediate CA certificates, base64 DER, when the service does not know them already.
    #[serde(default)]
    chain: Vec<String>,
    /// The accepted application package the document answers (as `POST /v1/documents`).
    #[serde(default)]
    application_id: Option<String>,
}

/// A draft made: what the officer's token must sign.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DraftView {
    /// The draft's id (the document's, once signed).
    pub id: String,
    /// The registry number, taken now and printed on the page.
    pub number: String,
    /// "draft", "issued" (signed) or "voided" (not signed in time).
    pub status: String,
    /// The digest to sign, base64 (NCALayer: createCAdESFromBase64Hash, or basics.sign with
    /// digested: true).
    pub digest: String,
    /// "streebog512" (GOST 2015-512 keys), "sha256" (RSA, ECDSA P-256) or "sha384".
    pub digest_algorithm: String,
    /// After this the draft is voided (RFC 3339, UTC).
    pub expires_at: String,
    /// The prepared, unsigned PDF.
    pub preview: String,
}

/// The body of `POST /v1/drafts/{id}/signature`: what the officer's token made.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftSignature {
    /// The detached CMS, base64 (NCALayer's createCAdESFromBase64Hash or basics.sign answer).
    pub cms: String,
}

fn draft_view(record: &DocumentRecord, draft: &crate::registry::DraftRecord) -> DraftView {
    DraftView {
        id: record.id.clone(),
        number: record.number.clone(),
        status: record.status.clone(),
        digest: draft.digest.clone(),
        digest_algorithm: draft.digest_algorithm.clone(),
        expires_at: draft.expires_at.clone(),
        preview: format!("/v1/drafts/{}/pdf", record.id),
    }
}

impl Service {
    /// The registry number of sequence `seq` of `form` in `year`, in the configured format.
    fn number(&self, form: model::Form, year: i64, seq: i64) -> String {
        crate::config::format_number(
            &self.config.number_format,
            form_code(form),
            year as i32,
            seq,
        )
    }

    /// The verification options of this service: its anchors and the CRLs it has at hand.
    fn verify_options(&self) -> VerifyOptions {
        VerifyOptions {
            trust_anchors: self.trust_anchors.clone(),
            crls: self.verify_crls.clone(),
            ..Default::default()
        }
    }

    /// Makes a draft for external signing: checks the officer's certificate (a SIGN key valid
    /// now, its path to a trust anchor, not revoked), takes the document's number, renders it
    /// with the officer's stamp, prepares it for the signature and archives the preview; the
    /// number, the document (status "draft") and the draft are registered in one transaction.
    pub async fn create_draft(&self, body: &[u8], actor: &str) -> Result<DraftView, ServiceError> {
        use base64::Engine;
        let request: DraftRequest = json_body(body)?;
        let certificate = base64::engine::general_purpose::STANDARD
            .decode(request.certificate.trim())
            .map_err(|_| {
                ServiceError::Invalid(vec![FieldError::new("certificate", "not base64")])
            })?;
        let mut document = serde_json::to_vec(&request.document)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let application = match &request.application_id {
            Some(id) => Some((id, self.application_for(id).await?)),
            None => None,
        };
        if let Some((id, application)) = &application
            && let Some(filled) =
                linked_refusal(&document, application, id).map_err(under_document)?
        {
            document = filled;
        }
        let application_id = request.application_id.clone();
        let input = model::parse(&document).map_err(|errors| {
            ServiceError::Invalid(errors.0.into_iter().map(|e| e.under("document")).collect())
        })?;
        if let Some((_, application)) = &application {
            matches_application(application, &input).map_err(under_document)?;
        }
        let now = time::UtcDateTime::now();
        let refuse =
            |message: String| ServiceError::Invalid(vec![FieldError::new("certificate", &message)]);
        sign::external::check_certificate(&certificate, now.unix_timestamp())
            .map_err(|e| refuse(e.to_string()))?;
        let mut intermediates = Vec::new();
        for (i, text) in request.chain.iter().enumerate() {
            intermediates.push(
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|_| {
                        ServiceError::Invalid(vec![FieldError::new(
                            format!("chain[{i}]"),
                            "not base64",
                        )])
                    })?,
            );
        }
        // The intermediates the service knows: its own key store's chain and signing.chain
        // (officers' certificates come from the same CA).
        intermediates.extend(self.signer.chain_der().iter().cloned());
        let _admitted = self.admit()?;
        // Path validation and revocation (GOST signatures included) are CPU work: on the
        // bounded worker pool, like rendering and verifying.
        let options = self.verify_options();
        let job_certificate = certificate.clone();
        let report = self
            .run_bounded(move || {
                verify::check_certificate(&job_certificate, &intermediates, &options)
            })
            .await?;
        if report.indication != verify::Indication::TotalPassed {
            return Err(refuse(format!(
                "not accepted for signing: {} ({})",
                report.reasons.join("; "),
                report
                    .sub_indication
                    .map(|s| format!("{s:?}"))
                    .unwrap_or_default()
            )));
        }
        let form = input.document().form();
        let year = issue_year(&input);
        let input = Arc::new(input);
        let certificate = Arc::new(certificate);
        let expires = now + time::Duration::seconds(self.config.drafts.expire_seconds as i64);
        let record = self
            .registry
            .issue(form.key(), year, None, actor, |seq| {
                let number = self.number(form, year, seq);
                let numbered = with_number(&input, &number);
                let certificate = certificate.clone();
                let application_id = application_id.clone();
                async move {
                    let input = Arc::new(numbered?);
                    let mut built = self
                        .build_draft(input, number, year, seq, certificate, now, expires)
                        .await?;
                    built.record.application_id = application_id;
                    Ok(built)
                }
            })
            .await
            .map_err(|e| match e {
                RegistryError::Build(reason) if reason == BUSY => ServiceError::Busy,
                other => other.into(),
            })?;
        let draft = self
            .registry
            .draft(&record.id)
            .await?
            .ok_or_else(|| ServiceError::Internal("the draft was not registered".into()))?;
        tracing::info!(number = %record.number, digest_algorithm = %draft.digest_algorithm, "draft made");
        Ok(draft_view(&record, &draft))
    }

    #[allow(clippy::too_many_arguments)]
    async fn build_draft(
        &self,
        input: Arc<model::Input>,
        number: String,
        year: i64,
        seq: i64,
        certificate: Arc<Vec<u8>>,
        now: time::UtcDateTime,
        expires: time::UtcDateTime,
    ) -> Result<Built, String> {
        use base64::Engine;
        let renderer = self.renderer.clone();
        let job_number = number.clone();
        let job_input = input.clone();
        let job_certificate = certificate.clone();
        let draft = self
            .run_bounded(move || {
                let rendered = renderer
                    .render_marked(&job_input, &job_number, now, false)
                    .map_err(|e| format!("render: {e}"))?;
                sign::external::prepare(
                    &rendered.pdf,
                    &job_certificate,
                    &[],
                    &renderer,
                    &sign::StampOptions {
                        place: &rendered.signature_place,
                        position: job_input.document().signer_position(),
                        time: now,
                        levels: &LevelOptions::default(),
                        watermark_pages: false,
                    },
                )
                .map_err(|e| format!("prepare: {e}"))
            })
            .await
            .map_err(|e| match e {
                ServiceError::Busy => BUSY.to_string(),
                other => other.to_string(),
            })??;
        let draft_pdf = Hashed::new(draft.pdf);
        let record = DocumentRecord {
            status: "draft".into(),
            ..new_record(
                &input,
                number,
                year,
                seq,
                now,
                &draft_pdf,
                signer_json(&certificate),
            )
        };
        let (id, draft_sha256) = (record.id.clone(), record.pdf_sha256.clone());
        self.archive_with_record(draft_pdf, &record).await?;
        let base64 = base64::engine::general_purpose::STANDARD;
        Ok(Built {
            draft: Some(crate::registry::DraftRecord {
                id,
                certificate: base64.encode(certificate.as_slice()),
                digest: base64.encode(&draft.digest),
                digest_algorithm: draft.digest_algorithm.name().into(),
                draft_sha256,
                created_at: crate::registry::registry_time(now),
                expires_at: crate::registry::registry_time(expires),
            }),
            record,
        })
    }

    /// A draft and its document, voiding it first when its time has run out.
    async fn draft_of(
        &self,
        id: &str,
    ) -> Result<(DocumentRecord, crate::registry::DraftRecord), ServiceError> {
        self.void_expired_drafts().await?;
        let draft = self
            .registry
            .draft(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(id.into()))?;
        Ok((self.registry.get(id).await?, draft))
    }

    /// A draft's state.
    pub async fn draft(&self, id: &str) -> Result<DraftView, ServiceError> {
        let (record, draft) = self.draft_of(id).await?;
        Ok(draft_view(&record, &draft))
    }

    /// A draft's prepared, unsigned PDF.
    pub async fn draft_pdf(&self, id: &str) -> Result<Vec<u8>, ServiceError> {
        let (_, draft) = self.draft_of(id).await?;
        Ok(self.archive.get(&draft.draft_sha256).await?)
    }

    /// Completes a draft with the detached CMS the officer's token made for its digest
    /// (`{"cms": base64}`): checked against the draft (digest, the announced certificate, its
    /// signature value, still a SIGN key valid now), embedded, archived and registered. A CMS
    /// that does not fit is refused (422) and the draft stays signable until it expires; a
    /// draft signed already, voided or expired is a conflict (409).
    pub async fn sign_draft(
        &self,
        id: &str,
        body: &[u8],
        actor: &str,
    ) -> Result<DocumentRecord, ServiceError> {
        use base64::Engine;
        let request: DraftSignature = json_body(body)?;
        let (record, draft) = self.draft_of(id).await?;
        if record.status != "draft" {
            return Err(ServiceError::NotADraft {
                number: record.number,
                status: record.status,
            });
        }
        let refuse =
            |message: String| ServiceError::Invalid(vec![FieldError::new("cms", &message)]);
        let cms =
            sign::external::cms_der(request.cms.as_bytes()).map_err(|e| refuse(e.to_string()))?;
        let certificate = base64::engine::general_purpose::STANDARD
            .decode(&draft.certificate)
            .map_err(|e| ServiceError::Internal(format!("stored certificate: {e}")))?;
        let _admitted = self.admit()?;
        let prepared = self.archive.get(&draft.draft_sha256).await?;
        let now = time::UtcDateTime::now();
        let signed = self
            .run_bounded(move || {
                sign::external::embed(&prepared, &certificate, &cms, now.unix_timestamp())
                    .map_err(|e| e.to_string())
            })
            .await?
            .map_err(refuse)?;
        let mut signed_record = record.clone();
        let signed = Hashed::new(signed);
        signed_record.pdf_sha256 = signed.sha256().to_string();
        signed_record.pdf_size = signed.bytes().len() as i64;
        signed_record.issued_at = crate::registry::registry_time(now);
        signed_record.status = "issued".into();
        self.archive_with_record(signed, &signed_record)
            .await
            .map_err(ServiceError::Internal)?;
        Ok(self
            .registry
            .complete_draft(id, &signed_record, &signed_record.issued_at, actor)
            .await?)
    }

    /// Voids the drafts whose time has run out (their numbers stay taken, shown as voided).
    pub async fn void_expired_drafts(&self) -> Result<Vec<String>, ServiceError> {
        let now = crate::registry::registry_time(time::UtcDateTime::now());
        let voided = self
            .registry
            .void_expired_drafts(&now, "eucdoc (draft expiry)")
            .await?;
        for number in &voided {
            tracing::info!(%number, "draft voided: not signed in time");
        }
        Ok(voided)
    }
}

/// A form's input JSON, validated: not JSON at all is `Malformed`, invalid fields `Invalid`.
/// A refusal (`body`, a form's JSON) issued against the package `id` of `application`: it
/// takes the application's number and date when it does not give them (and must agree when it
/// does) and is addressed to the applicant. The body to issue, or `None` when it is not a refusal
/// (or not JSON: the usual parse reports it).
fn linked_refusal(
    body: &[u8],
    application: &model::ApplicationDocument,
    id: &str,
) -> Result<Option<Vec<u8>>, ServiceError> {
    let invalid =
        |path: &str, reason: String| ServiceError::Invalid(vec![FieldError::new(path, reason)]);
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(None);
    };
    let Some(object) = value
        .as_object_mut()
        .filter(|o| o.get("form").and_then(|f| f.as_str()) == Some("refusal"))
    else {
        return Ok(None);
    };
    let Some(number) = application.number.clone() else {
        return Err(invalid(
            "application_id",
            "the application has no incoming number to refuse by".into(),
        ));
    };
    match object.get("application") {
        None => {
            object.insert(
                "application".into(),
                serde_json::json!({ "number": number, "date": application.date }),
            );
        }
        Some(given) => {
            if given.get("number").and_then(|n| n.as_str()) != Some(number.as_str()) {
                return Err(invalid(
                    "application.number",
                    format!("the application package {id} is No. {number}"),
                ));
            }
            if given.get("date").and_then(|n| n.as_str()) != Some(application.date.as_str()) {
                return Err(invalid(
                    "application.date",
                    format!("the application package {id} is of {}", application.date),
                ));
            }
        }
    }
    let recipient = object
        .get("recipient")
        .and_then(|r| r.get("bin_iin"))
        .and_then(|b| b.as_str());
    if recipient.is_some_and(|b| b != application.applicant.bin_iin) {
        return Err(invalid(
            "recipient.bin_iin",
            format!(
                "the applicant of package {id} is {}",
                application.applicant.bin_iin
            ),
        ));
    }
    serde_json::to_vec_pretty(&value)
        .map(Some)
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// A certificate issued against an application must match what it asks for: 422 with every
/// mismatch ([`crate::applications::certificate_mismatches`]).
fn matches_application(
    application: &model::ApplicationDocument,
    input: &model::Input,
) -> Result<(), ServiceError> {
    let mismatches = crate::applications::certificate_mismatches(application, input.document());
    if mismatches.is_empty() {
        return Ok(());
    }
    Err(ServiceError::Invalid(
        mismatches
            .into_iter()
            .map(|(what, why)| FieldError::new(what, why))
            .collect(),
    ))
}

/// A draft's problems with its document, at paths under `document` (the package's id keeps
/// its own path).
fn under_document(error: ServiceError) -> ServiceError {
    match error {
        ServiceError::Invalid(fields) => ServiceError::Invalid(
            fields
                .into_iter()
                .map(|f| {
                    if f.path == "application_id" {
                        f
                    } else {
                        f.under("document")
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

fn parse_input(body: &[u8]) -> Result<model::Input, ServiceError> {
    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(ServiceError::Malformed(format!(
            "the body is not JSON: {error}"
        )));
    }
    model::parse(body).map_err(|errors| ServiceError::Invalid(errors.0))
}

fn is_date_or_time(value: &str) -> bool {
    let date = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, date).is_ok()
        || time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
            .is_ok()
}

type LoadedSigner = (Arc<dyn Signer>, Vec<Vec<u8>>, bool);

/// The configured key, or the development PKI's officer key (created on first start), with the
/// development root as a trust anchor.
fn load_signer(config: &Config, now: time::UtcDateTime) -> Result<LoadedSigner, ServiceError> {
    let startup = |message: String| ServiceError::Startup(message);
    let mut chain = Vec::new();
    for path in &config.signing.chain {
        let bytes = std::fs::read(path).map_err(|e| startup(format!("{}: {e}", path.display())))?;
        chain.extend(
            sign::certificates_from_file(&bytes)
                .map_err(|e| startup(format!("{}: {e}", path.display())))?,
        );
    }
    if let Some(p12) = &config.signing.p12 {
        let variable = config.signing.password_env.as_deref().ok_or_else(|| {
            startup("signing.password_env must name the variable holding the password".into())
        })?;
        let password = std::env::var(variable)
            .map_err(|_| startup(format!("the environment variable {variable} is not set")))?;
        let bytes = std::fs::read(p12).map_err(|e| startup(format!("{}: {e}", p12.display())))?;
        let signer = sign::open_signer(&bytes, &password, now.unix_timestamp(), &[], &chain)
            .map_err(|e| startup(format!("signing key {}: {e}", p12.display())))?;
        let development = sign::is_test_signer(&signer);
        return Ok((Arc::new(signer), Vec::new(), development));
    }
    let dir = config.data_dir.join("dev-pki");
    let files = dev_pki(&dir, now)?;
    let bytes = std::fs::read(&files.0).map_err(|e| startup(e.to_string()))?;
    let signer = sign::open_signer(&bytes, DEV_PASSWORD, now.unix_timestamp(), &[], &chain)
        .map_err(|e| startup(format!("development key: {e}")))?;
    let root = std::fs::read(&files.1).map_err(|e| startup(e.to_string()))?;
    let anchors = sign::certificates_from_file(&root).map_err(|e| startup(e.to_string()))?;
    Ok((Arc::new(signer), anchors, true))
}

/// The development PKI in `dir`, generated when absent: (officer key store, root certificate).
fn dev_pki(dir: &Path, now: time::UtcDateTime) -> Result<(PathBuf, PathBuf), ServiceError> {
    let officer = dir.join("officer.p12");
    let root = dir.join("root.pem");
    if !officer.exists() || !root.exists() {
        crate::devpki::generate(dir, DEV_PASSWORD, now.unix_timestamp())
            .map_err(|e| ServiceError::Startup(format!("development PKI: {e}")))?;
    }
    Ok((officer, root))
}

/// The development token: read from `data/dev-token`, or generated there (0600) on first start
/// and returned so that the caller prints it once.
fn dev_token(data_dir: &Path) -> Result<Option<String>, ServiceError> {
    let path = data_dir.join("dev-token");
    if path.exists() {
        return Ok(None);
    }
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).map_err(|e| ServiceError::Startup(e.to_string()))?;
    let token = format!("eucdoc-dev-{}", hex::encode(bytes));
    let mut file = tempfile::NamedTempFile::new_in(data_dir)
        .map_err(|e| ServiceError::Startup(format!("dev-token: {e}")))?;
    std::io::Write::write_all(&mut file, token.as_bytes())
        .map_err(|e| ServiceError::Startup(format!("dev-token: {e}")))?;
    file.persist(&path)
        .map_err(|e| ServiceError::Startup(format!("dev-token: {e}")))?;
    Ok(Some(token))
}

/// The development token stored in `data_dir`, if any (its hash is what the service checks).
pub fn read_dev_token(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(data_dir.join("dev-token"))
        .ok()
        .map(|t| t.trim().to_string())
}
