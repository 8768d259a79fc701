//! PDF mechanics of signing: an incremental update (ISO 32000-1, 7.5.6) that adds the signature
//! field, its widget and appearance, and the signature dictionary with `/ByteRange` and
//! `/Contents` reserved at fixed width; then, once the CMS exists, the same bytes with the CMS
//! written into the reserved hole. The original bytes are never touched.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, StringFormat};

use super::SignError;
use crate::pki::pdf_reader::PdfFile;

/// Width reserved for each `/ByteRange` number (10 digits: files up to 9.3 GB).
const BYTE_RANGE_DIGITS: usize = 10;

/// Where the signature shows, and what it shows.
#[derive(Debug, Clone)]
pub struct Widget {
    /// Page number, from 1.
    pub page: usize,
    /// `[llx, lly, urx, ury]` in PDF user space; all zero for an invisible signature.
    pub rect: [f64; 4],
    /// The appearance: a Form XObject's content stream and its resources, drawn in
    /// `[0 0 width height]`. `None` draws nothing.
    pub appearance: Option<std::sync::Arc<Appearance>>,
}

impl Widget {
    /// No appearance on the page: a zero-size widget on page 1.
    pub fn invisible() -> Self {
        Self {
            page: 1,
            rect: [0.0; 4],
            appearance: None,
        }
    }
}

/// A Form XObject for the widget's normal appearance, with objects it refers to.
#[derive(Debug, Clone)]
pub struct Appearance {
    /// The content stream, compressed once when it is smaller so (a kept stamp is drawn into
    /// many signatures); the Form XObject's own entries are added to a copy of its dictionary.
    pub content: Stream,
    /// The resource dictionary; its references point into `objects`.
    pub resources: Dictionary,
    /// Objects the resources refer to, by the ids used in `resources` and in each other.
    pub objects: Vec<(ObjectId, Object)>,
}

/// A graphic drawn behind the content of every page (the test watermark), centred.
#[derive(Debug, Clone)]
pub struct PageBackground {
    /// Its content, resources and objects.
    pub appearance: Appearance,
    /// Width and height in points.
    pub size: (f64, f64),
}

/// A prepared document: the whole file with the `/Contents` hole still zero.
#[derive(Debug)]
pub struct Prepared {
    /// The file.
    pub bytes: Vec<u8>,
    /// `[0, a, b, c]`: the signed ranges `0..a` and `b..b+c`.
    pub byte_range: [usize; 4],
}

impl Prepared {
    /// A prepared document read back from its bytes (a draft written to a file or the archive):
    /// the last `/ByteRange` must be `[0 a b c]` with `b + c` the file's end and the gap `a..b`
    /// an empty `/Contents` hole (`<` zeros `>`).
    pub fn from_draft(bytes: Vec<u8>) -> Result<Self, SignError> {
        let not_a_draft =
            |why: &str| SignError::Pdf(format!("not a document prepared for signing: {why}"));
        let key = bytes
            .windows(10)
            .rposition(|w| w == b"/ByteRange")
            .ok_or_else(|| not_a_draft("no /ByteRange"))?;
        let open = find(&bytes, b"[", key).ok_or_else(|| not_a_draft("no /ByteRange array"))?;
        let close = find(&bytes, b"]", open).ok_or_else(|| not_a_draft("no /ByteRange array"))?;
        let numbers: Vec<usize> = std::str::from_utf8(&bytes[open + 1..close])
            .ok()
            .map(|text| {
                text.split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let [zero, a, b, c] = numbers[..] else {
            return Err(not_a_draft("/ByteRange does not hold four numbers"));
        };
        let fits = zero == 0
            && a + 2 <= b
            && b.checked_add(c) == Some(bytes.len())
            && bytes[a] == b'<'
            && bytes[b - 1] == b'>'
            && bytes[a + 1..b - 1].iter().all(|d| *d == b'0');
        if !fits {
            return Err(not_a_draft(
                "its /ByteRange does not frame an empty /Contents up to the end (already signed?)",
            ));
        }
        Ok(Self {
            bytes,
            byte_range: [zero, a, b, c],
        })
    }

    /// The bytes the signature covers: everything but the `/Contents` string.
    pub fn signed_bytes(&self) -> [&[u8]; 2] {
        let [_, a, b, c] = self.byte_range;
        [&self.bytes[..a], &self.bytes[b..b + c]]
    }

    /// Writes the CMS into the hole (hex, zero-padded) and returns the finished file.
    pub fn embed(mut self, cms: &[u8]) -> Result<Vec<u8>, SignError> {
        let [_, a, b, _] = self.byte_range;
        // The hole is "<" + hex digits + ">".
        let capacity = (b - a - 2) / 2;
        if cms.len() > capacity {
            return Err(SignError::ContentsTooSmall {
                needed: cms.len(),
                reserved: capacity,
            });
        }
        let hex = hex::encode_upper(cms);
        self.bytes[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

fn pdf_error(e: lopdf::Error) -> SignError {
    SignError::Pdf(e.to_string())
}

fn reference(object: &Object) -> Option<ObjectId> {
    object.as_reference().ok()
}

/// What the signature dictionary is.
#[derive(Debug, Clone)]
pub enum SignatureKind {
    /// A PAdES signature (`/SubFilter /ETSI.CAdES.detached`) claiming time `m`, a PDF date string
    /// such as `D:20260302093000+05'00'`.
    Signature {
        /// The `/M` value.
        m: String,
    },
    /// A document timestamp (`/Type /DocTimeStamp`, `/SubFilter /ETSI.RFC3161`): PAdES B-LTA.
    DocumentTimestamp,
}

/// Prepares `pdf` for a signature of at most `reserve` bytes of DER, shown by `widget`.
pub fn prepare(
    pdf: &[u8],
    field_name: &str,
    kind: &SignatureKind,
    reserve: usize,
    widget: &Widget,
    background: Option<&PageBackground>,
) -> Result<Prepared, SignError> {
    let update =
        |document| prepare_from(pdf, document, field_name, kind, reserve, widget, background);
    match load_for_update(pdf)? {
        UpdateBase::Whole(document) => update(document),
        // Anything the partial reading did not foresee is decided on the whole file.
        UpdateBase::Partial(document) => {
            update(document).or_else(|_| update(Document::load_mem(pdf).map_err(pdf_error)?))
        }
    }
}

/// What an incremental update starts from ([`load_for_update`]).
pub(super) enum UpdateBase {
    /// The whole file, as lopdf loads it.
    Whole(Document),
    /// Only the objects an update reads or changes.
    Partial(Document),
}

impl UpdateBase {
    /// The document, whole or partial.
    pub(super) fn into_document(self) -> Document {
        match self {
            Self::Whole(document) | Self::Partial(document) => document,
        }
    }
}

/// Largest stream decoded while reading a file to update (lopdf's own bound for a whole load).
const UPDATE_STREAM_LIMIT: usize = lopdf::DEFAULT_MAX_DECOMPRESSED_SIZE;

/// Page tree nodes followed before the partial reading gives up and loads the whole file.
const MAX_PAGE_NODES: usize = 100_000;

/// `pdf` as its incremental update needs it. A one-page certificate has about a hundred
/// objects (fonts, structure elements, metadata); the update reads five. lopdf's whole load of
/// it took 0.8 ms, about 5 % of issuing's CPU. So, when the file's cross-reference data leads
/// straight to its objects and ends in a table, only these are parsed: the catalog; the form
/// (/AcroForm, /Fields and each field); every node of the page tree with what it names
/// indirectly under /Kids, /Parent, /Resources (and its /XObject and /ExtGState), /Annots,
/// /Contents and /MediaBox. The trailer, the highest object number and the offset the update's
/// /Prev names are those lopdf's whole load gives. Any other file is loaded whole.
pub(super) fn load_for_update(pdf: &[u8]) -> Result<UpdateBase, SignError> {
    let file = PdfFile::open(pdf, UPDATE_STREAM_LIMIT).map_err(SignError::Pdf)?;
    // The table must start where `startxref` says (an update's /Prev repeats that offset).
    let newest = file.newest_table().filter(|newest| {
        pdf.get(newest.offset..)
            .is_some_and(|at| at.starts_with(b"xref"))
    });
    let partial = newest.and_then(|newest| {
        let mut document = Document::new();
        let mut trailer = newest.trailer.clone();
        trailer.remove(b"Prev");
        trailer.remove(b"XRefStm");
        document.trailer = trailer;
        document.xref_start = newest.offset;
        document.max_id = newest.highest_number;
        document.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        let mut reading = PartialReading {
            file: &file,
            document,
            seen: HashSet::new(),
        };
        reading.read_needed()?;
        Some(reading.document)
    });
    match partial {
        Some(document) => Ok(UpdateBase::Partial(document)),
        None => match file.into_loaded() {
            Some(document) => Ok(UpdateBase::Whole(document)),
            None => Document::load_mem(pdf)
                .map(UpdateBase::Whole)
                .map_err(pdf_error),
        },
    }
}

/// The objects [`load_for_update`] copies from `file` into `document`.
struct PartialReading<'f, 'a> {
    file: &'f PdfFile<'a>,
    document: Document,
    seen: HashSet<ObjectId>,
}

impl PartialReading<'_, '_> {
    /// `None` when the page tree is too large to follow.
    fn read_needed(&mut self) -> Option<()> {
        let catalog = self.take(self.document.trailer.get(b"Root").ok()?.clone())?;
        if let Some(form) = catalog.as_dict().ok()?.get(b"AcroForm").ok().cloned()
            && let Some(Object::Dictionary(form)) = self.take(form)
            && let Some(fields) = form.get(b"Fields").ok().cloned()
            && let Some(Object::Array(fields)) = self.take(fields)
        {
            for field in fields {
                self.take(field);
            }
        }
        let mut nodes = vec![catalog.as_dict().ok()?.get(b"Pages").ok()?.clone()];
        // Each node is followed once: a tree may loop, or list a node twice.
        let mut walked = HashSet::new();
        while let Some(node) = nodes.pop() {
            if let Object::Reference(id) = node
                && !walked.insert(id)
            {
                continue;
            }
            if walked.len() > MAX_PAGE_NODES {
                return None;
            }
            let Some(Object::Dictionary(node)) = self.take(node) else {
                continue;
            };
            for key in [b"Parent".as_slice(), b"Annots", b"Contents", b"MediaBox"] {
                if let Ok(value) = node.get(key) {
                    self.take(value.clone());
                }
            }
            if let Some(Object::Dictionary(resources)) = node
                .get(b"Resources")
                .ok()
                .cloned()
                .and_then(|r| self.take(r))
            {
                for key in [b"XObject".as_slice(), b"ExtGState"] {
                    if let Ok(value) = resources.get(key) {
                        self.take(value.clone());
                    }
                }
            }
            if let Some(Object::Array(kids)) =
                node.get(b"Kids").ok().cloned().and_then(|k| self.take(k))
            {
                nodes.extend(kids);
            }
        }
        Some(())
    }

    /// `value` with its references followed, each object on the way copied into the document.
    fn take(&mut self, mut value: Object) -> Option<Object> {
        // The reader's own bound on following references.
        for _ in 0..crate::pki::pdf_reader::MAX_HOPS {
            let Object::Reference(id) = value else {
                return Some(value);
            };
            let object = self.file.get(id)?.clone();
            if self.seen.insert(id) {
                self.document.objects.insert(id, object.clone());
            }
            value = object;
        }
        None
    }
}

/// [`prepare`] on `document`, which was read from `pdf` ([`load_for_update`]).
fn prepare_from(
    pdf: &[u8],
    document: Document,
    field_name: &str,
    kind: &SignatureKind,
    reserve: usize,
    widget: &Widget,
    background: Option<&PageBackground>,
) -> Result<Prepared, SignError> {
    if document.is_encrypted() || document.trailer.get(b"Encrypt").is_ok() {
        return Err(SignError::Pdf("encrypted PDFs are not signed".into()));
    }
    let pages = document.get_pages();
    let page_id = *pages.get(&(widget.page as u32)).ok_or_else(|| {
        SignError::Pdf(format!(
            "page {} does not exist (the document has {})",
            widget.page,
            pages.len()
        ))
    })?;
    let catalog_id = document
        .trailer
        .get(b"Root")
        .ok()
        .and_then(reference)
        .ok_or_else(|| SignError::Pdf("the trailer has no /Root reference".into()))?;
    // A PDF signed before keeps its signers' content: the field takes a name of its own (a
    // duplicate name would merge with theirs), and no watermark is drawn behind its pages (that
    // would change what they signed; the stamp itself says "test").
    let (taken, already_signed) = form_fields(&document);
    let field_name = free_field_name(field_name, &taken);
    let background = background.filter(|_| !already_signed);
    let mut update = IncrementalDocument::create_from(pdf.to_vec(), document);

    // The signature dictionary, with both reserved values at their final width.
    let placeholder = i64::try_from(10u64.pow(BYTE_RANGE_DIGITS as u32) - 1)
        .map_err(|_| SignError::Pdf("byte range placeholder".into()))?;
    let mut signature = Dictionary::new();
    signature.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    match kind {
        SignatureKind::Signature { m } => {
            signature.set("Type", Object::Name(b"Sig".to_vec()));
            signature.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
            signature.set(
                "M",
                Object::String(m.as_bytes().to_vec(), StringFormat::Literal),
            );
        }
        SignatureKind::DocumentTimestamp => {
            signature.set("Type", Object::Name(b"DocTimeStamp".to_vec()));
            signature.set("SubFilter", Object::Name(b"ETSI.RFC3161".to_vec()));
        }
    }
    signature.set(
        "ByteRange",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(placeholder),
            Object::Integer(placeholder),
            Object::Integer(placeholder),
        ]),
    );
    // The hole is written as a literal string of ASCII zeros, as long as the hex string of
    // `reserve` zero bytes, and turned into that hex string by patch_byte_range: lopdf formats a
    // hex string one byte at a time, which cost about 5 % of issuing's CPU.
    signature.set(
        "Contents",
        Object::String(vec![b'0'; 2 * reserve], StringFormat::Literal),
    );
    let signature_id = update.new_document.add_object(signature);

    // The widget's normal appearance (PDF/A: /AP with /N only, fonts embedded).
    let [llx, lly, urx, ury] = widget.rect;
    let (width, height) = ((urx - llx).max(0.0), (ury - lly).max(0.0));

    let mut field = Dictionary::new();
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set(
        "T",
        Object::String(field_name.as_bytes().to_vec(), StringFormat::Literal),
    );
    field.set("V", Object::Reference(signature_id));
    // Print (4) + Locked (128): PDF/A requires the print flag.
    field.set("F", Object::Integer(132));
    field.set(
        "Rect",
        Object::Array(
            widget
                .rect
                .iter()
                .map(|v| Object::Real(*v as f32))
                .collect(),
        ),
    );
    field.set("P", Object::Reference(page_id));
    // A zero-size widget needs no appearance (ISO 19005-2, 6.3.3), and one without keeps an
    // invisible document timestamp an LTA update rather than form filling for validators.
    if width * height > 0.0 || widget.appearance.is_some() {
        let appearance_id = add_appearance(
            &mut update.new_document,
            widget.appearance.as_deref(),
            width,
            height,
        );
        let mut ap = Dictionary::new();
        ap.set("N", Object::Reference(appearance_id));
        field.set("AP", Object::Dictionary(ap));
    }
    let field_id = update.new_document.add_object(field);

    add_to_page(&mut update, page_id, field_id)?;
    add_to_acro_form(&mut update, catalog_id, field_id)?;
    if let Some(background) = background {
        add_background(&mut update, background, &pages)?;
    }

    let mut bytes = Vec::with_capacity(pdf.len() + 2 * reserve + 4096);
    update
        .save_to(&mut bytes)
        .map_err(|e| SignError::Pdf(e.to_string()))?;
    let byte_range = patch_byte_range(&mut bytes, pdf.len(), reserve)?;
    Ok(Prepared { bytes, byte_range })
}

/// The names of the form's top-level fields, and whether any signature field holds a value.
fn form_fields(document: &Document) -> (Vec<String>, bool) {
    let resolve = |object: &Object| document.dereference(object).ok().map(|(_, o)| o.clone());
    let fields = document
        .catalog()
        .ok()
        .and_then(|catalog| resolve(catalog.get(b"AcroForm").ok()?))
        .and_then(|form| resolve(form.as_dict().ok()?.get(b"Fields").ok()?))
        .and_then(|fields| fields.as_array().ok().cloned())
        .unwrap_or_default();
    let mut names = Vec::new();
    let mut signed = false;
    for field in fields.iter().filter_map(resolve) {
        let Ok(field) = field.as_dict() else {
            continue;
        };
        if let Ok(Object::String(name, _)) = field.get(b"T") {
            names.push(String::from_utf8_lossy(name).into_owned());
        }
        signed |= field.get(b"FT").ok().and_then(|t| t.as_name().ok()) == Some(b"Sig".as_slice())
            && field.get(b"V").is_ok();
    }
    (names, signed)
}

/// `requested`, or, when a field has that name already, the first of `Signature2`,
/// `Signature3`… (its trailing digits replaced) that none has.
fn free_field_name(requested: &str, taken: &[String]) -> String {
    if !taken.iter().any(|name| name == requested) {
        return requested.to_string();
    }
    let stem = requested.trim_end_matches(|c: char| c.is_ascii_digit());
    (2..)
        .map(|n| format!("{stem}{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| requested.to_string())
}

/// Adds validation data to the document security store (ETSI EN 319 142-1, 5.4.2) in a new
/// incremental update, merging with a DSS that is already there.
pub fn add_dss(pdf: &[u8], data: &super::revocation::ValidationData) -> Result<Vec<u8>, SignError> {
    let document = Document::load_mem(pdf).map_err(pdf_error)?;
    let catalog_id = document
        .trailer
        .get(b"Root")
        .ok()
        .and_then(reference)
        .ok_or_else(|| SignError::Pdf("the trailer has no /Root reference".into()))?;
    let existing = document
        .get_dictionary(catalog_id)
        .ok()
        .and_then(|catalog| catalog.get(b"DSS").ok())
        .and_then(|dss| match dss {
            Object::Reference(id) => document.get_dictionary(*id).ok().cloned(),
            Object::Dictionary(dict) => Some(dict.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let mut update = IncrementalDocument::create_from(pdf.to_vec(), document);
    let mut dss = existing;
    dss.set("Type", Object::Name(b"DSS".to_vec()));
    for (key, items) in [
        ("Certs", &data.certs),
        ("OCSPs", &data.ocsps),
        ("CRLs", &data.crls),
    ] {
        if items.is_empty() {
            continue;
        }
        let mut refs = match dss.get(key.as_bytes()) {
            Ok(Object::Array(existing)) => existing.clone(),
            _ => Vec::new(),
        };
        for der in items {
            let mut stream = Stream::new(Dictionary::new(), der.clone());
            let _ = stream.compress();
            refs.push(Object::Reference(update.new_document.add_object(stream)));
        }
        dss.set(key, Object::Array(refs));
    }
    let dss_id = update.new_document.add_object(dss);
    update
        .opt_clone_object_to_new_document(catalog_id)
        .map_err(pdf_error)?;
    let catalog = update
        .new_document
        .get_dictionary_mut(catalog_id)
        .map_err(pdf_error)?;
    catalog.set("DSS", Object::Reference(dss_id));
    // The DSS and document timestamps are ISO 32000-2 features: declare the ESIC extension
    // (ETSI EN 319 142-1, 5.4.1) unless the catalog declares extensions indirectly.
    let mut extensions = match catalog.get(b"Extensions") {
        Ok(Object::Dictionary(dict)) => Some(dict.clone()),
        Ok(_) => None,
        Err(_) => Some(Dictionary::new()),
    };
    if let Some(extensions) = extensions.as_mut() {
        let mut esic = Dictionary::new();
        esic.set("BaseVersion", Object::Name(b"1.7".to_vec()));
        esic.set("ExtensionLevel", Object::Integer(5));
        extensions.set("ESIC", Object::Dictionary(esic));
        catalog.set("Extensions", Object::Dictionary(extensions.clone()));
    }
    let mut bytes = Vec::with_capacity(pdf.len() + 16 * 1024);
    update
        .save_to(&mut bytes)
        .map_err(|e| SignError::Pdf(e.to_string()))?;
    Ok(bytes)
}

fn add_appearance(
    document: &mut Document,
    appearance: Option<&Appearance>,
    width: f64,
    height: f64,
) -> ObjectId {
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Form".to_vec()));
    dict.set(
        "BBox",
        Object::Array(vec![
            Object::Real(0.0),
            Object::Real(0.0),
            Object::Real(width as f32),
            Object::Real(height as f32),
        ]),
    );
    let form = match appearance {
        Some(appearance) => {
            // Renumber the appearance's objects into this document.
            let base = document.max_id;
            let map = |id: ObjectId| (id.0 + base, id.1);
            let mut resources = Object::Dictionary(appearance.resources.clone());
            renumber(&mut resources, &map);
            for (id, object) in &appearance.objects {
                let mut object = object.clone();
                renumber(&mut object, &map);
                document.objects.insert(map(*id), object);
            }
            document.max_id = appearance
                .objects
                .iter()
                .map(|(id, _)| map(*id).0)
                .max()
                .unwrap_or(base)
                .max(base);
            dict.set("Resources", resources);
            let mut stream = appearance.content.clone();
            for (key, value) in dict {
                stream.dict.set(key, value);
            }
            stream
        }
        None => {
            dict.set("Resources", Object::Dictionary(Dictionary::new()));
            Stream::new(dict, Vec::new())
        }
    };
    document.add_object(form)
}

/// Puts `background` behind the content of every page, centred on its media box. The signature
/// in the same update covers it.
fn add_background(
    update: &mut IncrementalDocument,
    background: &PageBackground,
    pages: &std::collections::BTreeMap<u32, ObjectId>,
) -> Result<(), SignError> {
    const NAME: &[u8] = b"EucdocTestWatermark";
    let (width, height) = background.size;
    let xobject = add_appearance(
        &mut update.new_document,
        Some(&background.appearance),
        width,
        height,
    );
    for &page_id in pages.values() {
        let [llx, lly, urx, ury] = page_media_box(update.get_prev_documents(), page_id)
            .ok_or_else(|| SignError::Pdf("a page has no usable /MediaBox".into()))?;
        let (tx, ty) = (
            llx + (urx - llx - width) / 2.0,
            lly + (ury - lly - height) / 2.0,
        );
        update
            .opt_clone_object_to_new_document(page_id)
            .map_err(pdf_error)?;
        update
            .add_xobject(page_id, NAME, xobject)
            .map_err(pdf_error)?;
        let drawing =
            format!("q 1 0 0 1 {tx:.2} {ty:.2} cm /EucdocTestWatermark Do Q\n").into_bytes();
        let drawing_id = update
            .new_document
            .add_object(Stream::new(Dictionary::new(), drawing));
        let existing = update
            .new_document
            .get_dictionary(page_id)
            .map_err(pdf_error)?
            .get(b"Contents")
            .ok()
            .cloned();
        let mut contents = vec![Object::Reference(drawing_id)];
        match existing {
            Some(Object::Reference(id)) => match update.get_prev_documents().get_object(id) {
                Ok(Object::Array(items)) => contents.extend(items.iter().cloned()),
                _ => contents.push(Object::Reference(id)),
            },
            Some(Object::Array(items)) => contents.extend(items),
            _ => {}
        }
        update
            .new_document
            .get_dictionary_mut(page_id)
            .map_err(pdf_error)?
            .set("Contents", Object::Array(contents));
    }
    Ok(())
}

/// The page's /MediaBox, inherited from the page tree when the page has none.
pub fn page_media_box(document: &Document, page_id: ObjectId) -> Option<[f64; 4]> {
    let mut node = document.get_dictionary(page_id).ok()?;
    // Depth bound: a hostile page tree may loop.
    for _ in 0..64 {
        if let Ok(object) = node.get(b"MediaBox") {
            let array = match object {
                Object::Reference(id) => document.get_object(*id).ok()?.as_array().ok()?,
                other => other.as_array().ok()?,
            };
            let numbers: Vec<f64> = array
                .iter()
                .filter_map(|o| o.as_float().ok().map(f64::from))
                .collect();
            return <[f64; 4]>::try_from(numbers).ok();
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = document.get_dictionary(parent).ok()?;
    }
    None
}

fn renumber(object: &mut Object, map: &impl Fn(ObjectId) -> ObjectId) {
    match object {
        Object::Reference(id) => *id = map(*id),
        Object::Array(items) => items.iter_mut().for_each(|o| renumber(o, map)),
        Object::Dictionary(dict) => dict.iter_mut().for_each(|(_, o)| renumber(o, map)),
        Object::Stream(stream) => stream.dict.iter_mut().for_each(|(_, o)| renumber(o, map)),
        _ => {}
    }
}

/// Adds the widget to the page's /Annots, which may be inline, indirect or absent.
fn add_to_page(
    update: &mut IncrementalDocument,
    page_id: ObjectId,
    field_id: ObjectId,
) -> Result<(), SignError> {
    update
        .opt_clone_object_to_new_document(page_id)
        .map_err(pdf_error)?;
    let annots = update
        .new_document
        .get_dictionary(page_id)
        .map_err(pdf_error)?
        .get(b"Annots")
        .ok()
        .cloned();
    match annots {
        Some(Object::Reference(array_id)) => {
            update
                .opt_clone_object_to_new_document(array_id)
                .map_err(pdf_error)?;
            update
                .new_document
                .get_object_mut(array_id)
                .and_then(Object::as_array_mut)
                .map_err(pdf_error)?
                .push(Object::Reference(field_id));
        }
        Some(Object::Array(mut items)) => {
            items.push(Object::Reference(field_id));
            update
                .new_document
                .get_dictionary_mut(page_id)
                .map_err(pdf_error)?
                .set("Annots", Object::Array(items));
        }
        _ => {
            update
                .new_document
                .get_dictionary_mut(page_id)
                .map_err(pdf_error)?
                .set("Annots", Object::Array(vec![Object::Reference(field_id)]));
        }
    }
    Ok(())
}

/// Adds the field to the catalog's /AcroForm (inline, indirect or absent) with /SigFlags 3
/// (signatures exist, append only).
fn add_to_acro_form(
    update: &mut IncrementalDocument,
    catalog_id: ObjectId,
    field_id: ObjectId,
) -> Result<(), SignError> {
    update
        .opt_clone_object_to_new_document(catalog_id)
        .map_err(pdf_error)?;
    let existing = update
        .new_document
        .get_dictionary(catalog_id)
        .map_err(pdf_error)?
        .get(b"AcroForm")
        .ok()
        .cloned();
    let extend = |form: &mut Dictionary| {
        let mut fields = match form.get(b"Fields") {
            Ok(Object::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        fields.push(Object::Reference(field_id));
        form.set("Fields", Object::Array(fields));
        form.set("SigFlags", Object::Integer(3));
    };
    match existing {
        Some(Object::Reference(form_id)) => {
            update
                .opt_clone_object_to_new_document(form_id)
                .map_err(pdf_error)?;
            let form = update
                .new_document
                .get_dictionary_mut(form_id)
                .map_err(pdf_error)?;
            if let Ok(Object::Reference(_)) = form.get(b"Fields") {
                return Err(SignError::Pdf(
                    "an indirect /Fields array is not supported yet".into(),
                ));
            }
            extend(form);
        }
        Some(Object::Dictionary(mut form)) => {
            extend(&mut form);
            update
                .new_document
                .get_dictionary_mut(catalog_id)
                .map_err(pdf_error)?
                .set("AcroForm", Object::Dictionary(form));
        }
        _ => {
            let mut form = Dictionary::new();
            extend(&mut form);
            update
                .new_document
                .get_dictionary_mut(catalog_id)
                .map_err(pdf_error)?
                .set("AcroForm", Object::Dictionary(form));
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Finds the reserved values in the appended update, makes the `/Contents` placeholder the hex
/// string of `reserve` zero bytes and writes the real `/ByteRange`, space-padded to the reserved
/// width.
fn patch_byte_range(
    bytes: &mut [u8],
    original_len: usize,
    reserve: usize,
) -> Result<[usize; 4], SignError> {
    let missing = |what: &str| SignError::Pdf(format!("{what} not found in the update"));
    let zeros = format!("({})", "0".repeat(2 * reserve));
    let hole_start =
        find(bytes, zeros.as_bytes(), original_len).ok_or_else(|| missing("/Contents"))?;
    let hole_end = hole_start + zeros.len();
    if find(bytes, zeros.as_bytes(), hole_end).is_some() {
        return Err(SignError::Pdf(
            "the /Contents placeholder is not unique".into(),
        ));
    }
    bytes[hole_start] = b'<';
    bytes[hole_end - 1] = b'>';
    let key = find(bytes, b"/ByteRange", original_len).ok_or_else(|| missing("/ByteRange"))?;
    let open = find(bytes, b"[", key).ok_or_else(|| missing("/ByteRange ["))?;
    let close = find(bytes, b"]", open).ok_or_else(|| missing("/ByteRange ]"))?;
    let byte_range = [0, hole_start, hole_end, bytes.len() - hole_end];
    let text = format!("0 {} {} {}", byte_range[1], byte_range[2], byte_range[3]);
    let width = close - open - 1;
    if text.len() > width {
        return Err(SignError::Pdf(
            "the file is too large for the reserved /ByteRange".into(),
        ));
    }
    let padded = format!("{text:<width$}");
    bytes[open + 1..close].copy_from_slice(padded.as_bytes());
    Ok(byte_range)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every PDF under `dir`, with its path.
    fn pdfs_under(dir: &std::path::Path, found: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                pdfs_under(&path, found);
            } else if path.extension().is_some_and(|e| e == "pdf") {
                found.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }

    /// eucdoc's own documents: each example, a 60-line certificate of several pages, one with
    /// a signature already (the update follows another), and a page tree held indirectly.
    fn own_documents() -> Vec<(String, Vec<u8>)> {
        let renderer = crate::render::Renderer::new(Default::default()).unwrap();
        let now = time::macros::utc_datetime!(2026-03-02 09:30:00);
        let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/");
        let mut documents = Vec::new();
        for name in [
            "end-user-certificate.json",
            "import-certificate.json",
            "refusal.json",
        ] {
            let mut json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(format!("{examples}{name}")).unwrap())
                    .unwrap();
            if name == "end-user-certificate.json" {
                let line = json["goods"][0].clone();
                json["goods"] = vec![line; 60].into();
            }
            let input = crate::model::parse(&serde_json::to_vec(&json).unwrap()).unwrap();
            let pdf = renderer
                .render(&input, "KZ-EUC-2026-000777", now)
                .unwrap()
                .pdf;
            documents.push((name.to_string(), pdf));
        }
        let first = prepare(
            &documents[0].1,
            "Signature1",
            &signature(),
            64,
            &widget(),
            None,
        )
        .unwrap()
        .embed(&[0x30, 0x00])
        .unwrap();
        documents.push(("signed once".into(), first));
        documents.push(("indirect page tree".into(), indirect_page_tree()));
        documents
    }

    /// Two pages under an inner node, everything the update touches held indirectly: the media
    /// box (inherited from the root), the resources (page 2 inherits them), their /XObject and
    /// /ExtGState, page 1's /Contents array and /Annots.
    fn indirect_page_tree() -> Vec<u8> {
        let mut document = Document::with_version("1.7");
        document.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        let xobjects = document.add_object(Dictionary::new());
        let states = document.add_object(Dictionary::new());
        let mut resources = Dictionary::new();
        resources.set("XObject", Object::Reference(xobjects));
        resources.set("ExtGState", Object::Reference(states));
        let resources = document.add_object(resources);
        let content = document.add_object(Stream::new(Dictionary::new(), b"q Q".to_vec()));
        let contents = document.add_object(Object::Array(vec![Object::Reference(content)]));
        let annots = document.add_object(Object::Array(Vec::new()));
        let media_box = document.add_object(Object::Array(
            [0, 0, 595, 842].map(Object::Integer).to_vec(),
        ));
        let (root_id, inner_id) = (document.new_object_id(), document.new_object_id());
        let page = |own: Vec<(&str, Object)>| {
            let mut page = Dictionary::new();
            page.set("Type", Object::Name(b"Page".to_vec()));
            page.set("Parent", Object::Reference(inner_id));
            for (key, value) in own {
                page.set(key, value);
            }
            page
        };
        let first = document.add_object(page(vec![
            ("Contents", Object::Reference(contents)),
            ("Annots", Object::Reference(annots)),
            ("Resources", Object::Reference(resources)),
        ]));
        let second = document.add_object(page(Vec::new()));
        let mut inner = Dictionary::new();
        inner.set("Type", Object::Name(b"Pages".to_vec()));
        inner.set("Parent", Object::Reference(root_id));
        inner.set("Count", Object::Integer(2));
        inner.set("Resources", Object::Reference(resources));
        inner.set(
            "Kids",
            Object::Array(vec![Object::Reference(first), Object::Reference(second)]),
        );
        document.objects.insert(inner_id, Object::Dictionary(inner));
        let mut root = Dictionary::new();
        root.set("Type", Object::Name(b"Pages".to_vec()));
        root.set("Count", Object::Integer(2));
        root.set("MediaBox", Object::Reference(media_box));
        root.set("Kids", Object::Array(vec![Object::Reference(inner_id)]));
        document.objects.insert(root_id, Object::Dictionary(root));
        let mut catalog = Dictionary::new();
        catalog.set("Type", Object::Name(b"Catalog".to_vec()));
        catalog.set("Pages", Object::Reference(root_id));
        let catalog = document.add_object(catalog);
        document.trailer.set("Root", Object::Reference(catalog));
        let mut bytes = Vec::new();
        document.save_to(&mut bytes).unwrap();
        bytes
    }

    /// Where two results first differ, as text.
    fn first_difference(a: &Result<Vec<u8>, String>, b: &Result<Vec<u8>, String>) -> String {
        match (a, b) {
            (Ok(a), Ok(b)) => {
                let at = a.iter().zip(b).take_while(|(x, y)| x == y).count();
                let around = |bytes: &[u8]| {
                    String::from_utf8_lossy(
                        &bytes[at.saturating_sub(40)..(at + 40).min(bytes.len())],
                    )
                    .into_owned()
                };
                format!("byte {at}: {:?} against {:?}", around(a), around(b))
            }
            (a, b) => format!("{:?} against {:?}", a.as_ref().err(), b.as_ref().err()),
        }
    }

    fn signature() -> SignatureKind {
        SignatureKind::Signature {
            m: "D:20260302093000+05'00'".into(),
        }
    }

    fn widget() -> Widget {
        Widget {
            page: 1,
            rect: [300.0, 100.0, 520.0, 180.0],
            appearance: None,
        }
    }

    /// The partial reading must change nothing: on pyHanko's corpus of odd and hostile PDFs and
    /// on eucdoc's own documents, an update from it is byte for byte the update from lopdf's
    /// whole load (or fails the same way), and both see the same pages and media boxes.
    #[test]
    fn a_partial_reading_updates_as_the_whole_file_does() {
        let mut files = own_documents();
        let own = files.len();
        let corpus =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/pyhanko/pdf");
        pdfs_under(&corpus, &mut files);
        assert!(files.len() > own + 100, "corpus not found at {corpus:?}");
        let background = PageBackground {
            appearance: Appearance {
                content: Stream::new(Dictionary::new(), b"0 0 1 rg 0 0 10 10 re f".to_vec()),
                resources: Dictionary::new(),
                objects: Vec::new(),
            },
            size: (10.0, 10.0),
        };
        let mut partial_files = 0;
        let mut mismatches = Vec::new();
        for (index, (name, pdf)) in files.iter().enumerate() {
            let whole = Document::load_mem(pdf);
            let partial = match (load_for_update(pdf), &whole) {
                (Ok(UpdateBase::Partial(partial)), Ok(_)) => partial,
                (Ok(UpdateBase::Whole(_)), Ok(_)) | (Err(_), Err(_)) => {
                    assert!(index >= own, "{name}: eucdoc's own file not read partially");
                    continue;
                }
                (partial, whole) => panic!(
                    "{name}: whole load {}, partial reading {}",
                    whole.is_ok(),
                    partial.is_ok()
                ),
            };
            let mut whole = whole.unwrap();
            partial_files += 1;
            // Where lopdf could not read the table and rebuilt it by scanning, its update names
            // no /Prev. The partial reading read the table and keeps the file's own chain: the
            // same update with /Prev, as lopdf writes it when it reads the table.
            if whole.xref_start == 0 {
                whole.xref_start = partial.xref_start;
            }
            assert_eq!(partial.get_pages(), whole.get_pages(), "{name}");
            for page_id in whole.get_pages().values() {
                assert_eq!(
                    page_media_box(&partial, *page_id),
                    page_media_box(&whole, *page_id),
                    "{name}"
                );
            }
            for background in [None, Some(&background)] {
                let update = |document: &Document| {
                    prepare_from(
                        pdf,
                        document.clone(),
                        "Signature1",
                        &signature(),
                        64,
                        &widget(),
                        background,
                    )
                    .map(|prepared| prepared.bytes)
                    .map_err(|e| e.to_string())
                };
                let (from_partial, from_whole) = (update(&partial), update(&whole));
                if from_partial != from_whole {
                    mismatches.push(format!(
                        "{name} (lopdf xref_start {}): {}",
                        whole.xref_start,
                        first_difference(&from_partial, &from_whole)
                    ));
                }
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
        // Most of the corpus goes through the partial reading, not only eucdoc's files.
        assert!(partial_files > 60, "{partial_files} files read partially");
    }

    #[test]
    fn a_taken_field_name_gets_the_next_number() {
        let taken = ["Signature1".to_string(), "Signature2".to_string()];
        assert_eq!(free_field_name("Signature1", &taken), "Signature3");
        assert_eq!(free_field_name("Approval", &taken), "Approval");
        assert_eq!(
            free_field_name("DocumentTimestamp1", &["DocumentTimestamp1".into()]),
            "DocumentTimestamp2"
        );
    }
}
