#!/usr/bin/env bash
# Fuzzes the verifier's PDF and CMS inputs and the BER reader with cargo-fuzz (libFuzzer; needs the nightly
# toolchain). Not part of CI: run it and report. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
# Seeds: pyHanko's hostile PDFs, the NCA's CMS/OCSP/TSP files and the repository's examples.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
command -v cargo-fuzz >/dev/null || cargo +nightly install cargo-fuzz --locked
export CARGO_TARGET_DIR="${EUCDOC_FUZZ_TARGET_DIR:-/var/tmp/eucdoc-fuzz-target}"
shared=../shared/corpora
mkdir -p fuzz/corpus/verify_pdf fuzz/corpus/verify_cms fuzz/corpus/ber_to_der
find "$shared/pyhanko/pdf" -name '*.pdf' -size -2M -exec cp -n {} fuzz/corpus/verify_pdf/ \;
cp -n "$shared"/kz-nca/ncanode-test/tsp/* "$shared"/kz-nca/ncanode-test/ocsp/* fuzz/corpus/verify_cms/
cp -n fuzz/corpus/verify_cms/* fuzz/corpus/ber_to_der/
# Rely on the sanitizer-free build: Typst is a dependency and an instrumented build of it
# takes long; the verifier's own code is what is fuzzed.
for target in verify_pdf verify_cms ber_to_der; do
    cargo +nightly fuzz run --sanitizer none -O "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -max_len=1048576
done
