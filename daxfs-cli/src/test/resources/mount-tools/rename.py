"""rename(2) and renameat2 flags (NOREPLACE, EXCHANGE) through libc, with the errno of each failure."""
import errno
import os

from common import eq, err, ok, renameat2, workdir

RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4
d = workdir("rename")
p = lambda *n: os.path.join(d, *n)


def put(path, data):
    with open(path, "wb") as f:
        f.write(data)


def get(path):
    with open(path, "rb") as f:
        return f.read()


put(p("a"), b"AAA")
put(p("b"), b"BBBB")
ino_a = os.stat(p("a")).st_ino
os.rename(p("a"), p("c"))
eq("rename moves the inode", ino_a, os.stat(p("c")).st_ino)
eq("rename: old name gone", False, os.path.exists(p("a")))
os.rename(p("c"), p("b"))
eq("rename replaces the target", b"AAA", get(p("b")))
eq("replaced target: one name left", ["b"], sorted(os.listdir(d)))
err("rename missing", errno.ENOENT, os.rename, p("a"), p("z"))
os.rename(p("b"), p("b"))
eq("rename onto itself is a no-op", b"AAA", get(p("b")))

# NOREPLACE
put(p("x"), b"x")
err("RENAME_NOREPLACE onto existing", errno.EEXIST, renameat2, p("x"), p("b"), RENAME_NOREPLACE)
eq("NOREPLACE failure leaves both", (b"x", b"AAA"), (get(p("x")), get(p("b"))))
renameat2(p("x"), p("y"), RENAME_NOREPLACE)
eq("RENAME_NOREPLACE to a free name", (False, b"x"), (os.path.exists(p("x")), get(p("y"))))

# EXCHANGE of files, and of a file with a directory
ib, iy = os.stat(p("b")).st_ino, os.stat(p("y")).st_ino
renameat2(p("b"), p("y"), RENAME_EXCHANGE)
eq("RENAME_EXCHANGE swaps contents", (b"x", b"AAA"), (get(p("b")), get(p("y"))))
eq("RENAME_EXCHANGE swaps inodes", (iy, ib), (os.stat(p("b")).st_ino, os.stat(p("y")).st_ino))
err("RENAME_EXCHANGE with a missing target", errno.ENOENT, renameat2, p("b"), p("nope"), RENAME_EXCHANGE)
err("RENAME_EXCHANGE|NOREPLACE", errno.EINVAL, renameat2, p("b"), p("y"), RENAME_EXCHANGE | RENAME_NOREPLACE)
os.mkdir(p("dir"))
put(p("dir", "inner"), b"inner")
renameat2(p("b"), p("dir"), RENAME_EXCHANGE)
eq("EXCHANGE file<->dir: dir now at b", b"inner", get(p("b", "inner")))
eq("EXCHANGE file<->dir: file now at dir", b"x", get(p("dir")))
renameat2(p("b"), p("dir"), RENAME_EXCHANGE)

# directories
os.mkdir(p("d2"))
put(p("d2", "f"), b"f")
os.mkdir(p("empty"))
err("rename dir into its own child", errno.EINVAL, os.rename, p("dir"), p("dir", "sub"))
os.mkdir(p("dir", "sub"))
err("rename dir into its grandchild", errno.EINVAL, os.rename, p("dir"), p("dir", "sub", "x"))
err("rename dir over non-empty dir", errno.ENOTEMPTY, os.rename, p("dir"), p("d2"))
err("rename dir over a file", errno.ENOTDIR, os.rename, p("dir"), p("b"))
err("rename file over a dir", errno.EISDIR, os.rename, p("b"), p("dir"))
nl = os.stat(d).st_nlink
os.rename(p("dir"), p("empty"))
eq("rename dir over empty dir", b"inner", get(p("empty", "inner")))
eq("parent nlink after replacing a dir", nl - 1, os.stat(d).st_nlink)
os.rename(p("empty", "sub"), p("d2", "sub"))
eq("cross-directory move of a dir: '..' follows", os.stat(p("d2")).st_ino, os.stat(p("d2", "sub", "..")).st_ino)
eq("nlink of new parent", 3, os.stat(p("d2")).st_nlink)
eq("nlink of old parent", 2, os.stat(p("empty")).st_nlink)
os.rename(p("y"), p("d2", "sub", "y"))
eq("cross-directory move of a file", b"AAA", get(p("d2", "sub", "y")))
err("RENAME_WHITEOUT (no whiteouts)", errno.EINVAL, renameat2, p("b"), p("w"), RENAME_WHITEOUT)
# EXCHANGE of directories in different parents: '..' and parent link counts follow
os.makedirs(p("p1", "d1", "x"))
os.makedirs(p("p2", "d2"))
renameat2(p("p1", "d1"), p("p2", "d2"), RENAME_EXCHANGE)
eq("EXCHANGE dirs across parents: contents swap", (False, True),
   (os.path.exists(p("p1", "d1", "x")), os.path.exists(p("p2", "d2", "x"))))
eq("EXCHANGE dirs across parents: '..' of each", (os.stat(p("p1")).st_ino, os.stat(p("p2")).st_ino),
   (os.stat(p("p1", "d1", "..")).st_ino, os.stat(p("p2", "d2", "..")).st_ino))
os.makedirs(p("q1", "dir"))
os.mkdir(p("q2"))
put(p("q2", "file"), b"q")
renameat2(p("q1", "dir"), p("q2", "file"), RENAME_EXCHANGE)
eq("EXCHANGE dir<->file across parents: parent nlinks", (2, 3), (os.stat(p("q1")).st_nlink, os.stat(p("q2")).st_nlink))
eq("EXCHANGE dir<->file across parents: '..' follows", os.stat(p("q2")).st_ino, os.stat(p("q2", "file", "..")).st_ino)
eq("EXCHANGE dir<->file across parents: file moved", b"q", get(p("q1", "dir")))
for x in ("p1/d1", "p1", "p2/d2/x", "p2/d2", "p2", "q2/file", "q2"):
    os.rmdir(p(x))
os.unlink(p("q1", "dir"))
os.rmdir(p("q1"))

# rename over a file that is open: the old target lives on through its fd
put(p("new"), b"N" * 100_000)
put(p("old"), b"O" * 200_000)
fd = os.open(p("old"), os.O_RDWR)
os.rename(p("new"), p("old"))
eq("replaced target: fd sees nlink 0", 0, os.fstat(fd).st_nlink)
eq("replaced target: fd still reads the old data", (b"OOO", 200_000), (os.pread(fd, 3, 0), os.fstat(fd).st_size))
os.pwrite(fd, b"x", 0)
os.close(fd)
eq("replaced target: the name has the new data", (b"NNN", 100_000), (get(p("old"))[:3], os.stat(p("old")).st_size))
os.unlink(p("old"))

# hard links to one inode: rename one onto the other is a no-op (both names stay)
os.link(p("b"), p("b2"))
os.rename(p("b"), p("b2"))
eq("rename between hard links of one inode keeps both", (True, True), (os.path.exists(p("b")), os.path.exists(p("b2"))))
eq("done listing", ["b", "b2", "d2", "empty"], sorted(os.listdir(d)))
print("DONE")
