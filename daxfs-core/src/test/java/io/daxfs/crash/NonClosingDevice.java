package io.daxfs.crash;

import io.daxfs.device.Device;

import java.lang.foreign.MemorySegment;

/**
 * A view of a device whose {@link #close()} does nothing, so a test can unmount a file system
 * (which closes its device) and still inspect or fsck the memory behind it. The owner closes
 * the wrapped device.
 */
final class NonClosingDevice implements Device {
    private final Device inner;

    NonClosingDevice(Device inner) {
        this.inner = inner;
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
        return "non-closing view of " + inner.describe();
    }

    @Override
    public void close() {
        // The owner closes the wrapped device.
    }
}
