//! 10,000 different documents in one process with flat memory: every fourth compile evicts the
//! entries of Typst's memoisation caches that the last 8 compiles did not use (without eviction
//! they grow ~0.65 MB per distinct document). This test is its own binary so that no other
//! test's allocations blur the measurement.

mod common;

use eucdoc::batch::parallel_map;

/// Resident set size of this process in KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn ten_thousand_documents_with_flat_memory() {
    const TOTAL: usize = 10_000;
    const WARM_UP: usize = 1_000;
    let renderer = common::renderer();
    let base: serde_json::Value =
        serde_json::from_slice(&common::example("end-user-certificate.json")).unwrap();
    let render = |i: usize| {
        let mut v = base.clone();
        // Distinct data and number every time, so no compile can reuse a cached result whole.
        v["goods"][0]["quantity"] = (i + 1).to_string().into();
        v["contract"]["number"] = format!("MM-KZ/2026-{i:05}").into();
        let number = format!("KZ-EUC-2026-{i:06}");
        v["number"] = number.clone().into();
        let input = eucdoc::model::parse(&serde_json::to_vec(&v).unwrap()).unwrap();
        let pdf = renderer
            .render(&input, &number, common::fixed_time())
            .unwrap()
            .pdf;
        assert!(pdf.len() > 10_000);
    };
    parallel_map((0..WARM_UP).collect(), render);
    let after_warm_up = rss_kib();
    parallel_map((WARM_UP..TOTAL).collect(), render);
    let after_all = rss_kib();
    let growth_mib = after_all.saturating_sub(after_warm_up) / 1024;
    eprintln!("RSS after {WARM_UP}: {after_warm_up} KiB; after {TOTAL}: {after_all} KiB");
    // Without eviction the 9,000 further documents would add about 5.8 GB.
    assert!(
        growth_mib < 64,
        "memory grew by {growth_mib} MiB over {} documents",
        TOTAL - WARM_UP
    );
}
