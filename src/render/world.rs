//! The Typst world: the bundled templates and fonts, plus one request's bytes at fixed virtual
//! paths. Nothing else exists in it: no package, no file system, no network.
//!
//! Typst interns file ids for the life of the process and never frees them (it panics after
//! 65,535), so request data always lives at the same few paths; only the bytes change.

use std::collections::HashMap;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::model::Form;

/// Virtual path of the input JSON, exactly as sent (the templates read it and attach it).
pub const DATA_PATH: &str = "/data.json";
/// Virtual path of what the renderer adds: number, check URL, hash.
pub const CONTEXT_PATH: &str = "/context.json";
/// Virtual path of the QR code (SVG).
pub const QR_PATH: &str = "/qr.svg";

/// The template sources, bundled into the binary.
const TEMPLATES: [(&str, &str); 10] = [
    (
        "/report.typ",
        include_str!("../../templates-typst/report.typ"),
    ),
    (
        "/common.typ",
        include_str!("../../templates-typst/common.typ"),
    ),
    (
        "/end-user-certificate.typ",
        include_str!("../../templates-typst/end-user-certificate.typ"),
    ),
    (
        "/import-certificate.typ",
        include_str!("../../templates-typst/import-certificate.typ"),
    ),
    (
        "/refusal.typ",
        include_str!("../../templates-typst/refusal.typ"),
    ),
    (
        "/stamp.typ",
        include_str!("../../templates-typst/stamp.typ"),
    ),
    (
        "/incoming.typ",
        include_str!("../../templates-typst/incoming.typ"),
    ),
    (
        "/application.typ",
        include_str!("../../templates-typst/application.typ"),
    ),
    (
        "/guarantee-obligation.typ",
        include_str!("../../templates-typst/guarantee-obligation.typ"),
    ),
    (
        "/watermark.typ",
        include_str!("../../templates-typst/watermark.typ"),
    ),
];

/// The template of the visible signature stamp.
pub const STAMP_TEMPLATE: &str = "/stamp.typ";
/// The template of the desk's verification report.
pub const REPORT_TEMPLATE: &str = "/report.typ";
/// The template of the test watermark for PDFs eucdoc did not render.
pub const WATERMARK_TEMPLATE: &str = "/watermark.typ";

/// The template that renders an incoming document of `kind`.
pub fn incoming_template_path(kind: crate::model::IncomingKind) -> &'static str {
    match kind {
        crate::model::IncomingKind::Application => "/application.typ",
        crate::model::IncomingKind::GuaranteeObligation => "/guarantee-obligation.typ",
    }
}

/// The template that renders `form`.
pub fn template_path(form: Form) -> &'static str {
    match form {
        Form::EndUserCertificate => "/end-user-certificate.typ",
        Form::ImportCertificate => "/import-certificate.typ",
        Form::Refusal => "/refusal.typ",
    }
}

fn file_id(path: &str) -> Result<FileId, String> {
    let vpath = VirtualPath::new(path).map_err(|e| format!("bad virtual path {path}: {e:?}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// What every compile shares: built once, immutable.
pub struct Bundle {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    sources: HashMap<FileId, Source>,
    data_id: FileId,
    context_id: FileId,
    qr_id: FileId,
}

impl Bundle {
    pub fn new(fonts: &[Font]) -> Result<Self, String> {
        let mut sources = HashMap::new();
        for (path, text) in TEMPLATES {
            let id = file_id(path)?;
            sources.insert(id, Source::new(id, text.to_string()));
        }
        Ok(Self {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(FontBook::from_fonts(fonts)),
            fonts: fonts.to_vec(),
            sources,
            data_id: file_id(DATA_PATH)?,
            context_id: file_id(CONTEXT_PATH)?,
            qr_id: file_id(QR_PATH)?,
        })
    }

    pub fn main_id(&self, template: &str) -> Result<FileId, String> {
        file_id(template)
    }
}

/// One compile's world: the bundle plus this request's bytes.
pub struct DocumentWorld<'a> {
    pub bundle: &'a Bundle,
    pub main: FileId,
    pub data: Bytes,
    pub context: Bytes,
    pub qr: Bytes,
    /// The rendering time (UTC): the document's date and Typst's `today`.
    pub now: time::UtcDateTime,
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.bundle.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.bundle.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.bundle
            .sources
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.bundle.data_id {
            Ok(self.data.clone())
        } else if id == self.bundle.context_id {
            Ok(self.context.clone())
        } else if id == self.bundle.qr_id {
            Ok(self.qr.clone())
        } else if let Some(source) = self.bundle.sources.get(&id) {
            Ok(Bytes::from_string(source.clone()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.bundle.fonts.get(index).cloned()
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let seconds = offset.map_or(0.0, |d| d.seconds());
        let shifted = self.now + time::Duration::seconds_f64(seconds);
        Some(Datetime::Date(shifted.date()))
    }
}

fn not_found(id: FileId) -> FileError {
    match id.root() {
        // Packages are never downloaded: say so rather than "not found".
        VirtualRoot::Package(_) => FileError::AccessDenied,
        VirtualRoot::Project => FileError::NotFound(id.vpath().get_with_slash().into()),
    }
}
