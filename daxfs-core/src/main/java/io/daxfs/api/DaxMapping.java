package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;

import io.daxfs.dax.Vma;
import io.daxfs.device.MediaErrors;
import io.daxfs.mm.PageTable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A mapped range of a file: loads and stores go straight to device memory, with no page cache
 * and no copy. Offsets are relative to the start of the mapping. Thread-safe.
 *
 * <h2>How an access works</h2>
 * The mapping keeps a table of windows, one slot per 2 MiB of the file (a 2 MiB window, or
 * 4 KiB windows). An access looks its window up and reads or writes it; a missing window is a
 * software page fault, which the DAX layer resolves (allocating zeroed blocks on a write to a
 * hole) and installs. Windows are revoked when the file's layout changes under them (truncate,
 * hole punch, ...), when writeback write-protects them, and when the mapping is closed; an
 * access through a revoked window faults again, transparently.
 *
 * <h2>Errors</h2>
 * An access outside {@code [0, length())} throws {@link IndexOutOfBoundsException}. An access
 * to a page wholly beyond end of file throws {@link DaxFaultException} with {@link Errno#SIGBUS}
 * (the tail of the page holding the end of file reads as zeros, as with mmap). Stores to a
 * {@link DaxMapMode#READ_ONLY} mapping throw it with {@link Errno#EACCES}. An access the device
 * cannot serve (a media error: SIGBUS on the device mapping, which the JDK reports as an
 * {@link InternalError}) throws it with {@link Errno#EIO} and turns the file system read-only.
 * The bulk copies and every access that faults a page in always report it so; a single load or
 * store through a window already installed does when run by the interpreter, but compiled code
 * may raise the InternalError a little later, at the caller's next safepoint poll (the faulting
 * access skipped), and then it reaches the caller as it is and the file system stays writable.
 *
 * <h2>Durability</h2>
 * Stores are made durable by {@link #msync} or the file's fsync; with
 * {@link DaxMapMode#READ_WRITE_SYNC} the metadata reaching a written block is durable before
 * the first store to it can happen.
 */
public final class DaxMapping implements AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final long HUGE_MASK = (1L << PageTable.SLOT_SHIFT) - 1;

    private final Vma vma;
    private final PageTable table;
    private final long start;
    private final long length;
    private final DaxMapMode mode;

    DaxMapping(Vma vma, DaxMapMode mode) {
        this.vma = vma;
        this.table = vma.pageTable();
        this.start = table.start();
        this.length = table.length();
        this.mode = mode;
    }

    public long length() {
        return length;
    }

    /** The file offset of mapping offset 0. */
    public long filePosition() {
        return start;
    }

    public DaxMapMode mode() {
        return mode;
    }

    // ---------------------------------------------------------------- loads

    public byte getByte(long off) {
        long pos = position(off, 1);
        MemorySegment w = table.readWindow(pos);
        if (w != null) {
            try {
                return w.get(BYTE, pos & (w.byteSize() - 1));
            } catch (IllegalStateException | InternalError e) {
                afterFailedAccess(e);
            }
        }
        return (byte) readSlow(off, 1);
    }

    public int getInt(long off) {
        long pos = position(off, 4);
        MemorySegment w = table.readWindow(pos);
        if (w != null) {
            long o = pos & (w.byteSize() - 1);
            if (o <= w.byteSize() - 4) {
                try {
                    return w.get(INT, o);
                } catch (IllegalStateException | InternalError e) {
                    afterFailedAccess(e);
                }
            }
        }
        return (int) readSlow(off, 4);
    }

    public long getLong(long off) {
        long pos = position(off, 8);
        // 2 MiB window: one plain array load, then the segment access (the probe the design
        // was measured on); everything else is out of line.
        MemorySegment h = table.hugeReadWindow(pos);
        long o = pos & HUGE_MASK;
        if (h != null && o <= HUGE_MASK - 7) {
            try {
                return h.get(LONG, o);
            } catch (IllegalStateException | InternalError e) {
                afterFailedAccess(e);
            }
        }
        return getLongSmall(off, pos);
    }

    private long getLongSmall(long off, long pos) {
        MemorySegment w = table.readWindow(pos);
        if (w != null) {
            long o = pos & (w.byteSize() - 1);
            if (o <= w.byteSize() - 8) {
                try {
                    return w.get(LONG, o);
                } catch (IllegalStateException | InternalError e) {
                    afterFailedAccess(e);
                }
            }
        }
        return readSlow(off, 8);
    }

    // ---------------------------------------------------------------- stores

    public void setByte(long off, byte v) {
        long pos = position(off, 1);
        MemorySegment w = table.writeWindow(pos);
        if (w != null) {
            try {
                w.set(BYTE, pos & (w.byteSize() - 1), v);
                return;
            } catch (IllegalStateException | InternalError e) {
                afterFailedAccess(e);
            }
        }
        writeSlow(off, 1, v);
    }

    public void setInt(long off, int v) {
        long pos = position(off, 4);
        MemorySegment w = table.writeWindow(pos);
        if (w != null) {
            long o = pos & (w.byteSize() - 1);
            if (o <= w.byteSize() - 4) {
                try {
                    w.set(INT, o, v);
                    return;
                } catch (IllegalStateException | InternalError e) {
                    afterFailedAccess(e);
                }
            }
        }
        writeSlow(off, 4, v);
    }

    public void setLong(long off, long v) {
        long pos = position(off, 8);
        MemorySegment h = table.hugeWriteWindow(pos);
        long o = pos & HUGE_MASK;
        if (h != null && o <= HUGE_MASK - 7) {
            try {
                h.set(LONG, o, v);
                return;
            } catch (IllegalStateException | InternalError e) {
                afterFailedAccess(e);
            }
        }
        setLongSmall(off, pos, v);
    }

    private void setLongSmall(long off, long pos, long v) {
        MemorySegment w = table.writeWindow(pos);
        if (w != null) {
            long o = pos & (w.byteSize() - 1);
            if (o <= w.byteSize() - 8) {
                try {
                    w.set(LONG, o, v);
                    return;
                } catch (IllegalStateException | InternalError e) {
                    afterFailedAccess(e);
                }
            }
        }
        writeSlow(off, 8, v);
    }

    // ---------------------------------------------------------------- bulk

    /** Copies {@code dst.byteSize()} bytes from mapping offset {@code off} into {@code dst}. */
    public void copyTo(long off, MemorySegment dst) {
        long n = dst.byteSize();
        position(off, n);
        try {
            long done = 0;
            while (done < n) {
                long pos = start + off + done;
                MemorySegment w = table.readWindow(pos);
                if (w == null) {
                    w = fault(pos, false);
                }
                long o = pos & (w.byteSize() - 1);
                long c = Math.min(n - done, w.byteSize() - o);
                try {
                    MemorySegment.copy(w, o, dst, done, c);
                    done += c;
                } catch (IllegalStateException e) {
                    rethrowUnlessRevoked(w, e);
                }
            }
            MediaErrors.raisePending();
        } catch (InternalError e) {
            throw mediaError(e);
        }
    }

    /** Copies all of {@code src} to mapping offset {@code off}. */
    public void copyFrom(MemorySegment src, long off) {
        long n = src.byteSize();
        position(off, n);
        try {
            long done = 0;
            while (done < n) {
                long pos = start + off + done;
                MemorySegment w = table.writeWindow(pos);
                if (w == null) {
                    w = fault(pos, true);
                }
                long o = pos & (w.byteSize() - 1);
                long c = Math.min(n - done, w.byteSize() - o);
                try {
                    MemorySegment.copy(src, done, w, o, c);
                    done += c;
                } catch (IllegalStateException e) {
                    rethrowUnlessRevoked(w, e);
                }
            }
            MediaErrors.raisePending();
        } catch (InternalError e) {
            throw mediaError(e);
        }
    }

    /**
     * The device memory of the 4 KiB page or 2 MiB huge page holding mapping offset
     * {@code off}: the whole page, which may start before the mapping and end after it. It is
     * writable unless the mapping is {@link DaxMapMode#READ_ONLY} (getting it is then a write
     * fault: the page counts as dirty). It stays valid until revoked; after that an access
     * through it throws {@link IllegalStateException}, and calling this again faults the page
     * back in.
     */
    public MemorySegment window(long off) {
        long pos = position(off, 1);
        boolean write = mode != DaxMapMode.READ_ONLY;
        MemorySegment w = write ? table.writeWindow(pos) : table.readWindow(pos);
        return w != null ? w : fault(pos, write); // may be revoked already: the caller's access says so
    }

    // ---------------------------------------------------------------- sync, pin, close

    /**
     * msync(MS_SYNC): makes the stores to {@code [off, off + len)} durable, with the metadata
     * needed to reach them.
     */
    public void msync(long off, long len) throws DaxException {
        position(off, len);
        long pos = start + off;
        vma.msync(pos >>> 12, (pos + len + 4095) >>> 12);
    }

    /**
     * Pins the pages of {@code [off, off + len)}, faulting them in for reading: until the pin is
     * closed their blocks stay allocated (the operations that would free or move them wait).
     */
    public DaxPin pin(long off, long len) throws DaxException {
        position(off, len);
        long pos = start + off;
        return new DaxPin(vma, vma.pin(pos >>> 12, (pos + len + 4095) >>> 12));
    }

    /** Unmaps: every window is revoked and the file handle the mapping held is released. */
    @Override
    public void close() throws DaxException {
        vma.close();
    }

    public boolean isClosed() {
        return vma.isClosed();
    }

    // ---------------------------------------------------------------- slow paths

    private long position(long off, long n) {
        if (off < 0 || n < 0 || off > length - n) {
            throw new IndexOutOfBoundsException("access [" + off + ", +" + n + ") outside a mapping of " + length + " bytes");
        }
        return start + off;
    }

    /** A load that missed (no window, a revoked one, or one crossing a page): little-endian assembly of n bytes. */
    private long readSlow(long off, int n) {
        MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        copyTo(off, tmp.asSlice(0, n));
        return n == 8 ? tmp.get(LONG, 0) : n == 4 ? tmp.get(INT, 0) : tmp.get(BYTE, 0);
    }

    private void writeSlow(long off, int n, long v) {
        MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        if (n == 8) {
            tmp.set(LONG, 0, v);
        } else if (n == 4) {
            tmp.set(INT, 0, (int) v);
        } else {
            tmp.set(BYTE, 0, (byte) v);
        }
        copyFrom(tmp.asSlice(0, n), off);
    }

    private MemorySegment fault(long pos, boolean write) {
        try {
            return vma.fault(pos, write);
        } catch (DaxException e) {
            throw new DaxFaultException(e);
        }
    }

    /** A copy failed with IllegalStateException: retry if it was our window being revoked, else it is the caller's segment. */
    private static void rethrowUnlessRevoked(MemorySegment window, IllegalStateException e) {
        if (window.scope().isAlive()) {
            throw e;
        }
        afterRevocation();
    }

    /**
     * A load or store through a window failed: the window was being revoked (retried by the
     * caller), or the device memory behind it faulted, a media error that fails the access with
     * EIO and turns the file system read-only.
     */
    private void afterFailedAccess(Throwable e) {
        if (e instanceof InternalError) {
            throw mediaError(e);
        }
        afterRevocation();
    }

    private DaxFaultException mediaError(Throwable e) {
        return new DaxFaultException(vma.accessFailed(e));
    }

    /**
     * An access met a window being revoked. When the JDK closes a shared Arena while a thread is
     * inside an access to it, it stops that access with an exception and leaves the thread's
     * interrupt status set (seen on 25.0.3); the access is retried transparently here, so that
     * status is an artefact of the revocation and must not leak into the caller's next wait.
     * A genuine interrupt arriving at that same instant is lost with it: a trade, stated in
     * DESIGN.md, against spurious EINTR and InterruptedException after ordinary revocations.
     */
    private static void afterRevocation() {
        Thread.interrupted();
    }

    @Override
    public String toString() {
        return mode + " " + table;
    }
}
