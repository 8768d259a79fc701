//! Changes after signing (ETSI EN 319 142-1, 5.5; the shadow and incremental-saving attacks):
//! compare the document as signed with the final document, object by object. Allowed after a
//! signature: validation data (DSS, the ESIC extension), further signature fields and document
//! timestamps with their widgets. Anything else that changed is reported, naming the object.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

/// Keys a later revision may change in the catalog: validation data, extensions and version
/// (ISO 32000-2 needs them for DSS), the form (new signature fields, checked below) and the XMP
/// metadata, which viewers do not show as page content.
const CATALOG_KEYS: [&[u8]; 5] = [b"DSS", b"Extensions", b"AcroForm", b"Metadata", b"Version"];

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
        // A new signature field is allowed when it holds a signature (verified on its own) or
        // shows nothing: an unsigned field with a visible appearance could overlay the page.
        if let Object::Dictionary(dict) = object
            && dict.get(b"FT").ok().and_then(|f| f.as_name().ok()) == Some(&b"Sig"[..])
            && (dict.has(b"V") || !has_area(dict))
        {
            new_signature_fields.insert(id);
        }
    }
    let validation_data = validation_data(signed, last);
    // The document information dictionary (producer, dates) and XMP metadata streams are not
    // what the signer saw; signing software updates them.
    let info: BTreeSet<ObjectId> = [signed, last]
        .iter()
        .filter_map(|d| d.trailer.get(b"Info").ok()?.as_reference().ok())
        .chain(
            signed
                .objects
                .iter()
                .filter(|(_, o)| matches!(o, Object::Stream(s) if is_type(&s.dict, b"Metadata")))
                .map(|(id, _)| *id),
        )
        .collect();
    for (&id, before) in &signed.objects {
        // Cross-reference and object streams are the file's structure, rewritten by any
        // incremental update; what they hold is compared object by object.
        if is_structure(before) || validation_data.contains(&id) || info.contains(&id) {
            continue;
        }
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
                } else if is_unsigned_signature_field(b) || is_signature_widget(signed, b) {
                    // An empty signature field being signed: it gains /V, its widget an
                    // appearance (ETSI EN 319 142-1 allows further signatures).
                    only_keys_changed(b, a, &[b"V", b"AP", b"F", b"MK"])
                } else if b.has(b"Fields") && !b.has(b"Type") {
                    only_keys_changed(b, a, &[b"Fields", b"SigFlags", b"DR"])
                        && resources_only_grow(b, a)
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

fn is_structure(object: &Object) -> bool {
    matches!(object, Object::Stream(s) if is_type(&s.dict, b"XRef") || is_type(&s.dict, b"ObjStm"))
}

/// Objects that were validation data or extension declarations (reachable from /DSS or
/// /Extensions) when signed and still are, and that nothing the signer saw (pages, form)
/// reaches: a later revision may rewrite them, as updating a DSS with indirect arrays does.
fn validation_data(signed: &Document, last: &Document) -> BTreeSet<ObjectId> {
    const ALLOWED_ROOTS: [&[u8]; 2] = [b"DSS", b"Extensions"];
    let entry = |document: &Document, key: &[u8]| -> BTreeSet<ObjectId> {
        let start = document.catalog().ok().and_then(|c| c.get(key).ok());
        reachable(document, start.into_iter().collect())
    };
    // Everything reachable from the signed revision's catalog and trailer by any other path.
    let mut other_paths: Vec<&Object> = signed
        .trailer
        .iter()
        .filter(|(key, _)| key.as_slice() != b"Root")
        .map(|(_, value)| value)
        .collect();
    if let Ok(catalog) = signed.catalog() {
        other_paths.extend(
            catalog
                .iter()
                .filter(|(key, _)| !ALLOWED_ROOTS.contains(&key.as_slice()))
                .map(|(_, value)| value),
        );
    }
    let seen_by_signer = reachable(signed, other_paths);
    let mut allowed = BTreeSet::new();
    for key in ALLOWED_ROOTS {
        allowed.extend(
            entry(signed, key)
                .intersection(&entry(last, key))
                .filter(|id| !seen_by_signer.contains(id))
                .copied(),
        );
    }
    allowed
}

/// Objects reachable from `start` (stream contents are not read). Bounded: hostile files may
/// hold cycles or huge graphs.
fn reachable<'a>(document: &'a Document, start: Vec<&'a Object>) -> BTreeSet<ObjectId> {
    const MAX_STEPS: usize = 200_000;
    let mut seen = BTreeSet::new();
    let mut queue = start;
    let mut steps = 0usize;
    while let Some(object) = queue.pop() {
        steps += 1;
        if steps > MAX_STEPS {
            break;
        }
        match object {
            Object::Reference(id) => {
                if seen.insert(*id)
                    && let Ok(target) = document.get_object(*id)
                {
                    queue.push(target);
                }
            }
            Object::Array(items) => queue.extend(items.iter()),
            Object::Dictionary(dict) => queue.extend(dict.iter().map(|(_, v)| v)),
            Object::Stream(stream) => queue.extend(stream.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    seen
}

fn is_unsigned_signature_field(dict: &Dictionary) -> bool {
    dict.get(b"FT").ok().and_then(|f| f.as_name().ok()) == Some(&b"Sig"[..]) && !dict.has(b"V")
}

/// A widget annotation whose parent is a signature field without a value in the signed
/// revision.
fn is_signature_widget(signed: &Document, dict: &Dictionary) -> bool {
    dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) == Some(&b"Widget"[..])
        && dict
            .get(b"Parent")
            .ok()
            .and_then(|p| p.as_reference().ok())
            .and_then(|id| signed.get_dictionary(id).ok())
            .is_some_and(is_unsigned_signature_field)
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
            only_keys_changed(b, a, &[b"Fields", b"SigFlags", b"DR"])
                && resources_only_grow(b, a)
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

/// The form's default resources (/DR) may gain entries (a new signature's appearance font) but
/// no existing entry may change: a redefined /Helv would change how fields are drawn.
fn resources_only_grow(before: &Dictionary, after: &Dictionary) -> bool {
    fn grows(before: &Dictionary, after: &Dictionary, depth: usize) -> bool {
        before
            .iter()
            .all(|(key, value)| match (value, after.get(key).ok()) {
                (Object::Dictionary(b), Some(Object::Dictionary(a))) if depth > 0 => {
                    grows(b, a, depth - 1)
                }
                (b, Some(a)) => b == a,
                (_, None) => false,
            })
    }
    match (before.get(b"DR").ok(), after.get(b"DR").ok()) {
        (b, a) if b == a => true,
        (None, Some(_)) => true,
        (Some(Object::Dictionary(b)), Some(Object::Dictionary(a))) => grows(b, a, 1),
        _ => false,
    }
}

/// Whether an annotation's /Rect has a non-zero area.
fn has_area(dict: &Dictionary) -> bool {
    let Ok(Object::Array(rect)) = dict.get(b"Rect") else {
        return false;
    };
    let values: Vec<f32> = rect
        .iter()
        .filter_map(|v| {
            v.as_float()
                .ok()
                .or_else(|| v.as_i64().ok().map(|i| i as f32))
        })
        .collect();
    let [x1, y1, x2, y2] = values[..] else {
        return false;
    };
    (x2 - x1).abs() > 0.0 && (y2 - y1).abs() > 0.0
}
