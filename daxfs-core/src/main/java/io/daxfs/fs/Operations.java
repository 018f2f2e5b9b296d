package io.daxfs.fs;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which namespace operations are running, coarsely enough to tell when every operation that
 * started before a given moment has finished (a grace period, as in read-copy-update). The
 * inode cache needs this to drop an inode object safely: an operation may hold the object it
 * looked up until it ends, so an inode is dropped only after a grace period that began after the
 * inode was marked for eviction (see {@link InodeCache}).
 *
 * <p>Algorithm: two sets of counters, selected by the parity of {@link #epoch}. An operation
 * increments its thread's counter of the current parity and re-reads the epoch; if the epoch
 * moved meanwhile it backs out and tries again, so once {@link #enter} returns, a waiter of the
 * old parity either sees the increment or the operation saw the new epoch. {@link #synchronize}
 * advances the epoch and waits until the old parity's counters sum to zero. Counters are per
 * thread slot (a thread always uses the same slot, so its increment and decrement meet), padded
 * to their own cache lines. Operations never wait for a grace period; only the evictor does,
 * holding no lock, so no cycle can form.
 */
final class Operations {
    private static final int SLOTS = 64;
    /** Longs per slot: one counter per 64-byte line. */
    private static final int STRIDE = 8;
    private final AtomicLongArray[] counts = {new AtomicLongArray(SLOTS * STRIDE), new AtomicLongArray(SLOTS * STRIDE)};
    private volatile long epoch;

    /** Starts an operation; pass the result to {@link #exit}. */
    long enter() {
        int slot = slot();
        for (;;) {
            long e = epoch;
            AtomicLongArray c = counts[(int) (e & 1)];
            c.getAndIncrement(slot);
            if (epoch == e) {
                return e;
            }
            c.getAndDecrement(slot); // the epoch moved: count this operation in the new one
        }
    }

    /** The current epoch (tests). */
    long epoch() {
        return epoch;
    }

    void exit(long entered) {
        counts[(int) (entered & 1)].getAndDecrement(slot());
    }

    /**
     * Returns once every operation that had entered when this was called has exited.
     * Interruptible: false when interrupted before the period ended. Callers are serialised: two
     * overlapping periods would each flip the epoch, and the second would wait only for the
     * parity the first had just opened, not for operations older than both.
     */
    synchronized boolean synchronize() {
        long e = epoch;
        epoch = e + 1;
        AtomicLongArray old = counts[(int) (e & 1)];
        for (int spins = 0; ; spins++) {
            long sum = 0;
            for (int i = 0; i < SLOTS; i++) {
                sum += old.get(i * STRIDE);
            }
            if (sum == 0) {
                return true;
            }
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    private static int slot() {
        return (int) (Thread.currentThread().threadId() & (SLOTS - 1)) * STRIDE;
    }
}
