package io.daxfs.lock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/** A {@link ReentrantLock} with a place in the {@link LockLevel} hierarchy, checked in tests. */
public final class OrderedLock extends ReentrantLock {
    private final LockLevel level;
    private final String name;
    private final long id;

    /** A lock named {@code name}. */
    public OrderedLock(LockLevel level, String name) {
        this(level, name, -1);
    }

    /** A lock named {@code name#id}; the name is built only when a report needs it. */
    public OrderedLock(LockLevel level, String name, long id) {
        this.level = level;
        this.name = name;
        this.id = id;
    }

    private String name() {
        return id < 0 ? name : name + "#" + id;
    }

    @Override
    public void lock() {
        if (LockChecker.ENABLED) {
            LockChecker.beforeAcquire(this, level, name(), isHeldByCurrentThread());
        }
        super.lock();
        if (LockChecker.ENABLED) {
            LockChecker.acquired(this, level, name());
        }
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
        if (LockChecker.ENABLED) {
            LockChecker.beforeAcquire(this, level, name(), isHeldByCurrentThread());
        }
        super.lockInterruptibly();
        if (LockChecker.ENABLED) {
            LockChecker.acquired(this, level, name());
        }
    }

    @Override
    public boolean tryLock() {
        boolean ok = super.tryLock();
        if (ok && LockChecker.ENABLED) {
            LockChecker.acquired(this, level, name());
        }
        return ok;
    }

    @Override
    public boolean tryLock(long timeout, TimeUnit unit) throws InterruptedException {
        boolean ok = super.tryLock(timeout, unit);
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
        super.unlock();
    }

    public LockLevel level() {
        return level;
    }

    @Override
    public String toString() {
        return name() + " " + super.toString();
    }
}
