//! Changes after signing (ETSI EN 319 142-1, 5.5; the shadow and incremental-saving attacks):
//! compare the document as signed with the final document, object by object. Allowed after a
//! signature: validation data (DSS, the ESIC extension), further signature fields and document
//! timestamps with their widgets. Anything else that changed is reported, naming the object.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

/// Keys a later revision may change in the catalog.
const CATALOG_KEYS: [&[u8]; 3] = [b"DSS", b"Extensions", b"AcroForm"];

/// What changed, one line each; empty when only allowed changes were made.
pub fn changes_after(signed: &Document, last: &Document) -> Vec<String> {
    let mut changes = Vec::new();
    let mut new_signature_fields: BTreeSet<ObjectId> = BTreeSet::new();
    let catalog_id = last
        .trailer
        .get(b"Root")
        .ok()
        .and_then(|r| r.as_reference().ok());
    // New signature fields and their values may appear; collect them first.
    for (&id, object) in &last.objects {
        if signed.objects.contains_key(&id) {
            continue;
        }
        if let Object::Dictionary(dict) = object
            && dict.get(b"FT").ok().and_then(|f| f.as_name().ok()) == Some(&b"Sig"[..])
        {
            new_signature_fields.insert(id);
        }
    }
    for (&id, before) in &signed.objects {
        let Some(after) = last.objects.get(&id) else {
            changes.push(format!("object {} {} was removed", id.0, id.1));
            continue;
        };
        if before == after {
            continue;
        }
        let allowed = match (before, after) {
            (Object::Dictionary(b), Object::Dictionary(a)) => {
                if Some(id) == catalog_id {
                    only_keys_changed(b, a, &CATALOG_KEYS)
                        && acro_form_grows(signed, last, b, a, &new_signature_fields)
                } else if is_type(b, b"Page") {
                    only_keys_changed(b, a, &[b"Annots"])
                        && annots_only_add(signed, last, b, a, &new_signature_fields)
                } else if b.has(b"Fields") && !b.has(b"Type") {
                    only_keys_changed(b, a, &[b"Fields", b"SigFlags"])
                        && array_only_adds(
                            last,
                            b.get(b"Fields").ok(),
                            a.get(b"Fields").ok(),
                            &new_signature_fields,
                        )
                } else {
                    false
                }
            }
            (Object::Array(b), Object::Array(a)) => {
                // An indirect /Annots or /Fields array that only gained signature fields.
                a.starts_with(b)
                    && a[b.len()..].iter().all(|o| {
                        o.as_reference()
                            .is_ok_and(|r| new_signature_fields.contains(&r))
                    })
            }
            _ => false,
        };
        if !allowed {
            changes.push(describe(id, before));
        }
    }
    changes
}

fn is_type(dict: &Dictionary, kind: &[u8]) -> bool {
    dict.get(b"Type").ok().and_then(|t| t.as_name().ok()) == Some(kind)
}

fn describe(id: ObjectId, object: &Object) -> String {
    let what = match object {
        Object::Dictionary(d) if is_type(d, b"Page") => "a page".to_string(),
        Object::Dictionary(d) if is_type(d, b"Pages") => "the page tree".to_string(),
        Object::Dictionary(d) if is_type(d, b"Catalog") => "the catalog".to_string(),
        Object::Dictionary(d) if is_type(d, b"Annot") => "an annotation".to_string(),
        Object::Dictionary(d) if is_type(d, b"Font") => "a font".to_string(),
        Object::Dictionary(d) if d.has(b"FT") => "a form field".to_string(),
        Object::Stream(s) if is_type(&s.dict, b"XObject") => {
            "an XObject (appearance or image)".to_string()
        }
        Object::Stream(_) => "a stream (page content or resource)".to_string(),
        _ => "an object".to_string(),
    };
    format!(
        "{what} (object {} {}) was redefined after signing",
        id.0, id.1
    )
}

/// Every key not in `allowed` is unchanged.
fn only_keys_changed(before: &Dictionary, after: &Dictionary, allowed: &[&[u8]]) -> bool {
    let keys: BTreeSet<&[u8]> = before
        .iter()
        .map(|(k, _)| k.as_slice())
        .chain(after.iter().map(|(k, _)| k.as_slice()))
        .collect();
    keys.into_iter()
        .filter(|k| !allowed.contains(k))
        .all(|k| before.get(k).ok() == after.get(k).ok())
}

fn resolve<'a>(document: &'a Document, object: Option<&'a Object>) -> Option<&'a Object> {
    document.dereference(object?).ok().map(|(_, o)| o)
}

/// The later array holds the earlier one's items, plus new signature fields only.
fn array_only_adds(
    last: &Document,
    before: Option<&Object>,
    after: Option<&Object>,
    new_fields: &BTreeSet<ObjectId>,
) -> bool {
    let before_items = before
        .and_then(|o| o.as_array().ok())
        .cloned()
        .unwrap_or_default();
    let Some(after_items) = resolve(last, after).and_then(|o| o.as_array().ok()) else {
        return before_items.is_empty();
    };
    after_items.starts_with(&before_items)
        && after_items[before_items.len()..]
            .iter()
            .all(|o| o.as_reference().is_ok_and(|r| new_fields.contains(&r)))
}

fn annots_only_add(
    signed: &Document,
    last: &Document,
    before: &Dictionary,
    after: &Dictionary,
    new_fields: &BTreeSet<ObjectId>,
) -> bool {
    let before_items = resolve(signed, before.get(b"Annots").ok()).cloned();
    array_only_adds(
        last,
        before_items.as_ref(),
        after.get(b"Annots").ok(),
        new_fields,
    )
}

fn acro_form_grows(
    signed: &Document,
    last: &Document,
    before: &Dictionary,
    after: &Dictionary,
    new_fields: &BTreeSet<ObjectId>,
) -> bool {
    match (before.get(b"AcroForm").ok(), after.get(b"AcroForm").ok()) {
        (b, a) if b == a => true,
        (Some(Object::Dictionary(b)), Some(Object::Dictionary(a))) => {
            only_keys_changed(b, a, &[b"Fields", b"SigFlags"])
                && array_only_adds(
                    last,
                    resolve(signed, b.get(b"Fields").ok()),
                    a.get(b"Fields").ok(),
                    new_fields,
                )
        }
        _ => false,
    }
}
