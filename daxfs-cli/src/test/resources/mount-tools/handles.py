"""File handles: name_to_handle_at, then open_by_handle_at (also after a remount, when the
kernel has no inode cached and asks the server for the node by number).

  handles.py MNT save FILE   handles of MNT/h/file, MNT/h/dir and MNT/h/gone into FILE; gone is deleted
  handles.py MNT open FILE   open each by handle: file and dir as before, gone fails with ESTALE
"""
import ctypes
import errno
import os
import sys

from common import eq, fail, ok

libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
MAX = 128


class FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * MAX)]


def handle_of(path):
    fh = FileHandle()
    fh.handle_bytes = MAX
    mount_id = ctypes.c_int()
    if libc.name_to_handle_at(AT_FDCWD, os.fsencode(path), ctypes.byref(fh), ctypes.byref(mount_id), 0) != 0:
        e = ctypes.get_errno()
        fail(f"name_to_handle_at {path}: {errno.errorcode.get(e, e)}")
    return fh.handle_type, bytes(fh.f_handle[:fh.handle_bytes])


def open_by(mnt, kind, data, flags):
    fh = FileHandle()
    fh.handle_bytes = len(data)
    fh.handle_type = kind
    ctypes.memmove(fh.f_handle, data, len(data))
    mfd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = libc.open_by_handle_at(mfd, ctypes.byref(fh), flags)
        return fd, (ctypes.get_errno() if fd < 0 else 0)
    finally:
        os.close(mfd)


mnt, what, store = sys.argv[1], sys.argv[2], sys.argv[3]
h = os.path.join(mnt, "h")
if what == "save":
    os.mkdir(h)
    with open(os.path.join(h, "file"), "wb") as f:
        f.write(b"handle me")
    os.mkdir(os.path.join(h, "dir"))
    with open(os.path.join(h, "gone"), "wb") as f:
        f.write(b"x")
    handles = {name: handle_of(os.path.join(h, name)) for name in ("file", "dir", "gone")}
    with open(store, "w") as out:
        for name, (kind, data) in handles.items():
            out.write(f"{name} {kind} {data.hex()}\n")
    os.unlink(os.path.join(h, "gone"))
    fd, e = open_by(mnt, *handles["file"], os.O_RDONLY)
    if fd < 0:
        fail(f"open_by_handle_at before the remount: {errno.errorcode.get(e, e)}")
    eq("open_by_handle_at reads the file", b"handle me", os.read(fd, 100))
    os.close(fd)
else:
    handles = {n: (int(k), bytes.fromhex(d)) for n, k, d in (l.split() for l in open(store))}
    fd, e = open_by(mnt, *handles["file"], os.O_RDONLY)
    if fd < 0:
        fail(f"open_by_handle_at of the file after a remount: {errno.errorcode.get(e, e)}")
    eq("after a remount the handle opens the same file", b"handle me", os.read(fd, 100))
    os.close(fd)
    fd, e = open_by(mnt, *handles["dir"], os.O_RDONLY | os.O_DIRECTORY)
    if fd < 0:
        fail(f"open_by_handle_at of the directory after a remount: {errno.errorcode.get(e, e)}")
    eq("the directory handle opens the directory", [], os.listdir(fd))
    os.close(fd)
    fd, e = open_by(mnt, *handles["gone"], os.O_RDONLY)
    if fd >= 0:
        os.close(fd)
        fail("a handle of a deleted file opened something")
    eq("a handle of a deleted file is ESTALE", errno.ESTALE, e)
ok("handles")
print("DONE")
