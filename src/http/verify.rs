//! `POST /v1/verify`: a signed PDF or CMS as the body, or multipart with the signature and its
//! detached data; answers with the verification report.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{StatusCode, header};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Caller, VerifyScope};
use super::problem::Problem;
use super::{AppState, body_bytes};

/// How to verify.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// `true`: never fetch revocation data (by default the responders and CRL distribution
    /// points the certificates name are asked, within a budget, for what the document lacks).
    pub offline: Option<bool>,
    /// Validation time (RFC 3339) when no timestamp gives one; default now.
    pub at: Option<String>,
}

/// Verify a signed document.
#[utoipa::path(
    post, path = "/v1/verify", tag = "verify",
    params(VerifyQuery),
    request_body(
        description = "A signed PDF, or a CMS signature (DER, PEM or base64) as the body; or multipart/form-data with parts `signature` and `data` (the detached content)",
        content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/octet-stream"),
            (Object = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "The verification report: JSON (schema: `eucdoc schema verify-report`), or with `Accept: application/xml` the ETSI TS 119 102-2 validation report", content(
            (Object = "application/json"),
            (String = "application/xml"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a PDF or CMS", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["verify"]))
)]
pub async fn verify(
    State(state): State<AppState>,
    _caller: Caller<VerifyScope>,
    query: Result<Query<VerifyQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let wants_xml = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/xml"));
    let bad = |detail: String| Problem::new(StatusCode::BAD_REQUEST, "bad-parameter", detail);
    let Query(query) = query.map_err(|e| bad(e.body_text()))?;
    let at = query
        .at
        .as_deref()
        .map(|text| {
            super::parse_time(text).map_err(|e| bad(format!("at: not an RFC 3339 time ({e})")))
        })
        .transpose()?;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (document, detached) = if multipart {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "bad-multipart", e.body_text()))?;
        let (mut signature, mut data) = (None, None);
        let limit = state.service.config().limits.body_bytes;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| super::multipart_problem(e, limit))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| super::multipart_problem(e, limit))?;
            match name.as_str() {
                "signature" => signature = Some(bytes.to_vec()),
                "data" => data = Some(bytes.to_vec()),
                other => {
                    return Err(Problem::new(
                        StatusCode::BAD_REQUEST,
                        "bad-multipart",
                        format!("unknown part \"{other}\": expected signature and data"),
                    ));
                }
            }
        }
        let signature = signature.ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-multipart",
                "the multipart body needs a \"signature\" part",
            )
        })?;
        (signature, data)
    } else {
        let body: Result<Bytes, BytesRejection> = Bytes::from_request(request, &state).await;
        (body_bytes(body, &state)?.to_vec(), None)
    };
    if document.is_empty() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "empty-body",
            "send the signed document as the body",
        ));
    }
    let report = state
        .service
        .verify(document, detached, query.offline.unwrap_or(false), at)
        .await?;
    state.metrics.verified(report.indication);
    if wants_xml {
        let xml = crate::verify::etsi::to_xml(&report);
        return Ok(([(header::CONTENT_TYPE, "application/xml")], xml).into_response());
    }
    Ok(Json(
        serde_json::to_value(&report).map_err(|e| {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?,
    )
    .into_response())
}
