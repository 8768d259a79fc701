//! eucdoc issues and checks Kazakhstan's export-control documents: the End-User Certificate
//! (Form 1), the International Import Certificate (Form 2) and the motivated refusal.
//!
//! The flow is one straight line and the modules follow it:
//! [`model`] (typed, validated input) → [`render`] (Typst, PDF/A-3b) → [`sign`] (PAdES) → [`registry`] (numbers, archive) → [`service`] → [`http`] / the CLI;
//! incoming documents: [`verify`].
#![deny(unsafe_code)]
//!
//! The crate root re-exports what a caller of the library needs for the two flows; everything
//! else stays in its module.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let report = eucdoc::verify(&std::fs::read("signed.pdf")?, None, &eucdoc::VerifyOptions::default())?;
//! println!("{}", report.to_text());
//! # Ok(())
//! # }
//! ```

pub mod applications;
pub mod batch;
pub mod check;
pub mod config;
pub mod desk;
pub mod devpki;
pub mod fonts;
pub mod gost;
pub mod http;
pub mod model;
pub mod oai;
pub mod pki;
pub mod registry;
pub mod render;
pub mod service;
pub mod sign;
pub mod texts;
pub mod verify;
pub mod workers;

// Issuing: input → PDF → signature; the service ties them to the registry.
pub use config::Config;
pub use model::{Input, ValidationErrors, parse};
pub use render::{Rendered, Renderer};
pub use service::{Service, ServiceError};
pub use sign::{SignError, SignRequest, Signer, open_signer, sign_pdf};
// Checking: any signed PDF or CMS → a report.
pub use verify::{
    Indication, Report, SignatureReport, SubIndication, VerifyError, VerifyOptions, verify,
    verify_pdf,
};

/// A std mutex's guard, also after a thread panicked holding it: for data a panic cannot leave
/// unusable (a list only ever changed whole, a request body kept only to be read and dropped).
pub(crate) fn lock_unpoisoned<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
