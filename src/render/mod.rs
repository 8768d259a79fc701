//! Rendering: validated input → PDF/A-3b with Typst, in process.
//!
//! One [`Renderer`] is built at start-up and holds everything immutable (fonts, font book,
//! templates, the Typst library). Each [`Renderer::render`] builds a cheap per-request world from
//! it plus the request's bytes at fixed virtual paths, compiles, exports, and evicts Typst's
//! memoisation caches so that memory stays flat over any number of documents.

mod qr;
mod world;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use typst::diag::SourceDiagnostic;
use typst::foundations::{Bytes, Datetime, Dict, Smart, Value};
use typst::introspection::MetadataElem;
use typst::layout::Abs;
use typst::utils::PicoStr;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

pub use qr::check_url;
pub use world::{CONTEXT_PATH, DATA_PATH, QR_PATH, template_path};

use crate::fonts;
use crate::model::{self, Input, ValidationErrors};
use world::{Bundle, DocumentWorld};

/// Base URL of the public check page when none is configured (the service's default address).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// Label of the signature-place marker in the templates.
pub const SIGNATURE_PLACE_LABEL: &str = "eucdoc-signature";

/// How many compiles an unused cache entry survives. Entries every document uses (template
/// evaluation, shaped labels, the compressed ICC profile) are refreshed on each hit and stay;
/// one document's own entries age out, so memory stays flat (tests/memory.rs). 8, not 16: on
/// distinct certificates the service held about 10–15 MB less for 2–4 % more CPU, as their
/// own entries are seldom reused (README, "Speed").
const CACHE_MAX_AGE: usize = 8;

/// Compiles between two evictions of Typst's caches.
const EVICT_EVERY: usize = 4;

/// Compiles so far, in this process (for [`EVICT_EVERY`]).
static COMPILES: AtomicUsize = AtomicUsize::new(0);

/// Rendering errors. Input problems are [`ValidationErrors`] from [`model::parse`]; what is left
/// here is a bad registry number or a defect of the bundle, never something to retry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The registry number cannot be printed or put into the check URL.
    #[error("invalid number: {0}")]
    InvalidNumber(ValidationErrors),
    /// An incoming document's data is invalid.
    #[error("invalid input: {0}")]
    InvalidInput(ValidationErrors),
    /// The bundled templates or fonts could not be loaded.
    #[error("renderer set-up failed: {0}")]
    Setup(String),
    /// The QR code could not be encoded (the URL is too long for a QR symbol).
    #[error("cannot encode the QR code: {0}")]
    Qr(String),
    /// A template failed to compile: a defect of the bundle, with Typst's diagnostics.
    #[error("template {template} failed: {message}")]
    Compile {
        /// The template's virtual path.
        template: &'static str,
        /// Typst's diagnostics, one per line.
        message: String,
    },
    /// The template compiled but has no unique signature place.
    #[error("template {0} has no unique signature place <{SIGNATURE_PLACE_LABEL}>")]
    NoSignaturePlace(&'static str),
    /// PDF export failed (for example a PDF/A rule).
    #[error("PDF export failed: {0}")]
    Export(String),
}

/// Renderer configuration.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    /// Base URL of the public check page that the QR code points to.
    pub base_url: String,
}

impl Default for RenderConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
        }
    }
}

/// Where the visible signature stamp goes, as the template reserved it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignaturePlace {
    /// Page number, from 1.
    pub page: usize,
    /// Left edge, in points from the page's left edge.
    pub x: f64,
    /// Top edge, in points from the page's top edge.
    pub y: f64,
    /// Width in points.
    pub width: f64,
    /// Height in points.
    pub height: f64,
    /// Height of that page in points (to convert to PDF's bottom-up coordinates).
    pub page_height: f64,
}

impl SignaturePlace {
    /// The rectangle in PDF user space: `[llx, lly, urx, ury]`, origin bottom left.
    pub fn pdf_rect(&self) -> [f64; 4] {
        let bottom = self.page_height - self.y - self.height;
        [self.x, bottom, self.x + self.width, bottom + self.height]
    }
}

/// A rendered document.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The PDF/A-3b bytes.
    pub pdf: Vec<u8>,
    /// The registry number printed on it.
    pub number: String,
    /// The URL the QR code encodes.
    pub check_url: String,
    /// Number of pages.
    pub pages: usize,
    /// Where the signature stamp goes.
    pub signature_place: SignaturePlace,
}

/// Renders documents; cheap to clone and share between threads.
#[derive(Clone)]
pub struct Renderer {
    bundle: Arc<Bundle>,
    config: Arc<RenderConfig>,
}

impl Renderer {
    /// Loads the bundled fonts and templates.
    pub fn new(config: RenderConfig) -> Result<Self, RenderError> {
        let bundle = Bundle::new(fonts::bundled()).map_err(RenderError::Setup)?;
        Ok(Self {
            bundle: Arc::new(bundle),
            config: Arc::new(config),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &RenderConfig {
        &self.config
    }

    /// Renders `input` as document `number` at time `now` (UTC; the PDF's creation date). The
    /// same input, number and time give the same bytes.
    pub fn render(
        &self,
        input: &Input,
        number: &str,
        now: time::UtcDateTime,
    ) -> Result<Rendered, RenderError> {
        self.render_marked(input, number, now, false)
    }

    /// As [`Renderer::render`]; a `test_document` carries a watermark on every page saying it is
    /// a test document (for documents signed with a development key).
    pub fn render_marked(
        &self,
        input: &Input,
        number: &str,
        now: time::UtcDateTime,
        test_document: bool,
    ) -> Result<Rendered, RenderError> {
        model::validate_number(number).map_err(RenderError::InvalidNumber)?;
        let sha256 = input.canonical_sha256_hex();
        let check_url = qr::check_url(&self.config.base_url, number, &sha256);
        let qr_svg = qr::svg(&check_url).map_err(|e| RenderError::Qr(format!("{e:?}")))?;
        let context = json!({
            "number": number,
            "check_url": check_url,
            "sha256": sha256,
            "test_document": test_document,
        });
        let form = input.document().form();
        let template = template_path(form);
        let mut document = self.compile(
            template,
            input.json().to_vec(),
            context.to_string().into_bytes(),
            qr_svg.into_bytes(),
            now,
        )?;
        // The template's title is the form's; the number joins it here rather than in a set
        // rule (see document-frame in common.typ).
        let info = document.info_mut();
        info.title = info
            .title
            .as_ref()
            .map(|title| format!("{title} № {number}").into());
        info.keywords = vec![number.into()];
        let signature_place =
            signature_place(&document).ok_or(RenderError::NoSignaturePlace(template))?;
        let options = PdfOptions {
            ident: Smart::Custom(format!("eucdoc:{number}:{sha256}")),
            timestamp: Some(Timestamp::new_utc(Datetime::Datetime(
                time::PrimitiveDateTime::new(now.date(), now.time()),
            ))),
            standards: PdfStandards::new(&[PdfStandard::A_3b])
                .map_err(|e| RenderError::Export(format!("{e:?}")))?,
            ..PdfOptions::default()
        };
        let pdf =
            typst_pdf::pdf(&document, &options).map_err(|d| RenderError::Export(describe(&d)))?;
        Ok(Rendered {
            pdf,
            number: number.to_string(),
            check_url,
            pages: document.pages().len(),
            signature_place,
        })
    }
}

impl Renderer {
    fn compile(
        &self,
        template: &'static str,
        data: Vec<u8>,
        context: Vec<u8>,
        qr: Vec<u8>,
        now: time::UtcDateTime,
    ) -> Result<PagedDocument, RenderError> {
        let world = DocumentWorld {
            bundle: &self.bundle,
            main: self.bundle.main_id(template).map_err(RenderError::Setup)?,
            data: Bytes::new(data),
            context: Bytes::new(context),
            qr: Bytes::new(qr),
            now,
        };
        let _evict = EvictOnDrop;
        typst::compile(&world)
            .output
            .map_err(|diagnostics| RenderError::Compile {
                template,
                message: describe(&diagnostics),
            })
    }

    /// Renders an incoming document (an application or a guarantee obligation, validated by
    /// [`model::parse_incoming`]) as the PDF/A-3b applicants sign, with `json` attached as
    /// data.json exactly as given.
    pub fn render_incoming(
        &self,
        json: &[u8],
        now: time::UtcDateTime,
    ) -> Result<Vec<u8>, RenderError> {
        let incoming = model::parse_incoming(json).map_err(RenderError::InvalidInput)?;
        let template = world::incoming_template_path(incoming.kind());
        let document = self.compile(template, json.to_vec(), b"{}".to_vec(), Vec::new(), now)?;
        export_pdf_a(&document, now)
    }

    /// Renders the desk's verification report (`data`: texts, files and cards, see
    /// templates-typst/report.typ) as a tagged PDF/A-3b with `qr_text` in its QR code.
    pub fn render_report(
        &self,
        data: &serde_json::Value,
        qr_text: &str,
        now: time::UtcDateTime,
    ) -> Result<Vec<u8>, RenderError> {
        let qr_svg = qr::svg(qr_text).map_err(|e| RenderError::Qr(format!("{e:?}")))?;
        let data = serde_json::to_vec(data).map_err(|e| RenderError::Setup(e.to_string()))?;
        let document = self.compile(
            world::REPORT_TEMPLATE,
            data,
            b"{}".to_vec(),
            qr_svg.into_bytes(),
            now,
        )?;
        export_pdf_a(&document, now)
    }

    /// Renders the test watermark as a one-page PDF of `width` × `height` points.
    pub fn render_watermark(
        &self,
        width: f64,
        height: f64,
        now: time::UtcDateTime,
    ) -> Result<Vec<u8>, RenderError> {
        let data = json!({ "width": width, "height": height })
            .to_string()
            .into_bytes();
        self.export_plain(world::WATERMARK_TEMPLATE, data, now)
    }

    /// Compiles a helper template (stamp, watermark) to a PDF/A-3b page whose objects the signer
    /// imports; untagged, as a page fragment carries no structure.
    fn export_plain(
        &self,
        template: &'static str,
        data: Vec<u8>,
        now: time::UtcDateTime,
    ) -> Result<Vec<u8>, RenderError> {
        let document = self.compile(template, data, b"{}".to_vec(), Vec::new(), now)?;
        let options = PdfOptions {
            timestamp: Some(Timestamp::new_utc(Datetime::Datetime(
                time::PrimitiveDateTime::new(now.date(), now.time()),
            ))),
            standards: PdfStandards::new(&[PdfStandard::A_3b])
                .map_err(|e| RenderError::Export(format!("{e:?}")))?,
            tagged: false,
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|d| RenderError::Export(describe(&d)))
    }

    /// Renders the visible signature stamp as a one-page PDF of exactly `stamp.width` ×
    /// `stamp.height` points (the signer imports its page as the widget's appearance). Its bytes
    /// depend only on `stamp` and `now` in whole seconds (the PDF's dates have whole seconds).
    pub fn render_stamp(
        &self,
        stamp: &Stamp,
        now: time::UtcDateTime,
    ) -> Result<Vec<u8>, RenderError> {
        let data = serde_json::to_vec(stamp).map_err(|e| RenderError::Setup(e.to_string()))?;
        self.export_plain(world::STAMP_TEMPLATE, data, now)
    }
}

/// What the visible signature stamp says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stamp {
    /// Width in points.
    pub width: f64,
    /// Height in points.
    pub height: f64,
    /// Signer's full name (from the certificate).
    pub full_name: String,
    /// Signer's position (from the document data, when known).
    pub position: Option<String>,
    /// IIN from the certificate.
    pub iin: Option<String>,
    /// BIN from the certificate.
    pub bin: Option<String>,
    /// Certificate serial number, hex.
    pub serial: String,
    /// Signing time as printed, Astana time.
    pub time: String,
    /// Whether the key comes from a development PKI.
    pub test: bool,
}

/// Evicts Typst's memoisation caches when a compile ends (every [`EVICT_EVERY`]th compile),
/// whichever way it ends. Uses typst's re-export of comemo: a separately declared comemo could
/// be another instance.
struct EvictOnDrop;

impl Drop for EvictOnDrop {
    fn drop(&mut self) {
        // Eviction walks every cache: done once every EVICT_EVERY compiles, with the age
        // scaled to match, it keeps the same entries for a fraction of the work.
        if COMPILES.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
            typst::comemo::evict(CACHE_MAX_AGE / EVICT_EVERY);
        }
    }
}

fn describe(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let mut line = d.message.to_string();
            for hint in &d.hints {
                line.push_str(&format!(" (hint: {})", hint.v));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Finds the unique `<eucdoc-signature>` marker: its page, position and reserved size.
fn signature_place(document: &PagedDocument) -> Option<SignaturePlace> {
    let introspector = document.introspector();
    let label = typst::foundations::Label::new(PicoStr::intern(SIGNATURE_PLACE_LABEL))?;
    let content = introspector.elements().query_label(label).ok()?;
    let position = introspector.position(content.location()?)?;
    let metadata = content.to_packed::<MetadataElem>()?;
    let Value::Dict(size) = &metadata.value else {
        return None;
    };
    let page = position.page.get();
    let page_height = document.pages().get(page - 1)?.frame.height().to_pt();
    Some(SignaturePlace {
        page,
        x: position.point.x.to_pt(),
        y: position.point.y.to_pt(),
        width: length_pt(size, "width")?,
        height: length_pt(size, "height")?,
        page_height,
    })
}

fn length_pt(dict: &Dict, key: &str) -> Option<f64> {
    match dict.get(key).ok()? {
        Value::Length(length) if length.em == typst::layout::Em::zero() => Some(length.abs.to_pt()),
        _ => None,
    }
    .filter(|pt| *pt > Abs::zero().to_pt())
}

/// A tagged PDF/A-3b of `document` created at `now`.
fn export_pdf_a(document: &PagedDocument, now: time::UtcDateTime) -> Result<Vec<u8>, RenderError> {
    let options = PdfOptions {
        timestamp: Some(Timestamp::new_utc(Datetime::Datetime(
            time::PrimitiveDateTime::new(now.date(), now.time()),
        ))),
        standards: PdfStandards::new(&[PdfStandard::A_3b])
            .map_err(|e| RenderError::Export(format!("{e:?}")))?,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(document, &options).map_err(|d| RenderError::Export(describe(&d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// common.typ must read no per-document file at its top level, or Typst evaluates it again
    /// for every document (see its header). Compiled on its own with files that are not JSON,
    /// any such read fails the compile.
    #[test]
    fn common_typ_reads_no_document_file_when_evaluated() {
        let renderer = Renderer::new(RenderConfig::default()).expect("renderer");
        let not_json = b"not json".to_vec();
        let compiled = renderer.compile(
            "/common.typ",
            not_json.clone(),
            not_json,
            b"not svg".to_vec(),
            time::UtcDateTime::UNIX_EPOCH,
        );
        assert!(compiled.is_ok(), "{:?}", compiled.err());
    }
}
