package io.daxfs.mm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The page descriptors of one device: a zero-based reference count and a mapcount per 4 KiB
 * device page (pfn = device block number) and per 2 MiB huge folio.
 *
 * <h2>Counting rules (docs/RACES.md Rule 19)</h2>
 * <ul>
 * <li>0 = idle: not mapped, not pinned. Each installed user mapping (window) holds one reference
 *     <em>and</em> one mapcount ({@link #map}/{@link #unmap}); a pin holds one reference only
 *     ({@link #pin}/{@link #unpin}). Busy = refcount - mapcount &gt; 0 (pinned). A page may be
 *     reused only at refcount 0.</li>
 * <li>Every operation takes an {@code order}: {@link #ORDER_4K} (0) counts on the page itself;
 *     {@link #ORDER_2M} (9) counts on the huge folio containing {@code pfn}, whose head is
 *     {@code pfn} rounded down to 512 pages. So the caller says a pfn belongs to a folio by
 *     passing order 9 (the order of the mapping entry it got the pfn from); a pin through a
 *     tail pfn of a huge mapping pins the folio. The folio's counts are kept in a slot of their
 *     own, separate from the head page's 4 KiB counts, and {@link #refcount}/{@link #mapcount}
 *     of the head pfn report the sum (as {@code folio_ref_count} does in Linux).</li>
 * <li>Busy/idle checks ({@link #isBusy}, {@link #isIdle}, the waits) of a range
 *     [{@code pfn} rounded down to {@code 2^order}, + {@code 2^order}) look at every page of
 *     the range and at the folio of the 2 MiB region containing it: a page inside a pinned
 *     huge folio is busy whatever order the caller passes; a huge range is busy if any page
 *     in it is (docs/RACES.md Rule 18: pins left over on 4 KiB pages are never skipped).</li>
 * <li>A release that would take a count below zero, or a pin release with no pin, throws
 *     {@link IllegalStateException} and changes nothing: it is a bug in the caller.</li>
 * </ul>
 *
 * <h2>Algorithm</h2>
 * A slot is one {@code long}: refcount in the high 32 bits, mapcount in the low 32, so one
 * compare-and-set moves both and every read sees a consistent pair. Slots live in chunks of
 * {@value #CHUNK_PAGES} page slots + 1 folio slot (one chunk per 2 MiB region), reached through
 * a two-level directory of {@link AtomicReferenceArray}s; both levels are allocated on first
 * write and published by compare-and-set (losers drop theirs), and never freed. Reads of an
 * absent chunk answer 0 without allocating, so an untouched device costs one small top-level
 * array (one reference per {@value #SEGMENT_CHUNKS} chunks, i.e. per 2 GiB).
 *
 * <h2>Waiting</h2>
 * No locks at all. Waiters sleep in {@value #QUEUES} {@link WaitQueues} keyed by the 2 MiB region
 * (the pfn of the folio head). A waiter enqueues, then checks the condition, then parks; a
 * release stores its new count (compare-and-set), then reads the queue: both are volatile, so
 * either the waiter sees the new count or the releaser sees the waiter, and no wakeup is lost.
 * Waiters are non-exclusive (each re-checks its own range), so a wakeup is never handed on.
 * A release that leaves its slot not busy (refcount == mapcount, which includes idle) wakes
 * every waiter of its region, which re-check and sleep again if their range is still busy. A
 * release that finds the queue empty costs one volatile read.
 */
public final class PageRefs {
    /** Order of a 4 KiB page. */
    public static final int ORDER_4K = 0;
    /** Order of a 2 MiB huge folio (PMD). */
    public static final int ORDER_2M = 9;
    /** Pages per 2 MiB chunk. */
    public static final int CHUNK_PAGES = 1 << ORDER_2M;
    static final int SEGMENT_CHUNKS = 1024;
    static final int QUEUES = 1024;
    private static final int FOLIO_SLOT = CHUNK_PAGES;
    private static final long REF = 1L << 32;
    private static final long MAP = REF + 1;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    /** Keys are regions of this one device, whose queues are its own: no owner to tell apart. */
    private static final Object NO_OWNER = null;

    private final long pages;
    private final AtomicReferenceArray<AtomicReferenceArray<long[]>> directory;
    private final WaitQueues queues = new WaitQueues(QUEUES);
    private final LongAdder chunks = new LongAdder();
    private final LongAdder waits = new LongAdder();

    /** Descriptors for a device of {@code pages} 4 KiB pages. */
    public PageRefs(long pages) {
        if (pages < 0) {
            throw new IllegalArgumentException("pages " + pages);
        }
        this.pages = pages;
        long nChunks = (pages + CHUNK_PAGES - 1) / CHUNK_PAGES;
        long nSegments = (nChunks + SEGMENT_CHUNKS - 1) / SEGMENT_CHUNKS;
        if (nSegments > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("device too large: " + pages + " pages");
        }
        directory = new AtomicReferenceArray<>((int) nSegments);
    }

    public long pages() {
        return pages;
    }

    // ---- counting -------------------------------------------------------------------------

    /** A user mapping of order {@code order} is installed: +1 reference, +1 mapcount. */
    public void map(long pfn, int order) {
        acquire(pfn, order, MAP);
    }

    /** A pin (the GUP analog) of the page or folio: +1 reference. */
    public void pin(long pfn, int order) {
        acquire(pfn, order, REF);
    }

    /** The user mapping is removed: -1 reference, -1 mapcount; wakes waiters if it leaves the slot not busy. */
    public void unmap(long pfn, int order) {
        release(pfn, order, MAP);
    }

    /** The pin is dropped: -1 reference; wakes waiters if it leaves the slot not busy. */
    public void unpin(long pfn, int order) {
        release(pfn, order, REF);
    }

    private void acquire(long pfn, int order, long delta) {
        long[] c = chunkForWrite(pfn);
        int i = slot(pfn, order);
        for (;;) {
            long v = (long) SLOT.getVolatile(c, i);
            if (refs(v) == Integer.MAX_VALUE) {
                throw new IllegalStateException("refcount overflow at pfn " + pfn);
            }
            if (SLOT.compareAndSet(c, i, v, v + delta)) {
                return;
            }
        }
    }

    private void release(long pfn, int order, long delta) {
        int i = slot(pfn, order);
        long[] c = chunk(pfn);
        if (c == null) {
            throw underflow(pfn, order, delta, 0);
        }
        for (;;) {
            long v = (long) SLOT.getVolatile(c, i);
            int r = refs(v);
            int m = maps(v);
            boolean ok = delta == MAP ? m > 0 : r - m > 0;
            if (!ok) {
                throw underflow(pfn, order, delta, v);
            }
            long n = v - delta;
            if (SLOT.compareAndSet(c, i, v, n)) {
                if (refs(n) == maps(n)) {
                    wake(pfn >>> ORDER_2M);
                }
                return;
            }
        }
    }

    private static IllegalStateException underflow(long pfn, int order, long delta, long v) {
        return new IllegalStateException((delta == MAP ? "unmap" : "unpin") + " without a matching "
                + (delta == MAP ? "map" : "pin") + " at pfn " + pfn + " order " + order
                + " (refcount " + refs(v) + ", mapcount " + maps(v) + ")");
    }

    // ---- reading --------------------------------------------------------------------------

    /** The page's reference count, plus the folio's when {@code pfn} is a folio head. */
    public int refcount(long pfn) {
        return refs(effective(pfn));
    }

    /** The page's mapcount, plus the folio's when {@code pfn} is a folio head. */
    public int mapcount(long pfn) {
        return maps(effective(pfn));
    }

    private long effective(long pfn) {
        checkPfn(pfn);
        long[] c = chunk(pfn);
        if (c == null) {
            return 0;
        }
        long v = (long) SLOT.getVolatile(c, (int) (pfn & CHUNK_PAGES - 1));
        if ((pfn & CHUNK_PAGES - 1) == 0) {
            v += (long) SLOT.getVolatile(c, FOLIO_SLOT);
        }
        return v;
    }

    /** True if any page of the order-aligned range holding {@code pfn} is pinned (refcount - mapcount > 0). */
    public boolean isBusy(long pfn, int order) {
        return !all(pfn, order, false);
    }

    /** True if every page of the order-aligned range holding {@code pfn} is idle (refcount 0). */
    public boolean isIdle(long pfn, int order) {
        return all(pfn, order, true);
    }

    /** Whether every slot of the range (and its region's folio) is idle / not busy. */
    private boolean all(long pfn, int order, boolean idle) {
        checkOrder(order);
        checkPfn(pfn);
        long[] c = chunk(pfn);
        if (c == null) {
            return true;
        }
        if (!ok((long) SLOT.getVolatile(c, FOLIO_SLOT), idle)) {
            return false;
        }
        int n = 1 << order;
        int first = (int) (pfn & CHUNK_PAGES - 1) & -n;
        for (int i = first; i < first + n; i++) {
            if (!ok((long) SLOT.getVolatile(c, i), idle)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first page of {@code [from, to)} that is not idle (its refcount, or its 2 MiB folio's,
     * is not 0), or -1 when every page is idle. Skips untouched 2 MiB regions without looking at
     * their pages, so a range of a terabyte that nothing maps costs one directory read per 2 MiB.
     */
    public long firstNotIdle(long from, long to) {
        if (from < 0 || to > pages || from > to) {
            throw new IndexOutOfBoundsException("pages [" + from + ", " + to + ") of " + pages);
        }
        for (long region = from >>> ORDER_2M; (region << ORDER_2M) < to; region++) {
            long base = region << ORDER_2M;
            long[] c = chunk(base);
            if (c == null) {
                continue;
            }
            long lo = Math.max(from, base);
            if ((long) SLOT.getVolatile(c, FOLIO_SLOT) != 0) {
                return lo;
            }
            long hi = Math.min(to, base + CHUNK_PAGES);
            for (long p = lo; p < hi; p++) {
                if ((long) SLOT.getVolatile(c, (int) (p - base)) != 0) {
                    return p;
                }
            }
        }
        return -1;
    }

    private static boolean ok(long v, boolean idle) {
        return idle ? v == 0 : refs(v) == maps(v);
    }

    // ---- waiting --------------------------------------------------------------------------

    /**
     * Waits until the range is not busy (a layout break's busy wait, docs/RACES.md Rule 17).
     *
     * @throws InterruptedException if interrupted first; the thread leaves the queue
     */
    public void awaitNotBusy(long pfn, int order) throws InterruptedException {
        await(pfn, order, false, true);
    }

    /** Waits, ignoring interrupts (the status is kept), until the range is idle (unmount, eviction). */
    public void awaitIdle(long pfn, int order) {
        try {
            await(pfn, order, true, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e); // not thrown when uninterruptible
        }
    }

    private void await(long pfn, int order, boolean idle, boolean interruptible) throws InterruptedException {
        long region = pfn >>> ORDER_2M;
        while (!all(pfn, order, idle)) {
            WaitQueues.Waiter w = queues.enqueue(NO_OWNER, 0, region, false);
            try {
                if (all(pfn, order, idle)) {
                    return; // the release came before our enqueue was seen
                }
                waits.increment();
                if (interruptible) {
                    w.awaitInterruptibly();
                } else {
                    w.await();
                }
            } finally {
                w.abandon(); // leaves the queue unless woken; a non-exclusive wakeup has nothing to hand on
            }
        }
    }

    /** Wakes every waiter of the 2 MiB region {@code key}; one volatile read if nobody waits. */
    private void wake(long key) {
        queues.wakeAll(NO_OWNER, 0, key);
    }

    /** Threads currently asleep on the region of {@code pfn} (tests). */
    public int waiting(long pfn) {
        return queues.waiting(NO_OWNER, 0, pfn >>> ORDER_2M);
    }

    // ---- counters -------------------------------------------------------------------------

    /** Chunks (2 MiB regions) allocated so far. */
    public long chunksAllocated() {
        return chunks.sum();
    }

    /** Sleeps started. */
    public long waits() {
        return waits.sum();
    }

    /** Waiters woken by releases. */
    public long wakeups() {
        return queues.wakeups();
    }

    // ---- storage --------------------------------------------------------------------------

    private int slot(long pfn, int order) {
        checkOrder(order);
        checkPfn(pfn);
        return order == ORDER_2M ? FOLIO_SLOT : (int) (pfn & CHUNK_PAGES - 1);
    }

    private static void checkOrder(int order) {
        if (order != ORDER_4K && order != ORDER_2M) {
            throw new IllegalArgumentException("order " + order);
        }
    }

    private void checkPfn(long pfn) {
        if (pfn < 0 || pfn >= pages) {
            throw new IndexOutOfBoundsException("pfn " + pfn + " of " + pages);
        }
    }

    private long[] chunk(long pfn) {
        long ci = pfn >>> ORDER_2M;
        AtomicReferenceArray<long[]> seg = directory.get((int) (ci / SEGMENT_CHUNKS));
        return seg == null ? null : seg.get((int) (ci % SEGMENT_CHUNKS));
    }

    private long[] chunkForWrite(long pfn) {
        long ci = pfn >>> ORDER_2M;
        int si = (int) (ci / SEGMENT_CHUNKS);
        AtomicReferenceArray<long[]> seg = directory.get(si);
        if (seg == null) {
            seg = new AtomicReferenceArray<>(SEGMENT_CHUNKS);
            if (!directory.compareAndSet(si, null, seg)) {
                seg = directory.get(si);
            }
        }
        int k = (int) (ci % SEGMENT_CHUNKS);
        long[] c = seg.get(k);
        if (c == null) {
            c = new long[CHUNK_PAGES + 1];
            if (seg.compareAndSet(k, null, c)) {
                chunks.increment();
            } else {
                c = seg.get(k);
            }
        }
        return c;
    }

    private static int refs(long v) {
        return (int) (v >>> 32);
    }

    private static int maps(long v) {
        return (int) v;
    }
}
