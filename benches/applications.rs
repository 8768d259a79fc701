//! Checking an incoming application package: the application and the guarantee obligation as
//! signed PDFs (PAdES B-B; one signature and two), the CRLs given, nothing fetched. One core.
//!
//! Run: `cargo bench --bench applications`. With `EUCDOC_BENCH_OUT=DIR` the two PDFs, the root
//! and the CRLs are written there for the peer (`scripts/bench-applications.sh` times pyHanko
//! validating every signature of the same two files).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eucdoc::applications::{PackageFile, Verdict, check_package};
use eucdoc::sign::{self, SignRequest};
use eucdoc::verify::VerifyOptions;

mod support;

fn signed(
    renderer: &eucdoc::render::Renderer,
    json: &serde_json::Value,
    stores: &[&std::path::Path],
    now: time::UtcDateTime,
) -> Vec<u8> {
    let mut pdf = renderer
        .render_incoming(&serde_json::to_vec(json).expect("json"), now)
        .expect("render");
    for (i, store) in stores.iter().enumerate() {
        let signer = sign::Pkcs12Signer::from_pkcs12(
            &std::fs::read(store).expect("key store"),
            "bench",
            now.unix_timestamp(),
        )
        .expect("signer");
        let request = SignRequest {
            field_name: format!("Signature{}", i + 1),
            ..SignRequest::basic(now)
        };
        pdf = sign::sign_pdf(&pdf, &signer, &request).expect("sign");
    }
    pdf
}

fn bench(c: &mut Criterion) {
    let support::Fixture {
        dir,
        pki,
        now,
        renderer,
        ..
    } = support::fixture();
    let example = |name: &str| -> serde_json::Value {
        let path = format!("{}/examples/incoming/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_slice(&std::fs::read(path).expect("example")).expect("json")
    };
    let mut application = example("application.json");
    application["sheets_attached"] = serde_json::json!(0);
    let head = dir.path().join("applicant-company-head.p12");
    let end_user = dir.path().join("end-user-head.p12");
    let files = vec![
        PackageFile {
            name: "application.pdf".into(),
            bytes: signed(&renderer, &application, &[&head], now),
        },
        PackageFile {
            name: "obligation.pdf".into(),
            bytes: signed(
                &renderer,
                &example("guarantee-obligation.json"),
                &[&head, &end_user],
                now,
            ),
        },
    ];
    if let Some(out) = std::env::var_os("EUCDOC_BENCH_OUT") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out).expect("bench output folder");
        for file in &files {
            std::fs::write(out.join(&file.name), &file.bytes).expect("write");
        }
        std::fs::copy(&pki.root, out.join("root.pem")).expect("copy root");
        std::fs::copy(&pki.crl, out.join("nca.crl")).expect("copy crl");
        std::fs::copy(&pki.root_crl, out.join("root.crl")).expect("copy root crl");
    }
    let options = VerifyOptions {
        trust_anchors: sign::certificates_from_file(&std::fs::read(&pki.root).expect("root"))
            .expect("root"),
        crls: vec![
            std::fs::read(&pki.crl).expect("crl"),
            std::fs::read(&pki.root_crl).expect("root crl"),
        ],
        offline: true,
        ..Default::default()
    };
    let report = check_package(&files, &options).expect("report");
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
    c.bench_function("check_package_two_signed_documents", |b| {
        b.iter(|| black_box(check_package(&files, &options).expect("report")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
