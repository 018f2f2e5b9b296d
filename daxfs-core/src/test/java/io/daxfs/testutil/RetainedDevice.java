package io.daxfs.testutil;

import io.daxfs.device.Device;
import io.daxfs.media.Geometry;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A memory device that outlives the file system on it. Unmounting closes the device, and tests
 * need the image afterwards: to fsck it, mount it again, or reload the same memory with the next
 * crash image. So {@link #close()} does nothing, and the memory goes in one of two ways, chosen
 * when the device is made:
 * <ul>
 * <li>{@link #allocate}, {@link #copyOf}: when the device is dropped (an automatic arena), for
 *     tests that make many devices and never free them;</li>
 * <li>{@link #allocateFreeable}: at {@link #free()}, for a device reused over thousands of
 *     images, whose memory should not wait for a garbage collection that off-heap allocations
 *     never trigger.</li>
 * </ul>
 */
public final class RetainedDevice implements Device {
    private final Arena arena;
    private final MemorySegment segment;
    private final AtomicBoolean freed = new AtomicBoolean();

    private RetainedDevice(Arena arena, long size) {
        this.arena = arena;
        this.segment = arena.allocate(size, Geometry.BLOCK_SIZE);
    }

    /** A zero-filled device of {@code size} bytes, released when dropped. */
    public static RetainedDevice allocate(long size) {
        return new RetainedDevice(Arena.ofAuto(), size);
    }

    /** A device holding a copy of {@code image}, released when dropped. */
    public static RetainedDevice copyOf(MemorySegment image) {
        RetainedDevice d = allocate(image.byteSize());
        MemorySegment.copy(image, 0, d.segment, 0, image.byteSize());
        return d;
    }

    /** A zero-filled device of {@code size} bytes, released by {@link #free()} only. */
    public static RetainedDevice allocateFreeable(long size) {
        return new RetainedDevice(Arena.ofShared(), size);
    }

    /** Replaces the contents with {@code image} (of the same size): no new memory to fault in. */
    public RetainedDevice load(MemorySegment image) {
        if (image.byteSize() != segment.byteSize()) {
            throw new IllegalArgumentException("image of " + image.byteSize() + " bytes for a device of " + segment.byteSize());
        }
        MemorySegment.copy(image, 0, segment, 0, segment.byteSize());
        return this;
    }

    /**
     * Releases the memory of a device made by {@link #allocateFreeable} (again: nothing); nothing
     * may use the device afterwards. Throws {@link UnsupportedOperationException} for the others,
     * whose memory only the garbage collector may release.
     */
    public void free() {
        if (freed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void persist(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size() - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") outside device of " + size());
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
        return "retained memory (" + size() + " bytes)";
    }

    @Override
    public void close() {
        // The image outlives the file system: see the class comment.
    }
}
