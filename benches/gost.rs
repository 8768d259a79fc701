//! GOST R 34.10-2015 512 verification of one signature over a 1 KiB message (Streebog-512 and
//! the curve), and the curve part alone. `scripts/bench-gost.sh` measures the OpenSSL gost
//! engine on the same operation in the same run.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eucdoc::gost;

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
