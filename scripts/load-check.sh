#!/usr/bin/env bash
# Load test of the public check page with oha (installed with cargo when missing): the QR code's
# page as JSON and as HTML at CONCURRENCY connections, and "compare your copy" of a one-page
# signed PDF (server time at one connection, throughput at two). Release build, fresh data
# folder, development PKI, the comparison limit lifted. Not part of CI: run it and report.
# Usage: scripts/load-check.sh [REQUESTS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
conc="${2:-16}"
command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18082
base="http://127.0.0.1:$port"
EUCDOC_DATA_DIR="$work/data" EUCDOC_LOG=warn EUCDOC_BASE_URL="$base" \
  EUCDOC_CHECK_COMPARES_PER_MINUTE=100000000 \
  "${CARGO_TARGET_DIR:-target}/release/eucdoc" serve --listen "127.0.0.1:$port" >"$work/stdout" 2>"$work/stderr" &
server=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done
token="$(cat "$work/data/dev-token")"
for _ in $(seq 1 30); do
  curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @examples/end-user-certificate.json "$base/v1/documents" >"$work/issued.json"
done
read -r id check < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["id"], d["links"]["check"])' "$work/issued.json")
curl -sf -H "Authorization: Bearer $token" "$base/v1/documents/$id/pdf" >"$work/copy.pdf"
number="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["number"])' "$work/issued.json")"
summary() { grep -E "Success rate|Requests/sec|Slowest|Average|50.00%|99.00%|\[2|\[3|\[4|\[5"; }
echo "== GET the check page as JSON: $n requests, $conc connections"
oha --no-tui -n "$n" -c "$conc" "$check" | summary
echo "== GET the check page as HTML (Accept-Language: en): $n requests, $conc connections"
oha --no-tui -n "$n" -c "$conc" -H "Accept: text/html" -H "Accept-Language: en" "$check" | summary
echo "== GET an unknown number as HTML: $n requests, $conc connections"
oha --no-tui -n "$n" -c "$conc" -H "Accept: text/html" "$base/v1/check/KZ-EUC-2099-000001?sha256=00" | summary
echo "== POST compare your copy ($(stat -c %s "$work/copy.pdf") bytes, identical): 2000 requests, 1 connection"
oha --no-tui -n 2000 -c 1 -m POST -T application/pdf -D "$work/copy.pdf" "$base/v1/check/$number" | summary
echo "== POST compare your copy: 4000 requests, 2 connections"
oha --no-tui -n 4000 -c 2 -m POST -T application/pdf -D "$work/copy.pdf" "$base/v1/check/$number" | summary
