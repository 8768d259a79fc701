//! Any bytes through the BER reader: DER or an error, never a panic; what comes out is DER (a
//! second pass leaves it as it is) and parses no worse as a CMS.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((der, used)) = eucdoc::pki::ber::to_der(data) {
        assert!(used <= data.len());
        assert_eq!(eucdoc::pki::ber::to_der(&der), Ok((der.clone(), der.len())));
        let options = eucdoc::verify::VerifyOptions {
            offline: true,
            ..Default::default()
        };
        let _ = eucdoc::verify::verify_cms(&der, Some(b"detached data"), &options);
    }
});
