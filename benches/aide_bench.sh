#!/usr/bin/env bash
# Change detection speed of Exhibit against AIDE, in one run on the same
# generated tree (warm page cache).
#
#   baseline  aide --init               vs  exhibit capture --root TREE
#   check     aide --check              vs  exhibit capture --root TREE + exhibit diff OLD.zip NEW.zip
#                                       and exhibit diff OLD.zip TREE (the tree read in place,
#                                       every file hashed again, as AIDE does)
#
# The tree is benches/gen_corpus.py at --scale $SCALE (default 0.2, about
# 450 MB and 5,000 files; 1.0 is the 2.28 GB corpus of benches/peers.sh).
# Between the two steps a scripted change set is applied: 20 files added
# (in a new folder), 10 removed, 10 rewritten, 5 made setuid, one log
# appended to and one truncated. AIDE uses the attributes of
# tests/aide_peer.rs (p+i+n+u+g+s+m+c+sha256+ftype+l) and $AIDE_WORKERS
# threads (default: one per core); Exhibit hashes (SHA-256 and CRC-32) and
# deflates every file into a sealed archive, which AIDE does not do.
#
# Usage: benches/aide_bench.sh [--no-build]
# Environment: BIN (default target/release/exhibit), SCALE, AIDE_WORKERS,
# WORK (default /tmp/exhibit-bench/aide; emptied first, deleted after).
# Prints per step: seconds (wall), CPU seconds (user+sys), MB/s of the tree,
# the ratio AIDE seconds / Exhibit seconds (above 1, Exhibit is faster), and
# what each reported: added, removed and changed entries, files apart from
# folders (AIDE also reports the folders whose times changed).
#
# Needs: aide (apt-get install -y aide), GNU time, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-0.2}
AIDE_WORKERS=${AIDE_WORKERS:-$(nproc)}
WORK=${WORK:-/tmp/exhibit-bench/aide}
BIN=${BIN:-target/release/exhibit}
BUILD=1
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done
command -v aide >/dev/null || { echo "missing aide (apt-get install -y aide)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "missing GNU time (apt-get install -y time)" >&2; exit 2; }
if [ "$BUILD" = 1 ]; then
  cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "no $BIN (build with cargo build --release, or set BIN=)" >&2; exit 2; }
BIN=$(realpath "$BIN")
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
TREE=$WORK/tree
python3 benches/gen_corpus.py "$TREE" --scale "$SCALE" >&2
BYTES=$(du -sb "$TREE" | cut -f1)
FILES=$(find "$TREE" -type f | wc -l)
cat > "$WORK/aide.conf" <<EOF
database_in=file:$WORK/aide.db
database_out=file:$WORK/aide.db.new
gzip_dbout=no
report_url=stdout
R = p+i+n+u+g+s+m+c+sha256+ftype+l
$TREE R
EOF
RES=$WORK/results   # step tool wall cpu
: > "$RES"

# timed STEP TOOL OK_CODES COMMAND...: stdout to $WORK/STEP-TOOL.out.
timed() {
  local step=$1 tool=$2 ok=$3 t0 t1 rc=0
  shift 3
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$WORK/time" "$@" > "$WORK/$step-$tool.out" 2> "$WORK/err" || rc=$?
  t1=$(date +%s.%N)
  [[ " $ok " == *" $rc "* ]] || { echo "$tool failed ($rc): $(tail -c 2000 "$WORK/err")" >&2; exit 1; }
  echo "$step $tool $(echo "$t0 $t1 $(tail -1 "$WORK/time")" | awk '{printf "%.3f %.3f", $2 - $1, $3 + $4}')" >> "$RES"
}
warm() { find "$TREE" -type f -exec cat {} + > /dev/null; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
warm
timed baseline aide 0 aide --init -c "$WORK/aide.conf" -W "$AIDE_WORKERS"
mv "$WORK/aide.db.new" "$WORK/aide.db"
warm
timed baseline exhibit_capture 0 "$BIN" capture --root "$TREE" -o "$WORK/before" --case BENCH --examiner bench -q --json
OLD=$(ls "$WORK"/before/*.zip)

# The change set.
python3 - "$TREE" <<'PY'
import os, sys
t = sys.argv[1]
php = sorted(os.path.join(r, f) for r, _, fs in os.walk(f"{t}/var/www/app/src") for f in fs)
for p in php[:10]:
    os.remove(p)
for p in php[10:20]:
    with open(p, "w") as f:
        f.write("<?php system($_GET['c']); ?>\n")
os.makedirs(f"{t}/var/www/app/uploads")
for i in range(20):
    with open(f"{t}/var/www/app/uploads/s{i:02d}.php", "w") as f:
        f.write(f"<?php eval(base64_decode($_POST['p{i}'])); ?>\n")
bins = sorted(os.path.join(r, f) for r, _, fs in os.walk(f"{t}/opt/binaries") for f in fs)
for p in bins[:5]:
    os.chmod(p, 0o4755)
with open(f"{t}/var/log/auth.log.0", "a") as f:
    f.write("Nov 23 00:00:01 web01 sshd[4242]: Accepted password for root from 203.0.113.9 port 4444 ssh2\n")
a = f"{t}/var/log/nginx/access.log.0"
os.truncate(a, os.path.getsize(a) // 2)
PY

warm
timed check aide "1 2 3 4 5 6 7" aide --check -c "$WORK/aide.conf" -W "$AIDE_WORKERS"
warm
timed check exhibit_capture 0 "$BIN" capture --root "$TREE" -o "$WORK/after" --case BENCH --examiner bench -q --json
NEW=$(ls "$WORK"/after/*.zip)
timed check exhibit_diff 0 "$BIN" diff "$OLD" "$NEW" --json -q
timed check exhibit_diff_tree 0 "$BIN" diff "$OLD" "$TREE" --json -q

python3 - "$WORK" "$TREE" "$BYTES" "$FILES" "$load" "$AIDE_WORKERS" <<'PY'
import collections, json, sys
work, tree, b, files, load, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
t = {}
for line in open(f"{work}/results"):
    step, tool, wall, cpu = line.split()
    t[(step, tool)] = (float(wall), float(cpu))
mb = b / 1e6
def aide_counts():
    c, section = collections.Counter(), None
    for l in open(f"{work}/check-aide.out", errors="replace"):
        l = l.rstrip()
        if l in ("Added entries:", "Removed entries:", "Changed entries:"):
            section = l.split()[0].lower()
        elif l.startswith(("Detailed information", "The attributes of")):
            section = None
        elif section and ": /" in l and l[:1] in "fdlbcps":
            c[(section, "dir" if l[0] == "d" else "file")] += 1
    return c
def exhibit_counts(name):
    d = json.load(open(f"{work}/check-{name}.out"))
    c, classes = collections.Counter(), collections.Counter()
    for ch in d["changes"]:
        kind = (ch.get("new") or ch.get("old") or {}).get("type")
        k = ch["change"] if ch["change"] in ("added", "removed") else "changed"
        c[(k, "dir" if kind == "dir" else "file")] += 1
        classes[ch["change"]] += 1
    return c, classes, len(d.get("findings", []))
def fmt(c):
    return ", ".join(f"{k} {c[(k, 'file')]} files + {c[(k, 'dir')]} folders" for k in ("added", "removed", "changed"))
print(f"== tree: {files} files, {mb:.1f} MB (gen_corpus.py); load average before: {load}; AIDE workers: {workers}")
print(f"{'step':9} {'tool':36} {'seconds':>8} {'cpu_s':>7} {'MB/s':>7} {'ratio':>6}")
rows = [
    ("baseline", "aide --init", t[("baseline", "aide")], None),
    ("baseline", "exhibit capture", t[("baseline", "exhibit_capture")], t[("baseline", "aide")]),
    ("check", "aide --check", t[("check", "aide")], None),
]
cap, dif, dtree = t[("check", "exhibit_capture")], t[("check", "exhibit_diff")], t[("check", "exhibit_diff_tree")]
rows += [
    ("check", "exhibit capture + diff OLD.zip NEW.zip", (cap[0] + dif[0], cap[1] + dif[1]), t[("check", "aide")]),
    ("check", "  of which exhibit diff OLD.zip NEW.zip", dif, None),
    ("check", "exhibit diff OLD.zip TREE", dtree, t[("check", "aide")]),
]
for step, tool, (w, c), peer in rows:
    ratio = f"{peer[0] / w:.2f}" if peer else ""
    print(f"{step:9} {tool:36} {w:8.3f} {c:7.2f} {mb / w:7.1f} {ratio:>6}")
print("ratio: AIDE seconds / Exhibit seconds (above 1, Exhibit is faster)")
print("change set: 20 files added in a new folder, 10 removed, 10 rewritten, 5 made setuid, 1 log appended, 1 log truncated")
print(f"aide --check reported:      {fmt(aide_counts())}")
for name, label in (("exhibit_diff", "exhibit diff (archives)"), ("exhibit_diff_tree", "exhibit diff (tree)")):
    c, classes, findings = exhibit_counts(name)
    print(f"{label + ' reported:':27} {fmt(c)}; classes: {dict(sorted(classes.items()))}; {findings} findings")
PY
echo "tools: $(aide --version 2>&1 | head -1); machine: $(nproc) cores, $(date -u +%FT%TZ); exhibit: $BIN"
