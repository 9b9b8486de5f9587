#!/usr/bin/env bash
# Runs kiln's whole test suite: installs and starts the servers the remote
# tests talk to (Garage for S3, Azurite for Azure) on loopback, runs every
# test, and stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse builds and installed tools between runs on one machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln-target}"
export KILN_TOOLS="${KILN_TOOLS:-$HOME/.cache/kiln-tools}"

if [ -f scripts/servers.sh ]; then
    # shellcheck source=scripts/servers.sh
    . scripts/servers.sh
    trap servers_stop EXIT
    servers_start
fi

cargo test --locked "$@"
