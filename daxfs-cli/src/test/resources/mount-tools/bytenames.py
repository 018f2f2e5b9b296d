"""Names are bytes: any byte but '/' and NUL, stored, compared and listed exactly (not only UTF-8)."""
import errno
import os

from common import eq, err, ok, workdir

d = os.fsencode(workdir("bytenames"))


def path(name):
    return os.path.join(d, name)


def write(name, data):
    fd = os.open(path(name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    os.write(fd, data)
    os.close(fd)


def read(name):
    fd = os.open(path(name), os.O_RDONLY)
    try:
        return os.read(fd, 100)
    finally:
        os.close(fd)


# Two names that differ only in bytes that are not UTF-8 are two files (a decoder that turns
# both into U+FFFD would make them one).
write(b"a\xff", b"one")
write(b"a\xfe", b"two")
write(b"a\xef\xbf\xbd", b"three")  # the UTF-8 bytes of U+FFFD itself: a third name
eq("three distinct names listed exactly", sorted([b"a\xff", b"a\xfe", b"a\xef\xbf\xbd"]), sorted(os.listdir(d)))
eq("a\\xff holds its own data", b"one", read(b"a\xff"))
eq("a\\xfe holds its own data", b"two", read(b"a\xfe"))
eq("a + U+FFFD holds its own data", b"three", read(b"a\xef\xbf\xbd"))

# Byte sequences that a lenient decoder mangles: overlong '/', a UTF-8 encoded surrogate, a
# truncated sequence, Latin-1, and valid UTF-8 that must stay as it is.
odd = [b"\xc0\xaf", b"\xed\xb2\x80", b"caf\xc3", b"caf\xe9", "café".encode(), b"\xf4\x90\x80\x80", b"\x80\x80"]
for n in odd:
    write(n, n)
for n in odd:
    eq(f"{n!r} reads back under its own name", n, read(n))
listed = set(os.listdir(d))
eq("every odd name listed exactly", True, all(n in listed for n in odd))

# rename, link, unlink and mkdir with such names.
os.rename(path(b"a\xff"), path(b"b\xff\x01"))
eq("renamed to a byte name", b"one", read(b"b\xff\x01"))
err("old byte name gone", errno.ENOENT, os.stat, path(b"a\xff"))
os.link(path(b"a\xfe"), path(b"\xfe\xfe"))
eq("hard link under a byte name", 2, os.stat(path(b"\xfe\xfe")).st_nlink)
os.mkdir(path(b"dir\x80"))
write(b"dir\x80/in\x81", b"nested")
eq("file in a directory with a byte name", b"nested", read(b"dir\x80/in\x81"))

# Symlink targets are bytes too.
os.symlink(b"../t\xff\xfe/x", path(b"l\xff"))
eq("readlink returns the target's bytes", b"../t\xff\xfe/x", os.readlink(path(b"l\xff")))

# The 255-byte limit counts bytes.
write(b"\xff" * 255, b"long")
eq("a name of 255 non-UTF-8 bytes", b"long", read(b"\xff" * 255))
err("a name of 256 bytes", errno.ENAMETOOLONG, os.open, path(b"\xff" * 256), os.O_CREAT | os.O_WRONLY, 0o644)
ok("byte names")
print("DONE")
