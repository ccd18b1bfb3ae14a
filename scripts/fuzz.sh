#!/bin/sh
# Run the cargo-fuzz targets of fuzz/ for SECONDS each (all targets, or the
# ones named), on the nightly toolchain. Stops at the first crash, hang or
# out-of-memory: the input is copied to fuzz/regressions/<target>/ (commit
# it: `cargo test --test fuzz_parsers` replays it on stable) and the script
# exits 1. Prints each target's executions; see docs/fuzzing.md.
#
#   scripts/fuzz.sh 60                 # every target, 60 s each
#   scripts/fuzz.sh 600 log_parsers    # one target, 10 minutes
#
# Needs `rustup toolchain install nightly` and `cargo install cargo-fuzz`.
set -eu

if [ $# -lt 1 ] || ! [ "$1" -gt 0 ] 2>/dev/null; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
secs=$1
shift
cd "$(dirname "$0")/.."
root=$(pwd)

if [ $# -gt 0 ]; then
    targets="$*"
else
    targets=$(cargo +nightly fuzz list)
fi

# Build every target first so that the budget is spent fuzzing.
cargo +nightly fuzz build

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in $targets; do
    corpus="$root/fuzz/corpus/$t"
    seeds="$root/fuzz/seeds/$t"
    artifacts="$root/fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    set -- "$corpus"
    [ -d "$seeds" ] && set -- "$@" "$seeds"
    before=$(ls "$artifacts" | grep -cE '^(crash|oom|timeout|leak)-' || true)
    start=$(date +%s)
    if cargo +nightly fuzz run "$t" "$@" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
        echo "fuzz $t: ${runs:-?} runs in $(($(date +%s) - start)) s, corpus $(ls "$corpus" | wc -l) inputs, no crash"
    else
        tail -n 40 "$log" >&2
        if [ "$(ls "$artifacts" | grep -cE '^(crash|oom|timeout|leak)-' || true)" -eq "$before" ]; then
            echo "fuzz $t: cargo fuzz failed without a crash input (see above)" >&2
            exit 1
        fi
        mkdir -p "$root/fuzz/regressions/$t"
        # The input libFuzzer just saved: the newest failure artifact.
        input=$(ls -t "$artifacts" | grep -E '^(crash|oom|timeout|leak)-' | head -n 1)
        cp "$artifacts/$input" "$root/fuzz/regressions/$t/$input"
        echo "fuzz $t: FAILED; input saved as fuzz/regressions/$t/$input" >&2
        echo "reproduce: cargo +nightly fuzz run $t fuzz/regressions/$t/$input" >&2
        exit 1
    fi
done
