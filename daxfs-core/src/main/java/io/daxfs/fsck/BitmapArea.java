package io.daxfs.fsck;

import io.daxfs.media.Bitmap;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.Le;

import java.lang.foreign.MemorySegment;

/**
 * One on-device allocation bitmap (the inode bitmap or the block bitmap): checks every block's
 * header, checksum, index and padding bits, and then answers bit queries from the blocks that
 * passed. Bits of a damaged block are unknown, so comparisons against them are skipped (the
 * damage itself is reported once).
 */
final class BitmapArea {
    static final int WORDS_PER_BLOCK = Bitmap.BITS_PER_BLOCK / 64;

    private final MetaView view;
    private final String name;
    private final long first;
    private final int blocks;
    private final long items;
    private final int magic;
    private final boolean[] valid;

    private BitmapArea(MetaView view, String name, long first, long blocks, long items, int magic) {
        this.view = view;
        this.name = name;
        this.first = first;
        this.blocks = (int) blocks;
        this.items = items;
        this.magic = magic;
        this.valid = new boolean[this.blocks];
    }

    static BitmapArea inodes(MetaView v) {
        Geometry g = v.geometry();
        return new BitmapArea(v, "inode bitmap", g.inodeBitmapStart(), g.inodeBitmapBlocks(), g.inodeCount(),
                BlockHeader.INODE_BITMAP);
    }

    static BitmapArea blocks(MetaView v) {
        Geometry g = v.geometry();
        return new BitmapArea(v, "block bitmap", g.blockBitmapStart(), g.blockBitmapBlocks(), g.totalBlocks(),
                BlockHeader.BLOCK_BITMAP);
    }

    /** Checks every block of the bitmap, reporting damage to {@code f}. */
    BitmapArea check(Findings f) {
        for (int i = 0; i < blocks; i++) {
            MemorySegment blk = view.block(first + i);
            String what = name + " block " + i + " (block " + (first + i) + ")";
            if (BlockHeader.magic(blk) != magic) {
                f.problem(what + ": wrong block type (magic 0x" + Integer.toHexString(BlockHeader.magic(blk)) + ")");
            } else if (!BlockHeader.valid(blk, magic)) {
                f.problem(what + ": checksum mismatch");
            } else if (BlockHeader.a(blk) != i || BlockHeader.b(blk) != 0 || BlockHeader.c(blk) != 0) {
                f.problem(what + ": header says index " + BlockHeader.a(blk) + " (fields " + BlockHeader.b(blk)
                        + ", " + BlockHeader.c(blk) + ")");
            } else {
                valid[i] = true;
                checkPadding(i, f, what);
            }
        }
        return this;
    }

    /** Bits past the last item must be set, so that no allocator ever sees them as free. */
    private void checkPadding(int i, Findings f, String what) {
        long base = (long) i * Bitmap.BITS_PER_BLOCK;
        long end = base + Bitmap.BITS_PER_BLOCK;
        if (end <= items) {
            return;
        }
        for (int k = 0; k < WORDS_PER_BLOCK; k++) {
            long wordBase = base + 64L * k;
            long pad = paddingMask(wordBase);
            if ((word(i, k) & pad) != pad) {
                f.problem(what + ": padding bits past the last of " + items + " items are clear");
                return;
            }
        }
    }

    /** Mask of the bits of the word starting at item {@code wordBase} that lie past the last item. */
    long paddingMask(long wordBase) {
        if (wordBase >= items) {
            return -1L;
        }
        long inside = items - wordBase;
        return inside >= 64 ? 0 : -1L << inside;
    }

    String name() {
        return name;
    }

    int blockCount() {
        return blocks;
    }

    long firstBlock() {
        return first;
    }

    long items() {
        return items;
    }

    int magic() {
        return magic;
    }

    boolean isValid(int block) {
        return valid[block];
    }

    /** Word {@code k} of bitmap block {@code i} (items {@code i * BITS_PER_BLOCK + 64k} onwards). */
    long word(int i, int k) {
        return Le.getLong(view.block(first + i), BlockHeader.SIZE + 8L * k);
    }

    /** 1 when {@code item} is marked used, 0 when free, -1 when its bitmap block is damaged. */
    int bit(long item) {
        int i = (int) (item / Bitmap.BITS_PER_BLOCK);
        if (!valid[i]) {
            return -1;
        }
        return Bitmap.get(view.block(first + i), (int) (item % Bitmap.BITS_PER_BLOCK)) ? 1 : 0;
    }
}
