#!/usr/bin/env bash
# Development oracle: compare Exhibit's parsers with the per-line ground truth
# in fail2ban's test logs (`# failJSON: {"time": ..., "match": ..., "host": ...}`
# annotating the next log line). Reads /work/shared/data/logs when present;
# the project's tests never depend on it. Usage: scripts/check-real-logs.sh [EXHIBIT]
set -euo pipefail
DATA=${DATA:-/work/shared/data/logs}
BIN=${1:-target/debug/exhibit}
if [ ! -d "$DATA/fail2ban_testlogs" ]; then
  echo "no $DATA/fail2ban_testlogs: nothing to check" >&2
  exit 0
fi
FILTERS=${FILTERS:-"sshd pam-generic dropbear selinux-ssh apache-auth apache-noscript apache-overflows apache-shellshock apache-nohome apache-botsearch nginx-botsearch nginx-http-auth nginx-limit-req nginx-forbidden nginx-bad-request php-url-fopen"}
python3 - "$DATA/fail2ban_testlogs" "$BIN" $FILTERS <<'PY'
import json, subprocess, sys, re
base, exe, filters = sys.argv[1], sys.argv[2], sys.argv[3:]
FAIL = {"auth_failure", "invalid_user"}
tot = dict(match=0, match_hit=0, match_time=0, nomatch=0, nomatch_fp=0, lines=0, parsed=0)
for name in filters:
    path = f"{base}/{name}"
    try:
        text = open(path, "rb").read().decode("utf-8", "replace").split("\n")
    except FileNotFoundError:
        continue
    expect = {}
    pending = None
    for i, line in enumerate(text, 1):
        line = line.rstrip("\r")
        if line.startswith("# failJSON:"):
            try:
                pending = json.loads(line.split(":", 1)[1])
            except Exception:
                pending = None
            continue
        if line.startswith("#") or not line.strip():
            continue
        if pending is not None:
            expect[i] = pending
            pending = None
    fmt = "access" if name.startswith(("apache-", "nginx-", "php-")) and name not in ("apache-auth", "apache-noscript", "apache-overflows", "apache-nohome", "nginx-http-auth", "nginx-limit-req") else None
    cmd = [exe, "logs", "events", "-q", path]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    evs = {}
    for l in out.splitlines():
        e = json.loads(l)
        evs[e["line"]] = e
    st = dict(match=0, match_hit=0, match_time=0, nomatch=0, nomatch_fp=0, lines=len(expect), parsed=0)
    web = name.startswith(("apache", "nginx", "php"))
    for ln, exp in expect.items():
        e = evs.get(ln)
        if e and e["kind"] != "unparsed":
            st["parsed"] += 1
        ip = e and e.get("fields", {}).get("ip")
        hit = bool(e) and ip is not None and (e["kind"] in FAIL or web) and ip == str(exp.get("host", ip))
        if exp.get("match"):
            st["match"] += 1
            if hit:
                st["match_hit"] += 1
                t = exp.get("time", "")
                if e.get("time") and t[5:19] == e["time"][5:19]:
                    st["match_time"] += 1
        else:
            st["nomatch"] += 1
            if e and e["kind"] in FAIL and not web:
                st["nomatch_fp"] += 1
    for k in tot: tot[k] += st[k]
    print(f"{name:22} annotated {st['lines']:4}  parsed {st['parsed']:4}  failures found {st['match_hit']:4}/{st['match']:<4} (time agrees {st['match_time']:4})  false failures {st['nomatch_fp']}/{st['nomatch']}")
print(f"{'TOTAL':22} annotated {tot['lines']:4}  parsed {tot['parsed']:4}  failures found {tot['match_hit']:4}/{tot['match']:<4} (time agrees {tot['match_time']:4})  false failures {tot['nomatch_fp']}/{tot['nomatch']}")
PY
