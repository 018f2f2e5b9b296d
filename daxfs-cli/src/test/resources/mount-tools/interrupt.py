"""FUSE INTERRUPT: a signal to a process in a long copy_file_range through the mount stops the
copy on the server at its next step, and the call returns what was copied so far (a short
count), with those bytes right; the mount goes on working afterwards."""
import os
import shutil
import signal

from common import eq, ok, workdir

d = workdir("interrupt")
SIZE = 192 << 20
src = os.path.join(d, "src")
dst = os.path.join(d, "dst")
block = bytes((i * 7 + 3) & 0xFF for i in range(1 << 20))
with open(src, "wb") as f:
    for i in range(SIZE >> 20):
        f.write(block)

# A signal every 2 ms while the copy runs: each interrupted attempt either copied something
# (a short count, which is returned) or nothing (EINTR, which Python retries).
signal.signal(signal.SIGALRM, lambda *a: None)
fi = os.open(src, os.O_RDONLY)
fo = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
signal.setitimer(signal.ITIMER_REAL, 0.002, 0.002)
try:
    n = os.copy_file_range(fi, fo, SIZE, 0, 0)
finally:
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
os.close(fi)
os.close(fo)
if not 0 < n < SIZE:
    raise SystemExit(f"FAIL an interrupted copy_file_range: copied {n} of {SIZE} bytes (the server did not stop)")
ok(f"a signal stops copy_file_range on the server: {n >> 20} of {SIZE >> 20} MiB copied")
eq("the short copy's size", n, os.stat(dst).st_size)
with open(dst, "rb") as f:
    pos = 0
    while pos < n:
        chunk = f.read(min(1 << 20, n - pos))
        if chunk != block[:len(chunk)]:
            raise SystemExit(f"FAIL copied bytes wrong at {pos}")
        pos += len(chunk)
ok("the bytes copied before the interrupt are right")
# The rest, without signals: the server is not left interrupted.
fi = os.open(src, os.O_RDONLY)
fo = os.open(dst, os.O_WRONLY)
m = os.copy_file_range(fi, fo, SIZE - n, n, n)
os.close(fi)
os.close(fo)
eq("a later copy runs to the end", SIZE - n, m)
shutil.rmtree(d)
print("DONE")
