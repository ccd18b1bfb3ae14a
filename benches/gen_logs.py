#!/usr/bin/env python3
"""Generate a synthetic auth.log + access.log corpus for benches/logs_bench.sh.

Usage: gen_logs.py OUTDIR MEGABYTES

Half the bytes go to classic-syslog auth logs (sshd accepted/failed/invalid
user lines, PAM, sudo, cron) in files of about 100 MB, half to combined
access logs (normal browsing, 4xx scans, scanner agents, large downloads).
Deterministic (fixed seed), so runs compare.
"""
import os
import random
import sys

out, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
os.makedirs(out, exist_ok=True)
target = mb * 1_000_000
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ips = [f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}" for _ in range(5000)]
attackers = ips[:40]
users = ["root", "admin", "oracle", "test", "ubuntu", "deploy", "git", "postgres", "alice", "bob"] + [f"u{i}" for i in range(200)]
paths = ["/", "/index.html", "/about", "/static/app.js", "/static/site.css", "/img/logo.png", "/api/v1/items?page=2", "/login", "/search?q=shoes", "/blog/2024/05/post"]
probes = ["/.env", "/.git/config", "/backup.sql", "/wp-login.php", "/phpmyadmin/", "/admin.php", "/db.sql.gz", "/etc/passwd", "/cgi-bin/test.cgi"]
agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
          "curl/8.4.0", "sqlmap/1.7.2#stable (https://sqlmap.org)", "Nikto/2.5.0"]


def auth_line(t, host):
    mon, day, hh, mm, ss = t
    pid = rnd.randint(1000, 65000)
    head = f"{MON[mon]} {day:2d} {hh:02d}:{mm:02d}:{ss:02d} {host} "
    r = rnd.random()
    ip = rnd.choice(attackers) if r < 0.6 else rnd.choice(ips)
    u = rnd.choice(users)
    if r < 0.35:
        return head + f"sshd[{pid}]: Failed password for {u} from {ip} port {rnd.randint(1024, 65535)} ssh2"
    if r < 0.5:
        return head + f"sshd[{pid}]: Invalid user {u} from {ip} port {rnd.randint(1024, 65535)}"
    if r < 0.6:
        return head + f"sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={u}"
    if r < 0.7:
        # Logins come from a few known admins' addresses (as on a real
        # server), so "first-seen login source" stays meaningful.
        u, ip = rnd.choice(users[:6]), rnd.choice(ips[40:52])
        return head + f"sshd[{pid}]: Accepted publickey for {u} from {ip} port {rnd.randint(1024, 65535)} ssh2: RSA SHA256:abcdefghijklmnop"
    if r < 0.8:
        return head + f"sshd[{pid}]: pam_unix(sshd:session): session opened for user {u} by (uid=0)"
    if r < 0.88:
        return head + f"sudo: {u} : TTY=pts/0 ; PWD=/home/{u} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
    if r < 0.95:
        return head + f"CRON[{pid}]: pam_unix(cron:session): session closed for user root"
    return head + f"sshd[{pid}]: Received disconnect from {ip} port {rnd.randint(1024, 65535)}:11: Bye Bye [preauth]"


def access_line(t):
    mon, day, hh, mm, ss = t
    r = rnd.random()
    ip = rnd.choice(attackers) if r < 0.2 else rnd.choice(ips)
    if r < 0.1:
        p, st, size, ag = rnd.choice(probes), 404, rnd.randint(100, 500), rnd.choice(agents[2:])
    elif r < 0.1005:
        p, st, size, ag = "/export/customers.csv", 200, rnd.randint(10_000_000, 90_000_000), agents[2]
    else:
        p, st, size, ag = rnd.choice(paths), rnd.choice([200, 200, 200, 304, 302]), rnd.randint(200, 60000), rnd.choice(agents[:2])
    m = "POST" if p == "/login" else "GET"
    return (f'{ip} - - [{day:02d}/{MON[mon]}/2025:{hh:02d}:{mm:02d}:{ss:02d} +0000] "{m} {p} HTTP/1.1" {st} {size} '
            f'"https://example.com/" "{ag}"')


def write(kind, n, budget):
    name = f"{kind}.log" + ("" if n == 0 else f".{n}")
    written = 0
    sec = 0
    mon = 10 - n % 10
    with open(os.path.join(out, name), "w") as f:
        buf = []
        while written < budget:
            sec += rnd.randint(0, 2)
            day, rem = 1 + (sec // 86400) % 28, sec % 86400
            t = (mon, day, rem // 3600, rem % 3600 // 60, rem % 60)
            line = auth_line(t, "web1") if kind == "auth" else access_line(t)
            buf.append(line)
            written += len(line) + 1
            if len(buf) >= 10000:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    return written


per_file = 100_000_000
done = 0
n = 0
while done < target:
    for kind in ("auth", "access"):
        budget = min(per_file, max(1, (target - done) // 2)) if target - done < 2 * per_file else per_file
        done += write(kind, n, budget)
    n += 1
print(f"generated {done / 1e6:.0f} MB in {out}", file=sys.stderr)
