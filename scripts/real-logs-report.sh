#!/usr/bin/env bash
# What the detections find on each real log in /work/shared/data/logs (when
# present): per file or folder, the source counts and the findings that
# matter for a breach story, so the numbers can be checked by hand.
# Usage: scripts/real-logs-report.sh [EXHIBIT]
set -euo pipefail
DATA=${DATA:-/work/shared/data/logs}
BIN=${1:-target/debug/exhibit}
[ -d "$DATA" ] || { echo "no $DATA: nothing to report" >&2; exit 0; }
for src in loghub/OpenSSH_2k.log loghub/Linux_2k.log loghub/Apache_2k.log loghub_full/Linux.log \
           secrepo/auth.log.gtkcyber_subset elastic/apache_logs basjes/hackers-access.log \
           honeynet_httpd ocatak plaso_testdata; do
  [ -e "$DATA/$src" ] || continue
  "$BIN" logs -q --json --evidence 1 "$DATA/$src" | python3 "$(dirname "$0")/real_logs_summary.py" "$src"
done
