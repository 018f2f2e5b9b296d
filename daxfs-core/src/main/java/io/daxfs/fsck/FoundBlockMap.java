package io.daxfs.fsck;

import io.daxfs.media.Extent;

import java.util.List;

/**
 * The block map of one inode as found on the device: its extents (only those that lie inside
 * the data area; out-of-range ones are reported and dropped) and the device blocks of its extent
 * chain and of its extended attribute chain (only those verified to be its own). {@code intact}
 * is false when anything was wrong with the block map,
 * in which case the map is what could be salvaged, good for naming owners but not for repair.
 */
record FoundBlockMap(List<Extent> extents, long[] chain, long[] xattrChain, boolean intact) {
    long mappedBlocks() {
        long n = 0;
        for (Extent e : extents) {
            n += e.length();
        }
        return n;
    }

    /** What the inode's {@code blocks} field must say: mapped blocks plus extent and xattr chain blocks. */
    long ownedBlocks() {
        return mappedBlocks() + chain.length + xattrChain.length;
    }
}
