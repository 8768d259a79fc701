#!/usr/bin/env bash
# Renders every example and rasterises its first page into docs/, so that a change to a template
# is seen (compare the PNGs in the diff). Needs pdftoppm (poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for example in examples/*.json; do
  name="$(basename "$example" .json)"
  cargo run --quiet -- render "$example" -o "$tmp/$name.pdf" --at 2026-03-02T09:30:00Z
  pdftoppm -r 100 -png -singlefile -f 1 -l 1 "$tmp/$name.pdf" "$out/$name"
  echo "$out/$name.png"
done
