"""mmap through the mount: read a file's pages, write through a shared mapping + msync, read back from another process."""
import mmap
import os
import subprocess
import sys

from common import eq, ok, pattern, workdir

d = workdir("mmap")
f = os.path.join(d, "m")
n = 3 * (1 << 20) + 123
data = pattern(n, 11)
with open(f, "wb") as x:
    x.write(data)
fd = os.open(f, os.O_RDWR)
m = mmap.mmap(fd, n, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
eq("mmap read equals file", data, m[:])
m[0:5] = b"HELLO"
m[n - 3:n] = b"END"
m[1 << 20:(1 << 20) + 4096] = b"\x5a" * 4096
m.flush()
ok("msync")
expect = b"HELLO" + data[5:1 << 20] + b"\x5a" * 4096 + data[(1 << 20) + 4096:n - 3] + b"END"
eq("read(2) in this process sees the mapped writes", expect, os.pread(fd, n, 0))
other = subprocess.run([sys.executable, "-c", "import sys;sys.stdout.buffer.write(open(sys.argv[1],'rb').read())", f],
                       capture_output=True, check=True).stdout
eq("another process reads the mapped writes", expect, other)
os.pwrite(fd, b"viaWrite", 100)
eq("write(2) is visible through the mapping", b"viaWrite", m[100:108])
m.close()
os.close(fd)
# a mapping past EOF after growing with ftruncate
fd = os.open(f, os.O_RDWR)
os.ftruncate(fd, n + 8192)
m = mmap.mmap(fd, n + 8192)
eq("grown tail maps as zeros", bytes(8192), m[n:n + 8192])
m[n + 8000:n + 8192] = b"t" * 192
m.flush()
m.close()
os.close(fd)
with open(f, "rb") as x:
    x.seek(n + 8000)
    eq("tail write reached the file", b"t" * 192, x.read())
# a private mapping's writes stay private
fd = os.open(f, os.O_RDONLY)
m = mmap.mmap(fd, 4096, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:5] = b"privy"
m.close()
os.close(fd)
eq("MAP_PRIVATE writes are not written back", b"HELLO", open(f, "rb").read(5))
print("DONE")
