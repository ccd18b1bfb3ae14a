#!/usr/bin/env bash
# Capture over SSH against a local capture and against `tar | ssh` of the
# same tree, in one run, through a real sshd on 127.0.0.1 (so the figures
# show the cost of the SSH channel and the framing, not of a network).
#
#   benches/remote_ssh.sh [TREE] [RUNS]
#
# TREE defaults to /usr/share (about 700 MB of small and large files, warm
# page cache after the first read); each measure runs RUNS times (default
# 3) and the median is printed with its MB/s and its ratio to the local
# capture. Measures:
#   local      exhibit capture TREE -o OUT
#   remote     exhibit capture --remote ... TREE -o OUT   (upload, capture, stream, seal)
#   remote-x   the same with --remote-exhibit (no upload: the stream's cost alone)
#   ssh-true   one ssh connection doing nothing (remote makes four, remote-x three)
#   tar|ssh    ssh HOST 'tar -C TREE -cf - .' > OUT/tree.tar   (no hashing, no compression)
#   tgz|ssh    ssh HOST 'tar -C TREE -czf - .' > OUT/tree.tgz  (gzip -6, one core)
# Needs /usr/sbin/sshd (openssh-server), ssh, ssh-keygen; runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${1:-/usr/share}
RUNS=${2:-3}
BIN=${BIN:-$PWD/target/release/exhibit}
[ -x "$BIN" ] || cargo build --release --no-default-features --quiet
W=$(mktemp -d /tmp/exhibit-remote-bench.XXXXXX)
cleanup() { [ -n "${SSHD_PID:-}" ] && kill "$SSHD_PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$W/host" -C bench-host
ssh-keygen -q -t ed25519 -N '' -f "$W/client" -C bench-client
cp "$W/client.pub" "$W/authorized_keys"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$W/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $W/host
AuthorizedKeysFile $W/authorized_keys
PidFile $W/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
LogLevel ERROR
EOF
cat > "$W/ssh_config" <<EOF
Host bench
  HostName 127.0.0.1
  Port $PORT
  User root
  IdentityFile $W/client
  IdentitiesOnly yes
  UserKnownHostsFile $W/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
EOF
echo "[127.0.0.1]:$PORT $(cat "$W/host.pub")" > "$W/known_hosts"
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/sshd.log" &
SSHD_PID=$!
for _ in $(seq 100); do ssh -F "$W/ssh_config" bench true 2>/dev/null && break; sleep 0.1; done

BYTES=$(du -sb "$TREE" | cut -f1)
cat "$TREE" >/dev/null 2>&1 || true
find "$TREE" -type f -print0 2>/dev/null | xargs -0 cat >/dev/null 2>&1 || true
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # name, command...
  local name=$1; shift
  local times=()
  for _ in $(seq "$RUNS"); do
    rm -rf "$W/out"; mkdir -p "$W/out"
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>"$W/err" || { echo "$name failed:"; cat "$W/err"; exit 1; }
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc)")
  done
  local m; m=$(printf '%s\n' "${times[@]}" | median)
  local size; size=$(du -sb "$W/out" | cut -f1)
  echo "$name $m $size"
}
echo "tree: $TREE, $BYTES bytes; runs: $RUNS; load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
{
  run local "$BIN" capture "$TREE" -o "$W/out" --case B --examiner B -q
  run remote "$BIN" capture --remote bench --ssh-config "$W/ssh_config" --upload-binary "$BIN" "$TREE" -o "$W/out" --case B --examiner B -q
  run remote-x "$BIN" capture --remote bench --ssh-config "$W/ssh_config" --remote-exhibit "$BIN" "$TREE" -o "$W/out" --case B --examiner B -q
  run ssh-true ssh -F "$W/ssh_config" bench true
  run 'tar|ssh' sh -c "ssh -F '$W/ssh_config' bench 'tar -C $TREE -cf - .' > '$W/out/tree.tar'"
  run 'tgz|ssh' sh -c "ssh -F '$W/ssh_config' bench 'tar -C $TREE -czf - .' > '$W/out/tree.tgz'"
} | awk -v bytes="$BYTES" '
  { name[NR]=$1; t[NR]=$2; size[NR]=$3 }
  END {
    printf "%-10s %9s %9s %12s %14s\n", "measure", "seconds", "MB/s", "output MB", "vs local (x)"
    for (i = 1; i <= NR; i++)
      printf "%-10s %9.2f %9.1f %12.1f %14.2f\n", name[i], t[i], bytes/1e6/t[i], size[i]/1e6, t[1]/t[i]
  }'
