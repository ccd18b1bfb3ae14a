"""Summarise `exhibit logs --json` output for scripts/real-logs-report.sh."""
import json
import sys
from collections import Counter

name = sys.argv[1]
d = json.load(sys.stdin)
ev = sum(s["events"] for s in d["sources"])
un = sum(s["unparsed"] for s in d["sources"])
parsers = dict(Counter(s["parser"] for s in d["sources"]))
print(f"== {name}: {len(d['sources'])} file(s) {parsers}, {ev} events, {un} unparsed, {len(d['findings'])} findings")
print("   findings by rule:", dict(sorted(Counter(f["rule"] for f in d["findings"]).items())))


def top(rule, n=5):
    fs = [f for f in d["findings"] if f["rule"] == rule]
    fs.sort(key=lambda f: (-f["events"], f["title"]))
    return fs[:n]


bf = top("ssh_bruteforce")
if bf:
    print("   top brute force:", ", ".join(f"{f['ips'][0]} ({f['events']} lines)" for f in bf))
for rule in ["success_after_failures", "sensitive_file_served", "web_shell", "cross_source_pivot",
             "account_change", "sudo_shell", "tampering_command", "credential_stuffing",
             "distributed_login_posts"]:
    for f in top(rule, 8):
        print(f"   [{f['severity']}] {f['title']}")
dl = top("large_download", 3)
if dl:
    print("   largest downloads:", "; ".join(f["title"] for f in dl))
