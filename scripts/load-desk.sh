#!/usr/bin/env bash
# Load test of the officers' desk pages with oha (installed with cargo when missing): server-side
# render time of the sign-in page, the check page, the registry and a document's page, signed in,
# on a fresh data folder with a few issued documents. Not part of CI: run it and report. Release
# build. Usage: scripts/load-desk.sh [REQUESTS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-5000}"
conc="${2:-16}"
command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18081
EUCDOC_DATA_DIR="$work/data" EUCDOC_LOG=warn \
  "${CARGO_TARGET_DIR:-target}/release/eucdoc" serve --listen "127.0.0.1:$port" >"$work/stdout" 2>"$work/stderr" &
server=$!
base="http://127.0.0.1:$port"
until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done
token="$(cat "$work/data/dev-token")"
for _ in $(seq 1 30); do
  curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @examples/end-user-certificate.json "$base/v1/documents" >"$work/issued.json"
done
id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/issued.json")"
# Sign in as a browser does: the form's CSRF token and its cookie, then the token.
curl -sf -c "$work/jar" "$base/desk/sign-in" >"$work/sign-in.html"
csrf="$(grep -o 'name="csrf" value="[^"]*"' "$work/sign-in.html" | head -1 | sed 's/.*value="//;s/"//')"
curl -sf -b "$work/jar" -c "$work/jar" -d "csrf=$csrf&token=$token" "$base/desk/sign-in" >/dev/null
session="$(awk '$6 == "eucdoc_desk" {print $7}' "$work/jar")"
[ -n "$session" ] || { echo "no session cookie"; exit 1; }
for page in /desk/sign-in /desk/ /desk/registry "/desk/documents/$id"; do
  echo "== GET $page: $n requests, $conc connections"
  oha --no-tui -n "$n" -c "$conc" -H "Cookie: eucdoc_desk=$session" "$base$page" \
    | grep -E "Success rate|Requests/sec|Slowest|Average|50.00%|99.00%|\[2|\[3|\[4|\[5"
done
