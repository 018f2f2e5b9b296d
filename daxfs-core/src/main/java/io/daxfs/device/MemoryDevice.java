package io.daxfs.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A device in process memory: for tests, scratch file systems, and mounting crash images taken
 * from a {@link RecordingDevice}. Nothing survives {@link #close()} (idempotent); {@link #persist}
 * only checks its range, since there is no medium behind the memory.
 */
public final class MemoryDevice implements Device {
    private final Arena arena;
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MemoryDevice(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    /** A zero-filled device of {@code size} bytes (rounded up to 4 KiB). */
    public static MemoryDevice allocate(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("device size must be positive: " + size);
        }
        long rounded = (size + 4095) & ~4095L;
        Arena arena = Arena.ofShared();
        return new MemoryDevice(arena, arena.allocate(rounded, 4096));
    }

    /**
     * A device holding a copy of {@code image} (e.g. a crash state produced by a recording device),
     * zero-padded to a multiple of 4 KiB.
     */
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
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
