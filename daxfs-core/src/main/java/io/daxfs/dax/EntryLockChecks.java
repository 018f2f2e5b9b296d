package io.daxfs.dax;

import io.daxfs.lock.LockChecker;
import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;

/**
 * Shows entry locks to the lock checker (when {@code daxfs.lockcheck} is on; otherwise every
 * method is an empty branch). An entry lock is a bit in an entry, not a lock object, so for the
 * checker each grab takes a fresh {@link OrderedLock} of level {@link LockLevel#ENTRY}, kept per
 * thread until the matching unlock or delete. The checker then reports what it reports for
 * other locks: an entry lock taken while a deeper lock is held (a journal handle, the
 * allocator, the index short lock), a second entry lock held at once, an entry lock that a
 * thread ends with, and an unlock by a thread that holds none.
 *
 * <p>{@link #OFF} is for the model checker, which abandons hung executions midway: per-thread
 * bookkeeping left behind by one would make the next behave differently.
 */
class EntryLockChecks {
    /** Reports to the lock checker when it is enabled. */
    static final EntryLockChecks ACTIVE = new EntryLockChecks();
    /** Reports nothing. */
    static final EntryLockChecks OFF = new EntryLockChecks() {
        @Override
        void acquire() {
        }

        @Override
        void release() {
        }

        @Override
        void checkMayWait() {
        }
    };

    private static final ThreadLocal<OrderedLock> HELD = new ThreadLocal<>();

    private EntryLockChecks() {
    }

    /** Before a grab: checks the order and records the entry lock as held. */
    void acquire() {
        if (LockChecker.ENABLED) {
            OrderedLock token = new OrderedLock(LockLevel.ENTRY, "entry lock");
            token.lock(); // throws a LockViolation on an inversion or a second entry lock
            HELD.set(token);
        }
    }

    /** After an unlock or delete, or a grab that locked nothing. */
    void release() {
        if (LockChecker.ENABLED) {
            OrderedLock token = HELD.get();
            if (token == null) {
                token = new OrderedLock(LockLevel.ENTRY, "entry lock"); // the checker reports the unlock
            }
            HELD.remove();
            token.unlock();
        }
    }

    /** Before a wait that takes no entry lock: the same order check as {@link #acquire}. */
    void checkMayWait() {
        if (LockChecker.ENABLED) {
            OrderedLock token = new OrderedLock(LockLevel.ENTRY, "entry wait");
            token.lock();
            token.unlock();
        }
    }
}
