//! Forms for issuing, generated from the input's JSON Schema ([`crate::model::json_schema`]):
//! one field per string of the schema, a fieldset per object, a repeated fieldset per array
//! item (goods lines, grounds of a refusal) with buttons to add and remove one. Input names are
//! the JSON paths with dots (`goods.2.hs_code`), so a posted form turns back into the JSON the API
//! takes, and the API's errors (`goods[2].hs_code`) land next to their field.

use serde::Serialize;
use serde_json::{Map, Value};

use super::texts::{self, Lang};
use crate::model::{FieldError, Form};

/// The most items an array of the form may have on the page (the API's own limits apply too).
const MAX_ITEMS: usize = 500;

/// The order of the legal forms' boxes (kk/ru seed text): keys are laid out in this order
/// wherever they occur; keys not listed come after, alphabetically.
const BOX_ORDER: [&str; 27] = [
    "number",
    "issue_date",
    "importer",
    "end_user",
    "exporter",
    "recipient",
    "application",
    "place_of_use",
    "purpose_of_use",
    "goods",
    "grounds",
    "contract",
    "signer",
    "name",
    "description",
    "country",
    "address",
    "legal_address",
    "phone",
    "bin_iin",
    "hs_code",
    "control_list_code",
    "unit",
    "quantity",
    "date",
    "full_name",
    "position",
];

/// An object's properties in the forms' box order.
fn in_box_order(schema: &Value) -> Vec<(&String, &Value)> {
    let mut properties: Vec<(&String, &Value)> = schema
        .get("properties")
        .and_then(|p| p.as_object())
        .into_iter()
        .flatten()
        .collect();
    properties.sort_by_key(|(key, _)| {
        BOX_ORDER
            .iter()
            .position(|k| k == key)
            .unwrap_or(BOX_ORDER.len())
    });
    properties
}

/// One input.
#[derive(Debug, Serialize)]
pub struct Field {
    /// The input's name: the JSON path with dots.
    pub name: String,
    /// Its label.
    pub label: String,
    /// `text`, `date` or `textarea`.
    pub kind: &'static str,
    /// Its value.
    pub value: String,
    /// Whether the schema requires it.
    pub required: bool,
    /// The schema's pattern, for the browser's own check.
    pub pattern: Option<String>,
    /// The schema's maximum length.
    pub max_length: Option<u64>,
    /// The API's message for it.
    pub error: Option<String>,
}

/// A fieldset: an object of the schema, or one item of an array.
#[derive(Debug, Serialize)]
pub struct Section {
    /// Its legend.
    pub legend: String,
    /// Its inputs.
    pub fields: Vec<Field>,
    /// For an array item: the value of the button that removes it (`remove:goods.2`).
    pub remove: Option<String>,
    /// After an array's last item: the value of the button that adds one (`add:goods`).
    pub add: Option<String>,
}

fn label(lang: Lang, path: &str, schema: &Value) -> String {
    let key = format!("field_{}", path.replace('.', "_"));
    texts::texts(lang)
        .get(&key)
        .cloned()
        .or_else(|| {
            schema
                .get("description")
                .and_then(|d| d.as_str())
                .map(str::to_string)
        })
        .unwrap_or(key)
}

/// Follows `$ref` (and a lone `allOf`) to the schema that describes a value.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..8 {
        if let Some(reference) = current.get("$ref").and_then(|r| r.as_str()) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => current = target,
                None => break,
            }
        } else if let Some([only]) = current
            .get("allOf")
            .and_then(|a| a.as_array())
            .map(Vec::as_slice)
        {
            current = only;
        } else {
            break;
        }
    }
    current
}

fn is_type(schema: &Value, kind: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == kind,
        Some(Value::Array(types)) => types.iter().any(|t| t == kind),
        _ => false,
    }
}

fn field(
    lang: Lang,
    schema: &Value,
    name: String,
    label_path: &str,
    value: Option<&Value>,
    required: bool,
    errors: &[FieldError],
) -> Field {
    let max_length = schema.get("maxLength").and_then(|m| m.as_u64());
    let kind = if schema.get("format").and_then(|f| f.as_str()) == Some("date") {
        "date"
    } else if max_length.is_some_and(|m| m > 500) {
        "textarea"
    } else {
        "text"
    };
    let path = api_path(&name);
    Field {
        label: label(lang, label_path, schema),
        kind,
        value: value
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string(),
        required,
        pattern: schema
            .get("pattern")
            .and_then(|p| p.as_str())
            .map(|p| p.trim_start_matches('^').trim_end_matches('$').to_string()),
        max_length,
        error: errors
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.reason.clone()),
        name,
    }
}

/// The API's path of an input name: `goods.2.hs_code` → `goods[2].hs_code`.
pub fn api_path(name: &str) -> String {
    let mut out = String::new();
    for part in name.split('.') {
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// The form's sections for `form`, filled with `data` and the API's `errors`.
pub fn sections(form: Form, data: &Value, errors: &[FieldError], lang: Lang) -> Vec<Section> {
    let root = crate::model::json_schema(form);
    let required = |schema: &Value, key: &str| {
        schema
            .get("required")
            .and_then(|r| r.as_array())
            .is_some_and(|r| r.iter().any(|k| k == key))
    };
    let mut sections: Vec<Section> = Vec::new();
    // Scalars next to each other share a section: the first is "general", later ones "more".
    let mut scalars: Option<Section> = None;
    for (key, schema) in in_box_order(&root) {
        if key == "form" {
            continue;
        }
        let schema = resolve(&root, schema);
        let value = data.get(key);
        if (is_type(schema, "object") || is_type(schema, "array"))
            && let Some(done) = scalars.take()
        {
            sections.push(done);
        }
        if is_type(schema, "object") {
            let mut section = Section {
                legend: label(lang, &format!("section.{key}"), schema),
                fields: Vec::new(),
                remove: None,
                add: None,
            };
            for (inner, inner_schema) in in_box_order(schema) {
                section.fields.push(field(
                    lang,
                    resolve(&root, inner_schema),
                    format!("{key}.{inner}"),
                    &format!("{key}.{inner}"),
                    value.and_then(|v| v.get(inner)),
                    required(schema, inner),
                    errors,
                ));
            }
            sections.push(section);
        } else if is_type(schema, "array") {
            let items = resolve(&root, schema.get("items").unwrap_or(&Value::Null));
            let values: Vec<Value> = value
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default();
            let count = values.len().max(1);
            for index in 0..count {
                let item = values.get(index);
                let mut section = Section {
                    legend: format!(
                        "{} {}",
                        label(lang, &format!("section.{key}"), schema),
                        index + 1
                    ),
                    fields: Vec::new(),
                    remove: (count > 1).then(|| format!("remove:{key}.{index}")),
                    add: (index + 1 == count).then(|| format!("add:{key}")),
                };
                if is_type(items, "object") {
                    for (inner, inner_schema) in in_box_order(items) {
                        section.fields.push(field(
                            lang,
                            resolve(&root, inner_schema),
                            format!("{key}.{index}.{inner}"),
                            &format!("{key}.{inner}"),
                            item.and_then(|v| v.get(inner)),
                            required(items, inner),
                            errors,
                        ));
                    }
                } else {
                    section.fields.push(field(
                        lang,
                        items,
                        format!("{key}.{index}"),
                        key,
                        item,
                        true,
                        errors,
                    ));
                }
                sections.push(section);
            }
        } else {
            let legend = if sections.is_empty() {
                "section_general"
            } else {
                "section_more"
            };
            let section = scalars.get_or_insert_with(|| Section {
                legend: texts::text(lang, legend, &[]),
                fields: Vec::new(),
                remove: None,
                add: None,
            });
            section.fields.push(field(
                lang,
                schema,
                key.clone(),
                key,
                value,
                required(&root, key) && !is_type(schema, "null"),
                errors,
            ));
        }
    }
    sections.extend(scalars);
    sections
}

/// The JSON input a posted form stands for: every pair whose name is a path of the form
/// (control fields start with `_` or are `csrf`); empty optional values are left out.
pub fn json_from_pairs(form: Form, pairs: &[(String, String)]) -> Value {
    let mut root = Value::Object(Map::new());
    for (name, value) in pairs {
        if name.starts_with('_') || name == "csrf" || value.trim().is_empty() {
            continue;
        }
        insert(
            &mut root,
            &name.split('.').collect::<Vec<_>>(),
            value.trim(),
        );
    }
    if let Value::Object(map) = &mut root {
        map.insert("form".into(), Value::String(form.key().into()));
    }
    compact(root)
}

/// Sets `path` in `node` to `value`, making objects and arrays (by numeric segment) on the way.
fn insert(node: &mut Value, path: &[&str], value: &str) {
    let Some((head, rest)) = path.split_first() else {
        return;
    };
    let index = head.parse::<usize>().ok().filter(|i| *i < MAX_ITEMS);
    let slot = match (index, &mut *node) {
        (Some(i), Value::Array(items)) => {
            if items.len() <= i {
                items.resize(i + 1, Value::Null);
            }
            &mut items[i]
        }
        (Some(_), _) => return,
        (None, Value::Object(map)) => map.entry(head.to_string()).or_insert(Value::Null),
        (None, _) => return,
    };
    if rest.is_empty() {
        *slot = Value::String(value.to_string());
        return;
    }
    if slot.is_null() {
        *slot = if rest[0].parse::<usize>().is_ok() {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        };
    }
    insert(slot, rest, value);
}

/// Arrays lose the holes a removed or empty line leaves.
fn compact(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|v| !v.is_null())
                .map(compact)
                .collect(),
        ),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, compact(v))).collect())
        }
        other => other,
    }
}

/// Applies an `add:KEY` or `remove:KEY.N` button to the form's data.
pub fn apply_button(data: &mut Value, button: &str) {
    if let Some(key) = button.strip_prefix("add:") {
        if let Some(Value::Array(items)) = data.get_mut(key) {
            if items.len() < MAX_ITEMS {
                items.push(Value::Null);
            }
        } else if let Value::Object(map) = data {
            map.insert(
                key.to_string(),
                Value::Array(vec![Value::Null, Value::Null]),
            );
        }
    } else if let Some(target) = button.strip_prefix("remove:")
        && let Some((key, index)) = target.rsplit_once('.')
        && let Ok(index) = index.parse::<usize>()
        && let Some(Value::Array(items)) = data.get_mut(key)
        && index < items.len()
    {
        items.remove(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_posted_form_is_the_json_the_api_takes() {
        let json = json_from_pairs(
            Form::EndUserCertificate,
            &pairs(&[
                ("csrf", "x"),
                ("_action", "issue"),
                ("issue_date", "2026-03-02"),
                ("number", ""),
                ("importer.name", "ЖШС «Алатау»"),
                ("goods.0.name", "A"),
                ("goods.1.name", "B"),
                ("goods.3.name", "D"),
            ]),
        );
        assert_eq!(json["form"], "end_user_certificate");
        assert_eq!(json["importer"]["name"], "ЖШС «Алатау»");
        assert!(json.get("number").is_none());
        let names: Vec<&str> = json["goods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["A", "B", "D"]);
    }

    #[test]
    fn lines_are_added_and_removed() {
        let mut data = serde_json::json!({ "goods": [{"name": "A"}, {"name": "B"}] });
        apply_button(&mut data, "add:goods");
        assert_eq!(data["goods"].as_array().unwrap().len(), 3);
        apply_button(&mut data, "remove:goods.0");
        assert_eq!(data["goods"][0]["name"], "B");
        apply_button(&mut data, "remove:goods.9");
        assert_eq!(data["goods"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn every_field_of_every_form_has_a_label_in_both_languages() {
        for form in [
            Form::EndUserCertificate,
            Form::ImportCertificate,
            Form::Refusal,
        ] {
            for lang in Lang::ALL {
                for section in sections(form, &Value::Null, &[], lang) {
                    assert!(!section.legend.starts_with("field_"), "{form:?} {lang:?}");
                    for field in section.fields {
                        assert!(
                            !field.label.starts_with("field_")
                                && field
                                    .label
                                    .chars()
                                    .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)),
                            "{form:?} {lang:?} {}: {}",
                            field.name,
                            field.label
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn errors_land_next_to_their_field() {
        let data = serde_json::json!({ "goods": [{}, {"hs_code": "12"}] });
        let errors = [FieldError::new("goods[1].hs_code", "ten digits")];
        let sections = sections(Form::EndUserCertificate, &data, &errors, Lang::Kk);
        let field = sections
            .iter()
            .flat_map(|s| &s.fields)
            .find(|f| f.name == "goods.1.hs_code")
            .unwrap();
        assert_eq!(field.error.as_deref(), Some("ten digits"));
        assert_eq!(field.value, "12");
        assert_eq!(api_path("goods.1.hs_code"), "goods[1].hs_code");
    }
}
