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
use crate::model::Form;
use crate::registry::DeskSessionRecord;

/// The desk's routes (and `/`, which leads to it). Their Content-Security-Policy allows this
/// origin's styles and scripts only, and WebSocket connections to NCALayer at `ncalayer_url`.
pub fn routes(ncalayer_url: &str, package_bytes: usize) -> Router<AppState> {
    let policy = format!(
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
         connect-src 'self' {ncalayer_url}; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'"
    );
    let policy = HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    Router::new()
        .route("/", get(|| async { Redirect::to("/desk/") }))
        .route("/desk", get(|| async { Redirect::to("/desk/") }))
        .route("/desk/", get(home))
        .route("/desk/sign-in", get(sign_in_page).post(sign_in))
        .route("/desk/sign-out", post(sign_out))
        .route("/desk/check", post(check))
        .route("/desk/lang", get(set_language))
        .route("/desk/registry", get(registry))
        .route(
            "/desk/applications",
            get(application_page)
                .post(application_check)
                .layer(axum::extract::DefaultBodyLimit::max(package_bytes)),
        )
        .route("/desk/documents/{id}", get(document))
        .route("/desk/documents/{id}/pdf", get(document_pdf))
        .route("/desk/documents/{id}/preview.png", get(document_preview))
        .route("/desk/documents/{id}/revoke", post(revoke))
        .route("/desk/issue/{form}", get(issue_page).post(issue))
        .route("/desk/sign-in/eds", post(sign_in_eds))
        .route("/desk/drafts/{id}", get(draft))
        .route("/desk/drafts/{id}/preview.png", get(draft_preview))
        .route("/desk/drafts/{id}/signature", post(sign_draft))
        .route("/desk/static/desk.css", get(stylesheet))
        .route("/desk/static/ncalayer.js", get(script))
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                policy,
            ),
        )
}

/// The desk's templates, embedded.
const TEMPLATES: [(&str, &str); 10] = [
    (
        "application.html",
        include_str!("../../templates-desk/application.html"),
    ),
    (
        "draft.html",
        include_str!("../../templates-desk/draft.html"),
    ),
    (
        "issue.html",
        include_str!("../../templates-desk/issue.html"),
    ),
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
    (
        "registry.html",
        include_str!("../../templates-desk/registry.html"),
    ),
    (
        "document.html",
        include_str!("../../templates-desk/document.html"),
    ),
    (
        "message.html",
        include_str!("../../templates-desk/message.html"),
    ),
];

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        // Embedded and parsed by the unit test below: a broken template fails it, never the
        // service (which would answer 500 for that page).
        environment().unwrap_or_else(|error| {
            tracing::error!(%error, "desk templates do not parse");
            Environment::new()
        })
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
            super::secure_page(headers);
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

async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Response {
    let lang = lang_of(&headers);
    let message = match query.why.as_deref() {
        Some("expired") => Some(texts::text(lang, "session_expired", &[])),
        _ => None,
    };
    sign_in_form(&state, lang, StatusCode::OK, message)
}

/// What an officer's AUTH key signs to sign in: bound to this browser's sign-in CSRF token,
/// which only its HttpOnly cookie holds, so a signature seen elsewhere signs no one in here.
fn challenge(csrf: &str) -> Vec<u8> {
    format!("eucdoc desk sign-in {csrf}").into_bytes()
}

/// The sign-in page with a fresh double-submit CSRF token (cookie and hidden field).
fn sign_in_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    message: Option<String>,
) -> Response {
    use base64::Engine;
    let csrf = session::new_secret();
    let page = Page {
        lang,
        back: "/desk/sign-in",
        officer: None,
        csrf: &csrf,
    };
    let desk = &state.service.config().desk;
    let mut response = render(
        status,
        "sign_in.html",
        &page,
        minijinja::context! {
            message => message,
            ncalayer_url => &desk.ncalayer_url,
            challenge => base64::engine::general_purpose::STANDARD.encode(challenge(&csrf)),
        },
    );
    set_cookie(
        &mut response,
        &session::cookie(SIGN_IN_CSRF_COOKIE, &csrf, 3600, desk.secure_cookies),
    );
    // Any old session cookie is dropped: signing in starts a new one.
    set_cookie(
        &mut response,
        &session::cookie(SESSION_COOKIE, "", 0, desk.secure_cookies),
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

/// A sign-in form (no session yet): its CSRF token must be the one its cookie holds.
fn sign_in_posted<F: Posted>(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<axum::Form<F>, axum::extract::rejection::FormRejection>,
) -> Result<F, Response> {
    let expected = cookie_of(headers, SIGN_IN_CSRF_COOKIE).unwrap_or_default();
    match form {
        Ok(axum::Form(form)) if session::csrf_matches(expected, form.csrf()) => Ok(form),
        _ => Err(forbidden(state, lang_of(headers))),
    }
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<axum::Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let form = match sign_in_posted(&state, &headers, form) {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let Some(entry) = state.tokens.find(form.token.trim()) else {
        return sign_in_form(
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            Some(texts::text(lang, "bad_token", &[])),
        );
    };
    let scopes: Vec<String> = entry.scopes.iter().map(|s| s.name().to_string()).collect();
    let signed_in = state
        .service
        .desk_sign_in(&entry.name, &scopes, "token")
        .await;
    session_started(&state, lang, signed_in)
}

#[derive(Deserialize)]
struct EdsForm {
    csrf: String,
    cms: String,
}

/// Signing in with an EDS: NCALayer's CMS over this browser's challenge, by an AUTH key of a
/// configured officer, checked by the verifier (chain, revocation, clientAuth).
async fn sign_in_eds(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<axum::Form<EdsForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let form = match sign_in_posted(&state, &headers, form) {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    let signed_in = state
        .service
        .desk_sign_in_eds(form.cms.into_bytes(), challenge(&form.csrf))
        .await;
    session_started(&state, lang, signed_in)
}

/// After a sign-in: the session cookie and the desk, or the sign-in page saying why not.
fn session_started(
    state: &AppState,
    lang: Lang,
    signed_in: Result<String, crate::service::ServiceError>,
) -> Response {
    let desk = &state.service.config().desk;
    match signed_in {
        Ok(id) => {
            let mut response = see_other("/desk/");
            set_cookie(
                &mut response,
                &session::cookie(
                    SESSION_COOKIE,
                    &id,
                    desk.session_max_seconds,
                    desk.secure_cookies,
                ),
            );
            set_cookie(
                &mut response,
                &session::cookie(SIGN_IN_CSRF_COOKIE, "", 0, desk.secure_cookies),
            );
            response
        }
        Err(crate::service::ServiceError::NotAllowed(reason)) => sign_in_form(
            state,
            lang,
            StatusCode::FORBIDDEN,
            Some(format!(
                "{} {reason}",
                texts::text(lang, "eds_refused", &[])
            )),
        ),
        Err(error) => {
            tracing::error!(%error, "desk sign-in failed");
            sign_in_form(
                state,
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(texts::text(lang, "unavailable", &[])),
            )
        }
    }
}

/// 403 for a form without its CSRF token (or with another's): the sign-in page, saying so.
fn forbidden(state: &AppState, lang: Lang) -> Response {
    sign_in_form(
        state,
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
    let (id, record, _) = match posted(&state, &headers, None, "/desk/", form).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if let Err(error) = state.service.desk_sign_out(&id, &record.officer).await {
        tracing::error!(%error, "desk sign-out failed");
    }
    let mut response = to_sign_in(None);
    set_cookie(
        &mut response,
        &session::cookie(
            SESSION_COOKIE,
            "",
            0,
            state.service.config().desk.secure_cookies,
        ),
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
    let (csrf, at_text, files) = match read_check_form(multipart).await {
        Ok(read) => read,
        Err(status) => return again(status, "no_files"),
    };
    if !session::csrf_matches(&record.csrf, &csrf) {
        return forbidden(&state, lang);
    }
    if !has_scope(&record, Scope::Verify) {
        return again(StatusCode::FORBIDDEN, "no_scope");
    }
    if files.is_empty() {
        return again(StatusCode::BAD_REQUEST, "no_files");
    }
    // The validation time, when the officer gives one (a signature made when its certificate
    // was valid, checked as of then).
    let at = match at_text.trim() {
        "" => None,
        text => match super::parse_time(text) {
            Ok(at) => Some(at),
            Err(_) => {
                return render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "check.html",
                    &page,
                    minijinja::context! {
                        message => None::<String>,
                        at => text,
                        at_error => texts::text(lang, "at_invalid", &[]),
                    },
                );
            }
        },
    };
    let mut views = Vec::new();
    for subject in view::pair(files) {
        let name = subject.name();
        let (signed, data) = subject.into_parts();
        let sha256 = hex::encode(openssl::sha::sha256(&signed.bytes));
        let result = state
            .service
            .verify(signed.bytes, data.map(|d| d.bytes), false, at)
            .await;
        if let Ok(report) = &result {
            state.metrics.verified(report.indication);
        }
        views.push(view::file_view(
            name,
            sha256,
            result.map_err(|e| e.to_string()),
            lang,
        ));
    }
    let report_pdf = match state
        .service
        .desk_report_pdf(&views, lang, &record.officer)
        .await
    {
        Ok(pdf) => {
            use base64::Engine;
            Some(base64::engine::general_purpose::STANDARD.encode(pdf))
        }
        Err(error) => {
            tracing::warn!(%error, "the desk's report PDF failed");
            None
        }
    };
    render(
        StatusCode::OK,
        "report.html",
        &page,
        minijinja::context! { files => views, report_pdf => report_pdf },
    )
}

/// The check form's CSRF token, validation time (as typed) and files; a malformed or
/// oversized body is the status to answer.
async fn read_check_form(
    mut multipart: Multipart,
) -> Result<(String, String, Vec<Upload>), StatusCode> {
    let (mut csrf, mut at, mut files) = (String::new(), String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| e.status())? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| e.status())?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "at" => at = String::from_utf8_lossy(&bytes).into_owned(),
            "files" if !bytes.is_empty() => files.push(Upload {
                name: file_name.unwrap_or_else(|| "file".into()),
                bytes: bytes.to_vec(),
            }),
            _ => {}
        }
    }
    Ok((csrf, at, files))
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

/// The signed-in officer with `scope`: otherwise the answer to give (to sign-in, or 403).
async fn officer_with(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
    back: &str,
) -> Result<(String, DeskSessionRecord), Response> {
    officer(state, headers, Some(scope), back).await
}

/// The signed-in officer, with `scope` when one is named.
async fn officer(
    state: &AppState,
    headers: &HeaderMap,
    scope: Option<Scope>,
    back: &str,
) -> Result<(String, DeskSessionRecord), Response> {
    let lang = lang_of(headers);
    let Some((id, record)) = session_of(state, headers).await else {
        return Err(to_sign_in(
            cookie_of(headers, SESSION_COOKIE).map(|_| "expired"),
        ));
    };
    if scope.is_some_and(|scope| !has_scope(&record, scope)) {
        let page = Page {
            lang,
            back,
            officer: Some(&record.officer),
            csrf: &record.csrf,
        };
        return Err(message(
            StatusCode::FORBIDDEN,
            &page,
            "forbidden_title",
            "no_scope",
        ));
    }
    Ok((id, record))
}

/// What a desk form carries besides its fields: the session's CSRF token.
trait Posted {
    fn csrf(&self) -> &str;
}

/// Every desk form names its CSRF token field `csrf`.
macro_rules! posted_forms {
    ($($form:ty),*) => {
        $(impl Posted for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })*
    };
}
posted_forms!(
    SignInForm,
    EdsForm,
    CsrfForm,
    RevokeForm,
    DraftSignatureForm
);

/// A form posted by the signed-in officer (with `scope` when named): the session id, the
/// session and the form; or the answer instead (to sign-in, or 403 for a missing scope, a
/// malformed form or a CSRF token that is not the session's).
async fn posted<F: Posted>(
    state: &AppState,
    headers: &HeaderMap,
    scope: Option<Scope>,
    back: &str,
    form: Result<axum::Form<F>, axum::extract::rejection::FormRejection>,
) -> Result<(String, DeskSessionRecord, F), Response> {
    let (id, session) = officer(state, headers, scope, back).await?;
    match form {
        Ok(axum::Form(form)) if session::csrf_matches(&session.csrf, form.csrf()) => {
            Ok((id, session, form))
        }
        _ => Err(forbidden(state, lang_of(headers))),
    }
}

/// A page that only says something: `heading` and `text` are text keys.
fn message(status: StatusCode, page: &Page, heading: &str, text: &str) -> Response {
    render(
        status,
        "message.html",
        page,
        minijinja::context! {
            heading => texts::text(page.lang, heading, &[]),
            message => texts::text(page.lang, text, &[]),
        },
    )
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct RegistryQuery {
    number: Option<String>,
    bin: Option<String>,
    form: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

/// An empty form field is no criterion.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The application package page: the upload form.
async fn application_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (_, record) =
        match officer_with(&state, &headers, Scope::Verify, "/desk/applications").await {
            Ok(found) => found,
            Err(answer) => return answer,
        };
    let page = Page {
        lang: lang_of(&headers),
        back: "/desk/applications",
        officer: Some(&record.officer),
        csrf: &record.csrf,
    };
    render(
        StatusCode::OK,
        "application.html",
        &page,
        minijinja::context! { message => None::<String>, package => None::<()> },
    )
}

/// Checks an uploaded package (and keeps it when accepted, as `POST /v1/applications` does):
/// the report as a page.
async fn application_check(
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
        back: "/desk/applications",
        officer: Some(&record.officer),
        csrf: &record.csrf,
    };
    let again = |status: StatusCode, message: String| {
        render(
            status,
            "application.html",
            &page,
            minijinja::context! { message => message, package => None::<()> },
        )
    };
    let (csrf, _, files) = match read_check_form(multipart).await {
        Ok(read) => read,
        Err(status) => return again(status, texts::text(lang, "no_files", &[])),
    };
    if !session::csrf_matches(&record.csrf, &csrf) {
        return forbidden(&state, lang);
    }
    if !has_scope(&record, Scope::Verify) {
        return again(StatusCode::FORBIDDEN, texts::text(lang, "no_scope", &[]));
    }
    if files.is_empty() {
        return again(StatusCode::BAD_REQUEST, texts::text(lang, "no_files", &[]));
    }
    let files = files
        .into_iter()
        .map(|upload| crate::applications::PackageFile {
            name: upload.name,
            bytes: upload.bytes,
        })
        .collect();
    match state
        .service
        .receive_application(files, false, &record.officer)
        .await
    {
        Ok((report, kept)) => render(
            StatusCode::OK,
            "application.html",
            &page,
            minijinja::context! {
                message => None::<String>,
                package => view::package_view(&report, kept.as_ref().map(|k| k.id.as_str()), lang),
            },
        ),
        Err(error) => {
            let problem = super::problem::Problem::from(error);
            let mut message = problem.detail.clone();
            for field in &problem.errors {
                message.push_str(&format!("; {}: {}", field.path, field.reason));
            }
            again(
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST),
                message,
            )
        }
    }
}

/// The registry: search by number, BIN, form and dates; 25 a page.
async fn registry(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RegistryQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (_, record) = match officer_with(&state, &headers, Scope::Read, "/desk/registry").await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let lang = lang_of(&headers);
    let page = Page {
        lang,
        back: "/desk/registry",
        officer: Some(&record.officer),
        csrf: &record.csrf,
    };
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let search = crate::registry::Search {
        number: given(&query.number),
        bin: given(&query.bin),
        form: given(&query.form),
        application_id: None,
        from: given(&query.from),
        to: given(&query.to),
        cursor: given(&query.cursor),
        limit: 25,
    };
    let mut errors = std::collections::BTreeMap::new();
    let (records, next) = match state.service.search(&search).await {
        Ok((records, cursor)) => {
            let next = cursor.map(|cursor| {
                let next = RegistryQuery {
                    cursor: Some(cursor),
                    ..query_of(&search)
                };
                format!(
                    "/desk/registry?{}",
                    serde_urlencoded::to_string(&next).unwrap_or_default()
                )
            });
            (records, next)
        }
        Err(crate::service::ServiceError::BadParameter { name, message }) => {
            errors.insert(name, message);
            (Vec::new(), None)
        }
        Err(error) => {
            tracing::warn!(%error, "desk registry search failed");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                &page,
                "registry_title",
                "unavailable",
            );
        }
    };
    let records: Vec<view::RecordView> = records.iter().map(|r| view::row_view(r, lang)).collect();
    render(
        StatusCode::OK,
        "registry.html",
        &page,
        minijinja::context! { query => query, records => records, next => next, errors => errors },
    )
}

fn query_of(search: &crate::registry::Search) -> RegistryQuery {
    RegistryQuery {
        number: search.number.clone(),
        bin: search.bin.clone(),
        form: search.form.clone(),
        from: search.from.clone(),
        to: search.to.clone(),
        cursor: None,
    }
}

#[derive(Deserialize)]
struct DocumentQuery {
    done: Option<String>,
}

/// A document: its status, preview, data and audit trail; revocation for administrators.
async fn document(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(query): Query<DocumentQuery>,
) -> Response {
    let back = format!("/desk/documents/{id}");
    let (_, record) = match officer_with(&state, &headers, Scope::Read, &back).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let done = match query.done.as_deref() {
        Some("revoked") => Some("document_revoked"),
        Some("issued") => Some("document_issued"),
        _ => None,
    };
    document_page(&state, &headers, &record, &id, StatusCode::OK, done, None).await
}

async fn document_page(
    state: &AppState,
    headers: &HeaderMap,
    session: &DeskSessionRecord,
    id: &str,
    status: StatusCode,
    done: Option<&str>,
    reason_error: Option<String>,
) -> Response {
    let lang = lang_of(headers);
    let back = format!("/desk/documents/{id}");
    let page = Page {
        lang,
        back: &back,
        officer: Some(&session.officer),
        csrf: &session.csrf,
    };
    let found = match state.service.get(id).await {
        Ok(found) => found,
        Err(crate::service::ServiceError::NotFound(_)) => {
            return message(StatusCode::NOT_FOUND, &page, "document_title", "not_found");
        }
        Err(error) => {
            tracing::warn!(%error, "desk document lookup failed");
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                &page,
                "document_title",
                "unavailable",
            );
        }
    };
    let audit: Vec<view::AuditLine> = state
        .service
        .registry()
        .audit_of(id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(at, actor, action, detail)| view::AuditLine {
            at,
            actor,
            action,
            detail,
        })
        .collect();
    render(
        status,
        "document.html",
        &page,
        minijinja::context! {
            r => view::record_view(&found, lang),
            audit => audit,
            can_revoke => has_scope(session, Scope::Admin),
            message => done.map(|key| texts::text(lang, key, &[])),
            reason_error => reason_error,
        },
    )
}

/// The archived PDF, checked against its hash, as a download.
async fn document_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if let Err(answer) = officer_with(&state, &headers, Scope::Read, "/desk/registry").await {
        return answer;
    }
    match state.service.pdf(&id).await {
        Ok((record, pdf)) => {
            let disposition = format!("attachment; filename=\"{}.pdf\"", record.number);
            let mut response = pdf.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            super::secure_page(headers);
            response
        }
        Err(error) => plain_error(&error),
    }
}

/// The first page of the archived PDF as an image.
async fn document_preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if let Err(answer) = officer_with(&state, &headers, Scope::Read, "/desk/registry").await {
        return answer;
    }
    match state.service.pdf(&id).await {
        Ok((_, pdf)) => png_of(pdf).await,
        Err(error) => plain_error(&error),
    }
}

fn plain_error(error: &crate::service::ServiceError) -> Response {
    let status = match error {
        crate::service::ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, error.to_string()).into_response()
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf: String,
    reason: String,
}

/// Revokes a document with a reason (admin scope), then shows it.
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    form: Result<axum::Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let back = format!("/desk/documents/{id}");
    let (_, session, form) = match posted(&state, &headers, Some(Scope::Admin), &back, form).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match state
        .service
        .revoke(&id, &form.reason, &session.officer)
        .await
    {
        Ok(_) => see_other(&format!("/desk/documents/{id}?done=revoked")),
        Err(crate::service::ServiceError::Invalid(problems)) => {
            let reason = problems
                .first()
                .map(|p| p.reason.clone())
                .unwrap_or_default();
            document_page(
                &state,
                &headers,
                &session,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(reason),
            )
            .await
        }
        Err(error) => plain_error(&error),
    }
}

/// The issuing form of `form`, filled with `data`, with the API's `errors` beside their fields.
fn issue_form(
    state: &AppState,
    page: &Page,
    form: Form,
    data: &serde_json::Value,
    errors: &[crate::model::FieldError],
    status: StatusCode,
) -> Response {
    // A draft's errors name the document's fields under "document."; the rest (the officer's
    // certificate) are said above the form.
    let (fields, others): (Vec<_>, Vec<_>) = errors
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(path) = e.path.strip_prefix("document.") {
                e.path = path.to_string();
            }
            e
        })
        .partition(|e| e.path != "certificate");
    let notice = others
        .iter()
        .map(|e| e.reason.clone())
        .collect::<Vec<_>>()
        .join("; ");
    let sections = crate::desk::form::sections(form, data, &fields, page.lang);
    render(
        status,
        "issue.html",
        page,
        minijinja::context! {
            form => form.key(),
            form_name => texts::text(page.lang, &format!("form_{}", form.key()), &[]),
            sections => sections,
            has_errors => !errors.is_empty(),
            notice => (!notice.is_empty()).then_some(notice),
            ncalayer_url => &state.service.config().desk.ncalayer_url,
        },
    )
}

fn form_of(key: &str) -> Option<Form> {
    Form::from_key(key)
}

/// An empty form (one goods line, one ground).
async fn issue_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> Response {
    let back = format!("/desk/issue/{key}");
    let (_, session) = match officer_with(&state, &headers, Scope::Issue, &back).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let page = Page {
        lang: lang_of(&headers),
        back: &back,
        officer: Some(&session.officer),
        csrf: &session.csrf,
    };
    let Some(form) = form_of(&key) else {
        return message(StatusCode::NOT_FOUND, &page, "issue_title", "not_found");
    };
    issue_form(
        &state,
        &page,
        form,
        &serde_json::Value::Null,
        &[],
        StatusCode::OK,
    )
}

/// A posted issuing form: add or remove a line, preview the unsigned PDF, or issue.
async fn issue(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(key): axum::extract::Path<String>,
    posted: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let back = format!("/desk/issue/{key}");
    let (_, session) = match officer_with(&state, &headers, Scope::Issue, &back).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Ok(axum::Form(pairs)) = posted else {
        return forbidden(&state, lang);
    };
    let csrf = pairs
        .iter()
        .find(|(name, _)| name == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if !session::csrf_matches(&session.csrf, csrf) {
        return forbidden(&state, lang);
    }
    let page = Page {
        lang,
        back: &back,
        officer: Some(&session.officer),
        csrf: &session.csrf,
    };
    let Some(form) = form_of(&key) else {
        return message(StatusCode::NOT_FOUND, &page, "issue_title", "not_found");
    };
    let mut data = crate::desk::form::json_from_pairs(form, &pairs);
    let action = pairs
        .iter()
        .find(|(name, _)| name == "_action")
        .map(|(_, v)| v.as_str())
        .unwrap_or("issue");
    let body = serde_json::to_vec(&data).unwrap_or_default();
    match action {
        "preview" => match state.service.preview(&body).await {
            Ok(pdf) => {
                let mut response = pdf.into_response();
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/pdf"),
                );
                headers.insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("inline; filename=\"preview.pdf\""),
                );
                super::secure_page(headers);
                response
            }
            Err(crate::service::ServiceError::Invalid(errors)) => issue_form(
                &state,
                &page,
                form,
                &data,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(error) => plain_error(&error),
        },
        "issue" => match state
            .service
            .issue(&body, None, None, &session.officer)
            .await
        {
            Ok((issued, _)) => {
                see_other(&format!("/desk/documents/{}?done=issued", issued.record.id))
            }
            Err(crate::service::ServiceError::Invalid(errors)) => issue_form(
                &state,
                &page,
                form,
                &data,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(error) => plain_error(&error),
        },
        "draft" => {
            let certificate = pairs
                .iter()
                .find(|(name, _)| name == "_certificate")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let request = serde_json::json!({ "document": data, "certificate": certificate });
            let body = serde_json::to_vec(&request).unwrap_or_default();
            match state.service.create_draft(&body, &session.officer).await {
                Ok(draft) => see_other(&format!("/desk/drafts/{}", draft.id)),
                Err(crate::service::ServiceError::Invalid(errors)) => issue_form(
                    &state,
                    &page,
                    form,
                    &data,
                    &errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                Err(error) => plain_error(&error),
            }
        }
        button => {
            crate::desk::form::apply_button(&mut data, button);
            issue_form(&state, &page, form, &data, &[], StatusCode::OK)
        }
    }
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates-desk/ncalayer.js"),
    )
        .into_response()
}

/// A draft waiting for the officer's own signature: its number, preview and the button that
/// asks NCALayer to sign its digest.
async fn draft(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let back = format!("/desk/drafts/{id}");
    let (_, session) = match officer_with(&state, &headers, Scope::Issue, &back).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    draft_page(&state, &headers, &session, &id, StatusCode::OK, None).await
}

async fn draft_page(
    state: &AppState,
    headers: &HeaderMap,
    session: &DeskSessionRecord,
    id: &str,
    status: StatusCode,
    message_text: Option<String>,
) -> Response {
    let lang = lang_of(headers);
    let back = format!("/desk/drafts/{id}");
    let page = Page {
        lang,
        back: &back,
        officer: Some(&session.officer),
        csrf: &session.csrf,
    };
    match state.service.draft(id).await {
        Ok(draft) => render(
            status,
            "draft.html",
            &page,
            minijinja::context! {
                status_text => texts::text(lang, &format!("record_{}", draft.status), &[]),
                d => draft,
                message => message_text,
                ncalayer_url => &state.service.config().desk.ncalayer_url,
            },
        ),
        Err(crate::service::ServiceError::NotFound(_)) => {
            message(StatusCode::NOT_FOUND, &page, "draft_title", "not_found")
        }
        Err(error) => {
            tracing::warn!(%error, "desk draft lookup failed");
            message(
                StatusCode::SERVICE_UNAVAILABLE,
                &page,
                "draft_title",
                "unavailable",
            )
        }
    }
}

/// The draft's prepared PDF, first page, as an image.
async fn draft_preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if let Err(answer) = officer_with(&state, &headers, Scope::Issue, "/desk/").await {
        return answer;
    }
    match state.service.draft_pdf(&id).await {
        Ok(pdf) => png_of(pdf).await,
        Err(error) => plain_error(&error),
    }
}

#[derive(Deserialize)]
struct DraftSignatureForm {
    csrf: String,
    cms: String,
}

/// The CMS NCALayer made over the draft's digest: checked, embedded, the document issued.
async fn sign_draft(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    form: Result<axum::Form<DraftSignatureForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let back = format!("/desk/drafts/{id}");
    let (_, session, form) = match posted(&state, &headers, Some(Scope::Issue), &back, form).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let body = serde_json::to_vec(&serde_json::json!({ "cms": form.cms })).unwrap_or_default();
    match state.service.sign_draft(&id, &body, &session.officer).await {
        Ok(record) => see_other(&format!("/desk/documents/{}?done=issued", record.id)),
        Err(error) => {
            let reason = match &error {
                crate::service::ServiceError::Invalid(errors) => errors
                    .iter()
                    .map(|e| e.reason.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            let text = format!("{} {reason}", texts::text(lang, "draft_refused", &[]));
            draft_page(
                &state,
                &headers,
                &session,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(text),
            )
            .await
        }
    }
}

/// The first page of a PDF as a PNG answer.
async fn png_of(pdf: Vec<u8>) -> Response {
    match tokio::task::spawn_blocking(move || crate::desk::preview::page_png(&pdf, 0, 900)).await {
        Ok(Ok(png)) => {
            let mut response = png.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
            super::secure_page(headers);
            response
        }
        Ok(Err(error)) => (StatusCode::UNPROCESSABLE_ENTITY, error.to_string()).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        if let Err(error) = environment() {
            panic!("{error:#}");
        }
    }
}
