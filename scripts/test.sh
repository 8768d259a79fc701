#!/usr/bin/env bash
# Runs every check and test, from a fresh Debian machine with a Rust toolchain.
# Installs what the build and the tests need when it is missing: OpenSSL headers, poppler-utils,
# qpdf, zbar-tools, NSS tools (certutil, for pdfsig's trust store), python3 with venv, and pyHanko
# (from PyPI, pinned, in a venv outside the checkout so later runs reuse it), schemathesis,
# PostgreSQL (started on 127.0.0.1 when down), the OpenSSL gost engine, libfaketime, xmllint,
# Debian's chromium with chromium-driver (the desk's browser tests), axe-core from npm, and
# s3s-fs from crates.io (an S3 server for the archive).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
# The OpenSSL gost engine: the independent GOST oracle of tests/gost.rs.
openssl engine gost >/dev/null 2>&1 || missing+=(libengine-gost-openssl)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
# xmllint: the ETSI TS 119 102-2 reports are validated against ETSI's schema.
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
# libfaketime: tests/http.rs runs the service at a time inside the CA's test keys' validity.
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ] || missing+=(faketime)
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
# Headless Chromium and its WebDriver: the officers' desk is tested in a real browser.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! python3 -m venv --help >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq python3-venv
fi
venv="${EUCDOC_VENV:-/var/tmp/eucdoc-venv}"
if ! "$venv/bin/python" -c "import pyhanko, pyhanko_certvalidator" >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "pyHanko==0.38.0" "pyhanko-certvalidator==0.33.0"
fi
export EUCDOC_PYHANKO="$venv/bin/python"
# websockets: the NCALayer test double (tests/support/ncalayer_double.py).
if ! "$venv/bin/python" -c "import websockets" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q "websockets==15.0.1"
fi
if ! "$venv/bin/python" -c "import schemathesis" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
export EUCDOC_SCHEMATHESIS="$venv/bin/st"
# bagit: the Library of Congress' BagIt validator checks the archival packages (tests/archive.rs).
if ! "$venv/bin/python" -c "import bagit" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q "bagit==1.9.0"
fi
export EUCDOC_BAGIT="$venv/bin/bagit.py"
# Sickle: a real OAI-PMH harvester for /oai (tests/archive.rs).
if ! "$venv/bin/python" -c "import sickle" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q "sickle==0.7.0"
fi
export EUCDOC_SICKLE="$venv/bin/python"
# axe-core (npm, outside the checkout): the desk's pages are checked for accessibility in the browser.
npm_dir="${EUCDOC_NPM:-/var/tmp/eucdoc-npm}"
if [ ! -f "$npm_dir/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"; $sudo apt-get install -y -qq npm; }
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm install --silent --no-audit --no-fund axe-core@4.10.3)
fi
export EUCDOC_AXE="$npm_dir/node_modules/axe-core/axe.min.js"

# s3s-fs: a real S3-compatible server (built from crates.io; 0.14.1 is the newest for this
# toolchain) that holds the archive of two replicas in tests/http.rs.
tools="${CARGO_TARGET_DIR:-$PWD/target}/tools"
if [ ! -x "$tools/bin/s3s-fs" ]; then
  cargo install --quiet --locked --features binary --root "$tools" s3s-fs@0.14.1
fi
export EUCDOC_S3S_FS="$tools/bin/s3s-fs"

# A PostgreSQL server on 127.0.0.1 for the registry tests (Debian's cluster, started when down),
# with a role that may create the tests' databases.
if [ -z "${EUCDOC_TEST_POSTGRES:-}" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  cluster="$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')"
  if [ -z "$cluster" ]; then
    $sudo pg_createcluster 15 main >/dev/null
    cluster="15 main"
  fi
  # shellcheck disable=SC2086
  pg_lsclusters -h | awk 'NR==1 {print $4}' | grep -q online || $sudo pg_ctlcluster $cluster start
  port="$(pg_lsclusters -h | awk 'NR==1 {print $3}')"
  as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eucdoc_test') THEN
    CREATE ROLE eucdoc_test LOGIN PASSWORD 'eucdoc_test' CREATEDB;
  END IF;
END $$;
SQL
  export EUCDOC_TEST_POSTGRES="postgres://eucdoc_test:eucdoc_test@127.0.0.1:$port/postgres"
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# One build profile (dev, dependencies optimised: see Cargo.toml) for tests, benches in test
# mode and the binary.
cargo test --all-targets --locked
# The documentation's examples (`--all-targets` leaves them out).
cargo test --doc --locked
