"""An unlinked file stays usable through its open fd, leaves no hidden placeholder, and frees its space at close."""
import errno
import os
import time

from common import eq, err, fail, ok, pattern, workdir

mnt = __import__("sys").argv[1]
d = workdir("unlinked")
f = os.path.join(d, "victim")
size = 32 << 20
data = pattern(size, 7)


def free():
    s = os.statvfs(mnt)
    return s.f_bfree


free0 = free()
fd = os.open(f, os.O_CREAT | os.O_RDWR, 0o644)
eq("write 32 MiB", size, os.write(fd, data))
os.fsync(fd)
free1 = free()
if free0 - free1 < size // 4096:
    fail(f"statfs: writing 32 MiB took only {free0 - free1} blocks")
ok("statfs: 32 MiB written takes at least 8192 blocks")
os.unlink(f)
eq("name gone", False, os.path.exists(f))
eq("listing (ls -a) has no placeholder", [], os.listdir(d))
eq("fstat: nlink 0", 0, os.fstat(fd).st_nlink)
eq("fstat: size kept", size, os.fstat(fd).st_size)
eq("read through the fd", data[:1 << 20], os.pread(fd, 1 << 20, 0))
eq("read end through the fd", data[-4096:], os.pread(fd, 4096, size - 4096))
eq("write through the fd", 5, os.pwrite(fd, b"after", size))
eq("fstat: grown by the write", size + 5, os.fstat(fd).st_size)
eq("read back the write", b"after", os.pread(fd, 5, size))
os.ftruncate(fd, size // 2)
eq("ftruncate through the fd", size // 2, os.fstat(fd).st_size)
os.fchmod(fd, 0o600)
os.utime(fd, ns=(1, 2))
st = os.fstat(fd)
eq("fchmod and futimens on the unlinked file", (0o100600, 2, 0), (st.st_mode, st.st_mtime_ns, st.st_nlink))
eq("space not freed while open", True, free() <= free1 + (size // 2) // 4096 + 16)
# a second open of the same inode via /proc/self/fd keeps it alive after the first close
fd2 = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
os.close(fd)
eq("reopen via /proc/self/fd reads", data[:100], os.pread(fd2, 100, 0))
os.close(fd2)
# the release reaches the server asynchronously: poll briefly
deadline = time.time() + 10
while free() < free0 - 16 and time.time() < deadline:
    time.sleep(0.05)
f2 = free()
if f2 < free0 - 16:
    fail(f"statfs: space not back after close: free {f2} blocks, before {free0}")
ok("statfs: space back after the last close")
# same name reused at once gives a fresh file
fd = os.open(f, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
eq("the name is free for a new file", 0, os.fstat(fd).st_size)
os.close(fd)
os.unlink(f)

# a directory removed while open: fstat goes on working (nlink 0), it lists empty, nothing can be made in it
gone = os.path.join(d, "gone")
os.mkdir(gone)
dfd = os.open(gone, os.O_RDONLY | os.O_DIRECTORY)
os.rmdir(gone)
eq("fstat of a removed open directory: nlink 0", 0, os.fstat(dfd).st_nlink)
time.sleep(1.2)  # past the kernel's attribute cache
eq("fstat of a removed open directory, uncached: nlink 0", 0, os.fstat(dfd).st_nlink)
eq("a removed open directory lists empty", [], os.listdir(dfd))
err("create in a removed open directory", errno.ENOENT, os.open, "x", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=dfd)
os.close(dfd)
print("DONE")
