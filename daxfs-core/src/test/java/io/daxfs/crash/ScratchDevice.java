package io.daxfs.crash;

import io.daxfs.device.Device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A memory device that is reloaded with one image after another: what {@code MemoryDevice.copyOf}
 * gives, without allocating (and faulting in) a fresh device for each of thousands of crash
 * images. {@link #close()} does nothing, so an unmounted image can still be fsck'ed; {@link #free()}
 * releases the memory.
 */
final class ScratchDevice implements Device {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment segment;

    ScratchDevice(long size) {
        this.segment = arena.allocate(size, 4096);
    }

    /** Replaces the contents with {@code image} (of the same size). */
    ScratchDevice load(MemorySegment image) {
        if (image.byteSize() != segment.byteSize()) {
            throw new IllegalArgumentException("image of " + image.byteSize() + " bytes for a device of " + segment.byteSize());
        }
        MemorySegment.copy(image, 0, segment, 0, segment.byteSize());
        return this;
    }

    void free() {
        arena.close();
    }

    /**
     * An arena whose every allocation is this one buffer: lets {@code RecordingDevice.crashImage}
     * build image after image in the same memory. Only one allocation may be live at a time.
     */
    static Arena recycling(MemorySegment buffer) {
        return new Arena() {
            @Override
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                if (byteSize > buffer.byteSize() || buffer.address() % byteAlignment != 0) {
                    throw new IllegalArgumentException("recycled buffer cannot hold " + byteSize + " bytes");
                }
                return buffer.asSlice(0, byteSize);
            }

            @Override
            public MemorySegment.Scope scope() {
                return buffer.scope();
            }

            @Override
            public void close() {
                // The buffer outlives the images built in it.
            }
        };
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
        return "scratch memory (" + size() + " bytes)";
    }

    @Override
    public void close() {
        // Reused for the next image; see free().
    }
}
