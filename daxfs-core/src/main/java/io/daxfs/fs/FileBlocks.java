package io.daxfs.fs;

import io.daxfs.alloc.BlockAllocator;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.journal.Journal;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;

import java.util.List;

/**
 * Changes to files' block maps ({@link ExtentMap}s): allocating file ranges (2 MiB-aligned where
 * the file range allows), turning what was written into written extents, freeing, keeping the
 * on-device extent chain sized to the extent count, and answering block queries with an
 * {@link Iomap}. Every changing method runs inside a journal handle with the inode's I/O lock
 * held exclusive, or the block-map lock (write faults), or for directories the directory lock.
 *
 * <p>Data blocks are allocated <em>unwritten</em>: the allocation writes nothing to them and they
 * read as zeros until {@link #convert} marks written what a write or a fault has written (and
 * zeroed) in them. So no block is zeroed and then overwritten, no handle waits for a memset, and a
 * crash can never show what a block held before (see {@link Extent}).
 */
public final class FileBlocks {
    private final BlockAllocator allocator;

    FileBlocks(BlockAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * What {@code [fileBlock, fileBlock + count)} is, as far as the first change of state:
     * MAPPED (written), UNWRITTEN, or HOLE. Caller keeps extents from being removed meanwhile
     * (the I/O lock, or the invalidate lock for faults).
     */
    public Iomap lookup(Inode inode, long fileBlock, long count) {
        Extent e = inode.extents.find(fileBlock);
        if (e != null) {
            return new Iomap(fileBlock, Math.min(count, e.logicalEnd() - fileBlock), e.physicalOf(fileBlock),
                    e.unwritten() ? Iomap.State.UNWRITTEN : Iomap.State.MAPPED);
        }
        Extent next = inode.extents.next(fileBlock);
        long holeLen = next == null ? count : Math.min(count, next.logical() - fileBlock);
        return new Iomap(fileBlock, holeLen, 0, Iomap.State.HOLE);
    }

    /**
     * Fills the hole at {@code fileBlock} (at most {@code count} blocks of it) with unwritten
     * blocks, a 2 MiB-aligned run when {@code huge} and the file range allows; returns what it
     * allocated, as UNWRITTEN. Caller holds {@code handle} and the block-map lock.
     */
    Iomap allocateHole(Journal.Handle handle, Inode inode, long fileBlock, long count, boolean huge) throws DaxException {
        Iomap hole = lookup(inode, fileBlock, count);
        if (hole.state() != Iomap.State.HOLE) {
            throw new IllegalStateException("no hole at block " + fileBlock + " of " + inode + ": " + hole);
        }
        long[] run = allocateInto(handle, inode, fileBlock, hole.length(), huge);
        return new Iomap(fileBlock, run[1], run[0], Iomap.State.UNWRITTEN);
    }

    /**
     * Allocates the holes of {@code [from, to)} as unwritten blocks, at most about {@code budget}
     * blocks in this handle; returns the file block where it stopped ({@code to} when done), so
     * a large range is filled in several short handles. On ENOSPC what was allocated stays (the
     * file is consistent) and the exception propagates.
     */
    long allocateRange(Journal.Handle handle, Inode inode, long from, long to, long budget) throws DaxException {
        long fb = from;
        long allocated = 0;
        while (fb < to && allocated < budget) {
            Extent e = inode.extents.find(fb);
            if (e != null) {
                fb = e.logicalEnd();
                continue;
            }
            Extent next = inode.extents.next(fb);
            long holeEnd = next == null ? to : Math.min(to, next.logical());
            long want = Math.min(holeEnd - fb, Math.max(budget - allocated, Geometry.HUGE_BLOCKS));
            long[] run = allocateInto(handle, inode, fb, want, true);
            fb += run[1];
            allocated += run[1];
        }
        return Math.min(fb, to);
    }

    /**
     * Marks the unwritten blocks of {@code [from, to)} written: the caller has written or zeroed
     * every byte of them, and has recorded those bytes as dirty data of the inode, so the commit
     * that carries this change makes them durable first (ordered data). At most about
     * {@code budget} blocks in this handle; returns where it stopped.
     */
    long convert(Journal.Handle handle, Inode inode, long from, long to, long budget) throws DaxException {
        long end = Math.min(to, from + Math.max(budget, 1));
        changeExtents(handle, inode, 2, () -> inode.extents.convertToWritten(from, end));
        inode.blocksAdded(handle.tid());
        return end;
    }

    private long[] allocateInto(Journal.Handle handle, Inode inode, long fb, long want, boolean huge) throws DaxException {
        if (fb + want - 1 > Extent.MAX_LOGICAL) {
            throw new DaxException(Errno.EFBIG, "file would exceed " + ((Extent.MAX_LOGICAL + 1) << Geometry.BLOCK_SHIFT) + " bytes");
        }
        long toBoundary = -fb & (Geometry.HUGE_BLOCKS - 1);
        if (huge && toBoundary != 0 && want > toBoundary + Geometry.HUGE_BLOCKS) {
            // Fill up to the next 2 MiB file boundary first, so the rest starts aligned and can
            // take aligned device runs (mappable as whole huge pages).
            want = toBoundary;
        }
        boolean aligned = huge && (fb & (Geometry.HUGE_BLOCKS - 1)) == 0 && want >= Geometry.HUGE_BLOCKS;
        long goal = goalFor(inode, fb);
        // Data first, so a full file system reports ENOSPC for data while the metadata reserve is
        // still whole; should the chain then not grow, the run goes back and nothing has changed.
        long[] run = allocator.allocateData(handle, aligned ? want & -(long) Geometry.HUGE_BLOCKS : want, goal, aligned, inode.ino);
        try {
            changeExtents(handle, inode, 1, () -> inode.extents.insert(new Extent(fb, run[1], run[0], true)));
            inode.blocksAdded(handle.tid());
        } catch (DaxException e) {
            allocator.free(handle, run[0], run[1]);
            throw e;
        }
        return run;
    }

    /** The device block right after the file's block before {@code fb}: continuing it keeps the file contiguous. */
    private static long goalFor(Inode inode, long fb) {
        if (fb == 0) {
            return 0;
        }
        Extent prev = inode.extents.find(fb - 1);
        return prev == null ? 0 : prev.physicalOf(fb - 1) + 1;
    }

    /**
     * One bounded step of freeing everything at and after file block {@code from}: frees the
     * tail of the map, at most {@code maxBlocks} blocks in at most {@code maxExtents} extents,
     * so that one handle dirties a bounded number of bitmap blocks. Returns true when nothing
     * is left to free at or after {@code from}. A suffix removal never adds an extent, so it
     * never allocates.
     */
    boolean freeTail(Journal.Handle handle, Inode inode, long from, long maxBlocks, int maxExtents) throws DaxException {
        long end = inode.extents.endBlock();
        if (end <= from) {
            return true;
        }
        long cut = inode.extents.tailCut(from, maxBlocks, maxExtents);
        changeExtents(handle, inode, 0, () -> freeRuns(handle, inode, inode.extents.remove(cut, end)));
        return inode.extents.endBlock() <= from;
    }

    /** Unmaps and frees file blocks {@code [from, to)}. */
    void freeRange(Journal.Handle handle, Inode inode, long from, long to) throws DaxException {
        Extent first = inode.extents.ceiling(from);
        if (first == null || first.logical() >= to) {
            return; // nothing mapped in the range
        }
        changeExtents(handle, inode, splits(inode, from, to) ? 1 : 0, () -> freeRuns(handle, inode, inode.extents.remove(from, to)));
    }

    /**
     * Frees the unmapped runs of {@code inode}: a regular file's are data, released at commit;
     * a directory's or symlink's blocks are metadata the journal logs, released at checkpoint
     * ({@link BlockAllocator#freeData}).
     */
    private void freeRuns(Journal.Handle handle, Inode inode, List<long[]> runs) {
        boolean data = inode.isRegular();
        for (long[] r : runs) {
            if (data) {
                allocator.freeData(handle, r[0], r[1]);
            } else {
                allocator.free(handle, r[0], r[1]);
            }
        }
    }

    /**
     * Collapse range as one block-map change: unmaps and frees {@code [from, from + count)} and
     * shifts everything after it down. Removing the range leaves {@code from + count} on an extent
     * boundary, so the shift splits nothing: the extent count grows by at most one overall, which
     * the single reservation covers.
     */
    void collapse(Journal.Handle handle, Inode inode, long from, long count) throws DaxException {
        changeExtents(handle, inode, splits(inode, from, from + count) ? 1 : 0, () -> {
            freeRuns(handle, inode, inode.extents.remove(from, from + count));
            inode.extents.shift(from + count, -count);
        });
    }

    /** Shifts the block map at and after {@code from} by {@code delta} (insert range). */
    void shift(Journal.Handle handle, Inode inode, long from, long delta) throws DaxException {
        changeExtents(handle, inode, splits(inode, from, from) ? 1 : 0, () -> inode.extents.shift(from, delta));
    }

    /** One change of a block map: adds at most the extents its caller reserved; may throw (ENOSPC) before changing anything. */
    @FunctionalInterface
    private interface ExtentChange {
        void apply() throws DaxException;
    }

    /**
     * Runs one block-map change with its extent chain settled around it. When the change may add
     * extents ({@code growth}: one for inserting a run, removing the middle of an extent or
     * splitting one at a shift point; two for a conversion in the middle of an unwritten extent),
     * the chain is first made big enough for them, so ENOSPC can only come before the map
     * changes; a change that cannot grow the map (removing a suffix, freeing a whole file) never
     * allocates, so freeing space never fails for lack of it. Afterwards, also when the change
     * failed, the chain is trimmed to the exact size the format requires (trimming frees, which
     * cannot fail).
     */
    private void changeExtents(Journal.Handle handle, Inode inode, int growth, ExtentChange change)
            throws DaxException {
        int need = Inode.chainBlocksFor(inode.extents.count() + growth);
        if (need > inode.chain.length) {
            resizeChain(handle, inode, need);
            handle.markDirty(inode);
        }
        try {
            change.apply();
        } finally {
            extentsChanged(handle, inode);
        }
    }

    /** True when removing {@code [from, to)} (or splitting at {@code from == to}) cuts one extent in two. */
    private static boolean splits(Inode inode, long from, long to) {
        Extent e = inode.extents.find(from);
        return e != null && e.logical() < from && e.logicalEnd() > to;
    }

    /**
     * Appends 1 to {@code want} directory record blocks from {@code index} (metadata blocks:
     * written whole by the journal), as one device run; returns {first device block, count}.
     */
    long[] addDirectoryBlocks(Journal.Handle handle, Inode dir, int index, int want) throws DaxException {
        long goal = index == 0 ? 0 : goalFor(dir, index);
        long[][] run = new long[1][];
        changeExtents(handle, dir, 1, () -> {
            run[0] = allocator.allocateMetaRun(handle, goal, want);
            dir.extents.insert(new Extent(index, run[0][1], run[0][0]));
            dir.meta.lock();
            try {
                dir.size = (index + run[0][1]) << Geometry.BLOCK_SHIFT;
            } finally {
                dir.meta.unlock();
            }
        });
        return run[0];
    }

    /** Maps a new directory index node at file block {@code fileBlock} (past the records; the size stays); returns its device block. */
    long addDirectoryIndexBlock(Journal.Handle handle, Inode dir, long fileBlock) throws DaxException {
        long goal = goalFor(dir, fileBlock);
        long[] b = new long[1];
        changeExtents(handle, dir, 1, () -> {
            b[0] = allocator.allocateMeta(handle, goal);
            dir.extents.insert(new Extent(fileBlock, 1, b[0]));
        });
        return b[0];
    }

    /** Unmaps and frees the directory's last index node (giving back one an operation took before it ran out of space). */
    void removeDirectoryIndexBlock(Journal.Handle handle, Inode dir, long fileBlock) throws DaxException {
        changeExtents(handle, dir, 0, () -> freeRuns(handle, dir, dir.extents.remove(fileBlock, fileBlock + 1)));
    }

    /** Gives a symlink its target block (targets too long for the inode). */
    void addSymlinkBlock(Journal.Handle handle, Inode link) throws DaxException {
        changeExtents(handle, link, 1, () -> link.extents.insert(new Extent(0, 1, allocator.allocateMeta(handle, 0))));
    }

    /** Frees every block of an inode being deleted, chain included. */
    void freeAll(Journal.Handle handle, Inode inode) throws DaxException {
        changeExtents(handle, inode, 0, () -> freeRuns(handle, inode, inode.extents.remove(0, Extent.MAX_LOGICAL + 1)));
    }

    /**
     * Records an extent list change: resizes the chain of extent blocks to fit and registers
     * the inode for the commit, which rewrites the chain.
     */
    private void extentsChanged(Journal.Handle handle, Inode inode) throws DaxException {
        int need = Inode.chainBlocksFor(inode.extents.count());
        if (need > inode.chain.length) {
            throw new IllegalStateException(inode + ": extent map outgrew its reserved chain (" + need + " > "
                    + inode.chain.length + ")");
        }
        resizeChain(handle, inode, need);
        inode.meta.lock();
        try {
            inode.extentsDirty = true;
        } finally {
            inode.meta.unlock();
        }
        handle.markDirty(inode);
    }

    private void resizeChain(Journal.Handle handle, Inode inode, int need) throws DaxException {
        long[] chain = inode.chain;
        if (need == chain.length) {
            return;
        }
        long[] next = java.util.Arrays.copyOf(chain, need);
        for (int i = chain.length; i < need; i++) {
            next[i] = allocator.allocateMeta(handle, i == 0 ? 0 : next[i - 1] + 1);
        }
        for (int i = need; i < chain.length; i++) {
            allocator.free(handle, chain[i], 1);
        }
        inode.meta.lock();
        try {
            inode.chain = next;
            inode.extentsDirty = true;
        } finally {
            inode.meta.unlock();
        }
    }
}
