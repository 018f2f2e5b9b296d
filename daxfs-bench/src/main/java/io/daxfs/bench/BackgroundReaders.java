package io.daxfs.bench;

import io.daxfs.types.DaxFaultException;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads that read a mapped file at random offsets, in batches, until told to stop or until
 * the file shrinks under them: the load a revocation (a truncate) must cope with, started
 * outside the timed part of a benchmark and running through it. A read of a page the file no
 * longer has fails ({@link DaxFaultException} with SIGBUS on daxfs, an {@link InternalError}
 * from the JDK for a kernel mapping, {@link IndexOutOfBoundsException} if a mapping were
 * shorter); the reader counts it and ends, because a file truncated to nothing has nothing
 * left to map again.
 */
final class BackgroundReaders implements AutoCloseable {
    /** Reads between checks of the stop flag. */
    static final int BATCH = 64;

    /** One 8-byte load at an offset of the mapping. */
    interface Load {
        long at(long off);
    }

    private final Thread[] threads;
    private final CountDownLatch reading;
    private final AtomicInteger faulted = new AtomicInteger();
    private volatile boolean stop;
    /** Keeps the loads alive. */
    @SuppressWarnings("unused")
    private volatile long sink;

    /** Starts {@code n} readers of offsets {@code random & mask}; returns once each has read a batch. */
    BackgroundReaders(int n, long mask, Load load) throws InterruptedException {
        threads = new Thread[n];
        reading = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            long seed = 0x9E3779B97F4A7C15L * (i + 1) | 1;
            threads[i] = Thread.ofPlatform().name("reader-" + i).daemon().start(() -> read(seed, mask, load));
        }
        if (!reading.await(60, TimeUnit.SECONDS)) {
            close();
            throw new IllegalStateException("readers did not start");
        }
    }

    private void read(long seed, long mask, Load load) {
        long x = seed;
        long sum = 0;
        try {
            while (!stop) {
                for (int i = 0; i < BATCH; i++) {
                    x = Fixture.next(x);
                    sum += load.at(x & mask);
                }
                reading.countDown();
            }
        } catch (DaxFaultException | IndexOutOfBoundsException | InternalError e) {
            faulted.incrementAndGet();
        } finally {
            reading.countDown(); // a reader that failed at once must not hold the constructor up
            sink = sum;
        }
    }

    /** How many readers ended because a read failed. */
    int faulted() {
        return faulted.get();
    }

    /** Stops the readers still running and waits for all of them. */
    @Override
    public void close() throws InterruptedException {
        stop = true;
        for (Thread t : threads) {
            if (t != null) {
                t.join();
            }
        }
    }
}
