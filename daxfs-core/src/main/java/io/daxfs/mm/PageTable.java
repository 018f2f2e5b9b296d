package io.daxfs.mm;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * The page table of one mapping of a file range: the windows through which the software MMU
 * reaches device memory (the DAX layer's {@code Vma} owns one).
 *
 * <h2>Layout</h2>
 * A table with one {@link Slot} per 2 MiB of file space the mapping touches, aligned to the
 * file's 2 MiB grid (so a huge window always covers one file-aligned 2 MiB). A slot is absent,
 * holds one 2 MiB window (a PMD), or holds up to 512 windows of 4 KiB (PTEs). A window is a
 * slice of device memory (or of the zero page, or of a private copy) re-scoped to the slot's
 * own shared {@link Arena}; a slot keeps a read window and, once written through, a write
 * window per page.
 *
 * <h2>Revocation (the TLB shootdown)</h2>
 * Revoking a slot removes it from the table, closes its Arena, and then drops the page
 * references its windows held. Once {@link Arena#close} returns, no thread can touch that memory
 * through those windows any more (an access throws {@link IllegalStateException}, which the
 * accessors turn into a refault), so only then may the pages become idle and their blocks be
 * freed. One Arena per 2 MiB keeps the cost of a close (a JVM handshake, tens of microseconds)
 * per huge page rather than per 4 KiB page; the price is that revoking one page revokes its 511
 * neighbours in this mapping too, which refault cheaply. (docs/RACES.md Rule 21 and R18.)
 *
 * <h2>Concurrency</h2>
 * <ul>
 * <li>Lookups ({@link #readWindow}, {@link #writeWindow}, and the flat 2 MiB arrays of
 *     {@link #hugeReadWindow}) take no lock and use plain loads: they read the table and the
 *     slot's arrays racily. That is safe because windows are immutable objects published
 *     with release stores, and because a stale window can only be a closed one.</li>
 * <li>Installing and revoking hold the table lock ({@link LockLevel#WINDOWS}), which is short
 *     except for the Arena close. Installs come from faults holding the file's invalidate lock
 *     shared and the entry lock of the page; revocations from holders of the invalidate lock
 *     exclusive (layout breaks) or of an entry lock (writeback, zero-page replacement, PMD
 *     downgrade). The caller's locks, not this one, keep a window from being installed for a
 *     block that is going away.</li>
 * <li>Each real window holds one page reference and one mapcount in {@link PageRefs} (of the
 *     folio, for a page of a 2 MiB entry), taken at install and dropped after the Arena close;
 *     zero-page and private-copy windows hold none.</li>
 * </ul>
 *
 * <h2>Private mappings</h2>
 * A copy-on-write page lives in memory owned by the mapping, outside any slot, so revocations
 * that only refresh windows (writeback, zero-page replacement) do not lose it; a layout break
 * of its range discards it (as Linux unmaps private copies on truncate and hole punch).
 */
public final class PageTable {
    public static final int PAGE_SHIFT = 12;
    public static final int SLOT_SHIFT = 21;
    public static final int SLOT_PAGES = 1 << (SLOT_SHIFT - PAGE_SHIFT);
    private static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    private static final long SLOT_SIZE = 1L << SLOT_SHIFT;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Slot[].class);
    private static final VarHandle WINDOWS = MethodHandles.arrayElementVarHandle(MemorySegment[].class);

    /** The kinds of page a window in a slot can show (private copies live outside the slots). */
    public enum Kind { DEVICE, ZERO }

    private final long start;
    private final long length;
    private final boolean shared;
    private final boolean writable;
    private final long slotBase;
    private final Slot[] slots;
    /**
     * The 2 MiB windows by slot, beside {@link #slots}: the hot path of a huge mapping is one
     * plain array load. Kept in step with the slots under the lock.
     */
    private final MemorySegment[] hugeRead;
    private final MemorySegment[] hugeWrite;
    private final OrderedLock lock;
    private final MemorySegment device;
    private final PageRefs refs;
    private final ZeroPage zero;
    private final LongAdder revocations;
    /** The pages copied on write (private mappings only; null for shared ones); guarded by {@link #lock}. */
    private final PrivateCopies copies;
    private volatile boolean closed;

    /**
     * A mapping of file bytes {@code [start, start + length)} ({@code start} 4 KiB-aligned).
     * {@code shared} mappings show the file's pages and may be {@code writable}; private ones
     * show the file's pages read-only and their own copies of the pages written through them.
     */
    public PageTable(long start, long length, boolean shared, boolean writable, MemorySegment device, PageRefs refs,
                   ZeroPage zero, LongAdder revocations, long id) {
        if ((start & (PAGE_SIZE - 1)) != 0 || start < 0 || length <= 0) {
            throw new IllegalArgumentException("mapping [" + start + ", +" + length + ")");
        }
        this.start = start;
        this.length = length;
        this.shared = shared;
        this.writable = writable;
        this.slotBase = start >>> SLOT_SHIFT;
        long slotCount = ((start + length - 1) >>> SLOT_SHIFT) - slotBase + 1;
        if (slotCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("mapping too large: " + length + " bytes");
        }
        this.slots = new Slot[(int) slotCount];
        this.hugeRead = new MemorySegment[(int) slotCount];
        this.hugeWrite = new MemorySegment[(int) slotCount];
        this.lock = new OrderedLock(LockLevel.WINDOWS, "windows", id);
        this.device = device;
        this.refs = refs;
        this.zero = zero;
        this.revocations = revocations;
        this.copies = shared ? null : new PrivateCopies();
    }

    // ---------------------------------------------------------------- lookups (no lock)

    /*
     * Lookups use plain loads, on purpose: an acquire load would keep the JIT from hoisting
     * anything across it in an access loop. Plain is safe here because a window is an
     * immutable object (final fields: published safely by any store), and a stale window can
     * only be one whose Arena is closed or about to be, which the accessors turn into a
     * refault; a stale null only sends the caller to the fault path, which looks under the lock.
     */

    /** The 2 MiB window for reading file byte {@code pos}, or null (none, or 4 KiB windows). */
    public MemorySegment hugeReadWindow(long pos) {
        return hugeRead[(int) ((pos >>> SLOT_SHIFT) - slotBase)];
    }

    /** The 2 MiB window for writing file byte {@code pos}, or null. */
    public MemorySegment hugeWriteWindow(long pos) {
        return hugeWrite[(int) ((pos >>> SLOT_SHIFT) - slotBase)];
    }

    /** The window (2 MiB or 4 KiB) for reading file byte {@code pos}, or null (a fault is needed). */
    public MemorySegment readWindow(long pos) {
        int i = (int) ((pos >>> SLOT_SHIFT) - slotBase);
        MemorySegment h = hugeRead[i];
        if (h != null) {
            return h;
        }
        Slot s = slots[i];
        return s == null ? null : s.read(pos);
    }

    /** The window for writing file byte {@code pos}, or null (a write fault is needed). */
    public MemorySegment writeWindow(long pos) {
        int i = (int) ((pos >>> SLOT_SHIFT) - slotBase);
        MemorySegment h = hugeWrite[i];
        if (h != null) {
            return h;
        }
        Slot s = slots[i];
        return s == null ? null : s.write(pos);
    }

    public long start() {
        return start;
    }

    public long length() {
        return length;
    }

    public boolean isShared() {
        return shared;
    }

    public boolean isWritable() {
        return writable;
    }

    public boolean isClosed() {
        return closed;
    }

    /** True when the mapping covers all of file pages {@code [page, page + 512)}, a huge-page candidate. */
    public boolean coversHuge(long page) {
        long from = page << PAGE_SHIFT;
        return from >= start && from + SLOT_SIZE <= start + length;
    }

    // ---------------------------------------------------------------- install (fault path)

    /**
     * Installs a 2 MiB window at file pages {@code [page, page + 512)} showing device pages
     * from {@code pfn} (2 MiB-aligned), or the zero region when {@code kind} is ZERO; returns
     * it. A slot holding 4 KiB windows is revoked first. Caller holds the invalidate lock
     * shared and the PMD entry's lock.
     */
    public MemorySegment installHuge(long page, Kind kind, long pfn, boolean write) {
        lock.lock();
        try {
            checkOpen();
            int i = slotIndex(page);
            Slot s = slots[i];
            if (s != null && (s.huge == null || s.hugePfn != (kind == Kind.ZERO ? -1 : pfn))) {
                revokeLocked(i);
                s = null;
            }
            if (s == null) {
                s = new Slot();
                MemorySegment w = kind == Kind.ZERO ? zero.huge().reinterpret(s.arena, null)
                        : device.asSlice(pfn << PAGE_SHIFT, SLOT_SIZE).reinterpret(s.arena, null);
                s.hugePfn = kind == Kind.ZERO ? -1 : pfn;
                if (kind == Kind.DEVICE) {
                    refs.map(pfn, PageRefs.ORDER_2M);
                }
                s.hugeWrite = write ? w : null;
                s.huge = write ? w : w.asReadOnly();
                SLOTS.setRelease(slots, i, s);
                WINDOWS.setRelease(hugeRead, i, s.huge);
                WINDOWS.setRelease(hugeWrite, i, s.hugeWrite);
                return s.huge;
            }
            if (write && s.hugeWrite == null) {
                // Upgrade in place (same pfn, same reference): the write window replaces the read one.
                MemorySegment w = device.asSlice(pfn << PAGE_SHIFT, SLOT_SIZE).reinterpret(s.arena, null);
                s.hugeWrite = w;
                s.huge = w;
                WINDOWS.setRelease(hugeWrite, i, w);
                WINDOWS.setRelease(hugeRead, i, w);
            }
            return write ? s.hugeWrite : s.huge;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Installs a 4 KiB window at file page {@code page} showing device page {@code pfn}
     * (counted against the huge folio when {@code order} is 9), or the zero page; returns it.
     * A slot holding a 2 MiB window is revoked first. Caller holds the invalidate lock shared
     * and the entry lock covering {@code page}.
     */
    public MemorySegment installPage(long page, Kind kind, long pfn, int order, boolean write) {
        lock.lock();
        try {
            checkOpen();
            Slot s = pteSlot(page);
            int p = (int) page & (SLOT_PAGES - 1);
            long want = kind == Kind.ZERO ? Slot.ZERO_PTE : Slot.pte(pfn, order);
            long have = s.pte[p];
            if (have != want) {
                s.retire(have);
                MemorySegment w = kind == Kind.ZERO ? zero.page().reinterpret(s.arena, null)
                        : device.asSlice(pfn << PAGE_SHIFT, PAGE_SIZE).reinterpret(s.arena, null);
                if (kind == Kind.DEVICE) {
                    refs.map(pfn, order);
                }
                MemorySegment r = write ? w : w.asReadOnly();
                s.pte[p] = want;
                WINDOWS.setRelease(s.write, p, write ? w : null);
                WINDOWS.setRelease(s.read, p, r);
                return r;
            }
            if (write && s.write[p] == null) {
                MemorySegment w = device.asSlice(pfn << PAGE_SHIFT, PAGE_SIZE).reinterpret(s.arena, null);
                WINDOWS.setRelease(s.write, p, w);
                WINDOWS.setRelease(s.read, p, w);
            }
            return write ? s.write[p] : s.read[p];
        } finally {
            lock.unlock();
        }
    }

    /**
     * Installs this private mapping's own copy of file page {@code page}, read and write,
     * creating it from {@code source} (4 KiB; null for a hole: zeros) if there is none yet;
     * returns its window. Private mappings only. Caller holds the invalidate lock shared and
     * the entry lock covering {@code page}, so {@code source} cannot change while it is copied.
     */
    public MemorySegment installCopy(long page, MemorySegment source) {
        if (shared) {
            throw new IllegalStateException("copy-on-write in a shared mapping");
        }
        lock.lock();
        try {
            checkOpen();
            MemorySegment copy = copies.getOrCopy(page, source);
            Slot s = pteSlot(page);
            int p = (int) page & (SLOT_PAGES - 1);
            if (s.pte[p] != Slot.PRIVATE_PTE) {
                s.retire(s.pte[p]);
                MemorySegment w = copy.reinterpret(s.arena, null);
                s.pte[p] = Slot.PRIVATE_PTE;
                WINDOWS.setRelease(s.write, p, w);
                WINDOWS.setRelease(s.read, p, w);
            }
            return s.write[p];
        } finally {
            lock.unlock();
        }
    }

    /** This private mapping's copy of {@code page}, or null. */
    public MemorySegment copyOf(long page) {
        if (shared) {
            return null;
        }
        lock.lock();
        try {
            return copies.get(page);
        } finally {
            lock.unlock();
        }
    }

    /** True when this private mapping has a copy of a page in {@code [firstPage, endPage)}. */
    public boolean hasCopies(long firstPage, long endPage) {
        if (shared) {
            return false;
        }
        lock.lock();
        try {
            return copies.anyIn(firstPage, endPage);
        } finally {
            lock.unlock();
        }
    }

    /** The slot of {@code page} in PTE form, created or converted as needed. Lock held. */
    private Slot pteSlot(long page) {
        int i = slotIndex(page);
        Slot s = slots[i];
        if (s != null && s.huge != null) {
            revokeLocked(i);
            s = null;
        }
        if (s == null) {
            s = new Slot();
            s.makePtes();
            SLOTS.setRelease(slots, i, s);
        }
        return s;
    }

    // ---------------------------------------------------------------- pins

    /**
     * Pins the device page shown at file page {@code page}, if a window for it is installed:
     * returns {@code pfn << 1 | (order == 9 ? 1 : 0)} after taking a pin reference, or -1 when
     * no window is installed (fault, then try again) and -2 when the page is the zero page or a
     * private copy (no device page to pin). Taking the pin under the table lock while the window
     * is present is what orders it against a layout break, which revokes windows before its busy
     * scan: either the scan sees the pin, or the pin sees no window (docs/RACES.md Rule 22, R19).
     */
    public long pin(long page) {
        lock.lock();
        try {
            if (closed) {
                return -1;
            }
            Slot s = slots[slotIndex(page)];
            if (s == null) {
                return -1;
            }
            if (s.huge != null) {
                if (s.hugePfn < 0) {
                    return -2;
                }
                long pfn = s.hugePfn + (page & (SLOT_PAGES - 1));
                refs.pin(pfn, PageRefs.ORDER_2M);
                return pfn << 1 | 1;
            }
            long pte = s.pte[(int) page & (SLOT_PAGES - 1)];
            if (pte == 0) {
                return -1;
            }
            if (!Slot.counted(pte)) {
                return -2;
            }
            refs.pin(Slot.pfn(pte), Slot.order(pte));
            return Slot.pfn(pte) << 1 | (Slot.order(pte) == PageRefs.ORDER_2M ? 1 : 0);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- revocation

    /**
     * Revokes every slot overlapping file pages {@code [firstPage, endPage)}; with
     * {@code discardCopies} also forgets the private copies of that range (a layout break:
     * what they copied is gone). Returns the number of slots revoked.
     */
    public int revoke(long firstPage, long endPage, boolean discardCopies) {
        lock.lock();
        try {
            int n = revokeSlots(firstPage, endPage, false);
            if (discardCopies && copies != null) {
                copies.discard(firstPage, endPage);
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Write-protects file pages {@code [firstPage, endPage)}: revokes the slots there that
     * hold a write window onto device memory, so the next store faults (writeback). Private
     * mappings never write to device memory and are left alone.
     */
    public int writeProtect(long firstPage, long endPage) {
        if (!shared || !writable) {
            return 0;
        }
        lock.lock();
        try {
            return revokeSlots(firstPage, endPage, true);
        } finally {
            lock.unlock();
        }
    }

    /** Revokes the slots overlapping the pages (only those with a device write window if asked). Lock held. */
    private int revokeSlots(long firstPage, long endPage, boolean writableOnly) {
        long first = Math.max(firstPage, start >>> PAGE_SHIFT);
        long end = Math.min(endPage, (start + length + PAGE_SIZE - 1) >>> PAGE_SHIFT);
        int n = 0;
        if (first < end) {
            for (int i = slotIndex(first), last = slotIndex(end - 1); i <= last; i++) {
                Slot s = slots[i];
                if (s != null && (!writableOnly || s.hasWriteWindow())) {
                    revokeLocked(i);
                    n++;
                }
            }
        }
        return n;
    }

    /** Revokes every slot and frees the private copies. Idempotent. */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] != null) {
                    revokeLocked(i);
                }
            }
            if (copies != null) {
                copies.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Clears slot {@code i}, closes its Arena, then drops its references, in that order: a
     * reference may go only when no thread can reach the page through the window any more.
     */
    private void revokeLocked(int i) {
        Slot s = slots[i];
        WINDOWS.setRelease(hugeRead, i, null);
        WINDOWS.setRelease(hugeWrite, i, null);
        SLOTS.setRelease(slots, i, null);
        Arenas.close(s.arena);
        if (s.huge != null) {
            if (s.hugePfn >= 0) {
                refs.unmap(s.hugePfn, PageRefs.ORDER_2M);
            }
        } else {
            for (long pte : s.pte) {
                drop(pte);
            }
            for (int k = 0; k < s.retiredCount; k++) {
                drop(s.retired[k]);
            }
        }
        revocations.increment();
    }

    private void drop(long pte) {
        if (Slot.counted(pte)) {
            refs.unmap(Slot.pfn(pte), Slot.order(pte));
        }
    }

    private int slotIndex(long page) {
        return (int) ((page >>> (SLOT_SHIFT - PAGE_SHIFT)) - slotBase);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("mapping is closed");
        }
    }

    @Override
    public String toString() {
        return (shared ? writable ? "shared writable" : "shared read-only" : "private") + " mapping [" + start + ", +"
                + length + ")";
    }

    /**
     * 2 MiB of the table. Fields are written under the table lock and published by the table's
     * release store (a new slot) or the arrays' release stores (a new window).
     */
    private static final class Slot {
        static final long ZERO_PTE = Long.MIN_VALUE;
        static final long PRIVATE_PTE = Long.MIN_VALUE + 1;

        final Arena arena = Arena.ofShared();
        /** The 2 MiB window for reads (the write window once written), or null in PTE form. */
        MemorySegment huge;
        MemorySegment hugeWrite;
        /** The device page of the huge window, -1 for the zero region. */
        long hugePfn;
        /** PTE form: per page, the read and write windows and the page shown (see {@link #pte}). */
        MemorySegment[] read;
        MemorySegment[] write;
        long[] pte;
        /** References of windows replaced by private copies, dropped with the slot. */
        long[] retired;
        int retiredCount;

        void makePtes() {
            read = new MemorySegment[SLOT_PAGES];
            write = new MemorySegment[SLOT_PAGES];
            pte = new long[SLOT_PAGES];
        }

        MemorySegment read(long pos) {
            MemorySegment h = huge;
            if (h != null) {
                return h;
            }
            MemorySegment[] r = read;
            return r == null ? null : r[(int) (pos >>> PAGE_SHIFT) & (SLOT_PAGES - 1)];
        }

        MemorySegment write(long pos) {
            MemorySegment h = hugeWrite;
            if (h != null) {
                return h;
            }
            MemorySegment[] w = write;
            return w == null ? null : w[(int) (pos >>> PAGE_SHIFT) & (SLOT_PAGES - 1)];
        }

        boolean hasWriteWindow() {
            if (huge != null) {
                return hugeWrite != null;
            }
            for (int p = 0; p < SLOT_PAGES; p++) {
                if (write[p] != null && counted(pte[p])) {
                    return true;
                }
            }
            return false;
        }

        /** Keeps the reference of a replaced window until the slot goes (its old window stays valid until then). */
        void retire(long old) {
            if (!counted(old)) {
                return;
            }
            if (retired == null) {
                retired = new long[4];
            } else if (retiredCount == retired.length) {
                retired = Arrays.copyOf(retired, retiredCount * 2);
            }
            retired[retiredCount++] = old;
        }

        /** A counted device page: pfn, and whether the reference is on its 2 MiB folio. */
        static long pte(long pfn, int order) {
            return pfn << 2 | (order == PageRefs.ORDER_2M ? 2 : 0) | 1;
        }

        static boolean counted(long pte) {
            return pte > 0 && (pte & 1) != 0;
        }

        static long pfn(long pte) {
            return pte >>> 2;
        }

        static int order(long pte) {
            return (pte & 2) != 0 ? PageRefs.ORDER_2M : PageRefs.ORDER_4K;
        }
    }
}
