//! The visible stamp: rendered by Typst as a one-page PDF of the reserved size, whose page is
//! imported as the widget's Form XObject, fonts embedded (as PDF/A requires of appearances).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use lopdf::{Document, Object, ObjectId};

use super::SignError;
use super::pdf::Appearance;

fn stamp_error(e: lopdf::Error) -> SignError {
    SignError::Pdf(format!("stamp: {e}"))
}

/// The last stamp imported by [`import_stamp`], with its appearance.
static LAST_STAMP: Mutex<Option<(Arc<[u8]>, Appearance)>> = Mutex::new(None);

/// [`import_first_page`] of a stamp. Documents signed by one signer in the same second share
/// the stamp's bytes (see `Renderer::render_stamp`), and then its import: a clone of the last
/// appearance costs a fraction of parsing the stamp again.
pub fn import_stamp(stamp_pdf: &Arc<[u8]>) -> Result<Appearance, SignError> {
    // A poisoned lock only means a thread panicked while swapping the entry: import anew.
    if let Ok(last) = LAST_STAMP.lock()
        && let Some((pdf, appearance)) = last.as_ref()
        && (Arc::ptr_eq(pdf, stamp_pdf) || pdf[..] == stamp_pdf[..])
    {
        return Ok(appearance.clone());
    }
    let appearance = import_first_page(stamp_pdf)?;
    if let Ok(mut last) = LAST_STAMP.lock() {
        *last = Some((stamp_pdf.clone(), appearance.clone()));
    }
    Ok(appearance)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{RenderConfig, Renderer, Stamp};

    fn stamp(renderer: &Renderer, time: &str) -> Arc<[u8]> {
        let stamp = Stamp {
            width: 220.0,
            height: 70.0,
            full_name: "ТЕСТОВ ТЕСТ".into(),
            position: None,
            iin: Some("123456789011".into()),
            bin: None,
            serial: "01AB".into(),
            time: time.into(),
            test: true,
        };
        let now = time::macros::utc_datetime!(2026-03-02 09:30:00);
        renderer.render_stamp(&stamp, now).unwrap()
    }

    #[test]
    fn a_kept_import_is_the_import_of_the_same_stamp() {
        let renderer = Renderer::new(RenderConfig::default()).unwrap();
        let first = stamp(&renderer, "02.03.2026 14:30:00");
        let second = stamp(&renderer, "02.03.2026 14:30:01");
        let imported = |pdf: &Arc<[u8]>| format!("{:?}", import_stamp(pdf).unwrap());
        let fresh = |pdf: &Arc<[u8]>| format!("{:?}", import_first_page(pdf).unwrap());
        assert_eq!(imported(&first), fresh(&first));
        assert_eq!(imported(&first), fresh(&first), "kept");
        // Equal bytes in another allocation are the same stamp.
        assert_eq!(imported(&Arc::from(first.to_vec())), fresh(&first));
        assert_eq!(imported(&second), fresh(&second));
        assert_ne!(imported(&second), fresh(&first), "another stamp's import");
    }
}
