//! The visible stamp: rendered by Typst as a one-page PDF of the reserved size, whose page is
//! imported as the widget's Form XObject, fonts embedded (as PDF/A requires of appearances).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use lopdf::{Document, Object, ObjectId};

use super::SignError;
use super::pdf::Appearance;
use crate::render::{Renderer, Stamp};

fn stamp_error(e: lopdf::Error) -> SignError {
    SignError::Pdf(format!("stamp: {e}"))
}

/// How many stamps' appearances are kept. Under load many documents are signed in the same
/// second, so they print the same stamp; a few entries cover the signers of one second.
const RECENT_STAMPS: usize = 8;

/// The last [`RECENT_STAMPS`] stamps and their appearances, newest last.
static RECENT: Mutex<VecDeque<(Stamp, Arc<Appearance>)>> = Mutex::new(VecDeque::new());

/// The appearance of `stamp` signed at `time`: its page rendered by `renderer` and imported.
/// A stamp equal to one of the last few is neither rendered nor imported again. The appearance
/// is the page's content and resources only, which depend on what the stamp says (its printed
/// time included), not on the stamp PDF's own dates. Shared, not copied: its fonts are tens of
/// kilobytes.
pub fn stamp_appearance(
    renderer: &Renderer,
    stamp: &Stamp,
    time: time::UtcDateTime,
) -> Result<Arc<Appearance>, SignError> {
    // A poisoned lock only means a thread panicked while updating the list: render anew.
    if let Ok(recent) = RECENT.lock()
        && let Some((_, appearance)) = recent.iter().rev().find(|(kept, _)| kept == stamp)
    {
        return Ok(Arc::clone(appearance));
    }
    let pdf = renderer
        .render_stamp(stamp, time)
        .map_err(|e| SignError::Pdf(format!("stamp: {e}")))?;
    let appearance = Arc::new(import_first_page(&pdf)?);
    if let Ok(mut recent) = RECENT.lock() {
        if recent.len() == RECENT_STAMPS {
            recent.pop_front();
        }
        recent.push_back((stamp.clone(), Arc::clone(&appearance)));
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
    let mut content = lopdf::Stream::new(lopdf::Dictionary::new(), content);
    // Compression is an optimisation; an uncompressed appearance is still valid.
    let _ = content.compress();
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
    use crate::render::RenderConfig;

    fn stamp(time: &str) -> Stamp {
        Stamp {
            width: 220.0,
            height: 70.0,
            full_name: "ТЕСТОВ ТЕСТ".into(),
            position: None,
            iin: Some("123456789011".into()),
            bin: None,
            serial: "01AB".into(),
            time: time.into(),
            test: true,
        }
    }

    #[test]
    fn a_kept_appearance_is_the_stamp_rendered_and_imported_anew() {
        let now = time::macros::utc_datetime!(2026-03-02 09:30:00);
        let shared = Renderer::new(RenderConfig::default()).unwrap();
        let kept =
            |stamp: &Stamp, at| format!("{:?}", stamp_appearance(&shared, stamp, at).unwrap());
        let fresh = |stamp: &Stamp, at| {
            let renderer = Renderer::new(RenderConfig::default()).unwrap();
            format!(
                "{:?}",
                import_first_page(&renderer.render_stamp(stamp, at).unwrap()).unwrap()
            )
        };
        let first = stamp("02.03.2026 14:30:00");
        assert_eq!(kept(&first, now), fresh(&first, now));
        assert_eq!(kept(&first, now), fresh(&first, now), "kept");
        // Rendered at another second, the stamp PDF's dates differ but not its page.
        let next_second = now + time::Duration::seconds(1);
        assert_eq!(kept(&first, next_second), fresh(&first, next_second));
        // Another stamp is rendered anew: never an older stamp's appearance.
        let other = stamp("02.03.2026 14:30:01");
        assert_eq!(kept(&other, now), fresh(&other, now));
        assert_ne!(
            kept(&other, now),
            fresh(&first, now),
            "another stamp's appearance"
        );
        let other_signer = Stamp {
            serial: "01AC".into(),
            ..stamp("02.03.2026 14:30:00")
        };
        assert_eq!(kept(&other_signer, now), fresh(&other_signer, now));
        assert_ne!(kept(&other_signer, now), fresh(&first, now));
    }
}
