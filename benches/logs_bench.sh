#!/usr/bin/env bash
# Parse + detect throughput of `exhibit logs` against `grep -c` over the same
# plain-text logs, in one run. The corpus is the real logs in
# $DATA (default /work/shared/data/logs), copied $COPIES times into a
# scratch folder so the run lasts long enough to measure.
#
# Usage: benches/logs_bench.sh [--no-build]
# Prints: corpus size, seconds and MB/s for grep and exhibit, the ratio, and
# exhibit's peak memory (when GNU time is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/work/shared/data/logs}
COPIES=${COPIES:-8}
WORK=${WORK:-$(mktemp -d /tmp/exhibit-logs-bench.XXXXXX)}
BIN=target/release/exhibit
if [ "${1:-}" != "--no-build" ]; then
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "no $BIN (build with cargo build --release)" >&2; exit 2; }
[ -d "$DATA" ] || { echo "no $DATA" >&2; exit 2; }

FILES=$(cd "$DATA" && ls loghub/*.log loghub_full/Linux.log secrepo/auth.log.gtkcyber_subset \
  elastic/apache_logs basjes/hackers-access.log honeynet_httpd/access_log* ocatak/*.txt 2>/dev/null)
for i in $(seq 1 "$COPIES"); do
  for f in $FILES; do
    mkdir -p "$WORK/c$i/$(dirname "$f")"
    cp "$DATA/$f" "$WORK/c$i/$f"
  done
done
BYTES=$(du -sb "$WORK" | cut -f1)
MB=$(python3 -c "print(f'{$BYTES/1e6:.1f}')")
cat $(find "$WORK" -type f) > /dev/null   # warm the page cache for both

now() { date +%s.%N; }
t0=$(now); LINES=$(find "$WORK" -type f -exec cat {} + | grep -c ''); t1=$(now)
t2=$(now); grep -c -r -F 'Failed password' "$WORK" > /dev/null || true; t3=$(now)
MEM=""
CPU=""
if /usr/bin/time -f '%M' true 2>/dev/null; then
  t4=$(now); /usr/bin/time -f '%M %U %S' -o "$WORK.rss" "$BIN" logs -q --json "$WORK" > "$WORK.json" || true; t5=$(now)
  read -r RSS USR SYS < "$WORK.rss"
  MEM="$RSS KiB"
  CPU=$(python3 -c "print($USR + $SYS)")
else
  t4=$(now); "$BIN" logs -q --json "$WORK" > "$WORK.json" || true; t5=$(now)
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
python3 - "$BYTES" "$LINES" "$t2" "$t3" "$t4" "$t5" "$MEM" "$WORK.json" "$CPU" <<'PY'
import json, sys
b, lines = int(sys.argv[1]), int(sys.argv[2])
g = float(sys.argv[4]) - float(sys.argv[3])
e = float(sys.argv[6]) - float(sys.argv[5])
doc = json.load(open(sys.argv[8]))
events = sum(s["events"] for s in doc["sources"])
unparsed = sum(s["unparsed"] for s in doc["sources"])
print(f"corpus: {b/1e6:.1f} MB, {lines} lines, {len(doc['sources'])} files")
print(f"grep -c -r -F 'Failed password': {g:.3f} s  {b/1e6/g:8.1f} MB/s")
print(f"exhibit logs --json (parse+detect): {e:.3f} s  {b/1e6/e:8.1f} MB/s  ({events} events, {unparsed} unparsed, {len(doc['findings'])} findings)")
print(f"ratio exhibit/grep throughput: {g/e:.3f}")
if sys.argv[9]:
    cpu = float(sys.argv[9])
    print(f"exhibit CPU time (user+sys): {cpu:.3f} s  = {b/1e6/cpu:.1f} MB per CPU-second")
if sys.argv[7]:
    print(f"exhibit peak RSS: {sys.argv[7]}")
PY
rm -rf "$WORK" "$WORK.json" "$WORK.rss"
