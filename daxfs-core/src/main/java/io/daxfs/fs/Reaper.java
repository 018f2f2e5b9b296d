package io.daxfs.fs;

import io.daxfs.journal.Journal;
import io.daxfs.types.DaxException;

import java.util.ArrayDeque;

/**
 * Frees huge files in bounded steps, with no lock held. Freeing a block map is work in proportion to its extents
 * and dirties bitmap blocks in proportion to its blocks; done in one handle, a terabyte file
 * would hold the journal back for as long as it takes and could outgrow the journal's ring. So
 * a free larger than one step ({@link #STEP_BLOCKS} blocks or {@link #STEP_EXTENTS} extents)
 * runs as many short handles, each freeing the tail of the map, while the inode sits on the
 * orphan list (so a crash in between leaves work that mount finishes, never a leak).
 *
 * <ul>
 * <li>A truncate frees its tail in steps, holding the file's I/O and invalidate locks but no
 *     journal handle between steps ({@link #freeFrom}).</li>
 * <li>A huge file that loses its last name and its last handle under the directory, life and
 *     journal locks of unlink, rename or close is only marked {@link Inode#reaping} there (no
 *     lookup finds it any more; its record keeps its blocks) and {@link #defer}red; the same
 *     thread frees it in steps once the operation has let go of every lock
 *     ({@link #finishDeferred}, run by {@link Volume#guarded}). So the directory, the journal
 *     and every other file go on meanwhile, and statfs counts the space free when the call
 *     returns. With {@code MountOptions.freeInBackground} (a FUSE server, whose worker must not
 *     spend seconds on a close) the inode goes to the {@code daxfs-free} thread instead, and
 *     the call returns at once; unmount stops that thread between two steps, and what is left
 *     stays on the orphan list for the next mount to finish.</li>
 * </ul>
 *
 * <p>Locks: none of its own. Each step takes what a free takes: a handle, then allocator and
 * attribute locks inside it. The background thread holds nothing between steps.
 */
final class Reaper {
    /** Most blocks one step frees: 1 GiB, about 33 bitmap blocks when contiguous. */
    static final long STEP_BLOCKS = 1L << 18;
    /** Most extents one step frees (each may touch its own bitmap block). */
    static final int STEP_EXTENTS = 256;

    /** Per thread: inodes an operation left to free once it holds no lock. */
    private static final ThreadLocal<ArrayDeque<Inode>> DEFERRED = ThreadLocal.withInitial(ArrayDeque::new);

    private final Volume v;
    /** Huge files for the background thread; null when the caller frees them itself. */
    private final java.util.concurrent.LinkedBlockingQueue<Inode> background;
    private final Thread thread;
    private volatile boolean stopping;

    Reaper(Volume v, boolean inBackground) {
        this.v = v;
        this.background = inBackground ? new java.util.concurrent.LinkedBlockingQueue<>() : null;
        this.thread = inBackground ? Thread.ofPlatform().daemon().name("daxfs-free").unstarted(this::runBackground) : null;
    }

    /** Starts the background thread, once the mount has succeeded (so a failed mount leaves none). */
    void start() {
        if (thread != null) {
            thread.start();
        }
    }

    /** The background thread: frees queued inodes until unmount stops it. */
    private void runBackground() {
        while (!stopping) {
            Inode in;
            try {
                in = background.take();
            } catch (InterruptedException e) {
                return;
            }
            // No operation bracket: a long free would hold up every grace period, and nothing
            // here can meet an evictable inode (the reaped one and its orphan-list neighbours
            // are unlinked and on the orphan list).
            try {
                reap(in);
            } catch (DaxException e) {
                if (stopping) {
                    return; // unmount: the rest stays on the orphan list
                }
                v.backgroundFailure("freeing inode " + in.ino + " in the background", e);
                return;
            } catch (RuntimeException | Error e) {
                // No caller to report to: as with the background commit, the volume turns
                // read-only and says so; the inode stays on the orphan list for the next mount.
                v.backgroundFailure("freeing inode " + in.ino + " in the background", e);
                return;
            }
        }
    }

    /**
     * Unmount: stops the background thread between two steps and waits for it. Inodes not freed
     * yet stay on the orphan list, where mount finishes them.
     */
    void stop() {
        if (thread == null || thread.getState() == Thread.State.NEW) {
            stopping = true;
            return;
        }
        stopping = true;
        BackgroundThreads.stopAndJoin(thread);
    }

    /** True when huge files go to the background thread. */
    boolean inBackground() {
        return background != null;
    }

    /**
     * Hands a nameless, unopened inode on the orphan list (a crash's leftover, found by mount)
     * to the background thread, which frees it once started. Only with {@link #inBackground}.
     */
    void freeLater(Inode in) {
        in.reaping = true;
        background.add(in);
    }

    /** Inodes waiting for the background thread (tests). */
    int queued() {
        return background == null ? 0 : background.size();
    }

    /** True when freeing every block of {@code in} at or after file block {@code from} takes more than one step. */
    static boolean needsSteps(Inode in, long from) {
        return in.extents.tailCut(from, STEP_BLOCKS, STEP_EXTENTS) > from;
    }

    /**
     * Frees every block of {@code in} at and after file block {@code from}, one short handle per
     * step. Caller keeps everyone else off the block map (the I/O and invalidate locks held
     * exclusive, or the inode is unreachable) and has put the inode on the orphan list.
     */
    void freeFrom(Inode in, long from) throws DaxException {
        boolean done = false;
        while (!done) {
            if (stopping && Thread.currentThread() == thread) {
                throw new DaxException(io.daxfs.types.Errno.EINTR, "inode " + in.ino
                        + ": unmount stopped its background free; mount finishes it");
            }
            try (Journal.Handle h = v.journal.begin()) {
                done = v.fileBlocks.freeTail(h, in, from, STEP_BLOCKS, STEP_EXTENTS);
            }
            v.hooks.freeStepDone(in.ino);
        }
    }

    /**
     * Records {@code in}, just made nameless, unopened and {@link Inode#reaping} (and put on the
     * orphan list) under the caller's locks, to be freed by this thread when its operation ends.
     */
    void defer(Inode in) {
        DEFERRED.get().add(in);
    }

    /** Frees, in steps, every inode this thread deferred. Caller holds no lock. */
    void finishDeferred() throws DaxException {
        ArrayDeque<Inode> q = DEFERRED.get();
        for (Inode in; (in = q.poll()) != null; ) {
            // Once unmount has stopped the thread, the frees of the files it closes run here.
            if (background != null && !stopping && Thread.currentThread() != thread) {
                background.add(in);
            } else {
                reap(in);
            }
        }
    }

    /**
     * As {@link #finishDeferred}, after the operation failed with {@code failure}: a failure to
     * free is added to it (the inodes stay on the orphan list, for the next mount).
     */
    void finishDeferredAfterFailure(DaxException failure) {
        try {
            finishDeferred();
        } catch (DaxException | RuntimeException e) {
            DEFERRED.get().clear();
            failure.addSuppressed(e);
        }
    }

    private void reap(Inode in) throws DaxException {
        freeFrom(in, 0);
        v.unlinker.evictNow(in);
    }
}
