"""FUSE lookup counts: a number the kernel still holds (here through an open directory fd) is
not given to a new file, so the stale fd cannot reach another file. Needs a fresh image: a new
file takes the lowest reusable number, so the held and loose numbers must be the lowest freed."""
import errno
import os

from common import eq, err, fail, ok, workdir

d = workdir("lifetimes")
held = os.path.join(d, "held")
loose = os.path.join(d, "loose")
os.mkdir(held)
os.mkdir(loose)
held_ino = os.stat(held).st_ino
loose_ino = os.stat(loose).st_ino
fd = os.open(held, os.O_RDONLY | os.O_DIRECTORY)  # the kernel keeps its node while this is open
os.rmdir(held)
os.rmdir(loose)

# Churn: new files come and go, with syncs, until one gets the loose directory's number, which
# shows freed numbers are being reused; none may get the held one.
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
reused = False
for i in range(20000):
    p = os.path.join(d, "c%d" % i)
    os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    ino = os.stat(p).st_ino
    if ino == held_ino:
        fail(f"a new file got inode number {ino}, which an open directory fd still holds")
    os.unlink(p)
    os.fsync(dfd)
    if ino == loose_ino:
        reused = True
        break
eq("a freed number nobody holds is reused", True, reused)
ok("the held number was not reused meanwhile")

# The stale fd reaches nothing: creating through it fails, it does not land in another directory.
err("create through the fd of a deleted directory", errno.ENOENT, os.open, "x", os.O_CREAT | os.O_WRONLY, 0o644,
    dir_fd=fd)
os.close(fd)
os.close(dfd)
print("DONE")
