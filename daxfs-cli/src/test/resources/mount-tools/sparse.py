"""truncate, fallocate (default, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE) and lseek SEEK_DATA/SEEK_HOLE, with errno."""
import errno
import os

from common import eq, err, fallocate, ok, pattern, workdir

KEEP, PUNCH, ZERO, COLLAPSE, INSERT = 1, 2, 0x10, 8, 0x20
K, M = 1024, 1 << 20
d = workdir("sparse")
f = os.path.join(d, "s")
fd = os.open(f, os.O_CREAT | os.O_RDWR, 0o644)


def blocks():
    return os.fstat(fd).st_blocks


# a sparse file: data at [1M, 1M+64K) and [4M-4K, 4M), nothing else
os.ftruncate(fd, 8 * M)
eq("ftruncate grows", 8 * M, os.fstat(fd).st_size)
eq("grown file has no blocks", 0, blocks())
err("SEEK_DATA in an all-hole file", errno.ENXIO, os.lseek, fd, 0, os.SEEK_DATA)
eq("SEEK_HOLE in an all-hole file", 0, os.lseek(fd, 0, os.SEEK_HOLE))
a = pattern(64 * K, 3)
b = pattern(4 * K, 4)
os.pwrite(fd, a, 1 * M)
os.pwrite(fd, b, 4 * M - 4 * K)
eq("blocks: 68 KiB allocated (512-byte units)", 68 * K // 512, blocks())
eq("SEEK_DATA from 0", 1 * M, os.lseek(fd, 0, os.SEEK_DATA))
eq("SEEK_HOLE from 1M", 1 * M + 64 * K, os.lseek(fd, 1 * M, os.SEEK_HOLE))
eq("SEEK_DATA inside data", 1 * M + 4 * K, os.lseek(fd, 1 * M + 4 * K, os.SEEK_DATA))
eq("SEEK_DATA after first extent", 4 * M - 4 * K, os.lseek(fd, 1 * M + 64 * K, os.SEEK_DATA))
eq("SEEK_HOLE after last extent", 4 * M, os.lseek(fd, 4 * M - 4 * K, os.SEEK_HOLE))
err("SEEK_DATA past the last extent", errno.ENXIO, os.lseek, fd, 4 * M, os.SEEK_DATA)
eq("SEEK_HOLE inside a hole is the offset", 8 * M - 1, os.lseek(fd, 8 * M - 1, os.SEEK_HOLE))
err("SEEK_DATA at EOF", errno.ENXIO, os.lseek, fd, 8 * M, os.SEEK_DATA)
err("SEEK_HOLE at EOF", errno.ENXIO, os.lseek, fd, 8 * M, os.SEEK_HOLE)
err("SEEK_HOLE past EOF", errno.ENXIO, os.lseek, fd, 9 * M, os.SEEK_HOLE)
eq("hole reads zeros", bytes(64 * K), os.pread(fd, 64 * K, 2 * M))
eq("data reads back", a, os.pread(fd, 64 * K, 1 * M))
eq("read spanning hole and data", bytes(4 * K) + a[:4 * K], os.pread(fd, 8 * K, 1 * M - 4 * K))

# punch a hole in the middle of the first extent
fallocate(fd, PUNCH | KEEP, 1 * M + 16 * K, 16 * K)
eq("punch: size unchanged", 8 * M, os.fstat(fd).st_size)
eq("punch: 16 KiB freed", (68 - 16) * K // 512, blocks())
eq("punch: range reads zeros", bytes(16 * K), os.pread(fd, 16 * K, 1 * M + 16 * K))
eq("punch: neighbours intact", (a[:16 * K], a[32 * K:]),
   (os.pread(fd, 16 * K, 1 * M), os.pread(fd, 32 * K, 1 * M + 32 * K)))
eq("punch: SEEK_HOLE finds it", 1 * M + 16 * K, os.lseek(fd, 1 * M, os.SEEK_HOLE))
eq("punch: SEEK_DATA after it", 1 * M + 32 * K, os.lseek(fd, 1 * M + 16 * K, os.SEEK_DATA))
fallocate(fd, PUNCH | KEEP, 1 * M + 100, 200)
eq("unaligned punch zeroes the bytes", bytes(200), os.pread(fd, 200, 1 * M + 100))
eq("unaligned punch keeps the rest of the block", (a[:100], a[300:4096]),
   (os.pread(fd, 100, 1 * M), os.pread(fd, 4096 - 300, 1 * M + 300)))
err("PUNCH_HOLE without KEEP_SIZE", errno.EOPNOTSUPP, fallocate, fd, PUNCH, 0, 4096)

# the kernel's FUSE passes only KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE on
err("COLLAPSE_RANGE", errno.EOPNOTSUPP, fallocate, fd, COLLAPSE, 0, 4096)
err("INSERT_RANGE", errno.EOPNOTSUPP, fallocate, fd, INSERT, 0, 4096)

# zero range
fallocate(fd, ZERO | KEEP, 1 * M + 40 * K, 8 * K)
eq("zero range reads zeros", bytes(8 * K), os.pread(fd, 8 * K, 1 * M + 40 * K))
eq("zero range keeps neighbours", (a[32 * K:40 * K], a[48 * K:]),
   (os.pread(fd, 8 * K, 1 * M + 32 * K), os.pread(fd, 16 * K, 1 * M + 48 * K)))
fallocate(fd, ZERO, 8 * M, 1 * M)
eq("zero range past EOF grows the file", 9 * M, os.fstat(fd).st_size)
fallocate(fd, ZERO | KEEP, 9 * M, 1 * M)
eq("zero range KEEP_SIZE past EOF keeps size", 9 * M, os.fstat(fd).st_size)

# default allocation and KEEP_SIZE
b0 = blocks()
fallocate(fd, 0, 6 * M, 256 * K)
eq("fallocate: blocks allocated", b0 + 256 * K // 512, blocks())
eq("fallocate: reads zeros", bytes(256 * K), os.pread(fd, 256 * K, 6 * M))
eq("fallocate inside: size unchanged", 9 * M, os.fstat(fd).st_size)
fallocate(fd, 0, 9 * M + 4 * K, 4 * K)
eq("fallocate past EOF grows", 9 * M + 8 * K, os.fstat(fd).st_size)
b1 = blocks()
fallocate(fd, KEEP, 12 * M, 64 * K)
eq("fallocate KEEP_SIZE: size unchanged", 9 * M + 8 * K, os.fstat(fd).st_size)
eq("fallocate KEEP_SIZE: blocks beyond EOF", b1 + 64 * K // 512, blocks())
err("fallocate len 0", errno.EINVAL, fallocate, fd, 0, 0, 0)
err("fallocate negative offset", errno.EINVAL, fallocate, fd, 0, -4096, 4096)
err("fallocate on a read-only fd", errno.EBADF, fallocate, os.open(f, os.O_RDONLY), 0, 0, 4096)

# truncate: shrink and grow, content and blocks
os.ftruncate(fd, 1 * M + 10)
eq("shrink: size", 1 * M + 10, os.fstat(fd).st_size)
eq("shrink: tail kept", a[:10], os.pread(fd, 100, 1 * M))
os.ftruncate(fd, 2 * M)
eq("grow after shrink: old tail reads zeros", a[:10] + bytes(4086), os.pread(fd, 4096, 1 * M))
eq("shrink freed blocks past EOF (KEEP_SIZE ones too)", 4096 // 512, blocks())
os.truncate(f, 0)
eq("truncate to 0", (0, 0), (os.fstat(fd).st_size, blocks()))
err("truncate negative", errno.EINVAL, os.truncate, f, -1)
err("ftruncate on a read-only fd", errno.EINVAL, os.ftruncate, os.open(f, os.O_RDONLY), 10)
err("truncate a directory", errno.EISDIR, os.truncate, d, 0)
os.close(fd)
print("DONE")
