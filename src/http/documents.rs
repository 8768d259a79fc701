//! `/v1/documents`: issue, read, fetch the PDF, search, revoke.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{AdminScope, Caller, IssueScope, ReadScope};
use super::problem::Problem;
use super::{AppState, body_bytes};
use crate::registry::{DocumentRecord, Search};

/// A document as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    /// Opaque id.
    pub id: String,
    /// Registry number.
    pub number: String,
    /// Form key.
    pub form: String,
    /// When issued (RFC 3339, UTC).
    pub issued_at: String,
    /// "issued", "revoked", "draft" (waiting for the officer's signature) or "voided" (a
    /// draft not signed in time: its number stays taken).
    pub status: String,
    /// The applicant's BIN/IIN.
    pub applicant_bin: String,
    /// SHA-256 of the signed PDF.
    pub sha256: String,
    /// SHA-256 of the input in canonical JSON (what the QR code carries).
    pub data_sha256: String,
    /// Size of the PDF in bytes.
    pub size: i64,
    /// The signer as the certificate names them.
    #[schema(value_type = Object)]
    pub signer: serde_json::Value,
    /// When revoked.
    pub revoked_at: Option<String>,
    /// Why revoked.
    pub revocation_reason: Option<String>,
    /// The incoming application package it answers (`POST /v1/applications`), when issued
    /// against one.
    pub application_id: Option<String>,
    /// Where to find it.
    pub links: Links,
}

/// Related resources.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Links {
    /// This document's metadata.
    #[serde(rename = "self")]
    pub self_: String,
    /// The signed PDF.
    pub pdf: String,
    /// The public check page (the QR code's target).
    pub check: String,
}

impl DocumentView {
    pub(crate) fn from_record(record: DocumentRecord, base_url: &str) -> Self {
        let links = Links {
            self_: format!("/v1/documents/{}", record.id),
            pdf: format!("/v1/documents/{}/pdf", record.id),
            check: format!(
                "{}/v1/check/{}?sha256={}",
                base_url.trim_end_matches('/'),
                record.number,
                record.data_sha256
            ),
        };
        Self {
            signer: serde_json::from_str(&record.signer).unwrap_or(serde_json::Value::Null),
            id: record.id,
            number: record.number,
            form: record.form,
            issued_at: record.issued_at,
            status: record.status,
            applicant_bin: record.applicant_bin,
            sha256: record.pdf_sha256,
            data_sha256: record.data_sha256,
            size: record.pdf_size,
            revoked_at: record.revoked_at,
            revocation_reason: record.revocation_reason,
            application_id: record.application_id,
            links,
        }
    }
}

/// The query of `POST /v1/documents`.
#[derive(Debug, Deserialize)]
pub struct IssueQuery {
    /// The application package the document answers.
    pub application_id: Option<String>,
}

/// Issue a document: validate, render, sign, register, archive.
#[utoipa::path(
    post, path = "/v1/documents", tag = "documents",
    request_body(content = Object, description = "Input of one of the three forms (see `eucdoc schema FORM`)", content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body returns the same document"),
        ("application_id" = Option<String>, Query, description = "The accepted application package (POST /v1/applications) this document answers: a certificate must match it (422 naming each mismatch); a refusal takes the application's number and date from it"),
    ),
    responses(
        (status = 201, description = "Issued (or, with a known Idempotency-Key, issued before)", body = DocumentView),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, every problem with its path", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Queue full; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["issue"]))
)]
pub async fn issue(
    State(state): State<AppState>,
    caller: Caller<IssueScope>,
    headers: HeaderMap,
    query: Result<Query<IssueQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Query(query) =
        query.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "bad-parameter", e.body_text()))?;
    let body = body_bytes(body, &state)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 200);
            Some(key.ok_or_else(|| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "bad-idempotency-key",
                    "Idempotency-Key must be 1 to 200 visible ASCII characters",
                )
            })?)
        }
    };
    let (issued, timings) = state
        .service
        .issue(&body, key, query.application_id.as_deref(), &caller.name)
        .await?;
    if !issued.replayed {
        state.metrics.issued(&issued.record.form, timings);
    }
    let replayed = issued.replayed;
    let view = DocumentView::from_record(issued.record, &state.service.config().base_url);
    let location = view.links.self_.clone();
    let mut response = super::created(view, &location);
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// A document's registry record.
#[utoipa::path(
    get, path = "/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, body = DocumentView),
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
) -> Result<Json<DocumentView>, Problem> {
    let record = state.service.get(&id).await?;
    Ok(Json(DocumentView::from_record(
        record,
        &state.service.config().base_url,
    )))
}

/// The signed PDF.
#[utoipa::path(
    get, path = "/v1/documents/{id}/pdf", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The signed PDF", content_type = "application/pdf", body = Vec<u8>),
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
    let (record, pdf) = state.service.pdf(&id).await?;
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.pdf\"", record.number))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The document's archival package: a BagIt bag (RFC 8493) as a zip.
#[utoipa::path(
    get, path = "/v1/documents/{id}/package", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "A zip holding the bag under the folder named by the document's number: data/document.pdf, data/data.json, data/verification-report.json and .xml, data/record.json, data/audit.json, bagit.txt, bag-info.txt, manifest-sha256.txt, manifest-sha512.txt, tagmanifest-sha256.txt",
         content_type = "application/zip", body = Vec<u8>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A draft still waiting for its signature", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn package(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (record, bag) = state.service.package(&id).await?;
    let zip = bag
        .to_zip(&record.number)
        .map_err(|e| Problem::from(crate::service::ServiceError::from(e)))?;
    let mut response = zip.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.zip\"", record.number))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Registry search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Exact registry number.
    pub number: Option<String>,
    /// Applicant BIN/IIN.
    pub bin: Option<String>,
    /// Form key.
    pub form: Option<String>,
    /// Issued against this application package.
    pub application_id: Option<String>,
    /// Issued at or after (date or RFC 3339).
    pub from: Option<String>,
    /// Issued before (date or RFC 3339).
    pub to: Option<String>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<i64>,
}

/// A page of the registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    /// The documents, oldest first.
    pub documents: Vec<DocumentView>,
    /// Cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// Search the registry.
#[utoipa::path(
    get, path = "/v1/documents", tag = "documents",
    params(ListQuery),
    responses(
        (status = 200, body = DocumentPage),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DocumentPage>, Problem> {
    let Query(query) =
        query.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "bad-parameter", e.body_text()))?;
    if query.limit.is_some_and(|l| !(1..=100).contains(&l)) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            "limit: expected 1 to 100",
        ));
    }
    let (records, next) = state
        .service
        .search(&Search {
            number: query.number,
            bin: query.bin,
            form: query.form,
            application_id: query.application_id,
            from: query.from,
            to: query.to,
            cursor: query.cursor,
            limit: query.limit.unwrap_or(50),
        })
        .await?;
    let base = &state.service.config().base_url;
    Ok(Json(DocumentPage {
        documents: records
            .into_iter()
            .map(|r| DocumentView::from_record(r, base))
            .collect(),
        next,
    }))
}

/// Why a document is revoked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// The reason (1 to 1000 characters), kept in the registry and the audit log.
    pub reason: String,
}

/// Revoke a document: it stays archived; its status and the public check change.
#[utoipa::path(
    post, path = "/v1/documents/{id}/revoke", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    request_body = RevokeRequest,
    responses(
        (status = 200, body = DocumentView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Revoked already", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["admin"]))
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller<AdminScope>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DocumentView>, Problem> {
    let body = body_bytes(body, &state)?;
    let request: RevokeRequest = serde_json::from_slice(&body).map_err(|e| {
        let mut problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            format!("the body must be {{\"reason\": \"...\"}}: {e}"),
        );
        problem.errors = vec![super::problem::ProblemField {
            path: "reason".into(),
            reason: e.to_string(),
        }];
        problem
    })?;
    let record = state
        .service
        .revoke(&id, &request.reason, &caller.name)
        .await?;
    Ok(Json(DocumentView::from_record(
        record,
        &state.service.config().base_url,
    )))
}
