package io.daxfs.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A device in process memory: for tests and for scratch file systems. Nothing survives
 * {@link #close()}; {@link #persist} has nothing to do.
 */
public final class MemoryDevice implements Device {
    private final Arena arena;
    private final MemorySegment segment;

    private MemoryDevice(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    /** A zero-filled device of {@code size} bytes (rounded up to 4 KiB). */
    public static MemoryDevice allocate(long size) {
        long rounded = (size + 4095) & ~4095L;
        Arena arena = Arena.ofShared();
        return new MemoryDevice(arena, arena.allocate(rounded, 4096));
    }

    /** A device holding a copy of {@code image} (e.g. a crash state produced by a recording device). */
    public static MemoryDevice copyOf(MemorySegment image) {
        MemoryDevice d = allocate(image.byteSize());
        MemorySegment.copy(image, 0, d.segment, 0, image.byteSize());
        return d;
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
        Devices.checkRange(this, offset, length);
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
        return "memory (" + size() + " bytes)";
    }

    @Override
    public void close() {
        arena.close();
    }
}
