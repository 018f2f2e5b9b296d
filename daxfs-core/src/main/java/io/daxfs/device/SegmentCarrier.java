package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A sparse memory file whose only purpose is to be mapped by the JDK's
 * {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}: that is the one public way to
 * get a segment that is "mapped" in the JDK's sense, whose {@code load}, {@code isLoaded},
 * {@code unload} and {@code force} work (libraries such as Lucene call them), which belongs to
 * the caller's own arena whatever its kind, and which the JDK unmaps when that arena closes. The
 * caller then replaces every page of the mapping ({@link StitchedRange#over}); the carrier's
 * own pages are never touched, so it costs no memory.
 *
 * <p>One per process, made at first use: an anonymous memory file (memfd) of 2^46 bytes, all
 * hole, kept open, and opened through {@code /proc/self/fd} by a JDK channel. The JDK grows a
 * file it maps when it is shorter than the range; this one never is, so the JDK never changes it.
 */
public final class SegmentCarrier {
    private static final long SIZE = 1L << 46;
    /** The memory file, open for the life of the process; -1 until first use. Guarded by the class. */
    private static int fd = -1;
    /** A JDK channel on it; replaced when an interrupt closed it. Guarded by the class. */
    private static FileChannel channel;
    private static final int ATTEMPTS = 4;

    private SegmentCarrier() {
    }

    /** The channel, opened (again, after an interrupt closed it) through /proc/self/fd. */
    private static synchronized FileChannel channel() throws DaxException {
        if (fd < 0) {
            fd = Libc.memfd("daxfs-segments", SIZE);
        }
        if (channel == null || !channel.isOpen()) {
            try {
                channel = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new DaxException(Errno.EOPNOTSUPP, "cannot open the memory file segments are mapped through: " + e, e);
            }
        }
        return channel;
    }

    /**
     * Maps {@code size} bytes of the carrier at {@code offset} (below 4096: the offset of the
     * segment's first byte in its page) in {@code mode} for {@code arena}: a segment of the JDK's
     * whose pages the caller is to replace, starting {@code offset} bytes into a mapped run of
     * whole pages.
     *
     * <p>The JDK's file channels are interruptible: an interrupt of a thread inside one of their
     * calls closes the channel, for every thread. So the calling thread's interrupt status is
     * cleared for the call and set again after it (the interrupt is not lost, nor does it fail
     * the map), and a channel closed by another thread's interrupt meanwhile is opened again.
     */
    public static MemorySegment map(FileChannel.MapMode mode, long offset, long size, Arena arena) throws DaxException {
        if (offset < 0 || offset >= 4096 || size <= 0 || size > SIZE - 4096) {
            throw new IllegalArgumentException("carrier range " + offset + "+" + size);
        }
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return channel().map(mode, offset, size, arena);
                } catch (ClosedChannelException e) {
                    interrupted |= Thread.interrupted(); // ours, delivered during the call: kept for the caller
                    if (attempt == ATTEMPTS) {
                        throw new DaxException(Errno.EINTR, "map: interrupted " + ATTEMPTS + " times while mapping", e);
                    }
                } catch (IOException e) {
                    throw new DaxException(Errno.ENOMEM, "cannot map " + size + " bytes of address space: " + e, e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
