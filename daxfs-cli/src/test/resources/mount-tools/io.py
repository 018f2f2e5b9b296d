"""read/write edge cases: odd offsets and sizes, readv/writev, reads past EOF, copy_file_range, the largest file size."""
import errno
import os

from common import eq, err, ok, pattern, workdir

d = workdir("io")
f = os.path.join(d, "f")
fd = os.open(f, os.O_CREAT | os.O_RDWR, 0o644)
data = pattern(1 << 20, 5)
# write in odd pieces that straddle 4 KiB blocks
pos = 0
for n in (1, 4095, 4097, 3, 12345, 65536, 131071):
    eq(f"pwrite {n} bytes at {pos}", n, os.pwrite(fd, data[pos:pos + n], pos))
    pos += n
eq("size after odd writes", pos, os.fstat(fd).st_size)
eq("read back odd writes", data[:pos], os.pread(fd, pos, 0))
eq("pread past EOF returns nothing", b"", os.pread(fd, 100, pos + 10))
eq("pread straddling EOF is short", data[pos - 7:pos], os.pread(fd, 100, pos - 7))
os.lseek(fd, pos, os.SEEK_SET)
eq("writev", 9, os.writev(fd, [b"abc", b"", b"defghi"]))
os.lseek(fd, pos, os.SEEK_SET)
bufs = [bytearray(4), bytearray(5)]
eq("readv count", 9, os.readv(fd, bufs))
eq("readv contents", (b"abcd", b"efghi"), (bytes(bufs[0]), bytes(bufs[1])))
# a write far beyond EOF leaves a hole
os.pwrite(fd, b"far", 1 << 30)
eq("write at 1 GiB: size", (1 << 30) + 3, os.fstat(fd).st_size)
eq("write at 1 GiB: gap reads zeros", bytes(4096), os.pread(fd, 4096, 1 << 29))
eq("write at 1 GiB: few blocks", True, os.fstat(fd).st_blocks < 2 * (pos // 512) + 64)

# copy_file_range: to another file, and within one file
g = os.path.join(d, "g")
gd = os.open(g, os.O_CREAT | os.O_RDWR, 0o644)
done = 0
while done < pos:
    n = os.copy_file_range(fd, gd, pos - done, done, done)
    if n <= 0:
        break
    done += n
eq("copy_file_range copies all", pos, done)
eq("copy_file_range content", data[:pos], os.pread(gd, pos, 0))
n = os.copy_file_range(gd, gd, 4096, 0, 100_000)
eq("copy_file_range within one file", 4096, n)
eq("copy_file_range within one file: content", data[:4096], os.pread(gd, 4096, 100_000))
eq("copy_file_range past EOF copies nothing", 0, os.copy_file_range(fd, gd, 100, (1 << 30) + 3, 0))
os.close(gd)

# the largest file: 16 TiB (2^32 blocks of 4 KiB)
MAX = 1 << 44
os.ftruncate(fd, MAX)
eq("ftruncate to the maximum size", MAX, os.fstat(fd).st_size)
eq("write the last block", 4096, os.pwrite(fd, b"z" * 4096, MAX - 4096))
eq("read the last block", b"z" * 4096, os.pread(fd, 4096, MAX - 4096))
err("write at the maximum size", errno.EFBIG, os.pwrite, fd, b"z", MAX)
err("ftruncate beyond the maximum size", errno.EFBIG, os.ftruncate, fd, MAX + 4096)
eq("SEEK_DATA finds the last block", MAX - 4096, os.lseek(fd, (1 << 30) + 4096, os.SEEK_DATA))
os.ftruncate(fd, 0)
eq("truncate back to 0 frees everything", 0, os.fstat(fd).st_blocks)
os.close(fd)

# four processes appending at once through O_APPEND: no line lost, none torn
app = os.path.join(d, "app")


def appender(tag):
    afd = os.open(app, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for _ in range(1000):
        os.write(afd, (tag * 99 + "\n").encode())
    os.close(afd)
    os._exit(0)


pids = []
for t in "abcd":
    pid = os.fork()
    if pid == 0:
        appender(t)
    pids.append(pid)
eq("appenders exit 0", [0, 0, 0, 0], [os.waitpid(p, 0)[1] for p in pids])
lines = open(app, "rb").read().split(b"\n")
eq("appends: size", 400_000, os.stat(app).st_size)
eq("appends: no torn line", True, all(len(x) == 99 and len(set(x)) == 1 for x in lines[:-1]) and lines[-1] == b"")
eq("appends: 1000 lines each", [1000] * 4, [sum(1 for x in lines if x[:1] == t.encode()) for t in "abcd"])
print("DONE")
