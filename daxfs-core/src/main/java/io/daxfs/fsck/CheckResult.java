package io.daxfs.fsck;

import java.util.List;

/**
 * Everything one check learned, for the report's counts and for {@link RepairPlanner}.
 *
 * @param strayRecords free inode records holding stray bytes (and inode 0's record if in use)
 * @param leaked       data-area blocks marked used that no inode owns
 */
record CheckResult(MetaView view, BitmapArea inodeBitmap, BitmapArea blockBitmap, InodeTable inodes,
                   List<Long> strayRecords, BlockOwnership ownership, BlockRuns conflicts, long leaked,
                   OrphanCheck.Result orphans, TreeWalk tree) {

    /** Blocks the file system uses: the metadata area and every block an inode claims. */
    long blocksInUse() {
        return view.geometry().dataStart() + ownership.referenced().cardinality();
    }
}
