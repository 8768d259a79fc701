#!/usr/bin/env bash
# Runs every check and test, from a fresh Debian machine with a Rust toolchain.
# Installs what the tests call (poppler-utils, qpdf, zbar-tools, python3) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# One build profile (dev, dependencies optimised: see Cargo.toml) for tests, benches in test
# mode and the binary.
cargo test --all-targets --locked
