package io.daxfs.dax;

import io.daxfs.device.SegmentCarrier;
import io.daxfs.device.StitchedRange;
import io.daxfs.fs.OpenFile;
import io.daxfs.mm.PageRefs;
import io.daxfs.mm.PageTable;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
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
 *     {@link PageTable#holdMapped} before it is mapped in, and released only once nothing can
 *     reach it through the range: the arena is closed, or the range is covered (detached). The
 *     allocator reuses a page only at reference count 0 ({@link PageRefs}), so the range never
 *     reaches a block another file may get.</li>
 * <li>The reference is not a pin: a truncate, hole punch, collapse, insert or zero-range over
 *     the range neither waits for the segment nor changes it. The segment stays on the blocks it
 *     had, which keep their bytes; the file's blocks there are freed as usual but reused only
 *     after the segment is unmapped. From then on the segment no longer shows the file in that
 *     range. (Pinning rather than revoking: revoking memory from a segment whose arena the
 *     caller owns could only unmap its pages, and an access to an unmapped page kills the JVM.)</li>
 * <li>Holes: a shared writable range has none (its holes get zeroed blocks at map time). In a
 *     read-only or copy-on-write range a hole is anonymous memory reading as zeros, and stays
 *     so for the life of the range: blocks a write gives the file there later are not mapped in.</li>
 * <li>Stores are not tracked, so every writeback of the file (fsync, msync) persists the whole
 *     of each shared writable range of it that it covers ({@link #persist}).</li>
 * <li>At unmount the range is detached: anonymous memory replaces the device pages, so the
 *     segment stays safe to touch but reaches the image no more. The JDK unmaps the range
 *     when the arena closes, whatever happened before. A segment of a confined arena owned by
 *     another thread than the unmounting one cannot be covered (only its owner may pass it to
 *     a native call); it keeps reaching the image, and its pages stay held, until that owner
 *     closes the arena.</li>
 * </ul>
 *
 * <h2>Building</h2>
 * A {@link Vma} over the range is faulted in page by page (write faults for a shared writable
 * range, which allocate and zero holes; read faults otherwise, so holes show the zero page). Each
 * present entry is held with {@link PageTable#holdMapped}; an entry gone between the fault and
 * the hold (a racing truncate, docs/RACES.md R28) is faulted again, and past end of file that
 * fails with SIGBUS. The Vma is closed at the end: its own references go, the holds stay. Then
 * the JDK maps the {@link SegmentCarrier} for the caller's arena (so the segment is a genuine
 * mapped segment of that arena), and {@link StitchedRange#over} replaces its pages: anonymous
 * memory, then one mmap per run of consecutive device pages.
 *
 * <p>Thread-safe. State moves LIVE → DETACHED (unmount) and LIVE or DETACHED → UNMAPPED (the
 * owner's arena closing) once each, under this object's monitor; the pages are released once,
 * by the detach if it covered the range and by the arena's cleanup otherwise. Every mmap over
 * the range runs under the monitor too, and passes the range as a segment of the owner's arena, which the JDK
 * keeps open for the call and refuses once closed: so no mmap ever lands on address space the
 * JDK has given back, whichever thread closes the arena and whenever (docs/RACES.md R29). The
 * releases run outside the monitor.
 */
public final class StitchedMapping {
    private enum State { LIVE, DETACHED, UNMAPPED }

    private final DaxLayer dax;
    private final AddressSpace space;
    private final long firstPage;
    private final boolean persistOnSync;
    /** The holds, {@code pfn << 1 | (counted on the folio ? 1 : 0)}. */
    private final long[] holds;
    /** Runs of the range, three longs each: first file page, first device page, pages. */
    private final long[] runs;
    private final OpenFile handle;
    /** The kernel mappings reserved for the range ({@link StitchedRange#reserveMappings}). */
    private final long mappings;
    private State state = State.LIVE;
    /**
     * Whether this mapping still holds its pages (guarded by this). Not implied by the state: a
     * detach that could not cover the range (its arena closing, or confined to another thread)
     * leaves the range DETACHED with the pages held, and the arena's cleanup then releases them.
     */
    private boolean holding = true;
    /** Set once the range is being stitched (guarded by this); until then there is nothing to cover. */
    private StitchedRange range;

    private StitchedMapping(DaxLayer dax, AddressSpace space, long firstPage, boolean persistOnSync, long[] holds,
                            long[] runs, OpenFile handle, long mappings) {
        this.mappings = mappings;
        this.dax = dax;
        this.space = space;
        this.firstPage = firstPage;
        this.persistOnSync = persistOnSync;
        this.holds = holds;
        this.runs = runs;
        this.handle = handle;
    }

    /**
     * Maps file bytes {@code [pos, pos + len)} of {@code file} as {@code mode} says, as one
     * segment belonging to {@code arena}. The caller has checked the range lies within the file
     * and that the arena is alive; the mapping holds a handle of its own on the file.
     */
    @SuppressWarnings("restricted") // a cleanup action on the caller's arena
    static MemorySegment create(DaxLayer dax, OpenFile file, long pos, long len, DaxMapMode mode, Arena arena)
            throws DaxException {
        long first = pos & -PAGE;
        long end = (pos + len + PAGE - 1) & -PAGE;
        boolean shared = mode.shared();
        boolean write = shared && mode.writable();
        if (!StitchedRange.supported(dax.device)) {
            throw new DaxException(Errno.EOPNOTSUPP, "map: " + dax.device.describe()
                    + " is not backed by a file the kernel can map; mapping into one segment needs an image file or /dev/dax");
        }
        Holds holds = new Holds();
        OpenFile handle = null;
        Vma vma = dax.map(file, first, end - first, shared, write, false, true);
        try {
            collect(vma, first >>> 12, end >>> 12, write, holds);
            handle = dax.volume.reopen(file);
        } catch (DaxException | RuntimeException | Error e) {
            holds.release(dax.refs);
            throw e;
        } finally {
            vma.close();
        }
        long mappings = 2L * (holds.runCount / 3) + 1;
        try {
            StitchedRange.reserveMappings(mappings, "map: [" + pos + ", " + (pos + len) + ") of the file");
        } catch (DaxException e) {
            holds.release(dax.refs);
            closeQuietly(handle);
            throw e;
        }
        StitchedMapping m = new StitchedMapping(dax, vma.space, first >>> 12, write,
                Arrays.copyOf(holds.holds, holds.holdCount), Arrays.copyOf(holds.runs, holds.runCount), handle, mappings);
        MemorySegment segment;
        MemorySegment run;
        try {
            segment = SegmentCarrier.map(carrierMode(mode), pos - first, len, arena);
            // The whole run of pages as a segment of the same arena: the mmaps over it pass it,
            // which keeps them off the address space once the JDK has unmapped it (StitchedRange).
            run = MemorySegment.ofAddress(segment.address() - (pos - first)).reinterpret(end - first, arena, null);
            MemorySegment.NULL.reinterpret(arena, ignored -> m.unmap());
        } catch (DaxException | RuntimeException | Error e) { // e.g. the arena closed meanwhile
            m.unmap(); // nothing of the device is mapped yet
            throw e;
        }
        dax.hooks.segmentCarried(m.space.index, run.address(), run.byteSize());
        try {
            m.stitch(run, access(mode));
            dax.stitched(m);
            dax.counters.segments.increment();
            dax.counters.segmentRuns.add(m.runs());
            return segment;
        } catch (DaxException | RuntimeException | Error e) {
            m.detach(); // reaches the device no more, if the arena is still open
            throw e;
        }
    }

    /**
     * Covers the run with anonymous memory, then maps the runs of device pages into it. Under
     * this mapping's monitor, with the state checked first; each mmap passes the run's segment,
     * so an arena closed meanwhile makes it fail without mapping anything.
     */
    private synchronized void stitch(MemorySegment run, StitchedRange.Access access) throws DaxException {
        if (state != State.LIVE) {
            throw new IllegalStateException("map: the arena was closed while the file was being mapped");
        }
        StitchedRange r = StitchedRange.over(dax.device, run, access);
        range = r;
        for (int k = 0; k < runs.length; k += 3) {
            r.mapDevice((runs[k] - firstPage) << 12, runs[k + 1] << 12, runs[k + 2] << 12);
            dax.hooks.segmentRunMapped(space.index, k / 3);
        }
    }

    private static FileChannel.MapMode carrierMode(DaxMapMode mode) {
        return switch (mode) {
            case READ_ONLY -> FileChannel.MapMode.READ_ONLY;
            case READ_WRITE, READ_WRITE_SYNC -> FileChannel.MapMode.READ_WRITE;
            case PRIVATE -> FileChannel.MapMode.PRIVATE;
        };
    }

    private static StitchedRange.Access access(DaxMapMode mode) {
        return !mode.writable() ? StitchedRange.Access.READ
                : mode.shared() ? StitchedRange.Access.READ_WRITE : StitchedRange.Access.COPY_ON_WRITE;
    }

    private static final long PAGE = 4096;

    /** Faults in and holds every page of {@code [firstPage, endPage)}, gathering the runs. */
    private static void collect(Vma vma, long firstPage, long endPage, boolean write, Holds out) throws DaxException {
        PageTable table = vma.pageTable();
        for (long p = firstPage; p < endPage; ) {
            long r = table.holdMapped(p, write);
            if (r == PageTable.HOLD_MISSING) {
                vma.fault(p << 12, write);
                vma.dax.hooks.segmentFaulted(vma.space.index, p);
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
     * The owner's arena is closing: releases the pages. No mmap here: the JDK unmaps the range
     * as one of the arena's cleanups, before or after this one depending on the arena's kind, and
     * either way no thread can access the range through the segment any more (the arena is
     * closed), so the pages may go to other files now. That holds after a detach that could not
     * cover the range too (docs/RACES.md R30): those pages were kept for this moment. Idempotent.
     */
    void unmap() {
        dax.hooks.segmentReleasing(space.index);
        State was;
        boolean release;
        synchronized (this) {
            was = state;
            state = State.UNMAPPED;
            release = holding;
            holding = false;
        }
        if (was == State.LIVE) {
            unregister();
        }
        if (release) {
            release(dax.refs, holds, holds.length);
        }
    }

    /**
     * Unmount, or a failure while stitching: anonymous memory replaces the device pages
     * (accesses go on, reaching nothing shared), and the pages are released. The range stays
     * mapped until the owner's arena closes. If the range cannot be covered (the arena is
     * closing, or is confined to another thread), the pages stay held until the arena's cleanup
     * ({@link #unmap}): see {@link #cover}.
     */
    void detach() {
        boolean release;
        synchronized (this) {
            if (state != State.LIVE) {
                return;
            }
            state = State.DETACHED;
            release = cover(); // a LIVE mapping still holds its pages
            holding = !release;
        }
        unregister();
        if (release) {
            release(dax.refs, holds, holds.length);
        }
    }

    /**
     * Puts anonymous memory over the range, if it was stitched; false if that failed. Under the
     * monitor. It fails when the arena is closing (its cleanup, which waits for the monitor,
     * releases the pages), when the arena is confined to another thread (the range keeps
     * reaching the device until that thread closes it; its pages stay held until then, so no
     * other file gets them), or out of kernel memory.
     */
    private boolean cover() {
        StitchedRange r = range;
        if (r == null) {
            return true;
        }
        try {
            r.detach();
            return true;
        } catch (DaxException | IllegalStateException | WrongThreadException e) {
            return false;
        }
    }

    /**
     * Unregisters the range and closes its handle, once: from the first of {@link #detach} and
     * {@link #unmap} to leave LIVE. The pages are released apart ({@link #holding}).
     */
    private void unregister() {
        StitchedRange.releaseMappings(mappings);
        space.stitched.remove(this);
        dax.unstitched(this);
        closeQuietly(handle);
    }

    private static void closeQuietly(OpenFile handle) {
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
