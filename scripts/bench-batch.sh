#!/usr/bin/env bash
# The batch against its peer, on one core: N distinct one-page End-User Certificates
# (benches/peer/distinct_documents.py, the same file for every build) rendered by
# `eucdoc render --jsonl` and, on the same templates and documents, by Typst's own PyPI binding
# (benches/peer/typst_render.py --jsonl), ROUNDS times in turn. Prints milliseconds per document
# for each and eucdoc's CPU time. Not part of CI: run it and report. Release build.
# Usage: scripts/bench-batch.sh [N] [ROUNDS]
# EUCDOC_BIN=path runs that binary instead of building one (to compare builds in turn).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000}"
rounds="${2:-3}"
bin="${EUCDOC_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/eucdoc"
fi
# Typst's binding in a venv outside the checkout, kept for later runs. 0.15.2 builds on Typst
# 0.15, the version eucdoc uses.
venv="${EUCDOC_TYPST_VENV:-/var/tmp/eucdoc-typst-venv}"
if ! "$venv/bin/python" -c "import typst" >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "typst==0.15.2"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 benches/peer/distinct_documents.py examples/end-user-certificate.json "$count" >"$work/documents.jsonl"
for round in $(seq 1 "$rounds"); do
  rm -rf "$work/out" && mkdir "$work/out"
  # One core, as the bench; the writer thread shares it.
  /usr/bin/time -f "%e %U %S" -o "$work/time" taskset -c 0 "$bin" render --jsonl "$work/documents.jsonl" \
    --out-dir "$work/out" --at 2026-12-01T09:30:00Z >/dev/null 2>"$work/stderr" \
    || { cat "$work/stderr"; exit 1; }
  written="$(find "$work/out" -name '*.pdf' | wc -l)"
  [ "$written" -eq "$count" ] || { echo "eucdoc wrote $written of $count documents"; exit 1; }
  read -r elapsed user system <"$work/time"
  awk -v e="$elapsed" -v u="$user" -v s="$system" -v n="$count" -v r="$round" 'BEGIN {
    printf "round %d: eucdoc render --jsonl: %.2f ms per document (CPU: user %.2f, system %.2f ms)\n",
      r, 1000 * e / n, 1000 * u / n, 1000 * s / n }'
  echo "round $round: $(taskset -c 0 "$venv/bin/python" benches/peer/typst_render.py . --jsonl "$work/documents.jsonl")"
done
