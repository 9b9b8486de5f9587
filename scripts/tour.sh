#!/usr/bin/env bash
# A tour of kiln's main job on the bundled fixtures, in a throw-away git
# repository: version a dataset, validate it against its schema, push it to
# a local-folder remote and pull it back, run a pipeline step and show its
# lineage, and go back to an old version.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/build-env.sh
. "$root/scripts/build-env.sh"
# From the root, so that cargo reads the repository's .cargo/config.toml.
(cd "$root" && cargo build --quiet --bin kiln)
bin="$CARGO_TARGET_DIR/debug/kiln"
kiln() { "$bin" "$@"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/kiln-tour.XXXXXX")"
say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
step() { printf '\033[1m$ %s\033[0m\n' "$*"; "$@"; }
# A step that is meant to fail, to show what failure looks like.
refused() { printf '\033[1m$ %s\033[0m\n' "$*"; if "$@"; then echo "(unexpectedly passed)"; exit 1; else echo "(exit $?, as expected)"; fi; }

mkdir "$work/repo"
cd "$work/repo"
git init -q -b main
git config user.name "kiln tour"
git config user.email "tour@example.com"
mkdir -p data schemas
cp "$root/fixtures/train/train.csv" data/train.csv
cp -R "$root/fixtures/tour/images" data/images
cp "$root/fixtures/schemas/train.yaml" schemas/train.yaml

say "Version the data: the bytes go to the store, small pointers go to git"
step kiln init
step kiln remote add shelf "$work/remote" --default
step kiln add data/train.csv --schema schemas/train.yaml
step kiln add data/images
step cat data/train.csv.kiln
step kiln check
git add -A && git commit -qm "data v1"
v1=$(git rev-parse HEAD)
step kiln push

say "A new version arrives with a bad label and a tiny image: kiln refuses it"
cp "$root/fixtures/train/train-v2.csv" data/train.csv
refused kiln check data/train.csv --schema schemas/train.yaml
refused kiln add data/train.csv

say "Fix it, change the images, and record version 2"
cp "$root/fixtures/train/train.csv" data/train.csv
echo "13,img/0013.jpg,cat,train,640,480,2024-03-13T10:00:00Z" >> data/train.csv
rm data/images/b.txt
echo "a new image" > data/images/d.txt
step kiln status --granular
step kiln add data/train.csv data/images
git add -A && git commit -qm "data v2"
step kiln diff "$v1" HEAD
step kiln diff --stats "$v1" HEAD -- data/train.csv

say "Push to a local-folder remote, lose the local store, pull it back"
step kiln push
rm -rf .kiln/cache data/images
step kiln pull
step kiln status

say "A second clone pulls one file of the images folder, and adds to it"
git clone -q . "$work/clone"
(
    cd "$work/clone"
    step kiln pull data/images/a.txt
    step ls data/images
    step kiln status
    echo "another image" > data/images/e.txt
    step kiln add data/images/e.txt
    step kiln status
)

say "Run a pipeline step: kiln records its inputs, outputs and code commit"
step kiln run -n train-split --shell -d data/train.csv -o data/train-only.csv -- \
    "awk -F, 'NR == 1 || \$4 == \"train\"' data/train.csv > data/train-only.csv"
git add -A && git commit -qm "train split"
step kiln lineage data/train-only.csv
step kiln lineage data/train-only.csv --format mermaid

say "Go back to version 1 (its bytes come back from the remote) and return"
step git checkout -q "$v1"
step kiln pull
step kiln status
step git checkout -q main
step kiln checkout

say "A dataset of shards is one table: a key repeated across shards is found"
mkdir data/shards
head -1 data/train.csv > header.csv
for part in 1 2 3; do
    { cat header.csv; sed -n "$((part * 4 - 2)),$((part * 4 + 1))p" data/train.csv; } > "data/shards/part-$part.csv"
done
# A fourth shard, compressed, repeats a row of the first.
{ cat header.csv; sed -n 2p data/train.csv; } | gzip > data/shards/part-4.csv.gz
rm header.csv
refused kiln add data/shards --schema schemas/train.yaml
rm data/shards/part-4.csv.gz
step kiln add data/shards --schema schemas/train.yaml
step kiln check data/shards

echo
echo "tour finished in $work"
