"""chmod, chown, utimens, access, statfs, fsync/fdatasync/flush, and permission checks for another user."""
import errno
import os
import stat
import sys
import time

from common import eq, err, fail, ok, workdir

mnt = sys.argv[1]
d = workdir("attrs")
f = os.path.join(d, "f")
with open(f, "wb") as x:
    x.write(b"data")

os.chmod(f, 0o604)
eq("chmod", 0o604, stat.S_IMODE(os.stat(f).st_mode))
os.chmod(f, 0o7777)
eq("chmod all bits", 0o7777, stat.S_IMODE(os.stat(f).st_mode))
os.chmod(d, 0o711)
eq("chmod dir", 0o711, stat.S_IMODE(os.stat(d).st_mode))
os.chmod(d, 0o755)
c0 = os.stat(f).st_ctime_ns
time.sleep(0.01)
os.chown(f, 1000, 1000)
st = os.stat(f)
eq("chown as root", (1000, 1000), (st.st_uid, st.st_gid))
eq("chown clears set-user-ID and set-group-ID", 0o1777, stat.S_IMODE(st.st_mode))
eq("chown moves ctime", True, st.st_ctime_ns > c0)
os.chown(f, -1, 2000)
eq("chown group only", (1000, 2000), (os.stat(f).st_uid, os.stat(f).st_gid))
os.chmod(f, 0o644)

# utimens: nanosecond precision, UTIME_NOW, UTIME_OMIT
os.utime(f, ns=(1_000_000_001_123_456_789, 981_173_106_987_654_321))
st = os.stat(f)
eq("utimens atime ns", 1_000_000_001_123_456_789, st.st_atime_ns)
eq("utimens mtime ns", 981_173_106_987_654_321, st.st_mtime_ns)
os.utime(f, ns=(-1_000_000_000, 0))
eq("utimens before 1970", (-1_000_000_000, 0), (os.stat(f).st_atime_ns, os.stat(f).st_mtime_ns))
t0 = time.time_ns()
os.utime(f)
st = os.stat(f)
if not (t0 - 2_000_000_000 <= st.st_mtime_ns <= time.time_ns() + 2_000_000_000):
    fail(f"utime now: mtime {st.st_mtime_ns} not near {t0}")
ok("utimens UTIME_NOW")
m0 = st.st_mtime_ns
time.sleep(0.02)
with open(f, "r+b") as x:
    x.write(b"DA")
st = os.stat(f)
eq("write moves mtime", True, st.st_mtime_ns > m0)
eq("write moves ctime", True, st.st_ctime_ns > m0)
n0 = os.stat(d).st_mtime_ns
time.sleep(0.02)
os.close(os.open(os.path.join(d, "new"), os.O_CREAT | os.O_WRONLY, 0o644))
eq("create moves the directory's mtime", True, os.stat(d).st_mtime_ns > n0)

# access as root (default_permissions: the kernel decides; root bypasses r/w, x needs some x bit)
os.chmod(f, 0o000)
eq("access R_OK|W_OK as root on mode 000", True, os.access(f, os.R_OK | os.W_OK))
eq("access X_OK as root on mode 000", False, os.access(f, os.X_OK))
os.chmod(f, 0o010)
eq("access X_OK as root with one x bit", True, os.access(f, os.X_OK))
eq("access F_OK", True, os.access(f, os.F_OK))
eq("access F_OK missing", False, os.access(os.path.join(d, "missing"), os.F_OK))
os.chmod(f, 0o644)

# statfs
s = os.statvfs(mnt)
eq("statvfs f_bsize", 4096, s.f_bsize)
eq("statvfs f_frsize", 4096, s.f_frsize)
eq("statvfs f_namemax", 255, s.f_namemax)
if not (0 < s.f_bfree <= s.f_blocks and s.f_bavail <= s.f_bfree and 0 < s.f_ffree <= s.f_files):
    fail(f"statvfs numbers: {s}")
ok("statvfs numbers are consistent")
eq("statvfs: the metadata reserve is free but not available", True, s.f_bavail < s.f_bfree)
eq("statvfs on a file in it", s.f_blocks, os.statvfs(f).f_blocks)
before = os.statvfs(mnt).f_bfree
with open(os.path.join(d, "big"), "wb") as x:
    x.write(b"\1" * (4 << 20))
eq("statvfs: 4 MiB written uses 1024 blocks", 1024, before - os.statvfs(mnt).f_bfree)
fi = os.statvfs(mnt).f_ffree
os.mkdir(os.path.join(d, "more"))
eq("statvfs: mkdir uses one inode", fi - 1, os.statvfs(mnt).f_ffree)
os.unlink(os.path.join(d, "big"))
eq("statvfs: unlink frees the blocks", before, os.statvfs(mnt).f_bfree)

# fsync, fdatasync, flush (close), O_SYNC, directory fsync
fd = os.open(f, os.O_RDWR | os.O_SYNC)
os.write(fd, b"sync")
os.fsync(fd)
os.fdatasync(fd)
ok("fsync and fdatasync")
fd2 = os.dup(fd)
os.close(fd)
os.write(fd2, b"!")
os.close(fd2)
ok("flush of a dup'ed fd, then write through the other")
eq("content after fsync and close", b"sync!", open(f, "rb").read())
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
os.fsync(dfd)
os.close(dfd)
ok("fsync of a directory")
os.sync()
ok("sync(2)")

# another user: the kernel checks modes (default_permissions), needs allow_other to reach the mount
os.mkdir(os.path.join(d, "mine"))
os.chown(os.path.join(d, "mine"), 1000, 1000)
rf = os.path.join(d, "rootf")
with open(rf, "wb") as x:
    x.write(b"root's")
os.chmod(rf, 0o644)
for n, mode in (("su", 0o6755), ("su2", 0o4755)):
    with open(os.path.join(d, "mine", n), "wb") as x:
        x.write(b"x")
    os.chown(os.path.join(d, "mine", n), 1000, 1000)
    os.chmod(os.path.join(d, "mine", n), mode)
if os.fork() == 0:
    code = 0
    try:
        os.setgroups([])
        os.setgid(1000)
        os.setuid(1000)
        g = os.path.join(d, "g")
        try:
            open(rf, "r+b")
            print("FAIL uid 1000 opened a root 0644 file for writing", flush=True)
            code = 1
        except PermissionError:
            print("OK uid 1000: write to root's 0644 file -> EACCES", flush=True)
        if open(rf, "rb").read() != b"root's":
            print("FAIL uid 1000 could not read a 0644 file", flush=True)
            code = 1
        else:
            print("OK uid 1000: read of a 0644 file", flush=True)
        try:
            os.mkdir(os.path.join(d, "x"))
            print("FAIL uid 1000 created in root's 0755 dir", flush=True)
            code = 1
        except PermissionError:
            print("OK uid 1000: mkdir in root's 0755 dir -> EACCES", flush=True)
        try:
            os.chmod(rf, 0o777)
            print("FAIL uid 1000 chmod'ed root's file", flush=True)
            code = 1
        except PermissionError:
            print("OK uid 1000: chmod of root's file -> EPERM", flush=True)
        with open(os.path.join(d, "mine", "m"), "wb") as x:
            x.write(b"m")
        st = os.stat(os.path.join(d, "mine", "m"))
        if (st.st_uid, st.st_gid) != (1000, 1000):
            print(f"FAIL uid 1000 created a file owned by {st.st_uid}:{st.st_gid}", flush=True)
            code = 1
        else:
            print("OK uid 1000: its new file is 1000:1000", flush=True)
        with open(os.path.join(d, "mine", "su"), "r+b") as x:
            x.write(b"y")
        m = stat.S_IMODE(os.stat(os.path.join(d, "mine", "su")).st_mode)
        if m != 0o755:
            print(f"FAIL a write by the owner left mode {oct(m)} (set-user-ID not cleared)", flush=True)
            code = 1
        else:
            print("OK uid 1000: a write clears set-user-ID/set-group-ID", flush=True)
        os.truncate(os.path.join(d, "mine", "su2"), 0)
        m = stat.S_IMODE(os.stat(os.path.join(d, "mine", "su2")).st_mode)
        if m != 0o755:
            print(f"FAIL a truncate by the owner left mode {oct(m)}", flush=True)
            code = 1
        else:
            print("OK uid 1000: truncate clears set-user-ID", flush=True)
        try:
            os.utime(rf, ns=(1, 1))
            print("FAIL uid 1000 set times on root's file", flush=True)
            code = 1
        except PermissionError:
            print("OK uid 1000: utimens with times on root's file -> EPERM", flush=True)
    except BaseException as e:
        print("FAIL uid 1000:", repr(e), flush=True)
        code = 1
    os._exit(code)

_, status = os.wait()
if status != 0:
    fail("the uid 1000 checks failed")
print("DONE")
