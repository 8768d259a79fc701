#!/usr/bin/env bash
# Times `eucdoc archive refresh` (release build) over N documents issued at PAdES B-T by a
# development service, with a local TSA (`openssl ts -reply` behind
# tests/support/openssl_responder.py). Usage: scripts/bench-refresh.sh [N]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-200}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet --bin eucdoc
eucdoc="$target/release/eucdoc"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
data="$work/data"
port=$((20000 + RANDOM % 20000))
serve() {
  EUCDOC_DATA_DIR="$data" EUCDOC_LOG=warn "$eucdoc" serve --listen "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
}
# The first start writes the development PKI, whose TSA key the TSA uses.
serve
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
pki="$data/dev-pki"
cat "$pki/nca.pem" "$pki/root.pem" >"$work/chain.pem"
echo 01 >"$work/serial"
cat >"$work/tsa.cnf" <<CNF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = $work/serial
crypto_device = builtin
signer_cert = $pki/tsa.pem
certs = $work/chain.pem
signer_key = $pki/tsa-key.pem
signer_digest = sha256
default_policy = 1.2.398.3.3.2.6
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
python3 tests/support/openssl_responder.py tsa "$work/tsa.cnf" >"$work/tsa.port" &
pids+=($!)
until [ -s "$work/tsa.port" ]; do sleep 0.1; done
tsa="http://127.0.0.1:$(head -1 "$work/tsa.port")/tsa"
printf '[signing]\nlevel = "b-t"\ntsa_url = "%s"\n' "$tsa" >"$work/b-t.toml"
EUCDOC_CONFIG="$work/b-t.toml" serve
token="$(cat "$data/dev-token")"
for _ in $(seq "$count"); do
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @examples/end-user-certificate.json "http://127.0.0.1:$port/v1/documents"
done
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
echo "refreshing $count B-T documents (each: validation data from the development CRLs, one TSA request, archive write, registry commit)"
start=$(date +%s.%N)
EUCDOC_DATA_DIR="$data" EUCDOC_LOG=warn "$eucdoc" archive refresh --horizon 30d --tsa "$tsa" | tail -1
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3]); print(f'{s:.2f} s, {1000*s/n:.1f} ms per document, {n/s:.0f} documents/s')" "$start" "$end" "$count"
# A second run reads and checks every document; none is due.
start=$(date +%s.%N)
EUCDOC_DATA_DIR="$data" EUCDOC_LOG=warn "$eucdoc" archive refresh --horizon 30d --tsa "$tsa" | tail -1
end=$(date +%s.%N)
python3 -c "import sys; print(f'second run (nothing due): {float(sys.argv[2])-float(sys.argv[1]):.2f} s')" "$start" "$end"
