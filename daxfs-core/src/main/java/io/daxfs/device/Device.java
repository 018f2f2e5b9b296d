package io.daxfs.device;

import io.daxfs.types.DaxException;

import java.lang.foreign.MemorySegment;

/**
 * A byte-addressable device: one {@link MemorySegment} over the whole medium, mapped once when
 * the device is opened and unmapped only by {@link #close()}.
 *
 * <h2>Persistence model</h2>
 * A store to {@link #segment()} is visible to every thread at once (ordinary Java memory model
 * rules apply) but is <em>durable</em> only after {@link #persist(long, long)} covering it has
 * returned. Until then, after a power failure, the store may or may not be on the medium, in any
 * combination with other unpersisted stores (a CPU cache evicts lines in any order; the kernel
 * writes back dirty pages of a mapped file in any order). Code that needs "A durable before B"
 * persists A before it issues B. {@link #fence()} orders persistence of already issued
 * write-backs for backends whose {@code persist} is asynchronous; every backend here persists
 * synchronously, so {@code fence} is cheap, but callers still call it where the order matters so
 * the rule stays visible next to the code that depends on it.
 *
 * <p>Implementations are thread-safe: many threads may persist disjoint or overlapping ranges.
 */
public interface Device extends AutoCloseable {
    /** The whole device. Valid until {@link #close()}. */
    MemorySegment segment();

    /** Size in bytes; a multiple of 4096. */
    long size();

    /** True when the device was opened read-only; stores to {@link #segment()} then fail. */
    boolean isReadOnly();

    /**
     * Makes every store issued (by any thread, happens-before this call) to
     * {@code [offset, offset + length)} durable before returning.
     */
    void persist(long offset, long length);

    /** Orders persistence: write-backs issued before the fence complete before those after it. */
    void fence();

    /** True when stores reach the medium through the CPU cache alone (MAP_SYNC / device-DAX). */
    boolean isSynchronous();

    /**
     * True when {@link #discard} gives space back to something that can use it: a sparse image
     * file returns freed blocks to its host file system.
     */
    default boolean discardsFreedSpace() {
        return false;
    }

    /**
     * Tells the medium that {@code [offset, offset + length)} holds nothing worth keeping (blocks
     * the file system freed and nobody references); afterwards it reads as zeros. Only meaningful
     * when {@link #discardsFreedSpace}; a no-op otherwise.
     */
    default void discard(long offset, long length) throws DaxException {
    }

    /**
     * A file descriptor of the file behind the device, open for as long as the device, through
     * which the host kernel can map ranges of the device anywhere in the address space (see
     * {@link StitchedRange}); -1 for a device without one (process memory).
     */
    default int remapFd() {
        return -1;
    }

    /** One line for humans: backend and location. */
    String describe();

    /**
     * Unmaps the device. The segment must not be used afterwards (accesses then throw
     * IllegalStateException). Closing again has no effect.
     */
    @Override
    void close();
}
