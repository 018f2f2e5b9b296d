"""Shared checks for the mount-tools driver scripts: each prints 'OK <what>' per check and exits 1 on the first failure."""
import ctypes
import errno
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100


def ok(what):
    print("OK", what, flush=True)


def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


def eq(what, expected, actual):
    if expected != actual:
        fail(f"{what}: expected {expected!r}, got {actual!r}")
    ok(what)


def err(what, code, fn, *args, **kw):
    """fn(*args) must raise OSError with errno code."""
    try:
        r = fn(*args, **kw)
    except OSError as e:
        if e.errno != code:
            fail(f"{what}: expected {errno.errorcode[code]}, got {errno.errorcode.get(e.errno, e.errno)} ({e})")
        ok(f"{what} -> {errno.errorcode[code]}")
        return
    fail(f"{what}: expected {errno.errorcode[code]}, but it succeeded ({r!r})")


def renameat2(old, new, flags):
    libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if libc.renameat2(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), old)


def fallocate(fd, mode, off, length):
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    if libc.fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def pattern(n, seed=1):
    """n deterministic bytes."""
    b = bytearray(n)
    x = seed & 0xFFFFFFFF or 1
    for i in range(0, n, 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        b[i:i + 4] = x.to_bytes(4, "little")[: n - i]
    return bytes(b)


def workdir(name):
    """A fresh directory <mnt>/<name> for one script."""
    d = os.path.join(sys.argv[1], name)
    os.mkdir(d)
    return d
