#!/usr/bin/env bash
# Peak memory (RSS) and time of capture, verify, show, scan and diff on a
# tree of many small files, with the tools a responder would otherwise use
# side by side.
#
#   benches/memory.sh [N] [WORK]          N files (default 1000000)
#   MODE=meta benches/memory.sh [N]       N metadata-only entries instead:
#                                         a metadata-sweep capture (--root)
#                                         of N names hard-linked to a few
#                                         hundred empty files (few inodes)
#   STEPS="capture verify" ...            only these steps (default: all)
#   EXHIBIT=path/to/exhibit ...           this binary (default: a release
#                                         build of this tree)
#   KEEP=1 ...                            keep the tree and the archives
#
# Every step runs under GNU time (`/usr/bin/time`): peak RSS is the
# largest resident set of the command or of any process of its pipeline.
# The tree goes under WORK (default /tmp/exhibit-mem) and is deleted at the
# end unless KEEP=1: 1M files of a few bytes take 1M inodes (check
# `df -i`) and ~4 GB of 4 KiB blocks; 10M metadata entries take ~10M
# directory entries but only N/10000 inodes.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
WORK=${2:-/tmp/exhibit-mem}
MODE=${MODE:-files}
STEPS=${STEPS:-"peers capture verify show scan diff"}
if [ -z "${EXHIBIT:-}" ]; then
  cargo build --release --no-default-features --features sqlite --quiet
  EXHIBIT=$PWD/target/release/exhibit
fi
TIME=/usr/bin/time
[ -x $TIME ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
mkdir -p "$WORK"
TREE=$WORK/tree-$MODE-$N
OUT=$WORK/out-$MODE-$N
LOG=$WORK/log-$MODE-$N
mkdir -p "$LOG"

need_inodes=$N
[ "$MODE" = meta ] && need_inodes=$((N / 10000 + 1000))
free_inodes=$(df --output=iavail "$WORK" | tail -1 | tr -d " ")
if [ ! -d "$TREE" ] && [ "$free_inodes" -lt $((need_inodes + 100000)) ]; then
  echo "only $free_inodes free inodes under $WORK, need about $need_inodes" >&2
  exit 2
fi

# The tree: 1000 names per directory.
if [ ! -d "$TREE" ]; then
  echo "generating $TREE ($MODE, $N entries)..." >&2
  python3 - "$TREE" "$N" "$MODE" <<'EOF'
import os, sys
root, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
per_dir = 1000
os.makedirs(root + ".tmp", exist_ok=True)
base = os.path.join(root + ".tmp", "data") if mode == "meta" else root + ".tmp"
os.makedirs(base, exist_ok=True)
links = []
if mode == "meta":
    # ext4 allows 65,000 links per inode: 10,000 names per empty file.
    for k in range(n // 10000 + 1):
        p = os.path.join(root + ".tmp", "base%05d" % k)
        open(p, "wb").close()
        links.append(p)
for i in range(n):
    d = os.path.join(base, "d%05d" % (i // per_dir))
    if i % per_dir == 0:
        os.mkdir(d)
    p = os.path.join(d, "f%07d.txt" % i)
    if mode == "meta":
        os.link(links[i // 10000], p)
    else:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"file %d\n" % i)
        os.close(fd)
os.rename(root + ".tmp", root)
EOF
fi

declare -A RSS SECS
run() { # name, command... (stdout discarded, stderr kept in $LOG/name.err)
  local name=$1; shift
  sync
  if ! $TIME -f '%M %e' -o "$LOG/$name.time" "$@" >"$LOG/$name.out" 2>"$LOG/$name.err"; then
    # verify/scan/diff exit 1 for findings: only a crash or 2 is a failure.
    local rc; rc=$(grep -o 'exited with non-zero status [0-9]*' "$LOG/$name.time" | grep -o '[0-9]*$' || echo ?)
    if [ "$rc" != 1 ]; then
      echo "$name failed ($rc): $(tail -3 "$LOG/$name.err")" >&2
      RSS[$name]=-; SECS[$name]=-; return 0
    fi
  fi
  read -r kb s < <(tail -1 "$LOG/$name.time")
  RSS[$name]=$((kb / 1024)); SECS[$name]=$s
  printf '%-28s %8s MB %9s s\n' "$name" "${RSS[$name]}" "${SECS[$name]}" >&2
}
has() { case " $STEPS " in *" $1 "*) return 0;; esac; return 1; }

# Warm the page cache: every tool reads from memory.
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true

ARGS=("$TREE")
[ "$MODE" = meta ] && ARGS=(--root "$TREE" --profile metadata-sweep --no-live)
A=""; B=""
if has capture || has verify || has show || has scan || has diff; then
  if has capture || [ ! -d "$OUT/a" ]; then
    rm -rf "$OUT/a"
    run capture "$EXHIBIT" capture "${ARGS[@]}" -o "$OUT/a" --case MEM --examiner bench -q
  fi
  A=$(ls "$OUT"/a/*.zip)
fi
if has peers; then
  if [ "$MODE" = files ]; then
    run peer_tar_gzip bash -c "tar -cf - '$TREE' | gzip -1 > '$WORK/peer.tar.gz'"
    run peer_find_sha256sum bash -c "find '$TREE' -type f -print0 | xargs -0 sha256sum > '$WORK/peer.sha256'"
    run peer_sha256sum_c sha256sum -c --quiet "$WORK/peer.sha256"
    rm -f "$WORK/peer.tar.gz"
  else
    run peer_find_ls bash -c "find '$TREE' -printf '%p|%i|%m|%U|%G|%s|%A@|%T@|%C@\n' > '$WORK/peer.list'"
    run peer_sort_list bash -c "sort '$WORK/peer.list' > '$WORK/peer.sorted'"
    rm -f "$WORK/peer.list" "$WORK/peer.sorted"
  fi
fi
if [ -n "$A" ]; then
  if [ -n "${RSS[peer_tar_gzip]:-}" ] || has verify; then :; fi
  has verify && run verify "$EXHIBIT" verify "$A" -q
  has verify && run peer_unzip_t unzip -tqq "$A"
  has verify && run peer_7z_t 7z t -bd "$A"
  has show && run show "$EXHIBIT" show "$A"
  has show && run show_sweep "$EXHIBIT" show --sweep "$A"
  has show && run peer_zipinfo bash -c "zipinfo -1 '$A' | wc -l"
  has scan && run scan "$EXHIBIT" scan "$A" -q
fi
if has diff && [ -n "$A" ]; then
  # The second snapshot: 100 files changed, 100 added, 100 removed.
  python3 - "$TREE" "$MODE" <<'EOF'
import os, sys
root, mode = sys.argv[1], sys.argv[2]
base = os.path.join(root, "data") if mode == "meta" else root
d = os.path.join(base, "d00000")
names = sorted(os.listdir(d))
for n in names[:100]:
    with open(os.path.join(d, n), "ab") as f:
        f.write(b"changed\n")
for n in names[100:200]:
    os.unlink(os.path.join(d, n))
os.makedirs(os.path.join(base, "new"), exist_ok=True)
for i in range(100):
    with open(os.path.join(base, "new", "n%03d" % i), "wb") as f:
        f.write(b"new\n")
EOF
  rm -rf "$OUT/b"
  $EXHIBIT capture "${ARGS[@]}" -o "$OUT/b" --case MEM --examiner bench -q --evidence E02 >/dev/null
  B=$(ls "$OUT"/b/*.zip)
  run diff "$EXHIBIT" diff "$A" "$B" -q
  run diff_no_findings "$EXHIBIT" diff "$A" "$B" -q --no-findings
  if [ "$MODE" = files ]; then
    run peer_sort_comm bash -c "find '$TREE' -type f -print0 | xargs -0 sha256sum | sort -k2 > '$WORK/peer.b' && sort -k2 '$WORK/peer.sha256' > '$WORK/peer.a' && comm -3 '$WORK/peer.a' '$WORK/peer.b' | wc -l"
  fi
fi

echo
echo "mode=$MODE N=$N  $(nproc) cores  $(date -u +%FT%TZ)  $("$EXHIBIT" --version 2>/dev/null || true)"
[ -n "$A" ] && echo "archive: $(du -b --apparent-size "$A" | cut -f1) bytes"
printf '%-28s %10s %10s\n' step peak_MB seconds
for k in capture peer_tar_gzip peer_find_sha256sum peer_find_ls peer_sort_list \
         verify peer_unzip_t peer_7z_t peer_sha256sum_c show show_sweep peer_zipinfo scan \
         diff diff_no_findings peer_sort_comm; do
  [ -n "${RSS[$k]:-}" ] && printf '%-28s %10s %10s\n' "$k" "${RSS[$k]}" "${SECS[$k]}"
done
if [ -z "${KEEP:-}" ]; then
  rm -rf "$TREE" "$OUT" "$WORK"/peer.*
fi
