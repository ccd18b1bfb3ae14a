#!/usr/bin/env python3
"""Generate the capture benchmark corpus: a server-like tree of ~2 GB.

Mix (by bytes): web and system logs (compress ~10x), a SQL dump, configs and
source files (many small files), binaries copied from this machine's
/usr/lib and /usr/bin (compress ~2-3x), and already-compressed content
(rotated .gz logs, random "media") that must be stored, not deflated.

Deterministic for a given seed and machine (binaries come from the host).
Usage: gen_corpus.py OUTDIR [--scale 1.0]
"""

import gzip
import os
import random
import shutil
import sys

MB = 1 << 20


def log_lines(rng, n):
    paths = ["/", "/index.php", "/login", "/api/v1/orders", "/static/app.js", "/export/customers.csv",
             "/wp-login.php", "/admin", "/images/logo.png", "/search?q=shoes"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "Googlebot/2.1", "sqlmap/1.7"]
    out = []
    for i in range(n):
        ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        out.append(
            f'{ip} - - [22/Nov/2026:{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} +0000] '
            f'"GET {rng.choice(paths)} HTTP/1.1" {rng.choice((200, 200, 200, 304, 404, 500))} '
            f'{rng.randrange(100, 90000)} "-" "{rng.choice(agents)}"\n'
        )
    return "".join(out)


def auth_lines(rng, n):
    users = ["root", "admin", "deploy", "www-data", "postgres", "ubuntu"]
    out = []
    for i in range(n):
        ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if rng.random() < 0.8:
            msg = f"Failed password for invalid user {rng.choice(users)} from {ip} port {rng.randrange(1024, 65535)} ssh2"
        else:
            msg = f"Accepted publickey for {rng.choice(users)} from {ip} port {rng.randrange(1024, 65535)} ssh2"
        out.append(f"Nov 22 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} web01 sshd[{rng.randrange(1000, 99999)}]: {msg}\n")
    return "".join(out)


def write_text(path, producer, target_bytes, rng):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    written = 0
    with open(path, "w") as f:
        while written < target_bytes:
            chunk = producer(rng, 20000)
            f.write(chunk)
            written += len(chunk)
    return written


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    out = sys.argv[1]
    scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
    rng = random.Random(20261122)
    total = 0
    files = 0

    # Logs: 12 current web/auth logs of ~55 MB, plus rotated .gz copies.
    for i in range(int(6 * scale) or 1):
        total += write_text(f"{out}/var/log/nginx/access.log.{i}", log_lines, 55 * MB, rng)
        total += write_text(f"{out}/var/log/auth.log.{i}", auth_lines, 55 * MB, rng)
        files += 2
    for i in range(int(20 * scale) or 1):
        p = f"{out}/var/log/nginx/access.log.{i + 10}.gz"
        data = log_lines(rng, 40000).encode()
        with gzip.open(p, "wb", compresslevel=6) as f:
            f.write(data * 4)
        total += os.path.getsize(p)
        files += 1

    # A SQL dump (one large text file).
    def sql(rng, n):
        return "".join(
            f"INSERT INTO customers VALUES ({rng.randrange(10**9)},'name{rng.randrange(10**6)}','user{rng.randrange(10**6)}@example.com','{rng.randrange(10**15):015d}');\n"
            for _ in range(n)
        )
    total += write_text(f"{out}/var/backups/db.sql", sql, int(300 * MB * scale), rng)
    files += 1

    # Many small files: configs and web sources.
    words = ("server listen root index location proxy_pass return include user group "
             "function echo require class public private static void int string").split()
    n_small = int(25000 * scale)
    for i in range(n_small):
        d = f"{out}/var/www/app/src/mod{i % 250:03d}"
        os.makedirs(d, exist_ok=True)
        body = "\n".join(" ".join(rng.choice(words) for _ in range(rng.randrange(4, 14))) for _ in range(rng.randrange(20, 400)))
        with open(f"{d}/file{i}.php", "w") as f:
            f.write(body)
        total += len(body)
        files += 1

    # Binaries: real executables and libraries from this machine.
    budget = int(600 * MB * scale)
    copied = 0
    for base in ("/usr/lib/x86_64-linux-gnu", "/usr/lib", "/usr/bin", "/usr/libexec"):
        for root, _dirs, names in sorted(os.walk(base)):
            for n in sorted(names):
                src = os.path.join(root, n)
                if copied >= budget or not os.path.isfile(src) or os.path.islink(src):
                    continue
                size = os.path.getsize(src)
                if size < 4096 or size > 64 * MB:
                    continue
                dst = f"{out}/opt/binaries{src}"
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                try:
                    shutil.copyfile(src, dst)
                except OSError:
                    continue
                copied += size
                files += 1
    total += copied

    # Already-compressed media: random bytes behind JPEG/PNG headers.
    for i in range(int(120 * scale) or 1):
        p = f"{out}/var/www/uploads/img{i:04d}.jpg"
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(b"\xff\xd8\xff\xe0" + os.urandom(rng.randrange(1, 4) * MB))
        total += os.path.getsize(p)
        files += 1

    print(f"corpus: {out}: {files} files, {total / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
