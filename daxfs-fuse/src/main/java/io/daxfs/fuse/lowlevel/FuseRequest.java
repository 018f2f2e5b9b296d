package io.daxfs.fuse.lowlevel;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * One request from the kernel ({@code fuse_req_t}) and its reply. Exactly one reply must be
 * sent per request (none for forget); the reply frees the request in libfuse, so nothing may
 * touch it afterwards. {@link #replied()} tells the dispatcher whether an operation that threw
 * still needs its reply.
 *
 * <p>Reply structures are written into per-thread native scratch memory: libfuse worker
 * threads serve one request at a time, and libfuse copies what it needs before a reply returns.
 */
public final class FuseRequest {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final LibFuse fuse;
    private final MemorySegment req;
    private final CacheNotifier notifier;
    private boolean replied;

    FuseRequest(LibFuse fuse, MemorySegment req, CacheNotifier notifier) {
        this.fuse = fuse;
        this.req = req;
        this.notifier = notifier;
    }

    /** Native scratch of the calling worker thread; freed with the thread's last reference. */
    static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment stat = arena.allocate(Structs.STAT_SIZE, 8);
        final MemorySegment entry = arena.allocate(Structs.ENTRY_SIZE, 8);
        final MemorySegment statvfs = arena.allocate(Structs.STATVFS_SIZE, 8);
        final MemorySegment fi = arena.allocate(Structs.FI_SIZE, 8);
        MemorySegment text = arena.allocate(4096 + 1);
        MemorySegment buffer = arena.allocate(128 << 10, 4096);

        MemorySegment text(byte[] b) {
            if (text.byteSize() < b.length + 1) {
                text = arena.allocate(b.length + 1);
            }
            MemorySegment.copy(b, 0, text, JAVA_BYTE, 0, b.length);
            text.set(JAVA_BYTE, b.length, (byte) 0);
            return text;
        }

        MemorySegment buffer(long size) {
            if (buffer.byteSize() < size) {
                buffer = arena.allocate(size, 4096);
            }
            return buffer;
        }
    }

    static Scratch scratch() {
        return SCRATCH.get();
    }

    public boolean replied() {
        return replied;
    }

    /** The work of a long operation, which returns what the reply needs and does not reply itself. */
    @FunctionalInterface
    public interface Body<T> {
        T run() throws DaxException;
    }

    /**
     * Runs a long operation so that an INTERRUPT for this request interrupts this thread (see
     * {@link Interrupts}); the file system's loops then stop with EINTR or a partial result.
     * Whatever happens, the interrupt ends with the operation: the callback is removed (under the
     * request's lock in libfuse, so none runs afterwards) and the thread's interrupt status
     * cleared before this returns, so the next request starts clean. The body must not reply: the
     * reply frees the request, which the removal needs; the caller replies with the result.
     */
    public <T> T interruptible(Body<T> body) throws DaxException {
        long token = Interrupts.register();
        try {
            setInterruptFunc(Interrupts.CALLBACK, MemorySegment.ofAddress(token));
            try {
                return body.run();
            } finally {
                setInterruptFunc(MemorySegment.NULL, MemorySegment.NULL);
            }
        } finally {
            Interrupts.unregister(token);
            Thread.interrupted(); // an interrupt meant for this request ends with it
        }
    }

    private void setInterruptFunc(MemorySegment func, MemorySegment data) {
        try {
            fuse.reqInterruptFunc.invokeExact(req, func, data);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    private void sent() {
        if (replied) {
            throw new IllegalStateException("a second reply to one FUSE request");
        }
        replied = true;
    }

    // ---------------------------------------------------------------- caller context

    public int uid() {
        return ctx().get(JAVA_INT, Structs.CTX_UID);
    }

    public int gid() {
        return ctx().get(JAVA_INT, Structs.CTX_GID);
    }

    public int pid() {
        return ctx().get(JAVA_INT, Structs.CTX_PID);
    }

    /**
     * The caller's umask: set by libfuse for mknod, mkdir and create only, and only when the
     * kernel leaves masking to the file system ({@link FuseOperations.Connection#CAP_DONT_MASK}); 0 otherwise.
     */
    public int umask() {
        return ctx().get(JAVA_INT, Structs.CTX_UMASK);
    }

    /**
     * The caller's groups: its supplementary groups (libfuse reads them from /proc, so the
     * caller must still be alive) and its primary group. Just the primary group when they cannot
     * be read.
     */
    public int[] groups() {
        int gid = gid();
        try (Arena a = Arena.ofConfined()) {
            int room = 32;
            for (int attempt = 0; attempt < 4; attempt++) {
                MemorySegment list = a.allocate(JAVA_INT, room);
                int n = (int) fuse.reqGetgroups.invokeExact(req, room, list);
                if (n < 0) {
                    return new int[] {gid};
                }
                if (n <= room) {
                    int[] g = new int[n + 1];
                    MemorySegment.copy(list, JAVA_INT, 0, g, 0, n);
                    g[n] = gid;
                    return g;
                }
                room = n; // the list grew between the calls, or was longer than guessed: again with room for all
            }
            return new int[] {gid};
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    private MemorySegment ctx() {
        try {
            return ((MemorySegment) fuse.reqCtx.invokeExact(req)).reinterpret(16);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- kernel cache

    /**
     * Has the kernel drop its cached pages of {@code [off, off + len)} of inode {@code ino}
     * before this request is answered: sent by the session's notifier thread (never from this
     * worker, see {@link CacheNotifier}), waited for at most {@link CacheNotifier#WAIT_NANOS}.
     * Returns whether it was done in time. Call it holding no lock a request may need.
     */
    public boolean dropCachedPages(long ino, long off, long len) {
        return notifier == null || notifier.invalidate(ino, off, len);
    }

    // ---------------------------------------------------------------- replies

    /** Success without data (unlink, rename, release, fsync, ...). */
    public void replyOk() {
        replyErr(0);
    }

    /**
     * A failure. Operations rarely call this: they throw a DaxException and the dispatcher
     * replies with its errno.
     */
    public void replyErr(int errno) {
        sent();
        try {
            int ignored = (int) fuse.replyErr.invokeExact(req, errno);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    public void replyNone() {
        sent();
        try {
            fuse.replyNone.invokeExact(req);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /**
     * A lookup result; {@code attr == null} is a negative entry cached for {@code entryTimeout}.
     * Returns whether the kernel got it: false when the request was interrupted and the kernel
     * dropped it (libfuse answers -ENOENT), so the caller gives back the lookup count it took.
     */
    public boolean replyEntry(long generation, Structs.Attr attr, double attrTimeout, double entryTimeout) {
        MemorySegment e = scratch().entry;
        Structs.writeEntry(e, generation, attr, attrTimeout, entryTimeout);
        sent();
        try {
            return (int) fuse.replyEntry.invokeExact(req, e) == 0;
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /** As {@link #replyEntry}; false also means the open file in {@code fi} is the caller's to release. */
    public boolean replyCreate(long generation, Structs.Attr attr, double attrTimeout, double entryTimeout, FileInfo fi) {
        MemorySegment e = scratch().entry;
        Structs.writeEntry(e, generation, attr, attrTimeout, entryTimeout);
        sent();
        try {
            return (int) fuse.replyCreate.invokeExact(req, e, fi.segment()) == 0;
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    public void replyAttr(Structs.Attr attr, double timeout) {
        MemorySegment st = scratch().stat;
        Structs.writeStat(st, attr);
        sent();
        try {
            int ignored = (int) fuse.replyAttr.invokeExact(req, st, timeout);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    public void replyReadlink(String target) {
        MemorySegment s = scratch().text(bytes(target));
        sent();
        try {
            int ignored = (int) fuse.replyReadlink.invokeExact(req, s);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /** Returns whether the kernel got the reply; if not (interrupted), the handle in {@code fi} is the caller's to release. */
    public boolean replyOpen(FileInfo fi) {
        sent();
        try {
            return (int) fuse.replyOpen.invokeExact(req, fi.segment()) == 0;
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    public void replyWrite(long count) {
        sent();
        try {
            int ignored = (int) fuse.replyWrite.invokeExact(req, count);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /** Replies with {@code len} bytes at {@code buf} (native memory; copied before this returns); whether the kernel got it. */
    public boolean replyBuf(MemorySegment buf, long len) {
        sent();
        try {
            return (int) fuse.replyBuf.invokeExact(req, buf, len) == 0;
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /** Replies with the bytes the {@code count} iovecs at {@code iov} describe (gathered before this returns). */
    public void replyIov(MemorySegment iov, int count) {
        sent();
        try {
            int ignored = (int) fuse.replyIov.invokeExact(req, iov, count);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    public void replyStatfs(Structs.StatFs fs) {
        MemorySegment s = scratch().statvfs;
        Structs.writeStatvfs(s, fs);
        sent();
        try {
            int ignored = (int) fuse.replyStatfs.invokeExact(req, s);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    public void replyLseek(long off) {
        sent();
        try {
            int ignored = (int) fuse.replyLseek.invokeExact(req, off);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /**
     * The answer to getxattr or listxattr with {@code size}, the caller's buffer: with 0 it only
     * asks how long the data is (to size its buffer); data longer than the buffer is ERANGE, as
     * getxattr(2) says; otherwise the data.
     */
    public void replyXattr(byte[] data, long size) {
        if (size == 0) {
            sent();
            try {
                int ignored = (int) fuse.replyXattr.invokeExact(req, (long) data.length);
            } catch (Throwable t) {
                throw LibFuse.rethrow(t);
            }
        } else if (data.length > size) {
            replyErr(Errno.ERANGE.code());
        } else {
            MemorySegment b = scratch().buffer(data.length);
            MemorySegment.copy(data, 0, b, JAVA_BYTE, 0, data.length);
            replyBuf(b, data.length);
        }
    }

    // ---------------------------------------------------------------- directory listings

    /** A per-thread buffer of at least {@code size} bytes for building a readdir reply. */
    public MemorySegment directoryBuffer(long size) {
        return scratch().buffer(size);
    }

    /**
     * Appends one entry to a readdir reply being built in {@code buf} at {@code pos}; returns the
     * bytes it takes, which may exceed {@code buf.byteSize() - pos}: then nothing was written and
     * the listing is full. {@code next} is the offset the kernel passes back to continue after it.
     */
    public long addDirEntry(MemorySegment buf, long pos, String name, Structs.Attr attr, long next, boolean plus,
                            long generation, double attrTimeout, double entryTimeout) {
        Scratch s = scratch();
        MemorySegment n = s.text(bytes(name));
        MemorySegment at = buf.asSlice(pos);
        try {
            if (plus) {
                Structs.writeEntry(s.entry, generation, attr, attrTimeout, entryTimeout);
                return (long) fuse.addDirentryPlus.invokeExact(req, at, at.byteSize(), n, s.entry, next);
            }
            Structs.writeStat(s.stat, attr);
            return (long) fuse.addDirentry.invokeExact(req, at, at.byteSize(), n, s.stat, next);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /** The bytes of a name or target the file system handed out (always has a byte form: {@link FileNames}). */
    private static byte[] bytes(String name) {
        try {
            return FileNames.toBytes(name);
        } catch (DaxException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
