"""A directory of N entries: create, scandir/listdir complete and duplicate-free, stat of each, delete, rmdir."""
import os
import stat
import sys

from common import eq, fail, ok

d = os.path.join(sys.argv[1], sys.argv[2])
n = int(sys.argv[3])
names = ["f%05d" % i for i in range(n)]
os.mkdir(d)
for name in names:
    os.close(os.open(os.path.join(d, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
ok(f"created {n} files")
listed = os.listdir(d)
eq("listdir count", n, len(listed))
eq("listdir: no duplicates, all names", sorted(names), sorted(listed))
inos = {}
with os.scandir(d) as it:
    for e in it:
        if not e.is_file(follow_symlinks=False):
            fail(f"scandir type of {e.name}")
        inos[e.name] = e.inode()
eq("scandir count", n, len(inos))
eq("scandir inode numbers match stat", True, all(os.lstat(os.path.join(d, k)).st_ino == v for k, v in inos.items()))
eq("scandir inode numbers distinct", n, len(set(inos.values())))
eq("second listing identical order", listed, os.listdir(d))
print("DONE")
