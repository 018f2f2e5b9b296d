package io.daxfs.fs;

import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;

import java.util.BitSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * File data written in place but maybe not yet durable, and the file-level durability calls.
 * Writes record their bytes as dirty chunks of the inode ({@link DirtyChunks}); the inodes that
 * have any are kept here for sync.
 *
 * <h2>Who makes written bytes durable</h2>
 * <ul>
 * <li>fsync and fdatasync of the file: its bytes (and what was stored through its mappings),
 *     then the commit of the transaction holding the file's last change, if that is not yet
 *     durable ({@link #fsync}).</li>
 * <li>Every commit, for the files it carries (ordered data): a size or block that the
 *     transaction makes durable never covers bytes that are not (see {@link Inode#collect}).
 *     So the commits of other threads and of the timer never wait for unrelated files' data.</li>
 * <li>sync: every file ({@link #persistAll}), then a commit.</li>
 * </ul>
 *
 * <p>Locks: {@link #mark} runs under the caller's attribute lock. Persisting a file takes its
 * I/O lock shared (or runs under the caller's I/O lock), and its attribute lock briefly to take
 * the dirty chunks; the device flushes run with no attribute lock held.
 */
final class DirtyData {
    private final Volume v;
    /** Inodes that may have written data not yet persisted (added when their dirty set becomes non-empty). */
    private final Set<Inode> inodes = ConcurrentHashMap.newKeySet();

    DirtyData(Volume v) {
        this.v = v;
    }

    /**
     * fsync ({@code dataOnly} false) or fdatasync: persists this file's data, written through
     * write() and through mappings, then waits for the transaction that holds the file's last
     * change (for fdatasync: its last change of size or blocks), committing it if no one else
     * has. A file with nothing uncommitted and no dirty data costs two reads of a counter. Caller
     * holds no lock.
     */
    void fsync(Inode in, boolean dataOnly) throws DaxException {
        v.dax().writeback(in, 0, FileIo.MAX_PAGE);
        persist(in);
        v.hooks.fsyncDataPersisted(in.ino);
        v.journal.commitUpTo(in.syncTid(dataOnly));
    }

    /** Persists the written data of every file (sync). Caller holds no lock: this takes each file's I/O lock in turn. */
    void persistAll() {
        for (Inode in : inodes) {
            persist(in);
        }
    }

    /** Persists the data written to {@code in} since its last persist. */
    void persist(Inode in) {
        if (!in.isRegular()) {
            return;
        }
        in.io().readLock().lock();
        try {
            persistLocked(in);
        } finally {
            in.io().readLock().unlock();
        }
    }

    /** As {@link #persist}; caller holds the I/O lock (either mode). */
    void persistLocked(Inode in) {
        BitSet taken;
        in.meta.lock();
        try {
            taken = in.dirtyChunks.take();
            inodes.remove(in);
        } finally {
            in.meta.unlock();
        }
        if (taken == null) {
            return;
        }
        try {
            forEachDeviceRange(in, taken, v.device::persist);
            v.device.fence();
        } finally {
            in.meta.lock();
            try {
                in.dirtyChunks.done(taken);
            } finally {
                in.meta.unlock();
            }
        }
    }

    /**
     * Stops tracking {@code in}, which the inode cache dropped with nothing dirty: a commit's
     * ordered data made its chunks durable without removing it here, and the set must not keep
     * dropped objects (and their extent maps) alive until the next sync.
     */
    void forget(Inode in) {
        in.meta.lock();
        try {
            if (!in.dirtyChunks.isDirty()) {
                inodes.remove(in);
            }
        } finally {
            in.meta.unlock();
        }
    }

    /**
     * Stops tracking {@code in}, just freed: its bytes belong to no file any more, so they need no
     * flush, and the set must not keep freed objects alive until the next sync (a workload that
     * writes and deletes small files would otherwise hold every one of them). Caller holds no
     * attribute lock.
     */
    void forgetFreed(Inode in) {
        in.meta.lock();
        try {
            in.dirtyChunks.discard();
            inodes.remove(in);
        } finally {
            in.meta.unlock();
        }
    }

    /** Records written file bytes for the next persist. Caller holds {@code in.meta}. */
    void mark(Inode in, long pos, long len) {
        if (in.dirtyChunks.mark(pos, len)) {
            inodes.add(in);
        }
    }

    /** A device range, {@code [offset, offset + length)} in bytes. */
    @FunctionalInterface
    interface DeviceRange {
        void accept(long offset, long length);
    }

    /**
     * Hands {@code out} the device ranges that hold the mapped blocks of file {@code chunks}
     * (holes have none). Caller keeps the extent map stable (the I/O lock, or a commit's collect).
     */
    static void forEachDeviceRange(Inode in, BitSet chunks, DeviceRange out) {
        int chunkBlocks = 1 << (DirtyChunks.CHUNK_SHIFT - Geometry.BLOCK_SHIFT);
        for (int c = chunks.nextSetBit(0); c >= 0; c = chunks.nextSetBit(c + 1)) {
            int last = chunks.nextClearBit(c) - 1; // a run of chunks is one walk
            long fb = (long) c * chunkBlocks;
            long end = (long) (last + 1) * chunkBlocks;
            while (fb < end) {
                Extent e = in.extents.ceiling(fb);
                if (e == null || e.logical() >= end) {
                    break;
                }
                long from = Math.max(fb, e.logical());
                long to = Math.min(end, e.logicalEnd());
                out.accept(e.physicalOf(from) << Geometry.BLOCK_SHIFT, (to - from) << Geometry.BLOCK_SHIFT);
                fb = to;
            }
            c = last;
        }
    }
}
