//! The registry of issued documents (SQLite by default, PostgreSQL for a `postgres://` URL, the
//! same portable SQL through sqlx's Any driver; migrations in `migrations/`) and the archive of
//! their PDFs ([`archive`]).
//!
//! Issuing is one transaction (design.md): take the next number for (form, year), build the
//! document with it (render, sign, archive — the archive write is fsynced first), insert the
//! document, the idempotency key and the audit record, commit. A failure anywhere rolls the
//! number back, so numbers are gapless: a number is taken only by a document that commits.
//! Documents built while the one before them commits join the next transaction (group
//! commit: one sync for several), each in a savepoint, so each keeps all of its rows or none.

pub mod archive;
pub mod bag;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

pub use archive::{Archive, ArchiveError, Hashed};

/// What the registry can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The database cannot be reached or refused a statement.
    #[error("registry database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema migrations failed.
    #[error("registry migrations: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// No such document.
    #[error("no document {0}")]
    NotFound(String),
    /// The document is revoked already.
    #[error("document {0} is revoked already")]
    AlreadyRevoked(String),
    /// The same idempotency key came with a different request.
    #[error("the idempotency key was used with a different request")]
    IdempotencyConflict,
    /// Building the document failed (validation, rendering, signing, archiving): nothing was
    /// registered and the number was not taken.
    #[error("{0}")]
    Build(String),
    /// A cursor that this registry did not hand out.
    #[error("invalid cursor")]
    BadCursor,
    /// The document is not (or no longer) a draft waiting for its signature.
    #[error("document {number} is {status}, not a draft waiting for its signature")]
    NotADraft {
        /// Its number.
        number: String,
        /// Its status: "issued" (signed already), "voided", "revoked".
        status: String,
    },
}

/// A registered document (everything but the PDF, which is in the archive).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentRecord {
    /// Opaque id (UUID).
    pub id: String,
    /// Registry number, e.g. `KZ-EUC-2026-000123`.
    pub number: String,
    /// Form key (`end_user_certificate`, `import_certificate`, `refusal`).
    pub form: String,
    /// Year of the numbering.
    pub year: i64,
    /// Sequence number within (form, year), from 1, gapless.
    pub seq: i64,
    /// When it was issued (RFC 3339, UTC).
    pub issued_at: String,
    /// The applicant's BIN or IIN.
    pub applicant_bin: String,
    /// The input JSON as sent.
    pub data: String,
    /// SHA-256 of the input in RFC 8785 canonical form (the QR code's `sha256`).
    pub data_sha256: String,
    /// SHA-256 of the signed PDF (its archive key).
    pub pdf_sha256: String,
    /// Size of the signed PDF.
    pub pdf_size: i64,
    /// The signer's identity (JSON object).
    pub signer: String,
    /// "issued" or "revoked".
    pub status: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// Why it was revoked.
    pub revocation_reason: Option<String>,
    /// The incoming application package it answers, when issued against one.
    pub application_id: Option<String>,
}

/// An incoming application package that passed every check, kept with its report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApplicationRecord {
    /// Opaque id (UUID): what documents reference as `application_id`.
    pub id: String,
    /// The application's incoming number, when it has one.
    pub number: Option<String>,
    /// The application's date (ISO 8601).
    pub application_date: String,
    /// The certificate applied for (`end_user_certificate` or `import_certificate`).
    pub certificate: String,
    /// The applicant's BIN or IIN.
    pub applicant_bin: String,
    /// When it was received (RFC 3339, UTC).
    pub received_at: String,
    /// SHA-256 of the package (a zip of its files) in the archive.
    pub package_sha256: String,
    /// The application's JSON (its data.json).
    pub application_data: String,
    /// The package report (JSON).
    pub report: String,
}

/// What a build step returns for the registry to insert.
#[derive(Debug, Clone)]
pub struct Built {
    /// The record (id, number, hashes, signer...).
    pub record: DocumentRecord,
    /// For a draft of external signing (record status "draft"): what its signature must fit,
    /// inserted in the same transaction as the record and its number.
    pub draft: Option<DraftRecord>,
}

/// A desk session to record.
#[derive(Debug)]
pub struct NewDeskSession<'a> {
    /// SHA-256 (hex) of the session id the browser holds.
    pub id_sha256: &'a str,
    /// Who signed in (a token's name, or the officer an AUTH certificate maps to).
    pub officer: &'a str,
    /// The scopes the session carries.
    pub scopes: &'a [String],
    /// The session's CSRF token, checked on every form it posts.
    pub csrf: &'a str,
    /// When it starts.
    pub now: time::UtcDateTime,
    /// Its absolute expiry.
    pub expires_at: time::UtcDateTime,
    /// How the officer signed in, for the audit log.
    pub how: &'a str,
}

/// A live desk session.
#[derive(Debug, Clone)]
pub struct DeskSessionRecord {
    /// Who signed in.
    pub officer: String,
    /// Its scopes' names.
    pub scopes: Vec<String>,
    /// Its CSRF token.
    pub csrf: String,
}

/// A draft of external signing: the document with this id waits for a signature made with
/// `certificate`'s key over `digest`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DraftRecord {
    /// The document's id.
    pub id: String,
    /// The officer's certificate, base64 DER.
    pub certificate: String,
    /// The digest to sign, base64.
    pub digest: String,
    /// "sha256", "sha384" or "streebog512".
    pub digest_algorithm: String,
    /// SHA-256 of the prepared (unsigned) PDF in the archive.
    pub draft_sha256: String,
    /// When made (registry time).
    pub created_at: String,
    /// After this the draft is voided (registry time).
    pub expires_at: String,
}

/// The idempotency key of a request: who sent it, the key, and the hash of the request.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The token's name: keys are per client.
    pub token_name: String,
    /// The `Idempotency-Key` header.
    pub key: String,
    /// SHA-256 of the request body.
    pub request_sha256: String,
}

/// Search filters (all optional) and paging.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Exact registry number.
    pub number: Option<String>,
    /// Applicant BIN/IIN.
    pub bin: Option<String>,
    /// Form key.
    pub form: Option<String>,
    /// Issued against this application package.
    pub application_id: Option<String>,
    /// Issued at or after (RFC 3339 or a date).
    pub from: Option<String>,
    /// Issued before (RFC 3339 or a date).
    pub to: Option<String>,
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size (1..=100).
    pub limit: i64,
}

/// Which changes [`Registry::changed_documents`] lists: registry times (RFC 3339 with
/// microseconds), `until` exclusive.
#[derive(Debug, Clone, Copy)]
pub struct ChangeWindow<'a> {
    /// Changed at or after.
    pub from: &'a str,
    /// Changed before.
    pub until: &'a str,
    /// Only this form.
    pub form: Option<&'a str>,
    /// Only this number.
    pub number: Option<&'a str>,
}

const COLUMNS: &str = "id, number, form, year, seq, issued_at, applicant_bin, data, data_sha256, \
                       pdf_sha256, pdf_size, signer, status, revoked_at, revocation_reason, \
                       application_id";

const APPLICATION_COLUMNS: &str = "id, number, application_date, certificate, applicant_bin, \
                                   received_at, package_sha256, application_data, report";

fn application_record(row: &sqlx::any::AnyRow) -> Result<ApplicationRecord, sqlx::Error> {
    Ok(ApplicationRecord {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        application_date: row.try_get("application_date")?,
        certificate: row.try_get("certificate")?,
        applicant_bin: row.try_get("applicant_bin")?,
        received_at: row.try_get("received_at")?,
        package_sha256: row.try_get("package_sha256")?,
        application_data: row.try_get("application_data")?,
        report: row.try_get("report")?,
    })
}

fn record(row: &sqlx::any::AnyRow) -> Result<DocumentRecord, sqlx::Error> {
    Ok(DocumentRecord {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        form: row.try_get("form")?,
        year: row.try_get("year")?,
        seq: row.try_get("seq")?,
        issued_at: row.try_get("issued_at")?,
        applicant_bin: row.try_get("applicant_bin")?,
        data: row.try_get("data")?,
        data_sha256: row.try_get("data_sha256")?,
        pdf_sha256: row.try_get("pdf_sha256")?,
        pdf_size: row.try_get("pdf_size")?,
        signer: row.try_get("signer")?,
        status: row.try_get("status")?,
        revoked_at: row.try_get("revoked_at")?,
        revocation_reason: row.try_get("revocation_reason")?,
        application_id: row.try_get("application_id")?,
    })
}

/// One issuing lane per (form, year).
type Lanes = Mutex<HashMap<(String, i64), Arc<Lane>>>;

/// Documents of one (form, year) are built in parallel, each with the number it will most
/// likely get (its guess), and committed in guess order. The database's counter decides: a
/// document whose guess turns out wrong (an earlier one failed, or another process issued) is
/// built again with the right number before it commits, so numbers stay gapless. The document
/// whose turn it is commits, in the same transaction, the built documents waiting with the
/// guesses that follow its number: while one transaction syncs, the next group gathers.
#[derive(Default)]
struct Lane {
    state: tokio::sync::Mutex<LaneState>,
    changed: tokio::sync::Notify,
    commit: tokio::sync::Mutex<()>,
    /// Built documents waiting to commit, by (guess, ticket): two may share a guess across a
    /// failure. Whoever commits takes those whose guesses follow its number.
    waiting: Mutex<BTreeMap<(i64, u64), Waiting>>,
    tickets: AtomicU64,
}

/// A built document waiting to commit, and where its outcome goes when another document's
/// transaction commits it.
struct Waiting {
    built: Built,
    idempotency: Option<Idempotency>,
    actor: String,
    done: tokio::sync::oneshot::Sender<Result<DocumentRecord, RegistryError>>,
}

/// Takes a document out of its lane's waiting list when its issuing ends, however it ends.
struct WaitingEntry<'a> {
    lane: &'a Lane,
    key: (i64, u64),
}

impl Drop for WaitingEntry<'_> {
    fn drop(&mut self) {
        crate::lock_unpoisoned(&self.lane.waiting).remove(&self.key);
    }
}

/// The most documents one transaction commits: bounds the transaction, not the speed (a
/// group forms from the documents built while the previous commit synced).
const MAX_GROUP: usize = 64;

#[derive(Default)]
struct LaneState {
    /// The next guess; `None`: read the counter first.
    next_guess: Option<i64>,
    /// The last sequence number this process saw committed.
    committed: i64,
    /// Bumped when guesses became wrong (a failure), so that waiters stop waiting.
    epoch: u64,
}

/// How long a document waits for its turn before committing anyway (and rebuilding if its
/// guess was wrong): another process may hold the numbers in between.
const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The registry.
pub struct Registry {
    pool: AnyPool,
    postgres: bool,
    /// One issuing lane per (form, year) in this process: the database's row lock makes it
    /// correct across processes, this keeps waiting out of the connection pool.
    lanes: Lanes,
    /// Issuing transactions committed, and documents that failed inside another's
    /// transaction: for the tests of group commit.
    #[cfg(test)]
    issue_commits: AtomicU64,
    #[cfg(test)]
    follower_failures: AtomicU64,
    /// Where the next committer with followers stops for good, telling the test it got there.
    #[cfg(test)]
    stop_committer: Mutex<Option<(CommitPoint, tokio::sync::oneshot::Sender<()>)>>,
}

/// Points of a group's commit where a test stops the committer, as if its caller went away.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommitPoint {
    BeforeCommit,
    AfterCommit,
}

fn now_rfc3339() -> String {
    registry_time(time::UtcDateTime::now())
}

/// RFC 3339 in UTC with exactly six fractional digits, so that text order is time order.
pub fn registry_time(time: time::UtcDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time.format(&format).unwrap_or_default()
}

/// A time the registry wrote ([`registry_time`]); None for anything else.
pub fn parse_registry_time(text: &str) -> Option<time::UtcDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.to_utc())
}

impl Registry {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, RegistryError> {
        install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let pool = AnyPoolOptions::new()
            .max_connections(if postgres { 16 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if !postgres {
                        // WAL: readers do not block the writer; a writer waits for another.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 30000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self {
            pool,
            postgres,
            lanes: Mutex::new(HashMap::new()),
            #[cfg(test)]
            issue_commits: AtomicU64::new(0),
            #[cfg(test)]
            follower_failures: AtomicU64::new(0),
            #[cfg(test)]
            stop_committer: Mutex::new(None),
        })
    }

    /// Whether this is PostgreSQL (else SQLite).
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn lane(&self, form: &str, year: i64) -> Arc<Lane> {
        let mut lanes = crate::lock_unpoisoned(&self.lanes);
        lanes.entry((form.to_string(), year)).or_default().clone()
    }

    /// The document an idempotency key already produced: `Ok(Some(id))` for the same request,
    /// [`RegistryError::IdempotencyConflict`] for a different one.
    pub async fn idempotent(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<String>, RegistryError> {
        let row = sqlx::query(
            "SELECT request_sha256, document_id FROM idempotency_keys \
             WHERE token_name = $1 AND idempotency_key = $2",
        )
        .bind(&idempotency.token_name)
        .bind(&idempotency.key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let request: String = row.try_get("request_sha256")?;
        if request != idempotency.request_sha256 {
            return Err(RegistryError::IdempotencyConflict);
        }
        Ok(Some(row.try_get("document_id")?))
    }

    /// Issues one document: calls `build` with the sequence number it will most likely get,
    /// then, in one transaction, takes the next number of (form, year) — building again if it
    /// differs — and registers the document. When `build` fails or the commit fails, nothing is
    /// registered and the number stays free.
    pub async fn issue<F, Fut>(
        &self,
        form: &str,
        year: i64,
        idempotency: Option<&Idempotency>,
        actor: &str,
        build: F,
    ) -> Result<DocumentRecord, RegistryError>
    where
        F: Fn(i64) -> Fut,
        Fut: Future<Output = Result<Built, String>>,
    {
        let lane = self.lane(form, year);
        let (guess, epoch) = {
            let mut state = lane.state.lock().await;
            let guess = match state.next_guess {
                Some(guess) => guess,
                None => {
                    let last: i64 = sqlx::query(
                        "SELECT last_value FROM counters WHERE form = $1 AND year = $2",
                    )
                    .bind(form)
                    .bind(year)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|row| row.try_get("last_value"))
                    .transpose()?
                    .unwrap_or(0);
                    state.committed = last;
                    last + 1
                }
            };
            state.next_guess = Some(guess + 1);
            (guess, state.epoch)
        };
        let result = self
            .build_and_commit(&lane, form, year, guess, epoch, idempotency, actor, &build)
            .await;
        if result.is_err() {
            // Later guesses are off by one now: make them stop waiting and guess again.
            let mut state = lane.state.lock().await;
            state.epoch += 1;
            state.next_guess = None;
            lane.changed.notify_waiters();
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn build_and_commit<F, Fut>(
        &self,
        lane: &Lane,
        form: &str,
        year: i64,
        guess: i64,
        epoch: u64,
        idempotency: Option<&Idempotency>,
        actor: &str,
        build: &F,
    ) -> Result<DocumentRecord, RegistryError>
    where
        F: Fn(i64) -> Fut,
        Fut: Future<Output = Result<Built, String>>,
    {
        let built = build(guess).await.map_err(RegistryError::Build)?;
        let id = built.record.id.clone();
        let key = (guess, lane.tickets.fetch_add(1, Ordering::Relaxed));
        let (done, mut answer) = tokio::sync::oneshot::channel();
        crate::lock_unpoisoned(&lane.waiting).insert(
            key,
            Waiting {
                built,
                idempotency: idempotency.cloned(),
                actor: actor.to_string(),
                done,
            },
        );
        // Out of the waiting list when this returns or is dropped: a document whose caller
        // went away is not committed by another.
        let _waiting = WaitingEntry { lane, key };
        // Wait for the documents guessed before this one; the one just before may commit
        // this one with it.
        loop {
            let notified = lane.changed.notified();
            match answer.try_recv() {
                Ok(answer) => return answer,
                // The committer that took this document went away before answering.
                Err(tokio::sync::oneshot::error::TryRecvError::Closed) => break,
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {}
            }
            {
                let state = lane.state.lock().await;
                if state.committed >= guess - 1 || state.epoch != epoch {
                    break;
                }
            }
            if tokio::time::timeout(TURN_WAIT, notified).await.is_err() {
                break;
            }
        }
        let _commit = lane.commit.lock().await;
        // A committer answers the documents it took before it lets go of the lock.
        if let Ok(answer) = answer.try_recv() {
            return answer;
        }
        let kept = crate::lock_unpoisoned(&lane.waiting)
            .remove(&key)
            .map(|waiting| waiting.built);
        let mut tx = self.pool.begin().await?;
        // Taking the number first holds the counter row (and in SQLite the write lock) until
        // commit or rollback: a transaction left by a committer that went away is over by now.
        let seq = take_number(&mut tx, form, year).await?;
        if kept.is_none() {
            // That committer took this document: it is registered if its commit went through.
            if let Some(committed) = document_by_id(&mut *tx, &id).await? {
                tx.rollback().await?;
                return Ok(committed);
            }
        }
        let guessed_right = seq == guess;
        let built = match kept {
            Some(built) if guessed_right => built,
            // Built with a number now wrong, or taken away and never committed: build again.
            _ => match build(seq).await {
                Ok(built) => built,
                Err(reason) => {
                    tx.rollback().await?;
                    return Err(RegistryError::Build(reason));
                }
            },
        };
        insert_document(&mut tx, &built, idempotency, actor).await?;
        // Group commit: documents already built with the numbers that follow go into the same
        // transaction, one sync for all. Each in a savepoint: one that fails is answered with
        // its error and ends the group; the later ones were built with numbers that may now
        // be wrong, so they commit on their own and build again if need be.
        let mut taken: Vec<Waiting> = Vec::new();
        let mut last = seq;
        let mut follower_failed = false;
        while guessed_right && taken.len() < MAX_GROUP {
            let next = {
                let mut waiting = crate::lock_unpoisoned(&lane.waiting);
                let found = waiting
                    .range((last + 1, 0)..(last + 2, 0))
                    .next()
                    .map(|(key, _)| *key);
                found.and_then(|key| waiting.remove(&key))
            };
            let Some(follower) = next else {
                break;
            };
            match commit_follower(&mut tx, form, year, last + 1, &follower).await {
                Ok(()) => {
                    last += 1;
                    taken.push(follower);
                }
                Err(error) => {
                    #[cfg(test)]
                    self.follower_failures.fetch_add(1, Ordering::Relaxed);
                    let _ = follower.done.send(Err(error));
                    follower_failed = true;
                    break;
                }
            }
        }
        #[cfg(test)]
        self.maybe_stop(CommitPoint::BeforeCommit, taken.len())
            .await;
        if let Err(error) = tx.commit().await {
            for follower in taken {
                let _ = follower.done.send(Err(RegistryError::Build(format!(
                    "registry database: {error}"
                ))));
            }
            return Err(error.into());
        }
        #[cfg(test)]
        self.maybe_stop(CommitPoint::AfterCommit, taken.len()).await;
        // Answered before the next await, where this task could be dropped.
        for follower in taken {
            let _ = follower.done.send(Ok(follower.built.record));
        }
        #[cfg(test)]
        self.issue_commits.fetch_add(1, Ordering::Relaxed);
        {
            let mut state = lane.state.lock().await;
            state.committed = state.committed.max(last);
            if !guessed_right || follower_failed {
                state.epoch += 1;
                state.next_guess = None;
            }
        }
        lane.changed.notify_waiters();
        Ok(built.record)
    }

    /// Stops here for good when a test asked for this point and the group has followers.
    #[cfg(test)]
    async fn maybe_stop(&self, point: CommitPoint, followers: usize) {
        let stop = {
            let mut asked = crate::lock_unpoisoned(&self.stop_committer);
            match asked.take() {
                Some((at, reached)) if at == point && followers > 0 => Some(reached),
                other => {
                    *asked = other;
                    None
                }
            }
        };
        if let Some(reached) = stop {
            let _ = reached.send(());
            std::future::pending::<()>().await;
        }
    }

    /// Registers a checked application package (already in the archive), audited as
    /// "receive-application" by `actor`.
    pub async fn receive_application(
        &self,
        application: &ApplicationRecord,
        actor: &str,
    ) -> Result<(), RegistryError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO applications ({APPLICATION_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&application.id)
        .bind(application.number.clone())
        .bind(&application.application_date)
        .bind(&application.certificate)
        .bind(&application.applicant_bin)
        .bind(&application.received_at)
        .bind(&application.package_sha256)
        .bind(&application.application_data)
        .bind(&application.report)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "receive-application",
            None,
            &serde_json::json!({
                "application_id": application.id,
                "number": application.number,
                "applicant_bin": application.applicant_bin,
                "package_sha256": application.package_sha256,
            })
            .to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The application package with `id`.
    pub async fn application(&self, id: &str) -> Result<ApplicationRecord, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| RegistryError::NotFound(format!("application {id}")))?;
        Ok(application_record(&row)?)
    }

    /// The document with `id`.
    pub async fn get(&self, id: &str) -> Result<DocumentRecord, RegistryError> {
        document_by_id(&self.pool, id)
            .await?
            .ok_or_else(|| RegistryError::NotFound(id.into()))
    }

    /// The document with registry number `number`.
    pub async fn by_number(&self, number: &str) -> Result<Option<DocumentRecord>, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM documents WHERE number = $1"
        ))
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(record).transpose()?)
    }

    /// A page of documents matching `search`, oldest first, and the cursor of the next page.
    pub async fn search(
        &self,
        search: &Search,
    ) -> Result<(Vec<DocumentRecord>, Option<String>), RegistryError> {
        let mut clauses = Vec::new();
        let mut values: Vec<String> = Vec::new();
        let mut add = |clause: &str, value: String| {
            values.push(value);
            clauses.push(clause.replace('?', &format!("${}", values.len())));
        };
        if let Some(number) = &search.number {
            add("number = ?", number.clone());
        }
        if let Some(bin) = &search.bin {
            add("applicant_bin = ?", bin.clone());
        }
        if let Some(form) = &search.form {
            add("form = ?", form.clone());
        }
        if let Some(application_id) = &search.application_id {
            add("application_id = ?", application_id.clone());
        }
        if let Some(from) = &search.from {
            add("issued_at >= ?", from.clone());
        }
        if let Some(to) = &search.to {
            add("issued_at < ?", to.clone());
        }
        if let Some(cursor) = &search.cursor {
            let (issued_at, id) = decode_cursor(cursor)?;
            // Keyset paging: after (issued_at, id) of the previous page's last row.
            values.push(issued_at.clone());
            let a = values.len();
            values.push(issued_at);
            let b = values.len();
            values.push(id);
            let c = values.len();
            clauses.push(format!(
                "(issued_at > ${a} OR (issued_at = ${b} AND id > ${c}))"
            ));
        }
        let limit = search.limit.clamp(1, 100);
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM documents {filter} ORDER BY issued_at, id LIMIT {}",
            limit + 1
        );
        let mut query = sqlx::query(&sql);
        for value in &values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut records = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
        let next = if records.len() as i64 > limit {
            records.truncate(limit as usize);
            records.last().map(|r| encode_cursor(&r.issued_at, &r.id))
        } else {
            None
        };
        Ok((records, next))
    }

    /// Revokes a document: its status changes, it stays archived, the audit log says who and why.
    pub async fn revoke(
        &self,
        id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<DocumentRecord, RegistryError> {
        let mut tx = self.pool.begin().await?;
        let now = now_rfc3339();
        let changed = sqlx::query(
            "UPDATE documents SET status = 'revoked', revoked_at = $1, revocation_reason = $2 \
             WHERE id = $3 AND status = 'issued'",
        )
        .bind(&now)
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            // Tell "no such document" from "revoked already".
            let existing = self.get(id).await?;
            return Err(RegistryError::AlreadyRevoked(existing.number));
        }
        audit(
            &mut tx,
            actor,
            "revoke",
            Some(id),
            &serde_json::json!({ "reason": reason }).to_string(),
        )
        .await?;
        tx.commit().await?;
        self.get(id).await
    }

    /// The draft with `id`, if there is one.
    pub async fn draft(&self, id: &str) -> Result<Option<DraftRecord>, RegistryError> {
        let row = sqlx::query(
            "SELECT id, certificate, digest, digest_algorithm, draft_sha256, created_at, \
             expires_at FROM drafts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(DraftRecord {
            id: row.try_get("id")?,
            certificate: row.try_get("certificate")?,
            digest: row.try_get("digest")?,
            digest_algorithm: row.try_get("digest_algorithm")?,
            draft_sha256: row.try_get("draft_sha256")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    /// A draft becomes its signed document: status "issued", the signed PDF's hash and size,
    /// the signer, in one transaction with the audit record. Only a draft that is still a
    /// draft and not expired at `now`: otherwise [`RegistryError::NotADraft`] (signed already by
    /// a concurrent request, or voided) and nothing changes.
    pub async fn complete_draft(
        &self,
        id: &str,
        signed: &DocumentRecord,
        now: &str,
        actor: &str,
    ) -> Result<DocumentRecord, RegistryError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE documents SET status = 'issued', pdf_sha256 = $1, pdf_size = $2, \
             signer = $3, issued_at = $4 WHERE id = $5 AND status = 'draft' \
             AND id IN (SELECT id FROM drafts WHERE expires_at > $6)",
        )
        .bind(&signed.pdf_sha256)
        .bind(signed.pdf_size)
        .bind(&signed.signer)
        .bind(&signed.issued_at)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            let existing = self.get(id).await?;
            return Err(RegistryError::NotADraft {
                number: existing.number,
                status: existing.status,
            });
        }
        audit(
            &mut tx,
            actor,
            "sign-draft",
            Some(id),
            &serde_json::json!({ "number": signed.number, "pdf_sha256": signed.pdf_sha256 })
                .to_string(),
        )
        .await?;
        tx.commit().await?;
        self.get(id).await
    }

    /// Voids every draft whose time ran out before `now`: its document becomes "voided" with
    /// the reason (the number stays taken and shows as voided), the audit log says who and
    /// when. Returns the numbers voided.
    pub async fn void_expired_drafts(
        &self,
        now: &str,
        actor: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let rows = sqlx::query(
            "SELECT documents.id, documents.number, drafts.expires_at FROM documents \
             JOIN drafts ON drafts.id = documents.id \
             WHERE documents.status = 'draft' AND drafts.expires_at <= $1",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut voided = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let number: String = row.try_get("number")?;
            let expires_at: String = row.try_get("expires_at")?;
            let reason = format!("draft not signed before {expires_at}");
            let mut tx = self.pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE documents SET status = 'voided', revoked_at = $1, \
                 revocation_reason = $2 WHERE id = $3 AND status = 'draft'",
            )
            .bind(now)
            .bind(&reason)
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 {
                audit(
                    &mut tx,
                    actor,
                    "void",
                    Some(&id),
                    &serde_json::json!({ "number": number, "reason": reason }).to_string(),
                )
                .await?;
                voided.push(number);
            }
            tx.commit().await?;
        }
        Ok(voided)
    }

    /// Every archived PDF hash the registry knows (for the orphan check at start), drafts'
    /// prepared PDFs and renewed documents' earlier revisions included.
    pub async fn pdf_hashes(&self) -> Result<Vec<String>, RegistryError> {
        let rows = sqlx::query(
            "SELECT pdf_sha256 FROM documents UNION SELECT draft_sha256 AS pdf_sha256 FROM drafts \
             UNION SELECT pdf_sha256 FROM archived_revisions",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| row.try_get("pdf_sha256").map_err(RegistryError::from))
            .collect()
    }

    /// Points document `id` at its renewed PDF (`pdf_sha256`, `pdf_size`, already archived) in
    /// place of `previous_sha256`, keeps the previous one as an earlier revision and audits the
    /// renewal, in one transaction. `false` when the document no longer has `previous_sha256`
    /// (another process renewed it first): nothing changes.
    pub async fn renew(
        &self,
        id: &str,
        previous_sha256: &str,
        pdf_sha256: &str,
        pdf_size: i64,
        actor: &str,
        detail: &str,
    ) -> Result<bool, RegistryError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE documents SET pdf_sha256 = $1, pdf_size = $2 WHERE id = $3 AND pdf_sha256 = $4",
        )
        .bind(pdf_sha256)
        .bind(pdf_size)
        .bind(id)
        .bind(previous_sha256)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO archived_revisions (pdf_sha256, document_id, superseded_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(previous_sha256)
        .bind(id)
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, actor, "renew", Some(id), detail).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The earlier revisions of document `id` (renewals), oldest first.
    pub async fn earlier_revisions(&self, id: &str) -> Result<Vec<String>, RegistryError> {
        let rows = sqlx::query(
            "SELECT pdf_sha256 FROM archived_revisions WHERE document_id = $1 \
             ORDER BY superseded_at, pdf_sha256",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| row.try_get("pdf_sha256").map_err(RegistryError::from))
            .collect()
    }

    /// Appends an event to the audit log outside any document transaction.
    pub async fn record_event(
        &self,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), RegistryError> {
        let mut tx = self.pool.begin().await?;
        audit(&mut tx, actor, action, None, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a new desk session (only the SHA-256 of its id is kept) and audits the sign-in.
    pub async fn open_session(&self, session: &NewDeskSession<'_>) -> Result<(), RegistryError> {
        let mut tx = self.pool.begin().await?;
        let now = registry_time(session.now);
        sqlx::query(
            "INSERT INTO desk_sessions \
             (id_sha256, officer, scopes, csrf, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(session.id_sha256)
        .bind(session.officer)
        .bind(session.scopes.join(" "))
        .bind(session.csrf)
        .bind(&now)
        .bind(registry_time(session.expires_at))
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, session.officer, "desk-sign-in", None, session.how).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session whose id hashes to `id_sha256`: not revoked, before its absolute expiry
    /// and seen after `idle_since`; `None` for any other. It is marked seen `now` when it was
    /// last marked before `touch_before`: a page view is a read, and only one in a while a write
    /// (each write waits for the disk).
    pub async fn live_session(
        &self,
        id_sha256: &str,
        now: time::UtcDateTime,
        idle_since: time::UtcDateTime,
        touch_before: time::UtcDateTime,
    ) -> Result<Option<DeskSessionRecord>, RegistryError> {
        let now = registry_time(now);
        let row = sqlx::query(
            "SELECT officer, scopes, csrf, last_seen_at FROM desk_sessions \
             WHERE id_sha256 = $1 AND revoked_at IS NULL AND expires_at > $2 \
             AND last_seen_at > $3",
        )
        .bind(id_sha256)
        .bind(&now)
        .bind(registry_time(idle_since))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let last_seen: String = row.try_get("last_seen_at")?;
        if last_seen < registry_time(touch_before) {
            sqlx::query(
                "UPDATE desk_sessions SET last_seen_at = $2 \
                 WHERE id_sha256 = $1 AND last_seen_at < $2",
            )
            .bind(id_sha256)
            .bind(&now)
            .execute(&self.pool)
            .await?;
        }
        let scopes: String = row.try_get("scopes")?;
        Ok(Some(DeskSessionRecord {
            officer: row.try_get("officer")?,
            scopes: scopes.split_whitespace().map(str::to_string).collect(),
            csrf: row.try_get("csrf")?,
        }))
    }

    /// Ends a session (sign-out, or an administrator's revocation) and audits it.
    pub async fn end_session(&self, id_sha256: &str, actor: &str) -> Result<(), RegistryError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE desk_sessions SET revoked_at = $2 WHERE id_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(id_sha256)
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, actor, "desk-sign-out", None, "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Final documents (not drafts) by when they last changed (their newest audit record:
    /// issued, revoked, voided), oldest change first: changed in `[from, until)`, of `form` when
    /// given, after the keyset `after` (changed, id), at most `limit`. Each with its change time.
    pub async fn changed_documents(
        &self,
        window: &ChangeWindow<'_>,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> Result<Vec<(DocumentRecord, String)>, RegistryError> {
        let mut clauses = vec![
            "d.status <> 'draft'".to_string(),
            "c.changed >= $1".to_string(),
            "c.changed < $2".to_string(),
        ];
        let mut values = vec![window.from.to_string(), window.until.to_string()];
        if let Some(form) = window.form {
            values.push(form.to_string());
            clauses.push(format!("d.form = ${}", values.len()));
        }
        if let Some(number) = window.number {
            values.push(number.to_string());
            clauses.push(format!("d.number = ${}", values.len()));
        }
        if let Some((changed, id)) = after {
            values.push(changed.to_string());
            let a = values.len();
            values.push(changed.to_string());
            let b = values.len();
            values.push(id.to_string());
            let c = values.len();
            clauses.push(format!(
                "(c.changed > ${a} OR (c.changed = ${b} AND d.id > ${c}))"
            ));
        }
        let columns: Vec<String> = COLUMNS
            .split(", ")
            .map(|c| format!("d.{}", c.trim()))
            .collect();
        let sql = format!(
            "SELECT {}, c.changed AS changed FROM documents d JOIN \
             (SELECT document_id, MAX(at) AS changed FROM audit_log \
              WHERE document_id IS NOT NULL GROUP BY document_id) c ON c.document_id = d.id \
             WHERE {} ORDER BY c.changed, d.id LIMIT {}",
            columns.join(", "),
            clauses.join(" AND "),
            limit.clamp(1, 1000)
        );
        let mut query = sqlx::query(&sql);
        for value in &values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok((record(row)?, row.try_get("changed")?)))
            .collect()
    }

    /// When the first final document changed (the repository's earliest datestamp).
    pub async fn earliest_change(&self) -> Result<Option<String>, RegistryError> {
        let row = sqlx::query(
            "SELECT MIN(a.at) AS earliest FROM audit_log a JOIN documents d ON d.id = a.document_id \
             WHERE d.status <> 'draft'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<String>, _>("earliest")?)
    }

    /// The audit records of a document, oldest first: (at, actor, action, detail).
    pub async fn audit_of(
        &self,
        document_id: &str,
    ) -> Result<Vec<(String, String, String, String)>, RegistryError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, detail FROM audit_log WHERE document_id = $1 ORDER BY at, id",
        )
        .bind(document_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("at")?,
                    row.try_get("actor")?,
                    row.try_get("action")?,
                    row.try_get("detail")?,
                ))
            })
            .collect()
    }
}

/// The document with `id`, read through `executor` (the pool, or a transaction).
async fn document_by_id<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
) -> Result<Option<DocumentRecord>, RegistryError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM documents WHERE id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    Ok(row.as_ref().map(record).transpose()?)
}

/// Inserts a built document, its idempotency key and draft if any, and its audit record.
async fn insert_document(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    built: &Built,
    idempotency: Option<&Idempotency>,
    actor: &str,
) -> Result<(), RegistryError> {
    let r = &built.record;
    sqlx::query(&format!(
        "INSERT INTO documents ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&r.id)
    .bind(&r.number)
    .bind(&r.form)
    .bind(r.year)
    .bind(r.seq)
    .bind(&r.issued_at)
    .bind(&r.applicant_bin)
    .bind(&r.data)
    .bind(&r.data_sha256)
    .bind(&r.pdf_sha256)
    .bind(r.pdf_size)
    .bind(&r.signer)
    .bind(&r.status)
    .bind(r.revoked_at.clone())
    .bind(r.revocation_reason.clone())
    .bind(r.application_id.clone())
    .execute(&mut **tx)
    .await?;
    if let Some(idempotency) = idempotency {
        sqlx::query(
            "INSERT INTO idempotency_keys \
             (token_name, idempotency_key, request_sha256, document_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&idempotency.token_name)
        .bind(&idempotency.key)
        .bind(&idempotency.request_sha256)
        .bind(&r.id)
        .bind(&r.issued_at)
        .execute(&mut **tx)
        .await?;
    }
    if let Some(d) = &built.draft {
        sqlx::query(
            "INSERT INTO drafts (id, certificate, digest, digest_algorithm, draft_sha256, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&d.id)
        .bind(&d.certificate)
        .bind(&d.digest)
        .bind(&d.digest_algorithm)
        .bind(&d.draft_sha256)
        .bind(&d.created_at)
        .bind(&d.expires_at)
        .execute(&mut **tx)
        .await?;
    }
    audit(
        tx,
        actor,
        if built.draft.is_some() {
            "draft"
        } else {
            "issue"
        },
        Some(&r.id),
        &serde_json::json!({
            "number": r.number,
            "pdf_sha256": r.pdf_sha256,
            "application_id": r.application_id,
        })
        .to_string(),
    )
    .await
}

/// Takes the next number of (form, year) in `tx`.
async fn take_number(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    form: &str,
    year: i64,
) -> Result<i64, RegistryError> {
    sqlx::query(
        "INSERT INTO counters (form, year, last_value) VALUES ($1, $2, 0) \
         ON CONFLICT (form, year) DO NOTHING",
    )
    .bind(form)
    .bind(year)
    .execute(&mut **tx)
    .await?;
    next_number(tx, form, year).await
}

/// Takes the next number of (form, year) in `tx`, whose counter row exists (a follower's: its
/// committer's [`take_number`] made it in the same transaction).
async fn next_number(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    form: &str,
    year: i64,
) -> Result<i64, RegistryError> {
    sqlx::query("UPDATE counters SET last_value = last_value + 1 WHERE form = $1 AND year = $2")
        .bind(form)
        .bind(year)
        .execute(&mut **tx)
        .await?;
    Ok(
        sqlx::query("SELECT last_value FROM counters WHERE form = $1 AND year = $2")
            .bind(form)
            .bind(year)
            .fetch_one(&mut **tx)
            .await?
            .try_get("last_value")?,
    )
}

/// Commits `follower`, built with number `expected`, in a savepoint of `tx`: undone whole if
/// any part fails.
async fn commit_follower(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    form: &str,
    year: i64,
    expected: i64,
    follower: &Waiting,
) -> Result<(), RegistryError> {
    let mut savepoint = sqlx::Acquire::begin(&mut **tx).await?;
    let seq = next_number(&mut savepoint, form, year).await?;
    if seq != expected {
        // Cannot happen while the counter row is held; refuse rather than mis-number.
        return Err(RegistryError::Build(format!(
            "internal: number {seq} taken for a document built as {expected}"
        )));
    }
    insert_document(
        &mut savepoint,
        &follower.built,
        follower.idempotency.as_ref(),
        &follower.actor,
    )
    .await?;
    savepoint.commit().await?;
    Ok(())
}

async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    action: &str,
    document_id: Option<&str>,
    detail: &str,
) -> Result<(), RegistryError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, document_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(now_rfc3339())
    .bind(actor)
    .bind(action)
    .bind(document_id.map(str::to_string))
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn encode_cursor(issued_at: &str, id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{issued_at}\n{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(String, String), RegistryError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| RegistryError::BadCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| RegistryError::BadCursor)?;
    let (issued_at, id) = text.split_once('\n').ok_or(RegistryError::BadCursor)?;
    Ok((issued_at.to_string(), id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_record(seq: i64, number: &str) -> DocumentRecord {
        DocumentRecord {
            // A new id per build, as the service gives.
            id: uuid::Uuid::new_v4().to_string(),
            number: number.to_string(),
            form: "end_user_certificate".to_string(),
            year: 2026,
            seq,
            issued_at: "2026-12-03T00:00:00Z".to_string(),
            applicant_bin: "000000000000".to_string(),
            data: "{}".to_string(),
            data_sha256: format!("{seq:064}"),
            pdf_sha256: format!("{seq:064}"),
            pdf_size: 1,
            signer: "{}".to_string(),
            status: "issued".to_string(),
            revoked_at: None,
            revocation_reason: None,
            application_id: None,
        }
    }

    /// Issues `count` documents at once. Document `i`'s build, given number `seq`, takes
    /// `build_ms(i, seq)` milliseconds, fails when `fails(i)`, and stamps the number into the
    /// record, as rendering does into the PDF. Its idempotency key is `key(i)`. Returns each
    /// outcome with the numbers its builds were given.
    async fn issue_at_once(
        registry: &Arc<Registry>,
        count: usize,
        build_ms: fn(usize, i64) -> u64,
        fails: fn(usize) -> bool,
        key: fn(usize) -> Option<String>,
    ) -> Vec<(Result<DocumentRecord, RegistryError>, Vec<i64>)> {
        let tasks: Vec<_> = (0..count)
            .map(|i| {
                let registry = registry.clone();
                tokio::spawn(async move {
                    let given = Arc::new(Mutex::new(Vec::new()));
                    let idempotency = key(i).map(|key| Idempotency {
                        token_name: "test".to_string(),
                        key,
                        request_sha256: format!("{i}"),
                    });
                    let outcome = registry
                        .issue(
                            "end_user_certificate",
                            2026,
                            idempotency.as_ref(),
                            "test",
                            |seq| {
                                let given = given.clone();
                                async move {
                                    given.lock().unwrap().push(seq);
                                    let ms = build_ms(i, seq);
                                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                                    if fails(i) {
                                        return Err(format!("document {i} cannot be built"));
                                    }
                                    Ok(Built {
                                        record: test_record(seq, &format!("KZ-EUC-2026-{seq:06}")),
                                        draft: None,
                                    })
                                }
                            },
                        )
                        .await;
                    let given = given.lock().unwrap().clone();
                    (outcome, given)
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    }

    /// A new SQLite registry, in a folder that lives as long as the returned guard.
    async fn sqlite_registry() -> (tempfile::TempDir, Arc<Registry>) {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", folder.path().join("r.db").display());
        let registry = Arc::new(Registry::connect(&url).await.unwrap());
        (folder, registry)
    }

    /// Builds of 1–5 ms, so that documents started in order finish out of order.
    fn out_of_order(i: usize, _seq: i64) -> u64 {
        1 + (i * 7 % 5) as u64
    }

    /// Every committed document carries the number it was built with, the numbers run from 1
    /// without a gap, and the registry holds exactly them.
    async fn assert_gapless(
        registry: &Registry,
        outcomes: &[(Result<DocumentRecord, RegistryError>, Vec<i64>)],
    ) -> usize {
        let mut numbers: Vec<i64> = Vec::new();
        for (outcome, given) in outcomes {
            if let Ok(record) = outcome {
                assert_eq!(record.number, format!("KZ-EUC-2026-{:06}", record.seq));
                assert_eq!(
                    given.last(),
                    Some(&record.seq),
                    "built last with its number"
                );
                let stored = registry.get(&record.id).await.unwrap();
                assert_eq!(&stored, record);
                numbers.push(record.seq);
            }
        }
        numbers.sort_unstable();
        let expected: Vec<i64> = (1..=numbers.len() as i64).collect();
        assert_eq!(numbers, expected);
        numbers.len()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn documents_built_meanwhile_commit_together_with_gapless_numbers() {
        let (_folder, registry) = sqlite_registry().await;
        let outcomes = issue_at_once(&registry, 120, out_of_order, |_| false, |_| None).await;
        assert!(outcomes.iter().all(|(outcome, _)| outcome.is_ok()));
        assert_eq!(assert_gapless(&registry, &outcomes).await, 120);
        let transactions = registry.issue_commits.load(Ordering::Relaxed);
        assert!(
            transactions < 120,
            "{transactions} transactions for 120 documents: none were grouped"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_take_no_number() {
        let (_folder, registry) = sqlite_registry().await;
        // Every 9th build fails; every 10th document reuses one idempotency key, so its insert
        // fails inside the transaction, except for the first to commit.
        let outcomes = issue_at_once(
            &registry,
            150,
            out_of_order,
            |i| i % 9 == 4,
            |i| {
                Some(if i % 10 == 0 {
                    "shared".to_string()
                } else {
                    format!("key-{i}")
                })
            },
        )
        .await;
        let build_failures = outcomes
            .iter()
            .filter(|(outcome, _)| {
                matches!(outcome, Err(RegistryError::Build(reason)) if reason.contains("cannot be built"))
            })
            .count();
        let key_failures = outcomes
            .iter()
            .filter(|(outcome, _)| matches!(outcome, Err(RegistryError::Database(_))))
            .count();
        assert_eq!(build_failures, (0..150).filter(|i| i % 9 == 4).count());
        let shared_built = (0..150).filter(|i| i % 10 == 0 && i % 9 != 4).count();
        assert_eq!(key_failures, shared_built - 1);
        let committed = assert_gapless(&registry, &outcomes).await;
        assert_eq!(committed, 150 - build_failures - key_failures);
    }

    /// The committer of a group goes away (its caller dropped) before or after its commit:
    /// every follower ends up registered exactly once, with a gapless number, and answered.
    async fn committer_goes_away(point: CommitPoint) {
        let (_folder, registry) = sqlite_registry().await;
        let (reached, stopped) = tokio::sync::oneshot::channel();
        *crate::lock_unpoisoned(&registry.stop_committer) = Some((point, reached));
        // The committer: number 1, built slowly, so that the others wait for it.
        let committer = tokio::spawn({
            let registry = registry.clone();
            async move {
                registry
                    .issue(
                        "end_user_certificate",
                        2026,
                        None,
                        "test",
                        |seq| async move {
                            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                            Ok(Built {
                                record: test_record(seq, &format!("KZ-EUC-2026-{seq:06}")),
                                draft: None,
                            })
                        },
                    )
                    .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let followers = tokio::spawn({
            let registry = registry.clone();
            async move {
                issue_at_once(
                    &registry,
                    20,
                    |_, _| 1,
                    |_| false,
                    |i| Some(format!("f{i}")),
                )
                .await
            }
        });
        stopped.await.unwrap();
        committer.abort();
        let outcomes = followers.await.unwrap();
        assert!(outcomes.iter().all(|(outcome, _)| outcome.is_ok()));
        let committed_with_them = point == CommitPoint::AfterCommit;
        let expected = 20 + usize::from(committed_with_them);
        let mut numbers: Vec<i64> = outcomes
            .iter()
            .filter_map(|(outcome, _)| outcome.as_ref().ok().map(|r| r.seq))
            .collect();
        if committed_with_them {
            numbers.push(1);
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=expected as i64).collect::<Vec<_>>());
        for (outcome, _) in &outcomes {
            let record = outcome.as_ref().unwrap();
            assert_eq!(&registry.get(&record.id).await.unwrap(), record);
        }
        let (listed, _) = registry
            .search(&Search {
                limit: 100,
                ..Search::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.len(), expected, "each document registered once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn followers_of_a_committer_gone_before_its_commit_commit_themselves() {
        committer_goes_away(CommitPoint::BeforeCommit).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn followers_of_a_committer_gone_after_its_commit_find_themselves_registered() {
        committer_goes_away(CommitPoint::AfterCommit).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_follower_that_fails_ends_its_group_and_the_rest_renumber() {
        let (_folder, registry) = sqlite_registry().await;
        let mut all =
            issue_at_once(&registry, 1, |_, _| 0, |_| false, |_| Some("shared".into())).await;
        assert!(all[0].0.is_ok());
        // Number 2's build is slow, so that the documents started after it are built and
        // waiting when it commits: they follow it into its transaction. The one started
        // second reuses the taken key, and its insert fails there.
        let slow_second = |_, seq| if seq == 2 { 1000 } else { 1 };
        let after = |ms| tokio::time::sleep(std::time::Duration::from_millis(ms));
        let (before, failing, later) = tokio::join!(
            issue_at_once(
                &registry,
                30,
                slow_second,
                |_| false,
                |i| Some(format!("a{i}"))
            ),
            async {
                after(50).await;
                issue_at_once(
                    &registry,
                    1,
                    slow_second,
                    |_| false,
                    |_| Some("shared".into()),
                )
                .await
            },
            async {
                after(100).await;
                issue_at_once(
                    &registry,
                    29,
                    slow_second,
                    |_| false,
                    |i| Some(format!("b{i}")),
                )
                .await
            },
        );
        assert!(matches!(failing[0].0, Err(RegistryError::Database(_))));
        assert_eq!(registry.follower_failures.load(Ordering::Relaxed), 1);
        assert!(
            before
                .iter()
                .all(|(outcome, given)| outcome.is_ok() && given.len() == 1)
        );
        // The later ones had guessed one number too high: they commit on their own, in the
        // order they get the lock, each built again unless its guess came right again.
        assert!(later.iter().all(|(outcome, _)| outcome.is_ok()));
        assert!(later.iter().any(|(_, given)| given.len() == 2));
        all.extend(before);
        all.extend(later);
        assert_eq!(assert_gapless(&registry, &all).await, 60);
    }
}
