"""Special files through the mount: a FIFO carries data between two processes, a Unix socket
bound on the mount accepts a connection, device nodes keep their type and device number, and
all of them list with their type and go with unlink."""
import os
import socket
import stat

from common import eq, ok, workdir

d = workdir("specials")

fifo = os.path.join(d, "fifo")
os.mkfifo(fifo, 0o640)
st = os.lstat(fifo)
eq("mkfifo: a FIFO", True, stat.S_ISFIFO(st.st_mode))
eq("mkfifo: its permissions", 0o640, stat.S_IMODE(st.st_mode))
pid = os.fork()
if pid == 0:
    with open(fifo, "wb") as w:
        w.write(b"through the pipe")
    os._exit(0)
with open(fifo, "rb") as r:
    got = r.read()
os.waitpid(pid, 0)
eq("a FIFO on the mount carries data between processes", b"through the pipe", got)

path = os.path.join(d, "sock")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
eq("bind: a socket file", True, stat.S_ISSOCK(os.lstat(path).st_mode))
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(path)
conn, _ = server.accept()
client.sendall(b"hello")
eq("a Unix socket bound on the mount accepts a connection", b"hello", conn.recv(5))
for s in (conn, client, server):
    s.close()

null = os.path.join(d, "null")
os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
st = os.lstat(null)
eq("mknod: a character device", True, stat.S_ISCHR(st.st_mode))
eq("its device number", (1, 3), (os.major(st.st_rdev), os.minor(st.st_rdev)))
blk = os.path.join(d, "blk")
os.mknod(blk, 0o660 | stat.S_IFBLK, os.makedev(8, 17))
st = os.lstat(blk)
eq("mknod: a block device", True, stat.S_ISBLK(st.st_mode))
eq("its device number", (8, 17), (os.major(st.st_rdev), os.minor(st.st_rdev)))

eq("all four listed", ["blk", "fifo", "null", "sock"], sorted(os.listdir(d)))
types = {e.name: stat.S_IFMT(e.stat(follow_symlinks=False).st_mode) for e in os.scandir(d)}
eq("listed with their types", {"blk": stat.S_IFBLK, "fifo": stat.S_IFIFO, "null": stat.S_IFCHR,
                               "sock": stat.S_IFSOCK}, types)
for n in ("blk", "fifo", "null", "sock"):
    os.unlink(os.path.join(d, n))
eq("unlinked", [], os.listdir(d))
ok("special files")
print("DONE")
