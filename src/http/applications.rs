//! `POST /v1/applications`: an incoming application package as multipart/form-data, one part
//! per file (the application, the guarantee obligation, their detached signatures when they come
//! as JSON, the attachments); answers with the package report.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::auth::{Caller, VerifyScope};
use super::problem::Problem;
use crate::applications::PackageFile;

/// How to check.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// `true`: never fetch revocation data.
    pub offline: Option<bool>,
}

/// Check an incoming application package.
#[utoipa::path(
    post, path = "/v1/applications", tag = "verify",
    params(ApplicationQuery),
    request_body(
        description = "multipart/form-data, one part per file, classified by content: the application and the guarantee obligation, each a signed PDF with data.json attached or its JSON with a detached CMS (X.json with X.json.cms, X.cms, X.p7s or X.sig, paired by the parts' file names); any other PDF is an attachment",
        content((Object = "multipart/form-data"))
    ),
    responses(
        (status = 200, description = "The package report: verdict accepted, rejected (the failed checks named) or paper_only (a defence-order import)", body = Object),
        (status = 400, description = "Not multipart, or a document missing or twice", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A document's data invalid (every problem as FILE:PATH), or a file unreadable", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["verify"]))
)]
pub async fn check(
    State(state): State<AppState>,
    _caller: Caller<VerifyScope>,
    query: Result<Query<ApplicationQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<Json<serde_json::Value>, Problem> {
    let bad = |code: &str, detail: String| Problem::new(StatusCode::BAD_REQUEST, code, detail);
    let Query(query) = query.map_err(|e| bad("bad-parameter", e.body_text()))?;
    let limit = state.service.config().limits.package_bytes;
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::too_large(limit)
        } else {
            bad("bad-multipart", e.body_text())
        }
    };
    let mut form = Multipart::from_request(request, &state)
        .await
        .map_err(|e| bad("bad-multipart", e.body_text()))?;
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field
            .file_name()
            .or(field.name())
            .map_or_else(|| format!("part {}", files.len() + 1), str::to_string);
        let bytes = field.bytes().await.map_err(multipart_error)?;
        files.push(PackageFile {
            name,
            bytes: bytes.to_vec(),
        });
        if files.len() > crate::applications::MAX_FILES {
            return Err(bad(
                "too-many-files",
                format!(
                    "more than {} files; the limit is {}",
                    crate::applications::MAX_FILES,
                    crate::applications::MAX_FILES
                ),
            ));
        }
    }
    let report = state
        .service
        .check_application(files, query.offline.unwrap_or(false))
        .await?;
    serde_json::to_value(&report)
        .map(Json)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}
