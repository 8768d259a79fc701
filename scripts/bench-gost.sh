#!/usr/bin/env bash
# GOST R 34.10-2012/2015 512 verification and signing: eucdoc (criterion, benches/gost.rs) and
# the OpenSSL gost engine (benches/peer/gost_engine_verify.c, compiled here) on a 1 KiB message,
# one run; then the constant-time measurement of GOST signing (benches/gost_constant_time.rs).
# Needs gcc, libssl-dev and libengine-gost-openssl. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wno-deprecated-declarations -o "$work/engine" benches/peer/gost_engine_verify.c -lcrypto
openssl genpkey -engine gost -algorithm gost2012_512 -pkeyopt paramset:A -out "$work/key.pem" 2>/dev/null
head -c 1024 /dev/zero | tr '\0' 'Z' > "$work/message"
cargo bench --bench gost 2>&1 | grep -E "^(gost|streebog)|time:"
"$work/engine" "$work/key.pem" "$work/message" 2000
cargo bench --bench gost_constant_time
