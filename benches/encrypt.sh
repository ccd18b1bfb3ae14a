#!/usr/bin/env bash
# What encrypting the evidence costs, side by side with the standard age
# CLI, in one run on the same tree (warm page cache after the first read).
#
#   benches/encrypt.sh [TREE] [RUNS]
#
# TREE defaults to /usr/share; each measure runs RUNS times (default 3) and
# the median is printed with its MB/s (of the archive) and its ratio to the
# plain capture. Measures:
#   capture          exhibit capture TREE                      (plain .zip)
#   capture+age      exhibit capture TREE --encrypt-to R       (.zip.age, encrypted while written)
#   capture, then age -r   the plain capture, then `age -r R` of the .zip (what one would
#                          do without --encrypt-to; leaves a plaintext copy on disk)
#   verify           exhibit verify X.zip
#   verify --identity      exhibit verify X.zip.age --identity KEY (decrypts to a temp file)
#   age -d | sha256sum     the standard CLI decrypting the same archive and hashing it
# Needs age and age-keygen (Debian: age).
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${1:-/usr/share}
RUNS=${2:-3}
BIN=${BIN:-$PWD/target/release/exhibit}
[ -x "$BIN" ] || cargo build --release --no-default-features --quiet
W=$(mktemp -d /tmp/exhibit-encrypt-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
age-keygen -o "$W/key.txt" 2>/dev/null
R=$(age-keygen -y "$W/key.txt")

# median of RUNS timings of "$@" (seconds, 3 decimals); OUT is emptied first
median() {
  local times=()
  for _ in $(seq "$RUNS"); do
    rm -rf "$W/out"; mkdir -p "$W/out"
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

cap() { "$BIN" capture "$TREE" -o "$W/out" --case BENCH --examiner bench --no-live -q "$@"; }
cap_then_age() { cap && age -r "$R" -o "$W/out/x.zip.age" "$W/out"/*.zip; }

# Warm the page cache and keep one archive of each kind for the verify runs.
mkdir -p "$W/keep"
"$BIN" capture "$TREE" -o "$W/keep" --case BENCH --examiner bench --no-live -q >/dev/null 2>&1
"$BIN" capture "$TREE" -o "$W/keep" --case BENCH --examiner bench --no-live -q --encrypt-to "$R" >/dev/null 2>&1
PLAIN=$(ls "$W"/keep/*.zip)
ENC=$(ls "$W"/keep/*.zip.age)
SIZE=$(stat -c %s "$PLAIN")

t_cap=$(median cap)
t_enc=$(median cap --encrypt-to "$R")
t_then=$(median cap_then_age)
t_ver=$(median "$BIN" verify "$PLAIN")
t_veri=$(median "$BIN" verify "$ENC" --identity "$W/key.txt")
t_aged=$(median sh -c "age -d -i '$W/key.txt' '$ENC' | sha256sum")

mbs() { echo "scale=1; $SIZE / 1000000 / $1" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }
echo "tree: $TREE   archive: $((SIZE / 1000000)) MB   runs: $RUNS (median)   cores: $(nproc)"
printf '%-26s %8s %10s %8s\n' measure seconds "MB/s" ratio
printf '%-26s %8.2f %10s %8s\n' "capture" "$t_cap" "$(mbs "$t_cap")" 1.00
printf '%-26s %8.2f %10s %8s\n' "capture --encrypt-to" "$t_enc" "$(mbs "$t_enc")" "$(ratio "$t_enc" "$t_cap")"
printf '%-26s %8.2f %10s %8s\n' "capture, then age -r" "$t_then" "$(mbs "$t_then")" "$(ratio "$t_then" "$t_cap")"
printf '%-26s %8.2f %10s %8s\n' "verify .zip" "$t_ver" "$(mbs "$t_ver")" "$(ratio "$t_ver" "$t_cap")"
printf '%-26s %8.2f %10s %8s\n' "verify .zip.age --identity" "$t_veri" "$(mbs "$t_veri")" "$(ratio "$t_veri" "$t_cap")"
printf '%-26s %8.2f %10s %8s\n' "age -d | sha256sum" "$t_aged" "$(mbs "$t_aged")" "$(ratio "$t_aged" "$t_cap")"
