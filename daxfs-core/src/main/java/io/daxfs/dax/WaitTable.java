package io.daxfs.dax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Where threads sleep until a mapping entry is unlocked: {@value #QUEUES} wait queues, hashed
 * by the key (mapping index, first index of the entry waited on) (model section 2).
 *
 * <h2>Protocol</h2>
 * <ul>
 * <li>A waiter {@linkplain #enqueue enqueues} while it still holds the index's short lock, right
 *     after seeing the entry locked, then releases the short lock and
 *     {@linkplain Waiter#await awaits}. A waker changes the entry under the short lock and
 *     {@linkplain #wakeOne wakes} after its store. So either the waker's store came first (the
 *     waiter saw the entry unlocked and never slept) or the waiter's enqueue did (the waker
 *     finds it): no wakeup is lost (invariant 3). The waker's check for waiters is one volatile
 *     read when the queue is empty, the common case.</li>
 * <li>The key is the index rounded down to the order <em>of the entry waited on</em>, and a
 *     waker computes it the same way from the entry it changes (invariant 4). A wake compares
 *     the full key of each waiter in the queue, so two keys hashed to one queue cost a scan,
 *     never a wrong wakeup.</li>
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
 * <h2>Queues without locks</h2>
 * A queue is a copy-on-write array of waiters swapped by compare-and-set: enqueueing happens
 * under the index short lock (the innermost lock), so the queue must not take a lock itself;
 * and waiters per queue are few, so copying is cheap. A waiter leaves its queue when it is woken
 * (the waker purges it) or cancelled (it purges itself). Wakeups claim a waiter by
 * compare-and-set of its state, so two wakers never both count one waiter.
 *
 * <h2>One table per file system</h2>
 * Keys carry the mapping index's identity, so one table for the whole JVM (as Linux has one
 * for the kernel) would be correct too. daxfs keeps one per mounted file system instead: its
 * counters then describe that file system, tests and model checkers start each run with a
 * fresh table (no waiter left over from an aborted run can absorb a wakeup), and the cost is
 * fixed per mount, not per file, which was the point of hashing in the first place.
 */
public final class WaitTable {
    /** The number of wait queues. */
    public static final int QUEUES = 4096;
    private static final int QUEUE_BITS = Integer.numberOfTrailingZeros(QUEUES);

    private static final Waiter[] NONE = new Waiter[0];

    private final Queue[] queues = new Queue[QUEUES];
    private final LongAdder waits = new LongAdder();
    private final LongAdder wakeups = new LongAdder();

    public WaitTable() {
        for (int i = 0; i < QUEUES; i++) {
            queues[i] = new Queue();
        }
    }

    /**
     * Queues the current thread for the entry of {@code index} whose first page is
     * {@code keyIndex}. Call it holding {@code index}'s short lock; then release that lock and
     * call {@link Waiter#await} (or {@link Waiter#abandon} if you will not sleep after all).
     */
    public Waiter enqueue(MappingIndex index, long keyIndex, boolean exclusive) {
        Queue q = queues[queueOf(index, keyIndex)];
        Waiter w = new Waiter(this, q, index, keyIndex, exclusive, Thread.currentThread());
        q.add(w);
        waits.increment();
        return w;
    }

    /** Wakes every non-exclusive waiter of the key and the first exclusive one. Returns how many woke. */
    public int wakeOne(MappingIndex index, long keyIndex) {
        return wake(index, keyIndex, false);
    }

    /** Wakes every waiter of the key. Returns how many woke. */
    public int wakeAll(MappingIndex index, long keyIndex) {
        return wake(index, keyIndex, true);
    }

    private int wake(MappingIndex index, long keyIndex, boolean all) {
        Queue q = queues[queueOf(index, keyIndex)];
        Waiter[] ws = q.waiters;
        if (ws.length == 0) {
            return 0;
        }
        return wakeMatching(q, ws, index, keyIndex, all);
    }

    private int wakeMatching(Queue q, Waiter[] ws, MappingIndex index, long keyIndex, boolean all) {
        int woken = 0;
        boolean exclusiveWoken = false;
        for (Waiter w : ws) {
            if (w.index != index || w.keyIndex != keyIndex) {
                continue; // another key in the same queue
            }
            if (w.exclusive && exclusiveWoken && !all) {
                continue;
            }
            if (w.claim()) {
                woken++;
                exclusiveWoken |= w.exclusive;
            }
        }
        if (woken > 0) {
            wakeups.add(woken);
            q.purge();
        }
        return woken;
    }

    /** The queue a key hashes to (tests use it to build colliding keys). */
    int queueOf(MappingIndex index, long keyIndex) {
        long h = (keyIndex ^ (long) index.waitHash << 32) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> Long.SIZE - QUEUE_BITS);
    }

    /** Threads currently waiting (not yet woken) on the key: for tests and debugging. */
    public int waiting(MappingIndex index, long keyIndex) {
        int n = 0;
        for (Waiter w : queues[queueOf(index, keyIndex)].waiters) {
            if (w.index == index && w.keyIndex == keyIndex && w.state == Waiter.WAITING) {
                n++;
            }
        }
        return n;
    }

    /** Threads waiting on any key (tests: nobody may be left asleep at the end of a run). */
    int waitingTotal() {
        int n = 0;
        for (Queue q : queues) {
            for (Waiter w : q.waiters) {
                if (w.state == Waiter.WAITING) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Sleeps started since the table was made. */
    public long waits() {
        return waits.sum();
    }

    /** Waiters woken since the table was made. */
    public long wakeups() {
        return wakeups.sum();
    }

    /** One wait queue: a copy-on-write array of waiters, oldest first. */
    static final class Queue {
        private static final VarHandle WAITERS;

        static {
            try {
                WAITERS = MethodHandles.lookup().findVarHandle(Queue.class, "waiters", Waiter[].class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        volatile Waiter[] waiters = NONE;

        void add(Waiter w) {
            for (;;) {
                Waiter[] cur = waiters;
                Waiter[] next = Arrays.copyOf(cur, cur.length + 1);
                next[cur.length] = w;
                if (WAITERS.compareAndSet(this, cur, next)) {
                    return;
                }
            }
        }

        /**
         * Drops every waiter that is no longer waiting (woken or cancelled). A waiter never
         * returns to waiting, and whoever ends a wait purges afterwards, so none is left behind.
         */
        void purge() {
            for (;;) {
                Waiter[] cur = waiters;
                Waiter[] next = new Waiter[cur.length];
                int kept = 0;
                for (Waiter w : cur) {
                    if (w.state == Waiter.WAITING) {
                        next[kept++] = w;
                    }
                }
                if (kept == cur.length) {
                    return;
                }
                if (WAITERS.compareAndSet(this, cur, kept == 0 ? NONE : Arrays.copyOf(next, kept))) {
                    return;
                }
            }
        }
    }

    /** One sleeping thread. */
    public static final class Waiter {
        static final int WAITING = 0;
        static final int WOKEN = 1;
        static final int CANCELLED = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final WaitTable table;
        private final Queue queue;
        final MappingIndex index;
        final long keyIndex;
        final boolean exclusive;
        private final Thread thread;
        volatile int state;

        Waiter(WaitTable table, Queue queue, MappingIndex index, long keyIndex, boolean exclusive, Thread thread) {
            this.table = table;
            this.queue = queue;
            this.index = index;
            this.keyIndex = keyIndex;
            this.exclusive = exclusive;
            this.thread = thread;
        }

        public long keyIndex() {
            return keyIndex;
        }

        public boolean exclusive() {
            return exclusive;
        }

        /** Claims the waiter for one waker and unparks it; false if it was woken or cancelled already. */
        boolean claim() {
            if (STATE.compareAndSet(this, WAITING, WOKEN)) {
                LockSupport.unpark(thread);
                return true;
            }
            return false;
        }

        /**
         * Sleeps until woken. Interrupts do not end the wait (an entry lock wait must not be
         * abandoned halfway); the interrupt status is kept for the caller.
         */
        public void await() {
            boolean interrupted = false;
            while (state == WAITING) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * Sleeps until woken or interrupted (waits that may give up, such as a layout break
         * waiting for pages to go idle). If the interrupt comes first the waiter leaves the
         * queue and throws; if the wakeup came first it returns normally, with the interrupt
         * status set, and the caller owns the wakeup as after {@link #await}.
         */
        public void awaitInterruptibly() throws InterruptedException {
            while (state == WAITING) {
                if (Thread.interrupted()) {
                    if (STATE.compareAndSet(this, WAITING, CANCELLED)) {
                        queue.purge();
                        throw new InterruptedException();
                    }
                    Thread.currentThread().interrupt();
                    return;
                }
                LockSupport.park(this);
            }
        }

        /**
         * Gives up a wait that will not happen (the caller failed between enqueue and await).
         * If a wakeup already arrived for an exclusive waiter, it is handed to the next waiter,
         * so abandoning never loses one.
         */
        public void abandon() {
            if (STATE.compareAndSet(this, WAITING, CANCELLED)) {
                queue.purge();
            } else if (exclusive && state == WOKEN) {
                table.wakeOne(index, keyIndex);
            }
        }

        @Override
        public String toString() {
            return "Waiter[" + thread.getName() + " key=" + keyIndex + (exclusive ? " exclusive" : "")
                    + " state=" + state + "]";
        }
    }
}
