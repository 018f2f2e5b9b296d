package io.daxfs.media;

import java.lang.foreign.MemorySegment;

/**
 * Allocation bitmap blocks (blocks and inodes): a {@link BlockHeader} and then one bit per item,
 * set = in use. Bitmap block {@code i} covers items {@code [i * BITS_PER_BLOCK, (i+1) * BITS_PER_BLOCK)};
 * bits past the last item are set, so they never look free.
 */
public final class Bitmap {
    public static final int BITS_PER_BLOCK = (Geometry.BLOCK_SIZE - BlockHeader.SIZE) * 8;

    private Bitmap() {
    }

    public static boolean get(MemorySegment blk, int bit) {
        return (Le.getU8(blk, BlockHeader.SIZE + (bit >>> 3)) & (1 << (bit & 7))) != 0;
    }

    public static void set(MemorySegment blk, int bit, boolean value) {
        long off = BlockHeader.SIZE + (bit >>> 3);
        int v = Le.getU8(blk, off);
        Le.putU8(blk, off, value ? v | (1 << (bit & 7)) : v & ~(1 << (bit & 7)));
    }

    /** Sets bits {@code [from, to)} of one bitmap block to {@code value}. */
    public static void setRange(MemorySegment blk, int from, int to, boolean value) {
        int i = from;
        while (i < to && (i & 7) != 0) {
            set(blk, i++, value);
        }
        if (i + 8 <= to) {
            int bytes = (to - i) >>> 3;
            blk.asSlice(BlockHeader.SIZE + (i >>> 3), bytes).fill(value ? (byte) 0xFF : 0);
            i += bytes << 3;
        }
        while (i < to) {
            set(blk, i++, value);
        }
    }
}
