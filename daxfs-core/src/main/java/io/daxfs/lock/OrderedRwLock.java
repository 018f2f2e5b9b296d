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
 */
public final class OrderedRwLock implements ReadWriteLock {
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final Checked read;
    private final Checked write;

    public OrderedRwLock(LockLevel level, String name) {
        this.read = new Checked(rw.readLock(), level, name + ".read", true);
        this.write = new Checked(rw.writeLock(), level, name + ".write", false);
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
        private final String name;
        private final boolean shared;

        Checked(Lock inner, LockLevel level, String name, boolean shared) {
            this.inner = inner;
            this.level = level;
            this.name = name;
            this.shared = shared;
        }

        private boolean reentrant() {
            return shared ? getReadHoldCount() > 0 || isWriteLockedByCurrentThread() : isWriteLockedByCurrentThread();
        }

        private void before() {
            if (LockChecker.ENABLED) {
                if (!shared && getReadHoldCount() > 0) {
                    LockChecker.beforeAcquire(read, level, name + " (upgrade from read: deadlock)", false);
                }
                LockChecker.beforeAcquire(this, level, name, reentrant());
            }
        }

        @Override
        public void lock() {
            before();
            inner.lock();
            if (LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name);
            }
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            before();
            inner.lockInterruptibly();
            if (LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name);
            }
        }

        @Override
        public boolean tryLock() {
            boolean ok = inner.tryLock();
            if (ok && LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name);
            }
            return ok;
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            boolean ok = inner.tryLock(time, unit);
            if (ok && LockChecker.ENABLED) {
                LockChecker.acquired(this, level, name);
            }
            return ok;
        }

        @Override
        public void unlock() {
            if (LockChecker.ENABLED) {
                LockChecker.released(this, name);
            }
            inner.unlock();
        }

        @Override
        public Condition newCondition() {
            return inner.newCondition();
        }
    }
}
