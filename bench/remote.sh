#!/usr/bin/env bash
# Times kiln and DVC (with dvc-s3) pushing to and pulling from the same
# one-node Garage on loopback: 20,000 files of 50 KiB, and one 1 GiB file.
# Run through `python3 bench/bench.py remote`, which builds kiln and the
# virtualenv first. Each tool gets fresh random data, so Garage's
# deduplication favours neither.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln-target}"
kiln="$CARGO_TARGET_DIR/release/kiln"
dvc="$root/bench/work/venv/bin/dvc"
work="$root/bench/work/remote"
# shellcheck source=../scripts/servers.sh
. "$root/scripts/servers.sh"
trap servers_stop EXIT
servers_start
export AWS_ACCESS_KEY_ID=$KILN_TEST_S3_KEY_ID AWS_SECRET_ACCESS_KEY=$KILN_TEST_S3_SECRET
rm -rf "$work"
mkdir -p "$work/trash"

seconds() {
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc
}

data() { # data KIND DIR
    if [ "$1" = many ]; then
        python3 -c 'import os, sys
root = sys.argv[1]
for i in range(20000):
    d = os.path.join(root, f"d{i % 20:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(51200))' "$2/data/many"
        echo data/many
    else
        head -c $((1 << 30)) /dev/urandom >"$2/data/big.bin"
        echo data/big.bin
    fi
}

# `bash bench/remote.sh big` times only the 1 GiB file (by hand).
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(many big)
for kind in "${kinds[@]}"; do
    r="$work/kiln-$kind"
    mkdir -p "$r/data"
    cd "$r"
    git init -q -b main
    "$kiln" init >/dev/null
    path=$(data "$kind" "$r")
    "$kiln" -q add "$path"
    "$kiln" remote add g "s3://$KILN_TEST_S3_BUCKET/kiln-$kind" --default >/dev/null
    for kv in "endpoint $KILN_TEST_S3_ENDPOINT" "region garage" "allow-http true"; do
        # shellcheck disable=SC2086
        "$kiln" remote modify g $kv >/dev/null
    done
    echo "kiln push $kind: $(seconds "$kiln" -q push)"
    echo "kiln no-op push $kind: $(seconds "$kiln" -q push)"
    # Moving the store aside, not deleting it: a just-deleted tree slows
    # file creation on this file system for minutes.
    mv .kiln/cache "$work/trash/kiln-cache-$kind"
    mv "$path" "$work/trash/kiln-data-$kind"
    rm -rf .kiln/state
    echo "kiln pull $kind: $(seconds "$kiln" -q pull)"

    r="$work/dvc-$kind"
    mkdir -p "$r/data"
    cd "$r"
    git init -q -b main
    "$dvc" init -q
    "$dvc" config core.analytics false
    path=$(data "$kind" "$r")
    "$dvc" add -q "$path"
    "$dvc" remote add -d g "s3://$KILN_TEST_S3_BUCKET/dvc-$kind" >/dev/null
    "$dvc" remote modify g endpointurl "$KILN_TEST_S3_ENDPOINT"
    "$dvc" remote modify g region garage
    echo "dvc push $kind: $(seconds "$dvc" push -q)"
    echo "dvc no-op push $kind: $(seconds "$dvc" push -q)"
    mv .dvc/cache "$work/trash/dvc-cache-$kind"
    mv "$path" "$work/trash/dvc-data-$kind"
    echo "dvc pull $kind: $(seconds "$dvc" pull -q)"
done
