//! The input's JSON Schema, generated from the types (`eucdoc schema FORM`), and the structural
//! check against it: wrong types, missing and unknown keys, all reported at once with their paths.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::error::FieldError;
use super::incoming::{ApplicationDocument, GuaranteeObligation, IncomingKind};
use super::types::{EndUserCertificate, Form, ImportCertificate, Refusal};

/// The JSON Schema (draft 2020-12) of one form's input.
pub fn json_schema(form: Form) -> Value {
    let mut schema = match form {
        Form::EndUserCertificate => schemars::schema_for!(EndUserCertificate),
        Form::ImportCertificate => schemars::schema_for!(ImportCertificate),
        Form::Refusal => schemars::schema_for!(Refusal),
    };
    schema.insert(
        "$id".into(),
        Value::String(format!("urn:eucdoc:input:{}", form.key())),
    );
    schema.to_value()
}

struct Validators {
    end_user_certificate: Validator,
    import_certificate: Validator,
    refusal: Validator,
}

/// Compiled once per process; a schema the types generate always compiles, and a failure here is
/// a programming error caught by the first test that parses anything.
static VALIDATORS: LazyLock<Result<Validators, String>> = LazyLock::new(|| {
    let compile = |form| {
        jsonschema::validator_for(&json_schema(form))
            .map_err(|e| format!("schema of {form} does not compile: {e}"))
    };
    Ok(Validators {
        end_user_certificate: compile(Form::EndUserCertificate)?,
        import_certificate: compile(Form::ImportCertificate)?,
        refusal: compile(Form::Refusal)?,
    })
});

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

/// The structural problems of an input, and where its unknown keys are (so that the domain rules
/// can still run on the rest and report everything at once).
#[derive(Debug, Default)]
pub(super) struct Structure {
    pub errors: Vec<FieldError>,
    pub unknown_keys: Vec<Vec<Step>>,
}

/// Structural problems of `instance` as an input of `form`.
pub(super) fn check(form: Form, instance: &Value) -> Structure {
    match &*VALIDATORS {
        Ok(validators) => check_with(
            match form {
                Form::EndUserCertificate => &validators.end_user_certificate,
                Form::ImportCertificate => &validators.import_certificate,
                Form::Refusal => &validators.refusal,
            },
            instance,
        ),
        Err(message) => unusable(message),
    }
}

/// The JSON Schema (draft 2020-12) of an incoming document.
pub fn incoming_schema(kind: IncomingKind) -> Value {
    let mut schema = match kind {
        IncomingKind::Application => schemars::schema_for!(ApplicationDocument),
        IncomingKind::GuaranteeObligation => schemars::schema_for!(GuaranteeObligation),
    };
    schema.insert(
        "$id".into(),
        Value::String(format!("urn:eucdoc:incoming:{}", kind.key())),
    );
    schema.to_value()
}

static INCOMING_VALIDATORS: LazyLock<Result<[Validator; 2], String>> = LazyLock::new(|| {
    let compile = |kind| {
        jsonschema::validator_for(&incoming_schema(kind))
            .map_err(|e| format!("schema of {kind} does not compile: {e}"))
    };
    Ok([
        compile(IncomingKind::Application)?,
        compile(IncomingKind::GuaranteeObligation)?,
    ])
});

/// Structural problems of `instance` as an incoming document of `kind`.
pub(super) fn check_incoming(kind: IncomingKind, instance: &Value) -> Structure {
    match &*INCOMING_VALIDATORS {
        Ok([application, obligation]) => check_with(
            match kind {
                IncomingKind::Application => application,
                IncomingKind::GuaranteeObligation => obligation,
            },
            instance,
        ),
        Err(message) => unusable(message),
    }
}

fn unusable(message: &str) -> Structure {
    Structure {
        errors: vec![FieldError::new("$", message)],
        unknown_keys: Vec::new(),
    }
}

fn check_with(validator: &Validator, instance: &Value) -> Structure {
    let mut structure = Structure::default();
    for error in validator.iter_errors(instance) {
        if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
            let parent: Vec<Step> = error
                .instance_path()
                .segments()
                .map(|segment| match segment {
                    LocationSegment::Property(name) => Step::Key(name.to_string()),
                    LocationSegment::Index(i) => Step::Index(i),
                })
                .collect();
            for key in unexpected {
                let mut steps = parent.clone();
                steps.push(Step::Key(key.clone()));
                structure.unknown_keys.push(steps);
            }
        }
        structure.errors.extend(describe(&error));
    }
    structure.errors.sort_by(|a, b| a.path.cmp(&b.path));
    structure.errors.dedup();
    structure
}

/// `value` without the keys at `paths`.
pub(super) fn without<'a>(value: &'a Value, paths: &[Vec<Step>]) -> std::borrow::Cow<'a, Value> {
    // Valid input has no unknown keys: no copy then.
    if paths.is_empty() {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut pruned = value.clone();
    for path in paths {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        // RFC 6901 pointer to the parent object.
        let pointer: String = parents
            .iter()
            .map(|step| match step {
                Step::Key(key) => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
                Step::Index(i) => format!("/{i}"),
            })
            .collect();
        if let (Step::Key(key), Some(Value::Object(object))) = (last, pruned.pointer_mut(&pointer))
        {
            object.remove(key);
        }
    }
    std::borrow::Cow::Owned(pruned)
}

/// A JSON pointer as the dotted path users read: `goods[2].hs_code`.
fn dotted_path(error: &ValidationError<'_>) -> String {
    let mut path = String::new();
    for segment in error.instance_path().segments() {
        match segment {
            LocationSegment::Property(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&name);
            }
            LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn describe(error: &ValidationError<'_>) -> Vec<FieldError> {
    let parent = dotted_path(error);
    let here = if parent.is_empty() {
        "$".to_string()
    } else {
        parent.clone()
    };
    let got = type_name(error.instance());
    let one = |reason: String| vec![FieldError::new(here.clone(), reason)];
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            vec![FieldError::new(join(&parent, key), "is required")]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| {
                FieldError::new(
                    join(&parent, key),
                    "unknown key: not part of the input contract",
                )
            })
            .collect(),
        ValidationErrorKind::Type { kind } => {
            let expected: Vec<&str> = match kind {
                TypeKind::Single(t) => vec![t.as_str()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.as_str()).collect(),
            };
            let hint = if here.ends_with("quantity") && got == "a number" {
                " (quantities are decimal strings such as \"12\", never JSON numbers)"
            } else {
                ""
            };
            one(format!(
                "must be {}, got {got}{hint}",
                expected.join(" or ")
            ))
        }
        ValidationErrorKind::Constant { expected_value } => {
            one(format!("must be {expected_value}"))
        }
        ValidationErrorKind::MinLength { .. } => one("must not be empty".into()),
        ValidationErrorKind::MaxLength { limit } => {
            one(format!("is longer than the limit of {limit} characters"))
        }
        ValidationErrorKind::MinItems { limit } => {
            one(format!("must have at least {limit} item(s)"))
        }
        ValidationErrorKind::MaxItems { limit } => {
            one(format!("has more than the limit of {limit} items"))
        }
        ValidationErrorKind::Pattern { pattern } => {
            one(format!("does not match the pattern {pattern}"))
        }
        other => one(format!("is invalid ({})", keyword_of(other))),
    }
}

fn keyword_of(kind: &ValidationErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}
