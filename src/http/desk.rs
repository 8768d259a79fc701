//! The officers' desk pages under /desk/: a thin shell over [`crate::desk`] and the service.
//! Server-rendered HTML (minijinja, auto-escaped), every asset embedded, readable without
//! JavaScript. Sessions live in an HttpOnly, SameSite=Strict cookie; every form carries a CSRF
//! token; the scopes of the token an officer signed in with apply to every action.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::Environment;
use serde::Deserialize;

use super::AppState;
use crate::config::Scope;
use crate::desk::session::{self, LANG_COOKIE, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE};
use crate::desk::texts::{self, Lang};
use crate::desk::view::{self, Upload};
use crate::registry::DeskSessionRecord;

/// The desk's routes (and `/`, which leads to it).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/desk/") }))
        .route("/desk", get(|| async { Redirect::to("/desk/") }))
        .route("/desk/", get(home))
        .route("/desk/sign-in", get(sign_in_page).post(sign_in))
        .route("/desk/sign-out", post(sign_out))
        .route("/desk/check", post(check))
        .route("/desk/lang", get(set_language))
        .route("/desk/static/desk.css", get(stylesheet))
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in [
            ("base.html", include_str!("../../templates-desk/base.html")),
            (
                "sign_in.html",
                include_str!("../../templates-desk/sign_in.html"),
            ),
            (
                "check.html",
                include_str!("../../templates-desk/check.html"),
            ),
            (
                "report.html",
                include_str!("../../templates-desk/report.html"),
            ),
        ] {
            // Embedded and rendered by the tests: a broken template fails them, not the service.
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, name, "desk template does not parse");
            }
        }
        env
    })
}

/// What every page knows.
struct Page<'a> {
    lang: Lang,
    /// The path the language switch returns to.
    back: &'a str,
    officer: Option<&'a str>,
    csrf: &'a str,
}

/// Renders `template` with the page's common values and `values`; security headers on.
fn render(status: StatusCode, template: &str, page: &Page, values: minijinja::Value) -> Response {
    let context = minijinja::context! {
        lang => page.lang.code(),
        t => texts::texts(page.lang),
        back => page.back,
        officer => page.officer,
        csrf => page.csrf,
        ..values
    };
    match templates()
        .get_template(template)
        .and_then(|t| t.render(context))
    {
        Ok(html) => {
            let mut response = (status, html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            secure(headers);
            response
        }
        Err(error) => {
            tracing::error!(%error, template, "desk page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render",
            )
                .into_response()
        }
    }
}

/// Headers of every desk page: nothing from elsewhere, no framing, no caching.
fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
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

fn cookie_of<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| session::cookie_value(v, name))
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_code(cookie_of(headers, LANG_COOKIE))
}

/// The live session the request's cookie names.
async fn session_of(state: &AppState, headers: &HeaderMap) -> Option<(String, DeskSessionRecord)> {
    let id = cookie_of(headers, SESSION_COOKIE)?;
    match state.service.desk_session(id).await {
        Ok(found) => found.map(|record| (id.to_string(), record)),
        Err(error) => {
            tracing::warn!(%error, "desk session lookup failed");
            None
        }
    }
}

fn has_scope(record: &DeskSessionRecord, scope: Scope) -> bool {
    record.scopes.iter().any(|s| s == scope.name())
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// To the sign-in page, saying why when there is a reason.
fn to_sign_in(reason: Option<&str>) -> Response {
    match reason {
        Some(reason) => see_other(&format!("/desk/sign-in?why={reason}")),
        None => see_other("/desk/sign-in"),
    }
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let Some((_, record)) = session_of(&state, &headers).await else {
        return to_sign_in(cookie_of(&headers, SESSION_COOKIE).map(|_| "expired"));
    };
    let page = Page {
        lang,
        back: "/desk/",
        officer: Some(&record.officer),
        csrf: &record.csrf,
    };
    render(
        StatusCode::OK,
        "check.html",
        &page,
        minijinja::context! { message => None::<String> },
    )
}

#[derive(Deserialize)]
struct SignInQuery {
    why: Option<String>,
}

async fn sign_in_page(headers: HeaderMap, Query(query): Query<SignInQuery>) -> Response {
    let lang = lang_of(&headers);
    let message = match query.why.as_deref() {
        Some("expired") => Some(texts::text(lang, "session_expired", &[])),
        _ => None,
    };
    sign_in_form(lang, StatusCode::OK, message)
}

/// The sign-in form with a fresh double-submit CSRF token (cookie and hidden field).
fn sign_in_form(lang: Lang, status: StatusCode, message: Option<String>) -> Response {
    let csrf = session::new_secret();
    let page = Page {
        lang,
        back: "/desk/sign-in",
        officer: None,
        csrf: &csrf,
    };
    let mut response = render(
        status,
        "sign_in.html",
        &page,
        minijinja::context! { message => message },
    );
    set_cookie(
        &mut response,
        &session::cookie(SIGN_IN_CSRF_COOKIE, &csrf, 3600, false),
    );
    // Any old session cookie is dropped: signing in starts a new one.
    set_cookie(
        &mut response,
        &session::cookie(SESSION_COOKIE, "", 0, false),
    );
    response
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[derive(Deserialize)]
struct SignInForm {
    csrf: String,
    token: String,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<axum::Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let Ok(axum::Form(form)) = form else {
        return forbidden(lang);
    };
    let expected = cookie_of(&headers, SIGN_IN_CSRF_COOKIE).unwrap_or_default();
    if !session::csrf_matches(expected, &form.csrf) {
        return forbidden(lang);
    }
    let Some(entry) = state.tokens.find(form.token.trim()) else {
        return sign_in_form(
            lang,
            StatusCode::UNAUTHORIZED,
            Some(texts::text(lang, "bad_token", &[])),
        );
    };
    let scopes: Vec<String> = entry.scopes.iter().map(|s| s.name().to_string()).collect();
    let secure = state.service.config().desk.secure_cookies;
    match state
        .service
        .desk_sign_in(&entry.name, &scopes, "token")
        .await
    {
        Ok((id, _csrf)) => {
            let mut response = see_other("/desk/");
            let max_age = state.service.config().desk.session_max_seconds;
            set_cookie(
                &mut response,
                &session::cookie(SESSION_COOKIE, &id, max_age, secure),
            );
            set_cookie(
                &mut response,
                &session::cookie(SIGN_IN_CSRF_COOKIE, "", 0, secure),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "desk sign-in failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the registry did not answer",
            )
                .into_response()
        }
    }
}

/// 403 for a form without its CSRF token (or with another's).
fn forbidden(lang: Lang) -> Response {
    sign_in_form(
        lang,
        StatusCode::FORBIDDEN,
        Some(texts::text(lang, "bad_csrf", &[])),
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<axum::Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let Some((id, record)) = session_of(&state, &headers).await else {
        return to_sign_in(None);
    };
    let Ok(axum::Form(form)) = form else {
        return forbidden(lang);
    };
    if !session::csrf_matches(&record.csrf, &form.csrf) {
        return forbidden(lang);
    }
    if let Err(error) = state.service.desk_sign_out(&id, &record.officer).await {
        tracing::error!(%error, "desk sign-out failed");
    }
    let mut response = to_sign_in(None);
    set_cookie(
        &mut response,
        &session::cookie(SESSION_COOKIE, "", 0, false),
    );
    response
}

/// Verifies the files dropped on the check page: every PDF, every CMS with its data file.
async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang_of(&headers);
    let Some((_, record)) = session_of(&state, &headers).await else {
        return to_sign_in(cookie_of(&headers, SESSION_COOKIE).map(|_| "expired"));
    };
    let page = Page {
        lang,
        back: "/desk/",
        officer: Some(&record.officer),
        csrf: &record.csrf,
    };
    let again = |status: StatusCode, key: &str| {
        render(
            status,
            "check.html",
            &page,
            minijinja::context! { message => texts::text(lang, key, &[]) },
        )
    };
    let (csrf, files) = match read_check_form(multipart).await {
        Ok(read) => read,
        Err(status) => return again(status, "no_files"),
    };
    if !session::csrf_matches(&record.csrf, &csrf) {
        return forbidden(lang);
    }
    if !has_scope(&record, Scope::Verify) {
        return again(StatusCode::FORBIDDEN, "no_scope");
    }
    if files.is_empty() {
        return again(StatusCode::BAD_REQUEST, "no_files");
    }
    let mut views = Vec::new();
    for subject in view::pair(files) {
        let name = subject.name();
        let result = match subject {
            view::Subject::Document(file) => {
                state.service.verify(file.bytes, None, false, None).await
            }
            view::Subject::Detached { signature, data } => {
                state
                    .service
                    .verify(signature.bytes, Some(data.bytes), false, None)
                    .await
            }
            view::Subject::Unpaired(file) => {
                state.service.verify(file.bytes, None, false, None).await
            }
        };
        if let Ok(report) = &result {
            state.metrics.verified(report.indication);
        }
        views.push(view::file_view(
            name,
            result.map_err(|e| e.to_string()),
            lang,
        ));
    }
    render(
        StatusCode::OK,
        "report.html",
        &page,
        minijinja::context! { files => views },
    )
}

/// The check form's CSRF token and files; a malformed or oversized body is the status to answer.
async fn read_check_form(mut multipart: Multipart) -> Result<(String, Vec<Upload>), StatusCode> {
    let (mut csrf, mut files) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| e.status())? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| e.status())?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "files" if !bytes.is_empty() => files.push(Upload {
                name: file_name.unwrap_or_else(|| "file".into()),
                bytes: bytes.to_vec(),
            }),
            _ => {}
        }
    }
    Ok((csrf, files))
}

#[derive(Deserialize)]
struct LanguageQuery {
    to: Option<String>,
    back: Option<String>,
}

/// Switches the language (a cookie, a year) and returns to the page the switch was on; only
/// desk pages are returned to, so the link cannot send anyone elsewhere.
async fn set_language(Query(query): Query<LanguageQuery>) -> Response {
    let lang = Lang::from_code(query.to.as_deref());
    let back = query
        .back
        .filter(|b| b.starts_with("/desk/") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/desk/".into());
    let mut response = see_other(&back);
    set_cookie(
        &mut response,
        &session::cookie(LANG_COOKIE, lang.code(), 365 * 24 * 3600, false),
    );
    response
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates-desk/desk.css"),
    )
        .into_response()
}
