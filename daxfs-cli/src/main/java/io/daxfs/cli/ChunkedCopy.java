package io.daxfs.cli;

import io.daxfs.api.DaxFile;
import io.daxfs.types.ProgressListener;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Copies a file between a daxfs file and a host FileChannel, in either direction or between two
 * daxfs files, through one buffer a chunk at a time, so that a file of any size costs the same
 * memory. The buffer is native memory: a daxfs file copies straight from its device into it and
 * a FileChannel reads into it without the JDK's own temporary direct buffer.
 */
final class ChunkedCopy {
    static final int CHUNK = 1 << 20;

    /** Positional read into {@code dst}; the count read, or -1 at end of file. */
    @FunctionalInterface
    interface Source {
        long read(long pos, MemorySegment dst) throws IOException;
    }

    /** Positional write of all of {@code src}. */
    @FunctionalInterface
    interface Sink {
        void write(long pos, MemorySegment src) throws IOException;
    }

    private ChunkedCopy() {
    }

    static Source source(DaxFile f) {
        return f::read;
    }

    static Source source(FileChannel ch) {
        return (pos, dst) -> ch.read(dst.asByteBuffer(), pos);
    }

    static Sink sink(DaxFile f) {
        return f::write;
    }

    static Sink sink(FileChannel ch) {
        return (pos, src) -> {
            ByteBuffer b = src.asByteBuffer();
            while (b.hasRemaining()) {
                ch.write(b, pos + b.position());
            }
        };
    }

    /** Copies to end of file through a native buffer; returns the bytes copied. */
    static long copy(Source src, Sink dst, long expectedSize, String name, ProgressListener progress) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            return copy(src, dst, expectedSize, name, progress, arena.allocate(CHUNK, 4096));
        }
    }

    /**
     * Copies to end of file through {@code buffer}; the sink always sees a slice of it that starts
     * at its offset 0. {@code expectedSize} is for progress only, reported under {@code name}: a
     * file that grows meanwhile is copied whole.
     */
    static long copy(Source src, Sink dst, long expectedSize, String name, ProgressListener progress,
                     MemorySegment buffer) throws IOException {
        long pos = 0;
        for (long n; (n = src.read(pos, buffer)) > 0; pos += n) {
            dst.write(pos, buffer.asSlice(0, n));
            progress.progress(name, pos + n, Math.max(pos + n, expectedSize));
        }
        return pos;
    }
}
