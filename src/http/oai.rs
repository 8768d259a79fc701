//! `/oai`: OAI-PMH 2.0 for archive ingestion, a thin shell over [`crate::service::Service::oai`].
//! The arguments come from the query (GET) or a form body (POST), as the protocol allows. With
//! the read scope, or without a token when `[oai] public` is set.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::{Caller, ReadScope};
use super::problem::Problem;

/// An OAI-PMH request.
#[utoipa::path(
    get, path = "/oai", tag = "archive",
    params(
        ("verb" = Option<String>, Query, description = "Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords or GetRecord; without one (or with another) the answer is the protocol's badVerb error, in a 200 as OAI-PMH says"),
        ("metadataPrefix" = Option<String>, Query, description = "oai_dc or eucdoc"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC)"),
        ("until" = Option<String>, Query, description = "YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC), inclusive"),
        ("set" = Option<String>, Query, description = "end_user_certificate, import_certificate or refusal"),
        ("identifier" = Option<String>, Query, description = "oai:{repository}:{number}"),
        ("resumptionToken" = Option<String>, Query, description = "From the previous answer"),
    ),
    responses(
        (status = 200, description = "The OAI-PMH answer; protocol errors are <error> elements in it", content_type = "text/xml", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Result<Caller<ReadScope>, Problem>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    answer(&state, caller, query.unwrap_or_default().as_bytes()).await
}

/// The arguments of an OAI-PMH request (for the OpenAPI document: the handler reads them as
/// pairs, so that repeated ones are seen).
#[derive(utoipa::ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct OaiArguments {
    /// Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords or GetRecord.
    verb: Option<String>,
    /// oai_dc or eucdoc.
    metadataPrefix: Option<String>,
    /// YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.
    from: Option<String>,
    /// YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, inclusive.
    until: Option<String>,
    /// A form.
    set: Option<String>,
    /// oai:{repository}:{number}.
    identifier: Option<String>,
    /// From the previous answer.
    resumptionToken: Option<String>,
}

/// An OAI-PMH request as a form (application/x-www-form-urlencoded), the same arguments as GET.
#[utoipa::path(
    post, path = "/oai", tag = "archive",
    request_body(content = Option<OaiArguments>, content_type = "application/x-www-form-urlencoded",
        description = "The arguments of GET, as a form"),
    responses(
        (status = 200, description = "The OAI-PMH answer; protocol errors are <error> elements in it", content_type = "text/xml", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn post(
    State(state): State<AppState>,
    caller: Result<Caller<ReadScope>, Problem>,
    body: Bytes,
) -> Result<Response, Problem> {
    answer(&state, caller, &body).await
}

async fn answer(
    state: &AppState,
    caller: Result<Caller<ReadScope>, Problem>,
    arguments: &[u8],
) -> Result<Response, Problem> {
    if !state.service.config().oai.public {
        caller?;
    }
    // Repeated arguments are kept, for the protocol's badArgument.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(arguments).map_err(|e| {
        Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad-parameter",
            format!("the arguments are not URL-encoded: {e}"),
        )
    })?;
    let xml = state.service.oai(&pairs).await?;
    Ok(xml_response(xml))
}

/// The XML Schema of the eucdoc metadata format.
pub async fn schema() -> Response {
    xml_response(crate::oai::EUCDOC_XSD.to_string())
}

fn xml_response(xml: String) -> Response {
    let mut response = xml.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}
