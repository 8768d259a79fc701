//! `/v1/drafts`: external (two-step) signing with the officer's own key behind NCALayer. A
//! draft takes its number and shows the officer's stamp; its digest goes to the token; the CMS
//! that comes back is checked and embedded, and the document is issued.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::auth::{Caller, IssueScope, ReadScope};
use super::documents::DocumentView;
use super::problem::Problem;
use super::{AppState, body_bytes};
use crate::service::{DraftSignature, DraftView};

/// Make a draft for the officer's token to sign.
#[utoipa::path(
    post, path = "/v1/drafts", tag = "drafts",
    request_body(content = Object, description = "{\"document\": the form JSON of POST /v1/documents, \"certificate\": base64 DER of the officer's signing certificate (NCALayer's getKeyInfo)}", content_type = "application/json"),
    responses(
        (status = 201, description = "Draft made: its number is taken; sign `digest` with the officer's key", body = DraftView),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the scope", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid document, or a certificate that may not sign (AUTH key, expired, untrusted, revoked), with the reason", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Queue full; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["issue"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller<IssueScope>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body_bytes(body, &state)?;
    let draft = state.service.create_draft(&body, &caller.name).await?;
    let location = format!("/v1/drafts/{}", draft.id);
    Ok(super::created(draft, &location))
}

/// A draft's state: waiting ("draft"), signed ("issued") or voided.
#[utoipa::path(
    get, path = "/v1/drafts/{id}", tag = "drafts",
    params(("id" = String, Path, description = "Draft id")),
    responses(
        (status = 200, body = DraftView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    Path(id): Path<String>,
) -> Result<Json<DraftView>, Problem> {
    Ok(Json(state.service.draft(&id).await?))
}

/// The prepared, unsigned PDF (the officer's preview).
#[utoipa::path(
    get, path = "/v1/drafts/{id}/pdf", tag = "drafts",
    params(("id" = String, Path, description = "Draft id")),
    responses(
        (status = 200, description = "The prepared PDF", content_type = "application/pdf"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn pdf(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let pdf = state.service.draft_pdf(&id).await?;
    let mut response = pdf.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    Ok(response)
}

/// Complete a draft with the officer's signature: checked, embedded, issued.
#[utoipa::path(
    post, path = "/v1/drafts/{id}/signature", tag = "drafts",
    params(("id" = String, Path, description = "Draft id")),
    request_body(content = DraftSignature, content_type = "application/json"),
    responses(
        (status = 201, description = "Signed and issued", body = DocumentView),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Signed already, or voided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The CMS does not fit the draft (another digest, another certificate, an AUTH key, a signature that does not verify, not a CMS); the draft stays signable", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Queue full; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["issue"]))
)]
pub async fn sign(
    State(state): State<AppState>,
    caller: Caller<IssueScope>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body_bytes(body, &state)?;
    let record = state.service.sign_draft(&id, &body, &caller.name).await?;
    let view = DocumentView::from_record(record, &state.service.config().base_url);
    let location = view.links.self_.clone();
    Ok(super::created(view, &location))
}
