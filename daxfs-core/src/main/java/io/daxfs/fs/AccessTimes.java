package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.MountOptions;

/**
 * Access times: a read of a file, a listing of a directory, a readlink and a mapping of a file
 * update the inode's atime as the mount's {@link MountOptions.Atime} says. The update is an
 * ordinary metadata change (under the inode's meta lock, journaled with the next commit), made
 * after the access and outside its I/O lock. A read-only mount never updates atime.
 *
 * <p>Through FUSE, reads that the kernel serves from its page cache never reach daxfs, so they
 * do not update atime (FUSE file systems share this).
 */
final class AccessTimes {
    /** relatime's "more than a day old" in nanoseconds. */
    static final long DAY_NS = 24L * 3600 * 1_000_000_000L;

    private final Volume v;
    private final MountOptions.Atime mode;

    AccessTimes(Volume v, MountOptions.Atime mode) {
        this.v = v;
        this.mode = v.readOnly ? MountOptions.Atime.NOATIME : mode;
    }

    /** {@code in} was accessed now. */
    void accessed(Inode in) {
        if (mode == MountOptions.Atime.NOATIME) {
            return;
        }
        long now = Inode.now();
        // A look without the lock first, so that reads that change nothing (relatime, the common
        // case) never contend on the meta lock; a stale look only costs a locked re-check or an
        // update made by the next access instead.
        if (!due(mode, in.atime, in.mtime, in.ctime, now)) {
            return;
        }
        in.meta.lock();
        try {
            if (in.freed || !due(mode, in.atime, in.mtime, in.ctime, now)) {
                return;
            }
            in.atime = now;
            // Marked under the meta lock, where eviction sets freed: a directory or symlink may
            // be removed while it is listed or read (no open file holds it), and a mark made
            // after its eviction would collect the freed inode (a zero record) into a later
            // transaction, over whichever inode has its number by then. Marking before freed is
            // set puts the change in the evicting transaction or an earlier one, which commit
            // before the number can be reused. The journal's mark takes no lock.
            v.journal.markTimesDirty(in);
        } finally {
            in.meta.unlock();
        }
        // Reads open no handle, so nothing else bounds the transaction they grow: reading tens
        // of thousands of freshly written files marks as many inodes, more inode-table blocks
        // than the journal's ring holds. So a read commits once the transaction is large, as
        // every change made without a handle does.
        if (!v.journal.inHandle()) {
            try {
                v.journal.commitIfLarge();
            } catch (DaxException failed) {
                // The read itself succeeded. A failed commit has aborted the journal, which
                // remembers why: the next change, fsync or unmount reports it.
            }
        }
    }

    /** Whether an access at {@code now} updates an inode with these times under {@code mode}. */
    static boolean due(MountOptions.Atime mode, long atime, long mtime, long ctime, long now) {
        return switch (mode) {
            case NOATIME -> false;
            case STRICTATIME -> true;
            case RELATIME -> atime <= mtime || atime <= ctime || now - atime >= DAY_NS;
        };
    }
}
