//! `GET /v1/check/{number}`: the public target of the QR code. No authentication; answers
//! genuine, revoked or unknown with the number, form and issue date only. HTML for browsers,
//! JSON for clients.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::problem::Problem;
use crate::service::CheckAnswer;

/// The QR code's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// SHA-256 of the document's data, as the QR code carries it.
    pub sha256: Option<String>,
}

/// Is this document genuine?
#[utoipa::path(
    get, path = "/v1/check/{number}", tag = "public",
    params(("number" = String, Path, description = "Registry number"), CheckQuery),
    responses(
        (status = 200, description = "genuine, revoked or unknown", body = CheckAnswer,
         content_type = "application/json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn check(
    State(state): State<AppState>,
    Path(number): Path<String>,
    query: Result<Query<CheckQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| {
        Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad-parameter",
            e.body_text(),
        )
    })?;
    let answer = state
        .service
        .check(&number, query.sha256.as_deref())
        .await?;
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    Ok(if wants_html {
        Html(page(&answer)).into_response()
    } else {
        Json(answer).into_response()
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(answer: &CheckAnswer) -> String {
    let (kk, ru, colour) = match answer.status.as_str() {
        "genuine" => ("Құжат түпнұсқа", "Документ подлинный", "#1b5e20"),
        "revoked" => ("Құжат кері қайтарылған", "Документ отозван", "#b71c1c"),
        _ => ("Құжат табылмады", "Документ не найден", "#555"),
    };
    let details = match (&answer.form, &answer.issue_date) {
        (Some(form), Some(date)) => format!(
            "<p>Form: {}</p><p>Issue date: {}</p>",
            escape(form),
            escape(date)
        ),
        _ => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"kk\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{number}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:2em auto\">\
         <h1 style=\"color:{colour}\">{kk}<br>{ru}</h1><p>№ {number}</p>{details}\
         <p><small>status: {status}</small></p></body></html>",
        number = escape(&answer.number),
        status = escape(&answer.status),
    )
}
