#!/usr/bin/env bash
# A tour of kiln's main job on the bundled fixtures: version a dataset in a
# fresh git repository, change it, see the change, and go back in time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln-target}"
cargo build --quiet --manifest-path "$root/Cargo.toml" --bin kiln
bin="$CARGO_TARGET_DIR/debug/kiln"
kiln() { "$bin" "$@"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/kiln-tour.XXXXXX")"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
cd "$work"
git init -q -b main
git config user.name "kiln tour"
git config user.email "tour@example.com"
mkdir -p data
cp -R "$root/fixtures/tour/." data/

step kiln init
step kiln add data/train.csv data/images
step cat data/images.kiln
git add -A && git commit -qm "data v1"
v1=$(git rev-parse HEAD)

echo "9,new,row" >> data/train.csv
rm data/images/b.txt
echo "a new image" > data/images/d.txt
step kiln status --granular
step kiln add data/train.csv data/images
git add -A && git commit -qm "data v2"
step kiln diff "$v1" HEAD

step git checkout -q "$v1"
step kiln checkout
step kiln status
step git checkout -q main
step kiln checkout

echo
echo "tour finished in $work"
