#!/usr/bin/env bash
# Load test of the HTTP service with oha (installed with cargo when missing), on a fresh data
# folder: issuing one-page certificates, then POST /v1/verify of an issued PDF, then RSS after
# many issued documents. Not part of CI: run it and report. Release build.
# Usage: scripts/load.sh [ISSUE_REQUESTS] [VERIFY_REQUESTS] [CONCURRENCY] [ROUNDS]
# ROUNDS repeats the issuing ROUNDS times and prints the server's RSS after each (memory over
# many documents: 10000 20000 16 10 issues 100,000).
# The certificates differ as real ones do (benches/peer/distinct_documents.py: up to 10,000
# distinct ones; oha sends a line taken at random for each request). EUCDOC_LOAD_DOCUMENTS=same
# sends examples/end-user-certificate.json every time instead, which Typst lays out once: the
# figure the render bench corresponds to.
# EUCDOC_BIN=path runs that binary instead of building one: to compare two builds in one session,
# run them in turn with the same arguments.
# The data folder is made with mktemp: TMPDIR=path puts it on the file system to measure. Use a
# freshly made one: where thousands of files were deleted minutes before (the last run's clean-up),
# ext4 scans past recently deleted inodes at every file it creates, at a cost of up to 14 % of the
# server's CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
issue_n="${1:-3000}"
verify_n="${2:-20000}"
conc="${3:-16}"
rounds="${4:-1}"
documents="${EUCDOC_LOAD_DOCUMENTS:-distinct}"
command -v oha >/dev/null || cargo install oha --locked
bin="${EUCDOC_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/eucdoc"
fi
work="$(mktemp -d)"
server=""
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
case "$documents" in
  distinct)
    distinct_n=$(( issue_n < 10000 ? issue_n : 10000 ))
    python3 benches/peer/distinct_documents.py examples/end-user-certificate.json "$distinct_n" \
      >"$work/documents.jsonl"
    # One request body per line.
    bodies=(-Z "$work/documents.jsonl")
    ;;
  same) bodies=(-D examples/end-user-certificate.json) ;;
  *) echo "EUCDOC_LOAD_DOCUMENTS must be distinct or same, not $documents" >&2; exit 2 ;;
esac
port=18080
EUCDOC_DATA_DIR="$work/data" EUCDOC_LOG=warn \
  "$bin" serve --listen "127.0.0.1:$port" >"$work/stdout" 2>"$work/stderr" &
server=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
token="$(cat "$work/data/dev-token")"
# RSS, its anonymous part (the heap; the rest is mapped files such as the binary), and the
# highest RSS so far: the reading after a round comes once the requests in flight are done.
rss() { awk '/VmHWM/ {p = $2} /VmRSS/ {r = $2} /RssAnon/ {a = $2} END {print r / 1024 " MB (anonymous " a / 1024 " MB; peak so far " p / 1024 " MB)"}' "/proc/$server/status"; }
# The server's CPU time (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
ticks_per_second="$(getconf CLK_TCK)"
echo "RSS at start: $(rss)"
for round in $(seq 1 "$rounds"); do
  echo "== issue (round $round of $rounds): $issue_n one-page certificates ($documents), $conc connections"
  before="$(cpu_ticks)"
  oha --no-tui -n "$issue_n" -c "$conc" -m POST -H "Authorization: Bearer $token" \
    -T application/json "${bodies[@]}" "http://127.0.0.1:$port/v1/documents" \
    | grep -E "Success rate|Requests/sec|Slowest|Fastest|Average|50.00%|99.00%|\[2|\[4|\[5"
  echo "CPU per document: $(awk -v t="$(( $(cpu_ticks) - before ))" -v n="$issue_n" -v hz="$ticks_per_second" 'BEGIN {printf "%.1f ms", 1000 * t / hz / n}')"
  echo "RSS after $((round * issue_n)) documents: $(rss)"
done
id="$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/documents?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"][0]["id"])')"
curl -sf -H "Authorization: Bearer $token" -o "$work/doc.pdf" "http://127.0.0.1:$port/v1/documents/$id/pdf"
echo "== verify: $verify_n requests, $conc connections"
oha --no-tui -n "$verify_n" -c "$conc" -m POST -H "Authorization: Bearer $token" \
  -T application/pdf -D "$work/doc.pdf" "http://127.0.0.1:$port/v1/verify" \
  | grep -E "Success rate|Requests/sec|Slowest|Fastest|Average|50.00%|99.00%|\[2|\[4|\[5"
echo "RSS after verifying: $(rss)"
