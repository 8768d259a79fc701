#!/usr/bin/env bash
# Measures eucdoc's PAdES B-B signing and verification (criterion: benches/sign.rs and
# benches/verify.rs) and pyHanko signing and validating the same kind of file with the same kind
# of key, in one run on this machine. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${EUCDOC_VENV:-/var/tmp/eucdoc-venv}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q "pyHanko==0.38.0" "pyhanko-certvalidator==0.33.0"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export EUCDOC_BENCH_PASSWORD=bench
cargo run --release --quiet -- dev-pki --out "$work/pki" --password-env EUCDOC_BENCH_PASSWORD >/dev/null
cargo run --release --quiet -- render examples/end-user-certificate.json -o "$work/form1.pdf"
cargo bench --bench sign -- sign_b_b 2>&1 | grep -E "^sign_b_b|time:"
"$venv/bin/python" benches/peer/pyhanko_sign.py "$work/form1.pdf" "$work/pki/officer.p12" bench 100
# Verification: eucdoc (criterion) and pyHanko on the same signed file.
export EUCDOC_BENCH_OUT="$work/verify"
cargo bench --bench verify 2>&1 | grep -E "^verify|time:"
"$venv/bin/python" benches/peer/pyhanko_verify.py "$work/verify/signed.pdf" "$work/verify/root.pem" "$work/verify/nca.crl,$work/verify/root.crl" 50
