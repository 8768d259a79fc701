//! Reading an issue request's input, as `POST /v1/documents` does for every document:
//! - `validate_one_page`: `model::parse` of the one-page example (JSON, schema, rules, hash);
//! - `number_one_page`: `Input::with_number`, setting the registry's number;
//! - `number_by_parsing_again`: the same number set by validating the numbered JSON whole,
//!   as issuing did before `with_number`, for comparison in the same run.
//!
//! Run: `cargo bench --bench input`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eucdoc::model;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const NUMBER: &str = "KZ-EUC-2026-000042";

fn bench(c: &mut Criterion) {
    let example = include_bytes!("../examples/end-user-certificate.json");
    let input = model::parse(example).expect("the example is valid");
    c.bench_function("validate_one_page", |b| {
        b.iter(|| black_box(model::parse(black_box(example)).expect("valid")))
    });
    c.bench_function("number_one_page", |b| {
        b.iter(|| black_box(input.with_number(NUMBER).expect("valid")))
    });
    c.bench_function("number_by_parsing_again", |b| {
        b.iter(|| {
            let mut value: serde_json::Value = serde_json::from_slice(input.json()).expect("json");
            value["number"] = NUMBER.into();
            let bytes = serde_json::to_vec_pretty(&value).expect("json");
            black_box(model::parse(&bytes).expect("valid"))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
