#!/usr/bin/env python3
"""Generates a ~200 MB, 5-layer image for the unpack benchmark.

Writes into OUT_DIR:
  layers/layer<N>.tar.gz   the gzip layers (what `tar -xzf` extracts)
  image.tar                a docker-save archive of them (blobs/sha256 layout)
Each layer mixes many small files (text-like, compressible) with a few big
ones (random, incompressible); layer 4 also deletes and overwrites files of
lower layers. Deterministic for a given seed.
"""
import gzip, hashlib, io, json, os, random, shutil, subprocess, sys, tarfile

out = sys.argv[1] if len(sys.argv) > 1 else "bench/results/image"
scale = float(os.environ.get("SCALE", "1"))
rng = random.Random(42)
os.makedirs(f"{out}/layers", exist_ok=True)
words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))) for _ in range(2000)]

def text(n):
    parts, size = [], 0
    while size < n:
        w = rng.choice(words); parts.append(w); size += len(w) + 1
    return (" ".join(parts))[:n].encode()

def add(tf, name, data, mode=0o644):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = mode; ti.mtime = 1_700_000_000
    tf.addfile(ti, io.BytesIO(data))

def add_dir(tf, name):
    ti = tarfile.TarInfo(name); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = 1_700_000_000
    tf.addfile(ti)

diff_ids, blobs = [], []
for layer in range(5):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tf:
        dirs = set()
        small = int(4000 * scale)
        for i in range(small):
            d = f"usr/share/l{layer}/d{i % 97}"
            for k in range(1, len(d.split("/")) + 1):
                p = "/".join(d.split("/")[:k])
                if p not in dirs: dirs.add(p); add_dir(tf, p + "/")
            add(tf, f"{d}/f{i}.txt", text(rng.randint(200, 12000)))
        for b in range(2):
            add(tf, f"opt/l{layer}/big{b}.bin", rng.randbytes(int(14_000_000 * scale)))
        if layer == 4:
            add(tf, "usr/share/l0/d0/.wh.f0.txt", b"")
            add(tf, "usr/share/l1/.wh..wh..opq", b"")
            add(tf, "usr/share/l2/d1/f1.txt", b"overwritten")
    data = raw.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(data).hexdigest())
    gz = gzip.compress(data, compresslevel=6, mtime=0)
    with open(f"{out}/layers/layer{layer}.tar.gz", "wb") as f: f.write(gz)
    blobs.append((hashlib.sha256(gz).hexdigest(), gz))
    print(f"layer {layer}: {len(data) / 1e6:.1f} MB tar, {len(gz) / 1e6:.1f} MB gzip", file=sys.stderr)

config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                     "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
config_hex = hashlib.sha256(config).hexdigest()
manifest = json.dumps([{"Config": f"blobs/sha256/{config_hex}", "RepoTags": ["bench/image:latest"],
                        "Layers": [f"blobs/sha256/{h}" for h, _ in blobs]}]).encode()
with tarfile.open(f"{out}/image.tar", "w", format=tarfile.GNU_FORMAT) as tf:
    add_dir(tf, "blobs/"); add_dir(tf, "blobs/sha256/")
    for h, gz in blobs: add(tf, f"blobs/sha256/{h}", gz)
    add(tf, f"blobs/sha256/{config_hex}", config)
    add(tf, "manifest.json", manifest)
print(f"{out}/image.tar: {os.path.getsize(f'{out}/image.tar') / 1e6:.1f} MB", file=sys.stderr)
