package io.daxfs.alloc;

import io.daxfs.device.Device;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;

import java.util.ArrayList;
import java.util.List;

/**
 * Gives freed blocks back to the host of a sparse image, in the background and in batches.
 *
 * <p>A released run (freed, checkpointed, referenced by no page) does not go to its group's free
 * runs at once: it waits in the group's discard list, still pending, until this thread has
 * punched it out of the image; only then may it be allocated, so a punch can never hit blocks a
 * new owner has written. The thread wakes when work arrives, lets more arrive for a moment (one
 * punch per coalesced run rather than per free), punches with no lock held, then hands the runs
 * to their groups. A caller short of space waits for it ({@link #awaitIdle}); unmount stops it
 * after a last round ({@link #close}).
 *
 * <p>A punch that fails (a host file system without hole punching, say) turns discarding off:
 * the runs are released as they are, and the image simply keeps its size.
 */
final class Discarder {
    /** How long work may gather before a round: batches punches without delaying reuse much. */
    private static final long GATHER_MS = 50;

    private final Device device;
    private final AllocationGroup[] groups;
    private final Release release;
    private boolean work; // guarded by this
    private boolean running; // guarded by this: a round is in progress
    private boolean closed; // guarded by this
    private volatile boolean enabled = true;
    private Thread thread; // guarded by this

    /** Hands discarded runs of a group to its free runs. */
    @FunctionalInterface
    interface Release {
        void release(AllocationGroup g, List<long[]> runs);
    }

    Discarder(Device device, AllocationGroup[] groups, Release release) {
        this.device = device;
        this.groups = groups;
        this.release = release;
    }

    boolean enabled() {
        return enabled;
    }

    /** Work was added to a group's discard list. */
    synchronized void wake() {
        if (closed) {
            return;
        }
        work = true;
        if (thread == null) {
            thread = Thread.ofPlatform().daemon().name("daxfs-discard").start(this::run);
        }
        notifyAll();
    }

    /** Waits until every run queued so far is punched and allocatable again. */
    synchronized void awaitIdle() {
        boolean interrupted = false;
        while ((work || running) && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a last round and stops the thread; the device must stay open until this returns. */
    void close() {
        awaitIdle();
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
            notifyAll();
        }
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        for (;;) {
            synchronized (this) {
                while (!work && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                work = false;
                running = true;
            }
            try {
                Thread.sleep(GATHER_MS);
            } catch (InterruptedException e) {
                // go on: the round still runs
            }
            try {
                round();
            } finally {
                synchronized (this) {
                    running = false;
                    notifyAll();
                }
            }
        }
    }

    /** One round: takes every group's list, punches each run, releases them to their groups. */
    private void round() {
        for (AllocationGroup g : groups) {
            List<long[]> runs;
            g.lock.lock();
            try {
                if (g.toDiscard.isEmpty()) {
                    continue;
                }
                runs = new ArrayList<>(g.toDiscard);
                g.toDiscard.clear();
            } finally {
                g.lock.unlock();
            }
            if (enabled) {
                for (long[] r : runs) {
                    try {
                        device.discard(r[0] << Geometry.BLOCK_SHIFT, r[1] << Geometry.BLOCK_SHIFT);
                    } catch (DaxException | RuntimeException e) {
                        enabled = false;
                        System.getLogger("io.daxfs").log(System.Logger.Level.WARNING,
                                "daxfs: freed blocks are no longer given back to the host of " + device.describe() + ": " + e);
                        break;
                    }
                }
            }
            release.release(g, runs);
        }
    }
}
