#!/usr/bin/env bash
# Archive ingestion under load (oha, installed with cargo when missing): the BagIt package of a
# one-page document (one connection: its server time), OAI-PMH ListRecords pages of 100 records
# (4 connections), and `eucdoc export` of every document. Release build, fresh data folder,
# development PKI. Not part of CI: run it and report. Usage: scripts/load-archive.sh [DOCUMENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-300}"
command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/eucdoc"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18083
base="http://127.0.0.1:$port"
EUCDOC_DATA_DIR="$work/data" EUCDOC_LOG=warn EUCDOC_BASE_URL="$base" \
  "$bin" serve --listen "127.0.0.1:$port" >"$work/stdout" 2>"$work/stderr" &
server=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done
token="$(cat "$work/data/dev-token")"
for _ in $(seq 1 "$count"); do
  curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @examples/end-user-certificate.json "$base/v1/documents" >"$work/issued.json"
done
id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/issued.json")"
summary() { grep -E "Success rate|Requests/sec|Slowest|Average|50.00%|99.00%|\[2|\[3|\[4|\[5"; }
echo "== GET a package (zip, $(curl -sf -H "Authorization: Bearer $token" "$base/v1/documents/$id/package" | wc -c) bytes): 500 requests, 1 connection"
oha --no-tui -n 500 -c 1 -H "Authorization: Bearer $token" "$base/v1/documents/$id/package" | summary
echo "== GET /oai ListRecords (eucdoc, 100 records a page, $count documents): 500 requests, 4 connections"
oha --no-tui -n 500 -c 4 -H "Authorization: Bearer $token" "$base/oai?verb=ListRecords&metadataPrefix=eucdoc" | summary
echo "== eucdoc export of $count documents (while the service runs)"
# The export ends with a syncfs: flush the issuing's own writes first, so that they are not
# counted as the export's.
sync
start=$(date +%s.%N)
EUCDOC_DATA_DIR="$work/data" EUCDOC_LOG=warn "$bin" export --out "$work/export"
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'{s:.2f} s, {s/int(sys.argv[3])*1000:.1f} ms per bag')" "$start" "$end" "$count"
