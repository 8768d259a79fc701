//! Does GOST signing time depend on the secret scalar? A dudect-style measurement (Reparaz,
//! Balasch, Verbauwhede, "Dude, is my code constant time?", 2017): signatures of random digests
//! are timed with a key of one class or the other, the classes interleaved at random, and
//! Welch's t-test compares the two timing distributions (also after cropping the slowest
//! samples at several percentiles, as dudect does). |t| above 4.5 is evidence of a leak.
//!
//! Classes: a scalar of Hamming weight 1 and 1 bit long (d = 1), and one of 511 bits with
//! nearly all bits set (d = q − 1), each against random scalars. `cargo bench --bench
//! gost_constant_time` measures (200,000 signatures per pair); under `cargo test` it only
//! runs a few hundred, to keep the harness working.

use std::hint::black_box;
use std::time::Instant;

use eucdoc::gost::GostKey;

const Q_MINUS_ONE_BE: &str = concat!(
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B274"
);

/// A small xorshift generator: the class schedule and the digests need no cryptographic
/// randomness, only independence from the code measured.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn digest(&mut self) -> [u8; 64] {
        let mut out = [0u8; 64];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        out
    }
}

/// Welch's t statistic of two samples.
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let variance = |x: &[f64], m: f64| {
        x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
    };
    let (ma, mb) = (mean(a), mean(b));
    let (va, vb) = (variance(a, ma), variance(b, mb));
    (ma - mb) / (va / a.len() as f64 + vb / b.len() as f64).sqrt()
}

fn median(x: &[f64]) -> f64 {
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Both classes' samples below the `percentile` of all samples.
fn cropped(a: &[f64], b: &[f64], percentile: f64) -> (Vec<f64>, Vec<f64>) {
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let limit = all[((all.len() - 1) as f64 * percentile) as usize];
    (
        a.iter().copied().filter(|v| *v <= limit).collect(),
        b.iter().copied().filter(|v| *v <= limit).collect(),
    )
}

fn measure(
    name: &str,
    fixed: &GostKey,
    random_keys: &[GostKey],
    samples: usize,
    rng: &mut XorShift,
) {
    let (mut fixed_times, mut random_times) = (Vec::new(), Vec::new());
    for i in 0..samples {
        let digest = rng.digest();
        let use_fixed = rng.next() & 1 == 0;
        let key = if use_fixed {
            fixed
        } else {
            &random_keys[i % random_keys.len()]
        };
        let started = Instant::now();
        black_box(key.sign_digest(black_box(&digest)).expect("sign"));
        let nanos = started.elapsed().as_nanos() as f64;
        if use_fixed {
            fixed_times.push(nanos);
        } else {
            random_times.push(nanos);
        }
    }
    let mut line = format!(
        "{name}: {} + {} signatures, median {:.1} µs vs {:.1} µs; Welch t: all {:+.2}",
        fixed_times.len(),
        random_times.len(),
        median(&fixed_times) / 1000.0,
        median(&random_times) / 1000.0,
        welch_t(&fixed_times, &random_times)
    );
    for percentile in [0.5, 0.9, 0.99] {
        let (a, b) = cropped(&fixed_times, &random_times, percentile);
        if a.len() > 2 && b.len() > 2 {
            line.push_str(&format!(
                ", p{:.0} {:+.2}",
                percentile * 100.0,
                welch_t(&a, &b)
            ));
        }
    }
    println!("{line}");
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let samples = if benchmarking { 100_000 } else { 200 };
    let mut one = [0u8; 64];
    one[0] = 1;
    let mut largest = hex::decode(Q_MINUS_ONE_BE).expect("hex");
    largest.reverse();
    let lightest = GostKey::from_scalar_le(&one).expect("d = 1");
    let heaviest = GostKey::from_scalar_le(&largest).expect("d = q - 1");
    let random_keys: Vec<GostKey> = (0..16).map(|_| GostKey::generate().expect("key")).collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    // Warm-up: caches, the curve's precomputation, the CPU's frequency.
    for _ in 0..200 {
        black_box(lightest.sign_digest(&rng.digest()).expect("sign"));
    }
    measure(
        "d = 1 vs random d",
        &lightest,
        &random_keys,
        samples,
        &mut rng,
    );
    measure(
        "d = q-1 vs random d",
        &heaviest,
        &random_keys,
        samples,
        &mut rng,
    );
}
