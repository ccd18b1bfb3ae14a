#!/usr/bin/env bash
# Parse + detect throughput of `exhibit logs` against `grep -c` over the same
# plain-text logs, in one run.
#
# Two corpora:
#   real       the real logs in $DATA (default /work/shared/data/logs),
#              copied $COPIES times (default 8) into a scratch folder;
#   synthetic  $SYNTH_MB MB (default 1000) of generated auth.log and
#              access.log lines (benches/gen_logs.py) with brute forces,
#              scans and downloads in them.
# Each measure runs $RUNS times (default 3); the median is reported, with
# the load average before the runs (the machine is shared: compare figures
# taken at similar load).
#
# Usage: benches/logs_bench.sh [--no-build] [real|synthetic|both]
# Prints per corpus: size, lines; grep -c seconds and MB/s; exhibit seconds,
# MB/s, events/s, CPU seconds and MB per CPU-second, peak RSS (GNU time);
# the ratio of exhibit's throughput to grep's. Scratch files are deleted.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/work/shared/data/logs}
COPIES=${COPIES:-8}
RUNS=${RUNS:-3}
SYNTH_MB=${SYNTH_MB:-1000}
BIN=${BIN:-target/release/exhibit}
BUILD=1
WHICH=both
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    real|synthetic|both) WHICH=$a ;;
    *) echo "usage: $0 [--no-build] [real|synthetic|both]" >&2; exit 2 ;;
  esac
done
if [ "$BUILD" = 1 ]; then
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "no $BIN (build with cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 2; }

now() { date +%s.%N; }

# bench NAME DIR
bench() {
  local name=$1 dir=$2 out
  out=$(mktemp -d /tmp/exhibit-logs-bench-out.XXXXXX)
  cat $(find "$dir" -type f) > /dev/null   # warm the page cache for both
  local bytes lines load
  bytes=$(find "$dir" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
  lines=$(find "$dir" -type f -exec cat {} + | grep -c '' || true)
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  for r in $(seq 1 "$RUNS"); do
    local t0 t1 t2 t3
    t0=$(now); grep -c -r -F 'Failed password' "$dir" > /dev/null || true; t1=$(now)
    echo "$t0 $t1" >> "$out/grep"
    t2=$(now)
    /usr/bin/time -v -o "$out/time.$r" "$BIN" logs -q --json "$dir" > "$out/json.$r" || true
    t3=$(now)
    echo "$t2 $t3" >> "$out/exhibit"
  done
  python3 - "$name" "$bytes" "$lines" "$load" "$out" "$RUNS" <<'PY'
import json, re, statistics, sys
name, b, lines, load, out, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
def walls(f):
    return [float(y) - float(x) for x, y in (l.split() for l in open(f"{out}/{f}"))]
g = statistics.median(walls("grep"))
e = statistics.median(walls("exhibit"))
cpu, rss = [], []
for r in range(1, runs + 1):
    t = open(f"{out}/time.{r}").read()
    u = float(re.search(r"User time \(seconds\): ([0-9.]+)", t).group(1))
    s = float(re.search(r"System time \(seconds\): ([0-9.]+)", t).group(1))
    cpu.append(u + s)
    rss.append(int(re.search(r"Maximum resident set size \(kbytes\): ([0-9]+)", t).group(1)))
cpu, rss = statistics.median(cpu), statistics.median(rss)
doc = json.load(open(f"{out}/json.1"))
events = sum(s["events"] for s in doc["sources"])
unparsed = sum(s["unparsed"] for s in doc["sources"])
mb = b / 1e6
print(f"== {name}: {mb:.1f} MB, {lines} lines, {len(doc['sources'])} files; load average before: {load}; median of {runs}")
print(f"grep -c -r -F 'Failed password': {g:8.3f} s  {mb/g:8.1f} MB/s")
print(f"exhibit logs --json (parse+detect): {e:8.3f} s  {mb/e:8.1f} MB/s  {events/e:,.0f} events/s  ({events} events, {unparsed} unparsed, {len(doc['findings'])} findings)")
print(f"exhibit CPU (user+sys): {cpu:.3f} s = {mb/cpu:.1f} MB per CPU-second")
print(f"exhibit peak RSS: {rss/1024:.0f} MiB = {rss*1024/max(events,1):.0f} bytes per event")
print(f"ratio exhibit/grep throughput: {g/e:.3f}")
PY
  rm -rf "$out"
}

if [ "$WHICH" != synthetic ]; then
  [ -d "$DATA" ] || { echo "no $DATA" >&2; exit 2; }
  WORK=$(mktemp -d /tmp/exhibit-logs-bench.XXXXXX)
  FILES=$(cd "$DATA" && ls loghub/*.log loghub_full/Linux.log secrepo/auth.log.gtkcyber_subset \
    elastic/apache_logs basjes/hackers-access.log honeynet_httpd/access_log* ocatak/*.txt 2>/dev/null)
  for i in $(seq 1 "$COPIES"); do
    for f in $FILES; do
      mkdir -p "$WORK/c$i/$(dirname "$f")"
      cp "$DATA/$f" "$WORK/c$i/$f"
    done
  done
  bench "real logs x$COPIES" "$WORK"
  rm -rf "$WORK"
fi
if [ "$WHICH" != real ]; then
  WORK=$(mktemp -d /tmp/exhibit-logs-bench-synth.XXXXXX)
  python3 benches/gen_logs.py "$WORK" "$SYNTH_MB"
  bench "synthetic auth+access" "$WORK"
  rm -rf "$WORK"
fi
echo "machine: $(nproc) cores, $(date -u +%FT%TZ)"
