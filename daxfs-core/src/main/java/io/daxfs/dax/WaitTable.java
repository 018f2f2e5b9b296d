package io.daxfs.dax;

import io.daxfs.mm.WaitQueues;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Where threads sleep until a mapping entry is unlocked: {@value #QUEUES} wait queues, hashed
 * by the key (entry index, first index of the entry waited on).
 *
 * <h2>Protocol</h2>
 * <ul>
 * <li>A waiter {@linkplain #enqueue enqueues} while it still holds the index's short lock, right
 *     after seeing the entry locked, then releases the short lock and
 *     {@linkplain Waiter#await awaits}. A waker changes the entry under the short lock and
 *     {@linkplain #wakeOne wakes} after its store. So either the waker's store came first (the
 *     waiter saw the entry unlocked and never slept) or the waiter's enqueue did (the waker
 *     finds it): no wakeup is lost (docs/RACES.md Rule 3). The waker's check for waiters is
 *     one volatile read when the queue is empty, the common case.</li>
 * <li>The key is the index rounded down to the order <em>of the entry waited on</em>, and a
 *     waker computes it the same way from the entry it changes (docs/RACES.md Rule 4). A wake
 *     compares the full key of each waiter in the queue, so two keys hashed to one queue cost a
 *     scan, never a wrong wakeup.</li>
 * <li>Exclusive waiters (the normal case: they will lock the entry) are woken one at a time, in
 *     arrival order; {@link #wakeOne} wakes every non-exclusive waiter of the key plus the first
 *     exclusive one. A woken exclusive waiter owns that wakeup and must pass it on, by locking
 *     the entry (its unlock wakes the next) or by waking one itself. {@link #wakeAll} wakes
 *     every waiter of the key: for removals and order changes, after which waiters must look
 *     again from scratch.</li>
 * <li>Sleeping is {@link LockSupport#park} on a per-waiter volatile state, so spurious
 *     returns from park are harmless and an unpark that comes before the park is not lost.</li>
 * </ul>
 *
 * <h2>Queues</h2>
 * The queues are {@link WaitQueues}, keyed by the entry index (by identity, hashed with its
 * {@code waitHash}) and the key index. Enqueueing happens under the index short lock, the
 * innermost lock, which is why the queues take none themselves.
 *
 * <h2>One table per file system</h2>
 * Keys carry the entry index's identity, so one table for the whole JVM (as Linux has one
 * for the kernel) would be correct too. daxfs keeps one per mounted file system instead: its
 * counters then describe that file system, tests and model checkers start each run with a
 * fresh table (no waiter left over from an aborted run can absorb a wakeup), and the cost is
 * fixed per mount, not per file, which was the point of hashing in the first place.
 */
public final class WaitTable {
    /** The number of wait queues. */
    public static final int QUEUES = 4096;

    private final WaitQueues queues = new WaitQueues(QUEUES);
    private final LongAdder waits = new LongAdder();

    /**
     * Queues the current thread for the entry of {@code index} whose first page is
     * {@code keyIndex}. Call it holding {@code index}'s short lock; then release that lock and
     * call {@link Waiter#await} (or {@link Waiter#abandon} if you will not sleep after all).
     */
    public Waiter enqueue(EntryIndex index, long keyIndex, boolean exclusive) {
        Waiter w = new Waiter(queues.enqueue(index, index.waitHash, keyIndex, exclusive));
        waits.increment();
        return w;
    }

    /** Wakes every non-exclusive waiter of the key and the first exclusive one. Returns how many woke. */
    public int wakeOne(EntryIndex index, long keyIndex) {
        return queues.wakeOne(index, index.waitHash, keyIndex);
    }

    /** Wakes every waiter of the key. Returns how many woke. */
    public int wakeAll(EntryIndex index, long keyIndex) {
        return queues.wakeAll(index, index.waitHash, keyIndex);
    }

    /** The queue a key hashes to (tests use it to build colliding keys). */
    int queueOf(EntryIndex index, long keyIndex) {
        return queues.queueOf(index.waitHash, keyIndex);
    }

    /** Threads currently waiting (not yet woken) on the key: for tests and debugging. */
    public int waiting(EntryIndex index, long keyIndex) {
        return queues.waiting(index, index.waitHash, keyIndex);
    }

    /** Threads waiting on any key (tests: nobody may be left asleep at the end of a run). */
    int waitingTotal() {
        return queues.waitingTotal();
    }

    /** Sleeps started since the table was made. */
    public long waits() {
        return waits.sum();
    }

    /** Waiters woken since the table was made. */
    public long wakeups() {
        return queues.wakeups();
    }

    /**
     * One sleeping thread. It wraps the queue's waiter so that callers in dax keep one type
     * named for the entry lock protocol, whatever the queues underneath are.
     */
    public static final class Waiter {
        private final WaitQueues.Waiter waiter;

        private Waiter(WaitQueues.Waiter waiter) {
            this.waiter = waiter;
        }

        public long keyIndex() {
            return waiter.key();
        }

        public boolean exclusive() {
            return waiter.exclusive();
        }

        /**
         * Sleeps until woken. Interrupts do not end the wait (an entry lock wait must not be
         * abandoned halfway); the interrupt status is kept for the caller.
         */
        public void await() {
            waiter.await();
        }

        /** As {@link WaitQueues.Waiter#awaitInterruptibly}: for waits that may give up, such as a layout break. */
        public void awaitInterruptibly() throws InterruptedException {
            waiter.awaitInterruptibly();
        }

        /** For a caller that failed between enqueue and await: as {@link WaitQueues.Waiter#abandon}. */
        public void abandon() {
            waiter.abandon();
        }

        @Override
        public String toString() {
            return waiter.toString();
        }
    }
}
