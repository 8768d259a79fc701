//! `POST /v1/applications`: an incoming application package as multipart/form-data, one part
//! per file (the application, the guarantee obligation, their detached signatures when they come
//! as JSON, the attachments); answers with the package report.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::auth::{Caller, ReadScope, VerifyScope};
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
        (status = 201, description = "Accepted and kept: the package report with `application_id`, which POST /v1/documents and drafts reference (Location: the package's record)", body = Object),
        (status = 200, description = "Not accepted, nothing kept: the package report, verdict rejected (the failed checks named) or paper_only (a defence-order import)", body = Object),
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
    caller: Caller<VerifyScope>,
    query: Result<Query<ApplicationQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let bad = |code: &str, detail: String| Problem::new(StatusCode::BAD_REQUEST, code, detail);
    let Query(query) = query.map_err(|e| bad("bad-parameter", e.body_text()))?;
    let limit = state.service.config().limits.package_bytes;
    let multipart_error = |e| super::multipart_problem(e, limit);
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
                format!("the limit is {} files", crate::applications::MAX_FILES),
            ));
        }
    }
    let (report, kept) = state
        .service
        .receive_application(files, query.offline.unwrap_or(false), &caller.name)
        .await?;
    let mut body = serde_json::to_value(&report)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    match kept {
        Some(record) => {
            if let Some(object) = body.as_object_mut() {
                object.insert("application_id".into(), record.id.clone().into());
            }
            let location = format!("/v1/applications/{}", record.id);
            Ok(super::created(body, &location).into_response())
        }
        None => Ok(Json(body).into_response()),
    }
}

/// An accepted application package: its record, its report, and the documents issued against
/// it.
#[utoipa::path(
    get, path = "/v1/applications/{id}", tag = "verify",
    params(("id" = String, Path, description = "The package's application_id")),
    responses(
        (status = 200, description = "The package: id, number, date, certificate, applicant, received_at, package_sha256, report, and the documents issued against it", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    let record = state.service.application(&id).await?;
    let (documents, _) = state
        .service
        .search(&crate::registry::Search {
            application_id: Some(record.id.clone()),
            limit: 100,
            ..Default::default()
        })
        .await?;
    let report: serde_json::Value = serde_json::from_str(&record.report).unwrap_or_default();
    Ok(Json(serde_json::json!({
        "id": record.id,
        "number": record.number,
        "application_date": record.application_date,
        "certificate": record.certificate,
        "applicant_bin_iin": record.applicant_bin,
        "received_at": record.received_at,
        "package_sha256": record.package_sha256,
        "report": report,
        "documents": documents.iter().map(|d| serde_json::json!({
            "id": d.id, "number": d.number, "form": d.form, "status": d.status,
            "links": { "self": format!("/v1/documents/{}", d.id) },
        })).collect::<Vec<_>>(),
    })))
}
