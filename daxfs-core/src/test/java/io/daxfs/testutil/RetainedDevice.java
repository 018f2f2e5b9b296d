package io.daxfs.testutil;

import io.daxfs.device.Device;
import io.daxfs.device.MemoryDevice;
import io.daxfs.media.Geometry;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A device that outlives the file system on it. Unmounting closes the device, and tests need the
 * image afterwards: to fsck it, mount it again, or reload the same memory with the next crash
 * image. So {@link #close()} does nothing, and the memory goes in one of three ways, chosen when
 * the device is made:
 * <ul>
 * <li>{@link #allocate}, {@link #copyOf}: memory of its own, released when the device is dropped
 *     (an automatic arena), for tests that make many devices and never free them;</li>
 * <li>{@link #allocateFreeable}: a memory device of its own, released at {@link #free()}, for a device
 *     reused over thousands of images, whose memory should not wait for a garbage collection
 *     that off-heap allocations never trigger;</li>
 * <li>{@link #view}: another device's memory, released when its owner closes that device. The
 *     view persists, fences and reports through the device behind it, so a view of a
 *     {@link io.daxfs.device.RecordingDevice} still records every persistence point.</li>
 * </ul>
 * The segment stays valid across any number of {@link #close()} calls; after {@link #free()} (or
 * the owner's close, for a view) nothing may use the device. A device is an internal of daxfs,
 * so only white-box tests use this class; specifications format memory through the API.
 */
public final class RetainedDevice implements Device {
    private final MemorySegment segment;
    /** The arena of memory of its own; null for a view. */
    private final Arena arena;
    /** The device whose memory a view shows; null for memory of its own. */
    private final Device backing;
    /** True when {@link #free()} closes {@link #backing} (a freeable device on a memory device of its own). */
    private final boolean ownsBacking;
    private final AtomicBoolean freed = new AtomicBoolean();

    private RetainedDevice(MemorySegment segment, Arena arena, Device backing) {
        this(segment, arena, backing, false);
    }

    private RetainedDevice(MemorySegment segment, Arena arena, Device backing, boolean ownsBacking) {
        this.segment = segment;
        this.arena = arena;
        this.backing = backing;
        this.ownsBacking = ownsBacking;
    }

    private static RetainedDevice own(Arena arena, long size) {
        return new RetainedDevice(arena.allocate(size, Geometry.BLOCK_SIZE), arena, null);
    }

    /** A zero-filled device of {@code size} bytes, released when dropped. */
    public static RetainedDevice allocate(long size) {
        return own(Arena.ofAuto(), size);
    }

    /** A device holding a copy of {@code image}, released when dropped. */
    public static RetainedDevice copyOf(MemorySegment image) {
        RetainedDevice d = allocate(image.byteSize());
        MemorySegment.copy(image, 0, d.segment, 0, image.byteSize());
        return d;
    }

    /**
     * A zero-filled device of {@code size} bytes, released by {@link #free()} only: a
     * {@link MemoryDevice} of its own, so that its ranges can be mapped into segments as well
     * ({@link #remapFd}).
     */
    public static RetainedDevice allocateFreeable(long size) {
        MemoryDevice m = MemoryDevice.allocate(size);
        return new RetainedDevice(m.segment(), null, m, true);
    }

    /**
     * {@code device} with a {@link #close()} that does nothing, so a file system on it can be
     * unmounted and the memory behind it still inspected, fsck'ed or mounted again. The caller
     * keeps {@code device} and closes it when done.
     */
    public static RetainedDevice view(Device device) {
        return new RetainedDevice(device.segment(), null, device);
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
     * may use the device afterwards. Throws {@link UnsupportedOperationException} for the others:
     * only the garbage collector releases an automatic arena, and a view's owner closes the
     * device behind it.
     */
    public void free() {
        if (backing != null && !ownsBacking) {
            throw new UnsupportedOperationException("a view is released by closing " + backing.describe());
        }
        if (freed.compareAndSet(false, true)) {
            if (ownsBacking) {
                backing.close();
            } else {
                arena.close();
            }
        }
    }

    @Override
    public int remapFd() {
        return backing == null ? -1 : backing.remapFd();
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
        return backing != null && backing.isReadOnly();
    }

    @Override
    public void persist(long offset, long length) {
        if (backing != null) {
            backing.persist(offset, length);
        } else if (offset < 0 || length < 0 || offset > size() - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") outside device of " + size());
        }
    }

    @Override
    public void fence() {
        if (backing != null) {
            backing.fence();
        }
    }

    @Override
    public boolean isSynchronous() {
        return backing == null || backing.isSynchronous();
    }

    @Override
    public String describe() {
        return backing == null ? "retained memory (" + size() + " bytes)"
                : (ownsBacking ? "retained " : "retained view of ") + backing.describe();
    }

    @Override
    public void close() {
        // The memory outlives the file system: see the class comment.
    }
}
