package io.daxfs.alloc;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.media.Bitmap;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.Le;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The in-memory copy of an on-device allocation bitmap (blocks or inodes), with the set of
 * bitmap blocks changed since the last commit. It is what the bitmap will say once the running
 * transaction commits.
 *
 * <p>Concurrency: callers serialise changes to the same 64-bit word (the block allocator's
 * groups are whole words, each under its group's lock; the inode allocator has one lock). The
 * set of changed bitmap blocks is a lock-free bit set, since groups sharing a bitmap block mark
 * it at once. {@link #collect} runs while no handle is open, so nothing changes meanwhile.
 */
final class BitmapImage {
    private static final int LONGS_PER_BLOCK = Bitmap.BITS_PER_BLOCK / 64;

    private final long[] words;
    private final long items;
    private final long firstBlock;
    private final int magic;
    /** Bitmap blocks changed since the last collect, one bit each. */
    private final AtomicLongArray dirtyBlocks;
    private final AtomicInteger dirtyCount = new AtomicInteger();

    private BitmapImage(long[] words, long items, long firstBlock, int magic) {
        this.words = words;
        this.items = items;
        this.firstBlock = firstBlock;
        this.magic = magic;
        this.dirtyBlocks = new AtomicLongArray((words.length / LONGS_PER_BLOCK + 63) / 64);
    }

    /** Loads and verifies {@code blocks} bitmap blocks starting at device block {@code first}. */
    static BitmapImage load(java.util.function.LongFunction<MemorySegment> reader, long first, long blocks, long items,
                            int magic, String what) throws DaxException {
        long[] w = new long[Math.toIntExact(blocks * LONGS_PER_BLOCK)];
        for (long i = 0; i < blocks; i++) {
            MemorySegment blk = reader.apply(first + i);
            BlockHeader.verify(blk, magic, what + " bitmap block " + i);
            if (BlockHeader.a(blk) != i) {
                throw new DaxException(Errno.EUCLEAN, what + " bitmap block " + i + ": wrong index " + BlockHeader.a(blk));
            }
            for (int k = 0; k < LONGS_PER_BLOCK; k++) {
                w[(int) (i * LONGS_PER_BLOCK + k)] = Le.getLong(blk, BlockHeader.SIZE + 8L * k);
            }
        }
        BitmapImage img = new BitmapImage(w, items, first, magic);
        for (long b = items; b < blocks * Bitmap.BITS_PER_BLOCK; b++) {
            if (!img.get(b)) {
                throw new DaxException(Errno.EUCLEAN, what + " bitmap: padding bit " + b + " is clear");
            }
        }
        return img;
    }

    /** A bitmap of {@code items} clear bits (padding set), for format. */
    static BitmapImage empty(long blocks, long items, long firstBlock, int magic) {
        BitmapImage img = new BitmapImage(new long[Math.toIntExact(blocks * LONGS_PER_BLOCK)], items, firstBlock, magic);
        for (long b = items; b < blocks * Bitmap.BITS_PER_BLOCK; b++) {
            img.words[(int) (b >>> 6)] |= 1L << (b & 63);
        }
        return img;
    }

    boolean get(long bit) {
        return (words[(int) (bit >>> 6)] & (1L << (bit & 63))) != 0;
    }

    /** Sets {@code [from, from + count)} to {@code used}, marking the bitmap blocks touched. */
    void set(long from, long count, boolean used) {
        long end = from + count;
        for (long b = from; b < end; ) {
            int w = (int) (b >>> 6);
            int lo = (int) (b & 63);
            int hi = (int) Math.min(64, end - (b & ~63L));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            words[w] = used ? words[w] | mask : words[w] & ~mask;
            b = (b & ~63L) + hi;
        }
        int fromBlock = (int) (from / Bitmap.BITS_PER_BLOCK);
        int toBlock = (int) ((end - 1) / Bitmap.BITS_PER_BLOCK);
        for (int blk = fromBlock; blk <= toBlock; blk++) {
            markDirty(blk);
        }
    }

    /** True when every bit of {@code [from, from + count)} is set; word by word. */
    boolean allSet(long from, long count) {
        long end = from + count;
        for (long b = from; b < end; ) {
            int w = (int) (b >>> 6);
            int lo = (int) (b & 63);
            int hi = (int) Math.min(64, end - (b & ~63L));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            if ((words[w] & mask) != mask) {
                return false;
            }
            b = (b & ~63L) + hi;
        }
        return true;
    }

    private void markDirty(int blk) {
        int w = blk >>> 6;
        long bit = 1L << (blk & 63);
        for (long cur = dirtyBlocks.get(w); (cur & bit) == 0; cur = dirtyBlocks.get(w)) {
            if (dirtyBlocks.compareAndSet(w, cur, cur | bit)) {
                dirtyCount.incrementAndGet();
                return;
            }
        }
    }

    /** First clear bit at or after {@code from}, or -1. */
    long nextClear(long from) {
        for (long b = from; b < items; ) {
            int w = (int) (b >>> 6);
            long inv = ~words[w] & (-1L << (b & 63));
            if (inv != 0) {
                long bit = ((long) w << 6) + Long.numberOfTrailingZeros(inv);
                return bit < items ? bit : -1;
            }
            b = ((long) w + 1) << 6;
        }
        return -1;
    }

    /** First set bit at or after {@code from} (may be a padding bit past the items). */
    long nextSet(long from) {
        int w = (int) (from >>> 6);
        if (w >= words.length) {
            return items;
        }
        long bits = words[w] & (-1L << (from & 63));
        while (bits == 0) {
            if (++w >= words.length) {
                return items;
            }
            bits = words[w];
        }
        return Math.min(items, ((long) w << 6) + Long.numberOfTrailingZeros(bits));
    }

    long countSet() {
        long n = 0;
        for (long x : words) {
            n += Long.bitCount(x);
        }
        return n - (words.length * 64L - items);
    }

    boolean hasDirty() {
        return dirtyCount.get() != 0;
    }

    /** Bitmap blocks changed since the last collect: what the next commit writes of this bitmap. */
    int dirtyCount() {
        return dirtyCount.get();
    }

    /** Writes every changed bitmap block into the commit and forgets the changes. No handle is open. */
    void collect(CommitBuilder b) {
        for (int w = 0; w < dirtyBlocks.length(); w++) {
            long bits = dirtyBlocks.getAndSet(w, 0);
            while (bits != 0) {
                int i = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                writeBlock(b.fresh(firstBlock + i, true), i);
                dirtyCount.decrementAndGet();
            }
        }
    }

    /** Writes bitmap block {@code i} into {@code blk} (sealed). */
    void writeBlock(MemorySegment blk, int i) {
        blk.fill((byte) 0);
        BlockHeader.init(blk, magic, i, 0, 0);
        for (int k = 0; k < LONGS_PER_BLOCK; k++) {
            Le.putLong(blk, BlockHeader.SIZE + 8L * k, words[i * LONGS_PER_BLOCK + k]);
        }
        BlockHeader.seal(blk);
    }

    int blockCount() {
        return words.length / LONGS_PER_BLOCK;
    }
}
