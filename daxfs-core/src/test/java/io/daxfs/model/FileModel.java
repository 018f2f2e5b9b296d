package io.daxfs.model;

import java.util.Arrays;
import java.util.BitSet;

/**
 * What one daxfs file must look like: its size, its bytes, and which of its 4 KiB blocks are
 * allocated (daxfs maps whole blocks, so holes, SEEK_DATA/SEEK_HOLE and {@code st_blocks} are
 * exact at block granularity).
 *
 * <p>Bytes live in 4 KiB pages (null: all zero). Every byte at or after the size reads as zero
 * (daxfs zeroes the tail of the last block on shrink and hands out zeroed blocks), so growing the
 * size only moves the size. Each block is allocated, a hole, or <em>unknown</em>: after an ENOSPC
 * from fallocate or zero range, some prefix of the range's holes got blocks and the rest did not;
 * the runner learns the truth from SEEK_DATA/SEEK_HOLE once such blocks are inside the size.
 *
 * <p>Every method assumes valid arguments (the runner decides first which calls must fail) and
 * everything the file owns stays below {@link #capacity()}.
 */
public final class FileModel {
    public static final int BLOCK = 4096;
    private static final int SHIFT = 12;
    private static final byte[] ZERO = new byte[BLOCK];

    private final long capacity;
    private final int capBlocks;
    private final byte[][] pages;
    private final BitSet alloc = new BitSet();
    private final BitSet unknown = new BitSet();
    private long size;

    /** An empty file whose contents and blocks never reach {@code capacity} bytes. */
    public FileModel(long capacity) {
        this.capBlocks = (int) ((capacity + BLOCK - 1) >>> SHIFT);
        this.capacity = (long) capBlocks << SHIFT;
        this.pages = new byte[capBlocks][];
    }

    public long size() {
        return size;
    }

    public long capacity() {
        return capacity;
    }

    /** Blocks known to be allocated. */
    public int allocatedBlocks() {
        return alloc.cardinality();
    }

    /** Blocks whose state is not known (see the class comment). */
    public int unknownBlocks() {
        return unknown.cardinality();
    }

    /** Maximal runs of consecutive allocated blocks: a lower bound of the file's extent count. */
    public int allocatedRuns() {
        int runs = 0;
        for (int b = alloc.nextSetBit(0); b >= 0; b = alloc.nextSetBit(alloc.nextClearBit(b))) {
            runs++;
        }
        return runs;
    }

    /** One past the last block that is (or may be) allocated; 0 when none is. */
    public int blockEnd() {
        return Math.max(alloc.length(), unknown.length());
    }

    public boolean isAllocated(long block) {
        return alloc.get(toInt(block));
    }

    public boolean isUnknown(long block) {
        return unknown.get(toInt(block));
    }

    /** The first unknown block at or after {@code from}, or -1. */
    public int nextUnknown(int from) {
        return unknown.nextSetBit(from);
    }

    /** Records what the file system reported for an unknown block. */
    public void learn(long block, boolean allocated) {
        int b = toInt(block);
        if (!unknown.get(b)) {
            throw new IllegalStateException("block " + b + " is not unknown");
        }
        unknown.clear(b);
        alloc.set(b, allocated);
    }

    /** True when some unknown block lies (partly) below {@code bytes}. */
    public boolean hasUnknownBelow(long bytes) {
        int u = unknown.nextSetBit(0);
        return u >= 0 && ((long) u << SHIFT) < bytes;
    }

    // ---------------------------------------------------------------- contents

    /** The expected bytes {@code [pos, pos + n)} into {@code dst}. */
    public void get(long pos, byte[] dst, int off, int n) {
        int done = 0;
        while (done < n) {
            long p = pos + done;
            int c = chunk(p, n - done);
            byte[] page = p < capacity ? pages[(int) (p >>> SHIFT)] : null;
            System.arraycopy(page == null ? ZERO : page, (int) (p & (BLOCK - 1)), dst, off + done, c);
            done += c;
        }
    }

    /**
     * Compares {@code actual[off, off + n)} with the expected bytes at {@code pos}; returns the
     * file offset of the first difference, or -1.
     */
    public long mismatch(long pos, byte[] actual, int off, int n) {
        int done = 0;
        while (done < n) {
            long p = pos + done;
            int c = chunk(p, n - done);
            byte[] page = p < capacity ? pages[(int) (p >>> SHIFT)] : null;
            int o = (int) (p & (BLOCK - 1));
            int m = Arrays.mismatch(actual, off + done, off + done + c, page == null ? ZERO : page, o, o + c);
            if (m >= 0) {
                return p + m;
            }
            done += c;
        }
        return -1;
    }

    private static int chunk(long p, int remaining) {
        return (int) Math.min(BLOCK - (p & (BLOCK - 1)), remaining);
    }

    // ---------------------------------------------------------------- operations

    /** pwrite of {@code n} bytes (n may be a short count): the bytes, their blocks, the size. */
    public void write(long pos, byte[] src, int off, int n) {
        if (n == 0) {
            return;
        }
        replaceBytes(pos, src, off, n);
        setAllocated(pos >>> SHIFT, blocksCovering(pos + n));
        size = Math.max(size, pos + n);
    }

    /** Sets bytes without touching size or blocks (to take over a file's state after ENOSPC). */
    public void replaceBytes(long pos, byte[] src, int off, int n) {
        checkCap(pos + n);
        int done = 0;
        while (done < n) {
            long p = pos + done;
            int c = chunk(p, n - done);
            int b = (int) (p >>> SHIFT);
            if (pages[b] == null) {
                pages[b] = new byte[BLOCK];
            }
            System.arraycopy(src, off + done, pages[b], (int) (p & (BLOCK - 1)), c);
            done += c;
        }
    }

    /** Sets the size without touching bytes or blocks (to take over a file's state after ENOSPC). */
    public void setSize(long newSize) {
        checkCap(newSize);
        size = newSize;
    }

    /**
     * ftruncate. Shrinking, or truncating to the current size, zeroes what was past the new size
     * and frees every block from the one after the new last block on (beyond-EOF preallocations
     * included, as on ext4); growing frees nothing.
     */
    public void truncate(long newSize) {
        checkCap(newSize);
        if (newSize <= size) {
            zero(newSize, size);
            freeFrom(newSize);
        }
        size = newSize;
    }

    /**
     * Frees every block from the one holding byte {@code bytes} rounded up to a block boundary
     * on: what a shrinking truncate to {@code bytes} does to the block map.
     */
    public void freeFrom(long bytes) {
        int from = blocksCovering(bytes);
        alloc.clear(from, Math.max(from, alloc.length()));
        unknown.clear(from, Math.max(from, unknown.length()));
    }

    /** fallocate(0 or KEEP_SIZE) that succeeded. */
    public void allocate(long pos, long len, boolean keepSize) {
        long end = pos + len;
        checkCap(end);
        setAllocated(pos >>> SHIFT, blocksCovering(end));
        if (!keepSize) {
            size = Math.max(size, end);
        }
    }

    /** fallocate that failed with ENOSPC: a prefix of the range's holes may have blocks now. */
    public void allocateFailed(long pos, long len) {
        long end = Math.min(pos + len, capacity);
        for (int b = (int) (pos >>> SHIFT); b < blocksCovering(end); b++) {
            if (!alloc.get(b)) {
                unknown.set(b);
            }
        }
    }

    /** PUNCH_HOLE | KEEP_SIZE: the range reads zero; whole blocks inside it are freed. */
    public void punchHole(long pos, long len) {
        long end = pos + len; // may lie far beyond the capacity
        zero(pos, Math.min(end, capacity));
        int firstFull = blocksCovering(Math.min(pos, capacity));
        int endFull = (int) (Math.min(end, capacity) >>> SHIFT);
        if (firstFull < endFull) {
            alloc.clear(firstFull, endFull);
            unknown.clear(firstFull, endFull);
        }
    }

    /** ZERO_RANGE (with KEEP_SIZE when asked) that succeeded. */
    public void zeroRange(long pos, long len, boolean keepSize) {
        zero(pos, pos + len);
        allocate(pos, len, keepSize);
    }

    /** ZERO_RANGE that failed with ENOSPC: zeroed, a prefix of the holes may have blocks. */
    public void zeroRangeFailed(long pos, long len) {
        zero(pos, Math.min(pos + len, capacity));
        allocateFailed(pos, len);
    }

    /** COLLAPSE_RANGE of a valid (aligned, inside the file) range. */
    public void collapseRange(long pos, long len) {
        int fb = (int) (pos >>> SHIFT);
        int nb = (int) (len >>> SHIFT);
        System.arraycopy(pages, fb + nb, pages, fb, capBlocks - fb - nb);
        Arrays.fill(pages, capBlocks - nb, capBlocks, null);
        shift(alloc, fb + nb, -nb);
        shift(unknown, fb + nb, -nb);
        size -= len;
    }

    /** INSERT_RANGE of a valid (aligned, inside the file) range. */
    public void insertRange(long pos, long len) {
        int fb = (int) (pos >>> SHIFT);
        int nb = (int) (len >>> SHIFT);
        checkCap(size + len);
        if (blockEnd() + nb > capBlocks) {
            throw new IllegalArgumentException("insert of " + len + " would push blocks past the model's capacity");
        }
        System.arraycopy(pages, fb, pages, fb + nb, capBlocks - fb - nb);
        Arrays.fill(pages, fb, fb + nb, null);
        shift(alloc, fb, nb);
        shift(unknown, fb, nb);
        size += len;
    }

    /** lseek(SEEK_DATA) for {@code 0 <= pos < size}: the answer, or -1 for ENXIO. */
    public long seekData(long pos) {
        requireKnownFrom(pos);
        int d = alloc.nextSetBit((int) (pos >>> SHIFT));
        if (d < 0) {
            return -1;
        }
        long at = Math.max(pos, (long) d << SHIFT);
        return at >= size ? -1 : at;
    }

    /** lseek(SEEK_HOLE) for {@code 0 <= pos < size}. */
    public long seekHole(long pos) {
        requireKnownFrom(pos);
        int h = alloc.nextClearBit((int) (pos >>> SHIFT));
        return Math.min(size, Math.max(pos, (long) h << SHIFT));
    }

    private void requireKnownFrom(long pos) {
        int u = unknown.nextSetBit((int) (pos >>> SHIFT));
        if (u >= 0 && ((long) u << SHIFT) < size) {
            throw new IllegalStateException("block " + u + " is unknown; resolve it first");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Zeroes the bytes {@code [from, to)} (to at most the capacity). */
    private void zero(long from, long to) {
        long p = from;
        while (p < to) {
            int b = (int) (p >>> SHIFT);
            int o = (int) (p & (BLOCK - 1));
            int c = (int) Math.min(BLOCK - o, to - p);
            if (pages[b] != null) {
                if (c == BLOCK) {
                    pages[b] = null;
                } else {
                    Arrays.fill(pages[b], o, o + c, (byte) 0);
                }
            }
            p += c;
        }
    }

    private void setAllocated(long from, long to) {
        alloc.set(toInt(from), toInt(to));
        unknown.clear(toInt(from), toInt(to));
    }

    /** Blocks {@code [0, n)} cover bytes {@code [0, bytes)}. */
    private static int blocksCovering(long bytes) {
        return toInt((bytes + BLOCK - 1) >>> SHIFT);
    }

    private void checkCap(long end) {
        if (end > capacity || end < 0) {
            throw new IllegalArgumentException("range end " + end + " is past the model's capacity " + capacity);
        }
    }

    private static int toInt(long block) {
        return Math.toIntExact(block);
    }

    /**
     * Moves the bits at and after {@code from} by {@code delta}; a negative delta first drops
     * {@code [from + delta, from)}, a positive one leaves {@code [from, from + delta)} clear.
     */
    static void shift(BitSet bits, int from, int delta) {
        BitSet tail = bits.get(from, Math.max(from, bits.length()));
        int clearFrom = Math.min(from, from + delta);
        bits.clear(clearFrom, Math.max(clearFrom, bits.length()));
        for (int i = tail.nextSetBit(0); i >= 0; ) {
            int j = tail.nextClearBit(i);
            bits.set(from + delta + i, from + delta + j);
            i = tail.nextSetBit(j);
        }
    }

    @Override
    public String toString() {
        return "size " + size + ", " + allocatedBlocks() + " blocks in " + allocatedRuns() + " runs"
                + (unknown.isEmpty() ? "" : ", " + unknownBlocks() + " unknown");
    }

    /** The allocation state of blocks around {@code block}, for failure messages: A, '.', or '?'. */
    public String blockMap(long block, int radius) {
        StringBuilder sb = new StringBuilder();
        long from = Math.max(0, block - radius);
        long to = Math.min(capBlocks, block + radius + 1);
        sb.append("blocks ").append(from).append("..").append(to - 1).append(": ");
        for (long b = from; b < to; b++) {
            sb.append(unknown.get((int) b) ? '?' : alloc.get((int) b) ? 'A' : '.');
        }
        return sb.toString();
    }
}
