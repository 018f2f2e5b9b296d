package io.daxfs.mm;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * The page table of one mapping of a file range: which page of memory each file page shows,
 * and with what rights (the DAX layer's {@code Vma} owns one).
 *
 * <h2>Entries</h2>
 * An entry is a long: a 4 KiB-aligned address in its high bits and flags in its low twelve
 * ({@link #PRESENT} a device page, {@link #WRITE} stores allowed, {@link #ZERO} the zero page,
 * {@link #COPY} a private copy, {@link #HUGE} the entry covers 2 MiB). There is one slot entry
 * per 2 MiB of file space the mapping touches, aligned to the file's 2 MiB grid: 0, a HUGE
 * entry, or a marker that the slot's 512 page entries are in a page array. Device addresses
 * are offsets into the device; copy addresses are process addresses.
 *
 * <h2>Epochs (the TLB)</h2>
 * Every access goes through the current {@link Epoch}: the entry arrays and one segment over
 * the whole device owned by the epoch's shared Arena. An access loads the epoch, its entry, and
 * reads {@code epoch.device} at the entry's address: a raw access plus two cached loads.
 * <ul>
 * <li>Installing an entry (0 to something) or adding {@link #WRITE} to a device entry changes
 *     the current arrays in place: a thread that misses it faults and finds it under the lock.</li>
 * <li>Removing or write-protecting entries builds new arrays (copies of what changes; the rest is
 *     shared), publishes them with a new Arena as the next epoch, and then closes the old
 *     Arena: one JVM handshake per change per mapping, however many pages it covers. When the
 *     close returns, every access through the old epoch has finished or failed with
 *     {@link IllegalStateException} (the accessors retry through the new epoch), so only then
 *     are the removed pages' references dropped (after which their blocks may be reused) and
 *     the discarded private copies freed (docs/RACES.md Rule 21, R18).</li>
 * <li>Entries are never cleared in place, with one exception: a zero-page entry, when no window
 *     onto the zero page was handed out in this epoch ({@link Epoch#zeroWindows}). Accessors
 *     read zero entries afresh on every access, so nothing can keep showing zeros after the
 *     clear; a {@link #window} announces itself before it re-checks the entry, so either the
 *     clearing side sees the announcement and closes the epoch, or the window sees the clear.</li>
 * </ul>
 * Readers use plain loads on purpose (an acquire would keep the JIT from hoisting anything in
 * an access loop). That is safe because an epoch's fields are final (a thread that sees an
 * epoch sees its arrays as built), an entry that is stale within its epoch is only a missing
 * install (the slow path looks again), and a stale epoch is a closed one, whose accesses fail.
 *
 * <h2>Locking</h2>
 * Installs and changes hold the table lock ({@link LockLevel#WINDOWS}), which is short except
 * for an Arena close. Installs come from faults holding the file's invalidate lock shared and
 * the entry lock of the page; removals from holders of the invalidate lock exclusive (layout
 * breaks) or of an entry lock (writeback, zero-page replacement, PMD downgrade). The caller's
 * locks, not this one, keep an entry from being installed for a block that is going away.
 * Each device entry holds one page reference and one mapcount in {@link PageRefs} (of the
 * folio, for a 2 MiB entry or a page of one), taken at install and dropped after the close.
 *
 * <h2>Private mappings</h2>
 * A copy-on-write page lives in memory owned by the mapping ({@link PrivateCopies}); its entry
 * survives revocations that only refresh entries (writeback, zero-page replacement) and goes
 * with a layout break of its range (as Linux unmaps private copies on truncate and hole punch).
 */
public final class PageTable {
    public static final int PAGE_SHIFT = 12;
    public static final int SLOT_SHIFT = 21;
    public static final int SLOT_PAGES = 1 << (SLOT_SHIFT - PAGE_SHIFT);
    private static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    private static final long SLOT_SIZE = 1L << SLOT_SHIFT;

    /** Entry flag: a device page (or 2 MiB of them), read through {@link Epoch#device} at the entry's address. */
    public static final long PRESENT = 1;
    /** Entry flag: stores are allowed (a device page made writable by a write fault, or a private copy). */
    public static final long WRITE = 2;
    /** Entry flag: the zero page (reads as zeros; no address). */
    public static final long ZERO = 4;
    /** Entry flag: this private mapping's own copy, at the process address in the entry. */
    public static final long COPY = 8;
    /** Entry flag: the entry covers the whole 2 MiB slot. */
    public static final long HUGE = 16;
    /** Slot marker: the slot's entries are in its page array. */
    private static final long TABLE = 32;
    /** Page entry flag: its reference is counted on the 2 MiB folio. */
    private static final long FOLIO = 64;
    /** The address bits of an entry. */
    public static final long ADDRESS = -PAGE_SIZE;

    private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle EPOCH;

    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(PageTable.class, "epoch", Epoch.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The kinds of page a device-side install can show (private copies have their own install). */
    public enum Kind { DEVICE, ZERO }

    /**
     * One generation of the table: what accessors read. Its arrays change in place only by
     * installs (see the class comment); everything else makes a new epoch.
     */
    public static final class Epoch {
        final Arena arena;
        /** The whole device, valid until this epoch is closed. */
        public final MemorySegment device;
        /** {@link #device}, read-only: what read windows are sliced from (one view per epoch, not per window). */
        final MemorySegment readOnlyDevice;
        final long[] slots;
        final long[][] pages;
        /** Set once a window onto the zero page was handed out in this epoch. */
        volatile boolean zeroWindows;

        Epoch(Arena arena, MemorySegment device, long[] slots, long[][] pages) {
            this.arena = arena;
            this.device = device;
            this.readOnlyDevice = device.asReadOnly();
            this.slots = slots;
            this.pages = pages;
        }

        /** False once this epoch is closed: an access that failed through it is to be retried. */
        public boolean isAlive() {
            return arena.scope().isAlive();
        }
    }

    private final long start;
    private final long length;
    private final boolean shared;
    private final boolean writable;
    private final long slotBase;
    private final int slotCount;
    private final OrderedLock lock;
    private final MemorySegment device;
    private final PageRefs refs;
    private final ZeroPage zero;
    private final LongAdder revocations;
    /** The pages copied on write (private mappings only; null for shared ones); guarded by {@link #lock}. */
    private final PrivateCopies copies;
    /** The current epoch: written with release stores under the lock, read with plain loads. */
    @SuppressWarnings("unused") // through EPOCH
    private Epoch epoch;
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
        long n = ((start + length - 1) >>> SLOT_SHIFT) - slotBase + 1;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("mapping too large: " + length + " bytes");
        }
        this.slotCount = (int) n;
        this.lock = new OrderedLock(LockLevel.WINDOWS, "windows", id);
        this.device = device;
        this.refs = refs;
        this.zero = zero;
        this.revocations = revocations;
        this.copies = shared ? null : new PrivateCopies();
        EPOCH.setRelease(this, newEpoch(new long[slotCount], new long[slotCount][]));
    }

    // ---------------------------------------------------------------- lookups (no lock)

    /** The current epoch (a plain load: see the class comment). */
    public Epoch epoch() {
        return epoch;
    }

    /** The slot entry for file byte {@code pos} in {@code e}: a {@link #HUGE} entry, or something else. */
    public long slotEntry(Epoch e, long pos) {
        return e.slots[(int) ((pos >>> SLOT_SHIFT) - slotBase)];
    }

    /** The entry for file byte {@code pos} in {@code e} (2 MiB or 4 KiB), or 0. */
    public long entry(Epoch e, long pos) {
        int i = (int) ((pos >>> SLOT_SHIFT) - slotBase);
        long s = e.slots[i];
        if ((s & TABLE) == 0) {
            return s;
        }
        long[] p = e.pages[i];
        return p == null ? 0 : p[(int) (pos >>> PAGE_SHIFT) & (SLOT_PAGES - 1)];
    }

    /** As {@link #entry}, with volatile loads (pairs with the in-place clear of zero entries). */
    private long entryVolatile(Epoch e, long pos) {
        int i = (int) ((pos >>> SLOT_SHIFT) - slotBase);
        long s = (long) ENTRY.getVolatile(e.slots, i);
        if ((s & TABLE) == 0) {
            return s;
        }
        long[] p = e.pages[i];
        return p == null ? 0 : (long) ENTRY.getVolatile(p, (int) (pos >>> PAGE_SHIFT) & (SLOT_PAGES - 1));
    }

    /** The size of the page an entry shows: 2 MiB or 4 KiB. */
    public static long pageSize(long entry) {
        return (entry & HUGE) != 0 ? SLOT_SIZE : PAGE_SIZE;
    }

    /** The memory of a {@link #COPY} entry, valid as long as {@code e}. */
    public MemorySegment copySegment(Epoch e, long entry) {
        return NativePages.at(entry & ADDRESS).reinterpret(e.arena, null);
    }

    /**
     * A window onto the page holding file byte {@code pos}, valid until the current epoch
     * closes: writable when {@code write} (null unless the entry allows stores), read-only
     * otherwise unless the entry is writable anyway; null when no entry is there (fault first).
     */
    public MemorySegment window(long pos, boolean write) {
        Epoch e = epoch;
        long ent = entry(e, pos);
        if ((ent & PRESENT) != 0 && (!write || (ent & WRITE) != 0)) {
            return ((ent & WRITE) != 0 ? e.device : e.readOnlyDevice).asSlice(ent & ADDRESS, pageSize(ent));
        }
        return windowSlow(e, ent, pos, write); // out of line: keeps the device case small enough to inline
    }

    private MemorySegment windowSlow(Epoch e, long ent, long pos, boolean write) {
        if (ent == 0 || (write && (ent & WRITE) == 0)) {
            return null;
        }
        if ((ent & COPY) != 0) {
            return copySegment(e, ent);
        }
        long size = pageSize(ent);
        e.zeroWindows = true;
        if (entryVolatile(e, pos) != ent) {
            return null; // cleared meanwhile: look again
        }
        return (size == SLOT_SIZE ? zero.huge() : zero.page()).reinterpret(e.arena, null).asReadOnly();
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
     * Installs a 2 MiB entry at file pages {@code [page, page + 512)} showing device pages
     * from {@code pfn} (2 MiB-aligned), or the zero page when {@code kind} is ZERO. Whatever
     * else the slot shows is removed first. Caller holds the invalidate lock shared and the PMD
     * entry's lock.
     */
    public void installHuge(long page, Kind kind, long pfn, boolean write) {
        lock.lock();
        try {
            checkOpen();
            int i = slotIndex(page);
            long want = kind == Kind.ZERO ? ZERO | HUGE : pfn << PAGE_SHIFT | PRESENT | HUGE | (write ? WRITE : 0);
            long have = epoch.slots[i];
            if (have != 0 && !sameTarget(have, want)) {
                long first = (slotBase + i) << (SLOT_SHIFT - PAGE_SHIFT);
                if (copies != null && copies.anyIn(first, first + SLOT_PAGES)) {
                    throw new IllegalStateException("a 2 MiB entry over private copies");
                }
                changeLocked(first, first + SLOT_PAGES, Change.REMOVE);
                have = 0;
            }
            Epoch e = epoch;
            if (have == 0) {
                if (kind == Kind.DEVICE) {
                    refs.map(pfn, PageRefs.ORDER_2M);
                }
                ENTRY.setRelease(e.slots, i, want);
            } else if ((want & WRITE) != 0 && (have & WRITE) == 0) {
                ENTRY.setRelease(e.slots, i, have | WRITE); // same page, same reference: upgrade in place
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Installs a 4 KiB entry at file page {@code page} showing device page {@code pfn}
     * (counted against its 2 MiB folio when {@code order} is 9), or the zero page. A 2 MiB
     * entry of the slot, or another page at {@code page}, is removed first. Caller holds the
     * invalidate lock shared and the entry lock covering {@code page}.
     */
    public void installPage(long page, Kind kind, long pfn, int order, boolean write) {
        lock.lock();
        try {
            checkOpen();
            long want = kind == Kind.ZERO ? ZERO
                    : pfn << PAGE_SHIFT | PRESENT | (write ? WRITE : 0) | (order == PageRefs.ORDER_2M ? FOLIO : 0);
            long have = pageEntryLocked(page);
            if ((have & COPY) != 0) {
                throw new IllegalStateException("a file page over a private copy");
            }
            if (have != 0 && !sameTarget(have, want)) {
                changeLocked(page, page + 1, Change.REMOVE);
                have = 0;
            }
            long[] p = pageArrayLocked(page);
            int k = (int) page & (SLOT_PAGES - 1);
            if (have == 0) {
                if (kind == Kind.DEVICE) {
                    refs.map(pfn, order);
                }
                ENTRY.setRelease(p, k, want);
            } else if ((want & WRITE) != 0 && (have & WRITE) == 0) {
                ENTRY.setRelease(p, k, have | WRITE);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Installs this private mapping's own copy of file page {@code page}, read and write,
     * creating it from {@code source} (4 KiB; null for a hole: zeros) if there is none yet.
     * Private mappings only. Caller holds the invalidate lock shared and the entry lock covering
     * {@code page}, so {@code source} cannot change while it is copied.
     */
    public void installCopy(long page, MemorySegment source) {
        if (shared) {
            throw new IllegalStateException("copy-on-write in a shared mapping");
        }
        lock.lock();
        try {
            checkOpen();
            long want = copies.getOrCopy(page, source) | COPY | WRITE;
            long have = pageEntryLocked(page);
            if (have == want) {
                return;
            }
            if (have != 0) {
                changeLocked(page, page + 1, Change.REMOVE);
            }
            ENTRY.setRelease(pageArrayLocked(page), (int) page & (SLOT_PAGES - 1), want);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code body} under the table lock: no epoch of this table closes while it runs, so
     * an access it makes through the current epoch cannot be stopped half done. For accesses
     * that must not be retried after they took effect (the atomic read-modify-writes: a
     * revocation's async exception can arrive after the instruction completed). The body must
     * not fault or wait: faults take this lock last.
     */
    public boolean underLock(java.util.function.BooleanSupplier body) {
        lock.lock();
        try {
            return body.getAsBoolean();
        } finally {
            lock.unlock();
        }
    }

    /** True when this private mapping has its own copy of {@code page}. */
    public boolean hasCopy(long page) {
        return hasCopies(page, page + 1);
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

    /** The entry at {@code page} in page form: the page's entry, or the slot's 2 MiB entry. Lock held. */
    private long pageEntryLocked(long page) {
        return entry(epoch, page << PAGE_SHIFT);
    }

    /** The page array of {@code page}'s slot in the current epoch, made if the slot has none. Lock held. */
    private long[] pageArrayLocked(long page) {
        int i = slotIndex(page);
        Epoch e = epoch;
        long s = e.slots[i];
        if ((s & TABLE) != 0) {
            return e.pages[i];
        }
        if (s != 0) {
            long first = (slotBase + i) << (SLOT_SHIFT - PAGE_SHIFT);
            changeLocked(first, first + SLOT_PAGES, Change.REMOVE);
            e = epoch;
        }
        long[] p = new long[SLOT_PAGES];
        e.pages[i] = p; // before the marker: a reader that sees TABLE finds the array (or a stale null: a miss)
        ENTRY.setRelease(e.slots, i, TABLE);
        return p;
    }

    private static boolean sameTarget(long have, long want) {
        return (have & ~WRITE) == (want & ~WRITE);
    }

    // ---------------------------------------------------------------- pins

    /**
     * Pins the device page shown at file page {@code page}, if an entry for it is installed:
     * returns {@code pfn << 1 | (order == 9 ? 1 : 0)} after taking a pin reference, or -1 when
     * there is no entry (fault, then try again) and -2 when the page is the zero page or a
     * private copy (no device page to pin). Taking the pin under the table lock while the entry
     * is present is what orders it against a layout break, which removes entries before its
     * busy scan: either the scan sees the pin, or the pin sees no entry (docs/RACES.md Rule 22,
     * R19).
     */
    public long pin(long page) {
        lock.lock();
        try {
            if (closed) {
                return -1;
            }
            long ent = pageEntryLocked(page);
            if (ent == 0) {
                return -1;
            }
            if ((ent & PRESENT) == 0) {
                return -2;
            }
            if ((ent & HUGE) != 0) {
                long pfn = (ent >>> PAGE_SHIFT) + (page & (SLOT_PAGES - 1));
                refs.pin(pfn, PageRefs.ORDER_2M);
                return pfn << 1 | 1;
            }
            long pfn = ent >>> PAGE_SHIFT;
            int order = (ent & FOLIO) != 0 ? PageRefs.ORDER_2M : PageRefs.ORDER_4K;
            refs.pin(pfn, order);
            return pfn << 1 | (order == PageRefs.ORDER_2M ? 1 : 0);
        } finally {
            lock.unlock();
        }
    }

    /** {@link #holdMapped}: no entry, or not one that allows stores when they were asked for. */
    public static final long HOLD_MISSING = -1;
    /** {@link #holdMapped}: the page shows the zero page (a hole), which has no device page. */
    public static final long HOLD_ZERO = -2;

    /**
     * Takes a mapping reference (a reference and a mapcount, as an installed entry holds) on the
     * device page shown at file page {@code page}, for a mapping that reaches the page by other
     * means than this table (a segment the host kernel maps): the page is then never reused
     * while the reference is held, and, not being pinned, never holds up a layout break. Returns
     * {@code pfn << 2 | (whole 2 MiB entry ? 2 : 0) | (counted on the folio ? 1 : 0)}, where
     * for a whole 2 MiB entry {@code pfn} is its first page and one reference covers the slot;
     * or {@link #HOLD_MISSING} (fault, then ask again; also when {@code write} and the entry does
     * not allow stores), or {@link #HOLD_ZERO}. Taken under the table lock while the entry is
     * present, like {@link #pin}, and ordered against a layout break the same way: either the
     * break's revocation comes first and this sees no entry, or the reference exists before the
     * block can be freed.
     */
    public long holdMapped(long page, boolean write) {
        lock.lock();
        try {
            if (closed) {
                return HOLD_MISSING;
            }
            long ent = pageEntryLocked(page);
            if (ent == 0 || (write && (ent & WRITE) == 0)) {
                return HOLD_MISSING;
            }
            if ((ent & PRESENT) == 0) {
                return (ent & ZERO) != 0 ? HOLD_ZERO : HOLD_MISSING;
            }
            long pfn = ent >>> PAGE_SHIFT;
            if ((ent & HUGE) != 0) {
                refs.map(pfn, PageRefs.ORDER_2M);
                return pfn << 2 | 3;
            }
            boolean folio = (ent & FOLIO) != 0;
            refs.map(pfn, folio ? PageRefs.ORDER_2M : PageRefs.ORDER_4K);
            return pfn << 2 | (folio ? 1 : 0);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- revocation

    /** What {@link #changeLocked} does to the entries of a range. */
    private enum Change {
        /** Remove device and zero-page entries; keep private copies (they are this mapping's own pages). */
        REMOVE,
        /** Remove every entry and discard the private copies: a layout break. */
        REMOVE_ALL,
        /** Take {@link #WRITE} off device entries. */
        WRITE_PROTECT
    }

    /**
     * Removes the entries of file pages {@code [firstPage, endPage)}; with {@code discardCopies}
     * also discards the private copies of that range (a layout break: what they copied is gone).
     * A 2 MiB entry overlapping the range goes whole. Returns the number of entries removed.
     */
    public int revoke(long firstPage, long endPage, boolean discardCopies) {
        lock.lock();
        try {
            return changeLocked(firstPage, endPage, discardCopies ? Change.REMOVE_ALL : Change.REMOVE);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Write-protects file pages {@code [firstPage, endPage)}: takes the right to store off the
     * device entries there, so the next store faults (writeback). Reads go on through the new
     * epoch without a fault. Private mappings never store to device memory and are left alone.
     */
    public int writeProtect(long firstPage, long endPage) {
        if (!shared || !writable) {
            return 0;
        }
        lock.lock();
        try {
            return changeLocked(firstPage, endPage, Change.WRITE_PROTECT);
        } finally {
            lock.unlock();
        }
    }

    /** Removes every entry, closes the last epoch and frees the private copies. Idempotent. */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Epoch e = epoch;
            LongList drops = new LongList();
            LongList freed = new LongList();
            for (int i = 0; i < slotCount; i++) {
                long s = e.slots[i];
                if ((s & TABLE) != 0) {
                    for (long x : e.pages[i]) {
                        collectRef(x, drops);
                    }
                } else {
                    collectRef(s, drops);
                }
            }
            if (copies != null) {
                copies.discardAll(freed);
            }
            // The last epoch: empty, over the closed Arena, so every access misses and faults
            // (which reports the mapping closed).
            EPOCH.setRelease(this, new Epoch(e.arena, e.device, new long[slotCount], new long[slotCount][]));
            retireLocked(e, drops, freed);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies {@code change} to the entries of {@code [firstPage, endPage)} (clipped to the
     * mapping). Zero-page entries are cleared in place when no zero window is out; any other
     * change builds the next epoch and retires the current one. Lock held.
     */
    private int changeLocked(long firstPage, long endPage, Change change) {
        long first = Math.max(firstPage, start >>> PAGE_SHIFT);
        long end = Math.min(endPage, (start + length + PAGE_SIZE - 1) >>> PAGE_SHIFT);
        if (first >= end) {
            return 0;
        }
        Epoch e = epoch;
        // A layout break removes the entries of every 2 MiB slot it touches, not only of its
        // range: the break deletes whole 2 MiB index entries that reach outside its range, and
        // no page-table entry may outlive the index entry it was installed from (a write through
        // it would never be marked dirty, and its page references would mix a 2 MiB folio's
        // with the 4 KiB ones of later faults). Private copies outside the range stay.
        long entFirst = first;
        long entEnd = end;
        if (change == Change.REMOVE_ALL) {
            entFirst = Math.max(first & -SLOT_PAGES, start >>> PAGE_SHIFT);
            entEnd = Math.min((end + SLOT_PAGES - 1) & -SLOT_PAGES, (start + length + PAGE_SIZE - 1) >>> PAGE_SHIFT);
        }
        int firstSlot = slotIndex(entFirst);
        int lastSlot = slotIndex(entEnd - 1);
        // Pass 1: does any change need a new epoch?
        boolean newEpoch = false;
        int changed = 0;
        for (int i = firstSlot; i <= lastSlot; i++) {
            long s = e.slots[i];
            if ((s & TABLE) == 0) {
                if (changed(s, change) != s) {
                    changed++;
                    newEpoch |= (s & ZERO) == 0;
                }
                continue;
            }
            long[] p = e.pages[i];
            for (int k = pageFrom(i, entFirst), to = pageTo(i, entEnd); k < to; k++) {
                if (changed(p[k], changeAt(i, k, first, end, change)) != p[k]) {
                    changed++;
                    newEpoch |= (p[k] & ZERO) == 0;
                }
            }
        }
        LongList freed = new LongList();
        if (change == Change.REMOVE_ALL && copies != null) {
            copies.discard(first, end, freed);
        }
        if (changed == 0) {
            freeAll(freed); // copies without entries: nothing can reach them
            return 0;
        }
        if (!newEpoch) {
            // Only zero-page entries: clear in place, then look whether a window onto the zero
            // page was handed out meanwhile (the volatile stores and loads pair with window()).
            for (int i = firstSlot; i <= lastSlot; i++) {
                if ((e.slots[i] & TABLE) == 0) {
                    ENTRY.setVolatile(e.slots, i, changed(e.slots[i], change));
                } else {
                    long[] p = e.pages[i];
                    for (int k = pageFrom(i, entFirst), to = pageTo(i, entEnd); k < to; k++) {
                        ENTRY.setVolatile(p, k, changed(p[k], changeAt(i, k, first, end, change)));
                    }
                }
            }
            if (!e.zeroWindows) {
                return changed;
            }
            retireLocked(e, new LongList(), freed); // with the same (already cleared) arrays
            return changed;
        }
        // Pass 2: the next epoch's arrays, copying only what changes.
        long[] slots = e.slots.clone();
        long[][] pages = e.pages.clone();
        LongList drops = new LongList();
        for (int i = firstSlot; i <= lastSlot; i++) {
            long s = slots[i];
            if ((s & TABLE) == 0) {
                long ns = changed(s, change);
                if (ns != s) {
                    slots[i] = ns;
                    if (ns == 0) {
                        collectRef(s, drops);
                    }
                }
                continue;
            }
            long[] p = pages[i].clone();
            for (int k = pageFrom(i, entFirst), to = pageTo(i, entEnd); k < to; k++) {
                long nx = changed(p[k], changeAt(i, k, first, end, change));
                if (nx != p[k]) {
                    if (nx == 0) {
                        collectRef(p[k], drops);
                    }
                    p[k] = nx;
                }
            }
            pages[i] = p;
        }
        Epoch next = newEpoch(slots, pages);
        EPOCH.setRelease(this, next);
        retireLocked(e, drops, freed);
        return changed;
    }

    /** The change for page {@code k} of slot {@code i}: {@code change} in [first, end), else a removal that keeps copies. */
    private Change changeAt(int i, int k, long first, long end, Change change) {
        long page = ((slotBase + i) << (SLOT_SHIFT - PAGE_SHIFT)) + k;
        return page >= first && page < end ? change : Change.REMOVE;
    }

    /** What {@code change} makes of entry {@code x}. */
    private static long changed(long x, Change change) {
        if (x == 0 || (x & TABLE) != 0) {
            return x;
        }
        return switch (change) {
            case REMOVE -> (x & COPY) != 0 ? x : 0;
            case REMOVE_ALL -> 0;
            case WRITE_PROTECT -> (x & PRESENT) != 0 ? x & ~WRITE : x;
        };
    }

    /**
     * Closes epoch {@code old} (after the caller published its successor, or for good), then
     * drops the references and frees the copies that only it could reach, in that order: a page
     * may go only when no thread can reach it through the old epoch any more.
     */
    private void retireLocked(Epoch old, LongList drops, LongList freed) {
        if (epoch == old) {
            EPOCH.setRelease(this, newEpoch(old.slots, old.pages));
        }
        Arenas.close(old.arena);
        for (int k = 0; k < drops.size(); k++) {
            long x = drops.get(k);
            if ((x & HUGE) != 0) {
                refs.unmap(x >>> PAGE_SHIFT, PageRefs.ORDER_2M);
            } else {
                refs.unmap(x >>> PAGE_SHIFT, (x & FOLIO) != 0 ? PageRefs.ORDER_2M : PageRefs.ORDER_4K);
            }
        }
        freeAll(freed);
        revocations.increment();
    }

    private static void collectRef(long x, LongList drops) {
        if ((x & PRESENT) != 0) {
            drops.add(x);
        }
    }

    private static void freeAll(LongList freed) {
        for (int k = 0; k < freed.size(); k++) {
            NativePages.free(freed.get(k));
        }
    }

    private Epoch newEpoch(long[] slots, long[][] pages) {
        Arena arena = Arena.ofShared();
        return new Epoch(arena, device.reinterpret(arena, null), slots, pages);
    }

    /** The first page index within slot {@code i} that is in range. */
    private int pageFrom(int i, long first) {
        long slotFirst = (slotBase + i) << (SLOT_SHIFT - PAGE_SHIFT);
        return (int) (Math.max(first, slotFirst) - slotFirst);
    }

    /** One past the last page index within slot {@code i} that is in range. */
    private int pageTo(int i, long end) {
        long slotFirst = (slotBase + i) << (SLOT_SHIFT - PAGE_SHIFT);
        return (int) (Math.min(end, slotFirst + SLOT_PAGES) - slotFirst);
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
}
