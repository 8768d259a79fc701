//! Any bytes as a PDF: the verifier returns a report or an error, never panics or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Offline: a fuzzed certificate's responder URLs must not make the run wait on a network.
    let options = eucdoc::verify::VerifyOptions {
        offline: true,
        ..Default::default()
    };
    let _ = eucdoc::verify::verify_pdf(data, &options);
});
