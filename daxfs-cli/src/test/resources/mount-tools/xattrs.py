"""Extended attributes (user., trusted., security.) and POSIX ACLs through the mount: set, get,
list, remove and their errnos; sizes at the 64 KiB limit; byte names and values; ACLs set with
setfacl, enforced by the kernel for a second user, rewritten by chmod, inherited from default
ACLs instead of the umask; and the umask applied by the file system where there is no default ACL."""
import ctypes
import errno
import os
import shutil
import stat
import subprocess
import sys

from common import eq, err, fail, libc, ok, workdir

for tool in ("setfacl", "getfacl"):
    if shutil.which(tool) is None:
        fail(f"{tool} is not installed (package acl): run scripts/setup-fuse")

d = workdir("xattrs")
f = os.path.join(d, "f")
with open(f, "wb") as x:
    x.write(b"data")


def mode(p):
    return stat.S_IMODE(os.stat(p, follow_symlinks=False).st_mode)


def sh(*cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}: {r.stdout.decode(errors='replace')}")
    return r.stdout.decode()


def acl_entries(p, default=False):
    """getfacl's entries (no comments), e.g. ['user::rw-', 'user:1000:rw-', ...]."""
    out = sh("getfacl", "-n", "-c", "-p", "-d" if default else "-a", p)
    return [line.split("\t")[0] for line in out.splitlines() if line and not line.startswith("#")]


# ---------------------------------------------------------------- set, get, list, remove

for ns in ("user.", "trusted.", "security."):
    os.setxattr(f, ns + "a", b"value of " + ns.encode())
    eq(f"{ns}: get", b"value of " + ns.encode(), os.getxattr(f, ns + "a"))
names = os.listxattr(f)
eq("list holds the three", True, {"user.a", "trusted.a", "security.a"} <= set(names))
os.setxattr(f, "user.a", b"replaced")
eq("set again replaces", b"replaced", os.getxattr(f, "user.a"))
os.setxattr(f, "user.empty", b"")
eq("an empty value", b"", os.getxattr(f, "user.empty"))
err("XATTR_CREATE on an existing name", errno.EEXIST, os.setxattr, f, "user.a", b"x", os.XATTR_CREATE)
err("XATTR_REPLACE on a missing name", errno.ENODATA, os.setxattr, f, "user.nope", b"x", os.XATTR_REPLACE)
os.setxattr(f, "user.new", b"n", os.XATTR_CREATE)
os.setxattr(f, "user.new", b"m", os.XATTR_REPLACE)
eq("XATTR_CREATE then XATTR_REPLACE", b"m", os.getxattr(f, "user.new"))
err("get of a missing name", errno.ENODATA, os.getxattr, f, "user.nope")
err("remove of a missing name", errno.ENODATA, os.removexattr, f, "user.nope")
for ns in ("user.", "trusted.", "security."):
    os.removexattr(f, ns + "a")
    err(f"{ns}: get after remove", errno.ENODATA, os.getxattr, f, ns + "a")
eq("list after removes", ["user.empty", "user.new"], sorted(os.listxattr(f)))
err("a namespace daxfs does not keep", errno.EOPNOTSUPP, os.setxattr, f, "system.other", b"x")

# sizes: 64 KiB is the largest value (the kernel's XATTR_SIZE_MAX); one byte more is E2BIG
big = bytes((i * 7 + 3) & 0xFF for i in range(65536))
os.setxattr(f, "user.big", big)
eq("a 64 KiB value round trip", big, os.getxattr(f, "user.big"))
err("a value over 64 KiB", errno.E2BIG, os.setxattr, f, "user.big2", big + b"x")
err("a name over 255 bytes", errno.ERANGE, os.setxattr, f, "user." + "n" * 251, b"x")

# size 0 asks for the length; a buffer too small is ERANGE (libc directly: python sizes its own)
libc.getxattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.getxattr.restype = ctypes.c_ssize_t
libc.listxattr.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.listxattr.restype = ctypes.c_ssize_t
os.setxattr(f, "user.ten", b"0123456789")
eq("getxattr size 0 gives the length", 10, libc.getxattr(os.fsencode(f), b"user.ten", None, 0))
buf = ctypes.create_string_buffer(9)
eq("getxattr into 9 bytes fails", -1, libc.getxattr(os.fsencode(f), b"user.ten", buf, 9))
eq("... with ERANGE", errno.ERANGE, ctypes.get_errno())
buf = ctypes.create_string_buffer(10)
eq("getxattr into exactly 10 bytes", 10, libc.getxattr(os.fsencode(f), b"user.ten", buf, 10))
eq("... the value", b"0123456789", buf.raw)
want = b"".join(os.fsencode(n) + b"\0" for n in os.listxattr(f))
n = libc.listxattr(os.fsencode(f), None, 0)
eq("listxattr size 0 gives the length", len(want), n)
buf = ctypes.create_string_buffer(n - 1)
eq("listxattr one byte short fails", -1, libc.listxattr(os.fsencode(f), buf, n - 1))
eq("... with ERANGE", errno.ERANGE, ctypes.get_errno())
buf = ctypes.create_string_buffer(n)
got = libc.listxattr(os.fsencode(f), buf, n)
eq("listxattr: NUL-terminated names", want, buf.raw[:got])
for name in ("user.big", "user.ten", "user.empty", "user.new"):
    os.removexattr(f, name)
eq("nothing left", [], os.listxattr(f))

# names and values are bytes: not UTF-8, NUL and high bytes in values
bname = b"user.\xff\xfe caf\xc3\xa9 \x80"
bvalue = bytes(range(256))
os.setxattr(os.fsencode(f), bname, bvalue)
eq("a non-UTF-8 name lists as its bytes", [bname], [os.fsencode(n) for n in os.listxattr(os.fsencode(f))])
eq("a non-UTF-8 name's value, every byte", bvalue, os.getxattr(os.fsencode(f), bname))
err("a name differing in one byte", errno.ENODATA, os.getxattr, os.fsencode(f), b"user.\xff\xfd caf\xc3\xa9 \x80")
os.removexattr(os.fsencode(f), bname)

# directories take user. attributes; symlinks, FIFOs do not (EPERM), but take trusted.
os.setxattr(d, "user.dir", b"on a dir")
eq("user. on a directory", b"on a dir", os.getxattr(d, "user.dir"))
os.removexattr(d, "user.dir")
ln = os.path.join(d, "ln")
os.symlink("f", ln)
err("user. on a symlink", errno.EPERM, os.setxattr, ln, "user.x", b"v", follow_symlinks=False)
err("user. read on a symlink", errno.ENODATA, os.getxattr, ln, "user.x", follow_symlinks=False)
os.setxattr(ln, "trusted.x", b"link's", follow_symlinks=False)
eq("trusted. on a symlink", b"link's", os.getxattr(ln, "trusted.x", follow_symlinks=False))
err("... not on its target", errno.ENODATA, os.getxattr, ln, "trusted.x")
os.setxattr(ln, "user.via", b"followed")
eq("user. through a symlink lands on the target", b"followed", os.getxattr(f, "user.via"))
os.removexattr(f, "user.via")
fifo = os.path.join(d, "fifo")
os.mkfifo(fifo)
err("user. on a FIFO", errno.EPERM, os.setxattr, fifo, "user.x", b"v")

# ---------------------------------------------------------------- ACLs

os.chmod(f, 0o600)
sh("setfacl", "-m", "u:1000:rw", f)
eq("setfacl -m u:1000:rw: getfacl shows it",
   ["user::rw-", "user:1000:rw-", "group::---", "mask::rw-", "other::---"], acl_entries(f))
eq("the mode's group bits are the mask", 0o660, mode(f))
eq("ls shows the ACL", True, sh("ls", "-l", f).split()[0].endswith("+"))
eq("the ACL is an attribute", True, "system.posix_acl_access" in os.listxattr(f))
err("a malformed ACL", errno.EINVAL, os.setxattr, f, "system.posix_acl_access", b"\x02\0\0\0\x01")
gf = os.path.join(d, "gf")
with open(gf, "wb") as x:
    x.write(b"group's")
os.chmod(gf, 0o600)
sh("setfacl", "-m", "g:2000:r", gf)
nf = os.path.join(d, "nf")
with open(nf, "wb") as x:
    x.write(b"none")
os.chmod(nf, 0o666)
sh("setfacl", "-m", "u:1000:-", nf)


def as_user(what, checks):
    """Runs checks() in a child as uid 1000, gid 1000, supplementary group 2000."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([2000])
            os.setgid(1000)
            os.setuid(1000)
            checks()
        except SystemExit as e:
            code = e.code or 0
        except BaseException as e:
            print("FAIL", what, repr(e), flush=True)
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        fail(f"the uid 1000 checks ({what}) failed")


def can(p, flags):
    try:
        os.close(os.open(p, flags))
        return True
    except PermissionError:
        return False


def named_entries():
    eq("uid 1000: a named-user entry grants read and write of root's 0600 file", True, can(f, os.O_RDWR))
    eq("uid 1000: a named-group entry (a supplementary group) grants read", True, can(gf, os.O_RDONLY))
    eq("uid 1000: ... and no write", False, can(gf, os.O_WRONLY))
    eq("uid 1000: a named-user entry --- denies what other allows", False, can(nf, os.O_RDONLY))
    eq("uid 1000: access(2) agrees", (True, False), (os.access(f, os.W_OK), os.access(nf, os.R_OK)))
    err("uid 1000: setfacl on root's file", errno.EPERM, os.setxattr, f, "system.posix_acl_access",
        os.getxattr(f, "system.posix_acl_access"))


as_user("named entries", named_entries)

sh("setfacl", "-m", "m::r", f)
eq("setfacl -m m::r", 0o640, mode(f))


def mask_restricts():
    eq("uid 1000: the mask r-- denies write", False, can(f, os.O_WRONLY))
    eq("uid 1000: ... and leaves read", True, can(f, os.O_RDONLY))


as_user("mask", mask_restricts)

os.chmod(f, 0o660)
eq("chmod 660 rewrites the mask", "mask::rw-", [e for e in acl_entries(f) if e.startswith("mask::")][0])


def chmod_widened():
    eq("uid 1000: after chmod 660 write is allowed again", True, can(f, os.O_WRONLY))


as_user("chmod 660", chmod_widened)
os.chmod(f, 0o600)
eq("chmod 600 rewrites the mask to ---", "mask::---", [e for e in acl_entries(f) if e.startswith("mask::")][0])
eq("... and keeps the named entry", True, "user:1000:rw-" in acl_entries(f))


def chmod_narrowed():
    eq("uid 1000: after chmod 600 no read (the kernel dropped its cached ACL)", False, can(f, os.O_RDONLY))


as_user("chmod 600", chmod_narrowed)

sh("setfacl", "-b", f)
eq("setfacl -b removes the ACL", ["user::rw-", "group::---", "other::---"], acl_entries(f))
eq("... and the attribute", False, "system.posix_acl_access" in os.listxattr(f))
eq("... and keeps the mode", 0o600, mode(f))


def removed():
    eq("uid 1000: after setfacl -b no access", False, can(f, os.O_RDONLY))


as_user("setfacl -b", removed)
sh("setfacl", "-m", "u::rw,g::r,o::-", f)
eq("an ACL equal to a mode is only the mode", (0o640, False),
   (mode(f), "system.posix_acl_access" in os.listxattr(f)))

# default ACLs: inherited by new files and subdirectories, and the umask is not applied;
# without one the umask is (the kernel leaves it to the file system: FUSE_DONT_MASK)
dd = os.path.join(d, "dd")
os.mkdir(dd, 0o755)
sh("setfacl", "-d", "-m", "u:1000:rwx", dd)
eq("default ACL set", ["user::rwx", "user:1000:rwx", "group::r-x", "mask::rwx", "other::r-x"],
   acl_entries(dd, default=True))
old = os.umask(0o077)
try:
    os.close(os.open(os.path.join(dd, "new"), os.O_CREAT | os.O_WRONLY, 0o666))
    os.mkdir(os.path.join(dd, "sub"), 0o777)
    os.mkfifo(os.path.join(dd, "pipe"), 0o666)
    os.close(os.open(os.path.join(d, "plain"), os.O_CREAT | os.O_WRONLY, 0o666))
    os.mkdir(os.path.join(d, "plaindir"), 0o777)
    os.mkfifo(os.path.join(d, "plainpipe"), 0o666)
finally:
    os.umask(old)
new = os.path.join(dd, "new")
eq("a new file inherits the default ACL",
   ["user::rw-", "user:1000:rwx", "group::r-x", "mask::rw-", "other::r--"], acl_entries(new))
eq("... its mode from the ACL and the mode asked for, not the umask 077", 0o664, mode(new))
sub = os.path.join(dd, "sub")
eq("a new subdirectory inherits it as its access ACL",
   ["user::rwx", "user:1000:rwx", "group::r-x", "mask::rwx", "other::r-x"], acl_entries(sub))
eq("... and as its default ACL", acl_entries(dd, default=True), acl_entries(sub, default=True))
eq("... its mode not masked by the umask", 0o775, mode(sub))
eq("a FIFO made in it is not masked either", 0o664, mode(os.path.join(dd, "pipe")))
eq("without a default ACL the umask 077 applies to a file", 0o600, mode(os.path.join(d, "plain")))
eq("... to a directory", 0o700, mode(os.path.join(d, "plaindir")))
eq("... and to a FIFO", 0o600, mode(os.path.join(d, "plainpipe")))
eq("... which get no ACL", False, "system.posix_acl_access" in os.listxattr(os.path.join(d, "plain")))


def inherited():
    eq("uid 1000: the inherited named entry grants write in the new file", True, can(new, os.O_WRONLY))
    with open(os.path.join(sub, "mine"), "wb") as x:
        x.write(b"by uid 1000")
    eq("uid 1000: creates in the new subdirectory through its inherited entry", b"by uid 1000",
       open(os.path.join(sub, "mine"), "rb").read())


as_user("inherited", inherited)
sh("setfacl", "-k", dd)
eq("setfacl -k removes the default ACL", [], acl_entries(dd, default=True))
eq("... its attribute too", False, "system.posix_acl_default" in os.listxattr(dd))
err("a default ACL on a file", errno.EACCES, os.setxattr, f, "system.posix_acl_default",
    os.getxattr(sub, "system.posix_acl_default"))

shutil.rmtree(d)
print("DONE")
