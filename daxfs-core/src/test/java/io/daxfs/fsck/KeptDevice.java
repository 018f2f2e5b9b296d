package io.daxfs.fsck;

import io.daxfs.device.Device;
import io.daxfs.media.Geometry;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A memory device that outlives the file system on it: unmounting closes the device, and a
 * test needs the image afterwards to check it. Its memory belongs to an automatic arena, so it
 * is released when the test drops the device.
 */
final class KeptDevice implements Device {
    private final MemorySegment memory;

    KeptDevice(long size) {
        this.memory = Arena.ofAuto().allocate(size, Geometry.BLOCK_SIZE);
    }

    /** A kept device holding a copy of {@code image}. */
    static KeptDevice copyOf(MemorySegment image) {
        KeptDevice d = new KeptDevice(image.byteSize());
        MemorySegment.copy(image, 0, d.memory, 0, image.byteSize());
        return d;
    }

    @Override
    public MemorySegment segment() {
        return memory;
    }

    @Override
    public long size() {
        return memory.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void persist(long offset, long length) {
        if (offset < 0 || length < 0 || offset > memory.byteSize() - length) {
            throw new IndexOutOfBoundsException("persist [" + offset + ", +" + length + ") outside the device");
        }
    }

    @Override
    public void fence() {
    }

    @Override
    public boolean isSynchronous() {
        return true;
    }

    @Override
    public String describe() {
        return "kept memory (" + memory.byteSize() + " bytes)";
    }

    @Override
    public void close() {
        // Kept open on purpose: see the class comment.
    }
}
