package io.daxfs.types;


/** What {@code statfs} reports. Block counts are in units of {@code blockSize} bytes. */
public record FsStat(int blockSize, long totalBlocks, long freeBlocks, long totalInodes, long freeInodes,
                     int nameMax, String uuid) {
}
