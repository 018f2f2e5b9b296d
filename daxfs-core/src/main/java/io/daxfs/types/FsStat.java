package io.daxfs.types;


/**
 * What {@code statfs} reports. Block counts are in units of {@code blockSize} bytes.
 * {@code freeBlocks} counts every free block (f_bfree); {@code availableBlocks} leaves out the
 * blocks the allocator keeps back for metadata, which no file's data can get (f_bavail: what
 * {@code df} shows as available, and what a program that checks space before writing may use).
 */
public record FsStat(int blockSize, long totalBlocks, long freeBlocks, long availableBlocks, long totalInodes,
                     long freeInodes, int nameMax, String uuid) {
}
