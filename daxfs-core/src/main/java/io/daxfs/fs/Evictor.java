package io.daxfs.fs;

import io.daxfs.media.InodeRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps the inode cache within its memory budget: a background thread that, when the cached
 * inodes' estimated heap ({@link Inode#estimatedBytes}) exceeds the budget, drops clean, unused
 * ones until it is down to three quarters of it.
 *
 * <p>Algorithm: CLOCK over the cache. A lookup sets an inode's referenced bit; a pass clears the
 * bits it finds set (a second chance) and marks evictable inodes whose bit was clear
 * ({@link Inode#markEvicting}). After one grace period for the whole batch
 * ({@link Operations#synchronize}) each marked inode is checked again and dropped unless it
 * stopped being evictable or a lookup took it back. See {@link InodeCache} for why this is safe.
 *
 * <p>Evictable: not the root; live (not freed, not being reaped), linked (nlink &gt; 0), not on
 * the orphan list, not open; nothing waiting for a commit (neither the inode nor its directory
 * contents are registered with the journal, and its newest change is committed, so its home
 * blocks hold it); no unpersisted file data; no state in the DAX layer (a mapped file keeps its
 * object until it is freed).
 *
 * <p>Scans iterate the concurrent map without any lock; the thread holds no lock at any time.
 * A scan costs O(cached inodes). The thread wakes after every {@value #LOADS_PER_CHECK} loads
 * and every 200 ms, and scans only when the cached count times the average size it last
 * measured comes within 90% of the budget.
 */
final class Evictor {
    static final int LOADS_PER_CHECK = 1024;
    private static final System.Logger LOG = System.getLogger("io.daxfs");

    private final Volume v;
    private final long budget;
    private final Operations operations;
    private final AtomicLong loads = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private volatile boolean stopped;
    /** The average estimate per cached inode at the last full walk (the thread's own). */
    private long bytesPerInode = 900;
    private final Thread thread;

    Evictor(Volume v, long budget, Operations operations) {
        this.v = v;
        this.budget = budget;
        this.operations = operations;
        this.thread = Thread.ofPlatform().daemon().name("daxfs-evict").unstarted(this::run);
    }

    void start() {
        v.cache.onLoad(this::loaded);
        thread.start();
    }

    /** Stops the thread and waits for it (unmount: before the inodes are closed and synced). */
    void stop() {
        stopped = true;
        v.cache.onLoad(() -> { });
        BackgroundThreads.stopAndJoin(thread);
    }

    long budget() {
        return budget;
    }

    long evictions() {
        return evictions.get();
    }

    private void loaded() {
        if (loads.incrementAndGet() % LOADS_PER_CHECK == 0) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (!stopped) {
            try {
                // A full estimate walks the whole cache: only when the count times the average
                // size of the last walk says the budget may be near. Walking on every wake-up
                // took a third of the CPU while a million files were created.
                long n = v.cache.size();
                if (n * bytesPerInode > budget / 10 * 9) {
                    long total = estimate();
                    bytesPerInode = n == 0 ? bytesPerInode : Math.max(1, total / n);
                    if (total > budget) {
                        shrink(total - budget / 4 * 3);
                    }
                }
            } catch (RuntimeException e) {
                // Eviction is an optimisation: a bug here must not take the volume down.
                LOG.log(System.Logger.Level.ERROR, "daxfs: inode cache eviction failed: " + e);
            }
            LockSupport.parkNanos(200_000_000L);
        }
    }

    private long estimate() {
        long total = 0;
        for (Inode in : v.cache.loaded()) {
            total += in.estimatedBytes();
        }
        return total;
    }

    /**
     * One CLOCK pass that marks up to {@code want} bytes of inodes, one grace period, then the
     * drops. One pass at a time (the thread, or a test calling it directly).
     */
    synchronized int shrink(long want) {
        List<Inode> marked = new ArrayList<>();
        long found = 0;
        for (Inode in : v.cache.loaded()) {
            if (found >= want || stopped) {
                break;
            }
            if (in.clearReferenced() || !evictable(in)) {
                continue;
            }
            if (in.markEvicting()) {
                marked.add(in);
                found += in.estimatedBytes();
            }
        }
        if (marked.isEmpty() || !operations.synchronize()) {
            return 0; // interrupted (unmount): the marked ones are taken back by their next lookup
        }
        int dropped = 0;
        for (Inode in : marked) {
            // After the grace period no operation holds the object any more, and any that found
            // it since took it back: these checks see its final state.
            if (evictable(in) && in.drop()) {
                v.cache.remove(in);
                v.dirtyData.forget(in);
                dropped++;
            }
        }
        evictions.addAndGet(dropped);
        return dropped;
    }

    private boolean evictable(Inode in) {
        if (in.ino == 1 || in.freed || in.reaping) {
            return false;
        }
        Directory d = in.dir;
        in.life.lock();
        try {
            in.meta.lock();
            try {
                if (in.openCount != 0 || in.nlink == 0 || (in.flags & InodeRecord.FLAG_ORPHAN) != 0 || in.extentsDirty
                        || in.xattrsDirty || !in.dirtyChunks.isIdle()) {
                    return false;
                }
            } finally {
                in.meta.unlock();
            }
        } finally {
            in.life.unlock();
        }
        return !v.journal.isDirty(in) && (d == null || !v.journal.isDirty(d))
                && in.lastChangeTid() <= v.journal.committedTid() && !v.dax().hasState(in);
    }
}
