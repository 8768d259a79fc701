//! Changes after signing (ETSI EN 319 142-1, 5.5; the shadow and incremental-saving attacks):
//! compare the document as signed with the final document, object by object. Allowed after a
//! signature: validation data (DSS, the ESIC extension), further signature fields and document
//! timestamps with their widgets. Anything else that changed is reported, naming the object.

use std::collections::{BTreeSet, HashMap};

use lopdf::{Dictionary, Object, ObjectId};

use super::report::ModificationLevel;
use crate::pki::pdf_reader::{Location, PdfFile};

/// Keys a later revision may change in the catalog: validation data, extensions and version
/// (ISO 32000-2 needs them for DSS), the form (new signature fields, checked below) and the XMP
/// metadata, which viewers do not show as page content.
const CATALOG_KEYS: [&[u8]; 5] = [b"DSS", b"Extensions", b"AcroForm", b"Metadata", b"Version"];

/// What a later revision did to a signed one, in pyHanko's levels.
#[derive(Debug)]
pub struct Changes {
    /// The highest level among the changes: `LtaUpdates` when only validation data and
    /// document timestamps were added, `FormFilling` for further signatures and filled form
    /// fields, `Annotations` for added, changed or removed annotations, `Other` for anything else.
    pub level: ModificationLevel,
    /// One line per change at form filling or above, the disallowed ones first.
    pub changes: Vec<String>,
    /// The DocMDP permission of the certification signature in force when this signature was
    /// made (ISO 32000-1, 12.8.2.2: 1 no changes, 2 form filling and signing, 3 annotations as
    /// well); `None` without a certification signature.
    pub docmdp: Option<i64>,
}

impl Changes {
    /// Why the changes break the signature, when they do: anything that is not form filling,
    /// annotations or validation data; or more than the certification signature permits. Without
    /// a certification signature form filling and annotations are allowed, as pyHanko and ISO
    /// 32000-1 (12.8.2.1) have it; the report names them.
    pub fn refusal(&self) -> Option<String> {
        let permitted = match self.docmdp {
            None => ModificationLevel::Annotations,
            Some(1) => ModificationLevel::LtaUpdates,
            Some(3) => ModificationLevel::Annotations,
            Some(_) => ModificationLevel::FormFilling,
        };
        if self.level == ModificationLevel::Other {
            Some("the document was modified after signing".into())
        } else if self.level > permitted {
            Some(format!(
                "the certification signature's DocMDP permission {} does not allow {}",
                self.docmdp.unwrap_or_default(),
                match self.level {
                    ModificationLevel::Annotations => "annotations",
                    _ => "form filling or further signatures",
                }
            ))
        } else {
            None
        }
    }
}

/// What changed between the signed revision and the final document, and at which level. Only
/// the objects that a later cross-reference section put somewhere else are compared (all of them
/// when either revision had to be loaded whole): an object left where it was is the same bytes.
pub fn changes_after(signed: &PdfFile, last: &PdfFile) -> Changes {
    let mut review = Review {
        signed,
        last,
        level: ModificationLevel::LtaUpdates,
        refused: Vec::new(),
        allowed: Vec::new(),
        new_signature_fields: BTreeSet::new(),
    };
    let catalog_id = last
        .trailer()
        .get(b"Root")
        .ok()
        .and_then(|r| r.as_reference().ok());
    let redefined = redefined(signed, last);
    // New signature fields and their values may appear; collect them first.
    for &id in &redefined {
        if signed.get(id).is_some() {
            continue;
        }
        // A new signature field is allowed when it holds a signature (verified on its own) or
        // shows nothing: an unsigned field with a visible appearance could overlay the page.
        if let Some(Object::Dictionary(dict)) = last.get(id)
            && dict.get(b"FT").ok().and_then(|f| f.as_name().ok()) == Some(&b"Sig"[..])
            && (dict.has(b"V") || !has_area(dict))
        {
            review.new_signature_fields.insert(id);
            let level = review.signature_field_level(dict);
            review.raise(level);
        }
    }
    let mut validation_data = ValidationData {
        signed,
        last,
        in_both: None,
        seen_by_signer: None,
    };
    // The document information dictionary (producer, dates) and XMP metadata streams are not
    // what the signer saw; signing software updates them.
    let info: BTreeSet<ObjectId> = [signed, last]
        .iter()
        .filter_map(|d| d.trailer().get(b"Info").ok()?.as_reference().ok())
        .collect();
    for &id in &redefined {
        let Some(before) = signed.get(id) else {
            continue;
        };
        // Cross-reference and object streams are the file's structure, rewritten by any
        // incremental update; what they hold is compared object by object.
        if is_structure(before) || is_type_stream(before, b"Metadata") || info.contains(&id) {
            continue;
        }
        let after = last.get(id);
        if after == Some(before) || validation_data.contains(id) {
            continue;
        }
        match after {
            None => review.refuse(format!("object {} {} was removed", id.0, id.1)),
            Some(after) => review.changed(id, before, after, Some(id) == catalog_id),
        }
    }
    let level = if review.refused.is_empty() {
        review.level
    } else {
        ModificationLevel::Other
    };
    let mut changes = review.refused;
    changes.extend(review.allowed);
    Changes {
        level,
        changes,
        docmdp: docmdp_permission(signed),
    }
}

/// The objects either revision defines whose place the final cross-reference data changed:
/// redefined, added or removed. An object stream's objects move with their stream.
fn redefined(signed: &PdfFile, last: &PdfFile) -> Vec<ObjectId> {
    let mut ids = signed.ids();
    ids.extend(last.ids());
    ids.sort_unstable();
    ids.dedup();
    if !(signed.is_indexed() && last.is_indexed()) {
        return ids;
    }
    // Left where it was, an object is the same bytes; it reads the same only when its reading
    // in the signed revision did not depend on where that revision ends (a stream with a wrong
    // /Length could take its data from bytes appended later).
    // An object stream holds many objects: its own check is made once.
    let mut containers_in_place: HashMap<u32, bool> = HashMap::new();
    let mut in_place = |id: ObjectId| -> bool {
        match (signed.location(id.0), last.location(id.0)) {
            (Some(a), Some(b)) if a == b => match a {
                Location::Normal { .. } => signed.self_contained(id),
                Location::Compressed { container, .. } => {
                    *containers_in_place.entry(container).or_insert_with(|| {
                        let place = signed.location(container);
                        matches!(place, Some(Location::Normal { generation, .. })
                            if signed.self_contained((container, generation)))
                            && place == last.location(container)
                    })
                }
                Location::Free => true,
            },
            _ => false,
        }
    };
    ids.retain(|id| !in_place(*id));
    ids
}

/// Objects that were validation data or extension declarations (reachable from /DSS or
/// /Extensions) when signed and still are, and that nothing the signer saw (pages, form)
/// reaches: a later revision may rewrite them, as updating a DSS with indirect arrays does.
/// Worked out when first asked, and the walk over what the signer saw only for an object that
/// is validation data in both revisions.
struct ValidationData<'a, 'f> {
    signed: &'a PdfFile<'f>,
    last: &'a PdfFile<'f>,
    in_both: Option<BTreeSet<ObjectId>>,
    seen_by_signer: Option<BTreeSet<ObjectId>>,
}

impl ValidationData<'_, '_> {
    const ALLOWED_ROOTS: [&'static [u8]; 2] = [b"DSS", b"Extensions"];

    fn contains(&mut self, id: ObjectId) -> bool {
        let (signed, last) = (self.signed, self.last);
        let in_both = self.in_both.get_or_insert_with(|| {
            let entry = |document: &PdfFile, key: &[u8]| -> BTreeSet<ObjectId> {
                let start = document.catalog().and_then(|c| c.get(key).ok());
                reachable(document, start.into_iter().collect())
            };
            Self::ALLOWED_ROOTS
                .iter()
                .flat_map(|key| {
                    entry(signed, key)
                        .intersection(&entry(last, key))
                        .copied()
                        .collect::<Vec<_>>()
                })
                .collect()
        });
        if !in_both.contains(&id) {
            return false;
        }
        let seen_by_signer = self.seen_by_signer.get_or_insert_with(|| {
            // Everything reachable from the signed revision's catalog and trailer by any
            // other path.
            let mut other_paths: Vec<&Object> = signed
                .trailer()
                .iter()
                .filter(|(key, _)| key.as_slice() != b"Root")
                .map(|(_, value)| value)
                .collect();
            if let Some(catalog) = signed.catalog() {
                other_paths.extend(
                    catalog
                        .iter()
                        .filter(|(key, _)| !Self::ALLOWED_ROOTS.contains(&key.as_slice()))
                        .map(|(_, value)| value),
                );
            }
            reachable(signed, other_paths)
        });
        !seen_by_signer.contains(&id)
    }
}

/// The comparison of one signed revision with the final document.
struct Review<'a, 'f> {
    signed: &'a PdfFile<'f>,
    last: &'a PdfFile<'f>,
    /// The highest level of the allowed changes so far.
    level: ModificationLevel,
    refused: Vec<String>,
    allowed: Vec<String>,
    new_signature_fields: BTreeSet<ObjectId>,
}

impl Review<'_, '_> {
    fn raise(&mut self, level: ModificationLevel) {
        self.level = self.level.max(level);
    }

    fn refuse(&mut self, change: String) {
        self.refused.push(change);
    }

    fn allow(&mut self, level: ModificationLevel, change: String) {
        self.raise(level);
        self.allowed.push(change);
    }

    /// A signature field's value: a document timestamp is validation data (LTA), a signature
    /// is form filling (DocMDP permission 2 names signing with form filling), as in pyHanko.
    fn signature_field_level(&self, field: &Dictionary) -> ModificationLevel {
        let value = resolve(self.last, field.get(b"V").ok()).and_then(|v| v.as_dict().ok());
        if value.is_some_and(|v| is_type(v, b"DocTimeStamp")) {
            ModificationLevel::LtaUpdates
        } else {
            ModificationLevel::FormFilling
        }
    }

    /// An object of the signed revision that the final document redefines.
    fn changed(&mut self, id: ObjectId, before: &Object, after: &Object, is_catalog: bool) {
        let (signed, last) = (self.signed, self.last);
        match (before, after) {
            (Object::Dictionary(b), Object::Dictionary(a)) => {
                if is_catalog {
                    if only_keys_changed(b, a, &CATALOG_KEYS)
                        && acro_form_grows(signed, last, b, a, &self.new_signature_fields)
                    {
                        return;
                    }
                } else if is_type(b, b"Page") {
                    if only_keys_changed(b, a, &[b"Annots"]) {
                        let before_items = resolve(signed, b.get(b"Annots").ok());
                        let after_items = resolve(last, a.get(b"Annots").ok());
                        if self.annotations_change(id, before_items, after_items) {
                            return;
                        }
                    }
                } else if is_unsigned_signature_field(b) || is_signature_widget(signed, b) {
                    // An empty signature field being signed: it gains /V, its widget an
                    // appearance (ETSI EN 319 142-1 allows further signatures).
                    if only_keys_changed(b, a, &[b"V", b"AP", b"F", b"MK"]) {
                        let level = if is_unsigned_signature_field(b) {
                            self.signature_field_level(a)
                        } else {
                            ModificationLevel::FormFilling
                        };
                        self.raise(level);
                        return;
                    }
                } else if b.has(b"Fields") && !b.has(b"Type") {
                    if only_keys_changed(b, a, &[b"Fields", b"SigFlags", b"DR"])
                        && resources_only_grow(b, a)
                        && array_only_adds(
                            last,
                            b.get(b"Fields").ok(),
                            a.get(b"Fields").ok(),
                            &self.new_signature_fields,
                        )
                    {
                        return;
                    }
                } else if let Some(field) = self.fillable_field(b) {
                    // Filling in a field: its value, a widget's appearance state, and new
                    // appearance streams (an existing stream redefined is refused on its own).
                    if only_keys_changed(b, a, &[b"V", b"AS", b"AP"]) {
                        let field = field.unwrap_or_else(|| format!("object {} {}", id.0, id.1));
                        self.allow(
                            ModificationLevel::FormFilling,
                            format!("the form field {field} was filled in after signing"),
                        );
                        return;
                    }
                } else if is_markup_annotation(b) && is_markup_annotation(a) {
                    self.allow(
                        ModificationLevel::Annotations,
                        format!(
                            "an annotation (object {} {}) was changed after signing",
                            id.0, id.1
                        ),
                    );
                    return;
                }
            }
            // An indirect /Annots or /Fields array.
            (Object::Array(_), Object::Array(_))
                if self.annotations_change(id, Some(before), Some(after)) =>
            {
                return;
            }
            _ => {}
        }
        self.refuse(describe(id, before));
    }

    /// A page's annotations: the ones kept stay in their order (a reordering changes what is
    /// drawn over what); removed ones must be annotations that are not widgets (a form field
    /// leaving the page is not form filling); added ones must be new signature fields or new
    /// annotations that are not widgets. Whether that is all (`true`) or the change is refused.
    fn annotations_change(
        &mut self,
        page: ObjectId,
        before: Option<&Object>,
        after: Option<&Object>,
    ) -> bool {
        let references = |object: Option<&Object>| -> Option<Vec<ObjectId>> {
            match object {
                None => Some(Vec::new()),
                Some(Object::Array(items)) => items.iter().map(|o| o.as_reference().ok()).collect(),
                Some(_) => None,
            }
        };
        let (Some(before), Some(after)) = (references(before), references(after)) else {
            return false;
        };
        let kept_before: Vec<ObjectId> = before
            .iter()
            .copied()
            .filter(|id| after.contains(id))
            .collect();
        let kept_after: Vec<ObjectId> = after
            .iter()
            .copied()
            .filter(|id| before.contains(id))
            .collect();
        if kept_before != kept_after {
            return false;
        }
        let markup_in = |document: &PdfFile, id: &ObjectId| {
            dictionary(document, *id).is_some_and(is_markup_annotation)
        };
        let removed: Vec<ObjectId> = before
            .iter()
            .copied()
            .filter(|id| !after.contains(id))
            .collect();
        let added: Vec<ObjectId> = after
            .iter()
            .copied()
            .filter(|id| !before.contains(id))
            .collect();
        if !removed.iter().all(|id| markup_in(self.signed, id)) {
            return false;
        }
        let mut annotations = Vec::new();
        for id in &added {
            if self.new_signature_fields.contains(id) {
                continue;
            }
            if self.signed.get(*id).is_some() || !markup_in(self.last, id) {
                return false;
            }
            annotations.push(*id);
        }
        let count = removed.len() + annotations.len();
        if count > 0 {
            self.allow(
                ModificationLevel::Annotations,
                format!(
                    "{} annotation(s) added and {} removed after signing (in object {} {})",
                    annotations.len(),
                    removed.len(),
                    page.0,
                    page.1
                ),
            );
        }
        true
    }

    /// A form field (or its widget) that holds a value the user fills in: a text, choice or
    /// button field not marked read-only. `Some(name)` (the field's /T when it has one).
    fn fillable_field(&self, dict: &Dictionary) -> Option<Option<String>> {
        let signed = self.signed;
        let parent = dict
            .get(b"Parent")
            .ok()
            .and_then(|p| p.as_reference().ok())
            .and_then(|id| dictionary(signed, id));
        let field = if dict.has(b"FT") {
            dict
        } else if is_widget(dict) {
            parent?
        } else {
            return None;
        };
        let kind = field.get(b"FT").ok().and_then(|f| f.as_name().ok())?;
        if !matches!(kind, b"Tx" | b"Ch" | b"Btn") {
            return None;
        }
        // Field flags bit 1: read-only (ISO 32000-1, table 221); a read-only field is not filled.
        let read_only = [Some(field), parent]
            .into_iter()
            .flatten()
            .any(|d| d.get(b"Ff").ok().and_then(|f| f.as_i64().ok()).unwrap_or(0) & 1 == 1);
        if read_only {
            return None;
        }
        Some(super::pdf::text(field, b"T"))
    }
}

/// The DocMDP permission /P of the certification signature the catalog's /Perms names
/// (default 2, ISO 32000-1, table 254).
fn docmdp_permission(signed: &PdfFile) -> Option<i64> {
    let catalog = signed.catalog()?;
    let perms = resolve(signed, catalog.get(b"Perms").ok())?
        .as_dict()
        .ok()?;
    let signature = resolve(signed, perms.get(b"DocMDP").ok())?.as_dict().ok()?;
    let references = resolve(signed, signature.get(b"Reference").ok())?
        .as_array()
        .ok()?;
    references
        .iter()
        .filter_map(|r| resolve(signed, Some(r))?.as_dict().ok())
        .find(|r| {
            r.get(b"TransformMethod")
                .ok()
                .and_then(|m| m.as_name().ok())
                == Some(&b"DocMDP"[..])
        })
        .map(|r| {
            resolve(signed, r.get(b"TransformParams").ok())
                .and_then(|p| p.as_dict().ok())
                .and_then(|p| p.get(b"P").ok())
                .and_then(|p| p.as_i64().ok())
                .unwrap_or(2)
        })
}

/// An annotation that is not a form widget (text notes, highlights, stamps, free text...):
/// what DocMDP permission 3 lets later users add, change or remove.
fn is_markup_annotation(dict: &Dictionary) -> bool {
    dict.has(b"Rect")
        && subtype(dict).is_some_and(|s| s != b"Widget")
        && !dict.has(b"FT")
        && (is_type(dict, b"Annot") || !dict.has(b"Type"))
}

/// An annotation's /Subtype.
fn subtype(dict: &Dictionary) -> Option<&[u8]> {
    dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok())
}

fn is_widget(dict: &Dictionary) -> bool {
    subtype(dict) == Some(&b"Widget"[..])
}

fn is_structure(object: &Object) -> bool {
    matches!(object, Object::Stream(s) if is_type(&s.dict, b"XRef") || is_type(&s.dict, b"ObjStm"))
}

/// Objects reachable from `start` (stream contents are not read). Bounded: hostile files may
/// hold cycles or huge graphs.
fn reachable<'a>(document: &'a PdfFile, start: Vec<&'a Object>) -> BTreeSet<ObjectId> {
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
                    && let Some(target) = document.get(*id)
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
fn is_signature_widget(signed: &PdfFile, dict: &Dictionary) -> bool {
    is_widget(dict)
        && dict
            .get(b"Parent")
            .ok()
            .and_then(|p| p.as_reference().ok())
            .and_then(|id| dictionary(signed, id))
            .is_some_and(is_unsigned_signature_field)
}

fn is_type_stream(object: &Object, kind: &[u8]) -> bool {
    matches!(object, Object::Stream(s) if is_type(&s.dict, kind))
}

/// The dictionary `id` is (not a stream's).
fn dictionary<'a>(document: &'a PdfFile, id: ObjectId) -> Option<&'a Dictionary> {
    document.get(id)?.as_dict().ok()
}

fn is_type(dict: &Dictionary, kind: &[u8]) -> bool {
    dict.get(b"Type").ok().and_then(|t| t.as_name().ok()) == Some(kind)
}

fn describe(id: ObjectId, object: &Object) -> String {
    let what = match object {
        Object::Dictionary(d) if is_type(d, b"Page") => "a page".to_string(),
        Object::Dictionary(d) if is_type(d, b"Pages") => "the page tree".to_string(),
        Object::Dictionary(d) if is_type(d, b"Catalog") => "the catalog".to_string(),
        Object::Dictionary(d) if d.has(b"FT") => "a form field".to_string(),
        Object::Dictionary(d) if is_type(d, b"Annot") => "an annotation".to_string(),
        Object::Dictionary(d) if is_type(d, b"Font") => "a font".to_string(),
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

fn resolve<'a>(document: &'a PdfFile, object: Option<&'a Object>) -> Option<&'a Object> {
    document.resolve(object?)
}

/// The later array holds the earlier one's items, plus new signature fields only.
fn array_only_adds(
    last: &PdfFile,
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

fn acro_form_grows(
    signed: &PdfFile,
    last: &PdfFile,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(level: ModificationLevel, docmdp: Option<i64>) -> Changes {
        Changes {
            level,
            changes: Vec::new(),
            docmdp,
        }
    }

    /// What each DocMDP permission lets later revisions do (ISO 32000-1, table 254).
    #[test]
    fn the_certification_permission_decides_what_may_change() {
        use ModificationLevel::{Annotations, FormFilling, LtaUpdates, Other};
        for (level, docmdp, refused) in [
            (LtaUpdates, Some(1), false),
            (FormFilling, Some(1), true),
            (FormFilling, Some(2), false),
            (Annotations, Some(2), true),
            (Annotations, Some(3), false),
            (Annotations, None, false),
            (FormFilling, None, false),
            (Other, None, true),
            (Other, Some(3), true),
        ] {
            assert_eq!(
                changes(level, docmdp).refusal().is_some(),
                refused,
                "{level:?} under {docmdp:?}"
            );
        }
    }

    /// pyHanko's certified corpus file names its permission through indirect references.
    #[test]
    fn the_permission_is_read_from_the_certification_signature() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpora/pyhanko/pdf/certified-with-indirect-refs-in-dir.pdf"
        );
        let bytes = std::fs::read(path).expect("corpus file");
        let document = PdfFile::open(&bytes, 1 << 20).expect("readable");
        assert!(matches!(docmdp_permission(&document), Some(1..=3)));
        let head = "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n";
        let unsigned = format!(
            "{head}xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n\
             trailer << /Root 1 0 R /Size 2 >>\nstartxref\n{}\n%%EOF\n",
            head.len()
        );
        let unsigned = PdfFile::open(unsigned.as_bytes(), 1 << 20).expect("readable");
        assert!(unsigned.is_indexed());
        assert_eq!(docmdp_permission(&unsigned), None);
    }

    /// A classic cross-reference section for objects `first..` at `offsets`, with its trailer.
    fn xref_section(first: u32, offsets: &[usize], trailer: &str, at: usize) -> String {
        let mut text = format!(
            "xref\n0 1\n0000000000 65535 f \n{first} {}\n",
            offsets.len()
        );
        for offset in offsets {
            text.push_str(&format!("{offset:010} 00000 n \n"));
        }
        text + &format!("trailer << {trailer} >>\nstartxref\n{at}\n%%EOF\n")
    }

    /// A content stream whose /Length runs past the end of the signed revision reads as
    /// "BT ET" there (its data recovered up to `endstream`), but as other content once bytes are
    /// appended that put an `endstream` where its /Length ends. It stays where it was in the
    /// cross-reference data, so only its reading tells the change.
    #[test]
    fn a_stream_whose_length_reaches_into_appended_bytes_is_compared() {
        let mut file = String::from("%PDF-1.7\n");
        let mut offsets = Vec::new();
        for object in [
            "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
            "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n",
            "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R >> endobj\n",
        ] {
            offsets.push(file.len());
            file.push_str(object);
        }
        offsets.push(file.len());
        // /Length is written once the file's size is known, in a fixed width so that no
        // offset moves.
        let stream_head = "4 0 obj << /Length ______ >> stream\n";
        let data_start = file.len() + stream_head.len();
        file.push_str(stream_head);
        file.push_str("BT ET\nendstream\nendobj\n");
        let at = file.len();
        file += &xref_section(1, &offsets, "/Size 5 /Root 1 0 R", at);
        let appended_content = "\n0 0 1 rg 0 0 100 100 re f";
        let signed_end = file.len();
        let length = signed_end + appended_content.len() - data_start;
        let file = file.replace("______", &format!("{length:06}"));
        let mut whole = file.clone() + appended_content + "\nendstream\nendobj\n";
        let fifth = whole.len();
        whole.push_str("5 0 obj 1 endobj\n");
        let fifth_xref = whole.len();
        whole += &xref_section(
            5,
            &[fifth],
            &format!("/Size 6 /Root 1 0 R /Prev {at}"),
            fifth_xref,
        );

        let signed = PdfFile::open(&whole.as_bytes()[..signed_end], 1 << 20).expect("signed");
        let last = PdfFile::open(whole.as_bytes(), 1 << 20).expect("last");
        assert!(signed.is_indexed() && last.is_indexed());
        let content = |file: &PdfFile| match file.get((4, 0)) {
            Some(Object::Stream(stream)) => stream.content.clone(),
            other => panic!("object 4: {other:?}"),
        };
        assert_eq!(content(&signed), b"BT ET");
        assert!(content(&last).ends_with(appended_content.as_bytes()));
        assert!(!signed.self_contained((4, 0)));
        assert!(signed.self_contained((3, 0)));
        let found = changes_after(&signed, &last);
        assert_eq!(found.level, ModificationLevel::Other, "{:?}", found.changes);
        assert!(found.refusal().is_some());
    }
}
