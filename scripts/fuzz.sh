#!/bin/sh
# Run the cargo-fuzz targets of fuzz/ for SECONDS each (all targets, or the
# ones named), on the nightly toolchain. Stops at the first crash, hang or
# out-of-memory: the input is copied to fuzz/regressions/<target>/ (commit
# it: `cargo test --test tests fuzz_parsers::` replays it on stable) and the script
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
    # -detect_leaks=0: the readers run worker threads (std::thread::scope),
    # and glibc frees a thread's TLS-destructor list only as the thread
    # exits, after the scope has returned; LeakSanitizer reports that as a
    # 32-byte leak now and then (seen in __cxa_thread_atexit_impl). Memory
    # blow-ups are still caught by -rss_limit_mb and -malloc_limit_mb.
    if cargo +nightly fuzz run "$t" "$@" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -detect_leaks=0 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
        echo "fuzz $t: ${runs:-?} runs in $(($(date +%s) - start)) s, corpus $(ls "$corpus" | wc -l) inputs, no crash"
    else
        # The sanitizer's or the panic's report (the input's dump that
        # cargo-fuzz prints after it can be long).
        sed -n '/==ERROR\|panicked at\|ERROR: libFuzzer/,/^SUMMARY/p' "$log" | head -n 60 >&2
        tail -n 5 "$log" >&2
        if [ "$(ls "$artifacts" | grep -cE '^(crash|oom|timeout|leak)-' || true)" -eq "$before" ]; then
            echo "fuzz $t: cargo fuzz failed without a crash input (see above)" >&2
            exit 1
        fi
        mkdir -p "$root/fuzz/regressions/$t"
        # The input libFuzzer just saved: the newest failure artifact.
        input=$(ls -t "$artifacts" | grep -E '^(crash|oom|timeout|leak)-' | head -n 1)
        cp "$artifacts/$input" "$root/fuzz/regressions/$t/$input"
        cp "$log" "$artifacts/$input.log"
        echo "fuzz $t: FAILED; input saved as fuzz/regressions/$t/$input" >&2
        echo "full log: fuzz/artifacts/$t/$input.log" >&2
        echo "reproduce: cargo +nightly fuzz run $t fuzz/regressions/$t/$input" >&2
        exit 1
    fi
done
