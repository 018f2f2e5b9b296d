package io.daxfs.fuse.lowlevel;

import io.daxfs.types.DaxException;
import io.daxfs.types.FileNames;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * libfuse's {@code struct fuse_lowlevel_ops}, filled with upcall stubs that decode the C
 * arguments and call a {@link FuseOperations}.
 *
 * <p>This is the dispatcher, and the one place where exceptions become replies. Nothing may be
 * thrown back into native code (the JVM would end), so every stub runs its call inside
 * catch-all and hands what it caught to {@link #thrown}: a {@link DaxException} from an
 * operation that has not replied is answered with its errno, the ordinary way an operation
 * fails; anything else (or a DaxException after the reply went out) is a bug, logged, counted in
 * {@link #failures()} and, unless a reply went out, answered EIO. The stubs live in the
 * session's Arena, which is closed only after the loop has returned and the session is
 * destroyed, when no worker can call in.
 */
final class OpsTable {
    /** Slot of each operation: its index in the struct (8-byte function pointers, 3.14 layout). */
    static final int INIT = 0, DESTROY = 1, LOOKUP = 2, FORGET = 3, GETATTR = 4, SETATTR = 5,
            READLINK = 6, MKNOD = 7, MKDIR = 8, UNLINK = 9, RMDIR = 10, SYMLINK = 11, RENAME = 12, LINK = 13,
            OPEN = 14, READ = 15, WRITE = 16, FLUSH = 17, RELEASE = 18, FSYNC = 19, OPENDIR = 20, READDIR = 21,
            RELEASEDIR = 22, FSYNCDIR = 23, STATFS = 24, SETXATTR = 25, GETXATTR = 26, LISTXATTR = 27,
            REMOVEXATTR = 28, ACCESS = 29, CREATE = 30, FORGET_MULTI = 38,
            FALLOCATE = 40, READDIRPLUS = 41, COPY_FILE_RANGE = 42, LSEEK = 43;
    static final long SIZE = 44 * 8;

    private static final FunctionDescriptor REQ_INO = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG);
    private static final FunctionDescriptor REQ_INO_NAME = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS);
    private static final FunctionDescriptor REQ_INO_FI = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS);
    private static final FunctionDescriptor REQ_INO_SIZE_OFF_FI =
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
    private static final FunctionDescriptor REQ_INO_INT_FI = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS);

    private final LibFuse fuse;
    private final FuseOperations ops;
    private final Consumer<String> log;
    private final MemorySegment table;
    private final AtomicLong failures = new AtomicLong();
    /** The session's notifier; set once the session exists, before the first request. */
    private volatile CacheNotifier notifier;

    OpsTable(LibFuse fuse, FuseOperations ops, Consumer<String> log, Arena arena) {
        this.fuse = fuse;
        this.ops = ops;
        this.log = log;
        this.table = arena.allocate(SIZE, 8);
        install(arena, INIT, "init", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        install(arena, DESTROY, "destroy", FunctionDescriptor.ofVoid(ADDRESS));
        install(arena, LOOKUP, "lookup", REQ_INO_NAME);
        install(arena, FORGET, "forget", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG));
        install(arena, GETATTR, "getattr", REQ_INO_FI);
        install(arena, SETATTR, "setattr", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS));
        install(arena, READLINK, "readlink", REQ_INO);
        install(arena, MKNOD, "mknod", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG));
        install(arena, MKDIR, "mkdir", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT));
        install(arena, UNLINK, "unlink", REQ_INO_NAME);
        install(arena, RMDIR, "rmdir", REQ_INO_NAME);
        install(arena, SYMLINK, "symlink", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        install(arena, RENAME, "rename",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT));
        install(arena, LINK, "link", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        install(arena, OPEN, "open", REQ_INO_FI);
        install(arena, READ, "read", REQ_INO_SIZE_OFF_FI);
        install(arena, WRITE, "write",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        install(arena, FLUSH, "flush", REQ_INO_FI);
        install(arena, RELEASE, "release", REQ_INO_FI);
        install(arena, FSYNC, "fsync", REQ_INO_INT_FI);
        install(arena, OPENDIR, "opendir", REQ_INO_FI);
        install(arena, READDIR, "readdir", REQ_INO_SIZE_OFF_FI);
        install(arena, RELEASEDIR, "releasedir", REQ_INO_FI);
        install(arena, FSYNCDIR, "fsyncdir", REQ_INO_INT_FI);
        install(arena, STATFS, "statfs", REQ_INO);
        install(arena, SETXATTR, "setxattr",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
        install(arena, GETXATTR, "getxattr", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
        install(arena, LISTXATTR, "listxattr", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG));
        install(arena, REMOVEXATTR, "removexattr", REQ_INO_NAME);
        install(arena, ACCESS, "access", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_INT));
        install(arena, CREATE, "create", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS));
        install(arena, FORGET_MULTI, "forgetMulti", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS));
        install(arena, FALLOCATE, "fallocate",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS));
        install(arena, READDIRPLUS, "readdirplus", REQ_INO_SIZE_OFF_FI);
        install(arena, COPY_FILE_RANGE, "copyFileRange", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG,
                ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
        install(arena, LSEEK, "lseek", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
    }

    MemorySegment segment() {
        return table;
    }

    long failures() {
        return failures.get();
    }

    private void install(Arena arena, int slot, String method, FunctionDescriptor fd) {
        try {
            MethodHandle mh = MethodHandles.lookup().findVirtual(OpsTable.class, method, fd.toMethodType()).bindTo(this);
            table.setAtIndex(ADDRESS, slot, LibFuse.LINKER.upcallStub(mh, fd, arena));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no upcall target " + method, e);
        }
    }

    // ---------------------------------------------------------------- decoding helpers

    private FuseRequest req(MemorySegment req) {
        return new FuseRequest(fuse, req, notifier);
    }

    void notifier(CacheNotifier n) {
        notifier = n;
    }

    /** A name or symlink target from the kernel: its bytes exactly, in the String form of {@link FileNames}. */
    private static String str(MemorySegment cstr) {
        MemorySegment s = cstr.reinterpret(Long.MAX_VALUE);
        long n = 0;
        while (s.get(JAVA_BYTE, n) != 0) {
            n++;
        }
        return FileNames.fromBytes(s.asSlice(0, n).toArray(JAVA_BYTE));
    }

    private static FileInfo fi(MemorySegment fi) {
        return fi.equals(MemorySegment.NULL) ? null : new FileInfo(fi);
    }

    /**
     * Settles a call that threw: a DaxException is the operation's answer, its errno the reply;
     * anything else is logged and answered EIO unless a reply went out. Never throws.
     */
    private void thrown(FuseRequest r, String op, Throwable t) {
        if (t instanceof DaxException e && r != null && !r.replied()) {
            try {
                r.replyErr(e.errno().code());
                return;
            } catch (Throwable replyFailed) {
                t = replyFailed;
            }
        }
        try {
            long n = failures.incrementAndGet();
            if (n <= 100 || Long.bitCount(n) == 1) {
                log.accept("daxfs-fuse: " + op + " failed with " + t + (n > 100 ? " (" + n + " failures so far)" : ""));
            }
            if (r != null && !r.replied()) {
                r.replyErr(5); // EIO
            }
        } catch (Throwable ignored) {
            // nothing more can be done without risking the process
        }
    }

    // ---------------------------------------------------------------- upcall targets

    @SuppressWarnings("unused")
    private void init(MemorySegment userdata, MemorySegment conn) {
        try {
            ops.init(new FuseOperations.Connection(conn));
        } catch (Throwable t) {
            thrown(null, "init", t);
        }
    }

    @SuppressWarnings("unused")
    private void destroy(MemorySegment userdata) {
        try {
            ops.destroy();
        } catch (Throwable t) {
            thrown(null, "destroy", t);
        }
    }

    @SuppressWarnings("unused")
    private void lookup(MemorySegment req, long parent, MemorySegment name) {
        FuseRequest r = req(req);
        try {
            ops.lookup(r, parent, str(name));
        } catch (Throwable t) {
            thrown(r, "lookup", t);
        }
    }

    @SuppressWarnings("unused")
    private void forget(MemorySegment req, long ino, long nlookup) {
        try {
            ops.forget(ino, nlookup);
        } catch (Throwable t) {
            thrown(null, "forget", t);
        }
        try {
            req(req).replyNone();
        } catch (Throwable t) {
            thrown(null, "forget", t);
        }
    }

    @SuppressWarnings("unused")
    private void forgetMulti(MemorySegment req, long count, MemorySegment forgets) {
        MemorySegment f = forgets.reinterpret(count * 16);
        for (long i = 0; i < count; i++) {
            try { // one by one: a failure must not drop the rest of the batch's counts
                ops.forget(f.get(JAVA_LONG, i * 16), f.get(JAVA_LONG, i * 16 + 8));
            } catch (Throwable t) {
                thrown(null, "forget", t);
            }
        }
        try {
            req(req).replyNone();
        } catch (Throwable t) {
            thrown(null, "forget", t);
        }
    }

    @SuppressWarnings("unused")
    private void getattr(MemorySegment req, long ino, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.getattr(r, ino, fi(fi));
        } catch (Throwable t) {
            thrown(r, "getattr", t);
        }
    }

    @SuppressWarnings("unused")
    private void setattr(MemorySegment req, long ino, MemorySegment attr, int toSet, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            Structs.Attr a = Structs.readStat(attr.reinterpret(Structs.STAT_SIZE));
            ops.setattr(r, ino, new FuseOperations.AttrChange(toSet, a), fi(fi));
        } catch (Throwable t) {
            thrown(r, "setattr", t);
        }
    }

    @SuppressWarnings("unused")
    private void readlink(MemorySegment req, long ino) {
        FuseRequest r = req(req);
        try {
            ops.readlink(r, ino);
        } catch (Throwable t) {
            thrown(r, "readlink", t);
        }
    }

    @SuppressWarnings("unused")
    private void mknod(MemorySegment req, long parent, MemorySegment name, int mode, long rdev) {
        FuseRequest r = req(req);
        try {
            ops.mknod(r, parent, str(name), mode, rdev);
        } catch (Throwable t) {
            thrown(r, "mknod", t);
        }
    }

    @SuppressWarnings("unused")
    private void mkdir(MemorySegment req, long parent, MemorySegment name, int mode) {
        FuseRequest r = req(req);
        try {
            ops.mkdir(r, parent, str(name), mode);
        } catch (Throwable t) {
            thrown(r, "mkdir", t);
        }
    }

    @SuppressWarnings("unused")
    private void unlink(MemorySegment req, long parent, MemorySegment name) {
        FuseRequest r = req(req);
        try {
            ops.unlink(r, parent, str(name));
        } catch (Throwable t) {
            thrown(r, "unlink", t);
        }
    }

    @SuppressWarnings("unused")
    private void rmdir(MemorySegment req, long parent, MemorySegment name) {
        FuseRequest r = req(req);
        try {
            ops.rmdir(r, parent, str(name));
        } catch (Throwable t) {
            thrown(r, "rmdir", t);
        }
    }

    @SuppressWarnings("unused")
    private void symlink(MemorySegment req, MemorySegment link, long parent, MemorySegment name) {
        FuseRequest r = req(req);
        try {
            ops.symlink(r, str(link), parent, str(name));
        } catch (Throwable t) {
            thrown(r, "symlink", t);
        }
    }

    @SuppressWarnings("unused")
    private void rename(MemorySegment req, long parent, MemorySegment name, long newParent, MemorySegment newName,
                        int flags) {
        FuseRequest r = req(req);
        try {
            ops.rename(r, parent, str(name), newParent, str(newName), flags);
        } catch (Throwable t) {
            thrown(r, "rename", t);
        }
    }

    @SuppressWarnings("unused")
    private void link(MemorySegment req, long ino, long newParent, MemorySegment newName) {
        FuseRequest r = req(req);
        try {
            ops.link(r, ino, newParent, str(newName));
        } catch (Throwable t) {
            thrown(r, "link", t);
        }
    }

    @SuppressWarnings("unused")
    private void open(MemorySegment req, long ino, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.open(r, ino, fi(fi));
        } catch (Throwable t) {
            thrown(r, "open", t);
        }
    }

    @SuppressWarnings("unused")
    private void read(MemorySegment req, long ino, long size, long off, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.read(r, ino, size, off, fi(fi));
        } catch (Throwable t) {
            thrown(r, "read", t);
        }
    }

    @SuppressWarnings("unused")
    private void write(MemorySegment req, long ino, MemorySegment buf, long size, long off, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.write(r, ino, buf.reinterpret(size), off, fi(fi));
        } catch (Throwable t) {
            thrown(r, "write", t);
        }
    }

    @SuppressWarnings("unused")
    private void flush(MemorySegment req, long ino, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.flush(r, ino, fi(fi));
        } catch (Throwable t) {
            thrown(r, "flush", t);
        }
    }

    @SuppressWarnings("unused")
    private void release(MemorySegment req, long ino, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.release(r, ino, fi(fi));
        } catch (Throwable t) {
            thrown(r, "release", t);
        }
    }

    @SuppressWarnings("unused")
    private void fsync(MemorySegment req, long ino, int datasync, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.fsync(r, ino, datasync != 0, fi(fi));
        } catch (Throwable t) {
            thrown(r, "fsync", t);
        }
    }

    @SuppressWarnings("unused")
    private void opendir(MemorySegment req, long ino, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.opendir(r, ino, fi(fi));
        } catch (Throwable t) {
            thrown(r, "opendir", t);
        }
    }

    @SuppressWarnings("unused")
    private void readdir(MemorySegment req, long ino, long size, long off, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.readdir(r, ino, size, off, fi(fi), false);
        } catch (Throwable t) {
            thrown(r, "readdir", t);
        }
    }

    @SuppressWarnings("unused")
    private void readdirplus(MemorySegment req, long ino, long size, long off, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.readdir(r, ino, size, off, fi(fi), true);
        } catch (Throwable t) {
            thrown(r, "readdirplus", t);
        }
    }

    @SuppressWarnings("unused")
    private void releasedir(MemorySegment req, long ino, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.releasedir(r, ino, fi(fi));
        } catch (Throwable t) {
            thrown(r, "releasedir", t);
        }
    }

    @SuppressWarnings("unused")
    private void fsyncdir(MemorySegment req, long ino, int datasync, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.fsyncdir(r, ino, datasync != 0, fi(fi));
        } catch (Throwable t) {
            thrown(r, "fsyncdir", t);
        }
    }

    @SuppressWarnings("unused")
    private void statfs(MemorySegment req, long ino) {
        FuseRequest r = req(req);
        try {
            ops.statfs(r, ino);
        } catch (Throwable t) {
            thrown(r, "statfs", t);
        }
    }

    @SuppressWarnings("unused")
    private void setxattr(MemorySegment req, long ino, MemorySegment name, MemorySegment value, long size, int flags) {
        FuseRequest r = req(req);
        try {
            // Copied out: the value lives in libfuse's request buffer, and the core keeps what it is given.
            byte[] v = size == 0 ? new byte[0] : value.reinterpret(size).toArray(JAVA_BYTE);
            ops.setxattr(r, ino, str(name), v, flags);
        } catch (Throwable t) {
            thrown(r, "setxattr", t);
        }
    }

    @SuppressWarnings("unused")
    private void getxattr(MemorySegment req, long ino, MemorySegment name, long size) {
        FuseRequest r = req(req);
        try {
            ops.getxattr(r, ino, str(name), size);
        } catch (Throwable t) {
            thrown(r, "getxattr", t);
        }
    }

    @SuppressWarnings("unused")
    private void listxattr(MemorySegment req, long ino, long size) {
        FuseRequest r = req(req);
        try {
            ops.listxattr(r, ino, size);
        } catch (Throwable t) {
            thrown(r, "listxattr", t);
        }
    }

    @SuppressWarnings("unused")
    private void removexattr(MemorySegment req, long ino, MemorySegment name) {
        FuseRequest r = req(req);
        try {
            ops.removexattr(r, ino, str(name));
        } catch (Throwable t) {
            thrown(r, "removexattr", t);
        }
    }

    @SuppressWarnings("unused")
    private void access(MemorySegment req, long ino, int mask) {
        FuseRequest r = req(req);
        try {
            ops.access(r, ino, mask);
        } catch (Throwable t) {
            thrown(r, "access", t);
        }
    }

    @SuppressWarnings("unused")
    private void create(MemorySegment req, long parent, MemorySegment name, int mode, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.create(r, parent, str(name), mode, fi(fi));
        } catch (Throwable t) {
            thrown(r, "create", t);
        }
    }

    @SuppressWarnings("unused")
    private void fallocate(MemorySegment req, long ino, int mode, long off, long len, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.fallocate(r, ino, mode, off, len, fi(fi));
        } catch (Throwable t) {
            thrown(r, "fallocate", t);
        }
    }

    @SuppressWarnings("unused")
    private void copyFileRange(MemorySegment req, long inoIn, long offIn, MemorySegment fiIn, long inoOut,
                               long offOut, MemorySegment fiOut, long len, int flags) {
        FuseRequest r = req(req);
        try {
            ops.copyFileRange(r, inoIn, offIn, fi(fiIn), inoOut, offOut, fi(fiOut), len, flags);
        } catch (Throwable t) {
            thrown(r, "copy_file_range", t);
        }
    }

    @SuppressWarnings("unused")
    private void lseek(MemorySegment req, long ino, long off, int whence, MemorySegment fi) {
        FuseRequest r = req(req);
        try {
            ops.lseek(r, ino, off, whence, fi(fi));
        } catch (Throwable t) {
            thrown(r, "lseek", t);
        }
    }
}
