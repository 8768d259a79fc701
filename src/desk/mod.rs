//! The officers' desk: what its pages show, independent of HTTP. Texts per language
//! ([`texts`]), sessions (ids, CSRF tokens, expiry: [`session`]), and the verification report
//! turned into what an officer reads ([`view`]). `crate::http::desk` is the thin shell that
//! serves it.

pub mod form;
pub mod preview;
pub mod session;
pub mod texts;
pub mod view;

pub use texts::Lang;
