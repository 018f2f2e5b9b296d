package io.daxfs.types;

/**
 * How a file's data lies on the device (as FIEMAP would tell): how many extents its block map
 * has, and how many of its bytes can be mapped in 2 MiB pages.
 *
 * @param extents          extents in the file's block map (runs of consecutive device blocks; a
 *                         run of unwritten blocks counts as one too)
 * @param allocatedBytes   bytes of data blocks the file holds, written or not (stat's block count
 *                         adds the blocks of its block map and extended attributes)
 * @param hugeAlignedBytes bytes in 2 MiB pieces that start 2 MiB-aligned both in the file and on
 *                         the device and lie in one extent: what a 2 MiB fault maps whole
 */
public record FileExtents(long extents, long allocatedBytes, long hugeAlignedBytes) {
}
