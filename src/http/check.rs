//! `/v1/check/{number}`: the public target of every document's QR code, and "compare your
//! copy". No authentication and no cookies; HTML in Kazakh, Russian or English for browsers,
//! JSON (errors as problem+json) for clients. A thin shell over [`crate::check`].

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use minijinja::Environment;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::problem::Problem;
use crate::check::compare::Comparison;
use crate::check::texts::{self, Lang};
use crate::check::view::{self, Asked};
use crate::check::{CheckAnswer, limit};

/// The check page's routes. Uploads have their own body limit (the configured copy size and
/// room for the multipart framing); the pages' Content-Security-Policy allows this origin's
/// style sheet and script only.
pub fn routes(max_upload_bytes: usize) -> Router<AppState> {
    let policy = HeaderValue::from_static(
        "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    Router::new()
        .route("/v1/check/{number}", get(check).post(compare))
        .route("/v1/check/assets/check.css", get(stylesheet))
        .route("/v1/check/assets/check.js", get(script))
        .layer(axum::extract::DefaultBodyLimit::max(
            max_upload_bytes.saturating_add(MULTIPART_ROOM),
        ))
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                policy,
            ),
        )
}

/// Room for a multipart body's boundaries and part headers around the copy itself.
const MULTIPART_ROOM: usize = 16 * 1024;

/// The QR code's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// SHA-256 of the document's data, as the QR code carries it.
    pub sha256: Option<String>,
    /// The page's language (`kk`, `ru`, `en`); otherwise the browser's Accept-Language.
    pub lang: Option<String>,
}

/// Is this document genuine?
#[utoipa::path(
    get, path = "/v1/check/{number}", tag = "public",
    params(("number" = String, Path, description = "Registry number"), CheckQuery),
    responses(
        (status = 200, description = "genuine, revoked, voided or unknown; HTML with Accept: text/html",
         body = CheckAnswer, content_type = "application/json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn check(
    State(state): State<AppState>,
    Path(number): Path<String>,
    query: Result<Query<CheckQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(bad_query)?;
    let answer = state
        .service
        .check(&number, query.sha256.as_deref())
        .await?;
    Ok(if wants_html(&headers) {
        let asked = asked(&state, &query, &headers);
        page(StatusCode::OK, view::page(asked, &answer, None))
    } else {
        Json(answer).into_response()
    })
}

/// Is this PDF the document? Multipart with the file in part `copy` (the page's form), or the
/// PDF itself as the body. The copy is compared and verified, never stored.
#[utoipa::path(
    post, path = "/v1/check/{number}", tag = "public",
    params(("number" = String, Path, description = "Registry number"), CheckQuery),
    request_body(
        description = "The copy as the body, or multipart/form-data with the part `copy` (the page's form)",
        content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/octet-stream"),
            (Object = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "identical, later-revision, other-revision or not-this-document",
         body = Comparison, content_type = "application/json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many comparisons from this address; see Retry-After",
         body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn compare(
    State(state): State<AppState>,
    Path(number): Path<String>,
    query: Result<Query<CheckQuery>, axum::extract::rejection::QueryRejection>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let html = wants_html(&headers);
    let query = match query {
        Ok(Query(query)) => query,
        Err(rejection) => return bad_query(rejection).into_response(),
    };
    let asked = asked(&state, &query, &headers);
    // The rate limit comes first: a refused upload is read only to be dropped.
    let config = &state.service.config().check;
    let forwarded = config
        .client_address_header
        .as_deref()
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok());
    let address = limit::client_address(forwarded, peer.map(|Extension(ConnectInfo(a))| a.ip()));
    if let Err(wait) = state.compare_limit.take(address) {
        let seconds = wait.as_secs() + 1;
        let mut problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-comparisons",
            format!(
                "more than {} comparisons a minute from this address; retry in {seconds} s",
                config.compares_per_minute
            ),
        );
        problem.retry_after = u32::try_from(seconds).ok();
        let message = texts::text(
            asked.lang,
            "rate_limited",
            &[("seconds", &seconds.to_string())],
        );
        return refusal(&state, &number, asked, html, problem, message).await;
    }
    let copy = match read_copy(request, config.max_upload_bytes).await {
        Ok(copy) => copy,
        Err(CopyProblem::TooLarge) => {
            let problem = Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "copy-too-large",
                format!(
                    "the copy is over the limit of {} bytes",
                    config.max_upload_bytes
                ),
            );
            let limit = view::megabytes(config.max_upload_bytes);
            let message = texts::text(asked.lang, "too_large", &[("limit", &limit)]);
            return refusal(&state, &number, asked, html, problem, message).await;
        }
        Err(CopyProblem::Missing(detail)) => {
            let problem = Problem::new(StatusCode::BAD_REQUEST, "no-copy", detail);
            let message = texts::text(asked.lang, "no_file", &[]);
            return refusal(&state, &number, asked, html, problem, message).await;
        }
    };
    let (answer, comparison) = match state
        .service
        .compare_copy(&number, asked.sha256, copy)
        .await
    {
        Ok(found) => found,
        Err(error) => return Problem::from(error).into_response(),
    };
    if !html {
        return Json(comparison).into_response();
    }
    page(
        StatusCode::OK,
        view::page(asked, &answer, Some(&comparison)),
    )
}

/// A refused upload: `problem` for clients, the page with `message` for browsers.
async fn refusal(
    state: &AppState,
    number: &str,
    asked: Asked<'_>,
    html: bool,
    problem: Problem,
    message: String,
) -> Response {
    if !html {
        return problem.into_response();
    }
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    let answer = match state.service.check(number, asked.sha256).await {
        Ok(answer) => answer,
        Err(error) => return Problem::from(error).into_response(),
    };
    let mut shown = view::page(asked, &answer, None);
    shown.error = Some(message);
    let mut response = page(status, shown);
    if let Some(seconds) = problem.retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

enum CopyProblem {
    TooLarge,
    Missing(String),
}

/// The copy: the multipart part `copy`, or the whole body.
async fn read_copy(request: Request, limit: usize) -> Result<Vec<u8>, CopyProblem> {
    let too_large = |status: StatusCode, text: String| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            CopyProblem::TooLarge
        } else {
            CopyProblem::Missing(text)
        }
    };
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let copy = if is_multipart {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| too_large(e.status(), e.body_text()))?;
        let mut found = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| too_large(e.status(), e.body_text()))?
        {
            if field.name() == Some("copy") {
                found = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| too_large(e.status(), e.body_text()))?,
                );
                break;
            }
        }
        found
            .ok_or_else(|| CopyProblem::Missing("the multipart body has no part \"copy\"".into()))?
    } else {
        Bytes::from_request(request, &())
            .await
            .map_err(|e| too_large(e.status(), e.body_text()))?
    };
    if copy.len() > limit {
        return Err(CopyProblem::TooLarge);
    }
    if copy.is_empty() {
        return Err(CopyProblem::Missing("the copy is empty".into()));
    }
    Ok(copy.to_vec())
}

fn bad_query(rejection: axum::extract::rejection::QueryRejection) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-parameter",
        rejection.body_text(),
    )
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn asked<'a>(state: &AppState, query: &'a CheckQuery, headers: &HeaderMap) -> Asked<'a> {
    let accept_language = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Asked {
        lang: Lang::choose(query.lang.as_deref(), accept_language),
        sha256: query.sha256.as_deref(),
        max_upload_bytes: state.service.config().check.max_upload_bytes,
    }
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        // Embedded and rendered by the unit test below: a broken template fails it, never the
        // service (which would answer 500).
        if let Err(error) = env.add_template(
            "check.html",
            include_str!("../../templates-check/check.html"),
        ) {
            tracing::error!(%error, "the check page's template does not parse");
        }
        env
    })
}

fn render(shown: &view::PageView) -> Result<String, minijinja::Error> {
    let lang = Lang::from_code(shown.lang).unwrap_or(Lang::En);
    let context =
        minijinja::context! { t => texts::texts(lang), ..minijinja::Value::from_serialize(shown) };
    templates().get_template("check.html")?.render(context)
}

/// The page as an HTML response, with the pages' security headers.
fn page(status: StatusCode, shown: view::PageView) -> Response {
    match render(&shown) {
        Ok(html) => {
            let mut response = (status, html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            super::secure_page(headers);
            headers.insert(
                header::VARY,
                HeaderValue::from_static("Accept, Accept-Language"),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "the check page failed to render");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the page failed to render",
            )
            .into_response()
        }
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../templates-check/check.css"),
    )
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../templates-check/check.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_renders_in_every_language() {
        let now = time::UtcDateTime::now();
        for lang in Lang::ALL {
            let asked = Asked {
                lang,
                sha256: Some("ab"),
                max_upload_bytes: 2 * 1024 * 1024,
            };
            let html = render(&view::page(
                asked,
                &CheckAnswer::unknown("KZ-<1>", now),
                None,
            ))
            .unwrap_or_else(|e| panic!("{lang:?}: {e}"));
            assert!(html.contains(&format!("<html lang=\"{}\">", lang.code())));
            assert!(html.contains("KZ-&lt;1&gt;"), "escaped");
            assert!(html.contains(&texts::text(lang, "status_unknown", &[])));
        }
    }
}
