package io.daxfs.lock;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Runs the lock checker around every test (registered for all tests by service loading): a
 * test fails when any thread, including its workers, violated the lock order, unlocked a lock
 * it did not hold, ended holding a lock, or when the test thread itself still holds one.
 */
public final class LockCheckExtension implements BeforeEachCallback, AfterEachCallback {
    @Override
    public void beforeEach(ExtensionContext context) {
        LockChecker.drainViolations();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!LockChecker.ENABLED) {
            return;
        }
        if (context.getRequiredTestClass() == LockCheckerTest.class) {
            LockChecker.drainViolations(); // that test provokes violations on purpose
            return;
        }
        LockChecker.checkDeadThreads();
        List<String> held = LockChecker.heldByCurrentThread();
        List<String> violations = LockChecker.drainViolations();
        if (!held.isEmpty()) {
            throw new AssertionError("test thread still holds " + held);
        }
        if (!violations.isEmpty()) {
            throw new AssertionError("lock violations: " + String.join("; ", violations));
        }
    }
}
