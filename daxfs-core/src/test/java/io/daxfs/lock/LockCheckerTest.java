package io.daxfs.lock;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker itself: each kind of violation is caught, legal patterns are not. */
class LockCheckerTest {
    @Test
    void checkerIsEnabledInTests() {
        assertTrue(LockChecker.ENABLED, "surefire must run with -Ddaxfs.lockcheck=true");
    }

    @Test
    void outerThenInnerIsAllowed() {
        OrderedRwLock io = new OrderedRwLock(LockLevel.IO, "io");
        OrderedLock attr = new OrderedLock(LockLevel.ATTRIBUTES, "attr");
        io.writeLock().lock();
        try {
            attr.lock();
            attr.unlock();
        } finally {
            io.writeLock().unlock();
        }
        assertTrue(LockChecker.drainViolations().isEmpty());
    }

    @Test
    void innerThenOuterIsAnInversion() {
        OrderedRwLock io = new OrderedRwLock(LockLevel.IO, "io");
        OrderedLock attr = new OrderedLock(LockLevel.ATTRIBUTES, "attr");
        attr.lock();
        try {
            assertThrows(LockChecker.LockViolation.class, () -> io.readLock().lock());
        } finally {
            attr.unlock();
        }
        assertFalse(LockChecker.drainViolations().isEmpty());
    }

    @Test
    void twoLocksOfOneNonNestableLevelAreAnInversion() {
        OrderedLock a = new OrderedLock(LockLevel.LIFE, "life#1");
        OrderedLock b = new OrderedLock(LockLevel.LIFE, "life#2");
        a.lock();
        try {
            assertThrows(LockChecker.LockViolation.class, b::lock);
        } finally {
            a.unlock();
        }
    }

    @Test
    void directoriesMayNest() {
        OrderedLock parent = new OrderedLock(LockLevel.DIRECTORY, "dir#1");
        OrderedLock child = new OrderedLock(LockLevel.DIRECTORY, "dir#2");
        parent.lock();
        try {
            assertDoesNotThrow(() -> {
                child.lock();
                child.unlock();
            });
        } finally {
            parent.unlock();
        }
    }

    @Test
    void unlockByNonOwnerIsReported() {
        OrderedLock l = new OrderedLock(LockLevel.ORPHANS, "orphans");
        assertThrows(LockChecker.LockViolation.class, l::unlock);
    }

    @Test
    void upgradingReadToWriteIsReported() {
        OrderedRwLock rw = new OrderedRwLock(LockLevel.IO, "io");
        rw.readLock().lock();
        try {
            assertThrows(LockChecker.LockViolation.class, () -> rw.writeLock().lock());
        } finally {
            rw.readLock().unlock();
        }
    }

    @Test
    void lockHeldAtThreadExitIsReported() throws Exception {
        OrderedLock l = new OrderedLock(LockLevel.ALLOCATOR, "leaked");
        Thread t = new Thread(l::lock, "leaker");
        t.start();
        t.join();
        LockChecker.checkDeadThreads();
        assertTrue(LockChecker.drainViolations().stream().anyMatch(v -> v.contains("leaker") && v.contains("leaked")));
    }
}
