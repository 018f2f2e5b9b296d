package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.types.Errno;

import io.daxfs.dax.Vma;
import io.daxfs.device.MediaErrors;
import io.daxfs.mm.PageTable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A mapped range of a file: loads and stores go straight to device memory, with no page cache
 * and no copy. Offsets are relative to the start of the mapping. Thread-safe.
 *
 * <h2>How an access works</h2>
 * The mapping keeps a page table: one entry per 2 MiB of the file, or per 4 KiB page. An access
 * reads the table's current epoch and the entry, then device memory at the entry's address
 * (the whole 2 MiB case is inlined; 4 KiB pages, the zero page, private copies and misses are
 * out of line). A missing entry is a software page fault, which the DAX layer resolves
 * (allocating zeroed blocks on a write to a hole) and installs. Entries are removed when the
 * file's layout changes under them (truncate, hole punch, ...), write-protected by writeback,
 * and all go when the mapping is closed; each such change closes the epoch, and an access that
 * was running through it fails inside the JDK and is retried here through the new epoch
 * (faulting if its entry is gone), transparently.
 *
 * <h2>Windows and scans</h2>
 * {@link #window} hands out the memory of one page, and {@link #forEachWindow} the pages of a
 * range one at a time; they stay valid until the epoch they came from closes, after which an
 * access through them throws {@link IllegalStateException}.
 *
 * <h2>Interrupts</h2>
 * Nothing here sets or clears a thread's interrupt status. One thing to know: when an epoch
 * closes while a thread is inside an access through it, the JDK stops that access with an
 * exception and may leave the thread's interrupt status set (JDK 25 does so for a fraction of
 * such accesses); the access is retried, and the status is left as the JDK left it, since
 * clearing it could also clear a genuine interrupt that arrived at the same moment.
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
    private static final VarHandle ATOMIC_LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle ATOMIC_INT = ValueLayout.JAVA_INT.varHandle();
    private static final long HUGE_MASK = (1L << PageTable.SLOT_SHIFT) - 1;
    private static final long READABLE = PageTable.PRESENT | PageTable.ZERO | PageTable.COPY;
    private static final long STORE = PageTable.PRESENT | PageTable.WRITE;

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
    //
    // The fast paths: the epoch, its 2 MiB slot entry, one device access. Anything else (a
    // 4 KiB entry, the zero page, a private copy, a miss, an access crossing the 2 MiB page, a
    // revoked epoch) goes to loadSlow, out of line.

    public byte getByte(long off) {
        long pos = position(off, 1);
        PageTable.Epoch e = table.epoch();
        long ent = table.slotEntry(e, pos);
        if ((ent & PageTable.PRESENT) != 0) {
            try {
                return e.device.get(BYTE, (ent & PageTable.ADDRESS) + (pos & HUGE_MASK));
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
        return (byte) loadSlow(pos, 1);
    }

    public int getInt(long off) {
        long pos = position(off, 4);
        PageTable.Epoch e = table.epoch();
        long ent = table.slotEntry(e, pos);
        long o = pos & HUGE_MASK;
        if ((ent & PageTable.PRESENT) != 0 && o <= HUGE_MASK - 3) {
            try {
                return e.device.get(INT, (ent & PageTable.ADDRESS) + o);
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
        return (int) loadSlow(pos, 4);
    }

    public long getLong(long off) {
        long pos = position(off, 8);
        PageTable.Epoch e = table.epoch();
        long ent = table.slotEntry(e, pos);
        long o = pos & HUGE_MASK;
        if ((ent & PageTable.PRESENT) != 0 && o <= HUGE_MASK - 7) {
            try {
                return e.device.get(LONG, (ent & PageTable.ADDRESS) + o);
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
        return loadSlow(pos, 8);
    }

    // ---------------------------------------------------------------- stores

    public void setByte(long off, byte v) {
        long pos = position(off, 1);
        PageTable.Epoch e = table.epoch();
        long ent = table.slotEntry(e, pos);
        if ((ent & STORE) == STORE) {
            try {
                e.device.set(BYTE, (ent & PageTable.ADDRESS) + (pos & HUGE_MASK), v);
                return;
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
        storeSlow(pos, 1, v);
    }

    public void setInt(long off, int v) {
        long pos = position(off, 4);
        PageTable.Epoch e = table.epoch();
        long ent = table.slotEntry(e, pos);
        long o = pos & HUGE_MASK;
        if ((ent & STORE) == STORE && o <= HUGE_MASK - 3) {
            try {
                e.device.set(INT, (ent & PageTable.ADDRESS) + o, v);
                return;
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
        storeSlow(pos, 4, v);
    }

    public void setLong(long off, long v) {
        long pos = position(off, 8);
        PageTable.Epoch e = table.epoch();
        long ent = table.slotEntry(e, pos);
        long o = pos & HUGE_MASK;
        if ((ent & STORE) == STORE && o <= HUGE_MASK - 7) {
            try {
                e.device.set(LONG, (ent & PageTable.ADDRESS) + o, v);
                return;
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
        storeSlow(pos, 8, v);
    }

    // ---------------------------------------------------------------- atomics
    //
    // On naturally aligned values (the device address has the file offset's alignment), with
    // the JDK's atomic access modes on the device memory itself: lock words and counters that
    // other mappings of the file, in this or another process, see.

    /** Atomically sets the long at {@code off} to {@code value} if it is {@code expected}; off must be 8-aligned. */
    public boolean compareAndSetLong(long off, long expected, long value) {
        return atomically(off, 8, true, (s, at) -> (boolean) ATOMIC_LONG.compareAndSet(s, at, expected, value) ? 1 : 0) != 0;
    }

    /** Atomically adds {@code delta} to the long at {@code off} (8-aligned) and returns the value before. */
    public long getAndAddLong(long off, long delta) {
        return atomically(off, 8, true, (s, at) -> (long) ATOMIC_LONG.getAndAdd(s, at, delta));
    }

    /** The long at {@code off} (8-aligned), read with acquire semantics. */
    public long getLongAcquire(long off) {
        return atomically(off, 8, false, (s, at) -> (long) ATOMIC_LONG.getAcquire(s, at));
    }

    /** Stores {@code value} at {@code off} (8-aligned) with release semantics. */
    public void setLongRelease(long off, long value) {
        atomically(off, 8, true, (s, at) -> {
            ATOMIC_LONG.setRelease(s, at, value);
            return 0;
        });
    }

    /** Atomically sets the int at {@code off} to {@code value} if it is {@code expected}; off must be 4-aligned. */
    public boolean compareAndSetInt(long off, int expected, int value) {
        return atomically(off, 4, true, (s, at) -> (boolean) ATOMIC_INT.compareAndSet(s, at, expected, value) ? 1 : 0) != 0;
    }

    /** Atomically adds {@code delta} to the int at {@code off} (4-aligned) and returns the value before. */
    public int getAndAddInt(long off, int delta) {
        return (int) atomically(off, 4, true, (s, at) -> (int) ATOMIC_INT.getAndAdd(s, at, delta));
    }

    /** The int at {@code off} (4-aligned), read with acquire semantics. */
    public int getIntAcquire(long off) {
        return (int) atomically(off, 4, false, (s, at) -> (int) ATOMIC_INT.getAcquire(s, at));
    }

    /** Stores {@code value} at {@code off} (4-aligned) with release semantics. */
    public void setIntRelease(long off, int value) {
        atomically(off, 4, true, (s, at) -> {
            ATOMIC_INT.setRelease(s, at, value);
            return 0;
        });
    }

    /** One atomic access to memory: the segment and the offset in it. */
    @FunctionalInterface
    private interface AtomicAccess {
        long apply(MemorySegment segment, long at);
    }

    /**
     * Runs {@code access} on the memory of the naturally aligned {@code n} bytes at {@code off},
     * faulting the page in first (for a store when {@code write}). A load from the zero page is
     * 0 without touching memory.
     *
     * <p>Unlike the plain accessors, this one never retries an access: a revocation closing the
     * epoch stops an access with an async exception, which the JVM may deliver after the
     * atomic instruction took effect, and a getAndAdd or compareAndSet run again would then
     * count twice. So the access runs under the table lock ({@link PageTable#underLock}),
     * which revocations hold while they close an epoch; the lookup and the fault stay outside.
     */
    private long atomically(long off, int n, boolean write, AtomicAccess access) {
        long pos = aligned(off, n);
        long need = write ? PageTable.WRITE : READABLE;
        long[] result = new long[1];
        for (;;) {
            boolean done;
            try {
                done = table.underLock(() -> {
                    PageTable.Epoch e = table.epoch();
                    long ent = table.entry(e, pos);
                    if (!write && (ent & PageTable.ZERO) != 0) {
                        result[0] = 0;
                        return true;
                    }
                    if ((ent & need) == 0) {
                        return false;
                    }
                    result[0] = access.apply(segment(e, ent), address(ent, pos));
                    return true;
                });
            } catch (InternalError x) {
                throw mediaError(x);
            }
            if (done) {
                return result[0];
            }
            fault(pos, write);
        }
    }

    // ---------------------------------------------------------------- bulk

    /** Copies {@code dst.byteSize()} bytes from mapping offset {@code off} into {@code dst}. */
    public void copyTo(long off, MemorySegment dst) {
        long n = dst.byteSize();
        position(off, n);
        try {
            for (long done = 0; done < n; ) {
                long pos = start + off + done;
                PageTable.Epoch e = table.epoch();
                long ent = table.entry(e, pos);
                if ((ent & READABLE) == 0) {
                    fault(pos, false);
                    continue;
                }
                long size = PageTable.pageSize(ent);
                long o = pos & (size - 1);
                long c = Math.min(n - done, size - o);
                try {
                    if ((ent & PageTable.ZERO) != 0) {
                        dst.asSlice(done, c).fill((byte) 0);
                    } else {
                        MemorySegment.copy(segment(e, ent), address(ent, pos), dst, done, c);
                    }
                    done += c;
                } catch (IllegalStateException x) {
                    rethrowUnlessRevoked(e, x);
                }
            }
            MediaErrors.raisePending();
        } catch (InternalError x) {
            throw mediaError(x);
        }
    }

    /** Copies all of {@code src} to mapping offset {@code off}. */
    public void copyFrom(MemorySegment src, long off) {
        long n = src.byteSize();
        position(off, n);
        try {
            for (long done = 0; done < n; ) {
                long pos = start + off + done;
                PageTable.Epoch e = table.epoch();
                long ent = table.entry(e, pos);
                if ((ent & PageTable.WRITE) == 0) {
                    fault(pos, true);
                    continue;
                }
                long size = PageTable.pageSize(ent);
                long c = Math.min(n - done, size - (pos & (size - 1)));
                try {
                    MemorySegment.copy(src, done, segment(e, ent), address(ent, pos), c);
                    done += c;
                } catch (IllegalStateException x) {
                    rethrowUnlessRevoked(e, x);
                }
            }
            MediaErrors.raisePending();
        } catch (InternalError x) {
            throw mediaError(x);
        }
    }

    /** Copies {@code count} longs from mapping offset {@code off} into {@code dst[from...]}, in native byte order. */
    public void copyTo(long off, long[] dst, int from, int count) {
        copyTo(off, MemorySegment.ofArray(dst).asSlice((long) from * 8, (long) count * 8));
    }

    /** Copies {@code src[from...from + count)} to mapping offset {@code off}, in native byte order. */
    public void copyFrom(long[] src, int from, int count, long off) {
        copyFrom(MemorySegment.ofArray(src).asSlice((long) from * 8, (long) count * 8), off);
    }

    /** Copies {@code count} ints from mapping offset {@code off} into {@code dst[from...]}, in native byte order. */
    public void copyTo(long off, int[] dst, int from, int count) {
        copyTo(off, MemorySegment.ofArray(dst).asSlice((long) from * 4, (long) count * 4));
    }

    /** Copies {@code src[from...from + count)} to mapping offset {@code off}, in native byte order. */
    public void copyFrom(int[] src, int from, int count, long off) {
        copyFrom(MemorySegment.ofArray(src).asSlice((long) from * 4, (long) count * 4), off);
    }

    /** What {@link #forEachWindow} hands its caller: one page's worth of the range at a time. */
    @FunctionalInterface
    public interface WindowVisitor {
        /**
         * Visits the part of the range in one page: {@code window} holds the bytes at mapping
         * offsets {@code [off, off + window.byteSize())}. A visit that fails with
         * {@link IllegalStateException} because the page was revoked meanwhile is run again
         * on a fresh window, so a visit should be safe to repeat.
         */
        void visit(long off, MemorySegment window);
    }

    /**
     * Hands {@code visitor} the range {@code [off, off + len)} one page (2 MiB or 4 KiB) at a
     * time, in order, as windows onto the memory itself: a scan with one lookup per page, not
     * per element. With {@code write} the windows are writable (each page is write-faulted,
     * so it counts as dirty); a read-only mapping refuses that with EACCES.
     */
    public void forEachWindow(long off, long len, boolean write, WindowVisitor visitor) {
        position(off, len);
        for (long done = 0; done < len; ) {
            long pos = start + off + done;
            MemorySegment w = table.window(pos, write);
            if (w == null) {
                fault(pos, write);
                continue;
            }
            long o = pos & (w.byteSize() - 1);
            long c = Math.min(len - done, w.byteSize() - o);
            try {
                visitor.visit(off + done, w.asSlice(o, c));
                done += c;
            } catch (IllegalStateException x) {
                if (w.scope().isAlive()) {
                    throw x;
                }
            } catch (InternalError x) {
                throw mediaError(x);
            }
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
        for (;;) {
            MemorySegment w = table.window(pos, write);
            if (w != null) {
                return w; // may be revoked already: the caller's access says so
            }
            fault(pos, write);
        }
    }

    // ---------------------------------------------------------------- sync, pin, close

    /**
     * Read-faults every page of the mapping up to end of file ({@link DaxMapOption#POPULATE}),
     * one fault per 2 MiB or 4 KiB page. Faults go through {@link Vma#fault} directly, not
     * through the accessors, so the accessors' miss branches stay cold.
     */
    void populate() throws DaxException {
        long end = start + length;
        for (long pos = start; pos < end; ) {
            long ent = table.entry(table.epoch(), pos);
            if (ent == 0) {
                try {
                    vma.fault(pos, false);
                } catch (DaxException e) {
                    if (e.errno() == Errno.SIGBUS) {
                        return; // end of file: the rest faults (or fails) when accessed
                    }
                    throw e;
                }
                continue;
            }
            long size = PageTable.pageSize(ent);
            pos = (pos & -size) + size;
        }
    }

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

    /** Unmaps: every entry is removed and the file handle the mapping held is released. */
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
            throw outOfBounds(off, n);
        }
        return start + off;
    }

    private IndexOutOfBoundsException outOfBounds(long off, long n) {
        return new IndexOutOfBoundsException("access [" + off + ", +" + n + ") outside a mapping of " + length + " bytes");
    }

    private long aligned(long off, int n) {
        long pos = position(off, n);
        if ((pos & (n - 1)) != 0) {
            throw new IllegalArgumentException("an atomic access of " + n + " bytes at " + off + " is not " + n + "-byte aligned");
        }
        return pos;
    }

    /** The memory an entry shows (the device, or a private copy) in epoch {@code e}. */
    private MemorySegment segment(PageTable.Epoch e, long ent) {
        return (ent & PageTable.PRESENT) != 0 ? e.device : table.copySegment(e, ent);
    }

    /** The offset of file byte {@code pos} in {@link #segment}. */
    private static long address(long ent, long pos) {
        long size = PageTable.pageSize(ent);
        return (ent & PageTable.PRESENT) != 0 ? (ent & PageTable.ADDRESS) + (pos & (size - 1)) : pos & (size - 1);
    }

    /** A load that missed the inlined path: a 4 KiB page, the zero page, a copy, a miss, a page crossing. */
    private long loadSlow(long pos, int n) {
        for (;;) {
            PageTable.Epoch e = table.epoch();
            long ent = table.entry(e, pos);
            long size = PageTable.pageSize(ent);
            if ((ent & READABLE) == 0 || (pos & (size - 1)) > size - n) {
                return assemble(pos, n);
            }
            if ((ent & PageTable.ZERO) != 0) {
                return 0;
            }
            try {
                MemorySegment s = segment(e, ent);
                long a = address(ent, pos);
                return n == 8 ? s.get(LONG, a) : n == 4 ? s.get(INT, a) : s.get(BYTE, a);
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
    }

    private void storeSlow(long pos, int n, long v) {
        for (;;) {
            PageTable.Epoch e = table.epoch();
            long ent = table.entry(e, pos);
            long size = PageTable.pageSize(ent);
            if ((ent & PageTable.WRITE) == 0 || (pos & (size - 1)) > size - n) {
                scatter(pos, n, v);
                return;
            }
            try {
                MemorySegment s = segment(e, ent);
                long a = address(ent, pos);
                if (n == 8) {
                    s.set(LONG, a, v);
                } else if (n == 4) {
                    s.set(INT, a, (int) v);
                } else {
                    s.set(BYTE, a, (byte) v);
                }
                return;
            } catch (IllegalStateException | InternalError x) {
                afterFailedAccess(x);
            }
        }
    }

    /** A load through the bulk path (which faults): little-endian assembly of n bytes. */
    private long assemble(long pos, int n) {
        MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        copyTo(pos - start, tmp.asSlice(0, n));
        return n == 8 ? tmp.get(LONG, 0) : n == 4 ? tmp.get(INT, 0) : tmp.get(BYTE, 0);
    }

    private void scatter(long pos, int n, long v) {
        MemorySegment tmp = MemorySegment.ofArray(new long[1]);
        if (n == 8) {
            tmp.set(LONG, 0, v);
        } else if (n == 4) {
            tmp.set(INT, 0, (int) v);
        } else {
            tmp.set(BYTE, 0, (byte) v);
        }
        copyFrom(tmp.asSlice(0, n), pos - start);
    }

    private void fault(long pos, boolean write) {
        try {
            vma.fault(pos, write);
        } catch (DaxException e) {
            throw new DaxFaultException(e);
        }
    }

    /** A copy failed with IllegalStateException: retry if our epoch closed, else it is the caller's segment. */
    private static void rethrowUnlessRevoked(PageTable.Epoch e, IllegalStateException x) {
        if (e.isAlive()) {
            throw x;
        }
    }

    /**
     * A load or store through the table failed: its epoch was closed (the caller retries), or
     * the device memory behind it faulted, a media error that fails the access with EIO and
     * turns the file system read-only.
     */
    private void afterFailedAccess(Throwable x) {
        if (x instanceof InternalError) {
            throw mediaError(x);
        }
    }

    private DaxFaultException mediaError(Throwable x) {
        return new DaxFaultException(vma.accessFailed(x));
    }

    @Override
    public String toString() {
        return mode + " " + table;
    }
}
