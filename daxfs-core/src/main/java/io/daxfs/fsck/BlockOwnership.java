package io.daxfs.fsck;

import io.daxfs.media.Geometry;

/**
 * Which data-area blocks inodes claim (data, directory, symlink target and extent chain
 * blocks), and which of them are claimed more than once. Claims are recorded as bits, and a
 * block claimed again goes to {@link #conflicts}: owners are named afterwards by a second pass
 * over just those blocks ({@link OwnerFinder}), so no per-block owner table is needed.
 */
final class BlockOwnership {
    private final LongBits referenced;
    private final BlockRuns conflicts = new BlockRuns();

    BlockOwnership(Geometry g) {
        this.referenced = new LongBits(g.totalBlocks());
    }

    /** Claims {@code [start, start + count)}, which the caller checked lies inside the data area. */
    void claim(long start, long count) {
        referenced.setRange(start, start + count, (w, dup) -> conflicts.addBits((long) w << 6, dup));
    }

    /** Blocks claimed at least once. */
    LongBits referenced() {
        return referenced;
    }

    /** Blocks claimed more than once; call after the last claim. */
    BlockRuns conflicts() {
        return conflicts.seal();
    }
}
