package io.daxfs.media;

import java.lang.foreign.MemorySegment;

/**
 * A node of a directory's name index (format version 5): a B+tree over 64-bit keys, one key per
 * directory entry, that finds an entry's record from its name without reading the directory.
 *
 * <p>A key is {@code hash << 32 | block << 9 | offset >>> 3}: the name's 32-bit {@link #hash},
 * then where its record lives (record block index, below 2^23, and the record's offset in the
 * block, a multiple of 8). Records never move, so an entry's key is fixed from its insert to its
 * removal, and the keys of one directory are all distinct. Keys compare unsigned.
 *
 * <pre>
 * header: kind DXIX, a = directory inode, b = file block of this node (2^31 + k), c = level << 32 | count
 * leaf (level 0):      count keys, u64 each, at 32 + 8i, ascending
 * internal (level ≥ 1): count entries at 32 + 16i: u64 low key, u64 child node's device block;
 *                      child i holds the keys k with low(i) ≤ k < low(i + 1)
 * </pre>
 * Everything past the last key or entry is zero. The codec does not check bounds beyond the
 * segment's own: a reader that may see a block being changed checks {@link #count} and
 * {@link #level} against {@link #leafCapacity} and {@link #MAX_LEVEL} first.
 */
public final class DirIndexNode {
    /** First file block of a directory's index nodes: node k is mapped at file block {@code NODE_BASE + k}. */
    public static final long NODE_BASE = 1L << 31;
    public static final int LEAF_CAPACITY = (Geometry.BLOCK_SIZE - BlockHeader.SIZE) / 8;
    public static final int INTERNAL_CAPACITY = (Geometry.BLOCK_SIZE - BlockHeader.SIZE) / 16;
    /**
     * The highest level a node may have. Real trees stay far below it (nodes split half full hold
     * at least 127 entries, so four levels index over 250 million names); tests that cap nodes
     * at three keys build trees a dozen levels deep.
     */
    public static final int MAX_LEVEL = 16;
    /** Record blocks an indexed directory may have: the key keeps 23 bits for the block. */
    public static final long MAX_RECORD_BLOCKS = 1L << 23;

    private DirIndexNode() {
    }

    /**
     * The name hash: 64-bit FNV-1a whose offset basis is the file system's UUID halves XORed,
     * then a finalising mix; the top 32 bits. Seeded per file system so that names chosen to
     * collide on one image do not collide on another.
     */
    public static int hash(long seed, byte[] name) {
        long h = seed ^ 0xcbf2_9ce4_8422_2325L;
        for (byte b : name) {
            h = (h ^ (b & 0xff)) * 0x100_0000_01b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51_afd7_ed55_8ccdL;
        h ^= h >>> 33;
        return (int) (h >>> 32);
    }

    public static long key(int hash, int block, int offset) {
        return (long) hash << 32 | (long) block << 9 | offset >>> 3;
    }

    public static int hashOf(long key) {
        return (int) (key >>> 32);
    }

    public static int blockOf(long key) {
        return (int) ((key >>> 9) & (MAX_RECORD_BLOCKS - 1));
    }

    public static int offsetOf(long key) {
        return (int) (key & 0x1ff) << 3;
    }

    /** The smallest key a name with {@code hash} can have. */
    public static long lowest(int hash) {
        return (long) hash << 32;
    }

    public static void init(MemorySegment blk, long dirIno, long fileBlock, int level) {
        blk.fill((byte) 0);
        BlockHeader.init(blk, BlockHeader.DIR_INDEX, dirIno, fileBlock, (long) level << 32);
    }

    public static int level(MemorySegment blk) {
        return (int) (BlockHeader.c(blk) >>> 32);
    }

    public static int count(MemorySegment blk) {
        return (int) BlockHeader.c(blk);
    }

    public static int capacity(int level) {
        return level == 0 ? LEAF_CAPACITY : INTERNAL_CAPACITY;
    }

    private static void setCount(MemorySegment blk, int level, int n) {
        BlockHeader.setC(blk, (long) level << 32 | n);
    }

    // ---------------------------------------------------------------- leaves

    public static long leafKey(MemorySegment blk, int i) {
        return Le.getLong(blk, BlockHeader.SIZE + 8L * i);
    }

    /** Index of the first key ≥ {@code key} among the leaf's {@code n} keys. */
    public static int leafSearch(MemorySegment blk, int n, long key) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(leafKey(blk, mid), key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Inserts {@code key} (absent, and the leaf not full). */
    public static void leafInsert(MemorySegment blk, long key) {
        int n = count(blk);
        int i = leafSearch(blk, n, key);
        long at = BlockHeader.SIZE + 8L * i;
        MemorySegment.copy(blk, at, blk, at + 8, 8L * (n - i));
        Le.putLong(blk, at, key);
        setCount(blk, 0, n + 1);
    }

    /** Removes {@code key}; false when the leaf does not hold it. */
    public static boolean leafRemove(MemorySegment blk, long key) {
        int n = count(blk);
        int i = leafSearch(blk, n, key);
        if (i == n || leafKey(blk, i) != key) {
            return false;
        }
        long at = BlockHeader.SIZE + 8L * i;
        MemorySegment.copy(blk, at + 8, blk, at, 8L * (n - i - 1));
        Le.putLong(blk, BlockHeader.SIZE + 8L * (n - 1), 0);
        setCount(blk, 0, n - 1);
        return true;
    }

    // ---------------------------------------------------------------- internal nodes

    public static long low(MemorySegment blk, int i) {
        return Le.getLong(blk, BlockHeader.SIZE + 16L * i);
    }

    public static long child(MemorySegment blk, int i) {
        return Le.getLong(blk, BlockHeader.SIZE + 16L * i + 8);
    }

    /** The entry whose child holds {@code key}: the last with low ≤ key (0 when key is below all). */
    public static int childFor(MemorySegment blk, int n, long key) {
        int lo = 1;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(low(blk, mid), key) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo - 1;
    }

    /** Puts entry (low, child) at position {@code i}, moving the entries from i up (the node not full). */
    public static void internalInsert(MemorySegment blk, int i, long low, long child) {
        int level = level(blk);
        int n = count(blk);
        long at = BlockHeader.SIZE + 16L * i;
        MemorySegment.copy(blk, at, blk, at + 16, 16L * (n - i));
        Le.putLong(blk, at, low);
        Le.putLong(blk, at + 8, child);
        setCount(blk, level, n + 1);
    }

    /**
     * Moves the upper half of a full node into {@code right} (initialised, empty, same level).
     * Returns the lowest key of {@code right}: its low bound in the parent.
     */
    public static long splitInto(MemorySegment left, MemorySegment right) {
        int level = level(left);
        int n = count(left);
        int keep = n / 2;
        int width = level == 0 ? 8 : 16;
        long from = BlockHeader.SIZE + (long) width * keep;
        long bytes = (long) width * (n - keep);
        MemorySegment.copy(left, from, right, BlockHeader.SIZE, bytes);
        left.asSlice(from, bytes).fill((byte) 0);
        setCount(left, level, keep);
        setCount(right, level, n - keep);
        return level == 0 ? leafKey(right, 0) : low(right, 0);
    }

    /** A new root one level above {@code level}: two children, split at {@code splitKey}. */
    public static void initRoot(MemorySegment blk, long dirIno, long fileBlock, int level, long left, long splitKey, long right) {
        init(blk, dirIno, fileBlock, level);
        Le.putLong(blk, BlockHeader.SIZE, 0);
        Le.putLong(blk, BlockHeader.SIZE + 8, left);
        Le.putLong(blk, BlockHeader.SIZE + 16, splitKey);
        Le.putLong(blk, BlockHeader.SIZE + 24, right);
        setCount(blk, level, 2);
    }
}
