//! GOST R 34.10-2015 512 verification of one signature over a 1 KiB message (Streebog-512 and
//! the curve), and the curve part alone. `scripts/bench-gost.sh` measures the OpenSSL gost
//! engine on the same operation in the same run.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eucdoc::gost;

#[path = "../tests/common/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let key = gost::GostKey::generate().expect("key");
    let message = vec![0x5au8; 1024];
    let signature = key.sign_message(&message).expect("sign");
    let digest = gost::streebog512(&message);
    assert_eq!(
        gost::verify_message(key.public_key(), &message, &signature),
        Ok(true)
    );
    c.bench_function("gost_verify_1k_message", |b| {
        b.iter(|| black_box(gost::verify_message(key.public_key(), &message, &signature)))
    });
    c.bench_function("gost_verify_digest", |b| {
        b.iter(|| black_box(gost::verify_digest(key.public_key(), &digest, &signature)))
    });
    c.bench_function("gost_sign_digest", |b| {
        b.iter(|| black_box(key.sign_digest(&digest)))
    });
    c.bench_function("streebog512_1k", |b| {
        b.iter(|| black_box(gost::streebog512(&message)))
    });
    // A one-page certificate signed with the CA's GOST 2015 test key, its 2-certificate chain
    // and the CA's CRL, verified as of a time inside the certificate's validity.
    let pdf = common::gost::gost_signed_pdf();
    let options = eucdoc::verify::VerifyOptions {
        trust_anchors: vec![common::gost::der("ca/nca_gost2015_test.cer")],
        at: Some(time::macros::utc_datetime!(2022-12-01 12:00:00)),
        crls: vec![common::gost::nca("crl/nca_gost2022_test.crl")],
        ..Default::default()
    };
    let report = eucdoc::verify::verify_pdf(&pdf, &options).expect("report");
    assert_eq!(report.indication, eucdoc::verify::Indication::TotalPassed);
    c.bench_function("verify_gost_one_page_pdf_with_crl", |b| {
        b.iter(|| black_box(eucdoc::verify::verify_pdf(&pdf, &options).expect("report")))
    });
    // PAdES B-B of a one-page certificate with the visible stamp, with the CA's GOST 2015 key
    // store opened as `eucdoc sign --p12` opens it (certificate from the store).
    let at = time::macros::utc_datetime!(2022-12-01 12:00:00);
    let signer = eucdoc::sign::KeyStoreSigner::open(
        &common::gost::nca("keys/KEY_INDIVIDUAL_VALID_2015.p12"),
        "Aa123456",
        at.unix_timestamp(),
    )
    .expect("GOST key store");
    let renderer = common::renderer();
    let rendered = common::render_bytes(&common::example("end-user-certificate.json"));
    let levels = eucdoc::sign::LevelOptions::default();
    let stamp = eucdoc::sign::StampOptions {
        place: &rendered.signature_place,
        position: Some("басшы"),
        time: at,
        levels: &levels,
        watermark_pages: false,
    };
    c.bench_function("gost_sign_one_page_b_b_with_stamp", |b| {
        b.iter(|| {
            black_box(
                eucdoc::sign::sign_with_stamp(&rendered.pdf, &signer, &renderer, &stamp)
                    .expect("sign"),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
