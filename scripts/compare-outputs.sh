#!/usr/bin/env bash
# Refactoring check: run two builds of exhibit on the same evidence and
# compare every machine-readable output byte for byte.
#
#   scripts/compare-outputs.sh OLD_EXHIBIT NEW_EXHIBIT [WORKDIR]
#
# Builds a before/after server tree (accounts, a web shell, grown and
# rewritten logs, a wtmp, a setuid file) from tests/data/logs, captures both
# with NEW (once, so both builds read the same archives), then runs
# verify, diff (folders and archives), scan, logs, logs events, timeline,
# custody show and show with each build. Prints SAME or DIFF per output;
# a folder snapshot's `taken_at` (the time it was read) is ignored.
# Exit code 1 when any output differs.
set -euo pipefail
OLD=$(realpath "${1:?old exhibit binary}")
NEW=$(realpath "${2:?new exhibit binary}")
W=${3:-$(mktemp -d)}
DATA=$(cd "$(dirname "$0")/../tests/data/logs" && pwd)
F=$W/fx
rm -rf "$F"; mkdir -p "$F/old" "$F/new"
for r in old new; do
  d=$F/$r
  mkdir -p "$d/etc" "$d/var/log" "$d/var/www/html" "$d/root" "$d/tmp"
  printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n' > "$d/etc/passwd"
  printf 'root:x:0:\nsudo:x:27:\n' > "$d/etc/group"
  echo web01 > "$d/etc/hostname"
  echo '<?php echo 1; ?>' > "$d/var/www/html/index.php"
  head -n 300 "$DATA/secrepo_auth.log_3000" > "$d/var/log/auth.log"
  head -n 300 "$DATA/elastic_apache_logs_1000" > "$d/var/log/access.log"
  echo 'export PATH' > "$d/root/.bashrc"
done
d=$F/new
printf 'toor:x:0:0::/root:/bin/bash\n' >> "$d/etc/passwd"
printf 'sudo:x:27:www-data\n' > "$d/etc/group"
echo "<?php eval(base64_decode(\$_POST['c'])); ?>" > "$d/var/www/html/shell.php"
head -n 900 "$DATA/secrepo_auth.log_3000" > "$d/var/log/auth.log"
: > "$d/root/.bash_history"
cp "$DATA/utmp_wtmp.1" "$d/var/log/wtmp"
printf '\x7fELF\x02\x01\x01' > "$d/tmp/.x"; chmod 4755 "$d/tmp/.x"
find "$F" -type f -exec touch -d '2026-11-01 10:00:00 UTC' {} +
for r in old new; do
  "$NEW" capture --root "$F/$r" --case G --examiner Golden --output "$F/arch-$r" --json >/dev/null 2>&1
done
A_OLD=$(ls "$F"/arch-old/*.zip); A_NEW=$(ls "$F"/arch-new/*.zip)

run() { # BIN OUTDIR
  local x=$1 o=$2; mkdir -p "$o"
  { "$x" verify "$A_NEW" --json > "$o/verify.json"; echo "verify $?"
    "$x" diff "$F/old" "$F/new" --json > "$o/diff-dirs.json"; echo "diff-dirs $?"
    "$x" diff "$A_OLD" "$A_NEW" --json > "$o/diff-archives.json"; echo "diff-archives $?"
    "$x" scan "$F/new" --json > "$o/scan-dir.json"; echo "scan-dir $?"
    "$x" scan "$A_NEW" --json > "$o/scan-archive.json"; echo "scan-archive $?"
    "$x" logs "$F/new/var/log" "$A_NEW" --json -q > "$o/logs.json"; echo "logs $?"
    "$x" logs "$DATA" --json -q > "$o/logs-data.json"; echo "logs-data $?"
    "$x" logs events "$A_NEW" > "$o/events.jsonl"; echo "events $?"
    "$x" timeline "$A_OLD" "$A_NEW" -q > "$o/timeline.jsonl"; echo "timeline $?"
    "$x" custody show "$A_NEW" --json > "$o/custody.json"; echo "custody $?"
    "$x" show "$A_NEW" --json > "$o/show.json"; echo "show $?"
  } > "$o/exit-codes" 2>/dev/null
  sed -i -E 's/"taken_at": ?"[^"]*"/"taken_at": "-"/g' "$o/diff-dirs.json" "$o/scan-dir.json"
}
set +e
run "$OLD" "$W/out-old"
run "$NEW" "$W/out-new"
status=0
for f in "$W"/out-old/*; do
  b=$(basename "$f")
  if cmp -s "$f" "$W/out-new/$b"; then
    echo "SAME $b ($(wc -c < "$f") bytes)"
  else
    echo "DIFF $b"; status=1
  fi
done
echo "outputs in $W/out-old and $W/out-new"
exit $status
