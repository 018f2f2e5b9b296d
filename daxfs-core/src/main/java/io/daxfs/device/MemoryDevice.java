package io.daxfs.device;

import io.daxfs.types.DaxException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A device in process memory: for tests, scratch file systems, and mounting crash images taken
 * from a {@link RecordingDevice}. Nothing survives {@link #close()} (idempotent); {@link #persist}
 * only checks its range, since there is no medium behind the memory.
 *
 * <p>The memory is an anonymous memory file (memfd) mapped shared, so that ranges of it can be
 * mapped again elsewhere ({@link #remapFd}, {@link StitchedRange}); where memfd_create is not
 * available it is plain native memory, which cannot.
 */
public final class MemoryDevice implements Device {
    private final Arena arena;
    private final MemorySegment segment;
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MemoryDevice(Arena arena, MemorySegment segment, int fd) {
        this.arena = arena;
        this.segment = segment;
        this.fd = fd;
    }

    /** A zero-filled device of {@code size} bytes (rounded up to 4 KiB). */
    @SuppressWarnings("restricted") // giving the mapped address its size and lifetime
    public static MemoryDevice allocate(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("device size must be positive: " + size);
        }
        long rounded = (size + 4095) & ~4095L;
        Arena arena = Arena.ofShared();
        int fd;
        long address;
        try {
            fd = Libc.memfd("daxfs-memory", rounded);
        } catch (DaxException e) {
            return new MemoryDevice(arena, arena.allocate(rounded, 4096), -1);
        }
        try {
            address = Libc.mmap(rounded, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, "memory device");
        } catch (DaxException e) {
            Libc.close(fd);
            return new MemoryDevice(arena, arena.allocate(rounded, 4096), -1);
        }
        MemorySegment segment = MemorySegment.ofAddress(address)
                .reinterpret(rounded, arena, s -> Libc.munmap(s.address(), rounded));
        return new MemoryDevice(arena, segment, fd);
    }

    @Override
    public int remapFd() {
        return fd;
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
            try {
                arena.close();
            } finally {
                if (fd >= 0) {
                    Libc.close(fd);
                }
            }
        }
    }
}
