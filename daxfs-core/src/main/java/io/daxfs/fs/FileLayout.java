package io.daxfs.fs;

import io.daxfs.device.Devices;
import io.daxfs.journal.Journal;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.lang.foreign.MemorySegment;

/**
 * Changes of a file's size and block map: truncate and the fallocate family (allocate, punch
 * hole, zero range, collapse range, insert range).
 *
 * <p>Locks: every change holds the inode's I/O lock exclusive. A change that removes or moves
 * blocks also holds the invalidate lock exclusive for its whole length, after breaking the
 * layout of the pages it touches ({@link #changeLayout}): no read, write or fault sees the block
 * map mid-change, and no block is freed while a page of it is pinned. Journal handles open inside
 * those locks; the attribute lock is taken briefly for the size and times.
 */
final class FileLayout {
    private static final long BLOCK_MASK = Geometry.BLOCK_SIZE - 1;

    private final Volume v;
    private final MemorySegment seg;

    FileLayout(Volume v) {
        this.v = v;
        this.seg = v.device.segment();
    }

    void truncate(Inode in, long newSize) throws DaxException {
        if (newSize < 0) {
            throw new DaxException(Errno.EINVAL, "negative size " + newSize);
        }
        if (newSize > FileIo.MAX_FILE) {
            throw new DaxException(Errno.EFBIG, "size " + newSize + " exceeds the maximum file size " + FileIo.MAX_FILE);
        }
        changeLayout(in, pageCeil(newSize), FileIo.MAX_PAGE, () -> {
            long old = in.size;
            if (newSize <= old) {
                // Also for the current size: blocks preallocated past EOF go, as on ext4.
                // Bytes past the new end in its last block must read as zeros if the file grows again.
                zeroBytes(in, newSize, ((newSize + BLOCK_MASK) & ~BLOCK_MASK) - newSize, true);
                long firstGone = (newSize + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
                if (!Reaper.needsSteps(in, firstGone)) {
                    try (Journal.Handle h = v.journal.begin()) {
                        v.fileBlocks.freeRange(h, in, firstGone, Extent.MAX_LOGICAL + 1);
                        setSize(h, in, newSize, true);
                    }
                } else {
                    // Too much to free in one handle: the new size and an orphan-list entry
                    // first, then the tail in short handles; a crash in between leaves the
                    // entry, and mount frees the rest past the size.
                    try (Journal.Handle h = v.journal.begin()) {
                        setSize(h, in, newSize, true);
                        v.orphans.addTruncating(h, in);
                    }
                    v.reaper.freeFrom(in, firstGone);
                    try (Journal.Handle h = v.journal.begin()) {
                        v.orphans.endTruncate(h, in);
                    }
                }
            } else {
                setSize(null, in, newSize, true);
            }
        });
    }

    /**
     * fallocate mode 0 or KEEP_SIZE: every hole in the range gets unwritten blocks, which read
     * as zeros without a byte written to them, in short handles (a huge range never holds the
     * journal back).
     */
    void allocateRange(Inode in, long pos, long len, boolean keepSize) throws DaxException {
        checkRange(pos, len);
        in.io().writeLock().lock();
        try {
            long end = pos + len;
            v.holeFiller.fill(in, pos >>> Geometry.BLOCK_SHIFT, (end + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT);
            setSize(null, in, keepSize ? in.size : Math.max(in.size, end), false);
        } finally {
            in.io().writeLock().unlock();
        }
    }

    /** PUNCH_HOLE | KEEP_SIZE: zero the partial blocks at the edges, free the whole blocks inside. */
    void punchHole(Inode in, long pos, long len) throws DaxException {
        checkRange(pos, len);
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, pageCeil(pos + len), () -> {
            long end = pos + len;
            long firstFull = (pos + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
            long endFull = end >>> Geometry.BLOCK_SHIFT;
            if (firstFull >= endFull) {
                zeroBytes(in, pos, len, false);
            } else {
                zeroBytes(in, pos, (firstFull << Geometry.BLOCK_SHIFT) - pos, false);
                zeroBytes(in, endFull << Geometry.BLOCK_SHIFT, end - (endFull << Geometry.BLOCK_SHIFT), false);
                // In steps: a partly punched range is consistent (it only reads as more zeros).
                for (long fb = firstFull; fb < endFull; fb += Reaper.STEP_BLOCKS) {
                    try (Journal.Handle h = v.journal.begin()) {
                        v.fileBlocks.freeRange(h, in, fb, Math.min(endFull, fb + Reaper.STEP_BLOCKS));
                    }
                }
            }
            setSize(null, in, in.size, true);
        });
    }

    /** ZERO_RANGE: the range reads as zeros and is allocated; the size grows unless {@code keepSize}. */
    void zeroRange(Inode in, long pos, long len, boolean keepSize) throws DaxException {
        checkRange(pos, len);
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, pageCeil(pos + len), () -> {
            long end = pos + len;
            // Written blocks are zeroed in place; holes get unwritten blocks, which read as zeros.
            zeroBytes(in, pos, len, false);
            v.holeFiller.fill(in, pos >>> Geometry.BLOCK_SHIFT, (end + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT);
            setSize(null, in, keepSize ? in.size : Math.max(in.size, end), true);
        });
    }

    /** COLLAPSE_RANGE: remove the block-aligned range and shift the rest of the file down. */
    void collapseRange(Inode in, long pos, long len) throws DaxException {
        checkAligned(pos, len, "collapse");
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, FileIo.MAX_PAGE, () -> {
            long size = in.size;
            if (pos + len >= size) {
                throw new DaxException(Errno.EINVAL, "collapse range [" + pos + ", +" + len + ") reaches end of file " + size);
            }
            v.dirtyData.persistLocked(in); // dirty-range bookkeeping is by file offset, which is about to move
            long fb = pos >>> Geometry.BLOCK_SHIFT;
            long nb = len >>> Geometry.BLOCK_SHIFT;
            try (Journal.Handle h = v.journal.begin()) {
                v.fileBlocks.collapse(h, in, fb, nb);
                setSize(h, in, size - len, true);
            }
            commitShift();
        });
    }

    /** INSERT_RANGE: insert a block-aligned hole at {@code pos}, shifting the rest of the file up. */
    void insertRange(Inode in, long pos, long len) throws DaxException {
        checkAligned(pos, len, "insert");
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, FileIo.MAX_PAGE, () -> {
            long size = in.size;
            if (pos >= size) {
                throw new DaxException(Errno.EINVAL, "insert range at " + pos + " is at or past end of file " + size);
            }
            long nb = len >>> Geometry.BLOCK_SHIFT;
            if (size + len > FileIo.MAX_FILE || in.extents.endBlock() + nb > Extent.MAX_LOGICAL + 1) {
                throw new DaxException(Errno.EFBIG, "insert range would make the file larger than " + FileIo.MAX_FILE + " bytes");
            }
            v.dirtyData.persistLocked(in);
            try (Journal.Handle h = v.journal.begin()) {
                v.fileBlocks.shift(h, in, pos >>> Geometry.BLOCK_SHIFT, nb);
                setSize(h, in, size + len, true);
            }
            commitShift();
        });
    }

    /**
     * Makes a collapse or insert durable before any later write can use the moved block map.
     * File data is written in place, not journaled: a write through the new map lands in a
     * device block that the old (still durable) map gives another file offset, so a crash
     * before the shift commits would show it there, overwriting promised data. Caller holds
     * the I/O lock exclusive, so no write runs in between.
     */
    private void commitShift() throws DaxException {
        v.journal.commit();
    }

    /** A change that removes or moves file blocks (runs with the layout locks held). */
    @FunctionalInterface
    private interface LayoutChange {
        void run() throws DaxException;
    }

    /**
     * Runs a change that removes or moves blocks of {@code in} (truncate, punch hole, zero
     * range, collapse, insert) under the I/O lock and then the invalidate lock, both exclusive:
     * no read, write or fault can see the block map mid-change.
     *
     * <p>Before the change, the layout of pages {@code [firstPage, endPage)} is broken: the DAX
     * layer unmaps the range everywhere and scans its entries for pinned pages. A pinned page
     * must not lose its block, so we drop the invalidate lock (the pin's owner may need a fault
     * to finish), wait for the page interruptibly, and start again: faults may have mapped the
     * range meanwhile, so the scan that allows the free is always one made entirely under this
     * hold of the lock (docs/RACES.md Rule 17; R7, R11, R21).
     */
    private void changeLayout(Inode in, long firstPage, long endPage, LayoutChange change) throws DaxException {
        in.io().writeLock().lock();
        try {
            for (;;) {
                DaxCallbacks.BusyWait busy;
                in.invalidate().writeLock().lock();
                try {
                    busy = v.dax().breakLayout(in, firstPage, endPage);
                    if (busy == null) {
                        change.run();
                        return;
                    }
                } finally {
                    in.invalidate().writeLock().unlock();
                }
                try {
                    busy.await();
                } catch (InterruptedException e) {
                    throw DaxBlocks.interrupted("waiting for pinned pages of " + in);
                }
            }
        } finally {
            in.io().writeLock().unlock();
        }
    }

    /** The first page wholly at or after byte {@code pos}. */
    private static long pageCeil(long pos) {
        return (pos + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
    }

    private static void checkRange(long pos, long len) throws DaxException {
        if (pos < 0 || len <= 0) {
            throw new DaxException(Errno.EINVAL, "bad range: offset " + pos + ", length " + len);
        }
        if (pos + len > FileIo.MAX_FILE || pos + len < 0) {
            throw new DaxException(Errno.EFBIG, "range end " + (pos + len) + " exceeds the maximum file size " + FileIo.MAX_FILE);
        }
    }

    private static void checkAligned(long pos, long len, String what) throws DaxException {
        checkRange(pos, len);
        if ((pos & BLOCK_MASK) != 0 || (len & BLOCK_MASK) != 0) {
            throw new DaxException(Errno.EINVAL, what + " range [" + pos + ", +" + len + ") is not 4096-byte aligned");
        }
    }

    private void setSize(Journal.Handle h, Inode in, long size, boolean touchMtime) throws DaxException {
        long now = Inode.now();
        in.meta.lock();
        try {
            boolean changed = in.size != size;
            in.size = size;
            in.ctime = now;
            if (touchMtime || changed) {
                in.mtime = now;
            }
        } finally {
            in.meta.unlock();
        }
        if (h != null) {
            h.markDirty(in);
        } else {
            v.journal.markDirty(in);
            v.journal.commitIfLarge();
        }
    }

    /** Zeroes the written bytes of [pos, pos+len) (holes and unwritten blocks already read as zero). */
    private void zeroBytes(Inode in, long pos, long len, boolean persistNow) {
        long done = 0;
        while (done < len) {
            long p = pos + done;
            long fb = p >>> Geometry.BLOCK_SHIFT;
            Extent e = in.extents.find(fb);
            long c;
            if (e != null && e.unwritten()) {
                c = Math.min((e.logicalEnd() << Geometry.BLOCK_SHIFT) - p, len - done);
            } else if (e != null) {
                c = Math.min((e.logicalEnd() << Geometry.BLOCK_SHIFT) - p, len - done);
                long dev = (e.physicalOf(fb) << Geometry.BLOCK_SHIFT) + (p & BLOCK_MASK);
                Devices.zero(seg, dev, c);
                if (persistNow) {
                    v.device.persist(dev, c);
                } else {
                    in.meta.lock();
                    try {
                        v.dirtyData.mark(in, p, c);
                    } finally {
                        in.meta.unlock();
                    }
                }
            } else {
                Extent next = in.extents.next(fb);
                c = next == null ? len - done : Math.min((next.logical() << Geometry.BLOCK_SHIFT) - p, len - done);
            }
            done += c;
        }
    }

}
