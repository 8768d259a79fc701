//! Signing speed, warm (key parsed once), one core:
//! - `sign_b_b/invisible`: PAdES B-B of a rendered one-page certificate, no stamp;
//! - `sign_b_b/with_stamp`: the same with the visible stamp (a Typst compile of its own);
//! - `render_and_sign`: render Form 1 (3 goods lines) and sign it with the stamp.
//!
//! Run: `cargo bench --bench sign`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eucdoc::sign::{self, SignRequest};

mod support;

fn bench(c: &mut Criterion) {
    let support::Fixture {
        dir: _dir,
        now,
        signer,
        renderer,
        input,
        rendered,
        ..
    } = support::fixture();

    let mut group = c.benchmark_group("sign_b_b");
    let invisible = SignRequest::basic(now);
    group.bench_function("invisible", |b| {
        b.iter(|| black_box(sign::sign_pdf(&rendered.pdf, &signer, &invisible).expect("sign")))
    });
    group.bench_function("with_stamp", |b| {
        b.iter(|| {
            black_box(
                sign::sign_with_stamp(
                    &rendered.pdf,
                    &signer,
                    &renderer,
                    &sign::StampOptions {
                        place: &rendered.signature_place,
                        position: Some("басшы"),
                        time: now,
                        levels: &sign::LevelOptions::default(),
                        watermark_pages: false,
                    },
                )
                .expect("sign"),
            )
        })
    });
    group.finish();
    // A different number every time, so the render is not answered from Typst's cache.
    let mut counter = 0u64;
    c.bench_function("render_and_sign", |b| {
        b.iter(|| {
            counter += 1;
            let number = format!("KZ-EUC-2026-{counter:06}");
            let rendered = renderer
                .render_marked(&input, &number, now, true)
                .expect("render");
            black_box(
                sign::sign_with_stamp(
                    &rendered.pdf,
                    &signer,
                    &renderer,
                    &sign::StampOptions {
                        place: &rendered.signature_place,
                        position: Some("басшы"),
                        time: now,
                        levels: &sign::LevelOptions::default(),
                        watermark_pages: false,
                    },
                )
                .expect("sign"),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
