package io.daxfs.dax;

import io.daxfs.device.StitchedRange;
import io.daxfs.fs.OpenFile;
import io.daxfs.mm.PageRefs;
import io.daxfs.mm.PageTable;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;

import java.util.Arrays;

/**
 * A file range that the host kernel maps into one contiguous run of address space, extent by
 * extent ({@link StitchedRange}): the memory behind {@code FileChannel.map}. Where a
 * {@link io.daxfs.api.DaxMapping} is the software MMU (every access looks at a page table this
 * file system keeps, and can be revoked), here the page tables are the kernel's: once made,
 * loads and stores are plain memory accesses that the file system never sees.
 *
 * <h2>Invariants</h2>
 * <ul>
 * <li>Every device page the range reaches carries a mapping reference taken through
 *     {@link PageTable#holdMapped} before it is mapped in, and released only after the range is
 *     unmapped or detached. The allocator reuses a page only at reference count 0
 *     ({@link PageRefs}), so the range never reaches a block another file may get.</li>
 * <li>The reference is not a pin: a truncate, hole punch, collapse, insert or zero-range over
 *     the range neither waits for the segment nor changes it. The segment stays on the blocks it
 *     had, which keep their bytes; the file's blocks there are freed as usual but reused only
 *     after the segment is unmapped. From then on the segment no longer shows the file in that
 *     range. (Pinning rather than revoking: a revocation could only be an unmapped page, a
 *     fault the JVM cannot turn into an exception in compiled code.)</li>
 * <li>Holes: a shared writable range has none (its holes get zeroed blocks at map time). In a
 *     read-only or copy-on-write range a hole is anonymous memory reading as zeros, and stays
 *     so for the life of the range: blocks a write gives the file there later are not mapped in.</li>
 * <li>Stores are not tracked, so every writeback of the file (fsync, msync) persists the whole
 *     of each shared writable range of it that it covers ({@link #persist}).</li>
 * <li>At unmount the range is detached: anonymous memory replaces the device pages, so the
 *     segment stays safe to touch but reaches the image no more.</li>
 * </ul>
 *
 * <h2>Building</h2>
 * A {@link Vma} over the range is faulted in page by page (write faults for a shared writable
 * range, which allocate and zero holes; read faults otherwise, so holes show the zero page). Each
 * present entry is held with {@link PageTable#holdMapped}, and runs of consecutive device pages
 * are mapped into the reserved range with one mmap each. The Vma is closed at the end: its own
 * references go, the holds stay. An entry gone between the fault and the hold (a racing
 * truncate) is faulted again; past end of file that fails with SIGBUS.
 *
 * <p>Thread-safe. State moves LIVE → DETACHED (unmount) and LIVE or DETACHED → UNMAPPED (the
 * owner's arena closed) once each, under this object's monitor; the native calls and the
 * releases run outside it.
 */
public final class StitchedMapping {
    private enum State { LIVE, DETACHED, UNMAPPED }

    private final DaxLayer dax;
    private final AddressSpace space;
    private final StitchedRange range;
    private final long firstPage;
    private final boolean persistOnSync;
    /** The holds, {@code pfn << 1 | (counted on the folio ? 1 : 0)}. */
    private final long[] holds;
    /** Runs of the range, three longs each: first file page, first device page, pages. */
    private final long[] runs;
    private final OpenFile handle;
    private State state = State.LIVE;

    private StitchedMapping(DaxLayer dax, AddressSpace space, StitchedRange range, long firstPage,
                            boolean persistOnSync, long[] holds, long[] runs, OpenFile handle) {
        this.dax = dax;
        this.space = space;
        this.range = range;
        this.firstPage = firstPage;
        this.persistOnSync = persistOnSync;
        this.holds = holds;
        this.runs = runs;
        this.handle = handle;
    }

    /**
     * Maps file bytes {@code [pos, pos + len)} of {@code file}, widened to whole pages, as
     * {@code mode} says. The caller has checked the range lies within the file and the file's
     * access against the mode; the mapping holds a handle of its own on the file.
     */
    static StitchedMapping create(DaxLayer dax, OpenFile file, long pos, long len, DaxMapMode mode) throws DaxException {
        long first = pos & -PAGE;
        long end = (pos + len + PAGE - 1) & -PAGE;
        boolean shared = mode.shared();
        boolean write = shared && mode.writable();
        StitchedRange.Access access = !mode.writable() ? StitchedRange.Access.READ
                : shared ? StitchedRange.Access.READ_WRITE : StitchedRange.Access.COPY_ON_WRITE;
        if (!StitchedRange.supported(dax.device)) {
            throw new DaxException(Errno.EOPNOTSUPP, "map: " + dax.device.describe()
                    + " is not backed by a file the kernel can map; mapping into one segment needs an image file or /dev/dax");
        }
        Holds holds = new Holds();
        StitchedRange range = null;
        OpenFile handle = null;
        Vma vma = dax.map(file, first, end - first, shared, write, false, true);
        try {
            range = StitchedRange.reserve(dax.device, end - first, access);
            collect(vma, first >>> 12, end >>> 12, write, holds);
            for (int k = 0; k < holds.runCount; k += 3) {
                range.mapDevice((holds.runs[k] - (first >>> 12)) << 12, holds.runs[k + 1] << 12, holds.runs[k + 2] << 12);
            }
            handle = dax.volume.reopen(file);
        } catch (DaxException | RuntimeException | Error e) {
            if (range != null) {
                range.release();
            }
            holds.release(dax.refs);
            throw e;
        } finally {
            vma.close();
        }
        StitchedMapping m = new StitchedMapping(dax, vma.space, range, first >>> 12, write,
                Arrays.copyOf(holds.holds, holds.holdCount), Arrays.copyOf(holds.runs, holds.runCount), handle);
        try {
            dax.stitched(m);
        } catch (DaxException e) {
            m.unmap();
            throw e;
        }
        return m;
    }

    private static final long PAGE = 4096;

    /** Faults in and holds every page of {@code [firstPage, endPage)}, gathering the runs. */
    private static void collect(Vma vma, long firstPage, long endPage, boolean write, Holds out) throws DaxException {
        PageTable table = vma.pageTable();
        for (long p = firstPage; p < endPage; ) {
            long r = table.holdMapped(p, write);
            if (r == PageTable.HOLD_MISSING) {
                vma.fault(p << 12, write);
                continue;
            }
            if (r == PageTable.HOLD_ZERO) {
                p++;
                continue;
            }
            long pfn = r >>> 2;
            boolean folio = (r & 1) != 0;
            out.hold(pfn << 1 | (folio ? 1 : 0));
            if ((r & 2) != 0) { // a whole 2 MiB entry: pfn is its first page
                long slotEnd = Math.min((p | (PageTable.SLOT_PAGES - 1)) + 1, endPage);
                out.run(p, pfn + (p & (PageTable.SLOT_PAGES - 1)), slotEnd - p);
                p = slotEnd;
            } else {
                out.run(p, pfn, 1);
                p++;
            }
        }
    }

    /** The holds and runs gathered while building; appending merges runs that continue each other. */
    private static final class Holds {
        long[] holds = new long[16];
        int holdCount;
        long[] runs = new long[24];
        int runCount;

        void hold(long h) {
            if (holdCount == holds.length) {
                holds = Arrays.copyOf(holds, holdCount * 2);
            }
            holds[holdCount++] = h;
        }

        void run(long filePage, long pfn, long pages) {
            if (runCount > 0 && runs[runCount - 3] + runs[runCount - 1] == filePage
                    && runs[runCount - 2] + runs[runCount - 1] == pfn) {
                runs[runCount - 1] += pages;
                return;
            }
            if (runCount == runs.length) {
                runs = Arrays.copyOf(runs, runCount * 2);
            }
            runs[runCount++] = filePage;
            runs[runCount++] = pfn;
            runs[runCount++] = pages;
        }

        void release(PageRefs refs) {
            StitchedMapping.release(refs, holds, holdCount);
        }
    }

    private static void release(PageRefs refs, long[] holds, int n) {
        for (int k = 0; k < n; k++) {
            refs.unmap(holds[k] >>> 1, (holds[k] & 1) != 0 ? PageRefs.ORDER_2M : PageRefs.ORDER_4K);
        }
    }

    AddressSpace space() {
        return space;
    }

    /** The address of file byte {@code firstPage << 12}, the first byte of the range. */
    public long address() {
        return range.address();
    }

    /** The file offset of the range's first byte. */
    public long filePosition() {
        return firstPage << 12;
    }

    /** How many runs of consecutive device pages the range is made of (one mmap each). */
    public int runs() {
        return runs.length / 3;
    }

    /**
     * Makes durable what was stored through this range into file pages
     * {@code [first, end)}: a shared writable range only, and only while it reaches the device.
     */
    void persist(long first, long end) {
        if (!persistOnSync || state() != State.LIVE) {
            return;
        }
        for (int k = 0; k < runs.length; k += 3) {
            long from = Math.max(first, runs[k]);
            long to = Math.min(end, runs[k] + runs[k + 2]);
            if (from < to) {
                dax.device.persist((runs[k + 1] + from - runs[k]) << 12, (to - from) << 12);
            }
        }
    }

    private synchronized State state() {
        return state;
    }

    /**
     * Unmaps the range and releases its pages; the owner's arena is closing, so no thread
     * accesses the range any more. Idempotent.
     */
    public void unmap() {
        State was;
        synchronized (this) {
            was = state;
            if (was == State.UNMAPPED) {
                return;
            }
            state = State.UNMAPPED;
        }
        range.release(); // first: a page is released only once nothing reaches it
        if (was == State.LIVE) {
            forget();
        }
    }

    /**
     * Unmount: anonymous memory replaces the device pages (accesses go on, reaching nothing
     * shared), and the pages are released. The range itself stays reserved until {@link #unmap}.
     */
    void detach() {
        synchronized (this) {
            if (state != State.LIVE) {
                return;
            }
            state = State.DETACHED;
        }
        try {
            range.detach();
        } catch (DaxException e) {
            // Out of address-space bookkeeping (ENOMEM), which leaves the range reaching the
            // image: unmapping is the only other way to stop that, and it would turn accesses
            // into crashes. The file system is going away, so nothing in it reuses the blocks.
        }
        forget();
    }

    private void forget() {
        release(dax.refs, holds, holds.length);
        space.stitched.remove(this);
        dax.unstitched(this);
        try {
            handle.close();
        } catch (DaxException e) {
            // Closing the last handle of an unlinked file frees it; a failure there is the
            // volume's to report (it turns read-only), not this unmap's.
        }
    }

    @Override
    public String toString() {
        return "segment of " + space.inode + " at file page " + firstPage + " (" + runs() + " runs)";
    }
}
