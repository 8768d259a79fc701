//! Any bytes as a CMS signature (DER, PEM or base64), with and without detached data.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Offline: a fuzzed certificate's responder URLs must not make the run wait on a network.
    let options = eucdoc::verify::VerifyOptions {
        offline: true,
        ..Default::default()
    };
    let _ = eucdoc::verify::verify_cms(data, None, &options);
    let _ = eucdoc::verify::verify(data, Some(b"detached data"), &options);
});
