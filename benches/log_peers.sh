#!/usr/bin/env bash
# Log parsing speed of `exhibit logs` against the log tools responders use
# (lnav, GoAccess, plaso's log2timeline), in one run, on the same files.
#
# A sibling of benches/logs_bench.sh (which measures Exhibit against
# `grep -c`, with medians and memory): the peers only read some shapes, so
# here each corpus is split by shape and every tool runs on the files it
# understands, with Exhibit timed on exactly the same files:
#   syslog   exhibit logs --json   vs  lnav -n -c ';SELECT count(*) FROM syslog_log'
#   access   exhibit logs --json   vs  lnav -n -c ';SELECT count(*) FROM access_log'
#                                  and goaccess --log-format=COMBINED -o report.json
#   subset   exhibit logs --json   vs  log2timeline (plaso) on the first
#            $PLASO_MB MB (default 4) of the syslog and access files, as
#            plaso is slow; plaso's fixed start-up time (an empty folder)
#            is printed beside it.
# Each tool's count of lines or events is printed beside Exhibit's (lines,
# parsed lines), so a ratio compares the same work.
#
# Corpora: `real` is the syslog and access logs of $DATA (default
# /work/shared/data/logs; loghub Linux and OpenSSH, secrepo auth.log,
# elastic, basjes and honeynet access logs; not loghub's Apache error log nor
# ocatak's quoted lines, which no peer reads) copied $COPIES times (default 8); `synthetic` is
# $SYNTH_MB MB (default 1000) from benches/gen_logs.py.
#
# Usage: benches/log_peers.sh [--no-build] [real|synthetic|both]
# Environment: BIN (default target/release/exhibit), DATA, COPIES,
# SYNTH_MB, PLASO_MB, RUNS (default 1; the median is printed), PLASO=0 to
# skip plaso, PLASO_VENV (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/exhibit-bench/plaso-venv).
# Prints per tool: seconds (wall), CPU seconds (user+sys, GNU time), MB/s,
# the count it reports, and the ratio exhibit/peer throughput (peer seconds
# divided by Exhibit's; above 1, Exhibit is faster).
#
# Needs: lnav, goaccess and GNU time (apt-get install -y lnav goaccess
# time), python3 with venv. plaso is installed from PyPI into PLASO_VENV on
# the first run (about 300 MB); if that fails the plaso row is skipped with
# the reason. Scratch files are deleted.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/work/shared/data/logs}
COPIES=${COPIES:-8}
SYNTH_MB=${SYNTH_MB:-1000}
PLASO_MB=${PLASO_MB:-4}
RUNS=${RUNS:-1}
PLASO=${PLASO:-1}
PLASO_VENV=${PLASO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/exhibit-bench/plaso-venv}
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
missing=()
for t in lnav goaccess python3; do command -v "$t" >/dev/null || missing+=("$t"); done
[ -x /usr/bin/time ] || missing+=("time (GNU, /usr/bin/time)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]} (apt-get install -y lnav goaccess time)" >&2
  exit 2
fi
if [ "$BUILD" = 1 ]; then
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "no $BIN (build with cargo build --release, or set BIN=)" >&2; exit 2; }
BIN=$(realpath "$BIN")

# plaso: a virtualenv made once; L2T/PINFO stay empty when it cannot be had.
L2T= PINFO= PLASO_WHY=
if [ "$PLASO" = 1 ]; then
  if [ ! -x "$PLASO_VENV/bin/pinfo" ] && [ ! -x "$PLASO_VENV/bin/pinfo.py" ]; then
    echo "installing plaso from PyPI into $PLASO_VENV (once)..." >&2
    { python3 -m venv "$PLASO_VENV" && "$PLASO_VENV/bin/pip" install -q --prefer-binary plaso; } >&2 \
      || PLASO_WHY="pip install plaso into $PLASO_VENV failed"
  fi
  for n in log2timeline log2timeline.py; do [ -x "$PLASO_VENV/bin/$n" ] && L2T=$PLASO_VENV/bin/$n && break; done
  for n in pinfo pinfo.py; do [ -x "$PLASO_VENV/bin/$n" ] && PINFO=$PLASO_VENV/bin/$n && break; done
  [ -n "$L2T" ] && [ -n "$PINFO" ] || { L2T=; PLASO_WHY=${PLASO_WHY:-no log2timeline/pinfo in $PLASO_VENV}; }
else
  PLASO_WHY="PLASO=0"
fi

SCRATCH=$(mktemp -d /tmp/exhibit-log-peers.XXXXXX)
mkdir -p "$SCRATCH/lnav-home"
trap 'rm -rf "$SCRATCH"' EXIT
RES=$SCRATCH/results   # one line per run: group tool wall cpu count parsed
: > "$RES"

# timed GROUP TOOL COMMAND... : runs COMMAND under GNU time, appends wall and
# CPU seconds to $SCRATCH/last (the count is added by the caller).
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  # Standard error is capped at 1 MB: a tool that loops on it is stopped.
  /usr/bin/time -f '%U %S' -o "$SCRATCH/time" "$@" > "$SCRATCH/out" 2> >(head -c 1000000 > "$SCRATCH/err") \
    || { echo "$1 failed: $(tail -c 2000 "$SCRATCH/err")" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t0 $t1 $(tail -1 "$SCRATCH/time")" | awk '{printf "%.3f %.3f", $2 - $1, $3 + $4}'
}
warm() { find "$@" -type f -exec cat {} + > /dev/null; }
files() { find "$@" -type f | sort; }
# exhibit_counts: lines and parsed lines from its JSON in $SCRATCH/out
exhibit_counts() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["sources"]; e=sum(s["events"] for s in d); print(e, e-sum(s["unparsed"] for s in d))' "$SCRATCH/out"
}
exhibit_row() { # GROUP DIR
  local w
  w=$(timed "$BIN" logs -q --json "$2")
  echo "$1 exhibit $w $(exhibit_counts)" >> "$RES"
}
lnav_row() { # GROUP TABLE DIR
  local w
  # A scratch HOME keeps the user's lnav formats and session out of it.
  w=$(HOME=$SCRATCH/lnav-home timed lnav -n -c ";SELECT count(*) FROM $2" $(files "$3"))
  echo "$1 lnav:$2 $w $(grep -Eo '[0-9]+' "$SCRATCH/out" | tail -1) -" >> "$RES"
}
goaccess_row() { # GROUP DIR
  local w
  # --num-tests=0: GoAccess 1.7 otherwise stops on a file whose first lines
  # do not parse (and can loop on them, writing errors without end).
  w=$(timed timeout 3600 goaccess --no-global-config --no-progress --num-tests=0 \
      --log-format=COMBINED -o "$SCRATCH/report.json" $(files "$2") < /dev/null)
  echo "$1 goaccess $w $(python3 -c 'import json,sys; g=json.loads(open(sys.argv[1],"rb").read().decode("utf-8","replace"))["general"]; print(g["total_requests"], g["valid_requests"])' "$SCRATCH/report.json")" >> "$RES"
}
plaso_row() { # GROUP DIR
  local w
  rm -f "$SCRATCH/l2t.plaso"
  # --logfile: plaso otherwise writes its log into the current folder.
  w=$(timed "$L2T" --status_view none --unattended --logfile "$SCRATCH/l2t.log.gz" \
      --parsers text/syslog,text/syslog_traditional,text/apache_access \
      --storage_file "$SCRATCH/l2t.plaso" "$2")
  "$PINFO" --output_format json "$SCRATCH/l2t.plaso" > "$SCRATCH/pinfo.json" 2>/dev/null
  echo "$1 log2timeline $w $(python3 -c '
import json, re, sys
t = open(sys.argv[1]).read()
m = re.search(r"\"parsers\": \{[^}]*\"total\": ([0-9]+)", t)
print(m.group(1) if m else 0)' "$SCRATCH/pinfo.json") -" >> "$RES"
}

# first_lines BYTES FILE...: whole lines from the start of FILEs, up to BYTES.
first_lines() {
  python3 -c '
import sys
left = int(sys.argv[1])
for p in sys.argv[2:]:
    for line in open(p, "rb"):
        if len(line) > left:
            sys.exit()
        sys.stdout.buffer.write(line)
        left -= len(line)' "$@"
}

# bench NAME DIR: DIR holds syslog/ and access/.
bench() {
  local name=$1 dir=$2 half r
  half=$((PLASO_MB * 500000))
  mkdir -p "$dir/subset"
  # The plaso subset: whole lines from the start of each shape's files.
  first_lines "$half" $(files "$dir/syslog") > "$dir/subset/syslog"
  first_lines "$half" $(files "$dir/access") > "$dir/subset/access.log"
  : > "$RES"
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  for r in $(seq 1 "$RUNS"); do
    warm "$dir/syslog"
    exhibit_row syslog "$dir/syslog"
    lnav_row syslog syslog_log "$dir/syslog"
    warm "$dir/access"
    exhibit_row access "$dir/access"
    lnav_row access access_log "$dir/access"
    goaccess_row access "$dir/access"
    if [ -n "$L2T" ]; then
      warm "$dir/subset"
      exhibit_row subset "$dir/subset"
      plaso_row subset "$dir/subset"
      [ "$r" = 1 ] && { mkdir -p "$SCRATCH/empty"; plaso_row startup "$SCRATCH/empty"; }
    fi
  done
  python3 - "$name" "$dir" "$load" "$RUNS" "$RES" "$PLASO_WHY" <<'PY'
import os, statistics, sys
name, d, load, runs, res, why = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
def size(sub):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(os.path.join(d, sub)) for f in fs)
rows = {}
for line in open(res):
    g, tool, wall, cpu, count, parsed = line.split()
    rows.setdefault((g, tool), []).append((float(wall), float(cpu), count, parsed))
print(f"== {name}; load average before: {load}; median of {runs} run(s)")
print(f"{'files':8} {'MB':>8} {'tool':22} {'seconds':>8} {'cpu_s':>7} {'MB/s':>8} {'lines/events':>12} {'parsed':>9} {'ratio':>6}")
for g, label in (("syslog", "syslog"), ("access", "access"), ("subset", "subset")):
    if (g, "exhibit") not in rows:
        continue
    mb = size(g) / 1e6
    ex = statistics.median(w for w, *_ in rows[(g, "exhibit")])
    for (gg, tool), rs in rows.items():
        if gg != g:
            continue
        w = statistics.median(x[0] for x in rs)
        c = statistics.median(x[1] for x in rs)
        count, parsed = rs[0][2], rs[0][3]
        ratio = "" if tool == "exhibit" else f"{w / ex:.2f}"
        print(f"{label:8} {mb:8.1f} {tool:22} {w:8.3f} {c:7.2f} {mb / w:8.1f} {count:>12} {parsed:>9} {ratio:>6}")
if ("startup", "log2timeline") in rows:
    w = rows[("startup", "log2timeline")][0][0]
    print(f"plaso start-up on an empty folder: {w:.2f} s (part of its subset time)")
elif why:
    print(f"log2timeline skipped: {why}")
print("ratio: exhibit/peer throughput (peer seconds / exhibit seconds); "
      "exhibit: lines read, parsed = lines less unparsed; lnav: messages in the table; "
      "goaccess: total requests, valid requests; log2timeline: events stored")
PY
}

# split_by_shape SRC DST: auth/syslog-shaped files to DST/syslog, access logs to DST/access.
if [ "$WHICH" != synthetic ]; then
  [ -d "$DATA" ] || { echo "no $DATA" >&2; exit 2; }
  W=$SCRATCH/real
  mkdir -p "$W/syslog" "$W/access"
  # Copy i leaves out the first i-1 lines: lnav opens identical files
  # once, so identical copies would give it an eighth of the work. Every
  # tool reads the same files, so the counts stay comparable.
  for i in $(seq 1 "$COPIES"); do
    for f in loghub_full/Linux.log loghub/Linux_2k.log loghub/OpenSSH_2k.log secrepo/auth.log.gtkcyber_subset; do
      tail -n "+$i" "$DATA/$f" >"$W/syslog/c$i-$(echo "$f" | tr / _)"
    done
    for f in elastic/apache_logs basjes/hackers-access.log $(cd "$DATA" && ls honeynet_httpd/access_log*); do
      tail -n "+$i" "$DATA/$f" >"$W/access/c$i-$(echo "$f" | tr / _)"
    done
  done
  bench "real logs x$COPIES" "$W"
  rm -rf "$W"
fi
if [ "$WHICH" != real ]; then
  W=$SCRATCH/synthetic
  python3 benches/gen_logs.py "$W/gen" "$SYNTH_MB" > /dev/null
  mkdir -p "$W/syslog" "$W/access"
  mv "$W"/gen/auth.log* "$W/syslog/"
  mv "$W"/gen/access.log* "$W/access/"
  bench "synthetic auth+access, $SYNTH_MB MB" "$W"
  rm -rf "$W"
fi
PLASO_VER=skipped
[ -n "$L2T" ] && PLASO_VER=$("$PLASO_VENV/bin/python" -c 'import plaso; print(plaso.__version__)')
echo "tools: $(lnav -V | head -1); $(goaccess --version | head -1 | sed 's/ - / /; s/\.$//'); plaso $PLASO_VER"
echo "machine: $(nproc) cores, $(date -u +%FT%TZ); exhibit: $BIN"
