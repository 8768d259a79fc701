//! Rendering speed, warm (renderer built once), on one core unless stated:
//! - `form1_3_lines`: a one-page End-User Certificate with 3 goods lines (target ≤ 3 ms);
//!   `form1_3_lines_on_worker` the same on a one-thread rayon pool, as the service renders;
//! - `form1_500_lines`: the same with 500 goods lines (target ≤ 150 ms);
//! - `batch_64`: 64 different one-page documents through `parallel_map`, one thread per core,
//!   against the same 64 rendered one after another (scaling with cores).
//!
//! Every iteration renders a different number, so no compile is answered whole from the cache.
//!
//! Run: `cargo bench --bench render` (results in target/criterion).

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use eucdoc::batch::parallel_map;
use eucdoc::model::{self, Input};
use eucdoc::render::{RenderConfig, Renderer};

/// The allocator of the `eucdoc` binary (src/main.rs), so the bench measures what the service
/// and the CLI run.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn example_with_goods(lines: usize) -> Input {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/end-user-certificate.json"
    );
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("example")).expect("json");
    let first = value["goods"][0].clone();
    let goods: Vec<serde_json::Value> = (0..lines)
        .map(|i| {
            let mut line = value["goods"]
                .get(i)
                .cloned()
                .unwrap_or_else(|| first.clone());
            line["quantity"] = (i + 1).to_string().into();
            line
        })
        .collect();
    value["goods"] = goods.into();
    model::parse(&serde_json::to_vec(&value).expect("json")).expect("valid")
}

fn bench(c: &mut Criterion) {
    let renderer = Renderer::new(RenderConfig::default()).expect("renderer");
    let now = time::UtcDateTime::now();
    let counter = AtomicUsize::new(0);
    let next_number = || format!("KZ-EUC-2026-{:06}", counter.fetch_add(1, Ordering::Relaxed));

    let one_page = example_with_goods(3);
    let long = example_with_goods(500);
    c.bench_function("form1_3_lines", |b| {
        b.iter(|| {
            black_box(
                renderer
                    .render(&one_page, &next_number(), now)
                    .expect("render"),
            )
        })
    });
    // The same on a worker thread, a one-thread rayon pool, as the service and the batch render
    // (src/workers.rs): Typst's rayon work stays on the thread. One hand-off per sample.
    let worker = eucdoc::workers::one_thread_pool("bench-worker".into(), 32 << 20).expect("pool");
    c.bench_function("form1_3_lines_on_worker", |b| {
        b.iter_custom(|iterations| {
            worker.install(|| {
                let started = std::time::Instant::now();
                for _ in 0..iterations {
                    black_box(
                        renderer
                            .render(&one_page, &next_number(), now)
                            .expect("render"),
                    );
                }
                started.elapsed()
            })
        })
    });
    let mut group = c.benchmark_group("form1_500_lines");
    group.sample_size(20);
    group.bench_function("render", |b| {
        b.iter(|| black_box(renderer.render(&long, &next_number(), now).expect("render")))
    });
    group.finish();

    let mut group = c.benchmark_group("batch_64");
    group.sample_size(10);
    group.bench_function("sequential", |b| {
        b.iter(|| {
            for _ in 0..64 {
                black_box(
                    renderer
                        .render(&one_page, &next_number(), now)
                        .expect("render"),
                );
            }
        })
    });
    group.bench_function("parallel_all_cores", |b| {
        b.iter(|| {
            parallel_map((0..64).collect(), |_: usize| {
                black_box(
                    renderer
                        .render(&one_page, &next_number(), now)
                        .expect("render"),
                );
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
