//! Validation errors: every problem with its JSON path and a one-line reason.

use std::fmt;

use serde::Serialize;

/// One problem with the input, at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path of the offending value, such as `goods[2].hs_code`; `$` is the document itself.
    pub path: String,
    /// What is wrong, in one line.
    pub reason: String,
}

impl FieldError {
    pub(crate) fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// The same problem, for a document nested under `key` of a larger body.
    pub fn under(self, key: &str) -> Self {
        let path = match self.path.as_str() {
            "$" | "" => key.to_string(),
            rest if rest.starts_with('[') => format!("{key}{rest}"),
            rest => format!("{key}.{rest}"),
        };
        Self { path, ..self }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// All problems found in one input (never just the first), in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub(crate) fn single(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self(vec![FieldError::new(path, reason)])
    }

    /// The individual errors.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// Whether an error names `path`.
    pub fn has_path(&self, path: &str) -> bool {
        self.0.iter().any(|e| e.path == path)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}
