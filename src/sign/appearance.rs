//! The visible stamp: rendered by Typst as a one-page PDF of the reserved size, whose page is
//! imported as the widget's Form XObject, fonts embedded (as PDF/A requires of appearances).

use std::collections::{BTreeMap, VecDeque};

use lopdf::{Document, Object, ObjectId};

use super::SignError;
use super::pdf::Appearance;

fn stamp_error(e: lopdf::Error) -> SignError {
    SignError::Pdf(format!("stamp: {e}"))
}

/// The first page of `stamp_pdf` as an appearance: its content, its resources and every object
/// they reach.
pub fn import_first_page(stamp_pdf: &[u8]) -> Result<Appearance, SignError> {
    let document = Document::load_mem(stamp_pdf).map_err(stamp_error)?;
    let page_id = *document
        .get_pages()
        .get(&1)
        .ok_or_else(|| SignError::Pdf("stamp: no page".into()))?;
    let content = document.get_page_content(page_id);
    if content.is_empty() {
        return Err(SignError::Pdf("stamp: the page has no content".into()));
    }
    let page = document.get_dictionary(page_id).map_err(stamp_error)?;
    let resources = match page.get(b"Resources").map_err(stamp_error)? {
        Object::Reference(id) => document.get_dictionary(*id).map_err(stamp_error)?.clone(),
        Object::Dictionary(dict) => dict.clone(),
        _ => {
            return Err(SignError::Pdf(
                "stamp: page resources are not a dictionary".into(),
            ));
        }
    };
    // Everything the resources reach, by reference.
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let mut queue: VecDeque<ObjectId> = VecDeque::new();
    collect_references(&Object::Dictionary(resources.clone()), &mut queue);
    while let Some(id) = queue.pop_front() {
        if objects.contains_key(&id) {
            continue;
        }
        let object = document.get_object(id).map_err(stamp_error)?.clone();
        collect_references(&object, &mut queue);
        objects.insert(id, object);
    }
    Ok(Appearance {
        content,
        resources,
        objects: objects.into_iter().collect(),
    })
}

fn collect_references(object: &Object, queue: &mut VecDeque<ObjectId>) {
    match object {
        Object::Reference(id) => queue.push_back(*id),
        Object::Array(items) => items.iter().for_each(|o| collect_references(o, queue)),
        Object::Dictionary(dict) => dict.iter().for_each(|(_, o)| collect_references(o, queue)),
        Object::Stream(stream) => stream
            .dict
            .iter()
            .for_each(|(_, o)| collect_references(o, queue)),
        _ => {}
    }
}
