package io.daxfs.types;


import java.lang.foreign.MemorySegment;

/**
 * Receives the result of {@link io.daxfs.api.DaxFile#readInPlace}: the bytes read, as {@code count} pieces in
 * file order. Piece {@code i} is {@code lengths[i]} bytes: {@code segments[i]} is a slice of
 * device memory holding them, or null for a hole ({@code lengths[i]} zero bytes).
 *
 * <p>The segments are valid only during the call: the file's I/O lock is held meanwhile (so no
 * write, truncate or hole punch of that file can run), and the arrays may be reused afterwards.
 * Do not keep them, and do not write through them.
 */
@FunctionalInterface
public interface DaxReadSink {
    void pieces(MemorySegment[] segments, long[] lengths, int count) throws DaxException;
}
