package io.daxfs.journal;

import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
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
    private final List<long[]> persistFirst = new ArrayList<>();
    private final List<Runnable> onDataPersisted = new ArrayList<>();

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
     * A copy of {@code src} (one block) as the image of {@code block}, replacing any earlier one
     * in this transaction: for sources that keep their blocks' images on the heap. A whole-array
     * source is cloned, which skips zeroing a buffer the copy then overwrites.
     */
    public void copyOf(long block, MemorySegment src, boolean sealHeader) {
        MemorySegment buf;
        if (src.heapBase().orElse(null) instanceof byte[] a && a.length == Geometry.BLOCK_SIZE
                && src.address() == 0 && src.byteSize() == Geometry.BLOCK_SIZE) {
            buf = MemorySegment.ofArray(a.clone());
        } else {
            buf = newBlock();
            MemorySegment.copy(src, 0, buf, 0, Geometry.BLOCK_SIZE);
        }
        images.put(block, new Image(buf, sealHeader));
    }

    /**
     * Asks the journal to persist device bytes {@code [offset, offset + length)} before it
     * writes this transaction: ordered data, such as the zeroes of newly allocated blocks,
     * which must be durable before the metadata that makes them reachable.
     */
    public void persistFirst(long offset, long length) {
        persistFirst.add(new long[]{offset, length});
    }

    /**
     * The ranges of {@link #persistFirst}, sorted, with overlapping and adjacent ones merged:
     * each range costs the device one persist (an msync on an image file), and the files of one
     * commit often lie side by side (the allocator hands out blocks in address order), so a
     * commit of a thousand small writes persists a few runs, not a thousand blocks.
     */
    List<long[]> persistFirstRanges() {
        return coalesce(persistFirst);
    }

    /** {@code ranges} ({offset, length} pairs, any order) as sorted, disjoint, non-adjacent runs. */
    static List<long[]> coalesce(List<long[]> ranges) {
        if (ranges.size() < 2) {
            return ranges;
        }
        long[][] sorted = ranges.toArray(long[][]::new);
        Arrays.sort(sorted, (a, b) -> Long.compare(a[0], b[0]));
        List<long[]> out = new ArrayList<>();
        long start = sorted[0][0];
        long end = start + sorted[0][1];
        for (int i = 1; i < sorted.length; i++) {
            long s = sorted[i][0];
            long e = s + sorted[i][1];
            if (s > end) {
                out.add(new long[]{start, end - start});
                start = s;
                end = e;
            } else if (e > end) {
                end = e;
            }
        }
        out.add(new long[]{start, end - start});
        return out;
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
