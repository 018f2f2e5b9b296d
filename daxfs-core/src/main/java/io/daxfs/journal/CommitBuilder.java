package io.daxfs.journal;

import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Collects the block images of one transaction at commit time. Each {@link DirtySource} writes
 * the current (in-memory) state of what it owns into images obtained here. The home location
 * of every block holds the last committed image (the journal writes homes right after each
 * commit), so {@link #fromHome} is "the block as of the previous transaction".
 */
public final class CommitBuilder {
    private final MemorySegment device;
    private final Map<Long, Image> images = new LinkedHashMap<>();
    private final java.util.List<long[]> persistFirst = new java.util.ArrayList<>();
    private final java.util.List<Runnable> onDataPersisted = new java.util.ArrayList<>();

    private record Image(MemorySegment buf, boolean sealHeader) {
    }

    CommitBuilder(MemorySegment device) {
        this.device = device;
    }

    /**
     * A zeroed 4 KiB buffer on the heap. A commit makes a few of these and drops them: heap
     * memory costs a pointer bump and a young collection, where an automatic Arena would
     * register each buffer with a Cleaner and keep native memory until a collection found it.
     * (The codecs read and write little-endian values unaligned, so a byte[] serves.)
     */
    public static MemorySegment newBlock() {
        return MemorySegment.ofArray(new byte[Geometry.BLOCK_SIZE]);
    }

    /** The image of {@code block}, starting as a copy of its home contents on first request. */
    public MemorySegment fromHome(long block, boolean sealHeader) {
        Image img = images.get(block);
        if (img == null) {
            MemorySegment buf = newBlock();
            MemorySegment.copy(device, block << Geometry.BLOCK_SHIFT, buf, 0, Geometry.BLOCK_SIZE);
            img = new Image(buf, sealHeader);
            images.put(block, img);
        }
        return img.buf;
    }

    /** A fresh zeroed image of {@code block}, replacing any earlier one in this transaction. */
    public MemorySegment fresh(long block, boolean sealHeader) {
        MemorySegment buf = newBlock();
        images.put(block, new Image(buf, sealHeader));
        return buf;
    }

    /**
     * Asks the journal to persist device bytes {@code [offset, offset + length)} before it
     * writes this transaction: ordered data, such as the zeroes of newly allocated blocks,
     * which must be durable before the metadata that makes them reachable.
     */
    public void persistFirst(long offset, long length) {
        persistFirst.add(new long[]{offset, length});
    }

    java.util.List<long[]> persistFirstRanges() {
        return persistFirst;
    }

    /**
     * Runs {@code action} once the ranges of {@link #persistFirst} are durable (before the
     * transaction itself is): a source that handed over its dirty data forgets it then.
     */
    public void afterDataPersisted(Runnable action) {
        onDataPersisted.add(action);
    }

    void dataPersisted() {
        for (Runnable r : onDataPersisted) {
            r.run();
        }
    }

    /** Drops the image of a block freed within the transaction. */
    public void discard(long block) {
        images.remove(block);
    }

    int size() {
        return images.size();
    }

    /** Seals header checksums and returns the images in insertion order. */
    Map<Long, MemorySegment> finish() {
        Map<Long, MemorySegment> out = new LinkedHashMap<>();
        for (Map.Entry<Long, Image> e : images.entrySet()) {
            if (e.getValue().sealHeader) {
                BlockHeader.seal(e.getValue().buf);
            }
            out.put(e.getKey(), e.getValue().buf);
        }
        return out;
    }
}
