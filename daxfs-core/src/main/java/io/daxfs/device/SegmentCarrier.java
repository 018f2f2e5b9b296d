package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * hole, opened through {@code /proc/self/fd} by a JDK channel. The JDK grows a file it maps
 * when it is shorter than the range; this one never is, so the JDK never changes it.
 */
public final class SegmentCarrier {
    private static final long SIZE = 1L << 46;
    private static FileChannel channel; // guarded by SegmentCarrier.class

    private SegmentCarrier() {
    }

    private static synchronized FileChannel channel() throws DaxException {
        if (channel == null) {
            int fd = Libc.memfd("daxfs-segments", SIZE);
            try {
                channel = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new DaxException(Errno.EOPNOTSUPP, "cannot open the memory file segments are mapped through: " + e, e);
            } finally {
                Libc.close(fd); // the channel has a descriptor of its own
            }
        }
        return channel;
    }

    /**
     * Maps {@code size} bytes of the carrier at {@code offset} (below 4096: the offset of the
     * segment's first byte in its page) in {@code mode} for {@code arena}: a segment of the JDK's
     * whose pages the caller is to replace, starting {@code offset} bytes into a mapped run of
     * whole pages.
     */
    public static MemorySegment map(FileChannel.MapMode mode, long offset, long size, Arena arena) throws DaxException {
        if (offset < 0 || offset >= 4096 || size <= 0 || size > SIZE - 4096) {
            throw new IllegalArgumentException("carrier range " + offset + "+" + size);
        }
        try {
            return channel().map(mode, offset, size, arena);
        } catch (IOException e) {
            throw new DaxException(Errno.ENOMEM, "cannot map " + size + " bytes of address space: " + e.getMessage(), e);
        }
    }
}
