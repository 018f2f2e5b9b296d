package io.daxfs.mm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Hashed wait queues without locks: the sleeping half of {@link PageRefs} and of
 * {@code io.daxfs.dax.WaitTable}. A key is an owner (compared by identity; may be null) and a
 * {@code long}; the caller gives the owner's hash, so that each user keeps the spread it has
 * always had.
 *
 * <h2>Invariants</h2>
 * <ul>
 * <li><b>No lost wakeup.</b> A waiter {@linkplain #enqueue enqueues} <em>before</em> it checks
 *     its condition, and parks only if the condition still says wait. A waker stores the state
 *     change first and reads the queue after. Both the queue array and the stored state are
 *     volatile (or published under a lock the waiter checked under), so either the waiter sees
 *     the change and does not sleep, or the waker sees the waiter and wakes it.</li>
 * <li><b>A collision is only a cost.</b> Wakes compare the full key of every waiter in the
 *     queue, so two keys hashed to one queue cost a longer scan, never a wrong wakeup.</li>
 * <li><b>Exclusive and non-exclusive waiters.</b> {@link #wakeOne} wakes every non-exclusive
 *     waiter of the key plus the first exclusive one (arrival order); {@link #wakeAll} wakes them
 *     all. A woken exclusive waiter owns that wakeup and must pass it on: by taking what it
 *     waited for (whose release wakes the next) or, if it gives up, through
 *     {@link Waiter#abandon}, which hands a received wakeup to the next waiter of the key.</li>
 * <li><b>One claim per waiter.</b> A waiter's state moves once, from waiting to woken or
 *     cancelled, by compare-and-set: two wakers never both count one waiter, and a cancelled
 *     one absorbs no wakeup. Whoever ends a wait purges the queue afterwards, so no finished
 *     waiter is left behind.</li>
 * <li><b>No locks.</b> A queue is a copy-on-write array swapped by compare-and-set: callers
 *     enqueue under their innermost lock, which the queue must not nest inside another; and
 *     waiters per queue are few, so copying is cheap. A wake that finds the queue empty, the
 *     common case, costs one volatile read.</li>
 * <li>Sleeping is {@link LockSupport#park} on the waiter's volatile state, so spurious returns
 *     from park are harmless and an unpark that comes before the park is not lost.</li>
 * </ul>
 */
public final class WaitQueues {
    private static final Waiter[] NONE = new Waiter[0];

    private final Queue[] queues;
    private final int queueBits;
    private final LongAdder wakeups = new LongAdder();

    /** {@code queues} wait queues; a power of two. */
    public WaitQueues(int queues) {
        if (queues <= 0 || Integer.bitCount(queues) != 1) {
            throw new IllegalArgumentException("queues " + queues);
        }
        this.queues = new Queue[queues];
        this.queueBits = Integer.numberOfTrailingZeros(queues);
        for (int i = 0; i < queues; i++) {
            this.queues[i] = new Queue();
        }
    }

    /**
     * Queues the current thread on the key. Call it before checking the condition waited for;
     * then {@link Waiter#await} if it still says wait, or {@link Waiter#abandon} if not.
     */
    public Waiter enqueue(Object owner, int ownerHash, long key, boolean exclusive) {
        Queue q = queues[queueOf(ownerHash, key)];
        Waiter w = new Waiter(this, q, owner, ownerHash, key, exclusive, Thread.currentThread());
        q.add(w);
        return w;
    }

    /** Wakes every non-exclusive waiter of the key and the first exclusive one. Returns how many woke. */
    public int wakeOne(Object owner, int ownerHash, long key) {
        return wake(owner, ownerHash, key, false);
    }

    /** Wakes every waiter of the key. Returns how many woke. */
    public int wakeAll(Object owner, int ownerHash, long key) {
        return wake(owner, ownerHash, key, true);
    }

    private int wake(Object owner, int ownerHash, long key, boolean all) {
        Queue q = queues[queueOf(ownerHash, key)];
        Waiter[] ws = q.waiters;
        if (ws.length == 0) {
            return 0;
        }
        int woken = 0;
        boolean exclusiveWoken = false;
        for (Waiter w : ws) {
            if (!w.is(owner, key)) {
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
    public int queueOf(int ownerHash, long key) {
        long h = (key ^ (long) ownerHash << 32) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> Long.SIZE - queueBits);
    }

    /** Threads currently waiting (not yet woken) on the key: for tests and debugging. */
    public int waiting(Object owner, int ownerHash, long key) {
        int n = 0;
        for (Waiter w : queues[queueOf(ownerHash, key)].waiters) {
            if (w.is(owner, key) && w.state == Waiter.WAITING) {
                n++;
            }
        }
        return n;
    }

    /** Threads waiting on any key (tests: nobody may be left asleep at the end of a run). */
    public int waitingTotal() {
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

    /** Waiters woken since these queues were made (hand-ons by {@link Waiter#abandon} included). */
    public long wakeups() {
        return wakeups.sum();
    }

    /** One wait queue: a copy-on-write array of waiters, oldest first. */
    private static final class Queue {
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
         * Drops every waiter that is no longer waiting. A waiter never returns to waiting, and
         * whoever ends a wait purges afterwards, so none is left behind.
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

    /** One queued thread; its state moves once, from waiting to woken or cancelled. */
    public static final class Waiter {
        private static final int WAITING = 0;
        private static final int WOKEN = 1;
        private static final int CANCELLED = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final WaitQueues queues;
        private final Queue queue;
        private final Object owner;
        private final int ownerHash;
        private final long key;
        private final boolean exclusive;
        private final Thread thread;
        private volatile int state;

        private Waiter(WaitQueues queues, Queue queue, Object owner, int ownerHash, long key, boolean exclusive,
                Thread thread) {
            this.queues = queues;
            this.queue = queue;
            this.owner = owner;
            this.ownerHash = ownerHash;
            this.key = key;
            this.exclusive = exclusive;
            this.thread = thread;
        }

        public long key() {
            return key;
        }

        public boolean exclusive() {
            return exclusive;
        }

        private boolean is(Object owner, long key) {
            return this.owner == owner && this.key == key;
        }

        /** Claims the waiter for one waker and unparks it; false if it was woken or cancelled already. */
        private boolean claim() {
            if (STATE.compareAndSet(this, WAITING, WOKEN)) {
                LockSupport.unpark(thread);
                return true;
            }
            return false;
        }

        /**
         * Sleeps until woken. Interrupts do not end the wait (a lock wait must not be abandoned
         * halfway); the interrupt status is kept for the caller.
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
         * Sleeps until woken or interrupted. If the interrupt comes first the waiter leaves the
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
         * Gives up a wait that will not happen (the condition turned out not to need it, or the
         * caller failed before sleeping). A wakeup that already arrived for an exclusive waiter
         * is handed to the next one, so abandoning never loses it; for a non-exclusive waiter
         * every other waiter got its own, so there is nothing to hand on.
         */
        public void abandon() {
            if (STATE.compareAndSet(this, WAITING, CANCELLED)) {
                queue.purge();
            } else if (exclusive && state == WOKEN) {
                queues.wakeOne(owner, ownerHash, key);
            }
        }

        @Override
        public String toString() {
            return "Waiter[" + thread.getName() + " key=" + key + (exclusive ? " exclusive" : "")
                    + " state=" + state + "]";
        }
    }
}
