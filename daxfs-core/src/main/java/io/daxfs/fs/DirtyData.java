package io.daxfs.fs;

import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;

import java.util.BitSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * File data written in place but not yet persisted, and persisting it. Writes record their bytes
 * as dirty chunks of the inode ({@link Inode#dirtyChunks}); the inodes that have any are kept
 * here. Every commit from fsync, sync or the timer persists them all first (ordered data), and
 * fsync first writes back what was stored through mappings.
 *
 * <p>Locks: {@link #mark} runs under the caller's attribute lock. Persisting a file takes its
 * I/O lock shared (or runs under the caller's I/O lock), and its attribute lock briefly to take
 * the dirty chunks; the device flushes run with no attribute lock held.
 */
final class DirtyData {
    private final Volume v;
    /** Inodes with written data not yet persisted (added when their dirty set becomes non-empty). */
    private final Set<Inode> inodes = ConcurrentHashMap.newKeySet();

    DirtyData(Volume v) {
        this.v = v;
    }

    /**
     * Persists this file's data (written through write() and through mappings), and every other
     * file's written data (ordered data), then commits. Caller holds no lock.
     */
    void fsync(Inode in) throws DaxException {
        v.dax().writeback(in, 0, FileIo.MAX_PAGE);
        persist(in);
        persistAll();
        v.journal.commit();
    }

    /**
     * Persists the written data of every file before a commit, so that a committed size never
     * covers data still only in the CPU cache or page cache (ordered data, as ext4's default).
     * Caller holds no lock: this takes each file's I/O lock in turn.
     */
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
        in.io.readLock().lock();
        try {
            persistLocked(in);
        } finally {
            in.io.readLock().unlock();
        }
    }

    /** As {@link #persist}; caller holds the I/O lock (either mode). */
    void persistLocked(Inode in) {
        BitSet chunks;
        in.meta.lock();
        try {
            if (in.dirtyChunks.isEmpty()) {
                return;
            }
            chunks = (BitSet) in.dirtyChunks.clone();
            in.dirtyChunks.clear();
            inodes.remove(in);
        } finally {
            in.meta.unlock();
        }
        int chunkBlocks = 1 << (Inode.CHUNK_SHIFT - Geometry.BLOCK_SHIFT);
        for (int c = chunks.nextSetBit(0); c >= 0; c = chunks.nextSetBit(c + 1)) {
            long fb = (long) c * chunkBlocks;
            long end = fb + chunkBlocks;
            while (fb < end) {
                Extent e = in.extents.ceiling(fb);
                if (e == null || e.logical() >= end) {
                    break;
                }
                long from = Math.max(fb, e.logical());
                long to = Math.min(end, e.logicalEnd());
                v.device.persist(e.physicalOf(from) << Geometry.BLOCK_SHIFT, (to - from) << Geometry.BLOCK_SHIFT);
                fb = to;
            }
        }
        v.device.fence();
    }

    /** Records written file bytes for the next persist. Caller holds {@code in.meta}. */
    void mark(Inode in, long pos, long len) {
        if (in.dirtyChunks.isEmpty()) {
            inodes.add(in);
        }
        int from = (int) (pos >>> Inode.CHUNK_SHIFT);
        int to = (int) ((pos + len - 1) >>> Inode.CHUNK_SHIFT);
        in.dirtyChunks.set(from, to + 1);
    }
}
