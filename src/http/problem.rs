//! Every error as RFC 9457 `application/problem+json`, with a stable `code` per kind and, for
//! invalid input, every problem with its JSON path.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::ServiceError;

/// One invalid value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON path, e.g. `goods[2].hs_code`.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// An RFC 9457 problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened this time.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// For invalid input: every problem with its path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// Seconds to wait before retrying (429/503).
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A problem of `status` with a `code` and `detail`.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://eucdoc.kz/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 401: no or unknown token.
    pub fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 413: the body is over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            format!("the request body is over the limit of {limit} bytes"),
        )
    }

    /// 503 with Retry-After.
    pub fn busy() -> Self {
        let mut problem = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many requests are waiting; retry later",
        );
        problem.retry_after = Some(1);
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<ServiceError> for Problem {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(fields) => {
                let mut problem = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    format!("the input has {} problem(s)", fields.len()),
                );
                problem.errors = fields
                    .into_iter()
                    .map(|f| ProblemField {
                        path: f.path,
                        reason: f.reason,
                    })
                    .collect();
                problem
            }
            ServiceError::NotFound(what) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no document {what}"),
            ),
            ServiceError::IdempotencyConflict => Problem::new(
                StatusCode::CONFLICT,
                "idempotency-conflict",
                "this Idempotency-Key was used with a different request body",
            ),
            ServiceError::AlreadyRevoked(number) => Problem::new(
                StatusCode::CONFLICT,
                "already-revoked",
                format!("document {number} is revoked already"),
            ),
            ServiceError::NotADraft { number, status } => Problem::new(
                StatusCode::CONFLICT,
                "not-a-draft",
                format!("document {number} is {status}, not a draft waiting for its signature"),
            ),
            ServiceError::NotFinal(number) => Problem::new(
                StatusCode::CONFLICT,
                "not-final",
                format!("document {number} is a draft waiting for its signature"),
            ),
            ServiceError::Busy => Problem::busy(),
            ServiceError::NotAllowed(reason) => {
                Problem::new(StatusCode::FORBIDDEN, "not-allowed", reason)
            }
            ServiceError::Malformed(reason) => {
                Problem::new(StatusCode::BAD_REQUEST, "malformed-json", reason)
            }
            ServiceError::IncompletePackage(reason) => {
                Problem::new(StatusCode::BAD_REQUEST, "incomplete-package", reason)
            }
            ServiceError::Unreadable(reason) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable-document",
                reason,
            ),
            ServiceError::BadParameter { name, message } => {
                let mut problem = Problem::new(
                    StatusCode::BAD_REQUEST,
                    "bad-parameter",
                    format!("{name}: {message}"),
                );
                problem.errors = vec![ProblemField {
                    path: name,
                    reason: message,
                }];
                problem
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the service failed; the request id identifies it in the logs",
                )
            }
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
