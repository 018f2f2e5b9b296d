package io.daxfs.fsck;

import io.daxfs.types.ProgressListener;
import io.daxfs.media.Bitmap;
import io.daxfs.media.Geometry;

/**
 * The block bitmap against what is really in use, a word (64 blocks) at a time: the metadata
 * area must be marked used, every block an inode claims must be marked used, and every data-area
 * block marked used must be claimed by some inode (otherwise it is leaked: allocated space no
 * file can ever free). Blocks covered by a damaged bitmap block are skipped.
 */
final class AllocationCheck {
    /** Blocks in use but marked free (owners named by {@link OwnerFinder}), and the leaked total. */
    record Result(BlockRuns missing, long leaked) {
    }

    private AllocationCheck() {
    }

    static Result run(Geometry g, BitmapArea bitmap, BlockOwnership ownership, Findings f, ProgressListener p) {
        BlockRuns metadataFree = new BlockRuns();
        BlockRuns leaked = new BlockRuns();
        BlockRuns missing = new BlockRuns();
        LongBits referenced = ownership.referenced();
        for (int i = 0; i < bitmap.blockCount(); i++) {
            if (bitmap.isValid(i)) {
                for (int k = 0; k < BitmapArea.WORDS_PER_BLOCK; k++) {
                    long base = (long) i * Bitmap.BITS_PER_BLOCK + 64L * k;
                    if (base >= g.totalBlocks()) {
                        break;
                    }
                    long disk = bitmap.word(i, k);
                    long meta = metadataMask(base, g.dataStart());
                    long data = ~meta & ~bitmap.paddingMask(base);
                    long ref = referenced.word((int) (base >>> 6));
                    metadataFree.addBits(base, meta & ~disk);
                    leaked.addBits(base, disk & data & ~ref);
                    missing.addBits(base, ref & ~disk);
                }
            }
            p.progress("blocks", i + 1, bitmap.blockCount());
        }
        metadataFree.seal();
        for (int r = 0; r < metadataFree.size(); r++) {
            f.problem(Findings.blocks(metadataFree.start(r), metadataFree.length(r))
                    + ": metadata area, but marked free in the block bitmap");
        }
        leaked.seal();
        long total = 0;
        for (int r = 0; r < leaked.size(); r++) {
            long n = leaked.length(r);
            total += n;
            f.problem(Findings.blocks(leaked.start(r), n) + ": marked in use in the block bitmap but no inode owns "
                    + (n == 1 ? "it" : "them") + " (" + Findings.count(n, "block") + " leaked)");
        }
        return new Result(missing.seal(), total);
    }

    /** Bits of the word starting at block {@code base} that lie below {@code dataStart}. */
    private static long metadataMask(long base, long dataStart) {
        if (base >= dataStart) {
            return 0;
        }
        long below = dataStart - base;
        return below >= 64 ? -1L : (1L << below) - 1;
    }
}
