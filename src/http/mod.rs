//! The HTTP service (axum): a thin shell over [`crate::service`]. One module per resource;
//! shared state explicit; auth by token scopes per route; every error a problem response.
// A Problem is the failed request's whole answer, built once; boxing it buys nothing.
#![allow(clippy::result_large_err)]

mod applications;
pub mod auth;
mod check;
mod desk;
mod documents;
mod drafts;
mod drain;
mod metrics;
mod oai;
pub mod problem;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use self::auth::{TokenEntry, Tokens};
use self::metrics::Metrics;
use self::problem::Problem;
use crate::config::Scope;
use crate::service::Service;

/// What every handler sees.
#[derive(Clone)]
pub struct AppState {
    /// The library service.
    pub service: Arc<Service>,
    /// Accepted tokens.
    pub tokens: Tokens,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Comparisons per client address on the public check page.
    pub compare_limit: Arc<crate::check::limit::CompareLimit>,
}

/// The OpenAPI document, generated from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(title = "eucdoc", description = "Issues and checks Kazakhstan's export-control documents (End-User Certificate, International Import Certificate, motivated refusal)."),
    paths(
        documents::issue, documents::get, documents::pdf, documents::package, documents::list,
        documents::revoke,
        drafts::create, drafts::get, drafts::pdf, drafts::sign,
        verify::verify, applications::check, applications::get, check::check, check::compare, oai::get, oai::post, healthz, readyz, metrics_text,
    ),
    components(schemas(
        documents::DocumentView, documents::Links, documents::DocumentPage,
        documents::RevokeRequest, problem::Problem, problem::ProblemField,
        crate::service::CheckAnswer, crate::check::Names,
        crate::check::compare::Comparison, crate::check::compare::CopySignature,
        crate::check::compare::Verdict, crate::service::DraftView,
        crate::service::DraftSignature,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "documents", description = "Issue, read, search and revoke documents"),
        (name = "drafts", description = "External signing: the officer's own key through NCALayer"),
        (name = "verify", description = "Verify signed documents"),
        (name = "public", description = "No authentication"),
        (name = "archive", description = "OAI-PMH 2.0 harvesting of the registry"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document as pretty JSON (what `/openapi.json` serves and `docs/openapi.json`
/// holds).
pub fn openapi_json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    doc.to_pretty_json().unwrap_or_default()
}

/// The tokens of the configuration, or the development token.
pub fn tokens_of(service: &Service) -> Tokens {
    let config = service.config();
    let mut entries: Vec<TokenEntry> = config
        .tokens
        .iter()
        .filter_map(|t| {
            let bytes: [u8; 32] = hex::decode(&t.sha256).ok()?.try_into().ok()?;
            Some(TokenEntry {
                name: t.name.clone(),
                sha256: bytes,
                scopes: t.scopes.clone(),
            })
        })
        .collect();
    if config.tokens.is_empty()
        && let Some(token) = crate::service::read_dev_token(&config.data_dir)
    {
        entries.push(TokenEntry {
            name: "development".into(),
            sha256: openssl::sha::sha256(token.as_bytes()),
            scopes: Scope::ALL.to_vec(),
        });
    }
    Tokens(Arc::new(entries))
}

/// Reads a body extracted under the configured limit; over it is 413.
pub(crate) fn body_bytes(
    body: Result<Bytes, BytesRejection>,
    state: &AppState,
) -> Result<Bytes, Problem> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::too_large(state.service.config().limits.body_bytes)
        } else {
            Problem::new(StatusCode::BAD_REQUEST, "bad-body", rejection.body_text())
        }
    })
}

/// Headers of every HTML page (the desk's and the check page) besides its
/// Content-Security-Policy: no framing, no sniffing, no referrer (links may carry a data hash), no
/// caching (answers change when a document is revoked).
pub(crate) fn secure_page(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A validation time as a client writes it: RFC 3339, any offset, taken as UTC.
pub(crate) fn parse_time(text: &str) -> Result<time::UtcDateTime, time::error::Parse> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.to_utc())
}

/// 201 Created with `body` as JSON and `Location: location`.
/// A multipart body's failure as a problem: 413 when it is over `limit`, else 400.
pub(crate) fn multipart_problem(
    error: axum::extract::multipart::MultipartError,
    limit: usize,
) -> Problem {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::too_large(limit)
    } else {
        Problem::new(StatusCode::BAD_REQUEST, "bad-multipart", error.body_text())
    }
}

pub(crate) fn created(body: impl serde::Serialize, location: &str) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The application: routes, limits, request ids, logs, metrics.
pub fn router(state: AppState) -> Router {
    let limits = state.service.config().limits.clone();
    let api = Router::new()
        .route("/v1/documents", post(documents::issue).get(documents::list))
        .route("/v1/documents/{id}", get(documents::get))
        .route("/v1/documents/{id}/pdf", get(documents::pdf))
        .route("/v1/documents/{id}/package", get(documents::package))
        .route("/oai", get(oai::get).post(oai::post))
        .route("/oai/eucdoc.xsd", get(oai::schema))
        .route("/v1/documents/{id}/revoke", post(documents::revoke))
        .route("/v1/drafts", post(drafts::create))
        .route("/v1/drafts/{id}", get(drafts::get))
        .route("/v1/drafts/{id}/pdf", get(drafts::pdf))
        .route("/v1/drafts/{id}/signature", post(drafts::sign))
        .route("/v1/verify", post(verify::verify))
        .route(
            "/v1/applications",
            post(applications::check).layer(DefaultBodyLimit::max(limits.package_bytes)),
        )
        .route("/v1/applications/{id}", get(applications::get))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi))
        .merge(desk::routes(
            &state.service.config().desk.ncalayer_url,
            limits.package_bytes,
        ))
        .merge(check::routes(state.service.config().check.max_upload_bytes))
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi-ui.json", ApiDoc::openapi()),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(middleware::from_fn_with_state(
            Duration::from_secs(limits.request_seconds),
            time_limit,
        ))
        // Outside the time limit: draining has bounds of its own.
        .layer(middleware::from_fn(drain::read_unread_bodies));
    api.with_state(state)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                // Only method, path and id: never headers (the token) or bodies.
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not-found", "no such route")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this route does not take this method",
    )
}

/// Counts and times every request by route and status.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state.metrics.request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// A request that takes longer than the limit is answered 503 with Retry-After.
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut problem = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!("the request took longer than {} s", limit.as_secs()),
            );
            problem.retry_after = Some(1);
            problem.into_response()
        }
    }
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = String, content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: registry and archive reachable, signing key loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.service.ready().await {
        Ok(()) => "ready".into_response(),
        Err(error) => {
            let mut problem = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                error.to_string(),
            );
            problem.retry_after = Some(5);
            problem.into_response()
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
async fn metrics_text(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

async fn openapi() -> Response {
    let mut response = openapi_json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Serves until SIGTERM or Ctrl-C: stops accepting, finishes the requests in flight, closes the
/// registry.
pub async fn serve(service: Arc<Service>) -> std::io::Result<()> {
    let state = AppState {
        tokens: tokens_of(&service),
        metrics: Arc::new(Metrics::new()),
        compare_limit: Arc::new(crate::check::limit::CompareLimit::new(
            std::num::NonZeroU32::new(service.config().check.compares_per_minute)
                .unwrap_or(std::num::NonZeroU32::MIN),
        )),
        service: service.clone(),
    };
    let listener = tokio::net::TcpListener::bind(service.config().listen).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    // Drafts not signed in time are voided even when nobody looks at them.
    let sweeper = {
        let service = service.clone();
        let every = Duration::from_secs(service.config().drafts.sweep_seconds);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(error) = service.void_expired_drafts().await {
                    tracing::warn!(%error, "voiding expired drafts failed; retried later");
                }
            }
        })
    };
    // Opt-in long-term renewal of the archive ([renewal] every_seconds).
    let renewer = (service.config().renewal.every_seconds > 0).then(|| {
        let service = service.clone();
        let every = Duration::from_secs(service.config().renewal.every_seconds);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match service.renew_due("eucdoc serve").await {
                    Ok(summary) => tracing::info!(
                        documents = summary.documents,
                        renewed = summary.renewed,
                        "long-term renewal"
                    ),
                    Err(error) => {
                        tracing::warn!(%error, "long-term renewal failed; retried later")
                    }
                }
            }
        })
    });
    // The peer address is the check page's rate-limit key.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    sweeper.abort();
    if let Some(renewer) = renewer {
        renewer.abort();
    }
    tracing::info!("shutting down: requests finished, closing the registry");
    service.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
