package io.daxfs.fs;

import io.daxfs.device.Devices;
import io.daxfs.device.MediaErrors;
import io.daxfs.journal.Journal;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

/**
 * Gives a file's holes blocks, and turns what was written into them into data.
 *
 * <ul>
 * <li>{@link #fill}: write(), fallocate and zero range allocate the holes of a range as
 *     <em>unwritten</em> blocks (nothing is written to them; they read as zeros).</li>
 * <li>{@link #convert}: a write that put its bytes (and zeroed the rest of each block it
 *     touched) into unwritten blocks marks them written, then drops the zero-page entries
 *     mappings may hold there.</li>
 * <li>{@link #writeFault}: a DAX write fault gets its blocks allocated, zeroed and marked
 *     written, for one page or one 2 MiB piece.</li>
 * </ul>
 * Each of these works in handles of at most {@link #BLOCKS_PER_HANDLE} blocks and zeroes only
 * outside a handle, so a huge fallocate or write never holds the journal back: a commit waits
 * for one short handle at most, and every other file keeps allocating in between. When data
 * space is short but blocks freed by recent transactions are pending, it checkpoints first
 * (they become reusable then), and once more before reporting ENOSPC, since the estimate can
 * fall short.
 *
 * <p>Locks: {@link #fill} and {@link #convert} take the inode's block-map lock (their caller
 * holds the I/O lock exclusive) and open handles inside it; the fault path holds the block-map
 * lock itself. A checkpoint (COMMIT, then TRANSACTION) may run under the block-map lock, with no
 * handle open.
 */
final class HoleFiller {
    /** Most blocks one handle allocates or converts (128 MiB): bounds what a commit waits for. */
    static final long BLOCKS_PER_HANDLE = 32L * 1024;

    private final Volume v;

    HoleFiller(Volume v) {
        this.v = v;
    }

    /**
     * Allocates the holes of file blocks [fb0, fb1) as unwritten blocks. They read as zeros, so
     * mappings may keep the zero page there. Caller holds the I/O lock exclusive. On ENOSPC what
     * was allocated stays and the exception propagates.
     */
    void fill(Inode in, long fb0, long fb1) throws DaxException {
        in.blockMap().lock();
        try {
            reclaimIfShort(fb1 - fb0);
            for (long fb = fb0; fb < fb1; ) {
                if (fb > fb0 && Thread.currentThread().isInterrupted()) {
                    // The caller was interrupted (a FUSE INTERRUPT: its process got a signal).
                    // What was allocated stays, as after ENOSPC; the status is left for the caller.
                    throw new DaxException(io.daxfs.types.Errno.EINTR, "inode " + in.ino + ": allocation interrupted after "
                            + (fb - fb0) + " of " + (fb1 - fb0) + " blocks");
                }
                long from = fb;
                fb = inHandleReclaiming(h -> v.fileBlocks.allocateRange(h, in, from, fb1, BLOCKS_PER_HANDLE));
            }
        } finally {
            in.blockMap().unlock();
        }
    }

    /**
     * Marks the unwritten blocks of [fb0, fb1) written, then drops the zero-page entries mappings
     * may hold there (docs/RACES.md Rule 14, R5: else a mapped reader keeps seeing zeros where the
     * new data is). The invalidation waits for entry locks, so it runs after the handles are
     * closed (Rule 11, R20). Caller holds the I/O lock exclusive, has written or zeroed every
     * byte of those blocks and recorded them as dirty data (so the commit orders them first).
     */
    void convert(Inode in, long fb0, long fb1) throws DaxException {
        in.blockMap().lock();
        try {
            convertLocked(in, fb0, fb1);
        } finally {
            in.blockMap().unlock();
            // Also after a partial conversion: what did become data must be invalidated.
            v.dax().invalidateClean(in, fb0, fb1);
        }
    }

    /**
     * As {@link #convert} without the invalidation, for a caller that holds the block-map lock
     * (and invalidates after releasing it).
     */
    void convertLocked(Inode in, long fb0, long fb1) throws DaxException {
        for (long fb = fb0; fb < fb1; ) {
            long from = fb;
            fb = inHandleReclaiming(h -> v.fileBlocks.convert(h, in, from, fb1, BLOCKS_PER_HANDLE));
        }
    }

    /**
     * The blocks of a DAX write fault at [fb, fb + count): written blocks as they are; a hole
     * or unwritten blocks become data: allocated (for a hole), zeroed outside any handle, recorded
     * as dirty data and marked written, returned NEW. When {@code huge} and the range cannot be one
     * piece of {@code count} blocks, returns a shorter HOLE without doing anything, and the fault
     * falls back to 4 KiB. Caller holds the invalidate lock shared, the faulting entry's lock and
     * the block-map lock.
     */
    Iomap writeFault(Inode in, long fb, long count, boolean huge) throws DaxException {
        Iomap m = v.fileBlocks.lookup(in, fb, count);
        if (m.state() == Iomap.State.MAPPED) {
            return m;
        }
        if (huge && m.length() < count) {
            return new Iomap(fb, m.length(), 0, Iomap.State.HOLE);
        }
        if (m.state() == Iomap.State.HOLE) {
            reclaimIfShort(m.length());
            long hole = m.length();
            m = inHandleReclaiming(h -> v.fileBlocks.allocateHole(h, in, fb, hole, huge));
        }
        long bytes = m.length() << Geometry.BLOCK_SHIFT;
        Devices.zero(v.device.segment(), m.deviceBlock() << Geometry.BLOCK_SHIFT, bytes);
        MediaErrors.raisePending(); // a deferred fault of the zeroing fails the fault before the blocks become data
        in.meta.lock();
        try {
            v.dirtyData.mark(in, fb << Geometry.BLOCK_SHIFT, bytes);
        } finally {
            in.meta.unlock();
        }
        long end = fb + m.length();
        inHandleReclaiming(h -> v.fileBlocks.convert(h, in, fb, end, end - fb));
        return new Iomap(fb, m.length(), m.deviceBlock(), Iomap.State.NEW);
    }

    /** One change in its own handle. */
    @FunctionalInterface
    private interface InHandle<T> {
        T run(Journal.Handle h) throws DaxException;
    }

    /**
     * Runs {@code change} in a handle; on ENOSPC while blocks freed by recent transactions are
     * pending (or were released by a checkpoint that ran meanwhile), checkpoints (with no handle
     * open, so they become reusable) and runs it once more.
     * A change that failed changed nothing it cannot redo: allocation keeps what it got, a
     * conversion reserves its extent blocks before it converts.
     */
    private <T> T inHandleReclaiming(InHandle<T> change) throws DaxException {
        long checkpoints = v.journal.checkpointCount();
        try (Journal.Handle h = v.journal.begin()) {
            return change.run(h);
        } catch (DaxException e) {
            // Retry if space is on its way back, or came back since the attempt began: another
            // thread's checkpoint may have released the pending blocks this attempt missed.
            if (e.errno() != Errno.ENOSPC
                    || v.blocks.pendingBlocks() == 0 && v.journal.checkpointCount() == checkpoints) {
                throw e;
            }
        }
        v.reclaimFreedSpace();
        try (Journal.Handle h = v.journal.begin()) {
            return change.run(h);
        }
    }

    /** Blocks freed by recent transactions become reusable at a checkpoint: take one when they are needed. */
    private void reclaimIfShort(long need) throws DaxException {
        if (v.blocks.availableForData() < need && v.blocks.pendingBlocks() > 0) {
            v.reclaimFreedSpace();
        }
    }
}
