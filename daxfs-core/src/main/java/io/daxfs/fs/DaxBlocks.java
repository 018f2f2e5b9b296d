package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.journal.Journal;

/**
 * The file system's services for the DAX fault path: block-mapping queries that may allocate,
 * and making metadata durable for synchronous faults. One per volume.
 *
 * <p>Lock rule (docs/RACES.md Rule 11): the fault path calls {@link #map} with the invalidate lock
 * held shared and the entry lock of the faulting index held; this takes the block-map lock and
 * a journal handle inside it, and never waits for an entry lock.
 */
public final class DaxBlocks {
    private final Volume v;

    DaxBlocks(Volume v) {
        this.v = v;
    }

    /**
     * The blocks behind file blocks {@code [fileBlock, fileBlock + count)}, as far as the first
     * change of state. A lookup ({@code allocate} false) reports an unwritten range as a HOLE: it
     * reads as zeros. A write fault ({@code allocate}) turns a hole or unwritten blocks into data
     * and gets NEW back (see {@link HoleFiller#writeFault}; 2 MiB-aligned runs when {@code huge}).
     */
    public Iomap map(Inode in, long fileBlock, long count, boolean allocate, boolean huge) throws DaxException {
        if (!allocate) {
            // Lookups need no lock beyond the invalidate lock: extents only appear meanwhile. An
            // unwritten range that write() turns into data meanwhile is a hole that got blocks:
            // write() then drops the zero-page entries, after taking each entry lock (Rule 14).
            Iomap m = v.fileBlocks.lookup(in, fileBlock, count);
            return m.state() == Iomap.State.UNWRITTEN ? new Iomap(fileBlock, m.length(), 0, Iomap.State.HOLE) : m;
        }
        v.checkWritable();
        Iomap m;
        in.blockMap().lock();
        try {
            m = v.guarded("write fault", () -> v.holeFiller.writeFault(in, fileBlock, count, huge));
        } finally {
            in.blockMap().unlock();
        }
        v.journal.commitIfLarge();
        return m;
    }

    /**
     * Makes the metadata that reaches {@code in}'s blocks durable, for a synchronous write fault
     * about to install a writable mapping (or msync): commits only when a block was added to the
     * file by a transaction not yet durable, which is the only case in which a crash could lose
     * the way to a block stored to. Returns whether it had to wait for a commit. Caller holds no
     * journal handle.
     */
    public boolean commitBlocksOf(Inode in) throws DaxException {
        v.checkWritable();
        long tid = in.allocTid();
        if (v.journal.committedTid() >= tid) {
            return false;
        }
        v.journal.commitUpTo(tid);
        return true;
    }

    /** EROFS unless the volume can be written. */
    public void checkWritable() throws DaxException {
        v.checkWritable();
    }

    /**
     * EIO for an unexpected failure inside a fault or a mapped access (a media error, a runtime
     * failure), turning the volume read-only; any other error is rethrown after that.
     */
    public DaxException failure(String op, Throwable e) {
        return v.failure(op, e);
    }

    /** As {@link #failure} for a media error; anything else (unchecked) is rethrown as it is. */
    public DaxException deviceFailure(String op, Throwable e) {
        return v.deviceFailure(op, e);
    }

    static DaxException interrupted(String op) {
        Thread.currentThread().interrupt();
        return new DaxException(Errno.EINTR, op + ": interrupted while waiting for pinned pages");
    }
}
