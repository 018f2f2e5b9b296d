package io.daxfs.fuse;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FileInfo;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.fuse.lowlevel.Structs;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The open-file operations: create and open put a {@link DaxFile} in the {@link Handles} table
 * (its id in {@code fi->fh}); read, write, fsync, fallocate, lseek and copy_file_range go
 * through it; release closes it. An unlinked file stays readable and writable through its
 * handles until the kernel releases the last one, then daxfs frees its space: no hidden
 * placeholder name.
 *
 * <p><b>Data path.</b> read replies with iovecs that point into device memory
 * ({@link DaxFile#readInPlace}), holes at a shared page of zeros: libfuse's writev copies device
 * memory straight into the kernel's buffer. write copies from libfuse's request buffer straight
 * into device memory. Both hold only the file's own I/O lock.
 */
final class FileOps {
    private static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_EXCL = 0200, O_TRUNC = 01000,
            O_APPEND = 02000, O_DSYNC = 010000, O_SYNC = 04010000;
    private static final int FALLOC_KEEP_SIZE = 1, FALLOC_PUNCH_HOLE = 2, FALLOC_COLLAPSE_RANGE = 8,
            FALLOC_ZERO_RANGE = 0x10, FALLOC_INSERT_RANGE = 0x20;
    private static final int SEEK_DATA = 3, SEEK_HOLE = 4;
    private static final long ZEROS_SIZE = 1 << 20;

    private final DaxFileSystem fs;
    private final DaxInodes inodes;
    private final InodeReplies replies;
    private final Handles handles;
    private final MemorySegment zeros = Arena.global().allocate(ZEROS_SIZE, 4096);
    private final ThreadLocal<MemorySegment[]> iovs = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    FileOps(DaxFileSystem fs, DaxInodes inodes, InodeReplies replies, Handles handles) {
        this.fs = fs;
        this.inodes = inodes;
        this.replies = replies;
        this.handles = handles;
    }

    void create(FuseRequest r, long parent, String name, int mode, int umask, FileInfo fi) throws DaxException {
        DaxInodes.Created c = inodes.create(parent, name, mode & 07777, umask, r.uid(), r.gid(),
                (fi.flags() & O_EXCL) != 0, openOptions(fi.flags()));
        long fh = handles.add(c.file());
        fi.fh(fh);
        fi.keepCache(true);
        if (!replies.created(r, c.stat(), fi)) {
            handles.remove(fh).close(); // interrupted: the kernel will never release it
        }
    }

    void open(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        DaxFile f = inodes.open(ino, openOptions(fi.flags()));
        long fh = handles.add(f);
        fi.fh(fh);
        // The image is this process's alone while mounted: what the kernel cached is current.
        fi.keepCache((fi.flags() & O_TRUNC) == 0);
        if (!r.replyOpen(fi)) {
            handles.remove(fh).close(); // interrupted: the kernel will never release it
        }
    }

    /**
     * The daxfs options for open(2) flags. Always readable: the kernel enforces the access mode
     * itself, and reads through a write-only open for its page cache.
     */
    private static OpenOption[] openOptions(int flags) {
        List<OpenOption> o = new ArrayList<>(5);
        o.add(StandardOpenOption.READ);
        int acc = flags & O_ACCMODE;
        boolean write = acc == O_WRONLY || acc == O_RDWR;
        if (write) {
            o.add(StandardOpenOption.WRITE);
            if ((flags & O_APPEND) != 0) {
                o.add(StandardOpenOption.APPEND);
            }
            if ((flags & O_TRUNC) != 0) {
                o.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            if ((flags & O_SYNC) == O_SYNC) {
                o.add(StandardOpenOption.SYNC);
            } else if ((flags & O_DSYNC) != 0) {
                o.add(StandardOpenOption.DSYNC);
            }
        }
        return o.toArray(OpenOption[]::new);
    }

    void read(FuseRequest r, long size, long off, FileInfo fi) throws DaxException {
        DaxFile f = handles.require(fi.fh());
        long n = f.readInPlace(off, size, (segs, lens, count) -> replyPieces(r, segs, lens, count));
        if (n <= 0) {
            r.replyBuf(MemorySegment.NULL, 0);
        }
    }

    /** Replies with iovecs over the pieces (device memory, or the zero page for holes). */
    private void replyPieces(FuseRequest r, MemorySegment[] segs, long[] lens, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += segs[i] != null ? 1 : (int) ((lens[i] + ZEROS_SIZE - 1) / ZEROS_SIZE);
        }
        MemorySegment iov = iovecs(n);
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (segs[i] != null) {
                iov.set(ADDRESS, k * Structs.IOVEC_SIZE, segs[i]);
                iov.set(JAVA_LONG, k * Structs.IOVEC_SIZE + 8, lens[i]);
                k++;
            } else {
                for (long left = lens[i]; left > 0; left -= ZEROS_SIZE) {
                    iov.set(ADDRESS, k * Structs.IOVEC_SIZE, zeros);
                    iov.set(JAVA_LONG, k * Structs.IOVEC_SIZE + 8, Math.min(left, ZEROS_SIZE));
                    k++;
                }
            }
        }
        r.replyIov(iov, k);
    }

    private MemorySegment iovecs(int n) {
        MemorySegment[] cell = iovs.get();
        MemorySegment iov = cell[0];
        if (iov == null || iov.byteSize() < n * Structs.IOVEC_SIZE) {
            iov = Arena.ofAuto().allocate(Math.max(64, Integer.highestOneBit(n) * 2L) * Structs.IOVEC_SIZE, 8);
            cell[0] = iov;
        }
        return iov;
    }

    /**
     * A write that bypassed the kernel's page cache (O_DIRECT; the flags of a write are the file's
     * flags at the time, so fcntl(F_SETFL) counts) is answered only after the kernel dropped its
     * cached pages of the range. The kernel drops them before it sends the write, but with
     * asynchronous O_DIRECT (io_submit, io_uring) it does not again at completion, and a buffered
     * reader can load the old data in between: without this, those pages stay cached after the
     * write completed. The file's I/O lock is released before: the kernel may wait for a read of
     * those pages, which takes it. Page-cache write-back ({@link FileInfo#writepage}) is never
     * direct.
     */
    void write(FuseRequest r, long ino, MemorySegment buf, long off, FileInfo fi) throws DaxException {
        long n = handles.require(fi.fh()).write(off, buf);
        if ((fi.flags() & Structs.O_DIRECT) != 0 && !fi.writepage()) {
            r.dropCachedPages(ino, off, n);
        }
        r.replyWrite(n);
    }

    void release(FuseRequest r, FileInfo fi) throws DaxException {
        DaxFile f = handles.remove(fi.fh());
        if (f != null) {
            f.close();
        }
        r.replyOk();
    }

    /** Without an open file of ours ({@code fi} absent or unknown), the whole file system is synced. */
    void fsync(FuseRequest r, boolean datasync, FileInfo fi) throws DaxException {
        DaxFile f = fi == null ? null : handles.get(fi.fh());
        if (f == null) {
            fs.sync();
        } else if (datasync) {
            f.fdatasync();
        } else {
            f.fsync();
        }
        r.replyOk();
    }

    void fallocate(FuseRequest r, int mode, long off, long len, FileInfo fi) throws DaxException {
        DaxFile f = handles.require(fi.fh());
        boolean keep = (mode & FALLOC_KEEP_SIZE) != 0;
        switch (mode & ~FALLOC_KEEP_SIZE) {
            // Allocating a large range is the long one: a signal to the caller stops it between
            // steps (EINTR, what was allocated stays, as Linux file systems do).
            case 0 -> r.interruptible(() -> {
                f.allocate(off, len, keep);
                return null;
            });
            case FALLOC_PUNCH_HOLE -> {
                if (!keep) {
                    throw new DaxException(Errno.EOPNOTSUPP, "fallocate: PUNCH_HOLE needs KEEP_SIZE");
                }
                f.punchHole(off, len);
            }
            case FALLOC_ZERO_RANGE -> f.zeroRange(off, len, keep);
            case FALLOC_COLLAPSE_RANGE -> {
                if (keep) {
                    throw new DaxException(Errno.EINVAL, "fallocate: COLLAPSE_RANGE with KEEP_SIZE");
                }
                f.collapseRange(off, len);
            }
            case FALLOC_INSERT_RANGE -> {
                if (keep) {
                    throw new DaxException(Errno.EINVAL, "fallocate: INSERT_RANGE with KEEP_SIZE");
                }
                f.insertRange(off, len);
            }
            default -> throw new DaxException(Errno.EOPNOTSUPP, "fallocate: mode " + mode);
        }
        r.replyOk();
    }

    void lseek(FuseRequest r, long off, int whence, FileInfo fi) throws DaxException {
        DaxFile f = handles.require(fi.fh());
        switch (whence) {
            case SEEK_DATA -> r.replyLseek(f.seekData(off));
            case SEEK_HOLE -> r.replyLseek(f.seekHole(off));
            default -> throw new DaxException(Errno.EINVAL, "lseek: whence " + whence);
        }
    }

    /** Answers the bytes copied; an error after some bytes were copied ends the copy short, as write(2) does. */
    void copyFileRange(FuseRequest r, long offIn, FileInfo fiIn, long offOut, FileInfo fiOut, long len, int flags)
            throws DaxException {
        DaxFile in = handles.require(fiIn.fh());
        DaxFile out = handles.require(fiOut.fh());
        if (flags != 0) {
            throw new DaxException(Errno.EINVAL, "copy_file_range: flags " + flags);
        }
        // Through a bounce buffer: reading in place would hold the source's I/O lock while the
        // write takes the target's, and source and target may be one file.
        MemorySegment bounce = r.directoryBuffer(1 << 20);
        long copied = r.interruptible(() -> {
            long done = 0;
            try {
                while (done < len) {
                    if (Thread.currentThread().isInterrupted()) {
                        // INTERRUPT: the caller got a signal; what was copied is the result.
                        if (done == 0) {
                            throw new DaxException(Errno.EINTR, "copy_file_range: interrupted");
                        }
                        break;
                    }
                    long n = in.read(offIn + done, bounce.asSlice(0, Math.min(bounce.byteSize(), len - done)));
                    if (n <= 0) {
                        break;
                    }
                    long w = out.write(offOut + done, bounce.asSlice(0, n));
                    done += w;
                    if (w < n) {
                        break;
                    }
                }
            } catch (DaxException e) {
                if (done == 0) {
                    throw e;
                }
            }
            return done;
        });
        r.replyWrite(copied);
    }
}
