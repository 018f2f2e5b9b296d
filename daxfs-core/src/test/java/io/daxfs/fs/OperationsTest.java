package io.daxfs.fs;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Grace periods: {@link Operations#synchronize} returns only after every operation that had
 * entered before it exits, also when two evictors ask at once; operations that enter later do
 * not hold it up.
 */
class OperationsTest {
    private final Operations ops = new Operations();

    /** A thread that enters an operation, says so, and exits when released. */
    private Thread operation(CountDownLatch entered, CountDownLatch release) {
        return Thread.ofPlatform().start(() -> {
            long e = ops.enter();
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            } finally {
                ops.exit(e);
            }
        });
    }

    private Thread synchronizer(AtomicLong done) {
        return Thread.ofPlatform().start(() -> {
            ops.synchronize();
            done.incrementAndGet();
        });
    }

    /** A synchronizer that has begun its period: it has flipped the epoch, and waits. */
    private Thread periodBegun(AtomicLong done) {
        long before = ops.epoch();
        Thread s = synchronizer(done);
        while (ops.epoch() == before) {
            Thread.onSpinWait();
        }
        return s;
    }

    @Test
    void aGracePeriodWaitsForTheOperationsThatEnteredBeforeIt() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        Thread op = operation(entered, release);
        entered.await();
        AtomicLong done = new AtomicLong();
        Thread s = synchronizer(done);
        s.join(200);
        assertTrue(s.isAlive(), "returned while an older operation still ran");
        release.countDown();
        s.join();
        op.join();
        assertEquals(1, done.get());
    }

    @Test
    void twoOverlappingGracePeriodsBothWaitForTheOldestOperation() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        Thread op = operation(entered, release);
        entered.await();
        AtomicLong done = new AtomicLong();
        Thread first = periodBegun(done);
        Thread second = synchronizer(done);
        second.join(200);
        assertTrue(second.isAlive(), "the second period ended while the operation from before both still ran");
        assertEquals(0, done.get());
        release.countDown();
        first.join();
        second.join();
        op.join();
        assertEquals(2, done.get());
    }

    @Test
    void operationsThatEnterAfterItBeganDoNotHoldItUp() throws Exception {
        CountDownLatch oldIn = new CountDownLatch(1), oldOut = new CountDownLatch(1);
        Thread old = operation(oldIn, oldOut);
        oldIn.await();
        AtomicLong done = new AtomicLong();
        Thread s = periodBegun(done);
        CountDownLatch newIn = new CountDownLatch(1), newOut = new CountDownLatch(1);
        Thread young = operation(newIn, newOut);
        newIn.await();
        oldOut.countDown();
        s.join(10_000);
        assertFalse(s.isAlive(), "still waiting, for an operation that entered after the period began");
        assertEquals(1, done.get());
        newOut.countDown();
        young.join();
        old.join();
    }
}
