//! Any bytes as a PDF: the verifier returns a report or an error, never panics or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = eucdoc::verify::verify_pdf(data, &eucdoc::verify::VerifyOptions::default());
});
