package io.daxfs.testutil;

import io.daxfs.device.Device;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;

/**
 * A device that forwards to another and, once armed, fails every persist: a write-back error
 * of the medium as the code above sees it. {@link #failed} opens at the first failure, so a
 * test can wait for background work to hit it. Closing closes the device behind it.
 */
public final class FailingDevice implements Device {
    private final Device inner;
    private volatile RuntimeException failure;
    /** Counted down at the first persist that failed. */
    public final CountDownLatch failed = new CountDownLatch(1);

    public FailingDevice(Device inner) {
        this.inner = inner;
    }

    /** From now on every persist throws {@code e}. */
    public void failPersists(RuntimeException e) {
        failure = e;
    }

    /** Persists succeed again. */
    public void heal() {
        failure = null;
    }

    @Override
    public MemorySegment segment() {
        return inner.segment();
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public boolean isReadOnly() {
        return inner.isReadOnly();
    }

    @Override
    public void persist(long offset, long length) {
        RuntimeException f = failure;
        if (f != null) {
            failed.countDown();
            throw f;
        }
        inner.persist(offset, length);
    }

    @Override
    public void fence() {
        inner.fence();
    }

    @Override
    public boolean isSynchronous() {
        return inner.isSynchronous();
    }

    @Override
    public String describe() {
        return "failing view of " + inner.describe();
    }

    @Override
    public void close() {
        inner.close();
    }
}
