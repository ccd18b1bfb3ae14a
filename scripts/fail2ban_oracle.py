#!/usr/bin/env python3
"""fail2ban's test logs as an oracle for Exhibit's log parsers (dev time only).

fail2ban (GPL-2.0) ships real-world line shapes per filter, each preceded by
a `# failJSON: {...}` comment saying whether the filter must match the line
(`match`) and with which address (`host`). This script reads those files
from $F2B (default /work/shared/data/logs/fail2ban_testlogs; never copied
into the repository), runs `exhibit logs events` on each and reports per file
how many annotated lines Exhibit agrees with:

* match:true  -> the line's event is a failed authentication
                 (auth_failure, invalid_user, sudo_failure) whose `ip` is the
                 expected host (IPv4-mapped `::ffff:` prefix ignored);
* match:false -> the line's event is not counted as a failure by the
                 authentication detections (the rule of
                 src/detect/logs/auth.rs, mirrored in `counted_failures`).

Two refinements, both in docs/logs.md ("fail2ban's test logs as an oracle"):

* Other outcomes a filter mode bans on. Some fail2ban filter modes ban on
  lines that are not failed logins: TLS handshake errors (nginx-http-auth
  `fallback` and `aggressive`; apache-auth's SNI/Host mismatches in every
  mode) and mod_evasive's rate-limit denials (apache-auth `aggressive`).
  Exhibit reads those lines as `tls_failure` and `rate_limited`, which the
  authentication detections do not count. Such an event agrees with a
  match:true line, with the expected host, only where the section's filter
  mode lists its kind (`MODE_OUTCOMES`); elsewhere it is simply not a failure
  (and so agrees with match:false).
* Per connection. fail2ban holds an sshd connection's PAM failures back and
  reports them, with an `attempts` count, on a later line of the same
  connection (another account's failure, the closing line, an `Accepted`
  line); Exhibit counts each failure on the line that logs it. A line that
  disagrees on its own agrees when its connection does (`connection_agrees`):
  the lines of one sshd process (same program and pid) in the file, where
  fail2ban's failed attempts (the `attempts` of its match:true lines, 1 when
  not given, less one for each `Accepted` line among them: fail2ban counts
  that line as an attempt of its own when the connection tried other
  accounts first, Exhibit reads it as the success it is) equal the failures
  Exhibit counts on the connection, all from one address, the expected one.
  An `Accepted` line is rescued this way only when fail2ban reports attempts
  held back from earlier lines on it (`attempts` > 1); one whose only attempt
  is itself stays a miss. The figures are printed with and without this
  (`per line`).

The copy handed to Exhibit has the comment lines blanked (line numbers stay
the same); for the `logtype: journal` sections, whose lines fail2ban tests
without a time, each line that has none gets the prefix `Jan  1 00:00:00 ` as
`journalctl -o short` would print it. Constraints (and the filter mode
of `MODE_OUTCOMES`) are evaluated with the last entry of each section's
`filterOptions` (the most inclusive mode it lists: `aggressive` for sshd)
and `name` = the file name. Times are not compared (fail2ban's
test years are arbitrary).

Usage: scripts/fail2ban_oracle.py [--bin target/debug/exhibit] [--json]
       [--show-misses] [FILE...]
"""

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile

F2B = os.environ.get("F2B", "/work/shared/data/logs/fail2ban_testlogs")
# The filters whose logs Exhibit reads (sshd, PAM, FTP servers, web auth).
FILES = [
    "sshd",
    "sshd-journal",
    "dropbear",
    "pam-generic",
    "selinux-ssh",
    "proftpd",
    "pure-ftpd",
    "vsftpd",
    "apache-auth",
    "nginx-http-auth",
]
FAIL = {"auth_failure", "invalid_user", "sudo_failure"}

# Event kinds that agree with a match:true line in the filter modes that
# ban on them (file -> mode -> kinds; None stands for every mode). From the
# fail2ban filters: nginx-http-auth.conf (`mdre-fallback`, in `fallback` and
# `aggressive`: SSL_do_handshake()/SSL_read() errors), apache-auth.conf (the
# SNI rule `(?:No h|H)ostname \S+ provided via SNI...` in the common rules;
# mod_evasive's `client denied` in `aggressive` only).
MODE_OUTCOMES = {
    "nginx-http-auth": {"fallback": {"tls_failure"}, "aggressive": {"tls_failure"}},
    "apache-auth": {None: {"tls_failure"}, "aggressive": {"tls_failure", "rate_limited"}},
}

# fail2ban's sshd filter reads these lines as access gained (its
# `<F-MLFGAINED>` rule): a success, which it adds to the connection's
# attempts when the connection tried other accounts before.
GAINED = re.compile(r"\bsshd(?:-session)?\[\d+\]: Accepted \S+ for \S+ from ")


def loose_json(text):
    """failJSON is JSON, sometimes with Python literals."""
    try:
        return json.loads(text)
    except ValueError:
        t = text.replace("true", "True").replace("false", "False").replace("null", "None")
        return ast.literal_eval(t)


def constraint_ok(expr, name, opts):
    if not expr:
        return True
    try:
        return bool(eval(expr, {"__builtins__": {}}, {"name": name, "opts": opts}))
    except Exception:
        return True


def annotate(path, name):
    """(cleaned text, [(line number, expectation)], journal?)"""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    opts, file_journal, journal = {}, False, False
    out, expect, pending = [], [], None
    for i, l in enumerate(lines, 1):
        if l.startswith("#"):
            # Options hold from their line on (a file has sections).
            m = re.match(r"#\s*(file|filter)Options:\s*(.*)$", l)
            if m:
                try:
                    o = loose_json(m.group(2))
                except Exception:
                    o = {}
                o = (o[-1] if isinstance(o, list) and o else o) or {}
                if m.group(1) == "file":
                    file_journal = o.get("logtype") == "journal"
                    journal = file_journal
                else:
                    opts = o
                    journal = file_journal or o.get("logtype") == "journal"
            m = re.match(r"#\s*failJSON:\s*(.*)$", l)
            if m:
                try:
                    pending = loose_json(m.group(1))
                except Exception:
                    pending = None
            out.append("")
            continue
        if not l.strip():
            out.append(l)
            continue
        timed = re.match(r"(\d|(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )", l)
        out.append(("Jan  1 00:00:00 " + l) if journal and not timed else l)
        if pending is not None:
            if constraint_ok(pending.get("constraint"), name, opts):
                expect.append((i, pending, opts.get("mode")))
            pending = None
    return "\n".join(out), expect


def norm(ip):
    ip = (ip or "").strip("[]")
    return ip[7:] if ip.lower().startswith("::ffff:") else ip


def tier(e):
    """How src/detect/logs/auth.rs ranks a failure (see `Tier` there)."""
    f = e.get("fields", {})
    text = e.get("text", "")
    prog = f.get("program", "")
    detail = f.get("detail", "")
    pam = prog.endswith("(pam_unix)") or "pam_unix(" in text or "pam_sss(" in text
    if e["kind"] == "invalid_user" or pam or (detail == "USER_LOGIN" and prog == "auditd"):
        return "secondary", pam
    if detail.startswith("preauth: "):
        return "preauth", pam
    if detail == "publickey" and (prog == "sshd" or prog.startswith("sshd-")):
        return "key", pam
    return "direct", pam


def counted_failures(events):
    """Lines the authentication detections count as failures, by the rule
    of src/detect/logs/auth.rs `failure_rows` (mirrored here): only lines
    with an address; per process (pid), a secondary line is dropped when
    the process logged a direct failure, a PAM line when the process then
    logged in as the same account; a pre-authentication disconnect when the
    process logged a direct or secondary failure, and only the first with an
    address counts; a refused key when the process logged any other failure
    or a success."""
    procs, success = {}, {}
    for e in events.values():
        pid = e.get("fields", {}).get("pid")
        if pid is None:
            continue
        if e["kind"] in FAIL:
            procs.setdefault(pid, set()).add(tier(e)[0])
        elif e["kind"] == "auth_success":
            success.setdefault(pid, []).append(e["fields"].get("user", ""))
    out, pre_seen = set(), set()
    for line in sorted(events):
        e = events[line]
        f = e.get("fields", {})
        if e["kind"] not in FAIL or not f.get("ip"):
            continue
        pid = f.get("pid")
        t, pam = tier(e)
        if pid is None or t == "direct":
            out.add(line)
            continue
        s = procs.get(pid, set())
        if t == "secondary":
            keep = "direct" not in s and not (pam and f.get("user") in success.get(pid, []))
        elif t == "preauth":
            keep = pid not in pre_seen and not (s & {"direct", "secondary"})
            pre_seen.add(pid)
        else:
            keep = not (s & {"direct", "secondary", "preauth"}) and pid not in success
        if keep:
            out.add(line)
    return out


def other_outcome_ok(name, mode, kind):
    """Whether `kind` (not a failed login) is what this filter mode bans on."""
    modes = MODE_OUTCOMES.get(name, {})
    return kind in modes.get(None, set()) | modes.get(mode, set())


def connection_agrees(lines, expect, events, counted):
    """Per connection: fail2ban's failed attempts on the connection (its
    match:true lines' `attempts`, 1 when absent, less the `Accepted` lines
    among them, which it counts as their own attempt) equal the failures
    Exhibit counts on it (`count` each, for `message repeated`), and every
    expected host and every counted failure's address is one address."""
    want, hosts = 0, set()
    for line in lines:
        exp = expect[line]
        if exp.get("match"):
            want += int(exp.get("attempts", 1))
            if GAINED.search(events.get(line, {}).get("text", "")):
                want -= 1
            if exp.get("host") is not None:
                hosts.add(norm(str(exp["host"])))
    got = 0
    for line in lines:
        if line in counted:
            e = events[line]
            got += int(e.get("count", 1) or 1)
            hosts.add(norm(e["fields"].get("ip")))
    return want > 0 and want == got and len(hosts) == 1


def connection_of(e):
    """An sshd connection: its process id (one connection per process)."""
    f = e.get("fields", {})
    prog = f.get("program", "")
    if (prog == "sshd" or prog.startswith("sshd-")) and f.get("pid"):
        return prog, f["pid"]
    return None


def run(binary, name, show):
    text, expect = annotate(os.path.join(F2B, name), name)
    with tempfile.TemporaryDirectory(prefix="exhibit-f2b-") as d:
        p = os.path.join(d, name)
        open(p, "w", encoding="utf-8").write(text)
        r = subprocess.run([binary, "logs", "events", p], capture_output=True, text=True)
    events = {}
    for l in r.stdout.splitlines():
        try:
            e = json.loads(l)
        except ValueError:
            continue
        events[e.get("line")] = e
    counted = counted_failures(events)
    by_line = {line: exp for line, exp, _ in expect}
    # Every line of a connection (annotated or not), for Exhibit's count.
    conns = {}
    for line, e in events.items():
        c = connection_of(e)
        if c is not None:
            conns.setdefault(c, []).append(line)
    agree, misses, via_conn = 0, [], 0
    conn_ok = {}
    for line, exp, mode in expect:
        e = events.get(line) or {"kind": "missing", "fields": {}}
        failed = e["kind"] in FAIL
        if exp.get("match"):
            host = exp.get("host")
            same = host is None or norm(e["fields"].get("ip")) == norm(str(host))
            ok = same and (failed or other_outcome_ok(name, mode, e["kind"]))
        else:
            ok = line not in counted
        c = connection_of(e)
        # An `Accepted` line fail2ban reports failures on: only when it
        # carries attempts held back from earlier lines besides its own.
        gained = GAINED.search(e.get("text", "")) is not None
        held = not gained or (exp.get("match") and int(exp.get("attempts", 1)) > 1)
        if not ok and c is not None and held:
            if c not in conn_ok:
                annotated = [x for x in conns[c] if x in by_line]
                scope = set(annotated) | {x for x in conns[c] if x in counted}
                conn_ok[c] = connection_agrees(sorted(scope), by_line, events, counted) if annotated else False
            if conn_ok[c]:
                ok = True
                via_conn += 1
        if ok:
            agree += 1
        else:
            misses.append((line, exp.get("match"), exp.get("host"), e["kind"], e["fields"].get("ip"), e.get("text", "")))
    if show:
        for m in misses:
            print(f"  {name}:{m[0]} expect match={m[1]} host={m[2]} got {m[3]} ip={m[4]}: {m[5][:160]}")
    return agree, len(expect), via_conn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/debug/exhibit")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    rows, ta, tn, tc = [], 0, 0, 0
    for name in a.files or FILES:
        ag, n, vc = run(a.bin, name, a.show_misses)
        rows.append({"file": name, "agree": ag, "annotated": n, "by_connection": vc})
        ta += ag
        tn += n
        tc += vc
    if a.json:
        print(json.dumps({"files": rows, "agree": ta, "annotated": tn, "by_connection": tc}, indent=1))
        return
    for r in rows:
        pct = 100.0 * r["agree"] / r["annotated"] if r["annotated"] else 100.0
        conn = f"  (per line {r['agree'] - r['by_connection']})" if r["by_connection"] else ""
        print(f"{r['file']:<18} {r['agree']:>4} / {r['annotated']:<4} {pct:6.2f}%{conn}")
    conn = f"  (per line {ta - tc}, {100.0 * (ta - tc) / max(tn, 1):.2f}%)" if tc else ""
    print(f"{'total':<18} {ta:>4} / {tn:<4} {100.0 * ta / max(tn, 1):6.2f}%{conn}")


if __name__ == "__main__":
    sys.exit(main())
