//! eucdoc issues and checks Kazakhstan's export-control documents: the End-User Certificate
//! (Form 1), the International Import Certificate (Form 2) and the motivated refusal.
//!
//! The flow is one straight line and the modules follow it:
//! [`model`] (typed, validated input) → [`render`] (Typst, PDF/A-3b) → [`sign`] (PAdES) → [`registry`] (numbers, archive) → [`service`] → [`http`] / the CLI;
//! incoming documents: [`verify`].
#![deny(unsafe_code)]

pub mod batch;
pub mod config;
pub mod devpki;
pub mod fonts;
pub mod gost;
pub mod http;
pub mod model;
pub mod pki;
pub mod registry;
pub mod render;
pub mod service;
pub mod sign;
pub mod verify;
