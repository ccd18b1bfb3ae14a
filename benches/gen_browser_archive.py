#!/usr/bin/env python3
"""A 1,001,002-entry archive in Exhibit's layout for benches/gui_frames.rs:
1,000,000 one-line files in 1,000 folders, one stored member each, with
files.jsonl, the sealed manifest and the tag files. Written with Python's
zipfile (a million files are slow to create and capture on a loaded
machine); the record lines and the acquisition are those of a real
capture. Usage: gen_browser_archive.py OUTDIR
"""
import zipfile, hashlib, json, sys
stem = "BENCH_E01_vm_20261203T190000Z"
root = "/tmp/open-big/tree"
out = f"{sys.argv[1]}/{stem}.zip"
t = "2026-12-03T18:06:38.199545653Z"
def dirrec(p, ino):
    return json.dumps({"path":p,"type":"dir","size":4096,"mode":"0755","uid":0,"gid":0,"user":"root","group":"root","inode":ino,"dev":65024,"nlink":3,"atime":t,"mtime":t,"ctime":t,"btime":t,"status":"captured"}, separators=(",",":"))
ACQUISITION = r'''{
  "format": "exhibit-evidence-archive",
  "format_version": 1,
  "stem": "BENCH_E01_vm_20261203T180638Z",
  "case": {
    "case_id": "BENCH",
    "evidence_id": "E01"
  },
  "examiner": {
    "name": "bench",
    "timezone": "Etc/UTC"
  },
  "host": {
    "hostname": "vm",
    "os": "Debian GNU/Linux 12 (bookworm)",
    "kernel": "Linux 6.18.44-fc-v1147 #1 SMP PREEMPT_DYNAMIC @0",
    "boot_id": "c59aa83f-2c2f-4d75-b045-ba9f6c06b7be",
    "machine_id": "3d1219c7c4c5404aaa1f6d2a48adfda4",
    "from_target_root": false
  },
  "method": {
    "tool": "exhibit",
    "tool_version": "0.1.0",
    "interface": "cli",
    "command_line": [
      "/tmp/open-big/exhibit-dbg",
      "capture",
      "--case",
      "BENCH",
      "--examiner",
      "bench",
      "--store",
      "-o",
      "/tmp/open-small/out",
      "/tmp/open-small/tree"
    ],
    "profiles": [],
    "sources": [
      "/tmp/open-small/tree"
    ],
    "compression": "stored",
    "records_capabilities": true
  },
  "started_at": "2026-12-03T18:06:38.267917155Z",
  "finished_at": "2026-12-03T18:06:38.332021375Z",
  "counts": {
    "entries": 6,
    "files_captured": 3,
    "bytes_captured": 6,
    "changed_during_read": 0,
    "unreadable": 0,
    "vanished": 0,
    "skipped": 0,
    "metadata_only": 0
  },
  "errors": []
}'''
z = zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True)
lines = [dirrec(root, 1), dirrec(root + "/srv", 2)]
manifest = []
ino = 10
for d in range(1000):
    dp = f"{root}/srv/dir{d:04d}"
    lines.append(dirrec(dp, ino)); ino += 1
    for f in range(1000):
        i = d * 1000 + f
        p = f"{dp}/file{f:04d}.txt"
        data = f"{i}\n".encode()
        h = hashlib.sha256(data).hexdigest()
        member = f"{stem}/data{p}"
        z.writestr(zipfile.ZipInfo(member, (2026,12,3,18,6,38)), data)
        lines.append(json.dumps({"path":p,"type":"file","size":len(data),"mode":"0644","uid":0,"gid":0,"user":"root","group":"root","inode":ino,"dev":65024,"nlink":1,"atime":t,"mtime":t,"ctime":t,"btime":t,"sha256":h,"member":member,"status":"captured"}, separators=(",",":")))
        manifest.append(f"{h}  data{p}\n")
        ino += 1
acq = json.loads(ACQUISITION)
acq["counts"]["entries"] = len(lines); acq["counts"]["files_captured"] = 1000000
def tag(name, data, method=zipfile.ZIP_DEFLATED):
    zi = zipfile.ZipInfo(f"{stem}/{name}", (2026,12,3,18,6,38)); zi.compress_type = method
    z.writestr(zi, data)
    return hashlib.sha256(data).hexdigest()
tm = []
tm.append((tag("exhibit/acquisition.json", json.dumps(acq).encode()), "exhibit/acquisition.json"))
tm.append((tag("exhibit/files.jsonl", ("\n".join(lines) + "\n").encode()), "exhibit/files.jsonl"))
tm.append((tag("manifest-sha256.txt", "".join(manifest).encode()), "manifest-sha256.txt"))
tm.append((tag("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", zipfile.ZIP_STORED), "bagit.txt"))
tm.append((tag("bag-info.txt", b"Contact-Name: bench\n"), "bag-info.txt"))
tag("tagmanifest-sha256.txt", "".join(f"{h}  {n}\n" for h, n in tm).encode())
z.close()
print(len(lines), "entries")
