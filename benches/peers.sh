#!/usr/bin/env bash
# Capture and verify speed of Exhibit against the tools responders use
# today, side by side in one run on the same corpus (warm page cache).
#
#   benches/peers.sh [--no-build] [CORPUS_DIR] [WORK_DIR]
#
# Builds the release binary (unless --no-build), generates the corpus if
# missing (benches/gen_corpus.py; keep it between runs), then times each
# command after a warm-up read and prints seconds (wall), CPU seconds
# (user+sys), output size, compression ratio, throughput and peak memory
# (the largest process's, GNU time's maximum resident set), then the
# issue's targets as ratios. Needs: tar, zip, unzip, pigz, zstd, sha256sum,
# GNU time (apt-get install zip unzip pigz zstd time).
#
# Environment:
#   RUNS=N       run every command N times, interleaved (run 1 of each,
#                then run 2 of each, ...), and print the median of each
#                column (default 1); on a busy machine compare the ratios.
#   ONLY="a b"   run only these commands (names as printed, e.g.
#                ONLY="exhibit_capture tar_pigz tar_zstd"); the targets
#                whose commands did not run are left out.
#   EXHIBIT=path the binary to time (default target/release/exhibit).
#   ALT="name=path ..."  also time `capture` (default options) with other
#                builds, as rows exhibit_<name>, in the same runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=1
if [ "${1:-}" = --no-build ]; then BUILD=0; shift; fi
CORPUS=${1:-/tmp/exhibit-bench/corpus}
WORK=${2:-/tmp/exhibit-bench/work}
RUNS=${RUNS:-1}
EXHIBIT=${EXHIBIT:-$PWD/target/release/exhibit}
[ "$BUILD" = 1 ] && cargo build --release --no-default-features --quiet
[ -d "$CORPUS" ] || python3 benches/gen_corpus.py "$CORPUS"
for t in tar zip unzip pigz zstd sha256sum bc; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }; done
[ -x /usr/bin/time ] || { echo "missing GNU time (/usr/bin/time)" >&2; exit 2; }
rm -rf "$WORK"; mkdir -p "$WORK"
BYTES=$(du -sb "$CORPUS" | cut -f1)
FILES=$(find "$CORPUS" -type f | wc -l)
echo "corpus: $CORPUS  $FILES files, $BYTES bytes; $(nproc) cores; $(date -u +%FT%TZ); runs: $RUNS"
# Warm the page cache so every tool reads from memory.
tar -cf - "$CORPUS" 2>/dev/null | cat >/dev/null

ALL="exhibit_capture exhibit_store tar_sha256sum find_sha256sum tar_file tar_file_sync zip_r1 tar_pigz tar_zstd verify_deflate verify_store unzip_sha256_deflate unzip_sha256_store unzip_t_deflate"
declare -A ALTBIN
for a in ${ALT:-}; do ALTBIN[exhibit_${a%%=*}]=${a#*=}; ALL="$ALL exhibit_${a%%=*}"; done
ONLY=${ONLY:-$ALL}
wanted() { [[ " $ONLY " == *" $1 "* ]]; }

declare -A T C S M
run() { # name, output file ('' for none), command...
  local name=$1 out=$2; shift 2
  wanted "$name" || return 0
  sync
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$WORK/$name.cpu" "$@" >/dev/null 2>"$WORK/$name.err" || { echo "$name failed: $(tail -3 "$WORK/$name.err")" >&2; exit 1; }
  e=$(date +%s.%N)
  T[$name]="${T[$name]:-} $(echo "$e - $s" | bc)"
  C[$name]="${C[$name]:-} $(awk '{print $1 + $2}' "$WORK/$name.cpu")"
  M[$name]="${M[$name]:-} $(awk '{print $3 / 1024}' "$WORK/$name.cpu")"
  S[$name]=$( [ -n "$out" ] && [ -e "$out" ] && du -b --apparent-size "$out" | cut -f1 || echo 0)
}
capture() { # name, binary, options...
  local name=$1 bin=$2; shift 2
  wanted "$name" || return 0
  rm -rf "$WORK/$name"
  run "$name" "" "$bin" capture "$CORPUS" -o "$WORK/$name" --case BENCH --examiner bench -q "$@"
  S[$name]=$(du -b --apparent-size "$WORK/$name"/*.zip | cut -f1)
}
cd "$WORK"
for ((i = 1; i <= RUNS; i++)); do
  capture exhibit_capture "$EXHIBIT"
  for n in "${!ALTBIN[@]}"; do capture "$n" "${ALTBIN[$n]}"; done
  capture exhibit_store "$EXHIBIT" --store
  run tar_sha256sum "" bash -c "tar -cf - '$CORPUS' | sha256sum"
  run find_sha256sum "" bash -c "find '$CORPUS' -type f -print0 | xargs -0 sha256sum"
  run tar_file "$WORK/out.tar" tar -cf "$WORK/out.tar" "$CORPUS"
  rm -f "$WORK/out-sync.tar"; sync
  run tar_file_sync "$WORK/out-sync.tar" bash -c "tar -cf '$WORK/out-sync.tar' '$CORPUS' && sync -f '$WORK/out-sync.tar'"
  rm -f "$WORK/out-sync.tar" "$WORK/out.zip"
  run zip_r1 "$WORK/out.zip" zip -r -1 -q "$WORK/out.zip" "$CORPUS"
  run tar_pigz "$WORK/out.tar.gz" bash -c "tar -cf - '$CORPUS' | pigz -1 -p2 > '$WORK/out.tar.gz'"
  run tar_zstd "$WORK/out.tar.zst" bash -c "tar -cf - '$CORPUS' | zstd -1 -T2 -q > '$WORK/out.tar.zst'"
  EX_ARCHIVE=$(ls "$WORK"/exhibit_capture/*.zip 2>/dev/null || true)
  EXS_ARCHIVE=$(ls "$WORK"/exhibit_store/*.zip 2>/dev/null || true)
  if [ -n "$EX_ARCHIVE" ]; then
    run verify_deflate "" "$EXHIBIT" verify "$EX_ARCHIVE" -q
    run unzip_sha256_deflate "" bash -c "unzip -p '$EX_ARCHIVE' | sha256sum"
    run unzip_t_deflate "" unzip -tq "$EX_ARCHIVE"
  fi
  if [ -n "$EXS_ARCHIVE" ]; then
    run verify_store "" "$EXHIBIT" verify "$EXS_ARCHIVE" -q
    run unzip_sha256_store "" bash -c "unzip -p '$EXS_ARCHIVE' | sha256sum"
  fi
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A MT MC
printf '\n%-22s %9s %9s %12s %8s %10s %8s\n' command seconds cpu_s output_MB ratio MB/s rss_MB
for n in $ALL; do
  [ -n "${T[$n]:-}" ] || continue
  MT[$n]=$(echo "${T[$n]}" | median)
  MC[$n]=$(echo "${C[$n]}" | median)
  ratio=$( [ "${S[$n]}" != 0 ] && echo "scale=2; $BYTES / ${S[$n]}" | bc || echo -)
  printf '%-22s %9.2f %9.2f %12.1f %8s %10.0f %8.0f\n' "$n" "${MT[$n]}" "${MC[$n]}" "$(echo "${S[$n]} / 1048576" | bc -l)" "$ratio" "$(echo "$BYTES / ${MT[$n]} / 1000000" | bc -l)" "$(echo "${M[$n]}" | median)"
done
r() { echo "scale=2; $1 / $2" | bc; }
have() { local h; for h in "$@"; do [ -n "${MT[$h]:-}" ] || return 1; done; }
echo
echo "targets (issue: capture, archive and verify):"
have zip_r1 exhibit_capture && echo "  zip -r -1 / exhibit capture          = $(r ${MT[zip_r1]} ${MT[exhibit_capture]})x   (target >= 3)"
have exhibit_capture tar_pigz && echo "  exhibit capture / tar|pigz -1 -p2    = $(r ${MT[exhibit_capture]} ${MT[tar_pigz]})x   (target <= 1)"
have exhibit_capture tar_zstd && echo "  exhibit capture / tar|zstd -1 -T2    = $(r ${MT[exhibit_capture]} ${MT[tar_zstd]})x   (target <= 1; CPU seconds: $(r ${MC[exhibit_capture]} ${MC[tar_zstd]})x)"
have exhibit_capture tar_pigz && echo "  exhibit archive / pigz output        = $(r ${S[exhibit_capture]} ${S[tar_pigz]})x   (target <= 1.02)"
for n in "${!ALTBIN[@]}"; do
  have "$n" tar_zstd && echo "  $n / tar|zstd -1 -T2  = $(r ${MT[$n]} ${MT[tar_zstd]})x  CPU $(r ${MC[$n]} ${MC[tar_zstd]})x; size / pigz = $(have tar_pigz && r ${S[$n]} ${S[tar_pigz]})x"
done
have exhibit_store tar_file && echo "  exhibit --store / tar -cf OUT.tar    = $(r ${MT[exhibit_store]} ${MT[tar_file]})x   (target <= 1.2; tar does not sync)"
have exhibit_store tar_file_sync && echo "  exhibit --store / tar -cf && sync    = $(r ${MT[exhibit_store]} ${MT[tar_file_sync]})x   (both durable on disk)"
have verify_store && echo "  verify stored payload                = $(echo "$BYTES / ${MT[verify_store]} / 1000000000" | bc -l | cut -c1-4) GB/s (target >= 1)"
have unzip_sha256_deflate verify_deflate && echo "  unzip -p|sha256sum / exhibit verify  = $(r ${MT[unzip_sha256_deflate]} ${MT[verify_deflate]})x   (deflated; target >= 2)"
exit 0
