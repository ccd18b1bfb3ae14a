#!/usr/bin/env bash
# Installs the tools Exhibit's tests compare against (Debian + PyPI).
# Safe to run repeatedly; needs root (or sudo) for apt.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
need=()
command -v unzip >/dev/null || need+=(unzip)
command -v zip >/dev/null || need+=(zip)
command -v 7z >/dev/null || need+=(p7zip-full)
command -v mactime >/dev/null || need+=(sleuthkit)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v bsdtar >/dev/null || need+=(libarchive-tools)
# setcap/getcap: file capabilities captured and judged (tests/diff_findings.rs).
command -v setcap >/dev/null || [ -x /usr/sbin/setcap ] || need+=(libcap2-bin)
# Capture over SSH is tested against real OpenSSH servers on 127.0.0.1
# (tests/remote_capture.rs, tests/util/sshd.rs).
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
# The fleet playbook (packaging/ansible/) runs with ansible-core alone: it
# uses only ansible.builtin modules (tests/fleet_ansible.rs).
command -v ansible-playbook >/dev/null || need+=(ansible-core)
command -v sqlite3 >/dev/null || need+=(sqlite3)  # wtmpdb/lastlog2 fixtures (tests/logs_wtmpdb.rs)
# Encrypted evidence is decrypted with the standard age CLI (tests/encrypt.rs).
command -v age >/dev/null || need+=(age)
# `file` checks the static binaries (scripts/build-static.sh in CI).
command -v file >/dev/null || need+=(file)
# The investigation report is opened, screenshotted and printed to PDF by a
# real browser (tests/report_investigation.rs).
command -v chromium >/dev/null || need+=(chromium)
# systemd-journal-remote writes the journals tests/logs_journal.rs reads
# (journalctl, from systemd, reads them back).
[ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
# The Windows build: linked with MinGW-w64, its CLI tests run under Wine
# (scripts/windows-tests.sh).
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64)
command -v wine >/dev/null || need+=(wine wine64)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
python3 -c 'import bagit' 2>/dev/null || python3 -m pip install -q bagit
command -v aide >/dev/null || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends aide >/dev/null; }
