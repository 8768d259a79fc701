//! What the signing and verification benches start from: a development PKI, the officer's key
//! parsed once, the renderer, and Form 1 (3 goods lines) rendered as a test document.
// Each bench uses part of the fixture.
#![allow(dead_code)]

use eucdoc::devpki::DevPkiFiles;
use eucdoc::model;
use eucdoc::render::{RenderConfig, Rendered, Renderer};
use eucdoc::sign::{self, KeyStoreSigner};

pub struct Fixture {
    /// The PKI's folder: bind it (`dir: _dir`), or the files go with it.
    pub dir: tempfile::TempDir,
    pub pki: DevPkiFiles,
    pub now: time::UtcDateTime,
    pub signer: KeyStoreSigner,
    pub renderer: Renderer,
    pub input: model::Input,
    pub rendered: Rendered,
}

/// The number the example input carries (and its rendering).
pub const NUMBER: &str = "KZ-EUC-2026-000123";

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let now = time::UtcDateTime::now();
    let pki = eucdoc::devpki::generate(dir.path(), "bench", now.unix_timestamp()).expect("dev pki");
    let store = std::fs::read(&pki.officer).expect("key store");
    let signer =
        sign::open_signer(&store, "bench", now.unix_timestamp(), &[], &[]).expect("signer");
    let renderer = Renderer::new(RenderConfig::default()).expect("renderer");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/end-user-certificate.json"
    );
    let input = model::parse(&std::fs::read(path).expect("example")).expect("valid");
    let rendered = renderer
        .render_marked(&input, NUMBER, now, true)
        .expect("render");
    Fixture {
        dir,
        pki,
        now,
        signer,
        renderer,
        input,
        rendered,
    }
}
