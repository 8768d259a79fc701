#!/usr/bin/env bash
# Times checking an application package (criterion: benches/applications.rs; the application
# and the guarantee obligation as signed PDFs, CRLs given, one core) and pyHanko validating every
# signature of the same two files, in one run on this machine. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${EUCDOC_VENV:-/var/tmp/eucdoc-venv}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q "pyHanko==0.38.0" "pyhanko-certvalidator==0.33.0"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export EUCDOC_BENCH_OUT="$work"
cargo bench --bench applications --no-run --quiet
taskset -c 0 cargo bench --bench applications 2>&1 | grep -E "^check_package|time:"
taskset -c 0 "$venv/bin/python" benches/peer/pyhanko_verify.py "$work/application.pdf,$work/obligation.pdf" "$work/root.pem" "$work/nca.crl,$work/root.crl" 50
