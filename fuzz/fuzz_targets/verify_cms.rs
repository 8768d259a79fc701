//! Any bytes as a CMS signature (DER, PEM or base64), with and without detached data.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = eucdoc::verify::VerifyOptions::default();
    let _ = eucdoc::verify::verify_cms(data, None, &options);
    let _ = eucdoc::verify::verify(data, Some(b"detached data"), &options);
});
