#!/usr/bin/env bash
# Builds the binary systemd journal fixtures of tests/logs_journal.rs with
# systemd's own writer, systemd-journal-remote (Debian package
# systemd-journal-remote), from an export-format stream this script writes
# (systemd docs/JOURNAL_EXPORT_FORMATS.md): an SSH brute force from
# 203.0.113.7 and the login after it, a sudo root shell, a uid-0 account,
# a long (compressed) message, a binary multi-line message, a six-hour gap
# and a second boot.
#
# The journals are gzipped (journal-remote preallocates 8 MiB, mostly
# zeros); the tests decompress them. Usage:
#   bash scripts/make-journal-fixtures.sh [OUT_DIR]   (default tests/data/logs/journal)
set -euo pipefail
OUT=${1:-tests/data/logs/journal}
REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || { echo "needs $REMOTE (apt-get install systemd-journal-remote)" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

BOOT1=6b1f0c2a9d8e4f7a8c3b2a1908f7e6d5
BOOT2=0f9e8d7c6b5a49382716a5b4c3d2e1f0
T0=1763805600 # 2025-11-22T10:00:00Z
A=7200         # the attack begins two hours later

# entry SECONDS_AFTER_T0 BOOT IDENT PID UID UNIT TRANSPORT MESSAGE
entry() {
  local s=$1 boot=$2 ident=$3 pid=$4 uid=$5 unit=$6 transport=$7 msg=$8
  local mono=$(( (s % 100000) * 1000000 + 5000000 ))
  printf '__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n' \
    $(( (T0 + s) * 1000000 + s * 7 )) "$mono" "$boot"
  printf '_HOSTNAME=web1\n_TRANSPORT=%s\nSYSLOG_IDENTIFIER=%s\n_COMM=%s\n_PID=%s\n_UID=%s\n' \
    "$transport" "$ident" "$ident" "$pid" "$uid"
  [ -n "$unit" ] && printf '_SYSTEMD_UNIT=%s\n' "$unit"
  printf 'PRIORITY=6\nMESSAGE=%s\n\n' "$msg"
}

{
  # Ordinary activity: a cron job every minute for two hours.
  for i in $(seq 0 119); do
    entry $(( i * 60 )) $BOOT1 CRON $(( 2000 + i )) 0 cron.service syslog \
      "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"
  done
  # Ten failed passwords for root from one address, then a success.
  for i in $(seq 0 9); do
    entry $(( A + i * 3 )) $BOOT1 sshd 4242 0 ssh.service syslog \
      "Failed password for root from 203.0.113.7 port $(( 51000 + i )) ssh2"
  done
  entry $(( A + 35 )) $BOOT1 sshd 4300 0 ssh.service syslog \
    "Accepted password for deploy from 203.0.113.7 port 51022 ssh2"
  entry $(( A + 36 )) $BOOT1 sshd 4300 0 ssh.service syslog \
    "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)"
  entry $(( A + 100 )) $BOOT1 sudo 4400 1000 session-3.scope syslog \
    "deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash"
  entry $(( A + 120 )) $BOOT1 useradd 4500 0 session-3.scope syslog \
    "new user: name=backup2, UID=0, GID=0, home=/home/backup2, shell=/bin/bash, from=/dev/pts/0"
  # A message longer than the compression threshold (512 bytes).
  entry $(( A + 130 )) $BOOT1 app 4600 1000 app.service stdout \
    "payload $(printf 'abcdefghij%.0s' $(seq 1 80)) end"
  # A binary field (the export format's length-prefixed form): two lines.
  printf '__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n' \
    $(( (T0 + A + 140) * 1000000 )) $(( (A + 145) * 1000000 )) $BOOT1
  printf '_HOSTNAME=web1\n_TRANSPORT=journal\nSYSLOG_IDENTIFIER=app\n_PID=4600\nMESSAGE\n'
  printf '\x0b\x00\x00\x00\x00\x00\x00\x00line1\nline2\n\n'
  # Six hours of silence, then a new boot.
  for i in $(seq 0 9); do
    entry $(( A + 200 + 21600 + i * 60 )) $BOOT2 kernel 0 0 "" kernel \
      "audit: type=1400 audit($(( T0 + 23000 + i )).000:$(( 40 + i ))): apparmor=\"STATUS\""
  done
} > "$TMP/attack.export"

build() { # NAME ENV...
  local name=$1; shift
  rm -f "$TMP/$name"
  env "$@" "$REMOTE" -o "$TMP/$name" - < "$TMP/attack.export" 2>/dev/null
  gzip -9 -n -c "$TMP/$name" > "$OUT/$name.gz"
}
# Compact format, keyed hash, Zstd (systemd 252's defaults).
build system.journal SYSTEMD_JOURNAL_COMPACT=1
# Regular format, Jenkins hash: what systemd before 252 wrote.
build regular.journal SYSTEMD_JOURNAL_COMPACT=0 SYSTEMD_JOURNAL_KEYED_HASH=0
cp "$TMP/attack.export" "$OUT/attack.export"
ls -l "$OUT"
