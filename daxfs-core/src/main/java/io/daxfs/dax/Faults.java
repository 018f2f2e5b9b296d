package io.daxfs.dax;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.fs.Iomap;
import io.daxfs.fs.DaxBlocks;
import io.daxfs.fs.Inode;
import io.daxfs.mm.PageTable;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.Lock;

/**
 * The software page-fault handlers: resolve one file page (4 KiB) or one file-aligned 2 MiB
 * of a mapping to a page-table entry, allocating blocks for a write to a hole.
 *
 * <h2>Lock sequence of a fault</h2>
 * invalidate lock (shared) → entry lock (grab) → [block-map lock → journal handle, inside
 * {@link DaxBlocks#map}, released before returning] → [journal commit, synchronous faults] →
 * page table lock (install) → unlock entry → release invalidate lock. The entry lock is
 * taken <em>before</em> the block mapping is asked for (docs/RACES.md R5: else a read fault
 * can install the zero page after a racing write() allocated), and no file-system lock is
 * held while waiting for an entry lock (docs/RACES.md Rule 11). The file size is checked
 * under the invalidate lock, where a shrinking truncate cannot run (docs/RACES.md Rule 10).
 *
 * <h2>2 MiB faults</h2>
 * Tried first when the mapping allows huge pages; each rule that makes one impossible counts a
 * {@link DaxCounters.Fallback} and the 4 KiB path runs instead. A 2 MiB grab over 4 KiB entries
 * returns CONFLICT at once, never sleeps (docs/RACES.md R1). A fallback leaves the EMPTY or
 * ZERO PMD entry it may have found or made; the 4 KiB fault downgrades it.
 */
final class Faults {
    private static final int PMD_PAGES = (int) Entry.PMD_PAGES;
    private static final long PAGE = 4096;

    private final DaxLayer dax;
    private final EntryLocks locks;
    private final DaxBlocks blocks;
    private final DaxCounters counters;
    private final MemorySegment device;
    private final DaxHooks hooks;

    Faults(DaxLayer dax) {
        this.dax = dax;
        this.locks = dax.locks;
        this.blocks = dax.blocks;
        this.counters = dax.counters;
        this.device = dax.deviceSegment;
        this.hooks = dax.hooks;
    }

    /**
     * Resolves file byte {@code pos} of mapping {@code m} for a read or a write and installs its
     * entry (which may be removed again by the time the caller looks: look, and fault, again).
     */
    void fault(AddressSpace space, PageTable m, boolean huge, boolean sync, long pos, boolean write) throws DaxException {
        long page = pos >>> 12;
        if (huge && fault2m(space, m, sync, page & -PMD_PAGES, page, write)) {
            return;
        }
        fault4k(space, m, sync, page, write);
    }

    // ---------------------------------------------------------------- 4 KiB

    void fault4k(AddressSpace space, PageTable m, boolean sync, long page, boolean write) throws DaxException {
        Inode in = space.inode;
        Lock shared = in.invalidateLock().readLock();
        shared.lock();
        try {
            checkEof(in, page);
            counters.faults4k.increment();
            if (!m.isShared()) {
                if (m.hasCopy(page)) {
                    m.installCopy(page, null); // this mapping's own page: no entry involved
                    return;
                }
            }
            long[] held = {locks.grab(space.index, page, 0, space.downgrader)};
            try {
                resolve4k(space, m, sync, page, write, held);
            } finally {
                locks.unlock(space.index, page, held[0]);
            }
        } finally {
            shared.unlock();
        }
    }

    /** The 4 KiB fault with the entry lock held; {@code held[0]} is the current cookie. */
    private void resolve4k(AddressSpace space, PageTable m, boolean sync, long page, boolean write, long[] held)
            throws DaxException {
        long e = held[0];
        hooks.faultLocked(space.index, page, e);
        if (Entry.isReal(e)) {
            long pfn = Entry.pfn(e) + (page - Entry.baseIndex(page, e));
            int order = Entry.order(e);
            if (write && !m.isShared()) {
                counters.copyOnWrite.increment();
                m.installCopy(page, device.asSlice(pfn << 12, PAGE));
                return;
            }
            if (write) {
                makeWritable(space, page, e, sync);
            }
            m.installPage(page, PageTable.Kind.DEVICE, pfn, order, write);
            return;
        }
        boolean cow = write && !m.isShared();
        // EMPTY or ZERO, 4 KiB (a PMD placeholder was downgraded by the grab).
        Iomap bm = blocks.map(space.inode, page, 1, write && !cow, false);
        if (cow) {
            counters.copyOnWrite.increment();
            MemorySegment src = bm.state() == Iomap.State.HOLE ? null : device.asSlice(bm.deviceBlock() << 12, PAGE);
            m.installCopy(page, src); // the file's entry stays as it was
            return;
        }
        if (bm.state() == Iomap.State.HOLE) {
            if (!Entry.isZero(e)) {
                held[0] = locks.replace(space.index, page, e, Entry.zero(false));
            }
            counters.zeroPageMappings.increment();
            m.installPage(page, PageTable.Kind.ZERO, 0, 0, false);
            return;
        }
        long pfn = bm.deviceBlock();
        if (Entry.isZero(e)) {
            // Nobody may keep reading the zero page where the block becomes visible
            // (docs/RACES.md Rule 13).
            space.rmap.revoke(page, page + 1, false);
        }
        held[0] = locks.replace(space.index, page, e, Entry.real(pfn, false));
        if (write) {
            makeWritable(space, page, held[0], sync);
        }
        m.installPage(page, PageTable.Kind.DEVICE, pfn, 0, write);
    }

    // ---------------------------------------------------------------- 2 MiB

    /** A 2 MiB fault at file pages {@code [base, base + 512)}; false to fall back to 4 KiB. */
    private boolean fault2m(AddressSpace space, PageTable m, boolean sync, long base, long page, boolean write)
            throws DaxException {
        if (!m.coversHuge(base)) {
            return fallback(DaxCounters.Fallback.MAPPING_BOUNDS);
        }
        if (write && !m.isShared()) {
            return fallback(DaxCounters.Fallback.PRIVATE_WRITE);
        }
        if (m.hasCopies(base, base + PMD_PAGES)) {
            return fallback(DaxCounters.Fallback.PRIVATE_COPIES);
        }
        Inode in = space.inode;
        Lock shared = in.invalidateLock().readLock();
        shared.lock();
        try {
            long pages = checkEof(in, page);
            if (base + PMD_PAGES > pages) {
                return fallback(DaxCounters.Fallback.END_OF_FILE);
            }
            long cookie = locks.grab(space.index, base, Entry.PMD_ORDER, space.downgrader);
            if (cookie == EntryLocks.FALLBACK) {
                return fallback(DaxCounters.Fallback.CONFLICT);
            }
            long[] held = {cookie};
            try {
                boolean done = resolve2m(space, m, sync, base, write, held);
                if (done) {
                    counters.faults2m.increment();
                }
                return done;
            } finally {
                locks.unlock(space.index, base, held[0]);
            }
        } finally {
            shared.unlock();
        }
    }

    private boolean resolve2m(AddressSpace space, PageTable m, boolean sync, long base, boolean write, long[] held)
            throws DaxException {
        long e = held[0];
        hooks.faultLocked(space.index, base, e);
        if (Entry.isReal(e)) {
            if (write) {
                makeWritable(space, base, e, sync);
            }
            m.installHuge(base, PageTable.Kind.DEVICE, Entry.pfn(e), write);
            return true;
        }
        if (Entry.isZero(e) && !write) {
            counters.zeroPageMappings.increment();
            m.installHuge(base, PageTable.Kind.ZERO, 0, false);
            return true;
        }
        Iomap bm = blocks.map(space.inode, base, PMD_PAGES, write, true);
        if (bm.state() == Iomap.State.HOLE) {
            if (write || bm.length() < PMD_PAGES) {
                return fallback(DaxCounters.Fallback.PARTIAL);
            }
            held[0] = locks.replace(space.index, base, e, Entry.zero(true));
            counters.zeroPageMappings.increment();
            m.installHuge(base, PageTable.Kind.ZERO, 0, false);
            return true;
        }
        if (bm.length() < PMD_PAGES) {
            return fallback(DaxCounters.Fallback.PARTIAL);
        }
        if (!bm.coversHugePage()) {
            return fallback(DaxCounters.Fallback.NOT_CONTIGUOUS);
        }
        if (Entry.isZero(e)) {
            space.rmap.revoke(base, base + PMD_PAGES, false); // Rule 13, as in resolve4k
        }
        held[0] = locks.replace(space.index, base, e, Entry.real(bm.deviceBlock(), true));
        if (write) {
            makeWritable(space, base, held[0], sync);
        }
        m.installHuge(base, PageTable.Kind.DEVICE, bm.deviceBlock(), write);
        return true;
    }

    private boolean fallback(DaxCounters.Fallback why) {
        counters.fallback(why);
        return false;
    }

    // ---------------------------------------------------------------- shared steps

    /**
     * A write fault on a REAL entry, entry lock held: for a synchronous mapping, first makes the
     * metadata that reaches the block durable (docs/RACES.md Rule 16: no writable window exists
     * before that), then marks the entry DIRTY so that writeback will flush what is stored
     * through the window about to be installed. The commit runs with the entry lock held, where
     * Linux drops the lock and finds the entry again; that cannot deadlock because nobody waits
     * for an entry lock while holding a journal handle, which a commit waits for (Rule 11, R20).
     */
    private void makeWritable(AddressSpace space, long page, long cookie, boolean sync) throws DaxException {
        if (sync && blocks.commitBlocksOf(space.inode)) {
            counters.syncCommits.increment();
        }
        locks.mark(space.index, page, cookie, EntryIndex.Mark.DIRTY, true);
    }

    /**
     * SIGBUS for a page wholly past end of file; returns the file's page count. Reliable because
     * the caller holds the invalidate lock: a truncate cannot shrink the file meanwhile.
     */
    private long checkEof(Inode in, long page) throws DaxException {
        long size = in.currentSize();
        long pages = (size + PAGE - 1) >>> 12;
        if (page >= pages) {
            counters.sigbus.increment();
            throw new DaxException(Errno.SIGBUS, "access to page " + page + " of " + in + " beyond end of file (size " + size + ")");
        }
        return pages;
    }
}
