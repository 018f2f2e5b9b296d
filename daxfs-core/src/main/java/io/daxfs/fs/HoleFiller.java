package io.daxfs.fs;

import io.daxfs.journal.Journal;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

/**
 * Gives the holes of a file blocks: for write() and fallocate a whole range in one journal
 * handle, for a DAX write fault one mapping's worth. When data space is short but blocks freed
 * by recent transactions are pending, it checkpoints first (they become reusable then), and
 * once more before reporting ENOSPC, since the estimate can fall short.
 *
 * <p>Locks: {@link #fill} takes the inode's block-map lock (its caller holds the I/O lock
 * exclusive) and opens the handle inside it; the fault path holds the block-map lock itself.
 * A checkpoint (COMMIT, then TRANSACTION) may run under the block-map lock, before the handle.
 */
final class HoleFiller {
    private final Volume v;

    HoleFiller(Volume v) {
        this.v = v;
    }

    /**
     * Allocates the holes of file blocks [fb0, fb1), then drops the zero-page entries mappings
     * may hold there (docs/RACES.md Rule 14, R5: else a mapped reader keeps seeing zeros where
     * the new data goes). That waits for entry locks, so it runs after the journal handle is
     * closed (Rule 11, R20). Caller holds the I/O lock exclusive.
     */
    void fill(Inode in, long fb0, long fb1) throws DaxException {
        in.blockMap.lock();
        try {
            fillLocked(in, fb0, fb1);
        } finally {
            in.blockMap.unlock();
            // Also after a partial allocation (ENOSPC): what did get blocks must be invalidated.
            v.dax().invalidateClean(in, fb0, fb1);
        }
    }

    /** Allocates the holes of [fb0, fb1) in one handle. Caller holds the block-map lock. */
    private void fillLocked(Inode in, long fb0, long fb1) throws DaxException {
        long need = fb1 - fb0;
        if (v.blocks.availableForData() < need && v.blocks.pendingBlocks() > 0) {
            // Blocks freed by recent transactions become reusable at a checkpoint.
            v.journal.checkpoint();
        }
        try (Journal.Handle h = v.journal.begin()) {
            v.fileBlocks.allocateRange(h, in, fb0, fb1);
            return;
        } catch (DaxException e) {
            // The estimate above can fall short (extent chain blocks come from the same free
            // space): before reporting ENOSPC, reclaim pending frees and fill the remaining holes.
            if (e.errno() != Errno.ENOSPC || v.blocks.pendingBlocks() == 0) {
                throw e;
            }
        }
        v.journal.checkpoint();
        try (Journal.Handle h = v.journal.begin()) {
            v.fileBlocks.allocateRange(h, in, fb0, fb1);
        }
    }

    /**
     * The block mapping of a DAX write fault, allocating (zeroed) blocks for a hole. Caller holds
     * the invalidate lock shared, the faulting entry's lock and the block-map lock.
     */
    Iomap mapAllocating(Inode in, long fb, long count, boolean huge) throws DaxException {
        if (v.blocks.availableForData() < count && v.blocks.pendingBlocks() > 0) {
            v.journal.checkpoint();
        }
        try (Journal.Handle h = v.journal.begin()) {
            return v.fileBlocks.map(h, in, fb, count, true, huge);
        } catch (DaxException e) {
            if (e.errno() != Errno.ENOSPC || v.blocks.pendingBlocks() == 0) {
                throw e;
            }
        }
        v.journal.checkpoint();
        try (Journal.Handle h = v.journal.begin()) {
            return v.fileBlocks.map(h, in, fb, count, true, huge);
        }
    }

}
