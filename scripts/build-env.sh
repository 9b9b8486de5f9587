# Sourced by the scripts that build kiln: where builds are kept between
# runs, and on an x86-64 CPU older than the one kiln is built for by
# default (.cargo/config.toml), a build for the first x86-64 instead.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln-target}"
if [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ] && [ -z "${RUSTFLAGS+set}" ]; then
    for flag in avx2 bmi2 fma; do
        if ! grep -qw "$flag" /proc/cpuinfo; then
            echo "note: this CPU has no $flag: building kiln for the first x86-64" >&2
            export RUSTFLAGS="-C target-cpu=x86-64"
            break
        fi
    done
fi
