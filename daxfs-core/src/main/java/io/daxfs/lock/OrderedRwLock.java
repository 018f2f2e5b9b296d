package io.daxfs.lock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link ReentrantReadWriteLock} with a place in the {@link LockLevel} hierarchy; both of its
 * locks are checked in tests. Taking the write lock while holding the read lock is reported
 * (it would deadlock).
 *
 * <p>The checking views exist only when the checker is on: every cached inode has three of these
 * locks, and two views each were a sixth of a small file's heap.
 */
public final class OrderedRwLock implements ReadWriteLock {
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final Lock read;
    private final Lock write;

    public OrderedRwLock(LockLevel level, String name) {
        this(level, name, -1);
    }

    /** A lock named {@code name#id}; names are built only when a report needs them. */
    public OrderedRwLock(LockLevel level, String name, long id) {
        if (LockChecker.ENABLED) {
            this.read = new Checked(rw.readLock(), level, name, id, true);
            this.write = new Checked(rw.writeLock(), level, name, id, false);
        } else {
            this.read = rw.readLock();
            this.write = rw.writeLock();
        }
    }

    /** Read holds of the current thread. */
    public int getReadHoldCount() {
        return rw.getReadHoldCount();
    }

    public boolean isWriteLockedByCurrentThread() {
        return rw.isWriteLockedByCurrentThread();
    }

    @Override
    public Lock readLock() {
        return read;
    }

    @Override
    public Lock writeLock() {
        return write;
    }

    private final class Checked implements Lock {
        private final Lock inner;
        private final LockLevel level;
        private final String base;
        private final long id;
        private final boolean shared;

        Checked(Lock inner, LockLevel level, String base, long id, boolean shared) {
            this.inner = inner;
            this.level = level;
            this.base = base;
            this.id = id;
            this.shared = shared;
        }

        private String name() {
            return (id < 0 ? base : base + "#" + id) + (shared ? ".read" : ".write");
        }

        private boolean reentrant() {
            return shared ? getReadHoldCount() > 0 || isWriteLockedByCurrentThread() : isWriteLockedByCurrentThread();
        }

        private void before() {
            if (LockChecker.ENABLED) {
                if (!shared && getReadHoldCount() > 0) {
                    LockChecker.beforeAcquire(read, level, name() + " (upgrade from read: deadlock)", false);
                }
                LockChecker.beforeAcquire(this, level, name(), reentrant());
            }
        }

        @Override
        public void lock() {
            before();
            inner.lock();
            if (LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name());
            }
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            before();
            inner.lockInterruptibly();
            if (LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name());
            }
        }

        @Override
        public boolean tryLock() {
            boolean ok = inner.tryLock();
            if (ok && LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name());
            }
            return ok;
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            boolean ok = inner.tryLock(time, unit);
            if (ok && LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name());
            }
            return ok;
        }

        @Override
        public void unlock() {
            if (LockChecker.ENABLED) {
                LockChecker.released(this, name());
            }
            inner.unlock();
        }

        @Override
        public Condition newCondition() {
            return inner.newCondition();
        }
    }
}
