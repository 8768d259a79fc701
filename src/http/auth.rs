//! Bearer tokens with scopes. The configuration holds SHA-256 hashes only; a presented token is
//! hashed and compared with every configured hash in constant time. Tokens are never logged.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::problem::Problem;
use crate::config::Scope;

/// A configured token: its name, hash and scopes.
#[derive(Debug, Clone)]
pub struct TokenEntry {
    /// Who (for the audit log).
    pub name: String,
    /// SHA-256 of the token.
    pub sha256: [u8; 32],
    /// What it may do.
    pub scopes: Vec<Scope>,
}

/// The tokens the service accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens(pub Arc<Vec<TokenEntry>>);

impl Tokens {
    /// The entry whose hash matches `token` (every entry is compared, in constant time).
    pub fn find(&self, token: &str) -> Option<&TokenEntry> {
        let presented = openssl::sha::sha256(token.as_bytes());
        let mut found = None;
        for entry in self.0.iter() {
            if openssl::memcmp::eq(&presented, &entry.sha256) {
                found = Some(entry);
            }
        }
        found
    }
}

/// A scope a route requires, as a type.
pub trait RequiredScope: Send + Sync {
    /// The scope.
    const SCOPE: Scope;
}

macro_rules! scope_marker {
    ($name:ident, $scope:expr) => {
        /// Marker for a route that needs this scope.
        pub struct $name;
        impl RequiredScope for $name {
            const SCOPE: Scope = $scope;
        }
    };
}
scope_marker!(IssueScope, Scope::Issue);
scope_marker!(VerifyScope, Scope::Verify);
scope_marker!(ReadScope, Scope::Read);
scope_marker!(AdminScope, Scope::Admin);

/// The caller, authenticated with a token that has scope `S`.
pub struct Caller<S> {
    /// The token's name.
    pub name: String,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> FromRequestParts<AppState> for Caller<S> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| Problem::unauthorized("an Authorization: Bearer token is required"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be Bearer TOKEN")
            })?;
        let entry = state
            .tokens
            .find(token)
            .ok_or_else(|| Problem::unauthorized("the token is not valid"))?;
        if !entry.scopes.contains(&S::SCOPE) {
            return Err(Problem::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                format!("the token lacks the \"{}\" scope", S::SCOPE.name()),
            ));
        }
        Ok(Caller {
            name: entry.name.clone(),
            scope: PhantomData,
        })
    }
}
