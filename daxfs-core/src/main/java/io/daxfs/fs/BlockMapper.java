package io.daxfs.fs;

import io.daxfs.alloc.BlockAllocator;
import io.daxfs.api.DaxException;
import io.daxfs.api.Errno;
import io.daxfs.journal.Journal;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;

import java.util.List;

/**
 * Changes to block maps: allocating file ranges (2 MiB-aligned where the file range allows),
 * freeing them, keeping the on-device extent chain sized to the extent count, and answering the
 * DAX layer's mapping queries. Every changing method runs inside a journal handle with the
 * inode's I/O lock held exclusive (or, for directories, the directory lock).
 */
public final class BlockMapper {
    private final BlockAllocator allocator;

    BlockMapper(BlockAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * Maps {@code [fileBlock, fileBlock + count)} as far as the first change of state, allocating
     * holes when {@code allocate} (the NEW blocks are zeroed and persisted). With {@code huge},
     * a hole at a 2 MiB-aligned file block is filled with a 2 MiB-aligned device run when one is
     * free. Caller holds the inode's I/O lock (exclusive when allocating) and, when allocating,
     * {@code handle}.
     */
    public BlockMapping map(Journal.Handle handle, Inode inode, long fileBlock, long count, boolean allocate, boolean huge)
            throws DaxException {
        Extent e = inode.extents.find(fileBlock);
        if (e != null) {
            return new BlockMapping(fileBlock, Math.min(count, e.logicalEnd() - fileBlock), e.physicalOf(fileBlock),
                    BlockMapping.State.MAPPED);
        }
        Extent next = inode.extents.next(fileBlock);
        long holeLen = next == null ? count : Math.min(count, next.logical() - fileBlock);
        if (!allocate) {
            return new BlockMapping(fileBlock, holeLen, 0, BlockMapping.State.HOLE);
        }
        long[] run = allocateInto(handle, inode, fileBlock, holeLen, huge);
        return new BlockMapping(fileBlock, run[1], run[0], BlockMapping.State.NEW);
    }

    /**
     * Allocates every hole in {@code [from, to)}. On ENOSPC, what was allocated stays allocated
     * (the file is consistent) and the exception propagates.
     */
    void allocateRange(Journal.Handle handle, Inode inode, long from, long to) throws DaxException {
        long fb = from;
        while (fb < to) {
            Extent e = inode.extents.find(fb);
            if (e != null) {
                fb = e.logicalEnd();
                continue;
            }
            Extent next = inode.extents.next(fb);
            long holeEnd = next == null ? to : Math.min(to, next.logical());
            long[] run = allocateInto(handle, inode, fb, holeEnd - fb, true);
            fb += run[1];
        }
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
        long[] run = allocator.allocateData(handle, aligned ? want & -(long) Geometry.HUGE_BLOCKS : want, goal, aligned);
        inode.extents.insert(new Extent(fb, run[1], run[0]));
        extentsChanged(handle, inode);
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

    /** Unmaps and frees file blocks {@code [from, to)}. */
    void freeRange(Journal.Handle handle, Inode inode, long from, long to) throws DaxException {
        List<long[]> runs = inode.extents.remove(from, to);
        if (runs.isEmpty()) {
            return;
        }
        for (long[] r : runs) {
            allocator.free(handle, r[0], r[1]);
        }
        extentsChanged(handle, inode);
    }

    /** Shifts the block map at and after {@code from} by {@code delta} (collapse/insert range). */
    void shift(Journal.Handle handle, Inode inode, long from, long delta) throws DaxException {
        inode.extents.shift(from, delta);
        extentsChanged(handle, inode);
    }

    /** Appends directory block {@code index} (a metadata block: written whole by the journal). */
    void addDirectoryBlock(Journal.Handle handle, Inode dir, int index) throws DaxException {
        long goal = index == 0 ? 0 : goalFor(dir, index);
        long b = allocator.allocateMeta(handle, goal);
        dir.extents.insert(new Extent(index, 1, b));
        dir.meta.lock();
        try {
            dir.size = (long) (index + 1) << Geometry.BLOCK_SHIFT;
        } finally {
            dir.meta.unlock();
        }
        extentsChanged(handle, dir);
    }

    /** Gives a symlink its target block (targets too long for the inode). */
    void addSymlinkBlock(Journal.Handle handle, Inode link) throws DaxException {
        long b = allocator.allocateMeta(handle, 0);
        link.extents.insert(new Extent(0, 1, b));
        extentsChanged(handle, link);
    }

    /** Frees every block of an inode being deleted, chain included. */
    void freeAll(Journal.Handle handle, Inode inode) throws DaxException {
        freeRange(handle, inode, 0, Extent.MAX_LOGICAL + 1);
        resizeChain(handle, inode, 0);
    }

    /**
     * Records an extent list change: resizes the chain of extent blocks to fit and registers
     * the inode for the commit, which rewrites the chain.
     */
    private void extentsChanged(Journal.Handle handle, Inode inode) throws DaxException {
        resizeChain(handle, inode, Inode.chainBlocksFor(inode.extents.count()));
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
