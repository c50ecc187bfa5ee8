#!/usr/bin/env python3
"""Write the uncompressed layer tars of the benchmark images from files on this machine.

layer1.tar: a busybox-static root (bin/busybox + applet links, etc/passwd, etc/group).
layer2..N.tar: consecutive slices of real system trees (/usr/lib, /usr/share, ...), each about
RAW_MB/(N-1) MB of file data, so the compressibility is that of real binaries and text. Each
layer repeats the parent directories of its files, as image builders do. Owners are 0:0 and
mtimes fixed, so the same machine always produces the same bytes.
"""
import io
import os
import subprocess
import sys
import tarfile

MTIME = 1700000000
ROOTS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/llvm-14", "/usr/lib/gcc", "/usr/share",
         "/usr/bin", "/usr/lib/jvm", "/usr/libexec", "/usr/include", "/usr/lib"]


def normalize(ti):
    """Root owned, fixed time: deterministic and free of this host's ids."""
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.mtime = MTIME
    return ti


def add_dir(tar, name):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    tar.addfile(normalize(ti))


def write_base(path):
    """The runnable part: busybox and its applets, enough for `true`, `sh`, `echo`."""
    applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for d in ["bin", "etc", "tmp", "root", "usr", "usr/bin", "var"]:
            add_dir(tar, d)
        tar.add("/bin/busybox", "bin/busybox", filter=normalize)
        for a in applets:
            if a == "busybox":
                continue
            ti = tarfile.TarInfo("bin/" + a)
            ti.type = tarfile.SYMTYPE
            ti.linkname = "busybox"
            ti.mode = 0o777
            tar.addfile(normalize(ti))
        for name, text in [("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                            "nobody:x:65534:65534:nobody:/:/bin/false\n"),
                           ("etc/group", "root:x:0:\nnobody:x:65534:\n")]:
            data = text.encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            tar.addfile(normalize(ti), io.BytesIO(data))


def candidate_files():
    """Regular files and symlinks under ROOTS in a stable order, each path once."""
    seen = set()
    inodes = set()  # hard links count once, as they cost once in a layer
    for root in ROOTS:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            if os.path.ismount(dirpath) and dirpath != "/":
                dirnames[:] = []
                continue
            for f in sorted(filenames):
                p = os.path.join(dirpath, f)
                if p in seen:
                    continue
                seen.add(p)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if os.path.islink(p):
                    yield p, 0
                elif os.path.isfile(p) and os.access(p, os.R_OK):
                    key = (st.st_dev, st.st_ino)
                    yield p, (0 if key in inodes else st.st_size)
                    inodes.add(key)


def write_slices(outdir, count, raw_bytes):
    per_layer = raw_bytes // count
    files = candidate_files()
    for i in range(count):
        path = os.path.join(outdir, "layer%d.tar" % (i + 2))
        total = 0
        dirs_done = set()
        with tarfile.open(path + ".tmp", "w", format=tarfile.GNU_FORMAT) as tar:
            for p, size in files:
                if size > 64 << 20:
                    continue  # one huge file would make the layer sizes lopsided
                name = p.lstrip("/")
                parent = os.path.dirname(name)
                chain = []
                while parent and parent not in dirs_done:
                    chain.append(parent)
                    parent = os.path.dirname(parent)
                for d in reversed(chain):
                    add_dir(tar, d)
                    dirs_done.add(d)
                try:
                    tar.add(p, name, recursive=False, filter=normalize)
                except OSError:
                    continue
                total += size
                if total >= per_layer:
                    break
        os.rename(path + ".tmp", path)
        if total < per_layer:
            sys.exit("layers.py: ran out of files after %d MB" % (total >> 20))


def main():
    outdir, layers, raw_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    write_base(os.path.join(outdir, "layer1.tar"))
    write_slices(outdir, layers - 1, raw_mb << 20)


if __name__ == "__main__":
    main()
