//! Verification speed: a signed one-page certificate (PAdES B-B, 3-certificate chain) with a
//! CRL in its DSS, so the full path runs: ByteRange, CMS, path, revocation. One core.
//!
//! Also the public check's "compare your copy" of that PDF.
//!
//! Run: `cargo bench --bench verify`; `scripts/bench-sign-vs-pyhanko.sh` also times pyHanko
//! validating the same kind of file.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eucdoc::check::compare::{Verdict, compare, examine};
use eucdoc::sign::{self, SignRequest, revocation::ValidationData};
use eucdoc::verify::{Indication, VerifyOptions, verify_pdf};

mod support;

fn bench(c: &mut Criterion) {
    let support::Fixture {
        dir: _dir,
        pki,
        now,
        signer,
        rendered,
        input,
        ..
    } = support::fixture();
    let request = SignRequest::basic(now);
    let signed = sign::sign_pdf(&rendered.pdf, &signer, &request).expect("sign");
    let with_crl = sign::pdf::add_dss(
        &signed,
        &ValidationData {
            certs: Vec::new(),
            ocsps: Vec::new(),
            crls: vec![
                std::fs::read(&pki.crl).expect("crl"),
                std::fs::read(&pki.root_crl).expect("root crl"),
            ],
        },
    )
    .expect("dss");
    // For the peer measurement: the same file, root and CRL where the script asks for them.
    if let Some(out) = std::env::var_os("EUCDOC_BENCH_OUT") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out).expect("bench output folder");
        std::fs::write(out.join("signed.pdf"), &with_crl).expect("write");
        std::fs::copy(&pki.root, out.join("root.pem")).expect("copy root");
        std::fs::copy(&pki.crl, out.join("nca.crl")).expect("copy crl");
        std::fs::copy(&pki.root_crl, out.join("root.crl")).expect("copy root crl");
    }
    let options = VerifyOptions {
        trust_anchors: sign::certificates_from_file(&std::fs::read(&pki.root).expect("root"))
            .expect("root"),
        ..Default::default()
    };
    let report = verify_pdf(&with_crl, &options).expect("report");
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    c.bench_function("verify_one_page_b_b_with_crl", |b| {
        b.iter(|| black_box(verify_pdf(&with_crl, &options).expect("report")))
    });
    // The same signature without a later revision (the CRLs given alongside instead): one parse.
    let alongside = VerifyOptions {
        crls: vec![
            std::fs::read(&pki.crl).expect("crl"),
            std::fs::read(&pki.root_crl).expect("root crl"),
        ],
        ..options.clone()
    };
    let report = verify_pdf(&signed, &alongside).expect("report");
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{}",
        report.to_text()
    );
    c.bench_function("verify_one_page_b_b_crl_alongside", |b| {
        b.iter(|| black_box(verify_pdf(&signed, &alongside).expect("report")))
    });
    // "Compare your copy" on the public check page: the copy hashed, verified offline and its
    // data.json read, then compared with the registry's record (identical, and the same PDF
    // with its DSS added later).
    let record = eucdoc::registry::DocumentRecord {
        id: "bench".into(),
        number: support::NUMBER.into(),
        form: "end_user_certificate".into(),
        year: 2026,
        seq: 1,
        issued_at: eucdoc::registry::registry_time(now),
        applicant_bin: String::new(),
        data: String::from_utf8_lossy(input.json()).into_owned(),
        data_sha256: input.canonical_sha256_hex(),
        pdf_sha256: hex::encode(openssl::sha::sha256(&signed)),
        pdf_size: signed.len() as i64,
        signer: "{}".into(),
        status: "issued".into(),
        revoked_at: None,
        revocation_reason: None,
        application_id: None,
    };
    let offline = VerifyOptions {
        offline: true,
        ..alongside.clone()
    };
    for (name, copy, verdict) in [
        ("check_compare_identical_copy", &signed, Verdict::Identical),
        (
            "check_compare_later_revision",
            &with_crl,
            Verdict::LaterRevision,
        ),
    ] {
        let examined = examine(copy, &offline);
        let comparison = compare(support::NUMBER, &examined, Some(&record), &[], now);
        assert_eq!(comparison.verdict, verdict, "{name}");
        c.bench_function(name, |b| {
            b.iter(|| {
                let examined = examine(black_box(copy), &offline);
                black_box(compare(support::NUMBER, &examined, Some(&record), &[], now))
            })
        });
    }
    // Where the time goes: parsing the file (twice: the signed revision and the final one),
    // OpenSSL's certificate parsing, hashing the signed bytes.
    c.bench_function("phase_lopdf_load_final_revision", |b| {
        b.iter(|| black_box(lopdf::Document::load_mem(&with_crl).expect("pdf")))
    });
    let root_der = std::fs::read(&pki.root).expect("root");
    let root_cert = openssl::x509::X509::from_pem(&root_der)
        .expect("root")
        .to_der()
        .expect("der");
    c.bench_function("phase_openssl_x509_from_der", |b| {
        b.iter(|| black_box(openssl::x509::X509::from_der(&root_cert).expect("cert")))
    });
    c.bench_function("phase_sha256_of_file", |b| {
        b.iter(|| black_box(openssl::sha::sha256(&with_crl)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
