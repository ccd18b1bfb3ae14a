#!/usr/bin/env bash
# Capture and verify speed of Exhibit against the tools responders use
# today, side by side in one run on the same corpus (warm page cache).
#
#   benches/peers.sh [CORPUS_DIR] [WORK_DIR]
#
# Builds the release binary, generates the corpus if missing
# (benches/gen_corpus.py), then times each command once after a warm-up
# read and prints seconds, output size, compression ratio and the ratio to
# Exhibit's default capture. Needs: tar, zip, unzip, pigz, zstd, sha256sum
# (apt-get install zip unzip pigz zstd).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-/tmp/exhibit-bench/corpus}
WORK=${2:-/tmp/exhibit-bench/work}
cargo build --release --no-default-features --quiet
EXHIBIT=$PWD/target/release/exhibit
[ -d "$CORPUS" ] || python3 benches/gen_corpus.py "$CORPUS"
for t in tar zip unzip pigz zstd sha256sum; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }; done
rm -rf "$WORK"; mkdir -p "$WORK"
BYTES=$(du -sb "$CORPUS" | cut -f1)
FILES=$(find "$CORPUS" -type f | wc -l)
echo "corpus: $CORPUS  $FILES files, $BYTES bytes; $(nproc) cores; $(date -u +%FT%TZ)"
# Warm the page cache so every tool reads from memory.
tar -cf - "$CORPUS" 2>/dev/null | cat >/dev/null

declare -A T S
run() { # name, output file ('' for none), command...
  local name=$1 out=$2; shift 2
  sync
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null 2>"$WORK/$name.err" || { echo "$name failed: $(tail -3 "$WORK/$name.err")" >&2; exit 1; }
  e=$(date +%s.%N)
  T[$name]=$(echo "$e - $s" | bc)
  S[$name]=$( [ -n "$out" ] && [ -e "$out" ] && du -b --apparent-size "$out" | cut -f1 || echo 0)
}
cd "$WORK"
run exhibit_capture "" "$EXHIBIT" capture "$CORPUS" -o "$WORK/ex" --case BENCH --examiner bench -q
EX_ARCHIVE=$(ls "$WORK"/ex/*.zip); S[exhibit_capture]=$(du -b --apparent-size "$EX_ARCHIVE" | cut -f1)
run exhibit_store "" "$EXHIBIT" capture "$CORPUS" -o "$WORK/exs" --store --case BENCH --examiner bench -q
EXS_ARCHIVE=$(ls "$WORK"/exs/*.zip); S[exhibit_store]=$(du -b --apparent-size "$EXS_ARCHIVE" | cut -f1)
run tar_sha256sum "" bash -c "tar -cf - '$CORPUS' | sha256sum"
run find_sha256sum "" bash -c "find '$CORPUS' -type f -print0 | xargs -0 sha256sum"
run tar_file "$WORK/out.tar" tar -cf "$WORK/out.tar" "$CORPUS"
rm -f "$WORK/out-sync.tar"; sync
run tar_file_sync "$WORK/out-sync.tar" bash -c "tar -cf '$WORK/out-sync.tar' '$CORPUS' && sync -f '$WORK/out-sync.tar'"
rm -f "$WORK/out-sync.tar"
run zip_r1 "$WORK/out.zip" zip -r -1 -q "$WORK/out.zip" "$CORPUS"
run tar_pigz "$WORK/out.tar.gz" bash -c "tar -cf - '$CORPUS' | pigz -1 -p2 > '$WORK/out.tar.gz'"
run tar_zstd "$WORK/out.tar.zst" bash -c "tar -cf - '$CORPUS' | zstd -1 -T2 -q > '$WORK/out.tar.zst'"
run verify_deflate "" "$EXHIBIT" verify "$EX_ARCHIVE" -q
run verify_store "" "$EXHIBIT" verify "$EXS_ARCHIVE" -q
run unzip_sha256_deflate "" bash -c "unzip -p '$EX_ARCHIVE' | sha256sum"
run unzip_sha256_store "" bash -c "unzip -p '$EXS_ARCHIVE' | sha256sum"
run unzip_t_deflate "" unzip -tq "$EX_ARCHIVE"

printf '\n%-22s %9s %12s %8s %10s\n' command seconds output_MB ratio MB/s
for n in exhibit_capture exhibit_store tar_sha256sum find_sha256sum tar_file tar_file_sync zip_r1 tar_pigz tar_zstd verify_deflate verify_store unzip_sha256_deflate unzip_sha256_store unzip_t_deflate; do
  ratio=$( [ "${S[$n]}" != 0 ] && echo "scale=2; $BYTES / ${S[$n]}" | bc || echo -)
  printf '%-22s %9.2f %12.1f %8s %10.0f\n' "$n" "${T[$n]}" "$(echo "${S[$n]} / 1048576" | bc -l)" "$ratio" "$(echo "$BYTES / ${T[$n]} / 1000000" | bc -l)"
done
r() { echo "scale=2; $1 / $2" | bc; }
echo
echo "targets (issue: capture, archive and verify):"
echo "  zip -r -1 / exhibit capture          = $(r ${T[zip_r1]} ${T[exhibit_capture]})x   (target >= 3)"
echo "  exhibit capture / tar|pigz -1 -p2    = $(r ${T[exhibit_capture]} ${T[tar_pigz]})x   (target <= 1)"
echo "  exhibit archive / pigz output        = $(r ${S[exhibit_capture]} ${S[tar_pigz]})x   (target <= 1.15)"
echo "  exhibit --store / tar -cf OUT.tar    = $(r ${T[exhibit_store]} ${T[tar_file]})x   (target <= 1.2; tar does not sync)"
echo "  exhibit --store / tar -cf && sync    = $(r ${T[exhibit_store]} ${T[tar_file_sync]})x   (both durable on disk)"
echo "  verify stored payload                = $(echo "$BYTES / ${T[verify_store]} / 1000000000" | bc -l | cut -c1-4) GB/s (target >= 1)"
echo "  unzip -p|sha256sum / exhibit verify  = $(r ${T[unzip_sha256_deflate]} ${T[verify_deflate]})x   (deflated; target >= 2)"
