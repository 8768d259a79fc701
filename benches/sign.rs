//! Signing speed, warm (key parsed once), one core:
//! - `sign_b_b/invisible`: PAdES B-B of a rendered one-page certificate, no stamp;
//! - `sign_b_b/with_stamp`: the same with the visible stamp (a Typst compile of its own);
//! - `render_and_sign`: render Form 1 (3 goods lines) and sign it with the stamp;
//! - `external/prepare_and_embed`: the server-side work of external signing without the
//!   render: prepare the draft for the officer's certificate (stamp, digest), then check the
//!   CMS that comes back (digest, signer, signature value, certificate) and embed it (a draft
//!   made from JSON adds one render: `cargo bench --bench render`).
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
    external(c, &signer, &renderer, &rendered, now);
}

/// External signing: the key's part (the CMS for the draft's digest) is made once, outside the
/// measurement, as the officer's token would; drafts of the same input and time are identical.
fn external(
    c: &mut Criterion,
    signer: &sign::KeyStoreSigner,
    renderer: &eucdoc::render::Renderer,
    rendered: &eucdoc::render::Rendered,
    now: time::UtcDateTime,
) {
    use eucdoc::sign::Signer;
    let levels = sign::LevelOptions::default();
    let certificate = signer.certificate_der().to_vec();
    let chain = signer.chain_der().to_vec();
    let prepare = |rendered: &eucdoc::render::Rendered| {
        sign::external::prepare(
            &rendered.pdf,
            &certificate,
            &chain,
            renderer,
            &sign::StampOptions {
                place: &rendered.signature_place,
                position: Some("басшы"),
                time: now,
                levels: &levels,
                watermark_pages: false,
            },
        )
        .expect("draft")
    };
    let draft = prepare(rendered);
    let cms = sign::cms::signed_data(signer, &draft.digest, None)
        .expect("CMS")
        .cms;
    let when = now.unix_timestamp();
    sign::external::embed(&draft.pdf, &certificate, &cms, when).expect("the CMS fits the draft");
    let mut group = c.benchmark_group("external");
    group.bench_function("prepare_and_embed", |b| {
        b.iter(|| {
            let draft = prepare(rendered);
            black_box(sign::external::embed(&draft.pdf, &certificate, &cms, when).expect("embed"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
